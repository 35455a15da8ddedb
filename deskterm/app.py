"""The Textual console: login, the screens a role may use (F-keys and the command palette), the
header's live connection indicator and the change feed that keeps every screen current.

Start-up is kept light: the first frame is painted before the database stack (SQLAlchemy,
psycopg, pydantic) is imported; a worker loads it and connects."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from . import i18n, memory, screens
from .i18n import _
from .messages import Connected, ConnectFailed

if TYPE_CHECKING:
    from .config import Settings
    from .db import Database
    from .services.auth import Actor


def _screen_bindings() -> list[Binding]:
    return [
        Binding(spec.key, f"goto('{spec.id}')", spec.title, id=f"app.{spec.id}", priority=True)
        for spec in screens.REGISTRY
    ]


class DeskApp(App[str | None]):
    TITLE = "deskterm"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        *_screen_bindings(),
        Binding("ctrl+g", "open_ticket", "Open ticket…", id="app.open_ticket", show=False),
        Binding("ctrl+l", "toggle_language", "中文/English", id="app.language", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit"),
    ]

    def __init__(
        self,
        db_url: str | None = None,
        login_as: str | None = None,
        demo: bool = False,
        *,
        settings: Settings | None = None,
        database: Database | None = None,
        watch_changes: bool = True,
        session_agent_id: int | None = None,
        login_source: str | None = None,
    ) -> None:
        super().__init__()
        self.db_url = db_url
        self.login_as = login_as
        self.demo = demo
        # Set only by `deskterm serve`, which authenticated this agent before starting the console.
        self.session_agent_id = session_agent_id
        self.login_source = login_source  # where the login screen's tries come from (throttling)
        self.settings: Settings | None = settings
        self.database: Database | None = database
        self.actor: Actor | None = None
        self.connected: bool | None = None
        self.unread = 0
        self.inbox_feed: Any = None  # screens.inbox.InboxFeed once logged in: unread count and toasts
        self.watch_changes_enabled = watch_changes
        self.subscribers: set[Any] = set()
        self.last_event_id = 0
        self.current_ticket: str | None = None  # the ticket being worked (set by the ticket screen)

    # --- start-up ------------------------------------------------------------------------------

    def run(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("headless"):  # a console on a terminal runs for a shift (snapshots run headless)
            memory.enable()  # its long-lived objects leave the collector's way
        return super().run(*args, **kwargs)

    def on_mount(self) -> None:
        from .screens.login import LoginScreen

        self.push_screen(LoginScreen(demo=self.demo))
        # Importing the database stack in a thread competes for the GIL: start after the first paint.
        self.call_after_refresh(self.connect)

    @work(thread=True, group="connect", exclusive=True, exit_on_error=False)
    def connect(self) -> None:
        """Load settings and the database stack, and check the schema (off the UI thread)."""
        from .config import ConfigError, load_settings
        from .db import DatabaseError, ensure_current, open_database

        try:
            if self.settings is None:
                self.settings = load_settings(database_url=self.db_url).settings
            if self.database is None:
                s = self.settings
                self.database = open_database(
                    s.database_url, busy_timeout_ms=s.sqlite_busy_timeout_ms, pool_size=s.pg_pool_size
                )
            ensure_current(self.database)
        except (ConfigError, DatabaseError) as e:
            self.call_from_thread(self._connect_failed, str(e))
            return
        self.call_from_thread(self._connected)

    def _connected(self) -> None:
        assert self.settings is not None and self.database is not None
        self.connected = True
        if self.actor is None:
            i18n.set_language(self.settings.language)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.refresh_header()
        if self.session_agent_id is not None and self.actor is None:
            self._session_login(self.session_agent_id)
            return
        self.screen.post_message(Connected())

    def _session_login(self, agent_id: int) -> None:
        """The server authenticated this agent: open their console without asking again."""
        from .screens.base import call_service
        from .services import remote

        def done(actor: Actor) -> None:
            self.pop_screen()  # the login screen
            self.logged_in(actor)

        def refused(error: Exception) -> None:
            self.exit(return_code=4, message=str(error))

        call_service(
            self, remote.session_actor, self.database, agent_id, done=done, failed=refused, group="login"
        )

    def _connect_failed(self, message: str) -> None:
        self.connected = False
        self.refresh_header()
        self.screen.post_message(ConnectFailed(message))

    @property
    def backend_label(self) -> str:
        if self.database is None:
            return ""
        return "SQLite" if self.database.is_sqlite else "PostgreSQL"

    # --- login and the screens of a role -------------------------------------------------------

    def logged_in(self, actor: Actor) -> None:
        self.actor = actor
        i18n.set_language(actor.language or (self.settings.language if self.settings else "en"))
        offered = screens.offered(actor.role)
        for spec in offered:
            self.add_mode(spec.id, spec.load())
        self.refresh_bindings()
        if self.watch_changes_enabled:
            self.watch_changes()
        from .screens.inbox import InboxFeed

        self.inbox_feed = InboxFeed(self)
        self.inbox_feed.start()
        self.heartbeat()
        start = screens.home(actor.role)
        self.set_timer(1.0, memory.keep)  # the role's screens and their code are here to stay
        if start is not None:
            self.switch_mode(start.id)
        else:
            self.notify(_("No screens are available for your role."), severity="warning")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "goto":
            return self.actor is not None and any(
                s.id == parameters[0] for s in screens.offered(self.actor.role)
            )
        return True

    def action_goto(self, screen_id: str) -> None:
        if self.actor is None or not any(s.id == screen_id for s in screens.offered(self.actor.role)):
            return
        self.switch_mode(screen_id)

    def action_back(self) -> None:
        """Esc backs out: close what is on top; on a top-level screen there is nothing to close."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_open_ticket(self) -> None:
        """Ctrl+G: open a ticket by its number, from any screen."""
        from .screens.ticket import OpenTicketDialog, open_ticket

        if self.actor is not None:
            self.push_screen(OpenTicketDialog(), lambda number: open_ticket(self, number) if number else None)

    def action_toggle_language(self) -> None:
        i18n.set_language("zh" if i18n.language() == "en" else "en")
        # Screens read their texts when composed: compose the visible ones again.
        for screen in self.screen_stack:
            if hasattr(screen, "relabel"):
                screen.relabel()
        self.refresh_bindings()
        self.refresh_header()
        self.screen.refresh(layout=True)

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette offers every screen of the role and every action of this screen."""
        if self.actor is not None:
            for spec in screens.offered(self.actor.role):
                yield SystemCommand(
                    _("Go to: {title}", title=_(spec.title)),
                    f"{spec.key.upper()}",
                    self._goto_callback(spec.id),
                )
        for _key, (node, binding, enabled, _tip) in screen.active_bindings.items():
            if enabled and binding.description and not binding.action.startswith("goto"):
                yield SystemCommand(
                    f"{_(getattr(screen, 'TITLE_TEXT', '') or 'deskterm')}: {_(binding.description)}",
                    binding.key,
                    self._action_callback(node, binding.action),
                )
        yield SystemCommand(_("Language: English / 简体中文"), "Ctrl+L", self.action_toggle_language)
        yield from super().get_system_commands(screen)

    def _goto_callback(self, screen_id: str):  # type: ignore[no-untyped-def]
        return lambda: self.action_goto(screen_id)

    def _action_callback(self, node: Any, action: str):  # type: ignore[no-untyped-def]
        return lambda: self.run_action(action, node)

    # --- the change feed -----------------------------------------------------------------------

    @work(thread=True, group="changes", exclusive=True, exit_on_error=False)
    def watch_changes(self) -> None:
        """Wait for others' changes (NOTIFY or polling) and hand them to subscribed screens."""
        from .services.changes import ChangeWaiter, events_after, latest_event_id

        worker = get_current_worker()
        waiter = None
        assert self.database is not None and self.settings is not None
        while not worker.is_cancelled:
            try:
                if waiter is None:
                    waiter = ChangeWaiter(self.database, self.settings.poll_interval)
                    self.last_event_id = latest_event_id(self.database)
                    self._set_connected_from_thread(True)
                if not waiter.wait(timeout=1.0):
                    continue
                new = events_after(self.database, self.last_event_id)
                if new:
                    self.last_event_id = new[-1].event_id
                    self.call_from_thread(self.deliver_changes, new)
            except Exception:  # noqa: BLE001 - a lost connection: show it, retry
                self._set_connected_from_thread(False)
                if waiter is not None:
                    waiter.close()
                waiter = None
                time.sleep(2.0)
        if waiter is not None:
            waiter.close()

    @work(thread=True, group="presence", exclusive=True, exit_on_error=False)
    def heartbeat(self) -> None:
        """Publish the agent as available, then beat until the console closes (services/presence.py):
        the monitor shows a console that stops beating as logged out."""
        from .services import presence

        worker = get_current_worker()
        assert self.database is not None and self.actor is not None and self.settings is not None
        db, actor, every = self.database, self.actor, self.settings.heartbeat_seconds
        due, first = 0.0, True
        while not worker.is_cancelled:
            if time.monotonic() >= due:
                with contextlib.suppress(Exception):  # offline: the header says so; beat again later
                    presence.publish(db, actor, presence.AVAILABLE) if first else presence.beat(db, actor)
                    first = False
                due = time.monotonic() + every
            time.sleep(0.2)
        with contextlib.suppress(Exception):
            presence.leave(db, actor)

    def set_presence(self, state: str) -> None:
        """Publish the agent's state (e.g. the intake screen: on a call, after-call work)."""
        from .screens.base import call_service
        from .services import presence

        if self.actor is not None and self.database is not None:
            call_service(self, presence.publish, self.database, self.actor, state, group="presence-state")

    def _set_connected_from_thread(self, ok: bool) -> None:
        if self.connected != ok:
            self.connected = ok
            with contextlib.suppress(RuntimeError):  # the app is shutting down
                self.call_from_thread(self.refresh_header)

    def deliver_changes(self, changes: list[Any]) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.is_attached:
                subscriber.on_desk_changes(changes)
        if self.inbox_feed is not None:  # escalations, notes and assignments come with ticket events
            self.inbox_feed.poll()

    # --- errors and the header -----------------------------------------------------------------

    def handle_service_error(self, error: Exception, failed: Any = None) -> None:
        """One place for what workers raise: users' errors become messages, bugs are logged loudly."""
        from sqlalchemy.exc import OperationalError

        from .db import DatabaseError, describe_failure
        from .services.errors import DeskError

        if isinstance(error, DeskError | DatabaseError):
            if failed is not None:
                failed(error)
            else:
                self.notify(str(error), severity="warning", markup=False)
            return
        if isinstance(error, OperationalError) and self.database is not None:
            self.connected = False
            self.refresh_header()
            message = describe_failure(self.database.engine, error)
            if failed is not None:
                failed(DatabaseError(message))
            else:
                self.notify(message, severity="error", markup=False)
            return
        self.log.error(error)
        self.notify(
            f"{type(error).__name__}: {error}", title=_("Internal error"), severity="error", markup=False
        )

    def refresh_header(self) -> None:
        from .widgets.chrome import DeskHeader

        for header in self.screen.query(DeskHeader):
            header.update_from(self)
