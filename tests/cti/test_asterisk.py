"""The Asterisk adapter against a fake AMI over a real TCP socket (tests/cti/amiserver.py): the
mapping of app_queue's events to the generic CTI events, login, reconnection, malformed events."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator, Callable

import pytest

from deskterm.cti.asterisk import (
    AmiLoginFailed,
    AmiUnreachable,
    AsteriskAdapter,
    MissingFields,
    WireEvent,
    extension,
    map_event,
)
from tests.cti.amiserver import DROP, FakeAmi, ami, channel

CALLER = channel()  # 13800138000 dials 4008200, queued in "hotline"
AGENT = channel("Dest", Channel="PJSIP/201-00000013", CallerIDNum="201", Uniqueid="1733380001.19")
WITHHELD = channel(
    Channel="PJSIP/trunk-00000015",
    CallerIDNum="<unknown>",
    Exten="s",
    Uniqueid="1733380002.21",
    Linkedid="1733380002.21",
)
MEMBER = {"Queue": "hotline", "MemberName": "Wang Fang", "Interface": "PJSIP/201"}

# A recorded afternoon: one call answered by extension 201, one withheld caller who gives up, and
# the noise of a real AMI (channels, variables, the agent being rung, callers leaving the queue).
JOIN = ami("QueueCallerJoin", **CALLER, Queue="hotline", Position="1", Count="1")
JOIN_WITHHELD = ami("QueueCallerJoin", **WITHHELD, Queue="hotline", Position="2", Count="2")
CONNECT = ami("AgentConnect", **CALLER, **AGENT, **MEMBER, RingTime="4", HoldTime="9")
COMPLETE = ami("AgentComplete", **CALLER, **AGENT, **MEMBER, HoldTime="9", TalkTime="187", Reason="caller")
ABANDON = ami(
    "QueueCallerAbandon", **WITHHELD, Queue="hotline", Position="1", OriginalPosition="2", HoldTime="31"
)
STREAM = [
    ami("Newchannel", **CALLER),
    ami("VarSet", **CALLER, Variable="__FROM_DID", Value="4008200"),
    JOIN,
    ami("AgentCalled", **CALLER, **AGENT, **MEMBER),
    ami("Newchannel", **WITHHELD),
    JOIN_WITHHELD,
    CONNECT,
    ami("QueueCallerLeave", **CALLER, Queue="hotline", Position="1", Count="1"),
    ABANDON,
    ami("QueueCallerLeave", **WITHHELD, Queue="hotline", Position="1", Count="0"),
    ami("BridgeLeave", **CALLER, BridgeUniqueid="6ba1", BridgeType="basic"),
    COMPLETE,
    ami("Hangup", **CALLER, Cause="16", **{"Cause-txt": "Normal Clearing"}),
]

NEW_CALL = {
    "event": "newCall",
    "callId": "1733380000.18",
    "direction": "in",
    "from": "13800138000",
    "to": "4008200",
    "queue": "hotline",
}
NEW_WITHHELD = {
    "event": "newCall",
    "callId": "1733380002.21",
    "direction": "in",
    "from": "anonymous",
    "to": "hotline",  # Exten "s": the queue is what was dialled
    "queue": "hotline",
}
ANSWER = {**NEW_CALL, "event": "answer", "answeringNumber": "201", "user": ["Wang Fang"]}
CANCELLED = {**NEW_WITHHELD, "event": "hangup", "cause": "cancel"}
CLEARED = {**NEW_CALL, "event": "hangup", "cause": "normalClearing", "answeringNumber": "201"}
MAPPED = [NEW_CALL, NEW_WITHHELD, ANSWER, CANCELLED, CLEARED]


class Received:
    """The sink: the events in the order they arrive; a newCall takes a while (ordering must hold)."""

    def __init__(self) -> None:
        self.events: list[WireEvent] = []
        self._changed = asyncio.Event()

    async def __call__(self, event: WireEvent) -> None:
        if event["event"] == "newCall":
            await asyncio.sleep(0.01)
        self.events.append(event)
        self._changed.set()

    async def until(self, count: int) -> list[WireEvent]:
        async def wait() -> None:
            while len(self.events) < count:
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout=20)  # a safety net, not a measure
        return self.events


@pytest.fixture
async def running() -> AsyncIterator[Callable[..., AsteriskAdapter]]:
    """Start adapters (against a fake AMI's port); each is cancelled at the end of the test."""
    tasks: list[asyncio.Task[None]] = []

    def start(fake: FakeAmi, sink: Received, *, secret: str = "s3cret", **options: float) -> AsteriskAdapter:
        adapter = AsteriskAdapter(
            host="127.0.0.1",
            port=fake.port,
            user="deskterm",
            secret=secret,
            sink=sink,
            reconnect_seconds=options.pop("reconnect_seconds", 0.05),
            **options,
        )
        tasks.append(asyncio.create_task(adapter.run()))
        return adapter

    yield start
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_recorded_stream_gives_the_mapped_events_in_order(running):
    sink = Received()
    async with FakeAmi(replays=[STREAM]) as fake:
        adapter = running(fake, sink)
        assert await sink.until(len(MAPPED)) == MAPPED
        await asyncio.sleep(0.05)  # nothing more comes of the noise
    assert sink.events == MAPPED
    login = fake.actions[0]
    assert login["Action"] == "Login" and login["Username"] == "deskterm" and login["Events"] == "on"
    assert adapter.logins == 1 and adapter.skipped == 0


async def test_a_wrong_secret_stops_the_adapter_with_a_clear_error():
    async with FakeAmi() as fake:
        adapter = AsteriskAdapter(
            host="127.0.0.1", port=fake.port, user="deskterm", secret="nope", sink=Received()
        )
        with pytest.raises(AmiLoginFailed) as refused:
            await asyncio.wait_for(adapter.run(), timeout=20)
        await asyncio.sleep(0.1)  # and it does not try again
    assert str(refused.value) == (
        f"the AMI at 127.0.0.1:{fake.port} refused the login of deskterm: Authentication failed"
    )
    assert fake.connections == 1 and fake.logins == 0


async def test_a_port_nobody_listens_on_is_said_at_once():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free once closed
    adapter = AsteriskAdapter(host="127.0.0.1", port=port, user="deskterm", secret="s3cret", sink=Received())
    with pytest.raises(AmiUnreachable, match=f"cannot reach the AMI at 127.0.0.1:{port}"):
        await asyncio.wait_for(adapter.run(), timeout=20)


async def test_a_dropped_connection_is_reestablished_and_events_still_flow(running, caplog):
    sink = Received()
    first, rest = STREAM[:6], STREAM[6:]  # the drop comes between the joins and the answer
    async with FakeAmi(replays=[[*first, DROP], rest]) as fake:
        with caplog.at_level(logging.WARNING, logger="deskterm.cti.asterisk"):
            adapter = running(fake, sink)
            assert await sink.until(len(MAPPED)) == MAPPED
    assert fake.connections == 2 and fake.logins == 2 and adapter.logins == 2
    assert [a["Action"] for a in fake.actions if a["Action"] == "Login"] == ["Login", "Login"]
    assert f"lost the AMI at 127.0.0.1:{fake.port}: reconnecting" in caplog.messages


async def test_an_asterisk_that_restarts_is_waited_for_and_followed_again(running, caplog):
    sink = Received()
    with caplog.at_level(logging.WARNING, logger="deskterm.cti.asterisk"):
        async with FakeAmi(replays=[[JOIN, DROP]]) as before:
            adapter = running(before, sink)
            await sink.until(1)
        # down for a while: attempts are refused, and said once
        await asyncio.wait_for(_until(lambda: "cannot reach" in caplog.text), timeout=20)
        async with FakeAmi(port=before.port, replays=[[CONNECT, COMPLETE]]) as after:
            assert await sink.until(3) == [NEW_CALL, ANSWER, CLEARED]
    assert after.logins == 1 and adapter.logins == 2
    unreachable = [m for m in caplog.messages if m.startswith("cannot reach")]
    assert len(unreachable) == 1 and unreachable[0].endswith(": trying every 0.05 s")


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.01)


async def test_stopping_lets_the_mapped_events_through_the_sink_first():
    release = asyncio.Event()
    delivered: list[WireEvent] = []

    async def slow(event: WireEvent) -> None:
        await release.wait()
        delivered.append(event)

    async with FakeAmi(replays=[[JOIN, CONNECT, COMPLETE]]) as fake:
        adapter = AsteriskAdapter(
            host="127.0.0.1", port=fake.port, user="deskterm", secret="s3cret", sink=slow
        )
        running = asyncio.create_task(adapter.run())
        await asyncio.wait_for(_until(lambda: adapter.mapped == 3), timeout=20)
        running.cancel()
        release.set()
        with pytest.raises(asyncio.CancelledError):
            await running
    assert delivered == [NEW_CALL, ANSWER, CLEARED]


async def test_stopping_waits_for_the_sink_only_so_long(caplog):
    async def stuck(event: WireEvent) -> None:
        await asyncio.Event().wait()

    async with FakeAmi(replays=[[JOIN, CONNECT, COMPLETE]]) as fake:
        adapter = AsteriskAdapter(
            host="127.0.0.1", port=fake.port, user="deskterm", secret="s3cret", sink=stuck, flush_seconds=0.05
        )
        running = asyncio.create_task(adapter.run())
        await asyncio.wait_for(_until(lambda: adapter.mapped == 3), timeout=20)
        with caplog.at_level(logging.WARNING, logger="deskterm.cti.asterisk"):
            running.cancel()
            with pytest.raises(asyncio.CancelledError):
                await running
    assert caplog.messages == ["stopping with 3 events not through the sink"]


async def test_a_connection_that_stops_answering_pings_is_replaced(running, caplog):
    sink = Received()
    async with FakeAmi(replays=[[JOIN], [CONNECT, COMPLETE]], silent_pings={0}) as fake:
        with caplog.at_level(logging.WARNING, logger="deskterm.cti.asterisk"):
            running(fake, sink, ping_seconds=0.1)
            events = await sink.until(3)
    assert events == [NEW_CALL, ANSWER, CLEARED]
    assert fake.connections >= 2 and fake.logins >= 2
    assert f"the AMI at 127.0.0.1:{fake.port} does not answer a ping: reconnecting" in caplog.messages
    assert any(a["Action"] == "Ping" for a in fake.actions)


async def test_malformed_events_are_logged_and_skipped(running, caplog):
    unnamed = {k: v for k, v in CALLER.items() if k not in ("Uniqueid", "Linkedid")}
    without_agent = {k: v for k, v in MEMBER.items() if k not in ("Interface", "MemberName")}
    broken = [
        ami("QueueCallerJoin", **unnamed, Queue="hotline", Position="1", Count="1"),
        ami("AgentConnect", **CALLER, **AGENT, **without_agent, RingTime="4", HoldTime="9"),
        # Uniqueid given twice: which call is it?
        ami("QueueCallerAbandon", **unnamed, Queue="hotline", Uniqueid="1733380000.18").replace(
            "Uniqueid: 1733380000.18", "Uniqueid: 1733380000.18\r\nUniqueid: 1733380009.99"
        ),
        "this is not a header line\r\n\r\n",
        "Event: QueueCallerJoin\r\n\r\n",
        ami("QueueCallerJoin", **unnamed, Queue="hotline\x1b[2J", Position="1", Count="1"),
    ]
    sink = Received()
    async with FakeAmi(replays=[[*broken, JOIN, CONNECT, COMPLETE]]) as fake:
        with caplog.at_level(logging.WARNING, logger="deskterm.cti.asterisk"):
            adapter = running(fake, sink)
            events = await sink.until(3)
    assert events == [NEW_CALL, ANSWER, CLEARED]
    assert adapter.skipped == 5
    assert "AMI QueueCallerJoin without Uniqueid or Linkedid: skipped (Queue=hotline)" in caplog.messages
    assert (
        "AMI AgentConnect without Interface or MemberName (the agent's extension): skipped "
        "(Uniqueid=1733380000.18, Queue=hotline)"
    ) in caplog.messages
    assert not any("\x1b" in message for message in caplog.messages)  # outside text, cleaned


def test_unknown_and_uninteresting_events_map_to_nothing():
    assert map_event({"Event": "Newchannel", **CALLER}) is None
    assert map_event({"Event": "QueueMemberStatus", "Queue": "hotline"}) is None
    assert map_event({"Response": "Success"}) is None
    assert map_event({"Event": ["AgentConnect", "AgentComplete"]}) is None


def test_header_names_are_read_as_asterisk_means_them_whatever_their_case():
    event = {
        "event": "queuecallerabandon",
        "UNIQUEID": "7.1",
        "queue": "vip",
        "callerIDnum": "+8613800138000",
    }
    assert map_event(event) == {
        "event": "hangup",
        "callId": "7.1",
        "direction": "in",
        "from": "+8613800138000",
        "to": "vip",
        "queue": "vip",
        "cause": "cancel",
    }


def test_the_linkedid_names_the_call_when_the_uniqueid_is_missing():
    event = {"Event": "AgentComplete", "Linkedid": "9.4", "Interface": "SIP/305", "MemberName": "SIP/305"}
    assert map_event(event) == {
        "event": "hangup",
        "callId": "9.4",
        "direction": "in",
        "from": "anonymous",
        "cause": "normalClearing",
        "answeringNumber": "305",
    }


def test_an_answer_needs_the_agents_extension():
    with pytest.raises(MissingFields):
        map_event({"Event": "AgentConnect", "Uniqueid": "1.1", "MemberName": "Wang Fang"})
    answered = map_event({"Event": "AgentConnect", "Uniqueid": "1.1", "MemberName": "208"})
    assert answered is not None and answered["answeringNumber"] == "208" and "user" not in answered


@pytest.mark.parametrize(
    ("interface", "number"),
    [
        ("PJSIP/201", "201"),
        ("SIP/201", "201"),
        ("Local/201@from-queue/n", "201"),
        ("Local/8001@agents", "8001"),
        ("PJSIP/alice", "alice"),
        ("IAX2/202@pbx", "202"),
        ("201", "201"),
        ("Wang Fang", None),
        ("PJSIP/", None),
    ],
)
def test_the_agents_extension_is_read_from_the_member_interface(interface, number):
    assert extension(interface) == number


async def test_an_asterisk_afternoon_becomes_call_records_through_the_real_endpoint(db):
    """End to end: the fake AMI → the adapter → the poster → deskterm's endpoint → the records."""
    from aiohttp import web

    from deskterm.config import Settings
    from deskterm.cti.poster import CtiPoster
    from deskterm.cti.server import CtiEndpoint
    from deskterm.services import calls
    from tests.factories import make_agent

    wang = make_agent(db, "wang", role="operator", extension="201")
    runner = web.AppRunner(CtiEndpoint(db, Settings(database_url="sqlite://")).make_app())
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    url = calls.cti_url(await asyncio.to_thread(calls.cti_token, db), f"127.0.0.1:{port}")
    try:
        async with FakeAmi(replays=[STREAM]) as fake, CtiPoster(url) as poster:
            adapter = AsteriskAdapter(
                host="127.0.0.1", port=fake.port, user="deskterm", secret="s3cret", sink=poster
            )
            task = asyncio.create_task(adapter.run())
            await _until(lambda: poster.posted == len(MAPPED))
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
    finally:
        await runner.cleanup()
    rows = {r.call_id: r for r in await asyncio.to_thread(calls.list_calls, db, wang)}
    answered, withheld = rows["1733380000.18"], rows["1733380002.21"]
    assert (answered.caller, answered.agent_id, answered.queue, answered.cause) == (
        "+8613800138000",
        wang.id,
        "hotline",
        "normalClearing",
    )
    assert answered.talk_seconds is not None and not answered.missed
    assert (withheld.caller, withheld.caller_raw, withheld.missed, withheld.cause) == (
        "",
        "anonymous",
        True,
        "cancel",
    )
