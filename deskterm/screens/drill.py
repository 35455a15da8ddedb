"""The tickets behind one monitor figure (screens/monitor.py): open one (Enter) or reassign it (a).
The list follows the change feed; a reassign carries the version shown, so a ticket changed since
is refused, not silently reassigned."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from .. import clock
from ..dialogs.assign import AssignDialog
from ..i18n import _, _n
from ..services import kpi
from ..services.tickets import TicketRow
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.labels import status_label
from ..widgets.monitor.live import LiveTable
from ..widgets.service import ServiceDone
from ..widgets.ticket_format import cell, countdown, priority_text
from .base import DeskScreen

COLUMNS = (
    ("number", "Number"),
    ("p", "P"),
    ("status", "Status"),
    ("summary", "Summary"),
    ("customer", "Customer"),
    ("team", "Team"),
    ("assignee", "Assignee"),
    ("due", "Due"),
)


class TicketsBehind(ServiceDone[list[TicketRow]]):
    """The tickets a monitor figure counts (the first 200)."""


class DrillTable(LiveTable):
    def columns_spec(self) -> list[tuple[str, str]]:
        return [(key, _(label)) for key, label in COLUMNS]


class DrillScreen(DeskScreen):
    """The tickets behind one monitor figure: open one (Enter) or reassign it (a)."""

    TITLE_TEXT = "Monitor"
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: 1; padding: 0 1; }
    DrillScreen #drill-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open ticket", id="monitor.open"),
        Binding("a", "assign", "Reassign", id="monitor.assign"),
        Binding("escape", "app.back", "Back", id="monitor.drill_back"),
    ]

    def __init__(self, figure: kpi.Figure, title: str) -> None:
        super().__init__()
        self.figure = figure
        self.title_text = title
        self.rows: list[TicketRow] = []

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="drill-title")
        yield DrillTable(id="drill-table", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#drill-title", Static).update(Text(self.title_text, style="bold"))
        self.reload()
        self.query_one(DrillTable).focus()

    def reload(self) -> None:
        settings = self.desk.settings
        self.call(
            kpi.tickets_behind,
            self.desk.database,
            self.desk.actor,
            self.figure,
            timezone=settings.timezone if settings else "Asia/Shanghai",
            result=TicketsBehind,
            group="drill",
        )

    def on_desk_changes(self, changes: list[Any]) -> None:
        self.reload()

    def on_tickets_behind(self, message: TicketsBehind) -> None:
        self.rows = rows = message.value
        now = clock.now()
        with self.app.batch_update():
            self.query_one(DrillTable).sync(
                [
                    (
                        r.number,
                        (
                            Text(r.number),
                            priority_text(r.priority),
                            Text(status_label(r.status)),
                            cell(r.summary),
                            cell(r.customer),
                            cell(r.team),
                            cell(r.assignee),
                            countdown(r.resolve_by, now, status=r.status),
                        ),
                    )
                    for r in rows
                ]
            )
        shown = _n("1 ticket", "{n} tickets", len(rows)) + (
            " " + _("(the first 200)") if len(rows) >= 200 else ""
        )
        self.query_one("#drill-title", Static).update(Text(f"{self.title_text} · {shown}", style="bold"))

    def _selected(self) -> str | None:
        found = self.query_one(DrillTable).cursor_cell()
        return found[0] if found else None

    @on(DataTable.RowSelected)
    def _chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        number = self._selected()
        if number is not None:
            from .ticket import open_ticket

            open_ticket(self.app, number)

    def action_assign(self) -> None:
        number = self._selected()
        if number is not None:
            # the version shown: a ticket changed since is refused, not silently reassigned
            version = next(r.version for r in self.rows if r.number == number)
            dialog = AssignDialog(number, version, reason=_("reassigned from the monitor"))
            self.app.push_screen(dialog, lambda ok: self._assigned(number, ok))

    def _assigned(self, number: str, ok: bool | None) -> None:
        if ok:
            self.notify(_("{number} assigned.", number=number), markup=False)
            self.reload()
