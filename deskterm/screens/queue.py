"""The personal work queue (UWQ): Mine, Team, Callbacks, Escalated to me and Watching, each with its
count; a window of at most a few hundred rows read a page at a time as the cursor moves, sorted and
filtered in SQL; live SLA countdowns; rows updated by key when others change tickets. The screen
coordinates its panels (widgets/queue_bar.py, queue_window.py, queue_table.py) and acts on tickets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.timer import Timer
from textual.widgets import DataTable, Input

from ..dialogs.assign import AssignDialog
from ..i18n import _
from ..services import auth, queue, tickets, workflow
from ..services.errors import Conflict
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.queue_bar import QueueBar, QueueViews
from ..widgets.queue_table import COLUMNS, QueueTable
from ..widgets.queue_window import Query, QueueWindow
from ..widgets.service import ServiceDone, ServiceFailed
from .base import DeskScreen
from .ticket import TicketScreen

TAB_WAIT = 0.1  # seconds: a view's tab moves when its first rows come, at the latest after this


class Claimed(ServiceDone[tickets.TicketRow]):
    """The agent's claim won: the ticket is theirs."""


class ViewToAssign(ServiceDone[workflow.TicketView]):
    """The ticket to assign, as it is now."""


class ViewToWatch(ServiceDone[workflow.TicketView]):
    """The ticket to watch or stop watching, as it is now."""


class Watched(ServiceDone[bool]):
    """The agent watches the ticket now (True) or no longer (False)."""


class QueueScreen(DeskScreen):
    TITLE_TEXT = "Work queue"
    BINDINGS = [
        Binding("1", "view('mine')", "Mine", id="queue.mine", show=False),
        Binding("2", "view('team')", "Team", id="queue.team", show=False),
        Binding("3", "view('callbacks')", "Callbacks", id="queue.callbacks", show=False),
        Binding("4", "view('escalated')", "Escalated to me", id="queue.escalated", show=False),
        Binding("5", "view('watching')", "Watching", id="queue.watching", show=False),
        Binding("enter", "open", "Open", id="queue.open"),
        Binding("c", "claim", "Claim", id="queue.claim"),
        Binding("a", "assign", "Assign", id="queue.assign"),
        Binding("w", "watch", "Watch", id="queue.watch", show=False),
        # at once (priority), so the keys typed right after "/" land in the filter
        Binding("slash", "filter", "Filter", id="queue.filter", priority=True),
        Binding("s", "sort", "Sort", id="queue.sort"),
        Binding("r", "reverse", "Reverse", id="queue.reverse", show=False),
        Binding("o", "default_order", "Default order", id="queue.default_order", show=False),
        Binding("ctrl+r", "reload", "Reload", id="queue.reload", show=False),
        Binding("escape", "escape", "Back", id="queue.back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.shown = Query()  # the view, order and filter on screen
        self.acting_on: queue.QueueRow | None = None  # the row of the last claim, assign or watch
        self._tab_timer: Timer | None = None  # shows the tab of a view whose rows are slow to come

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield QueueViews(id="queue-views")
        yield QueueBar(id="queue-bar")
        yield QueueWindow(id="queue-window", drawn=self._view_drawn)
        yield DeskFooter()

    @property
    def views(self) -> QueueViews:
        return self.query_one(QueueViews)

    @property
    def window(self) -> QueueWindow:
        return self.query_one(QueueWindow)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    def on_mount(self) -> None:
        self.window.load(self.shown)
        self.set_interval(5, self.table.tick)
        self.table.focus()

    def relabel(self) -> None:
        self.views.relabel()
        self.query_one(QueueBar).relabel()
        self.window.relabel()
        self.query_one(DeskFooter).refresh(recompose=True)

    def _show(self, **changes: Any) -> None:
        """Another view, order or filter: read from its first row."""
        self.shown = replace(self.shown, **changes)
        self.query_one(QueueBar).show_order(self.shown.sort, self.shown.descending)
        self.window.load(self.shown)

    # --- what the panels report ----------------------------------------------------------------------

    @on(QueueWindow.Read)
    def _read(self) -> None:
        self.views.load_counts()

    @on(QueueBar.Filtered)
    def _filtered(self, event: QueueBar.Filtered) -> None:
        self._show(text=event.text)

    def on_desk_changes(self, changes: list[Any]) -> None:
        self.window.changed(changes)

    def on_screen_resume(self) -> None:
        if self.window.loaded_once:
            self.window.refresh_window()

    # --- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        actor = self.desk.actor
        if action == "claim":
            return self.shown.view == "team" and actor is not None and auth.can(actor, "tickets.claim")
        if action == "assign":
            return actor is not None and actor.is_supervisor
        return True

    @on(DataTable.RowSelected)
    def _chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def _target(self) -> queue.QueueRow | None:
        """The row the action is for (see QueueTable.target), remembered for the action's result."""
        self.acting_on = row = self.table.target()
        return row

    def action_view(self, view: str) -> None:
        if view != self.shown.view:
            self._show(view=view)
            # the tab and the footer change with the view's first rows, in the frame that draws
            # them (a frame of its own before would put the rows up to two frame periods later),
            # or after TAB_WAIT when the read is slow
            if self._tab_timer is not None:
                self._tab_timer.stop()
            self._tab_timer = self.set_timer(TAB_WAIT, self._view_drawn)
        if not self.table.has_focus:  # focus() would draw the table again, unchanged
            self.table.focus()

    def _view_drawn(self, _query: Query | None = None) -> None:
        """The view's first rows are drawn (or are slow to come): its tab and keys follow."""
        if self._tab_timer is not None:
            self._tab_timer.stop()
            self._tab_timer = None
        found = self.query(QueueViews)
        if not found:  # the screen is being taken down (the app quits while a read was under way)
            return
        views = found.first()
        if views.view != self.shown.view:
            views.show(self.shown.view)
            self.refresh_bindings()  # Claim is offered in the Team view only: the footer follows

    def action_open(self) -> None:
        row = self._target()
        if row is not None:
            self.app.push_screen(TicketScreen(row.number))

    def action_claim(self) -> None:
        if self.shown.view != "team":
            return
        row = self._target()
        if row is not None:
            self.call(
                tickets.claim,
                self.desk.database,
                self.desk.actor,
                row.number,
                version=row.version,
                result=Claimed,
            )

    def on_claimed(self, _message: Claimed) -> None:
        if self.acting_on is not None:
            self.notify(_("{number} is yours now.", number=self.acting_on.number), markup=False)
            self._drop(self.acting_on.number)

    def on_service_failed(self, message: ServiceFailed) -> None:
        # the app's banner says why; a ticket someone else has has left the team's queue
        if message.call is Claimed and isinstance(message.error, Conflict) and self.acting_on is not None:
            self._drop(self.acting_on.number)

    def _drop(self, number: str) -> None:
        self.window.drop(number)
        self.views.load_counts()

    def action_assign(self) -> None:
        row = self._target()
        if row is not None:
            self.call(workflow.get_view, self.desk.database, self.desk.actor, row.number, result=ViewToAssign)

    def on_view_to_assign(self, message: ViewToAssign) -> None:
        view, row = message.value, self.acting_on
        if row is None:
            return
        if view.version != row.version:  # changed since the row was drawn: look again first
            self.notify(
                _("{number} changed since it was shown: nothing was done.", number=row.number),
                severity="warning",
                markup=False,
            )
            self.window.refresh_window()
            return
        self.app.push_screen(
            AssignDialog.for_view(view), lambda ok: self.window.refresh_window() if ok else None
        )

    def action_watch(self) -> None:
        row = self._target()
        if row is not None:
            self.call(workflow.get_view, self.desk.database, self.desk.actor, row.number, result=ViewToWatch)

    def on_view_to_watch(self, message: ViewToWatch) -> None:
        number = message.value.detail.number
        self.call(
            workflow.watch,
            self.desk.database,
            self.desk.actor,
            number,
            not message.value.watching,
            result=Watched,
        )

    def on_watched(self, message: Watched) -> None:
        number = self.acting_on.number if self.acting_on is not None else ""
        self.notify(
            _("Watching {number}.", number=number)
            if message.value
            else _("No longer watching {number}.", number=number),
            markup=False,
        )
        self.views.load_counts()
        if self.shown.view == "watching":
            self.window.refresh_window()

    def action_filter(self) -> None:
        field = self.query_one("#queue-filter", Input)
        if self.focused is field or not self.is_active:
            raise SkipAction()  # a "/" typed in the filter is its own
        self.set_focus(field)

    @on(Input.Submitted, "#queue-filter")
    def _filter_done(self) -> None:
        self.table.focus()

    def action_escape(self) -> None:
        field = self.query_one("#queue-filter", Input)
        if field.has_focus:
            if field.value:
                field.value = ""
            self.table.focus()

    def action_sort(self) -> None:
        keys = ["default"] + [k for k, _l, _w in COLUMNS]
        self._show(sort=keys[(keys.index(self.shown.sort) + 1) % len(keys)], descending=False)

    def action_reverse(self) -> None:
        if self.shown.sort != "default":
            self._show(descending=not self.shown.descending)

    def action_default_order(self) -> None:
        self._show(sort="default", descending=False)

    def action_reload(self) -> None:
        self.window.load()
