"""The tables, one module per aggregate; importing this package registers them all."""

from .agent import Agent, AgentPresence, AgentStateLog, AwayReason, LoginAttempt, Team
from .agent_key import AgentKey
from .base import Role, UtcDateTime, metadata
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
from .kb import KbArticle, KbArticleStatement, KbRevision, KbStatement, KbSynonym, TicketArticle
from .rollup import KpiDay, KpiHour, KpiRollup
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

__all__ = [
    "OPEN_STATUSES",
    "PENDING_STATUSES",
    "Agent",
    "AgentKey",
    "AgentPresence",
    "AgentStateLog",
    "AwayReason",
    "Callback",
    "Category",
    "Counter",
    "Customer",
    "CustomerPhone",
    "Device",
    "EscalationFiring",
    "EscalationRule",
    "EventKind",
    "KbArticle",
    "KbArticleStatement",
    "KbRevision",
    "KbStatement",
    "KbSynonym",
    "Kind",
    "KpiDay",
    "KpiHour",
    "KpiRollup",
    "LoginAttempt",
    "Notification",
    "Organisation",
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
    "metadata",
]
