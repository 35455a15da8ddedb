"""Every screen fits an 80×24 terminal in both languages, and every key does what it says (issue
14): no table runs off the right edge (nothing to scroll sideways to), every widget shown lies
inside the screen or inside a panel that scrolls; Enter shows in the footers where it opens; `/`
typed at speed filters; the login screen speaks the desk's language."""

from __future__ import annotations

import pytest
from textual import events
from textual.containers import ScrollableContainer
from textual.widgets import DataTable, Input, Static
from textual.widgets._footer import FooterKey

from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.widgets.chrome import DeskFooter
from tests.screens.helpers import log_in, wait_until
from tests.screens.test_shell_snapshots import CAST, EVERY_SCREEN, demo_desk, settled

__all__ = ["demo_desk"]  # the fixture
SIZE = (80, 24)


async def _show(app: DeskApp, pilot, lang: str, screen: str) -> None:  # type: ignore[no-untyped-def]
    role, key, keys = EVERY_SCREEN[screen]
    await wait_until(pilot, lambda: app.screen.query("#login-name") and app.focused is not None)
    if role is not None:
        await log_in(pilot, CAST[lang][role], "demo")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode != "_default")
        await pilot.press(key)
        await wait_until(pilot, lambda: app.screen.query(DataTable) or app.screen.query(Input))
        await settled(pilot)
        await pilot.press(*keys)
    await settled(pilot)


def check_fit(app: DeskApp, width: int, height: int) -> None:
    """Every table's columns within its width; every widget on screen or in a scrolling panel."""
    for table in app.screen.query(DataTable):
        if table.display:
            assert table.virtual_size.width <= table.scrollable_content_region.width, table.id
            assert table.region.right <= width, table.id
    for widget in app.screen.query("*"):
        scrolled = any(isinstance(a, ScrollableContainer) for a in widget.ancestors)
        if widget.display and widget.region.area and not scrolled:
            assert widget.region.right <= width and widget.region.bottom <= height, widget


def footer_keys(app: DeskApp) -> set[str]:
    return {k.key for k in app.screen.query_one(DeskFooter).query(FooterKey)}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("screen", list(EVERY_SCREEN))
async def test_every_screen_fits_80x24(demo_desk, screen, lang):
    settings = Settings.model_validate(
        {"database_url": str(demo_desk.engine.url), "poll_interval": 0.02, "language": lang}
    )
    app = DeskApp(settings=settings, database=demo_desk, watch_changes=False)
    async with app.run_test(size=SIZE) as pilot:
        await _show(app, pilot, lang, screen)
        check_fit(app, *SIZE)
        if screen in ("inbox", "drill-down", "monitor"):  # the table's own Enter hid the screen's
            assert "enter" in footer_keys(app)
        if screen == "login" and lang == "zh":  # built before the desk's language was known
            assert app.screen.query_one("#login-name", Input).placeholder == "登录名"
            assert "服务台" in str(app.screen.query_one("#login-title", Static).render())
        if screen == "monitor":  # one line, one space each side of "·"
            summary = str(app.screen.query_one("#monitor-summary", Static).render())
            assert app.screen.query_one("#monitor-summary").size.height == 1
            assert "  ·" not in summary and "·  " not in summary
        if screen in ("my-work", "team-queue"):
            views = app.screen.query_one("#queue-views", Static)
            assert views.render().cell_length <= views.content_region.width + 1  # type: ignore[union-attr]
        if screen == "help":  # the keys scroll to the last group
            keys = app.screen.query_one("#help-keys")
            assert app.screen.focused is keys and keys.max_scroll_y > 0
            await pilot.press("end")
            await wait_until(pilot, lambda: keys.scroll_y == keys.max_scroll_y)
        if screen == "ticket":  # the fields below the fold are reached by keys
            fields = app.screen.query_one("#ticket-fields")
            for _ in range(6):  # Tab reaches the fields
                if app.screen.focused is not fields:
                    await pilot.press("tab")
            assert app.screen.focused is fields
            await pilot.press("end")
            await wait_until(pilot, lambda: fields.scroll_y == fields.max_scroll_y > 0)
            record = app.screen.query_one("#ticket-record")
            assert record.region.bottom <= fields.region.bottom
        if screen == "my-work":  # "/" focuses the filter before the next key is handled
            for key, char in (("slash", "/"), ("V", "V"), ("P", "P"), ("N", "N")):  # at once
                app.post_message(events.Key(key, char))
            field = app.screen.query_one("#queue-filter", Input)
            await wait_until(pilot, lambda: field.value == "VPN")
            assert app.screen.focused is field
