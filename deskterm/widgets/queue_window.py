"""The work queue's window on a view: at most a few hundred rows, read a page at a time as the cursor
moves (sorted and filtered in SQL), read again by key when others change tickets, with a status
line. Every read of the view runs in one worker group: a new load is exclusive there, so nothing an
older view, sort or filter returns reaches the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Static

from ..i18n import _
from ..services import queue
from .queue_table import QueueTable
from .service import ServiceDone, ServiceFailed, call_service

FIRST = 50  # rows read and drawn first: a screenful, quickly; the rest follows at once
PAGE = 100  # rows read and drawn as the cursor nears the window's end
WINDOW = 400  # rows held by the table at most
EDGE = 20  # rows from the window's end at which the next page is read
READS = "queue-view"  # the worker group of every read of the view


@dataclass(frozen=True)
class Query:
    """What the window shows: a view, its order and a filter."""

    view: str = "mine"
    sort: str = "default"
    descending: bool = False
    text: str = ""


class FirstRows(ServiceDone[tuple[list[queue.QueueRow], bool]]):
    """The view's first rows (and whether more follow)."""


class NextPage(ServiceDone[queue.QueuePage]):
    """The page after the window."""


class PreviousPage(ServiceDone[queue.QueuePage]):
    """The page before the window."""


class ReadAgain(ServiceDone[tuple[list[queue.QueueRow], bool]]):
    """The window read again (others changed tickets)."""


class RowsAgain(ServiceDone[list[queue.QueueRow]]):
    """Rows on screen read again by id."""


WINDOW_READS = (FirstRows, NextPage, PreviousPage, ReadAgain)


class QueueWindow(Vertical):
    """The table and its status line. Reports `Read` each time it reads the view anew or again (the
    view's count may have moved)."""

    DEFAULT_CSS = """
    QueueWindow { height: 1fr; }
    QueueWindow #queue-table { height: 1fr; }
    QueueWindow #queue-status { height: 1; padding: 0 1; color: $text-muted; }
    """

    class Read(Message):
        """The window read its view (anew or again)."""

    def __init__(self, drawn: Callable[[Query], None] | None = None, **kwargs: Any) -> None:
        """`drawn(query)` is called as the first rows of a load are put in the table (the same
        frame draws what it changes)."""
        super().__init__(**kwargs)
        self.drawn = drawn
        self.query_now = Query()
        self.at_top = True  # the window starts at the view's first row
        self.window_offset = 0  # for sorts paged by offset
        self.more_after = False
        self.paging = False
        self.refreshing = False
        self.refresh_again = False
        self.loaded_once = False
        self._status = ""

    def compose(self) -> ComposeResult:
        yield QueueTable(id="queue-table", cursor_type="row", zebra_stripes=True)
        yield Static("", id="queue-status", markup=False)

    @property
    def table(self) -> QueueTable:
        return self.query_one(QueueTable)

    @property
    def rows(self) -> list[queue.QueueRow]:
        return self.table.shown

    def relabel(self) -> None:
        self.table.relabel()
        self._render_status()

    # --- reading ---------------------------------------------------------------------------------

    def _read(
        self, fn: Any, *args: Any, result: type[ServiceDone[Any]], exclusive: bool = False, **kwargs: Any
    ) -> None:
        """A read for the view shown; a load (`exclusive`) drops what every older read returns."""
        desk: Any = self.app
        call_service(
            self,
            fn,
            desk.database,
            desk.actor,
            *args,
            result=result,
            group=READS,
            exclusive=exclusive,
            **kwargs,
        )

    def _read_view(self, fn: Any, *, result: type[ServiceDone[Any]], **kwargs: Any) -> None:
        q = self.query_now
        self._read(fn, q.view, result=result, sort=q.sort, descending=q.descending, query=q.text, **kwargs)

    def load(self, query: Query | None = None) -> None:
        """The view from its first row (after a switch of view, sort or filter)."""
        if query is not None:
            if query.view != self.query_now.view:
                self.table.shown = []  # drawn until the new view comes, but no longer acted on
            self.query_now = query
        self.paging = True
        self.refreshing = False
        self._read_view(queue.read_window, result=FirstRows, count=FIRST, exclusive=True)

    def on_first_rows(self, message: FirstRows) -> None:
        rows, more = message.value
        self.paging = False
        self.at_top, self.window_offset, self.more_after = True, 0, more
        self.table.fill(rows, None, live=False)
        self._render_status()
        if self.drawn is not None:
            self.drawn(self.query_now)
        self.loaded_once = True
        self.call_after_refresh(self._after_first_rows)  # the first rows are painted first

    def _after_first_rows(self) -> None:
        self.post_message(self.Read())
        self._next_page()

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call in WINDOW_READS:  # the app's banner says why; the next read may begin
            self.paging = self.refreshing = False

    def _next_page(self) -> None:
        rows = self.rows
        if self.paging or not self.more_after or not rows:
            return
        self.paging = True
        if self.query_now.sort == "default":
            kwargs: dict[str, Any] = {"after": rows[-1].key}
        else:
            kwargs = {"offset": self.window_offset + len(rows)}
        self._read_view(queue.page, result=NextPage, limit=PAGE, **kwargs)

    def on_next_page(self, message: NextPage) -> None:
        got = message.value
        self.paging = False
        known = self.table.numbers()
        new = [r for r in got.rows if r.number not in known]
        self.more_after = got.more
        drop = PAGE if len(self.rows) + len(new) > WINDOW else 0  # keep a window: drop the first page
        self.table.append(new, drop_first=drop)
        if drop:
            self.at_top = False
            self.window_offset += drop
        self._render_status()

    def _previous_page(self) -> None:
        rows = self.rows
        if self.paging or self.at_top or not rows:
            return
        self.paging = True
        if self.query_now.sort == "default":
            kwargs: dict[str, Any] = {"before": rows[0].key, "limit": PAGE}
        else:
            kwargs = {"offset": max(0, self.window_offset - PAGE), "limit": min(PAGE, self.window_offset)}
        self._read_view(queue.page, result=PreviousPage, **kwargs)

    def on_previous_page(self, message: PreviousPage) -> None:
        got = message.value
        self.paging = False
        known = self.table.numbers()
        new = [r for r in got.rows if r.number not in known]
        self.window_offset = max(0, self.window_offset - len(new))
        self.at_top = (not got.more) if self.query_now.sort == "default" else self.window_offset == 0
        rows = new + self.rows
        if len(rows) > WINDOW:
            rows = rows[:WINDOW]
            self.more_after = True
        self.table.fill(rows, self.table.cursor_key(), live=False)
        self._render_status()

    @on(DataTable.RowHighlighted)
    def _moved(self, event: DataTable.RowHighlighted) -> None:
        table = event.data_table
        if event.cursor_row >= table.row_count - EDGE:
            self._next_page()
        elif event.cursor_row < EDGE and not self.at_top:
            self._previous_page()

    # --- live ------------------------------------------------------------------------------------

    def changed(self, changes: list[Any]) -> None:
        """Others changed tickets: rows on screen are patched at once (one cheap read by id); the
        window is then read again for what joined, left or moved."""
        shown = {r.id for r in self.rows}
        ids = sorted({c.ticket_id for c in changes if c.ticket_id in shown})
        if ids:
            self._read(queue.rows_by_ids, ids, result=RowsAgain)
        self.refresh_window()

    def on_rows_again(self, message: RowsAgain) -> None:
        self.table.patch(message.value)

    def refresh_window(self) -> None:
        """Read the loaded window again and apply it by key (coalesced: one read at a time)."""
        if not self.loaded_once or self.paging or self.refreshing:
            self.refresh_again = True
            return
        self.refreshing = True
        self.refresh_again = False
        rows = self.rows
        if self.at_top or not rows:
            start: Any = None
        elif self.query_now.sort == "default":
            start = rows[0].key
        else:
            start = self.window_offset
        self._read_view(queue.read_window, result=ReadAgain, start=start, count=max(len(rows), PAGE))
        self.post_message(self.Read())

    def on_read_again(self, message: ReadAgain) -> None:
        rows, more = message.value
        self.refreshing = False
        self.more_after = more
        self.table.apply(rows)
        self._render_status()
        if self.refresh_again:
            self.refresh_window()

    def drop(self, number: str) -> None:
        """The agent's own claim took the ticket out of the view: the next row is theirs to see."""
        self.table.remove_ticket(number)
        self._render_status()

    # --- the status line ---------------------------------------------------------------------------

    def _render_status(self) -> None:
        rows = self.rows
        if not rows:
            text = _("Nothing here.") if not self.query_now.text else _("No ticket matches the filter.")
        else:
            first = self.window_offset + 1
            text = _("Rows {first}–{last}", first=first, last=self.window_offset + len(rows))
            if self.more_after:
                text += " · " + _("more below")
        text += " · " + _("Enter: open · 1-5: views · s: sort · /: filter")
        if text != self._status:  # one line, whatever it says: no layout
            self._status = text
            self.query_one("#queue-status", Static).update(text, layout=False)
