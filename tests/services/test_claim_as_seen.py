"""Issue 12.2 at the service: a claim names the version the agent saw; a ticket changed since is
refused and nothing is written (both backends)."""

from __future__ import annotations

import pytest

from deskterm.services import tickets, workflow
from deskterm.services.errors import Conflict
from tests.factories import make_agent, make_ticket


def test_a_claim_of_a_ticket_changed_since_it_was_seen_writes_nothing(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eddy = make_agent(db, "eddy")
    erin = make_agent(db, "erin", name="Erin Engineer")
    t = make_ticket(db, op)
    seen = t.version
    workflow.edit(db, erin, t.number, version=seen, changes={"summary": "Will not boot, fan loud"})
    before = tickets.get_ticket(db, op, t.number)
    with pytest.raises(Conflict, match="changed since it was shown"):
        tickets.claim(db, eddy, t.number, version=seen)
    after = tickets.get_ticket(db, op, t.number)
    assert (after.assignee, after.version, len(after.events)) == ("", before.version, len(before.events))
    assert tickets.claim(db, eddy, t.number, version=after.version).assignee == "Eddy"


def test_a_claim_of_a_ticket_taken_since_says_by_whom(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eddy = make_agent(db, "eddy")
    erin = make_agent(db, "erin", name="Erin Engineer")
    t = make_ticket(db, op)
    tickets.claim(db, erin, t.number, version=t.version)
    with pytest.raises(Conflict, match="already taken by Erin Engineer"):
        tickets.claim(db, eddy, t.number, version=t.version)
