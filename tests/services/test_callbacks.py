"""Callbacks and the satisfaction survey: fixed (survey, closed), not fixed (reopened to the last
assignee), no answer (retried, then closed); the survey counted in the KPIs."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.models import Callback, Survey, Ticket
from deskterm.services import callbacks, kpi, tickets, workflow
from deskterm.services.errors import Conflict, InvalidInput, PermissionDenied
from tests.factories import make_agent, make_ticket

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    frozen = clock.FrozenClock(NOW)
    clock.set_clock(frozen)
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", role="engineer", team="Desktop Support")
    sup = make_agent(db, "sue", role="supervisor", team="Service Desk")
    resolved = []
    for summary in ("Printer [b]jams[/b]", "VPN drops"):
        t = make_ticket(db, op, summary)
        tickets.claim(db, eng, t.number)
        workflow.resolve(db, eng, t.number, "replaced the roller")
        resolved.append(t.number)
    frozen.advance(minutes=5)
    return {"op": op, "eng": eng, "sup": sup, "frozen": frozen, "a": resolved[0], "b": resolved[1]}


def _events(db, number):  # type: ignore[no-untyped-def]
    return [(e.kind, e.body, e.data) for e in tickets.get_ticket(db, None, number).events]


def test_list_and_script(db, desk):
    items = callbacks.callback_list(db, desk["op"])
    assert {i.number for i in items} == {desk["a"], desk["b"]}
    sheet = callbacks.sheet(db, desk["op"], desk["a"], lang="en", desk="Acme")
    assert "This is the Acme service desk" in sheet.script
    assert "Printer [b]jams[/b]" in sheet.script  # the problem, as the caller said it
    assert sheet.resolution == "replaced the roller" and sheet.item.attempts == 0


def test_fixed_with_survey_closes_and_counts(db, desk):
    answers = callbacks.SurveyAnswers(attitude=1, quality=1, technical=2, speed=4, comment="快")
    out = callbacks.record_fixed(db, desk["op"], desk["a"], answers)
    assert (out.outcome, out.status) == ("fixed", "closed")
    kinds = [k for k, _b, _d in _events(db, desk["a"])]
    assert kinds[-3:] == ["callback", "survey", "closed"]
    with db.read() as s:
        survey = s.exec(select(Survey)).one()
        t = s.exec(select(Ticket).where(Ticket.number == desk["a"])).one()
    assert (survey.attitude, survey.speed, survey.comment) == (1, 4, "快")
    assert t.closed_at == NOW + timedelta(minutes=5) and not t.is_open
    with db.read() as s:
        figures = kpi.kpis(kpi.tally_of(kpi.survey_rows(s, NOW, NOW + timedelta(hours=1))))
    assert figures.surveys == 1 and figures.csat == pytest.approx(3 / 4)
    with pytest.raises(Conflict):  # recorded already: nobody records it twice
        callbacks.record_fixed(db, desk["sup"], desk["a"], None)
    assert desk["a"] not in {i.number for i in callbacks.callback_list(db, desk["op"])}


def test_not_fixed_reopens_to_the_last_assignee(db, desk):
    before = tickets.get_ticket(db, None, desk["b"])
    out = callbacks.record_not_fixed(db, desk["op"], desk["b"], "still drops every hour")
    after = tickets.get_ticket(db, None, desk["b"])
    assert (out.status, after.status, after.assignee) == ("assigned", "assigned", "Eddy")
    assert after.version > before.version and after.resolved_at is None
    kind, body, data = _events(db, desk["b"])[-1]
    assert (kind, body) == ("reopened", "still drops every hour")
    assert (
        data["callback"] is True
        and data["assignee"] == "eddy"
        and data["resolution"] == "replaced the roller"
    )
    with pytest.raises(InvalidInput):
        callbacks.record_not_fixed(db, desk["op"], desk["a"], "  ")


def test_no_answer_retries_then_closes(db, desk):
    frozen = desk["frozen"]
    out = callbacks.record_no_answer(db, desk["op"], desk["a"], max_attempts=3)
    assert (out.attempts, out.status) == (1, "resolved")
    items = callbacks.callback_list(db, desk["op"], retry_minutes=60)
    assert [i.number for i in items][-1] == desk["a"] and items[-1].retry_at is not None  # later
    frozen.advance(minutes=61)
    assert callbacks.callback_list(db, desk["op"], retry_minutes=60)[0].retry_at is None
    callbacks.record_no_answer(db, desk["op"], desk["a"], max_attempts=3)
    frozen.advance(minutes=60)  # each try waits for the retry time (callback_retry_minutes)
    out = callbacks.record_no_answer(db, desk["op"], desk["a"], max_attempts=3)
    assert (out.attempts, out.status) == (3, "closed")
    events = _events(db, desk["a"])
    assert events[-1][0] == "closed" and "no answer" in events[-1][1]
    assert [json.dumps(d) for k, _b, d in events if k == "callback"] == [
        json.dumps({"outcome": "no_answer"})
    ] * 3
    with db.read() as s:
        assert len(s.exec(select(Callback)).all()) == 3


def test_who_may_call_back(db, desk):
    with pytest.raises(PermissionDenied):
        callbacks.callback_list(db, desk["eng"])
    with pytest.raises(InvalidInput):
        callbacks.record_fixed(db, desk["op"], desk["a"], callbacks.SurveyAnswers(0, 1, 1, 1))
