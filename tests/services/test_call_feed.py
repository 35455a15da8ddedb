"""The consoles' call feed (the change waiter wakes on a call event; each console reads its own
agent's) and the tickets logged or chased during a call (calls.link_ticket), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select

from deskterm import clock
from deskterm.db import Database
from deskterm.models import PhoneCallTicket
from deskterm.services import calls, intake
from deskterm.services.changes import ChangeWaiter
from tests.factories import call_form, make_agent

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def ev(event: str, call_id: str = "c1", **fields: object) -> calls.CtiEvent:
    return calls.parse({"event": event, "callId": call_id, **fields})


def links(db: Database) -> list[tuple[int, int, str]]:
    with db.read() as s:
        rows = s.exec(select(PhoneCallTicket)).all()
        return sorted((r.call_pk, r.ticket_id, r.kind) for r in rows)


def test_a_call_event_wakes_the_waiter_and_each_console_reads_its_own(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator", extension="201")
    bob = make_agent(db, "bob", role="operator", extension="202")
    waiter = ChangeWaiter(db, interval=0.01)
    try:
        assert not waiter.wait(timeout=0.05) and not waiter.take_calls()
        start = calls.latest_event_id(db)
        calls.ingest(db, ev("newCall", **{"from": "138 1234 5678"}), at=T0)
        calls.ingest(db, ev("answer", answeringNumber="201"), at=T0 + timedelta(seconds=4))
        assert waiter.wait(timeout=10.0)
        assert waiter.take_calls() and not waiter.take_calls()  # taken once
        calls.ingest(db, ev("hangup", cause="normalClearing"), at=T0 + timedelta(seconds=60))
        assert waiter.wait(timeout=10.0) and waiter.take_calls()
    finally:
        waiter.close()
    mine = calls.events_after(db, start, agent_id=anna.id)
    assert [(s.event, s.caller, s.agent_id) for s in mine] == [
        ("answer", "+8613812345678", anna.id),
        ("hangup", "+8613812345678", anna.id),
    ]
    assert mine[0].answered_at == T0 + timedelta(seconds=4)
    assert calls.events_after(db, start, agent_id=bob.id) == []
    assert calls.events_after(db, mine[0].event_id, agent_id=anna.id) == mine[1:]


def test_tickets_logged_and_chased_during_a_call_are_linked_once(db: Database) -> None:
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1, extension="201")
    call = calls.ingest(db, ev("newCall", **{"from": "139 0000 1111"}), at=T0).call_pk
    assert call is not None
    started = clock.now() - timedelta(minutes=1)  # a retried save knows its call by this
    form = call_form(call_started_at=started, phone_call_id=call)
    first = intake.save_call(db, olga, form)
    again = intake.save_call(db, olga, form)  # a save retried after a lost connection
    assert again.ticket_id == first.ticket_id
    assert links(db) == [(call, first.ticket_id, "logged")]
    # The caller rings again: a chase during the second call is linked to it (retried: once).
    second = calls.ingest(db, ev("newCall", "c2", **{"from": "139 0000 1111"}), at=T0).call_pk
    assert second is not None
    for _ in range(2):
        intake.chase(db, olga, first.number, words="again", call_started_at=started, phone_call_id=second)
    assert links(db) == sorted([(call, first.ticket_id, "logged"), (second, first.ticket_id, "chased")])
    # A call not on record links nothing; a form without a call neither.
    with db.write() as s:
        assert calls.link_ticket(s, 999_999, first.ticket_id, "logged") is False
        assert calls.link_ticket(s, call, first.ticket_id, "logged") is True  # already there
    assert len(links(db)) == 2


def test_a_console_reads_every_answer_once_even_one_committed_after_a_later_one(db: Database) -> None:
    """A PostgreSQL id is handed out at the insert, not the commit: an answer whose transaction
    commits after a later event's must still pop its console (read_feed looks for the hole)."""
    from deskterm.models import CallEvent
    from deskterm.services.changes import FeedPosition

    anna = make_agent(db, "anna", role="operator", extension="201")
    bob = make_agent(db, "bob", role="operator", extension="202")
    position = FeedPosition(calls.latest_event_id(db))
    calls.ingest(db, ev("answer", "bobs", answeringNumber="202"), at=T0)
    assert calls.read_feed(db, position, anna.id) == []  # another agent's: read past, not handed
    if db.is_sqlite:  # writers take turns: ids commit in order
        calls.ingest(db, ev("answer", "slow", answeringNumber="201"), at=T0)
        calls.ingest(db, ev("answer", "quick", answeringNumber="201"), at=T0)
    else:
        with db.write() as slow:  # takes its event id first, commits last
            early = CallEvent(call_id="slow", event="answer", at=T0, agent_id=anna.id)
            slow.add(early)
            slow.flush()
            calls.ingest(db, ev("answer", "quick", answeringNumber="201"), at=T0)  # another connection
            assert [s.call_id for s in calls.read_feed(db, position, anna.id)] == ["quick"]
            calls.ingest(db, ev("newCall", "slow"), at=T0)  # its record (own connection)
    got = [s.call_id for s in calls.read_feed(db, position, anna.id)]
    assert got == (["slow", "quick"] if db.is_sqlite else ["slow"])
    assert calls.read_feed(db, position, anna.id) == []  # nothing twice
    assert [s.call_id for s in calls.read_feed(db, position, bob.id)] == []  # past bob's too
