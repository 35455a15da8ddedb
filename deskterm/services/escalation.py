"""Escalation (升级): rules as data, the watcher's pass that applies them, and manual escalation.

A rule is a condition (a trigger with its thresholds, narrowed by priority, category, team,
customer class or kind) and actions: functional escalation (to the next tier or a named team),
hierarchical escalation (the assignee's manager at the first threshold, that manager's manager at
the next: 逐级向上), raising the priority, notifying named agents or roles. Each firing writes an
`escalated` event saying which rule fired and why.

A ticket's escalation level counts its escalations (functional and hierarchical, by hand and by
rule) and only rises. A rule never hands a ticket down: its hierarchical step N reaches the Nth
person up the line only if the ticket is not escalated to someone at or above that level already,
and its functional move never goes to a team of a lower tier. Every threshold a ticket has crossed
fires in the same pass, in order. The hand-over rule (`unassigned`) counts its minutes in the
ticket's SLA calendar, and its thresholds in % are of the `handover_minutes` setting that intake
promises to callers.

A rule fires at most once per ticket and threshold: the firing's row in `escalation_firing`
(primary key rule, ticket, threshold) is inserted in the same transaction as the actions, so of two
watchers (threads or processes, either backend, across restarts) exactly one commits it and the
other gets a duplicate key and moves on. A pass queries only candidates, through the ticket
indexes, skipping those already fired; the SLA arithmetic runs only on those few."""

from __future__ import annotations

import contextlib
import json
import re
import time
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import and_, func, literal, or_, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..config import HANDOVER_MINUTES
from ..db import Database
from ..models import (
    PENDING_STATUSES,
    Agent,
    Category,
    Customer,
    EscalationFiring,
    EscalationRule,
    EventKind,
    Kind,
    Organisation,
    Role,
    Status,
    Team,
    Ticket,
    TicketEvent,
)
from . import inputs, notify, sla, tickets
from .auth import Actor, require
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .sla_calendar import add_business_minutes, remaining_minutes

RULES_FILE = Path(__file__).resolve().parent.parent / "scripts_data" / "escalation_rules.toml"

SLA_TRIGGERS = ("not_responded", "not_resolved")
TRIGGERS = (*SLA_TRIGGERS, "unassigned", "chased", "complaint")
NOTICES = ("escalated", "breach")
NAME_MAX = 200  # a team, category or login a rule names (none is longer)
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|m|h)?\s*$")


# --- rules: parsing and validation ---------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A rule as the watcher applies it (parsed from the stored JSON)."""

    id: int
    name: str
    enabled: bool
    position: int
    trigger: str
    # canonical thresholds: "75%" (of the SLA target; unassigned: of the hand-over time), "90m",
    # "2" (chases); ("",) for complaint
    steps: tuple[str, ...]
    priority: frozenset[int] = frozenset()
    category: tuple[str, ...] = ()
    team: tuple[str, ...] = ()
    customer_class: tuple[str, ...] = ()
    kind: tuple[str, ...] = ()
    functional: str = ""  # "next_tier" or a team name
    hierarchical: bool = False
    raise_priority: int = 0
    notify_agents: tuple[str, ...] = ()
    notify_roles: tuple[str, ...] = ()
    notify_assignee: bool = False
    notice: str = "escalated"

    def when(self) -> dict[str, Any]:
        out: dict[str, Any] = {"trigger": self.trigger}
        if self.steps != ("",):
            out["at"] = [int(s) if s.isdigit() else s for s in self.steps]
        for key in ("category", "team", "customer_class", "kind"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.priority:
            out["priority"] = sorted(self.priority)
        return out

    def then(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.functional:
            out["functional"] = self.functional
        if self.hierarchical:
            out["hierarchical"] = True
        if self.raise_priority:
            out["raise_priority"] = self.raise_priority
        for key in ("notify_agents", "notify_roles"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.notify_assignee:
            out["notify_assignee"] = True
        if self.notice != "escalated":
            out["notice"] = self.notice
        return out

    def describe(self) -> str:
        """One line: when … then …"""
        w = self.when()
        parts = [w.pop("trigger")]
        if "at" in w:
            parts.append("at " + ", ".join(str(a) for a in w.pop("at")))
        parts += [f"{k}={','.join(str(v) for v in vs)}" for k, vs in w.items()]
        acts = [
            f"{k}={','.join(v) if isinstance(v, list) else v}" if v is not True else k
            for k, v in self.then().items()
        ]
        return f"{' '.join(parts)} → {'; '.join(acts)}"


def _strings(value: Any, key: str, errors: dict[str, str]) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        errors[key] = "a list of names"
        return ()
    return tuple(inputs.line(v, key, NAME_MAX, errors=errors) for v in value)


def _step(trigger: str, raw: Any, errors: dict[str, str]) -> str:
    text = str(raw).strip().lower()
    if trigger == "chased":
        if not text.isdigit() or int(text) < 1:
            errors["at"] = "chases: whole numbers from 1, e.g. [2, 3]"
        return text
    m = _STEP.match(text)
    if not m or float(m.group(1)) <= 0:
        errors["at"] = "thresholds like 75%, 100%, 150% (of the SLA target) or 15m, 2h"
        return text
    number, unit = float(m.group(1)), m.group(2) or "m"
    if unit == "%":
        return f"{number:g}%"
    return f"{round(number * (60 if unit == 'h' else 1))}m"


def parse_rule(
    when: dict[str, Any],
    then: dict[str, Any],
    *,
    name: str = "",
    rule_id: int = 0,
    enabled: bool = True,
    position: int = 0,
) -> Rule:
    """Check a rule's condition and actions; InvalidInput says what is wrong with which part."""
    errors: dict[str, str] = {}
    when, then = dict(when or {}), dict(then or {})
    trigger = str(when.pop("trigger", "")).strip()
    if trigger not in TRIGGERS:
        errors["trigger"] = f"one of {', '.join(TRIGGERS)}"
    at = when.pop("at", None)
    if trigger == "complaint":
        steps: tuple[str, ...] = ("",)
        if at:
            errors["at"] = "a complaint rule fires once: no thresholds"
    else:
        raw = at if isinstance(at, list) else [at] if at is not None else []
        steps = tuple(dict.fromkeys(_step(trigger, a, errors) for a in raw))
        if not steps and trigger in TRIGGERS:
            errors["at"] = "at least one threshold"
    priority: set[int] = set()
    for p in when.pop("priority", None) or []:
        if not isinstance(p, int) or p not in range(1, 6):
            errors["priority"] = "priorities 1-5"
        else:
            priority.add(p)
    category = _strings(when.pop("category", None), "category", errors)
    team = _strings(when.pop("team", None), "team", errors)
    customer_class = _strings(when.pop("customer_class", None), "customer_class", errors)
    kind = _strings(when.pop("kind", None), "kind", errors)
    if any(k not in set(Kind) for k in kind):
        errors["kind"] = f"kinds: {', '.join(Kind)}"
    for key in when:
        errors[key] = "not a condition (trigger, at, priority, category, team, customer_class, kind)"

    functional = inputs.line(str(then.pop("functional", "") or ""), "functional", NAME_MAX, errors=errors)
    hierarchical = bool(then.pop("hierarchical", False))
    raise_priority = then.pop("raise_priority", 0) or 0
    if not isinstance(raise_priority, int) or raise_priority not in range(0, 5):
        errors["raise_priority"] = "0-4 steps"
        raise_priority = 0
    notify_agents = _strings(then.pop("notify_agents", None), "notify_agents", errors)
    notify_roles = _strings(then.pop("notify_roles", None), "notify_roles", errors)
    if any(r not in set(Role) for r in notify_roles):
        errors["notify_roles"] = f"roles: {', '.join(Role)}"
    notify_assignee = bool(then.pop("notify_assignee", False))
    notice = str(then.pop("notice", "escalated"))
    if notice not in NOTICES:
        errors["notice"] = f"one of {', '.join(NOTICES)}"
    for key in then:
        errors[key] = (
            "not an action (functional, hierarchical, raise_priority, notify_agents, notify_roles, "
            "notify_assignee, notice)"
        )
    if not (functional or hierarchical or raise_priority or notify_agents or notify_roles or notify_assignee):
        errors.setdefault("then", "at least one action")
    if errors:
        raise InvalidInput(errors)
    return Rule(
        id=rule_id,
        name=name,
        enabled=enabled,
        position=position,
        trigger=trigger,
        steps=steps,
        priority=frozenset(priority),
        category=category,
        team=team,
        customer_class=customer_class,
        kind=kind,
        functional=functional,
        hierarchical=hierarchical,
        raise_priority=raise_priority,
        notify_agents=notify_agents,
        notify_roles=notify_roles,
        notify_assignee=notify_assignee,
        notice=notice,
    )


def _rule_from_row(row: EscalationRule) -> Rule:
    assert row.id is not None
    return parse_rule(
        json.loads(row.condition or "{}"),
        json.loads(row.action or "{}"),
        name=row.name,
        rule_id=row.id,
        enabled=row.enabled,
        position=row.position,
    )


def _check_names(s: Session, rule: Rule) -> None:
    """The teams, categories and agents a rule names must exist (a typo would never fire)."""
    errors: dict[str, str] = {}
    teams = set(s.exec(select(Team.name)).all())
    if missing := [t for t in rule.team if t not in teams]:
        errors["team"] = f"no team {missing[0]!r}"
    if rule.functional and rule.functional != "next_tier" and rule.functional not in teams:
        errors["functional"] = f"'next_tier' or a team name; no team {rule.functional!r}"
    paths = set(s.exec(select(Category.path)).all())
    if missing := [
        c for c in rule.category if c not in paths and not any(p.startswith(c + "/") for p in paths)
    ]:
        errors["category"] = f"no category {missing[0]!r}"
    logins = set(s.exec(select(Agent.login)).all())
    if missing := [a for a in rule.notify_agents if a not in logins]:
        errors["notify_agents"] = f"no agent {missing[0]!r}"
    if errors:
        raise InvalidInput(errors)


# --- rules: administration -------------------------------------------------------------------------


def _require_manager(s: Session, actor: Actor) -> None:
    """Rules are the desk's policy: supervisors and admins."""
    require(s, actor, "desk.configure")


def list_rules(db: Database) -> list[Rule]:
    with db.read() as s:
        rows = s.exec(select(EscalationRule).order_by(EscalationRule.position, EscalationRule.id)).all()
        return [_rule_from_row(r) for r in rows]


def add_rule(
    db: Database,
    actor: Actor,
    *,
    name: str,
    when: dict[str, Any],
    then: dict[str, Any],
    position: int | None = None,
    enabled: bool = True,
) -> Rule:
    name = inputs.line(name, "name", EscalationRule.name)
    if not name:
        raise InvalidInput({"name": "required"})
    rule = parse_rule(when, then, name=name, enabled=enabled, position=position or 0)
    try:
        with db.write() as s:
            _require_manager(s, actor)
            _check_names(s, rule)
            if s.exec(select(EscalationRule.id).where(EscalationRule.name == name)).first():
                raise Conflict(f"a rule named {name!r} exists")
            if position is None:
                position = (s.exec(select(func.max(EscalationRule.position))).one() or 0) + 10
            row = EscalationRule(
                name=name,
                enabled=enabled,
                position=position,
                condition=json.dumps(rule.when(), ensure_ascii=False),
                action=json.dumps(rule.then(), ensure_ascii=False),
            )
            s.add(row)
            s.flush()
            return _rule_from_row(row)
    except IntegrityError:
        raise Conflict(f"a rule named {name!r} exists") from None


def set_enabled(db: Database, actor: Actor, name: str, enabled: bool) -> Rule:
    with db.write() as s:
        _require_manager(s, actor)
        row = _rule_row(s, name)
        row.enabled = enabled
        return _rule_from_row(row)


def _rule_row(s: Session, name: str) -> EscalationRule:
    ref = inputs.key(name)
    row = s.exec(select(EscalationRule).where(EscalationRule.name == ref)).first()
    if row is None and ref.isdigit():
        row = s.get(EscalationRule, int(ref))
    if row is None:
        raise NotFound(f"no escalation rule {name!r}")
    return row


def shipped_rules(path: Path = RULES_FILE) -> list[dict[str, Any]]:
    with path.open("rb") as f:
        return list(tomllib.load(f).get("rule", []))


def seed_rules(db: Database, path: Path = RULES_FILE) -> int:
    """Add the shipped rules missing by name (idempotent; never overwrites an edited rule)."""
    try:
        with db.write() as s:
            return seed_rules_in(s, path)
    except IntegrityError:  # another process seeded at the same moment
        return 0


def seed_rules_in(session: Session, path: Path = RULES_FILE) -> int:
    have = set(session.exec(select(EscalationRule.name)).all())
    added = 0
    for spec in shipped_rules(path):
        if spec["name"] in have or have & set(spec.get("replaces", ())):
            continue  # a desk that has the rule under an earlier name keeps its own (never two)
        rule = parse_rule(spec.get("when", {}), spec.get("then", {}), name=spec["name"])
        session.add(
            EscalationRule(
                name=spec["name"],
                enabled=spec.get("enabled", True),
                position=spec.get("position", 0),
                condition=json.dumps(rule.when(), ensure_ascii=False),
                action=json.dumps(rule.then(), ensure_ascii=False),
            )
        )
        added += 1
    session.flush()
    return added


# --- who is up the line ------------------------------------------------------------------------------


def team_lead(s: Session, team_id: int | None) -> Agent | None:
    """Who leads a team: the manager most of its active members report to, else a supervisor in it."""
    if team_id is None:
        return None
    row = s.exec(
        select(Agent.manager_id, func.count())
        .where(Agent.team_id == team_id, col(Agent.active).is_(True), col(Agent.manager_id).is_not(None))
        .group_by(Agent.manager_id)
        .order_by(func.count().desc(), col(Agent.manager_id))
    ).first()
    lead = s.get(Agent, row[0]) if row else None
    if lead is not None and lead.active:
        return lead
    return s.exec(
        select(Agent)
        .where(Agent.team_id == team_id, col(Agent.active).is_(True), Agent.role == Role.SUPERVISOR)
        .order_by(col(Agent.id))
    ).first()


def _manager(s: Session, agent: Agent) -> Agent | None:
    """The agent's nearest active manager (an inactive one is stepped over)."""
    seen = {agent.id}
    current = agent
    while current.manager_id is not None and current.manager_id not in seen:
        boss = s.get(Agent, current.manager_id)
        if boss is None:
            return None
        if boss.active:
            return boss
        seen.add(boss.id)
        current = boss
    return None


def chain_person(s: Session, t: Ticket, level: int) -> Agent | None:
    """The `level`-th person up the ticket's line: 1 is the assignee's manager (unassigned: the team
    lead), 2 that person's manager, …; None when the line ends below that level."""
    assignee = s.get(Agent, t.assignee_id) if t.assignee_id else None
    person = _manager(s, assignee) if assignee else team_lead(s, t.team_id)
    for _ in range(level - 1):
        if person is None:
            return None
        person = _manager(s, person)
    return person


def _line_level(s: Session, t: Ticket) -> tuple[Agent | None, int]:
    """Who the ticket is escalated to and how far up its line that person is (1: the first
    person up); (None, 0) when it is escalated to nobody, or to someone off its present line."""
    if t.escalated_to_id is None:
        return None, 0
    person, level, seen = chain_person(s, t, 1), 1, set()
    while person is not None and person.id not in seen:
        if person.id == t.escalated_to_id:
            return person, level
        seen.add(person.id)
        person, level = _manager(s, person), level + 1
    return None, 0


def next_tier_team(s: Session, t: Ticket) -> Team | None:
    """The team one tier up: the first by name of the lowest tier above the ticket's."""
    return s.exec(select(Team).where(Team.tier > t.tier).order_by(col(Team.tier), col(Team.name))).first()


# --- the watcher's pass --------------------------------------------------------------------------------


@dataclass
class Fired:
    rule: str
    number: str
    threshold: str
    why: str
    effects: list[str]


@dataclass
class PassReport:
    started: datetime
    seconds: float = 0.0
    candidates: int = 0
    fired: list[Fired] = field(default_factory=list)
    lost: int = 0  # fired by someone else first (another watcher), or no longer applicable
    waiting: int = 0  # rules that hit the batch limit: more firings wait for the next pass


class _Stale(Exception):
    """The ticket no longer meets the rule (changed between the query and the firing)."""


def _key_for(rule: Rule, step: str, team_id: int | None) -> str:
    return f"{step}@{team_id or 0}" if rule.trigger == "unassigned" else (step or "complaint")


def _step_minutes(step: str) -> tuple[float | None, float | None]:
    """(percent, minutes) of a canonical SLA step."""
    if step.endswith("%"):
        return float(step[:-1]), None
    return None, float(step[:-1])


def _queue_minutes(step: str, handover_minutes: float) -> float:
    """Minutes in the queue of an `unassigned` step: "15m", or "100%" of the hand-over time."""
    percent, minutes = _step_minutes(step)
    return handover_minutes * percent / 100 if percent is not None else minutes or 0


@dataclass(frozen=True)
class Scope:
    """Which tickets a pass looks at; together they cover every ticket without rescanning the fired:
    - the window: thresholds crossed in (window_from, now], found by index ranges on the due and
      creation times, exact per policy and calendar;
    - recent: tickets with events since the previous pass (a chase, a resume, a transfer, …);
    - sweep: one slice of ticket ids, a different one each pass, for whatever the other two missed
      (a watcher stopped longer than the window, a ticket transferred long ago).
    None instead of a Scope: every open ticket (small desks and tests)."""

    window_from: datetime
    recent: tuple[int, ...] = ()
    sweep: tuple[int, int] | None = None


WINDOW = timedelta(hours=1)
SWEEP_IDS = 20_000  # ticket ids a pass sweeps: 1M tickets are swept every 50 passes
RECENT_EVENTS = 20_000  # at most this many of the latest events are looked at
_SWEEP_COUNTER = "escalation_sweep"
_EVENTS_COUNTER = "escalation_events"


@dataclass(frozen=True)
class _Facts:
    """What the rules look at of one open ticket."""

    id: int
    priority: int
    kind: str
    category_id: int | None
    team_id: int | None
    assignee_id: int | None
    status: str
    chase_count: int
    created_at: datetime
    respond_by: datetime | None
    resolve_by: datetime | None
    responded_at: datetime | None
    customer_class: str


def _left(tg: sla.Target, what: str, step: str) -> tuple[int, float]:
    """(target minutes, SLA minutes left when the step is reached; negative: that far overdue)."""
    percent, minutes = _step_minutes(step)
    total = tg.respond_minutes if what == "respond" else tg.resolve_minutes
    used = total * percent / 100 if percent is not None else minutes or 0
    return total, total - used


def _due_bounds(tg: sla.Target, what: str, step: str, now: datetime, window_from: datetime):  # type: ignore[no-untyped-def]
    """(low, high) for the stored due time: a ticket can have reached `step` by now only if
    due <= high, and had reached it already at window_from if due <= low. Exact per calendar."""
    _total, left = _left(tg, what, step)
    cal = tg.calendar
    if left >= 0:
        high = add_business_minutes(cal, now, left + 0.001)  # a due in the closed hours after counts too
        low = add_business_minutes(cal, window_from, left)
    else:
        high = sla.business_start(cal, now, -left)
        low = sla.business_start(cal, window_from, -left)
    return low, high


def _window_ids(
    s: Session,
    rules: list[Rule],
    book: sla.PolicyBook,
    now: datetime,
    since: datetime,
    handover_minutes: float,
) -> set[int]:
    """Tickets that crossed a threshold in (since, now], by index range scans only."""
    ids: set[int] = set()
    for rule in rules:
        for step in rule.steps:
            if rule.trigger == "unassigned":
                # created when the step's minutes, counted back in its calendar, end in the window:
                # one range per calendar (a night is in no business calendar's range at all)
                minutes = _queue_minutes(step, handover_minutes)
                for cal in book.calendars(rule.priority or range(1, 6)) or {sla.ALWAYS_OPEN}:
                    low, high = sla.business_start(cal, since, minutes), sla.business_start(cal, now, minutes)
                    if high <= low:
                        continue
                    rows = s.connection().execute(  # ix_ticket_created; the rest is checked here
                        select(Ticket.id, Ticket.assignee_id, Ticket.is_open).where(
                            col(Ticket.created_at) > low, col(Ticket.created_at) <= high
                        )
                    )
                    ids.update(tid for tid, assignee, is_open in rows if is_open and assignee is None)
                continue
            if rule.trigger not in SLA_TRIGGERS:
                continue
            what = "respond" if rule.trigger == "not_responded" else "resolve"
            for prio in sorted(rule.priority or range(1, 6)):
                bounds = [_due_bounds(tg, what, step, now, since) for tg in book.targets(prio)]
                if not bounds:
                    continue
                low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
                if what == "resolve":  # ix_ticket_open_due
                    q = select(Ticket.id).where(
                        Ticket.is_open == True,  # noqa: E712 - "= 1": the index's first column
                        col(Ticket.resolve_by) > low,
                        col(Ticket.resolve_by) <= high,
                        Ticket.priority == prio,
                    )
                else:  # the unanswered are the unassigned (ix_ticket_mine); the sweep finds the rest
                    q = select(Ticket.id).where(
                        col(Ticket.assignee_id).is_(None),
                        Ticket.is_open == True,  # noqa: E712
                        Ticket.priority == prio,
                        col(Ticket.respond_by) > low,
                        col(Ticket.respond_by) <= high,
                    )
                ids.update(r[0] for r in s.connection().execute(q))
    return ids


def _scope_ids(
    s: Session,
    rules: list[Rule],
    book: sla.PolicyBook,
    now: datetime,
    scope: Scope | None,
    handover_minutes: float,
) -> set[int]:
    if scope is None:
        return set(s.exec(select(Ticket.id).where(Ticket.is_open == True)).all())  # noqa: E712
    ids = _window_ids(s, rules, book, now, scope.window_from, handover_minutes) | set(scope.recent)
    if scope.sweep is not None:  # a primary-key range; the open ones are kept here, not in SQL
        rows = s.connection().execute(
            select(Ticket.id, Ticket.is_open).where(
                col(Ticket.id) >= scope.sweep[0], col(Ticket.id) < scope.sweep[1]
            )
        )
        ids.update(tid for tid, is_open in rows if is_open)
    return ids


def _load(s: Session, ids: set[int], classes: bool) -> list[_Facts]:
    """The open tickets among `ids`; their customer class only when a rule or a policy needs it."""
    klass = func.coalesce(Organisation.customer_class, "standard") if classes else literal("standard")
    out: list[_Facts] = []
    ordered = sorted(ids)
    for i in range(0, len(ordered), 1000):
        query = (
            select(
                Ticket.is_open,
                Ticket.id,
                Ticket.priority,
                Ticket.kind,
                Ticket.category_id,
                Ticket.team_id,
                Ticket.assignee_id,
                Ticket.status,
                Ticket.chase_count,
                Ticket.created_at,
                Ticket.respond_by,
                Ticket.resolve_by,
                Ticket.responded_at,
                klass,
            )
            # by primary key only: a condition on is_open would tempt SQLite into scanning its index
            .where(_id_in(s, Ticket.id, ordered[i : i + 1000]))
        )
        if classes:
            query = query.join(Customer, col(Customer.id) == Ticket.customer_id, isouter=True).join(
                Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True
            )
        out.extend(_Facts(*r[1:]) for r in s.connection().execute(query) if r[0])
    return out


def _id_in(s: Session, column: Any, ids: list[int]) -> Any:
    """column IN ids; on PostgreSQL one array parameter (= ANY), far cheaper than 1000 parameters."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy import BigInteger, any_, bindparam
        from sqlalchemy.dialects.postgresql import ARRAY

        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))
    return col(column).in_(list(ids))


def _fired_keys(s: Session, rules: list[Rule], ids: list[int]) -> set[tuple[int, int, str]]:
    """The firings already recorded for these tickets (one rule at a time: the primary key's prefix)."""
    out: set[tuple[int, int, str]] = set()
    for rule in rules:
        for i in range(0, len(ids), 1000):
            out.update(
                tuple(r)
                for r in s.connection().execute(
                    select(
                        EscalationFiring.rule_id, EscalationFiring.ticket_id, EscalationFiring.threshold
                    ).where(
                        EscalationFiring.rule_id == rule.id,
                        _id_in(s, EscalationFiring.ticket_id, ids[i : i + 1000]),
                    )
                )
            )
    return out


@dataclass
class _Narrowing:
    """A rule's narrowing resolved to ids once a pass."""

    teams: frozenset[int] | None
    categories: frozenset[int] | None

    @classmethod
    def of(cls, s: Session, rule: Rule) -> _Narrowing:
        teams = categories = None
        if rule.team:
            teams = frozenset(s.exec(select(Team.id).where(col(Team.name).in_(rule.team))).all())
        if rule.category:
            paths = s.exec(select(Category.id, Category.path)).all()
            categories = frozenset(
                i for i, p in paths if any(p == c or p.startswith(c + "/") for c in rule.category)
            )
        return cls(teams, categories)  # type: ignore[arg-type]

    def matches(self, rule: Rule, f: _Facts) -> bool:
        return (
            (not rule.priority or f.priority in rule.priority)
            and (not rule.kind or f.kind in rule.kind)
            and (not rule.customer_class or f.customer_class in rule.customer_class)
            and (self.teams is None or f.team_id in self.teams)
            and (self.categories is None or f.category_id in self.categories)
        )


def _reached(
    rule: Rule,
    step: str,
    f: _Facts,
    now: datetime,
    book: sla.PolicyBook,
    queued: dict[int, datetime],
    highs: dict[tuple[int, str, str], datetime],
    handover_minutes: float,
) -> tuple[Any, str] | None:
    """(sort key, why) when the ticket has reached this step of the rule by now."""
    trigger = rule.trigger
    clocked = trigger in SLA_TRIGGERS or trigger == "unassigned"
    if clocked and f.status in PENDING_STATUSES:  # the clock is stopped
        return None
    if trigger in SLA_TRIGGERS:
        what = "respond" if trigger == "not_responded" else "resolve"
        due = f.respond_by if what == "respond" else f.resolve_by
        target = book.target(f.priority, f.customer_class)
        if due is None or target is None or (what == "respond" and f.responded_at is not None):
            return None
        bound = (id(target), what, step)
        if bound not in highs:
            highs[bound] = _due_bounds(target, what, step, now, now)[1]
        if due > highs[bound]:  # cheap: far from the step
            return None
        total, left = _left(target, what, step)
        surely = due <= now if left >= 0 else True  # overdue steps: the bound is exact
        if not surely and remaining_minutes(target.calendar, due, now) > left:
            return None
        verb = "responded to" if what == "respond" else "resolved"
        return due, (
            f"not {verb}: {step} of the {total} min {what} target (P{f.priority}) elapsed, "
            f"due {due:%Y-%m-%d %H:%M} UTC"
        )
    if trigger == "unassigned":
        if f.assignee_id is not None:
            return None
        since = max(f.created_at, queued.get(f.id, f.created_at))
        target = book.target(f.priority, f.customer_class)
        cal = target.calendar if target is not None else sla.ALWAYS_OPEN
        limit = _queue_minutes(step, handover_minutes)
        due = sla.handover_due(cal, since, limit)
        if due > now:
            return None
        hours = "" if cal.always_open else " of business hours"
        return since, (
            f"unassigned in the team queue for {limit:g} min{hours} "
            f"(since {since:%Y-%m-%d %H:%M} UTC, hand-over due {due:%Y-%m-%d %H:%M} UTC)"
        )
    if trigger == "chased":
        return (f.id, f"the customer chased {step} times") if f.chase_count >= int(step) else None
    return (f.id, "the ticket is a complaint") if f.kind == Kind.COMPLAINT else None


def _queued_since(s: Session, ticket_ids: list[int]) -> dict[int, datetime]:
    """When each ticket last entered a team queue (a transfer, a functional escalation, a reopen)."""
    out: dict[int, datetime] = {}
    for i in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[i : i + 500]
        rows = s.exec(
            select(TicketEvent.ticket_id, TicketEvent.at).where(
                col(TicketEvent.ticket_id).in_(chunk),
                or_(
                    and_(
                        col(TicketEvent.kind).in_([EventKind.TRANSFERRED, EventKind.ESCALATED]),
                        col(TicketEvent.data).contains('"to_team"'),
                    ),
                    TicketEvent.kind == EventKind.REOPENED,
                ),
            )
        ).all()
        for tid, at in rows:
            if tid not in out or at > out[tid]:
                out[tid] = at
    return out


def _counter(s: Session, name: str) -> int | None:
    return s.execute(text("SELECT value FROM counter WHERE name = :n"), {"n": name}).scalar()


def _set_counters(db: Database, values: dict[str, int]) -> None:
    with db.write() as s:
        for name, value in values.items():
            done = s.execute(
                text("UPDATE counter SET value = :v WHERE name = :n"), {"v": value, "n": name}
            ).rowcount
            if not done:
                s.execute(text("INSERT INTO counter (name, value) VALUES (:n, :v)"), {"n": name, "v": value})


def plan_scope(db: Database, now: datetime, *, sweep: int = SWEEP_IDS, window: timedelta = WINDOW) -> Scope:
    """This pass's scope, and the marks for the next (kept in `counter`, so a restarted or a
    second watcher carries on where the last pass stopped)."""
    with db.read() as s:
        newest_event = s.exec(select(func.max(TicketEvent.id))).one() or 0
        last_ticket = s.exec(select(func.max(Ticket.id))).one() or 0
        seen = _counter(s, _EVENTS_COUNTER)
        start = _counter(s, _SWEEP_COUNTER) or 0
        # events commit out of id order under concurrency: look a little before the mark
        since = max((seen if seen is not None else 0) - 1000, newest_event - RECENT_EVENTS, 0)
        # no DISTINCT: SQLite would scan a whole index for it instead of the primary key's range
        recent = {
            r[0]
            for r in s.connection().execute(select(TicketEvent.ticket_id).where(col(TicketEvent.id) > since))
        }
    start = 0 if start > last_ticket else start
    end = start + sweep
    # IntegrityError: another watcher created the marks at the same moment; theirs will do
    with contextlib.suppress(IntegrityError):
        _set_counters(db, {_EVENTS_COUNTER: newest_event, _SWEEP_COUNTER: end if end <= last_ticket else 0})
    return Scope(window_from=now - window, recent=tuple(sorted(recent)), sweep=(start, end))


def due_firings(
    db: Database,
    rules: list[Rule],
    now: datetime,
    scope: Scope | None,
    *,
    handover_minutes: float = HANDOVER_MINUTES,
) -> tuple[list[tuple[Rule, int, list[tuple[Any, int, str, str]]]], int]:
    """For each rule step: (rule, step index, [(sort key, ticket id, firing key, why)]) not yet
    fired, as of the database now; and how many tickets were looked at. A later step is listed
    when the step before it has fired or is listed too (then it fires first, in the same pass)."""
    with db.read() as s:
        book = sla.PolicyBook(s)
        classes = book.has_class_policies or any(r.customer_class for r in rules)
        facts = _load(s, _scope_ids(s, rules, book, now, scope, handover_minutes), classes)
        ids = [f.id for f in facts]
        fired = _fired_keys(s, rules, ids)
        queued = (
            _queued_since(s, [f.id for f in facts if f.assignee_id is None])
            if any(r.trigger == "unassigned" for r in rules)
            else {}
        )
        narrowing = {r.id: _Narrowing.of(s, r) for r in rules}
    out = []
    highs: dict[tuple[int, str, str], datetime] = {}
    for rule in rules:
        listed: set[int] = set()  # tickets listed for the previous step
        for index, step in enumerate(rule.steps):
            found = []
            for f in facts:
                if not narrowing[rule.id].matches(rule, f):
                    continue
                key = _key_for(rule, step, f.team_id)
                if (rule.id, f.id, key) in fired:
                    continue
                if (
                    index > 0
                    and f.id not in listed
                    and (rule.id, f.id, _key_for(rule, rule.steps[index - 1], f.team_id)) not in fired
                ):
                    continue  # thresholds fire in order: this one waits for the previous one
                hit = _reached(rule, step, f, now, book, queued, highs, handover_minutes)
                if hit is not None:
                    found.append((hit[0], f.id, key, hit[1]))
            found.sort(key=lambda c: (c[0], c[1]))
            out.append((rule, index, found))
            listed = {c[1] for c in found}
    return out, len(facts)


def run_pass(
    db: Database,
    *,
    limit: int = 500,
    now: datetime | None = None,
    scope: Scope | None = None,
    log: Callable[[str], None] | None = None,
    handover_minutes: float = HANDOVER_MINUTES,
) -> PassReport:
    """Apply every enabled rule once: at most `limit` firings per rule and pass, most overdue first;
    a ticket that has crossed several thresholds of a rule gets them all, in order.
    Without a scope every open ticket is looked at; the watcher passes `plan_scope(...)`."""
    started = time.perf_counter()
    now = now or clock.now()
    report = PassReport(started=now)
    with db.read() as s:
        rules = [
            _rule_from_row(r)
            for r in s.exec(
                select(EscalationRule)
                .where(col(EscalationRule.enabled).is_(True))
                .order_by(EscalationRule.position, EscalationRule.id)
            ).all()
        ]
    if not rules:
        report.seconds = time.perf_counter() - started
        return report
    plan, report.candidates = due_firings(db, rules, now, scope, handover_minutes=handover_minutes)
    planned = {(rule.id, c[1], c[2]) for rule, _index, found in plan for c in found}
    done_keys: set[tuple[int, int, str]] = set()
    budgets = {r.id: limit for r in rules}
    for rule, index, found in plan:
        for _sort, ticket_id, key, why in found:
            if budgets[rule.id] <= 0:
                report.waiting += 1
                break
            if index > 0:  # thresholds fire in order: a previous one planned now must have fired
                prev = (rule.id, ticket_id, _key_for(rule, rule.steps[index - 1], _team_of(key)))
                if prev in planned and prev not in done_keys:
                    continue
            result = _fire(db, rule, index, key, ticket_id, why, now)
            if result is None:
                report.lost += 1
                continue
            done_keys.add((rule.id, ticket_id, key))
            report.fired.append(result)
            budgets[rule.id] -= 1
            if log:
                log(f"{result.number}: rule {rule.name!r} fired at {key}: {why}; {'; '.join(result.effects)}")
    report.seconds = time.perf_counter() - started
    return report


def _team_of(key: str) -> int | None:
    return int(key.split("@", 1)[1]) if "@" in key else None


def _still_applies(rule: Rule, step: str, t: Ticket) -> bool:
    if not t.is_open:
        return False
    clocked = rule.trigger in SLA_TRIGGERS or rule.trigger == "unassigned"
    if clocked and t.status in PENDING_STATUSES:  # the clock is stopped
        return False
    if rule.trigger == "not_responded":
        return t.responded_at is None
    if rule.trigger == "unassigned":
        return t.assignee_id is None
    if rule.trigger == "chased":
        return t.chase_count >= int(step)
    if rule.trigger == "complaint":
        return t.kind == Kind.COMPLAINT
    return True


def _fire(
    db: Database, rule: Rule, index: int, key: str, ticket_id: int, why: str, now: datetime
) -> Fired | None:
    """Insert the firing row and apply the actions in one transaction; None when another watcher
    fired it first (duplicate key) or the ticket no longer meets the rule."""

    def work(s: Session) -> Fired:
        s.add(EscalationFiring(rule_id=rule.id, ticket_id=ticket_id, threshold=key, at=now))
        s.flush()  # a duplicate key fails here, before anything else is done
        t = s.exec(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).one()
        if not _still_applies(rule, rule.steps[index], t):
            raise _Stale
        effects = _apply(s, rule, index + 1, t, f"Rule “{rule.name}” fired ({key}): {why}", key)
        return Fired(rule.name, t.number, key, why, effects)

    try:
        return db.retrying(work)
    except (IntegrityError, _Stale):
        return None


def _role_members(s: Session, role: str, team_id: int | None) -> list[int]:
    base = select(Agent.id).where(Agent.role == role, col(Agent.active).is_(True))
    ids = list(s.exec(base.where(Agent.team_id == team_id)).all()) if team_id else []
    return ids or list(s.exec(base).all())


def _apply(s: Session, rule: Rule, level: int, t: Ticket, headline: str, key: str) -> list[str]:
    """The rule's actions on a locked ticket, its event and its notifications."""
    effects: list[str] = []
    recipients: dict[int, str] = {}
    changed = escalated = False
    to_person: Agent | None = None
    data: dict[str, Any] = {"rule": rule.name, "rule_id": rule.id, "threshold": key}
    if rule.raise_priority and t.priority > 1:
        old = t.priority
        t.priority = max(1, t.priority - rule.raise_priority)
        sla.recompute_due_times(s, t)
        effects.append(f"priority P{old} → P{t.priority}")
        data["priority"] = [old, t.priority]
        changed = True
    if rule.functional:
        team = (
            next_tier_team(s, t)
            if rule.functional == "next_tier"
            else s.exec(select(Team).where(Team.name == rule.functional)).first()
        )
        if team is None or team.id == t.team_id:
            effects.append("no other line to move it to")
        elif team.tier < t.tier:  # never down to a less skilled line
            effects.append(f"not moved down to {team.name} (tier {team.tier}) from tier {t.tier}")
        else:
            _move_to_team(t, team)
            effects.append(f"moved to {team.name} (tier {team.tier})")
            data["to_team"] = team.name
            lead = team_lead(s, team.id)
            if lead is not None and lead.id is not None:
                recipients[lead.id] = "escalated"
            changed = escalated = True
    if rule.hierarchical:
        holder, held = _line_level(s, t)
        if holder is not None and held >= level:  # never handed down the line
            effects.append(f"with {holder.name} already (level {held} of the line)")
        else:
            to_person = chain_person(s, t, level)
            if to_person is None or to_person.id is None:
                effects.append(f"nobody at level {level} of the line")
            else:
                t.escalated_to_id = to_person.id
                recipients[to_person.id] = "escalated"
                effects.append(f"escalated to {to_person.name} (level {level} of the line)")
                data["escalated_to"] = to_person.login
                changed = escalated = True
    if escalated:  # the ticket's level counts its escalations: this one adds one, whatever the step
        t.escalation_level += 1
        effects.append(f"escalation level {t.escalation_level - 1} → {t.escalation_level}")
    if rule.notify_assignee and t.assignee_id is not None:
        recipients.setdefault(t.assignee_id, rule.notice)
    if rule.notify_agents:
        for agent_id in s.exec(
            select(Agent.id).where(col(Agent.login).in_(rule.notify_agents), col(Agent.active).is_(True))
        ).all():
            recipients.setdefault(agent_id, rule.notice)
    for role in rule.notify_roles:
        for agent_id in _role_members(s, role, t.team_id):
            recipients.setdefault(agent_id, rule.notice)
    if recipients:
        effects.append(f"{len(recipients)} notified")
    if changed:
        tickets.touch(t)
        data["version"] = t.version
    else:  # only notices: like a note, the version (and so nobody's edit) is not disturbed
        t.updated_at = clock.now()
    data.update(level=t.escalation_level, effects=effects)
    body = headline + (". " + "; ".join(effects) if effects else "")
    tickets.record_event(s, t, None, EventKind.ESCALATED, body, data=data)
    for agent_id, kind in recipients.items():
        words = "escalated to you" if agent_id == (to_person.id if to_person else None) else rule.name
        notify.add(s, agent_id, kind, f"{t.number} {words}: {headline.split(': ', 1)[-1]} · {t.summary}", t)
    return effects


def _move_to_team(t: Ticket, team: Team) -> None:
    """Functional escalation: the ticket joins the team's queue, unassigned, at the team's tier."""
    t.team_id, t.tier = team.id, team.tier
    t.assignee_id, t.assigned_at = None, None
    if t.status in (Status.ASSIGNED, Status.IN_PROGRESS):
        t.status = Status.NEW


# --- manual escalation -------------------------------------------------------------------------------


MODES = ("functional", "hierarchical")
_DURATION = re.compile(r"(\d+)\s*(d|h|m|min)?", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """'90', '90m', '2h', '1h30m', '1d' → minutes; InvalidInput({'expected': …}) otherwise."""
    raw = (text or "").strip().lower().replace(" ", "")
    if not raw:
        raise InvalidInput({"expected": "required: how long the next line expects to need (e.g. 2h)"})
    pos, total = 0, 0
    for m in _DURATION.finditer(raw):
        if m.start() != pos:
            break
        total += int(m.group(1)) * {"d": 1440, "h": 60}.get(m.group(2) or "m", 1)
        pos = m.end()
    if pos != len(raw) or total <= 0:
        raise InvalidInput({"expected": "a duration such as 45m, 2h, 1h30m or 1d"})
    if total > 60 * 24 * 90:
        raise InvalidInput({"expected": "at most 90 days"})
    return total


def format_minutes(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p)


def may_escalate(actor: Actor, mode: str, assignee_id: int | None, team_id: int | None) -> bool:
    """Functional: the assignee, the ticket's team, supervisors. Hierarchical also the desk's
    operators, who go up the contact list when the team cannot be reached (逐级向上联系)."""
    if actor.is_supervisor or actor.id == assignee_id or (team_id is not None and team_id == actor.team_id):
        return True
    return mode == "hierarchical" and actor.role == Role.OPERATOR


@dataclass(frozen=True)
class EscalationOptions:
    number: str
    version: int
    team: str
    tier: int
    teams: list[tuple[str, int]]  # (name, tier) the ticket may move to
    next_tier_team: str  # the default functional target, "" when none
    next_person: str  # who a hierarchical escalation reaches now, "" when nobody
    level: int
    allowed: tuple[str, ...]  # the modes this agent may use


def escalation_options(db: Database, actor: Actor, number: str) -> EscalationOptions:
    with db.read() as s:
        require(s, actor, "tickets.read")
        t = _ticket(s, number)
        team = s.get(Team, t.team_id) if t.team_id else None
        nxt = next_tier_team(s, t)
        person = _next_up(s, t)
        teams = [(n, tier) for n, tier in s.exec(select(Team.name, Team.tier).order_by(Team.tier, Team.name))]
        return EscalationOptions(
            number=t.number,
            version=t.version,
            team=team.name if team else "",
            tier=t.tier,
            teams=[(n, tier) for n, tier in teams if not team or n != team.name],
            next_tier_team=nxt.name if nxt else "",
            next_person=f"{person.name} ({person.login})" if person else "",
            level=t.escalation_level,
            allowed=tuple(m for m in MODES if t.is_open and may_escalate(actor, m, t.assignee_id, t.team_id)),
        )


def _ticket(s: Session, number: str, lock: bool = False) -> Ticket:
    return tickets.find_ticket(s, number, lock=lock)


def _next_up(s: Session, t: Ticket) -> Agent | None:
    """The next person up: above whoever it was last escalated to, else level 1 of the line."""
    current = s.get(Agent, t.escalated_to_id) if t.escalated_to_id else None
    return _manager(s, current) if current else chain_person(s, t, 1)


@dataclass(frozen=True)
class EscalationResult:
    number: str
    mode: str
    to: str  # the team or the person it went to
    level: int
    expected_minutes: int
    expected_by: datetime
    version: int
    body: str


def escalate(
    db: Database,
    actor: Actor,
    number: str,
    *,
    mode: str,
    reason: str,
    expected: str | int,
    team: str | None = None,
    version: int | None = None,
) -> EscalationResult:
    """Escalate by hand: functional (to `team`, default the next tier) or hierarchical (the next
    person up the line), with the reason and the time the next line expects to need, which the
    desk reads to the customer. `version`, when given, refuses a ticket changed meanwhile."""
    errors: dict[str, str] = {}
    if mode not in MODES:
        errors["mode"] = f"one of {', '.join(MODES)}"
    reason = inputs.text(reason, "reason", errors=errors)
    team = inputs.key(team) if team else None
    if not reason:
        errors.setdefault("reason", "required: why does it go up?")
    try:
        minutes = expected if isinstance(expected, int) else parse_duration(expected)
        if minutes <= 0:
            raise InvalidInput({"expected": "a positive duration"})
    except InvalidInput as e:
        errors.update(e.errors)
        minutes = 0
    if errors:
        raise InvalidInput(errors)

    def work(s: Session) -> EscalationResult:
        t = _ticket(s, number, lock=True)
        require(s, actor, "tickets.read")
        if not may_escalate(actor, mode, t.assignee_id, t.team_id):
            who = "its assignee, its team or a supervisor" + (
                " or the desk" if mode == "hierarchical" else ""
            )
            raise PermissionDenied(f"{actor.login} may not escalate {t.number}: only {who} may")
        if version is not None and t.version != version:
            raise Conflict(f"{t.number} was changed meanwhile: look at it again before escalating")
        if not t.is_open:
            raise InvalidInput({"status": f"{t.number} is {t.status}: only open tickets are escalated"})
        now = clock.now()
        expected_by = now + timedelta(minutes=minutes)
        promise = f"expected within {format_minutes(minutes)}"
        data: dict[str, Any] = {
            "mode": mode,
            "reason": reason,
            "expected_minutes": minutes,
            "expected_by": expected_by.isoformat(),
        }
        if mode == "functional":
            dest = s.exec(select(Team).where(Team.name == team)).first() if team else next_tier_team(s, t)
            if dest is None:
                raise InvalidInput({"team": f"no team {team!r}" if team else "no higher tier to escalate to"})
            if dest.id == t.team_id:
                raise InvalidInput({"team": f"{t.number} is with {dest.name} already"})
            _move_to_team(t, dest)
            to, recipient = f"{dest.name} (tier {dest.tier})", team_lead(s, dest.id)
            data["to_team"] = dest.name
        else:
            recipient = _next_up(s, t)
            if recipient is not None and recipient.id == actor.id:  # one cannot escalate to oneself
                recipient = _manager(s, recipient)
            if recipient is None:
                raise InvalidInput(
                    {"mode": f"{t.number} is at the top of its line: nobody above to escalate to"}
                )
            t.escalated_to_id = recipient.id
            to = recipient.name
            data["escalated_to"] = recipient.login
        t.escalation_level += 1
        tickets.touch(t)
        data.update(level=t.escalation_level, version=t.version)
        body = f"Escalated ({mode}) to {to} by {actor.name}: {reason}; {promise}"
        tickets.record_event(s, t, actor.id, EventKind.ESCALATED, body, data=data)
        if recipient is not None and recipient.id is not None and recipient.id != actor.id:
            notify.add(
                s, recipient.id, "escalated", f"{t.number} escalated to you by {actor.name}: {reason}", t
            )
        return EscalationResult(t.number, mode, to, t.escalation_level, minutes, expected_by, t.version, body)

    return db.retrying(work)
