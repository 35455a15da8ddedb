"""The queue service against a straightforward reference: on random tickets, every view, sort,
direction and filter gives the rows (all their fields, in order) of one plain joined query that
filters and sorts the whole ticket table, however the service pages through them."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import and_, case, func, insert, or_, select, update

from deskterm import clock
from deskterm.models import Agent, Customer, Organisation, Status, Team, Ticket, TicketWatch
from deskterm.services import queue
from deskterm.services.auth import Actor
from tests.factories import make_agent, make_ticket

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
WORDS = ["Printer jams", "printer offline", "VPN drops", "Mail 100% full", "screen flickers", "PRINTER toner"]
FILTERS = ("", "printer", "vpn", "nothing like it")


@pytest.fixture
def frozen() -> clock.FrozenClock:
    c = clock.FrozenClock(NOW)
    clock.set_clock(c)
    return c


def _random_desk(db: Any, rng: random.Random) -> tuple[Actor, Actor]:
    """Tickets with random statuses, owners, teams, priorities, due times (ties and NULLs
    included), callers, organisations, escalations and watchers."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    other = make_agent(db, "erin")
    made = [make_ticket(db, op, rng.choice(WORDS)) for _ in range(45)]
    dues = [None, NOW - timedelta(hours=2), NOW - timedelta(hours=1), NOW, NOW + timedelta(hours=3)]
    statuses = [s for s in Status]
    with db.write() as s:
        orgs = [
            s.execute(
                insert(Organisation).values(name=n, created_at=NOW).returning(Organisation.id)
            ).scalar_one()
            for n in ("Acme", "Zeta Ltd")
        ]
        people = [
            s.execute(
                insert(Customer)
                .values(name=n, organisation_id=rng.choice([None, *orgs]), created_at=NOW)
                .returning(Customer.id)
            ).scalar_one()
            for n in ("Anna Printer", "Bo", "李娜", "Zhang Wei")
        ]
        for t in made:
            status = rng.choice(statuses)
            s.execute(
                update(Ticket)
                .where(Ticket.id == t.id)
                .values(
                    status=status,
                    is_open=status not in (Status.RESOLVED, Status.CLOSED),
                    priority=rng.randint(1, 4),
                    resolve_by=rng.choice(dues),
                    resolved_at=rng.choice([None, NOW - timedelta(minutes=30)]),
                    sla_paused_at=rng.choice([None, NOW - timedelta(minutes=5)]),
                    created_at=NOW - timedelta(hours=rng.randint(0, 5)),
                    assignee_id=rng.choice([None, None, eng.id, other.id]),
                    team_id=rng.choice([None, eng.team_id, op.team_id]),
                    escalated_to_id=rng.choice([None, None, eng.id]),
                    customer_id=rng.choice([None, *people]),
                    escalation_level=rng.randint(0, 2),
                )
            )
            if rng.random() < 0.3:
                s.execute(insert(TicketWatch).values(agent_id=eng.id, ticket_id=t.id))
    return eng, op


def _reference(db: Any, actor: Actor, view: str, sort: str, descending: bool, query: str) -> list[Any]:
    """All of a view's rows, filtered and sorted by one plain query over the whole ticket table."""
    t, c, o, tm = Ticket.__table__, Customer.__table__, Organisation.__table__, Team.__table__
    a = Agent.__table__.alias("assignee")
    resolved = t.c.status == Status.RESOLVED
    held = or_(t.c.is_open, resolved)
    watched = select(TicketWatch.ticket_id).where(TicketWatch.agent_id == actor.id)
    where = {
        "mine": and_(t.c.assignee_id == actor.id, held),
        "team": and_(t.c.team_id == actor.team_id, t.c.assignee_id.is_(None), t.c.is_open),
        "callbacks": resolved,
        "escalated": and_(t.c.escalated_to_id == actor.id, t.c.is_open),
        "watching": and_(t.c.id.in_(watched), held),
    }[view]
    if query:
        pattern = f"%{query}%"
        where = and_(
            where, or_(t.c.summary.ilike(pattern), c.c.name.ilike(pattern), t.c.number.ilike(pattern))
        )
    if sort == "default":  # breached, running, clock stopped (by priority, id), resolved
        segment = case(
            (and_(t.c.is_open, t.c.resolve_by < NOW), 1),
            (and_(t.c.is_open, t.c.resolve_by >= NOW), 2),
            (t.c.is_open, 3),
            else_=4,
        )
        order = [segment, t.c.priority, t.c.resolve_by, t.c.id]
    else:
        column = {
            "number": t.c.id,
            "priority": t.c.priority,
            "due": t.c.resolve_by,
            "customer": c.c.name,
            "organisation": o.c.name,
            "summary": t.c.summary,
            "status": t.c.status,
            "assignee": a.c.name,
            "age": t.c.created_at,
        }[sort]
        down = descending != (sort == "age")
        order = [column.desc().nulls_last(), t.c.id.desc()] if down else [column.asc().nulls_last(), t.c.id]
    blank = func.coalesce
    columns = [
        t.c.id,
        t.c.number,
        t.c.priority,
        t.c.status,
        t.c.summary,
        blank(c.c.name, ""),
        blank(o.c.name, ""),
        blank(a.c.name, ""),
        blank(tm.c.name, ""),
        t.c.resolve_by,
        t.c.sla_paused_at,
        t.c.resolved_at,
        t.c.created_at,
        t.c.version,
        t.c.escalation_level,
    ]
    joined = (
        t.outerjoin(c, c.c.id == t.c.customer_id)
        .outerjoin(o, o.c.id == c.c.organisation_id)
        .outerjoin(tm, tm.c.id == t.c.team_id)
        .outerjoin(a, a.c.id == t.c.assignee_id)
    )
    with db.read() as s:
        return [
            queue.QueueRow(*r)
            for r in s.execute(select(*columns).select_from(joined).where(where).order_by(*order))
        ]


def _paged(db: Any, actor: Actor, view: str, sort: str, descending: bool, query: str) -> list[Any]:
    """The view read through the service four rows a page: by key (default order) or by offset."""
    rows: list[Any] = []
    more, after = True, None
    while more:
        if sort == "default":
            got = queue.page(db, actor, view, query=query, after=after, limit=4)
            after = got.rows[-1].key if got.rows else after
        else:
            got = queue.page(
                db, actor, view, sort=sort, descending=descending, query=query, offset=len(rows), limit=4
            )
        rows += got.rows
        more = got.more
    return rows


def _plain(rows: list[Any]) -> list[Any]:
    return [replace(r, key=None) for r in rows]


def test_service_rows_are_the_reference_rows(db, frozen):
    eng, op = _random_desk(db, random.Random(16))
    seen = set()
    for actor in (eng, op):
        for view in queue.VIEWS:
            for sort in queue.SORTS:
                for descending in (False, True) if sort != "default" else (False,):
                    for query in FILTERS:
                        want = _reference(db, actor, view, sort, descending, query)
                        rows, more = queue.read_window(
                            db, actor, view, sort=sort, descending=descending, query=query
                        )
                        assert _plain(rows) == want and not more, (actor.login, view, sort, descending, query)
                        if query == "" and descending is False:
                            assert _plain(_paged(db, actor, view, sort, descending, query)) == want
                        seen.add((view, bool(want)))
    ids = [r.id for r in _reference(db, eng, "mine", "number", True, "")]
    assert [r.id for r in queue.rows_by_ids(db, eng, ids)] == ids
    assert _plain(queue.rows_by_ids(db, eng, ids)) == _reference(db, eng, "mine", "number", True, "")
    assert all((view, True) in seen for view in queue.VIEWS)  # every view held rows to compare
