"""Issue 14: a fast typist's keys land in the field they were typed for, in every form dialog
(Tab / Enter move on before the next key is handed on); Enter in the status dialog does what its
hint says; Tab moves between the monitor's tables."""

from __future__ import annotations

from textual import events
from textual.widgets import DataTable, Input, OptionList

from deskterm.dialogs.agents import AddAgentDialog
from deskterm.dialogs.escalate import EscalateDialog
from deskterm.services import tickets
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until
from tests.screens.test_inbox import _desk
from tests.screens.test_ticket import _dialog, _open


def burst(app, *parts: str | list[str]) -> int:  # type: ignore[no-untyped-def]
    """Post the keys at once, as the terminal driver posts what it read; the characters typed."""
    keys = [k for p in parts for k in ([*p] if isinstance(p, str) else p)]
    for key in keys:
        app.post_message(events.Key(key, key if len(key) == 1 else None))
    return sum(len(k) == 1 for k in keys)


def typed(dialog, *ids: str) -> int:  # type: ignore[no-untyped-def]
    return sum(len(dialog.query_one(f"#{i}", Input).value) for i in ids)


async def test_add_agent_typed_at_speed(sqlite_db):
    make_agent(sqlite_db, "root", role="admin", password="secret-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "root", "secret-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        app.push_screen(AddAgentDialog())
        await wait_until(
            pilot, lambda: isinstance(app.screen, AddAgentDialog) and app.screen.query("#f-login")
        )
        dialog = app.screen
        fields = ("f-login", "f-name", "f-number", "f-password")
        n = burst(app, "newbie", ["tab"], "New Bie", ["enter"], "4711", ["enter"], "pw-secret-1")
        await wait_until(pilot, lambda: typed(dialog, *fields) == n)
        values = [dialog.query_one(f"#{i}", Input).value for i in fields]
        assert values == ["newbie", "New Bie", "4711", "pw-secret-1"]  # today: "4711pw-secret-1" in clear
        burst(app, ["shift+tab"])
        await wait_until(pilot, lambda: dialog.focused is dialog.query_one("#f-number", Input))


async def test_escalation_reason_typed_at_once_is_kept(sqlite_db):
    _desk(sqlite_db)
    op = make_agent(sqlite_db, "op2", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "spec", team="Server Specialists", tier=3, manager="lead")
    ticket = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await log_in(pilot, "eng", "secret-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        app.push_screen(EscalateDialog(ticket.number))
        await wait_until(
            pilot, lambda: isinstance(app.screen, EscalateDialog) and app.screen.query("#f-reason")
        )
        dialog = app.screen
        burst(app, "needs a specialist", ["enter"], "4h")  # while the options are read
        await wait_until(
            pilot, lambda: dialog.options is not None and typed(dialog, "f-reason", "f-expected") == 20
        )
        assert dialog.query_one("#f-reason", Input).value == "needs a specialist"
        assert dialog.query_one("#f-expected", Input).value == "4h"


async def test_enter_in_the_status_dialog_changes_the_status(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op)
    tickets.claim(sqlite_db, eng, t.number)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open(pilot, "eddy", t.number)
        dialog = await _dialog(pilot, "s", "#f-status")
        options = dialog.query_one("#f-status", OptionList)
        await wait_until(pilot, lambda: options.has_focus)
        wanted = str(options.get_option_at_index(options.highlighted or 0).id)
        burst(app, ["tab"], "called back", ["enter"])  # the hint: "Enter: change"
        await wait_until(pilot, lambda: app.screen is screen)
        assert tickets.get_ticket(sqlite_db, op, t.number).status == wanted


async def test_tab_moves_between_the_monitor_tables(sqlite_db):
    make_agent(sqlite_db, "sue", role="supervisor", password="right-pw", team="Service Desk")
    app = make_app(sqlite_db)
    async with app.run_test(size=(140, 42)) as pilot:
        await log_in(pilot, "sue", "right-pw")
        await wait_until(pilot, lambda: app.actor is not None)
        await pilot.press("f5")
        await wait_until(pilot, lambda: app.current_mode == "monitor" and app.screen.view is not None)
        first = app.screen.focused
        assert isinstance(first, DataTable)
        await pilot.press("tab")
        assert isinstance(app.screen.focused, DataTable) and app.screen.focused is not first


async def _login_screen(pilot):  # type: ignore[no-untyped-def]
    """The login screen, ready for keys, and its two fields."""
    app = pilot.app
    await wait_until(
        pilot, lambda: app.screen.query("#login-name") and app.screen.query_one("#login-name").has_focus
    )
    login = app.screen
    return login, login.query_one("#login-name", Input), login.query_one("#login-password", Input)


async def test_login_typed_at_once_and_the_name_for_intake(sqlite_db):
    make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        _login, *fields = await _login_screen(pilot)
        burst(app, "olga", ["enter"], "right-pw", ["enter"], "Anna Li")  # today: all in the login, in clear
        await wait_until(pilot, lambda: app.current_mode == "intake")
        await wait_until(
            pilot, lambda: [f.value for f in app.screen.query("#f-name").results(Input)] == ["Anna Li"]
        )
        assert [f.value for f in fields] == ["olga", "right-pw"]  # nothing typed after Enter landed there


async def test_keys_typed_while_the_login_is_checked_go_to_the_first_screen(sqlite_db):
    make_agent(sqlite_db, "eddy", role="engineer", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await _login_screen(pilot)
        burst(app, "eddy", ["enter"], "right-pw", ["enter"], "2ss")
        await wait_until(pilot, lambda: app.current_mode == "queue")
        screen = app.screen
        await wait_until(pilot, lambda: (screen.shown.view, screen.shown.sort) == ("team", "priority"))


async def test_keys_typed_during_a_refused_login_are_dropped(sqlite_db):
    make_agent(sqlite_db, "eddy", role="engineer", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        login, name, password = await _login_screen(pilot)
        burst(app, "eddy", ["enter"], "wrong-pw", ["enter"], "2secret", ["enter"])
        await wait_until(pilot, lambda: not login.busy and password.has_focus)
        await pilot.pause()
        assert (name.value, password.value) == ("eddy", "")  # "2secret" is nowhere
        burst(app, "right-pw", ["enter"])
        await wait_until(pilot, lambda: app.current_mode == "queue")
        screen = app.screen
        await wait_until(pilot, lambda: screen.window.loaded_once)
        await pilot.pause()
        assert screen.shown.view == "mine"  # the 2 of the refused try was not replayed


async def test_tab_and_shift_tab_on_the_login_screen(sqlite_db):
    make_agent(sqlite_db, "eddy", role="engineer", password="right-pw")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        _login, name, password = await _login_screen(pilot)
        burst(app, "eddy", ["tab"], "right-pw", ["shift+tab"])
        await wait_until(pilot, lambda: name.has_focus and len(name.value) + len(password.value) == 12)
        assert (name.value, password.value) == ("eddy", "right-pw")
        burst(app, ["tab"], ["enter"])
        await wait_until(pilot, lambda: app.current_mode == "queue")
