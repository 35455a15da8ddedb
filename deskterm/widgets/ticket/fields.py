"""The ticket's fields, its customer and device (TicketFields), and its record: when it was created
and changed, how it was resolved, its description (TicketRecord)."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from ...i18n import _
from ...services.workflow import TicketView
from ...text import clean
from ..labels import CHANNELS, CUSTOMER_CLASSES, SERVICE_MODES, TICKET_KINDS, WARRANTY, label
from ..ticket_format import desk_timezone, local
from .panel import FieldPanel, Row, row


class TicketFields(FieldPanel):
    def rows(self, view: TicketView) -> list[Row]:
        d = view.detail
        level = " " + _("(level {level})", level=d.escalation_level) if d.escalation_level else ""
        organisation = (
            f"{d.organisation} ({label(CUSTOMER_CLASSES, view.customer_class)})" if d.organisation else ""
        )
        warranty_end = f" (→ {view.device_warranty_end})" if view.device_warranty_end else ""
        return [
            row("Summary", d.summary),
            row("Kind", label(TICKET_KINDS, d.kind)),
            row("Category", d.category),
            row("Impact / urgency", f"{d.impact} / {d.urgency}"),
            row("Channel", label(CHANNELS, d.channel)),
            row("Service mode", label(SERVICE_MODES, d.service_mode)),
            row("Team", f"{d.team} " + _("(tier {tier})", tier=d.tier)),
            row("Assignee", d.assignee),
            row("Escalated to", view.escalated_to + level),
            row("Chases", d.chase_count),
            None,
            row("Customer", d.customer),
            row("Organisation", organisation),
            row("Phone", d.phone),
            row("E-mail", view.customer_email),
            row("Device", f"{d.device_model} {d.device_serial}".strip()),
            row("Warranty", label(WARRANTY, d.warranty) + warranty_end),
            None,
        ]


class TicketRecord(FieldPanel):
    def rows(self, view: TicketView) -> list[Row]:
        d, tz = view.detail, desk_timezone(self)
        rows = [
            row("Created", f"{local(d.created_at, tz)} · {d.created_by}"),
            row("Updated", local(d.updated_at, tz)),
        ]
        if d.resolved_at:
            rows.append(row("Resolved", local(d.resolved_at, tz)))
        if d.closed_at:
            rows.append(row("Closed", local(d.closed_at, tz)))
        if d.resolution:
            rows.append(row("Resolution", d.resolution))
        if view.articles:
            rows.append(row("Solved by", ", ".join(view.articles)))
        rows.append(row("Version", d.version))
        return rows

    def render_view(self, view: TicketView) -> Group:
        description = Text()
        if view.detail.description:
            description.append("\n" + _("Description") + "\n", style="bold")
            description.append(clean(view.detail.description))
        return Group(super().render_view(view), description)
