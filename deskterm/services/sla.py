"""SLA due times for a ticket from its policy and calendar (stored on the ticket for the queries)."""

from __future__ import annotations

import json
from datetime import datetime
from functools import lru_cache

from sqlmodel import Session, select

from ..models import Organisation, SlaCalendar, SlaPolicy, Ticket
from .sla_calendar import BusinessCalendar, due_time


@lru_cache(maxsize=64)
def _calendar(timezone: str, always_open: bool, spec: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec(timezone=timezone, always_open=always_open, spec=json.loads(spec))


def policy_for(session: Session, priority: int, customer_class: str) -> tuple[SlaPolicy, BusinessCalendar]:
    policies = session.exec(select(SlaPolicy).where(SlaPolicy.priority == priority)).all()
    if not policies:
        raise LookupError(f"no SLA policy for P{priority}: run `deskterm db upgrade` to load the defaults")
    policy = next((p for p in policies if p.customer_class == customer_class), None) or next(
        (p for p in policies if p.customer_class == ""), policies[0]
    )
    cal = session.get(SlaCalendar, policy.calendar_id)
    assert cal is not None
    return policy, _calendar(cal.timezone, cal.always_open, cal.spec)


def customer_class_of(session: Session, ticket: Ticket) -> str:
    from ..models import Customer

    if ticket.customer_id is None:
        return "standard"
    customer = session.get(Customer, ticket.customer_id)
    org = (
        session.get(Organisation, customer.organisation_id) if customer and customer.organisation_id else None
    )
    return org.customer_class if org else "standard"


def set_due_times(session: Session, ticket: Ticket, start: datetime | None = None) -> None:
    """Compute respond-by and resolve-by from the ticket's priority and customer class."""
    policy, cal = policy_for(session, ticket.priority, customer_class_of(session, ticket))
    start = start or ticket.created_at
    ticket.respond_by = due_time(cal, start, policy.respond_minutes)
    ticket.resolve_by = due_time(cal, start, policy.resolve_minutes)
