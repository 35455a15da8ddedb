"""SLA policies and calendars, escalation rules, notifications, callbacks and surveys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class SlaCalendar(SQLModel, table=True):
    __tablename__ = "sla_calendar"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    timezone: str = Field(default="Asia/Shanghai", max_length=60)
    always_open: bool = Field(default=False)  # 24x7
    # JSON: {"hours": {"0": ["09:00", "18:00"], ...}, "holidays": [...], "workdays": [...]}
    spec: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class SlaPolicy(SQLModel, table=True):
    __tablename__ = "sla_policy"
    __table_args__ = (UniqueConstraint("priority", "customer_class", name="uq_sla_policy_prio_class"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80)
    priority: int
    customer_class: str = Field(default="", max_length=20)  # "" = any class
    respond_minutes: int
    resolve_minutes: int
    calendar_id: int = Field(foreign_key="sla_calendar.id")


class EscalationRule(SQLModel, table=True):
    __tablename__ = "escalation_rule"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    enabled: bool = Field(default=True)
    position: int = Field(default=0)
    condition: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    action: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class EscalationFiring(SQLModel, table=True):
    """A rule fires at most once per ticket and threshold: the primary key is the guard."""

    __tablename__ = "escalation_firing"
    rule_id: int = Field(foreign_key="escalation_rule.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    threshold: str = Field(default="", max_length=40, primary_key=True)
    at: datetime = Field(sa_type=UtcDateTime)


class Notification(SQLModel, table=True):
    __table_args__ = (Index("ix_notification_inbox", "agent_id", "read_at", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")
    kind: str = Field(max_length=20)  # escalated | assigned | breach | mention
    body: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_type=UtcDateTime)
    read_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    emailed_at: datetime | None = Field(default=None, sa_type=UtcDateTime)


class Callback(SQLModel, table=True):
    """One callback attempt (回访) on a resolved ticket."""

    __table_args__ = (Index("ix_callback_ticket", "ticket_id"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id")
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    at: datetime = Field(sa_type=UtcDateTime)
    outcome: str = Field(max_length=16)  # fixed | not_fixed | no_answer
    note: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class Survey(SQLModel, table=True):
    """The satisfaction survey: four ratings, 1 very satisfied .. 4 dissatisfied, and comments."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    attitude: int
    quality: int
    technical: int
    speed: int
    comment: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    created_at: datetime = Field(sa_type=UtcDateTime, index=True)
