"""The supervisor's screens (issue 14): the monitor fits 120×40 and 80×24 in both languages, the
arrivals share one scale over an axis of the hours, a drill-down keeps its order as rows arrive, the
CSAT drill-down lists the surveys' comments, the reassign list shows state and load and filters as
you type, and marked tickets are reassigned at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, OptionList

from deskterm import clock
from deskterm.db import open_database
from deskterm.models import Survey
from deskterm.screens.drill import DrillScreen
from deskterm.services import auth, kpi, tickets, workflow
from deskterm.text import cells
from deskterm.widgets.monitor.arrivals import ArrivalsChart, ArrivalsPanel, axis, bars
from deskterm.widgets.monitor.calls import CallsPanel
from deskterm.widgets.monitor.live import LiveTable
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until
from tests.screens.test_monitor import fixed_monitor_db  # noqa: F401 - the fixture

KEY_TEAM_COLUMNS = {"team", "new", "open", "breached", "at_risk", "oldest"}


async def _monitor(pilot, lang: str = "en") -> None:  # type: ignore[no-untyped-def]
    app = pilot.app
    await log_in(pilot, "sue", "right-pw")
    await wait_until(pilot, lambda: app.actor is not None)
    if lang == "zh":
        await pilot.press("ctrl+l")
    await pilot.press("f5")
    await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
    await pilot.pause()


def _keys(table: DataTable) -> set[str]:  # type: ignore[type-arg]
    return {str(c.key.value) for c in table.ordered_columns}


def _check_fit(screen, width: int, height: int) -> None:  # type: ignore[no-untyped-def]
    for table in screen.query(LiveTable):
        if table.id == "monitor-calls" and not screen.query_one(CallsPanel).display:
            continue  # no PBX feeds this desk: no calls block (tests/screens/test_monitor_calls.py)
        # every column is on screen: no table is wider than its place (nothing to scroll to)
        assert table.virtual_size.width <= table.scrollable_content_region.width, table.id
        assert table.region.right <= width and table.region.height > 2, table.id
    teams = screen.query_one("#monitor-teams", DataTable)
    agents = screen.query_one("#monitor-agents", DataTable)
    assert _keys(teams) >= KEY_TEAM_COLUMNS
    assert {"name", "state", "open", "resolved", "handle"} <= _keys(agents)
    kpis = screen.query_one("#monitor-kpis", DataTable)
    assert kpis.region.bottom <= height - 1  # every figure of the day above the footer
    arrivals = screen.query_one(ArrivalsPanel)
    if width >= 120:
        assert len(_keys(teams)) == 10 and "team" in _keys(agents)  # the whole tables
        assert screen.query_one("#monitor-summary").size.height == 1
        assert arrivals.display and arrivals.region.right <= width
        assert arrivals.region.bottom <= height - 1
    else:
        assert not arrivals.display  # the arrivals make room for the figures


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(120, 40), (80, 24)])
async def test_the_monitor_fits_the_terminal(fixed_monitor_db, size, lang):  # noqa: F811
    app = make_app(fixed_monitor_db, watch_changes=False)
    async with app.run_test(size=size) as pilot:
        await _monitor(pilot, lang)
        _check_fit(app.screen, *size)
        await pilot.press("ctrl+l")  # the other language, on the monitor itself
        await wait_until(pilot, lambda: app.screen.query("#monitor-teams") and app.screen.view is not None)
        await pilot.pause()
        await pilot.pause()
        _check_fit(app.screen, *size)


def test_arrivals_share_one_scale_and_label_the_hours():
    # Last week's busiest hour (8) fills both lines; today's 4 is half of it, not a full bar.
    assert bars([4], 8, 1) == [" ", "█"]
    assert bars([8], 8, 1) == ["█", "█"]
    assert bars([1, 0], 8, 2) == ["    ", "▂▂  "]  # any arrival shows; none shows nothing
    assert bars([4], 4, 1) == ["█", "█"]  # the same 4 alone would fill the bar
    marks = axis(24, 2)
    assert len(marks) == 48 and marks.split() == [f"{h:02d}" for h in range(0, 24, 2)]
    assert marks.index("12") == 24  # each mark under its hour
    assert axis(24, 1).split() == ["00", "03", "06", "09", "12", "15", "18", "21"]


async def test_the_arrivals_chart_is_drawn_with_its_hours(fixed_monitor_db):  # noqa: F811
    app = make_app(fixed_monitor_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _monitor(pilot)
        chart = app.screen.query_one(ArrivalsChart)
        lines = chart.render().plain.split("\n")
        assert len(lines) == 5 and all(cells(line) <= chart.size.width for line in lines)
        assert lines[1].startswith("Today") and lines[3].startswith("Last week")
        assert lines[4].split() == [f"{h:02d}" for h in range(0, 24, 2)]


def _order(table: DataTable) -> list[str]:  # type: ignore[type-arg]
    return [str(table.coordinate_to_cell_key((i, 0)).row_key.value) for i in range(table.row_count)]


async def test_a_drill_down_keeps_its_sort_as_rows_arrive(sqlite_db):
    sue = make_agent(sqlite_db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    by_summary = {
        make_ticket(sqlite_db, sue, s).number: s for s in ("Mail full", "Printer jams", "VPN drops")
    }
    app = make_app(sqlite_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        app.push_screen(DrillScreen(kpi.Figure("calls"), "Calls logged today"))
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and len(app.screen.rows) == 3)
        screen = app.screen
        table = screen.query_one(DataTable)
        for _column in ("number", "p", "status", "summary"):
            await pilot.press("s")
        await pilot.press("S")  # summary, Z to A
        assert screen.sort_by == "summary" and screen.reverse
        assert [by_summary[n] for n in _order(table)] == ["VPN drops", "Printer jams", "Mail full"]
        table.move_cursor(row=1)  # Printer jams
        other = open_database(str(sqlite_db.engine.url))  # another console logs two calls
        try:
            for summary in ("Wi-Fi slow", "Keyboard sticks"):
                by_summary[make_ticket(other, auth.login(other, "sue", "right-pw"), summary).number] = summary
        finally:
            other.dispose()
        await wait_until(pilot, lambda: table.row_count == 5)
        await pilot.pause()
        shown = [by_summary[n] for n in _order(table)]
        assert shown == ["Wi-Fi slow", "VPN drops", "Printer jams", "Mail full", "Keyboard sticks"]
        assert by_summary[table.cursor_key()] == "Printer jams"  # the cursor stays on its ticket
        assert "sorted by Summary ↓" in str(screen.query_one("#drill-title").render())


async def test_the_csat_drill_down_lists_surveys_with_their_comments(fixed_monitor_db):  # noqa: F811
    db = fixed_monitor_db
    comment = "Great [b]work[/b]\nby the engineer, who explained everything about the printer driver"
    with db.write() as s:
        for number, answers, text in (("SR-000001", (1, 1, 2, 1), comment), ("SR-000002", (4, 3, 4, 4), "")):
            t = tickets.get_ticket(db, None, number)
            s.add(
                Survey(
                    ticket_id=t.id,
                    attitude=answers[0],
                    quality=answers[1],
                    technical=answers[2],
                    speed=answers[3],
                    comment=text,
                    created_at=clock.now() - timedelta(minutes=5),
                )
            )
    app = make_app(db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _monitor(pilot)
        kpis = app.screen.query_one("#monitor-kpis", DataTable)
        kpis.focus()
        kpis.move_cursor(row=kpis.get_row_index("csat"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and len(app.screen.rows) == 2)
        table = app.screen.query_one(DataTable)
        assert _keys(table) == {"mark", "number", "score", "comment", "assignee", "at"}
        said = table.get_cell("SR-000001", "comment").plain
        assert said.startswith("Great [b]work[/b] by the engineer") and said.endswith("…")
        assert cells(said) <= 48
        assert table.get_cell("SR-000001", "score").plain == "1.2 Very satisfied"
        assert table.get_cell("SR-000002", "score").plain == "3.8 Dissatisfied"
        assert table.get_cell("SR-000002", "comment").plain == "—"


async def _pick_agent(pilot, typed: str) -> OptionList:  # type: ignore[no-untyped-def]
    app = pilot.app
    await wait_until(pilot, lambda: type(app.screen).__name__.endswith("AssignDialog"))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count == 3)
    await pilot.press(*typed)
    await wait_until(pilot, lambda: options.option_count == 1)
    return options


async def test_the_reassign_list_shows_state_and_load_and_filters(fixed_monitor_db):  # noqa: F811
    app = make_app(fixed_monitor_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _monitor(pilot)
        app.push_screen(DrillScreen(kpi.Figure("waiting"), "Waiting"))
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and app.screen.rows)
        number = app.screen.query_one(DataTable).cursor_key()
        await pilot.press("a")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "AssignDialog")
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count == 3)
        lines = {
            str(options.get_option_at_index(i).id): options.get_option_at_index(i).prompt for i in range(3)
        }
        assert "On a call" in str(lines["wang.fang"]) and "0 open" in str(lines["wang.fang"])
        assert "Logged out" in str(lines["eddy"]) and "1 open" in str(lines["eddy"])
        assert "Available" in str(lines["sue"])
        await pilot.press(*"desktop")  # Eddy's team
        await wait_until(pilot, lambda: options.option_count == 1)
        assert options.get_option_at_index(0).id == "eddy"
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: tickets.get_ticket(fixed_monitor_db, None, number).assignee == "[b]Eddy[/b]"
        )


async def test_marked_tickets_are_reassigned_at_once(fixed_monitor_db):  # noqa: F811
    db = fixed_monitor_db
    app = make_app(db, watch_changes=False)  # the screen does not see the change made meanwhile
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await _monitor(pilot)
        app.push_screen(DrillScreen(kpi.Figure("calls"), "Calls logged today"))
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen) and len(app.screen.rows) == 5)
        screen = app.screen
        await pilot.press("s")  # by number
        table = screen.query_one(DataTable)
        assert _order(table)[:3] == ["SR-000001", "SR-000002", "SR-000003"]
        assert table.cursor_key() == "SR-000005"  # the cursor stayed on its ticket, now the last
        table.move_cursor(row=0)
        await pilot.press("space", "space", "space")  # mark three, moving down
        assert screen.marked == {"SR-000001", "SR-000002", "SR-000003"}
        assert table.get_cell("SR-000002", "mark").plain == "●"
        await pilot.press("up", "space")  # and unmark the third
        assert screen.marked == {"SR-000001", "SR-000002"}
        boss = auth.login(db, "sue", "right-pw")  # another console gave it to Eddy meanwhile
        workflow.assign(db, boss, "SR-000002", "eddy")
        await pilot.press("a")
        await _pick_agent(pilot, "wang")
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DrillScreen))
        assert tickets.get_ticket(db, None, "SR-000001").assignee == "王芳"
        assert tickets.get_ticket(db, None, "SR-000002").assignee == "[b]Eddy[/b]"  # left as it was
        said = [str(n.message) for n in app._notifications]
        assert any("1 ticket assigned." in m for m in said)
        assert any("SR-000002" in m and "changed meanwhile" in m for m in said)
        await wait_until(pilot, lambda: not screen.marked)
