"""The monitor's backlog block: open tickets by team and status, with the SLA breaches and risks
and the oldest waiting ticket of each team. Enter on a count lists the tickets behind it."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text

from ...i18n import _
from ...services import kpi
from ...text import clean
from ..labels import status_label
from ..ticket_format import cell, span
from .live import Cells, FigureTable

STATUS_COLUMNS = ("new", "assigned", "in_progress", "pending_customer", "pending_third_party")
TEAM_COLUMNS = (
    ("team", "Team"),
    *((s, s) for s in STATUS_COLUMNS),
    ("open", "Total open"),
    ("breached", "Past due now"),
    ("at_risk", "Due in 30 min"),
    ("oldest", "Oldest waiting"),
)
# What a column other than a status lists (the figure's kind), and its title; the others: all open.
BEHIND = {
    "breached": ("breached", "Past due now"),
    "at_risk": ("at_risk", "Due in 30 min"),
    "oldest": ("waiting", "Waiting, oldest first"),
}
ALL_OPEN = ("backlog", "Total open")


def team_key(line: kpi.TeamLine) -> str:
    return str(line.team_id) if line.team_id is not None else "none"


class TeamsTable(FigureTable):
    """One row a team: open tickets per status, total, past due, due soon, oldest waiting."""

    NARROW_HIDDEN = ("assigned", "in_progress", "pending_customer", "pending_third_party")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, header_height=2, **kwargs)
        self.view: kpi.MonitorView | None = None

    def columns_spec(self) -> list[tuple[str, str]]:
        return [
            (key, status_label(label) if key in STATUS_COLUMNS else _(label)) for key, label in TEAM_COLUMNS
        ]

    def show(self, view: kpi.MonitorView) -> None:
        self.view = view
        self.sync([(team_key(t), self._cells(t, view.now)) for t in view.teams])

    @staticmethod
    def _cells(t: kpi.TeamLine, now: datetime) -> Cells:
        counts = [Text(str(t.counts[s]), justify="right") for s in STATUS_COLUMNS]
        oldest = Text("—", style="dim")
        if t.oldest_since is not None:
            oldest = Text(f"{t.oldest_number} {span(now - t.oldest_since)}")
        return (
            cell(clean(t.team) or _("(no team)")),
            *counts,
            Text(str(t.open), justify="right", style="bold"),
            Text(str(t.breached), justify="right", style="bold red" if t.breached else "green"),
            Text(str(t.at_risk), justify="right", style="bold yellow" if t.at_risk else ""),
            oldest,
        )

    def figure(self) -> tuple[kpi.Figure, str] | None:
        found = self.cursor_cell()
        if found is None or self.view is None:
            return None
        row, column = found
        team_id = None if row == "none" else int(row)
        line = next((t for t in self.view.teams if team_key(t) == row), None)
        team = clean(line.team if line else "", single_line=True) or _("(no team)")
        if column in STATUS_COLUMNS:
            figure = kpi.Figure("backlog", team_id, all_teams=False, status=column)
            return figure, f"{team} · {status_label(column)}"
        kind, title = BEHIND.get(column, ALL_OPEN)
        return kpi.Figure(kind, team_id, all_teams=False), f"{team} · {_(title)}"
