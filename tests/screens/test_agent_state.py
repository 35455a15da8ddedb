"""The console owns its agent's state and publishes it: on a call while the intake's timer runs,
after-call work from the save (chase calls too) until ready, the next call or the cap, away with
a reason chosen with F9."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, select
from textual.widgets import OptionList

from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.db import Database
from deskterm.dialogs.state import StateDialog
from deskterm.models import AgentPresence, AgentStateLog
from deskterm.services import intake
from deskterm.services.intake import IntakeForm
from tests.factories import make_agent
from tests.screens.helpers import log_in, wait_until


def desk_app(db: Database, drafts: Path, **settings) -> DeskApp:  # type: ignore[no-untyped-def]
    values = {
        "database_url": str(db.engine.url),
        "poll_interval": 0.02,
        "drafts_dir": str(drafts),
        **settings,
    }
    return DeskApp(settings=Settings.model_validate(values), database=db, watch_changes=False)


@pytest.fixture
def desk(sqlite_db):  # type: ignore[no-untyped-def]
    """Olga at the hotline; Li Lei has an open ticket (for a chase call)."""
    olga = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    form = IntakeForm(
        name="Li Lei",
        organisation="Acme Ltd",
        phone="13900001111",
        description="VPN drops every hour",
        category="Network/VPN",
    )
    intake.save_call(sqlite_db, olga, form)
    return sqlite_db, olga


def published(db: Database, agent_id: int) -> tuple[str, str] | None:
    with db.read() as s:
        row = s.get(AgentPresence, agent_id)
        return (row.state, row.reason) if row else None


def log(db: Database, agent_id: int) -> list[tuple[str, bool]]:
    with db.read() as s:
        rows = s.exec(
            select(AgentStateLog).where(AgentStateLog.agent_id == agent_id).order_by(col(AgentStateLog.id))
        ).all()
        return [(r.state, r.handled) for r in rows]


async def choose(pilot, app, option_id: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press("f9")
    await wait_until(pilot, lambda: isinstance(app.screen, StateDialog))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count > 1)  # the desk's away reasons are there
    options.highlighted = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == option_id
    )
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, StateDialog))


async def test_a_chase_call_is_timed_and_the_agent_chooses_away_and_ready(desk, tmp_path):
    db, olga = desk
    app = desk_app(db, tmp_path, acw_max_seconds=3600)
    async with app.run_test(size=(100, 32)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "intake")
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
        await pilot.press("tab", "tab", *"1390000")  # the caller's phone: the call is on
        await wait_until(pilot, lambda: published(db, olga.id) == ("on_call", ""))
        await wait_until(pilot, lambda: app.screen.assist.items)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.caller.pop is not None)
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: app.screen.query("#chase-readout"))
        await pilot.press("ctrl+s")  # the chase is logged: after-call work
        await wait_until(pilot, lambda: published(db, olga.id) == ("after_call", ""))
        await wait_until(pilot, lambda: "ACW" in str(app.screen.query_one("#intake-timer").render()))
        assert "F9" in str(app.screen.query_one("#intake-banner").render())
        await choose(pilot, app, "lunch")
        await wait_until(pilot, lambda: published(db, olga.id) == ("away", "lunch"))
        # no longer wrapping up: the hint goes (with the timer's next tick)
        await wait_until(pilot, lambda: "F9" not in str(app.screen.query_one("#intake-banner").render()))
        await choose(pilot, app, "available")
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
    assert log(db, olga.id)[:4] == [
        ("available", False),
        ("on_call", True),
        ("after_call", False),
        ("away", False),
    ]


async def test_after_call_work_ends_by_itself_or_with_the_next_call(desk, tmp_path):
    db, olga = desk
    app = desk_app(db, tmp_path, acw_max_seconds=0.2)
    async with app.run_test(size=(100, 32)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "intake")
        app.call_started()
        app.call_ended(saved=True)
        assert app.agent_state == ("after_call", "")
        await wait_until(pilot, lambda: app.agent_state == ("available", ""))  # the cap
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
        app.set_agent_state("after_call")
        app.call_started()  # the next call ends the wrap-up at once
        await wait_until(pilot, lambda: published(db, olga.id) == ("on_call", ""))
        app.call_ended(saved=False)  # dropped: back to available, not handled
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
    assert [handled for state, handled in log(db, olga.id) if state == "on_call"] == [True, False]
