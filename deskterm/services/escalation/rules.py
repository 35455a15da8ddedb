"""Escalation rules as data: parsing and validating a rule's condition and actions, the rules
administration (list, add, enable/disable) and the shipped rules (scripts_data/escalation_rules.toml)."""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ...db import Database
from ...i18n import later
from ...models import Agent, Category, EscalationRule, Kind, Role, Team
from .. import directory, inputs
from ..auth import Actor, require
from ..errors import Conflict, InvalidInput, NotFound

RULES_FILE = Path(__file__).resolve().parents[2] / "scripts_data" / "escalation_rules.toml"

SLA_TRIGGERS = ("not_responded", "not_resolved")
TRIGGERS = (*SLA_TRIGGERS, "unassigned", "chased", "complaint")
NOTICES = ("escalated", "breach")
NAME_MAX = 200  # a team, category or login a rule names (none is longer)


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


# a threshold: a number of minutes (m, the default), hours (h) or per cent (%)
_STEP = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(%|m|h)?\s*$")


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
        errors["trigger"] = later("one of {choices}", choices=", ".join(TRIGGERS))
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
        errors["kind"] = later("kinds: {choices}", choices=", ".join(Kind))
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
        errors["notify_roles"] = later("roles: {choices}", choices=", ".join(Role))
    notify_assignee = bool(then.pop("notify_assignee", False))
    notice = str(then.pop("notice", "escalated"))
    if notice not in NOTICES:
        errors["notice"] = later("one of {choices}", choices=", ".join(NOTICES))
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


def rule_from_row(row: EscalationRule) -> Rule:
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
        errors["team"] = later("no team '{team}'", team=missing[0])
    if rule.functional and rule.functional != "next_tier" and rule.functional not in teams:
        errors["functional"] = later("'next_tier' or a team name; no team '{team}'", team=rule.functional)
    paths = set(s.exec(select(Category.path)).all())
    if missing := [
        c for c in rule.category if c not in paths and not any(p.startswith(c + "/") for p in paths)
    ]:
        errors["category"] = later("no category '{category}'", category=missing[0])
    logins = set(s.exec(select(Agent.login)).all())
    if missing := [a for a in rule.notify_agents if a not in logins]:
        errors["notify_agents"] = later("no agent '{login}'", login=missing[0])
    if errors:
        raise InvalidInput(errors)


# --- rules: administration -------------------------------------------------------------------------


def _require_manager(s: Session, actor: Actor) -> None:
    """Rules are the desk's policy: supervisors and admins."""
    require(s, actor, "desk.configure")


def list_rules(db: Database) -> list[Rule]:
    """Every rule, in the order the watcher applies them."""
    return _rules(db, enabled_only=False)


def enabled_rules(db: Database) -> list[Rule]:
    """The rules a pass applies, in order."""
    return _rules(db, enabled_only=True)


def _rules(db: Database, *, enabled_only: bool) -> list[Rule]:
    query = select(EscalationRule).order_by(col(EscalationRule.position), col(EscalationRule.id))
    if enabled_only:
        query = query.where(col(EscalationRule.enabled).is_(True))
    with db.read() as s:
        return [rule_from_row(r) for r in s.exec(query).all()]


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
                raise Conflict(later("a rule named '{name}' exists", name=name))
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
            return rule_from_row(row)
    except IntegrityError:
        raise Conflict(later("a rule named '{name}' exists", name=name)) from None


def set_enabled(db: Database, actor: Actor, name: str, enabled: bool) -> Rule:
    with db.write() as s:
        _require_manager(s, actor)
        row = _rule_row(s, name)
        row.enabled = enabled
        return rule_from_row(row)


def _rule_row(s: Session, name: str) -> EscalationRule:
    row = directory.by_name_or_id(s, EscalationRule, EscalationRule.name, name)
    if row is None:
        raise NotFound(later("no escalation rule '{name}'", name=name))
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
