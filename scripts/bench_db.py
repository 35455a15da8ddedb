"""Foundation figures on a database holding many tickets (issue: foundation).

    python scripts/bench_db.py [--sqlite URL] [--pg URL] [--load N] [--runs 200]

Prints, per backend: the time to load N demo tickets (with --load, into an empty database),
p50/p95 of creating one ticket with its event, p50/p95 of "my open tickets by priority then due,
first 200" and "team's unassigned, first 200" through the service layer, and the query plans.
Then the console's start to first frame (whole process, median of 5) against a bare Textual app.
"""

from __future__ import annotations

import argparse
import os
import pty
import select
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select as sql_select
from sqlmodel import col

from deskterm.db import open_database, upgrade
from deskterm.models import Agent, Team, Ticket
from deskterm.services import agents, auth, reference, tickets
from deskterm.services import demo as demo_data

DEFAULT_SQLITE = "sqlite:////tmp/bench-1m.db"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_1m"


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def line(label: str, ms: list[float]) -> None:
    print(f"  {label:<44} p50 {pct(ms, 50):7.2f} ms   p95 {pct(ms, 95):7.2f} ms   (n={len(ms)})")


def plan(db, query) -> list[str]:  # type: ignore[no-untyped-def]
    compiled = query.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(prefix + str(compiled)).all()
    return [str(r[-1]) for r in rows]


def bench_backend(url: str, load: int, runs: int) -> None:
    db = open_database(url)
    print(f"\n== {db.backend}: {url}")
    upgrade(db.engine)
    reference.seed(db)
    count = tickets.count_tickets(db)
    if load and count == 0:
        started = time.perf_counter()
        demo_data.generate(db, tickets=load, seed=11)
        print(f"  loaded {load} demo tickets in {time.perf_counter() - started:.1f} s")
        count = load
    print(f"  tickets in the database: {count}")
    if "bench.op" not in agents.agent_logins(db):
        admin = auth.login(db, "admin", demo_data.DEMO_PASSWORD, max_failures=10**6)  # the demo desk's
        agents.add_agent(
            db,
            admin,
            login="bench.op",
            name="Bench Operator",
            number="99001",
            role="operator",
            tier=1,
            team="Service Desk",
            password="bench-pass",
        )
    op = auth.login(db, "bench.op", "bench-pass", max_failures=10**6)
    line(
        "create one ticket with its event",
        timed(
            lambda: tickets.create_ticket(
                db, op, summary="Benchmark: printer jams", category="Hardware/Printer"
            ),
            runs,
        ),
    )

    with db.read() as s:
        busiest = s.execute(
            sql_select(Ticket.assignee_id, func.count())
            .where(col(Ticket.is_open).is_(True), col(Ticket.assignee_id).is_not(None))
            .group_by(col(Ticket.assignee_id))
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        team_row = s.execute(
            sql_select(Ticket.team_id, func.count())
            .where(col(Ticket.is_open).is_(True), col(Ticket.assignee_id).is_(None))
            .group_by(col(Ticket.team_id))
            .order_by(func.count().desc())
            .limit(1)
        ).first()
        engineer = s.get(Agent, busiest[0])
        team = s.get(Team, team_row[0])
    eng = auth.actor_from(engineer, s.get(Team, engineer.team_id) if engineer.team_id else None)  # type: ignore[arg-type]
    print(f"  busiest engineer {eng.login}: {busiest[1]} open; team {team.name}: {team_row[1]} unassigned")  # type: ignore[union-attr]
    line("my open tickets, first 200 (service)", timed(lambda: tickets.my_open_tickets(db, eng), runs))
    line(
        "team's unassigned, first 200 (service)",
        timed(lambda: tickets.team_unassigned(db, eng, team_id=team.id), runs),
    )  # type: ignore[union-attr]

    mine = (
        sql_select(Ticket.id)
        .where(Ticket.assignee_id == eng.id, col(Ticket.is_open).is_(True))
        .order_by(Ticket.priority, Ticket.resolve_by)
        .limit(200)
    )
    unassigned = (
        sql_select(Ticket.id)
        .where(
            Ticket.team_id == team.id,
            col(Ticket.is_open).is_(True),  # type: ignore[union-attr]
            col(Ticket.assignee_id).is_(None),
        )
        .order_by(Ticket.assignee_id, Ticket.priority, Ticket.resolve_by)
        .limit(200)
    )
    print("  plan, my open tickets:      ", " | ".join(plan(db, mine)))
    print("  plan, team's unassigned:    ", " | ".join(plan(db, unassigned)))
    with db.engine.connect() as conn:
        raw = timed(lambda: conn.execute(mine).all(), runs)
    line("raw query: my open tickets", raw)
    db.dispose()


BARE_APP = """
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("deskterm-bare-ready")
Bare().run()
"""


def first_frame_ms(argv: list[str], marker: bytes, env: dict[str, str]) -> float:
    """Start argv in a pseudo-terminal; milliseconds until the marker is drawn."""
    started = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(argv[0], argv, env)
    seen = b""
    try:
        while time.perf_counter() - started < 20:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:
                    break
                if marker in seen:
                    return (time.perf_counter() - started) * 1000
        raise RuntimeError(f"no first frame from {argv}")
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


def bench_startup(url: str) -> None:
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    deskterm = str(Path(sys.executable).with_name("deskterm"))
    with tempfile.TemporaryDirectory() as tmp:
        bare_file = Path(tmp) / "bare.py"
        bare_file.write_text(BARE_APP)
        bare = [
            first_frame_ms([sys.executable, str(bare_file)], b"deskterm-bare-ready", env) for _ in range(5)
        ]
    desk = [first_frame_ms([deskterm, "--db", url], b"deskterm", env) for _ in range(5)]
    print("\n== console start to first frame (whole process, median of 5)")
    print(f"  bare Textual app      {statistics.median(bare):7.1f} ms")
    ratio = statistics.median(desk) / statistics.median(bare)
    print(f"  deskterm (login)      {statistics.median(desk):7.1f} ms   ratio {ratio:.2f}x   on {url}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sqlite", default=DEFAULT_SQLITE)
    parser.add_argument("--pg", default=DEFAULT_PG)
    parser.add_argument("--load", type=int, default=0, help="load this many tickets into an empty database")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--skip-startup", action="store_true")
    args = parser.parse_args()
    for url in (args.sqlite, args.pg):
        if url:
            bench_backend(url, args.load, args.runs)
    if not args.skip_startup:
        bench_startup(args.sqlite)


if __name__ == "__main__":
    main()
