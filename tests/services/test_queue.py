"""The work queue: views and counts, the default order, keyset paging, sorting and filtering."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import update
from sqlmodel import col

from deskterm import clock
from deskterm.models import Status, Ticket
from deskterm.services import queue, tickets, workflow
from deskterm.services.errors import InvalidInput
from tests.factories import make_agent, make_ticket

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


@pytest.fixture
def frozen() -> clock.FrozenClock:
    c = clock.FrozenClock(NOW)
    clock.set_clock(c)
    return c


def _numbers(page: queue.QueuePage) -> list[str]:
    return [r.number for r in page.rows]


def _customer(db, name: str, phone: str) -> int:  # type: ignore[no-untyped-def]
    from deskterm.models import Customer, CustomerPhone
    from deskterm.services.phones import digits

    with db.write() as s:
        c = Customer(name=name, created_at=clock.now())
        s.add(c)
        s.flush()
        s.add(CustomerPhone(customer_id=c.id, number=phone, digits=digits(phone)))
        return c.id  # type: ignore[return-value]


def test_views_hold_what_they_say_and_count_it(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    other = make_agent(db, "erin")
    team1, team2, mine, resolved, closed, theirs = (make_ticket(db, op, f"t{i}") for i in range(6))
    make_ticket(db, op, "network one", category="Network/VPN")
    for t in (mine, resolved, closed):
        tickets.claim(db, eng, t.number)
    tickets.claim(db, other, theirs.number)
    workflow.resolve(db, eng, resolved.number, "done")
    workflow.resolve(db, eng, closed.number, "done")
    workflow.change_status(db, eng, closed.number, Status.CLOSED)
    workflow.watch(db, op, theirs.number)
    workflow.watch(db, op, closed.number)
    with db.write() as s:
        s.execute(update(Ticket).where(col(Ticket.number) == team2.number).values(escalated_to_id=eng.id))

    def numbers(actor, view):  # type: ignore[no-untyped-def]
        return sorted(_numbers(queue.page(db, actor, view)))

    assert numbers(eng, "mine") == sorted([mine.number, resolved.number])
    assert numbers(eng, "team") == sorted([team1.number, team2.number])
    assert numbers(op, "callbacks") == [resolved.number]
    assert numbers(eng, "escalated") == [team2.number]
    assert numbers(op, "watching") == [theirs.number]  # the closed one is done
    assert queue.counts(db, eng) == {"mine": 2, "team": 2, "callbacks": 1, "escalated": 1, "watching": 0}
    assert queue.counts(db, op)["watching"] == 1
    workflow.watch(db, op, theirs.number, on=False)
    assert numbers(op, "watching") == []


def test_default_order_breached_first_then_priority_then_due(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    p5 = make_ticket(db, op, "p5 old", impact=3, urgency=3)
    p1_old = make_ticket(db, op, "p1 old", impact=1, urgency=1)  # 4 h, 24x7
    frozen.advance(hours=1)
    p1_new = make_ticket(db, op, "p1 new", impact=1, urgency=1)
    p3 = make_ticket(db, op, "p3", impact=2, urgency=2)
    frozen.advance(hours=3, minutes=30)  # p1_old is now breached, p1_new not yet
    p4 = make_ticket(db, op, "p4", impact=2, urgency=3)
    order = _numbers(queue.page(db, eng, "team"))
    assert order == [p1_old.number, p1_new.number, p3.number, p4.number, p5.number]
    rows = queue.page(db, eng, "team").rows
    assert [r.breached(frozen.time) for r in rows] == [True, False, False, False, False]


def test_pending_tickets_come_after_running_ones(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    waiting = make_ticket(db, op, "waiting", impact=1, urgency=1)
    running = make_ticket(db, op, "running", impact=2, urgency=2)
    for t in (waiting, running):
        tickets.claim(db, eng, t.number)
    workflow.change_status(db, eng, waiting.number, Status.PENDING_CUSTOMER)
    assert _numbers(queue.page(db, eng, "mine")) == [running.number, waiting.number]


def test_keyset_pages_join_up_forwards_and_backwards(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    for i in range(23):
        make_ticket(db, op, f"ticket {i}", impact=1 + i % 3, urgency=1 + (i // 3) % 3)
        frozen.advance(minutes=37)
    everything = _numbers(queue.page(db, eng, "team", limit=200))
    assert len(everything) == 23
    pages, after = [], None
    while True:
        page = queue.page(db, eng, "team", limit=5, after=after)
        pages.append(page)
        if not page.more:
            break
        after = page.rows[-1].key
    assert [n for p in pages for n in _numbers(p)] == everything
    back = queue.page(db, eng, "team", limit=5, before=pages[2].rows[0].key)
    assert _numbers(back) == _numbers(pages[1]) and back.more


@pytest.mark.parametrize("sort", [s for s in queue.SORTS if s != "default"])
def test_sort_by_any_column_with_offsets(db, frozen, sort):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    names = ["Zhang Wei", "Anna Berg", "李娜", "Mike Ross"]
    for i, name in enumerate(names):
        cid = _customer(db, name, f"1381234567{i}")
        make_ticket(db, op, f"summary {'dcba'[i]}", impact=1 + i % 3, customer_id=cid)
        frozen.advance(minutes=10)
    rows = queue.page(db, eng, "team", sort=sort).rows
    key = {
        "number": lambda r: r.id,
        "priority": lambda r: (r.priority, r.id),
        "due": lambda r: (r.resolve_by, r.id),
        "customer": lambda r: (r.customer, r.id),
        "organisation": lambda r: (r.organisation, r.id),
        "summary": lambda r: (r.summary, r.id),
        "status": lambda r: (r.status, r.id),
        "assignee": lambda r: (r.assignee, r.id),
        "age": lambda r: (-r.created_at.timestamp(), -r.id),
    }[sort]
    assert rows == sorted(rows, key=key)
    down = queue.page(db, eng, "team", sort=sort, descending=True).rows
    assert [r.id for r in down] == [r.id for r in rows][::-1]
    second = queue.page(db, eng, "team", sort=sort, offset=2, limit=2)
    assert [r.id for r in second.rows] == [r.id for r in rows[2:]] and not second.more


def test_filter_by_number_customer_summary_and_phone(db, frozen):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy")
    zhang = _customer(db, "张伟", "+86 138-1234-5678")
    anna = _customer(db, "Anna Berg", "021-6123 4567 转 8021")
    a = make_ticket(db, op, "Printer jams", customer_id=zhang)
    b = make_ticket(db, op, "VPN 100% broken_now", customer_id=anna)

    def found(q: str) -> list[str]:
        return _numbers(queue.page(db, eng, "team", query=q))

    assert found(a.number.lower()) == [a.number]
    assert found("张") == [a.number]
    assert found("anna") == [b.number]
    assert found("PRINTER") == [a.number]
    assert found("13812345") == [a.number]
    assert found("021 6123") == [b.number]
    assert found("100%") == [b.number] and found("VPN_100") == []  # wildcards are literal
    assert found("nothing like it") == []


def test_statements_built_once_give_each_agent_and_moment_their_own_rows(db, frozen):
    """The queue's statements are built once and their values bound at each call: agents of two
    teams and one without a team, in turn through the same statements, and the clock moving on,
    each get their own rows."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eddy = make_agent(db, "eddy")  # Desktop Support
    nina = make_agent(db, "nina", team="Network")
    loner = make_agent(db, "lone", role="operator", team=None, tier=1)
    pc = make_ticket(db, op, "pc", impact=1, urgency=1)  # due in 4 h
    vpn = make_ticket(db, op, "vpn", category="Network/VPN", impact=1, urgency=1)
    stray, eddys, ninas = (make_ticket(db, op, s) for s in ("stray", "eddy's", "nina's"))
    tickets.claim(db, eddy, eddys.number)
    with db.write() as s:
        s.execute(update(Ticket).where(col(Ticket.id) == stray.id).values(team_id=None))
        s.execute(update(Ticket).where(col(Ticket.id) == ninas.id).values(assignee_id=nina.id))
        s.execute(update(Ticket).where(col(Ticket.id) == pc.id).values(escalated_to_id=nina.id))
        s.execute(update(Ticket).where(col(Ticket.id) == vpn.id).values(escalated_to_id=eddy.id))
    workflow.watch(db, nina, vpn.number)
    expected = {
        (eddy, "team"): [pc.number],
        (nina, "team"): [vpn.number],
        (loner, "team"): [stray.number],  # no team: the unassigned tickets without one
        (eddy, "mine"): [eddys.number],
        (nina, "mine"): [ninas.number],
        (eddy, "escalated"): [vpn.number],
        (nina, "escalated"): [pc.number],
        (eddy, "watching"): [],
        (nina, "watching"): [vpn.number],
    }
    for _ in range(2):
        for (actor, view), numbers in expected.items():
            assert _numbers(queue.page(db, actor, view)) == numbers, (actor.login, view)
            assert _numbers(queue.page(db, actor, view, sort="number")) == numbers, (actor.login, view)
    assert queue.counts(db, nina) == {"mine": 1, "team": 1, "callbacks": 0, "escalated": 1, "watching": 1}
    assert queue.counts(db, loner)["team"] == 1
    assert [r.key[0] for r in queue.page(db, eddy, "team").rows if r.key] == ["B"]  # running
    frozen.advance(hours=5)
    assert [r.key[0] for r in queue.page(db, eddy, "team").rows if r.key] == ["A"]  # now breached


def test_bad_view_or_sort_is_refused(db):
    eng = make_agent(db, "eddy")
    with pytest.raises(InvalidInput):
        queue.page(db, eng, "everything")
    with pytest.raises(InvalidInput):
        queue.page(db, eng, "mine", sort="colour")
