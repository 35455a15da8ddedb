"""The watcher's pass: fire every due rule step, at most once per rule, ticket and threshold
(the `escalation_firing` row is inserted in the same transaction as the actions), applying the
rule's actions to the locked ticket: its event and its notifications."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ... import clock
from ...config import HANDOVER_MINUTES
from ...db import Database, fresh_statistics
from ...models import PENDING_STATUSES, Agent, EscalationFiring, EventKind, Kind, Team, Ticket
from .. import notify, sla, tickets
from .chain import chain_person, line_level, move_to_team, next_tier_team, team_lead
from .due import Scope, due_firings, key_for
from .rules import SLA_TRIGGERS, Rule, enabled_rules


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
    due: int = 0  # firings found due (within the limits or not)
    analyzed: list[str] = field(default_factory=list)  # tables whose statistics the pass refreshed


# (done, due): firings tried so far of those this pass found due, after each committed batch
PassProgress = Callable[[int, int], None]
FILLED = ("escalation_firing",)  # the table passes fill, whose statistics a pass keeps fresh
BATCH = 50  # firings a transaction: a backlog commits in steps this size, each its own savepoint


class _Stale(Exception):
    """The ticket no longer meets the rule (changed between the query and the firing)."""


@dataclass
class _Walk:
    """Where a pass is in its plan: what it has fired and what each rule may still fire."""

    at: int = 0
    budgets: dict[int, int] = field(default_factory=dict)
    done: set[tuple[int, int, str]] = field(default_factory=set)
    full: set[tuple[int, int]] = field(default_factory=set)  # (rule, step) lists cut by the budget
    fired: list[Fired] = field(default_factory=list)
    lost: int = 0

    def copy(self) -> _Walk:
        return _Walk(self.at, dict(self.budgets), set(self.done), set(self.full), list(self.fired), self.lost)


def run_pass(
    db: Database,
    *,
    limit: int = 500,
    now: datetime | None = None,
    scope: Scope | None = None,
    log: Callable[[str], None] | None = None,
    handover_minutes: float = HANDOVER_MINUTES,
    batch: int = BATCH,
    progress: PassProgress | None = None,
    analyze: bool = True,
) -> PassReport:
    """Apply every enabled rule once: at most `limit` firings per rule and pass, most overdue first;
    a ticket that has crossed several thresholds of a rule gets them all, in order.
    Without a scope every open ticket is looked at; the watcher passes `plan_scope(...)`.
    The firings commit `batch` at a time (each in its own savepoint: one lost to another watcher
    or no longer due leaves the others be), `progress` told after each batch; the result is the
    same whatever the batch. First the statistics of the tables passes fill are refreshed if
    stale (`analyze`), so their queries are planned for the rows they hold."""
    started = time.perf_counter()
    now = now or clock.now()
    report = PassReport(started=now)
    rules = enabled_rules(db)
    if not rules:
        report.seconds = time.perf_counter() - started
        return report
    if analyze:
        report.analyzed = fresh_statistics(db, FILLED)
    plan, report.candidates = due_firings(db, rules, now, scope, handover_minutes=handover_minutes)
    planned = {(rule.id, c[1], c[2]) for rule, _index, found in plan for c in found}
    steps = [(rule, index, c) for rule, index, found in plan for c in found]
    report.due = len(steps)
    walk = _Walk(budgets={r.id: limit for r in rules})
    while walk.at < len(steps):
        logged = len(walk.fired)
        walk = db.retrying(
            partial(_fire_batch, steps=steps, planned=planned, walk=walk, batch=batch, now=now)
        )
        if log:
            for result in walk.fired[logged:]:
                log(
                    f"{result.number}: rule {result.rule!r} fired at {result.threshold}: {result.why}; "
                    f"{'; '.join(result.effects)}"
                )
        if progress:
            progress(walk.at, len(steps))
    report.fired, report.lost, report.waiting = walk.fired, walk.lost, len(walk.full)
    report.seconds = time.perf_counter() - started
    return report


def _fire_batch(
    s: Session,
    steps: list[tuple[Rule, int, tuple[Any, int, str, str]]],
    planned: set[tuple[int, int, str]],
    walk: _Walk,
    batch: int,
    now: datetime,
) -> _Walk:
    """Fire the plan from `walk.at` on until `batch` firings have been tried, in one transaction;
    where the walk is then (a copy: a transaction retried starts again from the same place)."""
    walk, tried = walk.copy(), 0
    while walk.at < len(steps) and tried < batch:
        rule, index, (_sort, ticket_id, key, why) = steps[walk.at]
        walk.at += 1
        if (rule.id, index) in walk.full:
            continue
        if walk.budgets[rule.id] <= 0:
            walk.full.add((rule.id, index))
            continue
        if index > 0:  # thresholds fire in order: a previous one planned now must have fired
            prev = (rule.id, ticket_id, key_for(rule, rule.steps[index - 1], _team_of(key)))
            if prev in planned and prev not in walk.done:
                continue
        tried += 1
        result = _fire(s, rule, index, key, ticket_id, why, now)
        if result is None:
            walk.lost += 1
            continue
        walk.done.add((rule.id, ticket_id, key))
        walk.fired.append(result)
        walk.budgets[rule.id] -= 1
    return walk


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
    s: Session, rule: Rule, index: int, key: str, ticket_id: int, why: str, now: datetime
) -> Fired | None:
    """Insert the firing row and apply the actions in a savepoint of the batch's transaction; None
    (the savepoint rolled back) when another watcher fired it first (duplicate key) or the ticket
    no longer meets the rule."""
    try:
        with s.begin_nested():
            s.add(EscalationFiring(rule_id=rule.id, ticket_id=ticket_id, threshold=key, at=now))
            s.flush()  # a duplicate key fails here, before anything else is done
            t = s.exec(select(Ticket).where(Ticket.id == ticket_id).with_for_update()).one()
            if not _still_applies(rule, rule.steps[index], t):
                raise _Stale
            effects = _apply(s, rule, index + 1, t, f"Rule “{rule.name}” fired ({key}): {why}", key)
            s.flush()
            return Fired(rule.name, t.number, key, why, effects)
    except (IntegrityError, _Stale):
        return None


def _active_agents(s: Session, *where: Any) -> list[int]:
    """The ids of the active agents who meet the conditions."""
    query = select(Agent.id).where(*where, col(Agent.active).is_(True))
    return [i for i in s.exec(query).all() if i is not None]


def _role_members(s: Session, role: str, team_id: int | None) -> list[int]:
    """The role's members in the team, else (none there) the role's members anywhere."""
    in_team = _active_agents(s, col(Agent.role) == role, col(Agent.team_id) == team_id) if team_id else []
    return in_team or _active_agents(s, col(Agent.role) == role)


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
            move_to_team(t, team)
            effects.append(f"moved to {team.name} (tier {team.tier})")
            data["to_team"] = team.name
            lead = team_lead(s, team.id)
            if lead is not None and lead.id is not None:
                recipients[lead.id] = "escalated"
            changed = escalated = True
    if rule.hierarchical:
        holder, held = line_level(s, t)
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
        for agent_id in _active_agents(s, col(Agent.login).in_(rule.notify_agents)):
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
