"""KPI formulas on tickets worked through the services with known answers (both backends, frozen
clock), the monitor's live counts against a plain SQL recount, and the report agreeing with the
monitor: reopens, first pick-ups, resolutions from the event log, gross and net first-contact
resolution, and the average handle time from the consoles' state log."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, text
from sqlmodel import col, select

from deskterm import clock
from deskterm.db import open_database, upgrade
from deskterm.models import Category, Status, Survey, Ticket
from deskterm.services import intake, kpi, presence, reference, tickets, workflow
from deskterm.services.errors import PermissionDenied
from deskterm.services.intake import IntakeForm
from tests.conftest import PG_ADMIN_URL, RUN_ID, _pg_drop
from tests.factories import make_agent, make_ticket

_serials = itertools.count(1)
# Monday 2026-03-02 10:00 in Shanghai; the desk's day began at 2026-03-01 16:00 UTC.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)


def _set(db, number: str, **values) -> None:  # type: ignore[no-untyped-def]
    """Shape a test ticket directly (a due time a real desk's policy would have produced)."""
    with db.write() as s:
        t = s.exec(select(Ticket).where(Ticket.number == number)).one()
        for key, value in values.items():
            setattr(t, key, value)


def _talk(db, actor, start: datetime, talk: float, acw: float) -> datetime:  # type: ignore[no-untyped-def]
    """What the agent's console publishes for one saved call: on a call, after-call work, ready."""
    at = start
    for state, seconds in ((presence.ON_CALL, talk), (presence.AFTER_CALL, acw)):
        presence.publish(db, actor, state, at=at)
        at += timedelta(seconds=seconds)
    presence.publish(db, actor, presence.AVAILABLE, at=at)
    return at


def _first_contact(db, actor, summary: str, category: str = "Hardware/PC") -> str:  # type: ignore[no-untyped-def]
    """A call solved on the phone (intake saves it resolved at first contact)."""
    form = IntakeForm(
        name="Li Lei",
        organisation="Acme Ltd",
        phone="13900001111",
        device_model="Corvo L450",
        device_serial=f"SN-{next(_serials)}",
        description=summary,
        category=category,
        resolution="told how",
    )
    result = intake.save_call(db, actor, form)
    assert result.first_contact
    return result.number


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    """Four tickets with known figures (times in UTC):
    A  created 00:00 (call 300 s + 60 s wrap-up), claimed 00:30, resolved 00:50 in SLA, survey 1/2/3/4
    B  created 00:10 (call 200 s + 30 s), resolved at first contact
    C  created 01:00 (call 100 s + 20 s), still new, due 02:20 (at risk: within 30 minutes of 02:00)
    D  created and claimed yesterday, resolved 01:40 after its due time (SLA missed)."""
    frozen = clock.FrozenClock(NOW - timedelta(days=1))
    clock.set_clock(frozen)
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", role="engineer", team="Desktop Support")
    sup = make_agent(db, "sue", role="supervisor", team="Service Desk")
    d = make_ticket(db, op, "ticket D")
    frozen.time = NOW - timedelta(hours=23)
    tickets.claim(db, eng, d.number)
    _set(db, d.number, resolve_by=NOW - timedelta(hours=1))
    frozen.time = NOW - timedelta(hours=2)
    a = make_ticket(db, op, "ticket A")
    frozen.time = NOW - timedelta(minutes=110)
    b = _first_contact(db, op, "ticket B")
    frozen.time = NOW - timedelta(hours=1)
    c = make_ticket(db, op, "ticket C")
    _set(db, c.number, resolve_by=NOW + timedelta(minutes=20))
    frozen.time = NOW - timedelta(minutes=90)
    tickets.claim(db, eng, a.number)
    frozen.time = NOW - timedelta(minutes=70)
    workflow.resolve(db, eng, a.number, "fixed")
    frozen.time = NOW - timedelta(minutes=20)
    workflow.resolve(db, eng, d.number, "late")
    with db.write() as s:
        s.add(
            Survey(
                ticket_id=a.id,
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
    for created, talk, acw in (
        (a.created_at, 300, 60),
        (NOW - timedelta(minutes=110), 200, 30),
        (c.created_at, 100, 20),
    ):
        _talk(db, op, created - timedelta(seconds=talk), talk, acw)
    return {
        "op": op,
        "eng": eng,
        "sup": sup,
        "frozen": frozen,
        "A": a.number,
        "B": b,
        "C": c.number,
        "D": d.number,
    }


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
    assert k.contacts_handled == 3 and k.avg_handle_seconds == pytest.approx((600 + 110) / 3)
    assert k.reopen_rate == 0
    eng = t.agents[desk["eng"].id]
    assert (eng.resolved, eng.sla_met, eng.sla_due, eng.surveys) == (2, 1, 2, 1)
    op = kpi.agent_kpis(desk["op"].id, "olga", "Olga", "Service Desk", t.agents[desk["op"].id])
    assert (op.calls, op.resolved, op.handled, op.contacts) == (3, 1, 3, 3)  # B logged and solved: once
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
    olga = next(a for a in view.agents if a.login == "olga")
    assert olga.avg_handle_seconds == pytest.approx((600 + 110) / 3)


def test_the_first_view_counted_is_the_view_from_the_book(db):  # type: ignore[no-untyped-def]
    """Issue 16: the monitor's first view counts the open tickets by one grouped read; the next
    refresh loads their keys (OpenBook). Both say the same of the same desk (the demo's backlog:
    every open status, breached, at risk, unassigned, waiting)."""
    from deskterm.services import auth, demo

    clock.set_clock(clock.FrozenClock(datetime(2026, 3, 9, 2, 0, tzinfo=UTC)))
    demo.generate(db, tickets=400, seed=9, with_demo_logins=True)
    sup = next(a[0] for a in demo.DEMO_AGENTS if a[3] == "supervisor")
    with db.read() as s:
        from deskterm.models import Agent

        actor = auth.load_actor(s, s.exec(select(Agent.id).where(Agent.login == sup)).one())

    seen = {"breached": 0, "at_risk": 0, "pending": 0}
    for minutes in range(0, 600, 40):  # later instants: tickets at risk, breached, neither
        now = clock.now() + timedelta(minutes=minutes)
        m = kpi.Monitor(db, actor, timezone="Asia/Shanghai")
        counted, booked = m.refresh(now=now), m.refresh(now=now)
        assert m.book is not None and len(m.book.rows) == sum(t.open for t in booked.teams)
        assert counted.agents == booked.agents and counted.kpis == booked.kpis
        assert counted.teams == booked.teams  # the oldest waiting too, to the microsecond
        for name in seen:
            assert getattr(counted, name) == getattr(booked, name)
            seen[name] += getattr(counted, name)
        m.reload()
        assert m.refresh(now=now).teams == counted.teams
    assert all(seen.values()), seen  # the demo's backlog had each


def test_monitor_and_report_share_the_reopen_rate(db, desk):
    """Point 12: the monitor said 0.0 where the report said 0.25 (it left the reopens out)."""
    desk["frozen"].time = NOW - timedelta(minutes=10)
    workflow.reopen(db, desk["eng"], desk["D"], "still late")
    desk["frozen"].time = NOW
    view = kpi.Monitor(db, desk["sup"]).refresh(now=NOW)
    figures, _tally = kpi.report(db, desk["sup"], DAY, NOW)
    assert figures.reopened == 1 and figures.reopen_rate == pytest.approx(1 / 3)
    assert view.kpis == figures
    rows = kpi.tickets_behind(db, desk["sup"], kpi.Figure("reopened"), now=NOW)
    assert [r.number for r in rows] == [desk["D"]]


def test_hand_over_is_timed_to_the_first_pick_up(db, desk):
    """Point 13: a reassignment a day later once moved the hand-over time from 22 min to 1 d 10 h."""
    frozen, sup = desk["frozen"], desk["sup"]
    erin = make_agent(db, "erin", role="engineer", team="Desktop Support")
    frozen.time = NOW
    t = make_ticket(db, desk["op"], "Dock flickers")
    moved = make_ticket(db, desk["op"], "Screen dark")
    frozen.advance(minutes=22)
    tickets.claim(db, desk["eng"], t.number)
    workflow.transfer(db, sup, moved.number, reason="Erin knows docks", agent="erin")
    frozen.advance(days=1, hours=10)
    workflow.assign(db, sup, t.number, "erin", reason="Eddy is off")
    workflow.transfer(db, sup, moved.number, reason="back to the queue", team="Desktop Support")
    tickets.claim(db, erin, moved.number)
    with db.read() as s:
        first_day = kpi.kpis(kpi.period_tally(s, NOW, NOW + timedelta(hours=1)))
        both_days = kpi.period_tally(s, NOW, frozen.time + timedelta(minutes=1))
        later = kpi.tally_of(
            kpi.handover_rows(s, frozen.time - timedelta(hours=1), frozen.time + timedelta(minutes=1))
        )
    assert first_day.avg_handover_seconds == pytest.approx(22 * 60)  # both tickets, to their first pick-up
    assert (both_days.handovers, both_days.handover_seconds) == (2, pytest.approx(2 * 22 * 60))
    assert later.handovers == 0


@pytest.fixture(params=["sqlite", "pg"])
def old_desk(request, tmp_path):  # type: ignore[no-untyped-def]
    """An empty desk database at revision 0005 (before this work), on each backend."""
    if request.param == "sqlite":
        database = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    else:
        request.getfixturevalue("pg_template")  # skips without a server
        name = f"deskterm_t{RUN_ID}_{uuid.uuid4().hex[:8]}"
        database = open_database(f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}")
    upgrade(database.engine, "0005")
    yield database
    database.dispose()
    if request.param == "pg":
        _pg_drop(name)


def test_the_migration_backfills_the_first_pick_up_from_the_event_log(old_desk):
    """Point 13: a desk upgraded to 0006 gets each ticket's first pick-up from its event log (and
    its categories their first-line flag)."""
    t0 = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)
    at = (lambda t: t.replace(tzinfo=None)) if old_desk.is_sqlite else (lambda t: t)  # as stored
    with old_desk.engine.begin() as conn:
        for cid, path in ((1, "Hardware/PC"), (2, "Warranty and repair")):
            conn.execute(
                text("INSERT INTO category (id, path, path_zh) VALUES (:id, :p, '')"), {"id": cid, "p": path}
            )
        conn.execute(
            text(
                "INSERT INTO agent (id, login, name, number, role, tier, email, password_hash, active, "
                "kb_editor, created_at) VALUES (1, 'eddy', 'Eddy', '1', 'engineer', 2, '', 'x', :y, :n, :t)"
            ),
            {"t": at(t0), "y": True, "n": False},
        )
        for tid, assigned in (
            (1, t0 + timedelta(days=1)),
            (2, None),
            (3, t0 + timedelta(hours=2)),
            (4, None),
        ):
            conn.execute(
                text(
                    "INSERT INTO ticket (id, number, kind, impact, urgency, priority, status, is_open, "
                    "channel, service_mode, summary, description, warranty, tier, escalation_level, "
                    "chase_count, sla_paused_seconds, first_contact, resolution, created_at, updated_at, "
                    "assigned_at, version, category_id) VALUES (:id, :n, 'incident', 3, 3, 5, 'assigned', "
                    ":y, 'phone', 'phone', 's', '', 'unknown', 1, 0, 0, 0, :no, '', :t, :t, :a, 1, 2)"
                ),
                {
                    "id": tid,
                    "n": f"SR-{tid}",
                    "t": at(t0),
                    "a": assigned and at(assigned),
                    "y": True,
                    "no": False,
                },
            )
        events = [
            (1, "claimed", t0 + timedelta(minutes=22), ""),  # then reassigned a day later
            (1, "assigned", t0 + timedelta(days=1), '{"assignee": "erin"}'),
            (2, "transferred", t0 + timedelta(minutes=5), '{"to_team": "Network", "to_agent": ""}'),
            (2, "transferred", t0 + timedelta(minutes=9), '{"to_team": "Network", "to_agent": "eddy"}'),
            # 3: assigned with no pick-up in its log (data from before the log said so): kept
        ]
        for tid, kind, when, data in events:
            conn.execute(
                text(
                    "INSERT INTO ticket_event (ticket_id, actor_id, at, kind, body, public, data) "
                    "VALUES (:tid, 1, :at, :kind, '', :no, :data)"
                ),
                {"tid": tid, "at": at(when), "kind": kind, "data": data, "no": False},
            )
    upgrade(old_desk.engine)
    with old_desk.read() as s:
        got = dict(s.exec(select(Ticket.id, Ticket.first_assigned_at)).all())
        first_line = dict(s.exec(select(Category.path, Category.first_line)).all())
    assert first_line == {"Hardware/PC": True, "Warranty and repair": False}
    assert got == {
        1: datetime(2026, 3, 1, 1, 22, tzinfo=UTC),
        2: datetime(2026, 3, 1, 1, 9, tzinfo=UTC),
        3: datetime(2026, 3, 1, 3, 0, tzinfo=UTC),
        4: None,
    }


def test_a_later_reopen_does_not_change_a_period(db, desk):
    """Point 14: resolutions are counted from the event log; a reopen (which clears resolved_at) or
    a new due time afterwards changes nothing in a period already past."""
    before, _t = kpi.report(db, desk["sup"], DAY, NOW)
    desk["frozen"].time = NOW + timedelta(hours=1)
    workflow.reopen(db, desk["eng"], desk["A"], "it broke again")
    workflow.reopen(db, desk["eng"], desk["D"], "still broken")
    _set(db, desk["D"], resolve_by=NOW + timedelta(days=3))  # a reopened ticket's new target
    after, _t = kpi.report(db, desk["sup"], DAY, NOW)
    assert after == before and after.resolved == 3 and after.sla_compliance == pytest.approx(2 / 3)
    # the period with the reopens: reopens and resolutions counted on the same base
    wider, _t = kpi.report(db, desk["sup"], DAY, NOW + timedelta(hours=2))
    assert (wider.resolved, wider.reopened, wider.reopen_rate) == (3, 2, pytest.approx(2 / 3))
    rows = kpi.tickets_behind(db, desk["sup"], kpi.Figure("resolved"), now=NOW + timedelta(hours=2))
    assert {r.number for r in rows} == {desk["A"], desk["B"], desk["D"]}


def test_first_contact_resolution_gross_and_net(db, desk):
    """Point 15: a first-contact resolution reopened since is none; net leaves out the calls of
    categories the first line cannot resolve (category data)."""
    with db.read() as s:
        flags = dict(s.exec(select(Category.path, Category.first_line)).all())
    assert not flags["Warranty and repair"] and not flags["Hardware/Server"] and flags["Hardware/PC"]
    assert {p for p, ok in flags.items() if not ok} == reference.NOT_FIRST_LINE
    op, frozen = desk["op"], desk["frozen"]
    frozen.time = NOW + timedelta(minutes=5)
    reopened = _first_contact(db, op, "Printer offline")
    _first_contact(db, op, "Repair status", category="Warranty and repair")  # solved, not first line
    make_ticket(db, op, "Server down", category="Hardware/Server")
    make_ticket(db, op, "VPN drops", category="Network/VPN")
    frozen.time = NOW + timedelta(minutes=30)
    workflow.reopen(db, op, reopened, "it is offline again")
    end = NOW + timedelta(hours=1)
    figures, _t = kpi.report(db, desk["sup"], DAY, end)
    # 7 calls: A, B, C (first line) and four more; first contact: B, the printer (reopened), repair
    assert figures.calls_logged == 7
    assert figures.first_contact_rate == pytest.approx(2 / 7)
    assert figures.net_first_contact_rate == pytest.approx(1 / 5)  # of A, B, C, printer, VPN: only B
    view = kpi.Monitor(db, desk["sup"]).refresh(now=end)
    assert view.kpis == figures
    olga = kpi.agent_report(db, _t)
    me = next(a for a in olga if a.login == "olga")
    assert (me.first_contact_rate, me.net_first_contact_rate) == (pytest.approx(2 / 7), pytest.approx(1 / 5))
    rows = kpi.tickets_behind(db, desk["sup"], kpi.Figure("first_contact"), now=end)
    assert reopened not in {r.number for r in rows} and desk["B"] in {r.number for r in rows}


def test_average_handle_time_is_talk_and_wrap_up_per_call_handled(db, desk):
    """Point 16: AHT = (talk + after-call work) ÷ calls handled, from the consoles' state log; a call
    dropped without saving is not a handled contact, time away is not handle time."""
    frozen, eng = desk["frozen"], desk["eng"]
    start = NOW + timedelta(minutes=1)
    frozen.time = NOW + timedelta(hours=1)
    presence.publish(db, eng, presence.ON_CALL, at=start)
    presence.publish(db, eng, presence.AFTER_CALL, at=start + timedelta(seconds=300))
    presence.publish(db, eng, presence.ON_CALL, at=start + timedelta(seconds=360))  # the next call at once
    presence.publish(db, eng, presence.AFTER_CALL, at=start + timedelta(seconds=420))
    presence.publish(db, eng, presence.AVAILABLE, at=start + timedelta(seconds=440))
    presence.publish(db, eng, presence.ON_CALL, at=start + timedelta(seconds=500))
    presence.publish(db, eng, presence.AVAILABLE, at=start + timedelta(seconds=530))  # dropped: not handled
    presence.publish(db, eng, presence.AWAY, reason="lunch", at=start + timedelta(seconds=600))
    period = (NOW, frozen.time)
    with db.read() as s:
        t = kpi.tally_of(kpi.contacts_rows(s, *period))
    assert (t.contacts, t.talk_seconds, t.acw_seconds) == (2, pytest.approx(360), pytest.approx(80))
    figures, tally = kpi.report(db, desk["sup"], *period)
    assert figures.contacts_handled == 2 and figures.avg_handle_seconds == pytest.approx(220)
    me = next(a for a in kpi.agent_report(db, tally) if a.login == "eddy")
    assert (me.contacts, me.avg_handle_seconds) == (2, pytest.approx(220))
    view = kpi.Monitor(db, desk["sup"]).refresh(now=frozen.time)
    eddy = next(a for a in view.agents if a.login == "eddy")
    assert (eddy.state, eddy.reason, eddy.since) == ("away", "lunch", start + timedelta(seconds=600))
    assert eddy.avg_handle_seconds == pytest.approx(220) and view.reasons["lunch"] == ("Lunch", "午餐")


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
    handover = kpi.tickets_behind(db, desk["sup"], kpi.Figure("handover"), now=NOW)
    assert [r.number for r in handover] == [desk["A"]]


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


def test_a_ticket_stamped_after_now_does_not_push_the_resolution_rate_below_zero(db, desk):
    """A console whose clock runs ahead logs a call "later" than the monitor's now: the monitor
    counted it as one of today's open calls but not as a call of today (−200 % on the demo desk)."""
    desk["frozen"].time = NOW + timedelta(minutes=5)
    for n in range(3):
        make_ticket(db, desk["op"], f"Printer jam {n}")
    desk["frozen"].time = NOW
    view = kpi.Monitor(db, desk["sup"]).refresh(now=NOW)
    figures, _tally = kpi.report(db, desk["sup"], DAY, NOW)
    assert view.kpis.resolution_rate == figures.resolution_rate == pytest.approx(2 / 3)
