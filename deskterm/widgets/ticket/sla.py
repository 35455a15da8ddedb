"""The ticket's SLA clocks: respond by and resolve by, each with its countdown (met, late, paused),
and how long the clocks have stood still."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text

from ... import clock
from ...i18n import _
from ...services.workflow import TicketView
from ..ticket_format import countdown, desk_timezone, done, span, when
from .panel import FieldPanel, Row, row


class SlaClocks(FieldPanel):
    def rows(self, view: TicketView) -> list[Row]:
        d, tz, now = view.detail, desk_timezone(self), clock.now()
        responded = (
            done(d.respond_by, view.responded_at, tz, now)
            if view.responded_at
            else countdown(d.respond_by, now, status=d.status)
        )
        resolved = countdown(d.resolve_by, now, status=d.status, resolved_at=d.resolved_at)
        rows: list[Row] = [
            ("Respond by", Text(when(d.respond_by, now, tz) + "  ").append(responded)),
            ("Resolve by", Text(when(d.resolve_by, now, tz) + "  ").append(resolved)),
        ]
        if view.sla_paused_at or view.sla_paused_seconds:
            paused = []
            if view.sla_paused_at:
                paused.append(_("now, for {span}", span=span(now - view.sla_paused_at)))
            if view.sla_paused_seconds:
                before = span(timedelta(seconds=view.sla_paused_seconds))
                paused.append(_("{span} before", span=before))
            rows.append(row("SLA paused", "; ".join(paused)))
        return rows
