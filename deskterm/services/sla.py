"""SLA due times for a ticket from its policy and calendar (stored on the ticket for the queries).

A policy is chosen by the ticket's priority and its customer's class (a policy for the class wins
over the one for any class, ""). Due times are computed at creation and recomputed whenever the
priority, the policy or the pause state changes (`recompute_due_times`). The clock starts when the
ticket is created and again, with the whole targets, when it is reopened (`restart`: the latest
`reopened` event); it stops during every pause (`stop` when the ticket starts waiting on the customer
or a third party, `resume` when it stops waiting), which the event that ends it records as data
{"pause": [start, end]}. While a pause is open (`sla_paused_at`) a due time is unknown (None:
never breached) unless it fell before the pause."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from ..clock import as_utc
from ..models import Customer, EventKind, Organisation, SlaCalendar, SlaPolicy, Ticket, TicketEvent
from .sla_calendar import BusinessCalendar, add_business_minutes, due_time

Pause = tuple[datetime, datetime]
Span = tuple[datetime, datetime | None]  # a pause, or (end None) the open one
ALWAYS_OPEN = BusinessCalendar(always_open=True)


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

    def calendars(self, priorities: Iterable[int]) -> set[BusinessCalendar]:
        """The calendars the tickets of these priorities may run on."""
        return {t.calendar for p in priorities for t in self.targets(p)}

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


def pauses_from_data(rows: Iterable[str | None]) -> list[Pause]:
    out = []
    for raw in rows:
        pause = json.loads(raw).get("pause") if raw else None
        if pause:
            out.append((datetime.fromisoformat(pause[0]), datetime.fromisoformat(pause[1])))
    return out


ClockRow = tuple[str, datetime, str | None]  # an event's (kind, at, data)


def clock_events(ticket_ids: Iterable[int | None]) -> Any:
    """The events that shape tickets' SLA clocks, as (ticket id, kind, at, data): the reopens
    (the clock starts again) and the ends of pauses."""
    return select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.at, TicketEvent.data).where(
        col(TicketEvent.ticket_id).in_(list(ticket_ids)),
        or_(col(TicketEvent.kind) == EventKind.REOPENED, col(TicketEvent.data).contains('"pause"')),
    )


def clock_from_rows(created_at: datetime, rows: Iterable[ClockRow]) -> tuple[datetime, list[Pause]]:
    """(start, closed pauses) of a ticket's clock: it starts at creation, again at the latest reopen."""
    start, data = created_at, []
    for kind, at, raw in rows:
        if kind == EventKind.REOPENED:
            start = max(start, as_utc(at))
        data.append(raw)
    return start, pauses_from_data(data)


def clock_of(session: Session, ticket: Ticket) -> tuple[datetime, list[Pause]]:
    """(start, closed pauses) of the ticket's clock, read from its events."""
    if ticket.id is None:
        return ticket.created_at, []
    session.flush()
    rows = session.exec(clock_events([ticket.id])).all()
    return clock_from_rows(ticket.created_at, [(kind, at, data) for _tid, kind, at, data in rows])


def pauses(session: Session, ticket: Ticket) -> list[Pause]:
    """The ticket's closed pauses, from the events that ended them."""
    return clock_of(session, ticket)[1]


def due_times(
    respond_minutes: int, resolve_minutes: int, cal: BusinessCalendar, start: datetime, pauses: Sequence[Span]
) -> tuple[datetime | None, datetime | None]:
    """(respond-by, resolve-by) of a clock started at `start` and stopped during `pauses`."""
    return due_time(cal, start, respond_minutes, pauses), due_time(cal, start, resolve_minutes, pauses)


def recompute_due_times(
    session: Session,
    ticket: Ticket,
    pauses: list[Pause] | None = None,
    *,
    start: datetime | None = None,
    ended: Pause | None = None,
) -> bool:
    """Recompute the stored due times after the priority, the policy or the pause state changed.

    The clock runs from `start` and stops during `pauses` (both read from the ticket's events
    unless given: the creation or the latest reopen, every closed pause), during `ended` (a pause
    that has just ended, not recorded yet) and during the open pause. Respond-by only while the
    ticket has not been responded to. Changes the fields only: the caller records the event and
    bumps the version in the same transaction. True when a due time moved."""
    policy, cal = policy_for(session, ticket.priority, customer_class_of(session, ticket))
    if pauses is None:
        start, pauses = clock_of(session, ticket)
    spans: list[Span] = [*pauses]
    if ended is not None:
        spans.append(ended)
    if ticket.sla_paused_at is not None:
        spans.append((ticket.sla_paused_at, None))
    respond, resolve = due_times(
        policy.respond_minutes, policy.resolve_minutes, cal, start or ticket.created_at, spans
    )
    before = (ticket.respond_by, ticket.resolve_by)
    ticket.resolve_by = resolve
    if ticket.responded_at is None:
        ticket.respond_by = respond
    return (ticket.respond_by, ticket.resolve_by) != before


def stop(session: Session, ticket: Ticket, now: datetime) -> None:
    """The ticket waits on the customer or a third party: its clock stops (`sla_paused_at` marks
    the open pause) and its due times are unknown until it runs again, unless they fell before."""
    ticket.sla_paused_at = now
    recompute_due_times(session, ticket)


def resume(session: Session, ticket: Ticket, now: datetime) -> Pause:
    """The wait is over: the clock runs again; the due times move by the pause, which is returned
    for the event that ends it to record as data {"pause": [start, end]}."""
    start = ticket.sla_paused_at or now
    ticket.sla_paused_seconds += int((now - start).total_seconds())
    ticket.sla_paused_at = None
    recompute_due_times(session, ticket, ended=(start, now))
    return start, now


def restart(session: Session, ticket: Ticket, at: datetime) -> dict[str, Any]:
    """A reopened ticket's clock starts again at `at` with the policy's whole targets: a new
    resolve-by, and a new respond-by when nobody has the ticket (it waits in a queue to be picked
    up again). Returns what changed, for the reopen event."""
    before = {"respond_by": ticket.respond_by, "resolve_by": ticket.resolve_by}
    data: dict[str, Any] = {"sla_from": at.isoformat()}
    if ticket.assignee_id is None and ticket.responded_at is not None:
        data["responded_at"] = [ticket.responded_at.isoformat(), None]
        ticket.responded_at = None
    recompute_due_times(session, ticket, [], start=at)
    for key, old in before.items():
        new = getattr(ticket, key)
        if new != old:
            data[key] = [old.isoformat() if old else None, new.isoformat() if new else None]
    return data


def handover_due(cal: BusinessCalendar, since: datetime, minutes: float) -> datetime:
    """When a ticket waiting since `since` must have been handed over: `minutes` counted in the
    ticket's SLA calendar (business hours, or all hours for a 24x7 policy)."""
    return add_business_minutes(cal, since, minutes)


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
