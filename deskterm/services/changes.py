"""The change feed: the ticket event log read after a given id, and a waiter that blocks until
others have written (PostgreSQL: LISTEN/NOTIFY from a trigger; SQLite: cheap polling).

A feed never skips: it keeps its position (FeedPosition) across lost connections and reads on
from it, a page at a time. The waiter also notices an agent's console changing state
(services/presence.py), for the monitor."""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlalchemy import select as select_columns
from sqlmodel import col, select

from ..db import Database
from ..models import AgentStateLog, Ticket, TicketEvent
from . import calls

CHANNEL = "deskterm_events"
PRESENCE_CHANNEL = "deskterm_presence"  # migration 0006: a row added to agent_state_log
CALLS_CHANNEL = "deskterm_calls"  # migration 0012: a row added to call_event (services/calls.py)


@dataclass(frozen=True)
class Change:
    event_id: int
    ticket_id: int
    number: str
    kind: str
    actor_id: int | None
    at: datetime


def latest_event_id(db: Database) -> int:
    with db.read() as s:
        return s.exec(select(func.max(TicketEvent.id))).one() or 0


def latest_state_id(db: Database) -> int:
    with db.read() as s:
        return s.exec(select(func.max(AgentStateLog.id))).one() or 0


def events_after(db: Database, after_id: int, limit: int = 500, also: Collection[int] = ()) -> list[Change]:
    """Events with an id above `after_id` (and those of the ids `also`), oldest first (by primary
    key: cheap on 1M+ rows)."""
    newer = col(TicketEvent.id) > after_id
    with db.read() as s:
        rows = s.execute(
            select_columns(  # sqlmodel types select() up to 4 columns
                col(TicketEvent.id),
                col(TicketEvent.ticket_id),
                col(Ticket.number),
                col(TicketEvent.kind),
                col(TicketEvent.actor_id),
                col(TicketEvent.at),
            )
            .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
            .where(or_(newer, col(TicketEvent.id).in_(also)) if also else newer)
            .order_by(col(TicketEvent.id))
            .limit(limit)
        ).all()
    return [Change(*r) for r in rows]


class FeedPosition:
    """Where a feed read by increasing id stands: after `last`, less the ids at or below it that
    have not turned up yet. A PostgreSQL sequence hands out ids when a row is inserted, not when
    it is committed: id 11 can commit before id 10, so 10 is looked for again on each read until
    it turns up, or until `hold` seconds have passed (a rolled back insert leaves a hole for good).
    """

    MAX_HOLES = 1000

    def __init__(self, last: int, hold: float = 60.0) -> None:
        self.last = last
        self.hold = hold
        self._holes: dict[int, float] = {}  # id -> when it was first missed (monotonic)

    def missing(self) -> list[int]:
        """The ids below `last` still looked for."""
        now = time.monotonic()
        self._holes = {i: t for i, t in self._holes.items() if now - t < self.hold}
        return sorted(self._holes)

    def seen(self, ids: Iterable[int]) -> None:
        """Move past `ids` (read oldest first); the ids skipped on the way become holes."""
        now = time.monotonic()
        for i in sorted(ids):
            self._holes.pop(i, None)
            if i > self.last:
                self._holes.update(dict.fromkeys(range(max(self.last + 1, i - self.MAX_HOLES), i), now))
                self.last = i
        if len(self._holes) > self.MAX_HOLES:
            self._holes = dict(sorted(self._holes.items())[-self.MAX_HOLES :])


PAGE = 500


def read_changes(db: Database, position: FeedPosition, page: int | None = None) -> Iterator[list[Change]]:
    """Every event after `position`, a page at a time, oldest first; the position moves past each
    page as it is handed out (after a reconnect this catches up on all that was written meanwhile)."""
    page = page or PAGE
    while True:
        batch = events_after(db, position.last, page, position.missing())
        position.seen(c.event_id for c in batch)
        if batch:
            yield batch
        if len(batch) < page:
            return


class ChangeWaiter:
    """Blocks in `wait()` until the event log may have grown, or the timeout passes.

    PostgreSQL: a dedicated autocommit connection LISTENs on the channel the migration's trigger
    notifies, so any writer (console, CLI, watcher, plain SQL) wakes every console.
    SQLite: `PRAGMA data_version` changes when another connection commits; reading it costs no
    query of the tables, so we look every `interval` seconds and report a change when it moves.
    Presence: the same wake-up (its own channel; the newest agent_state_log id) sets
    `presence_changed`, which the caller takes with `take_presence()`. Calls from the phone system
    likewise (the `deskterm_calls` channel; the newest call_event id) set `calls_changed`
    (`take_calls()`): the console then reads services/calls.events_after.
    """

    def __init__(self, db: Database, interval: float = 0.2) -> None:
        self.db = db
        self.interval = interval
        self._conn: Any = None  # a psycopg or sqlite3 connection, by backend
        self._last_version: int | None = None
        self._last_id = latest_event_id(db)
        if not db.is_sqlite:
            self._pg()  # listening from now on: a read after this misses no notification
        self._last_state_id = latest_state_id(db)
        self._last_call_id = calls.latest_event_id(db)
        self.presence_changed = False
        self.calls_changed = False

    def take_presence(self) -> bool:
        """True once after an agent's state changed (then False until it changes again)."""
        changed, self.presence_changed = self.presence_changed, False
        return changed

    def take_calls(self) -> bool:
        """True once after a call event was stored (then False until the next one)."""
        changed, self.calls_changed = self.calls_changed, False
        return changed

    def _pg(self) -> Any:
        if self._conn is None or self._conn.closed:
            import psycopg

            url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self._conn.execute(f"LISTEN {CHANNEL}")
            self._conn.execute(f"LISTEN {PRESENCE_CHANNEL}")
            self._conn.execute(f"LISTEN {CALLS_CHANNEL}")
        return self._conn

    def wait(self, timeout: float = 1.0) -> bool:
        """True when something may have changed (callers then read `events_after`)."""
        if not self.db.is_sqlite:
            conn = self._pg()
            got = False
            for note in conn.notifies(timeout=timeout, stop_after=1):
                got = True
                self.presence_changed |= note.channel == PRESENCE_CHANNEL
                self.calls_changed |= note.channel == CALLS_CHANNEL
            return got
        conn = self._sqlite()
        deadline = time.monotonic() + timeout
        while True:
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != self._last_version:
                self._last_version = version
                state_id = conn.execute("SELECT max(id) FROM agent_state_log").fetchone()[0] or 0
                moved = state_id != self._last_state_id
                self._last_state_id = state_id
                self.presence_changed |= moved
                call_id = conn.execute("SELECT max(id) FROM call_event").fetchone()[0] or 0
                called = call_id != self._last_call_id
                self._last_call_id = call_id
                self.calls_changed |= called
                newest = conn.execute("SELECT max(id) FROM ticket_event").fetchone()[0] or 0
                if newest != self._last_id or moved or called:
                    self._last_id = newest
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.interval, left))

    def _sqlite(self) -> Any:
        # One dedicated connection: data_version is only comparable on the same connection.
        if self._conn is None:
            import sqlite3

            self._conn = sqlite3.connect(self.db.engine.url.database or ":memory:", check_same_thread=False)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
