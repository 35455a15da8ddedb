"""The agent's state with a phone system: F10 toggles ready / not ready on every screen and ends
after-call work; leaving after-call work asks the call's wrap-up code (none is asked without a
call; the cap records none); the Callbacks screen lists missed calls, calls one back and marks
them seen in bulk."""

from __future__ import annotations

from sqlmodel import col, select
from textual.widgets import OptionList
from textual.widgets._footer import FooterKey

from deskterm.db import Database
from deskterm.dialogs.base import ConfirmDialog
from deskterm.dialogs.wrapup import WrapupDialog
from deskterm.models import PhoneCall
from deskterm.services import calls
from deskterm.widgets.chrome import DeskFooter
from tests.factories import make_agent
from tests.screens.helpers import log_in, make_app, wait_until
from tests.screens.test_agent_state import desk_app, published
from tests.screens.test_fits import check_fit


def phone_call(
    db: Database, call_id: str, *, answered_by: str | None = "201", number: str = "13812345678"
) -> int:
    """A call from the phone system, over: answered by the extension, or missed (None)."""
    calls.ingest(db, calls.parse({"event": "newCall", "callId": call_id, "from": number}))
    if answered_by:
        calls.ingest(db, calls.parse({"event": "answer", "callId": call_id, "answeringNumber": answered_by}))
    cause = "normalClearing" if answered_by else "cancel"
    return calls.ingest(db, calls.parse({"event": "hangup", "callId": call_id, "cause": cause})).call_pk or 0


def wrap_up(db: Database, pk: int) -> tuple[int | None, str]:
    with db.read() as s:
        call = s.get(PhoneCall, pk)
        assert call is not None
        return call.acw_seconds, call.wrapup


async def pick(pilot, app, option_id: str) -> None:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: isinstance(app.screen, WrapupDialog))
    options = app.screen.query_one(OptionList)
    await wait_until(pilot, lambda: options.option_count > 1)  # the desk's codes are there
    options.highlighted = next(
        i for i in range(options.option_count) if options.get_option_at_index(i).id == option_id
    )
    await pilot.press("enter")
    await wait_until(pilot, lambda: not isinstance(app.screen, WrapupDialog))


def header_text(app) -> str:  # type: ignore[no-untyped-def]
    from deskterm.widgets.chrome import DeskHeader

    return app.screen.query_one(DeskHeader).render().plain


async def test_f10_toggles_ready_and_ends_after_call_work_with_a_wrap_up_code(sqlite_db, tmp_path):
    db = sqlite_db
    olga = make_agent(db, "olga", role="operator", team="Service Desk", password="right-pw", extension="201")
    app = desk_app(db, tmp_path, acw_max_seconds=3600)
    async with app.run_test(size=(100, 32)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "intake")
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
        await pilot.press("f10")  # from the intake form's field
        await wait_until(pilot, lambda: published(db, olga.id) == ("away", "not_ready"))
        assert "│ Not ready │" in header_text(app)  # the agent sees it
        await pilot.press("f7")
        await wait_until(pilot, lambda: app.current_mode == "callbacks")
        assert "│ Not ready │" in header_text(app)
        await pilot.press("f10")  # and from another screen
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
        await wait_until(pilot, lambda: "Not ready" not in header_text(app))
        app.set_agent_state("on_call")
        await wait_until(pilot, lambda: "│ On a call │" in header_text(app))
        # Without a phone system no code is asked: after-call work ends at once.
        app.set_agent_state("on_call")
        app.set_agent_state("after_call")
        await pilot.press("f10")
        await wait_until(pilot, lambda: app.agent_state == ("available", ""))
        # The phone system reported a call: leaving after-call work asks how it ended.
        first = phone_call(db, "c1")
        app.set_agent_state("on_call")
        app.set_agent_state("after_call")
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, WrapupDialog))
        await pilot.press("escape")  # not yet: still wrapping up, nothing stored
        assert app.agent_state == ("after_call", "") and wrap_up(db, first) == (None, "")
        await pilot.press("f10")
        await pick(pilot, app, "ticket")
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))
        await wait_until(pilot, lambda: wrap_up(db, first)[1] == "ticket")
        assert (wrap_up(db, first)[0] or 0) >= 0
        # F9 and away: the code is asked on the way too.
        second = phone_call(db, "c2")
        app.set_agent_state("on_call")
        app.set_agent_state("after_call")
        await pilot.press("f9")
        options = app.screen.query_one(OptionList)
        await wait_until(pilot, lambda: options.option_count > 1)
        options.highlighted = next(
            i for i in range(options.option_count) if options.get_option_at_index(i).id == "lunch"
        )
        await pilot.press("enter")
        await pick(pilot, app, "wrong_number")
        await wait_until(pilot, lambda: published(db, olga.id) == ("away", "lunch"))
        await wait_until(pilot, lambda: wrap_up(db, second)[1] == "wrong_number")
        await pilot.press("f10")  # away for lunch: ready again
        await wait_until(pilot, lambda: published(db, olga.id) == ("available", ""))


async def test_the_cap_ends_after_call_work_without_a_code_and_closes_the_question(sqlite_db, tmp_path):
    db = sqlite_db
    make_agent(db, "olga", role="operator", team="Service Desk", password="right-pw", extension="201")
    app = desk_app(db, tmp_path, acw_max_seconds=3600)
    async with app.run_test(size=(100, 32)) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "intake")
        pk = phone_call(db, "c1")
        app.set_agent_state("on_call")
        app.set_agent_state("after_call")
        await pilot.press("f10")
        await wait_until(pilot, lambda: isinstance(app.screen, WrapupDialog))
        app._acw_over()  # the cap's timer: its time ran out
        assert app.agent_state == ("available", "")
        await wait_until(pilot, lambda: not isinstance(app.screen, WrapupDialog))
        await wait_until(pilot, lambda: wrap_up(db, pk)[0] is not None)
        assert wrap_up(db, pk)[1] == ""
        await pilot.press("f10")  # ready <-> not ready goes on as before
        await wait_until(pilot, lambda: app.agent_state == ("away", "not_ready"))


async def test_missed_calls_listed_live_called_back_and_seen_in_bulk(sqlite_db):
    db = sqlite_db
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    older = phone_call(db, "m1", answered_by=None, number="13900001111")
    phone_call(db, "m2", answered_by=None, number="[red]010 8765 4321")
    app = make_app(db)
    called: list[str] = []
    take_call = app.take_call

    def spy(number: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
        called.append(number)
        take_call(number, **kwargs)

    app.take_call = spy  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await log_in(pilot, "olga", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None and app.current_mode == "intake")
        await pilot.press("f7")
        await wait_until(pilot, lambda: app.current_mode == "callbacks")
        screen = app.screen
        await pilot.press("2")
        table = screen.query_one("#missed-table")
        await wait_until(pilot, lambda: table.display and table.row_count == 2)
        check_fit(app, 80, 24)
        footer = {k.key for k in screen.query_one(DeskFooter).query(FooterKey)}
        assert {"c", "space", "s"} <= footer and not {"f", "n", "u"} & footer  # the view's keys
        newest = phone_call(db, "m3", answered_by=None, number="13700002222")  # appears by itself, on top
        await wait_until(pilot, lambda: table.row_count == 3)
        assert table.ordered_rows[0].key.value == str(newest)
        assert table.cursor_key() == str(newest - 1)  # the cursor stays on its call
        await pilot.press("up", "c")  # call back: Intake, and the call is seen
        await wait_until(pilot, lambda: app.current_mode == "intake")
        assert called == ["+8613700002222"]
        await wait_until(pilot, lambda: len(calls.missed_calls(db, app.actor)) == 2)
        await pilot.press("f7")
        await wait_until(pilot, lambda: table.row_count == 2)
        await pilot.press("space")  # mark the first (m2), then mark it seen with the key
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: table.row_count == 1)
        assert [c.id for c in calls.missed_calls(db, app.actor)] == [older]
        await pilot.press("s")  # none marked: every one listed
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmDialog))
        await pilot.press("y")
        await wait_until(pilot, lambda: table.row_count == 0)
        with db.read() as s:
            assert s.exec(select(PhoneCall).where(col(PhoneCall.seen_at).is_(None))).all() == []
        await pilot.press("1")  # back to the tickets to call back
        await wait_until(pilot, lambda: screen.query_one("#callbacks-table").display and not table.display)
