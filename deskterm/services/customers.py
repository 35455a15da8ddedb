"""Callers at intake: lookup by phone from four digits (the number's beginning or its ending),
devices by serial, and the screen pop (the caller's open tickets, last five tickets and devices);
`customer search` by phone, name or organisation."""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from ..db import Database
from ..i18n import later
from ..models import Category, Customer, CustomerPhone, Device, Organisation, Ticket
from . import inputs
from .auth import Actor, require
from .directory import warranty_status
from .errors import InvalidInput, NotFound
from .per_database import PerDatabase
from .phones import ending_variants, lookup_variants, prefix_bounds
from .ticket_rows import TicketRow, row_query, to_row

MIN_DIGITS = 4  # from this many digits on, a number is found by its beginning or by its ending
SEARCH_MAX = 200  # `customer search`: at most this many customers


@dataclass(frozen=True)
class CallerMatch:
    customer_id: int
    name: str
    organisation: str
    customer_class: str  # key | standard
    phone: str  # as the caller once gave it
    digits: str


@dataclass(frozen=True)
class DeviceView:
    id: int
    serial: str
    model: str
    customer_id: int | None
    owner: str
    organisation: str
    warranty_end: date | None
    warranty: str  # in | out | unknown, computed from the end date
    category: str  # the category of the device's latest ticket ("" if none): a suggestion


@dataclass(frozen=True)
class CallerPop:
    """What the operator sees the moment a caller is picked."""

    caller: CallerMatch
    open_tickets: list[TicketRow]
    recent: list[TicketRow]  # the last five tickets, newest first
    devices: list[DeviceView]


def lookup(db: Database, actor: Actor, typed: str, *, limit: int = 8) -> list[CallerMatch]:
    """Customers whose phone starts with the digits typed (from MIN_DIGITS on), whatever the
    separators and with or without the country prefix, then those whose phone ends with them (the
    last four digits a caller reads out, or a number typed without its area or country code)."""
    with db.read() as s:
        require(s, actor, "tickets.read")
        return _by_phone(db, s, typed, limit)


def search(db: Database, actor: Actor, text: str, *, limit: int = 20) -> list[CallerMatch]:
    """`customer search`: customers by phone digits (as lookup: beginning, then ending), then by
    name, then by organisation (case-insensitive, literally: % and _ are no wildcards)."""
    text = " ".join(inputs.key(text).split())
    if not text:
        raise InvalidInput({"text": "a phone number, a name or an organisation to search for"})
    if not 1 <= limit <= SEARCH_MAX:
        raise InvalidInput({"limit": later("from 1 to {n}", n=SEARCH_MAX)})
    pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    with db.read() as s:
        require(s, actor, "tickets.read")
        found = {m.customer_id: m for m in _by_phone(db, s, text, limit)}
        for column in (col(Customer.name), col(Organisation.name)):
            if len(found) >= limit:
                break
            rows = s.exec(
                _match_query(with_phone=False)
                .where(column.ilike(pattern, escape="\\"), col(Customer.id).not_in(found))
                .order_by(column, col(Customer.id), col(CustomerPhone.id))
                .limit(limit * 2)
            ).all()
            for m in _matches(rows):
                found.setdefault(m.customer_id, m)
    return list(found.values())[:limit]


def _by_phone(db: Database, s: Session, typed: str, limit: int) -> list[CallerMatch]:
    """By the number's beginning (an index range scan), then by its ending (the in-memory index of
    reversed digits). Four digits often begin thousands of numbers ("1391"): the endings then
    keep up to half of the `limit`, so a caller's last four digits always show them."""
    endings = [v for v in ending_variants(typed) if len(v) >= MIN_DIGITS]
    if not endings:  # lookup_variants are never longer than the digits typed
        return []
    ranges = []
    for v in lookup_variants(typed):
        low, high = prefix_bounds(v)
        if len(v) >= MIN_DIGITS:
            digits = col(CustomerPhone.digits)
            ranges.append(and_(digits >= low, digits < high) if high else digits >= low)
    by_start = []
    if ranges:
        query = _match_query().where(or_(*ranges)).order_by(col(CustomerPhone.digits)).limit(limit * 2)
        by_start = _matches(s.exec(query).all())
    ids = {i for v in endings for i in _suffixes(db).ending_with(s, v, limit * 2)}
    by_end = []
    if ids:
        query = _match_query().where(col(CustomerPhone.id).in_(ids)).order_by(col(CustomerPhone.digits))
        starts = {m.customer_id for m in by_start}
        by_end = [m for m in _matches(s.exec(query).all()) if m.customer_id not in starts]
    by_start = by_start[: max(limit // 2, limit - len(by_end))]
    return (by_start + by_end)[:limit]


def _matches(rows: Any) -> list[CallerMatch]:
    """One match a customer (their first phone in `rows`), in the order of `rows`."""
    found: dict[int, CallerMatch] = {}
    for r in rows:
        if r.customer_id not in found:
            found[r.customer_id] = CallerMatch(
                r.customer_id,
                r.name,
                r.organisation or "",
                r.customer_class or "standard",
                r.number or "",
                r.digits or "",
            )
    return list(found.values())


class _SuffixIndex:
    """Phone digits reversed, sorted, in memory: a number typed without its area or country
    prefix is found by its ending with a binary search instead of a scan of the phone table
    (a LIKE '%...' costs 5-15 ms on 57k phones). Loaded once per process, then topped up with
    the phones added since (ids only grow; a phone's digits are never edited)."""

    def __init__(self) -> None:
        self.keys: list[tuple[str, int]] = []
        self.last_id = 0
        self.lock = threading.Lock()

    def ending_with(self, s: Session, digits: str, limit: int) -> list[int]:
        with self.lock:
            newer = s.exec(
                select(CustomerPhone.id, CustomerPhone.digits)
                .where(col(CustomerPhone.id) > self.last_id)
                .order_by(col(CustomerPhone.id))
            ).all()
            if newer:
                added = [(d[::-1], i) for i, d in newer if i is not None]
                if len(added) > 100:
                    self.keys = sorted(self.keys + added)
                else:
                    for key in added:
                        bisect.insort(self.keys, key)
                self.last_id = newer[-1][0] or self.last_id
            target = digits[::-1]
            at = bisect.bisect_left(self.keys, (target, -1))
            found: list[int] = []
            while at < len(self.keys) and self.keys[at][0].startswith(target) and len(found) < limit:
                found.append(self.keys[at][1])
                at += 1
            return found


_suffixes: PerDatabase[_SuffixIndex] = PerDatabase(lambda db: _SuffixIndex())


def warm_up(db: Database) -> None:
    """Load the phone-ending index (consoles call this in the background after login)."""
    with db.read() as s:
        _suffixes(db).ending_with(s, "0" * MIN_DIGITS, 0)


def _match_query(*, with_phone: bool = True) -> Any:
    """Customers with a phone (`with_phone`: only those; else a customer without one too, with
    number and digits None), named columns."""
    return (
        select_columns(
            col(CustomerPhone.id).label("phone_id"),
            col(Customer.id).label("customer_id"),
            col(CustomerPhone.number).label("number"),
            col(CustomerPhone.digits).label("digits"),
            col(Customer.name).label("name"),
            col(Organisation.name).label("organisation"),
            col(Organisation.customer_class).label("customer_class"),
        )
        .select_from(Customer)
        .join(CustomerPhone, col(CustomerPhone.customer_id) == Customer.id, isouter=not with_phone)
        .join(Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True)
    )


def caller(session: Session, customer_id: int) -> CallerMatch | None:
    row = session.exec(
        select(Customer, Organisation)
        .join(Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True)
        .where(Customer.id == customer_id)
    ).first()
    if row is None:
        return None
    customer, org = row
    phone = session.exec(
        select(CustomerPhone).where(CustomerPhone.customer_id == customer_id).order_by(col(CustomerPhone.id))
    ).first()
    return CallerMatch(
        customer_id,
        customer.name,
        org.name if org else "",
        org.customer_class if org else "standard",
        phone.number if phone else "",
        phone.digits if phone else "",
    )


def caller_pop(db: Database, actor: Actor, customer_id: int, *, open_limit: int = 20) -> CallerPop:
    """The screen pop: the caller, their open tickets (most urgent first), last five, devices."""
    query, _ = row_query()
    with db.read() as s:
        require(s, actor, "tickets.read")
        who = caller(s, customer_id)
        if who is None:
            raise NotFound(later("no customer {id}", id=customer_id))
        open_rows = s.exec(
            query.where(Ticket.customer_id == customer_id, col(Ticket.is_open).is_(True))
            .order_by(col(Ticket.priority), col(Ticket.id).desc())
            .limit(open_limit)
        ).all()
        recent = s.exec(
            query.where(Ticket.customer_id == customer_id).order_by(col(Ticket.id).desc()).limit(5)
        ).all()
        devices = s.exec(
            select(Device).where(Device.customer_id == customer_id).order_by(col(Device.id))
        ).all()
        views = [_device_view(s, d, who.name, who.organisation) for d in devices]
    return CallerPop(who, [to_row(r) for r in open_rows], [to_row(r) for r in recent], views)


def find_device(session: Session, serial: str) -> Device | None:
    """A device by its serial as typed, or in capitals (serials are read out letter by letter)."""
    serial = inputs.key(serial)
    if not serial:
        return None
    device = session.exec(select(Device).where(Device.serial == serial)).first()
    if device is None and serial.upper() != serial:
        device = session.exec(select(Device).where(Device.serial == serial.upper())).first()
    return device


def device_by_serial(db: Database, actor: Actor, serial: str) -> DeviceView | None:
    """A known device with its owner and computed warranty; None if the serial is new."""
    with db.read() as s:
        require(s, actor, "tickets.read")
        device = find_device(s, serial)
        if device is None:
            return None
        owner = caller(s, device.customer_id) if device.customer_id else None
        return _device_view(s, device, owner.name if owner else "", owner.organisation if owner else "")


def _device_view(s: Session, d: Device, owner: str, organisation: str) -> DeviceView:
    assert d.id is not None
    category = s.exec(
        select(Category.path)
        .join(Ticket, col(Ticket.category_id) == Category.id)
        .where(Ticket.device_id == d.id)
        .order_by(col(Ticket.id).desc())
        .limit(1)
    ).first()
    return DeviceView(
        id=d.id,
        serial=d.serial,
        model=d.model,
        customer_id=d.customer_id,
        owner=owner,
        organisation=organisation,
        warranty_end=d.warranty_end,
        warranty=warranty_status(d.warranty_end),
        category=category or "",
    )
