"""SLA at the policy level: properties of the due times a policy gives (monotonic in the start,
pauses never shorten them, 24x7 is plain addition, counting back inverts counting forward), and the
policy data: per customer class, edits and calendar changes recompute the open tickets."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlmodel import select

from deskterm import clock
from deskterm.db import Database
from deskterm.models import Ticket, TicketEvent
from deskterm.services import sla, sla_admin
from deskterm.services.errors import InvalidInput, PermissionDenied
from deskterm.services.reference import CALENDARS, SLA_DEFAULTS
from deskterm.services.sla_calendar import BusinessCalendar, business_minutes_between
from tests.factories import make_agent, make_ticket

SH = ZoneInfo("Asia/Shanghai")
CALS = {
    name: BusinessCalendar.from_spec(
        timezone="Asia/Shanghai", always_open=always, spec={**spec, "years": [2026, 2027]}
    )
    for name, always, spec in CALENDARS
}
POLICIES = [(respond, resolve, CALS[cal]) for respond, resolve, cal in SLA_DEFAULTS.values()]

starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 6, 30), timezones=st.just(UTC))
policies = st.sampled_from(POLICIES)
gaps = st.lists(st.tuples(st.integers(0, 5 * 24 * 60), st.integers(0, 3 * 24 * 60)), max_size=3)


def _pauses(start: datetime, spec: list[tuple[int, int]]) -> list[tuple[datetime, datetime]]:
    out, cursor = [], start
    for wait, length in spec:
        p0 = cursor + timedelta(minutes=wait)
        out.append((p0, p0 + timedelta(minutes=length)))
        cursor = p0 + timedelta(minutes=length)
    return out


@settings(max_examples=150, deadline=None)
@given(policy=policies, a=starts, delta=st.integers(0, 20 * 24 * 60))
def test_due_times_are_monotonic_in_the_start(policy, a, delta) -> None:  # type: ignore[no-untyped-def]
    respond, resolve, cal = policy
    b = a + timedelta(minutes=delta)
    ra, sa = sla.due_times(respond, resolve, cal, a, [])
    rb, sb = sla.due_times(respond, resolve, cal, b, [])
    assert ra <= rb and sa <= sb and ra <= sa


@settings(max_examples=150, deadline=None)
@given(policy=policies, start=starts, spec=gaps)
def test_pausing_never_shortens(policy, start, spec) -> None:  # type: ignore[no-untyped-def]
    respond, resolve, cal = policy
    plain = sla.due_times(respond, resolve, cal, start, [])
    paused = sla.due_times(respond, resolve, cal, start, _pauses(start, spec))
    assert paused[0] >= plain[0] and paused[1] >= plain[1]


@settings(max_examples=100, deadline=None)
@given(start=starts, spec=gaps)
def test_24x7_is_plain_addition_plus_the_pauses_before_due(start, spec) -> None:  # type: ignore[no-untyped-def]
    respond, resolve, cal = POLICIES[0]  # P1: 24x7
    assert cal.always_open
    assert sla.due_times(respond, resolve, cal, start, []) == (
        start + timedelta(minutes=respond),
        start + timedelta(minutes=resolve),
    )
    pauses = _pauses(start, spec)
    due = start + timedelta(minutes=resolve)
    for p0, p1 in pauses:  # each pause that begins before the (moving) due time pushes it out
        if p0 < due:
            due += p1 - p0
    assert sla.due_times(respond, resolve, cal, start, pauses)[1] == due


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cal=st.sampled_from(list(CALS.values())), end=starts, minutes=st.integers(0, 6000))
def test_counting_back_inverts_counting_forward(cal, end, minutes) -> None:  # type: ignore[no-untyped-def]
    s = sla.business_start(cal, end, minutes)
    assert business_minutes_between(cal, s, end) == pytest.approx(minutes, abs=1e-6)
    if minutes:  # the latest such moment
        assert business_minutes_between(cal, s + timedelta(seconds=1), end) < minutes


def test_pause_data_round_trip() -> None:
    a, b = datetime(2026, 3, 9, 2, tzinfo=UTC), datetime(2026, 3, 9, 5, tzinfo=UTC)
    data = json.dumps(
        {"from": "pending_customer", "to": "in_progress", "pause": [a.isoformat(), b.isoformat()]}
    )
    assert sla.pauses_from_data([data, "", json.dumps({"to": "x"})]) == [(a, b)]


# --- policies as data --------------------------------------------------------------------------------


@pytest.fixture
def clk() -> clock.FrozenClock:
    c = clock.FrozenClock(datetime(2026, 3, 9, 10, tzinfo=SH))
    clock.set_clock(c)
    return c


def _key_customer(db: Database) -> int:
    now = clock.now().replace(tzinfo=None)
    with db.write() as s:
        s.execute(
            text("INSERT INTO organisation (name, customer_class, created_at) VALUES ('K', 'key', :t)"),
            {"t": now},
        )
        org = s.execute(text("SELECT id FROM organisation WHERE name = 'K'")).scalar()
        s.execute(
            text(
                "INSERT INTO customer (name, organisation_id, email, created_at) VALUES ('Kay', :o, '', :t)"
            ),
            {"o": org, "t": now},
        )
        return s.execute(text("SELECT id FROM customer WHERE name = 'Kay'")).scalar()


def _row(db: Database, number: str) -> Ticket:
    with db.read() as s:
        return s.exec(select(Ticket).where(Ticket.number == number)).one()


def test_a_customer_class_policy_wins_and_recomputes_its_open_tickets(db: Database, clk) -> None:  # type: ignore[no-untyped-def]
    op = make_agent(db, "op", role="operator", team="Service Desk", tier=1)
    boss = make_agent(db, "boss", role="supervisor")
    key = _key_customer(db)
    vip = make_ticket(db, op, impact=2, urgency=1, customer_id=key)  # P2: 30 min / 8 business hours
    plain = make_ticket(db, op, "Other", impact=2, urgency=1)
    assert _row(db, vip.number).resolve_by == datetime(2026, 3, 9, 18, tzinfo=SH)  # 8 business hours
    with pytest.raises(PermissionDenied):
        sla_admin.add_policy(db, op, priority=2, respond_minutes=10, resolve_minutes=240, calendar="24x7")
    row, changed = sla_admin.add_policy(
        db, boss, priority=2, customer_class="key", respond_minutes=10, resolve_minutes=240, calendar="24x7"
    )
    assert (row.customer_class, row.calendar, changed) == ("key", "24x7", 1)
    assert _row(db, vip.number).resolve_by == datetime(2026, 3, 9, 14, tzinfo=SH)
    assert _row(db, plain.number).resolve_by == datetime(2026, 3, 9, 18, tzinfo=SH)
    with db.read() as s:
        event = s.exec(select(TicketEvent).where(TicketEvent.kind == "updated")).one()
    assert "new SLA policy" in event.body and _row(db, vip.number).version == 2
    fresh = make_ticket(db, op, "New", impact=2, urgency=1, customer_id=key)
    assert _row(db, fresh.number).respond_by == datetime(2026, 3, 9, 10, 10, tzinfo=SH)


def test_editing_a_policy_recomputes_open_unpaused_tickets_only(db: Database, clk) -> None:  # type: ignore[no-untyped-def]
    op = make_agent(db, "op", role="operator", team="Service Desk", tier=1)
    running = make_ticket(db, op, "Running")  # P5
    paused = make_ticket(db, op, "Paused")
    closed = make_ticket(db, op, "Closed")
    with db.write() as s:
        t = s.exec(select(Ticket).where(Ticket.number == paused.number)).one()
        t.status, t.sla_paused_at = "pending_customer", clock.now()
        c = s.exec(select(Ticket).where(Ticket.number == closed.number)).one()
        c.status, c.is_open = "closed", False
    before = {n: _row(db, n).resolve_by for n in (running.number, paused.number, closed.number)}
    boss = make_agent(db, "boss", role="supervisor")
    _policy, changed = sla_admin.edit_policy(db, boss, "P5", resolve_minutes=9 * 60)
    assert changed == 1
    assert _row(db, running.number).resolve_by == datetime(2026, 3, 10, 10, tzinfo=SH)
    assert _row(db, paused.number).resolve_by == before[paused.number]
    assert _row(db, closed.number).resolve_by == before[closed.number]
    with pytest.raises(InvalidInput):
        sla_admin.edit_policy(db, boss, "P5", respond_minutes=10_000)  # respond after resolve


def test_recompute_after_a_priority_change_and_a_closed_pause(db: Database, clk) -> None:  # type: ignore[no-untyped-def]
    op = make_agent(db, "op", role="operator", team="Service Desk", tier=1)
    t = make_ticket(db, op, impact=1, urgency=1)  # P1, 24x7: resolve 4 h
    with db.write() as s:
        row = s.exec(select(Ticket).where(Ticket.number == t.number)).one()
        start = row.created_at
        pause = (start + timedelta(hours=1), start + timedelta(hours=3))
        data = json.dumps({"pause": [pause[0].isoformat(), pause[1].isoformat()]})
        s.add(TicketEvent(ticket_id=row.id, at=pause[1], kind="status", data=data))
        s.flush()
        assert sla.recompute_due_times(s, row)
        assert row.resolve_by == start + timedelta(hours=6)
        row.priority = 2  # P2: 8 business hours from Monday 10:00, plus the pause (11:00-13:00)
        assert sla.recompute_due_times(s, row)
        assert row.resolve_by == datetime(2026, 3, 10, 11, tzinfo=SH)
        assert not sla.recompute_due_times(s, row)


def test_calendars_as_data(db: Database, clk) -> None:  # type: ignore[no-untyped-def]
    op = make_agent(db, "op", role="operator", team="Service Desk", tier=1)
    t = make_ticket(db, op)  # P5 on China business hours: 10 business days
    boss = make_agent(db, "boss", role="supervisor")
    cal = sla_admin.add_calendar(
        db, boss, name="Berlin", timezone="Europe/Berlin", hours="0-4=08:00-12:00,13:00-17:00"
    )
    assert cal.spec["hours"]["4"] == [["08:00", "12:00"], ["13:00", "17:00"]]
    with pytest.raises(InvalidInput):
        sla_admin.add_calendar(db, boss, name="Bad", hours="0-4=18:00-09:00")
    with pytest.raises(InvalidInput):
        sla_admin.edit_calendar(db, boss, "Berlin", hours="Monday")
    before = _row(db, t.number).resolve_by
    _cal, changed = sla_admin.edit_calendar(
        db, boss, "China business hours", add_holidays=[date(2026, 3, 10)]
    )
    assert changed == 1 and _row(db, t.number).resolve_by > before
    off, work, _changed = sla_admin.load_holidays(db, boss, "Berlin", country="DE", years=[2027])
    assert off >= 9 and work == 0
    berlin = next(c for c in sla_admin.list_calendars(db) if c.name == "Berlin")
    assert "2027-12-25" in berlin.spec["holidays"]
    with pytest.raises(InvalidInput):
        sla_admin.load_holidays(db, boss, "Berlin", country="XX", years=[2027])
