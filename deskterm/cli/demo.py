"""`deskterm demo` (the console on a demo desk) and `deskterm demo-data` (demo data in any desk)."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from ..cti.ring import Ringing

app = typer.Typer()


@app.command()
@user_errors
def demo(
    as_: str = typer.Option(DemoDesk.login, "--as", metavar="LOGIN", help=DEMO_LOGINS),
    reset: bool = typer.Option(False, "--reset", help="Delete the demo database and start afresh."),
    tickets: int = typer.Option(DemoDesk.tickets, "--tickets", help="Tickets to generate the first time."),
    serve: bool = typer.Option(False, "--serve", help="Serve the demo desk to browsers and SSH instead."),
    ring: bool = typer.Option(
        False, "--ring", help="The phones ring: simulated calls for the hotline and this agent's extension."
    ),
    calls_per_hour: float = typer.Option(
        60.0, "--calls-per-hour", min=1, help="With --ring: the calls an hour (a few reach this agent)."
    ),
) -> None:
    """Open the console on a demo database (created and filled the first time), logged in."""
    from ..demo_desk import prepare, unknown_login

    desk = DemoDesk(url=STATE.db_url, login=as_, reset=reset, tickets=tickets)
    refused = unknown_login(as_)
    if refused and not serve:
        fail(refused, 2)
    if not (serve or ring):
        return run_console(demo_desk=desk)  # the console prepares the desk behind its login screen
    with progress() as bar:
        url = prepare(desk, progress=bar)
    ringing = _ring(url, as_, calls_per_hour) if ring else None
    try:
        if serve:
            serve_demo(url)
        else:
            run_console(demo_desk=DemoDesk(url=url, login=as_))  # prepared: the console only opens it
    finally:
        if ringing is not None:
            ringing.stop()


def _ring(url: str, login: str, calls_per_hour: float) -> Ringing:
    """The call-event endpoint on 127.0.0.1 and simulated calls into it, in the background."""
    import secrets

    from ..cti import ring, simulate
    from ..services.demo import DEMO_PASSWORD

    traffic = ring.demo_traffic(url, login, DEMO_PASSWORD, calls_per_hour=calls_per_hour)
    ringing = ring.Ringing(url, simulate.plan(traffic, secrets.randbelow(10**6)))
    err.print(f"the phones ring: {calls_per_hour:g} calls an hour for extensions {', '.join(traffic.agents)}")
    ringing.start()
    return ringing


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
