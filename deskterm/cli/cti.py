"""`deskterm cti`: the phone system's side — the call-event endpoint a PBX posts to (serve), its URL
with the desk's secret token (url), and the bridges that feed it: `cti asterisk` follows an Asterisk
server's Manager Interface (deskterm/cti/asterisk.py, deskterm/cti/poster.py)."""

from __future__ import annotations

import logging
import os
import sys

import typer

from .common import AS, STATE, UtcLog, authenticate, fail, open_db, out, settings, user_errors

app = typer.Typer(help="The phone system: call events from the PBX into the desk.", no_args_is_help=True)

SECRET_VARIABLE = "DESKTERM_AMI_SECRET"


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

    from ..config import load_settings
    from ..cti.server import serve
    from ..serve.server import parse_address

    desk = load_settings(database_url=STATE.db_url, cti_listen=listen).settings
    at = parse_address(desk.cti_listen, "listen")
    if at is None:
        fail("--listen: give HOST:PORT (e.g. 127.0.0.1:8765)")
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
    as_: str = AS,
) -> None:
    """Print the URL the PBX posts call events to, with the desk's secret token (an admin's)."""
    from ..services import calls

    desk = settings()
    database = open_db()
    actor = authenticate(database, as_)
    token = calls.rotate_cti_token(database, actor) if rotate else calls.reveal_cti_token(database, actor)
    out.print(calls.cti_url(token, desk.cti_listen, desk.cti_public_url), markup=False, highlight=False)


@app.command("asterisk")
@user_errors
def asterisk_cmd(
    host: str = typer.Option(..., "--host", help="The Asterisk server (its AMI, manager.conf)."),
    port: int = typer.Option(5038, "--port", min=1, max=65535, help="The AMI port."),
    user: str = typer.Option(..., "--user", help="The AMI user (a [section] of manager.conf)."),
    secret: str | None = typer.Option(
        None, "--secret", help=f"The AMI user's secret (better: {SECRET_VARIABLE}, or a prompt)."
    ),
    url: str = typer.Option(
        ..., "--url", metavar="URL", help="The desk's endpoint, as `deskterm cti url` prints it."
    ),
    reconnect: float = typer.Option(
        2.0, "--reconnect-seconds", min=1.0, help="Seconds between attempts to reconnect to the AMI."
    ),
) -> None:
    """Follow an Asterisk server's queues and post their calls to the desk: a caller joining a queue
    rings (newCall), an agent taking it answers, the call's end or the caller giving up hangs up.
    Reconnects by itself; stops on a refused login, SIGTERM or Ctrl+C."""
    if not url.startswith(("http://", "https://")):
        fail(f"--url {url}: not an http:// or https:// URL (see `deskterm cti url`)", 2)
    if secret is None:
        secret = os.environ.get(SECRET_VARIABLE)
    if secret is None:
        if not sys.stdin.isatty():
            fail(f"--user {user}: set {SECRET_VARIABLE} or run in a terminal to be asked for the secret", 2)
        secret = typer.prompt(f"AMI secret for {user}", hide_input=True)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UtcLog("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("panoramisk").setLevel(logging.CRITICAL)  # the adapter says what happens, once
    import asyncio

    from ..cti.asterisk import AsteriskError

    try:
        asyncio.run(_follow(host, port, user, secret, url, reconnect))
    except AsteriskError as e:
        fail(str(e))


async def _follow(host: str, port: int, user: str, secret: str, url: str, reconnect: float) -> None:
    import asyncio
    import signal

    from ..cti.asterisk import AsteriskAdapter
    from ..cti.poster import CtiPoster, masked

    log = logging.getLogger("deskterm.cti")
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    async with CtiPoster(url) as poster:
        adapter = AsteriskAdapter(
            host=host, port=port, user=user, secret=secret, sink=poster, reconnect_seconds=reconnect
        )
        log.info("following the AMI at %s:%d for %s; Ctrl+C stops", host, port, masked(url))
        try:
            await adapter.run()
        except asyncio.CancelledError:
            log.info("stopped: %d events posted, %d given up", poster.posted, poster.given_up)
