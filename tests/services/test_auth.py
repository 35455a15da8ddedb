"""Passwords and login (issue 12 point 11): argon2id, old scrypt hashes upgraded, one answer for
every refusal, throttling per login and source with a global cap."""

from __future__ import annotations

import base64
import hashlib
import os
import threading
from datetime import UTC, datetime

import pytest
from argon2 import PasswordHasher
from sqlmodel import select

from deskterm import clock
from deskterm.db import Database
from deskterm.models import Agent, LoginAttempt
from deskterm.services import agents, auth, remote
from deskterm.services.errors import Conflict, InvalidInput, LoginFailed, PermissionDenied
from tests.factories import make_agent

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> clock.FrozenClock:
    c = clock.FrozenClock(NOW)
    clock.set_clock(c)
    return c


def _hash_of(db: Database, login: str) -> str:
    with db.read() as s:
        return s.exec(select(Agent.password_hash).where(Agent.login == login)).one()


def _attempts(db: Database, login: str) -> list[tuple[bool, str]]:
    with db.read() as s:
        rows = s.exec(select(LoginAttempt).where(LoginAttempt.login == login).order_by(LoginAttempt.id)).all()
        return [(r.ok, r.source) for r in rows]


def test_passwords_are_argon2id_salted_and_never_clear():
    a, b = auth.hash_password("hunter22"), auth.hash_password("hunter22")
    assert a.startswith("$argon2id$") and a != b and "hunter22" not in a
    assert auth.verify_password("hunter22", a) and not auth.verify_password("hunter23", a)
    assert not auth.verify_password("hunter22", "garbage") and not auth.verify_password("x", "scrypt$bad")


def _scrypt(password: str) -> str:
    """A hash as deskterm wrote them before argon2."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**8, r=8, p=1, dklen=32)
    return f"scrypt${2**8}$8$1${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_an_old_scrypt_hash_logs_in_and_is_upgraded_to_argon2id(db: Database):
    make_agent(db, "olga", role="operator", password="old-secret")
    with db.write() as s:
        s.exec(select(Agent).where(Agent.login == "olga")).one().password_hash = _scrypt("old-secret")
    with pytest.raises(LoginFailed):
        auth.login(db, "olga", "wrong-secret")
    assert _hash_of(db, "olga").startswith("scrypt$")  # a failed login changes nothing
    assert auth.login(db, "olga", "old-secret").login == "olga"
    upgraded = _hash_of(db, "olga")
    assert upgraded.startswith("$argon2id$") and auth.verify_password("old-secret", upgraded)
    assert auth.login(db, "olga", "old-secret").login == "olga"
    assert _hash_of(db, "olga") == upgraded  # current hashes are left alone


def test_a_hash_with_old_argon2_parameters_is_upgraded_too(db: Database, monkeypatch):
    make_agent(db, "olga", role="operator", password="a-secret")
    monkeypatch.setattr(auth, "HASHER", PasswordHasher(time_cost=2, memory_cost=16, parallelism=1))
    auth.login(db, "olga", "a-secret")
    assert "m=16,t=2,p=1" in _hash_of(db, "olga")


class CountingHasher(PasswordHasher):
    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=8, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash, password):  # type: ignore[no-untyped-def, override]
        self.verified.append(hash.split("$")[3])  # the cost parameters of the hash checked
        return super().verify(hash, password)


def test_unknown_login_wrong_password_and_deactivated_agent_get_one_answer_and_the_same_work(
    db: Database, monkeypatch
):
    counting = CountingHasher()
    monkeypatch.setattr(auth, "HASHER", counting)
    boss = make_agent(db, "boss", role="admin")
    make_agent(db, "olga", role="operator", password="right-pw")
    make_agent(db, "gone", role="operator", password="right-pw")
    agents.set_active(db, boss, "gone", False)
    answers = []
    for login, password in (("nobody", "right-pw"), ("olga", "wrong-pw"), ("gone", "right-pw")):
        counting.verified.clear()
        with pytest.raises(LoginFailed) as refused:
            auth.login(db, login, password, source="console:/dev/pts/1")
        answers.append(str(refused.value))
        assert counting.verified == ["m=8,t=1,p=1"], login  # one hash of the current cost, every time
    assert answers == ["wrong login or password"] * 3
    assert _attempts(db, "nobody") == [(False, "console:/dev/pts/1")]  # recorded like any other try
    assert _attempts(db, "gone")[-1] == (False, "console:/dev/pts/1")


def test_wrong_guesses_from_one_terminal_do_not_lock_out_the_colleague_at_another(db: Database, frozen):
    make_agent(db, "pete", password="right-pw")
    for _ in range(3):
        with pytest.raises(LoginFailed, match="wrong"):
            auth.login(db, "pete", "nope", source="console:/dev/pts/9")
    with pytest.raises(LoginFailed, match="too many failed logins for 'pete': try again in 30 s"):
        auth.login(db, "pete", "right-pw", source="console:/dev/pts/9")  # even the right password waits
    assert auth.login(db, "pete", "right-pw", source="ssh:10.0.0.7").login == "pete"  # elsewhere: at once
    frozen.advance(seconds=31)
    with pytest.raises(LoginFailed, match="wrong"):  # the 4th failure in a row from there...
        auth.login(db, "pete", "nope", source="console:/dev/pts/9")
    with pytest.raises(LoginFailed, match="try again in 60 s"):  # ...doubles the wait
        auth.login(db, "pete", "nope", source="console:/dev/pts/9")
    frozen.advance(seconds=61)
    assert auth.login(db, "pete", "right-pw", source="console:/dev/pts/9").login == "pete"
    with pytest.raises(LoginFailed, match="wrong"):  # a success there reset it: 3 tries again
        auth.login(db, "pete", "nope", source="console:/dev/pts/9")
    assert auth.login(db, "pete", "right-pw", source="console:/dev/pts/9").login == "pete"
    assert [s for _ok, s in _attempts(db, "pete")][1:3] == ["console:/dev/pts/9"] * 2  # after the factory's


def test_the_global_cap_slows_a_guesser_spread_over_many_sources_but_not_known_terminals(
    db: Database, frozen
):
    make_agent(db, "pete", password="right-pw")
    assert auth.login(db, "pete", "right-pw", source="ssh:10.0.0.7").login == "pete"  # pete's own PC
    for n in range(auth.GLOBAL_MAX_FAILURES // 3):  # each source stays under its own throttle
        for _ in range(3):
            with pytest.raises(LoginFailed, match="wrong"):
                auth.login(db, "pete", "guess", source=f"ssh:192.0.2.{n}")
    with pytest.raises(LoginFailed, match="too many failed logins for 'pete': try again in 900 s"):
        auth.login(db, "pete", "right-pw", source="ssh:198.51.100.1")  # a new source waits
    assert auth.login(db, "pete", "right-pw", source="ssh:10.0.0.7").login == "pete"  # a known one does not
    frozen.advance(minutes=15, seconds=1)
    assert auth.login(db, "pete", "right-pw", source="ssh:198.51.100.1").login == "pete"


def test_parallel_guesses_from_one_source_cannot_all_pass_the_throttle(db: Database):
    make_agent(db, "pete", password="right-pw")
    answers: list[str] = []

    def guess() -> None:
        try:
            auth.login(db, "pete", "guess", source="ssh:192.0.2.1")
        except LoginFailed as e:
            answers.append(str(e))

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    throttled = "too many failed logins for 'pete'"
    assert sorted(a.split(":")[0] for a in answers) == [throttled] * 5 + ["wrong login or password"] * 3
    assert _attempts(db, "pete")[1:] == [(False, "ssh:192.0.2.1")] * 3  # after the factory's login


def test_the_terminal_source_is_stable_per_terminal(monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.5 50000 10.0.0.1 22")
    assert auth.terminal_source("console") == "console:ssh:192.0.2.5"
    monkeypatch.delenv("SSH_CONNECTION")
    assert auth.terminal_source("cli").startswith("cli:")


def test_login_log_is_for_supervisors_and_ones_own(db: Database):
    boss = make_agent(db, "boss", role="supervisor")
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    assert [r.login for r in auth.login_log(db, boss)] == ["olga", "boss"]
    assert [r.ok for r in auth.login_log(db, olga, "olga")] == [True]
    with pytest.raises(PermissionDenied):
        auth.login_log(db, olga, "boss")


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
        team="Desktop Support",
        manager="sue",
        password="first-pw",
    )
    assert (row.team, row.manager, row.tier) == ("Desktop Support", "sue", 2)
    agents.set_password(db, boss, "newbie", "second-pw")
    assert auth.login(db, "newbie", "second-pw").team == "Desktop Support"
    with pytest.raises(Conflict):
        agents.add_agent(
            db,
            boss,
            login="newbie",
            name="Dup",
            number="778",
            role="engineer",
            team="Desktop Support",
            password="xxxxxx",
        )
    with pytest.raises(InvalidInput) as bad:
        agents.add_agent(db, boss, login="b@d", name="", number="x", role="king", password="1")
    assert set(bad.value.errors) == {"login", "name", "number", "role", "password"}
    assert "first-pw" not in _hash_of(db, "newbie")


def test_an_agent_sets_their_own_language_and_every_login_carries_it(db):
    olga = make_agent(db, "olga", role="operator", password="secret-pw")
    assert auth.login(db, "olga", "secret-pw").language is None  # the desk's default
    agents.set_language(db, olga, "zh")
    assert auth.login(db, "olga", "secret-pw").language == "zh"
    assert remote.session_actor(db, olga.id).language == "zh"  # a served console (SSH, browser) too
    with pytest.raises(InvalidInput):
        agents.set_language(db, olga, "fr")
    agents.set_language(db, olga, None)
    assert auth.login(db, "olga", "secret-pw").language is None
