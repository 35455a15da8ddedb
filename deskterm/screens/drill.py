"""What is behind one monitor figure (screens/monitor.py): the tickets it counts, or for CSAT the
surveys with the callers' comments. Open one (Enter), reassign it (a), or mark several (space) and
reassign them all at once (a). s sorts by the next column and S turns the order round (or click a
heading); the chosen order holds while rows arrive from the change feed. A reassign carries the
version shown, so a ticket changed since is refused (in a bulk reassign: reported), not silently
reassigned."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from .. import clock
from ..dialogs.assign import AssignDialog, BulkAssignDialog
from ..i18n import _, _n
from ..services import kpi
from ..services.tickets import TicketRow
from ..text import clean, shorten
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.labels import STATUS, SURVEY_RATINGS, label, status_label
from ..widgets.monitor.live import Cells, LiveTable
from ..widgets.service import ServiceDone
from ..widgets.ticket_format import cell, countdown, desk_timezone, priority_text, when
from .base import DeskScreen

LIMIT = 200
COMMENT_CELLS = 48  # a survey's comment is cut to this many cells, ending in "…"
MARK = "●"

TICKET_COLUMNS = (
    ("mark", ""),
    ("number", "Number"),
    ("p", "P"),
    ("status", "Status"),
    ("summary", "Summary"),
    ("customer", "Customer"),
    ("team", "Team"),
    ("assignee", "Assignee"),
    ("due", "Due"),
)
SURVEY_COLUMNS = (
    ("mark", ""),
    ("number", "Number"),
    ("score", "Score"),
    ("comment", "Comment"),
    ("assignee", "Assignee"),
    ("at", "Taken"),
)
NEVER = datetime.max.replace(tzinfo=UTC)
STATUS_ORDER = {code: i for i, code in enumerate(STATUS)}
# The value each column sorts by (people's text by its letters, whatever the case).
TICKET_SORT: dict[str, Callable[[TicketRow], Any]] = {
    "number": lambda r: r.number,
    "p": lambda r: r.priority,
    "status": lambda r: STATUS_ORDER.get(r.status, len(STATUS_ORDER)),
    "summary": lambda r: r.summary.casefold(),
    "customer": lambda r: r.customer.casefold(),
    "team": lambda r: r.team.casefold(),
    "assignee": lambda r: r.assignee.casefold(),
    "due": lambda r: r.resolve_by or NEVER,
}
SURVEY_SORT: dict[str, Callable[[kpi.SurveyRow], Any]] = {
    "number": lambda r: r.number,
    "score": lambda r: r.score,
    "comment": lambda r: r.comment.casefold(),
    "assignee": lambda r: r.assignee.casefold(),
    "at": lambda r: r.at,
}


class TicketsBehind(ServiceDone[list[TicketRow]]):
    """The tickets a monitor figure counts (the first 200)."""


class SurveysBehind(ServiceDone[list[kpi.SurveyRow]]):
    """The surveys the CSAT figure counts (the first 200)."""


def score_text(r: kpi.SurveyRow) -> Text:
    """The average answer and its word: "1.3 Very satisfied" (1 best … 4 worst)."""
    word = label(SURVEY_RATINGS, min(4, max(1, round(r.score))))
    return Text(f"{r.score:.1f} {word}", style="green" if r.score <= 2 else "bold red")


class DrillTable(LiveTable):
    def __init__(self, columns: tuple[tuple[str, str], ...], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = columns

    def columns_spec(self) -> list[tuple[str, str]]:
        return [(key, _(text) if text else "") for key, text in self.spec]


class DrillScreen(DeskScreen):
    """The tickets (or surveys) behind one monitor figure."""

    TITLE_TEXT = "Monitor"
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: 1; padding: 0 1; }
    DrillScreen #drill-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open ticket", id="monitor.open"),
        Binding("a", "assign", "Reassign", id="monitor.assign"),
        Binding("space", "mark", "Mark", id="monitor.mark"),
        Binding("s", "sort", "Sort", id="monitor.sort"),
        Binding("S", "reverse", "Reverse order", id="monitor.reverse", show=False),
        Binding("escape", "app.back", "Back", id="monitor.drill_back"),
    ]

    def __init__(self, figure: kpi.Figure, title: str) -> None:
        super().__init__()
        self.figure = figure
        self.title_text = title
        self.surveys = figure.kind == "csat"
        self.rows: list[Any] = []  # TicketRow, or kpi.SurveyRow for CSAT: in the service's order
        self.marked: set[str] = set()
        self.sort_by: str | None = None  # None: the service's order (most urgent or newest first)
        self.reverse = False

    @property
    def columns(self) -> tuple[tuple[str, str], ...]:
        return SURVEY_COLUMNS if self.surveys else TICKET_COLUMNS

    @property
    def sorts(self) -> dict[str, Callable[[Any], Any]]:
        return SURVEY_SORT if self.surveys else TICKET_SORT

    @property
    def table(self) -> DrillTable:
        return self.query_one(DrillTable)

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="drill-title")
        yield DrillTable(
            self.columns,
            narrow=("customer", "team"),
            flex="comment" if self.surveys else "summary",
            id="drill-table",
            cursor_type="row",
            zebra_stripes=True,
        )
        yield DeskFooter()

    def on_mount(self) -> None:
        self._title()
        self.reload()
        self.table.focus()

    def reload(self) -> None:
        fn, result = (
            (kpi.surveys_behind, SurveysBehind) if self.surveys else (kpi.tickets_behind, TicketsBehind)
        )
        self.call(
            fn,
            self.desk.database,
            self.desk.actor,
            self.figure,
            timezone=desk_timezone(self),
            limit=LIMIT,
            result=result,
            group="drill",
        )

    def on_desk_changes(self, changes: list[Any]) -> None:
        self.reload()

    def on_tickets_behind(self, message: TicketsBehind) -> None:
        self._show(message.value)

    def on_surveys_behind(self, message: SurveysBehind) -> None:
        self._show(message.value)

    # --- the rows, in the chosen order ---------------------------------------------------------------

    def _show(self, rows: list[Any]) -> None:
        self.rows = rows
        self.marked &= {r.number for r in rows}  # a ticket no longer behind the figure is unmarked
        self._draw()

    def _cells(self, r: Any, now: datetime) -> Cells:
        mark = Text(MARK, style="bold yellow") if r.number in self.marked else Text(" ")
        if self.surveys:
            comment = shorten(clean(r.comment, single_line=True), COMMENT_CELLS)
            return (
                mark,
                Text(r.number),
                score_text(r),
                Text(comment or "—", style="" if comment else "dim"),
                cell(r.assignee),
                Text(when(r.at, now, desk_timezone(self))),
            )
        return (
            mark,
            Text(r.number),
            priority_text(r.priority),
            Text(status_label(r.status)),
            cell(r.summary),
            cell(r.customer),
            cell(r.team),
            cell(r.assignee),
            countdown(r.resolve_by, now, status=r.status),
        )

    def _draw(self) -> None:
        now = clock.now()
        table = self.table
        at = table.cursor_key()
        with self.app.batch_update():
            table.sync([(r.number, self._cells(r, now)) for r in self.rows])
            rank = {r.number: i for i, r in enumerate(self._ordered())}
            table.sort("number", key=lambda number: rank.get(number.plain, len(rank)))
            if at is not None and at in rank:
                table.move_cursor(row=table.get_row_index(at))
        self._title()

    def _ordered(self) -> list[Any]:
        """The rows in the chosen order; ties (and no choice) in the service's order."""
        if self.sort_by is None:
            return list(self.rows)
        return sorted(self.rows, key=self.sorts[self.sort_by], reverse=self.reverse)

    def _title(self) -> None:
        n = len(self.rows)
        shown = _n("{n} survey", "{n} surveys", n) if self.surveys else _n("{n} ticket", "{n} tickets", n)
        if n >= LIMIT:
            shown += " " + _("(the first 200)")
        parts = [self.title_text, shown]
        if self.sort_by is not None:
            name = _(dict(self.columns)[self.sort_by])
            parts.append(_("sorted by {column}", column=name) + (" ↓" if self.reverse else " ↑"))
        if self.marked:
            parts.append(_n("{n} marked", "{n} marked", len(self.marked)))
        self.query_one("#drill-title", Static).update(Text(" · ".join(parts), style="bold"))

    def sort_rows(self, column: str, *, reverse: bool = False) -> None:
        """Order the rows by `column` (a key of the table's columns) and keep that order."""
        self.sort_by, self.reverse = column, reverse
        self._draw()

    def action_sort(self) -> None:
        """The next column (after the last: the service's order again)."""
        keys = list(self.sorts)
        at = keys.index(self.sort_by) + 1 if self.sort_by in keys else 0
        if at < len(keys):
            self.sort_rows(keys[at])
        else:
            self.sort_by, self.reverse = None, False
            self._draw()

    def action_reverse(self) -> None:
        self.sort_rows(self.sort_by or next(iter(self.sorts)), reverse=not self.reverse)

    @on(DataTable.HeaderSelected)
    def _heading(self, event: DataTable.HeaderSelected) -> None:
        column = str(event.column_key.value)
        if column in self.sorts:
            self.sort_rows(column, reverse=self.sort_by == column and not self.reverse)

    # --- open, mark, reassign -------------------------------------------------------------------------

    def _selected(self) -> str | None:
        return self.table.cursor_key()

    @on(DataTable.RowSelected)
    def _chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        number = self._selected()
        if number is not None:
            from .ticket import open_ticket

            open_ticket(self.app, number)

    def action_mark(self) -> None:
        """Mark the ticket under the cursor (or unmark it) and go to the next, as in a file manager."""
        number = self._selected()
        if number is None:
            return
        self.marked ^= {number}
        self._draw()
        self.table.action_cursor_down()

    def action_assign(self) -> None:
        versions = {r.number: r.version for r in self.rows}
        reason = _("reassigned from the monitor")
        if self.marked:
            marked = [(n, versions[n]) for n in versions if n in self.marked]
            self.app.push_screen(BulkAssignDialog(marked, reason=reason), self._assigned_marked)
            return
        number = self._selected()
        if number is not None:
            # the version shown: a ticket changed since is refused, not silently reassigned
            dialog = AssignDialog(number, versions[number], reason=reason)
            self.app.push_screen(dialog, lambda ok: self._assigned(number, ok))

    def _assigned(self, number: str, ok: bool | None) -> None:
        if ok:
            self.notify(_("{number} assigned.", number=number), markup=False)
            self.reload()

    def _assigned_marked(self, ok: bool | None) -> None:
        if ok:  # the dialog reported what was assigned and what was left
            self.marked.clear()
            self.reload()
