"""Tickets: numbers, the event log, creation, reading, listing and claiming. The read-models they
return (TicketRow, TicketDetail) are built in ticket_rows.

Every change to a ticket goes through a function here (or in another service) that writes a
TicketEvent in the same transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import OPEN_STATUSES, Agent, Category, EventKind, Kind, Status, Team, Ticket, TicketEvent
from . import inputs, sla
from .auth import Actor, require
from .errors import Conflict, InvalidInput, NotFound, status_words
from .priority import priority_for
from .ticket_rows import TicketDetail, TicketRow, detail_of, row_query, to_row

NUMBER_PREFIX = "SR-"


def format_number(n: int) -> str:
    return f"{NUMBER_PREFIX}{n:06d}"


def next_number(session: Session) -> str:
    """Allocate the next ticket number inside the caller's transaction (race-free on both backends:
    the UPDATE takes the row lock on PostgreSQL; SQLite write transactions begin IMMEDIATE)."""
    value = session.execute(
        text("UPDATE counter SET value = value + 1 WHERE name = 'ticket' RETURNING value")
    ).scalar_one()
    return format_number(value)


def record_event(
    session: Session,
    ticket: Ticket,
    actor_id: int | None,
    kind: str,
    body: str = "",
    *,
    public: bool = False,
    data: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> TicketEvent:
    assert ticket.id is not None, "flush the ticket before recording its events"
    event = TicketEvent(
        ticket_id=ticket.id,
        actor_id=actor_id,
        at=at or clock.now(),
        kind=kind,
        body=body,
        public=public,
        data=json.dumps(data, ensure_ascii=False) if data else "",
    )
    session.add(event)
    return event


def touch(ticket: Ticket, status: str | None = None) -> None:
    """Bump the version and the updated time; keep is_open in step with the status."""
    if status is not None:
        ticket.status = status
        ticket.is_open = status in OPEN_STATUSES
    ticket.version += 1
    ticket.updated_at = clock.now()


# --- reading -------------------------------------------------------------------------------------


def list_tickets(
    db: Database,
    actor: Actor | None,
    *,
    status: str | None = None,
    assignee: str | None = None,
    team: str | None = None,
    limit: int = 50,
) -> list[TicketRow]:
    """Newest first, filtered; `limit` bounds the rows fetched. `actor` None: the command line
    without --as (every role may read tickets)."""
    if status is not None and status not in set(Status):
        raise InvalidInput({"status": later("one of {choices}", choices=", ".join(Status))})
    query, assignee_alias = row_query()
    if status:
        query = query.where(Ticket.status == status)
    if assignee:
        query = query.where(assignee_alias.login == assignee)
    if team:
        query = query.where(Team.name == team)
    query = query.order_by(col(Ticket.id).desc()).limit(max(1, min(limit, 10_000)))
    with db.read() as s:
        if actor is not None:
            require(s, actor, "tickets.read")
        return [to_row(r) for r in s.exec(query).all()]


def my_open_tickets(db: Database, actor: Actor, *, limit: int = 200, offset: int = 0) -> list[TicketRow]:
    """The agent's open tickets by priority then due time (index ix_ticket_mine)."""
    query, _ = row_query()
    query = (
        query.where(Ticket.assignee_id == actor.id, col(Ticket.is_open).is_(True))
        .order_by(Ticket.priority, Ticket.resolve_by)
        .offset(offset)
        .limit(limit)
    )
    with db.read() as s:
        require(s, actor, "tickets.read")
        return [to_row(r) for r in s.exec(query).all()]


def team_unassigned(
    db: Database, actor: Actor, *, team_id: int | None = None, limit: int = 200, offset: int = 0
) -> list[TicketRow]:
    """The team's open, unassigned tickets by priority then due time (index ix_ticket_team_queue)."""
    query, _ = row_query()
    query = (
        query.where(
            Ticket.team_id == (team_id if team_id is not None else actor.team_id),
            col(Ticket.is_open).is_(True),
            col(Ticket.assignee_id).is_(None),
        )
        # assignee_id (all NULL here) leads the order so PostgreSQL reads the index in order
        # instead of sorting the whole queue: it does not treat IS NULL as an equality.
        .order_by(Ticket.assignee_id, Ticket.priority, Ticket.resolve_by)
        .offset(offset)
        .limit(limit)
    )
    with db.read() as s:
        require(s, actor, "tickets.read")
        return [to_row(r) for r in s.exec(query).all()]


def get_ticket(db: Database, actor: Actor | None, number: str) -> TicketDetail:
    """`actor` None: the command line without --as (every role may read tickets)."""
    with db.read() as s:
        if actor is not None:
            require(s, actor, "tickets.read")
        return detail_of(s, find_ticket(s, number))


def find_ticket(s: Session, number: str, *, lock: bool = False) -> Ticket:
    """The ticket with this number (any spelling normalise_number accepts), or NotFound;
    `lock` takes the row lock for a read-then-write on PostgreSQL."""
    number = normalise_number(number)
    query = select(Ticket).where(Ticket.number == number)
    if lock:  # and refresh a copy this session loaded before the lock
        query = query.with_for_update().execution_options(populate_existing=True)
    ticket = s.exec(query).first()
    if ticket is None:
        raise NotFound(later("no ticket {number}", number=number))
    return ticket


def current_version(db: Database, number: str) -> int:
    """The ticket's version now: what a caller that shows nothing (the CLI) acts on."""
    number = normalise_number(number)
    with db.read() as s:
        version = s.exec(select(Ticket.version).where(Ticket.number == number)).first()
    if version is None:
        raise NotFound(later("no ticket {number}", number=number))
    return version


def normalise_number(number: str) -> str:
    """Accept 'SR-000123', 'sr-123' or '123'."""
    raw = inputs.key(number).upper()
    digits = raw.removeprefix(NUMBER_PREFIX)
    return format_number(int(digits)) if digits.isdigit() else raw


# --- writing -------------------------------------------------------------------------------------


def open_ticket(
    session: Session,
    actor: Actor,
    *,
    summary: str,
    description: str = "",
    kind: str = Kind.INCIDENT,
    category: str | None = None,
    impact: int = 3,
    urgency: int = 3,
    customer_id: int | None = None,
    device_id: int | None = None,
    channel: str = "phone",
    service_mode: str = "phone",
    warranty: str = "unknown",
    call_started_at: datetime | None = None,
    priority: int | None = None,
    event_data: dict[str, Any] | None = None,
) -> Ticket:
    """Create a ticket and its 'created' event in the caller's transaction; the category's team
    receives it and the SLA clocks start. `priority` overrides the default impact x urgency matrix
    (intake applies the desk's configured matrix and the operator's override); `event_data` adds
    to the 'created' event's data."""
    require(session, actor, "tickets.create")
    errors: dict[str, str] = {}
    summary = inputs.line(summary, "summary", Ticket.summary, errors=errors)
    description = inputs.text(description, "description", errors=errors)
    category = inputs.line(category, "category", Category.path, errors=errors)
    channel = inputs.line(channel, "channel", Ticket.channel, errors=errors)
    if not summary and "summary" not in errors:
        errors["summary"] = "required"
    if kind not in set(Kind):
        errors["kind"] = later("one of {choices}", choices=", ".join(Kind))
    if impact not in (1, 2, 3):
        errors["impact"] = "1 (high), 2 (medium) or 3 (low)"
    if urgency not in (1, 2, 3):
        errors["urgency"] = "1 (high), 2 (medium) or 3 (low)"
    if priority is not None and priority not in range(1, 6):
        errors["priority"] = "1 to 5"
    cat = None
    if category:
        cat = session.exec(select(Category).where(Category.path == category)).first()
        if cat is None:
            errors["category"] = later("no category '{category}'", category=category)
    if errors:
        raise InvalidInput(errors)
    team = session.get(Team, cat.team_id) if cat and cat.team_id else None
    now = clock.now()
    ticket = Ticket(
        number=next_number(session),
        kind=kind,
        category_id=cat.id if cat else None,
        impact=impact,
        urgency=urgency,
        priority=priority or priority_for(impact, urgency),
        status=Status.NEW,
        is_open=True,
        channel=channel,
        service_mode=service_mode,
        warranty=warranty,
        customer_id=customer_id,
        device_id=device_id,
        summary=summary,
        description=description,
        team_id=team.id if team else actor.team_id,
        tier=team.tier if team else 1,
        created_by_id=actor.id,
        call_started_at=call_started_at,
        handle_seconds=int((now - call_started_at).total_seconds()) if call_started_at else None,
        created_at=now,
        updated_at=now,
    )
    sla.set_due_times(session, ticket, now)
    session.add(ticket)
    session.flush()
    record_event(
        session,
        ticket,
        actor.id,
        EventKind.CREATED,
        summary,
        data={"priority": ticket.priority, **(event_data or {})},
    )
    return ticket


def create_ticket(db: Database, actor: Actor, **fields: Any) -> TicketDetail:
    # The read-model is built inside the write transaction: one connection, one round of commits.
    return db.retrying(lambda s: detail_of(s, open_ticket(s, actor, **fields)))


def claim(db: Database, actor: Actor, number: str, *, version: int | None = None) -> TicketRow:
    """Take an unassigned ticket of one's team. The row is locked before it is checked (FOR UPDATE
    on PostgreSQL; SQLite write transactions begin IMMEDIATE), so of simultaneous claims exactly one
    wins, and a ticket resolved or assigned meanwhile is refused, never half-claimed. `version`,
    when given (the version the agent saw), refuses a ticket changed since."""
    number = normalise_number(number)

    def work(s: Session) -> TicketRow:
        require(s, actor, "tickets.claim")
        ticket = find_ticket(s, number, lock=True)
        if version is not None and ticket.version != version and ticket.assignee_id is None:
            # (taken meanwhile: the check below says by whom)
            raise Conflict(
                later(
                    "{number} changed since it was shown: nothing was done; look at it again", number=number
                )
            )
        if not ticket.is_open:
            raise InvalidInput(
                {
                    "status": later(
                        "{number} is {status}: only open tickets can be claimed",
                        number=number,
                        status=status_words(ticket.status),
                    )
                }
            )
        if not actor.is_supervisor and ticket.team_id != actor.team_id:
            raise InvalidInput({"team": later("{number} is in another team's queue", number=number)})
        if ticket.assignee_id is not None:
            holder = s.get(Agent, ticket.assignee_id)
            raise Conflict(
                later("{number} is already taken by {name}", number=number, name=holder.name)
                if holder
                else later("{number} is already taken by someone else", number=number)
            )
        now = clock.now()
        before = ticket.status
        ticket.assignee_id = actor.id
        ticket.assigned_at = now
        ticket.first_assigned_at = ticket.first_assigned_at or now  # the first pick-up
        ticket.responded_at = ticket.responded_at or now
        touch(ticket, Status.ASSIGNED if before == Status.NEW else before)
        record_event(
            s,
            ticket,
            actor.id,
            EventKind.CLAIMED,
            f"claimed by {actor.name}",
            data={"from": before, "to": ticket.status, "version": ticket.version},
        )
        s.flush()
        query, _ = row_query()
        return to_row(s.exec(query.where(Ticket.id == ticket.id)).one())

    return db.retrying(work)


def list_tickets_by_numbers(db: Database, numbers: list[str]) -> list[TicketRow]:
    query, _ = row_query()
    with db.read() as s:
        return [to_row(r) for r in s.exec(query.where(col(Ticket.number).in_(numbers))).all()]


def count_tickets(db: Database) -> int:
    with db.read() as s:
        return s.exec(select(func.count()).select_from(Ticket)).one()
