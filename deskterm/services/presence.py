"""Console presence: each running console owns its agent's state (available, on a call, after-call
work, away with a reason) and publishes it to `agent_presence`, refreshing a heartbeat; a console
that stops beating for longer than the timeout shows as logged out. The monitor reads everyone's
state from here.

Every change of state also closes the agent's open row of `agent_state_log` and opens the next, so
the log holds how long each call was talked and wrapped up (the average handle time,
services/kpi.py). A call that ends in after-call work was saved (a ticket or a chase): it is marked
handled. Inserting a log row is what wakes the other consoles (PostgreSQL: a trigger's NOTIFY;
SQLite: the change feed's polling sees the log's newest id move)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import AgentPresence, AgentStateLog, AwayReason
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
    reason: str = ""  # away: the reason's code


@dataclass(frozen=True)
class Reason:
    code: str
    name: str
    name_zh: str


def effective_state(state: str, heartbeat_at: datetime | None, now: datetime, timeout: float) -> str:
    """The state a supervisor sees: the published one while the console beats, else logged out."""
    if heartbeat_at is None or now - heartbeat_at > timedelta(seconds=timeout):
        return LOGGED_OUT
    return state


def away_reasons(db: Database) -> list[Reason]:
    """The reasons an agent may give for being away, in the desk's order (reference data)."""
    with db.read() as s:
        rows = s.exec(select(AwayReason).order_by(col(AwayReason.position), col(AwayReason.code))).all()
        return [Reason(r.code, r.name, r.name_zh) for r in rows]


def publish(
    db: Database,
    actor: Actor,
    state: str,
    *,
    reason: str = "",
    at: datetime | None = None,
    timeout: float = 60.0,
) -> None:
    """Set the agent's state as of `at` (default now) and beat. `since` moves when the state (or the
    away reason) changes, or when the agent comes back after the heartbeat had stopped (a new login
    is not "available for hours")."""
    if state not in STATES:
        raise InvalidInput({"state": later("one of {choices}", choices=", ".join(STATES))})
    if (state == AWAY) != bool(reason):
        raise InvalidInput({"reason": "away needs a reason, and only away has one"})
    now = clock.now()
    at = min(at or now, now)
    for _attempt in range(2):  # two consoles of one agent may insert the first row at once
        try:
            with db.write() as s:
                require(s, actor)
                if reason and s.get(AwayReason, reason) is None:
                    raise InvalidInput({"reason": later("no away reason '{reason}'", reason=reason)})
                row = s.exec(
                    select(AgentPresence).where(AgentPresence.agent_id == actor.id).with_for_update()
                ).first()
                if row is None:
                    _log(s, actor.id, state, reason, at, handled=False)
                    s.add(
                        AgentPresence(
                            agent_id=actor.id, state=state, reason=reason, since=at, heartbeat_at=now
                        )
                    )
                    return
                if effective_state(row.state, row.heartbeat_at, now, timeout) == LOGGED_OUT:
                    # The console stopped beating: its last state ended then; logged out since.
                    gone = min(row.heartbeat_at, at)
                    _close(s, actor.id, gone)
                    s.add(AgentStateLog(agent_id=actor.id, state=LOGGED_OUT, started_at=gone, ended_at=at))
                    _log(s, actor.id, state, reason, at, handled=False)
                    row.state, row.reason, row.since = state, reason, at
                elif (row.state, row.reason) != (state, reason):
                    _log(s, actor.id, state, reason, at, handled=row.state == ON_CALL and state == AFTER_CALL)
                    row.state, row.reason, row.since = state, reason, at
                row.heartbeat_at = now
            return
        except IntegrityError:
            continue


def _close(s: Session, agent_id: int, at: datetime, *, handled: bool = False) -> None:
    """End the agent's open log row (a call ending in after-call work was handled)."""
    values: dict[str, object] = {"ended_at": at}
    if handled:
        values["handled"] = True
    s.execute(
        update(AgentStateLog)
        .where(col(AgentStateLog.agent_id) == agent_id, col(AgentStateLog.ended_at).is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def _log(s: Session, agent_id: int, state: str, reason: str, at: datetime, *, handled: bool) -> None:
    _close(s, agent_id, at, handled=handled)
    s.add(AgentStateLog(agent_id=agent_id, state=state, reason=reason, started_at=at))


def beat(db: Database, actor: Actor, state: str = AVAILABLE, *, reason: str = "") -> None:
    """Refresh the heartbeat; publishes `state` when the agent has no row yet (or it was removed)."""
    with db.write() as s:
        require(s, actor)
        result: CursorResult[Any] = s.execute(  # type: ignore[assignment]  # an UPDATE's result is a CursorResult
            update(AgentPresence)
            .where(col(AgentPresence.agent_id) == actor.id)
            .values(heartbeat_at=clock.now())
            .execution_options(synchronize_session=False)
        )
        done = result.rowcount
    if not done:
        publish(db, actor, state, reason=reason)


def leave(db: Database, actor: Actor) -> None:
    """The console closes: the agent shows as logged out at once."""
    now = clock.now()
    with db.write() as s:
        require(s, actor)
        row = s.exec(
            select(AgentPresence).where(AgentPresence.agent_id == actor.id).with_for_update()
        ).first()
        if row is not None:
            _log(s, actor.id, LOGGED_OUT, "", now, handled=False)
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
        if state == LOGGED_OUT:
            out[r.agent_id] = Presence(r.agent_id, state, r.heartbeat_at)
        else:
            out[r.agent_id] = Presence(r.agent_id, state, r.since, r.reason)
    return out
