"""Running `deskterm serve`: the SSH and web listeners on one event loop, the session supervisor, and
a clean stop on SIGTERM or SIGINT (stop accepting; every console told; wait for them; exit)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ConfigError, Settings, data_dir
from ..db import Database
from .sessions import SERVER_PID_ENV, Supervisor

log = logging.getLogger("deskterm.serve")

STOP_GRACE_SECONDS = 10.0  # a console has this long to save its draft and leave


@dataclass
class ServeContext:
    """What every session needs: the settings, the server's database, the supervisor."""

    settings: Settings
    database: Database
    supervisor: Supervisor
    demo: bool = False
    # The consoles' environment: the database URL travels here, never in a command line or to a client.
    child_env: dict[str, str] = field(default_factory=dict)

    @property
    def idle_seconds(self) -> float:
        return self.supervisor.idle_seconds

    def console_command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "deskterm.serve.console", *args, *(["--demo"] if self.demo else [])]


def parse_address(value: str | None, what: str) -> tuple[str, int] | None:
    """HOST:PORT (IPv6 in brackets), or "off"."""
    if value is None or value.strip().lower() in ("", "off", "no", "none"):
        return None
    host, sep, port = value.strip().rpartition(":")
    if not sep or not port.isdigit() or int(port) > 65535:
        raise ConfigError(f"--{what} {value!r}: give HOST:PORT (e.g. 0.0.0.0:2222), or off")
    return host.strip("[]") or "0.0.0.0", int(port)


async def serve(
    settings: Settings,
    database: Database,
    *,
    demo: bool = False,
    env: dict[str, str] | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Serve until SIGTERM or SIGINT."""
    ssh_at = parse_address(settings.serve_ssh, "ssh")
    web_at = parse_address(settings.serve_web, "web")
    if ssh_at is None and web_at is None:
        raise ConfigError("nothing to serve: --ssh and --web are both off")
    say = announce or log.info
    supervisor = Supervisor(
        max_sessions=settings.serve_max_sessions, idle_seconds=settings.serve_idle_minutes * 60
    )
    # COLUMNS and LINES would override the size of each session's own terminal.
    child_env = {k: v for k, v in (env or {}).items() if k not in ("COLUMNS", "LINES", "ROWS")}
    child_env["DESKTERM_DATABASE_URL"] = settings.database_url
    child_env[SERVER_PID_ENV] = str(os.getpid())
    ctx = ServeContext(settings, database, supervisor, demo=demo, child_env=child_env)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    acceptor = site = runner = None
    if ssh_at is not None:
        import asyncssh

        from .ssh import DeskSSHServer, host_key

        key = host_key(Path(settings.serve_dir) if settings.serve_dir else data_dir() / "serve")
        acceptor = await asyncssh.create_server(
            lambda: DeskSSHServer(ctx),
            ssh_at[0],
            ssh_at[1],
            server_host_keys=[key],
            encoding=None,  # bytes both ways: the console speaks to a terminal
            line_editor=False,
            x11_forwarding=False,
            agent_forwarding=False,
            allow_scp=False,
            keepalive_interval=30,  # a vanished client ends its session within about two minutes
            keepalive_count_max=3,
            login_timeout=60,
        )
        host, port = acceptor.sockets[0].getsockname()[:2]
        say(f"deskterm serve: SSH on {host}:{port} (host key {key.get_fingerprint()})")
    if web_at is not None:
        from aiohttp import web

        from .web import DeskWebServer

        webserver = DeskWebServer(ctx, web_at[0], web_at[1], settings.serve_public_url)
        runner = web.AppRunner(await webserver.make_app(), handle_signals=False, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, web_at[0], web_at[1])
        await site.start()
        host, port = runner.addresses[0][:2]
        public = f" (public URL {settings.serve_public_url})" if settings.serve_public_url else ""
        say(f"deskterm serve: web on http://{host}:{port}{public}")
    say(
        f"deskterm serve: at most {supervisor.max_sessions} sessions; idle sessions end after "
        f"{settings.serve_idle_minutes:g} min; SIGTERM or Ctrl+C stops"
    )
    idle = asyncio.create_task(supervisor.end_idle())
    try:
        await stop.wait()
    finally:
        log.info("stopping: %d sessions", len(supervisor.sessions))
        if acceptor is not None:
            acceptor.close()
        if site is not None:
            await site.stop()
        await supervisor.stop(STOP_GRACE_SECONDS)
        idle.cancel()
        if runner is not None:
            await runner.cleanup()
        if acceptor is not None:
            await acceptor.wait_closed()
        log.info("stopped")
