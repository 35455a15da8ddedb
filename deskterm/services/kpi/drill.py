"""Drill down: the tickets behind a figure of the monitor."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, false, true
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from ... import clock
from ...db import Database
from ...i18n import later
from ...models import Agent, EventKind, Status, Survey, Ticket, TicketEvent
from .. import tickets
from ..auth import Actor
from ..errors import InvalidInput
from .figures import AT_RISK, RATINGS, RUNNING, day_start, require_supervisor
from .parts import event_kind, in_sla, resolutions

FIGURES = (
    "backlog",  # team, status (None: every open status)
    "pending",  # team (None: every team)
    "breached",
    "at_risk",
    "waiting",  # the team's queue of new tickets, oldest first
    "agent_open",  # agent
    "agent_resolved",  # agent, today
    "calls",  # today
    "first_contact",
    "still_open",
    "resolved",
    "sla_missed",
    "handover",
    "reopened",
    "csat",  # today's surveys: see surveys_behind
)


@dataclass(frozen=True)
class Figure:
    kind: str
    team_id: int | None = None
    all_teams: bool = True  # False: team_id None means "no team"
    status: str | None = None
    agent_id: int | None = None


def tickets_behind(
    db: Database,
    actor: Actor,
    figure: Figure,
    *,
    timezone: str = "Asia/Shanghai",
    now: datetime | None = None,
    limit: int = 200,
) -> list[tickets.TicketRow]:
    """The tickets a monitor figure counts (at most `limit`, most urgent or oldest first)."""
    if figure.kind not in FIGURES or figure.kind == "csat":
        raise InvalidInput({"figure": later("one of {choices}", choices=", ".join(FIGURES))})
    now = now or clock.now()
    start = day_start(now, timezone)
    T = Ticket
    is_open = col(T.is_open) == true()
    running = col(T.status).in_(RUNNING)
    due = col(T.resolve_by)
    created_today = and_(col(T.created_at) >= start, col(T.created_at) < now)
    resolved_today = col(T.id).in_(select(TicketEvent.ticket_id).where(*resolutions(start, now)))
    met, _due = in_sla()
    missed = (
        select(TicketEvent.ticket_id)
        .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(*resolutions(start, now), _due == 1, met == 0)
    )
    reopened_since = select(TicketEvent.ticket_id).where(
        event_kind(EventKind.REOPENED), col(TicketEvent.at) >= start
    )
    latest = col(T.updated_at).desc()
    queries: dict[str, tuple[list[Any], list[Any]]] = {
        "backlog": ([is_open] + ([col(T.status) == figure.status] if figure.status else []), [due]),
        "pending": ([col(T.status) == Status.NEW], [col(T.created_at)]),
        "breached": ([running, due < now], [due]),
        "at_risk": ([running, due >= now, due < now + AT_RISK], [due]),
        "waiting": ([col(T.status) == Status.NEW], [col(T.created_at)]),
        "agent_open": ([is_open, col(T.assignee_id) == figure.agent_id], [due]),
        "agent_resolved": (
            [
                col(T.id).in_(
                    select(TicketEvent.ticket_id).where(
                        *resolutions(start, now), col(TicketEvent.actor_id) == figure.agent_id
                    )
                )
            ],
            [latest],
        ),
        "calls": ([created_today], [col(T.created_at).desc()]),
        "first_contact": (
            [created_today, col(T.first_contact) == true(), col(T.id).not_in(reopened_since)],
            [col(T.created_at).desc()],
        ),
        "still_open": (  # not resolved yet
            [created_today, is_open, col(T.id).not_in(reopened_since)],
            [col(T.created_at).desc()],
        ),
        "resolved": ([resolved_today], [latest]),
        "sla_missed": ([col(T.id).in_(missed)], [latest]),
        "handover": (
            [
                col(T.first_assigned_at) >= start,
                col(T.first_assigned_at) < now,
                col(T.first_contact) == false(),
            ],
            [col(T.first_assigned_at).desc()],
        ),
        "reopened": (
            [col(T.id).in_(reopened_since.where(col(TicketEvent.at) < now))],
            [latest],
        ),
    }
    where, order = queries[figure.kind]
    if figure.team_id is not None or not figure.all_teams:
        where = [
            *where,
            col(T.team_id) == figure.team_id if figure.team_id is not None else col(T.team_id).is_(None),
        ]
    with db.read() as s:
        require_supervisor(s, actor)
        numbers = list(s.exec(select(T.number).where(*where).order_by(*order, col(T.id)).limit(limit)).all())
    rows = {r.number: r for r in tickets.list_tickets_by_numbers(db, numbers)} if numbers else {}
    return [rows[n] for n in numbers if n in rows]


@dataclass(frozen=True)
class SurveyRow:
    """One survey behind the CSAT figure: its ticket, the four answers (1 very satisfied … 4
    dissatisfied, in RATINGS order), the caller's comment as written, and when it was taken."""

    number: str
    version: int
    summary: str
    assignee: str
    ratings: tuple[int, ...]
    comment: str
    at: datetime

    @property
    def score(self) -> float:
        """The average answer (1 best … 4 worst), as the CSAT figure's average score."""
        return sum(self.ratings) / len(self.ratings)


def surveys_behind(
    db: Database,
    actor: Actor,
    figure: Figure,
    *,
    timezone: str = "Asia/Shanghai",
    now: datetime | None = None,
    limit: int = 200,
) -> list[SurveyRow]:
    """The surveys the CSAT figure counts (today's, of `figure`'s team if it has one), newest first,
    at most `limit`: one query."""
    now = now or clock.now()
    start = day_start(now, timezone)
    where = [col(Survey.created_at) >= start, col(Survey.created_at) < now]
    if figure.team_id is not None:
        where.append(col(Ticket.team_id) == figure.team_id)
    ratings = [getattr(Survey, r) for r in RATINGS]
    columns: list[Any] = [
        Ticket.number,
        Ticket.version,
        Ticket.summary,
        Agent.name,
        *ratings,
        Survey.comment,
        Survey.created_at,
    ]
    query = (
        select_columns(*columns)
        .select_from(Survey)
        .join(Ticket, col(Ticket.id) == Survey.ticket_id)
        .join(Agent, col(Agent.id) == Ticket.assignee_id, isouter=True)
        .where(*where)
        .order_by(col(Survey.created_at).desc(), col(Survey.id).desc())
        .limit(limit)
    )
    with db.read() as s:
        require_supervisor(s, actor)
        rows = s.execute(query).all()
    n = len(RATINGS)
    return [SurveyRow(r[0], r[1], r[2], r[3] or "", tuple(r[4 : 4 + n]), r[4 + n], r[5 + n]) for r in rows]
