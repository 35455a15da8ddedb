"""The phone system drives the console: an answer on the agent's extension pops Intake with the
caller looked up and the timer running from the answer; another agent's calls do not; a call
answered mid-call rings in a line and keeps the form; a hang-up starts after-call work; a ticket
saved during the call is linked to it."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from textual.pilot import Pilot

from deskterm import clock
from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.db import Database
from deskterm.models import Agent, PhoneCall, PhoneCallTicket
from deskterm.services import calls, intake, remote
from deskterm.widgets.chrome import DeskHeader
from tests.factories import call_form, make_agent
from tests.screens.helpers import log_in, wait_until


def desk_app(db: Database, drafts: Path) -> DeskApp:
    values = {
        "database_url": str(db.engine.url),
        "poll_interval": 0.02,
        "drafts_dir": str(drafts),
        "acw_max_seconds": 3600,
    }
    return DeskApp(settings=Settings.model_validate(values), database=db)


@contextlib.asynccontextmanager
async def olgas_console(db: Database, drafts: Path) -> AsyncIterator[tuple[DeskApp, Pilot]]:
    """Olga logged in on Intake, her console's call feed listening."""
    app = desk_app(db, drafts)
    async with app.run_test(size=(110, 34)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "intake")
        await wait_until(pilot, lambda: app.call_feed is not None)
        yield app, pilot


def ring(db: Database, call_id: str, number: str, extension: str, *, ago: float = 0.0) -> int:
    """newCall then answer by `extension`; the call's pk."""
    at = clock.now() - timedelta(seconds=ago)
    calls.ingest(db, calls.parse({"event": "newCall", "callId": call_id, "from": number}), at=at)
    answer = {"event": "answer", "callId": call_id, "answeringNumber": extension}
    pk = calls.ingest(db, calls.parse(answer), at=at).call_pk
    assert pk is not None
    return pk


def hang_up(db: Database, call_id: str) -> None:
    calls.ingest(db, calls.parse({"event": "hangup", "callId": call_id, "cause": "normalClearing"}))


def answered_at(db: Database, pk: int):  # type: ignore[no-untyped-def]
    with db.read() as s:
        call = s.get(PhoneCall, pk)
        assert call is not None
        return call.answered_at


@pytest.fixture
def desk(sqlite_db):  # type: ignore[no-untyped-def]
    """Olga (extension 201) and Bob (202) at the hotline; Li Lei has an open ticket."""
    olga = make_agent(
        sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw", extension="201"
    )
    make_agent(sqlite_db, "bob", role="operator", team="Service Desk", tier=1, extension="202")
    intake.save_call(sqlite_db, olga, call_form())
    return sqlite_db


async def test_an_answer_pops_the_agents_console_and_the_call_follows_the_phone(desk, tmp_path):
    db = desk
    async with olgas_console(db, tmp_path) as (app, pilot):
        screen = app.screen

        # Bob's call is not Olga's; hers pops with Li Lei found, the timer from the answer.
        ring(db, "bob-1", "137 0000 2222", "202")
        pk = ring(db, "c1", "139 0000 1111", "201", ago=30)
        await wait_until(pilot, lambda: screen.caller.pop is not None)
        assert screen.caller.text("name") == "Li Lei" and screen.caller.text("phone") == "13900001111"
        assert [t.summary for t in screen.caller.pop.open_tickets] == ["VPN drops every hour"]
        assert screen.phone_call_id == pk and app.phone_call_pk == pk
        assert screen.line.started_at == answered_at(db, pk)
        assert app.agent_state[0] == "on_call" and app.ringing is None

        # Mid-call, another call is answered: it rings in a line, the form is kept.
        ring(db, "c2", "136 0000 3333", "201")
        await wait_until(pilot, lambda: app.ringing is not None)
        assert app.ringing.number == "+8613600003333"
        assert screen.ringing.has_class("-ringing") and "+8613600003333" in str(screen.ringing.render())
        assert "+8613600003333" in screen.query_one(DeskHeader).ringing
        assert screen.caller.text("name") == "Li Lei" and screen.phone_call_id == pk
        hang_up(db, "c2")  # the waiting caller gives up: the line goes
        await wait_until(pilot, lambda: app.ringing is None)
        assert not screen.ringing.has_class("-ringing") and app.agent_state[0] == "on_call"

        # The ticket saved during the call is linked to it.
        screen.device_panel.set_text("description", "The printer on floor 3 jams")
        screen.classification.set_text("category", "Network/VPN")
        screen.classification.set_choice("impact", 3)
        screen.classification.set_choice("urgency", 3)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.last_result is not None)
        with db.read() as s:
            linked = [(r.call_pk, r.ticket_id, r.kind) for r in s.exec(select(PhoneCallTicket)).all()]
        assert linked == [(pk, screen.last_result.ticket_id, "logged")]
        assert app.agent_state[0] == "after_call"

        # After the save, an unknown number pops with the phone filled; its hang-up: after-call work.
        pk3 = ring(db, "c3", "135 0000 4444", "201")
        await wait_until(pilot, lambda: screen.phone_call_id == pk3 and not screen._popping)
        assert screen.caller.text("phone") == "+8613500004444" and screen.caller.text("name") == ""
        assert screen.caller.customer_id is None and app.focused is not None and app.focused.id == "f-name"
        assert app.agent_state[0] == "on_call"
        hang_up(db, "c3")
        await wait_until(pilot, lambda: app.agent_state[0] == "after_call")
        assert screen.caller.text("phone") == "+8613500004444"  # the form stays, to be saved


async def test_take_call_from_another_screen_and_text_from_the_pbx_is_literal(desk, tmp_path):
    db = desk
    async with olgas_console(db, tmp_path) as (app, pilot):
        await pilot.press("f3")
        await wait_until(pilot, lambda: app.current_mode == "queue")
        app.take_call("[b]139\x1b[31m 0000 1111")  # a call back, say; markup and escapes shown literally
        await wait_until(pilot, lambda: app.current_mode == "intake")
        screen = app.screen
        assert "\x1b" not in screen.caller.text("phone")
        await wait_until(pilot, lambda: not screen._popping)
        assert screen.phone_call_id is None and screen.line.started_at is not None
        # Mid-call: a second one waits; F12 asks, then takes it (the first is dropped).
        app.take_call("13600003333")
        await wait_until(pilot, lambda: app.ringing is not None)
        await pilot.press("f12")
        await pilot.press("y")
        await wait_until(pilot, lambda: app.ringing is None and screen.caller.text("phone") == "13600003333")


async def test_a_number_of_several_callers_is_offered_in_the_pick_list(desk, tmp_path):
    db = desk
    with db.read() as s:
        olga_id = s.exec(select(Agent.id).where(Agent.login == "olga")).one()
    olga = remote.session_actor(db, olga_id)
    intake.save_call(db, olga, call_form(name="Han Mei", organisation="Beta Co", description="Mail bounces"))
    async with olgas_console(db, tmp_path) as (app, pilot):
        screen = app.screen
        ring(db, "c1", "139 0000 1111", "201")
        await wait_until(pilot, lambda: screen.assist.mode == "callers" and len(screen.assist.items) == 2)
        assert app.focused is not None and app.focused.id == "f-phone" and screen.caller.pop is None
        names = {m.name for m in screen.assist.items}
        assert names == {"Li Lei", "Han Mei"}
        await pilot.press("enter")  # the operator picks the one highlighted
        await wait_until(pilot, lambda: screen.caller.pop is not None)
        assert screen.caller.text("name") in names and app.agent_state[0] == "on_call"
