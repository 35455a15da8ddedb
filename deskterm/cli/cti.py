"""`deskterm cti`: the phone system's side — the call-event endpoint a PBX posts to (serve), its URL
with the desk's secret token (url), and the bridges that feed it: `cti asterisk` follows an Asterisk
server's Manager Interface (deskterm/cti/asterisk.py, deskterm/cti/poster.py)."""

from __future__ import annotations

import logging
import os
import sys

import typer

from .common import (
    AS,
    STATE,
    UtcLog,
    authenticate,
    err,
    fail,
    log_to_stderr,
    open_db,
    out,
    settings,
    user_errors,
)

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
    logger = log_to_stderr("deskterm.cti")
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


@app.command("simulate")
@user_errors
def cti_simulate(
    url: str = typer.Option(..., "--url", help="The endpoint's URL with its token (`deskterm cti url`)."),
    calls_per_hour: float = typer.Option(..., "--calls-per-hour", min=0.1, help="Mean arrivals an hour."),
    agents: str | None = typer.Option(
        None, "--agents", metavar="EXT,EXT,…", help="The extensions that answer the queue."
    ),
    from_desk: bool = typer.Option(
        False, "--agents-from-desk", help="The desk's active agents with an extension (needs --as)."
    ),
    speed: float = typer.Option(
        1.0, "--speed", min=0, help="Time compression: 60 plays an hour in a minute; 0 as fast as it can."
    ),
    duration: float | None = typer.Option(
        None, "--duration", min=0.1, metavar="MINUTES", help="Simulated minutes of arrivals (default 60)."
    ),
    calls: int | None = typer.Option(None, "--calls", min=1, help="Stop after this many calls."),
    seed: int | None = typer.Option(None, "--seed", help="Random seed: the same seed plays the same calls."),
    mean_talk: float = typer.Option(240.0, "--mean-talk", min=1, metavar="SECONDS", help="Mean talk time."),
    mean_patience: float = typer.Option(
        90.0, "--mean-patience", min=1, metavar="SECONDS", help="Mean time a caller waits before hanging up."
    ),
    as_: str | None = typer.Option(
        None,
        "--as",
        metavar="LOGIN",
        help="An agent: the desk's extensions, logins and some known callers' numbers are read as them.",
    ),
) -> None:
    """Play realistic call traffic into the endpoint: Poisson arrivals queue for the agents' phones,
    some callers hang up waiting (missed calls); prints a summary (answers, latency, events/s)."""
    import asyncio
    import secrets

    from ..cti import simulate

    extensions = [e.strip() for e in (agents or "").split(",") if e.strip()]
    if bool(extensions) == from_desk:
        fail("give either --agents EXT,EXT,… or --agents-from-desk", 2)
    if from_desk and not as_:
        fail("--agents-from-desk reads the desk: give --as LOGIN", 2)
    logins: dict[str, str] = {}
    known: list[tuple[str, str]] = []
    if as_:
        from ..services.call_traffic import traffic_cast

        database = open_db()
        cast = traffic_cast(database, authenticate(database, as_))
        extensions = extensions or cast.extensions()
        logins, known = cast.logins(), cast.phones
        if not extensions:
            fail("no active agent of this desk has an extension (deskterm agent edit --extension)")
    seed = secrets.randbelow(10**6) if seed is None else seed
    traffic = simulate.Traffic(
        calls_per_hour=calls_per_hour,
        agents=extensions,
        logins=logins,
        duration=None if calls is not None and duration is None else (duration or 60.0) * 60,
        calls=calls,
        mean_talk=mean_talk,
        mean_patience=mean_patience,
        known=known,
        prefix=f"sim-{seed}-{secrets.token_hex(3)}",
    )
    plan = simulate.plan(traffic, seed)
    err.print(
        f"deskterm cti simulate: {len(plan)} calls (seed {seed}) for {len(extensions)} agents "
        f"at speed {speed:g}, into {url.split('/cti/')[0]}/cti/…",
        markup=False,
        highlight=False,
    )
    summary = asyncio.run(simulate.play(url, plan, speed=speed))
    for line in summary.lines():
        out.print(line, markup=False, highlight=False)
    if summary.failed:
        raise typer.Exit(1)
