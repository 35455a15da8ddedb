"""`deskterm ticket`: list and show tickets, and log one through intake (`ticket create`); the
commands that work a ticket are in cli/work.py, on the same group.

`deskterm ticket create` is intake for e-mail and telephony gateways and scripts: the same
service as the console, so the same validation, duplicate check, SLA clocks and queue hand-off."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table
from rich.text import Text

from ..i18n import later
from ..text import clean
from . import work
from .common import (
    AS_OPTIONAL,
    TABLE_OR_JSON,
    authenticate,
    cell,
    err,
    maybe_authenticate,
    open_db,
    out,
    print_json,
    print_table,
    read_input,
    settings,
    stamps,
    user_errors,
)

if TYPE_CHECKING:
    from ..services.intake import IntakeForm

app = typer.Typer(help="List, show and work tickets from scripts.", no_args_is_help=True)

# Fields of `ticket show --format json` that describe a ticket already saved: accepted (so its
# output can be fed back) and ignored.
READ_ONLY = {
    "id",
    "number",
    "status",
    "team",
    "tier",
    "assignee",
    "created_by",
    "escalation_level",
    "chase_count",
    "respond_by",
    "resolve_by",
    "created_at",
    "updated_at",
    "resolved_at",
    "closed_at",
    "handle_seconds",
    "first_contact",
    "version",
    "events",
}
# Names in `ticket show` that differ from the intake form's.
RENAMED = {"customer": "name"}


def form_from_json(data: Any) -> tuple[IntakeForm, Any]:
    """The intake form from a JSON object named like `ticket show --format json`."""
    from ..services.errors import InvalidInput
    from ..services.intake import IntakeForm

    if not isinstance(data, dict):
        raise InvalidInput({"json": "expected one JSON object with the ticket's fields"})
    known = set(IntakeForm.__dataclass_fields__) - {"customer_id", "call_started_at", "phone_call_id"}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, value in data.items():
        name = RENAMED.get(key, key)
        if key in READ_ONLY:
            continue
        if key == "kb_article":
            values["kb_article"] = value
            continue
        if name not in known:
            errors[key] = "unknown field"
            continue
        expected = IntakeForm.__dataclass_fields__[name].type
        if "int" in str(expected):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                errors[key] = "a whole number"
                continue
        elif not isinstance(value, str):
            errors[key] = "text"
            continue
        values[name] = value
    if errors:
        raise InvalidInput(errors)
    article = values.pop("kb_article", None)
    form = IntakeForm(**values)
    if "channel" not in data:
        form.channel = "api"
    return form, article


@app.command("list")
@user_errors
def ticket_list(
    status: str | None = typer.Option(
        None,
        "--status",
        help="new | assigned | in_progress | pending_customer | pending_third_party | resolved | closed",
    ),
    assignee: str | None = typer.Option(None, "--assignee", metavar="LOGIN"),
    team: str | None = typer.Option(None, "--team"),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: str = TABLE_OR_JSON,
    as_: str | None = AS_OPTIONAL,
) -> None:
    """List tickets, newest first (every role may read tickets: --as is optional)."""
    from ..services import tickets

    database = open_db()
    actor = maybe_authenticate(database, as_)
    rows = tickets.list_tickets(database, actor, status=status, assignee=assignee, team=team, limit=limit)
    if fmt == "json":
        print_json({"tickets": [asdict(r) for r in rows]})
        return
    at = stamps(minutes=True)
    print_table(
        ("number", "P", "status", "summary", "customer", "team", "assignee", "created"),
        (
            (
                r.number,
                f"P{r.priority}",
                r.status,
                cell(r.summary),
                cell(r.customer),
                cell(r.team),
                cell(r.assignee),
                at(r.created_at),
            )
            for r in rows
        ),
    )


SHOWN = (
    "number",
    "status",
    "priority",
    "kind",
    "category",
    "summary",
    "customer",
    "organisation",
    "phone",
    "device_model",
    "device_serial",
    "team",
    "assignee",
    "respond_by",
    "resolve_by",
    "created_at",
    "resolution",
)


@app.command("show")
@user_errors
def ticket_show(number: str, fmt: str = TABLE_OR_JSON, as_: str | None = AS_OPTIONAL) -> None:
    """Show a ticket's fields and its whole event history (--as is optional)."""
    from ..services import tickets

    database = open_db()
    detail = tickets.get_ticket(database, maybe_authenticate(database, as_), number)
    if fmt == "json":
        print_json(asdict(detail))
        return
    at = stamps(minutes=True)
    fields = Table.grid(padding=(0, 2))
    for key in SHOWN:
        value = getattr(detail, key)
        fields.add_row(Text(key, style="bold"), cell(at(value) if isinstance(value, datetime) else value))
    out.print(fields)
    if detail.description:
        out.print(Text(clean(detail.description)))
    print_table(
        ("time", "event", "by", "text"),
        ((at(e.at), e.kind, cell(e.actor), cell(e.body)) for e in detail.events),
        title="history",
    )


@app.command("create")
@user_errors
def ticket_create(
    as_: str = typer.Option(..., "--as", metavar="LOGIN", help="The agent logging the ticket."),
    json_file: str = typer.Option(
        ..., "--json", metavar="FILE", help="The ticket's fields as a JSON object; '-' reads standard input."
    ),
    on_duplicate: str | None = typer.Option(
        None,
        "--on-duplicate",
        metavar="chase|link|create",
        help="When open tickets of the same caller or device look alike: log a chase on the most "
        "similar one, link the new ticket to it, or create anyway. Default: refuse and list them.",
    ),
    duplicate_of: str | None = typer.Option(
        None,
        "--duplicate-of",
        metavar="NUMBER",
        help="The ticket to chase or link to (default: the most similar).",
    ),
    fmt: str = typer.Option("text", "--format", help="text | json"),
) -> None:
    """Log a ticket through intake (fields as named in `ticket show --format json`)."""
    from ..services import intake, kb
    from ..services.errors import InvalidInput

    if on_duplicate is not None and on_duplicate not in intake.ON_DUPLICATE:
        raise InvalidInput({"--on-duplicate": "chase, link or create"})
    raw = read_input(json_file)
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise InvalidInput(
            {
                "json": later(
                    "not valid JSON: {error} (line {line}, column {column})",
                    error=e.msg,
                    line=e.lineno,
                    column=e.colno,
                )
            }
        ) from None
    form, article = form_from_json(data)
    database = open_db()
    if article:
        form.kb_article_id = kb.get_article_by_external_id(database, str(article)).id
    actor = authenticate(database, as_)
    rules = intake.IntakeRules.from_settings(settings())
    try:
        result = intake.save_call(
            database, actor, form, rules=rules, on_duplicate=on_duplicate, duplicate_of=duplicate_of
        )
    except intake.DuplicatesFound as e:
        if fmt == "json":
            print_json({"error": "duplicate", "candidates": [asdict(c) for c in e.candidates]})
        for c in e.candidates:
            err.print(
                Text(
                    f"deskterm: possible duplicate {c.number} ({c.similarity}%, same {c.same}, {c.status}): "
                )
                + cell(c.summary)
            )
        err.print("deskterm: not saved; use --on-duplicate chase|link|create")
        raise typer.Exit(e.exit_code) from None
    if fmt == "json":
        print_json(asdict(result))
    elif result.outcome == "chased":
        out.print(f"{result.number} chased ({result.chase_count})")
    else:
        out.print(result.number)


app.add_typer(work.app)  # claim, assign, …: after list, show and create in `deskterm ticket --help`
