"""Call events from the PBX become call records: idempotent, out of order, untrusted (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskterm.db import Database
from deskterm.services import calls
from deskterm.services.errors import InvalidInput, PermissionDenied
from tests.factories import make_agent

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


def ev(event: str, call_id: str = "c1", **fields: object) -> calls.CtiEvent:
    return calls.parse({"event": event, "callId": call_id, **fields})


def test_a_call_from_ring_to_hangup(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator", extension="201")
    assert (
        calls.ingest(db, ev("newCall", **{"from": "138 1234 5678", "to": "400800"}), at=T0).status == "stored"
    )
    calls.ingest(db, ev("answer", answeringNumber="201"), at=T0 + timedelta(seconds=9))
    done = calls.ingest(db, ev("hangup", cause="normalClearing"), at=T0 + timedelta(seconds=129))
    row = calls.get_call(db, anna, done.call_pk or 0)
    assert (row.caller, row.caller_raw, row.dialled) == ("+8613812345678", "138 1234 5678", "400800")
    assert (row.agent_id, row.wait_seconds, row.talk_seconds, row.cause) == (
        anna.id,
        9,
        120,
        "normalClearing",
    )
    assert not row.missed


def test_retried_events_count_once(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator")
    first = calls.ingest(db, ev("newCall", **{"from": "+44 20 7946 0018"}), at=T0)
    again = calls.ingest(db, ev("newCall", **{"from": "+44 20 7946 0018"}), at=T0 + timedelta(seconds=3))
    assert (first.status, again.status, again.call_pk) == ("stored", "duplicate", first.call_pk)
    calls.ingest(db, ev("hangup", cause="cancel"), at=T0 + timedelta(seconds=40))
    calls.ingest(db, ev("hangup", cause="cancel"), at=T0 + timedelta(seconds=90))
    [row] = calls.list_calls(db, anna, missed=True)
    assert (row.caller, row.wait_seconds, row.missed) == ("+442079460018", 40, True)


def test_out_of_order_events_are_kept_or_rejected_with_a_reason(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator", extension="201")
    # An answer before its newCall builds the record; the late newCall fills in the caller.
    calls.ingest(db, ev("answer", "c2", user=["anna"]), at=T0)
    calls.ingest(db, ev("newCall", "c2", **{"from": "010 8765 4321"}), at=T0 + timedelta(seconds=1))
    # A hang-up of a call never announced, an answer after the hang-up: rejected, nothing changes.
    lost = calls.ingest(db, ev("hangup", "c3", cause="normalClearing"), at=T0)
    assert (lost.status, lost.call_pk) == ("rejected", None) and "never came" in lost.reason
    calls.ingest(db, ev("newCall", "c4"), at=T0)
    calls.ingest(db, ev("hangup", "c4", cause="cancel"), at=T0 + timedelta(seconds=5))
    late = calls.ingest(db, ev("answer", "c4", answeringNumber="201"), at=T0 + timedelta(seconds=6))
    assert late.status == "rejected" and "ended" in late.reason
    rows = {r.call_id: r for r in calls.list_calls(db, anna)}
    assert set(rows) == {"c2", "c4"}
    assert (rows["c2"].agent_id, rows["c2"].caller, rows["c2"].wait_seconds) == (anna.id, "+861087654321", 0)
    assert rows["c4"].missed and rows["c4"].agent_id is None


def test_the_answering_number_is_matched_to_an_extension_then_a_login(db: Database) -> None:
    anna = make_agent(db, "anna", role="operator", extension="201")
    bo = make_agent(db, "201", role="operator")  # a login that looks like anna's extension
    calls.ingest(db, ev("answer", "x", answeringNumber="201"))
    calls.ingest(db, ev("answer", "y", answeringNumber="nobody", user=["201"]))
    signals = calls.events_after(db, 0)
    assert [(s.call_id, s.agent_id) for s in signals] == [("x", anna.id), ("y", anna.id)]
    assert calls.events_after(db, 0, agent_id=bo.id) == []
    assert calls.events_after(db, signals[0].event_id, agent_id=anna.id)[0].call_id == "y"


@pytest.mark.parametrize(
    "fields",
    [
        {"callId": "c"},
        {"event": "ring", "callId": "c"},
        {"event": "newCall"},
        {"event": "newCall", "callId": "c", "direction": "sideways"},
        {"event": "newCall", "callId": "c", "from": "1" * 61},
        {"event": "newCall", "callId": "c\x00"},
        {"event": "newCall", "callId": "c", "user": {"a": 1}},
        {"event": "hangup", "callId": "c", "cause": "rm -rf /"},
        {"event": "newCall", "callId": ["c"]},
    ],
)
def test_malformed_events_are_refused_whole(fields: dict[str, object]) -> None:
    with pytest.raises(InvalidInput):
        calls.parse(fields)


def test_outside_text_is_cleaned() -> None:
    e = calls.parse(
        {"event": "newCall", "callId": " c\x1b[31m1 ", "from": "\x1b]0;pwn\x07138 0000 0000", "user": "a\nb"}
    )
    assert (e.call_id, e.users) == ("c1", ("a b",))
    assert "\x1b" not in e.caller and "\x07" not in e.caller


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("13812345678", "86", "+8613812345678"),
        ("+86 138-1234-5678", "86", "+8613812345678"),
        ("008613812345678", "86", "+8613812345678"),
        ("8613812345678", "86", "+8613812345678"),
        ("021 6123 4567", "86", "+862161234567"),
        ("(020) 7946 0018", "44", "+442079460018"),
        ("+1 (415) 555-0100 ext. 12", "86", "+14155550100"),
        ("＋８６ １３８１２３４５６７８", "86", "+8613812345678"),
        ("anonymous", "86", ""),
        ("sip:201@pbx.local", "86", ""),
        ("", "86", ""),
        ("12", "86", ""),
    ],
)
def test_numbers_are_stored_in_e164(raw: str, country: str, expected: str) -> None:
    assert calls.e164(raw, country) == expected


def test_the_token_is_an_admins_to_read_and_rotate(db: Database) -> None:
    admin = make_agent(db, "root", role="admin", team=None)
    olga = make_agent(db, "olga", role="operator")
    token = calls.cti_token(db)
    assert calls.cti_token(db) == token == calls.reveal_cti_token(db, admin)
    with pytest.raises(PermissionDenied):
        calls.reveal_cti_token(db, olga)
    with pytest.raises(PermissionDenied):
        calls.rotate_cti_token(db, olga)
    new = calls.rotate_cti_token(db, admin)
    assert new != token and calls.cti_token(db) == new
    assert calls.token_matches(new, new) and not calls.token_matches(token, new)
    assert calls.cti_url(new, "127.0.0.1:8765") == f"http://127.0.0.1:8765/cti/{new}"


def test_a_deactivated_agents_extension_pops_nobody(db: Database) -> None:
    """An agent who left keeps no phone: their extension's answer is stored, tied to no console."""
    from tests.factories import set_active

    make_agent(db, "anna", role="operator", extension="201")
    set_active(db, "anna", False)
    done = calls.ingest(db, ev("answer", "z", answeringNumber="201", user=["anna"]))
    assert done.status == "stored"
    assert [s.agent_id for s in calls.events_after(db, 0)] == [None]
