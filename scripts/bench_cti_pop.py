"""Event → pop (issue 15): from the PBX's HTTP request with the answer to the agent's console showing
the caller (Intake's caller panel filled: the name and the caller's pop with their open tickets), on
PostgreSQL and SQLite. Targets: p50/p95 ≤ 300 ms on PostgreSQL, ≤ 700 ms on SQLite.

One process: the CTI endpoint (deskterm/cti/server.py) serves on port 0 in a thread of its own; a
real console (DeskApp, headless with App.run_test, default settings) is logged in as the agent with
extension 201; each call is posted over HTTP from a thread (newCall, then the answer: the clock
starts before the answer's request), and the console is watched until the caller shows. Then the
hang-up is posted and the form dropped, for the next call. The first call after login is not
counted (the console's caches are cold: WARM_UP). Each run makes scratch databases
(migrated, seeded, CALLS known callers with an open ticket each) and removes them.

    python scripts/bench_cti_pop.py [--calls 30] [--backend sqlite --backend pg] [--pg-admin URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import select

from deskterm import clock
from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.cti.server import CtiEndpoint
from deskterm.db import Database, open_database, upgrade
from deskterm.models import Agent, Team
from deskterm.services import auth, calls, intake, reference
from deskterm.services.intake import IntakeForm

TARGET_MS = {"SQLite": 700.0, "PostgreSQL": 300.0}
PASSWORD = "bench-pw-1"
WARM_UP = 1  # the first call after login, not counted: it meets cold caches (the phone index)


def phone(i: int) -> str:
    return f"139{i:08d}"


def prepare(db: Database, n: int) -> int:
    """The agent at extension 201 (its id) and `n` known callers, each with an open ticket."""
    upgrade(db.engine)
    reference.seed(db)
    with db.write() as s:
        team = s.exec(select(Team.id).where(Team.name == "Service Desk")).one()
        s.add(
            Agent(
                login="olga",
                name="Olga Bench",
                number="B201",
                role="operator",
                tier=1,
                team_id=team,
                password_hash=auth.hash_password(PASSWORD),
                extension="201",
                created_at=clock.now(),
            )
        )
    olga = auth.login(db, "olga", PASSWORD)
    for i in range(n):
        form = IntakeForm(
            name=f"Caller {i:03d}",
            organisation=f"Org {i % 7}",
            phone=phone(i),
            description=f"VPN drops every {i + 2} minutes",
            category="Network/VPN",
        )
        intake.save_call(db, olga, form)
    assert olga.id is not None
    return olga.id


class Endpoint:
    """The CTI endpoint's aiohttp app on 127.0.0.1, port 0, in a thread with its own loop."""

    def __init__(self, db: Database, settings: Settings) -> None:
        self.endpoint = CtiEndpoint(db, settings)
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        from aiohttp import web

        asyncio.set_event_loop(self._loop)
        runner = web.AppRunner(self.endpoint.make_app(), access_log=None)
        self._loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = runner.addresses[0][1]
        self._runner = runner
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(runner.cleanup())

    def start(self) -> None:
        self._thread.start()
        self._ready.wait(30)

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


def post(url: str, fields: dict[str, str]) -> tuple[float, dict[str, object]]:
    """POST one event as JSON; (when the request started, the answer)."""
    started = time.perf_counter()
    request = urllib.request.Request(
        url, data=json.dumps(fields).encode(), headers={"Content-Type": "application/json"}, method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return started, json.loads(response.read())


async def measure(db: Database, n: int, drafts: str) -> list[float]:
    agent_id = prepare(db, n + WARM_UP)
    settings = Settings.model_validate({"database_url": str(db.engine.url), "drafts_dir": drafts})
    endpoint = Endpoint(db, settings)
    endpoint.start()
    url = f"http://127.0.0.1:{endpoint.port}/cti/{calls.cti_token(db)}"
    app = DeskApp(settings=settings, database=db, session_agent_id=agent_id)
    samples: list[float] = []
    try:
        async with app.run_test(size=(120, 36)) as pilot:
            await until(lambda: app.actor is not None and app.current_mode == "intake", 60)
            await until(lambda: app.call_feed is not None, 30)  # the feed listens
            screen = app.screen
            for i in range(n + WARM_UP):
                call_id = f"bench-{uuid.uuid4().hex[:10]}"
                base = {"callId": call_id, "direction": "in", "to": "4008001234"}
                await asyncio.to_thread(post, url, {**base, "event": "newCall", "from": phone(i)})
                name = f"Caller {i:03d}"

                def shown(name: str = name) -> bool:  # the name typed in, the pop panel showing them
                    pop = screen.caller.pop
                    return (
                        pop is not None
                        and screen.caller.text("name") == name
                        and name in str(screen.screen_pop.render())
                    )

                started, answer = await asyncio.to_thread(
                    post, url, {**base, "event": "answer", "answeringNumber": "201"}
                )
                assert answer["status"] == "stored", answer
                done = await until(shown, 30)
                if i >= WARM_UP:
                    samples.append(done - started)
                await asyncio.to_thread(post, url, {**base, "event": "hangup", "cause": "normalClearing"})
                await until(lambda: app.agent_state[0] == "after_call", 30)
                screen.drop_call()  # the next call pops on an empty form
                await pilot.pause(0.05)
    finally:
        endpoint.stop()
    return samples


async def until(predicate, timeout: float) -> float:  # type: ignore[no-untyped-def]
    """Wait (polling every 2 ms) until `predicate()` holds; when it did (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while not predicate():
        if time.perf_counter() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await asyncio.sleep(0.002)
    return time.perf_counter()


def report(label: str, samples: list[float]) -> bool:
    ms = sorted(s * 1000 for s in samples)
    p50 = statistics.median(ms)
    p95 = statistics.quantiles(ms, n=20)[18] if len(ms) >= 20 else ms[-1]
    ok = p95 <= TARGET_MS[label]
    print(
        f"{label:<11} event → pop  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  max {ms[-1]:6.1f} ms  "
        f"(n={len(ms)}; target p95 ≤ {TARGET_MS[label]:.0f} ms: {'met' if ok else 'MISSED'})"
    )
    return ok


def main() -> int:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--backend", action="append", choices=("sqlite", "pg"))
    parser.add_argument("--pg-admin", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    ok = True
    for backend in args.backend or ["pg", "sqlite"]:
        with tempfile.TemporaryDirectory() as tmp:
            if backend == "sqlite":
                db = open_database(f"sqlite:///{tmp}/pop.db")
                samples = asyncio.run(measure(db, args.calls, tmp))
                db.dispose()
                ok &= report("SQLite", samples)
                continue
            import psycopg

            name = f"deskterm_bench_pop_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(args.pg_admin, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{name}"')
            try:
                db = open_database(f"{args.pg_admin.rsplit('/', 1)[0]}/{name}")
                samples = asyncio.run(measure(db, args.calls, tmp))
                db.dispose()
                ok &= report("PostgreSQL", samples)
            finally:
                with psycopg.connect(args.pg_admin, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
