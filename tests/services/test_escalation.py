"""Escalation: each rule kind fires once per ticket and threshold, in order up the line; two watchers
(threads, processes) fire each action once; manual escalation and its permissions."""

from __future__ import annotations

import multiprocessing
import random
import sqlite3
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, text
from sqlmodel import col, select

from deskterm import clock
from deskterm.db import Database, fresh_statistics, open_database
from deskterm.models import Agent, EscalationFiring, Notification, Ticket, TicketEvent
from deskterm.services import auth, escalation, notify, tickets
from deskterm.services.errors import Conflict, InvalidInput, PermissionDenied
from tests.conftest import _pg_clone, _pg_drop
from tests.factories import escalation_desk, make_agent, make_ticket

SH = ZoneInfo("Asia/Shanghai")
MONDAY_10 = datetime(2026, 3, 9, 10, 0, tzinfo=SH)  # a working Monday in Shanghai


@pytest.fixture
def clk() -> clock.FrozenClock:
    c = clock.FrozenClock(MONDAY_10)
    clock.set_clock(c)
    return c


@pytest.fixture
def desk(db: Database) -> dict:
    return escalation_desk(db)


def rule(db: Database, name: str, when: dict, then: dict) -> escalation.Rule:
    """A rule added by the desk's head (a supervisor), who joins the desk if the test has none."""
    with db.read() as s:
        head = s.exec(select(Agent.id).where(Agent.login == "head")).first()
        author = auth.load_actor(s, head) if head else None
    author = author or make_agent(db, "head", role="supervisor", team="Service Desk", tier=3)
    return escalation.add_rule(db, author, name=name, when=when, then=then)


def firings(db: Database) -> int:
    with db.read() as s:
        return s.exec(select(func.count()).select_from(EscalationFiring)).one()


def escalated_events(db: Database, number: str) -> list[TicketEvent]:
    with db.read() as s:
        return list(
            s.exec(
                select(TicketEvent)
                .join(Ticket, Ticket.id == TicketEvent.ticket_id)
                .where(Ticket.number == number, TicketEvent.kind == "escalated")
                .order_by(TicketEvent.id)
            ).all()
        )


def ticket_row(db: Database, number: str) -> Ticket:
    with db.read() as s:
        return s.exec(select(Ticket).where(Ticket.number == number)).one()


def inbox(db: Database, actor) -> list[str]:  # type: ignore[no-untyped-def]
    return [n.body for n in notify.list_inbox(db, actor)]


def set_fields(db: Database, number: str, **values) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        t = s.exec(select(Ticket).where(Ticket.number == number)).one()
        for k, v in values.items():
            setattr(t, k, v)


# --- rules as data -----------------------------------------------------------------------------------


def test_a_rule_is_checked_before_it_is_stored(db: Database) -> None:
    with pytest.raises(InvalidInput) as e:
        escalation.parse_rule({"trigger": "sometime", "at": ["x"]}, {})
    assert {"trigger", "at", "then"} <= set(e.value.errors)
    with pytest.raises(InvalidInput) as e:
        escalation.parse_rule({"trigger": "unassigned", "at": ["soon"]}, {"hierarchical": True, "shout": 1})
    assert set(e.value.errors) == {"at", "shout"}
    queue = {"trigger": "unassigned", "at": ["100%", "0.5h"]}
    handover = escalation.parse_rule(queue, {"hierarchical": True})
    assert handover.steps == ("100%", "30m")  # % of the hand-over time (the handover_minutes setting)
    with pytest.raises(InvalidInput) as e:
        rule(db, "typo", {"trigger": "complaint", "team": ["Netwrok"]}, {"hierarchical": True})
    assert "team" in e.value.errors
    r = escalation.parse_rule({"trigger": "not_resolved", "at": ["2h", "150%", 90]}, {"raise_priority": 1})
    assert r.steps == ("120m", "150%", "90m")


def test_shipped_rules_seed_once_and_include_the_handover(db: Database) -> None:
    assert escalation.seed_rules(db) >= 7
    assert escalation.seed_rules(db) == 0
    rules = {r.name: r for r in escalation.list_rules(db)}
    handover = rules["Hand-over in time"]
    assert handover.trigger == "unassigned" and handover.steps == ("100%", "200%") and handover.hierarchical


def test_only_managers_change_rules_and_disabled_rules_do_not_fire(db: Database, desk: dict, clk) -> None:
    with pytest.raises(PermissionDenied):
        escalation.add_rule(
            db, desk["eng"], name="x", when={"trigger": "complaint"}, then={"hierarchical": True}
        )
    rule(db, "complaints", {"trigger": "complaint"}, {"hierarchical": True})
    escalation.set_enabled(db, desk["lead"], "complaints", False)
    make_ticket(db, desk["op"], kind="complaint")
    assert escalation.run_pass(db).fired == []
    escalation.set_enabled(db, desk["head"], "complaints", True)
    assert len(escalation.run_pass(db).fired) == 1


# --- each kind of rule fires once ------------------------------------------------------------------------


def test_handover_within_15_minutes_goes_up_the_line(db: Database, desk: dict, clk) -> None:
    escalation.seed_rules(db)
    for name in [r.name for r in escalation.list_rules(db) if r.name != "Hand-over in time"]:
        escalation.set_enabled(db, desk["head"], name, False)
    t = make_ticket(db, desk["op"])  # Desktop Support's queue, unassigned
    claimed = make_ticket(db, desk["op"], "Printer jam")
    tickets.claim(db, desk["eng"], claimed.number)
    clk.advance(minutes=14, seconds=59)
    assert escalation.run_pass(db).fired == []
    clk.advance(seconds=1)
    report = escalation.run_pass(db)
    assert [(f.number, f.threshold) for f in report.fired] == [
        (t.number, f"100%@{ticket_row(db, t.number).team_id}")
    ]
    row = ticket_row(db, t.number)
    assert row.escalated_to_id == desk["lead"].id and row.escalation_level == 1
    assert any(t.number in body and "escalated to you" in body for body in inbox(db, desk["lead"]))
    (event,) = escalated_events(db, t.number)
    assert "Hand-over in time" in event.body and "unassigned in the team queue for 15 min" in event.body
    assert escalation.run_pass(db).fired == []  # once per threshold
    clk.advance(minutes=15)
    (second,) = escalation.run_pass(db).fired
    assert second.threshold.startswith("200%@")
    row = ticket_row(db, t.number)
    assert row.escalated_to_id == desk["head"].id and row.escalation_level == 2  # the lead's manager
    assert any("escalated to you" in b for b in inbox(db, desk["head"]))
    clk.advance(hours=5)
    assert escalation.run_pass(db).fired == []
    assert len(escalated_events(db, claimed.number)) == 0


def test_hierarchical_chain_starts_at_the_assignees_manager(db: Database, desk: dict, clk) -> None:
    rule(db, "overdue", {"trigger": "not_resolved", "at": ["100%", "150%"]}, {"hierarchical": True})
    t = make_ticket(db, desk["op"], impact=1, urgency=1)  # P1: 240 min, 24x7
    tickets.claim(db, desk["eng"], t.number)
    clk.advance(minutes=239)
    assert escalation.run_pass(db).fired == []
    clk.advance(minutes=1)
    assert [f.threshold for f in escalation.run_pass(db).fired] == ["100%"]
    assert ticket_row(db, t.number).escalated_to_id == desk["lead"].id
    clk.advance(minutes=119)
    assert escalation.run_pass(db).fired == []
    clk.advance(minutes=1)
    assert [f.threshold for f in escalation.run_pass(db).fired] == ["150%"]
    assert ticket_row(db, t.number).escalated_to_id == desk["head"].id
    bodies = [e.body for e in escalated_events(db, t.number)]
    assert "level 1" in bodies[0] and "level 2" in bodies[1]


def test_not_responded_percent_counts_business_hours(db: Database, desk: dict, clk) -> None:
    rule(db, "respond half", {"trigger": "not_responded", "at": ["50%"]}, {"notify_roles": ["supervisor"]})
    clk.time = datetime(2026, 3, 6, 17, 50, tzinfo=SH).astimezone(UTC)  # Friday, 10 min before closing
    t = make_ticket(db, desk["op"], impact=2, urgency=1)  # P2: respond in 30 business minutes
    clk.advance(minutes=40)  # Friday 18:30: 10 business minutes used
    assert escalation.run_pass(db).fired == []
    clk.time = datetime(2026, 3, 9, 9, 4, tzinfo=SH).astimezone(UTC)
    assert escalation.run_pass(db).fired == []
    clk.time = datetime(2026, 3, 9, 9, 5, tzinfo=SH).astimezone(UTC)  # 15 of 30 business minutes
    (fired,) = escalation.run_pass(db).fired
    assert fired.number == t.number and "50% of the 30 min respond target" in fired.why
    assert any(t.number in b for b in inbox(db, desk["lead"]))  # the ticket team's supervisor


def test_minutes_threshold_and_response_stops_it(db: Database, desk: dict, clk) -> None:
    rule(db, "respond 10m", {"trigger": "not_responded", "at": ["10m"]}, {"notify_agents": ["head"]})
    answered = make_ticket(db, desk["op"], impact=2, urgency=1)
    waiting = make_ticket(db, desk["op"], "Another", impact=2, urgency=1)
    tickets.claim(db, desk["eng"], answered.number)  # claiming responds
    clk.advance(minutes=10)
    assert [f.number for f in escalation.run_pass(db).fired] == [waiting.number]


def test_functional_escalation_to_the_next_tier(db: Database, desk: dict, clk) -> None:
    rule(
        db,
        "servers up",
        {"trigger": "not_resolved", "at": ["50%"], "category": ["Hardware"], "priority": [1]},
        {"functional": "next_tier"},
    )
    t = make_ticket(db, desk["op"], "RAID degraded", category="Hardware/Server", impact=1, urgency=1)
    pc = make_ticket(db, desk["op"], "Laptop", category="Hardware/PC", impact=3, urgency=3)
    clk.advance(minutes=120)
    (fired,) = escalation.run_pass(db).fired
    assert fired.number == t.number and "moved to Server Specialists (tier 3)" in fired.effects
    row = ticket_row(db, t.number)
    assert (row.tier, row.assignee_id, row.status, row.escalation_level) == (3, None, "new", 1)
    assert any("servers up" in b for b in inbox(db, desk["lead"]))  # the specialists' lead
    assert escalated_events(db, pc.number) == []


def test_chased_twice_raises_the_priority_and_due_times_follow(db: Database, desk: dict, clk) -> None:
    rule(db, "chased", {"trigger": "chased", "at": [2]}, {"raise_priority": 1, "notify_assignee": True})
    t = make_ticket(db, desk["op"], impact=3, urgency=3)  # P5
    tickets.claim(db, desk["eng"], t.number)
    before = ticket_row(db, t.number)
    set_fields(db, t.number, chase_count=1)
    assert escalation.run_pass(db).fired == []
    set_fields(db, t.number, chase_count=2)
    assert len(escalation.run_pass(db).fired) == 1
    after = ticket_row(db, t.number)
    assert after.priority == 4 and after.resolve_by < before.resolve_by
    assert after.version == before.version + 1  # set_fields does not bump it; the firing does
    assert any("chased" in b for b in inbox(db, desk["eng"]))
    set_fields(db, t.number, chase_count=3)
    assert escalation.run_pass(db).fired == []


def test_complaint_fires_once_and_respects_customer_class(db: Database, desk: dict, clk) -> None:
    now = clock.now().replace(tzinfo=None)
    with db.write() as s:
        s.execute(
            text("INSERT INTO organisation (name, customer_class, created_at) VALUES ('Big', 'key', :t)"),
            {"t": now},
        )
        org = s.execute(text("SELECT id FROM organisation WHERE name = 'Big'")).scalar()
        s.execute(
            text("INSERT INTO customer (name, organisation_id, email, created_at) VALUES ('K', :o, '', :t)"),
            {"o": org, "t": now},
        )
        key_customer = s.execute(text("SELECT id FROM customer WHERE name = 'K'")).scalar()
    rule(
        db, "key complaints", {"trigger": "complaint", "customer_class": ["key"]}, {"notify_agents": ["head"]}
    )
    plain = make_ticket(db, desk["op"], kind="complaint")
    key = make_ticket(db, desk["op"], kind="complaint", customer_id=key_customer)
    assert [f.number for f in escalation.run_pass(db).fired] == [key.number]
    assert escalation.run_pass(db).fired == []
    assert escalated_events(db, plain.number) == []


def test_a_paused_clock_does_not_fire(db: Database, desk: dict, clk) -> None:
    rule(db, "late", {"trigger": "not_resolved", "at": ["100%"]}, {"notify_assignee": True})
    t = make_ticket(db, desk["op"], impact=1, urgency=1)
    tickets.claim(db, desk["eng"], t.number)
    set_fields(db, t.number, status="pending_customer", sla_paused_at=clock.now())
    clk.advance(hours=5)
    assert escalation.run_pass(db).fired == []


# --- two watchers at once ----------------------------------------------------------------------------------


def _eligible_desk(db: Database, desk: dict, n: int = 12) -> list[str]:
    rule(
        db,
        "handover",
        {"trigger": "unassigned", "at": ["15m"]},
        {"hierarchical": True, "notify_agents": ["sup"]},
    )
    rule(db, "complaint", {"trigger": "complaint"}, {"raise_priority": 1})
    numbers = [make_ticket(db, desk["op"], f"Complaint {i}", kind="complaint").number for i in range(n)]
    clock.set_clock(lambda: MONDAY_10.astimezone(UTC) + timedelta(minutes=20))
    return numbers


def _counts(db: Database) -> tuple[int, int, int]:
    with db.read() as s:
        fired = s.exec(select(func.count()).select_from(EscalationFiring)).one()
        events = s.exec(
            select(func.count()).select_from(TicketEvent).where(TicketEvent.kind == "escalated")
        ).one()
        notes = s.exec(select(func.count()).select_from(Notification)).one()
    return fired, events, notes


def test_two_watcher_threads_fire_each_action_once(db: Database, desk: dict, clk) -> None:
    numbers = _eligible_desk(db, desk)
    url = db.engine.url.render_as_string(hide_password=False)
    start = threading.Barrier(2)
    reports: list[escalation.PassReport] = []

    def watcher() -> None:
        own = open_database(url)
        start.wait()
        reports.append(escalation.run_pass(own, limit=5))  # small batches: the two interleave
        reports.append(escalation.run_pass(own, limit=100))
        own.dispose()

    threads = [threading.Thread(target=watcher) for _ in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    n = len(numbers)
    assert sum(len(r.fired) for r in reports) == 2 * n
    # per ticket: one hand-over (lead + sup notified) and one complaint firing (no notice)
    assert _counts(db) == (2 * n, 2 * n, 2 * n)
    assert all(ticket_row(db, num).priority == 4 for num in numbers)  # raised once, not twice


def _process_watcher(url: str, at: str, barrier) -> int:  # type: ignore[no-untyped-def]
    when = datetime.fromisoformat(at)
    clock.set_clock(lambda: when)
    database = open_database(url)
    barrier.wait()
    fired = sum(len(escalation.run_pass(database, limit=4).fired) for _ in range(4))
    database.dispose()
    return fired


def test_two_watcher_processes_fire_each_action_once(db: Database, desk: dict, clk) -> None:
    numbers = _eligible_desk(db, desk)
    url = db.engine.url.render_as_string(hide_password=False)
    at = clock.now().isoformat()
    ctx = multiprocessing.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(2)
        with ctx.Pool(2) as pool:
            results = pool.starmap(_process_watcher, [(url, at, barrier), (url, at, barrier)])
    n = len(numbers)
    assert sum(results) == 2 * n
    assert _counts(db) == (2 * n, 2 * n, 2 * n)
    assert all(ticket_row(db, num).priority == 4 for num in numbers)


def test_a_restarted_watcher_does_not_fire_again(db: Database, desk: dict, clk) -> None:
    numbers = _eligible_desk(db, desk, n=3)
    url = db.engine.url.render_as_string(hide_password=False)
    first = open_database(url)
    assert len(escalation.run_pass(first).fired) == 6
    first.dispose()
    again = open_database(url)
    assert escalation.run_pass(again).fired == []
    again.dispose()
    assert len(numbers) == 3


# --- manual escalation -------------------------------------------------------------------------------------


def test_manual_escalation_permissions(db: Database, desk: dict, clk) -> None:
    t = make_ticket(db, desk["op"])  # Desktop Support, unassigned
    args = {"reason": "customer's server down", "expected": "2h"}
    with pytest.raises(PermissionDenied):
        escalation.escalate(db, desk["other"], t.number, mode="functional", **args)
    with pytest.raises(PermissionDenied):
        escalation.escalate(db, desk["other"], t.number, mode="hierarchical", **args)
    with pytest.raises(PermissionDenied):  # the desk goes up the line, but does not move tickets
        escalation.escalate(db, desk["op"], t.number, mode="functional", **args)
    options = escalation.escalation_options(db, desk["op"], t.number)
    assert options.allowed == ("hierarchical",) and options.next_person.startswith("Lead")
    up = escalation.escalate(db, desk["op"], t.number, mode="hierarchical", **args)
    assert (up.to, up.level, up.expected_minutes) == ("Lead", 1, 120)
    assert "expected within 2 h" in up.body
    tickets.claim(db, desk["eng"], t.number)
    moved = escalation.escalate(
        db, desk["eng"], t.number, mode="functional", team="Server Specialists", **args
    )
    assert moved.to == "Server Specialists (tier 3)" and moved.level == 2
    row = ticket_row(db, t.number)
    assert row.assignee_id is None and row.tier == 3
    assert escalation.escalation_options(db, desk["eng"], t.number).allowed == ()  # not his team's any more
    assert escalation.escalation_options(db, desk["spec"], t.number).allowed == ("functional", "hierarchical")
    assert any("escalated to you by Eng" in b for b in inbox(db, desk["lead"]))


def test_manual_escalation_needs_reason_and_expected_time(db: Database, desk: dict, clk) -> None:
    t = make_ticket(db, desk["op"])
    with pytest.raises(InvalidInput) as e:
        escalation.escalate(db, desk["lead"], t.number, mode="hierarchical", reason=" ", expected="soon")
    assert set(e.value.errors) == {"reason", "expected"}
    with pytest.raises(Conflict):
        escalation.escalate(
            db, desk["lead"], t.number, mode="hierarchical", reason="x", expected=30, version=99
        )
    first = escalation.escalate(db, desk["eng"], t.number, mode="hierarchical", reason="x", expected="1h30m")
    assert first.to == "Lead" and first.expected_minutes == 90
    second = escalation.escalate(db, desk["lead"], t.number, mode="hierarchical", reason="y", expected="1d")
    assert second.to == "Head" and second.level == 2
    with pytest.raises(InvalidInput) as e:  # the top of the line
        escalation.escalate(db, desk["lead"], t.number, mode="hierarchical", reason="z", expected="1d")
    assert "mode" in e.value.errors


@pytest.mark.parametrize(
    ("text", "minutes"), [("90", 90), ("45m", 45), ("2h", 120), ("1h30m", 90), ("1d", 1440), ("2 h", 120)]
)
def test_parse_duration(text: str, minutes: int) -> None:
    assert escalation.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "soon", "0", "h2", "2x", "-5m"])
def test_parse_duration_refuses(text: str) -> None:
    with pytest.raises(InvalidInput):
        escalation.parse_duration(text)


# --- the watcher's scope: window, recent events, sweep -----------------------------------------------------


def test_a_scoped_pass_finds_new_crossings_by_window_and_old_ones_by_sweep(
    db: Database, desk: dict, clk
) -> None:
    rule(db, "handover", {"trigger": "unassigned", "at": ["15m"]}, {"notify_agents": ["sup"]})
    old = make_ticket(db, desk["op"], "Old")  # id 1
    clk.advance(days=2)
    new = make_ticket(db, desk["op"], "New")
    clk.advance(minutes=15)
    now = clock.now()
    window_only = escalation.Scope(window_from=now - escalation.WINDOW, sweep=(0, 1))
    assert [f.number for f in escalation.run_pass(db, now=now, scope=window_only).fired] == [new.number]
    assert (
        escalation.run_pass(db, now=now, scope=window_only).fired == []
    )  # the old one is outside the window
    recent = escalation.Scope(window_from=now, recent=(ticket_row(db, old.number).id,))
    assert [f.number for f in escalation.run_pass(db, now=now, scope=recent).fired] == [old.number]


def test_the_sweep_rotates_and_is_remembered_across_watchers(db: Database, desk: dict, clk) -> None:
    for i in range(5):
        make_ticket(db, desk["op"], f"T{i}")
    now = clock.now()
    first = escalation.plan_scope(db, now, sweep=2)
    second = escalation.plan_scope(db, now, sweep=2)  # as a restarted or second watcher would
    third = escalation.plan_scope(db, now, sweep=2)
    fourth = escalation.plan_scope(db, now, sweep=2)
    assert [first.sweep, second.sweep, third.sweep, fourth.sweep] == [(0, 2), (2, 4), (4, 6), (0, 2)]
    assert set(first.recent) == {ticket_row(db, f"SR-00000{i}").id for i in range(1, 6)}


def test_escalation_texts_give_times_in_one_zone_utc_marked_z(db: Database, desk: dict, clk) -> None:
    """Issue 14: "due 2026-03-09 01:20 UTC" beside the desk's local times read as a local time;
    every time in an escalation text is ISO 8601 UTC marked Z."""
    rule(db, "respond half", {"trigger": "not_responded", "at": ["50%"]}, {"notify_roles": ["supervisor"]})
    clk.time = datetime(2026, 3, 6, 17, 50, tzinfo=SH).astimezone(UTC)  # Friday, 10 min before closing
    make_ticket(db, desk["op"], impact=2, urgency=1)  # P2: respond in 30 business minutes
    clk.time = datetime(2026, 3, 9, 9, 5, tzinfo=SH).astimezone(UTC)
    (fired,) = escalation.run_pass(db).fired
    assert "due 2026-03-09T01:20Z" in fired.why and " UTC" not in fired.why  # Monday 09:20 in Shanghai


# --- batches: a backlog commits in steps, with the same result ---------------------------------------------


def _backlog(db: Database, desk: dict, clk, seed: int) -> None:  # type: ignore[no-untyped-def]
    """A random desk that has had no watcher: rules of every kind, tickets crossing several thresholds."""
    rng = random.Random(seed)
    rule(
        db,
        "handover",
        {"trigger": "unassigned", "at": ["15m", "30m", "60m"]},
        {"hierarchical": True, "notify_agents": ["sup"]},
    )
    rule(
        db,
        "respond",
        {"trigger": "not_responded", "at": ["50%", "100%"]},
        {"notify_roles": ["supervisor"], "raise_priority": 1},
    )
    rule(
        db,
        "late",
        {"trigger": "not_resolved", "at": ["100%"]},
        {"functional": "next_tier", "notify_assignee": True},
    )
    rule(db, "complaint", {"trigger": "complaint"}, {"raise_priority": 1})
    rule(db, "chased", {"trigger": "chased", "at": [2]}, {"hierarchical": True})
    for i in range(20):
        category = rng.choice(["Hardware/PC", "Hardware/Server"])
        t = make_ticket(
            db,
            desk["op"],
            f"Backlog {i}",
            kind=rng.choice(["incident", "incident", "complaint"]),
            impact=rng.randint(1, 3),
            urgency=rng.randint(1, 3),
            category=category,
        )
        if category == "Hardware/PC" and rng.random() < 0.4:
            tickets.claim(db, desk[rng.choice(["eng", "eng2"])], t.number)
        if rng.random() < 0.3:
            set_fields(db, t.number, chase_count=rng.randint(1, 3))
        clk.advance(minutes=rng.randint(1, 20))
    clk.advance(minutes=rng.randint(30, 400))


def _twin(db: Database, tmp_path) -> tuple[Database, Callable[[], None]]:  # type: ignore[no-untyped-def]
    """A second database holding what `db` holds now, and how to drop it."""
    if db.is_sqlite:
        path = tmp_path / "twin.db"
        src, dst = sqlite3.connect(str(db.engine.url.database)), sqlite3.connect(path)
        src.backup(dst)
        src.close()
        dst.close()
        return open_database(f"sqlite:///{path}"), lambda: None
    db.dispose()  # a template database takes no other connections
    name, url = _pg_clone(str(db.engine.url.database))
    return open_database(url), lambda: _pg_drop(name)


def _outcome(db: Database) -> tuple[list, ...]:
    """Everything a pass writes: firings, tickets, events, notifications."""
    with db.read() as s:
        fired = s.exec(
            select(EscalationFiring.rule_id, EscalationFiring.ticket_id, EscalationFiring.threshold)
        ).all()
        rows = s.exec(select(Ticket).order_by(col(Ticket.id))).all()
        events = s.exec(
            select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.body, TicketEvent.data).order_by(
                col(TicketEvent.id)
            )
        ).all()
        notes = s.exec(
            select(
                Notification.agent_id, Notification.ticket_id, Notification.kind, Notification.body
            ).order_by(col(Notification.id))
        ).all()
    state = [
        (
            t.number,
            t.priority,
            t.team_id,
            t.tier,
            t.assignee_id,
            t.escalated_to_id,
            t.escalation_level,
            t.version,
        )
        for t in rows
    ]
    return sorted(fired), state, list(events), list(notes)


def _passes(db: Database, limit: int, batch: int, seen: list | None = None) -> list[tuple]:
    """Passes until one fires nothing: every firing, in order."""
    out: list[tuple] = []
    while True:
        report = escalation.run_pass(
            db,
            limit=limit,
            batch=batch,
            progress=(lambda done, due: seen.append((done, due))) if seen is not None else None,
        )
        if not report.fired:
            return out
        out += [(f.rule, f.number, f.threshold, f.why, tuple(f.effects)) for f in report.fired]


@pytest.mark.parametrize(("seed", "limit"), [(1, 1000), (2, 2)])
def test_batching_changes_nothing_a_backlog_fires(
    db: Database, desk: dict, clk, tmp_path, seed, limit
) -> None:  # type: ignore[no-untyped-def]
    """One transaction a firing (as before batches) and batches of 3 fire the same, in the same order,
    with the same effects, events and notifications; a limit hit (2 a rule) waits the same way."""
    _backlog(db, desk, clk, seed)
    twin, drop = _twin(db, tmp_path)
    try:
        seen: list[tuple[int, int]] = []
        one = _passes(db, limit, batch=1)
        batched = _passes(twin, limit, batch=3, seen=seen)
        assert len(one) > 10 and {f[0] for f in one} >= {"handover", "respond", "complaint"}
        assert batched == one
        assert _outcome(twin) == _outcome(db)
        assert (
            seen and all(done <= due for done, due in seen) and (limit < 1000 or seen[-1][0] == seen[-1][1])
        )
    finally:
        twin.dispose()
        drop()


def test_a_firing_lost_in_a_batch_leaves_the_others_be(
    db: Database, desk: dict, clk, monkeypatch: pytest.MonkeyPatch
) -> None:
    numbers = _eligible_desk(db, desk, n=4)
    from deskterm.services.escalation import watcher

    planned = watcher.due_firings

    def another_watcher_first(*args, **kwargs):  # type: ignore[no-untyped-def]
        plan, looked = planned(*args, **kwargs)
        rule_, _index, found = plan[0]
        with db.write() as s:  # fires the first planned firing between the plan and the batch
            s.add(
                EscalationFiring(
                    rule_id=rule_.id, ticket_id=found[0][1], threshold=found[0][2], at=clock.now()
                )
            )
        return plan, looked

    monkeypatch.setattr(watcher, "due_firings", another_watcher_first)
    report = escalation.run_pass(db, batch=50)
    assert (len(report.fired), report.lost) == (2 * len(numbers) - 1, 1)
    assert _counts(db) == (2 * len(numbers), 2 * len(numbers) - 1, 2 * len(numbers) - 2)


def test_the_firings_statistics_are_refreshed_once_they_are_stale(db: Database, desk: dict, clk) -> None:
    """A table the watcher fills in bulk is analyzed by the next pass, whatever autovacuum does."""
    complaint = rule(db, "complaint", {"trigger": "complaint"}, {"raise_priority": 1})
    ticket_id = ticket_row(db, make_ticket(db, desk["op"]).number).id
    assert escalation.run_pass(db).analyzed == []  # nothing to speak of yet
    with db.write() as s:
        rows = [
            {"rule_id": complaint.id, "ticket_id": ticket_id, "threshold": str(i), "at": clock.now()}
            for i in range(1500)
        ]
        s.connection().execute(insert(EscalationFiring), rows)
        if not db.is_sqlite:  # the server's counters, at once rather than within a second
            s.connection().exec_driver_sql("SELECT pg_stat_force_next_flush()")
    assert escalation.run_pass(db).analyzed == ["escalation_firing"]
    assert escalation.run_pass(db).analyzed == []  # fresh now
    assert fresh_statistics(db, ["escalation_firing"], rows=1, grown=0.5) == []
