"""The supervisor's services behind the monitor's screens (issue 14): the surveys behind the CSAT
figure, the agents to reassign to with their state and load (one query), and reassigning several
marked tickets at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from deskterm import clock
from deskterm.models import Survey
from deskterm.services import directory, kpi, presence, tickets, workflow
from deskterm.services.errors import InvalidInput, PermissionDenied
from tests.factories import make_agent, make_ticket

NOW = datetime(2026, 3, 2, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai


def _survey(db, ticket_id: int, at: datetime, comment: str, answers=(1, 2, 1, 1)) -> None:  # type: ignore[no-untyped-def]
    with db.write() as s:
        attitude, quality, technical, speed = answers
        s.add(
            Survey(
                ticket_id=ticket_id,
                attitude=attitude,
                quality=quality,
                technical=technical,
                speed=speed,
                comment=comment,
                created_at=at,
            )
        )


def test_the_csat_figure_lists_todays_surveys_with_their_comments(db):
    clock.set_clock(clock.FrozenClock(NOW - timedelta(days=1)))
    sue = make_agent(db, "sue", role="supervisor", team="Service Desk")
    eddy = make_agent(db, "eddy", role="engineer", name="Eddy")
    old = make_ticket(db, sue, "Yesterday's printer")
    first = make_ticket(db, sue, "Printer jams")
    second = make_ticket(db, sue, "VPN drops", category="Network/VPN")
    tickets.claim(db, eddy, first.number)
    _survey(db, old.id, NOW - timedelta(hours=20), "yesterday's survey")  # 16:00 yesterday in Shanghai
    _survey(db, first.id, NOW - timedelta(hours=2), "Great [b]work[/b]\n thanks", answers=(1, 1, 2, 2))
    _survey(db, second.id, NOW - timedelta(hours=1), "", answers=(4, 4, 3, 4))
    rows = kpi.surveys_behind(db, sue, kpi.Figure("csat"), now=NOW)
    assert [r.number for r in rows] == [second.number, first.number]  # today's, newest first
    jams = rows[1]
    assert jams.comment == "Great [b]work[/b]\n thanks"  # as written: the screen shows it literally
    assert jams.ratings == (1, 1, 2, 2) and jams.score == pytest.approx(1.5)
    assert jams.assignee == "Eddy" and jams.version == tickets.get_ticket(db, sue, first.number).version
    assert rows[0].assignee == "" and rows[0].score == pytest.approx(3.75)
    team = kpi.team_id_of(db, "Desktop Support")
    only = kpi.surveys_behind(db, sue, kpi.Figure("csat", team_id=team), now=NOW)
    assert [r.number for r in only] == [first.number]
    with pytest.raises(PermissionDenied):
        kpi.surveys_behind(db, eddy, kpi.Figure("csat"), now=NOW)


def test_the_reassign_list_shows_state_and_load_in_one_query(db):
    frozen = clock.FrozenClock(NOW - timedelta(minutes=10))
    clock.set_clock(frozen)
    sue = make_agent(db, "sue", role="supervisor", team="Service Desk", name="Sue")
    ann = make_agent(db, "ann", name="Ann")
    bob = make_agent(db, "bob", name="Bob", team="Network")
    for summary in ("one", "two"):
        tickets.claim(db, ann, make_ticket(db, sue, summary).number)
    done = make_ticket(db, sue, "three")
    tickets.claim(db, ann, done.number)
    workflow.resolve(db, ann, done.number, "fixed")  # resolved: not open load
    presence.publish(db, sue, presence.AVAILABLE)  # and silent since
    frozen.time = NOW
    presence.publish(db, ann, presence.AWAY, reason="lunch")
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        rows = directory.assignee_load(db, sue, timeout=60.0, now=NOW)
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    by_login = {r.login: r for r in rows}
    assert [r.name for r in rows] == ["Ann", "Bob", "Sue"]
    ann_row = by_login["ann"]
    assert (ann_row.state, ann_row.reason, ann_row.open) == ("away", ("Lunch", "午餐"), 2)
    assert (by_login["bob"].state, by_login["bob"].open, by_login["bob"].team) == ("logged_out", 0, "Network")
    assert by_login["sue"].state == "logged_out"  # the heartbeat stopped 10 minutes ago
    agent_queries = [q for q in statements if "agent_presence" in q]
    assert len(agent_queries) == 1  # the list, states and loads: one query (no query per agent)
    with pytest.raises(PermissionDenied):
        directory.assignee_load(db, bob, timeout=60.0, now=NOW)


def test_bulk_reassign_assigns_the_rest_and_reports_the_changed(db):
    sue = make_agent(db, "sue", role="supervisor", team="Service Desk")
    eddy = make_agent(db, "eddy", name="Eddy")
    make_agent(db, "erin", name="Erin")
    marked = [make_ticket(db, sue, summary) for summary in ("one", "two", "three")]
    seen = [(t.number, t.version) for t in marked]
    tickets.claim(db, eddy, marked[1].number)  # changed since the supervisor looked
    with pytest.raises(PermissionDenied):
        workflow.assign_many(db, eddy, seen, "erin")
    with pytest.raises(InvalidInput):
        workflow.assign_many(db, sue, [], "erin")
    with pytest.raises(InvalidInput):
        workflow.assign_many(db, sue, seen, "nobody")
    result = workflow.assign_many(db, sue, seen, "erin", reason="Eddy is on leave")
    assert result.assigned == [marked[0].number, marked[2].number]
    assert [number for number, _why in result.refused] == [marked[1].number]
    assert "changed meanwhile" in result.refused[0][1]
    assignees = [tickets.get_ticket(db, sue, t.number).assignee for t in marked]
    assert assignees == ["Erin", "Eddy", "Erin"]
