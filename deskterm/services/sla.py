"""SLA due times for a ticket from its policy and calendar (stored on the ticket for the queries).

A policy is chosen by the ticket's priority and its customer's class (a policy for the class wins
over the one for any class, ""). Due times are computed at creation and recomputed, from the
creation time with every closed pause, whenever the priority, the policy or the pause state changes
(`recompute_due_times`). While a pause is open the stored due times stay as they were; the
ticket's `sla_paused_at` says the clock is stopped."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlmodel import Session, col, select

from ..models import Customer, Organisation, SlaCalendar, SlaPolicy, Ticket, TicketEvent
from .sla_calendar import BusinessCalendar, due_time

Pause = tuple[datetime, datetime]


@lru_cache(maxsize=64)
def _calendar(timezone: str, always_open: bool, spec: str) -> BusinessCalendar:
    return BusinessCalendar.from_spec(timezone=timezone, always_open=always_open, spec=json.loads(spec))


def calendar_of(cal: SlaCalendar) -> BusinessCalendar:
    return _calendar(cal.timezone, cal.always_open, cal.spec)


def pick_policy(policies: list[SlaPolicy], customer_class: str) -> SlaPolicy | None:
    """The class's own policy, else the one for any class ("")."""
    return next((p for p in policies if p.customer_class == customer_class), None) or next(
        (p for p in policies if p.customer_class == ""), policies[0] if policies else None
    )


def policy_for(session: Session, priority: int, customer_class: str) -> tuple[SlaPolicy, BusinessCalendar]:
    policies = list(session.exec(select(SlaPolicy).where(SlaPolicy.priority == priority)).all())
    policy = pick_policy(policies, customer_class)
    if policy is None:
        raise LookupError(f"no SLA policy for P{priority}: run `deskterm db upgrade` to load the defaults")
    cal = session.get(SlaCalendar, policy.calendar_id)
    assert cal is not None
    return policy, calendar_of(cal)


@dataclass(frozen=True)
class Target:
    """What a policy asks of one ticket: minutes to respond and to resolve, in its calendar."""

    policy: str
    respond_minutes: int
    resolve_minutes: int
    calendar: BusinessCalendar


class PolicyBook:
    """Every policy and calendar, loaded once (the watcher looks up thousands of tickets a pass)."""

    def __init__(self, session: Session) -> None:
        calendars = {c.id: calendar_of(c) for c in session.exec(select(SlaCalendar)).all()}
        self._by_priority: dict[int, list[SlaPolicy]] = {}
        for p in session.exec(select(SlaPolicy)).all():
            self._by_priority.setdefault(p.priority, []).append(p)
        self._calendars = calendars
        self._cache: dict[tuple[int, str], Target | None] = {}

    def target(self, priority: int, customer_class: str) -> Target | None:
        key = (priority, customer_class)
        if key not in self._cache:
            p = pick_policy(self._by_priority.get(priority, []), customer_class)
            self._cache[key] = (
                None
                if p is None
                else Target(p.name, p.respond_minutes, p.resolve_minutes, self._calendars[p.calendar_id])
            )
        return self._cache[key]

    @property
    def has_class_policies(self) -> bool:
        """Whether any policy is for one customer class (then the class must be looked up)."""
        return any(p.customer_class for ps in self._by_priority.values() for p in ps)

    def targets(self, priority: int) -> list[Target]:
        """Every target a ticket of this priority may have (one per customer class)."""
        out = []
        for p in self._by_priority.get(priority, []):
            t = self.target(priority, p.customer_class)
            if t is not None:
                out.append(t)
        return out

    def shortest(self, priorities: set[int] | None, what: str) -> int:
        """The shortest respond/resolve target among the given priorities (all when None)."""
        minutes = [
            getattr(p, f"{what}_minutes")
            for prio, ps in self._by_priority.items()
            if priorities is None or prio in priorities
            for p in ps
        ]
        return min(minutes, default=0)


def customer_class_of(session: Session, ticket: Ticket) -> str:
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


def closed_pauses(session: Session, ticket: Ticket) -> list[Pause]:
    """The ticket's closed SLA pauses: the event that ends a pause records {"pause": [start, end]}."""
    rows = session.exec(
        select(TicketEvent.data).where(
            TicketEvent.ticket_id == ticket.id, col(TicketEvent.data).contains('"pause"')
        )
    ).all()
    return pauses_from_data(rows)


def pauses_from_data(rows: list[str]) -> list[Pause]:
    out = []
    for raw in rows:
        pause = json.loads(raw).get("pause") if raw else None
        if pause:
            out.append((datetime.fromisoformat(pause[0]), datetime.fromisoformat(pause[1])))
    return out


def due_times(
    respond_minutes: int, resolve_minutes: int, cal: BusinessCalendar, start: datetime, pauses: list[Pause]
) -> tuple[datetime | None, datetime | None]:
    """(respond-by, resolve-by) of a clock started at `start` and stopped during `pauses`."""
    return due_time(cal, start, respond_minutes, pauses), due_time(cal, start, resolve_minutes, pauses)


def recompute_due_times(session: Session, ticket: Ticket, pauses: list[Pause] | None = None) -> bool:
    """Recompute the stored due times after the priority, the policy or the pause state changed.

    From the creation time, with every closed pause (read from the ticket's events unless given);
    respond-by only while the ticket has not been responded to. Changes the fields only: the caller
    records the event and bumps the version in the same transaction. True when a due time moved."""
    policy, cal = policy_for(session, ticket.priority, customer_class_of(session, ticket))
    if pauses is None:
        if ticket.id is not None:
            session.flush()
        pauses = closed_pauses(session, ticket) if ticket.id is not None else []
    respond, resolve = due_times(
        policy.respond_minutes, policy.resolve_minutes, cal, ticket.created_at, pauses
    )
    before = (ticket.respond_by, ticket.resolve_by)
    if resolve is not None:
        ticket.resolve_by = resolve
    if respond is not None and ticket.responded_at is None:
        ticket.respond_by = respond
    return (ticket.respond_by, ticket.resolve_by) != before


def business_start(cal: BusinessCalendar, end: datetime, minutes: float) -> datetime:
    """The latest moment S with `minutes` of open time in [S, end]: business time counted back."""
    from datetime import UTC, timedelta

    end = end.astimezone(UTC)
    budget = timedelta(minutes=minutes)
    if cal.always_open:
        return end - budget
    day = end.astimezone(cal.tz).date()
    for _ in range(3660):  # ten years back at most: a calendar always opens sooner
        for a, b in reversed(cal._day_intervals(day)):
            if a >= end:
                continue
            b = min(b, end)
            if budget <= b - a:
                return b - budget
            budget -= b - a
        day -= timedelta(days=1)
    raise ValueError("the calendar has no open hours in the ten years before " + end.isoformat())
