"""Console presence: each running console publishes its agent's state (available, on a call,
after-call work, away) to `agent_presence` and refreshes a heartbeat; a console that stops beating
for longer than the timeout shows as logged out. The monitor reads everyone's state from here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import AgentPresence
from .auth import Actor, require
from .errors import InvalidInput

AVAILABLE = "available"
ON_CALL = "on_call"
AFTER_CALL = "after_call"
AWAY = "away"
STATES = (AVAILABLE, ON_CALL, AFTER_CALL, AWAY)
LOGGED_OUT = "logged_out"


@dataclass(frozen=True)
class Presence:
    agent_id: int
    state: str  # one of STATES, or LOGGED_OUT when the heartbeat stopped
    since: datetime | None


def effective_state(state: str, heartbeat_at: datetime | None, now: datetime, timeout: float) -> str:
    """The state a supervisor sees: the published one while the console beats, else logged out."""
    if heartbeat_at is None or now - heartbeat_at > timedelta(seconds=timeout):
        return LOGGED_OUT
    return state


def publish(db: Database, actor: Actor, state: str, *, timeout: float = 60.0) -> None:
    """Set the agent's state (and beat). `since` moves when the state changes, or when the agent
    comes back after the heartbeat had stopped (a new login is not "available for hours")."""
    if state not in STATES:
        raise InvalidInput({"state": f"one of {', '.join(STATES)}"})
    now = clock.now()
    for _attempt in range(2):  # two consoles of one agent may insert the first row at once
        try:
            with db.write() as s:
                require(s, actor)
                row = s.get(AgentPresence, actor.id)
                if row is None:
                    s.add(AgentPresence(agent_id=actor.id, state=state, since=now, heartbeat_at=now))
                else:
                    returning = effective_state(row.state, row.heartbeat_at, now, timeout) == LOGGED_OUT
                    if row.state != state or returning:
                        row.state, row.since = state, now
                    row.heartbeat_at = now
            return
        except IntegrityError:
            continue


def beat(db: Database, actor: Actor) -> None:
    """Refresh the heartbeat; publishes "available" when the agent has no row yet (or it was removed)."""
    with db.write() as s:
        require(s, actor)
        done = s.execute(
            update(AgentPresence)
            .where(col(AgentPresence.agent_id) == actor.id)
            .values(heartbeat_at=clock.now())
            .execution_options(synchronize_session=False)
        ).rowcount
    if not done:
        publish(db, actor, AVAILABLE)


def leave(db: Database, actor: Actor) -> None:
    """The console closes: the agent shows as logged out at once."""
    with db.write() as s:
        require(s, actor)
        row = s.get(AgentPresence, actor.id)
        if row is not None:
            s.delete(row)


def states(db: Database, actor: Actor, *, timeout: float, now: datetime | None = None) -> dict[int, Presence]:
    """Every agent's current state by agent id (supervisors and admins); agents without a row are
    absent (logged out)."""
    with db.read() as s:
        require(s, actor, "kpi.read")
        return read_states(s, timeout=timeout, now=now or clock.now())


def read_states(s: Session, *, timeout: float, now: datetime) -> dict[int, Presence]:
    """Every agent's state, read in the caller's session (the monitor's refresh)."""
    out = {}
    for r in s.exec(select(AgentPresence)).all():
        state = effective_state(r.state, r.heartbeat_at, now, timeout)
        out[r.agent_id] = Presence(r.agent_id, state, r.since if state != LOGGED_OUT else r.heartbeat_at)
    return out
