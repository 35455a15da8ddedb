"""The monitor's figures of the day: calls, first-contact resolution, resolution and hand-over
times, SLA, reopens, CSAT and handle time. Enter on one lists the tickets it counts."""

from __future__ import annotations

from rich.text import Text

from ...i18n import _, _n
from ...services import kpi
from .live import Cells, FigureTable, duration, percent

# Each figure named for what it counts (docs/KPIS.md): today's period figures, from the same
# definitions as `deskterm report`; the open tickets' figures are in the summary line and the teams.
KPI_ROWS = (
    ("calls", "Calls logged today"),
    ("first_contact", "First-contact resolution"),
    ("still_open", "Today's calls resolved"),
    ("resolved", "Avg resolution time (today)"),
    ("handover", "Avg hand-over time (today)"),
    ("sla_missed", "Resolved within SLA (today)"),
    ("reopened", "Reopen rate (today)"),
    ("csat", "CSAT (today's surveys)"),
    ("handle", "Avg handle time (talk + wrap-up)"),
)
# The tickets behind a row, where they are not the row's own figure kind.
BEHIND = {"handle": "calls"}


def values(k: kpi.Kpis) -> dict[str, str]:
    """Each row's figure, as shown."""
    return {
        "calls": str(k.calls_logged),
        "first_contact": _(
            "{gross} · net {net}",
            gross=percent(k.first_contact_rate),
            net=percent(k.net_first_contact_rate),
        ),
        "still_open": percent(k.resolution_rate),
        "resolved": duration(k.avg_resolution_seconds) + "  " + _("({n} resolved)", n=k.resolved),
        "handover": duration(k.avg_handover_seconds),
        "sla_missed": percent(k.sla_compliance),
        "reopened": percent(k.reopen_rate) + "  " + _("({n} reopened)", n=k.reopened),
        "csat": (
            percent(k.csat) + "  " + _n("(1 survey)", "({n} surveys)", k.surveys)
            if k.surveys
            else _("no surveys yet")
        ),
        "handle": duration(k.avg_handle_seconds) + "  " + _n("(1 call)", "({n} calls)", k.contacts_handled),
    }


class KpiTable(FigureTable):
    """One row a figure of the day: its name and its value."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", show_header=False, **kwargs)

    def columns_spec(self) -> list[tuple[str, str]]:
        return [("label", _("Today")), ("value", "")]

    def show(self, view: kpi.MonitorView) -> None:
        shown = values(view.kpis)
        rows: list[tuple[str, Cells]] = [
            (key, (Text(_(label)), Text(shown[key], style="bold"))) for key, label in KPI_ROWS
        ]
        self.sync(rows)

    def figure(self) -> tuple[kpi.Figure, str] | None:
        found = self.cursor_cell()
        if found is None:
            return None
        row = found[0]
        return kpi.Figure(BEHIND.get(row, row)), _(dict(KPI_ROWS).get(row, row))
