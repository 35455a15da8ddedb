"""The demo desk's tickets with their histories, made as rows ready for bulk_insert: a batch at a
time from one random stream, so the same seed gives the same rows whatever the batch size. A big
load makes them in a second process (`ahead`) while the first one inserts: on two cores, making
and inserting overlap."""

from __future__ import annotations

import dataclasses
import json
import os
import pickle
import random
import subprocess
import sys
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from subprocess import PIPE
from typing import Any, BinaryIO

from ..db import bulk_time
from ..models import OPEN_STATUSES, Status
from .demo_tables import NOTES_EN, NOTES_ZH, PROBLEMS, SURVEY_FIELDS
from .priority import priority_for
from .sla_calendar import BusinessCalendar, due_time

Row = tuple[Any, ...]


@dataclass(frozen=True)
class TicketPlan:
    """All the tickets depend on, as plain values (it crosses to the making process)."""

    tickets: int
    batch: int
    now: datetime
    rng_state: Any  # random.Random.getstate() after the callers were made
    sqlite: bool  # how times are written (db.bulk_time)
    customers: int
    first_customer: int
    devices_by_customer: dict[int, list[tuple[int, str, str]]]  # customer -> (device id, category, model)
    categories: dict[str, tuple[int, int]]  # path -> (category id, team id)
    tiers: dict[int, int]  # team id -> tier
    team_engineers: dict[int | None, list[int]]
    operators: list[int]
    # priority -> (respond, resolve minutes, the calendar's fields: `portable`)
    targets: dict[int, tuple[int, int, dict[str, Any]]]
    first_ticket: int
    first_number: int
    first_event: int
    first_log: int


@dataclass
class Batch:
    """One batch's rows, in the columns demo.py inserts them with."""

    tickets: list[Row] = field(default_factory=list)
    events: list[Row] = field(default_factory=list)
    callbacks: list[Row] = field(default_factory=list)
    logs: list[Row] = field(default_factory=list)  # the operator's talk and wrap-up (handle time)
    surveys: list[Row] = field(default_factory=list)


def batches(plan: TicketPlan) -> Iterator[Batch]:
    """The plan's tickets, `plan.batch` at a time."""
    rng = random.Random()
    rng.setstate(plan.rng_state)
    now = plan.now.astimezone(UTC)
    stamp = bulk_time(plan.sqlite)
    cat_paths = list(PROBLEMS)
    operators = plan.operators
    customers, cust0, devices_by_customer = plan.customers, plan.first_customer, plan.devices_by_customer

    calendars = {p: BusinessCalendar(**fields) for p, (_r, _s, fields) in plan.targets.items()}

    @lru_cache(maxsize=200_000)
    def due(prio: int, slot: datetime, minutes_kind: int) -> datetime:
        respond, resolve, _fields = plan.targets[prio]
        cal = calendars[prio]
        at = due_time(cal, slot, respond if minutes_kind == 0 else resolve)
        assert at is not None  # the demo's calendars have working hours
        return at.astimezone(UTC)

    span = 90 * 86400
    ev_id, log_id = plan.first_event, plan.first_log
    done = 0
    while done < plan.tickets:
        n = min(plan.batch, plan.tickets - done)
        out = Batch()
        t_rows, e_rows, log_rows = out.tickets, out.events, out.logs
        for j in range(n):
            i = done + j
            tid = plan.first_ticket + i
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
            cat_id, team_id = plan.categories[cat_path]
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
            if first_contact and status == Status.NEW:  # a consultation still open: the operator's
                status = Status.ASSIGNED
            operator = rng.choice(operators)
            engineers = plan.team_engineers.get(team_id, operators)
            # a call solved at first contact stays with the operator who took it
            assignee = operator if first_contact else None if status == Status.NEW else rng.choice(engineers)
            handle = rng.randrange(90, 600)
            t = created
            # (actor, at, kind, body, data): the ticket and public columns are added below
            events: list[tuple[int | None, datetime, str, str, str]] = [
                (operator, t, "created", summary, _data(("priority", prio)))
            ]
            callbacks: list[Row] = []
            surveys: list[Row] = []
            assigned_at = responded = resolved_at = closed_at = paused_at = None
            if assignee is not None and not first_contact:
                t = t + timedelta(minutes=rng.randrange(2, 40))
                assigned_at = responded = t
                events.append((assignee, t, "claimed", "", ""))
                if status != Status.ASSIGNED:
                    t = t + timedelta(minutes=rng.randrange(5, 120))
                    events.append(
                        (assignee, t, "status", "", _data(("from", "assigned"), ("to", "in_progress")))
                    )
                    t = t + timedelta(minutes=rng.randrange(5, 300))
                    events.append((assignee, t, "note", rng.choice(NOTES_ZH if zh else NOTES_EN), ""))
                if status in (Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY):
                    events.append(
                        (assignee, t, "status", "", _data(("from", "in_progress"), ("to", str(status))))
                    )
                    paused_at = t  # the SLA clock stands while the customer or a third party is awaited
            resolution = ""
            if status in (Status.RESOLVED, Status.CLOSED):
                t = t + timedelta(minutes=rng.randrange(3, 600)) if not first_contact else created
                resolved_at = t
                resolution = "已按知识库方案处理。" if zh else "Fixed following the knowledge base solution."
                events.append((assignee or operator, t, "resolved", resolution, ""))
            if status == Status.CLOSED:
                t = t + timedelta(hours=rng.randrange(1, 48))
                closed_at = t
                events.append((operator, t, "callback", "", _data(("outcome", "fixed"))))
                callbacks.append((tid, operator, t, "fixed", ""))
                if rng.random() < 0.6:  # most customers answer the survey
                    ratings = [rng.choices((1, 2, 3, 4), (0.55, 0.3, 0.1, 0.05))[0] for _ in range(4)]
                    events.append(
                        (operator, t, "survey", "", _data(*zip(SURVEY_FIELDS, ratings, strict=True)))
                    )
                    surveys.append((tid, operator, *ratings, "", t))
                events.append((operator, t, "closed", "", ""))
            if t > now:  # keep every time in the past
                shift = t - now + timedelta(minutes=1)
                events = [(e[0], e[1] - shift, *e[2:]) for e in events]
                created -= shift
                assigned_at = assigned_at and assigned_at - shift
                responded = responded and responded - shift
                resolved_at = resolved_at and resolved_at - shift
                closed_at = closed_at and closed_at - shift
                paused_at = paused_at and paused_at - shift
                callbacks = [(*row[:2], row[2] - shift, *row[3:]) for row in callbacks]
                surveys = [(*row[:-1], row[-1] - shift) for row in surveys]
                t = now - timedelta(minutes=1)
            out.callbacks += [(*row[:2], stamp(row[2]), *row[3:]) for row in callbacks]
            out.surveys += [(*row[:-1], stamp(row[-1])) for row in surveys]
            wrap_up = min(created + timedelta(seconds=20 + handle * 7 % 100), now)
            started = stamp(created)
            log_rows += [
                (log_id, operator, "on_call", "", stamp(created - timedelta(seconds=handle)), started, True),
                (log_id + 1, operator, "after_call", "", started, stamp(wrap_up), False),
            ]
            log_id += 2
            for actor, at, kind_, body, data in events:
                e_rows.append((ev_id, tid, actor, stamp(at), kind_, body, False, data))
                ev_id += 1
            assigned = assigned_at and stamp(assigned_at)
            t_rows.append(
                (
                    tid,
                    f"SR-{plan.first_number + i:06d}",
                    kind,
                    cat_id,
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
                    team_id,
                    plan.tiers[team_id],
                    assignee,
                    operator,
                    0,
                    0,
                    stamp(respond_by),
                    stamp(resolve_by),
                    responded and stamp(responded),
                    paused_at and stamp(paused_at),
                    0,
                    started,
                    handle,
                    first_contact,
                    resolution,
                    started,
                    stamp(t),
                    assigned,
                    assigned,  # first_assigned_at: demo tickets are picked up once
                    resolved_at and stamp(resolved_at),
                    closed_at and stamp(closed_at),
                    1 + len(events),
                )
            )
        done += n
        yield out


def portable(cal: BusinessCalendar) -> dict[str, Any]:
    """A calendar's fields, as `BusinessCalendar(**fields)` takes them (its hours are a read-only
    mapping, which pickle refuses)."""
    out = {f.name: getattr(cal, f.name) for f in dataclasses.fields(cal)}
    out["hours"] = dict(out["hours"])
    return out


def ahead(plan: TicketPlan) -> Iterator[Batch]:
    """`batches(plan)` made in a second process, one batch ahead of the caller: a new interpreter
    running this module (safe from a threaded console, and it never runs the caller's main
    script), the plan and the batches pickled through its pipes. The process ends with the
    iteration, or is ended if the caller stops early."""
    root = str(Path(__file__).resolve().parents[2])  # this deskterm, whatever the caller's sys.path
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    maker = subprocess.Popen(
        [sys.executable, "-m", "deskterm.services.demo_tickets"], stdin=PIPE, stdout=PIPE, env=env
    )
    assert maker.stdin is not None and maker.stdout is not None
    try:
        with maker.stdin:
            pickle.dump(plan, maker.stdin, protocol=pickle.HIGHEST_PROTOCOL)
        while True:
            kind, value = pickle.load(maker.stdout)
            if kind == "end":
                break
            if kind == "failed":
                raise RuntimeError(f"making the demo tickets failed:\n{value}")
            yield value
    finally:
        maker.stdout.close()
        if maker.poll() is None:
            maker.terminate()
        maker.wait()


def _make(source: BinaryIO, out: BinaryIO) -> None:
    """The second process of `ahead`: the plan from `source`, the batches to `out`."""
    try:
        for batch in batches(pickle.load(source)):
            pickle.dump(("batch", batch), out, protocol=pickle.HIGHEST_PROTOCOL)
            out.flush()
        pickle.dump(("end", None), out)
    except BrokenPipeError:  # the caller stopped
        return
    except BaseException:  # noqa: BLE001  # any failure goes back to the caller, who raises it
        pickle.dump(("failed", traceback.format_exc()), out)
    out.flush()


@lru_cache(maxsize=4096)
def _data(*items: tuple[str, Any]) -> str:
    """An event's data as stored (JSON), made once per distinct value: demo events repeat a few."""
    return json.dumps(dict(items), ensure_ascii=False)


if __name__ == "__main__":  # `ahead`'s second process; its batches pickled as this module's, by name
    from deskterm.services import demo_tickets

    _stdout, sys.stdout = sys.stdout.buffer, sys.stderr  # the pipe carries pickles only
    demo_tickets._make(sys.stdin.buffer, _stdout)
