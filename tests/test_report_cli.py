"""`deskterm report`: stable CSV columns, JSON, and figures from the KPI definitions."""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import timedelta

import pytest
from sqlalchemy import func
from sqlmodel import select

from deskterm.cli.report import AGENT_COLUMNS, KPI_COLUMNS
from deskterm.models import TicketEvent
from deskterm.services import tickets, workflow
from tests.factories import make_agent, make_ticket
from tests.test_cli import run


@pytest.fixture
def home(tmp_path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("DESKTERM_DATABASE_URL", None)
    env["DESKTERM_PASSWORD"] = "secret-pw"
    return env


def test_kpi_and_agent_reports(sqlite_db, home):
    make_agent(sqlite_db, "sue", role="supervisor")
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy", role="engineer", team="Desktop Support")
    for summary in ("Printer jams", "VPN drops", "Mail full"):
        t = make_ticket(sqlite_db, op, summary)
    tickets.claim(sqlite_db, eng, t.number)
    workflow.resolve(sqlite_db, eng, t.number, "done")
    url = str(sqlite_db.engine.url)
    got = run("--db", url, "report", "kpi", "--as", "sue", "--format", "csv", env=home)
    assert got.returncode == 0, got.stderr
    rows = list(csv.reader(io.StringIO(got.stdout)))
    assert tuple(rows[0]) == KPI_COLUMNS  # the columns scripts rely on
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["calls_logged"], row["resolved"], row["resolution_rate"]) == ("3", "1", "0.3333")
    got = run("--db", url, "report", "agents", "--as", "sue", "--format", "csv", env=home)
    rows = list(csv.reader(io.StringIO(got.stdout)))
    assert tuple(rows[0]) == AGENT_COLUMNS
    by_login = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_login["olga"]["calls"] == "3" and by_login["eddy"]["resolved"] == "1"
    got = run(
        "--db", url, "report", "kpi", "--as", "sue", "--format", "json", "--team", "Desktop Support", env=home
    )
    assert json.loads(got.stdout)["calls_logged"] == 3
    table = run("--db", url, "report", "kpi", "--as", "sue", env=home)
    assert "calls resolved" in table.stdout and "33.3 %" in table.stdout


def test_report_refusals(sqlite_db, home):
    make_agent(sqlite_db, "sue", role="supervisor")
    url = str(sqlite_db.engine.url)
    bad = run("--db", url, "report", "kpi", "--as", "sue", "--from", "2026-13-01", env=home)
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr
    late = run(
        "--db", url, "report", "kpi", "--as", "sue", "--from", "2026-03-02", "--to", "2026-03-01", env=home
    )
    assert late.returncode == 2
    team = run("--db", url, "report", "agents", "--as", "sue", "--team", "Nobody", env=home)
    assert team.returncode == 2 and "no team" in team.stderr


def test_rebuild_then_report_from_the_rollup(sqlite_db, home):
    from datetime import timedelta

    from deskterm import clock

    make_agent(sqlite_db, "sue", role="supervisor")
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    three_days_ago = clock.now() - timedelta(days=3)
    clock.set_clock(clock.FrozenClock(three_days_ago))
    try:
        for summary in ("Printer jams", "VPN drops"):
            make_ticket(sqlite_db, op, summary)
    finally:
        clock.set_clock(None)
    url = str(sqlite_db.engine.url)
    refused = run("--db", url, "report", "rebuild", "--as", "olga", env=home)
    assert refused.returncode != 0
    got = run("--db", url, "report", "rebuild", "--as", "sue", env=home)
    assert got.returncode == 0, got.stderr
    assert "the rollup holds 3 days" in got.stderr  # the tickets' day, the day after, yesterday
    day = (three_days_ago - timedelta(days=1)).date().isoformat()
    got = run("--db", url, "report", "kpi", "--as", "sue", "--from", day, "--format", "json", env=home)
    assert json.loads(got.stdout)["calls_logged"] == 2


def test_the_watcher_folds_the_event_log_into_the_rollup(sqlite_db, home):
    from deskterm.models import KpiRollup

    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_ticket(sqlite_db, op, "Printer jams")
    got = run("--db", str(sqlite_db.engine.url), "watch", "--once", env=home)
    assert got.returncode == 0, got.stderr
    with sqlite_db.read() as s:
        state = s.get(KpiRollup, 1)
        top = s.exec(select(func.max(TicketEvent.id))).one()
    assert state is not None and state.event_id == top


def test_the_kpi_report_has_the_call_figures_and_says_where_aht_comes_from(sqlite_db, home):
    from deskterm import clock
    from deskterm.services.kpi import day_start
    from tests.services.test_kpi_calls import call

    make_agent(sqlite_db, "sue", role="supervisor")
    url = str(sqlite_db.engine.url)
    table = run("--db", url, "report", "kpi", "--as", "sue", env=home)
    assert "the consoles' state log" in table.stdout  # no PBX: today's definition
    start = day_start(clock.now(), "Asia/Shanghai") + timedelta(seconds=1)
    call(sqlite_db, "sales", start, wait=10, talk=100, acw=20)
    call(sqlite_db, "sales", start, wait=30, talk=200, acw=40)
    call(sqlite_db, "sales", start, wait=40, abandoned=True)
    call(sqlite_db, "sales", start, wait=2, abandoned=True)  # a short abandon: in no rate
    got = run("--db", url, "report", "kpi", "--as", "sue", "--format", "json", env=home)
    assert got.returncode == 0, got.stderr
    row = json.loads(got.stdout)
    assert row["aht_source"] == "calls" and row["avg_handle_seconds"] == 180  # (300 + 60) ÷ 2
    assert (row["calls_offered"], row["calls_answered"], row["calls_abandoned"]) == (3, 2, 1)
    assert row["service_level"] == pytest.approx(1 / 3) and row["abandon_rate"] == pytest.approx(1 / 3)
    assert (row["asa_seconds"], row["avg_talk_seconds"], row["avg_acw_seconds"]) == (20, 150, 30)
    table = run("--db", url, "report", "kpi", "--as", "sue", env=home)
    assert "the call records" in table.stdout and "33.3 %" in table.stdout
    team = run("--db", url, "report", "kpi", "--as", "sue", "--format", "csv", "--team", "Network", env=home)
    rows = list(csv.reader(io.StringIO(team.stdout)))
    assert tuple(rows[0]) == KPI_COLUMNS
    row = dict(zip(rows[0], rows[1], strict=True))
    assert (row["aht_source"], row["service_level"]) == ("states", "")  # queues are not teams
