"""Agents who reach the console through `deskterm serve`: their SSH public keys, and the actor of a
session the server has already authenticated (by password through auth.login, or by a key here)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import Agent, AgentKey, Team
from .auth import Actor, actor_from, require
from .errors import Conflict, InvalidInput, LoginFailed, NotFound, PermissionDenied

# The key types OpenSSH offers today (DSA is gone from OpenSSH; not accepted here either).
KEY_TYPES = frozenset(
    {
        "ssh-ed25519",
        "ssh-rsa",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
        "sk-ecdsa-sha2-nistp256@openssh.com",
    }
)
MAX_KEY_TEXT = 16_000  # an RSA 16384-bit public key is ~2,800 characters


@dataclass(frozen=True)
class ParsedKey:
    key_type: str
    blob: bytes
    comment: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.blob)

    @property
    def line(self) -> str:
        return f"{self.key_type} {base64.b64encode(self.blob).decode()}"


@dataclass(frozen=True)
class KeyRow:
    id: int
    login: str
    fingerprint: str
    key_type: str
    comment: str
    added_at: datetime
    added_by: str


def fingerprint(blob: bytes) -> str:
    """The SHA256 fingerprint as `ssh-keygen -l` prints it."""
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def parse_public_key(text: str) -> ParsedKey:
    """One OpenSSH public key ("type base64 [comment]", as in id_ed25519.pub); refused with one line
    when it is anything else (a private key, two keys, a broken copy)."""
    if len(text) > MAX_KEY_TEXT:
        raise InvalidInput({"key": "too long for a public key"})
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.strip().startswith("#")]
    if not lines:
        raise InvalidInput({"key": "no public key found"})
    if "PRIVATE KEY" in text:
        raise InvalidInput({"key": "this is a private key: give the .pub file"})
    if len(lines) > 1:
        raise InvalidInput({"key": "one key per file"})
    parts = lines[0].split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise InvalidInput(
            {
                "key": later(
                    "not an OpenSSH public key (types: {choices})", choices=", ".join(sorted(KEY_TYPES))
                )
            }
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
        (size,) = struct.unpack(">I", blob[:4])
        embedded = blob[4 : 4 + size].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError):
        raise InvalidInput({"key": "the key's base64 text is damaged"}) from None
    if embedded != parts[0]:
        raise InvalidInput({"key": "the key's type does not match its data"})
    import asyncssh  # the SSH server's own parser: a key it would not read is refused here

    try:
        asyncssh.import_public_key(f"{parts[0]} {parts[1]}")
    except (asyncssh.KeyImportError, ValueError):
        raise InvalidInput({"key": "the key's data is damaged"}) from None
    comment = parts[2].strip() if len(parts) > 2 else ""
    comment = "".join(ch for ch in comment if ch.isprintable())[:200]
    return ParsedKey(parts[0], blob, comment)


def _target(s: Session, login: str) -> Agent:
    agent = s.exec(select(Agent).where(Agent.login == login)).first()
    if agent is None:
        raise NotFound(later("no agent '{login}'", login=login))
    return agent


def _check_may_manage(actor: Actor, target: Agent) -> None:
    """A key lets its holder in like a password: the rule of a password reset applies (every agent
    for themselves; otherwise agents.may_manage: admins for anyone, supervisors for the operators
    and engineers of their team)."""
    from .agents import may_manage

    if actor.id != target.id and not may_manage(actor, target.role, target.team_id):
        raise PermissionDenied(
            later(
                "{login} ({role}) may not manage the keys of {target}",
                login=actor.login,
                role=actor.role,
                target=target.login,
            )
        )


def add_key(db: Database, actor: Actor, login: str, key_text: str) -> KeyRow:
    parsed = parse_public_key(key_text)
    try:
        with db.write() as s:
            require(s, actor)
            target = _target(s, login)
            _check_may_manage(actor, target)
            taken = s.exec(select(AgentKey).where(AgentKey.fingerprint == parsed.fingerprint)).first()
            if taken is not None:
                whose = "this agent" if taken.agent_id == target.id else "another agent"
                raise Conflict(
                    later(
                        "the key {key} is registered already (to {login})",
                        key=parsed.fingerprint,
                        login=whose,
                    )
                )
            assert target.id is not None
            s.add(
                AgentKey(
                    agent_id=target.id,
                    fingerprint=parsed.fingerprint,
                    public_key=parsed.line,
                    comment=parsed.comment,
                    added_at=clock.now(),
                    added_by_id=actor.id,
                )
            )
    except IntegrityError:  # the same key added twice at once
        raise Conflict(later("the key {key} is registered already", key=parsed.fingerprint)) from None
    return next(k for k in list_keys(db, actor, login) if k.fingerprint == parsed.fingerprint)


def list_keys(db: Database, actor: Actor, login: str | None = None) -> list[KeyRow]:
    """One agent's keys (`login`), or every key the actor may manage."""
    with db.read() as s:
        require(s, actor)
        query = select(AgentKey, Agent).join(Agent, col(AgentKey.agent_id) == col(Agent.id))
        if login is not None:
            _check_may_manage(actor, _target(s, login))
            query = query.where(Agent.login == login)
        logins = dict(s.exec(select(Agent.id, Agent.login)).all())
        rows = []
        for key, agent in s.exec(query.order_by(col(Agent.login), col(AgentKey.id))).all():
            try:
                _check_may_manage(actor, agent)
            except PermissionDenied:
                continue
            rows.append(
                KeyRow(
                    id=key.id or 0,
                    login=agent.login,
                    fingerprint=key.fingerprint,
                    key_type=key.public_key.split(" ", 1)[0],
                    comment=key.comment,
                    added_at=key.added_at,
                    added_by=logins.get(key.added_by_id, "") if key.added_by_id else "",
                )
            )
        return rows


def remove_key(db: Database, actor: Actor, login: str, fingerprint_or_id: str) -> KeyRow:
    """Remove a key by its fingerprint (SHA256:…) or its number in `deskterm agent key list`."""
    match = next(
        (
            k
            for k in list_keys(db, actor, login)
            if fingerprint_or_id in (k.fingerprint, k.fingerprint.removeprefix("SHA256:"), str(k.id))
        ),
        None,
    )
    if match is None:
        raise NotFound(later("{login} has no key '{key}'", login=login, key=fingerprint_or_id))
    with db.write() as s:
        require(s, actor)
        _check_may_manage(actor, _target(s, login))
        row = s.get(AgentKey, match.id)
        if row is not None:
            s.delete(row)
    return match


def key_opens(db: Database, login: str, blob: bytes) -> bool:
    """Does this public key (its wire blob, as the SSH client offers it) let `login` in? Only an
    active agent's registered key does."""
    with db.read() as s:
        found = s.exec(
            select(AgentKey.id)
            .join(Agent, col(AgentKey.agent_id) == col(Agent.id))
            .where(Agent.login == login, col(Agent.active), AgentKey.fingerprint == fingerprint(blob))
        ).first()
        return found is not None


def agent_id_of(db: Database, login: str) -> int | None:
    with db.read() as s:
        return s.exec(select(Agent.id).where(Agent.login == login, col(Agent.active))).first()


def session_actor(db: Database, agent_id: int) -> Actor:
    """The actor of a console that `deskterm serve` started for an agent it authenticated: no second
    password, but a deactivated (or removed) agent is refused here as at the login screen."""
    with db.read() as s:
        agent = s.get(Agent, agent_id)
        if agent is None or not agent.active:
            raise LoginFailed("this login is deactivated or gone")
        return actor_from(agent, s.get(Team, agent.team_id) if agent.team_id else None)
