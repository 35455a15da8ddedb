"""`deskterm serve`: the SSH and web server of the desk (deskterm/serve/); `deskterm demo --serve`
runs the demo desk behind it."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING

import typer

from .common import STATE, log_to_stderr, open_db, out, user_errors

if TYPE_CHECKING:
    from ..config import Settings
    from ..db import Database

app = typer.Typer()


@app.command("serve")
@user_errors
def serve_cmd(
    ssh: str | None = typer.Option(
        None, "--ssh", metavar="HOST:PORT", help="SSH address (default 0.0.0.0:2222), or off."
    ),
    web: str | None = typer.Option(
        None, "--web", metavar="HOST:PORT", help="Web address (default 127.0.0.1:8000), or off."
    ),
    max_sessions: int | None = typer.Option(
        None, "--max-sessions", min=1, metavar="N", help="Refuse more sessions than this (default 100)."
    ),
    idle_minutes: float | None = typer.Option(
        None, "--idle-minutes", min=0.01, help="End a session without input for this long (default 60)."
    ),
    public_url: str | None = typer.Option(
        None, "--public-url", metavar="URL", help="The address browsers use behind the desk's TLS proxy."
    ),
) -> None:
    """The desk server: agents reach the console over SSH or in a browser; only this server holds the
    database URL. Stops cleanly on SIGTERM or Ctrl+C."""
    from ..config import load_settings

    flags = {
        "serve_ssh": ssh,
        "serve_web": web,
        "serve_max_sessions": max_sessions,
        "serve_idle_minutes": idle_minutes,
        "serve_public_url": public_url,
    }
    settings = load_settings(database_url=STATE.db_url, **flags).settings
    run_server(settings, open_db())


def run_server(settings: Settings, database: Database, *, demo: bool = False) -> None:
    import asyncio

    from ..serve.server import serve

    log_to_stderr("deskterm.serve")
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # it logs every packet exchange at INFO
    env = {k: v for k, v in os.environ.items() if k != "DESKTERM_PASSWORD"}
    asyncio.run(serve(settings, database, demo=demo, env=env))


def serve_demo(url: str) -> None:
    """`deskterm demo --serve`: the demo desk behind the same server, on this machine only."""
    from ..config import load_settings
    from ..db import ensure_current, open_database

    settings = load_settings(
        database_url=url,
        serve_ssh=os.environ.get("DESKTERM_SERVE_SSH", "127.0.0.1:2222"),
        serve_web=os.environ.get("DESKTERM_SERVE_WEB", "127.0.0.1:8000"),
    ).settings
    web, ssh = settings.serve_web, settings.serve_ssh.rpartition(":")
    out.print(
        f"The demo desk: open http://{web} in a browser, or `ssh -p {ssh[2]} operator@{ssh[0]}`; "
        "every demo login's password is 'demo'. Ctrl+C stops."
    )
    database = open_database(url)
    ensure_current(database)
    run_server(settings, database, demo=True)
