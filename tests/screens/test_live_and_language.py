"""The change feed reaches a running console; Ctrl+L switches every screen at once and is remembered
for the agent; people's text stays literal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select
from textual.widgets import DataTable
from textual.widgets._footer import FooterKey

from deskterm import i18n, screens
from deskterm.app import DeskApp
from deskterm.db import Database, open_database
from deskterm.models import Agent
from deskterm.services import agents
from deskterm.widgets.chrome import DeskHeader
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import go_to, log_in, make_app, wait_until

NASTY = "[red]x [/] [b [0] x \x1b[2J 王芳 😀"
ZH = i18n._catalogue("zh")


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The language is the process's: each test starts and ends in English."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def _in_chinese(app: DeskApp) -> bool:
    """The screen's header names it in Chinese and no footer key is left in English."""
    header = str(app.screen.query_one(DeskHeader).render())
    title = ZH[getattr(app.screen, "TITLE_TEXT", "")]
    english = [k.description for k in app.screen.query(FooterKey) if k.description in ZH]
    return title in header and "主管" in header and not english


def _stored_language(db: Database, login: str) -> str | None:
    with db.read() as s:
        return s.exec(select(Agent.language).where(Agent.login == login)).one()


async def test_another_sessions_ticket_reaches_the_console(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    app = make_app(sqlite_db)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f8", "agents")
        header = app.screen.query_one(DeskHeader)
        await wait_until(pilot, lambda: header.connected is True)
        assert "live" in str(header.render())
        seen: list = []
        screen = app.screen
        screen.on_desk_changes = seen.extend  # type: ignore[method-assign]
        other = open_database(str(sqlite_db.engine.url))  # a second console's connection
        try:
            op = make_agent(other, "olga", role="operator")
            t = make_ticket(other, op)
        finally:
            other.dispose()
        await wait_until(pilot, lambda: any(c.number == t.number for c in seen))


async def test_language_switches_in_the_console_and_is_remembered_for_the_agent(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f8", "agents")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: "主管" in str(app.screen.query_one(DeskHeader).render()))
        table = app.screen.query_one(DataTable)
        await wait_until(
            pilot,
            lambda: (
                table.row_count == 1 and "登录名" in str(table.columns[table.ordered_columns[0].key].label)
            ),
        )
        await wait_until(pilot, lambda: _stored_language(sqlite_db, "sue") == "zh")
        assert app.actor is not None and app.actor.language == "zh"

    again = make_app(sqlite_db, watch_changes=False)  # logged out and in again: another console
    async with again.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: again.connected is True)
        assert i18n.language() == "en"  # the login screen speaks the desk's default
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f8", "agents")
        assert _in_chinese(again)
        await pilot.press("ctrl+l")  # and back to English, remembered as well
        await wait_until(pilot, lambda: "supervisor" in str(again.screen.query_one(DeskHeader).render()))
        await wait_until(pilot, lambda: _stored_language(sqlite_db, "sue") == "en")


async def test_the_login_screens_choice_holds_for_an_agent_without_a_language(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_until(pilot, lambda: app.connected is True)
        await pilot.press("ctrl+l")
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f8", "agents")
        assert _in_chinese(app)
        assert _stored_language(sqlite_db, "sue") is None  # chosen before anyone logged in


async def test_ctrl_l_on_one_screen_switches_every_screen(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    offered = screens.offered("supervisor")
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        for spec in offered:  # every screen is mounted (and composed in English)
            await go_to(pilot, spec.key, spec.id)
        agents_table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: agents_table.row_count == 1)
        await go_to(pilot, "f5", "monitor")
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: _in_chinese(app))
        for spec in offered:
            await go_to(pilot, spec.key, spec.id)
            await pilot.pause()
            assert _in_chinese(app), spec.id  # no other key, no waiting for the next refresh
        table = app.screen.query_one(DataTable)  # the agents screen, relabelled while hidden
        assert "登录名" in str(table.columns[table.ordered_columns[0].key].label)


async def test_peoples_text_is_shown_literally(sqlite_db):
    boss = make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    agents.add_agent(
        sqlite_db,
        boss,
        login="nasty",
        name=NASTY,
        number="666",
        role="engineer",
        team=boss.team,
        password="xxxxxx",
    )
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f8", "agents")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        shown = table.get_row("nasty")[1]
        assert shown.plain == "[red]x [/] [b [0] x 王芳 😀" and not shown.spans  # escape gone, markup literal
        await pilot.pause()
