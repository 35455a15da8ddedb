"""`deskterm cti simulate`: the seeded plan is plausible, and played into the real endpoint (over
HTTP, both backends) every call is recorded exactly once and the summary matches the records."""

from __future__ import annotations

import dataclasses
import itertools
import threading
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import web
from sqlalchemy import func, update
from sqlmodel import col, select
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import make_app
from deskterm.config import load_settings
from deskterm.cti import ring, simulate
from deskterm.cti.server import CtiEndpoint
from deskterm.db import Database, open_database
from deskterm.demo_desk import DemoDesk, prepare
from deskterm.models import Agent, CallEvent, Customer, CustomerPhone, PhoneCall
from deskterm.services import calls, demo
from deskterm.services.call_traffic import traffic_cast
from deskterm.services.phones import digits
from tests.factories import make_agent

EXTENSIONS = ("201", "202", "203")


def traffic(**more: object) -> simulate.Traffic:
    base: dict[str, object] = {"calls_per_hour": 120, "agents": EXTENSIONS, "duration": 4 * 3600}
    return simulate.Traffic(**{**base, **more})  # type: ignore[arg-type]


def test_the_plan_is_the_same_for_a_seed_and_another_for_another() -> None:
    assert simulate.plan(traffic(), 7) == simulate.plan(traffic(), 7)
    assert simulate.plan(traffic(), 7) != simulate.plan(traffic(), 8)


def test_callers_abandon_when_agents_are_few_and_not_when_they_are_many() -> None:
    few = Counter(c.outcome for c in simulate.plan(traffic(agents=("201",)), 1))
    many = Counter(
        c.outcome
        for c in simulate.plan(traffic(agents=[str(300 + i) for i in range(40)], no_answer_share=0), 1)
    )
    assert few["abandoned"] > few["answered"] / 2  # one agent, ~4 min calls, 2 calls a minute
    assert many["abandoned"] == 0 and many["answered"] > 400
    # Poisson arrivals: about 120 an hour over 4 hours
    assert 400 < sum(many.values()) < 560


def test_every_call_ends_an_answer_follows_its_new_call_and_no_agent_takes_two_at_once() -> None:
    plan = simulate.plan(traffic(agents=("201", "202")), 3)
    on_phone: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for call in plan:
        kinds = [body["event"] for _at, body in call.events]
        times = [at for at, _body in call.events]
        assert times == sorted(times) and kinds[0] == "newCall" and kinds[-1] == "hangup"
        hangup = call.events[-1][1]
        assert hangup["cause"] == simulate.CAUSE[call.outcome]
        if call.outcome == "answered":
            assert kinds == ["newCall", "answer", "hangup"]
            assert call.arrives < (call.answered or 0) < call.ends
            assert call.events[1][1]["answeringNumber"] == call.extension
            on_phone[call.extension].append((call.answered or 0, call.ends))
        else:
            assert kinds == ["newCall", "hangup"]
    assert {o for o in Counter(c.outcome for c in plan)} >= {"answered", "abandoned"}
    for talks in on_phone.values():
        talks.sort()
        assert all(end <= start for (_s, end), (start, _e) in itertools.pairwise(talks))


def test_a_number_of_calls_some_known_callers_and_chinese_formats() -> None:
    known = [
        ("138-1234-5678", "13812345678"),
        ("(010) 8765-4321 转 12", "01087654321"),
        ("+44 20 7946 0018", "442079460018"),
    ]
    plan = simulate.plan(traffic(duration=None, calls=300, known=known, logins={"201": "anna"}), 5)
    assert len(plan) == 300 and len({c.call_id for c in plan}) == 300
    numbers = [c.caller for c in plan]
    found = Counter(calls.e164(n) for n in numbers)
    assert found["+8613812345678"] + found["+861087654321"] + found["+442079460018"] > 100
    assert any(n.startswith("+86 ") for n in numbers) and any("-" in n for n in numbers)
    assert all(calls.e164(n).startswith("+") for n in numbers if n != "anonymous")
    assert all(
        digits(n) in {"13812345678", "01087654321"} for n in numbers if n.startswith(("138 1234", "010-8765"))
    )
    answered = [c for c in plan if c.extension == "201" and c.outcome == "answered"]
    assert answered and all(c.events[1][1]["user"] == ["anna"] for c in answered)


@pytest.fixture
async def endpoint(db: Database) -> AsyncIterator[str]:
    """The real endpoint on a free port; its URL with the desk's token."""
    runner = web.AppRunner(CtiEndpoint(db, load_settings().settings).make_app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    yield f"http://{host}:{port}/cti/{calls.cti_token(db)}"
    await runner.cleanup()


async def test_a_compressed_run_records_every_call_once(db: Database, endpoint: str) -> None:
    clock.set_clock(None)
    anna = make_agent(db, "anna", role="operator", extension="201")
    make_agent(db, "ben", role="operator", extension="202")
    make_agent(db, "cleo", role="operator")  # no extension: not one of the simulated agents
    with db.write() as s:
        who = Customer(name="Li Lei", created_at=clock.now())
        s.add(who)
        s.flush()
        s.add(CustomerPhone(customer_id=who.id or 0, number="138 1234 5678", digits="13812345678"))
    cast = traffic_cast(db, anna)
    assert cast.extensions() == ["201", "202"] and cast.phones == [("138 1234 5678", "13812345678")]
    plan = simulate.plan(
        simulate.Traffic(
            calls_per_hour=600,
            agents=cast.extensions(),
            logins=cast.logins(),
            known=cast.phones,
            duration=None,
            calls=40,
            mean_talk=120,
            mean_patience=60,
        ),
        11,
    )
    summary = await simulate.play(endpoint, plan, speed=1200)
    assert summary.calls == 40 and summary.failed == 0 and not summary.non_200
    assert summary.events_sent == sum(len(c.events) for c in plan)
    assert summary.statuses == Counter(stored=summary.events_sent)
    assert summary.abandoned > 0 and summary.answered > 0  # two agents, ten calls a minute
    with db.read() as s:
        records = s.exec(select(PhoneCall)).all()
        events = s.exec(select(func.count()).select_from(CallEvent)).one()
        anna_answers = s.exec(
            select(func.count()).select_from(PhoneCall).where(col(PhoneCall.agent_id) == anna.id)
        ).one()
    assert sorted(r.call_id for r in records) == sorted(c.call_id for c in plan)
    assert events == summary.events_sent
    answered = [r for r in records if r.answered_at is not None]
    assert len(answered) == summary.answered
    assert all(r.wait_seconds is not None and r.talk_seconds is not None for r in answered)
    missed = {r.call_id for r in calls.list_calls(db, anna, missed=True)}
    abandoned = {r.call_id for r in records if r.cause == "cancel"}
    assert len(abandoned) == summary.abandoned and abandoned <= missed
    assert anna_answers == sum(1 for c in plan if c.outcome == "answered" and c.extension == "201")
    assert any(r.caller == "+8613812345678" for r in records)


def test_the_demo_cast_has_extensions_and_a_taken_one_is_not_reused(db: Database) -> None:
    boss = make_agent(db, "boss", role="admin", extension="201")
    demo.ensure_agents(db, boss, with_demo_logins=True)
    with db.read() as s:
        extensions = dict(s.exec(select(Agent.login, Agent.extension)).all())
    assert extensions["operator"] is None  # 201 was boss's
    assert (extensions["wang.fang"], extensions["li.na"], extensions["tom.baker"]) == ("202", "203", "204")
    assert all(extensions[login] for login in ("engineer", "expert", "supervisor", "head", "admin"))


def test_the_demo_desks_phones_ring_for_the_hotline_and_the_agent(tmp_path: Path) -> None:
    url = prepare(DemoDesk(url=f"sqlite:///{tmp_path / 'demo.db'}", login="engineer", tickets=20))
    traffic = ring.demo_traffic(url, "engineer", demo.DEMO_PASSWORD, calls_per_hour=600)
    assert list(traffic.agents) == ["209", "201", "202", "203", "204"] and len(traffic.known) > 50
    plan = simulate.plan(dataclasses.replace(traffic, duration=None, calls=12), 4)
    ringing = ring.Ringing(url, plan, speed=3000)
    assert ringing.start().startswith("http://127.0.0.1:")
    for _ in range(600):  # the plan plays out in about a second
        if ringing.summary is not None:
            break
        time.sleep(0.05)
    ringing.stop()
    assert ringing.summary is not None and ringing.summary.calls == 12 and ringing.summary.failed == 0
    database = open_database(url)
    with database.read() as s:
        engineer = s.exec(select(Agent.id).where(Agent.login == "engineer")).one()
        recorded = s.exec(select(PhoneCall.call_id, PhoneCall.agent_id)).all()
    database.dispose()
    assert sorted(c for c, _a in recorded) == sorted(c.call_id for c in plan)
    assert (plan[0].extension, plan[0].outcome) == ("209", "answered")  # the first call rings the agent
    assert engineer in {a for _c, a in recorded}


def test_a_demo_agent_without_an_extension_is_told(tmp_path: Path) -> None:
    url = prepare(DemoDesk(url=f"sqlite:///{tmp_path / 'demo.db'}", tickets=0))
    database = open_database(url)
    with database.write() as s:
        s.exec(update(Agent).where(col(Agent.login) == "operator").values(extension=None))  # type: ignore[call-overload]
    database.dispose()
    with pytest.raises(ring.NoExtension, match="operator has no phone extension"):
        ring.demo_traffic(url, "operator", demo.DEMO_PASSWORD, calls_per_hour=60)


def test_cti_simulate_and_demo_ring_on_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = prepare(DemoDesk(url=f"sqlite:///{tmp_path / 'demo.db'}", tickets=20))
    endpoint = ring.Ringing(url, [])  # the endpoint alone: nothing to play
    cti = endpoint.start()
    monkeypatch.setenv("DESKTERM_PASSWORD", "demo")
    args = ["--db", url, "cti", "simulate", "--url", cti, "--calls-per-hour", "600", "--speed", "0"]
    done = CliRunner().invoke(make_app(), [*args, "--agents", "201,202", "--calls", "15", "--seed", "3"])
    assert done.exit_code == 0, done.output
    assert "calls 15: answered" in done.output and "given up 0" in done.output
    done = CliRunner().invoke(make_app(), [*args, "--agents-from-desk", "--as", "operator", "--calls", "9"])
    assert done.exit_code == 0 and "calls 9: answered" in done.output, done.output
    endpoint.stop()
    database = open_database(url)
    with database.read() as s:
        assert s.exec(select(func.count()).select_from(PhoneCall)).one() == 24
    database.dispose()
    refused = CliRunner().invoke(make_app(), [*args, "--agents-from-desk"])
    assert refused.exit_code == 2 and "give --as" in refused.output

    opened: list[DemoDesk] = []

    def console(*, demo_desk: DemoDesk) -> None:  # the console runs while the phones ring
        opened.append(demo_desk)
        assert "deskterm-demo-ring" in {t.name for t in threading.enumerate()}

    monkeypatch.setattr("deskterm.cli.demo.run_console", console)
    done = CliRunner().invoke(make_app(), ["--db", url, "demo", "--ring", "--as", "li.na"])
    assert done.exit_code == 0, done.output
    assert opened == [DemoDesk(url=url, login="li.na")] and "extensions 203, 201, 202, 204" in done.output
    assert "deskterm-demo-ring" not in {t.name for t in threading.enumerate()}  # stopped with the console


async def test_a_503_or_a_dropped_connection_is_retried_then_given_up() -> None:
    seen: list[tuple[str, str]] = []

    async def flaky(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((body["callId"], body["event"]))
        if seen.count(seen[-1]) < 3:  # each event: 503 twice, then stored
            return web.json_response({"error": "away"}, status=503, headers={"Retry-After": "5"})
        return web.json_response({"status": "stored", "call": 1, "reason": ""})

    app = web.Application()
    app.router.add_post("/cti/{token}", flaky)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    plan = simulate.plan(traffic(duration=None, calls=3, busy_share=0), 2)
    delays = (0.01, 0.01, 0.01)
    summary = await simulate.play(f"http://{host}:{port}/cti/t", plan, speed=0, retry_delays=delays)
    await runner.cleanup()
    sent = sum(len(c.events) for c in plan)
    assert (summary.events_sent, summary.failed, summary.non_200) == (sent, 0, Counter({503: 2 * sent}))
    order: dict[str, list[str]] = defaultdict(list)  # each call's events in the order they came
    for call_id, event in seen:
        order[call_id] += [] if order[call_id][-1:] == [event] else [event]
    assert order == {c.call_id: [b["event"] for _at, b in c.events] for c in plan}
    gone = await simulate.play(f"http://{host}:{port}/cti/t", plan[:1], speed=0, retry_delays=delays)
    n = len(plan[0].events)  # a PBX sends a call's later events even when an earlier one was lost
    assert (gone.events_sent, gone.failed, gone.non_200[0]) == (0, n, 4 * n)  # no connection: 4 tries each
