"""Agents and teams: add, list, reset a password, deactivate (supervisors and admins)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select

from .. import clock
from ..db import Database
from ..models import Agent, Role, Team
from . import inputs
from .auth import Actor, hash_password, require
from .errors import Conflict, InvalidInput, NotFound

MIN_PASSWORD = 6


@dataclass(frozen=True)
class AgentRow:
    id: int
    login: str
    name: str
    number: str
    role: str
    tier: int
    team: str
    manager: str
    active: bool


def list_teams(db: Database) -> list[str]:
    with db.read() as s:
        return list(s.exec(select(Team.name).order_by(Team.tier, Team.name)).all())


def list_agents(db: Database, actor: Actor | None = None, *, include_inactive: bool = True) -> list[AgentRow]:
    with db.read() as s:
        query = select(Agent, Team).join(Team, isouter=True).order_by(Agent.login)
        if not include_inactive:
            query = query.where(Agent.active)
        managers = dict(s.exec(select(Agent.id, Agent.login)).all())
        return [
            AgentRow(
                id=a.id or 0,
                login=a.login,
                name=a.name,
                number=a.number,
                role=a.role,
                tier=a.tier,
                team=t.name if t else "",
                manager=managers.get(a.manager_id, "") if a.manager_id else "",
                active=a.active,
            )
            for a, t in s.exec(query).all()
        ]


def validate_new_agent(
    *, login: str, name: str, number: str, role: str, tier: int, password: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not login or not login.replace(".", "").replace("_", "").replace("-", "").isalnum():
        errors["login"] = "use letters, digits, '.', '_' or '-'"
    if len(login) > 40:
        errors["login"] = "at most 40 characters"
    if not name.strip():
        errors["name"] = "required"
    if not number.strip().isdigit() or len(number.strip()) > 10:
        errors["number"] = "digits only, at most 10"
    if role not in set(Role):
        errors["role"] = f"one of {', '.join(Role)}"
    if tier not in (1, 2, 3):
        errors["tier"] = "1, 2 or 3"
    if len(password) < MIN_PASSWORD:
        errors["password"] = f"at least {MIN_PASSWORD} characters"
    return errors


def add_agent(
    db: Database,
    actor: Actor | None,
    *,
    login: str,
    name: str,
    number: str,
    role: str,
    tier: int = 1,
    team: str | None = None,
    manager: str | None = None,
    email: str = "",
    password: str,
    kb_editor: bool = False,
) -> AgentRow:
    """Add an agent. `actor` None means the local administrator at the command line."""
    if actor is not None:
        require(actor, "agents.manage")
    refused: dict[str, str] = {}
    login = inputs.line(login, "login", Agent.login, errors=refused)
    name = inputs.line(name, "name", Agent.name, errors=refused)
    number = inputs.line(number, "number", Agent.number, errors=refused)
    email = inputs.line(email, "email", Agent.email, errors=refused)
    team, manager = inputs.key(team), inputs.key(manager)
    errors = (
        validate_new_agent(login=login, name=name, number=number, role=role, tier=tier, password=password)
        | refused
    )
    if errors:
        raise InvalidInput(errors)
    password_hash = hash_password(password)
    try:
        with db.write() as s:
            team_row = None
            if team:
                team_row = s.exec(select(Team).where(Team.name == team)).first()
                if team_row is None:
                    raise InvalidInput({"team": f"no team named {team!r}"})
            manager_id = None
            if manager:
                manager_id = s.exec(select(Agent.id).where(Agent.login == manager)).first()
                if manager_id is None:
                    raise InvalidInput({"manager": f"no agent {manager!r}"})
            clash = s.exec(
                select(Agent.login, Agent.number).where((Agent.login == login) | (Agent.number == number))
            ).first()
            if clash:
                field = "login" if clash[0] == login else "number"
                raise Conflict(f"an agent with {field} {login if field == 'login' else number!r} exists")
            agent = Agent(
                login=login,
                name=name,
                number=number,
                role=role,
                tier=tier,
                team_id=team_row.id if team_row else None,
                manager_id=manager_id,
                email=email,
                password_hash=password_hash,
                kb_editor=kb_editor,
                created_at=clock.now(),
            )
            s.add(agent)
            s.flush()
            agent_id = agent.id
    except IntegrityError:
        raise Conflict(f"an agent with login {login!r} or number {number!r} exists") from None
    return next(a for a in list_agents(db) if a.id == agent_id)


def _agent_by_login(s, login: str) -> Agent:  # type: ignore[no-untyped-def]
    agent = s.exec(select(Agent).where(Agent.login == inputs.key(login))).first()
    if agent is None:
        raise NotFound(f"no agent {login!r}")
    return agent


def set_password(db: Database, actor: Actor | None, login: str, password: str) -> None:
    """Reset a password: supervisors and admins for anyone, every agent for themselves."""
    if actor is not None and actor.login != login:
        require(actor, "agents.manage")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput({"password": f"at least {MIN_PASSWORD} characters"})
    password_hash = hash_password(password)
    with db.write() as s:
        _agent_by_login(s, login).password_hash = password_hash


def set_active(db: Database, actor: Actor | None, login: str, active: bool) -> None:
    if actor is not None:
        require(actor, "agents.manage")
        if actor.login == login and not active:
            raise InvalidInput({"login": "you cannot deactivate yourself"})
    with db.write() as s:
        _agent_by_login(s, login).active = active


def agent_logins(db: Database, *, active_only: bool = True) -> list[str]:
    with db.read() as s:
        q = select(Agent.login).order_by(col(Agent.login))
        if active_only:
            q = q.where(Agent.active)
        return list(s.exec(q).all())
