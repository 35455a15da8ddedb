"""Passwords (argon2id), login with throttling per login and source, and who may do what.

Rights are checked on every action, not only at login: every service runs `require(session, actor,
permission)` inside the transaction that does the work, and that re-reads the agent's row."""

from __future__ import annotations

import base64
import functools
import getpass
import hashlib
import hmac
import math
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, text, update
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import Agent, LoginAttempt, Role, Team
from . import inputs
from .errors import LoginFailed, PermissionDenied

# argon2id with OWASP's settings (19 MiB, 2 passes, 1 lane): ~35 ms a hash here. Tests lower it
# (conftest); each hash records its own parameters and is upgraded at the next login when they change.
HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(password: str, stored: str) -> bool:
    if stored.startswith("scrypt$"):
        return _verify_scrypt(password, stored)
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """An old scrypt hash, or argon2 with other parameters than HASHER's."""
    try:
        return stored.startswith("scrypt$") or HASHER.check_needs_rehash(stored)
    except (InvalidHashError, ValueError):
        return True


def _verify_scrypt(password: str, stored: str) -> bool:
    """Hashes written before argon2 (salted scrypt): verified, then replaced at that login."""
    try:
        _scheme, n, r, p, salt, digest = stored.split("$")
        expected = base64.b64decode(digest)
        got = hashlib.scrypt(
            password.encode(), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, expected)


_dummy: tuple[PasswordHasher, str] | None = None


def _dummy_hash() -> str:
    """A hash of nothing anyone knows, with HASHER's cost: an unknown or deactivated login is
    checked against it, so it takes as long as a wrong password."""
    global _dummy
    if _dummy is None or _dummy[0] is not HASHER:
        _dummy = (HASHER, HASHER.hash(os.urandom(16).hex()))
    return _dummy[1]


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


def _kb_editor(flag: bool, role: str) -> bool:
    """The KB right: given to the agent, or a supervisor's or an admin's."""
    return flag or role in (Role.SUPERVISOR, Role.ADMIN)


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
        kb_editor=_kb_editor(agent.kb_editor, agent.role),
        language=agent.language,
        manager_id=agent.manager_id,
    )


def load_actor(session: Session, agent_id: int) -> Actor:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise LoginFailed("no such agent")
    team = session.get(Team, agent.team_id) if agent.team_id else None
    return actor_from(agent, team)


# --- permissions: one table, checked by every service on every action ---------------------------

EVERYONE = frozenset(Role)
MANAGERS = frozenset({Role.SUPERVISOR, Role.ADMIN})
# permission -> (the roles that have it, what it allows: for the refusal's message)
PERMISSIONS: dict[str, tuple[frozenset[str], str]] = {
    "agents.manage": (MANAGERS, "manage agents"),  # which agents: agents.may_manage
    "agents.read": (MANAGERS, "read the agent list and login logs"),
    "tickets.read": (EVERYONE, "read tickets"),
    "tickets.create": (EVERYONE, "log calls"),
    "tickets.claim": (EVERYONE, "claim tickets"),
    "tickets.reassign": (MANAGERS, "assign tickets to others"),
    "callbacks.make": (frozenset({Role.OPERATOR, Role.SUPERVISOR, Role.ADMIN}), "make callbacks"),
    "kpi.read": (MANAGERS, "read the desk's KPIs, monitor and presence"),
    "desk.configure": (MANAGERS, "change SLA policies, calendars or escalation rules"),
    "kb.edit": (frozenset(), "edit the knowledge base"),  # not a role: the KB-editor right
    "demo.load": (frozenset({Role.ADMIN}), "load demo data into a desk"),
    "cti.configure": (frozenset({Role.ADMIN}), "configure the phone system's endpoint"),
}


class RightsChanged(PermissionDenied):
    """The Actor in hand no longer matches the agent: deactivated, or another role or team.
    Nothing more can be done with it; the agent must log in again."""


def can(actor: Actor, permission: str) -> bool:
    if permission == "kb.edit":
        return actor.kb_editor
    return actor.role in PERMISSIONS[permission][0]


@functools.cache
def _rights_query(share: bool) -> Any:
    """The four columns require() re-reads, of the agent :id (FOR SHARE if `share`): it runs in
    every service call, so it is built (and its cache key made) once and run as Core."""
    query = select(col(Agent.active), col(Agent.role), col(Agent.team_id), col(Agent.kb_editor)).where(
        col(Agent.id) == bindparam("id")
    )
    return query.with_for_update(read=True) if share else query


def require(session: Session, actor: Actor, permission: str | None = None) -> None:
    """The check every service action runs first, in the transaction that does the work: the agent
    is still active and still holds the role, team and KB right the Actor says (four columns of its
    row re-read by primary key), and, if named, has `permission`.

    In a write transaction on PostgreSQL the row is read FOR SHARE, so a deactivation or demotion
    cannot commit between this check and the write (SQLite's BEGIN IMMEDIATE serialises writers)."""
    share = bool(session.info.get("write")) and session.get_bind().dialect.name == "postgresql"
    if session.autoflush:  # as the ORM's own execution of the statement would
        session.flush()
    row = session.connection().execute(_rights_query(share), {"id": actor.id}).first()
    if row is None or not row[0]:
        raise RightsChanged(
            later("{login} has been deactivated: log in again or ask a supervisor", login=actor.login)
        )
    _active, role, team_id, kb_editor = row
    if (role, team_id, _kb_editor(kb_editor, role)) != (actor.role, actor.team_id, actor.kb_editor):
        raise RightsChanged(
            later(
                "the rights of {login} have changed (now {role}): log in again", login=actor.login, role=role
            )
        )
    if permission is not None and not can(actor, permission):
        raise PermissionDenied(
            later(
                "{login} ({role}) may not {what}",
                login=actor.login,
                role=actor.role,
                what=later(PERMISSIONS[permission][1]),
            )
        )


# --- login ---------------------------------------------------------------------------------------

REFUSED = "wrong login or password"
GLOBAL_MAX_FAILURES = 30
GLOBAL_WINDOW = timedelta(minutes=15)
KNOWN_SOURCE = timedelta(days=30)


def terminal_source(kind: str) -> str:
    """Where a login comes from, stable per terminal: `kind:ssh:<client ip>` in an SSH session,
    else `kind:<tty>`, else `kind:<user>@<host>` (scripts without a terminal)."""
    ssh = os.environ.get("SSH_CONNECTION", "").split()
    if ssh:
        return f"{kind}:ssh:{ssh[0]}"
    for fd in (0, 1, 2):
        try:
            return f"{kind}:{os.ttyname(fd)}"
        except OSError:
            continue
    return f"{kind}:{getpass.getuser()}@{socket.gethostname()}"


def _lock_login(s: Session, login: str) -> None:
    """One login's attempts are checked and recorded one at a time, so parallel guesses cannot all
    pass the throttle before any is recorded (SQLite: BEGIN IMMEDIATE does it already)."""
    if s.get_bind().dialect.name == "postgresql":
        # 8008: the class of deskterm's login locks, the login's hash the lock within it
        s.execute(text("SELECT pg_advisory_xact_lock(8008, hashtext(:login))"), {"login": login})


def _wait(
    s: Session,
    login: str,
    source: str,
    now: datetime,
    max_failures: int,
    lockout_seconds: int,
    global_max: int,
) -> int:
    """Seconds this source must wait before trying this login again (0: it may try now)."""
    A = LoginAttempt
    rows = s.exec(
        select(A.at, A.ok)
        .where(A.login == login, A.source == source, col(A.at) >= now - timedelta(days=1))
        .order_by(col(A.at).desc(), col(A.id).desc())
        .limit(max_failures + 6)
    ).all()
    failures = next((i for i, (_at, ok) in enumerate(rows) if ok), len(rows))
    if failures >= max_failures:
        left = rows[0][0] + timedelta(seconds=lockout_seconds * 2 ** min(failures - max_failures, 5)) - now
        if left > timedelta(0):
            return math.ceil(left.total_seconds())
    failed = (A.login == login, col(A.ok).is_(False), col(A.at) >= now - GLOBAL_WINDOW)
    recent = s.exec(select(func.count()).select_from(A).where(*failed)).one()
    if recent < global_max:
        return 0
    known = s.exec(
        select(A.id).where(
            A.login == login, A.source == source, col(A.ok).is_(True), col(A.at) >= now - KNOWN_SOURCE
        )
    ).first()
    if known is not None:
        return 0
    # wait until enough of the window's failures have aged out of it
    oldest = s.exec(
        select(A.at).where(*failed).order_by(col(A.at)).offset(recent - global_max).limit(1)
    ).one()
    return max(1, math.ceil((oldest + GLOBAL_WINDOW - now).total_seconds()))


def login(
    db: Database,
    login_name: str,
    password: str,
    *,
    source: str = "console",
    max_failures: int = 3,
    lockout_seconds: int = 30,
    global_max_failures: int = GLOBAL_MAX_FAILURES,
) -> Actor:
    """Check a login; every try is recorded with its source (`console:<tty>`, `ssh:<ip>`, `cli:…`).

    An unknown login, a wrong password and a deactivated agent get the same answer after the same
    hash work. Throttling is per login AND source: after `max_failures` failures in a row from one
    source, that source waits `lockout_seconds`, doubling with each further failure up to 32 times
    (30 s to 16 min); a success from that source resets it. A guesser at another terminal therefore
    cannot lock a colleague out. A global cap per login slows a guesser spread over many sources:
    once the login has `global_max_failures` failures in the last 15 minutes, only sources that
    logged in as it within 30 days may try. One source cannot reach that cap: its own throttle
    allows it at most 7 failures in 15 minutes, so it takes five sources or more."""
    name, source = inputs.key(login_name)[:40], source[:80]
    with db.write() as s:
        _lock_login(s, name)
        now = clock.now()
        wait = _wait(s, name, source, now, max_failures, lockout_seconds, global_max_failures)
        if wait:
            raise LoginFailed(
                later("too many failed logins for '{login}': try again in {n} s", login=name, n=wait)
            )
        agent = s.exec(select(Agent).where(Agent.login == name)).first()
        # recorded as failed first: a concurrent try counts it; a success below corrects it
        attempt = LoginAttempt(login=name, at=now, ok=False, source=source)
        s.add(attempt)
        s.flush()
        attempt_id = attempt.id
        agent_id = agent.id if agent is not None else None
        stored = agent.password_hash if agent is not None and agent.active else None
    # the hash work happens outside the transaction, and the same way whoever asked
    if not verify_password(password, stored or _dummy_hash()) or stored is None:
        raise LoginFailed(REFUSED)
    new_hash = hash_password(password) if needs_rehash(stored) else None
    with db.write() as s:
        agent = s.get(Agent, agent_id)
        if agent is None or not agent.active:
            raise LoginFailed(REFUSED)  # deactivated meanwhile
        s.execute(update(LoginAttempt).where(col(LoginAttempt.id) == attempt_id).values(ok=True))
        if new_hash is not None:  # unless a concurrent login or a reset replaced it already
            s.execute(
                update(Agent)
                .where(col(Agent.id) == agent_id, col(Agent.password_hash) == stored)
                .values(password_hash=new_hash)
            )
        return actor_from(agent, s.get(Team, agent.team_id) if agent.team_id else None)


@dataclass(frozen=True)
class LoginRow:
    at: datetime
    login: str
    ok: bool
    source: str


def login_log(db: Database, actor: Actor, login_name: str | None = None, limit: int = 50) -> list[LoginRow]:
    """The latest login attempts, of one login or of all (supervisors and admins; anyone their own)."""
    with db.read() as s:
        require(s, actor, None if login_name == actor.login else "agents.read")
        query = select(LoginAttempt).order_by(col(LoginAttempt.id).desc()).limit(max(1, min(limit, 10_000)))
        if login_name is not None:
            query = query.where(LoginAttempt.login == login_name)
        return [LoginRow(r.at, r.login, r.ok, r.source) for r in s.exec(query).all()]
