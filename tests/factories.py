"""Small builders for tests: agents and tickets with sensible defaults."""

from __future__ import annotations

import itertools

from deskterm.db import Database
from deskterm.services import agents, auth, tickets
from deskterm.services.auth import Actor

_numbers = itertools.count(100)


def make_agent(
    db: Database,
    login: str,
    *,
    role: str = "engineer",
    team: str | None = "Desktop Support",
    tier: int = 2,
    password: str = "secret-pw",
    manager: str | None = None,
    name: str | None = None,
    number: str | None = None,
) -> Actor:
    agents.add_agent(
        db,
        None,
        login=login,
        name=name or login.title(),
        number=number or str(next(_numbers)),
        role=role,
        tier=tier,
        team=team,
        password=password,
        manager=manager,
    )
    return auth.login(db, login, password)


def make_ticket(
    db: Database, actor: Actor, summary: str = "Laptop will not boot", **fields
) -> tickets.TicketDetail:  # type: ignore[no-untyped-def]
    fields.setdefault("category", "Hardware/PC")
    return tickets.create_ticket(db, actor, summary=summary, **fields)
