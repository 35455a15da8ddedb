"""The desk's clocks and rules (issue 12, points 18-21), on both backends with the frozen clock:
a reopened ticket's new targets, escalation that never hands a ticket down and fires every crossed
threshold in one pass, the hand-over counted in business time from the one promised setting, and
the callback retry wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.db import Database
from deskterm.models import Callback, Status, Ticket, TicketEvent
from deskterm.services import callbacks, escalation, intake, kpi, sla, tickets, workflow
from deskterm.services.intake import IntakeForm, IntakeRules
from deskterm.services.sla_calendar import due_time
from tests.factories import escalation_desk, make_ticket

SH = ZoneInfo("Asia/Shanghai")
MONDAY_9 = datetime(2026, 3, 9, 9, 0, tzinfo=SH)  # a working Monday in Shanghai
P3_RESOLVE = 27 * 60  # three business days of nine hours


@pytest.fixture
def clk() -> clock.FrozenClock:
    c = clock.FrozenClock(MONDAY_9)
    clock.set_clock(c)
    return c


@pytest.fixture
def desk(db: Database) -> dict:
    return escalation_desk(db)


def row(db: Database, number: str) -> Ticket:
    with db.read() as s:
        return s.exec(select(Ticket).where(Ticket.number == number)).one()


def last_event(db: Database, number: str, kind: str) -> TicketEvent:
    return [e for e in tickets.get_ticket(db, None, number).events if e.kind == kind][-1]


def only(db: Database, desk: dict, keep: str, **rule) -> None:  # type: ignore[no-untyped-def]
    """The shipped rules with only `keep` enabled (or a rule of that name added)."""
    escalation.seed_rules(db)
    if rule:
        escalation.add_rule(db, desk["head"], name=keep, **rule)
    for r in escalation.list_rules(db):
        if r.name != keep:
            escalation.set_enabled(db, desk["head"], r.name, False)


HANDOVER = {"when": {"trigger": "unassigned", "at": ["15m", "30m"]}, "then": {"hierarchical": True}}


def p3_calendar(db: Database):  # type: ignore[no-untyped-def]
    with db.read() as s:
        return sla.policy_for(s, 3, "standard")[1]


# --- 18. a reopened ticket gets new targets from the reopen time -----------------------------------------


def test_a_reopened_ticket_gets_a_new_resolve_target_from_the_reopen(db: Database, desk: dict, clk) -> None:
    t = make_ticket(db, desk["op"], impact=2, urgency=2)  # P3: resolve in 3 business days
    tickets.claim(db, desk["eng"], t.number)
    workflow.resolve(db, desk["eng"], t.number, "replaced the disk")
    old_due = row(db, t.number).resolve_by
    clk.time = datetime(2026, 3, 19, 10, 0, tzinfo=SH).astimezone(UTC)  # long after it was due
    workflow.reopen(db, desk["eng"], t.number, "it fails again")
    cal = p3_calendar(db)
    after = row(db, t.number)
    assert after.resolve_by == due_time(cal, clk.time, P3_RESOLVE) > clk.time
    assert kpi.sla_state(after.status, after.resolve_by, clock.now()) == "ok"  # not breached on reopening
    data = last_event(db, t.number, "reopened").data
    assert data["resolve_by"] == [old_due.isoformat(), after.resolve_by.isoformat()]
    assert data["sla_from"] == clk.time.isoformat()
    assert "respond_by" not in data and after.responded_at is not None  # its engineer has it still
    # the clock keeps its new start through a pause and a priority change
    workflow.change_status(db, desk["eng"], t.number, Status.PENDING_CUSTOMER)
    clk.advance(hours=2)
    workflow.change_status(db, desk["eng"], t.number, Status.IN_PROGRESS)
    reopened = datetime(2026, 3, 19, 10, 0, tzinfo=SH)
    pause = (reopened, reopened + timedelta(hours=2))
    assert row(db, t.number).resolve_by == due_time(cal, reopened, P3_RESOLVE, [pause])
    version = row(db, t.number).version
    workflow.edit(db, desk["eng"], t.number, version=version, changes={"impact": 1, "urgency": 1})  # P1
    assert row(db, t.number).resolve_by == reopened + timedelta(hours=4 + 2)  # 24x7, the pause added


def test_reopened_into_the_queue_it_must_be_responded_to_again(db: Database, desk: dict, clk) -> None:
    t = make_ticket(db, desk["op"], impact=2, urgency=2)  # P3: respond in 2 business hours
    workflow.resolve(db, desk["eng"], t.number, "explained the setting")  # resolved unassigned
    assert row(db, t.number).responded_at is not None
    clk.advance(days=3)
    workflow.reopen(db, desk["eng"], t.number, "customer says no")
    after = row(db, t.number)
    assert after.status == Status.NEW and after.responded_at is None
    assert after.respond_by == due_time(p3_calendar(db), clk.time, 120)
    data = last_event(db, t.number, "reopened").data
    assert data["respond_by"][1] == after.respond_by.isoformat() and data["responded_at"][1] is None


def test_not_fixed_on_the_callback_reopens_with_new_targets(db: Database, desk: dict, clk) -> None:
    t = make_ticket(db, desk["op"], impact=2, urgency=2)
    tickets.claim(db, desk["eng"], t.number)
    workflow.resolve(db, desk["eng"], t.number, "replaced the disk")
    clk.time = datetime(2026, 3, 19, 10, 0, tzinfo=SH).astimezone(UTC)
    callbacks.record_not_fixed(db, desk["op"], t.number, "still clicking")
    after = row(db, t.number)
    assert after.resolve_by == due_time(p3_calendar(db), clk.time, P3_RESOLVE)
    assert last_event(db, t.number, "reopened").data["sla_from"] == clk.time.isoformat()


def test_the_watcher_does_not_escalate_a_ticket_the_moment_it_reopens(db: Database, desk: dict, clk) -> None:
    only(db, desk, "Resolution overdue")  # not_resolved at 100%, 150%: hierarchical, tells the assignee
    t = make_ticket(db, desk["op"], impact=2, urgency=2)
    tickets.claim(db, desk["eng"], t.number)
    workflow.resolve(db, desk["eng"], t.number, "replaced the disk")
    clk.time = datetime(2026, 3, 19, 10, 0, tzinfo=SH).astimezone(UTC)
    workflow.reopen(db, desk["eng"], t.number, "it fails again")
    assert escalation.run_pass(db).fired == []
    clk.time = datetime(2026, 3, 24, 10, 0, tzinfo=SH).astimezone(UTC)  # 3 business days later
    assert [f.threshold for f in escalation.run_pass(db).fired] == ["100%"]


def test_an_sla_policy_edit_keeps_the_reopen_start(db: Database, desk: dict, clk) -> None:
    from deskterm.services import sla_admin

    t = make_ticket(db, desk["op"], impact=2, urgency=2)
    tickets.claim(db, desk["eng"], t.number)
    workflow.resolve(db, desk["eng"], t.number, "replaced the disk")
    clk.time = datetime(2026, 3, 19, 10, 0, tzinfo=SH).astimezone(UTC)
    workflow.reopen(db, desk["eng"], t.number, "it fails again")
    sla_admin.edit_policy(db, desk["head"], "P3", resolve_minutes=9 * 60)
    assert row(db, t.number).resolve_by == datetime(2026, 3, 20, 10, 0, tzinfo=SH)


# --- 19. escalation never hands a ticket down; every crossed threshold fires in one pass -----------------


def test_the_handover_rule_never_hands_a_ticket_down_the_line(db: Database, desk: dict, clk) -> None:
    only(db, desk, "handover", **HANDOVER)
    t = make_ticket(db, desk["op"])  # Desktop Support's queue, unassigned
    for reason in ("the team does not answer", "still nobody"):  # the desk goes up the list: lead, head
        escalation.escalate(db, desk["op"], t.number, mode="hierarchical", reason=reason, expected="1h")
    assert (row(db, t.number).escalated_to_id, row(db, t.number).escalation_level) == (desk["head"].id, 2)
    clk.advance(minutes=15)
    (fired,) = escalation.run_pass(db).fired
    after = row(db, t.number)
    assert after.escalated_to_id == desk["head"].id and after.escalation_level == 2  # not back to Lead
    assert "with Head already (level 2 of the line)" in fired.effects


def test_the_level_a_rule_shows_is_the_tickets_level(db: Database, desk: dict, clk) -> None:
    """Three escalations by hand, then the hand-over rule on the new team's queue: the rule reaches the
    first person up that line (the team's lead) and the ticket's level goes 3 → 4; the event says so
    instead of "level 1" beside a ticket showing level 4."""
    only(db, desk, "handover", **HANDOVER)
    t = make_ticket(db, desk["op"])
    for team in ("Network", "Server Engineering", "Server Specialists"):
        escalation.escalate(
            db, desk["lead"], t.number, mode="functional", team=team, reason="wrong line", expected="2h"
        )
    assert row(db, t.number).escalation_level == 3
    clk.advance(minutes=15)
    (fired,) = escalation.run_pass(db).fired
    after = row(db, t.number)
    assert (after.escalated_to_id, after.escalation_level) == (desk["lead"].id, 4)
    event = last_event(db, t.number, "escalated")
    assert event.data["level"] == 4 and "escalation level 3 → 4" in event.body
    assert "escalated to Lead (level 1 of the line)" in fired.effects


def test_a_functional_rule_never_moves_a_ticket_to_a_lower_tier(db: Database, desk: dict, clk) -> None:
    only(db, desk, "back to desktop", when={"trigger": "complaint"}, then={"functional": "Desktop Support"})
    t = make_ticket(db, desk["op"], kind="complaint")
    escalation.escalate(db, desk["lead"], t.number, mode="functional", reason="raid", expected="2h")
    assert row(db, t.number).tier == 3
    (fired,) = escalation.run_pass(db).fired
    assert row(db, t.number).tier == 3 and row(db, t.number).escalation_level == 1
    assert "not moved down to Desktop Support (tier 2) from tier 3" in fired.effects


def test_every_crossed_threshold_fires_in_the_same_pass(db: Database, desk: dict, clk) -> None:
    overdue = {"trigger": "not_resolved", "at": ["100%", "150%"]}
    only(db, desk, "overdue", when=overdue, then={"hierarchical": True})
    t = make_ticket(db, desk["op"], impact=1, urgency=1)  # P1: 4 h, 24x7
    tickets.claim(db, desk["eng"], t.number)
    clk.advance(hours=7)  # the watcher was down: both 100% and 150% have passed
    report = escalation.run_pass(db)
    assert [f.threshold for f in report.fired] == ["100%", "150%"]
    after = row(db, t.number)
    assert (after.escalated_to_id, after.escalation_level) == (desk["head"].id, 2)  # lead, then head
    assert escalation.run_pass(db).fired == []


def test_a_late_watcher_hands_over_at_both_thresholds_at_once(db: Database, desk: dict, clk) -> None:
    only(db, desk, "Hand-over in time")  # the shipped rule: 100% and 200% of the hand-over time
    t = make_ticket(db, desk["op"])
    clk.advance(minutes=31)
    fired = escalation.run_pass(db).fired
    team = row(db, t.number).team_id
    assert [f.threshold for f in fired] == [f"100%@{team}", f"200%@{team}"]
    assert row(db, t.number).escalated_to_id == desk["head"].id


# --- 20. the hand-over counts business time, from the one promised setting ---------------------------------


def test_the_handover_waits_for_business_hours(db: Database, desk: dict, clk) -> None:
    only(db, desk, "handover", when={"trigger": "unassigned", "at": ["15m"]}, then={"hierarchical": True})
    clk.time = datetime(2026, 3, 9, 3, 0, tzinfo=SH).astimezone(UTC)  # Monday 03:00, the desk is closed
    night = make_ticket(db, desk["op"], "Printer at night", impact=2, urgency=2)  # P3: business hours
    urgent = make_ticket(db, desk["op"], "Server down", impact=1, urgency=1)  # P1: 24x7
    clk.advance(minutes=15)
    assert [f.number for f in escalation.run_pass(db).fired] == [urgent.number]
    clk.time = datetime(2026, 3, 9, 9, 14, 59, tzinfo=SH).astimezone(UTC)
    assert escalation.run_pass(db).fired == []
    clk.time = datetime(2026, 3, 9, 9, 15, tzinfo=SH).astimezone(UTC)
    now = clock.now()
    window = escalation.Scope(window_from=now - timedelta(seconds=1))  # found by the window's index range
    (fired,) = escalation.run_pass(db, now=now, scope=window).fired
    assert fired.number == night.number and "for 15 min of business hours" in fired.why


def test_at_night_the_window_looks_at_no_business_hours_ticket(db: Database, desk: dict, clk) -> None:
    only(db, desk, "handover", when={"trigger": "unassigned", "at": ["15m"]}, then={"hierarchical": True})
    clk.time = datetime(2026, 3, 8, 20, 0, tzinfo=SH).astimezone(UTC)  # Sunday evening
    make_ticket(db, desk["op"], "Printer", impact=2, urgency=2)  # P3: business hours
    clk.time = datetime(2026, 3, 9, 3, 30, tzinfo=SH).astimezone(UTC)
    now = clock.now()
    report = escalation.run_pass(db, now=now, scope=escalation.Scope(window_from=now - escalation.WINDOW))
    assert report.candidates == 0  # the 24x7 range (02:15-03:15] and no business range at night


def test_intake_promises_what_the_rule_keeps_from_one_setting(db: Database, desk: dict, clk) -> None:
    only(db, desk, "Hand-over in time")
    clk.time = datetime(2026, 3, 9, 17, 50, tzinfo=SH).astimezone(UTC)  # ten minutes before closing
    form = IntakeForm(
        name="张三",
        organisation="上海明远科技有限公司",
        phone="138-1234-5678",
        description="打印机亮红灯",
        category="Hardware/Printer",
        device_model="Printek LP-2100",
        device_serial="LP2100-AAA111",
        impact=3,
        urgency=2,
    )
    result = intake.save_call(db, desk["op"], form, rules=IntakeRules(handover_minutes=20))
    assert result.handover_by == datetime(2026, 3, 10, 9, 10, tzinfo=SH)  # 10 min today, 10 tomorrow
    clk.time = result.handover_by - timedelta(seconds=1)
    assert escalation.run_pass(db, handover_minutes=20).fired == []
    clk.time = result.handover_by
    (fired,) = escalation.run_pass(db, handover_minutes=20).fired
    assert fired.number == result.number and "for 20 min of business hours" in fired.why
    assert "hand-over due 2026-03-10T01:10Z" in fired.why  # the time intake promised


def test_the_watch_command_uses_the_handover_setting(db: Database, desk: dict, clk) -> None:
    from typer.testing import CliRunner

    from deskterm.cli import make_app

    url = db.engine.url.render_as_string(hide_password=False)
    escalation.seed_rules(db)
    t = make_ticket(db, desk["op"])
    env = {"DESKTERM_HANDOVER_MINUTES": "20"}
    clk.advance(minutes=15)
    assert CliRunner().invoke(make_app(), ["--db", url, "watch", "--once"], env=env).exit_code == 0
    assert row(db, t.number).escalated_to_id is None
    clk.advance(minutes=5)
    assert CliRunner().invoke(make_app(), ["--db", url, "watch", "--once"], env=env).exit_code == 0
    assert row(db, t.number).escalated_to_id == desk["lead"].id


def test_a_ticket_reopened_into_the_queue_waits_its_hand_over_time_again(
    db: Database, desk: dict, clk
) -> None:
    only(db, desk, "handover", when={"trigger": "unassigned", "at": ["15m"]}, then={"hierarchical": True})
    t = make_ticket(db, desk["op"])
    workflow.resolve(db, desk["eng"], t.number, "explained the setting")  # unassigned
    clk.advance(days=2)
    workflow.reopen(db, desk["eng"], t.number, "customer says no")  # back in the queue, nobody has it
    assert escalation.run_pass(db).fired == []  # not at once: its queue time starts at the reopen
    clk.advance(minutes=15)
    assert [f.number for f in escalation.run_pass(db).fired] == [t.number]


def test_a_desk_with_the_old_handover_rule_keeps_it_and_gets_no_second_one(db: Database, desk: dict) -> None:
    escalation.add_rule(db, desk["head"], name="Hand-over within 15 minutes", **HANDOVER)
    escalation.seed_rules(db)
    names = [r.name for r in escalation.list_rules(db)]
    assert "Hand-over within 15 minutes" in names and "Hand-over in time" not in names


# --- 21. the callback retry wait is enforced -------------------------------------------------------------


def test_no_answer_is_refused_before_the_retry_wait(db: Database, desk: dict, clk) -> None:
    t = make_ticket(db, desk["op"])
    tickets.claim(db, desk["eng"], t.number)
    workflow.resolve(db, desk["eng"], t.number, "replaced the roller")
    callbacks.record_no_answer(db, desk["op"], t.number, max_attempts=3, retry_minutes=60)
    clk.advance(seconds=14)  # three presses of `u` in 14 s
    with pytest.raises(callbacks.TooEarly) as refused:
        callbacks.record_no_answer(db, desk["op"], t.number, max_attempts=3, retry_minutes=60)
    assert refused.value.retry_at == MONDAY_9 + timedelta(minutes=60)
    assert "the next try is due in 60 min (at 2026-03-09 02:00 UTC)" in str(refused.value)
    assert "last try without an answer was at 01:00 UTC" in str(refused.value)
    assert refused.value.exit_code == 3
    with db.read() as s:
        assert len(s.exec(select(Callback)).all()) == 1
    assert row(db, t.number).status == Status.RESOLVED
    clk.advance(minutes=59, seconds=46)  # the wait has passed: the second try counts
    again = callbacks.record_no_answer(db, desk["op"], t.number, max_attempts=3, retry_minutes=60)
    assert again.attempts == 2
