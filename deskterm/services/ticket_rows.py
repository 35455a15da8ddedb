"""The ticket's read-models: the row a list shows (TicketRow, from one joined query: row_query,
row_columns, row_as), and the detail the ticket screen and the CLI show (TicketDetail with its
events, detail_of; the caller and device concerned, contact_of). Plain dataclasses: no ORM object
leaves the services."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from ..models import Agent, Category, Customer, CustomerPhone, Device, Organisation, Team, Ticket, TicketEvent

R = TypeVar("R")


@dataclass(frozen=True)
class TicketRow:
    id: int
    number: str
    priority: int
    status: str
    kind: str
    summary: str
    customer: str
    organisation: str
    team: str
    assignee: str
    resolve_by: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int

    def as_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))


@dataclass(frozen=True)
class EventView:
    id: int
    at: datetime
    kind: str
    actor: str
    body: str
    public: bool
    data: dict[str, Any]


@dataclass(frozen=True)
class TicketDetail:
    id: int
    number: str
    kind: str
    category: str
    impact: int
    urgency: int
    priority: int
    status: str
    channel: str
    service_mode: str
    warranty: str
    summary: str
    description: str
    customer: str
    organisation: str
    phone: str
    device_model: str
    device_serial: str
    team: str
    tier: int
    assignee: str
    created_by: str
    escalation_level: int
    chase_count: int
    respond_by: datetime | None
    resolve_by: datetime | None
    resolution: str
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None
    handle_seconds: int | None
    first_contact: bool
    version: int
    events: list[EventView] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))


def jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [jsonable(v) for v in value]
    return value


def join_names(query: Any, assignee: Any) -> Any:
    """A ticket query joined to what a row shows by name: caller, organisation, team, assignee
    (`assignee` is an aliased Agent)."""
    return (
        query.select_from(Ticket)
        .join(Customer, col(Customer.id) == Ticket.customer_id, isouter=True)
        .join(Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True)
        .join(Team, col(Team.id) == Ticket.team_id, isouter=True)
        .join(assignee, col(assignee.id) == Ticket.assignee_id, isouter=True)
    )


# The names a row shows of what is joined to the ticket (outer joins: "" when there is none).
NAMES = ("customer", "organisation", "team", "assignee")


def row_columns(
    model: Any, assignee: Any, *, besides: tuple[str, ...] = (), blank: bool = False
) -> list[Any]:
    """The columns of a ticket read-model's fields, labelled as them: the ticket's own, and NAMES
    from what join_names joins (`assignee` is its aliased Agent); `besides`: fields not read;
    `blank`: NAMES read as "" where there is none (so a row needs no fixing: model(*row))."""
    names = {
        "customer": Customer.name,
        "organisation": Organisation.name,
        "team": Team.name,
        "assignee": assignee.name,
    }

    def name(f: str) -> Any:
        return (func.coalesce(names[f], "") if blank else col(names[f])).label(f)

    return [
        name(f.name) if f.name in names else col(getattr(Ticket, f.name))
        for f in fields(model)
        if f.name not in besides
    ]


def row_as(model: Callable[..., R], row: Any) -> R:
    """A read-model from a row whose column labels are the model's fields (NAMES: "" for none)."""
    return model(**{k: "" if v is None and k in NAMES else v for k, v in row._mapping.items()})


@functools.cache  # a Select is immutable: build the joined base once
def row_query() -> tuple[Any, Any]:
    assignee = aliased(Agent)
    return join_names(select_columns(*row_columns(TicketRow, assignee)), assignee), assignee


def to_row(r: Any) -> TicketRow:
    return row_as(TicketRow, r)


def contact_of(
    s: Session, t: Ticket
) -> tuple[Customer | None, Organisation | None, str | None, Device | None]:
    """The ticket's caller, their organisation, first phone and the device concerned."""
    customer = s.get(Customer, t.customer_id) if t.customer_id else None
    org = s.get(Organisation, customer.organisation_id) if customer and customer.organisation_id else None
    phone = (
        s.exec(select(CustomerPhone.number).where(CustomerPhone.customer_id == customer.id)).first()
        if customer
        else None
    )
    device = s.get(Device, t.device_id) if t.device_id else None
    return customer, org, phone, device


def detail_of(s: Session, t: Ticket) -> TicketDetail:
    customer, org, phone, device = contact_of(s, t)
    category = s.get(Category, t.category_id) if t.category_id else None
    team = s.get(Team, t.team_id) if t.team_id else None
    names = dict(s.exec(select(Agent.id, Agent.name)).all())
    events = s.exec(
        select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(col(TicketEvent.id))
    ).all()
    assert t.id is not None
    return TicketDetail(
        id=t.id,
        number=t.number,
        kind=t.kind,
        category=category.path if category else "",
        impact=t.impact,
        urgency=t.urgency,
        priority=t.priority,
        status=t.status,
        channel=t.channel,
        service_mode=t.service_mode,
        warranty=t.warranty,
        summary=t.summary,
        description=t.description,
        customer=customer.name if customer else "",
        organisation=org.name if org else "",
        phone=phone or "",
        device_model=device.model if device else "",
        device_serial=device.serial if device else "",
        team=team.name if team else "",
        tier=t.tier,
        assignee=names.get(t.assignee_id, "") if t.assignee_id else "",
        created_by=names.get(t.created_by_id, "") if t.created_by_id else "",
        escalation_level=t.escalation_level,
        chase_count=t.chase_count,
        respond_by=t.respond_by,
        resolve_by=t.resolve_by,
        resolution=t.resolution,
        created_at=t.created_at,
        updated_at=t.updated_at,
        resolved_at=t.resolved_at,
        closed_at=t.closed_at,
        handle_seconds=t.handle_seconds,
        first_contact=t.first_contact,
        version=t.version,
        events=[
            EventView(
                id=e.id or 0,
                at=e.at,
                kind=e.kind,
                actor=names.get(e.actor_id, "") if e.actor_id else "system",
                body=e.body,
                public=e.public,
                data=json.loads(e.data) if e.data else {},
            )
            for e in events
        ],
    )
