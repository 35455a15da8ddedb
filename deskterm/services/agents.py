"""Agents: add, edit, reset a password, deactivate (the lists of agents and teams: directory.py).

Who may manage whom: admins manage every agent; supervisors manage the operators and engineers of
their own team (and only give them those roles and that team); nobody changes their own role or
deactivates themselves; every agent may set their own password and language. The first admin of an empty desk
is the one agent added without an actor."""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import LANGUAGES, later
from ..models import Agent, Role, Team
from . import inputs
from .auth import Actor, hash_password, require
from .directory import AgentRow, agent_rows
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied

MIN_PASSWORD = 6
STAFF = (Role.OPERATOR, Role.ENGINEER)  # the roles a supervisor manages


def may_manage(actor: Actor, role: str, team_id: int | None) -> bool:
    """May `actor` manage an agent with this role in this team (or give an agent this role and team)?"""
    if actor.role == Role.ADMIN:
        return True
    return (
        actor.role == Role.SUPERVISOR
        and role in STAFF
        and actor.team_id is not None
        and team_id == actor.team_id
    )


def _check_manage(actor: Actor, role: str, team_id: int | None, what: str) -> None:
    if may_manage(actor, role, team_id):
        return
    if actor.role != Role.SUPERVISOR:
        raise PermissionDenied(
            later("{login} ({role}) may not {what}", login=actor.login, role=actor.role, what=what)
        )
    if role not in STAFF:
        raise PermissionDenied(
            later(
                "{login} may not {what}: only an admin manages {role}s",
                login=actor.login,
                what=what,
                role=role,
            )
        )
    raise PermissionDenied(
        later("{login} may not {what}: supervisors manage their own team only", login=actor.login, what=what)
    )


def validate_new_agent(
    *, login: str, name: str, number: str, role: str, tier: int, password: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not login or not login.replace(".", "").replace("_", "").replace("-", "").isalnum():
        errors["login"] = "use letters, digits, '.', '_' or '-'"
    if len(login) > 40:
        errors["login"] = "at most 40 characters"
    errors.update(_field_errors(name=name, number=number, role=role, tier=tier))
    if len(password) < MIN_PASSWORD:
        errors["password"] = later("at least {length} characters", length=MIN_PASSWORD)
    return errors


def _field_errors(
    *, name: str | None = None, number: str | None = None, role: str | None = None, tier: int | None = None
) -> dict[str, str]:
    errors: dict[str, str] = {}
    if name is not None and not name.strip():
        errors["name"] = "required"
    if number is not None and (not number.strip().isdigit() or len(number.strip()) > 10):
        errors["number"] = "digits only, at most 10"
    if role is not None and role not in set(Role):
        errors["role"] = later("one of {choices}", choices=", ".join(Role))
    if tier is not None and tier not in (1, 2, 3):
        errors["tier"] = "1, 2 or 3"
    return errors


def clean_extension(value: str | None) -> str | None:
    """The phone extension the PBX rings for an agent, as stored: digits, '*', '#' or letters, at
    most 20; "" clears it (stored as None); None leaves it unchanged (returned as None too, so
    callers tell the two apart by the value they passed)."""
    if value is None:
        return None
    extension = inputs.line(value, "extension", Agent.extension)
    if extension and not re.fullmatch(r"[0-9A-Za-z*#]+", extension):
        raise InvalidInput({"extension": "digits, '*', '#' or letters, at most 20"})
    return extension or None


def _check_extension_free(s: Session, extension: str | None, agent_id: int | None) -> None:
    if extension is None:
        return
    holder = s.exec(
        select(Agent.login, Agent.name).where(Agent.extension == extension, Agent.id != (agent_id or 0))
    ).first()
    if holder is not None:
        raise Conflict(
            later(
                "extension {extension} is {name}'s ({login})",
                extension=extension,
                name=holder[1],
                login=holder[0],
            )
        )


def _team_id(s: Session, team: str | None) -> int | None:
    if not team:
        return None
    team_id = s.exec(select(Team.id).where(Team.name == team)).first()
    if team_id is None:
        raise InvalidInput({"team": later("no team named '{team}'", team=team)})
    return team_id


def _manager_id(s: Session, manager: str | None) -> int | None:
    if not manager:
        return None
    manager_id = s.exec(select(Agent.id).where(Agent.login == manager)).first()
    if manager_id is None:
        raise InvalidInput({"manager": later("no agent '{login}'", login=manager)})
    return manager_id


def lock_agent_table(s: Session) -> None:
    """For "is the desk still without agents?": two first agents at once, one waits and then sees
    the other (SQLite: BEGIN IMMEDIATE does it already)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("LOCK TABLE agent IN SHARE ROW EXCLUSIVE MODE"))


def _first_agent(s: Session, role: str) -> None:
    """Without an actor, only the first agent of an empty desk, and it is the admin."""
    lock_agent_table(s)
    if s.exec(select(Agent.id).limit(1)).first() is not None:
        raise PermissionDenied("this desk has agents: an admin or a supervisor adds the next one")
    if role != Role.ADMIN:
        raise InvalidInput({"role": "the first agent of a desk is its admin"})


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
    extension: str = "",
) -> AgentRow:
    """Add an agent. `actor` None: the first admin of a desk that has no agents yet. `extension`:
    the phone the PBX rings for them ("" none)."""
    refused: dict[str, str] = {}
    try:
        phone = clean_extension(extension)
    except InvalidInput as e:
        refused.update(e.errors)
        phone = None
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

    def work(s: Session) -> AgentRow:
        if actor is None:
            _first_agent(s, role)
        else:
            require(s, actor, "agents.manage")
        team_id = _team_id(s, team)
        if actor is not None:
            _check_manage(actor, role, team_id, later("add the {role} {login}", role=role, login=login))
        manager_id = _manager_id(s, manager)
        _check_extension_free(s, phone, None)
        clash = s.exec(
            select(Agent.login, Agent.number).where((Agent.login == login) | (Agent.number == number))
        ).first()
        if clash:
            field = "login" if clash[0] == login else "number"
            raise Conflict(
                later("an agent with login '{login}' exists", login=login)
                if field == "login"
                else later("an agent with number '{number}' exists", number=number)
            )
        agent = Agent(
            login=login,
            name=name,
            number=number,
            role=role,
            tier=tier,
            team_id=team_id,
            manager_id=manager_id,
            email=email,
            password_hash=password_hash,
            kb_editor=kb_editor,
            extension=phone,
            created_at=clock.now(),
        )
        s.add(agent)
        s.flush()
        return agent_rows(s, agent_id=agent.id)[0]

    try:
        return db.retrying(work)
    except IntegrityError:
        raise Conflict(
            later(
                "an agent with login '{login}', number '{number}' or extension '{extension}' exists",
                login=login,
                number=number,
                extension=phone or "",
            )
            if phone
            else later(
                "an agent with login '{login}' or number '{number}' exists", login=login, number=number
            )
        ) from None


def _target(s: Session, login: str) -> Agent:
    """The agent acted on, locked until the change commits."""
    agent = s.exec(select(Agent).where(Agent.login == inputs.key(login)).with_for_update()).first()
    if agent is None:
        raise NotFound(later("no agent '{login}'", login=login))
    return agent


def set_password(db: Database, actor: Actor, login: str, password: str) -> None:
    """Reset a password: every agent their own; admins anyone's; supervisors their team's staff."""
    if len(password) < MIN_PASSWORD:
        raise InvalidInput({"password": later("at least {length} characters", length=MIN_PASSWORD)})
    password_hash = hash_password(password)

    def work(s: Session) -> None:
        own = login == actor.login
        require(s, actor, None if own else "agents.manage")
        agent = _target(s, login)
        if not own:
            _check_manage(
                actor, agent.role, agent.team_id, later("reset the password of {login}", login=login)
            )
        agent.password_hash = password_hash

    db.retrying(work)


def set_language(db: Database, actor: Actor, lang: str | None) -> None:
    """The language the agent's console opens in from now on, wherever they log in (None: the
    desk's default from the settings). Every agent sets their own."""
    if lang is not None and lang not in LANGUAGES:
        raise InvalidInput({"language": later("one of {choices}", choices=", ".join(LANGUAGES))})

    def work(s: Session) -> None:
        require(s, actor)
        agent = s.get(Agent, actor.id)
        assert agent is not None  # require() has just read the row
        agent.language = lang

    db.retrying(work)


def set_active(db: Database, actor: Actor, login: str, active: bool) -> None:
    """Deactivate (they can no longer log in or act; their history stays) or activate again."""

    def work(s: Session) -> None:
        require(s, actor, "agents.manage")
        if login == actor.login:
            raise InvalidInput(
                {"login": "you cannot activate yourself" if active else "you cannot deactivate yourself"}
            )
        agent = _target(s, login)
        _check_manage(
            actor,
            agent.role,
            agent.team_id,
            later("activate {login}" if active else "deactivate {login}", login=login),
        )
        agent.active = active

    db.retrying(work)


def edit_agent(
    db: Database,
    actor: Actor,
    login: str,
    *,
    name: str | None = None,
    number: str | None = None,
    role: str | None = None,
    tier: int | None = None,
    team: str | None = None,
    manager: str | None = None,
    email: str | None = None,
    kb_editor: bool | None = None,
    extension: str | None = None,
) -> AgentRow:
    """Change an agent's fields (None: unchanged; team "", manager "" or extension "": none). The
    actor must manage the agent both as it is and as it will be; nobody changes their own role."""
    errors = _field_errors(name=name, number=number, role=role, tier=tier)
    try:
        phone = clean_extension(extension)
    except InvalidInput as e:
        errors.update(e.errors)
    if errors:
        raise InvalidInput(errors)

    def work(s: Session) -> AgentRow:
        require(s, actor, "agents.manage")
        agent = _target(s, login)
        if role is not None and role != agent.role and agent.id == actor.id:
            raise PermissionDenied(later("{login} may not change their own role", login=actor.login))
        _check_manage(actor, agent.role, agent.team_id, later("edit {login}", login=login))
        team_id = agent.team_id if team is None else _team_id(s, team)
        new_role = role or agent.role
        if (new_role, team_id) != (agent.role, agent.team_id):
            _check_manage(
                actor,
                new_role,
                team_id,
                later("make {login} {role} in that team", login=login, role=new_role),
            )
        if number is not None and number.strip() != agent.number:
            if s.exec(select(Agent.id).where(Agent.number == number.strip())).first() is not None:
                raise Conflict(later("an agent with number '{number}' exists", number=number.strip()))
            agent.number = number.strip()
        if manager is not None:
            agent.manager_id = _manager_id(s, manager)
            if agent.manager_id == agent.id:
                raise InvalidInput({"manager": "an agent cannot manage themselves"})
        agent.role, agent.team_id = new_role, team_id
        if name is not None:
            agent.name = name.strip()
        if tier is not None:
            agent.tier = tier
        if email is not None:
            agent.email = email.strip()
        if kb_editor is not None:
            agent.kb_editor = kb_editor
        if extension is not None:
            _check_extension_free(s, phone, agent.id)
            agent.extension = phone
        s.flush()
        return agent_rows(s, agent_id=agent.id)[0]

    try:
        return db.retrying(work)
    except IntegrityError:
        if extension:
            raise Conflict(later("extension {extension} was just taken", extension=phone or "")) from None
        raise Conflict(later("an agent with number '{number}' exists", number=number)) from None


def agent_logins(db: Database, *, active_only: bool = True) -> list[str]:
    with db.read() as s:
        q = select(Agent.login).order_by(col(Agent.login))
        if active_only:
            q = q.where(Agent.active)
        return list(s.exec(q).all())
