"""The login screen: login and password; shown at once, while the database stack loads."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.widgets import Input, Static

from ..i18n import _, _n
from ..messages import Connected, ConnectFailed, DemoPreparing
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.service import ServiceDone, ServiceFailed
from .base import DeskScreen

DEMO_PASSWORD = "demo"
DEMO_HINT = "Demo logins, password 'demo': operator · engineer · expert · supervisor · head · admin"


class LoginChecked(ServiceDone[Any]):
    """The login and password were right: the value is the agent (services.auth.Actor)."""


class LoginScreen(DeskScreen):
    TITLE_TEXT = "Log in"
    BINDINGS = [Binding("f5", "retry", "Retry connection", id="login.retry", show=False)]

    def __init__(self, demo: bool = False) -> None:
        super().__init__()
        self.demo = demo
        self.busy = False

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

    @on(Input.Submitted, "#login-name")
    def _next(self) -> None:
        self.query_one("#login-password", Input).focus()

    @on(Input.Submitted, "#login-password")
    def _submit(self) -> None:
        login = self.query_one("#login-name", Input).value.strip()
        password = self.query_one("#login-password", Input).value
        if not login:
            self.query_one("#login-error", Static).update(_("Enter your login."))
            self.query_one("#login-name", Input).focus()
            return
        self.attempt(login, password)

    def attempt(self, login: str, password: str) -> None:
        if self.busy:
            return
        from ..services import auth

        app = self.desk
        assert app.settings is not None  # connected: the settings are loaded
        settings = app.settings
        self.busy = True
        self.query_one("#login-error", Static).update(_("Checking…"))
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
        self.busy = False
        self.app.pop_screen()
        self.desk.logged_in(message.value)

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is LoginChecked:  # said under the password, which is emptied
            message.stop()
            self._refused(message.error)

    def _refused(self, error: Exception) -> None:
        self.busy = False
        self.query_one("#login-error", Static).update(_(str(error)) if str(error) else _("Login failed."))
        password = self.query_one("#login-password", Input)
        password.value = ""
        password.focus()
