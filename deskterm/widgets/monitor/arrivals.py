"""The monitor's arrivals block: calls logged per hour today, beside the same hours last week."""

from __future__ import annotations

from datetime import timedelta

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Sparkline, Static

from ...i18n import _
from ...services import kpi


class ArrivalsPanel(Vertical):
    DEFAULT_CSS = """
    ArrivalsPanel { height: auto; }
    ArrivalsPanel #monitor-arrivals-label { height: auto; padding: 1 1 0 1; color: $text-muted; }
    ArrivalsPanel .spark-row { height: 2; }
    ArrivalsPanel .spark-label { width: 11; padding: 0 1; color: $text-muted; }
    ArrivalsPanel Sparkline { height: 2; width: 1fr; margin-right: 1; }
    ArrivalsPanel #monitor-arrivals-week > .sparkline--max-color { color: $text-muted; }
    ArrivalsPanel #monitor-arrivals-week > .sparkline--min-color { color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="monitor-arrivals-label", markup=False)
        with Horizontal(classes="spark-row"):
            yield Static(_("Today"), classes="spark-label", markup=False)
            yield Sparkline([], id="monitor-arrivals")
        with Horizontal(classes="spark-row"):
            yield Static(_("Last week"), classes="spark-label", markup=False)
            yield Sparkline([], id="monitor-arrivals-week")

    def show(self, view: kpi.MonitorView) -> None:
        """Up to the hour now: today's arrivals and last week's for the same hours."""
        hours = max(1, sum(1 for i in range(24) if view.day_start + timedelta(hours=i) < view.now))
        today, week = view.arrivals[:hours], view.arrivals_last_week[:hours]
        label = _(
            "Arrivals per hour: now {now} · same hour last week {week} · today {total}",
            now=today[-1],
            week=week[-1] if week else 0,
            total=sum(today),
        )
        self.query_one("#monitor-arrivals-label", Static).update(label)
        self.query_one("#monitor-arrivals", Sparkline).data = today
        self.query_one("#monitor-arrivals-week", Sparkline).data = week
