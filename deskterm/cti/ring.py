"""`deskterm demo --ring`: the demo desk's phones ring. The call-event endpoint runs in-process on
127.0.0.1 (a free port) and the simulator plays calls into it, both on one event loop in a
background thread, while the console runs in the foreground; the console sees the calls as it
would a PBX's. Quiet: nothing is printed over the console (the summary is kept)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import threading
from collections.abc import Sequence

from aiohttp import web

from ..config import load_settings
from ..db import open_database
from ..services import auth, calls
from ..services.call_traffic import traffic_cast
from ..services.errors import DeskError
from . import simulate
from .server import CtiEndpoint

HOTLINE = frozenset({"operator"})  # the roles whose phones the demo's queue rings, with the agent's own


class NoExtension(DeskError):
    pass


class Ringing:
    """The endpoint and the simulator in a background thread: `start` returns once the endpoint
    listens (its URL), `stop` ends both."""

    def __init__(self, database_url: str, plan: Sequence[simulate.PlannedCall], *, speed: float = 1.0):
        self.database_url = database_url
        self.plan = plan
        self.speed = speed
        self.url = ""
        self.summary: simulate.Summary | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="deskterm-demo-ring", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def start(self, timeout: float = 30.0) -> str:
        quiet = logging.getLogger("deskterm.cti")  # the endpoint's log lines would land on the console
        quiet.addHandler(logging.NullHandler())
        quiet.propagate = False
        self._thread.start()
        self._ready.wait(timeout)
        if self.error is not None:
            raise self.error
        if not self.url:
            raise TimeoutError("the demo's call-event endpoint did not start")
        return self.url

    def stop(self, timeout: float = 5.0) -> None:
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as e:  # noqa: BLE001 - handed to start(), or lost with the demo's end
            self.error = e
            self._ready.set()

    async def _main(self) -> None:
        desk = load_settings(database_url=self.database_url).settings
        db = open_database(desk.database_url, busy_timeout_ms=desk.sqlite_busy_timeout_ms, pool_size=2)
        runner = web.AppRunner(CtiEndpoint(db, desk).make_app(), access_log=None)
        try:
            await runner.setup()
            await web.TCPSite(runner, "127.0.0.1", 0).start()
            host, port = runner.addresses[0][:2]
            token = await asyncio.to_thread(calls.cti_token, db)
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self.url = f"http://{host}:{port}/cti/{token}"
            self._ready.set()
            self.summary = await simulate.play(self.url, self.plan, speed=self.speed, stop=self._stop)
            await self._stop.wait()  # the plan played out: the endpoint stays until the demo ends
        finally:
            await runner.cleanup()
            db.dispose()


def demo_traffic(
    database_url: str, login: str, password: str, *, calls_per_hour: float, hours: float = 12.0
) -> simulate.Traffic:
    """The demo's traffic: the hotline's operators and `login` answer (their extensions), the
    desk's customers call as well as strangers. NoExtension when `login` has none (a demo desk made
    before the cast had extensions)."""
    desk = load_settings(database_url=database_url).settings
    db = open_database(desk.database_url, busy_timeout_ms=desk.sqlite_busy_timeout_ms)
    try:
        actor = auth.login(db, login, password, source=auth.terminal_source("demo-ring"))
        cast = traffic_cast(db, actor)
    finally:
        db.dispose()
    own = [ext for ext, who, _role in cast.agents if who == login]
    if not own:
        raise NoExtension(
            f"{login} has no phone extension on this demo desk (made before extensions): "
            "`deskterm demo --reset` makes it afresh"
        )
    agents = [*own, *(ext for ext in cast.extensions(HOTLINE) if ext not in own)]
    return simulate.Traffic(
        calls_per_hour=calls_per_hour,
        agents=agents,
        logins=cast.logins(),
        duration=hours * 3600,
        mean_talk=180.0,
        known=cast.phones,
        prefix=f"demo-{secrets.token_hex(4)}",
    )
