"""The monitor's calls block (widgets/monitor/calls.py): on a desk a PBX feeds it shows the calls
per queue and in total in their thresholds' colours, fits 80×24 and 120×40 in both languages, and
follows a call that starts ringing without any ticket changing; a desk without a PBX shows none."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable

from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.services import kpi
from deskterm.widgets.monitor.calls import CALL_COLUMNS, CallsPanel, queue_cells
from tests.screens.helpers import wait_until
from tests.screens.test_fits import _show, check_fit
from tests.screens.test_shell_snapshots import demo_desk, settled, until_steady
from tests.services.test_kpi_calls import NOW, call

__all__ = ["demo_desk"]  # the fixture


def _calls(db) -> None:  # type: ignore[no-untyped-def]
    t = NOW - timedelta(hours=1)
    call(db, "Hotline 热线", t, wait=10, talk=100, acw=20)
    call(db, "Hotline 热线", t, wait=40, abandoned=True)
    call(db, "Hotline 热线", NOW - timedelta(seconds=45))
    call(db, "VIP", t, wait=5, talk=300, acw=60)
    call(db, "VIP", NOW - timedelta(seconds=12))


def _app(db, lang: str = "en") -> DeskApp:  # type: ignore[no-untyped-def]
    settings = Settings.model_validate(
        {"database_url": str(db.engine.url), "poll_interval": 0.02, "language": lang, "monitor_interval": 0.2}
    )
    return DeskApp(settings=settings, database=db, watch_changes=False)


def _cell(app: DeskApp, row: str, column: str):  # type: ignore[no-untyped-def]
    return app.screen.query_one("#monitor-calls", DataTable).get_cell(row, column)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_the_calls_block_fits_and_shows_the_figures_in_colour(demo_desk, size, lang):
    _calls(demo_desk)
    app = _app(demo_desk, lang)
    async with app.run_test(size=size) as pilot:
        await _show(app, pilot, lang, "monitor")
        panel = app.screen.query_one(CallsPanel)
        assert panel.display and panel.region.height >= 3
        check_fit(app, *size)
        assert app.screen.query_one("#monitor-teams").region.height >= 4
        assert app.screen.query_one("#monitor-agents").region.height >= 4
        total = _cell(app, "total", "waiting")
        assert total.plain == "2"
        assert _cell(app, "total", "longest").plain == "45s"
        assert str(_cell(app, "total", "longest").style) == "bold yellow"  # amber: over 30 s
        assert str(_cell(app, "total", "service_level").style) == "bold red"  # 2 of 3 in 15 s: 66.7 %
        assert _cell(app, "total", "service_level").plain == "66.7 %"
        assert _cell(app, "q:VIP", "asa").plain == "5s"
        assert app.screen.view.handle_source == kpi.AHT_CALLS
        await pilot.press("ctrl+l")  # the other language, on the monitor itself: still there, still fits
        await pilot.pause()
        await wait_until(
            pilot, lambda: app.screen.query(CallsPanel) and app.screen.query_one(CallsPanel).display
        )
        await settled(pilot)
        check_fit(app, *size)
        assert _cell(app, "total", "waiting").plain == "2"


async def test_a_desk_without_a_pbx_shows_no_calls_block(demo_desk):
    app = _app(demo_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(app, pilot, "en", "monitor")
        assert not app.screen.query_one(CallsPanel).display
        assert app.screen.view.calls is not None and not app.screen.view.calls.fed


async def test_a_ringing_call_shows_without_a_ticket_changing(demo_desk):
    _calls(demo_desk)
    app = _app(demo_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await _show(app, pilot, "en", "monitor")
        assert _cell(app, "total", "waiting").plain == "2"
        call(demo_desk, "VIP", NOW - timedelta(seconds=3))
        await pilot.pause()
        for _ in range(100):
            if _cell(app, "q:VIP", "waiting").plain == "2":
                break
            await pilot.pause(0.05)
        assert _cell(app, "total", "waiting").plain == "3"


def test_the_calls_block_snapshot(demo_desk, snap_compare):
    _calls(demo_desk)
    app = _app(demo_desk)

    async def shown(pilot):  # type: ignore[no-untyped-def]
        await _show(app, pilot, "en", "monitor")
        await until_steady(pilot, "monitor", "supervisor")
        await settled(pilot)

    assert snap_compare(app, terminal_size=(120, 40), run_before=shown)


def test_a_figure_with_nothing_to_divide_by_is_a_dash():
    empty = kpi.QueueCalls(None, 0, None, 0, kpi.call_figures(kpi.CallTally()))
    got = dict(zip([k for k, _label in CALL_COLUMNS], queue_cells(empty), strict=True))
    assert {
        k: got[k].plain for k in ("waiting", "longest", "service_level", "abandon_rate", "asa", "talk")
    } == {
        "waiting": "0",
        "longest": "—",
        "service_level": "—",
        "abandon_rate": "—",
        "asa": "—",
        "talk": "—",
    }
    assert got["queue"].plain == "All queues"
    hostile = kpi.QueueCalls("[red]x[/]\x1b[2J", 0, None, 0, kpi.call_figures(kpi.CallTally()))
    assert queue_cells(hostile)[0].plain == "[red]x[/]"  # the PBX's text: literal, no controls
