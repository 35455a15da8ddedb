"""Benchmark the call figures (services/kpi/calls.py) on many call records, both backends.

Fills a fresh database with N inbound calls spread evenly over the last 90 days (most answered,
some abandoned, a few missed and unseen, a few waiting now) in 8 queues, then prints:
- the monitor's calls block at now (waiting, missed, today's figures; `calls_now`), p50/p95;
- the report's call figures over 90 days (`call_report`), p50/p95;
- the query plans' use of ix_phone_call_arrived and ix_phone_call_missed (PostgreSQL: EXPLAIN).

Usage:
    python scripts/bench_calls.py [--calls 100000] [URL ...]
(default: sqlite:////tmp/figures-bench-calls.db and
postgresql+psycopg://postgres@127.0.0.1:5432/figures_bench_calls; both are made afresh and the
PostgreSQL one is dropped at the end)"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from deskterm import clock
from deskterm.db import bulk_insert, fresh_statistics, open_database, upgrade
from deskterm.services import kpi, reference
from tests.factories import make_agent

DEFAULT_URLS = [
    "sqlite:////tmp/figures-bench-calls.db",
    "postgresql+psycopg://postgres@127.0.0.1:5432/figures_bench_calls",
]
COLUMNS = (
    "call_id",
    "direction",
    "queue",
    "arrived_at",
    "answered_at",
    "ended_at",
    "wait_seconds",
    "talk_seconds",
    "acw_seconds",
    "cause",
    "seen_at",
    "caller_raw",
    "caller",
    "dialled",
    "extension",
    "wrapup",
)
BLANK = ("",) * 5


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def rows(n: int, now: datetime, rng: random.Random):  # type: ignore[no-untyped-def]
    span = timedelta(days=90).total_seconds()
    for i in range(n):
        arrived = now - timedelta(seconds=span * (n - i) / n + 600)
        queue = f"queue-{rng.randrange(8)}"
        wait = int(rng.expovariate(1 / 12))
        roll = rng.random()
        if roll < 0.9:  # answered
            talk = int(rng.expovariate(1 / 240))
            answered = arrived + timedelta(seconds=wait)
            ended = answered + timedelta(seconds=talk)
            yield (
                f"b{i}",
                "in",
                queue,
                arrived,
                answered,
                ended,
                wait,
                talk,
                rng.randrange(120),
                "normalClearing",
                None,
                *BLANK,
            )
        else:  # abandoned; most seen
            ended = arrived + timedelta(seconds=wait)
            seen = None if roll > 0.995 else ended + timedelta(minutes=30)
            yield (f"b{i}", "in", queue, arrived, None, ended, wait, None, None, "cancel", seen, *BLANK)
    for j in range(5):  # waiting now
        yield (
            f"w{j}",
            "in",
            f"queue-{j}",
            now - timedelta(seconds=10 * j),
            None,
            None,
            None,
            None,
            None,
            "",
            None,
            *BLANK,
        )


def bench(url: str, n: int, repeats: int) -> None:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    db = open_database(url)
    upgrade(db.engine)
    reference.seed(db)
    now = datetime.now(UTC).replace(microsecond=0)
    clock.set_clock(clock.FrozenClock(now))
    sup = make_agent(db, "bench.sup", role="supervisor", team=None)
    started = time.perf_counter()
    with db.engine.begin() as conn:
        bulk_insert(conn, "phone_call", COLUMNS, rows(n, now, random.Random(15)))
    fresh_statistics(db, ["phone_call"], rows=1)
    print(
        f"\n== {db.backend}: {url}: {n:,} calls over 90 days, loaded in {time.perf_counter() - started:.1f} s"
    )

    live, report = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        view = kpi.live_calls(db, sup, timezone="Asia/Shanghai", now=now)
        live.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        got = kpi.call_report(db, sup, now - timedelta(days=90), now)
        report.append((time.perf_counter() - t) * 1000)
    f = view.total.today
    print(
        f"monitor calls block (today: {f.offered:,} offered, {view.total.waiting} waiting, "
        f"{view.total.missed_unseen} missed unseen): p50 {pct(live, 50):.1f} ms, p95 {pct(live, 95):.1f} ms"
    )
    g = got.total
    print(
        f"report, 90 days ({g.offered:,} offered, SL {g.service_level:.1%}, abandon {g.abandon_rate:.1%}, "
        f"ASA {g.asa_seconds:.1f} s, AHT {g.aht_seconds:.0f} s): p50 {pct(report, 50):.1f} ms, "
        f"p95 {pct(report, 95):.1f} ms"
    )
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            for name, sql in (
                ("today", "SELECT count(*) FROM phone_call WHERE arrived_at >= now() - interval '1 day'"),
                (
                    "missed",
                    "SELECT queue, count(*) FROM phone_call WHERE answered_at IS NULL"
                    " AND ended_at IS NOT NULL AND seen_at IS NULL GROUP BY queue",
                ),
            ):
                plan = [r[0] for r in conn.execute(text("EXPLAIN " + sql))]
                used = [line.strip() for line in plan if "Index" in line or "Seq Scan" in line]
                print(f"plan ({name}): {' | '.join(used)}")
    db.dispose()
    if not url.startswith("sqlite"):
        import psycopg

        admin = db.engine.url.set(drivername="postgresql", database="postgres").render_as_string(False)
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{db.engine.url.database}"')


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("urls", nargs="*")
    args = parser.parse_args()
    for url in args.urls or DEFAULT_URLS:
        bench(url, args.calls, args.repeats)


if __name__ == "__main__":
    main()
