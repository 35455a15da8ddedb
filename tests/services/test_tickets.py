from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from deskterm.models import EventKind, Status
from deskterm.services import changes, tickets
from deskterm.services.errors import Conflict, InvalidInput
from tests.factories import make_agent, make_ticket


def test_create_writes_the_created_event_and_starts_the_clocks(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    t = make_ticket(db, op, "Printer jams on every page", category="Hardware/Printer", impact=2, urgency=2)
    assert t.number.startswith("SR-") and t.status == Status.NEW and t.priority == 3
    assert t.team == "Desktop Support" and t.respond_by and t.resolve_by and t.resolve_by > t.respond_by
    assert [e.kind for e in t.events] == [EventKind.CREATED]
    shown = tickets.get_ticket(db, op, t.number.lower())
    assert shown.id == t.id


def test_create_refuses_bad_fields_and_saves_nothing(db):
    op = make_agent(db, "olga", role="operator")
    with pytest.raises(InvalidInput) as err:
        tickets.create_ticket(db, op, summary="  ", category="No/Such", impact=7)
    assert set(err.value.errors) == {"summary", "category", "impact"}
    assert tickets.count_tickets(db) == 0


def test_numbers_are_unique_across_threads(db):
    op = make_agent(db, "olga", role="operator")
    numbers: list[str] = []
    errors: list[Exception] = []

    def worker() -> None:
        try:
            for _ in range(5):
                numbers.append(make_ticket(db, op).number)
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    assert len(numbers) == 40 and len(set(numbers)) == 40


CREATOR = """
import sys
from deskterm.db import open_database
from deskterm.services import auth, tickets
auth.SCRYPT_N = 2**8
db = open_database(sys.argv[1])
actor = auth.login(db, "olga", "secret-pw", max_failures=1000)
for _ in range(int(sys.argv[2])):
    t = tickets.create_ticket(db, actor, summary="from a process", category="Hardware/PC")
    print(t.number, flush=True)
"""


def test_two_processes_never_get_the_same_number(db, tmp_path: Path):
    make_agent(db, "olga", role="operator")
    url = db.engine.url.render_as_string(hide_password=False)
    procs = [
        subprocess.Popen([sys.executable, "-c", CREATOR, url, "25"], stdout=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=120)[0].split() for p in procs]
    assert all(p.returncode == 0 for p in procs)
    numbers = outs[0] + outs[1]
    assert len(numbers) == 50 and len(set(numbers)) == 50


def test_twenty_threads_claim_one_ticket_one_wins(db):
    op = make_agent(db, "olga", role="operator")
    engineers = [make_agent(db, f"eng{i}") for i in range(20)]
    t = make_ticket(db, op)
    barrier = threading.Barrier(20)
    results: dict[str, str] = {}

    def claim(actor) -> None:  # type: ignore[no-untyped-def]
        barrier.wait()
        try:
            tickets.claim(db, actor, t.number)
            results[actor.login] = "won"
        except Conflict as e:
            results[actor.login] = str(e)

    threads = [threading.Thread(target=claim, args=(e,)) for e in engineers]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    winners = [k for k, v in results.items() if v == "won"]
    assert len(winners) == 1 and len(results) == 20
    winner_name = winners[0].title()
    assert all(
        v == f"{t.number} is already taken by {winner_name}" for k, v in results.items() if k != winners[0]
    )
    detail = tickets.get_ticket(db, op, t.number)
    assert detail.status == Status.ASSIGNED and [e.kind for e in detail.events].count(EventKind.CLAIMED) == 1


def test_queue_queries_order_by_priority_then_due(db):
    op = make_agent(db, "olga", role="operator")
    eng = make_agent(db, "eddy")
    low = make_ticket(db, op, "low", impact=3, urgency=3)
    high = make_ticket(db, op, "high", impact=1, urgency=1)
    assert [r.number for r in tickets.team_unassigned(db, eng)] == [high.number, low.number]
    tickets.claim(db, eng, low.number)
    assert [r.number for r in tickets.my_open_tickets(db, eng)] == [low.number]
    assert [r.number for r in tickets.team_unassigned(db, eng)] == [high.number]


def test_change_feed_sees_other_writers(db):
    op = make_agent(db, "olga", role="operator")
    waiter = changes.ChangeWaiter(db, interval=0.01)
    start = changes.latest_event_id(db)
    assert waiter.wait(timeout=0.05) is False
    t = make_ticket(db, op)
    assert waiter.wait(timeout=5) is True
    feed = changes.events_after(db, start)
    assert [(c.number, c.kind) for c in feed] == [(t.number, EventKind.CREATED)]
    waiter.close()
