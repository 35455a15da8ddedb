"""The personal work queue (UWQ): the views of one agent, a page of rows at a time, sorted and
filtered in SQL, with each view's count.

Views: Mine (assigned to me, not closed), Team (my team's unassigned open tickets, to claim),
Callbacks (resolved tickets awaiting the desk's callback), Escalated to me, Watching (tickets I
follow). Default order: breached first, then priority, then due time.

The default order is read a page at a time in index order, segment by segment (see SEGMENTS), and
paged by key (the last row's priority, due time and id), so the first page, the next and the one
before cost the same however long the queue. Other sorts page by offset over the view's rows.
A page is fetched in two steps: the ids, from the ticket table alone (joining customers only for a
sort or filter that needs them), then the page's rows with their joins; joining first would join
every ticket of the view, not just a page of them. Every query runs on the session's connection
(Core, no ORM pass) and each row of the page becomes a QueueRow straight from its columns."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, false, func, literal, or_, true, tuple_
from sqlalchemy import select as select_columns
from sqlalchemy.orm import aliased
from sqlmodel import col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import Agent, Customer, CustomerPhone, Organisation, Status, Ticket, TicketWatch
from .auth import Actor, require
from .errors import InvalidInput
from .phones import lookup_variants as phone_variants
from .phones import prefix_bounds
from .ticket_rows import join_names, row_columns
from .tickets import normalise_number

VIEWS = ("mine", "team", "callbacks", "escalated", "watching")
SORTS = (
    "default",
    "number",
    "priority",
    "due",
    "customer",
    "organisation",
    "summary",
    "status",
    "assignee",
    "age",
)
PAGE_MAX = 200


Key = tuple[str, int, datetime | None, int]  # (segment, priority, resolve_by, id)


@dataclass(frozen=True)
class QueueRow:
    id: int
    number: str
    priority: int
    status: str
    summary: str
    customer: str
    organisation: str
    assignee: str
    team: str
    resolve_by: datetime | None
    sla_paused_at: datetime | None
    resolved_at: datetime | None
    created_at: datetime
    version: int
    escalation_level: int
    key: Key | None = None  # where the row stands in the default order (keyset paging)

    def breached(self, now: datetime) -> bool:
        if self.resolve_by is None:
            return False
        return (self.resolved_at or now) > self.resolve_by


@dataclass(frozen=True)
class QueuePage:
    view: str
    rows: list[QueueRow]
    more: bool  # another page follows (or, paging backwards, precedes)
    offset: int = 0  # the first row's position, for sorts paged by offset


# The default order, in segments each read in index order (priority, due, id): open and breached;
# open and running; open with the clock stopped (pending: resolve_by is unknown, NULL); resolved.
SEGMENTS: dict[str, str] = {
    "mine": "ABCD",
    "team": "ABC",
    "callbacks": "D",
    "escalated": "ABC",
    "watching": "ABCD",
}


# Views of a few tickets (escalated to me, watching) first list their candidates by their own
# index; filtering the ticket table by a list of ids leaves the planner no worse choice (SQLite
# otherwise prefers ix_ticket_open_due and walks every open ticket).
FEW_MAX = 5000
NONE = false()  # a view or filter without candidates: nothing to read (one instance, told by `is`)


def _none(where: list[Any]) -> bool:
    return any(w is NONE for w in where)


def _base(s: Any, view: str, actor: Actor) -> Any:
    if view == "mine":
        return col(Ticket.assignee_id) == actor.id
    if view == "team":
        return and_(col(Ticket.team_id) == actor.team_id, col(Ticket.assignee_id).is_(None))
    if view == "callbacks":
        return true()
    if view == "escalated":
        few = select(Ticket.id).where(col(Ticket.escalated_to_id) == actor.id, col(Ticket.is_open) == true())
    elif view == "watching":
        few = select(TicketWatch.ticket_id).where(TicketWatch.agent_id == actor.id)
    else:
        raise InvalidInput({"view": later("one of {choices}", choices=", ".join(VIEWS))})
    ids = list(s.connection().execute(few.limit(FEW_MAX)).scalars())
    return col(Ticket.id).in_(ids) if ids else NONE


def _segment(seg: str, now: datetime) -> Any:
    is_open = col(Ticket.is_open) == true()  # "= true", not "IS true": PostgreSQL indexes the former
    due = col(Ticket.resolve_by)
    if seg == "A":
        return and_(is_open, due < now)
    if seg == "B":
        return and_(is_open, due >= now)
    if seg == "C":
        return and_(is_open, due.is_(None))
    return col(Ticket.status) == Status.RESOLVED


def _seg_keys(seg: str) -> list[Any]:
    return [Ticket.priority, Ticket.id] if seg == "C" else [Ticket.priority, Ticket.resolve_by, Ticket.id]


def _seg_bound(seg: str, key: Key, after: bool) -> Any:
    cols = tuple_(*_seg_keys(seg))
    values = (key[1], key[3]) if seg == "C" else (key[1], key[2], key[3])
    bound = tuple_(*(literal(v, type_=c.type) for v, c in zip(values, cols.clauses, strict=True)))
    return cols > bound if after else cols < bound


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


_PHONE_OR_NUMBER = re.compile(r"(?i)(sr-?)?[\d\s()+\-./]*\d[\d\s()+\-./]*(转|ext\.?|x)?\s*\d*")


def _text_filter(s: Any, q: str) -> Any:
    """What was typed: digits (a phone or a ticket number, as callers give them) match the ticket
    number exactly and the customer's phones by prefix; words match the customer's name and the
    summary (case-insensitive, literally: % and _ are not wildcards).

    Digits are looked up first through their own indexes (the number, the phones, the customers'
    tickets) and the view is then read for those tickets only; words need a scan of the view."""
    q = " ".join(q.split())
    if _PHONE_OR_NUMBER.fullmatch(q):
        terms = [col(Ticket.number) == normalise_number(q)]
        for prefix in phone_variants(q):
            if len(prefix) >= 4:  # fewer digits match thousands of callers: no help to anyone
                low, high = prefix_bounds(prefix)
                digits = col(CustomerPhone.digits)
                match = and_(digits >= low, digits < high) if high else digits >= low
                terms.append(col(Ticket.customer_id).in_(select(CustomerPhone.customer_id).where(match)))
        found: set[int] = set()
        for term in terms:  # one query a term: each through its own index (an OR would scan)
            found.update(s.connection().execute(select(Ticket.id).where(term).limit(FEW_MAX + 1)).scalars())
        if len(found) <= FEW_MAX:
            return col(Ticket.id).in_(sorted(found)) if found else NONE
        return or_(*terms)  # a prefix matching thousands: filter while reading the view
    pattern = _like(q)
    name_match = select(Customer.id).where(col(Customer.name).ilike(pattern, escape="\\"))
    return or_(
        col(Ticket.summary).ilike(pattern, escape="\\"),
        col(Ticket.customer_id).in_(name_match),
        col(Ticket.number).ilike(pattern, escape="\\"),
    )


def page(
    db: Database,
    actor: Actor,
    view: str,
    *,
    sort: str = "default",
    descending: bool = False,
    query: str = "",
    after: Key | None = None,
    before: Key | None = None,
    offset: int = 0,
    limit: int = PAGE_MAX,
) -> QueuePage:
    """A page of a view (at most PAGE_MAX rows), sorted and filtered in SQL.

    Default order: from the start, `after` a row's key, or the rows just `before` one (returned in
    order). Any other sort: from `offset`."""
    if view not in VIEWS:
        raise InvalidInput({"view": later("one of {choices}", choices=", ".join(VIEWS))})
    if sort not in SORTS:
        raise InvalidInput({"sort": later("one of {choices}", choices=", ".join(SORTS))})
    limit = max(1, min(limit, PAGE_MAX))
    with db.read() as s:
        require(s, actor, "tickets.read")
        where = [_base(s, view, actor)]
        if query.strip():
            where.append(_text_filter(s, query))
        if sort == "default":
            keys, more = _keyset(s, view, where, after, before, limit)
            offset = 0
        else:
            keys, more = _by_offset(s, view, where, sort, descending, max(0, offset), limit)
        ids = [k[3] for k in keys]
        rows = _rows(s, ids, keys if sort == "default" else None) if keys else []
    return QueuePage(view=view, rows=rows, more=more, offset=offset)


def _keyset(
    s: Any, view: str, where: list[Any], after: Key | None, before: Key | None, limit: int
) -> tuple[list[Key], bool]:
    now = clock.now()
    segs = SEGMENTS[view]
    forward = before is None
    mark = after if forward else before
    if mark is not None and mark[0] not in segs:
        raise InvalidInput({"after": "a key of another view"})
    if _none(where):
        return [], False
    order = segs if forward else segs[::-1]
    if mark is not None:
        order = order[order.index(mark[0]) :]
    found: list[Key] = []
    for seg in order:
        cond = [*where, _segment(seg, now)]
        if mark is not None and seg == mark[0]:
            cond.append(_seg_bound(seg, mark, forward))
        keys = _seg_keys(seg)
        q = (
            select(Ticket.priority, Ticket.resolve_by, Ticket.id)
            .where(*cond)
            .order_by(*(keys if forward else [col(k).desc() for k in keys]))
            .limit(limit + 1 - len(found))
        )
        found += [(seg, p, due, i) for p, due, i in s.connection().execute(q).all()]
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]
    return (found if forward else found[::-1]), more


def _by_offset(
    s: Any, view: str, where: list[Any], sort: str, descending: bool, offset: int, limit: int
) -> tuple[list[Key], bool]:
    if _none(where):
        return [], False
    assignee = aliased(Agent)
    scope = _scope(view)
    ids = select(Ticket.id).where(*where, scope)
    if sort in ("customer", "organisation"):
        ids = ids.join(Customer, col(Customer.id) == Ticket.customer_id, isouter=True)
        if sort == "organisation":
            ids = ids.join(Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True)
    if sort == "assignee":
        ids = ids.join(assignee, col(assignee.id) == Ticket.assignee_id, isouter=True)
    column = {
        "number": Ticket.id,
        "priority": Ticket.priority,
        "due": Ticket.resolve_by,
        "customer": Customer.name,
        "organisation": Organisation.name,
        "summary": Ticket.summary,
        "status": Ticket.status,
        "assignee": assignee.name,
        "age": Ticket.created_at,
    }[sort]
    down = descending != (sort == "age")  # "age" ascending: the youngest (newest created) first
    first = col(column).desc().nulls_last() if down else col(column).asc().nulls_last()
    then = col(Ticket.id).desc() if down else col(Ticket.id)
    ids = ids.order_by(first, then).offset(offset).limit(limit + 1)
    found = s.connection().execute(ids).scalars().all()
    return [("", 0, None, i) for i in found[:limit]], len(found) > limit


def _scope(view: str) -> Any:
    """The statuses a view holds: open ones, and resolved ones where it has segment D."""
    is_open = col(Ticket.is_open) == true()
    if SEGMENTS[view] == "D":
        return col(Ticket.status) == Status.RESOLVED
    if "D" in SEGMENTS[view]:
        return or_(is_open, col(Ticket.status) == Status.RESOLVED)
    return is_open


@functools.cache  # a Select is immutable: build the joined query once (per backend)
def _row_query(postgresql: bool) -> Any:
    assignee = aliased(Agent)
    columns = row_columns(QueueRow, assignee, besides=("key",), blank=True)
    ids = col(Ticket.id)
    # PostgreSQL: one array parameter (= ANY), not a page of parameters each rendered with its cast
    where = (
        ids == any_(bindparam("ids", type_=ARRAY(Integer)))
        if postgresql
        else ids.in_(bindparam("ids", expanding=True))
    )
    return join_names(select_columns(*columns), assignee).where(where)


def _rows(s: Any, ids: list[int], keys: list[Key] | None = None) -> list[QueueRow]:
    """The tickets' rows in the order of `ids` (with their `keys`, if given), built straight from
    the joined query's rows: a Core query, no ORM object."""
    connection = s.connection()
    query = _row_query(connection.dialect.name == "postgresql")
    found = {r[0]: r for r in connection.execute(query, {"ids": ids}).all()}
    make: Callable[..., QueueRow] = QueueRow  # from a row's columns, in the order of its fields
    if keys is None:
        return [make(*found[i]) for i in ids if i in found]
    return [make(*found[i], key=k) for i, k in zip(ids, keys, strict=True) if i in found]


def counts(db: Database, actor: Actor) -> dict[str, int]:
    """How many tickets each view holds (unfiltered): its open part and its resolved part, each
    counted from an index."""
    out = {}
    with db.read() as s:
        require(s, actor, "tickets.read")
        for view in VIEWS:
            parts = []
            if SEGMENTS[view] != "D":
                parts.append(col(Ticket.is_open) == true())
            if "D" in SEGMENTS[view]:
                parts.append(col(Ticket.status) == Status.RESOLVED)
            out[view] = sum(
                s.exec(select(func.count()).select_from(Ticket).where(_base(s, view, actor), part)).one()
                for part in parts
            )
    return out


def rows_by_ids(db: Database, actor: Actor, ids: list[int]) -> list[QueueRow]:
    """Fresh rows of the given tickets (without keys)."""
    if not ids:
        return []
    with db.read() as s:
        require(s, actor, "tickets.read")
        return _rows(s, ids)


Start = Key | int | None  # the window's first row: None the top, a row's key (default order), an offset


def read_window(
    db: Database,
    actor: Actor,
    view: str,
    *,
    start: Start = None,
    count: int = PAGE_MAX,
    sort: str = "default",
    descending: bool = False,
    query: str = "",
) -> tuple[list[QueueRow], bool]:
    """Up to `count` rows from `start` (inclusive), a page at a time; and whether more follow.
    A console re-reads its loaded window with this when others change tickets."""
    rows: list[QueueRow] = []
    more = True
    offset = start if isinstance(start, int) else 0
    after: Key | None = None
    if isinstance(start, tuple):  # just below the first row's key: the row itself comes back
        seg, prio, due, ticket_id = start
        after = (seg, prio, due, ticket_id - 1)
    while more and len(rows) < count:
        limit = min(PAGE_MAX, count - len(rows))
        if sort == "default":
            got = page(db, actor, view, query=query, after=after, limit=limit)
            after = got.rows[-1].key if got.rows else after
        else:
            got = page(
                db, actor, view, sort=sort, descending=descending, query=query, offset=offset, limit=limit
            )
            offset += len(got.rows)
        rows += got.rows
        more = got.more
    return rows, more
