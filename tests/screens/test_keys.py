"""Keys on every screen: the footer fits at 80 and 120 columns in both languages; `?` lists every key
of the screen; the command palette offers the desk's actions, translated, not Textual's internals."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from deskterm import i18n, screens
from deskterm.dialogs.help import HelpDialog
from deskterm.screens.ticket import TicketScreen, open_ticket
from deskterm.widgets.chrome import DeskFooter
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import go_to, log_in, make_app, wait_until


def footer_overflow(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The footer keys that do not fit beside the palette key (empty when the footer fits)."""
    footer = app.screen.query_one(DeskFooter)
    keys = list(footer.query(FooterKey))
    palette = [k for k in keys if k.has_class("-command-palette")]
    room = footer.size.width - sum(k.outer_size.width for k in palette)
    used, cut = 0, []
    for key in keys:
        if key in palette:
            continue
        used += key.outer_size.width + key.styles.margin.width
        if used > room:
            cut.append(f"{key.key_display} {key.description}")
    return cut


async def settle(pilot, mode: str) -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    app.action_goto(mode)
    await wait_until(pilot, lambda: app.current_mode == mode and app.screen.query(DeskFooter))
    footer = app.screen.query_one(DeskFooter)
    await wait_until(pilot, lambda: footer.query(FooterKey))
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("role", ["operator", "engineer", "supervisor"])
async def test_every_footer_fits_its_screen(sqlite_db, role, size):
    who = make_agent(sqlite_db, "who", role=role, team="Service Desk", tier=1, password="right-pw")
    number = make_ticket(sqlite_db, who).number
    app = make_app(sqlite_db, watch_changes=False)
    cut: dict[str, list[str]] = {}
    async with app.run_test(size=size) as pilot:
        await log_in(pilot, "who", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode != "_default")
        for language in ("en", "zh"):
            if i18n.language() != language:
                app.action_toggle_language()
            for spec in screens.offered(role):
                await settle(pilot, spec.id)
                if footer_overflow(app):
                    cut[f"{language} {spec.id}"] = footer_overflow(app)
                if spec.id == "queue":  # the team view shows Claim too
                    await pilot.press("2")
                    await pilot.pause()
                    await wait_until(pilot, lambda: "c" in app.screen.active_bindings)
                    if footer_overflow(app):
                        cut[f"{language} queue team"] = footer_overflow(app)
            open_ticket(app, number)  # the ticket screen, over the last one
            await wait_until(pilot, lambda: isinstance(app.screen, TicketScreen) and app.screen.view)
            await pilot.pause()
            if footer_overflow(app):
                cut[f"{language} ticket"] = footer_overflow(app)
            app.pop_screen()
    i18n.set_language("en")
    assert cut == {}


def help_text(app) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one("#help-text", Static).render())


async def test_question_mark_lists_every_key_of_the_screen_and_esc_closes(sqlite_db):
    make_agent(sqlite_db, "eddy", role="engineer", team="Service Desk", tier=1, password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await log_in(pilot, "eddy", "right-pw")
        await go_to(pilot, "f3", "queue")
        await pilot.press("2")  # the team view: Claim is offered
        await wait_until(pilot, lambda: "c" in app.screen.active_bindings)
        queue_screen = app.screen
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpDialog))
        text = help_text(app)
        # the screen's keys, shown in the footer or not, and the console's
        for line in (
            "c  ",
            "Claim",
            "Default order",
            "Reverse",
            "Intake",
            "f2",
            "Open ticket…",
            "^g",
            "Quit",
        ):
            assert line in text, line
        assert "Cursor down" not in text  # the table's own keys are not the screen's
        for internal in ("Focus Next", "Focus Previous", "Copy selected text"):  # Textual's Screen's
            assert internal not in text, internal
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is queue_screen)
        app.action_toggle_language()
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpDialog))
        text = help_text(app)
        assert i18n._("This screen") in text and i18n._("Claim") in text and "Claim" not in text
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is queue_screen)
    i18n.set_language("en")


async def test_question_mark_typed_into_a_field_is_a_question_mark(sqlite_db):
    make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await go_to(pilot, "f2", "intake")
        await wait_until(pilot, lambda: isinstance(app.focused, Input))
        field = app.focused
        await pilot.press("question_mark")
        await pilot.pause()
        assert not isinstance(app.screen, HelpDialog)
        assert "?" in field.value


async def test_palette_offers_the_desk_actions_translated_not_textual_internals(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", team="Service Desk", tier=1, password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f3", "queue")
        await pilot.press("2")
        await wait_until(pilot, lambda: "c" in app.screen.active_bindings)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Go to: Intake", "Go to: Agents", "Open ticket…", "Ready / away…", "Quit"):
            assert title in titles, title
        assert "Work queue: Claim" in titles and "Keys of this screen" in titles
        internal = ("Cursor", "cursor", "Theme", "Screenshot", "Maximize", "Keys\n", "Scroll")
        assert not [t for t in titles if any(word in t for word in internal)]
        app.action_toggle_language()
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "前往：" + i18n._("Intake") in titles and i18n._("Quit") in titles
        assert any(i18n._("Claim") in t for t in titles)
        assert not [t for t in titles if t.isascii() and t not in ("中文/English",)]
    i18n.set_language("en")
