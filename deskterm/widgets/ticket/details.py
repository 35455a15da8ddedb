"""The left-hand column of the ticket screen: the head line over the field panels, which it lines
up as one table."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from ...services.workflow import TicketView
from .fields import TicketFields, TicketRecord
from .header import TicketHeader
from .panel import FieldPanel, widths
from .sla import SlaClocks


class TicketDetails(VerticalScroll):
    def compose(self) -> ComposeResult:
        yield TicketHeader(id="ticket-head")
        yield TicketFields(id="ticket-info")
        yield SlaClocks(id="ticket-sla")
        yield TicketRecord(id="ticket-record")

    def show(self, view: TicketView) -> None:
        self.query_one(TicketHeader).show(view)
        panels = list(self.query(FieldPanel))
        shared = widths([r for panel in panels for r in panel.rows(view)])
        for panel in panels:
            panel.widths = shared
            panel.show(view)
