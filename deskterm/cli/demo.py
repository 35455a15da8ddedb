"""`deskterm demo` (the console on a demo desk) and `deskterm demo-data` (demo data in any desk)."""

from __future__ import annotations

import typer

from .common import STATE, err, fail, maybe_authenticate, open_db, progress, run_console, user_errors
from .serve import serve_demo

DEMO_LOGINS = (
    "Demo logins (password 'demo'): operator (hotline operator), engineer (2nd line, Desktop Support), "
    "expert (3rd line), supervisor, head (department head), admin; and more in `deskterm agent list`."
)

app = typer.Typer()


@app.command()
@user_errors
def demo(
    as_: str = typer.Option("operator", "--as", metavar="LOGIN", help=DEMO_LOGINS),
    reset: bool = typer.Option(False, "--reset", help="Delete the demo database and start afresh."),
    tickets: int = typer.Option(3000, "--tickets", help="Tickets to generate the first time."),
    serve: bool = typer.Option(False, "--serve", help="Serve the demo desk to browsers and SSH instead."),
) -> None:
    """Open the console on a demo database (created and filled the first time), logged in."""
    from pathlib import Path

    from sqlalchemy import text

    from ..config import demo_database_url
    from ..db import open_database, upgrade
    from ..services import demo as demo_data
    from ..services import escalation, reference

    url = STATE.db_url or demo_database_url()
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if reset and path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    database = open_database(url)
    upgrade(database.engine)
    reference.seed(database)
    escalation.seed_rules(database)  # the shipped escalation rules, once
    with database.read() as s:  # a desk with agents never gets the demo logins from here
        empty = not s.execute(text("SELECT 1 FROM agent LIMIT 1")).first()
    if empty:
        from ..services import kb

        with progress() as bar:
            demo_data.generate(database, tickets=tickets, progress=bar)
        kb.import_demo_articles(database)
    database.dispose()
    if serve:
        return serve_demo(url)
    if as_ not in {a[0] for a in demo_data.DEMO_AGENTS}:
        fail(f"no demo agent {as_!r}. {DEMO_LOGINS}", 2)
    run_console(db_url=url, login_as=as_, demo=True)


@app.command("demo-data")
@user_errors
def demo_data_cmd(
    tickets: int = typer.Option(3000, "--tickets", min=0, help="How many tickets to add."),
    customers: int | None = typer.Option(
        None, "--customers", min=1, help="How many callers (default tickets/20)."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same data."),
    with_demo_logins: bool = typer.Option(
        False,
        "--with-demo-logins",
        help="On a desk that has agents, add the demo logins too (their password is 'demo').",
    ),
    as_: str | None = typer.Option(
        None, "--as", metavar="LOGIN", help="An admin: needed when the desk has agents already."
    ),
) -> None:
    """Add realistic bilingual demo data (organisations, callers, devices, agents, tickets)."""
    import time

    from ..services import demo as demo_data

    database = open_db()
    actor = maybe_authenticate(database, as_)
    started = time.perf_counter()
    with progress() as bar:
        summary = demo_data.generate(
            database,
            actor=actor,
            with_demo_logins=with_demo_logins,
            tickets=tickets,
            customers=customers,
            seed=seed,
            progress=bar,
        )
    err.print(
        f"added {summary.tickets} tickets ({summary.events} events), {summary.customers} callers, "
        f"{summary.devices} devices, {summary.organisations} organisations "
        f"in {time.perf_counter() - started:.1f} s"
    )
