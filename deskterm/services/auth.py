"""Passwords (salted scrypt), login with per-login throttling, and who may do what."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import Agent, LoginAttempt, Role, Team
from . import inputs
from .errors import LoginFailed, PermissionDenied

# scrypt cost: ~50 ms a hash here. Tests lower it; the stored hash records its own parameters.
SCRYPT_N = 2**14


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=SCRYPT_N, r=8, p=1, dklen=32)
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}$8$1${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


@dataclass(frozen=True)
class Actor:
    """The agent on whose behalf a service acts (a plain read-model, safe across threads)."""

    id: int
    login: str
    name: str
    number: str
    role: str
    tier: int
    team_id: int | None
    team: str
    kb_editor: bool
    language: str | None
    manager_id: int | None

    @property
    def is_supervisor(self) -> bool:
        return self.role in (Role.SUPERVISOR, Role.ADMIN)


def actor_from(agent: Agent, team: Team | None) -> Actor:
    assert agent.id is not None
    return Actor(
        id=agent.id,
        login=agent.login,
        name=agent.name,
        number=agent.number,
        role=agent.role,
        tier=agent.tier,
        team_id=agent.team_id,
        team=team.name if team else "",
        kb_editor=agent.kb_editor or agent.role in (Role.SUPERVISOR, Role.ADMIN),
        language=agent.language,
        manager_id=agent.manager_id,
    )


def load_actor(session: Session, agent_id: int) -> Actor:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise LoginFailed("no such agent")
    team = session.get(Team, agent.team_id) if agent.team_id else None
    return actor_from(agent, team)


# --- permissions: one table, checked by every service -----------------------------------------

PERMISSIONS: dict[str, frozenset[str]] = {
    "agents.manage": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "tickets.read": frozenset({Role.OPERATOR, Role.ENGINEER, Role.SUPERVISOR, Role.ADMIN}),
    "tickets.create": frozenset({Role.OPERATOR, Role.ENGINEER, Role.SUPERVISOR, Role.ADMIN}),
    "tickets.claim": frozenset({Role.ENGINEER, Role.SUPERVISOR, Role.ADMIN, Role.OPERATOR}),
    "tickets.reassign": frozenset({Role.SUPERVISOR, Role.ADMIN}),
}


def can(actor: Actor, permission: str) -> bool:
    return actor.role in PERMISSIONS[permission]


def require(actor: Actor, permission: str) -> None:
    if not can(actor, permission):
        raise PermissionDenied(f"{actor.login} ({actor.role}) may not do this ({permission})")


# --- login ---------------------------------------------------------------------------------------


def _recent_failures(session: Session, login: str) -> tuple[int, LoginAttempt | None]:
    """Failures in a row since the last success (within a day), and the latest one."""
    since = clock.now() - timedelta(days=1)
    rows = session.exec(
        select(LoginAttempt)
        .where(LoginAttempt.login == login, col(LoginAttempt.at) >= since)
        .order_by(col(LoginAttempt.at).desc(), col(LoginAttempt.id).desc())
        .limit(50)
    ).all()
    failures = 0
    for row in rows:
        if row.ok:
            break
        failures += 1
    return failures, (rows[0] if rows else None)


def login(
    db: Database,
    login_name: str,
    password: str,
    *,
    source: str = "console",
    max_failures: int = 3,
    lockout_seconds: int = 30,
) -> Actor:
    """Check a login; every try is logged; after `max_failures` in a row the login waits (doubling)."""
    login_name = inputs.key(login_name)
    with db.write() as session:
        failures, last = _recent_failures(session, login_name)
        if failures >= max_failures and last is not None:
            wait = timedelta(seconds=lockout_seconds * 2 ** min(failures - max_failures, 5))
            left = last.at + wait - clock.now()
            if left > timedelta(0):
                seconds = int(left.total_seconds()) + 1
                raise LoginFailed(f"too many failed logins for {login_name!r}: try again in {seconds} s")
        agent = session.exec(select(Agent).where(Agent.login == login_name)).first()
        ok = bool(agent and agent.active and verify_password(password, agent.password_hash))
        session.add(LoginAttempt(login=login_name[:40], at=clock.now(), ok=ok, source=source))
        if ok and agent is not None:
            return actor_from(agent, session.get(Team, agent.team_id) if agent.team_id else None)
    # The failed attempt is committed above; refuse outside the transaction.
    if agent is not None and not agent.active:
        raise LoginFailed(f"the login {login_name!r} is deactivated")
    raise LoginFailed("wrong login or password")


def login_log(db: Database, login_name: str, limit: int = 20) -> list[tuple[str, bool, str]]:
    with db.read() as session:
        rows = session.exec(
            select(LoginAttempt)
            .where(LoginAttempt.login == login_name)
            .order_by(col(LoginAttempt.id).desc())
            .limit(limit)
        ).all()
        return [(r.at.isoformat(), r.ok, r.source) for r in rows]
