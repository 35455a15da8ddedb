"""Asterisk's Manager Interface (AMI) as a source of the desk's call events.

`AsteriskAdapter` logs in to an Asterisk server's AMI port with panoramisk (an asyncio AMI client),
maps the queue events of app_queue to the generic CTI events of deskterm's endpoint (the format of
Zammad's generic CTI API) and hands each one, in the order Asterisk sent them, to an async sink
(`poster.CtiPoster` posts them to `deskterm cti url`):

    QueueCallerJoin     -> newCall                      (a caller enters a queue)
    AgentConnect        -> answer                       (an agent's phone takes the call)
    AgentComplete       -> hangup, cause normalClearing (an answered call ends)
    QueueCallerAbandon  -> hangup, cause cancel         (the caller hung up while waiting)

Every other event is ignored; a followed event without the fields it needs is logged and skipped.
A dropped connection is re-established by panoramisk (every `reconnect_seconds`); a connection that
stops answering pings is dropped so that it is. Events Asterisk emits while no connection is up are
not replayed (AMI keeps no backlog): the endpoint takes a call it hears of late, or not at all.
A refused login stops the adapter (`AmiLoginFailed`): a wrong secret does not get better by retrying.

Field values are passed on as Asterisk sent them: the endpoint cleans what it stores."""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from panoramisk import Manager  # untyped: Any to mypy (ignore_missing_imports)

from ..text import clean

WireEvent = dict[str, str | list[str]]
Sink = Callable[[WireEvent], Awaitable[object]]

log = logging.getLogger("deskterm.cti.asterisk")

# What Asterisk puts in CallerIDNum when the caller's number is withheld or unknown.
UNKNOWN_NUMBERS = {"", "<unknown>", "unknown", "anonymous"}
ANONYMOUS = "anonymous"
_DIALLED = re.compile(r"\+?[0-9*#]+")  # an Exten that is a number, not "s" or a pattern


class AsteriskError(Exception):
    """The adapter cannot go on: one line fit to show as it is."""


class AmiLoginFailed(AsteriskError):
    pass


class AmiUnreachable(AsteriskError):
    pass


class MissingFields(ValueError):
    """A followed AMI event without a field the generic event needs."""


def map_event(event: Mapping[str, Any]) -> WireEvent | None:
    """The generic CTI event for one AMI event; None for an event the desk does not follow.
    Raises MissingFields for a followed event that lacks (or repeats) a field it needs."""
    fields = {str(k).lower(): v for k, v in event.items()}
    name = fields.get("event")
    mapper = _MAPPERS.get(name.lower()) if isinstance(name, str) else None
    return mapper(_Fields(fields)) if mapper else None


class _Fields:
    """An AMI event's headers, by lower-case name; a header given twice (a list) counts as absent."""

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields

    def get(self, *names: str) -> str | None:
        """The first of `names` present with a single non-blank value, stripped."""
        for name in names:
            value = self._fields.get(name.lower())
            if isinstance(value, str) and value.strip():
                return value.strip()
        return None

    def need(self, *names: str) -> str:
        value = self.get(*names)
        if value is None:
            raise MissingFields(" or ".join(names))
        return value


def _call(f: _Fields, event: str) -> WireEvent:
    """The fields every event of one call carries: the caller's channel names the call."""
    call: WireEvent = {"event": event, "callId": f.need("Uniqueid", "Linkedid"), "direction": "in"}
    number = f.get("CallerIDNum")
    call["from"] = ANONYMOUS if number is None or number.lower() in UNKNOWN_NUMBERS else number
    exten, queue = f.get("Exten"), f.get("Queue")
    dialled = exten if exten and _DIALLED.fullmatch(exten) else queue
    if dialled:
        call["to"] = dialled
    if queue:
        call["queue"] = queue
    return call


def extension(interface: str) -> str | None:
    """The agent's extension in a queue member's interface: "PJSIP/201", "SIP/201" and
    "Local/201@from-queue/n" are 201; a bare "201" is 201; a name ("Alice") is None."""
    _, slash, resource = interface.partition("/")
    if not slash:
        return interface if _DIALLED.fullmatch(interface) else None
    number = re.split(r"[@/]", resource, maxsplit=1)[0].strip()
    return number or None


def _agent_number(f: _Fields) -> str | None:
    """The answering agent's extension: from the member's interface, else from its name."""
    for given in (f.get("Interface"), f.get("MemberName")):
        number = extension(given) if given else None
        if number:
            return number
    return None


def _caller_joined(f: _Fields) -> WireEvent:
    f.need("Queue")
    f.need("CallerIDNum")
    return _call(f, "newCall")


def _agent_connected(f: _Fields) -> WireEvent:
    call = _call(f, "answer")
    number = _agent_number(f)
    if number is None:
        raise MissingFields("Interface or MemberName (the agent's extension)")
    call["answeringNumber"] = number
    member = f.get("MemberName")
    if member and member not in (f.get("Interface"), number):  # a name, not the interface or number again
        call["user"] = [member]
    return call


def _agent_completed(f: _Fields) -> WireEvent:
    call = _call(f, "hangup")
    call["cause"] = "normalClearing"
    number = _agent_number(f)
    if number:
        call["answeringNumber"] = number
    return call


def _caller_abandoned(f: _Fields) -> WireEvent:
    call = _call(f, "hangup")
    call["cause"] = "cancel"
    return call


_MAPPERS: dict[str, Callable[[_Fields], WireEvent]] = {
    "queuecallerjoin": _caller_joined,
    "agentconnect": _agent_connected,
    "agentcomplete": _agent_completed,
    "queuecallerabandon": _caller_abandoned,
}


class AsteriskAdapter:
    """AMI events in, generic CTI events out to `sink`, one at a time and in order. `run()` runs until
    cancelled, or raises AmiLoginFailed (the server refused the login) or AmiUnreachable (the first
    connection could not be made: a wrong host or port is said at once, not retried for ever). On the
    way out the events already mapped get up to `flush_seconds` to go through the sink."""

    def __init__(
        self,
        *,
        host: str,
        port: int = 5038,
        user: str,
        secret: str,
        sink: Sink,
        reconnect_seconds: float = 2.0,
        ping_seconds: float = 10.0,
        backlog: int = 10_000,
        flush_seconds: float = 5.0,
    ) -> None:
        self.host, self.port, self.user, self.secret = host, port, user, secret
        self.sink = sink
        self.reconnect_seconds = reconnect_seconds
        self.ping_seconds = ping_seconds
        self.flush_seconds = flush_seconds
        self.logins = 0  # logins accepted so far: 2 after one reconnection
        self.mapped = 0  # generic events made so far
        self.skipped = 0  # followed events skipped for a missing field
        self._queue: asyncio.Queue[WireEvent] = asyncio.Queue(maxsize=backlog)
        self._pending = 0  # events queued or in the sink
        self._stopped: asyncio.Future[None] | None = None

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        self._stopped = loop.create_future()
        manager = _Manager(
            self, loop=loop, host=self.host, port=self.port, username=self.user, secret=self.secret
        )
        manager.register_event("*", self._on_event)
        delivering = asyncio.create_task(self._deliver())
        manager.connect()
        try:
            await self._stopped
        finally:
            manager.stop()
            try:
                await asyncio.wait_for(self._queue.join(), self.flush_seconds)
            except TimeoutError:
                log.warning("stopping with %d events not through the sink", self._pending)
            finally:
                delivering.cancel()

    def _stop(self, error: AsteriskError) -> None:
        if self._stopped is not None and not self._stopped.done():
            self._stopped.set_exception(error)

    def _on_event(self, manager: Manager, event: Mapping[str, Any]) -> None:
        """panoramisk's callback, inside its protocol's data_received: never raises."""
        try:
            mapped = map_event(event)
        except MissingFields as missing:
            self.skipped += 1
            log.warning("AMI %s without %s: skipped (%s)", _name(event), missing, _ids(event))
            return
        if mapped is None:
            return
        self.mapped += 1
        try:
            self._queue.put_nowait(mapped)
            self._pending += 1
        except asyncio.QueueFull:
            log.error(
                "%d events wait for the sink: %s dropped (%s)", self._queue.qsize(), _name(event), _ids(event)
            )

    async def _deliver(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                await self.sink(event)
            except Exception:
                log.exception("the sink failed on %s %s", event.get("event"), clean(event.get("callId")))
            finally:
                self._pending -= 1
                self._queue.task_done()


class _Manager(Manager):
    """panoramisk's Manager, told what becomes of its adapter: the first connection refused or a login
    refused stops it; a silent connection (no answer to a ping) is dropped and so reconnected."""

    def __init__(self, adapter: AsteriskAdapter, **config: Any) -> None:
        super().__init__(log=logging.getLogger("panoramisk.manager"), **config)
        self.adapter = adapter
        self.stopped = False
        self.unreachable_said = False
        # panoramisk reads these as whole seconds; fractions are for the tests
        self.reconnect_timeout = adapter.reconnect_seconds
        self.ping_delay = self.ping_interval = adapter.ping_seconds

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        if not self.stopped:  # a reconnection panoramisk scheduled before stop()
            return super().connect(*args, **kwargs)
        return None

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if self.stopped:
            if not f.cancelled() and f.exception() is None:
                f.result()[1].close()  # closed before it has a factory: no reconnection
            return
        failed = None if f.cancelled() else f.exception()
        if isinstance(failed, OSError):
            where = self.adapter.where
            if not self.adapter.logins:
                self.stop()
                self.adapter._stop(AmiUnreachable(f"cannot reach the AMI at {where}: {failed}"))
                return
            if not self.unreachable_said:  # once a loss, not at every attempt
                self.unreachable_said = True
                log.warning(
                    "cannot reach the AMI at %s (%s): trying every %g s",
                    where,
                    failed,
                    self.reconnect_timeout,
                )
        super().connection_made(f)

    def login(self, future: asyncio.Future[Any]) -> bool:
        accepted = bool(super().login(future))
        adapter = self.adapter
        if accepted:
            adapter.logins += 1
            self.unreachable_said = False
            log.info("logged in to the AMI at %s as %s", adapter.where, clean(adapter.user))
        else:
            said = clean(future.result().get("Message") or "no reason given", single_line=True)
            self.stop()
            adapter._stop(
                AmiLoginFailed(f"the AMI at {adapter.where} refused the login of {adapter.user}: {said}")
            )
        return accepted

    def ping(self) -> None:
        self.pinger = self.loop.call_later(self.ping_interval, self.ping)
        protocol = self.protocol
        pong = protocol.send({"Action": "Ping"})
        self.loop.call_later(self.ping_interval, self._check_pong, protocol, pong)

    def _check_pong(self, protocol: Any, pong: asyncio.Future[Any]) -> None:
        if not pong.done() and protocol is self.protocol and not protocol.closed:
            log.warning("the AMI at %s does not answer a ping: reconnecting", self.adapter.where)
            protocol.transport.abort()  # connection_lost, then panoramisk reconnects

    def connection_lost(self, exc: Any) -> None:
        if not self.stopped:
            log.warning("lost the AMI at %s: reconnecting", self.adapter.where)
            super().connection_lost(exc)

    def stop(self) -> None:
        self.stopped = True
        self.close()


def _name(event: Mapping[str, Any]) -> str:
    return clean(event.get("Event") or event.get("event") or "event", single_line=True)


def _ids(event: Mapping[str, Any]) -> str:
    """Enough of an event to find it in Asterisk's logs, cleaned: it is outside text."""
    lowered = {str(k).lower(): v for k, v in event.items()}
    found = [
        f"{k}={clean(lowered[k.lower()], single_line=True)}"
        for k in ("Uniqueid", "Queue")
        if k.lower() in lowered
    ]
    return ", ".join(found) or "no Uniqueid"
