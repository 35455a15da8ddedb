"""After-call work ends with a wrap-up code on the agent's call; missed calls are listed once, with
the caller's name when known, and marked seen in bulk (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from deskterm import clock
from deskterm.db import Database
from deskterm.models import Customer, CustomerPhone, PhoneCall
from deskterm.services import calls
from deskterm.services.errors import InvalidInput, PermissionDenied
from tests.factories import make_agent

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def ev(event: str, call_id: str, **fields: object) -> calls.CtiEvent:
    return calls.parse({"event": event, "callId": call_id, **fields})


def answered_call(db: Database, call_id: str, at: datetime, *, talk: int = 60) -> int:
    """A call answered by extension 201 at `at` + 5 s, hung up `talk` seconds later."""
    calls.ingest(db, ev("newCall", call_id, **{"from": "13812345678"}), at=at)
    calls.ingest(db, ev("answer", call_id, answeringNumber="201"), at=at + timedelta(seconds=5))
    done = calls.ingest(
        db, ev("hangup", call_id, cause="normalClearing"), at=at + timedelta(seconds=5 + talk)
    )
    return done.call_pk or 0


def missed_call(db: Database, call_id: str, number: str, at: datetime, wait: int = 20) -> int:
    calls.ingest(db, ev("newCall", call_id, **{"from": number}), at=at)
    return (
        calls.ingest(db, ev("hangup", call_id, cause="cancel"), at=at + timedelta(seconds=wait)).call_pk or 0
    )


def stored(db: Database, pk: int) -> PhoneCall:
    with db.read() as s:
        call = s.get(PhoneCall, pk)
        assert call is not None
        return call


def test_after_call_work_ends_with_a_wrap_up_code_once(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator", extension="201")
    frozen = clock.FrozenClock(T0)
    clock.set_clock(frozen)
    assert calls.call_to_wrap_up(db, anna) is None  # no phone system: nothing to wrap up
    assert calls.finish_after_call(db, anna, "ticket", cap_seconds=120) is None
    first = answered_call(db, "c1", T0)  # ends at T0 + 65 s
    frozen.advance(seconds=65 + 40)
    pending = calls.call_to_wrap_up(db, anna)
    assert pending is not None and pending.id == first
    with pytest.raises(InvalidInput, match="no wrap-up code 'nonsense'"):
        calls.finish_after_call(db, anna, "nonsense", cap_seconds=120)
    assert stored(db, first).acw_seconds is None  # refused whole
    done = calls.finish_after_call(db, anna, "ticket", cap_seconds=120)
    assert done is not None and (done.id, done.acw_seconds, done.wrapup) == (first, 40, "ticket")
    frozen.advance(seconds=30)  # ready twice (two keys, a retry): the first stands
    assert calls.finish_after_call(db, anna, "solved", cap_seconds=120) is None
    assert (stored(db, first).acw_seconds, stored(db, first).wrapup) == (40, "ticket")
    assert calls.call_to_wrap_up(db, anna) is None
    # The next call's after-call work ran out: capped, and no code chosen.
    second = answered_call(db, "c2", frozen.time)
    frozen.advance(seconds=65 + 900)
    done = calls.finish_after_call(db, anna, "", cap_seconds=120)
    assert done is not None and (done.id, done.acw_seconds, done.wrapup) == (second, 120, "")


def test_only_the_agents_own_latest_call_is_wrapped_up(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator", extension="201")
    bo = make_agent(db, "bo", role="operator", extension="202")
    clock.set_clock(clock.FrozenClock(T0 + timedelta(hours=1)))
    older = answered_call(db, "c1", T0)
    newer = answered_call(db, "c2", T0 + timedelta(minutes=5))
    missed_call(db, "c3", "13900001111", T0 + timedelta(minutes=10))  # nobody's
    assert calls.finish_after_call(db, bo, "info", cap_seconds=120) is None
    done = calls.finish_after_call(
        db, anna, "info", cap_seconds=120, at=T0 + timedelta(minutes=6, seconds=15)
    )
    assert done is not None and (done.id, done.acw_seconds) == (newer, 10)
    assert stored(db, older).acw_seconds is None


def test_missed_calls_newest_first_with_the_callers_name_and_seen_in_bulk(db: Database) -> None:
    olga = make_agent(db, "olga", role="operator")
    sue = make_agent(db, "sue", role="supervisor")
    with db.write() as s:
        for name in ("Li Lei", "Han Mei"):  # two customers share one number
            who = Customer(name=name, created_at=T0)
            s.add(who)
            s.flush()
            s.add(CustomerPhone(customer_id=who.id or 0, number="138 1234 5678", digits="13812345678"))
    a = missed_call(db, "a", "+86 138 1234 5678", T0, wait=12)
    b = missed_call(db, "b", "010 8765 4321", T0 + timedelta(minutes=1))
    calls.ingest(db, ev("newCall", "ok"), at=T0 + timedelta(minutes=2))  # answered: not missed
    calls.ingest(db, ev("answer", "ok", user=["olga"]), at=T0 + timedelta(minutes=2, seconds=3))
    calls.ingest(db, ev("hangup", "ok", cause="normalClearing"), at=T0 + timedelta(minutes=3))
    calls.ingest(db, ev("newCall", "out", direction="out", **{"from": "201"}), at=T0 + timedelta(minutes=4))
    calls.ingest(db, ev("hangup", "out", cause="noAnswer"), at=T0 + timedelta(minutes=5))  # ours, unanswered
    rows = calls.missed_calls(db, olga)
    assert [(r.id, r.number, r.name, r.wait_seconds) for r in rows] == [
        (b, "+861087654321", "", 20),
        (a, "+8613812345678", "Han Mei / Li Lei", 12),
    ]
    assert calls.missed_count(db) == 2
    assert calls.mark_seen(db, olga, [a, a, b, 10**6]) == 2  # a duplicate, a call that is not there
    assert calls.mark_seen(db, sue, [a, b]) == 0  # seen already: olga saw them
    assert calls.missed_calls(db, olga) == [] and calls.missed_count(db) == 0
    seen = calls.missed_calls(db, sue, include_seen=True)
    assert [r.id for r in seen] == [b, a] and all(r.seen_at is not None for r in seen)
    with db.read() as s:
        seen_by = s.exec(select(PhoneCall.seen_by_id).where(col(PhoneCall.seen_at).is_not(None))).all()
    assert set(seen_by) == {olga.id}


def test_retried_and_late_events_do_not_list_a_missed_call_twice(db: Database) -> None:
    olga = make_agent(db, "olga", role="operator")
    missed_call(db, "m", "13900001111", T0)
    calls.ingest(db, ev("newCall", "m", **{"from": "13900001111"}), at=T0 + timedelta(seconds=30))
    calls.ingest(db, ev("hangup", "m", cause="cancel"), at=T0 + timedelta(seconds=31))
    calls.ingest(db, ev("answer", "m", answeringNumber="201"), at=T0 + timedelta(seconds=32))  # rejected
    calls.ingest(db, ev("hangup", "ghost", cause="cancel"), at=T0)  # never announced: rejected
    [row] = calls.missed_calls(db, olga)
    assert (row.number, row.wait_seconds) == ("+8613900001111", 20)
    assert calls.missed_count(db) == 1


def test_missed_calls_are_for_those_who_make_callbacks(db: Database) -> None:
    eddy = make_agent(db, "eddy", role="engineer")
    pk = missed_call(db, "m", "13900001111", T0)
    with pytest.raises(PermissionDenied):
        calls.missed_calls(db, eddy)
    with pytest.raises(PermissionDenied):
        calls.mark_seen(db, eddy, [pk])
    assert stored(db, pk).seen_at is None
    with pytest.raises(InvalidInput):
        calls.missed_calls(db, make_agent(db, "olga", role="operator"), limit=0)
