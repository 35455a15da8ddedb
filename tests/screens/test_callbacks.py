"""The callback screen: the script, then fixed with the survey on keys; not fixed reopens."""

from __future__ import annotations

from sqlmodel import select
from textual.widgets import DataTable, Static

from deskterm.models import Survey
from deskterm.services import tickets, workflow
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until


async def _callbacks(pilot, *, rows: int) -> DataTable:  # type: ignore[no-untyped-def]
    """Olga logged in, on the callback screen (F7) with its `rows` tickets listed."""
    app = pilot.app
    await log_in(pilot, "olga", "right-pw")
    await wait_until(pilot, lambda: app.actor is not None)
    await pilot.press("f7")
    await wait_until(pilot, lambda: app.current_mode == "callbacks")
    table = app.screen.query_one(DataTable)
    await wait_until(pilot, lambda: table.row_count == rows)
    return table


async def test_fixed_with_the_survey_on_keys_then_not_fixed(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    eng = make_agent(sqlite_db, "eddy", role="engineer", team="Desktop Support", name="Eddy")
    numbers = []
    for summary in ("Printer [red]jams", "VPN drops"):
        t = make_ticket(sqlite_db, op, summary)
        tickets.claim(sqlite_db, eng, t.number)
        workflow.resolve(sqlite_db, eng, t.number, "fixed it")
        numbers.append(t.number)
    app = make_app(sqlite_db)
    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        table = await _callbacks(pilot, rows=2)
        script = app.screen.query_one("#callbacks-script", Static)
        await wait_until(pilot, lambda: "service desk" in str(script.render()))
        first = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        assert tickets.get_ticket(sqlite_db, None, first).summary in str(script.render())
        await pilot.press("f")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "SurveyDialog")
        await pilot.press("1", "2", "1", "3", "tab", *"很好")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: tickets.get_ticket(sqlite_db, None, first).status == "closed")
        with sqlite_db.read() as s:
            survey = s.exec(select(Survey)).one()
        assert (survey.attitude, survey.quality, survey.technical, survey.speed, survey.comment) == (
            1,
            2,
            1,
            3,
            "很好",
        )
        await wait_until(pilot, lambda: table.row_count == 1)
        other = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        await pilot.press("n")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "NoteDialog")
        await pilot.press(*"still slow", "enter")
        await wait_until(pilot, lambda: tickets.get_ticket(sqlite_db, None, other).status == "assigned")
        assert tickets.get_ticket(sqlite_db, None, other).assignee == "Eddy"
        await wait_until(pilot, lambda: table.row_count == 0)


async def test_no_answer_twice_in_a_row_is_refused_with_the_next_try(sqlite_db):
    from deskterm.models import Callback

    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    eng = make_agent(sqlite_db, "eddy", role="engineer", team="Desktop Support", name="Eddy")
    t = make_ticket(sqlite_db, op, "VPN drops")
    tickets.claim(sqlite_db, eng, t.number)
    workflow.resolve(sqlite_db, eng, t.number, "fixed it")
    app = make_app(sqlite_db)

    def tries() -> int:
        with sqlite_db.read() as s:
            return len(s.exec(select(Callback)).all())

    def told(text: str) -> bool:
        return any(text in str(n.message) for n in app._notifications)

    async with app.run_test(size=(120, 36), notifications=True) as pilot:
        await _callbacks(pilot, rows=1)
        await pilot.press("u")
        await wait_until(pilot, lambda: told("no answer (1)"))
        record = app.screen.query_one("#callbacks-record", Static)
        await wait_until(pilot, lambda: "next try at" in str(record.render()))
        await pilot.press("u")
        await wait_until(pilot, lambda: told("Too soon to try again: the next try is due at"))
        assert tries() == 1
