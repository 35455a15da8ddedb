"""The monitor's agents block: each agent's team, state (with the away reason and the time in it),
open tickets, resolutions today and handle time. Enter lists an agent's open or resolved tickets."""

from __future__ import annotations

from rich.text import Text

from ...i18n import _
from ...services import kpi
from ...text import clean
from ..labels import AGENT_STATES, in_language
from ..ticket_format import cell, span
from .live import Cells, FigureTable, duration

AGENT_COLUMNS = (
    ("name", "Agent"),
    ("team", "Team"),
    ("state", "State"),
    ("open", "Open tickets"),
    ("resolved", "Resolved today"),
    ("handle", "Avg handle"),
)


class AgentsTable(FigureTable):
    """One row an agent, keyed by the agent's id."""

    NARROW_HIDDEN = ("team",)

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="cell", zebra_stripes=True, header_height=2, **kwargs)
        self.view: kpi.MonitorView | None = None

    def columns_spec(self) -> list[tuple[str, str]]:
        return [(key, _(label)) for key, label in AGENT_COLUMNS]

    def show(self, view: kpi.MonitorView) -> None:
        self.view = view
        self.sync([(str(a.agent_id), self._cells(a, view)) for a in view.agents])

    @staticmethod
    def _cells(a: kpi.AgentLine, view: kpi.MonitorView) -> Cells:
        label, style = AGENT_STATES.get(a.state, (a.state, ""))
        state = Text(_(label), style=style)
        if a.reason:
            name, name_zh = view.reasons.get(a.reason, (a.reason, ""))
            state.append(" · " + clean(in_language(name, name_zh), single_line=True))
        if a.since is not None and a.state != "logged_out":
            state.append(" " + span(view.now - a.since, seconds=True), style="dim")
        return (
            cell(a.name),
            cell(a.team),
            state,
            Text(str(a.open), justify="right"),
            Text(str(a.resolved_today), justify="right"),
            Text(duration(a.avg_handle_seconds), justify="right"),
        )

    def figure(self) -> tuple[kpi.Figure, str] | None:
        found = self.cursor_cell()
        if found is None or self.view is None:
            return None
        row, column = found
        agent = next((a for a in self.view.agents if str(a.agent_id) == row), None)
        name = clean(agent.name if agent else "", single_line=True)
        if column == "resolved":
            return kpi.Figure("agent_resolved", agent_id=int(row)), f"{name} · {_('Resolved today')}"
        return kpi.Figure("agent_open", agent_id=int(row)), f"{name} · {_('Open tickets')}"
