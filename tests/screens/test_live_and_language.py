"""The change feed reaches a running console; the language switches live; people's text stays literal."""

from __future__ import annotations

from textual.widgets import DataTable

from deskterm.db import open_database
from deskterm.services import agents
from deskterm.widgets.chrome import DeskHeader
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import go_to, log_in, make_app, wait_until

NASTY = "[red]x [/] [b [0] x \x1b[2J 王芳 😀"


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


async def test_language_switches_in_the_console(sqlite_db):
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
        await pilot.press("ctrl+l")
        await wait_until(pilot, lambda: "supervisor" in str(app.screen.query_one(DeskHeader).render()))


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
