"""`deskterm cti serve`: the HTTP endpoint a PBX posts its call events to, compatible with Zammad's
generic CTI API (POST /cti/{token}, JSON or form-encoded: event, from, to, direction, callId, user,
queue, answeringNumber, cause).

aiohttp: the desk server already runs on it (textual-serve is built on it), so the endpoint adds no
dependency. Answers: 200 with {"status": stored | duplicate | rejected, "call": id, "reason": …} once
the event is committed; 400 with a one-line reason for a malformed body (nothing stored); 403 for a
wrong token (logged with the peer's address); 503 with Retry-After when the database stays away
through a bounded retry, so the PBX sends the event again (an event is only ever answered 200 after
it is stored: none is lost)."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from sqlalchemy.exc import DBAPIError

from ..config import ConfigError, Settings
from ..db import Database
from ..services import calls
from ..services.errors import InvalidInput

log = logging.getLogger("deskterm.cti")

MAX_BODY = 64 * 1024
MAX_FIELDS = 200
TOKEN_TTL = 2.0  # seconds a read token is trusted: a rotated-out token stops working within this
RETRY_DELAYS = (0.1, 0.25, 0.5, 1.0, 1.5)  # then 503: about 3.4 s of a database away


class CtiEndpoint:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        retry_delays: Sequence[float] = RETRY_DELAYS,
        token_ttl: float = TOKEN_TTL,
    ):
        self.db = db
        self.country = settings.default_country
        self.retry_delays = tuple(retry_delays)
        self.token_ttl = token_ttl
        self._token: str | None = None
        self._token_read = 0.0

    def make_app(self) -> web.Application:
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/cti/{token}", self.handle)
        return app

    async def _current_token(self, *, fresh: bool = False) -> str:
        if fresh or self._token is None or time.monotonic() - self._token_read > self.token_ttl:
            self._token = await self._with_retry(calls.cti_token, self.db)
            self._token_read = time.monotonic()
        return self._token

    async def _token_ok(self, given: str) -> bool:
        """The cached token, read again when it does not match: a just-rotated token works at once."""
        if calls.token_matches(given, await self._current_token()):
            return True
        return calls.token_matches(given, await self._current_token(fresh=True))

    async def handle(self, request: web.Request) -> web.Response:
        peer = request.remote or "?"
        try:
            token_ok = await self._token_ok(request.match_info["token"])
        except DBAPIError:
            return _unavailable()
        if not token_ok:
            log.warning("cti: refused a request from %s: wrong token", peer)
            return web.json_response({"error": "wrong token"}, status=403)
        try:
            fields = await _fields(request)
            event = calls.parse(fields)
        except _Malformed as e:
            return _bad(peer, str(e))
        except InvalidInput as e:
            return _bad(peer, "; ".join(f"{k}: {v}" for k, v in e.errors.items()))
        try:
            done = await self._with_retry(calls.ingest, self.db, event, country=self.country)
        except DBAPIError:
            log.warning("cti: database unavailable, %s %s answered 503", event.event, event.call_id)
            return _unavailable()
        because = f": {done.reason}" if done.reason else ""
        log.info("cti: %s %s from %s %s%s", event.event, event.call_id, peer, done.status, because)
        return web.json_response({"status": done.status, "call": done.call_pk, "reason": done.reason})

    async def _with_retry(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """fn in a thread; a database error (the server away, a connection dropped) is retried after
        each delay, then raised."""
        for delay in (*self.retry_delays, None):
            try:
                return await asyncio.to_thread(fn, *args, **kwargs)
            except DBAPIError as e:
                if delay is None or not _transient(e):
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def _transient(e: DBAPIError) -> bool:
    """The database is away or busy (not a bug in a statement)."""
    from sqlalchemy.exc import OperationalError

    return bool(e.connection_invalidated) or isinstance(e, OperationalError)


class _Malformed(Exception):
    pass


async def _fields(request: web.Request) -> dict[str, object]:
    """The body's fields: a JSON object, or form fields (a repeated `user` or `user[]` becomes a
    list). Bytes that are not UTF-8 reach `calls.parse` as lone surrogates, which it refuses."""
    if request.content_type == "multipart/form-data":  # curl -F
        return await _multipart(request)
    if request.content_type not in ("application/json", "application/x-www-form-urlencoded"):
        raise _Malformed("send application/json or application/x-www-form-urlencoded")
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise _Malformed(f"the body is larger than {MAX_BODY // 1024} KB") from None
    if request.content_type == "application/json":
        try:
            body = json.loads(raw.decode())
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise _Malformed(f"the body is not valid JSON ({e.__class__.__name__})") from None
        if not isinstance(body, dict):
            raise _Malformed("the body must be one JSON object")
        return body
    try:
        pairs = parse_qsl(
            raw.decode("utf-8", "surrogateescape"),
            keep_blank_values=True,
            errors="surrogateescape",
            max_num_fields=MAX_FIELDS,
        )
    except ValueError:
        raise _Malformed(f"at most {MAX_FIELDS} form fields") from None
    return _form(pairs)


async def _multipart(request: web.Request) -> dict[str, object]:
    try:
        form = await request.post()
    except web.HTTPRequestEntityTooLarge:
        raise _Malformed(f"the body is larger than {MAX_BODY // 1024} KB") from None
    except (ValueError, UnicodeDecodeError, AssertionError) as e:
        raise _Malformed(f"the form cannot be read ({e.__class__.__name__})") from None
    return _form([(k, v) for k, v in form.items() if isinstance(v, str)])


def _form(pairs: Sequence[tuple[str, str]]) -> dict[str, object]:
    """Form fields: the first of each, every `user` and `user[]` as one list."""
    fields: dict[str, object] = {}
    users: list[str] = []
    for key, value in pairs:
        if key in ("user", "user[]"):
            users.append(value)
        else:
            fields.setdefault(key, value)
    if users:
        fields["user"] = users
    return fields


def _bad(peer: str, reason: str) -> web.Response:
    line = " ".join(reason.split())[:300]
    log.info("cti: malformed event from %s: %s", peer, line)
    return web.json_response({"error": line}, status=400)


def _unavailable() -> web.Response:
    return web.json_response(
        {"error": "the desk's database is unavailable: send the event again"},
        status=503,
        headers={"Retry-After": "5"},
    )


async def serve(
    settings: Settings, db: Database, host: str, port: int, *, announce: Callable[[str], None] | None = None
) -> None:
    """Serve until SIGTERM or SIGINT."""
    say = announce or log.info
    runner = web.AppRunner(CtiEndpoint(db, settings).make_app(), handle_signals=False, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    try:
        await site.start()
    except OSError as e:  # the port taken, an address not this machine's
        await runner.cleanup()
        raise ConfigError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
    bound_host, bound_port = runner.addresses[0][:2]
    say(f"deskterm cti: listening on http://{bound_host}:{bound_port}/cti/<token> (SIGTERM or Ctrl+C stops)")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()
        say("deskterm cti: stopped")
