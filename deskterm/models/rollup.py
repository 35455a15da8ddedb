"""The KPI rollups (services/kpi/rollup.py): each settled day's additive sums by team and agent,
the same for the settled hours of the day not held yet, tickets created per hour, and how far the
rollup has folded the event log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Column, Index, Text
from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class KpiSums(SQLModel):
    """The additive sums of a slice (services/kpi/figures.AgentTally, the parts read at report
    time excepted) for the tickets of one team, credited to one agent."""

    team_id: int | None = None  # the ticket's team (none for calls handled: see of_agent)
    agent_id: int | None = None  # the agent credited (none: the desk's alone, e.g. hand-overs)
    of_agent: bool = False  # counts for the agent's team as it is now (calls handled)
    calls: int = 0
    first_contact: int = 0
    first_line_calls: int = 0
    first_line_fc: int = 0
    still_open: int = 0
    resolved: int = 0
    resolve_seconds: float = 0.0
    sla_met: int = 0
    sla_due: int = 0
    handovers: int = 0
    handover_seconds: float = 0.0
    surveys: int = 0
    satisfied: int = 0
    answers: int = 0
    score_sum: int = 0
    reopened: int = 0
    contacts: int = 0
    talk_seconds: float = 0.0
    acw_seconds: float = 0.0


class KpiDay(KpiSums, table=True):
    """One settled day's sums; a day's rows are replaced whole when anything about it changes."""

    __tablename__ = "kpi_day"
    __table_args__ = (Index("ix_kpi_day_day", "day", "team_id", "agent_id"),)
    id: int | None = Field(default=None, primary_key=True)
    day: datetime = Field(sa_type=UtcDateTime)  # the desk's midnight, in UTC


class KpiHourTally(KpiSums, table=True):
    """One settled hour's sums, for the hours of the day not held as a day yet (the monitor's
    today); replaced whole as a day's rows are, dropped once the day is held."""

    __tablename__ = "kpi_hour_tally"
    __table_args__ = (Index("ix_kpi_hour_tally_hour", "hour", "team_id", "agent_id"),)
    id: int | None = Field(default=None, primary_key=True)
    hour: datetime = Field(sa_type=UtcDateTime)  # the start of one of the desk's hours, in UTC


class KpiHour(SQLModel, table=True):
    """Tickets created in one settled hour (the monitor's arrivals a week before)."""

    __tablename__ = "kpi_hour"
    hour: datetime = Field(sa_type=UtcDateTime, primary_key=True)
    calls: int = 0


class KpiRollup(SQLModel, table=True):
    """The rollup's state (one row): the days it holds, [covered_from, covered_until) in the desk's
    time zone, and the event log folded up to `event_id`."""

    __tablename__ = "kpi_rollup"
    id: int = Field(default=1, primary_key=True)
    timezone: str = Field(max_length=64)
    covered_from: datetime = Field(sa_type=UtcDateTime)
    covered_until: datetime = Field(sa_type=UtcDateTime)
    event_id: int = Field(default=0, sa_type=BigInteger)  # the last ticket event folded
    holes: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))  # JSON: ids below
    # event_id not seen yet (a PostgreSQL id can commit after a higher one), with when first missed
    state_id: int = 0  # agent_state_log rows from this id on may still end (the oldest open one)
    caught_up_at: datetime = Field(sa_type=UtcDateTime)
    fingerprint: str = Field(default="", max_length=64)  # the categories' first_line flags
    hours_until: datetime | None = Field(default=None, sa_type=UtcDateTime)  # today's hours held,
    # [covered_until, hours_until) in kpi_hour_tally (none: no hour held)
