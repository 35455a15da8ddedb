"""Tickets, their append-only event log, categories and the number counter."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, Text, text
from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class Status(StrEnum):
    NEW = "new"
    ASSIGNED = "assigned"
    IN_PROGRESS = "in_progress"
    PENDING_CUSTOMER = "pending_customer"
    PENDING_THIRD_PARTY = "pending_third_party"
    RESOLVED = "resolved"
    CLOSED = "closed"


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.PENDING_CUSTOMER,
        Status.PENDING_THIRD_PARTY,
    }
)
PENDING_STATUSES = frozenset({Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY})


class Kind(StrEnum):
    INCIDENT = "incident"
    REQUEST = "request"
    CONSULTATION = "consultation"
    COMPLAINT = "complaint"


class EventKind(StrEnum):
    CREATED = "created"
    NOTE = "note"
    STATUS = "status"
    ASSIGNED = "assigned"
    CLAIMED = "claimed"
    TRANSFERRED = "transferred"
    UPDATED = "updated"
    ESCALATED = "escalated"
    CHASED = "chased"
    LINKED = "linked"
    RESOLVED = "resolved"
    REOPENED = "reopened"
    CALLBACK = "callback"
    SURVEY = "survey"
    CLOSED = "closed"


class Category(SQLModel, table=True):
    """A node of the category tree ("Hardware/Server"); a leaf names the team that receives it."""

    id: int | None = Field(default=None, primary_key=True)
    path: str = Field(max_length=200, unique=True)
    path_zh: str = Field(default="", max_length=200)
    team_id: int | None = Field(default=None, foreign_key="team.id")
    # False: a contact of this category cannot be resolved at first line (net first-contact rate).
    first_line: bool = Field(default=True)


class Counter(SQLModel, table=True):
    """Race-free number allocation: UPDATE ... SET value = value + 1 RETURNING value."""

    name: str = Field(primary_key=True, max_length=40)
    value: int = Field(default=0)


# The predicates of ix_ticket_unanswered and ix_ticket_open_oldest as each backend matches them to
# the queries' terms (`is_open = 1` on SQLite; `is_open = true`, which PostgreSQL reads as `is_open`).
UNANSWERED_SQLITE = text("assignee_id IS NULL AND is_open = 1")
UNANSWERED_POSTGRESQL = text("assignee_id IS NULL AND is_open")
OPEN_SQLITE = text("is_open = 1")
OPEN_POSTGRESQL = text("is_open")


class Ticket(SQLModel, table=True):
    __table_args__ = (
        # My open tickets by priority then due; the team's unassigned queue; the monitor.
        Index("ix_ticket_mine", "assignee_id", "is_open", "priority", "resolve_by"),
        Index("ix_ticket_team_queue", "team_id", "is_open", "assignee_id", "priority", "resolve_by"),
        Index("ix_ticket_status_team", "status", "team_id"),
        Index("ix_ticket_open_due", "is_open", "resolve_by"),
        Index("ix_ticket_customer_open", "customer_id", "is_open"),
        Index("ix_ticket_device", "device_id"),
        Index("ix_ticket_created", "created_at"),
        Index("ix_ticket_resolved", "resolved_at"),
        Index("ix_ticket_escalated_to", "escalated_to_id", "is_open"),
        # The work queue's resolved segments: Mine's resolved tickets and the desk's Callbacks view,
        # by priority then due (counted and paged from the index, not by visiting closed tickets).
        Index("ix_ticket_assignee_status", "assignee_id", "status", "priority", "resolve_by"),
        Index("ix_ticket_status_queue", "status", "priority", "resolve_by"),
        # The monitor and the KPI reports (services/kpi.py): covering indexes, so each figure is
        # read from one index range without visiting the tickets.
        Index(
            "ix_ticket_open_state",
            "is_open",
            "team_id",
            "status",
            "assignee_id",
            "resolve_by",
            "created_at",
            "id",  # PostgreSQL indexes do not carry the row id: without it this would not cover
        ),
        Index(
            "ix_ticket_created_kpi",
            "created_at",
            "created_by_id",
            "first_contact",
            "category_id",
            "is_open",
            "team_id",
            "id",
        ),
        Index("ix_ticket_assigned_kpi", "first_assigned_at", "created_at", "first_contact", "team_id"),
        # The watcher's unanswered tickets (services/escalation/due.py): a range of due times per
        # priority among the open unassigned only, no row of the assigned or closed checked.
        Index(
            "ix_ticket_unanswered",
            "priority",
            "respond_by",
            sqlite_where=UNANSWERED_SQLITE,
            postgresql_where=UNANSWERED_POSTGRESQL,
        ),
        # The monitor's oldest new ticket of each team (services/kpi/book.py OpenCounts): the first
        # entry of one range. Without it PostgreSQL may walk every ticket by creation time to a
        # team's oldest (85 ms at 1M tickets when it underestimates a team's new tickets).
        Index(
            "ix_ticket_open_oldest",
            "team_id",
            "status",
            "created_at",
            "id",
            sqlite_where=OPEN_SQLITE,
            postgresql_where=OPEN_POSTGRESQL,
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    kind: str = Field(default=Kind.INCIDENT, max_length=20)
    category_id: int | None = Field(default=None, foreign_key="category.id")
    impact: int = Field(default=3)  # 1 high, 2 medium, 3 low
    urgency: int = Field(default=3)
    priority: int = Field(default=5)  # 1 (P1) .. 5 (P5)
    status: str = Field(default=Status.NEW, max_length=24)
    is_open: bool = Field(default=True)  # status in OPEN_STATUSES, kept for the queue indexes
    channel: str = Field(default="phone", max_length=16)
    service_mode: str = Field(default="phone", max_length=20)
    customer_id: int | None = Field(default=None, foreign_key="customer.id")
    device_id: int | None = Field(default=None, foreign_key="device.id")
    summary: str = Field(max_length=200)
    description: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    warranty: str = Field(default="unknown", max_length=16)  # in | out | unknown
    team_id: int | None = Field(default=None, foreign_key="team.id")
    tier: int = Field(default=1)
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    created_by_id: int | None = Field(default=None, foreign_key="agent.id")
    escalation_level: int = Field(default=0)
    escalated_to_id: int | None = Field(default=None, foreign_key="agent.id")  # the "Escalated to me" view
    chase_count: int = Field(default=0)
    respond_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolve_by: datetime | None = Field(default=None, sa_type=UtcDateTime)
    responded_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sla_paused_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    sla_paused_seconds: int = Field(default=0)
    call_started_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    handle_seconds: int | None = None
    first_contact: bool = Field(default=False)  # resolved at first contact
    resolution: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    duplicate_of_id: int | None = Field(default=None, foreign_key="ticket.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    assigned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    # The first pick-up by an agent (claim, assign, transfer to an agent), set once: hand-over time.
    first_assigned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    closed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    version: int = Field(default=1)  # optimistic locking: every edit names the version it read


class TicketEvent(SQLModel, table=True):
    """The append-only record of a ticket; its id orders the change feed."""

    __tablename__ = "ticket_event"
    __table_args__ = (
        Index("ix_ticket_event_ticket", "ticket_id", "id"),
        # Reopens and resolutions in a period (the KPIs count them from the log): small partial indexes.
        Index(
            "ix_ticket_event_reopened",
            "at",
            "ticket_id",
            sqlite_where=text("kind = 'reopened'"),
            postgresql_where=text("kind = 'reopened'"),
        ),
        Index(
            "ix_ticket_event_resolved",
            "at",
            "ticket_id",
            "actor_id",
            "data",  # what the resolve recorded (in_sla): the KPIs read no event row
            sqlite_where=text("kind = 'resolved'"),
            postgresql_where=text("kind = 'resolved'"),
        ),
    )
    id: int | None = Field(
        default=None,
        sa_column=Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    )
    ticket_id: int = Field(sa_column=Column(ForeignKey("ticket.id"), nullable=False))
    actor_id: int | None = Field(default=None, foreign_key="agent.id")
    at: datetime = Field(sa_type=UtcDateTime)
    kind: str = Field(max_length=20)
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    public: bool = Field(default=False)  # visible to the customer (a note read out or mailed)
    data: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # JSON


class WorkSheet(SQLModel, table=True):
    """The on-site work sheet (派工单) of a ticket served on site, carry-in or mail-in."""

    __tablename__ = "work_sheet"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    planned_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    address: str = Field(default="", max_length=300)
    engineer_id: int | None = Field(default=None, foreign_key="agent.id")
    arrived_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    work_done: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    signed_by: str = Field(default="", max_length=120)  # the customer's sign-off name
    updated_at: datetime = Field(sa_type=UtcDateTime)
    version: int = Field(default=1)


class WorkSheetPart(SQLModel, table=True):
    """A part replaced on a work sheet: the part, the serial fitted and the serial removed."""

    __tablename__ = "work_sheet_part"
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="work_sheet.ticket_id", index=True)
    part: str = Field(max_length=120)
    serial_in: str = Field(default="", max_length=60)
    serial_out: str = Field(default="", max_length=60)


class TicketLink(SQLModel, table=True):
    __tablename__ = "ticket_link"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    related_id: int = Field(foreign_key="ticket.id", primary_key=True)
    kind: str = Field(default="related", max_length=20)


class TicketWatch(SQLModel, table=True):
    __tablename__ = "ticket_watch"
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
