"""Claim latency before and after issue 12's fix, on SQLite and PostgreSQL, in one run.

  before  the claim as it was: a read without a lock, then an UPDATE conditional on the ticket being
          unassigned with values computed from that read, then a second transaction to read the row
  after   tickets.claim: SELECT … FOR UPDATE, the checks, the change, and the row read in the same
          transaction

Each backend gets a fresh database with a few hundred unassigned tickets; the two claims alternate
(ticket by ticket), one engineer, no contention: the figure is the cost of one claim.

  python scripts/bench_claim.py [--tickets 400] [--pg postgresql://postgres@127.0.0.1:5432/postgres]"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, update
from sqlmodel import col, select

from deskterm import clock
from deskterm.db import Database, open_database, upgrade
from deskterm.models import Agent, EventKind, Status, Ticket
from deskterm.services import agents, auth, reference, tickets
from deskterm.services.auth import Actor, require
from deskterm.services.errors import Conflict, InvalidInput
from deskterm.services.tickets import find_ticket, list_tickets_by_numbers, normalise_number, record_event


def claim_before(db: Database, actor: Actor, number: str) -> tickets.TicketRow:
    """The claim before the fix (commit 453814b), kept here only to measure against."""
    require(actor, "tickets.claim")
    number = normalise_number(number)
    with db.write() as s:
        ticket = find_ticket(s, number)
        if not ticket.is_open:
            raise InvalidInput({"status": f"{number} is {ticket.status}; only open tickets can be claimed"})
        if not actor.is_supervisor and ticket.team_id != actor.team_id:
            raise InvalidInput({"team": f"{number} is in another team's queue"})
        now = clock.now()
        won = s.execute(
            update(Ticket)
            .where(col(Ticket.id) == ticket.id, col(Ticket.assignee_id).is_(None))
            .values(
                assignee_id=actor.id,
                status=Status.ASSIGNED if ticket.status == Status.NEW else ticket.status,
                assigned_at=now,
                responded_at=func.coalesce(Ticket.responded_at, now),
                updated_at=now,
                version=Ticket.version + 1,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if won:
            to = Status.ASSIGNED if ticket.status == Status.NEW else ticket.status
            record_event(
                s,
                ticket,
                actor.id,
                EventKind.CLAIMED,
                f"claimed by {actor.name}",
                data={"from": ticket.status, "to": to, "version": ticket.version + 1},
            )
    if not won:
        with db.read() as s:
            holder = s.exec(
                select(Agent.name)
                .join(Ticket, col(Ticket.assignee_id) == Agent.id)
                .where(Ticket.number == number)
            ).first()
        raise Conflict(f"{number} is already taken by {holder or 'someone else'}")
    return list_tickets_by_numbers(db, [number])[0]


def desk(db: Database, n: int) -> tuple[Actor, list[str]]:
    upgrade(db.engine)
    reference.seed(db)
    for login, number, role, team in (
        ("olga", "901", "operator", "Service Desk"),
        ("eddy", "902", "engineer", "Desktop Support"),
    ):
        agents.add_agent(
            db, None, login=login, name=login.title(), number=number, role=role, tier=2,
            team=team, password="bench-password",
        )  # fmt: skip
    op = auth.login(db, "olga", "bench-password")
    numbers = [
        tickets.create_ticket(db, op, summary=f"Laptop {i} will not boot", category="Hardware/PC").number
        for i in range(n)
    ]
    return auth.login(db, "eddy", "bench-password"), numbers


def measure(label: str, db: Database, n: int) -> None:
    eng, numbers = desk(db, n)
    times: dict[str, list[float]] = {"before": [], "after": []}
    for i, number in enumerate(numbers):
        name, fn = ("before", claim_before) if i % 2 == 0 else ("after", tickets.claim)
        started = time.perf_counter()
        fn(db, eng, number)
        times[name].append((time.perf_counter() - started) * 1000)
    for name, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
        p50 = statistics.median(values)
        print(f"  {label:<10} {name:<7} p50 {p50:6.2f} ms   p95 {p95:6.2f} ms   n={len(values)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tickets", type=int, default=400)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432/postgres", help="an admin URL")
    args = parser.parse_args()
    auth.SCRYPT_N = 2**8  # the two logins are not what is measured
    print(f"claim latency, {args.tickets // 2} claims each, alternating, one engineer, no contention")
    with tempfile.TemporaryDirectory() as tmp:
        db = open_database(f"sqlite:///{tmp}/bench.db")
        measure("SQLite", db, args.tickets)
        db.dispose()
    import psycopg

    name = f"bench_claim_{uuid.uuid4().hex[:8]}"
    admin = args.pg.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        db = open_database(admin.rsplit("/", 1)[0] + "/" + name)
        measure("PostgreSQL", db, args.tickets)
        db.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    main()
