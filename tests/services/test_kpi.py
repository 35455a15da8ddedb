"""KPI formulas on hand-built tickets with known answers (both backends, frozen clock), the monitor's
live counts against a plain SQL recount, and the report agreeing with the monitor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import col, select

from deskterm import clock
from deskterm.models import Status, Survey, Ticket
from deskterm.services import kpi, presence, tickets, workflow
from deskterm.services.errors import PermissionDenied
from tests.factories import make_agent, make_ticket

# Monday 2026-03-02 10:00 in Shanghai; the desk's day began at 2026-03-01 16:00 UTC.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def _set(db, number: str, **values) -> None:  # type: ignore[no-untyped-def]
    """Shape a test ticket directly (the times a real day would have produced)."""
    with db.write() as s:
        t = s.exec(select(Ticket).where(Ticket.number == number)).one()
        for key, value in values.items():
            setattr(t, key, value)
        if "status" in values:
            t.is_open = values["status"] not in (Status.RESOLVED, Status.CLOSED)


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    """Four tickets with known figures (times in UTC):
    A  created 00:00 (call 300 s), picked up 00:30, resolved 00:50, in SLA, survey 1/2/3/4
    B  created 00:10 (call 200 s), resolved at first contact
    C  created 01:00 (call 100 s), still new, due 02:20 (at risk: within 30 minutes of 02:00)
    D  created yesterday, picked up yesterday, resolved 01:40 after its due time (SLA missed)."""
    frozen = clock.FrozenClock(NOW - timedelta(hours=2))
    clock.set_clock(frozen)
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", role="engineer", team="Desktop Support")
    sup = make_agent(db, "sue", role="supervisor", team="Service Desk")
    made = {}
    for name, minute, handle in (("A", 0, 300), ("B", 10, 200), ("C", 60, 100)):
        frozen.time = NOW - timedelta(hours=2) + timedelta(minutes=minute)
        made[name] = make_ticket(
            db, op, f"ticket {name}", call_started_at=frozen.time - timedelta(seconds=handle)
        )
    frozen.time = NOW - timedelta(days=1)
    made["D"] = make_ticket(db, op, "ticket D")
    a, b, c, d = (made[k].number for k in "ABCD")
    _set(
        db,
        a,
        assignee_id=eng.id,
        assigned_at=NOW - timedelta(minutes=90),
        status=Status.RESOLVED,
        resolved_at=NOW - timedelta(minutes=70),
        resolution="fixed",
    )
    _set(
        db,
        b,
        assignee_id=op.id,
        assigned_at=NOW - timedelta(minutes=110),
        first_contact=True,
        status=Status.RESOLVED,
        resolved_at=NOW - timedelta(minutes=110),
        resolution="told how",
    )
    _set(db, c, resolve_by=NOW + timedelta(minutes=20))
    _set(
        db,
        d,
        assignee_id=eng.id,
        assigned_at=NOW - timedelta(hours=23),
        status=Status.RESOLVED,
        resolve_by=NOW - timedelta(hours=1),
        resolved_at=NOW - timedelta(minutes=20),
        resolution="late",
    )
    with db.write() as s:
        s.add(
            Survey(
                ticket_id=made["A"].id,
                agent_id=op.id,
                attitude=1,
                quality=2,
                technical=3,
                speed=4,
                comment="",
                created_at=NOW - timedelta(minutes=10),
            )
        )
    frozen.time = NOW
    return {"op": op, "eng": eng, "sup": sup, "frozen": frozen, **{k: v.number for k, v in made.items()}}


def test_period_kpis_have_the_known_answers(db, desk):
    with db.read() as s:
        t = kpi.period_tally(s, DAY, NOW)
    k = kpi.kpis(t)
    assert k.calls_logged == 3  # A, B, C (D was logged yesterday)
    assert k.first_contact_rate == pytest.approx(1 / 3)
    assert k.resolution_rate == pytest.approx(2 / 3)  # C still open
    assert k.resolved == 3  # A, B, D resolved today
    assert k.avg_resolution_seconds == pytest.approx((50 * 60 + 0 + (23 * 60 + 40) * 60) / 3)
    assert k.avg_handover_seconds == pytest.approx(30 * 60)  # only A: B is first contact, D was yesterday
    assert k.sla_compliance == pytest.approx(2 / 3)  # D late
    assert k.csat == pytest.approx(2 / 4) and k.csat_score == pytest.approx(2.5) and k.surveys == 1
    assert k.avg_handle_seconds == pytest.approx(200)
    assert k.reopen_rate == 0
    eng = t.agents[desk["eng"].id]
    assert (eng.resolved, eng.sla_met, eng.sla_due, eng.surveys) == (2, 1, 2, 1)
    op = kpi.agent_kpis(desk["op"].id, "olga", "Olga", "Service Desk", t.agents[desk["op"].id])
    assert (op.calls, op.resolved, op.handled) == (3, 1, 3)  # B logged and solved: counted once
    assert op.first_contact_rate == pytest.approx(1 / 3)


def test_empty_period_divides_by_nothing(db, desk):
    with db.read() as s:
        k = kpi.kpis(kpi.period_tally(s, NOW + timedelta(days=1), NOW + timedelta(days=2)))
    assert k.calls_logged == 0 and k.first_contact_rate is None and k.csat is None


def test_monitor_counts_and_report_agree(db, desk):
    m = kpi.Monitor(db, desk["sup"], timezone="Asia/Shanghai", pending_target=0)
    view = m.refresh(now=NOW)
    assert view.full and view.day_start == DAY
    team = next(t for t in view.teams if t.team == "Desktop Support")
    assert team.counts["new"] == 1 and team.open == 1  # C
    assert team.breached == 0 and team.at_risk == 1  # C due in 20 minutes
    assert team.oldest_number == desk["C"]
    assert view.pending == 1 and view.breached == 0 and view.at_risk == 1
    assert view.arrivals[8:10] == [2, 1]  # 08:00 and 09:00 Shanghai: A, B then C
    figures, _tally = kpi.report(db, desk["sup"], DAY, NOW)
    assert view.kpis == figures  # the same definitions for the same period
    eddy = next(a for a in view.agents if a.login == "eddy")
    assert (eddy.open, eddy.resolved_today, eddy.state) == (0, 2, presence.LOGGED_OUT)


def test_monitor_follows_changes_and_time(db, desk):
    m = kpi.Monitor(db, desk["sup"])
    m.refresh(now=NOW)
    eng = desk["eng"]
    row = tickets.claim(db, eng, desk["C"])
    view = m.refresh([row.id], now=NOW)
    team = next(t for t in view.teams if t.team == "Desktop Support")
    assert (team.counts["new"], team.counts["assigned"], view.pending) == (0, 1, 0)
    assert next(a for a in view.agents if a.login == "eddy").open == 1
    later = m.refresh([], now=NOW + timedelta(minutes=21))  # time alone: C's due time passes
    team = next(t for t in later.teams if t.team == "Desktop Support")
    assert (team.breached, team.at_risk) == (1, 0)
    workflow.change_status(db, eng, desk["C"], Status.PENDING_CUSTOMER)  # clock stopped: neither
    paused = m.refresh([row.id], now=NOW + timedelta(minutes=21))
    team = next(t for t in paused.teams if t.team == "Desktop Support")
    assert (team.breached, team.at_risk, team.counts["pending_customer"]) == (0, 0, 1)
    # the incremental book equals a fresh count of the database
    with db.read() as s:
        by_cell = dict(
            ((r[0], r[1]), r[2])
            for r in s.exec(
                select(Ticket.team_id, Ticket.status, func.count())
                .where(col(Ticket.is_open).is_(True))
                .group_by(col(Ticket.team_id), col(Ticket.status))
            ).all()
        )
    assert m.book is not None and {k: v for k, v in m.book.cells.items() if v} == by_cell


def test_tickets_behind_a_figure(db, desk):
    rows = kpi.tickets_behind(db, desk["sup"], kpi.Figure("at_risk"), now=NOW)
    assert [r.number for r in rows] == [desk["C"]]
    missed = kpi.tickets_behind(db, desk["sup"], kpi.Figure("sla_missed"), now=NOW)
    assert [r.number for r in missed] == [desk["D"]]
    calls = kpi.tickets_behind(db, desk["sup"], kpi.Figure("calls"), now=NOW)
    assert {r.number for r in calls} == {desk["A"], desk["B"], desk["C"]}
    mine = kpi.tickets_behind(db, desk["sup"], kpi.Figure("agent_resolved", agent_id=desk["eng"].id), now=NOW)
    assert {r.number for r in mine} == {desk["A"], desk["D"]}


def test_only_supervisors_read_kpis(db, desk):
    with pytest.raises(PermissionDenied):
        kpi.Monitor(db, desk["op"])
    with pytest.raises(PermissionDenied):
        kpi.report(db, desk["eng"], DAY, NOW)


def test_open_book_is_idempotent():
    book = kpi.OpenBook()
    key = (1, "new", None, 100.0, 50.0)
    book.put(7, key)
    book.put(7, key)
    assert book.cells[(1, "new")] == 1 and book.breached(1, 101.0) == 1 and book.waiting[1] == [(50.0, 7)]
    book.put(7, (1, "assigned", 3, 100.0, 50.0))
    assert book.cells[(1, "new")] == 0 and book.agent_open[3] == 1 and book.waiting[1] == []
    book.put(7, None)
    assert not book.rows and book.agent_open[3] == 0 and book.created == []
