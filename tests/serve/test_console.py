"""The console as `deskterm serve` starts it (Pilot): opened logged in as the agent the server
authenticated, without a login form; refused for a deactivated agent; a browser tab's login tries
carry where they came from."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import Input

from deskterm.models import LoginAttempt
from tests.factories import make_agent, set_active
from tests.screens.helpers import log_in, make_app, wait_until


async def test_a_served_console_opens_logged_in_without_asking(db):
    chen = make_agent(db, "chen", role="engineer")
    app = make_app(db, watch_changes=False, session_agent_id=chen.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "queue")
        assert app.actor == chen
        assert not app.screen.query(Input).filter("#login-password")  # no login form on top
    with db.read() as s:  # no password was checked again (the one try is the factory's own login)
        assert len(s.exec(select(LoginAttempt).where(LoginAttempt.login == "chen")).all()) == 1


async def test_a_served_console_for_a_deactivated_agent_quits_with_the_reason(db):
    chen = make_agent(db, "chen", role="engineer")
    set_active(db, "chen", False)
    app = make_app(db, watch_changes=False, session_agent_id=chen.id)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None)
    assert app.return_code == 4 and app.actor is None


async def test_login_tries_from_a_browser_tab_carry_its_address(db):
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    app = make_app(db, watch_changes=False, login_source="web:10.1.2.3")
    async with app.run_test(size=(100, 30)) as pilot:
        await log_in(pilot, "olga", "wrong-pw")
        await wait_until(pilot, lambda: not app.screen.query_one("#login-password", Input).value)
    with db.read() as s:
        sources = [a.source for a in s.exec(select(LoginAttempt).where(LoginAttempt.login == "olga")).all()]
    assert "web:10.1.2.3" in sources
