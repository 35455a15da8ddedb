"""The personal work queue (UWQ): Mine, Team, Callbacks, Escalated to me and Watching, each with its
count; a window of at most a few hundred rows read a page at a time as the cursor moves, sorted and
filtered in SQL; live SLA countdowns; rows updated by key when others change tickets."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.widgets import DataTable, Input, Static

from .. import clock
from ..dialogs.assign import AssignDialog
from ..i18n import _
from ..services import queue, tickets, workflow
from ..services.errors import Conflict
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.labels import status_label
from ..widgets.table import FastTable
from ..widgets.ticket_format import age, cell, countdown, priority_text
from .base import DeskScreen
from .ticket import TicketScreen

VIEW_TITLES = {
    "mine": "Mine",
    "team": "Team",
    "callbacks": "Callbacks",
    "escalated": "Escalated to me",
    "watching": "Watching",
}
# (sort key, header, width); the summary takes what is left
COLUMNS = (
    ("number", "Number", 9),
    ("priority", "P", 2),
    ("due", "SLA due", 10),
    ("customer", "Customer", 12),
    ("organisation", "Organisation", 12),
    ("summary", "Summary", 24),
    ("status", "Status", 12),
    ("assignee", "Assignee", 10),
    ("age", "Age", 7),
)
FIRST = 50  # rows read and drawn first: a screenful, quickly; the rest follows at once
PAGE = 100  # rows read and drawn as the cursor nears the window's end
WINDOW = 400  # rows held by the table at most
EDGE = 20  # rows from the window's end at which the next page is read


class QueueTable(FastTable):
    """The queue's table. It tells the cursor moves the agent makes (keys, mouse) from those made
    by code (a live refresh that removed the row under the cursor), and keeps the ticket the agent
    put the cursor on: an action is for that ticket, not for whatever row slid under the cursor."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.chosen: str | None = None  # the number the agent put the cursor on
        self._by_code = 0

    @contextmanager
    def by_code(self) -> Iterator[None]:
        """Cursor moves inside this block are not the agent's."""
        self._by_code += 1
        try:
            yield
        finally:
            self._by_code -= 1

    def cursor_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self._by_code:
            self.chosen = self.cursor_key()


class QueueScreen(DeskScreen):
    TITLE_TEXT = "Work queue"
    DEFAULT_CSS = """
    QueueScreen #queue-views { height: 1; padding: 0 1; }
    QueueScreen #queue-bar { height: 1; padding: 0 1; }
    QueueScreen #queue-filter { width: 1fr; }
    QueueScreen #queue-sort { width: auto; padding-left: 2; color: $text-muted; }
    QueueScreen #queue-table { height: 1fr; }
    QueueScreen #queue-status { height: 1; padding: 0 1; color: $text-muted; }
    """
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
        Binding("slash", "filter", "Filter", id="queue.filter"),
        Binding("s", "sort", "Sort", id="queue.sort"),
        Binding("r", "reverse", "Reverse", id="queue.reverse", show=False),
        Binding("o", "default_order", "Default order", id="queue.default_order", show=False),
        Binding("ctrl+r", "reload", "Reload", id="queue.reload", show=False),
        Binding("escape", "escape", "Back", id="queue.back", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = "mine"
        self.sort = "default"
        self.descending = False
        self.query_text = ""
        self.rows: list[queue.QueueRow] = []
        self.at_top = True  # the window starts at the view's first row
        self.window_offset = 0  # for sorts paged by offset
        self.more_after = False
        self.counts: dict[str, int] = {}
        self.paging = False
        self.refreshing = False
        self.refresh_again = False
        self.loaded_once = False
        self.generation = 0  # bumped by every (re)load: results of an older one are dropped
        self._filter_timer: Timer | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="queue-views", markup=False)
        with Horizontal(id="queue-bar"):
            yield Input(
                placeholder=_("/ filter: number, customer, summary, phone"), id="queue-filter", compact=True
            )
            yield Static("", id="queue-sort", markup=False)
        yield QueueTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-status", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label, width in COLUMNS:
            table.add_column(_(label), key=key, width=width)
        self._render_views()
        self._render_sort()
        self.load()
        self.set_interval(5, self._tick)
        table.focus()

    def relabel(self) -> None:
        self.refresh(recompose=True)

        def again() -> None:
            table = self.query_one(DataTable)
            for key, label, width in COLUMNS:
                table.add_column(_(label), key=key, width=width)
            self._render_views()
            self._render_sort()
            self._fill(self.rows, self._cursor_key(), live=False)

        self.call_after_refresh(again)

    # --- reading -------------------------------------------------------------------------------

    def _args(self) -> dict[str, Any]:
        return {"sort": self.sort, "descending": self.descending, "query": self.query_text}

    def load(self) -> None:
        """The view from its first row (after a switch of view, sort or filter)."""
        self.generation += 1
        self.paging = True
        self.refreshing = False
        self.call(
            queue.read_window,
            self.desk.database,
            self.desk.actor,
            self.view,
            count=FIRST,
            done=self._current(self._loaded),
            failed=self._failed,
            group="queue-window",
            **self._args(),
        )

    def _current(self, fn: Any) -> Any:
        """fn, unless the view, sort or filter changed since the read began (then nothing)."""
        generation = self.generation

        def deliver(result: Any) -> None:
            if generation == self.generation:
                fn(result)

        return deliver

    def load_counts(self) -> None:
        self.call(queue.counts, self.desk.database, self.desk.actor, done=self._counted, group="queue-counts")

    def _failed(self, error: Exception) -> None:
        self.paging = self.refreshing = False
        self.notify(str(error), severity="warning", markup=False)

    def _loaded(self, result: tuple[list[queue.QueueRow], bool]) -> None:
        rows, more = result
        self.paging = False
        self.at_top, self.window_offset, self.more_after = True, 0, more
        self._fill(rows, None, live=False)
        self.loaded_once = True
        self.call_after_refresh(self._after_first_rows)  # the first rows are painted first

    def _after_first_rows(self) -> None:
        self.load_counts()
        self._next_page()

    def _counted(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self._render_views()

    def _next_page(self) -> None:
        if self.paging or not self.more_after or not self.rows:
            return
        self.paging = True
        if self.sort == "default":
            kwargs: dict[str, Any] = {"after": self.rows[-1].key}
        else:
            kwargs = {"offset": self.window_offset + len(self.rows)}
        self.call(
            queue.page,
            self.desk.database,
            self.desk.actor,
            self.view,
            limit=PAGE,
            done=self._current(self._appended),
            failed=self._failed,
            group="queue-page",
            **self._args(),
            **kwargs,
        )

    def _appended(self, got: queue.QueuePage) -> None:
        self.paging = False
        table = self.query_one(QueueTable)
        known = {r.number for r in self.rows}
        new = [r for r in got.rows if r.number not in known]
        now = clock.now()
        with table.by_code():
            for row in new:
                table.add_row(*self._cells(row, now), key=row.number)
            self.rows += new
            self.more_after = got.more
            if len(self.rows) > WINDOW:  # keep a window: drop the first page
                drop = self.rows[:PAGE]
                key = self._cursor_key()
                self.rows = self.rows[PAGE:]
                self.at_top = False
                self.window_offset += PAGE
                for row in drop:
                    table.remove_row(row.number)
                if key is not None and key in {r.number for r in self.rows}:
                    table.move_cursor(row=table.get_row_index(key), animate=False)
        self._render_status()

    def _previous_page(self) -> None:
        if self.paging or self.at_top or not self.rows:
            return
        self.paging = True
        if self.sort == "default":
            kwargs: dict[str, Any] = {"before": self.rows[0].key}
        else:
            kwargs = {"offset": max(0, self.window_offset - PAGE)}
        self.call(
            queue.page,
            self.desk.database,
            self.desk.actor,
            self.view,
            limit=PAGE if self.sort == "default" else min(PAGE, self.window_offset),
            done=self._current(self._prepended),
            failed=self._failed,
            group="queue-page",
            **self._args(),
            **kwargs,
        )

    def _prepended(self, got: queue.QueuePage) -> None:
        self.paging = False
        known = {r.number for r in self.rows}
        new = [r for r in got.rows if r.number not in known]
        self.window_offset = max(0, self.window_offset - len(new))
        self.at_top = (not got.more) if self.sort == "default" else self.window_offset == 0
        rows = new + self.rows
        if len(rows) > WINDOW:
            rows = rows[:WINDOW]
            self.more_after = True
        self._fill(rows, self._cursor_key(), live=False)

    # --- live ------------------------------------------------------------------------------------

    def on_desk_changes(self, changes: list[Any]) -> None:
        # rows on screen are patched at once (one cheap read by id); the window is then read
        # again for what joined, left or moved
        shown = {r.id for r in self.rows}
        ids = sorted({c.ticket_id for c in changes if c.ticket_id in shown})
        if ids:
            self.call(
                queue.rows_by_ids,
                self.desk.database,
                self.desk.actor,
                ids,
                done=self._current(self._patch),
                group="queue-patch",
                exclusive=False,
            )
        self.refresh_window()

    def _patch(self, fresh: list[queue.QueueRow]) -> None:
        table = self.query_one(DataTable)
        by_id = {r.id: r for r in fresh}
        now = clock.now()
        for i, old in enumerate(self.rows):
            new = by_id.get(old.id)
            if new is None or replace(new, key=old.key) == old:
                continue
            self.rows[i] = replace(new, key=old.key)  # its place in the order: the next read's
            for (key, _l, _w), value in zip(COLUMNS, self._cells(new, now), strict=True):
                table.update_cell(new.number, key, value)

    def refresh_window(self) -> None:
        """Read the loaded window again and apply it by key (coalesced: one read at a time)."""
        if not self.loaded_once or self.paging:
            self.refresh_again = True
            return
        if self.refreshing:
            self.refresh_again = True
            return
        self.refreshing = True
        self.refresh_again = False
        if self.at_top or not self.rows:
            start: Any = None
        elif self.sort == "default":
            start = self.rows[0].key
        else:
            start = self.window_offset
        self.call(
            queue.read_window,
            self.desk.database,
            self.desk.actor,
            self.view,
            start=start,
            count=max(len(self.rows), PAGE),
            done=self._current(self._refreshed),
            failed=self._failed,
            group="queue-refresh",
            **self._args(),
        )
        self.load_counts()

    def _refreshed(self, result: tuple[list[queue.QueueRow], bool]) -> None:
        rows, more = result
        self.refreshing = False
        self.more_after = more
        self._apply(rows)
        if self.refresh_again:
            self.refresh_window()

    def _apply(self, rows: list[queue.QueueRow]) -> None:
        """Same rows in the same order: update the changed cells; otherwise rebuild, keeping the
        cursor on its ticket (or its place, if the ticket left the view: see QueueTable)."""
        table = self.query_one(DataTable)
        if [r.number for r in rows] != [r.number for r in self.rows]:
            self._fill(rows, self._cursor_key(), live=True)
            return
        now = clock.now()
        for old, new in zip(self.rows, rows, strict=True):
            if old != new:
                for (key, _l, _w), value in zip(COLUMNS, self._cells(new, now), strict=True):
                    table.update_cell(new.number, key, value)
        self.rows = rows

    def _tick(self) -> None:
        """The SLA countdowns and ages move on (only the cells whose text changed are redrawn)."""
        table = self.query_one(DataTable)
        now = clock.now()
        for r in self.rows:
            for key, value in (("due", self._due(r, now)), ("age", Text(age(r.created_at, now)))):
                shown = table.get_cell(r.number, key)
                if (shown.plain, shown.style) != (value.plain, value.style):
                    table.update_cell(r.number, key, value)

    # --- drawing ---------------------------------------------------------------------------------

    @staticmethod
    def _due(r: queue.QueueRow, now: Any) -> Text:
        return countdown(
            r.resolve_by, now, status=r.status, resolved_at=r.resolved_at if r.status != "closed" else None
        )

    def _cells(self, r: queue.QueueRow, now: Any) -> tuple[Any, ...]:
        number = Text(r.number, style="bold red" if r.escalation_level else "")
        return (
            number,
            priority_text(r.priority),
            self._due(r, now),
            cell(r.customer),
            cell(r.organisation),
            cell(r.summary),
            Text(status_label(r.status)),
            cell(r.assignee),
            Text(age(r.created_at, now)),
        )

    def _fill(self, rows: list[queue.QueueRow], keep: str | None, *, live: bool) -> None:
        """Draw `rows`, the cursor on `keep` (or at its place). After a live refresh the ticket
        the agent chose stays chosen, even if another row now sits under the cursor."""
        table = self.query_one(QueueTable)
        place = table.cursor_row
        with table.by_code():
            table.clear()
            now = clock.now()
            for r in rows:
                table.add_row(*self._cells(r, now), key=r.number)
            self.rows = rows
            if rows:
                index = next((i for i, r in enumerate(rows) if r.number == keep), min(place, len(rows) - 1))
                table.move_cursor(row=max(0, index), animate=False)
        if not live:
            table.chosen = table.cursor_key()
        self._render_status()

    def _render_views(self) -> None:
        text = Text(no_wrap=True, overflow="ellipsis")
        for i, (view, title) in enumerate(VIEW_TITLES.items(), 1):
            count = self.counts.get(view)
            label = f" {i} {_(title)}" + (f" ({count})" if count is not None else "") + " "
            text.append(label, style="bold reverse" if view == self.view else "")
            text.append(" ")
        self.query_one("#queue-views", Static).update(text)

    def _render_sort(self) -> None:
        if self.sort == "default":
            label = _("Order: breached, priority, due")
        else:
            title = next(t for k, t, _w in COLUMNS if k == self.sort)
            label = _("Sorted by {column}", column=_(title)) + (" ▼" if self.descending else " ▲")
        self.query_one("#queue-sort", Static).update(label)

    def _render_status(self) -> None:
        if not self.rows:
            text = _("Nothing here.") if not self.query_text else _("No ticket matches the filter.")
        else:
            first = self.window_offset + 1
            text = _("Rows {first}–{last}", first=first, last=self.window_offset + len(self.rows))
            if self.more_after:
                text += " · " + _("more below")
        text += " · " + _("Enter: open · 1-5: views · s: sort · /: filter")
        self.query_one("#queue-status", Static).update(text)

    # --- actions ---------------------------------------------------------------------------------

    def _cursor_key(self) -> str | None:
        return self.query_one(QueueTable).cursor_key()

    def _selected(self) -> queue.QueueRow | None:
        key = self._cursor_key()
        return next((r for r in self.rows if r.number == key), None)

    def _target(self) -> queue.QueueRow | None:
        """The row an action is for: the one under the cursor, if the agent put the cursor there.
        If a live refresh moved the cursor onto another ticket, nothing is done and the agent is
        told; the row now under the cursor counts as seen, for the next key."""
        table = self.query_one(QueueTable)
        row = self._selected()
        if row is None or table.chosen == row.number:
            return row
        left = table.chosen is not None and table.chosen not in {r.number for r in self.rows}
        if left:
            message = _(
                "{gone} has left this view: nothing was done. The cursor is on {number} now.",
                gone=table.chosen,
                number=row.number,
            )
        else:
            message = _(
                "The list changed under the cursor: nothing was done. The cursor is on {number} now.",
                number=row.number,
            )
        table.chosen = row.number
        self.notify(message, severity="warning", markup=False)
        return None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        actor = self.desk.actor
        if action == "claim":
            return self.view == "team" and actor is not None
        if action == "assign":
            return actor is not None and actor.is_supervisor
        return True

    @on(DataTable.RowHighlighted)
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if event.cursor_row >= table.row_count - EDGE:
            self._next_page()
        elif event.cursor_row < EDGE and not self.at_top:
            self._previous_page()

    @on(DataTable.RowSelected)
    def _chosen(self, _event: DataTable.RowSelected) -> None:
        self.action_open()

    def action_view(self, view: str) -> None:
        if view != self.view:
            self.view = view
            self.rows = []
            self._render_views()
            self.load()
        self.query_one(DataTable).focus()

    def action_open(self) -> None:
        row = self._target()
        if row is not None:
            self.app.push_screen(TicketScreen(row.number))

    def action_claim(self) -> None:
        if self.view != "team":
            return
        row = self._target()
        if row is None:
            return

        def won(_r: object) -> None:
            self.notify(_("{number} is yours now.", number=row.number), markup=False)
            self._drop(row.number)

        def lost(error: Exception) -> None:
            self.notify(str(error), severity="warning", markup=False)
            if isinstance(error, Conflict):
                self._drop(row.number)  # someone else has it: it has left the team's queue

        self.call(
            tickets.claim,
            self.desk.database,
            self.desk.actor,
            row.number,
            version=row.version,
            done=won,
            failed=lost,
        )

    def _drop(self, number: str) -> None:
        """The agent's own claim took the ticket out of the view: the next row is theirs to see."""
        table = self.query_one(QueueTable)
        if number in {r.number for r in self.rows}:
            with table.by_code():
                table.remove_row(number)
            self.rows = [r for r in self.rows if r.number != number]
            self._render_status()
        if table.chosen == number:
            table.chosen = table.cursor_key()
        self.load_counts()

    def action_assign(self) -> None:
        row = self._target()
        if row is None:
            return

        def show(view: workflow.TicketView) -> None:
            if view.version != row.version:  # changed since the row was drawn: look again first
                self.notify(
                    _("{number} changed since it was shown: nothing was done.", number=row.number),
                    severity="warning",
                    markup=False,
                )
                self.refresh_window()
                return
            self.app.push_screen(
                AssignDialog.for_view(view), lambda ok: self.refresh_window() if ok else None
            )

        self.call(workflow.get_view, self.desk.database, self.desk.actor, row.number, done=show)

    def action_watch(self) -> None:
        row = self._target()
        if row is None:
            return

        def toggle(view: workflow.TicketView) -> None:
            on = not view.watching
            self.call(
                workflow.watch,
                self.desk.database,
                self.desk.actor,
                row.number,
                on,
                done=lambda _r: self._watched(row.number, on),
            )

        self.call(workflow.get_view, self.desk.database, self.desk.actor, row.number, done=toggle)

    def _watched(self, number: str, on: bool) -> None:
        self.notify(
            _("Watching {number}.", number=number)
            if on
            else _("No longer watching {number}.", number=number),
            markup=False,
        )
        self.load_counts()
        if self.view == "watching":
            self.refresh_window()

    def action_filter(self) -> None:
        self.query_one("#queue-filter", Input).focus()

    @on(Input.Changed, "#queue-filter")
    def _typed(self, event: Input.Changed) -> None:
        text = event.value.strip()
        if text == self.query_text:
            return
        # read when typing pauses, not on every key
        if self._filter_timer is not None:
            self._filter_timer.stop()
        self._filter_timer = self.set_timer(0.25, lambda: self._apply_filter(text))

    def _apply_filter(self, text: str) -> None:
        self.query_text = text
        self.load()

    @on(Input.Submitted, "#queue-filter")
    def _filter_done(self) -> None:
        self.query_one(DataTable).focus()

    def action_escape(self) -> None:
        field = self.query_one("#queue-filter", Input)
        if field.has_focus:
            if field.value:
                field.value = ""
            self.query_one(DataTable).focus()

    def action_sort(self) -> None:
        keys = ["default"] + [k for k, _l, _w in COLUMNS]
        self.sort = keys[(keys.index(self.sort) + 1) % len(keys)]
        self.descending = False
        self._render_sort()
        self.load()

    def action_reverse(self) -> None:
        if self.sort == "default":
            return
        self.descending = not self.descending
        self._render_sort()
        self.load()

    def action_default_order(self) -> None:
        self.sort, self.descending = "default", False
        self._render_sort()
        self.load()

    def action_reload(self) -> None:
        self.load()

    def on_screen_resume(self) -> None:
        if self.loaded_once:
            self.refresh_window()
