"""`deskterm demo` (the console on a demo desk) and `deskterm demo-data` (demo data in any desk)."""

from __future__ import annotations

import typer

from ..demo_desk import DEMO_LOGINS, DemoDesk
from .common import (
    STATE,
    err,
    fail,
    maybe_authenticate,
    open_db,
    progress,
    run_console,
    settings,
    user_errors,
)
from .serve import serve_demo

app = typer.Typer()


@app.command()
@user_errors
def demo(
    as_: str = typer.Option(DemoDesk.login, "--as", metavar="LOGIN", help=DEMO_LOGINS),
    reset: bool = typer.Option(False, "--reset", help="Delete the demo database and start afresh."),
    tickets: int = typer.Option(DemoDesk.tickets, "--tickets", help="Tickets to generate the first time."),
    serve: bool = typer.Option(False, "--serve", help="Serve the demo desk to browsers and SSH instead."),
) -> None:
    """Open the console on a demo database (created and filled the first time), logged in."""
    from ..demo_desk import prepare, unknown_login

    desk = DemoDesk(url=STATE.db_url, login=as_, reset=reset, tickets=tickets)
    if serve:
        with progress() as bar:
            url = prepare(desk, progress=bar)
        return serve_demo(url)
    refused = unknown_login(as_)
    if refused:
        fail(refused, 2)
    run_console(demo_desk=desk)  # the console prepares the desk behind its login screen


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
    from ..services.kpi import rollup

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
        # The reports read settled days from the rollup: fold the new history in at once.
        days = rollup.rebuild(database, settings().timezone, progress=lambda d, n: bar("report days", d, n))
    err.print(
        f"added {summary.tickets} tickets ({summary.events} events), {summary.customers} callers, "
        f"{summary.devices} devices, {summary.organisations} organisations, {days} report days "
        f"in {time.perf_counter() - started:.1f} s"
    )
