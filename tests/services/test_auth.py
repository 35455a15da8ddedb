from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.models import Agent, LoginAttempt
from deskterm.services import agents, auth
from deskterm.services.errors import Conflict, InvalidInput, LoginFailed, PermissionDenied
from tests.factories import make_agent


def test_password_is_salted_and_never_clear():
    a, b = auth.hash_password("hunter22"), auth.hash_password("hunter22")
    assert a != b and "hunter22" not in a
    assert auth.verify_password("hunter22", a) and not auth.verify_password("hunter23", a)


def test_login_right_and_wrong(db):
    make_agent(db, "olga", role="operator", password="right-pw")
    assert auth.login(db, "olga", "right-pw").login == "olga"
    with pytest.raises(LoginFailed, match="wrong login or password"):
        auth.login(db, "olga", "wrong")
    with db.read() as s:
        tries = s.exec(select(LoginAttempt).where(LoginAttempt.login == "olga")).all()
    assert [t.ok for t in tries].count(False) >= 1


def test_three_failures_throttle_the_login(db):
    frozen = clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    clock.set_clock(frozen)
    make_agent(db, "pete", password="right-pw")
    for _ in range(3):
        with pytest.raises(LoginFailed, match="wrong"):
            auth.login(db, "pete", "nope")
    with pytest.raises(LoginFailed, match="too many failed logins"):
        auth.login(db, "pete", "right-pw")  # even the right password waits
    frozen.advance(seconds=31)
    assert auth.login(db, "pete", "right-pw").login == "pete"
    assert sum(1 for *_x, ok, _s in [(0, *r) for r in auth.login_log(db, "pete")] if not ok) == 3


def test_deactivated_agent_cannot_log_in(db):
    boss = make_agent(db, "boss", role="supervisor")
    make_agent(db, "gone", password="right-pw")
    agents.set_active(db, boss, "gone", False)
    with pytest.raises(LoginFailed, match="deactivated"):
        auth.login(db, "gone", "right-pw")


def test_operator_may_not_manage_agents(db):
    op = make_agent(db, "opal", role="operator", team="Service Desk", tier=1)
    with pytest.raises(PermissionDenied):
        agents.add_agent(db, op, login="x1", name="X", number="999", role="engineer", password="secret-pw")
    with pytest.raises(PermissionDenied):
        agents.set_password(db, op, "someone", "another-pw")


def test_supervisor_adds_and_resets(db):
    boss = make_agent(db, "sue", role="supervisor")
    row = agents.add_agent(
        db,
        boss,
        login="newbie",
        name="New Bie",
        number="777",
        role="engineer",
        tier=2,
        team="Network",
        manager="sue",
        password="first-pw",
    )
    assert (row.team, row.manager, row.tier) == ("Network", "sue", 2)
    agents.set_password(db, boss, "newbie", "second-pw")
    assert auth.login(db, "newbie", "second-pw").team == "Network"
    with pytest.raises(Conflict):
        agents.add_agent(
            db, boss, login="newbie", name="Dup", number="778", role="engineer", password="xxxxxx"
        )
    with pytest.raises(InvalidInput) as bad:
        agents.add_agent(db, boss, login="b@d", name="", number="x", role="king", password="1")
    assert set(bad.value.errors) == {"login", "name", "number", "role", "password"}
    with db.read() as s:
        assert "first-pw" not in s.exec(select(Agent.password_hash).where(Agent.login == "newbie")).one()
