"""Issue 14, "Times": due times with their day, late clocks marked late, the CLI's times never
bare, durations with their seconds."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import App, ComposeResult
from typer.testing import CliRunner

from deskterm.cli import make_app
from deskterm.cli.common import UtcLog
from deskterm.i18n import set_language
from deskterm.services import demo
from deskterm.widgets.monitor.live import LiveTable, duration
from deskterm.widgets.ticket_format import countdown, done, span, when

SH = ZoneInfo("Asia/Shanghai")
SATURDAY = datetime(2026, 3, 7, 15, 0, tzinfo=SH)  # now, in the tests of `when`


def test_a_due_time_today_shows_the_time_only() -> None:
    assert when(datetime(2026, 3, 7, 18, 0, tzinfo=SH), SATURDAY, "Asia/Shanghai") == "18:00"


def test_a_due_time_in_the_coming_week_shows_its_weekday() -> None:
    monday = datetime(2026, 3, 9, 9, 30, tzinfo=SH)
    assert when(monday, SATURDAY, "Asia/Shanghai") == "Mon 09:30"
    assert when(monday.astimezone(UTC), SATURDAY.astimezone(UTC), "Asia/Shanghai") == "Mon 09:30"
    set_language("zh")
    try:
        assert when(monday, SATURDAY, "Asia/Shanghai") == "周一 09:30"
    finally:
        set_language("en")


def test_a_due_time_further_or_past_shows_its_date() -> None:
    assert when(datetime(2026, 3, 14, 9, 30, tzinfo=SH), SATURDAY, "Asia/Shanghai") == "2026-03-14 09:30"
    assert when(datetime(2026, 3, 6, 9, 30, tzinfo=SH), SATURDAY, "Asia/Shanghai") == "2026-03-06 09:30"
    assert when(None, SATURDAY) == "—"


def test_the_day_is_the_desks_not_utcs() -> None:
    """01:30 on Sunday in Shanghai is still Saturday in UTC: the desk's day decides."""
    sunday_early = datetime(2026, 3, 7, 17, 30, tzinfo=UTC)
    assert when(sunday_early, SATURDAY, "Asia/Shanghai") == "Sun 01:30"
    assert when(sunday_early, SATURDAY, "UTC") == "17:30"


def test_a_late_response_is_marked_late_not_met() -> None:
    due = datetime(2026, 3, 7, 10, 0, tzinfo=SH)
    late = done(due, due + timedelta(minutes=12), "Asia/Shanghai", SATURDAY)
    assert late.plain == "✗ late 12m" and "red" in str(late.style)
    met = done(due, due - timedelta(minutes=5), "Asia/Shanghai", SATURDAY)
    assert met.plain == "✓ 09:55" and "green" in str(met.style)
    resolved_late = countdown(due, SATURDAY, status="resolved", resolved_at=due + timedelta(seconds=30))
    assert resolved_late.plain == "✗ late 30s" and "red" in str(resolved_late.style)


def test_durations_keep_their_seconds_where_asked() -> None:
    assert span(timedelta(seconds=294)) == "4m"
    assert span(timedelta(seconds=294), seconds=True) == "4m 54s"
    assert span(timedelta(seconds=14), seconds=True) == "14s"
    assert span(timedelta(hours=1, minutes=5, seconds=9), seconds=True) == "1h 05m"
    assert duration(294.4) == "4m 54s"  # as `deskterm report` prints it
    assert duration(None) == "—"


def test_the_monitor_and_the_report_print_a_duration_alike() -> None:
    """One format for a KPI time: the monitor's figure reads as the report's (it read "4m" on the
    monitor against "4m 54s" in the report, and "0m 14s" against "14s")."""
    from deskterm.cli.report import _show

    for seconds in (14, 294.4, 3909, 93784):
        assert _show("avg_handle_seconds", seconds) == duration(seconds)
    assert [duration(s) for s in (14, 294.4, 3909, 93784)] == ["14s", "4m 54s", "1h 05m", "1d 2h"]


class _StateTable(LiveTable):
    def columns_spec(self) -> list[tuple[str, str]]:
        return [("state", "State")]


class _Live(App[None]):
    def compose(self) -> ComposeResult:
        yield _StateTable(id="t")


async def test_a_live_cell_that_grows_is_not_cut() -> None:
    """The state "Available 9s" becoming "Available 14s" showed "Available 14": the column grows with it."""
    app = _Live()
    async with app.run_test() as pilot:
        table = app.query_one(LiveTable)
        table.sync([("1", (Text("Available 9s"),))])
        await pilot.pause()
        table.sync([("1", (Text("Available 4m 14s"),))])
        await pilot.pause()
        assert table.ordered_columns[0].content_width >= len("Available 4m 14s")


def test_the_cli_prints_times_with_the_desks_offset(sqlite_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    demo.generate(sqlite_db, tickets=5, seed=3)
    url = str(sqlite_db.engine.url)
    monkeypatch.delenv("DESKTERM_DATABASE_URL", raising=False)
    runner = CliRunner()
    listed = runner.invoke(make_app(), ["--db", url, "ticket", "list", "--format", "json"])
    assert listed.exit_code == 0, listed.output
    row = json.loads(listed.stdout)["tickets"][0]
    assert row["created_at"].endswith("+08:00") and "T" in row["created_at"]
    shown = runner.invoke(make_app(), ["--db", url, "ticket", "show", row["number"], "--format", "json"])
    detail = json.loads(shown.stdout)
    assert detail["respond_by"].endswith("+08:00") and detail["events"][0]["at"].endswith("+08:00")
    at = datetime.fromisoformat(detail["created_at"])
    assert at.utcoffset() == timedelta(hours=8)
    table = runner.invoke(make_app(), ["--db", url, "ticket", "show", row["number"]])
    assert table.exit_code == 0, table.output
    assert f"{at:%Y-%m-%d %H:%M}+08:00" in table.stdout
    monkeypatch.setenv("DESKTERM_TIMEZONE", "UTC")
    utc = runner.invoke(make_app(), ["--db", url, "ticket", "list", "--format", "json"])
    assert json.loads(utc.stdout)["tickets"][0]["created_at"].endswith("Z")  # UTC marked Z


def test_log_lines_are_stamped_in_utc_marked_z() -> None:
    record = logging.LogRecord("x", logging.INFO, "", 0, "fired", None, None)
    record.created = datetime(2026, 3, 9, 1, 20, 5, tzinfo=UTC).timestamp()
    assert UtcLog("%(asctime)s %(message)s").format(record) == "2026-03-09T01:20:05Z fired"
