"""Realistic bilingual demo data: organisations, callers with phones, devices with warranty dates,
agents in teams and tiers with a manager chain, and tickets in every status with their histories,
spread over the last 90 days. Bulk-loaded (COPY on PostgreSQL, executemany on SQLite; the rows made
in demo_tickets.py), so a million tickets load in minutes, not hours."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import select

from .. import clock
from ..db import Database, bulk_insert
from ..i18n import later
from ..models import Category, Team
from . import demo_tickets, reference
from .auth import Actor, hash_password, require
from .demo_people import add_people, checks_after_load, fix_sequences, next_id
from .demo_tables import DEMO_AGENTS, DEMO_EXTENSIONS
from .demo_tickets import TicketPlan
from .errors import PermissionDenied
from .sla import policy_for

Progress = Callable[[str, int, int], None]  # (stage, done, total)

DEMO_PASSWORD = "demo"


@dataclass
class DemoSummary:
    agents: int
    organisations: int
    customers: int
    devices: int
    tickets: int
    events: int


def ensure_agents(
    db: Database, actor: Actor | None = None, *, with_demo_logins: bool = False
) -> dict[str, int]:
    """The demo cast (idempotent); returns login -> id. A desk that has agents already takes demo
    data only from an admin (`actor`), and the demo logins (their password is published: 'demo')
    only when asked for them."""
    from ..models import Agent
    from .agents import lock_agent_table

    reference.seed(db)
    with db.write() as s:
        lock_agent_table(s)
        teams = {t.name: t.id for t in s.exec(select(Team)).all()}
        have = {a.login: a for a in s.exec(select(Agent)).all()}
        if have:
            if actor is None:
                raise PermissionDenied("this desk has agents: only an admin may add demo data to it")
            require(s, actor, "demo.load")
            missing = [a[0] for a in DEMO_AGENTS if a[0] not in have]
            if missing and not with_demo_logins:
                raise PermissionDenied(
                    later(
                        "this desk has agents: demo data would add logins with the published password "
                        "'{password}' ({logins}, ...); ask for them explicitly (--with-demo-logins)",
                        password=DEMO_PASSWORD,
                        logins=", ".join(missing[:3]),
                    )
                )
        extensions_taken = {a.extension for a in have.values()}
        for login, name, number, role, tier, team, manager, lang in DEMO_AGENTS:
            if login in have:
                continue
            if any(a.number == number for a in have.values()):
                number = f"9{number}"
            extension = DEMO_EXTENSIONS[login] if DEMO_EXTENSIONS[login] not in extensions_taken else None
            agent = Agent(
                login=login,
                name=name,
                number=number,
                role=role,
                tier=tier,
                team_id=teams[team],
                manager_id=have[manager].id if manager and manager in have else None,
                email=f"{login}@desk.example",
                password_hash=hash_password(DEMO_PASSWORD),
                kb_editor=role != "operator" or login == "wang.fang",
                language=lang,
                extension=extension,
                created_at=clock.now(),
            )
            s.add(agent)
            s.flush()
            have[login] = agent
        return {login: a.id for login, a in have.items()}  # type: ignore[misc]  # flushed agents have ids


def generate(
    db: Database,
    *,
    actor: Actor | None = None,
    with_demo_logins: bool = False,
    tickets: int = 3000,
    customers: int | None = None,
    seed: int = 1,
    progress: Progress | None = None,
    batch: int = 20_000,
    ahead: bool | None = None,
) -> DemoSummary:
    """Add demo data to a migrated database. Run again to add more (ids continue). A desk with
    agents takes it only from an admin (`actor`), and the demo logins only `with_demo_logins`.
    The tickets load in one transaction: all of them or none. `ahead`: make the rows in a second
    process while this one inserts them (None: for loads of AHEAD_FROM tickets or more)."""
    rng = random.Random(seed)
    report = progress or (lambda stage, done, total: None)
    agent_ids = ensure_agents(db, actor, with_demo_logins=with_demo_logins)
    customers = customers or max(200, tickets // 20)
    now = clock.now()
    with db.read() as s:
        teams = {t.id: t for t in s.exec(select(Team)).all()}
        categories = {c.path: (c.id, c.team_id) for c in s.exec(select(Category)).all()}
        calendars = {p: policy_for(s, p, "standard") for p in range(1, 6)}
    team_engineers: dict[int | None, list[int]] = {}
    for login, _n, _num, role, _tier, team_name, _m, _l in DEMO_AGENTS:
        if role == "engineer":
            tid = next(t.id for t in teams.values() if t.name == team_name)
            team_engineers.setdefault(tid, []).append(agent_ids[login])
    operators = [agent_ids[a[0]] for a in DEMO_AGENTS if a[3] == "operator"]

    people = add_people(db, rng, customers=customers, seed=seed, now=now)
    report("customers", customers, customers)

    total_events = 0
    with db.write() as s:
        conn = s.connection()
        if db.is_sqlite:  # the ticket's sixteen indexes stay in memory through the load (256 MB)
            conn.exec_driver_sql("PRAGMA cache_size=-262144")
        with checks_after_load(conn, LOADED):
            top = conn.execute(
                text("UPDATE counter SET value = value + :n WHERE name = 'ticket' RETURNING value"),
                {"n": tickets},
            ).scalar_one()
            plan = TicketPlan(
                tickets=tickets,
                batch=batch,
                now=now,
                rng_state=rng.getstate(),
                sqlite=db.is_sqlite,
                customers=customers,
                first_customer=people.first_customer,
                devices_by_customer=people.devices_by_customer,
                categories=categories,  # type: ignore[arg-type]  # stored categories have ids
                tiers={t.id: t.tier for t in teams.values()},  # type: ignore[misc]  # stored teams have ids
                team_engineers=team_engineers,
                operators=operators,
                targets={
                    p: (policy.respond_minutes, policy.resolve_minutes, demo_tickets.portable(cal))
                    for p, (policy, cal) in calendars.items()
                },
                first_ticket=next_id(conn, "ticket"),
                first_number=top - tickets + 1,
                first_event=next_id(conn, "ticket_event"),
                first_log=next_id(conn, "agent_state_log"),
            )
            made = 0
            rows = demo_tickets.ahead(plan) if (ahead is None and tickets >= AHEAD_FROM) or ahead else None
            for b in rows or demo_tickets.batches(plan):
                bulk_insert(conn, "ticket", TICKET_COLUMNS, b.tickets, times_written=True)
                bulk_insert(conn, "ticket_event", EVENT_COLUMNS, b.events, times_written=True)
                bulk_insert(conn, "callback", CALLBACK_COLUMNS, b.callbacks, times_written=True)
                bulk_insert(conn, "agent_state_log", LOG_COLUMNS, b.logs, times_written=True)
                bulk_insert(conn, "survey", SURVEY_COLUMNS, b.surveys, times_written=True)
                total_events += len(b.events)
                made += len(b.tickets)
                report("tickets", made, tickets)
            fix_sequences(conn, LOADED)
    if not db.is_sqlite:
        # after a bulk load autovacuum lags behind: fresh planner statistics, and a visibility map
        # so counts are index-only (the queue's five counts: 100 ms -> 7 ms on 1M tickets)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    return DemoSummary(len(agent_ids), people.organisations, customers, people.devices, tickets, total_events)


AHEAD_FROM = 50_000  # tickets: below, a second process costs more than it saves
LOADED = ("ticket", "ticket_event", "agent_state_log", "callback", "survey")
EVENT_COLUMNS = ["id", "ticket_id", "actor_id", "at", "kind", "body", "public", "data"]
CALLBACK_COLUMNS = ["ticket_id", "agent_id", "at", "outcome", "note"]
LOG_COLUMNS = ["id", "agent_id", "state", "reason", "started_at", "ended_at", "handled"]
SURVEY_COLUMNS = [
    "ticket_id",
    "agent_id",
    "attitude",
    "quality",
    "technical",
    "speed",
    "comment",
    "created_at",
]
TICKET_COLUMNS = [
    "id",
    "number",
    "kind",
    "category_id",
    "impact",
    "urgency",
    "priority",
    "status",
    "is_open",
    "channel",
    "service_mode",
    "customer_id",
    "device_id",
    "summary",
    "description",
    "warranty",
    "team_id",
    "tier",
    "assignee_id",
    "created_by_id",
    "escalation_level",
    "chase_count",
    "respond_by",
    "resolve_by",
    "responded_at",
    "sla_paused_at",
    "sla_paused_seconds",
    "call_started_at",
    "handle_seconds",
    "first_contact",
    "resolution",
    "created_at",
    "updated_at",
    "assigned_at",
    "first_assigned_at",
    "resolved_at",
    "closed_at",
    "version",
]
