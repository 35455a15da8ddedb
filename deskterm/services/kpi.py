"""The desk's KPIs: each figure has ONE definition here, used by the live monitor and the reports.

Periods are half-open, [start, end), in UTC; "today" is the desk's day in its time zone. The
period figures are built from additive tallies (a period's tally is the sum of its slices' tallies),
each read from one covering index range (models/ticket.py, "the monitor and the KPI reports"):

- calls logged            = tickets created in the period
- first-contact rate      = tickets created in the period and resolved at first contact / calls logged
- resolution rate         = tickets created in the period and resolved since (resolved or closed
                            now) / calls logged
- average resolution time = Σ (resolved_at − created_at) / tickets resolved in the period
- average hand-over time  = Σ (assigned_at − created_at) / tickets picked up by an agent in the
                            period, first-contact resolutions excepted (intake → second line)
- SLA compliance          = tickets resolved in the period by their resolve-by time / tickets
                            resolved in the period that had a resolve-by time
- CSAT                    = survey answers "very satisfied" or "satisfied" (1 or 2) / all answers,
                            over the surveys taken in the period (four answers each); the average
                            score (1 best … 4 worst) alongside
- average handle time     = Σ handle_seconds / calls logged with a handle time (the call's length
                            from "new call" to saved, stored at intake)
- reopen rate             = reopens in the period / tickets resolved in the period

Per agent: calls and handle time by who logged the ticket; resolutions, resolution time, SLA,
first-contact resolutions, surveys and reopens by the ticket's assignee; handled = calls logged +
tickets resolved − first-contact resolutions (a call logged and solved on the phone counts once).

The live figures (the monitor) about open tickets, at an instant `now`:
- backlog                 = open tickets by status × team
- pending                 = tickets waiting to be picked up (status new), against the target
- breached                = open tickets whose SLA clock runs (new, assigned, in progress) and whose
                            resolve-by time has passed; at risk = due within the next 30 minutes
                            (tickets waiting on the customer or a third party have their clock
                            stopped and are neither)
- oldest waiting          = per team, the longest-waiting ticket in status new (by creation time)
- agent's open tickets    = open tickets assigned to the agent
- arrivals per hour       = tickets created in each hour of the desk's day, beside the same hour a
                            week before

The monitor keeps the open tickets' few keys in memory (`OpenBook`), loaded once from a covering
index and then updated by ticket id from the change feed, so a refresh reads only what changed
plus today's small ranges; counts of closed hours of today's arrivals are kept, not recounted."""

from __future__ import annotations

import bisect
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, case, extract, false, func, literal_column, true
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import Agent, Status, Survey, Team, Ticket, TicketEvent
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
    calls: int = 0
    handle_sum: float = 0.0
    handle_n: int = 0
    resolved: int = 0
    resolve_seconds: float = 0.0
    first_contact: int = 0  # first-contact resolutions (the agent logged and solved it)
    sla_met: int = 0
    sla_due: int = 0
    surveys: int = 0
    satisfied: int = 0
    answers: int = 0
    score_sum: int = 0
    reopened: int = 0

    def add(self, other: AgentTally) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class Tally:
    """Sums over a period; a period's tally is the sum of its slices' tallies."""

    calls: int = 0
    first_contact: int = 0
    handle_sum: float = 0.0
    handle_n: int = 0
    still_open: int = 0  # of the calls logged in the period, still open now
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
    agents: dict[int, AgentTally] = field(default_factory=dict)

    def add(self, other: Tally) -> Tally:
        for f in fields(self):
            if f.name != "agents":
                setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))
        for agent_id, t in other.agents.items():
            self.agent(agent_id).add(t)
        return self

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
    first_contact_rate: float | None
    resolution_rate: float | None
    resolved: int
    avg_resolution_seconds: float | None
    avg_handover_seconds: float | None
    sla_compliance: float | None
    csat: float | None
    csat_score: float | None
    surveys: int
    avg_handle_seconds: float | None
    reopen_rate: float | None


def kpis(t: Tally) -> Kpis:
    """The formulas (see the module's docstring and docs/KPIS.md)."""
    return Kpis(
        calls_logged=t.calls,
        first_contact_rate=_ratio(t.first_contact, t.calls),
        resolution_rate=_ratio(t.calls - t.still_open, t.calls),
        resolved=t.resolved,
        avg_resolution_seconds=_ratio(t.resolve_seconds, t.resolved),
        avg_handover_seconds=_ratio(t.handover_seconds, t.handovers),
        sla_compliance=_ratio(t.sla_met, t.sla_due),
        csat=_ratio(t.satisfied, t.answers),
        csat_score=_ratio(t.score_sum, t.answers),
        surveys=t.surveys,
        avg_handle_seconds=_ratio(t.handle_sum, t.handle_n),
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


def agent_kpis(agent_id: int, login: str, name: str, team: str, t: AgentTally) -> AgentKpis:
    return AgentKpis(
        agent_id=agent_id,
        login=login,
        name=name,
        team=team,
        handled=t.calls + t.resolved - t.first_contact,
        calls=t.calls,
        resolved=t.resolved,
        first_contact_rate=_ratio(t.first_contact, t.calls),
        avg_handle_seconds=_ratio(t.handle_sum, t.handle_n),
        avg_resolution_seconds=_ratio(t.resolve_seconds, t.resolved),
        sla_compliance=_ratio(t.sla_met, t.sla_due),
        csat=_ratio(t.satisfied, t.answers),
        surveys=t.surveys,
        reopen_rate=_ratio(t.reopened, t.resolved),
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


def _team(where: list[Any], team_id: int | None) -> list[Any]:
    return [*where, col(Ticket.team_id) == team_id] if team_id is not None else where


def created_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Calls logged, first-contact resolutions and handle time (fields fixed at intake), and how
    many of those calls are still open now."""
    rows = s.exec(
        select(
            Ticket.created_by_id,
            func.count(),
            _flag(col(Ticket.first_contact)),
            func.sum(Ticket.handle_seconds),
            func.count(col(Ticket.handle_seconds)),
            _flag(col(Ticket.is_open)),
        )
        .where(*_team([col(Ticket.created_at) >= start, col(Ticket.created_at) < end], team_id))
        .group_by(col(Ticket.created_by_id))
    ).all()
    t = Tally()
    for agent_id, calls, fc, hsum, hn, still_open in rows:
        part = Tally(
            calls=calls,
            first_contact=fc or 0,
            handle_sum=float(hsum or 0),
            handle_n=hn,
            still_open=still_open or 0,
        )
        if agent_id is not None:
            part.agents[agent_id] = AgentTally(calls=calls, handle_sum=float(hsum or 0), handle_n=hn)
        t.add(part)
    return t


def resolved_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Resolutions in the period: time to resolve, SLA met, first-contact resolutions, by assignee."""
    met = func.sum(case((col(Ticket.resolved_at) <= col(Ticket.resolve_by), 1), else_=0))
    rows = s.exec(
        select(
            Ticket.assignee_id,
            func.count(),
            func.sum(_seconds(s, Ticket.created_at, Ticket.resolved_at)),
            met,
            func.count(col(Ticket.resolve_by)),
            _flag(col(Ticket.first_contact)),
        )
        .where(*_team([col(Ticket.resolved_at) >= start, col(Ticket.resolved_at) < end], team_id))
        .group_by(col(Ticket.assignee_id))
    ).all()
    t = Tally()
    for agent_id, n, secs, sla_met, sla_due, fc in rows:
        a = AgentTally(
            resolved=n,
            resolve_seconds=max(float(secs or 0), 0.0),
            first_contact=fc or 0,
            sla_met=sla_met or 0,
            sla_due=sla_due,
        )
        t.resolved += n
        t.resolve_seconds += a.resolve_seconds
        t.sla_met += a.sla_met
        t.sla_due += sla_due
        if agent_id is not None:
            t.agent(agent_id).add(a)
    return t


def handover_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Pick-ups by an agent in the period (not first-contact resolutions): intake → second line."""
    where = [
        col(Ticket.assigned_at) >= start,
        col(Ticket.assigned_at) < end,
        col(Ticket.first_contact) == false(),
    ]
    n, secs = s.exec(
        select(func.count(), func.sum(_seconds(s, Ticket.created_at, Ticket.assigned_at))).where(
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
        a = AgentTally(surveys=n, satisfied=sat or 0, answers=n * len(RATINGS), score_sum=sc or 0)
        t.surveys += n
        t.satisfied += a.satisfied
        t.answers += a.answers
        t.score_sum += a.score_sum
        if agent_id is not None:
            t.agent(agent_id).add(a)
    return t


def reopened_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Reopens in the period (the partial index ix_ticket_event_reopened), by the ticket's assignee."""
    where = [
        col(TicketEvent.kind) == literal_column("'reopened'"),  # a literal: the partial index's own term
        col(TicketEvent.at) >= start,
        col(TicketEvent.at) < end,
    ]
    if team_id is not None:
        where.append(col(Ticket.team_id) == team_id)
    rows = s.exec(
        select(Ticket.assignee_id, func.count())
        .select_from(TicketEvent)
        .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(*where)
        .group_by(col(Ticket.assignee_id))
    ).all()
    t = Tally()
    for agent_id, n in rows:
        t.reopened += n
        if agent_id is not None:
            t.agent(agent_id).reopened += n
    return t


def period_tally(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Every part of one period (a day, for the reports' progress)."""
    t = created_part(s, start, end, team_id)
    for part in (resolved_part, handover_part, survey_part, reopened_part):
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
    db_ms: float  # database time of this refresh
    full: bool  # the open tickets were (re)loaded


class Monitor:
    """The state behind one supervisor's monitor. `refresh(changed)` returns the figures, reading
    the open tickets once and afterwards only the tickets named by the change feed.

    Not thread-safe: one caller at a time (the screen never runs two refreshes at once)."""

    SETTLE = timedelta(minutes=2)  # an hour's arrivals are final this long after it ends

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
        """Forget the open tickets: the next refresh loads them again."""
        self.book = None

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
                    avg_handle_seconds=_ratio(a.handle_sum, a.handle_n),
                    state=p.state if p else presence.LOGGED_OUT,
                    since=p.since if p else None,
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
            db_ms=db_ms,
            full=full,
        )

    def _today(self, s: Session, now: datetime) -> tuple[Tally, list[int]]:
        """Today's period figures: arrivals of settled hours from the cache, the rest read now."""
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
                part = created_part(s, a, min(b, now))
                if b + self.SETTLE <= now:
                    self._hours[a] = part
            per_hour.append(part.calls)
            total.add(part)
        for fn in (resolved_part, handover_part, survey_part):
            total.add(fn(s, start, now))
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
    resolved_today = and_(col(T.resolved_at) >= start, col(T.resolved_at) < now)
    where, order = {
        "backlog": ([is_open] + ([col(T.status) == figure.status] if figure.status else []), [due]),
        "pending": ([col(T.status) == Status.NEW], [col(T.created_at)]),
        "breached": ([running, due < now], [due]),
        "at_risk": ([running, due >= now, due < now + AT_RISK], [due]),
        "waiting": ([col(T.status) == Status.NEW], [col(T.created_at)]),
        "agent_open": ([is_open, col(T.assignee_id) == figure.agent_id], [due]),
        "agent_resolved": (
            [resolved_today, col(T.assignee_id) == figure.agent_id],
            [col(T.resolved_at).desc()],
        ),
        "calls": ([created_today], [col(T.created_at).desc()]),
        "first_contact": ([created_today, col(T.first_contact) == true()], [col(T.created_at).desc()]),
        "still_open": ([created_today, is_open], [col(T.created_at).desc()]),
        "resolved": ([resolved_today], [col(T.resolved_at).desc()]),
        "sla_missed": ([resolved_today, col(T.resolved_at) > due], [col(T.resolved_at).desc()]),
        "handover": (
            [col(T.assigned_at) >= start, col(T.assigned_at) < now, col(T.first_contact) == false()],
            [col(T.assigned_at).desc()],
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
            total.add(period_tally(s, a, b, team_id))
        if progress is not None:
            progress(i + 1, len(days))
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
