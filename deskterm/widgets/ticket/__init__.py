"""The ticket screen's panels: each shows one part of a ticket as read (`show(view)`) and keeps what
it shows; what happens in a panel goes upward as a typed message (TicketActions.Done, .Refused).
The screen reads the ticket, hands it round, and opens the dialogs.

    TicketDetails  the left-hand column: the panels below, lined up as one table
      TicketHeader   number, priority, status, the resolve countdown (kept ticking)
      TicketFields   the ticket, the customer and the device
      SlaClocks      respond by, resolve by, pauses
      TicketRecord   created, updated, resolution, articles, version, description
    Timeline       every event, newest last
    TicketActions  what the agent may do, and the actions done in place (claim, watch)
"""

from __future__ import annotations

from .actions import TicketActions
from .details import TicketDetails
from .fields import TicketFields, TicketRecord
from .header import TicketHeader
from .panel import FieldPanel, TicketPanel
from .sla import SlaClocks
from .timeline import Timeline

__all__ = [
    "FieldPanel",
    "SlaClocks",
    "TicketActions",
    "TicketDetails",
    "TicketFields",
    "TicketHeader",
    "TicketPanel",
    "TicketRecord",
    "Timeline",
]
