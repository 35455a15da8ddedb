"""Text from outside reaches the console literally: a ticket logged through `ticket create --json`
with escape sequences and markup, and text stored before it was cleaned where it enters, show as
text on every screen and dialog that holds them; no ESC reaches the terminal."""

from __future__ import annotations

import html
import re

from sqlalchemy import text
from textual.widgets import Input, OptionList, TextArea

from deskterm.cli.ticket import form_from_json
from deskterm.screens.intake import IntakeScreen
from deskterm.screens.ticket import TicketScreen
from deskterm.services import intake, tickets
from tests.factories import make_agent
from tests.screens.helpers import log_in, make_app, wait_until

CLEAR = "\x1b[2J\x1b[H"  # clears the screen
OSC52 = "\x1b]52;c;aGVsbG8=\x07"  # writes the clipboard


def on_screen(app) -> str:  # type: ignore[no-untyped-def]
    """The characters the terminal is sent for the current screen (a screenshot's text)."""
    svg = app.export_screenshot()
    return html.unescape(re.sub(r"<[^>]*>", "", svg.split("<g class", 1)[-1])).replace("\xa0", " ")


async def _ticket_and_edit_dialog(pilot, number: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The ticket screen, then its edit dialog, as the engineer sees them."""
    app = pilot.app
    await log_in(pilot, "eddy", "secret-pw")
    await wait_until(pilot, lambda: app.actor is not None and app.current_mode)
    app.push_screen(TicketScreen(number))
    await wait_until(pilot, lambda: isinstance(app.screen, TicketScreen) and "Description" in on_screen(app))
    ticket = on_screen(app)
    await pilot.press("e")
    await wait_until(pilot, lambda: f"Edit {number}" in on_screen(app))
    return ticket, on_screen(app)


async def _caller_pop(pilot, phone: str) -> str:  # type: ignore[no-untyped-def]
    """Intake: the operator types the caller's phone and picks them (name and organisation filled)."""
    app = pilot.app
    await log_in(pilot, "olga", "secret-pw")
    await wait_until(
        pilot,
        lambda: any(isinstance(s, IntakeScreen) and s.classification.categories for s in app.screen_stack),
    )
    await pilot.press("tab", "tab", *phone)
    await wait_until(pilot, lambda: app.screen.query_one("#intake-assist", OptionList).option_count == 1)
    await pilot.press("enter")
    await wait_until(pilot, lambda: "Open tickets: 1" in on_screen(app))
    return on_screen(app)


def _desk(db):  # type: ignore[no-untyped-def]
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", team="Network")
    return op, eng


async def test_a_ticket_created_with_escapes_shows_literally(sqlite_db):
    op, eng = _desk(sqlite_db)
    form, _article = form_from_json(
        {
            "customer": f"Evil{CLEAR} [b]Caller",
            "organisation": f"ACME{OSC52} [/]",
            "phone": "13912345678",
            "summary": f"VPN {CLEAR}down [red]now",
            "description": f"screen {CLEAR}cleared\n{OSC52}second line [0] x",
            "category": "Network/VPN",
        }
    )
    number = intake.save_call(sqlite_db, op, form).number
    tickets.claim(sqlite_db, eng, number)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        ticket, dialog = await _ticket_and_edit_dialog(pilot, number)
        assert "\x1b" not in ticket and "\x1b" not in dialog
        assert "[red]now" in ticket and "Evil [b]Caller" in ticket
        assert app.screen.query_one("#f-description", TextArea).text == "screen cleared\nsecond line [0] x"
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        pop = await _caller_pop(pilot, "13912345678")
        assert "\x1b" not in pop
        assert app.screen.query_one("#f-name", Input).value == "Evil [b]Caller"
        assert app.screen.query_one("#f-organisation", Input).value == "ACME [/]"


async def test_text_stored_before_it_was_cleaned_shows_literally(sqlite_db):
    op, eng = _desk(sqlite_db)
    form = intake.IntakeForm(
        name="Li Lei", organisation="Acme", phone="13912345678", description="VPN", category="Network/VPN"
    )
    number = intake.save_call(sqlite_db, op, form).number
    tickets.claim(sqlite_db, eng, number)
    with sqlite_db.write() as s:  # as an older deskterm stored them
        raw = {
            "c": f"Li{CLEAR} Lei",
            "o": f"Acme{OSC52}",
            "s": f"VPN{CLEAR} down",
            "d": f"a{CLEAR}\n{OSC52}b",
        }
        s.execute(text("UPDATE customer SET name = :c"), raw)
        s.execute(text("UPDATE organisation SET name = :o"), raw)
        s.execute(text("UPDATE ticket SET summary = :s, description = :d"), raw)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        ticket, dialog = await _ticket_and_edit_dialog(pilot, number)
        assert "\x1b" not in ticket and "\x1b" not in dialog
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        assert "\x1b" not in await _caller_pop(pilot, "13912345678")


async def test_over_long_symptoms_get_an_inline_error_and_nothing_is_saved(sqlite_db):
    _desk(sqlite_db)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "olga", "secret-pw")
        await wait_until(
            pilot, lambda: isinstance(app.screen, IntakeScreen) and app.screen.classification.categories
        )
        await pilot.press(*"Li Lei", "tab", *"Acme", "tab", *"13912345678")
        app.screen.query_one("#f-description", TextArea).text = "The VPN drops. " * 700  # 10,500 characters
        app.screen.query_one("#f-category", Input).value = "Network/VPN"
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#e-description")
        await wait_until(pilot, lambda: error.has_class("-shown"))
        assert "at most 10000 characters" in str(error.render()) and app.focused.id == "f-description"
    assert tickets.count_tickets(sqlite_db) == 0


def _categories_loaded(screen: object) -> bool:
    return isinstance(screen, IntakeScreen) and bool(screen.classification.categories)
