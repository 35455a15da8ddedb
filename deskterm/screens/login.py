"""The login screen: login and password; shown at once, while the database stack loads. Typed at
speed, Enter in the login moves to the password before the next key is read, and the keys typed
while the password is checked wait: they go to the first screen after the login, or are dropped with
a refusal (never shown in a field)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widget import AwaitMount
from textual.widgets import Input, Static

from ..dialogs.base import FormKeys
from ..i18n import _, _n
from ..messages import Connected, ConnectFailed, DemoPreparing
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from .base import DeskScreen

DEMO_PASSWORD = "demo"
DEMO_HINT = "Demo logins, password 'demo': operator · engineer · expert · supervisor · head · admin"


class LoginChecked(ServiceDone[Any]):
    """The login and password were right: the value is the agent (services.auth.Actor)."""


class LoginScreen(FormKeys[None], DeskScreen):
    TITLE_TEXT = "Log in"
    BINDINGS = [Binding("f5", "retry", "Retry connection", id="login.retry", show=False)]
    ENTER_SAVES = True  # Enter in the password logs in

    def __init__(self, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.busy = False  # the password is being checked
        self.held: list[events.Key] = []  # keys typed meanwhile, for the next screen

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Center(), Vertical(id="login-box"):
            yield Static(_("deskterm — service desk console"), id="login-title", markup=False)
            yield Static(_("Connecting to the database…"), id="login-status", markup=False)
            yield Input(placeholder=_("login"), id="login-name", disabled=True)
            yield Input(placeholder=_("password"), password=True, id="login-password", disabled=True)
            yield Static("", id="login-error", markup=False)
            if self.demo:
                yield Static(_(DEMO_HINT), id="login-hint", markup=False)
        yield DeskFooter()

    def relabel(self) -> None:
        """The texts in the language now set (what is typed stays; the status is said again)."""
        self.query_one("#login-title", Static).update(_("deskterm — service desk console"))
        self.query_one("#login-name", Input).placeholder = _("login")
        self.query_one("#login-password", Input).placeholder = _("password")
        if self.demo:
            self.query_one("#login-hint", Static).update(_(DEMO_HINT))
        if self.desk.connected is None:  # still connecting
            self.query_one("#login-status", Static).update(_("Connecting to the database…"))

    def on_connected(self, _message: Connected) -> None:
        app = self.desk
        target = app.database.engine.url if app.database else None
        where = (
            target.database
            if target is not None and target.get_backend_name() == "sqlite"
            else (f"{target.host}:{target.port or 5432}/{target.database}" if target is not None else "")
        )
        if not getattr(app, "show_database_location", True):  # a served console: no server paths
            where = ""
        self.query_one("#login-status", Static).update(
            _("Connected to {backend} {where}", backend=app.backend_label, where=where)
        )
        for widget in self.query(Input):
            widget.disabled = False
        self.query_one("#login-name", Input).focus()
        login_as = getattr(app, "login_as", None)
        if login_as:
            self.query_one("#login-name", Input).value = login_as
            self.attempt(login_as, DEMO_PASSWORD)

    def on_demo_preparing(self, message: DemoPreparing) -> None:
        self.query_one("#login-status", Static).update(
            _n(
                "Preparing the demo desk: {done} of 1 ticket…",
                "Preparing the demo desk: {done} of {n} tickets…",
                message.total,
                done=message.done,
            )
            if message.total
            else _("Preparing the demo desk…")
        )

    def on_connect_failed(self, message: ConnectFailed) -> None:
        self.query_one("#login-status", Static).update(_("Cannot connect: {reason}", reason=message.reason))
        self.query_one("#login-error", Static).update(_("Fix the problem, then press F5 to try again."))

    def action_retry(self) -> None:
        if self.desk.connected is not True:
            self.query_one("#login-status", Static).update(_("Connecting to the database…"))
            self.query_one("#login-error", Static).update("")
            self.desk.connect()

    def action_save(self) -> None:
        """Enter in the password: from this key on, keys wait; the fields take the keys already
        handed to them, then the login is checked."""
        if self.busy:
            return
        self._hold()
        name, password = self.query_one("#login-name", Input), self.query_one("#login-password", Input)
        name.call_later(password.call_later, self._submit)

    def _submit(self) -> None:
        login = self.query_one("#login-name", Input).value.strip()
        if not login:
            self._release("#login-name", _("Enter your login."))
            return
        self._check(login, self.query_one("#login-password", Input).value)

    def attempt(self, login: str, password: str) -> None:
        if not self.busy:
            self._hold()
            self._check(login, password)

    def _hold(self) -> None:
        """Checking: no field has the focus (the screen keeps the keys, see on_key)."""
        self.busy = True
        self.held = []
        for field in self.query(Input):
            field.disabled = True
        self.set_focus(None)
        self.query_one("#login-error", Static).update(_("Checking…"))

    def _release(self, field: str, error: str) -> None:
        """Refused: the keys typed meanwhile are dropped; the fields take keys again."""
        self.busy = False
        self.held = []
        for widget in self.query(Input):
            widget.disabled = False
        self.query_one("#login-error", Static).update(Text(error))
        self.query_one(field, Input).focus()

    def on_key(self, event: events.Key) -> None:
        if not self.busy:
            return
        active = self.active_bindings.get(event.key)
        if active is not None and active.binding.action in ("quit", "app.quit"):
            return  # Ctrl+Q still quits
        event.stop()
        event.prevent_default()
        self.held.append(event)

    def _check(self, login: str, password: str) -> None:
        from ..services import auth

        app = self.desk
        assert app.settings is not None  # connected: the settings are loaded
        settings = app.settings
        self.call(
            auth.login,
            app.database,
            login,
            password,
            source=self.source(),
            max_failures=settings.login_max_failures,
            lockout_seconds=settings.login_lockout_seconds,
            result=LoginChecked,
            group="login",
        )

    def source(self) -> str:
        """Where this console is, for throttling by login and source: the SSH server sets
        `app.login_source` ("ssh:<ip>"); a local console names its terminal."""
        from ..services import auth

        return getattr(self.app, "login_source", None) or auth.terminal_source("console")

    def on_login_checked(self, message: LoginChecked) -> None:
        held, self.held = self.held, []
        self.busy = False
        app = self.app
        app.pop_screen()
        self.desk.logged_in(message.value)
        app.run_worker(replay(app.screen, held), group="typed-ahead")

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is LoginChecked:  # said under the password, which is emptied
            message.stop()
            self._refused(message.error)

    def _refused(self, error: Exception) -> None:
        self.query_one("#login-password", Input).value = ""
        self._release("#login-password", refusal_text(error) if str(error) else _("Login failed."))


async def replay(screen: Screen[Any], keys: list[events.Key]) -> None:
    """The keys typed while the login was checked, to `screen` once it is mounted (its on_mount
    asked for the focus first: the keys follow that request)."""
    await AwaitMount(screen, [screen])
    for key in keys:
        screen.app.post_message(events.Key(key.key, key.character))
