"""The call-event endpoint's throughput (issue 15's closing figures), on PostgreSQL and on SQLite.

Each backend gets a fresh desk: the demo cast and a few hundred customers (`demo-data`), plus
`--agents` agents with extensions. `deskterm cti serve` runs as its own process on a free port;
`deskterm cti simulate`'s player posts a seeded plan of `--calls-per-hour` calls over `--minutes`
simulated minutes into it, once per `--speeds` (time compressions: 60 plays an hour in a minute,
120 in 30 s, 0 as fast as it can; the same traffic under fresh call ids), with at most
`--connections` requests in flight. Printed per run: events/s sustained,
latency p50/p95, and the check that nothing was lost or duplicated — phone_call rows against calls
sent, call_event rows against events answered 200, every answered call with its wait and talk
seconds, every abandoned call a missed call, every call ended. The other closing figure, event → pop
(the HTTP request to the agent's console showing the caller), is scripts/bench_cti_pop.py's.

  python scripts/bench_cti.py [--agents 200] [--calls-per-hour 2000] [--minutes 60] [--speeds 60,120,0]
                              [--backends pg,sqlite] [--pg postgresql://postgres@127.0.0.1:5432/postgres]"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func
from sqlmodel import col, select

from deskterm import clock
from deskterm.cti import simulate
from deskterm.db import open_database, upgrade
from deskterm.models import Agent, CallEvent, PhoneCall
from deskterm.services import auth, calls, demo, reference
from deskterm.services.call_traffic import traffic_cast

ROOT = Path(__file__).resolve().parents[1]


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def desk(url: str, n_agents: int) -> simulate.Traffic:
    """A fresh desk with the demo cast, callers and `n_agents` agents with extensions 3000…; the
    traffic's cast (extensions, logins, known callers) read through the service, as the CLI does."""
    db = open_database(url)
    upgrade(db.engine)
    reference.seed(db)
    demo.generate(db, tickets=400, customers=400, seed=7)
    with db.write() as s:
        team_id = s.exec(select(Agent.team_id).where(Agent.login == "operator")).one()
        for i in range(n_agents):
            s.add(
                Agent(
                    login=f"bench{i:03d}",
                    name=f"Bench Agent {i}",
                    number=f"B{i:03d}",
                    role="operator",
                    tier=1,
                    team_id=team_id,
                    password_hash="!",
                    extension=str(3000 + i),
                    created_at=clock.now(),
                )
            )
    cast = traffic_cast(db, auth.login(db, "admin", demo.DEMO_PASSWORD))
    calls.cti_token(db)
    db.dispose()
    agents = [ext for ext in cast.extensions() if ext.startswith("3")]
    return simulate.Traffic(
        calls_per_hour=0, agents=agents, logins=cast.logins(), known=cast.phones, duration=None
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def endpoint(url: str) -> Iterator[str]:
    """`deskterm cti serve` in its own process; the URL to post to."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DESKTERM_DATABASE_URL": url}
    server = subprocess.Popen(
        [sys.executable, "-m", "deskterm", "cti", "serve", "--listen", f"127.0.0.1:{port}"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        db = open_database(url)
        token = calls.cti_token(db)
        db.dispose()
        yield f"http://127.0.0.1:{port}/cti/{token}"
    finally:
        server.terminate()
        server.wait(10)


def check(url: str, plan: list[simulate.PlannedCall], summary: simulate.Summary) -> list[str]:
    """What the database holds against what was sent: the lines that do not add up."""
    prefix = plan[0].call_id.rsplit("-", 1)[0] + "-"
    db = open_database(url)
    with db.read() as s:
        records = {
            r.call_id: r
            for r in s.exec(select(PhoneCall).where(col(PhoneCall.call_id).startswith(prefix))).all()
        }
        events = s.exec(
            select(func.count()).select_from(CallEvent).where(col(CallEvent.call_id).startswith(prefix))
        ).one()
    db.dispose()
    wrong = []
    if set(records) != {c.call_id for c in plan}:
        wrong.append(f"calls: {len(plan)} sent, {len(records)} recorded")
    if events != summary.events_sent or summary.failed or summary.statuses["stored"] != summary.events_sent:
        wrong.append(
            f"events: {summary.events_sent} answered 200, {events} recorded, {summary.failed} given up"
        )
    for c in plan:
        r = records.get(c.call_id)
        if r is None:
            continue
        if r.ended_at is None:
            wrong.append(f"{c.call_id} never ended")
        if c.outcome == simulate.ANSWERED and (
            r.answered_at is None or None in (r.wait_seconds, r.talk_seconds)
        ):
            wrong.append(f"{c.call_id} answered without its wait and talk")
        if c.outcome != simulate.ANSWERED and not (r.answered_at is None and r.ended_at is not None):
            wrong.append(f"{c.call_id} ({c.outcome}) is not a missed call")
    return wrong


def run(label: str, url: str, base: simulate.Traffic, args: argparse.Namespace) -> None:
    traffic = replace(base, calls_per_hour=args.calls_per_hour, duration=args.minutes * 60)
    with endpoint(url) as cti:
        for speed in args.speeds:
            name = f"speed {speed:g}" if speed else "max speed"
            plan = simulate.plan(replace(traffic, prefix=f"bench-{uuid.uuid4().hex[:6]}"), args.seed)
            summary = asyncio.run(simulate.play(cti, plan, speed=speed, connections=args.connections))
            wrong = check(url, plan, summary)
            o = summary.outcomes
            print(
                f"  {label:<10} {name:<10} {summary.calls} calls ({o['answered']} answered, {o['abandoned']} "
                f"abandoned, {o['busy'] + o['noAnswer']} busy/no answer), {summary.events_sent} events in "
                f"{summary.elapsed:.1f} s: {summary.events_per_second:6.1f} events/s, p50 "
                f"{summary.latency_ms(0.5):5.1f} ms, p95 {summary.latency_ms(0.95):6.1f} ms, "
                f"non-200 {sum(summary.non_200.values())}; "
                + ("0 lost, 0 duplicated" if not wrong else f"WRONG: {'; '.join(wrong[:5])}")
            )
            print(f"  {'':<10} {'':<10} ({load()})")


@contextmanager
def fresh(backend: str, pg: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{tmp}/bench.db"
        return
    import psycopg

    name = f"bench_cti_{uuid.uuid4().hex[:8]}"
    admin = pg.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield admin.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--calls-per-hour", type=float, default=2000)
    parser.add_argument("--minutes", type=float, default=60, help="simulated minutes of arrivals")
    parser.add_argument(
        "--speeds",
        type=lambda v: [float(x) for x in v.split(",")],
        default=[60.0, 120.0, 0.0],
        help="time compressions, one run each (0: as fast as it can)",
    )
    parser.add_argument("--connections", type=int, default=16, help="the player's requests in flight")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--backends", default="pg,sqlite")
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="an admin URL")
    args = parser.parse_args()
    print(
        f"cti endpoint throughput: {args.agents} agents, {args.calls_per_hour:g} calls an hour for "
        f"{args.minutes:g} min, `deskterm cti serve` in its own process ({os.cpu_count()} cores; {load()})"
    )
    for backend in args.backends.split(","):
        label = {"pg": "PostgreSQL", "sqlite": "SQLite"}[backend]
        with fresh(backend, args.pg) as url:
            base = desk(url, args.agents)
            run(label, url, base, args)


if __name__ == "__main__":
    main()
