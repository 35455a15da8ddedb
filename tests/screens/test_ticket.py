"""The ticket screen with Pilot: notes, status changes, resolving with an article, transfer, the work
sheet, a conflicting edit, a live update from another session, what an operator is offered, and a
snapshot."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import Any

from rich.cells import cell_len
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from deskterm import clock
from deskterm.models import KbArticle, Status
from deskterm.services import tickets, workflow, worksheet
from deskterm.services.auth import login
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)


async def _open(pilot, login_name: str, number: str, password: str = "secret-pw"):  # type: ignore[no-untyped-def]
    from deskterm.screens.ticket import TicketScreen

    app = pilot.app
    await log_in(pilot, login_name, password)
    await wait_until(pilot, lambda: app.actor is not None and app.current_mode)
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.current_mode == "queue")
    app.push_screen(TicketScreen(number))
    await wait_until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.view is not None)
    return app.screen


def _timeline(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#ticket-events", Static).render())


async def _dialog(pilot, key: str, widget_id: str):  # type: ignore[no-untyped-def]
    await pilot.press(key)
    await wait_until(pilot, lambda: pilot.app.screen.query(widget_id))
    return pilot.app.screen


async def test_note_status_and_resolve_with_an_article(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    with sqlite_db.write() as s:
        s.add(
            KbArticle(
                external_id="KB-0007", title="Reseat RAM", created_at=clock.now(), updated_at=clock.now()
            )
        )
    t = make_ticket(sqlite_db, op)
    tickets.claim(sqlite_db, eng, t.number)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        dialog = await _dialog(pilot, "n", "#f-note")
        await pilot.press(*"Called the customer [b]back")
        dialog.query_one("#f-public", Checkbox).value = True
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: app.screen is screen and "Called the customer [b]back" in _timeline(screen)
        )
        assert "public" in _timeline(screen)

        await _dialog(pilot, "s", "#f-status")
        await pilot.press("down", "enter")  # pending customer, pending third party, in progress → 2nd
        await wait_until(pilot, lambda: screen.view.detail.status == Status.PENDING_CUSTOMER)

        dialog = await _dialog(pilot, "r", "#f-resolution")
        await pilot.press("ctrl+s")  # no resolution: refused in place
        await wait_until(pilot, lambda: "required" in str(dialog.query_one("#e-form", Static).render()))
        await pilot.press(*"Reseated the memory")
        dialog.query_one("#f-article", Input).value = "KB-0007"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen and screen.view.detail.status == Status.RESOLVED)
        assert screen.view.articles == ["KB-0007 Reseat RAM"]
        assert "Reseated the memory" in _timeline(screen)
        assert screen.check_action("reopen", ()) and not screen.check_action("resolve", ())


async def test_transfer_to_another_team(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op)
    tickets.claim(sqlite_db, eng, t.number)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        dialog = await _dialog(pilot, "t", "#f-to")
        select = dialog.query_one("#f-to", Select)
        await wait_until(pilot, lambda: len(select._options) > 3)
        select.value = "team:Network"
        dialog.query_one("#f-reason", Input).focus()
        await pilot.press(*"VPN problem", "enter")
        await wait_until(pilot, lambda: app.screen is screen and screen.view.detail.team == "Network")
        assert screen.view.detail.status == Status.NEW and screen.view.detail.assignee == ""
        assert "VPN problem" in _timeline(screen)
        assert not screen.check_action("resolve", ())  # no longer his team's


async def test_work_sheet_saved_and_printable(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    t = make_ticket(sqlite_db, op, service_mode="on_site")
    tickets.claim(sqlite_db, eng, t.number)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 50)) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        dialog = await _dialog(pilot, "w", "#f-planned_at")
        await wait_until(pilot, lambda: dialog.sheet is not None)
        dialog.query_one("#f-planned_at", Input).value = "2026-03-03 14:00"
        dialog.query_one("#f-address", Input).value = "上海市浦东新区 88号"
        dialog.query_one("#f-arrived_at", Input).value = "2026-03-03 14:20"
        dialog.query_one("#f-finished_at", Input).value = "2026-03-03 bad"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "YYYY-MM-DD" in str(dialog.query_one("#e-form", Static).render()))
        dialog.query_one("#f-finished_at", Input).value = "2026-03-03 15:05"
        dialog.query_one("#f-work_done", TextArea).text = "Replaced the disk, reinstalled."
        dialog.query_one("#f-parts", TextArea).text = "SSD 512G; S1N-NEW; S0-OLD\n"
        dialog.query_one("#f-signed_by", Input).value = "王先生"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is screen and "work sheet" in _timeline(screen))
        sheet = worksheet.get_sheet(sqlite_db, eng, t.number)
        assert sheet.arrived_at == datetime(2026, 3, 3, 6, 20, tzinfo=UTC)  # 14:20 in Shanghai
        assert (
            sheet.parts == [worksheet.Part("SSD 512G", "S1N-NEW", "S0-OLD")] and sheet.signed_by == "王先生"
        )
        dialog = await _dialog(pilot, "w", "#f-planned_at")
        await wait_until(pilot, lambda: dialog.query_one("#f-signed_by", Input).value == "王先生")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.screen.query("#text-body"))
        text = str(app.screen.query_one("#text-body", Static).render())
        assert "WORK SHEET 派工单" in text and "S1N-NEW" in text and "2026-03-03 14:20" in text


async def test_conflicting_edit_is_refused_with_what_changed(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy")
    other = make_agent(sqlite_db, "erin", name="Erin Engineer")
    t = make_ticket(sqlite_db, op)
    tickets.claim(sqlite_db, eng, t.number)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open(pilot, "eddy", t.number)
        dialog = await _dialog(pilot, "e", "#f-summary")
        dialog.query_one("#f-summary", Input).value = "Mine: laptop dead"
        version = tickets.get_ticket(sqlite_db, op, t.number).version
        workflow.edit(sqlite_db, other, t.number, version=version, changes={"summary": "Erin's summary"})
        await pilot.press("ctrl+s")
        error = dialog.query_one("#e-form", Static)
        await wait_until(pilot, lambda: "changed meanwhile by Erin Engineer" in str(error.render()))
        assert "summary Laptop will not boot → Erin's summary" in str(error.render())
        assert app.screen is dialog and dialog.query_one("#f-summary", Input).value == "Mine: laptop dead"
        assert tickets.get_ticket(sqlite_db, op, t.number).summary == "Erin's summary"


async def test_live_update_and_what_an_operator_may_do(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    eng = make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "olga", t.number, "right-pw")
        assert screen.check_action("note", ()) and not screen.check_action("status", ())
        assert not screen.check_action("resolve", ()) and not screen.check_action("claim", ())
        tickets.claim(sqlite_db, eng, t.number)
        workflow.add_note(sqlite_db, eng, t.number, "On my way")
        await wait_until(pilot, lambda: "On my way" in _timeline(screen))
        assert screen.view.detail.assignee == "Eddy Engineer"


def test_snapshot_ticket_screen(sqlite_db, snap_compare):
    clock.set_clock(clock.FrozenClock(NOW))
    for login_name, name, number, role, team in (
        ("olga", "Olga Operator", "017", "operator", "Service Desk"),
        ("eddy", "Eddy Engineer", "031", "engineer", "Desktop Support"),
    ):
        make_agent(
            sqlite_db,
            login=login_name,
            name=name,
            number=number,
            role=role,
            tier=2,
            team=team,
            password="secret-pw",
        )
    op, eng = login(sqlite_db, "olga", "secret-pw"), login(sqlite_db, "eddy", "secret-pw")
    t = make_ticket(
        sqlite_db, op, "Laptop will not boot [b]", impact=2, urgency=2, description="蓝屏 after update"
    )
    tickets.claim(sqlite_db, eng, t.number)
    workflow.add_note(sqlite_db, eng, t.number, "Called back, \x1b[2J asked to try safe mode", public=True)
    workflow.change_status(sqlite_db, eng, t.number, Status.PENDING_CUSTOMER)
    clock.set_clock(clock.FrozenClock(NOW.replace(hour=3)))
    app = make_app(sqlite_db, watch_changes=False)

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, "eddy", t.number)

    assert snap_compare(app, terminal_size=(110, 34), run_before=ready)


async def test_claim_on_the_ticket_screen_carries_the_version_shown(sqlite_db):
    """Issue 12.2: a ticket changed since the screen showed it is not claimed; the screen says so."""
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    other = make_agent(sqlite_db, "erin", name="Erin Engineer")
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        workflow.edit(
            sqlite_db, other, t.number, version=t.version, changes={"summary": "Not booting at all"}
        )
        await pilot.press("c")
        await wait_until(pilot, lambda: any("changed since" in str(n.message) for n in app._notifications))
        assert tickets.get_ticket(sqlite_db, op, t.number).assignee == ""
        await wait_until(pilot, lambda: screen.view.detail.summary == "Not booting at all")  # read again
        await pilot.press("c")
        await wait_until(
            pilot, lambda: tickets.get_ticket(sqlite_db, op, t.number).assignee == "Eddy Engineer"
        )


LABELS = ("Summary", "Impact / urgency", "Warranty", "Respond by", "SLA paused", "Resolution", "Version")


def _value_columns(panel: Any) -> set[int]:
    """Where the values start on each labelled line a field panel draws (at the screen's width)."""
    from rich.console import Console

    from deskterm.i18n import _

    console = Console(width=53, record=True, file=open(os.devnull, "w"))  # noqa: SIM115
    console.print(panel.render_view(panel.view))
    columns: set[int] = set()
    for line in console.export_text().splitlines():
        label = next((_(x) for x in LABELS if line.startswith(_(x) + " ")), "")
        if label:
            rest = line[len(label) :]
            columns.add(cell_len(label) + cell_len(rest) - cell_len(rest.lstrip()))
    return columns


async def test_the_field_panels_line_up_as_one_table_in_both_languages(sqlite_db):
    """The fields, the SLA clocks and the record are three panels; their labels and values still
    form one table, whatever the longest label is in the language shown."""
    from deskterm.widgets.ticket import SlaClocks, TicketFields, TicketRecord

    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op)
    tickets.claim(sqlite_db, eng, t.number)
    workflow.resolve(sqlite_db, eng, t.number, "Reseated the memory")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        for title in ("Timeline", "处理记录"):
            if title != "Timeline":
                await pilot.press("ctrl+l")
            await wait_until(
                pilot,
                lambda title=title: (
                    title in str(app.screen.query_one("#ticket-timeline-title", Static).render())
                    and app.screen.query_one(TicketRecord).view is not None
                ),
            )
            panels = [screen.query_one(p) for p in (TicketFields, SlaClocks, TicketRecord)]
            columns = set().union(*(_value_columns(p) for p in panels))
            assert len(columns) == 1, (title, columns)


async def test_watch_and_unwatch(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        head = screen.query_one("#ticket-head", Static)
        await pilot.press("f")
        await wait_until(pilot, lambda: screen.view.watching and "watching" in str(head.render()))
        assert any(str(n.message) == f"Watching {t.number}." for n in app._notifications)
        await pilot.press("f")
        await wait_until(pilot, lambda: not screen.view.watching and "watching" not in str(head.render()))
        assert any(str(n.message) == f"No longer watching {t.number}." for n in app._notifications)
