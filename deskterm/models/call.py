"""Phone calls as the PBX reports them (services/calls.py): each call's record, the events that built
it (idempotent by call and event), the tickets logged or chased during it, the wrap-up codes agents
close a call with, the monitor's call thresholds and the desk's secrets (the CTI token)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from .base import UtcDateTime

_MISSED = text("answered_at IS NULL AND ended_at IS NOT NULL")


class PhoneCall(SQLModel, table=True):
    """One call: when it arrived, was answered and ended, by whom, and why it ended."""

    __tablename__ = "phone_call"
    __table_args__ = (
        Index("ix_phone_call_arrived", "arrived_at"),
        Index("ix_phone_call_agent", "agent_id", "answered_at"),
        # The missed-calls list: unanswered calls that ended, not yet seen, newest first.
        Index("ix_phone_call_missed", "seen_at", "ended_at", sqlite_where=_MISSED, postgresql_where=_MISSED),
    )
    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(max_length=120, unique=True)  # the PBX's id of the call
    direction: str = Field(default="in", max_length=3)  # in | out
    caller_raw: str = Field(default="", max_length=60)  # `from` as the PBX sent it
    caller: str = Field(default="", max_length=20)  # E.164 (+8613812345678), "" when not a number
    dialled: str = Field(default="", max_length=60)  # `to`
    queue: str = Field(default="", max_length=60)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    extension: str = Field(default="", max_length=20)  # the answering number
    arrived_at: datetime = Field(sa_type=UtcDateTime)
    answered_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    wait_seconds: int | None = None  # arrival to answer, or to the hang-up of a missed call
    talk_seconds: int | None = None  # answer to hang-up
    acw_seconds: int | None = None  # hang-up to the agent being ready again (after-call work)
    cause: str = Field(default="", max_length=20)  # the hang-up's cause (normalClearing, cancel, …)
    wrapup: str = Field(default="", max_length=20)  # a WrapupCode
    seen_at: datetime | None = Field(default=None, sa_type=UtcDateTime)  # a missed call marked seen
    seen_by_id: int | None = Field(default=None, foreign_key="agent.id")


class CallEvent(SQLModel, table=True):
    """Every event the PBX sent, once: a retried event finds its (call, event) row and changes
    nothing. Its id orders the consoles' call feed (an answer pops the agent's console)."""

    __tablename__ = "call_event"
    __table_args__ = (
        UniqueConstraint("call_id", "event", name="uq_call_event_call_event"),
        Index("ix_call_event_agent", "agent_id", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    call_id: str = Field(max_length=120)
    event: str = Field(max_length=10)  # newCall | answer | hangup
    at: datetime = Field(sa_type=UtcDateTime)  # when deskterm received it
    agent_id: int | None = Field(default=None, foreign_key="agent.id")  # whose console it concerns
    outcome: str = Field(default="stored", max_length=10)  # stored | rejected
    reason: str = Field(default="", max_length=200)  # why it was rejected
    payload: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class PhoneCallTicket(SQLModel, table=True):
    """A ticket logged or chased during a call."""

    __tablename__ = "phone_call_ticket"
    call_pk: int = Field(foreign_key="phone_call.id", primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True, index=True)
    kind: str = Field(default="logged", max_length=10)  # logged | chased


class WrapupCode(SQLModel, table=True):
    """How a call ended for the desk (resolved on the call, logged, wrong number …): reference data."""

    __tablename__ = "wrapup_code"
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=60)
    name_zh: str = Field(default="", max_length=60)
    position: int = Field(default=0)


class CallThreshold(SQLModel, table=True):
    """When a monitor call figure turns amber and red (data, not code). `higher_is_better`: the
    service level turns amber below `amber`; a wait turns amber above it."""

    __tablename__ = "call_threshold"
    figure: str = Field(primary_key=True, max_length=30)
    amber: float
    red: float
    higher_is_better: bool = Field(default=False)


class DeskSecret(SQLModel, table=True):
    """A secret of the desk (the CTI endpoint's token), kept in the database every process shares."""

    __tablename__ = "desk_secret"
    __table_args__ = (UniqueConstraint("name", name="uq_desk_secret_name"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=40)
    value: str = Field(max_length=200)
    changed_at: datetime = Field(sa_type=UtcDateTime)
