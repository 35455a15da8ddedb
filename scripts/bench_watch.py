"""Figures of issue 7: one watcher pass over 1M tickets, and notification latency from the firing
commit to the toast in another console, on SQLite and PostgreSQL.

    python scripts/bench_watch.py pass --db sqlite:////tmp/i7-1m.db --db postgresql://postgres@127.0.0.1/i7_1m
    python scripts/bench_watch.py latency --db sqlite:////tmp/i7-lat.db --db postgresql://.../i7_lat

`pass` WRITES to the database it is given (firings, events, notifications): give it a copy of the
shared 1M database (`cp /tmp/bench-1m.db /tmp/i7-1m.db`; `createdb -T bench_1m i7_1m`), never the
shared one. It seeds the shipped rules and times
  1. the first pass, which meets the whole backlog of a database that never had a watcher
     (capped at --batch firings per rule; the rest waits for later passes),
  2. then marks the remaining backlog as fired (as if a watcher had always run) and times steady
     passes, each of which also fires on a few fresh tickets.
`latency` runs a console headless logged in as `lead`, fires escalations to it from another process
and measures commit → toast."""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import time
from datetime import timedelta

from sqlalchemy import func, insert
from sqlmodel import select

from deskterm import clock
from deskterm.db import Database, open_database, upgrade
from deskterm.models import EscalationFiring, EscalationRule, Ticket
from deskterm.services import escalation, reference


def _label(db: Database) -> str:
    return "SQLite" if db.is_sqlite else "PostgreSQL"


def mark_backlog(db: Database) -> int:
    """Record every firing due now as done without acting (as if a watcher had always run)."""
    now = clock.now()
    with db.read() as s:
        rules = [escalation.rule_from_row(r) for r in s.exec(select(EscalationRule)).all() if r.enabled]
    total = 0
    while True:  # a later threshold becomes due once the earlier one is marked
        plan, _looked = escalation.due_firings(db, rules, now, None)
        rows = [
            {"rule_id": rule.id, "ticket_id": tid, "threshold": key, "at": now}
            for rule, _index, found in plan
            for _sort, tid, key, _why in found
        ]
        if not rows:
            return total
        with db.write() as s:
            for i in range(0, len(rows), 5000):
                s.execute(insert(EscalationFiring), rows[i : i + 5000])
        total += len(rows)


def fresh_tickets(db: Database, n: int) -> None:
    """n new tickets: open, unassigned, created 20 minutes ago (the hand-over rule fires on them)."""
    from deskterm.services import auth, tickets

    with db.read() as s:
        from deskterm.models import Agent

        op = s.exec(select(Agent).where(Agent.login == "operator")).one()
        actor = auth.load_actor(s, op.id)  # type: ignore[arg-type]
    real = clock.now()
    clock.set_clock(lambda: real - timedelta(minutes=20))
    try:
        for i in range(n):
            with db.write() as s:
                tickets.open_ticket(s, actor, summary=f"bench {i}", category="Hardware/PC")
    finally:
        clock.set_clock(None)


def timed_pass(db: Database, batch: int) -> escalation.PassReport:
    """One pass as `deskterm watch` runs it: plan the scope, then the rules (both timed)."""
    t0 = time.perf_counter()
    now = clock.now()
    scope = escalation.plan_scope(db, now)
    report = escalation.run_pass(db, limit=batch, now=now, scope=scope)
    report.seconds = time.perf_counter() - t0
    return report


def bench_pass(url: str, batch: int, passes: int) -> None:
    db = open_database(url)
    reference.seed(db)
    added = escalation.seed_rules(db)
    with db.read() as s:
        n = s.exec(select(func.count()).select_from(Ticket)).one()
        open_n = s.exec(select(func.count()).select_from(Ticket).where(Ticket.is_open)).one()
        done = s.exec(select(func.count()).select_from(EscalationFiring)).one()
    print(f"\n{_label(db)}: {n:,} tickets, {open_n:,} open; {added} rules seeded; {done:,} firings already")
    first = timed_pass(db, batch)
    print(
        f"  first pass (backlog): {first.seconds:.2f} s, {first.candidates:,} tickets looked at, "
        f"{len(first.fired)} fired (≤ {batch} per rule; {first.waiting} rules have more waiting)"
    )
    t0 = time.perf_counter()
    marked = mark_backlog(db)
    print(f"  backlog marked as fired: {marked:,} in {time.perf_counter() - t0:.1f} s")
    times = []
    for _ in range(passes):
        fresh_tickets(db, 5)
        report = timed_pass(db, batch)
        times.append(report.seconds)
        print(
            f"    steady pass: {report.seconds * 1000:.0f} ms, {report.candidates:,} tickets looked at, "
            f"{len(report.fired)} fired"
        )
    print(
        f"  steady pass over {n:,} tickets: median {statistics.median(times) * 1000:.0f} ms, "
        f"max {max(times) * 1000:.0f} ms (target ≤ 2000 ms)"
    )
    db.dispose()


# --- latency ---------------------------------------------------------------------------------------------


def _fire_loop(url: str, count: int, gap: float, out) -> None:  # type: ignore[no-untyped-def]
    """Another process: escalate tickets to `lead` by hand, one every `gap` s; report commit times."""
    from deskterm.services import auth

    db = open_database(url)
    with db.read() as s:
        from deskterm.models import Agent

        eng = s.exec(select(Agent).where(Agent.login == "engineer")).one()
        actor = auth.load_actor(s, eng.id)  # type: ignore[arg-type]
        numbers = list(
            s.exec(
                select(Ticket.number).where(Ticket.team_id == actor.team_id, Ticket.is_open).limit(count)
            ).all()
        )
    time.sleep(1.0)  # let the console settle
    for number in numbers:
        with db.write() as s:
            t = s.exec(select(Ticket).where(Ticket.number == number)).one()
            t.escalated_to_id = None  # the line restarts: the escalation goes to the team lead
        escalation.escalate(db, actor, number, mode="hierarchical", reason="bench", expected="1h")
        out.put((number, time.time()))
        time.sleep(gap)
    out.put(None)


async def _console(url: str, count: int, gap: float) -> list[float]:
    from deskterm.app import DeskApp
    from deskterm.config import Settings

    db = open_database(url)
    settings = Settings.model_validate({"database_url": url})
    app = DeskApp(settings=settings, database=db)
    toasts: dict[str, float] = {}
    original = app.notify

    def notify(message, *args, **kwargs):  # type: ignore[no-untyped-def]
        for word in str(message).split():
            if word.startswith("SR-"):
                toasts.setdefault(word, time.time())
        return original(message, *args, **kwargs)

    app.notify = notify  # type: ignore[method-assign]
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        from textual.widgets import Input

        while not app.screen.query("#login-name") or app.screen.query_one("#login-name").disabled:
            await pilot.pause(0.05)
        app.screen.query_one("#login-name", Input).value = "eng.lead"
        app.screen.query_one("#login-password", Input).value = "demo"
        app.screen.query_one("#login-password", Input).focus()
        await pilot.press("enter")
        while app.actor is None:
            await pilot.pause(0.05)
        await pilot.pause(1.0)
        proc = ctx.Process(target=_fire_loop, args=(url, count, gap, out))
        proc.start()
        commits: dict[str, float] = {}
        while True:
            while out.empty():
                await pilot.pause(0.02)
            item = out.get()
            if item is None:
                break
            commits[item[0]] = item[1]
        deadline = time.time() + 5
        while time.time() < deadline and not all(n in toasts for n in commits):
            await pilot.pause(0.02)
        proc.join()
    db.dispose()
    return [(toasts[n] - c) * 1000 for n, c in commits.items() if n in toasts]


def bench_latency(url: str, count: int, gap: float) -> None:
    db = open_database(url)
    upgrade(db.engine)
    reference.seed(db)
    from deskterm.services import demo

    with db.read() as s:
        have = s.exec(select(func.count()).select_from(Ticket)).one()
    if have < 500:
        demo.generate(db, tickets=2000)
    label = _label(db)
    db.dispose()
    lat = asyncio.run(_console(url, count, gap))
    lat.sort()
    if not lat:
        print(f"{label}: no toasts arrived")
        return
    p95 = lat[min(len(lat) - 1, int(len(lat) * 0.95))]
    print(
        f"{label}: commit → toast over {len(lat)} escalations: p50 {statistics.median(lat):.0f} ms, "
        f"p95 {p95:.0f} ms, max {lat[-1]:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("what", choices=["pass", "latency"])
    parser.add_argument("--db", action="append", required=True, help="database URL (repeat for both)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--count", type=int, default=40)
    parser.add_argument("--gap", type=float, default=0.25)
    args = parser.parse_args()
    for url in args.db:
        if args.what == "pass":
            bench_pass(url, args.batch, args.passes)
        else:
            bench_latency(url, args.count, args.gap)


if __name__ == "__main__":
    main()
