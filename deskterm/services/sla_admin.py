"""SLA policies and calendars as data: list, add, edit; load a country's public holidays into a
calendar. A change recomputes the due times of the open tickets it affects (each with an event)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ..db import Database
from ..i18n import later
from ..models import EventKind, SlaCalendar, SlaPolicy, Ticket
from . import inputs, sla, tickets
from .auth import Actor, require
from .errors import Conflict, InvalidInput, NotFound
from .sla_calendar import BusinessCalendar, country_days


@dataclass(frozen=True)
class PolicyRow:
    id: int
    name: str
    priority: int
    customer_class: str  # "" = any class
    respond_minutes: int
    resolve_minutes: int
    calendar: str


@dataclass(frozen=True)
class CalendarRow:
    id: int
    name: str
    timezone: str
    always_open: bool
    spec: dict
    policies: int  # how many policies use it


def _require_manager(s: Session, actor: Actor) -> None:
    """Policies are the desk's contract: supervisors and admins."""
    require(s, actor, "desk.configure")


# --- policies ----------------------------------------------------------------------------------------


def list_policies(db: Database) -> list[PolicyRow]:
    with db.read() as s:
        names = dict(s.exec(select(SlaCalendar.id, SlaCalendar.name)).all())
        order = col(SlaPolicy.priority), col(SlaPolicy.customer_class)
        rows = s.exec(select(SlaPolicy).order_by(*order)).all()
        return [_policy_row(p, names) for p in rows]


def _policy_row(p: SlaPolicy, names: dict[int | None, str]) -> PolicyRow:
    assert p.id is not None
    return PolicyRow(
        p.id, p.name, p.priority, p.customer_class, p.respond_minutes, p.resolve_minutes, names[p.calendar_id]
    )


def _calendar_named(s: Session, name: str) -> SlaCalendar:
    cal = s.exec(select(SlaCalendar).where(SlaCalendar.name == inputs.key(name))).first()
    if cal is None:
        raise InvalidInput({"calendar": later("no calendar '{name}'", name=name)})
    return cal


def _check_minutes(respond: int | None, resolve: int | None) -> None:
    errors = {}
    if respond is not None and not 0 < respond <= 60 * 24 * 365:
        errors["respond"] = "minutes above 0"
    if resolve is not None and not 0 < resolve <= 60 * 24 * 365:
        errors["resolve"] = "minutes above 0"
    if respond is not None and resolve is not None and resolve < respond:
        errors["resolve"] = "at least the respond target"
    if errors:
        raise InvalidInput(errors)


def add_policy(
    db: Database,
    actor: Actor,
    *,
    priority: int,
    respond_minutes: int,
    resolve_minutes: int,
    calendar: str,
    customer_class: str = "",
    name: str = "",
) -> tuple[PolicyRow, int]:
    """A policy for a priority (and optionally one customer class); returns it and how many open
    tickets got new due times."""
    if priority not in range(1, 6):
        raise InvalidInput({"priority": "1-5"})
    _check_minutes(respond_minutes, resolve_minutes)
    customer_class = inputs.line(customer_class, "class", SlaPolicy.customer_class)
    name = inputs.line(name, "name", SlaPolicy.name)
    try:
        with db.write() as s:
            _require_manager(s, actor)
            cal = _calendar_named(s, calendar)
            if s.exec(
                select(SlaPolicy.id).where(
                    SlaPolicy.priority == priority, SlaPolicy.customer_class == customer_class
                )
            ).first():
                raise Conflict(
                    later(
                        "P{priority} has a policy for {what} already: edit it",
                        priority=priority,
                        what=customer_class,
                    )
                    if customer_class
                    else later("P{priority} has a policy for any class already: edit it", priority=priority)
                )
            assert cal.id is not None  # a stored row
            policy = SlaPolicy(
                name=name or f"P{priority}{' ' + customer_class if customer_class else ''}",
                priority=priority,
                customer_class=customer_class,
                respond_minutes=respond_minutes,
                resolve_minutes=resolve_minutes,
                calendar_id=cal.id,
            )
            s.add(policy)
            s.flush()
            changed = recompute_open(s, {priority}, f"new SLA policy {policy.name}")
            return _policy_row(policy, {cal.id: cal.name}), changed
    except IntegrityError:
        raise Conflict(
            later("P{priority} has a policy for {what} already", priority=priority, what=customer_class)
            if customer_class
            else later("P{priority} has a policy for any class already", priority=priority)
        ) from None


def find_policy(s: Session, ref: str) -> SlaPolicy:
    """By id, or 'P2' (any class) / 'P2:key'."""
    ref = inputs.key(ref)
    if ref.isdigit():
        policy = s.get(SlaPolicy, int(ref))
    else:
        prio, _, klass = ref.upper().removeprefix("P").partition(":")
        policy = (
            s.exec(
                select(SlaPolicy).where(
                    SlaPolicy.priority == int(prio), SlaPolicy.customer_class == klass.lower()
                )
            ).first()
            if prio.isdigit()
            else None
        )
    if policy is None:
        raise NotFound(later("no SLA policy '{ref}' (give its id, or P2, or P2:key)", ref=ref))
    return policy


def edit_policy(
    db: Database,
    actor: Actor,
    ref: str,
    *,
    respond_minutes: int | None = None,
    resolve_minutes: int | None = None,
    calendar: str | None = None,
    name: str | None = None,
) -> tuple[PolicyRow, int]:
    name = inputs.line(name, "name", SlaPolicy.name) if name is not None else None
    with db.write() as s:
        _require_manager(s, actor)
        policy = find_policy(s, ref)
        s.refresh(policy, with_for_update=True)  # two edits: each checks the other's minutes
        _check_minutes(
            respond_minutes if respond_minutes is not None else policy.respond_minutes,
            resolve_minutes if resolve_minutes is not None else policy.resolve_minutes,
        )
        if respond_minutes is not None:
            policy.respond_minutes = respond_minutes
        if resolve_minutes is not None:
            policy.resolve_minutes = resolve_minutes
        if calendar is not None:
            cal = _calendar_named(s, calendar)
            assert cal.id is not None  # a stored row
            policy.calendar_id = cal.id
        if name:
            policy.name = name
        s.flush()
        changed = recompute_open(s, {policy.priority}, f"SLA policy {policy.name} changed")
        names = dict(s.exec(select(SlaCalendar.id, SlaCalendar.name)).all())
        return _policy_row(policy, names), changed


def recompute_open(s: Session, priorities: set[int], reason: str) -> int:
    """New due times for the open tickets of these priorities; each change writes an event."""
    changed = 0
    last = 0
    while True:
        batch = s.exec(
            select(Ticket)
            .where(
                col(Ticket.is_open).is_(True),
                col(Ticket.priority).in_(sorted(priorities)),
                col(Ticket.id) > last,
            )
            .order_by(col(Ticket.id))
            .limit(500)
            .with_for_update()  # each is written from what was read here
        ).all()
        if not batch:
            return changed
        last = batch[-1].id or last
        events: dict[int, list[sla.ClockRow]] = {}
        for tid, kind, at, data in s.exec(sla.clock_events(t.id for t in batch)).all():
            events.setdefault(tid, []).append((kind, at, data))
        for t in batch:
            before = (t.respond_by, t.resolve_by)
            if t.sla_paused_at is not None:
                continue  # a stopped clock is recomputed when it runs again
            start, pauses = sla.clock_from_rows(t.created_at, events.get(t.id or 0, []))
            if not sla.recompute_due_times(s, t, pauses, start=start):
                continue
            tickets.touch(t)
            tickets.record_event(
                s,
                t,
                None,
                EventKind.UPDATED,
                f"SLA due times recomputed: {reason}",
                data={
                    "respond_by": [_iso(before[0]), _iso(t.respond_by)],
                    "resolve_by": [_iso(before[1]), _iso(t.resolve_by)],
                    "version": t.version,
                },
            )
            changed += 1


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


# --- calendars ---------------------------------------------------------------------------------------


def list_calendars(db: Database) -> list[CalendarRow]:
    with db.read() as s:
        used = Counter(s.exec(select(SlaPolicy.calendar_id)).all())  # policies per calendar
        return [
            CalendarRow(
                c.id or 0, c.name, c.timezone, c.always_open, json.loads(c.spec or "{}"), used[c.id or 0]
            )
            for c in s.exec(select(SlaCalendar).order_by(SlaCalendar.name)).all()
        ]


def parse_hours(text: str) -> dict[str, list[list[str]]]:
    """'0-4=09:00-18:00' or '0-4=09:00-12:00,13:00-18:00; 5=10:00-14:00' (0 = Monday)."""
    hours: dict[str, list[list[str]]] = {}
    for part in filter(None, (p.strip() for p in text.split(";"))):
        days, _, spans = part.partition("=")
        if "-" in days:
            a, b = days.split("-", 1)
            day_list = range(int(a), int(b) + 1) if a.isdigit() and b.isdigit() else []
        else:
            day_list = [int(days)] if days.strip().isdigit() else []
        if not day_list or not spans:
            raise InvalidInput({"hours": "like 0-4=09:00-18:00 (0 = Monday; ';' between groups)"})
        pairs = [span.strip().split("-") for span in spans.split(",")]
        if any(len(p) != 2 for p in pairs):
            raise InvalidInput({"hours": "each span like 09:00-18:00"})
        for d in day_list:
            hours[str(d)] = [[a.strip(), b.strip()] for a, b in pairs]
    return hours


def _validate(timezone: str, always_open: bool, spec: dict[str, Any]) -> None:
    try:
        BusinessCalendar.from_spec(timezone=timezone, always_open=always_open, spec=spec)
    except ValueError as e:
        raise InvalidInput({"calendar": str(e)}) from None


def add_calendar(
    db: Database,
    actor: Actor,
    *,
    name: str,
    timezone: str = "Asia/Shanghai",
    always_open: bool = False,
    hours: str | None = None,
    country: str | None = None,
) -> CalendarRow:
    errors: dict[str, str] = {}
    name = inputs.line(name, "name", SlaCalendar.name, errors=errors)
    timezone = inputs.line(timezone, "timezone", SlaCalendar.timezone, errors=errors)
    hours = inputs.line(hours, "hours", 500, errors=errors) if hours else hours
    country = inputs.line(country, "country", 10, errors=errors) if country else country
    if not name:
        errors.setdefault("name", "required")
    if errors:
        raise InvalidInput(errors)
    spec: dict[str, Any] = {}
    if hours:
        spec["hours"] = parse_hours(hours)
    if country:
        spec["country"] = country.upper()
    _validate(timezone, always_open, spec)
    try:
        with db.write() as s:
            _require_manager(s, actor)
            if s.exec(select(SlaCalendar.id).where(SlaCalendar.name == name)).first():
                raise Conflict(later("a calendar named '{name}' exists", name=name))
            cal = SlaCalendar(name=name, timezone=timezone, always_open=always_open, spec=json.dumps(spec))
            s.add(cal)
            s.flush()
            return CalendarRow(cal.id or 0, name, timezone, always_open, spec, 0)
    except IntegrityError:
        raise Conflict(later("a calendar named '{name}' exists", name=name)) from None


def edit_calendar(
    db: Database,
    actor: Actor,
    name: str,
    *,
    timezone: str | None = None,
    always_open: bool | None = None,
    hours: str | None = None,
    add_holidays: Sequence[date] = (),
    add_workdays: Sequence[date] = (),
    remove_dates: Sequence[date] = (),
    country: str | None = None,
) -> tuple[CalendarRow, int]:
    """Change a calendar; the open tickets under its policies get new due times (how many: returned)."""
    errors: dict[str, str] = {}
    timezone = (
        inputs.line(timezone, "timezone", SlaCalendar.timezone, errors=errors) if timezone else timezone
    )
    hours = inputs.line(hours, "hours", 500, errors=errors) if hours else hours
    country = inputs.line(country, "country", 10, errors=errors) if country else country
    if errors:
        raise InvalidInput(errors)
    with db.write() as s:
        _require_manager(s, actor)
        cal = _calendar_named(s, name)
        spec = json.loads(cal.spec or "{}")
        if hours is not None:
            spec["hours"] = parse_hours(hours)
        if country is not None:
            if country:
                spec["country"] = country.upper()
            else:
                spec.pop("country", None)
        drop = {d.isoformat() for d in remove_dates}
        for key, extra in (("holidays", add_holidays), ("workdays", add_workdays)):
            days = (set(spec.get(key, [])) | {d.isoformat() for d in extra}) - drop
            spec[key] = sorted(days)
        tz = timezone if timezone is not None else cal.timezone
        always = always_open if always_open is not None else cal.always_open
        _validate(tz, always, spec)
        cal.timezone, cal.always_open, cal.spec = tz, always, json.dumps(spec, ensure_ascii=False)
        s.flush()
        prios = set(s.exec(select(SlaPolicy.priority).where(SlaPolicy.calendar_id == cal.id)).all())
        changed = recompute_open(s, prios, f"SLA calendar {cal.name} changed") if prios else 0
        users = len(s.exec(select(SlaPolicy.id).where(SlaPolicy.calendar_id == cal.id)).all())
        return CalendarRow(cal.id or 0, cal.name, tz, always, spec, users), changed


def load_holidays(
    db: Database, actor: Actor, name: str, *, country: str, years: list[int]
) -> tuple[int, int, int]:
    """Write a country's public holidays and make-up workdays (调休) of these years into the
    calendar as explicit, editable dates (from the `holidays` package). Returns (holidays, workdays,
    open tickets recomputed)."""
    try:
        off, work = country_days(country, years)
    except ValueError as e:
        raise InvalidInput({"country": str(e)}) from None
    _row, changed = edit_calendar(db, actor, name, add_holidays=sorted(off), add_workdays=sorted(work))
    return len(off), len(work), changed
