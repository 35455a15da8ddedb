"""The Textual console: login, the screens a role may use (F-keys and the command palette), the
header's live connection indicator and the change feed that keeps every screen current.

Start-up is kept light: the first frame is painted before the database stack (SQLAlchemy,
psycopg, pydantic) is imported; a worker loads it and connects (on `deskterm demo`, after preparing
the demo desk: created and filled the first time)."""

from __future__ import annotations

import contextlib
import copy
import queue
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual import work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.worker import get_current_worker

from . import clock, i18n, memory, screens
from .i18n import _
from .messages import Connected, ConnectFailed, DatabaseFailed, DatabaseOpened, DemoPreparing, SessionOpened
from .text import clean
from .widgets.service import ServiceDone, ServiceFailed, call_service, refusal_text

if TYPE_CHECKING:
    from .config import Settings
    from .db import Database
    from .demo_desk import DemoDesk
    from .services.auth import Actor
    from .services.calls import CallSignal
    from .services.changes import FeedPosition
    from .widgets.intake.ringing import IncomingCall


def _screen_bindings() -> list[Binding]:
    return [
        # Not in the footer (it fits 80 columns): the palette and the help screen (?) list them.
        Binding(spec.key, f"goto('{spec.id}')", spec.title, id=f"app.{spec.id}", priority=True, show=False)
        for spec in screens.REGISTRY
    ]


class DeskApp(App[str | None]):
    TITLE = "deskterm"
    CSS_PATH = "app.tcss"
    BINDINGS = [
        *_screen_bindings(),
        Binding("ctrl+g", "open_ticket", "Open ticket…", id="app.open_ticket", show=False),
        Binding("f9", "agent_state", "Ready / away…", id="app.state", show=False),
        Binding("f10", "ready", "Ready / not ready", id="app.ready", show=False),
        Binding("f12", "take_ringing", "Take the ringing call", id="app.take", show=False, priority=True),
        Binding("ctrl+l", "toggle_language", "中文/English", id="app.language", show=False),
        Binding("ctrl+q", "quit", "Quit", id="app.quit", show=False),
        # Not priority: `?` typed into a field is a question mark; F1 opens the keys from a field too.
        Binding("question_mark,f1", "help", "Keys", id="app.help", key_display="?"),
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
        demo_desk: DemoDesk | None = None,
    ) -> None:
        from .widgets.compositor import install

        install()  # wide characters of a toast kept whole over the edges of the panels below
        super().__init__()
        self.db_url = db_url
        # `deskterm demo`: the start-up worker prepares this desk first, then logs its agent in.
        self.demo_desk = demo_desk
        self.login_as = login_as or (demo_desk.login if demo_desk is not None else None)
        self.demo = demo or demo_desk is not None
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
        self.feed_position: Any = None  # services.changes.FeedPosition, from the login on
        self.reconnect_seconds = 2.0
        self.current_ticket: str | None = None  # the ticket being worked (set by the ticket screen)
        # The agent's state, owned by this console (services/presence.py): (state, away reason), since
        # when; each change is queued with its time and published in order by the heartbeat worker.
        self.agent_state: tuple[str, str] = ("available", "")
        self.quit_asked: Screen[Any] | None = None  # Ctrl+Q's question mid-call, while it is asked
        self.agent_state_since: datetime | None = None
        self._states: queue.SimpleQueue[tuple[str, str, datetime]] = queue.SimpleQueue()
        self._acw_timer: Any = None
        # Leaving after-call work: the state asked for while the call's wrap-up code is looked up
        # and asked (dialogs/wrapup.py), and the code chosen (services/calls.finish_after_call).
        self._leaving: tuple[str, str] | None = None
        self.wrapup_asked: Screen[Any] | None = None
        self._wrapup_code = ""
        # The phone system's calls for this agent (services/calls.py): the feed's position, the
        # call being handled (its hang-up starts after-call work), the one waiting (ringing).
        self.call_feed: FeedPosition | None = None
        self.phone_call_pk: int | None = None
        self.ringing: IncomingCall | None = None

    # --- start-up ------------------------------------------------------------------------------

    def run(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("headless"):  # a console on a terminal runs for a shift (snapshots run headless)
            memory.enable()  # its long-lived objects leave the collector's way
        return super().run(*args, **kwargs)

    def on_mount(self) -> None:
        from .screens.login import LoginScreen

        login = LoginScreen(demo=self.demo)
        self.push_screen(login)
        if self.demo_desk is not None:  # said from the first frame on
            login.post_message(DemoPreparing())
        # Importing the database stack in a thread competes for the GIL: start after the first paint.
        self.call_after_refresh(self.connect)

    @work(thread=True, group="connect", exclusive=True, exit_on_error=False)
    def connect(self) -> None:
        """Load settings and the database stack, and check the schema (off the UI thread)."""
        from .config import ConfigError, load_settings
        from .db import DatabaseError, ensure_current, open_database

        try:
            if self.demo_desk is not None:
                self.db_url = self._prepare_demo(self.demo_desk)
                self.demo_desk = None  # prepared: F5 only connects again
            if self.settings is None:
                self.settings = load_settings(database_url=self.db_url).settings
            if self.database is None:
                s = self.settings
                self.database = open_database(
                    s.database_url, busy_timeout_ms=s.sqlite_busy_timeout_ms, pool_size=s.pg_pool_size
                )
            ensure_current(self.database)
        except (ConfigError, DatabaseError) as e:
            self.post_message(DatabaseFailed(str(e)))
            return
        self.post_message(DatabaseOpened())

    def _prepare_demo(self, desk: DemoDesk) -> str:
        """The demo desk created, migrated and filled the first time (the login screen says how
        far); its database URL. An error a user cannot cause is shown there too, as the reason."""
        from .config import ConfigError
        from .db import DatabaseError
        from .demo_desk import prepare

        def progress(stage: str, done: int, total: int) -> None:
            if stage == "tickets":
                self.post_message(DemoPreparing(done, total))

        try:
            return prepare(desk, progress)
        except (ConfigError, DatabaseError):
            raise
        except Exception as e:  # a bug: logged, and said on the login screen rather than hanging there
            self.log.error(e)
            raise DatabaseError(f"the demo desk could not be prepared: {type(e).__name__}: {e}") from e

    def on_demo_preparing(self, message: DemoPreparing) -> None:
        """The start-up worker's progress with the demo desk, for the login screen to show."""
        if self.screen_stack:  # not while the console is closing
            self.screen.post_message(DemoPreparing(message.done, message.total))

    def on_database_opened(self, _message: DatabaseOpened) -> None:
        """Connected: the login screen may log in (a served console logs its agent in at once)."""
        assert self.settings is not None and self.database is not None
        self.connected = True
        if self.actor is None and i18n.language() != self.settings.language:
            i18n.set_language(self.settings.language)
            self.relabel_screens()  # the login screen was built before the desk's language was known
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)
        self.refresh_header()
        if self.session_agent_id is not None and self.actor is None:
            self._session_login(self.session_agent_id)
            return
        self.screen.post_message(Connected())

    def _session_login(self, agent_id: int) -> None:
        """The server authenticated this agent: open their console without asking again."""
        from .services import remote

        call_service(self, remote.session_actor, self.database, agent_id, result=SessionOpened, group="login")

    def on_session_opened(self, message: SessionOpened) -> None:
        self.pop_screen()  # the login screen
        self.logged_in(message.value)

    def on_database_failed(self, message: DatabaseFailed) -> None:
        """The login screen says why (no settings, the database unreachable or not current)."""
        self.connected = False
        self.refresh_header()
        self.screen.post_message(ConnectFailed(message.reason))

    @property
    def backend_label(self) -> str:
        if self.database is None:
            return ""
        return "SQLite" if self.database.is_sqlite else "PostgreSQL"

    # --- login and the screens of a role -------------------------------------------------------

    def logged_in(self, actor: Actor) -> None:
        self.actor = actor
        # The agent's own language (Ctrl+L stored it); without one, the login screen's (the desk's
        # default, or what Ctrl+L chose there).
        if actor.language:
            i18n.set_language(actor.language)
        offered = screens.offered(actor.role)
        for spec in offered:
            self.add_mode(spec.id, spec.load())
        self.refresh_bindings()
        if self.watch_changes_enabled:
            self.watch_changes()
        from .screens.inbox import InboxFeed

        self.inbox_feed = InboxFeed(self)
        self.inbox_feed.start()
        self.set_agent_state("available", force=True)
        self.heartbeat()
        start = screens.home(actor.role)
        self.set_timer(1.0, memory.keep)  # the role's screens and their code are here to stay
        if start is not None:
            self.switch_mode(start.id)
        else:
            self.notify(_("No screens are available for your role."), severity="warning")

    def on_news_read(self, message: Any) -> None:
        """What the inbox feed's last poll found (screens.inbox.NewsRead): the feed takes it in."""
        self.inbox_feed.read(message.value)

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

    async def action_back(self) -> None:
        """Esc backs out: close what is on top; on a top-level screen there is nothing to close."""
        if len(self.screen_stack) > 1:
            self.pop_screen()

    def action_open_ticket(self) -> None:
        """Ctrl+G: open a ticket by its number, from any screen."""
        from .dialogs.ticket import OpenTicketDialog
        from .screens.ticket import open_ticket

        if self.actor is not None:
            self.push_screen(OpenTicketDialog(), lambda number: open_ticket(self, number) if number else None)

    def action_agent_state(self) -> None:
        """F9: ready again, or away with a reason (the desk's list)."""
        from .dialogs.state import StateDialog

        if self.actor is not None:
            self.push_screen(StateDialog(self.agent_state), self._state_chosen)

    def _state_chosen(self, chosen: tuple[str, str] | None) -> None:
        if chosen is not None:
            self.change_state(*chosen)

    def action_ready(self) -> None:
        """F10: ready <-> not ready (away, "not_ready"), on every screen; in after-call work, ready
        (the call's wrap-up code asked first). On a call the state follows the call."""
        if self.actor is None:
            return
        state = self.agent_state[0]
        if state == "on_call":
            self.notify(_("On a call: you are ready again when it ends."), severity="warning")
        elif state == "available":
            self.set_agent_state("away", NOT_READY)
        else:
            self.change_state("available")

    async def action_quit(self) -> None:
        """Ctrl+Q: mid-call (the intake's call timer runs), asked first; the call's draft stays on
        disk either way. Ctrl+Q again, or y, quits."""
        from .dialogs.base import ConfirmDialog

        if self.agent_state[0] != "on_call" or self.screen is self.quit_asked:
            self.exit()
            return
        self.quit_asked = ConfirmDialog(_("A call is in progress. Quit anyway? Its draft is kept."))
        self.push_screen(self.quit_asked, lambda yes: self.exit() if yes else None)

    def action_toggle_language(self) -> None:
        """Ctrl+L: every screen in the other language at once (each mode's screens and what is
        stacked on them, their headers and footers), and the agent's consoles open in it from now on
        (stored in a worker: agents.set_language)."""
        lang = i18n.set_language("zh" if i18n.language() == "en" else "en")
        self.relabel_screens()
        if self.actor is not None and self.database is not None:
            from .services import agents

            self.actor = replace(self.actor, language=lang)
            db, actor = self.database, self.actor
            call_service(self, agents.set_language, db, actor, lang, result=LanguageSaved, group="language")

    def relabel_screens(self) -> None:
        """Every screen in the language now set."""
        from .widgets.chrome import DeskFooter, DeskHeader

        # Every screen of every mode, not only the visible stack (the private attribute is the one
        # list of them Textual keeps); screens read their texts when composed: each composes again.
        for stack in list(self._screen_stacks.values()):
            for screen in stack:
                if hasattr(screen, "relabel"):
                    screen.relabel()
                for header in screen.query(DeskHeader):
                    header.update_from(self)
                for footer in screen.query(DeskFooter):
                    footer.refresh(recompose=True)
        self.refresh_bindings()
        self.screen.refresh(layout=True)

    def action_help(self) -> None:
        """? or F1: every key of this screen and of the console (the footer shows a few)."""
        from .dialogs.help import HelpDialog

        if not isinstance(self.screen, HelpDialog):
            self.push_screen(HelpDialog(self.screen))

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        """The command palette offers the desk's actions, translated: every screen of the role, the
        console's actions, and this screen's own (not Textual's: a table's "Cursor down", themes)."""
        if self.actor is not None:
            for spec in screens.offered(self.actor.role):
                yield SystemCommand(
                    _("Go to: {title}", title=_(spec.title)),
                    f"{spec.key.upper()}",
                    self._goto_callback(spec.id),
                )
        for _key, (node, binding, enabled, _tip) in screen.active_bindings.items():
            if enabled and binding.description and node is screen:
                yield SystemCommand(
                    f"{_(getattr(screen, 'TITLE_TEXT', '') or 'deskterm')}: {_(binding.description)}",
                    binding.key,
                    self._action_callback(node, binding.action),
                )
        if self.actor is not None:
            yield SystemCommand(_("Open ticket…"), "Ctrl+G", self.action_open_ticket)
            yield SystemCommand(_("Ready / away…"), "F9", self.action_agent_state)
            yield SystemCommand(_("Ready / not ready"), "F10", self.action_ready)
        yield SystemCommand(_("Language: English / 简体中文"), "Ctrl+L", self.action_toggle_language)
        yield SystemCommand(_("Keys of this screen"), "? / F1", self.action_help)
        yield SystemCommand(_("Quit"), "Ctrl+Q", self._quit_command)

    def _quit_command(self) -> Any:
        return self.run_action("quit")

    def _goto_callback(self, screen_id: str) -> Callable[[], None]:
        return lambda: self.action_goto(screen_id)

    def _action_callback(self, node: Any, action: str) -> Callable[[], Any]:
        return lambda: self.run_action(action, node)

    # --- the change feed -----------------------------------------------------------------------

    @work(thread=True, group="changes", exclusive=True, exit_on_error=False)
    def watch_changes(self) -> None:
        """Wait for others' changes (NOTIFY or polling) and hand them to subscribed screens. The feed
        starts at the newest event at login; after a lost connection it reads on from the last event
        it handed out, so what was written in the gap is delivered too."""
        from .services import calls
        from .services.changes import ChangeWaiter, FeedPosition, latest_event_id, read_changes

        worker = get_current_worker()
        waiter = None
        assert self.database is not None and self.settings is not None
        while not worker.is_cancelled:
            try:
                if waiter is None:
                    waiter = ChangeWaiter(self.database, self.settings.poll_interval)  # listens first
                    if self.feed_position is None:
                        self.feed_position = FeedPosition(latest_event_id(self.database))
                    if self.call_feed is None:
                        self.call_feed = FeedPosition(calls.latest_event_id(self.database))
                    self._set_connected_from_thread(True)
                    woke = caught_up = True  # catch up on the gap
                else:
                    woke, caught_up = waiter.wait(timeout=1.0), False
                if not woke:
                    continue
                if waiter.take_calls() or caught_up:  # first: a call pops before tickets refresh
                    self._read_calls()
                if waiter.take_presence():
                    self.call_from_thread(self.deliver_presence)
                for batch in read_changes(self.database, self.feed_position):
                    self.call_from_thread(self.deliver_changes, batch)
            except Exception:  # noqa: BLE001 - a lost connection: show it, retry
                self._set_connected_from_thread(False)
                if waiter is not None:
                    with contextlib.suppress(Exception):
                        waiter.close()
                waiter = None
                time.sleep(self.reconnect_seconds)
        if waiter is not None:
            waiter.close()

    def _read_calls(self) -> None:
        """(The feed's thread.) This agent's call events since the last read, to the UI thread;
        an answer's caller looked up here already (their pop too), so the pop needs no more trips."""
        from .services import calls
        from .services.errors import DeskError
        from .services.intake_caller import NumberCallers, callers_of
        from .widgets.intake.ringing import IncomingCall

        assert self.database is not None and self.actor is not None and self.call_feed is not None
        db, actor = self.database, self.actor
        position = copy.deepcopy(self.call_feed)  # moved on once the pops are handed over
        signals = calls.read_feed(db, position, actor.id, page=CALL_PAGE)
        if signals:
            handed: list[CallSignal | IncomingCall] = []
            for signal in signals:
                if signal.event == "answer" and signal.ended_at is None:  # ended since: no pop
                    number = clean(signal.caller or signal.caller_raw, single_line=True)
                    try:
                        found: NumberCallers | None = callers_of(db, actor, number)
                    except DeskError:  # refused: Intake looks it up itself and says why
                        found = None
                    handed.append(IncomingCall(number, signal.call_pk, signal.answered_at, found))
                elif signal.event == "hangup":
                    handed.append(signal)
            if handed:
                self.call_from_thread(self.deliver_calls, handed)
        self.call_feed = position  # (a lost connection above: read again)

    def deliver_calls(self, events: list[CallSignal | IncomingCall]) -> None:
        """The phone system's events for this agent, in order: an answered call pops Intake with
        the caller (or rings while the operator is mid-call); a hang-up ends the call being
        handled (after-call work) or the ringing."""
        from .widgets.intake.ringing import IncomingCall

        for event in events:
            if isinstance(event, IncomingCall):
                self._take(event)
            else:
                self.call_hung_up(event.call_pk)

    # --- calls from the phone system -------------------------------------------------------------

    def take_call(
        self, number: str, *, call_pk: int | None = None, answered_at: datetime | None = None
    ) -> None:
        """Start a call with `number` on Intake (the one entry point: the phone system's pop, a
        call back): the number filled and looked up, the call timer from `answered_at` (None: now).
        Mid-call (Intake's form has content or its timer runs) the call waits, ringing, for F12."""
        from .widgets.intake.ringing import IncomingCall

        self._take(IncomingCall(clean(number, single_line=True), call_pk, answered_at))

    def _take(self, call: IncomingCall) -> None:
        if self.actor is None or not any(s.id == "intake" for s in screens.offered(self.actor.role)):
            return
        intake = self._intake()
        if intake is not None and intake.mid_call():
            self.ringing = call
            self._show_ringing()
            return
        self._answer(call)

    def _intake(self) -> Any:
        """The Intake screen, once its mode was opened (None before)."""
        stack = self._screen_stacks.get("intake")
        return stack[0] if stack else None

    def _answer(self, call: IncomingCall) -> None:
        if self.ringing is not None and self.ringing.call_pk == call.call_pk:
            self.ringing = None
        self.phone_call_pk = call.call_pk
        self.switch_mode("intake")
        self._intake().take(call)  # (a screen not mounted yet takes it when it is)
        self._show_ringing()

    def action_take_ringing(self) -> None:
        """F12: the call waiting is taken; mid-call, once the operator agrees to drop the call in
        progress (its draft goes, as with New call)."""
        from .dialogs.base import ConfirmDialog

        if self.ringing is None:
            return
        call, intake = replace(self.ringing, callers=None), self._intake()  # it waited: looked up again
        if intake is None or not intake.mid_call():
            self._answer(call)
            return

        def go(yes: bool | None) -> None:
            if yes and self.ringing is not None and self.ringing.call_pk == call.call_pk:
                intake.drop_call()
                self._answer(call)

        self.push_screen(ConfirmDialog(_("Discard the call in progress and take the ringing call?")), go)

    def call_hung_up(self, call_pk: int) -> None:
        """The phone system says the call ended: the ringing line goes; the call being handled
        moves the agent to after-call work (the form stays, to be saved)."""
        if self.ringing is not None and self.ringing.call_pk == call_pk:
            self.ringing = None
            self._show_ringing()
        if call_pk == self.phone_call_pk:
            self.phone_call_pk = None
            if self.agent_state[0] == "on_call":
                self.set_agent_state("after_call")

    def _show_ringing(self) -> None:
        """The ringing line in Intake and in every screen's header."""
        from .widgets.chrome import DeskHeader

        for stack in list(self._screen_stacks.values()):
            for screen in stack:
                for header in screen.query(DeskHeader):
                    header.update_from(self)
        intake = self._intake()
        if intake is not None and intake.is_mounted:
            intake.show_ringing(self.ringing)

    # --- the agent's state -----------------------------------------------------------------------

    def set_agent_state(self, state: str, reason: str = "", *, force: bool = False) -> None:
        """The agent is now `state` (available, on_call, after_call, away with a reason). After-call
        work ends by itself after `acw_max_seconds`, unless the agent is ready or on a call before."""
        if (state, reason) == self.agent_state and not force:
            return
        now = clock.now()
        wrapped_up = self.agent_state[0] == "after_call" and state != "after_call"
        self.agent_state, self.agent_state_since = (state, reason), now
        self._states.put((state, reason, now))
        if self._acw_timer is not None:
            self._acw_timer.stop()
            self._acw_timer = None
        if state == "after_call":
            self._acw_timer = self.set_timer(max(self._acw_cap, 0.01), self._acw_over)
        if wrapped_up:
            self._finish_after_call(now)
        self.refresh_header()

    @property
    def _acw_cap(self) -> float:
        return self.settings.acw_max_seconds if self.settings is not None else 120.0

    def _acw_over(self) -> None:
        self._acw_timer = None
        if self.agent_state[0] == "after_call":
            self.set_agent_state("available")

    def call_started(self) -> None:
        """The intake's call timer started."""
        self.set_agent_state("on_call")

    def call_ended(self, *, saved: bool) -> None:
        """The call was saved (a ticket or a chase: after-call work follows) or dropped."""
        if self.agent_state[0] == "on_call":
            self.set_agent_state("after_call" if saved else "available")
        elif saved and self.agent_state[0] == "after_call":  # the phone hung up first: the save ends it
            self.change_state("available")

    # --- after-call work ends with a wrap-up code --------------------------------------------------

    def change_state(self, state: str, reason: str = "") -> None:
        """The agent's own change of state (F9, F10, a save). Leaving after-call work, the call's
        wrap-up code is asked first when the phone system reported the call (none is asked
        without one); Esc in that dialog keeps the agent wrapping up."""
        from .services import calls

        if self.agent_state[0] != "after_call" or (state, reason) == self.agent_state or self.actor is None:
            self.set_agent_state(state, reason)
            return
        self._leaving = (state, reason)
        call_service(self, calls.call_to_wrap_up, self.database, self.actor, result=WrapupDue, group="wrapup")

    def on_wrapup_due(self, message: WrapupDue) -> None:
        from .dialogs.wrapup import WrapupDialog

        leaving, self._leaving = self._leaving, None
        if leaving is None or self.agent_state[0] != "after_call" or self.wrapup_asked is not None:
            return  # the cap or the next call came first, or the code is being asked already
        if message.value is None:
            self.set_agent_state(*leaving)
            return
        self.wrapup_asked = WrapupDialog(message.value)
        self.push_screen(self.wrapup_asked, lambda code: self._wrapped_up(code, leaving))

    def _wrapped_up(self, code: str | None, leaving: tuple[str, str]) -> None:
        self.wrapup_asked = None
        if code is not None and self.agent_state[0] == "after_call":
            self._wrapup_code = code
            self.set_agent_state(*leaving)

    def _finish_after_call(self, at: datetime) -> None:
        """After-call work is over: the call's after-call time and wrap-up code are stored ("" when
        none was chosen: the cap ran out or the next call came; an open wrap-up dialog closes)."""
        from .services import calls

        code, self._wrapup_code = self._wrapup_code, ""
        if self.wrapup_asked is not None and self.screen is self.wrapup_asked:
            self.wrapup_asked.dismiss(None)
        if self.database is not None and self.actor is not None:
            db, actor, cap = self.database, self.actor, self._acw_cap
            call_service(  # not exclusive: each call's after-call work is stored
                self,
                calls.finish_after_call,
                db,
                actor,
                code,
                cap_seconds=cap,
                at=at,
                group="wrapup-finish",
                exclusive=False,
            )

    @work(thread=True, group="presence", exclusive=True, exit_on_error=False)
    def heartbeat(self) -> None:
        """Publish the agent's states in the order they came, and beat until the console closes
        (services/presence.py): the monitor shows a console that stops beating as logged out."""
        from .services import presence
        from .services.errors import DeskError

        worker = get_current_worker()
        assert self.database is not None and self.actor is not None and self.settings is not None
        db, actor, every = self.database, self.actor, self.settings.heartbeat_seconds
        timeout = self.settings.presence_timeout
        due, pending = time.monotonic() + every, None
        while not worker.is_cancelled:
            if pending is None:
                with contextlib.suppress(queue.Empty):
                    pending = self._states.get(timeout=0.2)
            try:
                if pending is not None:
                    state, reason, at = pending
                    presence.publish(db, actor, state, reason=reason, at=at, timeout=timeout)
                    pending, due = None, time.monotonic() + every
                elif time.monotonic() >= due:
                    state, reason = self.agent_state
                    presence.beat(db, actor, state, reason=reason)
                    due = time.monotonic() + every
            except DeskError as e:  # refused (a reason no longer offered): drop it, say so
                pending = None
                self.call_from_thread(self.notify, str(e), severity="warning", markup=False)
            except Exception:  # noqa: BLE001 - offline: the header says so; publish when back
                time.sleep(1.0)
        with contextlib.suppress(Exception):
            presence.leave(db, actor)

    def _set_connected_from_thread(self, ok: bool) -> None:
        if self.connected != ok:
            self.connected = ok
            with contextlib.suppress(RuntimeError):  # the app is shutting down
                self.call_from_thread(self.refresh_header)

    def deliver_presence(self) -> None:
        """An agent's console changed state: screens that show agents refresh them."""
        for subscriber in list(self.subscribers):
            if subscriber.is_attached and hasattr(subscriber, "on_presence_changed"):
                subscriber.on_presence_changed()

    def deliver_changes(self, changes: list[Any]) -> None:
        for subscriber in list(self.subscribers):
            if subscriber.is_attached:
                subscriber.on_desk_changes(changes)
        if self.inbox_feed is not None:  # escalations, notes and assignments come with ticket events
            self.inbox_feed.poll()

    # --- errors and the header -----------------------------------------------------------------

    def notify(self, message: str, *, title: str = "", markup: bool = False, **options: Any) -> None:
        """Every toast shows its text literally and cleaned (an error or a notice may name people's
        text, stored before it was cleaned where it entered): never markup."""
        super().notify(clean(message), title=clean(title), markup=False, **options)

    def sort_service_error(self, error: Exception, user_error: Callable[[Exception], Any]) -> None:
        """One place for what workers raise: an error the user caused goes to `user_error` (which
        posts a ServiceFailed where the call was made); bugs are logged and shown as internal errors."""
        from sqlalchemy.exc import OperationalError

        from .db import DatabaseError, describe_failure
        from .services.auth import RightsChanged
        from .services.errors import DeskError

        if isinstance(error, RightsChanged):  # deactivated or other rights: nothing more can be done here
            from rich.text import Text

            self.exit(return_code=4, message=Text(f"deskterm: {error}"))
            return
        if isinstance(error, DeskError | DatabaseError):
            user_error(error)
            return
        if isinstance(error, OperationalError) and self.database is not None:
            self.connected = False
            self.refresh_header()
            user_error(DatabaseError(describe_failure(self.database.engine, error)))
            return
        self.log.error(error)
        self.notify(
            f"{type(error).__name__}: {error}", title=_("Internal error"), severity="error", markup=False
        )

    def on_service_failed(self, message: ServiceFailed) -> None:
        """A refusal no screen or dialog showed in place: the banner shows it. The agent a served
        console was opened for refused (deactivated meanwhile): the console closes with the reason."""
        from .db import DatabaseError

        if message.call is SessionOpened:
            self.exit(return_code=4, message=str(message.error))
            return
        severity = "error" if isinstance(message.error, DatabaseError) else "warning"
        self.notify(refusal_text(message.error), severity=severity, markup=False)

    def refresh_header(self) -> None:
        from .widgets.chrome import DeskHeader

        for header in self.screen.query(DeskHeader):
            header.update_from(self)


NOT_READY = "not_ready"  # the away reason of F10 (services/reference.py AWAY_REASONS)


class WrapupDue(ServiceDone[Any]):
    """The call whose after-call work is ending, waiting for its wrap-up code (a calls.CallRow;
    None: no call). Typed Any: the database stack is not imported before the first paint."""


CALL_PAGE = 200  # call events read at once by the feed


class LanguageSaved(ServiceDone[None]):
    """Ctrl+L's choice is stored for the agent (agents.set_language); nothing more to do then."""
