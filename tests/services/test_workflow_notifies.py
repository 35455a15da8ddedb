"""Working a ticket reaches people's inboxes: @mentions in notes, assignments and transfers."""

from __future__ import annotations

from deskterm.services import notify, workflow
from tests.factories import make_agent, make_ticket


def test_mention_assignment_and_transfer_notify(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    sup = make_agent(db, "sue", role="supervisor")
    eddy = make_agent(db, "eddy")
    nina = make_agent(db, "nina", team="Network")
    t = make_ticket(db, op)
    workflow.add_note(db, op, t.number, "@eddy could you look at this? cc @nobody")
    assert notify.unread_count(db, eddy) == 1
    workflow.assign(db, sup, t.number, "eddy")
    assert notify.unread_count(db, eddy) == 2
    workflow.transfer(db, eddy, t.number, reason="network fault", agent="nina")
    assert notify.unread_count(db, nina) == 1
    assert notify.unread_count(db, op) == 0  # the writer is not told of their own note
