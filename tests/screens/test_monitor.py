"""The live monitor: it follows other sessions' tickets by itself; drill-down and reassign; its look."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta

import pytest
from textual.widgets import DataTable

from deskterm import clock
from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.db import Database, DatabaseError, open_database
from deskterm.models import AgentPresence
from deskterm.screens import monitor
from deskterm.services import auth, kpi, presence, tickets, workflow
from deskterm.widgets.monitor.kpis import KPI_ROWS
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until


def _team(app, name):  # type: ignore[no-untyped-def]
    view = app.screen.view
    return next(t for t in view.teams if t.team == name) if view else None


async def test_monitor_follows_another_session(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    app = make_app(sqlite_db)
    async with app.run_test(size=(140, 42)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
        screen = app.screen
        table = screen.query_one("#monitor-teams", DataTable)
        table.move_cursor(row=2, column=3)  # a selection that must survive the updates
        assert _team(app, "Desktop Support").counts["new"] == 0
        other = open_database(str(sqlite_db.engine.url))  # another console
        try:
            op = make_agent(other, "olga", role="operator", team="Service Desk", tier=1)
            eng = make_agent(other, "eddy", role="engineer", team="Desktop Support")
            t = make_ticket(other, op, "Printer jams")
            await wait_until(pilot, lambda: _team(app, "Desktop Support").counts["new"] == 1)
            assert screen.view.pending == 1 and screen.view.kpis.calls_logged == 1
            tickets.claim(other, eng, t.number)
            await wait_until(pilot, lambda: _team(app, "Desktop Support").counts["assigned"] == 1)
            assert _team(app, "Desktop Support").counts["new"] == 0
            workflow.resolve(other, eng, t.number, "new roller")
            await wait_until(pilot, lambda: screen.view.kpis.resolved == 1)
            eddy = next(a for a in screen.view.agents if a.login == "eddy")
            assert (eddy.open, eddy.resolved_today) == (0, 1)
        finally:
            other.dispose()
        assert table.cursor_coordinate == (2, 3)
        row = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        assert table.get_cell(row, "assigned").plain == "0"


async def test_drill_down_and_reassign(sqlite_db):
    sue = make_agent(sqlite_db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    make_agent(sqlite_db, "eddy", role="engineer", team="Desktop Support", name="Eddy")
    t = make_ticket(sqlite_db, sue, "Laptop will not boot")
    app = make_app(sqlite_db)
    async with app.run_test(size=(140, 42)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
        table = app.screen.query_one("#monitor-teams", DataTable)
        row = next(i for i, t in enumerate(app.screen.view.teams) if t.team == "Desktop Support")
        table.move_cursor(row=row, column=1)  # Desktop Support · New
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "DrillScreen" and app.screen.rows)
        assert [r.number for r in app.screen.rows] == [t.number]
        await pilot.press("a")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AssignDialog")
        await wait_until(pilot, lambda: app.screen.query_one("OptionList").option_count >= 2)
        options = app.screen.query_one("OptionList")
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == "eddy"
        )
        await pilot.press("enter")
        await wait_until(pilot, lambda: tickets.get_ticket(sqlite_db, None, t.number).assignee == "Eddy")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "DrillScreen" and not app.screen.rows)
        await pilot.press("escape")
        await wait_until(pilot, lambda: _team(app, "Desktop Support").counts["assigned"] == 1)


@pytest.fixture
def fixed_monitor_db(sqlite_template, tmp_path):  # type: ignore[no-untyped-def]
    # A copy of its own (the monitor does not show the database's path): no race with other runs.
    snap = tmp_path / "monitor.db"
    shutil.copy(sqlite_template, snap)
    now = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
    frozen = clock.FrozenClock(now - timedelta(hours=3))
    clock.set_clock(frozen)
    db = open_database(f"sqlite:///{snap}")
    # fixed agent numbers (the factory's numbering depends on which tests ran before)
    for login, name, number, role, team in (
        ("sue", "Sarah Lin", "801", "supervisor", "Service Desk"),
        ("wang.fang", "王芳", "802", "operator", "Service Desk"),
        ("eddy", "[b]Eddy[/b]", "803", "engineer", "Desktop Support"),
    ):
        make_agent(db, login, name=name, number=number, role=role, team=team, tier=1, password="right-pw")
    sue, op, eng = (auth.login(db, login, "right-pw") for login in ("sue", "wang.fang", "eddy"))
    for i, summary in enumerate(("Printer jams", "VPN drops", "Mail full", "Server down", "Wi-Fi slow")):
        frozen.advance(minutes=25)
        start = frozen.time - timedelta(minutes=4)
        category = ("Hardware/PC", "Network/VPN", "E-mail", "Hardware/Server", "Network/Wi-Fi")[i]
        t = make_ticket(db, op, summary, category=category, call_started_at=start)
        if category == "Hardware/PC":
            tickets.claim(db, eng, t.number)
    frozen.time = now
    presence.publish(db, sue, presence.AVAILABLE)
    presence.publish(db, op, presence.ON_CALL)
    yield db
    db.dispose()


def test_monitor_snapshot(fixed_monitor_db, snap_compare):
    app = make_app(fixed_monitor_db, watch_changes=False)

    async def ready(pilot):  # type: ignore[no-untyped-def]
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
        await pilot.pause()

    assert snap_compare(app, terminal_size=(140, 40), run_before=ready)


async def test_the_monitor_shows_another_console_on_a_call_at_once(db, monkeypatch):
    """Point 16: an agent's state reaches the monitor through the change feed (PostgreSQL: NOTIFY;
    SQLite: polling), not on the monitor's idle tick, which this test turns off."""
    monkeypatch.setattr(monitor, "IDLE_SECONDS", 3600.0)
    make_agent(db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1, name="Olga")
    presence.publish(db, olga, presence.AVAILABLE)
    app = make_app(db)
    async with app.run_test(size=(140, 42)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
        screen = app.screen
        table = screen.query_one("#monitor-agents", DataTable)
        await wait_until(pilot, lambda: _state_cell(table, olga.id).startswith("Available"))
        other = open_database(str(db.engine.url))  # Olga's console, elsewhere
        try:
            presence.publish(other, olga, presence.ON_CALL)  # her intake's call timer started
            await wait_until(pilot, lambda: _state_cell(table, olga.id).startswith("On a call"))
            presence.publish(other, olga, presence.AWAY, reason="lunch")
            await wait_until(pilot, lambda: _state_cell(table, olga.id).startswith("Away · Lunch"))
        finally:
            other.dispose()


def _state_cell(table, agent_id: int) -> str:  # type: ignore[no-untyped-def]
    try:
        return table.get_cell(str(agent_id), "state").plain
    except Exception:  # noqa: BLE001 - the row is not there yet
        return ""


@pytest.mark.parametrize(
    ("lang", "sla", "past_due", "summary"),
    [
        ("en", "Resolved within SLA (today)", "Past due now", "Open past due now 0"),
        ("zh", "今日解决且在 SLA 内", "当前超时", "当前超时未结 0"),
    ],
)
async def test_each_figure_is_named_for_what_it_counts(sqlite_db, lang, sla, past_due, summary):
    """Point 17: "SLA compliance 100 %" beside "Breached 103" read as a contradiction; the figures
    now say what they count: resolutions within SLA today, open tickets past due now."""
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(140, 42)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        if lang == "zh":
            await pilot.press("ctrl+l")
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
        await pilot.pause()
        kpis = app.screen.query_one("#monitor-kpis", DataTable)
        labels = [kpis.get_cell(key, "label").plain for key, _label in KPI_ROWS]
        assert sla in labels
        teams = app.screen.query_one("#monitor-teams", DataTable)
        headings = ["".join(c.label.plain.split()) for c in teams.ordered_columns]  # over two lines
        assert "".join(past_due.split()) in headings
        assert summary in str(app.screen.query_one("#monitor-summary").render())


async def test_figures_that_cannot_be_read_are_explained_in_the_summary(sqlite_db, monkeypatch):
    """A refresh the database refuses is said on the summary line, not in the banner (a wallboard
    would fill with toasts), and the monitor tries again by itself."""
    answers = [False]
    read = kpi.Monitor.refresh

    def refresh(self, changed=(), now=None):  # type: ignore[no-untyped-def]
        if not answers[0]:
            raise DatabaseError("the database does not answer")
        return read(self, changed, now)

    monkeypatch.setattr(kpi.Monitor, "refresh", refresh)
    monkeypatch.setattr(monitor, "RETRY_SECONDS", 0.05)
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(140, 42), notifications=True) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.current_mode == "monitor")
        summary = app.screen.query_one("#monitor-summary")
        await wait_until(pilot, lambda: "does not answer" in str(summary.render()))
        assert not [n for n in app._notifications if "does not answer" in str(n.message)]
        answers[0] = True
        await wait_until(pilot, lambda: app.screen.view is not None)
        assert "Pending 0" in str(summary.render())


def beat_at(db: Database, agent_id: int) -> datetime | None:
    with db.read() as s:
        row = s.get(AgentPresence, agent_id)
        return row.heartbeat_at if row else None


async def test_an_idle_console_keeps_beating(sqlite_db):
    """Found while splitting the shell (issue 13): the heartbeat passed the away reason to
    presence.beat positionally, where it is keyword-only; every beat failed, was taken for a lost
    connection, and the monitor showed an idle console as logged out after presence_timeout."""
    eddy = make_agent(sqlite_db, "eddy", role="engineer", team="Desktop Support", password="right-pw")
    values = {"database_url": str(sqlite_db.engine.url), "poll_interval": 0.02, "heartbeat_seconds": 0.05}
    app = DeskApp(settings=Settings.model_validate(values), database=sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "eddy", "right-pw")
        await wait_until(pilot, lambda: beat_at(sqlite_db, eddy.id) is not None)
        published = beat_at(sqlite_db, eddy.id)
        assert published is not None and app.agent_state == ("available", "")  # no state change since
        await wait_until(pilot, lambda: (beat_at(sqlite_db, eddy.id) or published) > published)
