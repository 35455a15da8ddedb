"""The desk's KPIs: each figure has ONE definition here, used by the live monitor and the reports
(docs/KPIS.md says the same for the desk).

Periods are half-open, [start, end), in UTC; "today" is the desk's day in its time zone. The
period figures are built from additive tallies (a period's tally is the sum of its slices'
tallies), each read from one index range (models/ticket.py, models/agent.py):

- calls logged            = tickets created in the period
- first-contact rate      = calls logged in the period and resolved at first contact, not reopened
  (gross)                   since / calls logged
- first-contact rate      = the same over the calls of categories the first line can resolve
  (net)                     (Category.first_line)
- resolution rate         = calls logged in the period resolved since (resolved or closed now, or
                            reopened after a resolution) / calls logged
- tickets resolved        = resolved events in the period (the event log: a later reopen does not
                            undo them); by the agent who resolved
- average resolution time = Σ (resolved event − created) / tickets resolved
- average hand-over time  = Σ (first pick-up − created) / tickets first picked up by an agent (claim,
                            assignment, transfer to an agent) in the period, first-contact
                            resolutions excepted (intake → second line); a reassignment later does
                            not move the first pick-up
- SLA compliance          = resolutions in the period within their resolve-by time (as the resolve
  (resolved within SLA)     recorded it) / resolutions in the period that had one
- CSAT                    = survey answers "very satisfied" or "satisfied" (1 or 2) / all answers,
                            over the surveys taken in the period (four answers each); the average
                            score (1 best … 4 worst) alongside
- average handle time     = Σ (talk + after-call work) / calls handled, from the consoles' state log
                            (services/presence.py): a call handled is a call that ended in after-call
                            work (saved as a ticket or a chase); states that ended in the period
- reopen rate             = reopened events in the period / resolved events in the period

Per agent: calls and first-contact resolutions by who logged the ticket; resolutions, resolution
time and SLA by who resolved; surveys and reopens by the ticket's assignee; handle time by whose
console it was; handled = calls logged + tickets resolved − first-contact resolutions (a call
logged and solved on the phone counts once).

The live figures (the monitor) about open tickets, at an instant `now`:
- backlog                 = open tickets by status × team
- pending                 = tickets waiting to be picked up (status new), against the target
- open past due now       = open tickets whose SLA clock runs (new, assigned, in progress) and whose
  ("breached")              resolve-by time has passed; due in 30 minutes ("at risk") = due within
                            the next 30 minutes (tickets waiting on the customer or a third party
                            have their clock stopped and are neither)
- oldest waiting          = per team, the longest-waiting ticket in status new (by creation time)
- agent's open tickets    = open tickets assigned to the agent
- arrivals per hour       = tickets created in each hour of the desk's day, beside the same hour a
                            week before

The monitor keeps the open tickets' few keys in memory (`OpenBook`), loaded once from a covering
index and then updated by ticket id from the change feed, and keeps the tallies of today's settled
hours, so a refresh reads only what changed, the current hour and the few reopens since the day
began."""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, extract, false, func, literal_column, or_, true
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import (
    Agent,
    AgentStateLog,
    AwayReason,
    Category,
    EventKind,
    Status,
    Survey,
    Team,
    Ticket,
    TicketEvent,
)
from . import presence, tickets
from .auth import Actor, require
from .errors import InvalidInput

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
        for f in fields(AgentTally):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
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


def _aht(t: AgentTally) -> float | None:
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
        avg_handle_seconds=_aht(t),
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
        avg_handle_seconds=_aht(t),
        avg_resolution_seconds=_ratio(t.resolve_seconds, t.resolved),
        sla_compliance=_ratio(t.sla_met, t.sla_due),
        csat=_ratio(t.satisfied, t.answers),
        surveys=t.surveys,
        reopen_rate=_ratio(t.reopened, t.resolved),
        net_first_contact_rate=net,
        contacts=t.contacts,
    )


# --- the SQL of each part (one index range each) ------------------------------------------------------


def _seconds(s: Session, start: Any, end: Any) -> Any:
    if s.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return extract("epoch", end - start)


def _epoch(s: Session, column: Any) -> Any:
    if s.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return extract("epoch", column)


def _flag(column: Any) -> Any:
    return func.sum(case((column == true(), 1), else_=0))


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _team(where: list[Any], team_id: int | None) -> list[Any]:
    return [*where, col(Ticket.team_id) == team_id] if team_id is not None else where


def _kind(kind: str) -> Any:
    """An event kind as a literal: the partial indexes' own term (ix_ticket_event_reopened, _resolved)."""
    return col(TicketEvent.kind) == literal_column(f"'{kind}'")


def _first_line() -> Any:
    """The ticket's category can be resolved at first line (uncategorised tickets count as such)."""
    not_first_line = select(Category.id).where(col(Category.first_line) == false())
    return or_(col(Ticket.category_id).is_(None), col(Ticket.category_id).not_in(not_first_line))


def created_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Calls logged and first-contact resolutions (fields fixed at intake) by who logged them, and
    how many of those calls are still open now."""
    fc = col(Ticket.first_contact) == true()
    first_line = _first_line()
    rows = s.exec(
        select(
            Ticket.created_by_id,
            func.count(),
            _count(fc),
            _flag(col(Ticket.is_open)),
            _count(first_line),
            _count(and_(fc, first_line)),
        )
        .where(*_team([col(Ticket.created_at) >= start, col(Ticket.created_at) < end], team_id))
        .group_by(col(Ticket.created_by_id))
    ).all()
    t = Tally()
    for agent_id, calls, fc_n, still_open, fl_calls, fl_fc in rows:
        t.credit(
            agent_id,
            AgentTally(
                calls=calls,
                first_contact=fc_n or 0,
                still_open=still_open or 0,
                first_line_calls=fl_calls or 0,
                first_line_fc=fl_fc or 0,
            ),
        )
    return t


def reopened_since_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Of the calls logged in the period, those reopened since (at any time up to now: a reopen
    comes after the call, so from the period's start on, in the small partial index
    ix_ticket_event_reopened): resolved once all the same, and no first-contact resolution. Read
    once for a whole period: its range runs to now."""
    reopened = select(TicketEvent.ticket_id).where(_kind(EventKind.REOPENED), col(TicketEvent.at) >= start)
    where = [col(Ticket.id).in_(reopened), col(Ticket.created_at) >= start, col(Ticket.created_at) < end]
    fc = col(Ticket.first_contact) == true()
    rows = s.exec(
        select(Ticket.created_by_id, _flag(col(Ticket.is_open)), _count(fc), _count(and_(fc, _first_line())))
        .where(*_team(where, team_id))
        .group_by(col(Ticket.created_by_id))
    ).all()
    t = Tally()
    for agent_id, still_open, fc_n, fl in rows:
        part = AgentTally(
            reopened_open=still_open or 0, first_contact_reopened=fc_n or 0, first_line_fc_reopened=fl or 0
        )
        t.credit(agent_id, part)
    return t


def _in_sla() -> tuple[Any, Any]:
    """(met, due) of a resolved event: what the resolve recorded ("in_sla" in its data, so a later
    change of the ticket's due time does not rewrite the past), else the ticket's resolve-by time."""
    data = col(TicketEvent.data)
    recorded_met = data.contains('"in_sla": true')
    recorded = or_(recorded_met, data.contains('"in_sla": false'))
    due = col(Ticket.resolve_by)
    met = case((recorded, case((recorded_met, 1), else_=0)), (col(TicketEvent.at) <= due, 1), else_=0)
    is_due = case((recorded, 1), (due.is_not(None), 1), else_=0)
    return met, is_due


def _resolutions(start: datetime, end: datetime) -> list[Any]:
    return [_kind(EventKind.RESOLVED), col(TicketEvent.at) >= start, col(TicketEvent.at) < end]


def resolved_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Resolutions in the period, from the event log (a later reopen does not undo them): time to
    resolve and SLA met, by the agent who resolved."""
    met, due = _in_sla()
    rows = s.exec(
        select(
            TicketEvent.actor_id,
            func.count(),
            func.sum(_seconds(s, Ticket.created_at, TicketEvent.at)),
            func.sum(met),
            func.sum(due),
        )
        .select_from(TicketEvent)
        .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(*_team(_resolutions(start, end), team_id))
        .group_by(col(TicketEvent.actor_id))
    ).all()
    t = Tally()
    for agent_id, n, secs, sla_met, sla_due in rows:
        t.credit(
            agent_id,
            AgentTally(
                resolved=n,
                resolve_seconds=max(float(secs or 0), 0.0),
                sla_met=sla_met or 0,
                sla_due=sla_due or 0,
            ),
        )
    return t


def handover_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """First pick-ups by an agent in the period (not first-contact resolutions): intake → second
    line. A later reassignment does not move the first pick-up."""
    where = [
        col(Ticket.first_assigned_at) >= start,
        col(Ticket.first_assigned_at) < end,
        col(Ticket.first_contact) == false(),
    ]
    n, secs = s.exec(
        select(func.count(), func.sum(_seconds(s, Ticket.created_at, Ticket.first_assigned_at))).where(
            *_team(where, team_id)
        )
    ).one()
    return Tally(handovers=n, handover_seconds=max(float(secs or 0), 0.0))


def survey_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Surveys taken in the period; credited to the ticket's assignee."""
    ratings = [getattr(Survey, r) for r in RATINGS]
    satisfied = sum(case((col(r) <= SATISFIED, 1), else_=0) for r in ratings)
    score = sum(col(r) for r in ratings)
    where = [col(Survey.created_at) >= start, col(Survey.created_at) < end]
    if team_id is not None:
        where.append(col(Ticket.team_id) == team_id)
    rows = s.exec(
        select(Ticket.assignee_id, func.count(), func.sum(satisfied), func.sum(score))
        .select_from(Survey)
        .join(Ticket, col(Ticket.id) == Survey.ticket_id)
        .where(*where)
        .group_by(col(Ticket.assignee_id))
    ).all()
    t = Tally()
    for agent_id, n, sat, sc in rows:
        t.credit(
            agent_id, AgentTally(surveys=n, satisfied=sat or 0, answers=n * len(RATINGS), score_sum=sc or 0)
        )
    return t


def reopened_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Reopens in the period (the partial index ix_ticket_event_reopened), by the ticket's assignee."""
    where = [_kind(EventKind.REOPENED), col(TicketEvent.at) >= start, col(TicketEvent.at) < end]
    rows = s.exec(
        select(Ticket.assignee_id, func.count())
        .select_from(TicketEvent)
        .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(*_team(where, team_id))
        .group_by(col(Ticket.assignee_id))
    ).all()
    t = Tally()
    for agent_id, n in rows:
        t.credit(agent_id, AgentTally(reopened=n))
    return t


def contacts_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Calls handled and their talk and after-call work, from the consoles' state log (states that
    ended in the period, so a past period is final; ix_agent_state_log_kpi), by agent."""
    L = AgentStateLog
    handled = and_(col(L.state) == presence.ON_CALL, col(L.handled) == true())
    secs = _seconds(s, L.started_at, L.ended_at)
    where = [
        col(L.ended_at) >= start,
        col(L.ended_at) < end,
        col(L.state).in_((presence.ON_CALL, presence.AFTER_CALL)),
    ]
    if team_id is not None:
        where.append(col(L.agent_id).in_(select(Agent.id).where(col(Agent.team_id) == team_id)))
    rows = s.exec(
        select(
            L.agent_id,
            _count(handled),
            func.sum(case((handled, secs), else_=0.0)),
            func.sum(case((col(L.state) == presence.AFTER_CALL, secs), else_=0.0)),
        )
        .where(*where)
        .group_by(col(L.agent_id))
    ).all()
    t = Tally()
    for agent_id, n, talk, acw in rows:
        t.credit(
            agent_id,
            AgentTally(
                contacts=n or 0,
                talk_seconds=max(float(talk or 0), 0.0),
                acw_seconds=max(float(acw or 0), 0.0),
            ),
        )
    return t


# A period's tally is the sum over its slices (days for the reports, hours for the monitor) of
# SLICE_PARTS, which do not change once a slice is past (so the monitor keeps today's settled
# hours; `still_open` excepted, which it counts from its open tickets), plus reopened_since_part,
# read once for the whole period (its range runs to now). The reports and the monitor both add
# exactly these.
SLICE_PARTS = (created_part, resolved_part, handover_part, survey_part, reopened_part, contacts_part)


def period_tally(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Every part of one period."""
    return slice_tally(s, start, end, team_id).add(reopened_since_part(s, start, end, team_id))


def slice_tally(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """The additive parts of one slice of a period (an hour of the monitor's day; a day, for the
    reports' progress)."""
    t = Tally()
    for part in SLICE_PARTS:
        t.add(part(s, start, end, team_id))
    return t


def arrivals(s: Session, slots: list[tuple[datetime, datetime]]) -> list[int]:
    """Tickets created in each slot, one statement (index ix_ticket_created per slot)."""
    counts = [
        select(func.count())
        .select_from(Ticket)
        .where(col(Ticket.created_at) >= a, col(Ticket.created_at) < b)
        .scalar_subquery()
        for a, b in slots
    ]
    return list(s.exec(select(*counts)).one())  # type: ignore[call-overload]


def team_id_of(db: Database, team: str | None) -> int | None:
    if not team:
        return None
    with db.read() as s:
        team_id = s.exec(select(Team.id).where(Team.name == team)).first()
    if team_id is None:
        raise InvalidInput({"team": f"no team named {team!r}"})
    return team_id


# --- the open tickets, in memory --------------------------------------------------------------------

Key = tuple[int | None, str, int | None, float | None, float]  # team, status, assignee, due, created


class OpenBook:
    """The open tickets' keys (team, status, assignee, resolve-by, created), with the counts the
    monitor shows kept up to date as tickets are put in or taken out."""

    def __init__(self) -> None:
        self.rows: dict[int, Key] = {}
        self.cells: Counter[tuple[int | None, str]] = Counter()
        self.agent_open: Counter[int] = Counter()
        self.due: dict[int | None, list[float]] = {}  # per team, sorted resolve-by of running tickets
        self.waiting: dict[int | None, list[tuple[float, int]]] = {}  # per team, (created, id) of new
        self.created: list[float] = []  # sorted creation times of all open tickets

    def load(self, rows: Iterable[tuple[int, Key]]) -> None:
        """Start from these open tickets (sorting once, not inserting one by one)."""
        self.__init__()  # type: ignore[misc]
        for ticket_id, key in rows:
            team, status, assignee, due, created = key
            self.rows[ticket_id] = key
            self.cells[(team, status)] += 1
            if assignee is not None:
                self.agent_open[assignee] += 1
            self.created.append(created)
            if status in RUNNING and due is not None:
                self.due.setdefault(team, []).append(due)
            if status == Status.NEW:
                self.waiting.setdefault(team, []).append((created, ticket_id))
        self.created.sort()
        for items in (*self.due.values(), *self.waiting.values()):
            items.sort()

    def put(self, ticket_id: int, key: Key | None) -> None:
        """Set a ticket's current keys (None: no longer open). Idempotent."""
        old = self.rows.pop(ticket_id, None)
        if old is not None:
            self._count(ticket_id, old, -1)
        if key is not None:
            self.rows[ticket_id] = key
            self._count(ticket_id, key, +1)

    def _count(self, ticket_id: int, key: Key, sign: int) -> None:
        team, status, assignee, due, created = key
        self.cells[(team, status)] += sign
        if assignee is not None:
            self.agent_open[assignee] += sign
        _sorted(self.created, created, sign)
        if status in RUNNING and due is not None:
            _sorted(self.due.setdefault(team, []), due, sign)
        if status == Status.NEW:
            _sorted(self.waiting.setdefault(team, []), (created, ticket_id), sign)

    def breached(self, team: int | None, now: float) -> int:
        return bisect.bisect_left(self.due.get(team, []), now)

    def at_risk(self, team: int | None, now: float) -> int:
        due = self.due.get(team, [])
        return bisect.bisect_left(due, now + AT_RISK.total_seconds()) - bisect.bisect_left(due, now)

    def open_created_since(self, since: float) -> int:
        return len(self.created) - bisect.bisect_left(self.created, since)

    def teams(self) -> set[int | None]:
        return {team for team, _status in self.cells if self.cells[(team, _status)]}


def _sorted(items: list[Any], value: Any, sign: int) -> None:
    if sign > 0:
        bisect.insort(items, value)
    else:
        i = bisect.bisect_left(items, value)
        if i < len(items) and items[i] == value:
            del items[i]


def _book_query(s: Session) -> Any:
    return select(
        Ticket.id,
        Ticket.team_id,
        Ticket.status,
        Ticket.assignee_id,
        _epoch(s, Ticket.resolve_by),
        _epoch(s, Ticket.created_at),
        Ticket.is_open,
    )


def _key(row: Any) -> Key | None:
    _id, team, status, assignee, due, created, is_open = row
    if not is_open:
        return None
    return (team, status, assignee, float(due) if due is not None else None, float(created))


# --- the monitor --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamLine:
    team_id: int | None
    team: str
    counts: dict[str, int]  # status -> open tickets
    open: int
    breached: int
    at_risk: int
    oldest_number: str
    oldest_since: datetime | None


@dataclass(frozen=True)
class AgentLine:
    agent_id: int
    login: str
    name: str
    role: str
    team: str
    open: int
    resolved_today: int
    avg_handle_seconds: float | None
    state: str
    since: datetime | None
    reason: str = ""  # away: the reason's code


@dataclass(frozen=True)
class MonitorView:
    now: datetime
    day_start: datetime
    teams: list[TeamLine]
    pending: int
    pending_target: int
    breached: int
    at_risk: int
    kpis: Kpis
    arrivals: list[int]  # today's hours 0..23 (local), up to now
    arrivals_last_week: list[int]
    agents: list[AgentLine]
    reasons: dict[str, tuple[str, str]]  # away reason code -> (name, name_zh)
    db_ms: float  # database time of this refresh
    full: bool  # the open tickets were (re)loaded


class Monitor:
    """The state behind one supervisor's monitor. `refresh(changed)` returns the figures, reading
    the open tickets once and afterwards only the tickets named by the change feed.

    Not thread-safe: one caller at a time (the screen never runs two refreshes at once)."""

    SETTLE = timedelta(minutes=2)  # an hour's settled parts are final this long after it ends

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        timezone: str = "Asia/Shanghai",
        pending_target: int = 10,
        presence_timeout: float = 60.0,
    ) -> None:
        with db.read() as s:
            require_supervisor(s, actor)
        self.db = db
        self.actor = actor
        self.timezone = timezone
        self.pending_target = pending_target
        self.presence_timeout = presence_timeout
        self.book: OpenBook | None = None
        self._day: datetime | None = None
        self._hours: dict[datetime, Tally] = {}  # today's settled hours
        self._last_week: list[int] = []

    def reload(self) -> None:
        """Forget the open tickets and today's settled hours: the next refresh counts them again."""
        self.book = None
        self._day = None

    def refresh(self, changed: Iterable[int] = (), now: datetime | None = None) -> MonitorView:
        """The figures at `now`, after re-reading the tickets named in `changed` (every open ticket
        the first time). One read transaction; its duration is reported as `db_ms`."""
        now = now or clock.now()
        started = time.perf_counter()
        full = self.book is None
        with self.db.read() as s:
            require_supervisor(s, self.actor)
            if self.book is None:
                rows = s.exec(_book_query(s).where(col(Ticket.is_open) == true())).all()
                self.book = OpenBook()
                self.book.load((row[0], key) for row in rows if (key := _key(row)) is not None)
            else:
                ids = sorted(set(changed))
                for i in range(0, len(ids), 500):
                    chunk = ids[i : i + 500]
                    found = {r[0]: r for r in s.exec(_book_query(s).where(col(Ticket.id).in_(chunk)))}
                    for ticket_id in chunk:
                        row = found.get(ticket_id)
                        self.book.put(ticket_id, _key(row) if row else None)
            book = self.book
            today, per_hour = self._today(s, now)
            teams = dict(s.exec(select(Team.id, Team.name)).all())
            agents = s.exec(
                select(Agent.id, Agent.login, Agent.name, Agent.role, Team.name)
                .join(Team, col(Team.id) == Agent.team_id, isouter=True)
                .where(col(Agent.active) == true())
                .order_by(Team.name, Agent.name)
            ).all()
            oldest_ids = {t: w[0][1] for t, w in book.waiting.items() if w}
            numbers: dict[int, str] = {}
            if oldest_ids:
                query = select(Ticket.id, Ticket.number).where(col(Ticket.id).in_(oldest_ids.values()))
                numbers = {i: n for i, n in s.exec(query).all() if i is not None}
            states = presence.read_states(s, timeout=self.presence_timeout, now=now)
            reasons = {
                r[0]: (r[1], r[2])
                for r in s.exec(select(AwayReason.code, AwayReason.name, AwayReason.name_zh))
            }
        db_ms = (time.perf_counter() - started) * 1000
        start = self._day
        assert start is not None
        now_ts = now.timestamp()
        today.still_open = book.open_created_since(start.timestamp())
        lines = []
        for team_id in sorted(set(teams) | book.teams(), key=lambda t: (t is None, teams.get(t, ""))):
            counts = {st: book.cells[(team_id, st)] for st in OPEN}
            waiting = book.waiting.get(team_id) or []
            lines.append(
                TeamLine(
                    team_id=team_id,
                    team=teams.get(team_id, "") if team_id is not None else "",
                    counts=counts,
                    open=sum(counts.values()),
                    breached=book.breached(team_id, now_ts),
                    at_risk=book.at_risk(team_id, now_ts),
                    oldest_number=numbers.get(waiting[0][1], "") if waiting else "",
                    oldest_since=datetime.fromtimestamp(waiting[0][0], UTC) if waiting else None,
                )
            )
        agent_lines = []
        for agent_id, login, name, role, team in agents:
            a = today.agents.get(agent_id, AgentTally())
            p = states.get(agent_id)
            agent_lines.append(
                AgentLine(
                    agent_id=agent_id,
                    login=login,
                    name=name,
                    role=role,
                    team=team or "",
                    open=book.agent_open.get(agent_id, 0),
                    resolved_today=a.resolved,
                    avg_handle_seconds=_aht(a),
                    state=p.state if p else presence.LOGGED_OUT,
                    since=p.since if p else None,
                    reason=p.reason if p else "",
                )
            )
        return MonitorView(
            now=now,
            day_start=start,
            teams=lines,
            pending=sum(line.counts[Status.NEW] for line in lines),
            pending_target=self.pending_target,
            breached=sum(line.breached for line in lines),
            at_risk=sum(line.at_risk for line in lines),
            kpis=kpis(today),
            arrivals=per_hour,
            arrivals_last_week=list(self._last_week),
            agents=agent_lines,
            reasons=reasons,
            db_ms=db_ms,
            full=full,
        )

    def _today(self, s: Session, now: datetime) -> tuple[Tally, list[int]]:
        """Today's period figures: settled hours from the cache; the current hour and what became
        of today's calls read now."""
        start = day_start(now, self.timezone)
        if start != self._day:
            self._day, self._hours = start, {}
            self._last_week = arrivals(s, hours_of_day(start - timedelta(days=7)))
        total, per_hour = Tally(), []
        for a, b in hours_of_day(start):
            if a >= now:
                per_hour.append(0)
                continue
            part = self._hours.get(a)
            if part is None:
                part = slice_tally(s, a, min(b, now))
                if b + self.SETTLE <= now:
                    self._hours[a] = part
            per_hour.append(part.calls)
            total.add(part)
        total.add(reopened_since_part(s, start, now))
        return total, per_hour


# --- drill down: the tickets behind a figure ---------------------------------------------------------

FIGURES = (
    "backlog",  # team, status (None: every open status)
    "pending",  # team (None: every team)
    "breached",
    "at_risk",
    "waiting",  # the team's queue of new tickets, oldest first
    "agent_open",  # agent
    "agent_resolved",  # agent, today
    "calls",  # today
    "first_contact",
    "still_open",
    "resolved",
    "sla_missed",
    "handover",
    "reopened",
)


@dataclass(frozen=True)
class Figure:
    kind: str
    team_id: int | None = None
    all_teams: bool = True  # False: team_id None means "no team"
    status: str | None = None
    agent_id: int | None = None


def tickets_behind(
    db: Database,
    actor: Actor,
    figure: Figure,
    *,
    timezone: str = "Asia/Shanghai",
    now: datetime | None = None,
    limit: int = 200,
) -> list[tickets.TicketRow]:
    """The tickets a monitor figure counts (at most `limit`, most urgent or oldest first)."""
    if figure.kind not in FIGURES:
        raise InvalidInput({"figure": f"one of {', '.join(FIGURES)}"})
    now = now or clock.now()
    start = day_start(now, timezone)
    T = Ticket
    is_open = col(T.is_open) == true()
    running = col(T.status).in_(RUNNING)
    due = col(T.resolve_by)
    created_today = and_(col(T.created_at) >= start, col(T.created_at) < now)
    resolved_today = col(T.id).in_(select(TicketEvent.ticket_id).where(*_resolutions(start, now)))
    met, _due = _in_sla()
    missed = (
        select(TicketEvent.ticket_id)
        .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(*_resolutions(start, now), _due == 1, met == 0)
    )
    reopened_since = select(TicketEvent.ticket_id).where(
        _kind(EventKind.REOPENED), col(TicketEvent.at) >= start
    )
    latest = col(T.updated_at).desc()
    where, order = {
        "backlog": ([is_open] + ([col(T.status) == figure.status] if figure.status else []), [due]),
        "pending": ([col(T.status) == Status.NEW], [col(T.created_at)]),
        "breached": ([running, due < now], [due]),
        "at_risk": ([running, due >= now, due < now + AT_RISK], [due]),
        "waiting": ([col(T.status) == Status.NEW], [col(T.created_at)]),
        "agent_open": ([is_open, col(T.assignee_id) == figure.agent_id], [due]),
        "agent_resolved": (
            [
                col(T.id).in_(
                    select(TicketEvent.ticket_id).where(
                        *_resolutions(start, now), col(TicketEvent.actor_id) == figure.agent_id
                    )
                )
            ],
            [latest],
        ),
        "calls": ([created_today], [col(T.created_at).desc()]),
        "first_contact": (
            [created_today, col(T.first_contact) == true(), col(T.id).not_in(reopened_since)],
            [col(T.created_at).desc()],
        ),
        "still_open": (  # not resolved yet
            [created_today, is_open, col(T.id).not_in(reopened_since)],
            [col(T.created_at).desc()],
        ),
        "resolved": ([resolved_today], [latest]),
        "sla_missed": ([col(T.id).in_(missed)], [latest]),
        "handover": (
            [
                col(T.first_assigned_at) >= start,
                col(T.first_assigned_at) < now,
                col(T.first_contact) == false(),
            ],
            [col(T.first_assigned_at).desc()],
        ),
        "reopened": (
            [col(T.id).in_(reopened_since.where(col(TicketEvent.at) < now))],
            [latest],
        ),
    }[figure.kind]
    if figure.team_id is not None or not figure.all_teams:
        where = [
            *where,
            col(T.team_id) == figure.team_id if figure.team_id is not None else col(T.team_id).is_(None),
        ]
    with db.read() as s:
        require_supervisor(s, actor)
        numbers = list(s.exec(select(T.number).where(*where).order_by(*order, col(T.id)).limit(limit)).all())
    rows = {r.number: r for r in tickets.list_tickets_by_numbers(db, numbers)} if numbers else {}
    return [rows[n] for n in numbers if n in rows]


# --- reports ----------------------------------------------------------------------------------------


def report_days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The period cut into days (the last one may be short), for progress and per-day rows."""
    out, a = [], start
    while a < end:
        b = min(a + timedelta(days=1), end)
        out.append((a, b))
        a = b
    return out


def report(
    db: Database,
    actor: Actor,
    start: datetime,
    end: datetime,
    *,
    team: str | None = None,
    progress: Any = None,
) -> tuple[Kpis, Tally]:
    """The KPIs of a period (supervisors and admins), a day at a time; `progress(done, total)`."""
    if end <= start:
        raise InvalidInput({"to": "must be after --from"})
    team_id = team_id_of(db, team)
    total = Tally()
    days = report_days(start, end)
    for i, (a, b) in enumerate(days):
        with db.read() as s:
            require_supervisor(s, actor)
            total.add(slice_tally(s, a, b, team_id))
        if progress is not None:
            progress(i + 1, len(days))
    with db.read() as s:  # once for the period: each day's read would run to now
        total.add(reopened_since_part(s, start, end, team_id))
    return kpis(total), total


def agent_report(db: Database, tally: Tally, *, team: str | None = None) -> list[AgentKpis]:
    """Per agent figures from a period's tally: every agent with anything in it (and the team's
    members when a team is named), by name."""
    with db.read() as s:
        rows = s.exec(
            select(Agent.id, Agent.login, Agent.name, Team.name).join(
                Team, col(Team.id) == Agent.team_id, isouter=True
            )
        ).all()
    out = []
    for agent_id, login, name, team_name in rows:
        t = tally.agents.get(agent_id)
        if t is None and (team is None or team_name != team):
            continue
        out.append(agent_kpis(agent_id, login, name, team_name or "", t or AgentTally()))
    return sorted(out, key=lambda a: (a.team, a.name))
