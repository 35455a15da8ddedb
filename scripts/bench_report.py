"""Benchmark the KPI report and the monitor's first load, direct against the rollup (issue 16).

Prints, per database URL: `report kpi` (the service the command calls) for 1 day (today), 90 days
and since 2000, each computed directly (the reference) and from the rollup, with whether the
figures agree; the rollup's rebuild and a catch-up with nothing to fold; the monitor's first load.
"Today" is the desk's day of the newest ticket (the clock is set there). It writes only the rollup.
Usage:
    python scripts/bench_report.py [--no-direct-history] [URL ...]
(--no-direct-history: skip the direct computation since 2000, a day at a time: minutes)
(default: sqlite:////tmp/bench-1m.db and postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m)"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import astuple
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from deskterm import clock
from deskterm.db import open_database
from deskterm.models import Agent, Team, Ticket
from deskterm.services import auth, kpi

DEFAULT_URLS = ["sqlite:////tmp/bench-1m.db", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m"]
TZ = "Asia/Shanghai"
BASELINE = (
    "baseline, 1M tickets before the rollup: report kpi over 90 days 6.6 s (SQLite) / 6.2 s (PostgreSQL), "
    "since 2000 29 s; monitor first load 0.85 s"
)


def timed(fn: Callable[[], Any], runs: int = 7) -> tuple[float, Any]:
    """The median of `runs` (ms: the machine may be shared) and the last result."""
    times, out = [], None
    for _ in range(runs):
        started = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), out


def same(a: kpi.Kpis, b: kpi.Kpis) -> bool:
    return all(
        x == y or (isinstance(x, float) and isinstance(y, float) and math.isclose(x, y, rel_tol=1e-9))
        for x, y in zip(astuple(a), astuple(b), strict=True)
    )


def bench(url: str, history: bool = True) -> None:
    db = open_database(url)
    with db.read() as s:
        a = s.exec(select(Agent).where(Agent.role == "supervisor").order_by(Agent.id)).first()
        assert a is not None, "no supervisor: load demo data first"
        actor = auth.actor_from(a, s.get(Team, a.team_id) if a.team_id else None)
        total = s.exec(select(func.count()).select_from(Ticket)).one()
        newest = s.exec(select(func.max(Ticket.created_at))).one()
    now = newest.astimezone(UTC) + timedelta(seconds=1)
    clock.set_clock(lambda: now)
    today = kpi.day_start(now, TZ)
    print(f"\n== {db.backend}: {url} ({total:,} tickets; today {today:%Y-%m-%d %H:%M} UTC)")
    started = time.perf_counter()
    days = kpi.rebuild_rollup(db, actor, TZ)
    print(f"rollup rebuild: {time.perf_counter() - started:.1f} s ({days} days)")
    ms, _ = timed(lambda: kpi.catch_up(db, TZ))
    print(f"catch-up with nothing new: {ms:.1f} ms")
    periods = {
        "1 day (today)": today,
        "90 days": today - timedelta(days=89),
        "since 2000": datetime(2000, 1, 1, tzinfo=UTC),
    }
    end = today + timedelta(days=1)
    rolled = {}
    for name, start in periods.items():
        if start.year == 2000 and not history:
            rollup_ms, _ = timed(lambda start=start: kpi.report(db, actor, start, end, timezone=TZ))
            rolled[name] = rollup_ms
            print(f"report kpi {name:14}: direct (skipped), rollup {rollup_ms:7.1f} ms")
            continue
        direct_ms, direct = timed(
            lambda start=start: kpi.report(db, actor, start, end, timezone=TZ, direct=True), 1
        )
        rollup_ms, rollup = timed(lambda start=start: kpi.report(db, actor, start, end, timezone=TZ))
        rolled[name] = rollup_ms
        agree = "same figures" if same(direct[0], rollup[0]) else "FIGURES DIFFER"
        print(f"report kpi {name:14}: direct {direct_ms:8.1f} ms, rollup {rollup_ms:7.1f} ms  ({agree})")
    print(f"90 days ÷ 1 day (rollup): {rolled['90 days'] / rolled['1 day (today)']:.2f} (target ≤ 2)")
    loads = []
    for _ in range(7):
        monitor = kpi.Monitor(db, actor, timezone=TZ)
        started = time.perf_counter()
        monitor.refresh(now=now)
        loads.append((time.perf_counter() - started) * 1000)
    print(f"monitor first load: {statistics.median(loads):.0f} ms (median of 7; target ≤ 200)")
    clock.set_clock(None)
    db.dispose()


def main() -> None:
    print(BASELINE)
    args = [a for a in sys.argv[1:] if a != "--no-direct-history"]
    for url in args or DEFAULT_URLS:
        bench(url, history="--no-direct-history" not in sys.argv)
    print(f"\n(measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
