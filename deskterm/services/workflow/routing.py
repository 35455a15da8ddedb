"""Who has the ticket: a supervisor assigns it to an agent; its holder (or its team while it is
unassigned, or a supervisor) transfers it to another team's queue or to an agent, with a reason."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from ... import clock
from ...db import Database
from ...i18n import later
from ...models import Agent, EventKind, Status, Team
from .. import inputs, notify, tickets
from ..auth import Actor, require
from ..errors import InvalidInput, PermissionDenied, status_words
from .guard import bump, locked, write
from .lifecycle import responded, set_status
from .rights import may_transfer


def assign(
    db: Database,
    actor: Actor,
    number: str,
    login: str,
    *,
    reason: str = "",
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
) -> int:
    """A supervisor gives an open ticket to an agent (who joins the ticket's queue to their team)."""
    reason = inputs.text(reason, "reason")

    def work(s: Session) -> int:
        require(s, actor, "tickets.reassign")
        t = locked(s, number, version, seen)
        agent = active_agent(s, login)
        if not t.is_open:
            raise InvalidInput(
                {
                    "status": later(
                        "{number} is {status}: reopen it before assigning it",
                        number=t.number,
                        status=status_words(t.status),
                    )
                }
            )
        if t.assignee_id == agent.id:
            raise InvalidInput(
                {
                    "assignee": later(
                        "{number} is assigned to {name} already", number=t.number, name=agent.name
                    )
                }
            )
        now = clock.now()
        before = t.assignee_id
        t.assignee_id = agent.id
        t.team_id = agent.team_id or t.team_id
        t.assigned_at = now
        t.first_assigned_at = t.first_assigned_at or now  # the first pick-up (hand-over time)
        responded(t, now)
        to = Status.ASSIGNED if t.status == Status.NEW else t.status
        data = set_status(s, t, to, now) if to != t.status else bump(t)
        data.update(assignee=agent.login, previous=_login(s, before))
        tickets.record_event(
            s, t, actor.id, EventKind.ASSIGNED, reason or f"assigned to {agent.name}", data=data
        )
        notify.notify_assigned(s, t, actor.id)
        return t.version

    return write(db, work)


def transfer(
    db: Database,
    actor: Actor,
    number: str,
    *,
    reason: str,
    team: str | None = None,
    agent: str | None = None,
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
) -> int:
    """Hand an open ticket to another team's queue (unassigned) or to an agent, with a reason."""
    errors: dict[str, str] = {}
    reason = inputs.text(reason, "reason", errors=errors)
    team, agent = (inputs.key(team) if team else None), (inputs.key(agent) if agent else None)
    if not reason:
        errors.setdefault("reason", "required: why does it move?")
    if bool(team) == bool(agent):
        errors["to"] = "name a team or an agent"
    if errors:
        raise InvalidInput(errors)

    def work(s: Session) -> int:
        t = locked(s, number, version, seen)
        require(s, actor, "tickets.read")
        if not may_transfer(actor, t.assignee_id, t.team_id):
            raise PermissionDenied(
                later(
                    "{login} may not move {number}: it is someone else's ticket",
                    login=actor.login,
                    number=t.number,
                )
            )
        if not t.is_open:
            raise InvalidInput(
                {
                    "status": later(
                        "{number} is {status}: only open tickets are transferred",
                        number=t.number,
                        status=status_words(t.status),
                    )
                }
            )
        now = clock.now()
        if agent:
            target = active_agent(s, agent)
            if target.id == t.assignee_id:
                raise InvalidInput(
                    {"to": later("{number} is {name}'s already", number=t.number, name=target.name)}
                )
            t.assignee_id, t.assigned_at = target.id, now
            t.first_assigned_at = t.first_assigned_at or now  # the first pick-up (hand-over time)
            t.team_id = target.team_id or t.team_id
            to, where = Status.ASSIGNED, target.name
        else:
            dest = s.exec(select(Team).where(Team.name == team)).first()
            if dest is None:
                raise InvalidInput({"to": later("no team '{team}'", team=team)})
            if dest.id == t.team_id and t.assignee_id is None:
                raise InvalidInput(
                    {"to": later("{number} is in {team}'s queue already", number=t.number, team=dest.name)}
                )
            t.team_id, t.tier, t.assignee_id, t.assigned_at = dest.id, dest.tier, None, None
            to, where = Status.NEW, dest.name
        data = set_status(s, t, to, now) if to != t.status else bump(t)
        data.update(to_team=_team_name(s, t.team_id), to_agent=agent or "")
        tickets.record_event(s, t, actor.id, EventKind.TRANSFERRED, f"→ {where}: {reason}", data=data)
        notify.notify_assigned(s, t, actor.id)
        return t.version

    return write(db, work)


def active_agent(s: Session, login: str) -> Agent:
    # FOR SHARE: not deactivated before this transaction commits (PostgreSQL)
    agent = s.exec(select(Agent).where(Agent.login == inputs.key(login)).with_for_update(read=True)).first()
    if agent is None:
        raise InvalidInput({"agent": later("no agent '{login}'", login=login)})
    if not agent.active:
        raise InvalidInput({"agent": later("{login} is deactivated", login=agent.login)})
    return agent


def _login(s: Session, agent_id: int | None) -> str:
    agent = s.get(Agent, agent_id) if agent_id else None
    return agent.login if agent else ""


def _team_name(s: Session, team_id: int | None) -> str:
    team = s.get(Team, team_id) if team_id else None
    return team.name if team else ""
