"""Console presence: published states, the heartbeat, a silent console shown as logged out, the
state log behind the handle time, and state changes waking the change feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from deskterm import clock
from deskterm.models import AgentStateLog
from deskterm.services import presence
from deskterm.services.changes import ChangeWaiter
from deskterm.services.errors import InvalidInput, PermissionDenied
from tests.factories import make_agent

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def test_states_heartbeat_and_timeout(db):
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    sue = make_agent(db, "sue", role="supervisor", team="Service Desk")
    presence.beat(db, olga)  # no row yet: the first beat publishes "available"
    assert presence.states(db, sue, timeout=60)[olga.id] == presence.Presence(olga.id, "available", START)
    frozen.advance(seconds=30)
    presence.publish(db, olga, presence.ON_CALL)
    frozen.advance(seconds=30)
    presence.publish(db, olga, presence.ON_CALL)  # same state: since stays
    state = presence.states(db, sue, timeout=60)[olga.id]
    assert state.state == "on_call" and state.since == datetime(2026, 3, 2, 1, 0, 30, tzinfo=UTC)
    frozen.advance(seconds=59)
    assert presence.states(db, sue, timeout=60)[olga.id].state == "on_call"
    frozen.advance(seconds=2)  # 61 s without a beat
    gone = presence.states(db, sue, timeout=60)[olga.id]
    assert gone.state == presence.LOGGED_OUT and gone.since == datetime(2026, 3, 2, 1, 1, tzinfo=UTC)
    presence.beat(db, olga)
    assert presence.states(db, sue, timeout=60)[olga.id].state == "on_call"
    presence.leave(db, olga)
    assert olga.id not in presence.states(db, sue, timeout=60)


def test_refusals(db):
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    with pytest.raises(InvalidInput):
        presence.publish(db, olga, "asleep")
    with pytest.raises(PermissionDenied):
        presence.states(db, olga, timeout=60)


def test_since_restarts_when_an_agent_comes_back_after_logging_out(db):
    frozen = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    clock.set_clock(frozen)
    agent = make_agent(db, "back")
    boss = make_agent(db, "boss", role="supervisor")
    presence.publish(db, agent, presence.AVAILABLE)
    frozen.advance(hours=3)  # the console was closed; no heartbeat since
    presence.publish(db, agent, presence.AVAILABLE)
    now = frozen.time
    assert presence.states(db, boss, timeout=60, now=now)[agent.id].since == now


def _log(db):  # type: ignore[no-untyped-def]
    with db.read() as s:
        rows = s.exec(select(AgentStateLog).order_by(col(AgentStateLog.id))).all()
        return [(r.state, r.reason, r.started_at, r.ended_at, r.handled) for r in rows]


def test_every_state_is_logged_from_when_to_when(db):
    """The state log behind the average handle time: each state with its start and end; a call
    that ends in after-call work was handled; the console's time, not the publish time, counts."""
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    t = [START + timedelta(seconds=s) for s in (0, 10, 190, 250, 260, 300)]
    frozen.time = t[-1]
    presence.publish(db, olga, presence.AVAILABLE, at=t[0])
    presence.publish(db, olga, presence.ON_CALL, at=t[1])
    presence.publish(db, olga, presence.AFTER_CALL, at=t[2])
    presence.publish(db, olga, presence.ON_CALL, at=t[3])
    presence.publish(db, olga, presence.AVAILABLE, at=t[4])  # dropped without saving
    presence.publish(db, olga, presence.AWAY, reason="lunch", at=t[5])
    assert _log(db) == [
        ("available", "", t[0], t[1], False),
        ("on_call", "", t[1], t[2], True),
        ("after_call", "", t[2], t[3], False),
        ("on_call", "", t[3], t[4], False),
        ("available", "", t[4], t[5], False),
        ("away", "lunch", t[5], None, False),
    ]
    sue = make_agent(db, "sue", role="supervisor", team="Service Desk")
    assert presence.states(db, sue, timeout=60)[olga.id] == presence.Presence(olga.id, "away", t[5], "lunch")
    presence.leave(db, olga)
    assert _log(db)[-2:] == [("away", "lunch", t[5], t[-1], False), ("logged_out", "", t[-1], None, False)]


def test_a_console_that_died_is_logged_out_from_its_last_beat(db):
    frozen = clock.FrozenClock(START)
    clock.set_clock(frozen)
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    presence.publish(db, olga, presence.ON_CALL)
    frozen.advance(seconds=20)
    presence.beat(db, olga)
    last_beat = frozen.time
    frozen.advance(hours=1)  # killed mid-call; a new console starts
    presence.publish(db, olga, presence.AVAILABLE)
    assert _log(db) == [
        ("on_call", "", START, last_beat, False),
        ("logged_out", "", last_beat, frozen.time, False),
        ("available", "", frozen.time, None, False),
    ]


def test_away_needs_a_reason_from_the_list(db):
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    assert [r.code for r in presence.away_reasons(db)][:3] == ["break", "lunch", "meeting"]
    for state, reason in ((presence.AWAY, ""), (presence.AWAY, "nap"), (presence.AVAILABLE, "lunch")):
        with pytest.raises(InvalidInput):
            presence.publish(db, olga, state, reason=reason)


def test_a_state_change_wakes_the_change_feed(db):
    """The monitor hears of a state change at once (PostgreSQL: NOTIFY; SQLite: the polling sees
    the state log move), not only on its 15 s tick; a heartbeat alone wakes nobody."""
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    presence.publish(db, olga, presence.AVAILABLE)
    waiter = ChangeWaiter(db, interval=0.01)
    try:
        waiter.wait(timeout=0.05)  # connected (PostgreSQL: listening)
        waiter.take_presence()
        presence.beat(db, olga)
        assert not (waiter.wait(timeout=0.3) and waiter.take_presence())
        presence.publish(db, olga, presence.ON_CALL)  # another console starts a call
        assert waiter.wait(timeout=10) and waiter.take_presence()
        assert not waiter.take_presence()  # taken once
    finally:
        waiter.close()
