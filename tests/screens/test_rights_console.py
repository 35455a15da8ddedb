"""A console whose agent is deactivated meanwhile does nothing more (issue 12 point 10): the next
service call is refused and the console closes with the reason."""

from __future__ import annotations

from deskterm.services import agents, auth, presence
from tests.factories import make_agent
from tests.screens.helpers import log_in, make_app, wait_until


async def test_the_console_of_a_deactivated_agent_closes_with_the_reason(sqlite_db):
    boss = make_agent(sqlite_db, "boss", role="admin")
    make_agent(sqlite_db, "eddy", role="engineer", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "eddy", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        agents.set_active(sqlite_db, boss, "eddy", False)
        app.set_agent_state(presence.ON_CALL)  # any service call: this one is the console's own
        await wait_until(pilot, lambda: app.return_code == 4)
    assert auth.login_log(sqlite_db, boss, "eddy")[0].source.startswith("console:")  # its terminal
