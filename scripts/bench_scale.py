"""Figures of issue 16 (the watcher and demo data at scale), each beside its baseline in the same run:

    python scripts/bench_scale.py --tickets 100000 --db sqlite:////tmp/s.db --db postgresql://postgres@127.0.0.1/s

Give it EMPTY databases it may write to (a new SQLite file; `createdb` for PostgreSQL). For each:
  1. `demo-data` of --tickets tickets, timed;
  2. the watcher's first passes over the demo's backlog: one with a transaction per firing (as
     before issue 16), one with the firings committed in batches (`run_pass(batch=…)`);
  3. the backlog marked as fired in bulk (as if a watcher had always run), autovacuum kept off
     for `escalation_firing`, then steady passes without the statistics refresh (the table never
     analyzed: the baseline) and with it (the first of them analyzes).
No time here is asserted anywhere: these are measurements."""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlmodel import select

from deskterm.db import Database, open_database, upgrade
from deskterm.models import EscalationFiring, Ticket
from deskterm.services import demo, escalation, reference

sys.path.insert(0, str(Path(__file__).parent))
from bench_watch import _label, fresh_tickets, mark_backlog  # the same helpers as issue 7's


def timed_pass(db: Database, limit: int, *, batch: int, analyze: bool = True) -> escalation.PassReport:
    """One pass as `deskterm watch` runs it: plan the scope, then the rules (both timed)."""
    from deskterm import clock

    t0 = time.perf_counter()
    now = clock.now()
    scope = escalation.plan_scope(db, now)
    report = escalation.run_pass(db, limit=limit, now=now, scope=scope, batch=batch, analyze=analyze)
    report.seconds = time.perf_counter() - t0
    return report


def bench_demo(db: Database, tickets: int) -> None:
    with db.read() as s:
        have = s.exec(select(func.count()).select_from(Ticket)).one()
    if have:
        print(f"  demo-data: skipped, the database has {have:,} tickets already")
        return
    t0, cpu, made = time.perf_counter(), time.process_time(), _children_cpu()
    summary = demo.generate(db, tickets=tickets)
    print(
        f"  demo-data --tickets {tickets:,}: {time.perf_counter() - t0:.1f} s "
        f"({time.process_time() - cpu:.1f} s of this process's CPU, {_children_cpu() - made:.1f} s of the "
        f"process making the rows; {summary.events:,} events; load {os.getloadavg()[0]:.2f})"
    )


def _children_cpu() -> float:
    """CPU seconds of the ended child processes (demo data's row maker)."""
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def bench_first(db: Database, limit: int, batch: int) -> None:
    for label, size in (("a transaction per firing (before)", 1), (f"batches of {batch}", batch)):
        r = timed_pass(db, limit, batch=size)
        per = r.seconds / max(1, len(r.fired) + r.lost) * 1000
        print(
            f"  backlog pass, {label}: {r.seconds:.2f} s, {r.candidates:,} tickets looked at, "
            f"{r.due:,} firings due, {len(r.fired):,} fired (≤ {limit} per rule), {per:.1f} ms a firing"
        )


def bench_steady(db: Database, limit: int, batch: int, passes: int) -> None:
    if not db.is_sqlite:  # the baseline: a table the server never analyzes by itself
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ALTER TABLE escalation_firing SET (autovacuum_enabled = off)")
    t0 = time.perf_counter()
    marked = mark_backlog(db)
    with db.read() as s:
        total = s.exec(select(func.count()).select_from(EscalationFiring)).one()
    print(
        f"  backlog marked as fired in bulk: {marked:,} in {time.perf_counter() - t0:.1f} s "
        f"({total:,} firings in all)"
    )
    for label, analyze in (("statistics never refreshed (before)", False), ("statistics kept fresh", True)):
        times = []
        for _ in range(passes):
            fresh_tickets(db, 5)
            r = timed_pass(db, limit, batch=batch, analyze=analyze)
            times.append(r.seconds)
            if r.analyzed:
                print(f"    this pass analyzed {', '.join(r.analyzed)}: {r.seconds * 1000:.0f} ms")
        print(
            f"  steady pass, {label}: median {statistics.median(times) * 1000:.0f} ms, "
            f"max {max(times) * 1000:.0f} ms over {passes} passes (target ≤ 500 ms)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", action="append", required=True, help="database URL (repeat for both)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--limit", type=int, default=500, help="firings per rule a pass")
    parser.add_argument("--batch", type=int, default=escalation.BATCH, help="firings a transaction")
    parser.add_argument("--passes", type=int, default=7)
    args = parser.parse_args()
    for url in args.db:
        db = open_database(url)
        upgrade(db.engine)
        reference.seed(db)
        print(f"\n{_label(db)}:")
        bench_demo(db, args.tickets)
        added = escalation.seed_rules(db)
        print(f"  {added} shipped rules seeded")
        bench_first(db, args.limit, args.batch)
        bench_steady(db, args.limit, args.batch, args.passes)
        db.dispose()


if __name__ == "__main__":
    main()
