"""The tables, one module per aggregate. The core (agents, customers, the desk's reference data,
tickets) is registered on import; the other modules, which only point into the core (knowledge,
calls, rollups, agent keys), when a name of theirs is first used, so a CLI command that does not
touch them does not pay for building their classes. `metadata` (the whole schema: migrations,
create_all) registers them all first."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .agent import Agent, AgentPresence, AgentStateLog, AwayReason, LoginAttempt, Team
from .base import Role, UtcDateTime
from .customer import Customer, CustomerPhone, Device, Organisation
from .desk import (
    Callback,
    EscalationFiring,
    EscalationRule,
    Notification,
    SlaCalendar,
    SlaPolicy,
    Survey,
)
from .ticket import (
    OPEN_STATUSES,
    PENDING_STATUSES,
    Category,
    Counter,
    EventKind,
    Kind,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketWatch,
    WorkSheet,
    WorkSheetPart,
)

if TYPE_CHECKING:
    from sqlalchemy import MetaData

    from .agent_key import AgentKey
    from .call import CallEvent, CallThreshold, DeskSecret, PhoneCall, PhoneCallTicket, WrapupCode
    from .kb import (
        KbArticle,
        KbArticleStatement,
        KbIndexSnapshot,
        KbRevision,
        KbStatement,
        KbSynonym,
        TicketArticle,
    )
    from .rollup import KpiDay, KpiHour, KpiHourTally, KpiRollup, KpiSums

    metadata: MetaData

LATER = {
    "agent_key": ("AgentKey",),
    "call": ("CallEvent", "CallThreshold", "DeskSecret", "PhoneCall", "PhoneCallTicket", "WrapupCode"),
    "kb": (
        "KbArticle",
        "KbArticleStatement",
        "KbIndexSnapshot",
        "KbRevision",
        "KbStatement",
        "KbSynonym",
        "TicketArticle",
    ),
    "rollup": ("KpiDay", "KpiHour", "KpiHourTally", "KpiRollup", "KpiSums"),
}
_MODULE_OF = {name: module for module, names in LATER.items() for name in names}


def load_all() -> None:
    """Register every table (the schema as a whole: migrations, create_all, comparisons)."""
    for module in LATER:
        importlib.import_module(f".{module}", __name__)


def __getattr__(name: str) -> Any:
    if name == "metadata":
        load_all()
        from .base import metadata

        return metadata
    module = _MODULE_OF.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


__all__ = [
    "OPEN_STATUSES",
    "PENDING_STATUSES",
    "Agent",
    "AgentKey",
    "AgentPresence",
    "AgentStateLog",
    "AwayReason",
    "CallEvent",
    "CallThreshold",
    "Callback",
    "Category",
    "Counter",
    "Customer",
    "CustomerPhone",
    "DeskSecret",
    "Device",
    "EscalationFiring",
    "EscalationRule",
    "EventKind",
    "KbArticle",
    "KbArticleStatement",
    "KbIndexSnapshot",
    "KbRevision",
    "KbStatement",
    "KbSynonym",
    "Kind",
    "KpiDay",
    "KpiHour",
    "KpiHourTally",
    "KpiRollup",
    "KpiSums",
    "LoginAttempt",
    "Notification",
    "Organisation",
    "PhoneCall",
    "PhoneCallTicket",
    "Role",
    "SlaCalendar",
    "SlaPolicy",
    "Status",
    "Survey",
    "Team",
    "Ticket",
    "TicketArticle",
    "TicketEvent",
    "TicketLink",
    "TicketWatch",
    "UtcDateTime",
    "WorkSheet",
    "WorkSheetPart",
    "WrapupCode",
    "metadata",
]
