"""`deskterm escalation`: the automatic escalation rules (data, applied by `deskterm watch`)."""

from __future__ import annotations

from typing import Any

import typer

from .common import (
    AS,
    TABLE_OR_JSON,
    authenticate,
    cell,
    open_db,
    out,
    print_json,
    print_table,
    user_errors,
    yes_no,
)

app = typer.Typer(
    help="Automatic escalation rules (data, applied by `deskterm watch`).", no_args_is_help=True
)


@app.command("list")
@user_errors
def escalation_list(fmt: str = TABLE_OR_JSON, as_: str = AS) -> None:
    """List the rules in the order they are applied."""
    from ..services import escalation

    database = open_db()
    authenticate(database, as_)  # every agent may read the desk's escalation rules
    escalation.seed_rules(database)
    rules = escalation.list_rules(database)
    if fmt == "json":
        print_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "enabled": r.enabled,
                    "position": r.position,
                    "when": r.when(),
                    "then": r.then(),
                }
                for r in rules
            ]
        )
        return
    print_table(
        ("id", "pos", "on", "name", "when → then"),
        ((str(r.id), str(r.position), yes_no(r.enabled), cell(r.name), cell(r.describe())) for r in rules),
    )


@app.command("add")
@user_errors
def escalation_add(
    name: str,
    trigger: str = typer.Option(
        ..., "--trigger", help="not_responded | not_resolved | unassigned | chased | complaint"
    ),
    at: list[str] = typer.Option([], "--at", help="Threshold (repeat): 75%, 100%, 150%; 15m; 2 (chases)."),
    priority: list[int] = typer.Option([], "--priority", help="Only these priorities (repeat)."),
    category: list[str] = typer.Option([], "--category", help="Only these categories and their children."),
    team: list[str] = typer.Option([], "--team", help="Only tickets of these teams."),
    customer_class: list[str] = typer.Option([], "--class", help="Only these customer classes."),
    kind: list[str] = typer.Option([], "--kind", help="Only these kinds."),
    functional: str = typer.Option("", "--functional", help="'next_tier' or a team name."),
    hierarchical: bool = typer.Option(
        False, "--hierarchical", help="Up the manager line, one level a threshold."
    ),
    raise_priority: int = typer.Option(0, "--raise-priority", min=0, max=4),
    notify_agent: list[str] = typer.Option([], "--notify-agent", help="Login to notify (repeat)."),
    notify_role: list[str] = typer.Option([], "--notify-role", help="Role to notify: the team's, else all."),
    notify_assignee: bool = typer.Option(False, "--notify-assignee"),
    notice: str = typer.Option("escalated", "--notice", help="escalated | breach (the inbox kind)."),
    position: int | None = typer.Option(None, "--position", help="Order among the rules (default: last)."),
    disabled: bool = typer.Option(False, "--disabled", help="Add it switched off."),
    as_: str = AS,
) -> None:
    """Add a rule."""
    from ..services import escalation

    when: dict[str, Any] = {"trigger": trigger}
    if at:
        when["at"] = at
    for key, values in (
        ("priority", priority),
        ("category", category),
        ("team", team),
        ("customer_class", customer_class),
        ("kind", kind),
    ):
        if values:
            when[key] = list(values)
    then: dict[str, Any] = {
        "functional": functional,
        "hierarchical": hierarchical,
        "raise_priority": raise_priority,
        "notify_agents": list(notify_agent),
        "notify_roles": list(notify_role),
        "notify_assignee": notify_assignee,
        "notice": notice,
    }
    database = open_db()
    rule = escalation.add_rule(
        database,
        authenticate(database, as_),
        name=name,
        when=when,
        then=then,
        position=position,
        enabled=not disabled,
    )
    out.print(f"added rule {rule.id} {rule.name}: {rule.describe()}")


def _switch(rule: str, as_: str, on: bool) -> None:
    from ..services import escalation

    database = open_db()
    r = escalation.set_enabled(database, authenticate(database, as_), rule, on)
    out.print(f"rule {r.name} {'enabled' if on else 'disabled'}")


RULE = typer.Argument(..., help="Rule name or id.")


@app.command("enable")
@user_errors
def escalation_enable(rule: str = RULE, as_: str = AS) -> None:
    """Switch a rule on."""
    _switch(rule, as_, True)


@app.command("disable")
@user_errors
def escalation_disable(rule: str = RULE, as_: str = AS) -> None:
    """Switch a rule off (its firings so far stay recorded)."""
    _switch(rule, as_, False)
