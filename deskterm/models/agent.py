"""Agents, their teams, login attempts and console presence."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=80, unique=True)
    name_zh: str = Field(default="", max_length=80)
    tier: int = Field(default=1)  # the support line the team works at (1 desk, 2, 3)


class Agent(SQLModel, table=True):
    __table_args__ = (Index("ix_agent_extension", "extension", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=120)
    number: str = Field(max_length=10, unique=True)  # spoken in the greeting ("agent 017")
    role: str = Field(max_length=16)  # Role
    tier: int = Field(default=1)
    team_id: int | None = Field(default=None, foreign_key="team.id", index=True)
    manager_id: int | None = Field(default=None, foreign_key="agent.id")
    email: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=200)
    active: bool = Field(default=True)
    kb_editor: bool = Field(default=False)
    language: str | None = Field(default=None, max_length=5)
    # The phone the PBX rings (unique: the index ix_agent_extension).
    extension: str | None = Field(default=None, max_length=20)
    created_at: datetime = Field(sa_type=UtcDateTime)


class LoginAttempt(SQLModel, table=True):
    """Every login try, kept for audit and for throttling by login and source."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_login_at", "login", "at"),
        Index("ix_login_attempt_login_source_at", "login", "source", "at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(max_length=40)
    at: datetime = Field(sa_type=UtcDateTime)
    ok: bool
    source: str = Field(default="", max_length=80)  # console:<tty>, ssh:<ip>, cli:<tty>


class AgentPresence(SQLModel, table=True):
    """Each running console's state, refreshed by a heartbeat."""

    __tablename__ = "agent_presence"
    agent_id: int = Field(foreign_key="agent.id", primary_key=True)
    state: str = Field(max_length=20)  # available | on_call | after_call | away
    reason: str = Field(default="", max_length=20)  # away: an AwayReason code
    since: datetime = Field(sa_type=UtcDateTime)
    heartbeat_at: datetime = Field(sa_type=UtcDateTime)


class AgentStateLog(SQLModel, table=True):
    """Every state an agent's console was in, from when to when (the open row has no end): the
    talk and after-call work behind the average handle time (services/kpi.py)."""

    __tablename__ = "agent_state_log"
    __table_args__ = (
        Index("ix_agent_state_log_open", "agent_id", "ended_at"),
        # The KPI reads: every part of one period from one covering index range.
        Index("ix_agent_state_log_kpi", "ended_at", "state", "agent_id", "handled", "started_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id")
    state: str = Field(max_length=20)  # available | on_call | after_call | away | logged_out
    reason: str = Field(default="", max_length=20)
    started_at: datetime = Field(sa_type=UtcDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UtcDateTime)
    handled: bool = Field(default=False)  # on_call: the call was saved (a ticket or a chase)


class AwayReason(SQLModel, table=True):
    """Why an agent is away (break, lunch, meeting …): reference data the console offers."""

    __tablename__ = "away_reason"
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=60)
    name_zh: str = Field(default="", max_length=60)
    position: int = Field(default=0)  # the order the console lists them in
