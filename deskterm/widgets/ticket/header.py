"""The ticket's head line: number, priority, status and the time left to resolve it, kept ticking."""

from __future__ import annotations

from rich.text import Text

from ... import clock
from ...i18n import _
from ...services.workflow import TicketView
from ..labels import status_label
from ..ticket_format import countdown, priority_text
from .panel import TicketPanel

TICK_SECONDS = 15  # how often the countdown is brought up to date between reads


class TicketHeader(TicketPanel):
    DEFAULT_CSS = "TicketHeader { text-style: bold; margin-bottom: 1; }"

    def on_mount(self) -> None:
        self.set_interval(TICK_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.view is not None:
            self.show(self.view)

    def render_view(self, view: TicketView) -> Text:
        d = view.detail
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(d.number + "  ", style="bold")
        head.append(priority_text(d.priority))
        head.append("  " + status_label(d.status) + "  ")
        head.append(countdown(d.resolve_by, clock.now(), status=d.status, resolved_at=d.resolved_at))
        if view.watching:
            head.append("  👁 " + _("watching"), style="dim")
        return head
