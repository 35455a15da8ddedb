"""`deskterm db`: create and migrate the database, show its revision, grant a runtime role."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from .common import TABLE_OR_JSON, open_db, out, print_json, user_errors

if TYPE_CHECKING:
    from ..db import Database

app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)


@app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Create the database if needed and migrate it to the current revision; load reference data."""
    from ..db import current_revision, head_revision, upgrade
    from ..services import escalation, reference

    database = open_db(check=False)
    before = current_revision(database.engine) if _exists(database) else None
    upgrade(database.engine)
    reference.seed(database)
    escalation.seed_rules(database)  # the shipped escalation rules, once
    head = head_revision()
    out.print(f"database at revision {head}" + ("" if before == head else f" (was {before or 'empty'})"))


def _exists(database: Database) -> bool:
    from ..db import DatabaseError, current_revision

    try:
        current_revision(database.engine)
        return True
    except DatabaseError:
        return False


@app.command("status")
@user_errors
def db_status(fmt: str = TABLE_OR_JSON) -> None:
    """Show where the database is and whether it is at the current revision."""
    from ..config import mask_url
    from ..db import current_revision, describe_target, head_revision

    database = open_db(check=False)
    current, head = current_revision(database.engine), head_revision()
    info = {
        "database": mask_url(str(database.engine.url.render_as_string(hide_password=False))),
        "backend": database.backend,
        "revision": current,
        "head": head,
        "current": current == head,
    }
    if fmt == "json":
        print_json(info)
        return
    state = "up to date" if current == head else "needs `deskterm db upgrade`"
    out.print(f"{describe_target(database.engine)}: revision {current or 'none'} (head {head}): {state}")
    if current != head:
        raise typer.Exit(1)


@app.command("grant-runtime")
@user_errors
def db_grant_runtime(
    role: str = typer.Argument(
        ..., metavar="ROLE", help="The role the console, server and watcher log in as."
    ),
) -> None:
    """PostgreSQL: grant a runtime role what the desk needs and no more (no UPDATE, DELETE or TRUNCATE
    on the event log, no ownership). Run as the owner, after `deskterm db upgrade`; see docs/DEPLOY.md."""
    from ..db import grant_runtime

    for statement in grant_runtime(open_db().engine, role):
        out.print(statement, markup=False)
    out.print(f"{role} may now run the desk; run this again after every `deskterm db upgrade`", markup=False)
