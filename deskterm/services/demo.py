"""Realistic bilingual demo data: organisations, callers with phones, devices with warranty dates,
agents in teams and tiers with a manager chain, and tickets in every status with their histories,
spread over the last 90 days. Bulk-loaded (COPY on PostgreSQL, executemany on SQLite), so a
million tickets load in minutes, not hours."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import text
from sqlmodel import select

from .. import clock
from ..db import Database, bulk_insert
from ..i18n import later
from ..models import OPEN_STATUSES, Category, Status, Team
from . import reference
from .auth import Actor, hash_password, require
from .demo_people import add_people, fix_sequences, indexes_after_load, next_id
from .demo_tables import DEMO_AGENTS, DEMO_EXTENSIONS, NOTES_EN, NOTES_ZH, PROBLEMS, SURVEY_FIELDS
from .errors import PermissionDenied
from .priority import priority_for
from .sla import policy_for
from .sla_calendar import due_time

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
) -> DemoSummary:
    """Add demo data to a migrated database. Run again to add more (ids continue). A desk with
    agents takes it only from an admin (`actor`), and the demo logins only `with_demo_logins`."""
    with indexes_after_load(db, ("ticket", "ticket_event", "agent_state_log", "callback", "survey")):
        return _generate(db, actor, with_demo_logins, tickets, customers, seed, progress, batch)


def _generate(
    db: Database,
    actor: Actor | None,
    with_demo_logins: bool,
    tickets: int,
    customers: int | None,
    seed: int,
    progress: Progress | None,
    batch: int,
) -> DemoSummary:
    rng = random.Random(seed)
    report = progress or (lambda stage, done, total: None)
    agent_ids = ensure_agents(db, actor, with_demo_logins=with_demo_logins)
    customers = customers or max(200, tickets // 20)
    now = clock.now()
    with db.read() as s:
        teams = {t.id: t for t in s.exec(select(Team)).all()}
        categories = {c.path: c for c in s.exec(select(Category)).all()}
        calendars = {p: policy_for(s, p, "standard") for p in range(1, 6)}
    team_engineers: dict[int | None, list[int]] = {}
    for login, _n, _num, role, _tier, team_name, _m, _l in DEMO_AGENTS:
        if role == "engineer":
            tid = next(t.id for t in teams.values() if t.name == team_name)
            team_engineers.setdefault(tid, []).append(agent_ids[login])
    operators = [agent_ids[a[0]] for a in DEMO_AGENTS if a[3] == "operator"]

    people = add_people(db, rng, customers=customers, seed=seed, now=now)
    cust0, devices_by_customer = people.first_customer, people.devices_by_customer
    report("customers", customers, customers)

    cat_paths = list(PROBLEMS)

    @lru_cache(maxsize=200_000)
    def due(prio: int, slot: datetime, minutes_kind: int) -> datetime:
        policy, cal = calendars[prio]
        at = due_time(cal, slot, policy.respond_minutes if minutes_kind == 0 else policy.resolve_minutes)
        assert at is not None  # the demo's calendars have working hours
        return at

    total_events = 0
    done = 0
    span = 90 * 86400
    while done < tickets:
        n = min(batch, tickets - done)
        with db.write() as s:
            conn = s.connection()
            if db.is_sqlite:  # the ticket's sixteen indexes stay in memory through the load (256 MB)
                conn.exec_driver_sql("PRAGMA cache_size=-262144")
            top = conn.execute(
                text("UPDATE counter SET value = value + :n WHERE name = 'ticket' RETURNING value"), {"n": n}
            ).scalar_one()
            first_number = top - n + 1
            tid0, ev0 = next_id(conn, "ticket"), next_id(conn, "ticket_event")
            log0 = next_id(conn, "agent_state_log")
            t_rows: list[tuple[Any, ...]] = []
            e_rows: list[tuple[Any, ...]] = []
            log_rows: list[tuple[Any, ...]] = []  # the operator's talk and wrap-up (handle time)
            cb_rows: list[tuple[Any, ...]] = []
            sv_rows: list[tuple[Any, ...]] = []
            for i in range(n):
                tid = tid0 + i
                # newer tickets are likelier (the backlog is recent); business hours likelier
                age = span * (rng.random() ** 1.6)
                created = now - timedelta(seconds=age)
                if created.hour < 1 or created.hour > 10:  # outside 09-18 Shanghai (UTC+8)
                    created = created - timedelta(hours=rng.randrange(0, 8))
                cust = cust0 + rng.randrange(customers)
                devs = devices_by_customer.get(cust, [])
                if devs and rng.random() < 0.55:
                    device_id, cat_path, _model = rng.choice(devs)
                else:
                    device_id, cat_path = None, rng.choice(cat_paths)
                cat = categories[cat_path]
                summary_en, summary_zh, sym_en, sym_zh = rng.choice(PROBLEMS[cat_path])
                zh = rng.random() < 0.55
                summary, symptoms = (summary_zh, sym_zh) if zh else (summary_en, sym_en)
                kind = (
                    "consultation"
                    if cat_path == "Consultation"
                    else rng.choices(["incident", "request", "complaint"], [0.8, 0.17, 0.03])[0]
                )
                impact, urgency = rng.choice((1, 2, 2, 3, 3, 3)), rng.choice((1, 2, 2, 3, 3))
                prio = priority_for(impact, urgency)
                team = teams[cat.team_id]
                slot = created.replace(second=0, microsecond=0, minute=created.minute - created.minute % 10)
                offset = created - slot
                respond_by = due(prio, slot, 0) + offset
                resolve_by = due(prio, slot, 1) + offset
                # status by age: most old tickets are closed, recent ones still open
                days = age / 86400
                r = rng.random()
                if days > 20:
                    status = (
                        Status.CLOSED if r < 0.985 else (Status.RESOLVED if r < 0.995 else Status.IN_PROGRESS)
                    )
                elif days > 3:
                    status = rng.choices(
                        [
                            Status.CLOSED,
                            Status.RESOLVED,
                            Status.IN_PROGRESS,
                            Status.PENDING_CUSTOMER,
                            Status.ASSIGNED,
                        ],
                        [0.78, 0.10, 0.06, 0.03, 0.03],
                    )[0]
                else:
                    status = rng.choices(
                        [
                            Status.NEW,
                            Status.ASSIGNED,
                            Status.IN_PROGRESS,
                            Status.PENDING_THIRD_PARTY,
                            Status.RESOLVED,
                            Status.CLOSED,
                        ],
                        [0.3, 0.2, 0.25, 0.05, 0.12, 0.08],
                    )[0]
                first_contact = kind == "consultation" or (
                    status in (Status.RESOLVED, Status.CLOSED) and r < 0.25
                )
                operator = rng.choice(operators)
                engineers = team_engineers.get(team.id, operators)
                # a call solved at first contact stays with the operator who took it
                assignee = (
                    operator if first_contact else None if status == Status.NEW else rng.choice(engineers)
                )
                handle = rng.randrange(90, 600)
                t = created
                events: list[tuple[Any, ...]] = []
                callbacks: list[tuple[Any, ...]] = []
                surveys: list[tuple[Any, ...]] = []

                # called at once in this iteration, so the late binding B023 warns of cannot bite
                def ev(at: datetime, actor: int | None, kind_: str, body: str = "", data: str = "") -> None:
                    events.append(  # noqa: B023
                        (
                            tid,  # noqa: B023
                            actor,
                            at,
                            kind_,
                            body,
                            False,
                            data,
                        )
                    )

                ev(t, operator, "created", summary, _data(("priority", prio)))
                assigned_at = responded = resolved_at = closed_at = paused_at = None
                if assignee is not None and not first_contact:
                    t = t + timedelta(minutes=rng.randrange(2, 40))
                    assigned_at = responded = t
                    ev(t, assignee, "claimed", "")
                    if status != Status.ASSIGNED:
                        t = t + timedelta(minutes=rng.randrange(5, 120))
                        ev(t, assignee, "status", "", _data(("from", "assigned"), ("to", "in_progress")))
                        t = t + timedelta(minutes=rng.randrange(5, 300))
                        ev(t, assignee, "note", rng.choice(NOTES_ZH if zh else NOTES_EN))
                    if status in (Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY):
                        ev(t, assignee, "status", "", _data(("from", "in_progress"), ("to", str(status))))
                        paused_at = t  # the SLA clock stands while the customer or a third party is awaited
                resolution = ""
                if status in (Status.RESOLVED, Status.CLOSED):
                    t = t + timedelta(minutes=rng.randrange(3, 600)) if not first_contact else created
                    resolved_at = t
                    resolution = (
                        "已按知识库方案处理。" if zh else "Fixed following the knowledge base solution."
                    )
                    ev(t, assignee or operator, "resolved", resolution)
                if status == Status.CLOSED:
                    t = t + timedelta(hours=rng.randrange(1, 48))
                    closed_at = t
                    ev(t, operator, "callback", "", _data(("outcome", "fixed")))
                    callbacks.append((tid, operator, t, "fixed", ""))
                    if rng.random() < 0.6:  # most customers answer the survey
                        ratings = [rng.choices((1, 2, 3, 4), (0.55, 0.3, 0.1, 0.05))[0] for _ in range(4)]
                        ev(t, operator, "survey", "", _data(*zip(SURVEY_FIELDS, ratings, strict=True)))
                        surveys.append((tid, operator, *ratings, "", t))
                    ev(t, operator, "closed", "")
                if t > now:  # keep every time in the past
                    shift = t - now + timedelta(minutes=1)
                    events = [(e[0], e[1], e[2] - shift, *e[3:]) for e in events]
                    created -= shift
                    assigned_at = assigned_at and assigned_at - shift
                    responded = responded and responded - shift
                    resolved_at = resolved_at and resolved_at - shift
                    closed_at = closed_at and closed_at - shift
                    paused_at = paused_at and paused_at - shift
                    callbacks = [(*row[:2], row[2] - shift, *row[3:]) for row in callbacks]
                    surveys = [(*row[:-1], row[-1] - shift) for row in surveys]
                    t = now - timedelta(minutes=1)
                cb_rows += callbacks
                sv_rows += surveys
                wrap_up = min(created + timedelta(seconds=20 + handle * 7 % 100), now)
                log_rows += [
                    (operator, "on_call", "", created - timedelta(seconds=handle), created, True),
                    (operator, "after_call", "", created, wrap_up, False),
                ]
                for e in events:
                    e_rows.append((ev0 + len(e_rows), *e))
                t_rows.append(
                    (
                        tid,
                        f"SR-{first_number + i:06d}",
                        kind,
                        cat.id,
                        impact,
                        urgency,
                        prio,
                        str(status),
                        status in OPEN_STATUSES,
                        "phone",
                        "phone" if first_contact else "on_site",
                        cust,
                        device_id,
                        summary,
                        symptoms,
                        "unknown",
                        team.id,
                        team.tier,
                        assignee,
                        operator,
                        0,
                        0,
                        respond_by,
                        resolve_by,
                        responded,
                        paused_at,
                        0,
                        created,
                        handle,
                        first_contact,
                        resolution,
                        created,
                        t,
                        assigned_at,
                        assigned_at,  # first_assigned_at: demo tickets are picked up once
                        resolved_at,
                        closed_at,
                        1 + len(events),
                    )
                )
            bulk_insert(conn, "ticket", TICKET_COLUMNS, t_rows)
            bulk_insert(
                conn,
                "ticket_event",
                ["id", "ticket_id", "actor_id", "at", "kind", "body", "public", "data"],
                e_rows,
            )
            bulk_insert(conn, "callback", ["ticket_id", "agent_id", "at", "outcome", "note"], cb_rows)
            bulk_insert(
                conn,
                "agent_state_log",
                ["id", "agent_id", "state", "reason", "started_at", "ended_at", "handled"],
                [(log0 + i, *row) for i, row in enumerate(log_rows)],
            )
            bulk_insert(
                conn,
                "survey",
                [
                    "ticket_id",
                    "agent_id",
                    "attitude",
                    "quality",
                    "technical",
                    "speed",
                    "comment",
                    "created_at",
                ],
                sv_rows,
            )
            fix_sequences(conn, ["ticket", "ticket_event", "callback", "survey", "agent_state_log"])
            total_events += len(e_rows)
        done += n
        report("tickets", done, tickets)
    if not db.is_sqlite:
        # after a bulk load autovacuum lags behind: fresh planner statistics, and a visibility map
        # so counts are index-only (the queue's five counts: 100 ms -> 7 ms on 1M tickets)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    return DemoSummary(len(agent_ids), people.organisations, customers, people.devices, tickets, total_events)


@lru_cache(maxsize=4096)
def _data(*items: tuple[str, Any]) -> str:
    """An event's data as stored (JSON), made once per distinct value: demo events repeat a few."""
    return json.dumps(dict(items), ensure_ascii=False)


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
