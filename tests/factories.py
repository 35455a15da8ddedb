"""Small builders for tests: agents and tickets with sensible defaults."""

from __future__ import annotations

import itertools
from typing import Any

from sqlmodel import select

from deskterm import clock
from deskterm.db import Database
from deskterm.models import Agent, Team
from deskterm.services import auth, tickets
from deskterm.services.auth import Actor
from deskterm.services.intake import IntakeForm

_numbers = itertools.count(100000)  # far from the 3-digit numbers tests pick by hand


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
    kb_editor: bool = False,
    extension: str | None = None,
) -> Actor:
    """An agent, logged in. Written straight to the table: the rules of who may add whom are
    agents.add_agent's, tested on their own (tests/services/test_rights.py)."""
    with db.write() as s:
        team_id = s.exec(select(Team.id).where(Team.name == team)).one() if team else None
        manager_id = s.exec(select(Agent.id).where(Agent.login == manager)).one() if manager else None
        s.add(
            Agent(
                login=login,
                name=name or login.title(),
                number=number or str(next(_numbers)),
                role=role,
                tier=tier,
                team_id=team_id,
                manager_id=manager_id,
                password_hash=auth.hash_password(password),
                kb_editor=kb_editor,
                extension=extension,
                created_at=clock.now(),
            )
        )
    return auth.login(db, login, password)


def make_ticket(
    db: Database, actor: Actor, summary: str = "Laptop will not boot", **fields
) -> tickets.TicketDetail:  # type: ignore[no-untyped-def]
    fields.setdefault("category", "Hardware/PC")
    return tickets.create_ticket(db, actor, summary=summary, **fields)


def set_active(db: Database, login: str, active: bool) -> None:
    """Deactivate or activate an agent behind the services' back (tests of what others then see)."""
    with db.write() as s:
        agent = s.exec(select(Agent).where(Agent.login == login)).one()
        agent.active = active


def escalation_desk(db: Database) -> dict[str, Actor]:
    """The escalation chain the escalation and clock tests share: head ← lead ← eng, eng2 (Desktop
    Support), lead ← spec (Server Specialists); head ← sup ← op (Service Desk); other (Network)."""
    people = {
        "head": make_agent(db, "head", role="supervisor", team="Service Desk", tier=3),
        "sup": make_agent(db, "sup", role="supervisor", team="Service Desk", manager="head"),
        "lead": make_agent(db, "lead", role="supervisor", team="Desktop Support", tier=3, manager="head"),
    }
    people["eng"] = make_agent(db, "eng", manager="lead")
    people["eng2"] = make_agent(db, "eng2", manager="lead")
    people["op"] = make_agent(db, "op", role="operator", team="Service Desk", tier=1, manager="sup")
    people["other"] = make_agent(db, "other", team="Network", manager="head")
    people["spec"] = make_agent(db, "spec", team="Server Specialists", tier=3, manager="lead")
    return people


def call_form(**changes: Any) -> IntakeForm:
    """A typical call: Li Lei of Acme Ltd, whose VPN drops (with `changes`)."""
    values: dict[str, Any] = {
        "name": "Li Lei",
        "organisation": "Acme Ltd",
        "phone": "13900001111",
        "description": "VPN drops every hour",
        "category": "Network/VPN",
    }
    return IntakeForm(**(values | changes))
