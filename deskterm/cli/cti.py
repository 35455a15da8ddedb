"""`deskterm cti`: the phone system's side — the call-event endpoint a PBX posts to (serve), its URL
with the desk's secret token (url), and the bridges and the simulator that feed it."""

from __future__ import annotations

import logging
import sys

import typer

from .common import AS, STATE, UtcLog, authenticate, fail, open_db, out, settings, user_errors

app = typer.Typer(help="The phone system: the call-event endpoint a PBX posts to, and its bridges.")


@app.command("serve")
@user_errors
def cti_serve(
    listen: str | None = typer.Option(
        None, "--listen", metavar="HOST:PORT", help="Where to listen (default 127.0.0.1:8765)."
    ),
) -> None:
    """Run the call-event endpoint (Zammad's generic CTI API: POST /cti/<token>, JSON or form).
    Stops cleanly on SIGTERM or Ctrl+C."""
    import asyncio

    from ..config import ConfigError, load_settings
    from ..cti.server import serve
    from ..serve.server import parse_address

    desk = load_settings(database_url=STATE.db_url, cti_listen=listen).settings
    try:
        at = parse_address(desk.cti_listen, "listen")
    except ConfigError:
        at = None  # its example is the SSH server's
    if at is None:
        fail(f"--listen {desk.cti_listen!r}: give HOST:PORT (e.g. 127.0.0.1:8765)")
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UtcLog("%(asctime)s %(message)s"))
    logger = logging.getLogger("deskterm.cti")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    asyncio.run(serve(desk, open_db(), at[0], at[1], announce=logger.info))


@app.command("url")
@user_errors
def cti_url(
    rotate: bool = typer.Option(False, "--rotate", help="Make a new token: the old URL stops working."),
    listen: str | None = typer.Option(
        None, "--listen", metavar="HOST:PORT", help="As given to `cti serve --listen` (default: the setting)."
    ),
    as_: str = AS,
) -> None:
    """Print the URL the PBX posts call events to, with the desk's secret token (an admin's). The
    cti_public_url setting, when set, is the URL's base (a proxy or a public address)."""
    from ..services import calls

    desk = settings()
    database = open_db()
    actor = authenticate(database, as_)
    token = calls.rotate_cti_token(database, actor) if rotate else calls.reveal_cti_token(database, actor)
    out.print(
        calls.cti_url(token, listen or desk.cti_listen, desk.cti_public_url), markup=False, highlight=False
    )
