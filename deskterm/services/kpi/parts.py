"""The SQL of each part of a period's tally: one index range each (models/ticket.py,
models/agent.py), by the agent each part is credited to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_, case, false, func, literal_column, or_, true
from sqlmodel import Session, col, select

from ...db import Database
from ...i18n import later
from ...models import Agent, AgentStateLog, Category, EventKind, Survey, Team, Ticket, TicketEvent
from .. import presence
from ..errors import InvalidInput
from .figures import RATINGS, SATISFIED, AgentTally, Tally

# A part of a slice's tally: (the team it counts for, the agent it is credited to, the sums).
Rows = list[tuple[int | None, int | None, AgentTally]]


def _seconds(s: Session, start: Any, end: Any) -> Any:
    if s.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.date_part("epoch", end - start)  # a float: EXTRACT's numeric costs a third more a row


def epoch(s: Session, column: Any) -> Any:
    """Seconds since 1970 as a float (PostgreSQL: date_part's float, no numeric per row)."""
    if s.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return sa.cast(func.date_part("epoch", column), sa.Float)


def _flag(column: Any) -> Any:
    return func.sum(case((column == true(), 1), else_=0))


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def _team(where: list[Any], team_id: int | None) -> list[Any]:
    return [*where, col(Ticket.team_id) == team_id] if team_id is not None else where


def event_kind(kind: str) -> Any:
    """An event kind as a literal: the partial indexes' own term (ix_ticket_event_reopened, _resolved)."""
    return col(TicketEvent.kind) == literal_column(f"'{kind}'")


def _first_line() -> Any:
    """The ticket's category can be resolved at first line (uncategorised tickets count as such)."""
    not_first_line = select(Category.id).where(col(Category.first_line) == false())
    return or_(col(Ticket.category_id).is_(None), col(Ticket.category_id).not_in(not_first_line))


def created_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """Calls logged and first-contact resolutions (fields fixed at intake) by who logged them, and
    how many of those calls are still open now."""
    fc = col(Ticket.first_contact) == true()
    first_line = _first_line()
    rows = s.execute(
        sa.select(
            col(Ticket.team_id),
            col(Ticket.created_by_id),
            func.count(),
            _count(fc),
            _flag(col(Ticket.is_open)),
            _count(first_line),
            _count(and_(fc, first_line)),
        )
        .where(*_team([col(Ticket.created_at) >= start, col(Ticket.created_at) < end], team_id))
        .group_by(col(Ticket.team_id), col(Ticket.created_by_id))
    ).all()
    return [
        (
            team,
            agent_id,
            AgentTally(
                calls=calls,
                first_contact=fc_n or 0,
                still_open=still_open or 0,
                first_line_calls=fl_calls or 0,
                first_line_fc=fl_fc or 0,
            ),
        )
        for team, agent_id, calls, fc_n, still_open, fl_calls, fl_fc in rows
    ]


def reopened_since_part(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Of the calls logged in the period, those reopened since (at any time up to now: a reopen
    comes after the call, so from the period's start on, in the small partial index
    ix_ticket_event_reopened): resolved once all the same, and no first-contact resolution. Read
    once for a whole period: its range runs to now."""
    reopened = select(TicketEvent.ticket_id).where(
        event_kind(EventKind.REOPENED), col(TicketEvent.at) >= start
    )
    where = [col(Ticket.id).in_(reopened), col(Ticket.created_at) >= start, col(Ticket.created_at) < end]
    fc = col(Ticket.first_contact) == true()
    rows = s.exec(
        select(Ticket.created_by_id, _flag(col(Ticket.is_open)), _count(fc), _count(and_(fc, _first_line())))
        .where(*_team(where, team_id))
        .group_by(col(Ticket.created_by_id))
    ).all()
    t = Tally()
    for agent_id, still_open, fc_n, fl in rows:
        part = AgentTally(
            reopened_open=still_open or 0, first_contact_reopened=fc_n or 0, first_line_fc_reopened=fl or 0
        )
        t.credit(agent_id, part)
    return t


def in_sla(due: Any = None) -> tuple[Any, Any]:
    """(met, due) of a resolved event: what the resolve recorded ("in_sla" in its data, so a later
    change of the ticket's due time does not rewrite the past), else the ticket's resolve-by time
    (`due`: that column as the query names it; Ticket.resolve_by by default)."""
    data = col(TicketEvent.data)
    recorded_met = data.contains('"in_sla": true')
    recorded = or_(recorded_met, data.contains('"in_sla": false'))
    due = col(Ticket.resolve_by) if due is None else due
    met = case((recorded, case((recorded_met, 1), else_=0)), (col(TicketEvent.at) <= due, 1), else_=0)
    is_due = case((recorded, 1), (due.is_not(None), 1), else_=0)
    return met, is_due


def _event_tickets(s: Session, ticket_id: Any, *columns: Any, of: Any = TicketEvent) -> tuple[Any, Any]:
    """`of` (a slice's events, or surveys) with its tickets' `columns`: (the FROM clause, the
    columns by name). On PostgreSQL each ticket is looked up by primary key (a lateral subquery
    the planner keeps as one): with the default random_page_cost it would rather hash-join a day's
    few thousand events against an index scan of every ticket (at 1M tickets a day's resolutions
    took 330 ms that way, 150 ms this way)."""
    if s.get_bind().dialect.name == "postgresql":
        found = (
            sa.select(*(col(c) for c in columns))
            .where(col(Ticket.id) == ticket_id)
            .limit(1)  # not pulled up into a join
            .lateral("t")
        )
        return sa.join(of, found, true()), found.c
    return sa.join(of, Ticket, col(Ticket.id) == ticket_id), Ticket.__table__.c  # type: ignore[attr-defined]


def resolutions(start: datetime, end: datetime) -> list[Any]:
    return [event_kind(EventKind.RESOLVED), col(TicketEvent.at) >= start, col(TicketEvent.at) < end]


def resolved_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """Resolutions in the period, from the event log (a later reopen does not undo them): time to
    resolve and SLA met, by the agent who resolved."""
    source, t = _event_tickets(s, TicketEvent.ticket_id, Ticket.team_id, Ticket.created_at, Ticket.resolve_by)
    met, due = in_sla(t.resolve_by)
    where = resolutions(start, end) + ([t.team_id == team_id] if team_id is not None else [])
    rows = s.execute(
        sa.select(
            t.team_id,
            col(TicketEvent.actor_id),
            func.count(),
            func.sum(_seconds(s, t.created_at, TicketEvent.at)),
            func.sum(met),
            func.sum(due),
        )
        .select_from(source)
        .where(*where)
        .group_by(t.team_id, col(TicketEvent.actor_id))
    ).all()
    return [
        (
            team,
            agent_id,
            AgentTally(
                resolved=n,
                resolve_seconds=max(float(secs or 0), 0.0),
                sla_met=sla_met or 0,
                sla_due=sla_due or 0,
            ),
        )
        for team, agent_id, n, secs, sla_met, sla_due in rows
    ]


def handover_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """First pick-ups by an agent in the period (not first-contact resolutions): intake → second
    line. A later reassignment does not move the first pick-up."""
    where = [
        col(Ticket.first_assigned_at) >= start,
        col(Ticket.first_assigned_at) < end,
        col(Ticket.first_contact) == false(),
    ]
    secs = func.sum(_seconds(s, Ticket.created_at, Ticket.first_assigned_at))
    rows = s.execute(
        sa.select(col(Ticket.team_id), func.count(), secs)
        .where(*_team(where, team_id))
        .group_by(col(Ticket.team_id))
    ).all()
    return [
        (team, None, AgentTally(handovers=n, handover_seconds=max(float(sec or 0), 0.0)))
        for team, n, sec in rows
    ]


def survey_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """Surveys taken in the period; credited to the ticket's assignee."""
    ratings = [getattr(Survey, r) for r in RATINGS]
    satisfied: Any = sum(case((col(r) <= SATISFIED, 1), else_=0) for r in ratings)
    score: Any = sum(col(r) for r in ratings)
    source, t = _event_tickets(s, Survey.ticket_id, Ticket.team_id, Ticket.assignee_id, of=Survey)
    where = [col(Survey.created_at) >= start, col(Survey.created_at) < end]
    if team_id is not None:
        where.append(t.team_id == team_id)
    rows = s.execute(
        sa.select(t.team_id, t.assignee_id, func.count(), func.sum(satisfied), func.sum(score))
        .select_from(source)
        .where(*where)
        .group_by(t.team_id, t.assignee_id)
    ).all()
    return [
        (
            team,
            agent_id,
            AgentTally(surveys=n, satisfied=sat or 0, answers=n * len(RATINGS), score_sum=sc or 0),
        )
        for team, agent_id, n, sat, sc in rows
    ]


def reopened_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """Reopens in the period (the partial index ix_ticket_event_reopened), by the ticket's assignee."""
    where = [event_kind(EventKind.REOPENED), col(TicketEvent.at) >= start, col(TicketEvent.at) < end]
    rows = s.exec(
        select(Ticket.team_id, Ticket.assignee_id, func.count())
        .select_from(TicketEvent)
        .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
        .where(*_team(where, team_id))
        .group_by(col(Ticket.team_id), col(Ticket.assignee_id))
    ).all()
    return [(team, agent_id, AgentTally(reopened=n)) for team, agent_id, n in rows]


def contacts_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """Calls handled and their talk and after-call work, from the consoles' state log (states that
    ended in the period, so a past period is final; ix_agent_state_log_kpi), by agent (and the
    agent's team)."""
    L = AgentStateLog
    handled = and_(col(L.state) == presence.ON_CALL, col(L.handled) == true())
    secs = _seconds(s, L.started_at, L.ended_at)
    where = [
        col(L.ended_at) >= start,
        col(L.ended_at) < end,
        col(L.state).in_((presence.ON_CALL, presence.AFTER_CALL)),
    ]
    # summed by agent first, then the agent's team looked up once an agent, not once a state:
    # today's 100k states at 1M tickets, 80 -> 35 ms on SQLite
    by_agent = (
        sa.select(
            col(L.agent_id).label("agent_id"),
            _count(handled).label("n"),
            func.sum(case((handled, secs), else_=0.0)).label("talk"),
            func.sum(case((col(L.state) == presence.AFTER_CALL, secs), else_=0.0)).label("acw"),
        )
        .where(*where)
        .group_by(col(L.agent_id))
        .subquery()
    )
    query = sa.select(
        col(Agent.team_id), by_agent.c.agent_id, by_agent.c.n, by_agent.c.talk, by_agent.c.acw
    ).select_from(by_agent.join(Agent, col(Agent.id) == by_agent.c.agent_id, isouter=True))
    if team_id is not None:
        query = query.where(col(Agent.team_id) == team_id)
    rows = s.execute(query).all()
    return [
        (
            team,
            agent_id,
            AgentTally(
                contacts=n or 0,
                talk_seconds=max(float(talk or 0), 0.0),
                acw_seconds=max(float(acw or 0), 0.0),
            ),
        )
        for team, agent_id, n, talk, acw in rows
    ]


# A period's tally is the sum over its slices (days for the reports, hours for the monitor) of
# SLICE_PARTS, which do not change once a slice is past (so the monitor keeps today's settled
# hours; `still_open` excepted, which it counts from its open tickets), plus reopened_since_part,
# read once for the whole period (its range runs to now). The reports and the monitor both add
# exactly these; the reports' daily rollup (rollup.py) keeps each day's slice_rows.
SLICE_PARTS = (created_rows, resolved_rows, handover_rows, survey_rows, reopened_rows, contacts_rows)


def period_tally(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """Every part of one period."""
    return slice_tally(s, start, end, team_id).add(reopened_since_part(s, start, end, team_id))


def slice_rows(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Rows:
    """The additive parts of one slice, by (team, agent credited): the rollup's rows of a day."""
    return [row for part in SLICE_PARTS for row in part(s, start, end, team_id)]


def tally_of(rows: Rows) -> Tally:
    t = Tally()
    for _team_id, agent_id, part in rows:
        t.credit(agent_id, part)
    return t


def slice_tally(s: Session, start: datetime, end: datetime, team_id: int | None = None) -> Tally:
    """The additive parts of one slice of a period (an hour of the monitor's day; a day, for the
    reports' progress)."""
    return tally_of(slice_rows(s, start, end, team_id))


def arrivals(s: Session, slots: list[tuple[datetime, datetime]]) -> list[int]:
    """Tickets created in each slot, one statement (index ix_ticket_created per slot)."""
    counts = [
        select(func.count())
        .select_from(Ticket)
        .where(col(Ticket.created_at) >= a, col(Ticket.created_at) < b)
        .scalar_subquery()
        for a, b in slots
    ]
    return list(s.execute(sa.select(*counts)).one())


def team_id_of(db: Database, team: str | None) -> int | None:
    if not team:
        return None
    with db.read() as s:
        team_id = s.exec(select(Team.id).where(Team.name == team)).first()
    if team_id is None:
        raise InvalidInput({"team": later("no team named '{team}'", team=team)})
    return team_id
