"""`deskterm ticket escalate|claim|assign|transfer|note|status|resolve|reopen|sheet NUMBER --as LOGIN …`:
the commands that work a ticket, on the `ticket` group (cli/ticket.py adds them).

They call the same services as the console, with the same permission checks and messages: one line
and a non-zero exit on refusal (3: already taken, or changed meanwhile; 4: not allowed; 2: bad
input). A change is always based on a version: the one given with --version, else the one read as
the command starts."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import typer

from .common import (
    AS,
    AS_OPTIONAL,
    authenticate,
    cell,
    fail,
    maybe_authenticate,
    open_db,
    out,
    print_json,
    read_input,
    settings,
    user_errors,
)

if TYPE_CHECKING:
    from ..db import Database

T = TypeVar("T")

app = typer.Typer()

VERSION = typer.Option(
    None,
    "--version",
    metavar="N",
    help="Refuse (exit 3) if the ticket is no longer at this version (default: as read at the start).",
)


def based_on(database: Database, number: str, version: int | None) -> int:
    """The version a change is based on: --version, else the ticket's version read now. Either way a
    change that raced the command is refused (exit 3) instead of silently overwriting it."""
    from ..services.tickets import current_version

    return version if version is not None else current_version(database, number)


def _change(
    action: Callable[..., T], number: str, as_: str, *args: Any, version: int | None, **kwargs: Any
) -> T:
    """`action(database, actor, number, *args, version=…, **kwargs)` as the agent --as names."""
    database = open_db()
    actor = authenticate(database, as_)
    return action(database, actor, number, *args, version=based_on(database, number, version), **kwargs)


def _changed(done: str, action: Callable[..., int], number: str, as_: str, *args: Any, **kwargs: Any) -> None:
    """_change(), then `SR-000123 <done> (version N)`."""
    version = _change(action, number, as_, *args, **kwargs)
    out.print(f"{_number(number)} {done} (version {version})")


def _number(number: str) -> str:
    from ..services.tickets import normalise_number

    return normalise_number(number)


@app.command("escalate")
@user_errors
def ticket_escalate(
    number: str,
    as_: str = typer.Option(..., "--as", metavar="LOGIN", help="Who escalates."),
    hierarchical: bool = typer.Option(False, "--hierarchical", help="To the next manager up the line."),
    team: str | None = typer.Option(
        None, "--team", help="Functional: to this team (default: the next tier)."
    ),
    reason: str = typer.Option(..., "--reason", help="Why it goes up (required)."),
    expected: str = typer.Option(..., "--expected", help="Time the next line expects to need: 2h, 1d."),
    fmt: str = typer.Option("text", "--format", help="text | json"),
    version: int | None = typer.Option(
        None, "--version", metavar="N", help="Refuse (exit 3) if the ticket is no longer at this version."
    ),
) -> None:
    """Escalate by hand: functional (to a team or the next tier) or --hierarchical (up the line)."""
    from ..services import escalation

    result = _change(
        escalation.escalate,
        number,
        as_,
        mode="hierarchical" if hierarchical else "functional",
        reason=reason,
        expected=expected,
        team=team,
        version=version,
    )
    if fmt == "json":
        print_json(result.__dict__)
        return
    out.print(
        cell(
            f"{result.number} escalated to {result.to} (level {result.level}); {result.body.split('; ')[-1]}"
        )
    )


@app.command("claim")
@user_errors
def ticket_claim(number: str, as_: str = AS) -> None:
    """Claim an unassigned ticket of your team (exit 3 when someone else got it first)."""
    from ..services import tickets

    database = open_db()
    row = tickets.claim(database, authenticate(database, as_), number)
    out.print(f"{row.number} claimed by {as_}")


@app.command("assign")
@user_errors
def ticket_assign(
    number: str,
    agent: str = typer.Argument(..., metavar="AGENT", help="Login of the agent to assign."),
    reason: str = typer.Option("", "--reason"),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Assign a ticket to an agent (supervisors)."""
    from ..services import workflow

    _changed(f"assigned to {agent}", workflow.assign, number, as_, agent, reason=reason, version=version)


@app.command("transfer")
@user_errors
def ticket_transfer(
    number: str,
    reason: str = typer.Option(..., "--reason", help="Why it moves (required)."),
    team: str | None = typer.Option(None, "--team", help="To this team's queue, unassigned."),
    agent: str | None = typer.Option(None, "--agent", metavar="LOGIN", help="To this agent."),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Transfer a ticket to another team or agent, with a reason."""
    from ..services import workflow

    _changed(
        f"transferred to {team or agent}",
        workflow.transfer,
        number,
        as_,
        reason=reason,
        team=team,
        agent=agent,
        version=version,
    )


@app.command("note")
@user_errors
def ticket_note(
    number: str,
    text: str = typer.Argument(..., help="The note; '-' reads it from standard input."),
    public: bool = typer.Option(False, "--public", help="Customer-visible (default: internal)."),
    as_: str = AS,
) -> None:
    """Add a note (internal, or public with --public). Notes never conflict."""
    from ..services import workflow

    database = open_db()
    body = read_input("-") if text == "-" else text
    workflow.add_note(database, authenticate(database, as_), number, body, public=public)
    out.print(f"{'public' if public else 'internal'} note added to {_number(number)}")


@app.command("status")
@user_errors
def ticket_status(
    number: str,
    status: str = typer.Argument(
        ..., help="in_progress | pending_customer | pending_third_party | closed (resolve: `ticket resolve`)"
    ),
    note: str = typer.Option("", "--note", help="A word on the change, kept in the history."),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Move a ticket along its life cycle; illegal moves are refused with the reason."""
    from ..services import workflow

    _changed(f"is {status}", workflow.change_status, number, as_, status, version=version, note=note)


@app.command("resolve")
@user_errors
def ticket_resolve(
    number: str,
    resolution: str = typer.Option(..., "--resolution", help="How it was solved (required)."),
    article: str | None = typer.Option(
        None, "--article", help="The KB article that solved it (e.g. KB-0012)."
    ),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Resolve a ticket with its resolution; optionally link the article that solved it."""
    from ..services import workflow

    _changed("resolved", workflow.resolve, number, as_, resolution, article=article, version=version)


@app.command("reopen")
@user_errors
def ticket_reopen(
    number: str,
    reason: str = typer.Option(..., "--reason", help="Why it is reopened (required)."),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Reopen a resolved ticket (a closed one: supervisors only)."""
    from ..services import workflow

    _changed("reopened", workflow.reopen, number, as_, reason, version=version)


@app.command("sheet")
@user_errors
def ticket_sheet(
    number: str,
    output: Path | None = typer.Option(
        None,
        "--output",
        "-o",
        help="Write the sheet to this file (UTF-8, 72 columns; replaced if it exists), not to the screen.",
    ),
    as_: str | None = AS_OPTIONAL,
) -> None:
    """Print a ticket's on-site work sheet (派工单) as plain text, or write it to a file for printing
    (--as is optional)."""
    from ..services import worksheet

    database = open_db()
    sheet = worksheet.get_sheet(database, maybe_authenticate(database, as_), number)
    text = worksheet.render_text(sheet, timezone=settings().timezone)
    if output is None:
        sys.stdout.write(text)
        return
    try:
        written = worksheet.write_file(output, text, replace=True)
    except OSError as e:
        fail(f"cannot write {output}: {e.strerror or e}: nothing was written", 2)
    out.print(f"{_number(number)} work sheet written to {written}")
