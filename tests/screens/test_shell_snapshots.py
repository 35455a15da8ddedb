"""What the shell's screens look like (update only on purpose: pytest --snapshot-update)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Input

from deskterm import clock, i18n
from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.services import auth, demo, tickets
from deskterm.widgets.knowledge.index import IndexState
from tests.factories import make_agent, make_ticket
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


# Every screen at 80×24 and 120×40, in both languages (issue 14), on a demo desk at a frozen time.
# Each language has its own cast: their stored language is the screen's.
CAST = {
    "en": {"operator": "operator", "engineer": "engineer", "supervisor": "supervisor"},
    "zh": {"operator": "wang.fang", "engineer": "zhang.wei", "supervisor": "head"},
}
# screen: (who, the F-key of the top-level screen it starts from, the keys pressed there)
EVERY_SCREEN = {
    "login": (None, None, ()),
    "intake": ("operator", "f2", ()),
    "my-work": ("engineer", "f3", ()),
    "team-queue": ("engineer", "f3", ("2",)),
    "ticket": ("engineer", "f3", ("enter",)),
    "knowledge": ("engineer", "f4", ()),
    "monitor": ("supervisor", "f5", ()),
    "drill-down": ("supervisor", "f5", ("enter",)),
    "inbox": ("engineer", "f6", ()),
    "callbacks": ("operator", "f7", ()),
    "agents": ("supervisor", "f8", ()),
    "help": ("engineer", "f3", ("question_mark",)),
}


@pytest.fixture
def demo_desk(sqlite_template):  # type: ignore[no-untyped-def]
    with fixed_path_db("demo-desk.db", sqlite_template) as db:
        clock.set_clock(clock.FrozenClock(datetime(2026, 3, 2, 2, 0, tzinfo=UTC)))  # Mon 10:00 Shanghai
        demo.generate(db, with_demo_logins=True, tickets=80, customers=60, seed=14)
        # Desktop Support's engineers each have one of these, and two wait in their team's queue
        op = auth.login(db, "operator", "demo")
        for i, summary in enumerate(
            (
                "Docking station: no picture on the second screen after the update",
                "打印机卡纸，纸盒二无法进纸",
                "Outlook 打不开 [red]x[/]",
                "Keyboard 🎹 keys stick",
            )
        ):
            t = make_ticket(db, op, summary, impact=1 + i % 3, urgency=1 + i % 2)
            if i < 2:
                tickets.claim(db, auth.login(db, ("engineer", "zhang.wei")[i], "demo"), t.number)
        yield db
    i18n.set_language("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
@pytest.mark.parametrize("screen", list(EVERY_SCREEN))
def test_every_screen(demo_desk, snap_compare, screen, size, lang):
    settings = Settings.model_validate(
        {"database_url": str(demo_desk.engine.url), "poll_interval": 0.02, "language": lang}
    )
    app = DeskApp(settings=settings, database=demo_desk, watch_changes=False)
    role, key, keys = EVERY_SCREEN[screen]

    async def shown(pilot):  # type: ignore[no-untyped-def]
        await wait_until(pilot, lambda: app.screen.query("#login-name") and app.focused is not None)
        if role is not None:
            await log_in(pilot, CAST[lang][role], "demo")
            await wait_until(pilot, lambda: app.actor is not None and app.current_mode != "_default")
            assert i18n.language() == lang
            await pilot.press(key)
            await wait_until(pilot, lambda: app.screen.query(DataTable) or app.screen.query(Input))
            await settled(pilot)
            await until_steady(pilot, screen, CAST[lang][role])
            await pilot.press(*keys)
        await settled(pilot)

    assert snap_compare(app, terminal_size=size, run_before=shown)


LONG = {"changes", "presence"}  # workers that keep running


async def until_steady(pilot, screen: str, login: str) -> None:  # type: ignore[no-untyped-def]
    """What arrives by itself a moment later is there: the search index (knowledge) and the
    supervisor's own state (the monitor's agents; the State column is as wide as its widest)."""
    app = pilot.app
    if screen == "knowledge":
        await wait_until(pilot, lambda: app.screen.query_one(IndexState).ready)
    if screen == "monitor":
        await wait_until(
            pilot,
            lambda: any(
                a.login == login and a.state != "logged_out"
                for a in (app.screen.view.agents if app.screen.view else [])
            ),
        )


async def settled(pilot) -> None:  # type: ignore[no-untyped-def]
    """No service call running, the last messages handled, no blinking cursor."""
    app = pilot.app
    await pilot.pause()
    await wait_until(pilot, lambda: not [w for w in app.workers if not w.is_finished and w.group not in LONG])
    await pilot.pause()
    for field in app.screen.query(Input):
        field.cursor_blink = False
