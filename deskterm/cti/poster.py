"""A sink for the PBX adapters: each generic CTI event POSTed as JSON to the desk's endpoint
(the URL `deskterm cti url` prints: http://host:port/cti/TOKEN).

The endpoint answers 200 (taken), 400 (malformed: a one-line reason), 403 (wrong token) or 503 (the
desk is briefly away: send it again). A 503, a 502/504 from a proxy, a 429, a timeout or a refused
connection is retried after a back-off that doubles up to `max_delay` seconds (or the Retry-After the
endpoint asks for, within the same cap), until `give_up_after` seconds of back-off are spent; any other
answer is final. An event given up is logged, never raised: the next one is tried."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ..text import clean

if TYPE_CHECKING:
    import aiohttp

    from .asterisk import WireEvent

log = logging.getLogger("deskterm.cti.poster")

RETRIED = {429, 502, 503, 504}


def masked(url: str) -> str:
    """The endpoint's URL without its token, for logs: http://desk:8765/cti/…"""
    parts = urlsplit(url)
    path = parts.path.rsplit("/", 1)[0] + "/…" if parts.path.count("/") > 1 else parts.path
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}{path}"


class CtiPoster:
    """`await poster(event)` posts one event: True when the endpoint took it, False when it was given up.
    Use as `async with CtiPoster(url) as poster:` (one HTTP session, closed at the end)."""

    def __init__(
        self,
        url: str,
        *,
        first_delay: float = 0.5,
        max_delay: float = 30.0,
        give_up_after: float = 300.0,
        timeout: float = 10.0,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.url = url
        self.first_delay, self.max_delay, self.give_up_after = first_delay, max_delay, give_up_after
        self.timeout = timeout
        self.sleep = sleep
        self.posted = 0  # events the endpoint took
        self.given_up = 0
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> CtiPoster:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    def _client(self) -> aiohttp.ClientSession:
        import aiohttp

        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        return self._session

    async def __call__(self, event: WireEvent) -> bool:
        import aiohttp

        what = f"{event.get('event')} {clean(event.get('callId'), single_line=True)}"
        delay, waited = self.first_delay, 0.0
        while True:
            try:
                async with self._client().post(self.url, json=event) as answer:
                    status, said = answer.status, clean(await answer.text(), single_line=True)[:200]
                    asked = _seconds(answer.headers.get("Retry-After"))
            except (TimeoutError, aiohttp.ClientError) as e:
                status, said, asked = None, clean(str(e) or type(e).__name__, single_line=True), None
            if status is not None and 200 <= status < 300:
                self.posted += 1
                return True
            if status is not None and status not in RETRIED:
                self.given_up += 1
                log.error(
                    "%s: the endpoint %s answered %d (%s): given up", what, masked(self.url), status, said
                )
                return False
            pause = min(self.max_delay, asked if asked is not None else delay)
            if waited + pause > self.give_up_after:
                self.given_up += 1
                log.error(
                    "%s: the endpoint %s still says %s after %.0f s: given up",
                    what,
                    masked(self.url),
                    status or said,
                    waited,
                )
                return False
            log.warning(
                "%s: the endpoint %s says %s: again in %.1f s", what, masked(self.url), status or said, pause
            )
            await self.sleep(pause)
            waited += pause
            delay = min(self.max_delay, delay * 2)


def _seconds(value: str | None) -> float | None:
    """A Retry-After given in seconds (an HTTP date is not followed: the back-off applies)."""
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None
