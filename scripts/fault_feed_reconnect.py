"""Fault driver: does a console's live feed deliver every event written while its listener was cut
off? (issue 12.4). PostgreSQL only: a server restart is simulated with pg_terminate_backend on the
console's LISTEN connection.

Each try runs a headless console logged in on a fresh database, writes a note every 50 ms from
another connection for 3 s, kills the listener after 0.5 s (the console reconnects after its usual
2 s), then writes one last note and waits for it to arrive. It prints, per try, the events written
and the ones the console never delivered, then the tries that lost events. Usage:
    python scripts/fault_feed_reconnect.py [--tries N] [--admin-url URL]"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
import uuid
from typing import Any

import psycopg

from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.db import open_database, upgrade
from deskterm.services import agents, auth, changes, reference, tickets, workflow


class Recorder:
    is_attached = True

    def __init__(self) -> None:
        self.ids: set[int] = set()

    def on_desk_changes(self, batch: list[Any]) -> None:
        self.ids |= {c.event_id for c in batch}


async def wait(predicate: Any, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(0.02)
    return True


async def one_try(url: str, admin_url: str) -> tuple[int, int]:
    db = open_database(url)
    sue = auth.login(db, "sue", "secret-pw")
    ticket = tickets.create_ticket(db, sue, summary="feed fault driver", category="Hardware/PC")
    app = DeskApp(settings=Settings.model_validate({"database_url": url}), database=db)
    recorder = Recorder()
    async with app.run_test(headless=True):
        await wait(lambda: app.connected is True)
        app.logged_in(sue)
        await asyncio.sleep(1.0)  # the feed listens and takes its position
        app.subscribers.add(recorder)
        start = changes.latest_event_id(db)
        other = open_database(url)

        def write() -> None:
            until = time.monotonic() + 3.0
            while time.monotonic() < until:
                workflow.add_note(other, sue, ticket.number, "written while the feed may be away")
                time.sleep(0.05)

        writer = threading.Thread(target=write)
        writer.start()
        await asyncio.sleep(0.5)
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND query ILIKE 'LISTEN%%'",
                (db.engine.url.database,),
            )
        while writer.is_alive():
            await asyncio.sleep(0.05)
        workflow.add_note(other, sue, ticket.number, "the last one")
        last = changes.latest_event_id(db)
        await wait(lambda: last in recorder.ids)
        other.dispose()
        written = {c.event_id for c in changes.events_after(db, start, limit=100_000)}
    db.dispose()
    return len(written), len(written - recorder.ids)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tries", type=int, default=10)
    parser.add_argument("--admin-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    name = f"deskterm_feedfault_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(args.admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"{args.admin_url.rsplit('/', 1)[0]}/{name}"
    try:
        db = open_database(url)
        upgrade(db.engine)
        reference.seed(db)
        agents.add_agent(
            db, None, login="sue", name="Sue", number="001", role="supervisor", password="secret-pw"
        )
        db.dispose()
        lossy = 0
        for i in range(args.tries):
            written, lost = asyncio.run(one_try(url, args.admin_url))
            lossy += lost > 0
            print(f"try {i + 1}: {written} events written, {lost} never delivered", flush=True)
        print(f"{lossy} of {args.tries} tries lost events")
    finally:
        with psycopg.connect(args.admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
