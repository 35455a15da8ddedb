"""Command-line commands for the work area; they register on the Typer apps of deskterm.cli.

`deskterm ticket claim|assign|transfer|note|status|resolve|reopen NUMBER --as LOGIN …` call the same
services as the console, with the same permission checks and messages: one line and a non-zero
exit on refusal (3: already taken, or changed meanwhile; 4: not allowed; 2: bad input). A change is
always based on a version: the one given with --version, else the one read as the command starts.
`deskterm db grant-runtime ROLE` (PostgreSQL) gives the role the desk runs as what it needs."""

from __future__ import annotations

import sys

import typer

from .cli import AS, AS_OPTIONAL, authenticate, db_app, open_db, out, read_input, ticket_app, user_errors

VERSION = typer.Option(
    None,
    "--version",
    metavar="N",
    help="Refuse (exit 3) if the ticket is no longer at this version (default: as read at the start).",
)


def based_on(database, number: str, version: int | None) -> int:  # type: ignore[no-untyped-def]
    """The version a change is based on: --version, else the ticket's version read now. Either way a
    change that raced the command is refused (exit 3) instead of silently overwriting it."""
    from .services.tickets import current_version

    return version if version is not None else current_version(database, number)


@ticket_app.command("claim")
@user_errors
def ticket_claim(number: str, as_: str = AS) -> None:
    """Claim an unassigned ticket of your team (exit 3 when someone else got it first)."""
    from .services import tickets

    database = open_db()
    row = tickets.claim(database, authenticate(database, as_), number)
    out.print(f"{row.number} claimed by {as_}")


@ticket_app.command("assign")
@user_errors
def ticket_assign(
    number: str,
    agent: str = typer.Argument(..., metavar="AGENT", help="Login of the agent to assign."),
    reason: str = typer.Option("", "--reason"),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Assign a ticket to an agent (supervisors)."""
    from .services import workflow

    database = open_db()
    actor = authenticate(database, as_)
    v = workflow.assign(
        database, actor, number, agent, reason=reason, version=based_on(database, number, version)
    )
    out.print(f"{_number(number)} assigned to {agent} (version {v})")


@ticket_app.command("transfer")
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
    from .services import workflow

    database = open_db()
    actor = authenticate(database, as_)
    v = workflow.transfer(
        database,
        actor,
        number,
        reason=reason,
        team=team,
        agent=agent,
        version=based_on(database, number, version),
    )
    out.print(f"{_number(number)} transferred to {team or agent} (version {v})")


@ticket_app.command("note")
@user_errors
def ticket_note(
    number: str,
    text: str = typer.Argument(..., help="The note; '-' reads it from standard input."),
    public: bool = typer.Option(False, "--public", help="Customer-visible (default: internal)."),
    as_: str = AS,
) -> None:
    """Add a note (internal, or public with --public). Notes never conflict."""
    from .services import workflow

    database = open_db()
    body = read_input("-") if text == "-" else text
    workflow.add_note(database, authenticate(database, as_), number, body, public=public)
    out.print(f"{'public' if public else 'internal'} note added to {_number(number)}")


@ticket_app.command("status")
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
    from .services import workflow

    database = open_db()
    actor = authenticate(database, as_)
    v = workflow.change_status(
        database, actor, number, status, version=based_on(database, number, version), note=note
    )
    out.print(f"{_number(number)} is {status} (version {v})")


@ticket_app.command("resolve")
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
    from .services import workflow

    database = open_db()
    actor = authenticate(database, as_)
    v = workflow.resolve(
        database, actor, number, resolution, article=article, version=based_on(database, number, version)
    )
    out.print(f"{_number(number)} resolved (version {v})")


@ticket_app.command("reopen")
@user_errors
def ticket_reopen(
    number: str,
    reason: str = typer.Option(..., "--reason", help="Why it is reopened (required)."),
    version: int | None = VERSION,
    as_: str = AS,
) -> None:
    """Reopen a resolved ticket (a closed one: supervisors only)."""
    from .services import workflow

    database = open_db()
    actor = authenticate(database, as_)
    v = workflow.reopen(database, actor, number, reason, version=based_on(database, number, version))
    out.print(f"{_number(number)} reopened (version {v})")


@ticket_app.command("sheet")
@user_errors
def ticket_sheet(number: str, as_: str | None = AS_OPTIONAL) -> None:
    """Print a ticket's on-site work sheet (派工单) as plain text (--as is optional)."""
    from .cli import settings
    from .services import worksheet

    database = open_db()
    sheet = worksheet.get_sheet(database, authenticate(database, as_) if as_ else None, number)
    sys.stdout.write(worksheet.render_text(sheet, timezone=settings().timezone))


def _number(number: str) -> str:
    from .services.tickets import normalise_number

    return normalise_number(number)


@db_app.command("grant-runtime")
@user_errors
def db_grant_runtime(
    role: str = typer.Argument(
        ..., metavar="ROLE", help="The role the console, server and watcher log in as."
    ),
) -> None:
    """PostgreSQL: grant a runtime role what the desk needs and no more (no UPDATE, DELETE or TRUNCATE
    on the event log, no ownership). Run as the owner, after `deskterm db upgrade`; see docs/DEPLOY.md."""
    from .db import grant_runtime

    for statement in grant_runtime(open_db().engine, role):
        out.print(statement, markup=False)
    out.print(f"{role} may now run the desk; run this again after every `deskterm db upgrade`", markup=False)
