"""Issue 12.4 at the service: the change feed reads on from its position, a page at a time, and
an event whose id was handed out before a later one's but committed after it is still delivered."""

from __future__ import annotations

import pytest

from deskterm.services import changes, notify, tickets, workflow
from deskterm.services.changes import FeedPosition, read_changes
from tests.factories import make_agent, make_ticket


def _ids(batches: list[list[changes.Change]]) -> list[int]:
    return [c.event_id for batch in batches for c in batch]


def test_the_feed_reads_on_from_its_position_a_page_at_a_time(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    t = make_ticket(db, op)
    position = FeedPosition(changes.latest_event_id(db))
    for i in range(7):
        workflow.add_note(db, op, t.number, f"note {i}")
    batches = list(read_changes(db, position, page=3))
    assert [len(b) for b in batches] == [3, 3, 1]
    assert _ids(batches) == [c.event_id for c in changes.events_after(db, 0)][-7:]
    assert position.last == changes.latest_event_id(db)
    assert list(read_changes(db, position, page=3)) == []  # nothing twice


def test_an_event_committed_after_a_later_one_is_still_delivered(db):
    if db.is_sqlite:
        pytest.skip("SQLite writers take turns: event ids are committed in order")
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    slow_ticket = make_ticket(db, op, "slow")
    quick_ticket = make_ticket(db, op, "quick")
    position = FeedPosition(changes.latest_event_id(db))
    with db.write() as slow:  # takes its event id first, commits last
        ticket = tickets.find_ticket(slow, slow_ticket.number)
        slow_event = tickets.record_event(slow, ticket, op.id, "note", "slow note")
        slow.flush()
        workflow.add_note(db, op, quick_ticket.number, "quick note")  # another connection
        first = _ids(list(read_changes(db, position)))
        assert slow_event.id is not None and first == [slow_event.id + 1]
        slow_id = slow_event.id
    # Reading on after the newest id seen (as the feed did before) never finds it:
    assert changes.events_after(db, first[-1]) == []
    assert _ids(list(read_changes(db, position))) == [slow_id]
    assert list(read_changes(db, position)) == []


def test_a_hole_is_looked_for_a_while_then_given_up():
    position = FeedPosition(10, hold=3600)
    position.seen([11, 14])
    assert (position.last, position.missing()) == (14, [12, 13])
    position.seen([12])
    assert position.missing() == [13]
    assert FeedPosition(10, hold=0).missing() == []
    gone = FeedPosition(0, hold=0)
    gone.seen([5])
    assert gone.missing() == []  # a rolled back insert: not looked for for ever
    huge = FeedPosition(0, hold=3600)
    huge.seen([10 * FeedPosition.MAX_HOLES])
    assert len(huge.missing()) == FeedPosition.MAX_HOLES


def test_a_notification_committed_out_of_id_order_is_still_news(db):
    """The inbox reads notifications by id the same way (it used to look back 20 ids)."""
    if db.is_sqlite:
        pytest.skip("SQLite writers take turns: notification ids are committed in order")
    sue = make_agent(db, "sue", role="supervisor")
    bob = make_agent(db, "bob")
    position = FeedPosition(notify.news(db, sue, None).latest_id)
    with db.write() as slow:  # takes its id first, commits last
        notify.add(slow, sue.id, "mention", "slow one")
        slow.flush()
        with db.write() as s:
            for i in range(30):  # others' notifications, committed meanwhile
                notify.add(s, bob.id, "mention", f"for bob {i}")
        got = notify.news(db, sue, position.last, also=position.missing())
        position.seen(got.seen)
        assert got.new == [] and len(got.seen) == 30
    got = notify.news(db, sue, position.last, also=position.missing())
    assert [n.body for n in got.new] == ["slow one"]
