"""The reports' rollup gives the direct computation's figures (both backends): random tickets,
events, surveys and console states over a few days of a desk whose time zone changes its clocks,
reports over random periods and teams, then random later changes to the tickets (moved, reassigned,
recategorised, resolved, reopened) and console states ending late, folded by the catch-up."""

from __future__ import annotations

import itertools
import json
import math
from dataclasses import astuple, fields
from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from deskterm import clock
from deskterm.models import (
    Agent,
    AgentStateLog,
    Category,
    EventKind,
    KpiDay,
    KpiHourTally,
    Survey,
    Team,
    Ticket,
    TicketEvent,
)
from deskterm.services import auth, kpi, presence
from deskterm.services.kpi import rollup
from tests.factories import make_agent

TZ = "America/New_York"  # its clocks go back on 2026-11-01: a 25-hour day
BASE = datetime(2026, 10, 30, 4, 0, tzinfo=UTC)  # midnight in New York
_numbers = itertools.count(1)
_windows = itertools.count(0)

MINUTES = st.integers(min_value=0, max_value=4 * 24 * 60)  # a time within the four days


@st.composite
def tickets(draw: st.DrawFn) -> dict:
    created = draw(MINUTES)
    resolutions = draw(st.lists(st.integers(0, 2000), max_size=2))
    return {
        "created": created,
        "team": draw(st.integers(0, 2)),
        "by": draw(st.integers(0, 3)),
        "assignee": draw(st.none() | st.integers(0, 3)),
        "category": draw(st.integers(0, 3)),
        "first_contact": draw(st.booleans()),
        "open": draw(st.booleans()),
        "due": draw(st.none() | st.integers(-60, 3000)),
        "picked": draw(st.none() | st.integers(0, 600)),
        "resolved": [(created + r, draw(st.sampled_from([None, True, False]))) for r in resolutions],
        "reopened": draw(st.lists(st.integers(0, 3000), max_size=1)),
        "survey": draw(st.none() | st.tuples(*[st.integers(1, 4)] * 4, st.integers(0, 600))),
    }


STATES = st.lists(
    st.tuples(
        st.integers(0, 3), MINUTES, st.integers(1, 900), st.sampled_from(["on_call", "after_call", "away"])
    ),
    max_size=8,
)
CHANGES = st.lists(
    st.tuples(
        st.integers(0, 100),
        st.sampled_from(["team", "assignee", "category", "resolve", "reopen", "due", "agent's team"]),
        st.integers(0, 3),
    ),
    max_size=6,
)
PERIODS = st.lists(st.tuples(st.integers(0, 4), st.integers(1, 5), st.booleans()), min_size=1, max_size=3)


def _refs(db) -> dict:  # type: ignore[no-untyped-def]
    with db.read() as s:
        teams = list(s.exec(select(Team.id).order_by(col(Team.id))).all())[:2]
        categories = s.exec(select(Category.id, Category.first_line).order_by(col(Category.id))).all()
        cats = [c for c, fl in categories if fl][:2] + [c for c, fl in categories if not fl][:1]
    return {"teams": [*teams, None], "categories": [*cats, None]}


def _at(window: datetime, minutes: int) -> datetime:
    return window + timedelta(minutes=minutes)


def _event(s, ticket: Ticket, kind: str, at: datetime, actor: int | None, data: dict | None = None) -> None:  # type: ignore[no-untyped-def]
    s.add(
        TicketEvent(
            ticket_id=ticket.id, actor_id=actor, at=at, kind=kind, data=json.dumps(data) if data else ""
        )
    )


def _insert(db, refs: dict, agents: list[int], window: datetime, drawn: list[dict], states) -> list[int]:  # type: ignore[no-untyped-def]
    ids = []
    with db.write() as s:
        for d in drawn:
            created = _at(window, d["created"])
            t = Ticket(
                number=f"RU-{next(_numbers)}",
                summary="rollup",
                created_at=created,
                updated_at=created,
                team_id=refs["teams"][d["team"]],
                created_by_id=agents[d["by"]],
                assignee_id=agents[d["assignee"]] if d["assignee"] is not None else None,
                category_id=refs["categories"][d["category"]],
                first_contact=d["first_contact"],
                is_open=d["open"],
                status="assigned" if d["open"] else "resolved",
                resolve_by=created + timedelta(minutes=d["due"]) if d["due"] is not None else None,
                first_assigned_at=created + timedelta(minutes=d["picked"])
                if d["picked"] is not None
                else None,
            )
            s.add(t)
            s.flush()
            _event(s, t, EventKind.CREATED, created, t.created_by_id)
            for minutes, in_sla in d["resolved"]:
                data = {"in_sla": in_sla} if in_sla is not None else None
                _event(s, t, EventKind.RESOLVED, _at(window, minutes), agents[minutes % 4], data)
            for minutes in d["reopened"]:
                _event(s, t, EventKind.REOPENED, created + timedelta(minutes=minutes), None)
            if d["survey"] is not None:
                *ratings, after = d["survey"]
                survey = dict(zip(("attitude", "quality", "technical", "speed"), ratings, strict=True))
                s.add(Survey(ticket_id=t.id, created_at=created + timedelta(minutes=after), **survey))
            assert t.id is not None
            ids.append(t.id)
        for agent, minutes, length, state in states:
            ended = _at(window, minutes)
            s.add(
                AgentStateLog(
                    agent_id=agents[agent],
                    state=state,
                    started_at=ended - timedelta(seconds=length),
                    ended_at=ended,
                    handled=length % 2 == 0,
                )
            )
    return ids


def _change(db, refs: dict, agents: list[int], ids: list[int], changes, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """What the services do later to these tickets, each with its event (at now)."""
    with db.write() as s:
        for pick, what, n in changes:
            if what == "agent's team":  # moving an agent leaves no ticket event
                agent = s.get(Agent, agents[1 + n % 3])  # not the supervisor reading the reports
                assert agent is not None
                agent.team_id = refs["teams"][pick % 2]
                continue
            if not ids:
                continue
            t = s.get(Ticket, ids[pick % len(ids)])
            assert t is not None
            kind = EventKind.UPDATED
            if what == "team":
                t.team_id = refs["teams"][n % 3]
                kind = EventKind.TRANSFERRED
            elif what == "assignee":
                t.assignee_id = agents[n]
                kind = EventKind.ASSIGNED
            elif what == "category":
                t.category_id = refs["categories"][n]
            elif what == "due":
                t.resolve_by = now - timedelta(days=n)
            elif what == "resolve":
                t.is_open, t.status, kind = False, "resolved", EventKind.RESOLVED
            else:
                t.is_open, t.status, kind = True, "assigned", EventKind.REOPENED
            _event(s, t, kind, now, agents[n])


def _same(a: kpi.Tally, b: kpi.Tally) -> None:
    def close(x: object, y: object) -> bool:
        if isinstance(x, float) or isinstance(y, float):
            return math.isclose(float(x), float(y), rel_tol=1e-9, abs_tol=1e-6)  # type: ignore[arg-type]
        return x == y

    assert all(close(x, y) for x, y in zip(astuple(kpi.kpis(a)), astuple(kpi.kpis(b)), strict=True)), (a, b)
    agents = {k for k, v in a.agents.items() if v != kpi.AgentTally()} | {
        k for k, v in b.agents.items() if v != kpi.AgentTally()
    }
    for agent in agents:
        x, y = a.agents.get(agent, kpi.AgentTally()), b.agents.get(agent, kpi.AgentTally())
        assert all(close(getattr(x, f.name), getattr(y, f.name)) for f in fields(kpi.AgentTally)), (
            agent,
            x,
            y,
        )


def _compare(db, actor, window: datetime, periods, refs: dict) -> None:  # type: ignore[no-untyped-def]
    team_names = {}
    with db.read() as s:
        for team_id in refs["teams"]:
            if team_id is not None:
                team_names[team_id] = s.get(Team, team_id).name
    for first, days, by_team in periods:
        start = rollup.day_start(window, TZ)
        for _ in range(first):
            start = rollup.next_day(start, TZ)
        end = start
        for _ in range(days):
            end = rollup.next_day(end, TZ)
        team = team_names[refs["teams"][0]] if by_team else None
        _figures, direct = kpi.report(db, actor, start, end, team=team, timezone=TZ, direct=True)
        _figures, rolled = kpi.report(db, actor, start, end, team=team, timezone=TZ)
        _same(direct, rolled)


def _compare_hours(db, refs: dict, now: datetime) -> None:  # type: ignore[no-untyped-def]
    """After a catch-up at `now`, the hours held of the day not held yet (the monitor's settled
    hours) sum to the direct computation, for the desk and a team, arrivals too."""
    rollup.catch_up(db, TZ, now)
    with db.read() as s:
        span = rollup.held_hours(s, TZ)
        assert span == (rollup.settled_until(now, TZ), rollup.hours_settled(now, TZ))
        a, b = span
        assert a < b
        for team_id in (None, refs["teams"][0]):
            held = rollup.rollup_tally(s, a, b, team_id, model=KpiHourTally)
            _same(held, kpi.slice_tally(s, a, b, team_id))
        hours = [(a + rollup.HOUR * i, a + rollup.HOUR * (i + 1)) for i in range((b - a) // rollup.HOUR)]
        assert rollup.hour_arrivals(s, hours, TZ) == kpi.arrivals(s, hours)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(
    drawn=st.lists(tickets(), max_size=12),
    states=STATES,
    changes=CHANGES,
    periods=PERIODS,
    rebuild=st.booleans(),
)
def test_the_rollup_gives_the_direct_figures(db, drawn, states, changes, periods, rebuild):  # type: ignore[no-untyped-def]
    refs = _refs(db)
    with db.read() as s:
        rows = s.exec(select(Agent).where(col(Agent.login).startswith("roll")).order_by(col(Agent.id))).all()
    if not rows:  # the first example on this database
        clock.set_clock(lambda: BASE)
        with db.read() as s:
            team = s.get(Team, refs["teams"][0])
        for i in range(4):
            make_agent(db, f"roll{i}", role="supervisor" if i == 0 else "engineer", team=team.name)
        with db.read() as s:
            rows = s.exec(
                select(Agent).where(col(Agent.login).startswith("roll")).order_by(col(Agent.id))
            ).all()
    agents = [a.id for a in rows]
    with db.read() as s:
        actor = auth.actor_from(rows[0], s.get(Team, rows[0].team_id))
    window = BASE + timedelta(days=3 * next(_windows))
    # a console state left open before the window, that ends in it after the first fold (late)
    with db.write() as s:
        late = AgentStateLog(agent_id=agents[1], state=presence.ON_CALL, started_at=window, handled=True)
        s.add(late)
    ids = _insert(db, refs, agents, window, drawn, states)
    # the third day's hours, held by the hour (after the last example's clock), then changed
    mid = window + timedelta(days=2, hours=14, minutes=30)
    clock.set_clock(lambda: mid)
    _compare_hours(db, refs, mid)
    _change(db, refs, agents, ids, changes, mid + timedelta(minutes=20))
    _compare_hours(db, refs, mid + timedelta(hours=1))
    now = window + timedelta(days=5, hours=3)
    clock.set_clock(lambda: now)
    if rebuild:
        kpi.rebuild_rollup(db, actor, TZ)
    _compare(db, actor, window, periods, refs)

    now += timedelta(hours=1)
    _change(db, refs, agents, ids, changes, now)
    with db.write() as s:
        row = s.get(AgentStateLog, late.id)
        assert row is not None
        row.ended_at = window + timedelta(minutes=17)  # logged out from its last beat, noticed late
    _compare(db, actor, window, periods, refs)
    clock.set_clock(None)


def test_a_held_day_is_read_from_the_rollup_not_the_tickets(db):  # type: ignore[no-untyped-def]
    """The rollup is what the report reads: a held day's rows are its figures (so the test above
    compares two computations, not one twice)."""
    clock.set_clock(lambda: BASE + timedelta(days=3))
    sup = make_agent(db, "rolls", role="supervisor", team="Service Desk")
    kpi.rebuild_rollup(db, sup, TZ)
    start = rollup.day_start(BASE, TZ)
    with db.write() as s:
        s.add(KpiDay(day=start, team_id=None, agent_id=None, calls=7, still_open=7))
    figures, _ = kpi.report(db, sup, start, rollup.next_day(start, TZ), timezone=TZ)
    direct, _ = kpi.report(db, sup, start, rollup.next_day(start, TZ), timezone=TZ, direct=True)
    assert (figures.calls_logged, direct.calls_logged) == (7, 0)
    clock.set_clock(None)


def _planted_hour(db):  # type: ignore[no-untyped-def]
    """A supervisor, the clock at 9:30 today, and a held hour of today whose row says 7 calls
    (the tickets say none): (the supervisor, now, today's start)."""
    now = BASE + timedelta(days=3, hours=9, minutes=30)
    clock.set_clock(lambda: now)
    sup = make_agent(db, "rollh", role="supervisor", team="Service Desk")
    rollup.catch_up(db, TZ, now)
    start = rollup.day_start(now, TZ)
    with db.write() as s:
        s.add(KpiHourTally(hour=start + rollup.HOUR, team_id=None, agent_id=None, calls=7))
    return sup, now, start


def test_the_monitor_reads_held_hours_from_the_rollup(db):  # type: ignore[no-untyped-def]
    """Today's settled hours the rollup holds are what the monitor's first view reads (so the
    comparison above is of two computations); without the rollup it counts them itself."""
    sup, now, _start = _planted_hour(db)
    view = kpi.Monitor(db, sup, timezone=TZ).refresh(now=now)
    assert view.kpis.calls_logged == 7
    other = kpi.Monitor(db, sup, timezone="Asia/Shanghai").refresh(now=now)  # not the rollup's zone
    assert other.kpis.calls_logged == 0
    clock.set_clock(None)


def test_a_report_reads_todays_held_hours_from_the_rollup(db):  # type: ignore[no-untyped-def]
    """A report over today reads its settled hours from the rollup's hour rows, like its days."""
    sup, _now, start = _planted_hour(db)
    end = rollup.next_day(start, TZ)
    figures, _ = kpi.report(db, sup, start, end, timezone=TZ)
    direct, _ = kpi.report(db, sup, start, end, timezone=TZ, direct=True)
    assert (figures.calls_logged, direct.calls_logged) == (7, 0)
    clock.set_clock(None)


def test_a_day_row_keeps_every_sum_of_a_slice():
    """kpi_day has a column for each additive sum; only what runs to now is read at report time."""
    assert set(rollup.SUMS) <= set(KpiDay.model_fields) & set(KpiHourTally.model_fields)
    assert set(rollup.SUMS) | set(rollup.SINCE) == {f.name for f in fields(kpi.AgentTally)}
