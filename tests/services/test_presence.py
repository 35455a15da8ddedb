"""Console presence: published states, the heartbeat, and a silent console shown as logged out."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskterm import clock
from deskterm.services import presence
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
