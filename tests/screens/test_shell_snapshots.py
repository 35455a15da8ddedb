"""What the shell's screens look like (update only on purpose: pytest --snapshot-update)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from deskterm import clock
from tests.factories import make_agent
from tests.screens.fixed_path import fixed_path_db
from tests.screens.helpers import log_in, make_app, wait_until


@pytest.fixture
def fixed_db(sqlite_template):  # type: ignore[no-untyped-def]
    # a fixed path: the login screen names the database
    with fixed_path_db("desk.db", sqlite_template) as db:
        clock.set_clock(clock.FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC)))
        yield db


def test_login_screen(fixed_db, snap_compare):
    app = make_app(fixed_db, watch_changes=False, demo=True)

    async def connected(pilot):  # type: ignore[no-untyped-def]
        await wait_until(pilot, lambda: not app.screen.query_one("#login-name").disabled)

    assert snap_compare(app, terminal_size=(100, 30), run_before=connected)


def test_agents_screen(fixed_db, snap_compare):
    make_agent(fixed_db, "sue", role="supervisor", password="right-pw", name="Sarah Lin", number="010")
    make_agent(
        fixed_db,
        "wang.fang",
        role="operator",
        team="Service Desk",
        tier=1,
        name="王芳",
        manager="sue",
        number="018",
    )
    make_agent(fixed_db, "eddy", role="engineer", team="Network", name="[b]Eddy[/b] \x1b[2J", number="031")
    app = make_app(fixed_db, watch_changes=False)

    async def logged_in(pilot):  # type: ignore[no-untyped-def]
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        await pilot.press("f8")
        await wait_until(pilot, lambda: app.current_mode == "agents")
        await wait_until(pilot, lambda: app.screen.query_one("DataTable").row_count == 3)

    assert snap_compare(app, terminal_size=(100, 24), run_before=logged_in)
