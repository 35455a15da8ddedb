"""The Agents screen shows each agent's phone extension and sets it (x): the dialog starts from the
current one, a taken extension is refused in place naming its holder, empty clears it; the add
dialog takes one too."""

from __future__ import annotations

from textual.widgets import Input, Static

from deskterm.dialogs.agents import AddAgentDialog, ExtensionDialog
from deskterm.services import directory
from deskterm.widgets.table import FastTable
from tests.factories import make_agent
from tests.screens.helpers import go_to, log_in, make_app, wait_until


def extensions(db, actor) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.login: r.extension for r in directory.agents(db, actor)}


async def agents_table(pilot, *, rows: int) -> FastTable:  # type: ignore[no-untyped-def]
    """Logged in as root, on the Agents screen with its rows read."""
    await log_in(pilot, "root", "secret-pw")
    await go_to(pilot, "f8", "agents")
    table = pilot.app.screen.query_one(FastTable)
    await wait_until(pilot, lambda: table.row_count == rows)
    return table


async def test_set_and_clear_an_extension_on_the_agents_screen(sqlite_db):
    root = make_agent(sqlite_db, "root", role="admin", password="secret-pw", team=None)
    make_agent(sqlite_db, "anna", role="operator", extension="201", name="Anna Li")
    make_agent(sqlite_db, "bo", role="operator", extension="202")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        table = await agents_table(pilot, rows=3)
        assert [table.get_row(k)[3].plain for k in ("anna", "bo", "root")] == ["201", "202", ""]
        table.move_cursor(row=table.get_row_index("bo"))
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExtensionDialog))
        dialog = app.screen
        field = dialog.query_one("#f-extension", Input)
        assert field.value == "202"
        field.value = "201"
        await pilot.press("enter")  # taken: refused in place, the dialog stays with what was typed
        error = dialog.query_one("#e-form", Static)
        await wait_until(pilot, lambda: "Anna Li" in str(error.render()))
        assert app.screen is dialog and field.value == "201" and "(anna)" in str(error.render())
        field.value = "2 0 5"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "extension" in str(error.render()))
        field.value = "205"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is not dialog)
        await wait_until(pilot, lambda: table.get_row("bo")[3].plain == "205")
        table.move_cursor(row=table.get_row_index("anna"))
        await pilot.press("x")
        await wait_until(pilot, lambda: isinstance(app.screen, ExtensionDialog))
        app.screen.query_one("#f-extension", Input).value = ""
        await pilot.press("enter")
        await wait_until(pilot, lambda: table.get_row("anna")[3].plain == "")
    assert extensions(sqlite_db, root) == {"anna": "", "bo": "205", "root": ""}


async def test_the_extension_column_is_left_out_on_a_narrow_screen(sqlite_db):
    make_agent(sqlite_db, "root", role="admin", password="secret-pw", team=None, extension="299")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(80, 24)) as pilot:
        table = await agents_table(pilot, rows=1)
        assert "Ext." not in [str(c.label) for c in table.columns.values()]


async def test_add_an_agent_with_an_extension(sqlite_db):
    root = make_agent(sqlite_db, "root", role="admin", password="secret-pw", team=None)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "root", "secret-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        dialog = AddAgentDialog()
        app.push_screen(dialog)
        await wait_until(pilot, lambda: app.screen is dialog and dialog.query("#f-extension"))
        for key, value in {
            "login": "cy",
            "name": "Cy",
            "number": "503",
            "password": "pw-secret-1",
            "extension": "2#1",
        }.items():
            dialog.query_one(f"#f-{key}", Input).value = value
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.screen is not dialog)
    assert extensions(sqlite_db, root)["cy"] == "2#1"
