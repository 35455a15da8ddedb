"""Issue 12.4: the live feed never skips. The console's change feed loses its connection, others
write meanwhile; once it is back, every event of the gap is delivered (and the inbox's toasts
likewise). On PostgreSQL the listener's server process is terminated, as by a server restart."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from deskterm.db import Database, open_database
from deskterm.screens.inbox import InboxFeed
from deskterm.services import changes, notify, workflow
from tests.conftest import _pg_admin
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until


class Recorder:
    """A subscriber of the change feed that keeps what it was handed."""

    is_attached = True

    def __init__(self) -> None:
        self.ids: list[int] = []

    def on_desk_changes(self, batch: list[Any]) -> None:
        self.ids += [c.event_id for c in batch]


def _lost(what: str) -> OperationalError:
    return OperationalError(what, {}, Exception("server closed the connection unexpectedly"))


class Outage(threading.Event):
    """While set, the change feed's listener cannot reach the server."""

    listening = False


@pytest.fixture
def outage(monkeypatch: pytest.MonkeyPatch) -> Outage:
    down = Outage()

    class Waiter(changes.ChangeWaiter):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            if down.is_set():
                raise _lost("connect")
            super().__init__(*args, **kwargs)
            down.listening = True

        def wait(self, timeout: float = 1.0) -> bool:
            if down.is_set():
                raise _lost("wait")
            return super().wait(timeout)

    monkeypatch.setattr(changes, "ChangeWaiter", Waiter)
    return down


def _kill_listener(db: Database) -> None:
    """pg_terminate_backend on the console's LISTEN connection (what a server restart does to it)."""
    with _pg_admin() as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND query ILIKE 'LISTEN%%'",
            (db.engine.url.database,),
        ).fetchall()
    assert rows, "no listener found"


def _other_console(db: Database) -> Database:
    return open_database(db.engine.url.render_as_string(hide_password=False))


def _event_ids(db: Database, after: int) -> list[int]:
    return [c.event_id for c in changes.events_after(db, after, limit=10_000)]


async def test_events_written_while_the_feed_was_away_are_all_delivered(db, outage, monkeypatch):
    monkeypatch.setattr(changes, "PAGE", 4, raising=False)  # the gap is read a page at a time
    sue = make_agent(db, "sue", role="supervisor", password="right-pw")
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    app = make_app(db)
    app.reconnect_seconds = 0.1
    recorder = Recorder()
    async with app.run_test(size=(120, 30)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        # the feed's position is taken once it listens (before, the app's connection says connected)
        await wait_until(pilot, lambda: outage.listening and getattr(app, "feed_position", 0) is not None)
        app.subscribers.add(recorder)
        start = changes.latest_event_id(db)
        first = make_ticket(db, op, "before the outage")
        await wait_until(pilot, lambda: recorder.ids)

        outage.set()
        if not db.is_sqlite:
            _kill_listener(db)
        await wait_until(pilot, lambda: app.connected is False)
        other = _other_console(db)
        try:
            gap = [make_ticket(other, op, f"written in the gap {i}") for i in range(3)]
            for i in range(6):
                workflow.add_note(other, sue, first.number, f"note {i} in the gap")
        finally:
            other.dispose()
        outage.clear()
        await wait_until(pilot, lambda: app.connected is True)
        last = make_ticket(db, op, "after the reconnect")
        await wait_until(pilot, lambda: any(c >= changes.latest_event_id(db) for c in recorder.ids))

    assert gap and last
    assert recorder.ids == _event_ids(db, start)  # every event, once, in order (today: the gap is lost)


async def test_notifications_written_while_the_inbox_was_cut_off_are_all_toasted(db, monkeypatch):
    """More than a page (and more than the hundred the inbox used to read) arrive in the gap."""
    monkeypatch.setattr(InboxFeed, "PAGE", 50, raising=False)
    sue = make_agent(db, "sue", role="supervisor", password="right-pw")
    down = threading.Event()
    real = notify.news

    def news(*args: Any, **kwargs: Any) -> Any:
        if down.is_set():
            raise _lost("news")
        return real(*args, **kwargs)

    monkeypatch.setattr(notify, "news", news)
    app = make_app(db, watch_changes=False)  # the inbox's own poll, every 2 s
    shown: list[str] = []  # every toast, kept (a toast leaves app._notifications after 8 s)
    real_notify = app.notify

    def notify_(message: str, **options: Any) -> None:
        shown.append(str(message))
        real_notify(message, **options)

    monkeypatch.setattr(app, "notify", notify_)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.inbox_feed is not None and app.inbox_feed.last_id is not None)
        down.set()
        app.inbox_feed.poll()
        await wait_until(pilot, lambda: app.connected is False)
        other = _other_console(db)
        try:
            with other.write() as s:
                for i in range(120):
                    notify.add(s, sue.id, "mention", f"gap {i:03d}")
        finally:
            other.dispose()
        down.clear()
        with db.write() as s:
            notify.add(s, sue.id, "mention", "after the gap")
        app.inbox_feed.poll()

        def toasts() -> list[str]:
            return shown

        await wait_until(pilot, lambda: "after the gap" in toasts())
        await wait_until(pilot, lambda: app.unread == 121)
    assert sorted(t for t in toasts() if t.startswith("gap ")) == [f"gap {i:03d}" for i in range(120)]
