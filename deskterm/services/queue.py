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
(Core, no ORM pass), built once with its values as parameters, and each row of the page becomes a
QueueRow straight from its columns."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, Integer, and_, any_, bindparam, false, func, or_, true, tuple_
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
NONE = false()  # a filter without candidates: nothing to read (one instance, told by `is`)

# The queue's fixed statements are built once (functools.cache) with their values as bound
# parameters (:actor, :team, :ids, :now, the key's :kp/:kd/:ki, :offset, :limit): a Select is
# immutable and memoizes its cache key, so a call neither builds a statement nor keys it again.


def _ids_in(postgresql: bool) -> Any:
    """Ticket.id among :ids. PostgreSQL: one array parameter (= ANY), not a list of parameters."""
    ids = col(Ticket.id)
    if postgresql:
        return ids == any_(bindparam("ids", type_=ARRAY(Integer)))
    return ids.in_(bindparam("ids", expanding=True))


def _base(view: str, no_team: bool, postgresql: bool) -> Any:
    """The view's tickets, of :actor (mine), :team (team) or among :ids (escalated, watching,
    listed first by _params). An agent without a team gets the unassigned tickets without one."""
    if view == "mine":
        return col(Ticket.assignee_id) == bindparam("actor")
    if view == "team":
        team = col(Ticket.team_id).is_(None) if no_team else col(Ticket.team_id) == bindparam("team")
        return and_(team, col(Ticket.assignee_id).is_(None))
    if view == "callbacks":
        return true()
    return _ids_in(postgresql)


@functools.cache
def _few_query(view: str) -> Any:
    if view == "escalated":
        few = select(Ticket.id).where(
            col(Ticket.escalated_to_id) == bindparam("actor"), col(Ticket.is_open) == true()
        )
    else:
        few = select(TicketWatch.ticket_id).where(TicketWatch.agent_id == bindparam("actor"))
    return few.limit(FEW_MAX)


def _params(s: Any, view: str, actor: Actor) -> dict[str, Any] | None:
    """The values of the view's statements (None: the view has no candidates, nothing to read)."""
    params: dict[str, Any] = {"actor": actor.id, "team": actor.team_id}
    if view in ("escalated", "watching"):
        params["ids"] = list(s.connection().execute(_few_query(view), params).scalars())
        if not params["ids"]:
            return None
    return params


def _segment(seg: str) -> Any:
    is_open = col(Ticket.is_open) == true()  # "= true", not "IS true": PostgreSQL indexes the former
    due = col(Ticket.resolve_by)
    if seg == "A":
        return and_(is_open, due < bindparam("now"))
    if seg == "B":
        return and_(is_open, due >= bindparam("now"))
    if seg == "C":
        return and_(is_open, due.is_(None))
    return col(Ticket.status) == Status.RESOLVED


def _seg_keys(seg: str) -> list[Any]:
    return [Ticket.priority, Ticket.id] if seg == "C" else [Ticket.priority, Ticket.resolve_by, Ticket.id]


def _seg_bound(seg: str, after: bool) -> Any:
    """The rows after (or before) the key :kp, :kd, :ki (priority, due, id; C has no due)."""
    cols = tuple_(*_seg_keys(seg))
    names = ("kp", "ki") if seg == "C" else ("kp", "kd", "ki")
    bound = tuple_(*(bindparam(n, type_=c.type) for n, c in zip(names, cols.clauses, strict=True)))
    return cols > bound if after else cols < bound


@functools.cache
def _seg_query(view: str, seg: str, forward: bool, bounded: bool, no_team: bool, postgresql: bool) -> Any:
    """One segment of a view's default order, in index order, from the start or from a key."""
    cond = [_base(view, no_team, postgresql), _segment(seg)]
    if bounded:
        cond.append(_seg_bound(seg, forward))
    keys = _seg_keys(seg)
    return (
        select(Ticket.priority, Ticket.resolve_by, Ticket.id)
        .where(*cond)
        .order_by(*(keys if forward else [col(k).desc() for k in keys]))
        .limit(bindparam("limit", type_=Integer))
    )


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
        params = _params(s, view, actor)
        extra = _text_filter(s, query) if query.strip() and params is not None else None
        if sort == "default":
            keys, more = _keyset(s, view, actor, params, extra, after, before, limit)
            offset = 0
        else:
            keys, more = _by_offset(s, view, actor, params, extra, sort, descending, max(0, offset), limit)
        ids = [k[3] for k in keys]
        rows = _rows(s, ids, keys if sort == "default" else None) if keys else []
    return QueuePage(view=view, rows=rows, more=more, offset=offset)


def _keyset(
    s: Any,
    view: str,
    actor: Actor,
    params: dict[str, Any] | None,
    extra: Any,
    after: Key | None,
    before: Key | None,
    limit: int,
) -> tuple[list[Key], bool]:
    segs = SEGMENTS[view]
    forward = before is None
    mark = after if forward else before
    if mark is not None and mark[0] not in segs:
        raise InvalidInput({"after": "a key of another view"})
    if params is None or extra is NONE:
        return [], False
    params["now"] = clock.now()
    if mark is not None:
        params.update(kp=mark[1], kd=mark[2], ki=mark[3])
    order = segs if forward else segs[::-1]
    if mark is not None:
        order = order[order.index(mark[0]) :]
    connection = s.connection()
    postgresql = connection.dialect.name == "postgresql"
    found: list[Key] = []
    for seg in order:
        bounded = mark is not None and seg == mark[0]
        q = _seg_query(view, seg, forward, bounded, actor.team_id is None, postgresql)
        if extra is not None:
            q = q.where(extra)  # a filter: a statement of its own (rarer, and its values vary)
        params["limit"] = limit + 1 - len(found)
        found += [(seg, p, due, i) for p, due, i in connection.execute(q, params).all()]
        if len(found) > limit:
            break
    more = len(found) > limit
    found = found[:limit]
    return (found if forward else found[::-1]), more


@functools.cache
def _offset_query(view: str, sort: str, down: bool, no_team: bool, postgresql: bool) -> Any:
    """A view's ids in another order than the default, :limit of them from :offset."""
    assignee = aliased(Agent)
    ids = select(Ticket.id).where(_base(view, no_team, postgresql), _scope(view))
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
    first = col(column).desc().nulls_last() if down else col(column).asc().nulls_last()
    then = col(Ticket.id).desc() if down else col(Ticket.id)
    return (
        ids.order_by(first, then)
        .offset(bindparam("offset", type_=Integer))
        .limit(bindparam("limit", type_=Integer))
    )


def _by_offset(
    s: Any,
    view: str,
    actor: Actor,
    params: dict[str, Any] | None,
    extra: Any,
    sort: str,
    descending: bool,
    offset: int,
    limit: int,
) -> tuple[list[Key], bool]:
    if params is None or extra is NONE:
        return [], False
    connection = s.connection()
    down = descending != (sort == "age")  # "age" ascending: the youngest (newest created) first
    q = _offset_query(view, sort, down, actor.team_id is None, connection.dialect.name == "postgresql")
    if extra is not None:
        q = q.where(extra)
    found = connection.execute(q, {**params, "offset": offset, "limit": limit + 1}).scalars().all()
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
    return join_names(select_columns(*columns), assignee).where(_ids_in(postgresql))


def _rows(s: Any, ids: list[int], keys: list[Key] | None = None) -> list[QueueRow]:
    """The tickets' rows in the order of `ids` (with their `keys`, if given), built straight from
    the joined query's rows: a Core query, no ORM object."""
    connection = s.connection()
    query = _row_query(connection.dialect.name == "postgresql")
    found = {r[0]: r for r in connection.execute(query, {"ids": ids}).all()}
    if keys is None:
        return [_queue_row(found[i], None) for i in ids if i in found]
    return [_queue_row(found[i], k) for i, k in zip(ids, keys, strict=True) if i in found]


ROW_FIELDS = tuple(f.name for f in fields(QueueRow) if f.name != "key")  # the joined query's columns


def _queue_row(values: Any, key: Key | None) -> QueueRow:
    """A QueueRow from a row's columns (in the order of its fields), its attributes set at once:
    a frozen dataclass's __init__ sets each field through object.__setattr__ (2 µs a row, a page
    0.4 ms); this takes 0.9 µs. The row is the same as QueueRow(*values, key=key)."""
    row = object.__new__(QueueRow)
    attributes = row.__dict__
    attributes.update(zip(ROW_FIELDS, values, strict=True))
    attributes["key"] = key
    return row


@functools.cache
def _count_query(view: str, resolved: bool, no_team: bool, postgresql: bool) -> Any:
    """How many tickets of a view are open (or resolved), counted from an index."""
    part = col(Ticket.status) == Status.RESOLVED if resolved else col(Ticket.is_open) == true()
    return select(func.count()).select_from(Ticket).where(_base(view, no_team, postgresql), part)


def counts(db: Database, actor: Actor) -> dict[str, int]:
    """How many tickets each view holds (unfiltered): its open part and its resolved part."""
    out = {}
    with db.read() as s:
        require(s, actor, "tickets.read")
        connection = s.connection()
        postgresql = connection.dialect.name == "postgresql"
        for view in VIEWS:
            params = _params(s, view, actor)
            out[view] = 0
            if params is None:
                continue
            # the open part (all but callbacks), the resolved part (views with segment D)
            parts = ([False] if SEGMENTS[view] != "D" else []) + ([True] if "D" in SEGMENTS[view] else [])
            for resolved in parts:
                query = _count_query(view, resolved, actor.team_id is None, postgresql)
                out[view] += connection.execute(query, params).scalar_one()
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
