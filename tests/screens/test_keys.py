"""Keys on every screen: the footer fits at 80 and 120 columns in both languages; `?` lists every key
of the screen; the command palette offers the desk's actions, translated, not Textual's internals."""

from __future__ import annotations

import pytest
from textual.widgets import Input, Static
from textual.widgets._footer import FooterKey

from deskterm import i18n, screens
from deskterm.dialogs.help import HelpDialog
from deskterm.widgets.chrome import DeskFooter
from deskterm.screens.ticket import TicketScreen, open_ticket
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
