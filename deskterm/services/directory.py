"""Reference look-ups: the teams, agents and categories the console and the CLI offer as choices,
a device's warranty state, and finding a named row by its name or its id. Each look-up has one
implementation here; the shapes callers need (names only, or rows) are views of it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import func, true
from sqlalchemy import select as select_columns
from sqlalchemy.orm import InstrumentedAttribute
from sqlmodel import Session, SQLModel, col, select

from .. import clock
from ..db import Database
from ..models import Agent, AgentPresence, AwayReason, Category, KbArticle, Team, Ticket
from . import inputs, presence
from .auth import Actor, require

M = TypeVar("M", bound=SQLModel)


# --- teams ---------------------------------------------------------------------------------------


def teams(db: Database, *, by_tier: bool = False) -> list[str]:
    """Every team's name: by name, or (`by_tier`) by tier then name."""
    order = [col(Team.tier), col(Team.name)] if by_tier else [col(Team.name)]
    with db.read() as s:
        return list(s.exec(select(Team.name).order_by(*order)).all())


# --- agents --------------------------------------------------------------------------------------


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
    extension: str = ""  # the phone the PBX rings for the agent


def agent_rows(
    s: Session, *, include_inactive: bool = True, agent_id: int | None = None, by_name: bool = False
) -> list[AgentRow]:
    """Agents with their team's name and their manager's login, by login (or `by_name`)."""
    query = select(Agent, Team).join(Team, isouter=True)
    query = query.order_by(col(Agent.name) if by_name else col(Agent.login))
    if not include_inactive:
        query = query.where(col(Agent.active).is_(True))
    if agent_id is not None:
        query = query.where(Agent.id == agent_id)
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
            extension=a.extension or "",
        )
        for a, t in s.exec(query).all()
    ]


def agents(db: Database, actor: Actor, *, include_inactive: bool = True) -> list[AgentRow]:
    """Every agent (supervisors and admins)."""
    with db.read() as s:
        require(s, actor, "agents.read")
        return agent_rows(s, include_inactive=include_inactive)


def assignees(db: Database) -> list[tuple[str, str, str]]:
    """(login, name, team) of the active agents who can take tickets, by name."""
    with db.read() as s:
        rows = agent_rows(s, include_inactive=False, by_name=True)
    return [(r.login, r.name, r.team) for r in rows]


@dataclass(frozen=True)
class Assignee:
    """An agent a ticket can be given to, with what a supervisor weighs: their console's state
    (presence.STATES, or logged out) and how many open tickets they hold."""

    login: str
    name: str
    team: str
    state: str
    reason: tuple[str, str]  # away: the reason's name (English, Chinese); else empty
    open: int


def assignee_load(
    db: Database, actor: Actor, *, timeout: float, now: datetime | None = None
) -> list[Assignee]:
    """The active agents who can take tickets, by name, each with their state and open tickets
    (for those who reassign tickets): one query."""
    now = now or clock.now()
    load = (
        select(col(Ticket.assignee_id).label("agent_id"), func.count().label("n"))
        .where(col(Ticket.is_open) == true(), col(Ticket.assignee_id).is_not(None))
        .group_by(col(Ticket.assignee_id))
        .subquery()
    )
    columns: list[Any] = [
        Agent.login,
        Agent.name,
        Team.name,
        AgentPresence.state,
        AgentPresence.heartbeat_at,
        AwayReason.name,
        AwayReason.name_zh,
        load.c.n,
    ]
    query = (
        select_columns(*columns)
        .select_from(Agent)
        .join(Team, col(Team.id) == Agent.team_id, isouter=True)
        .join(AgentPresence, col(AgentPresence.agent_id) == Agent.id, isouter=True)
        .join(AwayReason, col(AwayReason.code) == AgentPresence.reason, isouter=True)
        .join(load, load.c.agent_id == Agent.id, isouter=True)
        .where(col(Agent.active).is_(True))
        .order_by(col(Agent.name), col(Agent.login))
    )
    with db.read() as s:
        require(s, actor, "tickets.reassign")
        rows = s.execute(query).all()
    out = []
    for login, name, team, state, beat, reason, reason_zh, n in rows:
        shown = presence.effective_state(state, beat, now, timeout) if state else presence.LOGGED_OUT
        away = (reason or "", reason_zh or "") if shown == presence.AWAY else ("", "")
        out.append(Assignee(login, name, team or "", shown, away, n or 0))
    return out


# --- categories ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CategoryView:
    path: str
    path_zh: str
    team: str


def categories(db: Database) -> list[CategoryView]:
    """The desk's category tree, by path, with the team each category's tickets go to."""
    with db.read() as s:
        rows = s.exec(
            select(Category.path, Category.path_zh, Team.name)
            .join(Team, col(Team.id) == Category.team_id, isouter=True)
            .order_by(col(Category.path))
        ).all()
    return [CategoryView(path, path_zh, team or "") for path, path_zh, team in rows]


def category_paths(db: Database) -> list[str]:
    """The desk's category paths, sorted."""
    return [c.path for c in categories(db)]


def kb_categories(db: Database) -> list[str]:
    """Every category path the knowledge base's articles use, with its ancestors (for the
    category-subtree filter); the KB's own paths, which need not be in the desk's tree."""
    with db.read() as s:
        paths = s.exec(select(KbArticle.category).distinct()).all()
    out: set[str] = set()
    for path in paths:
        parts = [p for p in path.split("/") if p]
        for n in range(1, len(parts) + 1):
            out.add("/".join(parts[:n]))
    return sorted(out)


# --- devices -------------------------------------------------------------------------------------


def warranty_status(end: date | None, today: date | None = None) -> str:
    """in | out | unknown, from a device's warranty end date."""
    if end is None:
        return "unknown"
    return "in" if end >= (today or clock.now().date()) else "out"


# --- a named row ---------------------------------------------------------------------------------


def by_name_or_id(s: Session, model: type[M], name: InstrumentedAttribute[Any] | Any, ref: str) -> M | None:
    """The row of `model` whose `name` column is `ref`, else (all digits) the one with that id."""
    ref = inputs.key(ref)
    row = s.exec(select(model).where(col(name) == ref)).first()
    if row is None and ref.isdigit():
        row = s.get(model, int(ref))
    return row
