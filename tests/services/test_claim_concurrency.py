"""Races on one ticket, on both backends: many claims (threads and processes) have exactly one
winner and every loser is told who won; two edits from the same version give one conflict."""

from __future__ import annotations

import multiprocessing
import threading

from deskterm.models import EventKind, Status
from deskterm.services import tickets, workflow
from deskterm.services.errors import Conflict
from tests.factories import make_agent, make_ticket


def _race(n: int, fn) -> list[object]:  # type: ignore[no-untyped-def]
    """Run fn(i) in n threads released together; each returns what it returned or raised."""
    barrier = threading.Barrier(n)
    results: list[object] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except Exception as e:  # noqa: BLE001 - the losers' errors are the point
            results[i] = e

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def test_twenty_threads_claim_one_ticket(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    engineers = [make_agent(db, f"eng{i:02d}", name=f"Engineer {i:02d}") for i in range(20)]
    t = make_ticket(db, op)
    results = _race(20, lambda i: tickets.claim(db, engineers[i], t.number))
    winners = [i for i, r in enumerate(results) if isinstance(r, tickets.TicketRow)]
    assert len(winners) == 1
    name = engineers[winners[0]].name
    losers = [r for r in results if not isinstance(r, tickets.TicketRow)]
    assert len(losers) == 19
    assert all(isinstance(r, Conflict) and str(r) == f"{t.number} is already taken by {name}" for r in losers)
    detail = tickets.get_ticket(db, op, t.number)
    assert detail.assignee == name and detail.status == Status.ASSIGNED
    assert [e.kind for e in detail.events].count(EventKind.CLAIMED) == 1


def _claim_in_process(url: str, login: str, number: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    from deskterm.db import open_database
    from deskterm.services import auth
    from deskterm.services import tickets as tk
    from deskterm.services.errors import Conflict as Lost

    db = open_database(url)
    actor = auth.login(db, login, "secret-pw", max_failures=1000)
    barrier.wait()
    try:
        tk.claim(db, actor, number)
        results.put((login, "won"))
    except Lost as e:
        results.put((login, str(e)))
    finally:
        db.dispose()


def test_four_processes_claim_one_ticket(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    logins = [f"proc{i}" for i in range(4)]
    for login in logins:
        make_agent(db, login, name=login.title())
    t = make_ticket(db, op)
    url = db.engine.url.render_as_string(hide_password=False)
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [
        ctx.Process(target=_claim_in_process, args=(url, login, t.number, barrier, results))
        for login in logins
    ]
    for p in procs:
        p.start()
    outcome = dict(results.get(timeout=120) for _ in procs)
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    winners = [login for login, r in outcome.items() if r == "won"]
    assert len(winners) == 1 and len(outcome) == 4
    assert all(
        r == f"{t.number} is already taken by {winners[0].title()}" for r in outcome.values() if r != "won"
    )
    assert tickets.get_ticket(db, op, t.number).assignee == winners[0].title()


def test_two_concurrent_edits_one_conflict_no_overwrite(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", name="Eddy")
    eng2 = make_agent(db, "erin", name="Erin")
    t = make_ticket(db, op)
    tickets.claim(db, eng, t.number)
    seen = workflow.get_view(db, eng, t.number)
    edits = [(eng, {"summary": "Edited by Eddy"}), (eng2, {"summary": "Edited by Erin", "warranty": "in"})]
    results = _race(
        2,
        lambda i: workflow.edit(
            db,
            edits[i][0],
            t.number,
            version=seen.version,
            changes=edits[i][1],
            seen=workflow.snapshot(seen.detail),
        ),
    )
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert len(conflicts) == 1 and "Nothing was saved" in str(conflicts[0])
    winner = next(i for i, r in enumerate(results) if isinstance(r, int))
    detail = tickets.get_ticket(db, op, t.number)
    assert detail.summary == edits[winner][1]["summary"]
    assert detail.warranty == ("in" if winner == 1 else "unknown")
    assert detail.version == seen.version + 1
    assert [e.kind for e in detail.events].count(EventKind.UPDATED) == 1
