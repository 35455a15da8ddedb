"""The monitor's summary line: pending against the desk's target, open tickets past due and due
soon, and when the figures were read; or that they are being counted, or why they could not be."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import Static

from ...i18n import _
from ...services import kpi


class SummaryLine(Static):
    """One line: the figures in full, or in short words when the line is narrower than they are
    (then without the time of the reading if that is still too wide)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shown: tuple[kpi.MonitorView, str] | None = None

    def counting(self) -> None:
        self.update(Text(_("Counting…"), style="dim"))

    def failed(self, error: Exception) -> None:
        self.shown = None
        self.update(Text(str(error), style="bold red"))

    def on_resize(self) -> None:
        if self.shown is not None:
            self.show(*self.shown)

    def show(self, view: kpi.MonitorView, timezone: str) -> None:
        self.shown = view, timezone
        updated = view.now.astimezone(ZoneInfo(timezone)).strftime("%H:%M:%S")
        room = (self.content_region.width or self.app.size.width - 2) - 1
        for short, with_time in ((False, True), (True, True), (True, False)):
            text = _line(view, short=short)
            if with_time:
                text.append(" · " + _("updated {time}", time=updated), style="dim")
            if text.cell_len <= room:
                break
        self.update(text)


def _line(view: kpi.MonitorView, *, short: bool) -> Text:
    over = view.pending > view.pending_target
    parts = [
        Text(
            _("Pending {n}/{target}", n=view.pending, target=view.pending_target)
            if short
            else _("Pending {n} / target {target}", n=view.pending, target=view.pending_target),
            style="bold white on red" if over else "",
        )
    ]
    if over:
        parts[0].append(" ▲" if short else " ▲ " + _("over target"), style="bold red")
    breached = _("Past due {n}", n=view.breached) if short else _("Open past due now {n}", n=view.breached)
    parts.append(Text(breached, style="bold red" if view.breached else "green"))
    soon = (
        _("Due in 30 min {n}", n=view.at_risk) if short else _("Open, due within 30 min {n}", n=view.at_risk)
    )
    parts.append(Text(soon, style="bold yellow" if view.at_risk else ""))
    return Text(" · ").join(parts)
