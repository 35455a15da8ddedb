"""The KPI definitions: the period's additive tallies (a period's tally is the sum of its slices'),
the formulas that turn a tally into figures, and one ticket's SLA state (the package's docstring
says what each figure counts)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from ...models import Status
from ..auth import Actor, require

RUNNING = (Status.NEW.value, Status.ASSIGNED.value, Status.IN_PROGRESS.value)  # SLA clock runs
OPEN = (*RUNNING, Status.PENDING_CUSTOMER.value, Status.PENDING_THIRD_PARTY.value)
AT_RISK = timedelta(minutes=30)
SATISFIED = 2  # ratings 1 (very satisfied) and 2 (satisfied) count as satisfied
RATINGS = ("attitude", "quality", "technical", "speed")


def require_supervisor(s: Session, actor: Actor) -> None:
    """Supervisors and admins."""
    require(s, actor, "kpi.read")


# --- periods ----------------------------------------------------------------------------------------


def day_start(now: datetime, timezone: str) -> datetime:
    """Midnight of the desk's day containing `now`, in UTC."""
    local = now.astimezone(ZoneInfo(timezone))
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def hours_of_day(start: datetime) -> list[tuple[datetime, datetime]]:
    return [(start + timedelta(hours=h), start + timedelta(hours=h + 1)) for h in range(24)]


# --- one ticket -------------------------------------------------------------------------------------


def sla_state(status: str, resolve_by: datetime | None, now: datetime) -> str:
    """breached | at_risk | ok for an open ticket whose clock runs; paused while it waits on others;
    none without a resolve-by time or when not open."""
    if status not in OPEN or resolve_by is None:
        return "none"
    if status not in RUNNING:
        return "paused"
    if resolve_by < now:
        return "breached"
    return "at_risk" if resolve_by < now + AT_RISK else "ok"


# --- additive tallies -------------------------------------------------------------------------------


def add_sums(total: object, other: object, kind: type) -> None:
    """Add each field of the dataclass `kind` of `other` to `total`'s (a tally's slices summed)."""
    for f in fields(kind):
        setattr(total, f.name, getattr(total, f.name) + getattr(other, f.name))


@dataclass
class AgentTally:
    """Sums over a period, for the desk (Tally) or one agent (Tally.agents)."""

    calls: int = 0
    first_contact: int = 0  # of the calls, resolved at first contact (gross)
    first_contact_reopened: int = 0  # of those, reopened since
    first_line_calls: int = 0  # calls of categories the first line can resolve
    first_line_fc: int = 0  # of those, resolved at first contact
    first_line_fc_reopened: int = 0  # of those, reopened since
    still_open: int = 0  # of the calls logged in the period, still open now
    reopened_open: int = 0  # of those, reopened since: resolved once all the same
    resolved: int = 0  # resolved events in the period
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
    contacts: int = 0  # calls handled (talked, then saved as a ticket or a chase)
    talk_seconds: float = 0.0
    acw_seconds: float = 0.0

    def add(self, other: AgentTally) -> AgentTally:
        add_sums(self, other, AgentTally)
        return self


@dataclass
class Tally(AgentTally):
    """The desk's sums over a period, with each agent's; a period's tally is the sum of its slices'."""

    agents: dict[int, AgentTally] = field(default_factory=dict)

    def add(self, other: AgentTally) -> Tally:
        super().add(other)
        for agent_id, t in getattr(other, "agents", {}).items():
            self.agent(agent_id).add(t)
        return self

    def credit(self, agent_id: int | None, part: AgentTally) -> None:
        """Add `part` to the desk's sums and to the agent's."""
        super().add(part)
        if agent_id is not None:
            self.agent(agent_id).add(part)

    def agent(self, agent_id: int) -> AgentTally:
        if agent_id not in self.agents:
            self.agents[agent_id] = AgentTally()
        return self.agents[agent_id]


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


@dataclass(frozen=True)
class Kpis:
    """The period's figures; None where there is nothing to divide by."""

    calls_logged: int
    first_contact_rate: float | None  # gross
    net_first_contact_rate: float | None
    resolution_rate: float | None
    resolved: int
    avg_resolution_seconds: float | None
    avg_handover_seconds: float | None
    sla_compliance: float | None  # resolved within SLA
    csat: float | None
    csat_score: float | None
    surveys: int
    contacts_handled: int
    avg_handle_seconds: float | None
    reopened: int
    reopen_rate: float | None


def _fcr(t: AgentTally) -> tuple[float | None, float | None]:
    """First-contact rate, gross and net; a first-contact resolution reopened since is none."""
    gross = _ratio(t.first_contact - t.first_contact_reopened, t.calls)
    net = _ratio(t.first_line_fc - t.first_line_fc_reopened, t.first_line_calls)
    return gross, net


def aht(t: AgentTally) -> float | None:
    return _ratio(t.talk_seconds + t.acw_seconds, t.contacts)


def kpis(t: AgentTally) -> Kpis:
    """The formulas (see the module's docstring and docs/KPIS.md)."""
    gross, net = _fcr(t)
    return Kpis(
        calls_logged=t.calls,
        first_contact_rate=gross,
        net_first_contact_rate=net,
        resolution_rate=_ratio(t.calls - t.still_open + t.reopened_open, t.calls),
        resolved=t.resolved,
        avg_resolution_seconds=_ratio(t.resolve_seconds, t.resolved),
        avg_handover_seconds=_ratio(t.handover_seconds, t.handovers),
        sla_compliance=_ratio(t.sla_met, t.sla_due),
        csat=_ratio(t.satisfied, t.answers),
        csat_score=_ratio(t.score_sum, t.answers),
        surveys=t.surveys,
        contacts_handled=t.contacts,
        avg_handle_seconds=aht(t),
        reopened=t.reopened,
        reopen_rate=_ratio(t.reopened, t.resolved),
    )


@dataclass(frozen=True)
class AgentKpis:
    agent_id: int
    login: str
    name: str
    team: str
    handled: int
    calls: int
    resolved: int
    first_contact_rate: float | None
    avg_handle_seconds: float | None
    avg_resolution_seconds: float | None
    sla_compliance: float | None
    csat: float | None
    surveys: int
    reopen_rate: float | None
    net_first_contact_rate: float | None
    contacts: int


def agent_kpis(agent_id: int, login: str, name: str, team: str, t: AgentTally) -> AgentKpis:
    gross, net = _fcr(t)
    return AgentKpis(
        agent_id=agent_id,
        login=login,
        name=name,
        team=team,
        handled=t.calls + t.resolved - t.first_contact,
        calls=t.calls,
        resolved=t.resolved,
        first_contact_rate=gross,
        avg_handle_seconds=aht(t),
        avg_resolution_seconds=_ratio(t.resolve_seconds, t.resolved),
        sla_compliance=_ratio(t.sla_met, t.sla_due),
        csat=_ratio(t.satisfied, t.answers),
        surveys=t.surveys,
        reopen_rate=_ratio(t.reopened, t.resolved),
        net_first_contact_rate=net,
        contacts=t.contacts,
    )
