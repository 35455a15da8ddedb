"""The monitor's summary line: pending against the desk's target, open tickets past due and due
soon, and when the figures were read; or that they are being counted, or why they could not be."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import Static

from ...i18n import _
from ...services import kpi


class SummaryLine(Static):
    def counting(self) -> None:
        self.update(Text(_("Counting…"), style="dim"))

    def failed(self, error: Exception) -> None:
        self.update(Text(str(error), style="bold red"))

    def show(self, view: kpi.MonitorView, timezone: str) -> None:
        text = Text()
        text.append(_("Pending {n} / target {target}", n=view.pending, target=view.pending_target) + " ")
        if view.pending > view.pending_target:
            text.stylize("bold white on red")
            text.append("▲ " + _("over target") + " ", style="bold red")
        text.append(" · ")
        text.append(
            _("Open past due now {n}", n=view.breached), style="bold red" if view.breached else "green"
        )
        text.append(" · ")
        text.append(
            _("Open, due within 30 min {n}", n=view.at_risk), style="bold yellow" if view.at_risk else ""
        )
        updated = view.now.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S")
        text.append(" · " + _("updated {time}", time=updated), style="dim")
        self.update(text)
