"""The call-event endpoint over real HTTP (aiohttp server on a free port, aiohttp client), on both
backends: JSON and form bodies, the token, malformed bodies (400, nothing stored), events duplicated
and out of order, the database away (bounded retry, then 503; nothing lost, nothing doubled), and
many events at once."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy.exc import OperationalError
from sqlmodel import func, select

from deskterm.config import Settings
from deskterm.cti import server
from deskterm.db import Database
from deskterm.models import CallEvent, PhoneCall
from deskterm.services import calls
from tests.factories import make_agent


@dataclass
class Endpoint:
    db: Database
    base: str
    token: str
    http: aiohttp.ClientSession
    cti: server.CtiEndpoint

    @property
    def url(self) -> str:
        return f"{self.base}/cti/{self.token}"

    async def post(self, body: Any = None, *, token: str | None = None, **kwargs: Any) -> tuple[int, Any]:
        url = f"{self.base}/cti/{token if token is not None else self.token}"
        if body is not None:
            kwargs["json"] = body
        async with self.http.post(url, **kwargs) as r:
            text = await r.text()
            self.headers = r.headers
            return r.status, (json.loads(text) if r.content_type == "application/json" else text)

    def counts(self) -> tuple[int, int]:
        """(call records, call events) in the database."""
        with self.db.read() as s:
            return (
                s.exec(select(func.count()).select_from(PhoneCall)).one(),
                s.exec(select(func.count()).select_from(CallEvent)).one(),
            )

    def call(self, call_id: str) -> PhoneCall:
        with self.db.read() as s:
            return s.exec(select(PhoneCall).where(PhoneCall.call_id == call_id)).one()


async def start(db: Database, **options: Any) -> tuple[web.AppRunner, str, server.CtiEndpoint]:
    cti = server.CtiEndpoint(db, Settings(database_url="sqlite://", default_country="86"), **options)
    runner = web.AppRunner(cti.make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    return runner, f"http://{host}:{port}", cti


@pytest.fixture
async def endpoint(db: Database) -> AsyncIterator[Endpoint]:
    runner, base, cti = await start(db, retry_delays=(0.01, 0.02, 0.05))
    async with aiohttp.ClientSession() as http:
        yield Endpoint(db, base, calls.cti_token(db), http, cti)
    await runner.cleanup()


def call(event: str, call_id: str = "c1", **fields: Any) -> dict[str, Any]:
    return {"event": event, "callId": call_id, **fields}


# --- bodies ----------------------------------------------------------------------------------------


async def test_a_json_call_from_ring_to_hangup(endpoint: Endpoint) -> None:
    anna = make_agent(endpoint.db, "anna", role="operator", extension="201")
    status, body = await endpoint.post(call("newCall", **{"from": "138 1234 5678", "to": "400800"}))
    assert (status, body["status"], body["reason"]) == (200, "stored", "")
    assert (await endpoint.post(call("answer", answeringNumber="201")))[0] == 200
    status, done = await endpoint.post(call("hangup", cause="normalClearing"))
    assert (status, done["status"], done["call"]) == (200, "stored", body["call"])
    row = endpoint.call("c1")
    assert (row.caller, row.dialled, row.agent_id, row.extension, row.cause) == (
        "+8613812345678",
        "400800",
        anna.id,
        "201",
        "normalClearing",
    )
    assert row.answered_at is not None and row.ended_at is not None


@pytest.mark.parametrize("user_key", ["user", "user[]"])
async def test_a_form_body_with_repeated_users(endpoint: Endpoint, user_key: str) -> None:
    bo = make_agent(endpoint.db, "bo", role="operator")
    form = [
        ("event", "newCall"),
        ("callId", "f1"),
        ("from", "010 8765 4321"),
        ("direction", "in"),
        ("queue", "hotline"),
        (user_key, "nobody"),
        (user_key, "bo"),
    ]
    status, body = await endpoint.post(data=aiohttp.FormData(form))
    assert (status, body["status"]) == (200, "stored")
    # curl -F: multipart; a file among the fields is ignored.
    multipart = aiohttp.FormData([("event", "newCall"), ("callId", "f1"), ("user", "bo")])
    multipart.add_field("junk", b"\xff\x00", filename="x.bin")
    assert (await endpoint.post(data=multipart))[1]["status"] == "duplicate"
    [event] = calls.events_after(endpoint.db, 0)
    assert (event.agent_id, event.caller, event.queue) == (bo.id, "+861087654321", "hotline")
    with endpoint.db.read() as s:
        payload = json.loads(s.exec(select(CallEvent.payload)).one())
    assert payload["users"] == ["nobody", "bo"]
    # Form with a charset, urlencoded by hand as a PBX's webhook would.
    status, body = await endpoint.post(
        data="event=hangup&callId=f1&cause=cancel",
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    assert (status, body["status"]) == (200, "stored") and endpoint.call("f1").cause == "cancel"


# --- the token -------------------------------------------------------------------------------------


async def test_a_wrong_token_is_refused_and_logged(
    endpoint: Endpoint, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="deskterm.cti"):
        status, body = await endpoint.post(call("newCall"), token="guess")
        assert (status, body) == (403, {"error": "wrong token"})
        assert (await endpoint.post(call("newCall"), token=endpoint.token + "x"))[0] == 403
    refused = [r.getMessage() for r in caplog.records if "wrong token" in r.getMessage()]
    assert len(refused) == 2 and "127.0.0.1" in refused[0]
    assert endpoint.token not in caplog.text  # the secret is never logged
    assert endpoint.counts() == (0, 0)


async def test_a_rotated_token(endpoint: Endpoint) -> None:
    admin = make_agent(endpoint.db, "root", role="admin", team=None)
    assert (await endpoint.post(call("newCall", "r1")))[0] == 200  # the old token is now cached
    old, new = endpoint.token, calls.rotate_cti_token(endpoint.db, admin)
    # The new token works at once (a mismatch reads the token again) ...
    assert (await endpoint.post(call("newCall", "r2"), token=new))[0] == 200
    # ... and that read also retires the old one; at the latest the old one goes when its TTL ends.
    assert (await endpoint.post(call("newCall", "r3"), token=old))[0] == 403
    calls.rotate_cti_token(endpoint.db, admin)
    endpoint.cti.token_ttl = 0.0
    assert (await endpoint.post(call("newCall", "r4"), token=new))[0] == 403
    assert endpoint.counts() == (2, 2)


async def test_the_old_token_stops_within_the_ttl(db: Database) -> None:
    admin = make_agent(db, "root", role="admin", team=None)
    runner, base, _cti = await start(db, token_ttl=0.2)
    try:
        async with aiohttp.ClientSession() as http:
            old = calls.cti_token(db)
            async with http.post(f"{base}/cti/{old}", json=call("newCall")) as r:
                assert r.status == 200
            calls.rotate_cti_token(db, admin)
            statuses = []
            for _ in range(200):  # the cache answers 200 until the TTL is over, then 403 for good
                async with http.post(f"{base}/cti/{old}", json=call("newCall")) as r:
                    statuses.append(r.status)
                if statuses[-3:] == [403] * 3:
                    break
                await asyncio.sleep(0.02)
            first_refusal = statuses.index(403)
            assert set(statuses[:first_refusal]) <= {200} and set(statuses[first_refusal:]) == {403}
    finally:
        await runner.cleanup()


# --- malformed bodies ------------------------------------------------------------------------------

JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize(
    ("data", "headers", "says"),
    [
        ("{not json", JSON, "not valid JSON"),
        ("", JSON, "not valid JSON"),
        ('[{"event": "newCall", "callId": "c1"}]', JSON, "one JSON object"),
        ('"newCall"', JSON, "one JSON object"),
        ('{"event": "ring", "callId": "c1"}', JSON, "event"),
        ('{"event": "newCall"}', JSON, "callId"),
        ('{"event": "newCall", "callId": "   "}', JSON, "callId"),
        ('{"event": "newCall", "callId": "c1\\u0000"}', JSON, "NUL"),
        ('{"event": "newCall", "callId": "c1", "from": "\\ud800"}', JSON, "UTF-8"),
        ('{"event": "newCall", "callId": "c1", "user": [1, 2]}', JSON, "user"),
        ('{"event": "newCall", "callId": "c1", "user": {"a": "b"}}', JSON, "user"),
        ('{"event": "newCall", "callId": "c1", "direction": "up"}', JSON, "direction"),
        ('{"event": "hangup", "callId": "c1", "cause": "x; DROP TABLE"}', JSON, "cause"),
        ('{"event": "newCall", "callId": "' + "c" * 200 + '"}', JSON, "callId"),
        (b"\xff\xfe\x00\x81garbage", JSON, "not valid JSON"),
        (b'{"event": "newCall", "callId": "c\xff1"}', JSON, "not valid JSON"),
        (b"event=newCall&callId=c%001", FORM, "NUL"),
        (b"event=newCall&callId=c%FF1", FORM, ""),
        (b"\xff\xfe\x00\x81garbage", FORM, ""),
        ("event=newCall&callId=c1", {"Content-Type": "text/plain"}, "application/json"),
        (b"\x00\x01\x02", {"Content-Type": "application/octet-stream"}, "application/json"),
        ("event=newCall&callId=c1", {}, "application/json"),
        ('{"event": "newCall", "callId": "c1", "from": "' + "1" * 70_000 + '"}', JSON, "64 KB"),
        ("event=newCall&callId=c1&from=" + "1" * 70_000, FORM, "64 KB"),
        ("event=newCall&callId=c1&" + "&".join(f"f{i}=1" for i in range(200)), FORM, "200 form fields"),
    ],
    ids=lambda v: repr(v)[:40] if isinstance(v, str | bytes) else "-",
)
async def test_a_malformed_body_is_refused_in_one_line_and_nothing_is_stored(
    endpoint: Endpoint, data: str | bytes, headers: dict[str, str], says: str
) -> None:
    status, body = await endpoint.post(data=data, headers=headers)
    assert status == 400, body
    assert says in body["error"] and "\n" not in body["error"] and len(body["error"]) <= 300
    assert endpoint.counts() == (0, 0)


async def test_escapes_from_the_pbx_are_cleaned(endpoint: Endpoint) -> None:
    status, _ = await endpoint.post(
        call("newCall", "e\x1b[2J1", **{"from": "\x1b]0;pwned\x07138 0000 0000", "queue": "q\r\nX-Bad: 1"})
    )
    assert status == 200
    row = endpoint.call("e1")
    assert (row.caller, row.queue) == ("+8613800000000", "q X-Bad: 1")
    assert "\x1b" not in row.caller_raw and "\x07" not in row.caller_raw


# --- duplicated and out of order -------------------------------------------------------------------


async def test_events_duplicated_and_out_of_order(endpoint: Endpoint) -> None:
    make_agent(endpoint.db, "anna", role="operator", extension="201")
    post = endpoint.post
    # A retried newCall counts once.
    first, again = (await post(call("newCall", "d1")))[1], (await post(call("newCall", "d1")))[1]
    assert (again["status"], again["call"]) == ("duplicate", first["call"])
    # An answer before its newCall builds the record; the late newCall fills in the caller.
    early = (await post(call("answer", "d2", answeringNumber="201")))[1]
    late = (await post(call("newCall", "d2", **{"from": "13812345678"})))[1]
    assert (early["status"], late["status"], late["call"]) == ("stored", "stored", early["call"])
    assert endpoint.call("d2").caller == "+8613812345678"
    # A hang-up before the answer: a missed call; the answer after it is rejected with its reason.
    await post(call("newCall", "d3"))
    assert (await post(call("hangup", "d3", cause="cancel")))[1]["status"] == "stored"
    status, body = await post(call("answer", "d3", answeringNumber="201"))
    assert (status, body["status"]) == (200, "rejected") and "ended" in body["reason"]
    assert endpoint.call("d3").answered_at is None
    # A hang-up of a call never announced: rejected, no record.
    status, body = await post(call("hangup", "nobody-knows", cause="normalClearing"))
    assert (status, body["status"], body["call"]) == (200, "rejected", None)
    # A second answer of one call: rejected.
    await post(call("answer", "d1", answeringNumber="201"))
    assert (await post(call("answer", "d1", answeringNumber="202")))[1]["status"] == "duplicate"
    assert endpoint.counts() == (3, 8)  # rejected events are kept, duplicates are not


# --- the database away -----------------------------------------------------------------------------


async def test_postgresql_connections_killed_between_events(endpoint: Endpoint) -> None:
    if endpoint.db.is_sqlite:
        pytest.skip("PostgreSQL: backends killed under the pool")
    assert (await endpoint.post(call("newCall", "k1")))[0] == 200
    killed = _kill_backends(endpoint.db)
    assert killed >= 1
    status, body = await endpoint.post(call("answer", "k1"))
    assert (status, body["status"]) == (200, "stored")
    _kill_backends(endpoint.db)
    assert (await endpoint.post(call("hangup", "k1", cause="normalClearing")))[0] == 200
    assert endpoint.counts() == (1, 3)


def _kill_backends(db: Database) -> int:
    """Terminate every other connection to the desk's database (the pool's), as a restart would."""
    import psycopg

    from tests.conftest import PG_ADMIN_URL

    name = db.engine.url.database
    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchall()
    return len(rows)


async def test_a_database_that_stays_away_gets_503_then_the_resent_event_counts_once(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest, failures = calls.ingest, [0]

    def away(*args: Any, **kwargs: Any) -> calls.Ingested:
        if failures[0] < 10:
            failures[0] += 1
            raise OperationalError("INSERT …", {}, Exception("server closed the connection unexpectedly"))
        return ingest(*args, **kwargs)

    monkeypatch.setattr(calls, "ingest", away)
    status, body = await endpoint.post(call("newCall", "w1"))
    assert (status, endpoint.headers["Retry-After"]) == (503, "5") and "send the event again" in body["error"]
    assert failures[0] == 4  # one try and three retries: bounded
    assert endpoint.counts() == (0, 0)
    failures[0] = 9  # back after one more failure: the retry stores it
    assert (await endpoint.post(call("newCall", "w1")))[1]["status"] == "stored"
    assert (await endpoint.post(call("newCall", "w1")))[1]["status"] == "duplicate"
    assert endpoint.counts() == (1, 1)


async def test_a_hangup_that_overtook_its_newcall_ends_the_call_when_it_comes(
    endpoint: Endpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The newCall answered 503 (the database away), the short call's hang-up arrives once the
    database is back, then the PBX's resent newCall: the call is made and ended, not left ringing."""
    ingest = calls.ingest

    def away(*args: Any, **kwargs: Any) -> calls.Ingested:
        raise OperationalError("INSERT …", {}, Exception("the database system is starting up"))

    monkeypatch.setattr(calls, "ingest", away)
    assert (await endpoint.post(call("newCall", "h1", **{"from": "13800000001"})))[0] == 503
    monkeypatch.setattr(calls, "ingest", ingest)
    status, early = await endpoint.post(call("hangup", "h1", cause="cancel"))
    assert (status, early["status"]) == (200, "rejected")
    status, late = await endpoint.post(call("newCall", "h1", **{"from": "13800000001"}))
    assert (status, late["status"]) == (200, "stored")
    row = endpoint.call("h1")
    assert (row.caller, row.cause, row.answered_at, row.wait_seconds) == ("+8613800000001", "cancel", None, 0)
    assert row.ended_at is not None  # a missed call, on the missed list, not "waiting now" for ever
    assert (await endpoint.post(call("hangup", "h1", cause="cancel")))[1]["status"] == "duplicate"
    assert (await endpoint.post(call("answer", "h1")))[1]["status"] == "rejected"
    with endpoint.db.read() as s:
        outcomes = dict(s.exec(select(CallEvent.event, CallEvent.outcome)).all())
    assert outcomes == {"newCall": "stored", "hangup": "stored", "answer": "rejected"}
    assert endpoint.counts() == (1, 3)


async def test_a_sqlite_desk_locked_by_another_writer(
    sqlite_db: Database, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from deskterm.db import open_database

    path = sqlite_db.engine.url.database
    busy = open_database(f"sqlite:///{path}", busy_timeout_ms=20)
    runner, base, _cti = await start(busy, retry_delays=(0.01, 0.02))
    token = calls.cti_token(busy)
    locker = sqlite3.connect(str(path), isolation_level=None)
    try:
        async with aiohttp.ClientSession() as http:
            locker.execute("BEGIN EXCLUSIVE")
            with caplog.at_level(logging.INFO, logger="deskterm.cti"):
                async with http.post(f"{base}/cti/{token}", json=call("newCall", "l1")) as r:
                    assert (r.status, r.headers["Retry-After"]) == (503, "5")
            assert "database unavailable" in caplog.text
            locker.execute("ROLLBACK")
            for _ in range(2):  # the PBX sends it again (twice: its first answer was lost, say)
                async with http.post(f"{base}/cti/{token}", json=call("newCall", "l1")) as r:
                    assert r.status == 200
        with sqlite_db.read() as s:
            assert s.exec(select(func.count()).select_from(CallEvent)).one() == 1
    finally:
        locker.close()
        await runner.cleanup()
        busy.dispose()


# --- many at once ----------------------------------------------------------------------------------


async def test_fifty_events_at_once_for_ten_calls(endpoint: Endpoint) -> None:
    for n in range(10):
        make_agent(endpoint.db, f"a{n}", role="operator", extension=str(300 + n))
    bodies = []
    for n in range(10):
        bodies += [
            call("newCall", f"m{n}", **{"from": f"1380000{n:04d}"}),
            call("newCall", f"m{n}", **{"from": f"1380000{n:04d}"}),
            call("answer", f"m{n}", answeringNumber=str(300 + n)),
            call("answer", f"m{n}", answeringNumber=str(300 + n)),
            call("hangup", f"m{n}", cause="normalClearing"),
        ]
    results = await asyncio.gather(*(endpoint.post(b) for b in bodies))
    assert {status for status, _ in results} == {200}
    assert [b["status"] for _, b in results].count("duplicate") == 20
    records, events = endpoint.counts()
    assert (records, events) == (10, 30)
    with endpoint.db.read() as s:
        assert len(set(s.exec(select(PhoneCall.call_id)).all())) == 10


async def test_a_taken_port_is_one_clear_line(sqlite_db: Database) -> None:
    from deskterm.config import ConfigError

    runner, base, _cti = await start(sqlite_db)
    try:
        port = int(base.rsplit(":", 1)[1])
        settings = Settings(database_url="sqlite://")
        with pytest.raises(ConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            await server.serve(settings, sqlite_db, "127.0.0.1", port)
    finally:
        await runner.cleanup()
