"""The results panel: runs the search the bar asks for (or the FAQ) and lists what it found, best
first. A newer search supersedes an older one: the older answer is dropped (one worker group)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.message import Message
from textual.timer import Timer
from textual.widgets import DataTable

from ...i18n import _
from ...services import kb
from ..service import ServiceDone, call_service
from ..table import FastTable
from ..ticket_format import cell
from .search import SearchRequest

PAGE = 50  # results shown
SEARCH = "kb-search"  # the worker group of the searches: the newest one only


class Found(ServiceDone[list[kb.KbSuggestion]]):
    """The solutions a search (or the FAQ) found."""


class ResultsTable(FastTable):
    """The solutions found: ID, title, category, score. `found` by external id, in order."""

    class Shown(Message):
        """The answer to `request` is on screen: `count` solutions (the FAQ when `request.faq`)."""

        def __init__(self, request: SearchRequest, count: int) -> None:
            super().__init__()
            self.request = request
            self.count = count

    class Highlighted(Message):
        """The cursor is on `found` (None: nothing listed)."""

        def __init__(self, found: kb.KbSuggestion | None) -> None:
            super().__init__()
            self.found = found

    class Chosen(Message):
        """Enter on a row: open it."""

    def __init__(self, database: Any, *, id: str | None = None) -> None:
        super().__init__(id=id, flex="title", cursor_type="row", zebra_stripes=True)
        self.database = database
        self.found: dict[str, kb.KbSuggestion] = {}
        self.shown_for: SearchRequest | None = None  # the request whose answer is listed
        self.asked: tuple[SearchRequest, bool] | None = None  # the newest search: request, keep
        self.debounce: Timer | None = None

    @property
    def faq_shown(self) -> bool:
        return self.shown_for is not None and self.shown_for.faq

    def on_mount(self) -> None:
        self._columns()

    def _columns(self) -> None:
        # 68 columns in all: the whole table fits the results pane (3/5) of a 120-column terminal
        self.add_column(_("ID"), key="id", width=10)
        self.add_column(_("Title"), key="title", width=30)
        self.add_column(_("Category"), key="category", width=14)
        self.add_column(_("Score"), key="score", width=6)

    def relabel(self) -> None:
        """The column titles in the current language; the rows and the cursor stay."""
        row = self.cursor_row
        self.clear(columns=True)
        self._columns()
        self._fill(list(self.found.values()))
        if self.row_count:
            self.move_cursor(row=min(row, self.row_count - 1))

    # --- searching ----------------------------------------------------------------------------

    def search(self, request: SearchRequest, *, keep: bool = False, delay: float = 0.0) -> None:
        """Search for `request` (after `delay` seconds of quiet); an answer to an older search is
        dropped from now on. `keep`: the same search again (others changed solutions): the cursor
        stays on its row."""
        self.workers.cancel_group(self, SEARCH)
        if self.debounce is not None:
            self.debounce.stop()
            self.debounce = None
        if delay:
            self.debounce = self.set_timer(delay, lambda: self.search(request, keep=keep))
            return
        self.asked = (request, keep)
        if request.faq:
            call_service(
                self,
                kb.faq,
                self.database,
                category=request.category,
                lang=request.lang,
                limit=PAGE,
                per_category=3,
                result=Found,
                group=SEARCH,
            )
        else:
            call_service(
                self,
                kb.search,
                self.database,
                request.query,
                limit=PAGE,
                category=request.category,
                lang=request.lang,
                statuses=request.statuses,
                result=Found,
                group=SEARCH,
            )

    def on_found(self, message: Found) -> None:
        assert self.asked is not None
        request, keep = self.asked
        selected = self.selected_key()
        self.found = {r.external_id: r for r in message.value}
        self.shown_for = request
        with self.app.batch_update():
            self.clear()
            self._fill(message.value)
            if keep and selected in self.found:
                self.move_cursor(row=self.get_row_index(selected))
        self.post_message(self.Shown(request, len(self.found)))

    def _fill(self, rows: list[kb.KbSuggestion]) -> None:
        for r in rows:
            self.add_row(
                cell(r.external_id),
                cell(r.title),
                cell(r.category, style="dim"),
                Text(f"{r.score:.1f}", justify="right"),
                key=r.external_id,
            )

    # --- the selected solution ------------------------------------------------------------------

    def selected_key(self) -> str | None:
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    @property
    def selected(self) -> kb.KbSuggestion | None:
        key = self.selected_key()
        return self.found.get(key) if key else None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self.post_message(self.Highlighted(self.selected))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.post_message(self.Chosen())
