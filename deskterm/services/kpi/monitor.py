"""The supervisor's monitor: the live figures about open tickets at an instant, today's period
figures from the cached tallies of its settled hours, and the calls from the PBX's records
(calls.py: waiting now, today's service level, abandons, answer speed, talk and after-call work,
with the agents counted by state)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import true
from sqlmodel import Session, col, select

from ... import clock
from ...db import Database, serial_reads
from ...models import Agent, AwayReason, KpiHourTally, Status, Team, Ticket
from .. import presence
from ..auth import Actor
from .book import OpenBook, OpenCounts, book_key, book_query
from .calls import CallsView, calls_now, has_calls, with_call_handle_time
from .figures import OPEN, AgentTally, Kpis, Tally, aht, day_start, hours_of_day, kpis, require_supervisor
from .parts import arrivals, reopened_since_part, slice_tally
from .rollup import SETTLE, held_hours, hour_arrivals, rollup_tally, split_hours


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
    calls: CallsView | None = None  # the PBX's calls (None: not read)
    handle_source: str = "states"  # where today's handle time comes from: calls | states
    by_state: dict[str, tuple[int, datetime | None]] = field(default_factory=dict)
    # state -> (agents in it, since when the longest-standing of them has been)


class Monitor:
    """The state behind one supervisor's monitor. `refresh(changed)` returns the figures, reading
    the open tickets once and afterwards only the tickets named by the change feed.

    Not thread-safe: one caller at a time (the screen never runs two refreshes at once)."""

    SETTLE = SETTLE  # an hour's settled parts are final this long after it ends

    def __init__(
        self,
        db: Database,
        actor: Actor,
        *,
        timezone: str = "Asia/Shanghai",
        pending_target: int = 10,
        presence_timeout: float = 60.0,
        answer_target: int = 15,
    ) -> None:
        with db.read() as s:
            require_supervisor(s, actor)
        self.db = db
        self.actor = actor
        self.timezone = timezone
        self.pending_target = pending_target
        self.presence_timeout = presence_timeout
        self.answer_target = answer_target
        self.book: OpenBook | None = None
        self._counted = False  # the first view was made from OpenCounts
        self._day: datetime | None = None
        self._settled = Tally()  # today's settled hours, [day start, _settled_until)
        self._settled_until = datetime.fromtimestamp(0, UTC)
        self._calls: dict[datetime, int] = {}  # tickets created in each of today's hours
        self._last_week: list[int] = []

    def reload(self) -> None:
        """Forget the open tickets and today's settled hours: the next refresh counts them again."""
        self.book = None
        self._counted = False
        self._day = None

    def refresh(self, changed: Iterable[int] = (), now: datetime | None = None) -> MonitorView:
        """The figures at `now`, after re-reading the tickets named in `changed`. The first time
        the open tickets are counted by one grouped read (`OpenCounts`: the first view is quick at
        any size); the second time their keys are loaded (`OpenBook`), which later refreshes keep
        current. One read transaction; its duration is reported as `db_ms`."""
        now = now or clock.now()
        started = time.perf_counter()
        full = self.book is None
        book: OpenBook | OpenCounts
        with self.db.read() as s:
            serial_reads(s)
            require_supervisor(s, self.actor)
            if self.book is None and not self._counted:  # the first view: counted, the book comes next
                book = OpenCounts(s, now, day_start(now, self.timezone))
                self._counted = True
            elif self.book is None:
                rows = s.connection().execute(book_query(s).where(col(Ticket.is_open) == true())).all()
                self.book = book = OpenBook()
                self.book.load(
                    (i, (team, st, agent, due, made)) for i, team, st, agent, due, made, _open in rows
                )
            else:
                ids = sorted(set(changed))
                for i in range(0, len(ids), 500):
                    chunk = ids[i : i + 500]
                    found = {r.id: r for r in s.execute(book_query(s).where(col(Ticket.id).in_(chunk)))}
                    for ticket_id in chunk:
                        row = found.get(ticket_id)
                        self.book.put(ticket_id, book_key(row) if row else None)
                book = self.book
            today, per_hour = self._today(s, now)
            teams = dict(s.exec(select(Team.id, Team.name)).all())
            agents = s.execute(
                sa.select(col(Agent.id), col(Agent.login), col(Agent.name), col(Agent.role), col(Team.name))
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
            away = select(AwayReason.code, AwayReason.name, AwayReason.name_zh)
            reasons = {code: (name, name_zh) for code, name, name_zh in s.exec(away)}
            start = self._day
            assert start is not None
            calls = calls_now(s, now, start, self.answer_target)
            fed = has_calls(s, start, now)
        db_ms = (time.perf_counter() - started) * 1000
        now_ts = now.timestamp()
        today.still_open = book.open_created_between(start.timestamp(), now_ts)
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
                    avg_handle_seconds=aht(a),
                    state=p.state if p else presence.LOGGED_OUT,
                    since=p.since if p else None,
                    reason=p.reason if p else "",
                )
            )
        figures, handle_source = with_call_handle_time(kpis(today), calls.total.today, fed)
        return MonitorView(
            now=now,
            day_start=start,
            teams=lines,
            pending=sum(line.counts[Status.NEW] for line in lines),
            pending_target=self.pending_target,
            breached=sum(line.breached for line in lines),
            at_risk=sum(line.at_risk for line in lines),
            kpis=figures,
            arrivals=per_hour,
            arrivals_last_week=list(self._last_week),
            agents=agent_lines,
            reasons=reasons,
            db_ms=db_ms,
            full=full,
            calls=calls,
            handle_source=handle_source,
            by_state=by_state(agent_lines),
        )

    def _today(self, s: Session, now: datetime) -> tuple[Tally, list[int]]:
        """Today's period figures: the settled hours' tally kept (extended as hours settle, read
        as one range), the unsettled hours and what became of today's calls read now."""
        start = day_start(now, self.timezone)
        if start != self._day:
            self._day, self._settled, self._settled_until, self._calls = start, Tally(), start, {}
            self._last_week = hour_arrivals(s, hours_of_day(start - timedelta(days=7)), self.timezone)
        hours = hours_of_day(start)
        settle = max([b for _a, b in hours if b + self.SETTLE <= now], default=start)
        if settle > self._settled_until:
            self._settle(s, [(a, b) for a, b in hours if self._settled_until <= a < settle])
            self._settled_until = settle
        live = [(a, min(b, now)) for a, b in hours if self._settled_until <= a < now]
        total = Tally().add(self._settled)
        if live:
            total.add(slice_tally(s, self._settled_until, now))
            self._calls.update(zip([a for a, _b in live], arrivals(s, live), strict=True))
        total.add(reopened_since_part(s, start, now))
        return total, [self._calls.get(a, 0) if a < now else 0 for a, _b in hours]

    def _settle(self, s: Session, newly: list[tuple[datetime, datetime]]) -> None:
        """Add these hours, settled since the last refresh, to the kept tally: those the rollup
        holds (the watcher folds them) from its rows, the others from the tickets."""
        span = held_hours(s, self.timezone)
        for a, b, held in split_hours(newly[0][0], newly[-1][1], span, self.timezone):
            slots = [(x, y) for x, y in newly if a <= x < b]
            self._settled.add(rollup_tally(s, a, b, model=KpiHourTally) if held else slice_tally(s, a, b))
            counts = hour_arrivals(s, slots, self.timezone)  # kpi_hour where held, else counted
            self._calls.update(zip([x for x, _y in slots], counts, strict=True))


def by_state(agents: Iterable[AgentLine]) -> dict[str, tuple[int, datetime | None]]:
    """The agents counted by state (logged out left out), each state with the earliest `since`
    among its agents: how long the longest-standing has been in it."""
    out: dict[str, tuple[int, datetime | None]] = {}
    for a in agents:
        if a.state == presence.LOGGED_OUT:
            continue
        n, since = out.get(a.state, (0, None))
        earliest = min((t for t in (since, a.since) if t is not None), default=None)
        out[a.state] = (n + 1, earliest)
    return {
        state: out[state]
        for state in (*presence.STATES, *sorted(set(out) - set(presence.STATES)))
        if state in out
    }
