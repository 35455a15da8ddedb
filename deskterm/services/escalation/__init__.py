"""Escalation (升级): rules as data, the watcher's pass that applies them, and manual escalation.

The package along its seams: `rules` (parsing, validating and administering the rules), `chain`
(who is up the line, the next tier), `due` (what a pass looks at and finds due), `watcher` (the pass
that fires the rules and applies their actions) and `manual` (escalation by hand). Callers use the
names below: `from deskterm.services import escalation; escalation.run_pass(...)`.

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

from .chain import chain_person, next_tier_team, team_lead
from .due import RECENT_EVENTS, SWEEP_IDS, WINDOW, Scope, due_firings, plan_scope
from .manual import (
    MODES,
    EscalationOptions,
    EscalationResult,
    escalate,
    escalation_options,
    format_minutes,
    may_escalate,
    parse_duration,
)
from .rules import (
    NOTICES,
    RULES_FILE,
    TRIGGERS,
    Rule,
    add_rule,
    enabled_rules,
    list_rules,
    parse_rule,
    rule_from_row,
    seed_rules,
    seed_rules_in,
    set_enabled,
    shipped_rules,
)
from .watcher import BATCH, Fired, PassProgress, PassReport, run_pass

__all__ = [
    "BATCH",
    "MODES",
    "NOTICES",
    "RECENT_EVENTS",
    "RULES_FILE",
    "SWEEP_IDS",
    "TRIGGERS",
    "WINDOW",
    "EscalationOptions",
    "EscalationResult",
    "Fired",
    "PassProgress",
    "PassReport",
    "Rule",
    "Scope",
    "add_rule",
    "chain_person",
    "due_firings",
    "enabled_rules",
    "escalate",
    "escalation_options",
    "format_minutes",
    "list_rules",
    "may_escalate",
    "next_tier_team",
    "parse_duration",
    "parse_rule",
    "plan_scope",
    "rule_from_row",
    "run_pass",
    "seed_rules",
    "seed_rules_in",
    "set_enabled",
    "shipped_rules",
    "team_lead",
]
