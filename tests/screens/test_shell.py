"""The console shell: login, role-gated screens, navigation by keys and by the command palette."""

from __future__ import annotations

import pytest
from textual.widgets import DataTable, Input, Static

from deskterm.services import agents, directory
from deskterm.services.errors import PermissionDenied
from tests.factories import make_agent
from tests.screens.helpers import go_to, log_in, make_app, wait_until


async def test_wrong_then_right_password(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "sue", "wrong-pw")
        error = app.screen.query_one("#login-error", Static)
        await wait_until(pilot, lambda: "wrong login or password" in str(error.render()))
        assert app.actor is None and app.screen.query_one("#login-password", Input).value == ""
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        assert app.actor.login == "sue"


async def test_supervisor_reaches_agents_by_palette_and_key(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    make_agent(sqlite_db, "eddy", role="engineer")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode != "_default")
        first = app.current_mode
        assert first != "agents"  # a supervisor starts on the first screen of the role
        await pilot.press("ctrl+p")
        await pilot.press(*"go to: agents")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.current_mode == "agents" and len(app.screen_stack) == 1)
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 2)
        app.action_goto(first)
        await wait_until(pilot, lambda: app.current_mode == first)
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.current_mode == "agents")


async def test_operator_is_not_offered_agents_and_the_service_refuses(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        assert app.current_mode != "agents"
        await pilot.press("f8")
        assert app.current_mode != "agents"
        assert not app.check_action("goto", ("agents",))
        commands = [c.title for c in app.get_system_commands(app.screen)]
        assert not any("Agents" in title for title in commands)
    with pytest.raises(PermissionDenied):
        agents.add_agent(sqlite_db, op, login="x", name="X", number="1", role="engineer", password="xxxxxx")


async def test_supervisor_adds_an_agent_from_the_keyboard(sqlite_db):
    sue = make_agent(sqlite_db, "sue", role="supervisor", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await go_to(pilot, "f8", "agents")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        await pilot.press("a")
        await wait_until(pilot, lambda: app.screen.query("#f-login"))
        for text in ("newbie", "New [b]Bie", "555", "short"):
            await pilot.press(*text)
            await pilot.press("enter")
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#e-password", Static)
        await wait_until(pilot, lambda: "at least 6" in str(error.render()))
        app.screen.query_one("#f-password", Input).value = "long-enough"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: table.row_count == 2)
        assert "New [b]Bie" in [a.name for a in directory.agents(sqlite_db, sue)]
