"""Command-line commands of the desk server; they register on the Typer apps of deskterm.cli.

`deskterm serve` runs the SSH and web server (deskterm/serve/); `deskterm agent key add/list/remove`
manage the public keys agents log in with over SSH."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import typer

from . import config
from .cli import STATE, agent_app, app, authenticate, cell, open_db, out, print_json, user_errors

AS = typer.Option(
    ..., "--as", metavar="LOGIN", help="The acting agent (password: DESKTERM_PASSWORD or a prompt)."
)

key_app = typer.Typer(help="Agents' SSH public keys (for `deskterm serve`).", no_args_is_help=True)
agent_app.add_typer(key_app, name="key")


# --- the server ----------------------------------------------------------------------------------


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
    flags = {
        "serve_ssh": ssh,
        "serve_web": web,
        "serve_max_sessions": max_sessions,
        "serve_idle_minutes": idle_minutes,
        "serve_public_url": public_url,
    }
    settings = config.load_settings(database_url=STATE.db_url, **flags).settings
    run_server(settings, open_db())


def run_server(settings: config.Settings, database, *, demo: bool = False) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from .serve.server import serve

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%Y-%m-%d %H:%M:%S"))
    served = logging.getLogger("deskterm.serve")
    served.addHandler(handler)
    served.setLevel(logging.INFO)
    served.propagate = False
    logging.getLogger("asyncssh").setLevel(logging.WARNING)  # it logs every packet exchange at INFO
    env = {k: v for k, v in os.environ.items() if k != "DESKTERM_PASSWORD"}
    asyncio.run(serve(settings, database, demo=demo, env=env))


def serve_demo(url: str) -> None:
    """`deskterm demo --serve`: the demo desk behind the same server, on this machine only."""
    settings = config.load_settings(
        database_url=url,
        serve_ssh=os.environ.get("DESKTERM_SERVE_SSH", "127.0.0.1:2222"),
        serve_web=os.environ.get("DESKTERM_SERVE_WEB", "127.0.0.1:8000"),
    ).settings
    web, ssh = settings.serve_web, settings.serve_ssh.rpartition(":")
    out.print(
        f"The demo desk: open http://{web} in a browser, or `ssh -p {ssh[2]} operator@{ssh[0]}`; "
        "every demo login's password is 'demo'. Ctrl+C stops."
    )
    run_server(settings, open_db_at(url), demo=True)


def open_db_at(url: str):  # type: ignore[no-untyped-def]
    from .db import ensure_current, open_database

    database = open_database(url)
    ensure_current(database)
    return database


# --- agents' keys --------------------------------------------------------------------------------


@key_app.command("add")
@user_errors
def key_add(
    login: str,
    file: str = typer.Argument(
        ..., metavar="FILE", help="The public key file (id_ed25519.pub), or - for stdin."
    ),
    as_: str = AS,
) -> None:
    """Register a public key: its holder may log in over SSH as LOGIN."""
    from .services import remote

    text = sys.stdin.read() if file == "-" else _read(file)
    database = open_db()
    row = remote.add_key(database, authenticate(database, as_), login, text)
    out.print(cell(f"key {row.fingerprint} ({row.key_type}) added for {row.login}"))


def _read(file: str) -> str:
    from .services.errors import InvalidInput

    try:
        return Path(file).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise InvalidInput({"file": f"cannot read {file}: {e.strerror}"}) from None


@key_app.command("list")
@user_errors
def key_list(
    login: str | None = typer.Argument(None, help="One agent's keys (default: every key you manage)."),
    as_: str = AS,
    fmt: str = typer.Option("table", "--format", help="table | json"),
) -> None:
    """List registered public keys."""
    from dataclasses import asdict

    from rich.table import Table

    from .services import remote

    database = open_db()
    rows = remote.list_keys(database, authenticate(database, as_), login)
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    table = Table("no.", "login", "fingerprint", "type", "comment", "added", "by")
    for r in rows:
        table.add_row(
            str(r.id),
            cell(r.login),
            r.fingerprint,
            r.key_type,
            cell(r.comment),
            r.added_at.strftime("%Y-%m-%d %H:%M"),
            cell(r.added_by),
        )
    out.print(table)


@key_app.command("remove")
@user_errors
def key_remove(
    login: str,
    key: str = typer.Argument(..., metavar="KEY", help="Its fingerprint (SHA256:…) or number in `key list`."),
    as_: str = AS,
) -> None:
    """Remove a public key: it no longer opens a session (sessions already open go on)."""
    from .services import remote

    database = open_db()
    row = remote.remove_key(database, authenticate(database, as_), login, key)
    out.print(cell(f"key {row.fingerprint} of {row.login} removed"))
