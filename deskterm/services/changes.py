"""The change feed: the ticket event log read after a given id, and a waiter that blocks until
others have written (PostgreSQL: LISTEN/NOTIFY from a trigger; SQLite: cheap polling). The waiter
also notices an agent's console changing state (services/presence.py), for the monitor."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import col, select

from ..db import Database
from ..models import AgentStateLog, Ticket, TicketEvent

CHANNEL = "deskterm_events"
PRESENCE_CHANNEL = "deskterm_presence"  # migration 0006: a row added to agent_state_log


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


def events_after(db: Database, after_id: int, limit: int = 500) -> list[Change]:
    """Events with an id above `after_id`, oldest first (by primary key: cheap on 1M+ rows)."""
    with db.read() as s:
        rows = s.exec(
            select(
                TicketEvent.id,
                TicketEvent.ticket_id,
                Ticket.number,
                TicketEvent.kind,
                TicketEvent.actor_id,
                TicketEvent.at,
            )
            .join(Ticket, col(Ticket.id) == TicketEvent.ticket_id)
            .where(col(TicketEvent.id) > after_id)
            .order_by(col(TicketEvent.id))
            .limit(limit)
        ).all()
    return [Change(*r) for r in rows]  # type: ignore[arg-type]


class ChangeWaiter:
    """Blocks in `wait()` until the event log may have grown, or the timeout passes.

    PostgreSQL: a dedicated autocommit connection LISTENs on the channel the migration's trigger
    notifies, so any writer (console, CLI, watcher, plain SQL) wakes every console.
    SQLite: `PRAGMA data_version` changes when another connection commits; reading it costs no
    query of the tables, so we look every `interval` seconds and report a change when it moves.
    Presence: the same wake-up (its own channel; the newest agent_state_log id) sets
    `presence_changed`, which the caller takes with `take_presence()`.
    """

    def __init__(self, db: Database, interval: float = 0.2) -> None:
        self.db = db
        self.interval = interval
        self._conn = None  # type: ignore[var-annotated]
        self._last_version: int | None = None
        self._last_id = latest_event_id(db)
        self._last_state_id = latest_state_id(db)
        self.presence_changed = False

    def take_presence(self) -> bool:
        """True once after an agent's state changed (then False until it changes again)."""
        changed, self.presence_changed = self.presence_changed, False
        return changed

    def _pg(self):  # type: ignore[no-untyped-def]
        if self._conn is None or self._conn.closed:
            import psycopg

            url = self.db.engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
            self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            self._conn.execute(f"LISTEN {CHANNEL}")
            self._conn.execute(f"LISTEN {PRESENCE_CHANNEL}")
        return self._conn

    def wait(self, timeout: float = 1.0) -> bool:
        """True when something may have changed (callers then read `events_after`)."""
        if not self.db.is_sqlite:
            conn = self._pg()
            got = False
            for note in conn.notifies(timeout=timeout, stop_after=1):
                got = True
                self.presence_changed |= note.channel == PRESENCE_CHANNEL
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
                newest = conn.execute("SELECT max(id) FROM ticket_event").fetchone()[0] or 0
                if newest != self._last_id or moved:
                    self._last_id = newest
                    return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            time.sleep(min(self.interval, left))

    def _sqlite(self):  # type: ignore[no-untyped-def]
        # One dedicated connection: data_version is only comparable on the same connection.
        if self._conn is None:
            import sqlite3

            self._conn = sqlite3.connect(self.db.engine.url.database or ":memory:", check_same_thread=False)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None
