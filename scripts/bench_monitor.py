"""Benchmark the supervisor monitor on a large database (both backends).

Prints, per database URL:
- the monitor's first load (every open ticket's keys) and its refresh database time (p50/p95) when
  the change feed names a few tickets;
- the time from a ticket created in another process to the monitor counting it (change feed wake-up
  as the console does it, then the refresh).
`report kpi` over 90 days against one day is scripts/bench_report.py's.

It writes only the few tickets the latency test creates. Usage:
    python scripts/bench_monitor.py [--skip-latency] [URL ...]
(default: sqlite:////tmp/bench-1m.db and postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m)"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import col, select

from deskterm import clock
from deskterm.db import open_database
from deskterm.models import Agent, Team, Ticket
from deskterm.services import auth, kpi
from deskterm.services.changes import ChangeWaiter, events_after, latest_event_id

DEFAULT_URLS = ["sqlite:////tmp/bench-1m.db", "postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m"]
WRITER = """
import sys, time
from sqlmodel import select
from deskterm.db import open_database
from deskterm.models import Agent, Team
from deskterm.services import auth, tickets
db = open_database(sys.argv[1])
with db.read() as s:
    a = s.exec(select(Agent).where(Agent.role == "operator").order_by(Agent.id)).first()
    actor = auth.actor_from(a, s.get(Team, a.team_id) if a.team_id else None)
for line in sys.stdin:
    t = tickets.create_ticket(db, actor, summary="Monitor benchmark: printer jams", category="Hardware/PC")
    print(t.id, time.time(), flush=True)
"""


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def supervisor(db):  # type: ignore[no-untyped-def]
    with db.read() as s:
        a = s.exec(select(Agent).where(Agent.role == "supervisor").order_by(Agent.id)).first()
        assert a is not None, "no supervisor: load demo data first"
        return auth.actor_from(a, s.get(Team, a.team_id) if a.team_id else None)


def bench(url: str, refreshes: int = 60, trials: int = 8, latency: bool = True) -> None:
    db = open_database(url)
    actor = supervisor(db)
    with db.read() as s:
        total = s.exec(select(func.count()).select_from(Ticket)).one()
        newest = s.exec(select(func.max(Ticket.created_at))).one()
        open_ids = list(s.exec(select(Ticket.id).where(col(Ticket.is_open).is_(True)).limit(20000)).all())
    print(f"\n== {db.backend}: {url} ({total:,} tickets)")

    # 1. refresh database time, with the clock at the data's newest ticket
    now = newest.astimezone(UTC)
    monitor = kpi.Monitor(db, actor)
    started = time.perf_counter()
    view = monitor.refresh(now=now)
    load = time.perf_counter() - started
    print(
        f"first load (counted, target ≤ 200 ms): {load * 1000:.0f} ms wall, {view.db_ms:.0f} ms database "
        f"({sum(t.open for t in view.teams):,} open tickets)"
    )
    started = time.perf_counter()
    view = monitor.refresh(now=now)  # the second loads the book of open tickets' keys
    assert monitor.book is not None
    print(
        f"book load: {(time.perf_counter() - started) * 1000:.0f} ms wall "
        f"({len(monitor.book.rows):,} open tickets in memory)"
    )
    rng = random.Random(8)
    times = []
    for i in range(refreshes):
        changed = rng.sample(open_ids, 5)
        view = monitor.refresh(changed, now=now + timedelta(seconds=i))
        times.append(view.db_ms)
    print(
        f"refresh (5 changed tickets): database p50 {pct(times, 50):.1f} ms, p95 {pct(times, 95):.1f} ms, "
        f"max {max(times):.1f} ms over {refreshes}"
    )
    print(
        f"  today: {view.kpis.calls_logged:,} calls, {view.kpis.resolved:,} resolved; "
        f"open {sum(t.open for t in view.teams):,}, breached {view.breached:,}, pending {view.pending:,}"
    )

    if not latency:
        db.dispose()
        return
    # 2. a ticket created in another process, to the monitor counting it
    clock.set_clock(None)
    monitor.reload()
    monitor.refresh()
    waiter = ChangeWaiter(db, interval=0.2)  # the console's default SQLite poll interval
    waiter.wait(timeout=0.01)  # connect (PostgreSQL: LISTEN) before the first ticket
    last = latest_event_id(db)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdin is not None and writer.stdout is not None
    lags = []
    for _ in range(trials):
        writer.stdin.write("go\n")
        writer.stdin.flush()
        ticket_id, committed = writer.stdout.readline().split()
        seen = None
        while seen is None:
            waiter.wait(timeout=2.0)
            changes = events_after(db, last)
            if changes:
                last = changes[-1].event_id
            monitor.refresh([c.ticket_id for c in changes])
            if int(ticket_id) in monitor.book.rows:
                seen = time.time()
        lags.append((seen - float(committed)) * 1000)
        time.sleep(0.3)
    writer.stdin.close()
    writer.wait()
    waiter.close()
    print(
        f"created in another process → counted by the monitor: p50 {pct(lags, 50):.0f} ms, "
        f"max {max(lags):.0f} ms over {trials} (change feed + refresh; the screen adds its paint)"
    )

    db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("urls", nargs="*", metavar="URL", help="databases with demo data")
    parser.add_argument("--skip-latency", action="store_true", help="only the loads and refreshes")
    args = parser.parse_args()
    for url in args.urls or DEFAULT_URLS:
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        bench(url, latency=not args.skip_latency)
    print(f"\n(measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC)")


if __name__ == "__main__":
    main()
