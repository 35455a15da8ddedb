"""The inbox: a notification made in another session reaches a running console live (toast and
header count), the inbox lists it, opens its ticket, marks all read; the manual escalation dialog."""

from __future__ import annotations

import threading

from textual.widgets import DataTable, Input, Select, Static

from deskterm.db import open_database
from deskterm.dialogs.escalate import EscalateDialog
from deskterm.services import escalation, notify
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until


def _desk(db):  # type: ignore[no-untyped-def]
    lead = make_agent(db, "lead", role="supervisor", password="lead-pw", name="Lead [b]Boss")
    eng = make_agent(db, "eng", manager="lead")
    op = make_agent(db, "op", role="operator", team="Service Desk", tier=1)
    return lead, eng, op


def _toasts(app) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(n.message) for n in app._notifications]


async def test_an_escalation_in_another_session_reaches_the_console_live(db):
    lead, eng, op = _desk(db)
    ticket = make_ticket(db, op, "Printer on fire [red]x")
    app = make_app(db)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await log_in(pilot, "lead", "lead-pw")
        await wait_until(pilot, lambda: app.inbox_feed is not None and app.inbox_feed.last_id is not None)
        assert app.unread == 0

        def other_session() -> None:  # another console: its own engine and connections
            other = open_database(db.engine.url.render_as_string(hide_password=False))
            escalation.escalate(
                other, eng, ticket.number, mode="hierarchical", reason="angry [b]caller", expected="1h"
            )
            other.dispose()

        worker = threading.Thread(target=other_session)
        worker.start()
        await wait_until(pilot, lambda: app.unread == 1)
        worker.join()
        await wait_until(pilot, lambda: any(ticket.number in t for t in _toasts(app)))
        assert any("angry [b]caller" in t for t in _toasts(app))  # shown literally
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.current_mode == "inbox")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert ticket.number in str(app.screen.query_one("#inbox-body", Static).render())
        await pilot.press("a")
        await wait_until(pilot, lambda: app.unread == 0)
        assert notify.unread_count(db, lead) == 0


async def test_open_the_ticket_from_the_inbox_marks_it_read(sqlite_db):
    _lead, eng, op = _desk(sqlite_db)
    ticket = make_ticket(sqlite_db, op)
    escalation.escalate(sqlite_db, eng, ticket.number, mode="hierarchical", reason="why", expected="2h")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 36)) as pilot:
        await log_in(pilot, "lead", "lead-pw")
        await wait_until(pilot, lambda: app.unread == 1)
        await pilot.press("f6")
        await wait_until(pilot, lambda: app.current_mode == "inbox")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        table.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(app.screen_stack) > 1)
        await wait_until(pilot, lambda: app.unread == 0)
        assert type(app.screen).__name__ == "TicketScreen"
        assert app.screen.number == ticket.number


async def test_escalate_dialog_needs_a_reason_then_escalates(sqlite_db):
    _desk(sqlite_db)
    op = make_agent(sqlite_db, "op2", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "spec", team="Server Specialists", tier=3, manager="lead")
    ticket = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    results: list = []
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "eng", "secret-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        app.push_screen(EscalateDialog(ticket.number), results.append)
        await wait_until(
            pilot, lambda: isinstance(app.screen, EscalateDialog) and app.screen.options is not None
        )
        dialog = app.screen
        assert dialog.query_one("#f-mode", Select).value == "functional"
        assert "Server Specialists" in str(dialog.query_one("#escalate-to", Static).render())
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "required" in str(dialog.query_one("#e-reason", Static).render()))
        dialog.query_one("#f-reason", Input).value = "needs a specialist"
        dialog.query_one("#f-expected", Input).value = "4h"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: results)
    (result,) = results
    assert result.to == "Server Specialists (tier 3)" and result.expected_minutes == 240
