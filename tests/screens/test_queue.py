"""The work queue screen with Pilot: views, claiming from the Team view, live updates from another
session without losing the cursor, filtering, and a snapshot."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Input, Static

from deskterm import clock
from deskterm.services import tickets, workflow
from deskterm.services.auth import login
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import log_in, make_app, wait_until

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 10:00 in Shanghai


def _rows(table: DataTable) -> list[str]:
    return [str(k.value) for k in table.rows]


async def _queue(pilot, login_name: str, password: str = "secret-pw"):  # type: ignore[no-untyped-def]
    app = pilot.app
    await log_in(pilot, login_name, password)
    await wait_until(pilot, lambda: app.actor is not None and app.current_mode)
    await pilot.press("f3")
    await wait_until(pilot, lambda: app.current_mode == "queue" and app.screen.query(DataTable))
    screen = app.screen
    await wait_until(pilot, lambda: screen.window.loaded_once and screen.views.counts)
    return screen, screen.query_one(DataTable)


async def test_claim_from_the_team_view(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    rival = make_agent(sqlite_db, "erin", name="Erin Engineer")
    first = make_ticket(sqlite_db, op, "Printer jams", impact=1, urgency=1)
    second = make_ticket(sqlite_db, op, "Laptop fan noise")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        screen, table = await _queue(pilot, "eddy")
        assert _rows(table) == []
        await pilot.press("2")
        await wait_until(pilot, lambda: _rows(table) == [first.number, second.number])
        assert "Team (2)" in str(screen.query_one("#queue-views", Static).render())
        await pilot.press("c")
        await wait_until(pilot, lambda: _rows(table) == [second.number])
        assert tickets.get_ticket(sqlite_db, op, first.number).assignee == "Eddy Engineer"
        tickets.claim(sqlite_db, rival, second.number)  # someone else is quicker
        await pilot.press("c")
        await wait_until(pilot, lambda: _rows(table) == [])
        assert any("already taken by Erin Engineer" in str(n.message) for n in app._notifications)
        await pilot.press("1")
        await wait_until(pilot, lambda: _rows(table) == [first.number])
        await wait_until(pilot, lambda: "Mine (1)" in str(screen.query_one("#queue-views", Static).render()))


async def test_live_update_from_another_session_keeps_the_cursor(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    other = make_agent(sqlite_db, "erin", name="Erin Engineer")
    made = [make_ticket(sqlite_db, op, f"ticket {i}", impact=2, urgency=2) for i in range(5)]
    app = make_app(sqlite_db)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: len(_rows(table)) == 5)
        await pilot.press("down", "down", "down")
        cursor_ticket = _rows(table)[3]
        # another console edits one ticket's summary and claims another
        workflow.edit(
            sqlite_db,
            other,
            made[3].number,
            version=tickets.get_ticket(sqlite_db, op, made[3].number).version,
            changes={"summary": "Edited elsewhere [b]"},
        )
        await wait_until(pilot, lambda: "Edited elsewhere [b]" in str(table.get_row(made[3].number)))
        assert _rows(table)[table.cursor_row] == cursor_ticket
        tickets.claim(sqlite_db, other, made[0].number)
        await wait_until(pilot, lambda: made[0].number not in _rows(table))
        assert _rows(table)[table.cursor_row] == cursor_ticket  # still on the same ticket
        new = make_ticket(sqlite_db, op, "brand new P1", impact=1, urgency=1)
        await wait_until(pilot, lambda: _rows(table)[:1] == [new.number])
        assert _rows(table)[table.cursor_row] == cursor_ticket
        await wait_until(pilot, lambda: "Team (5)" in str(screen.query_one("#queue-views", Static).render()))


async def test_filter_and_sort(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    a = make_ticket(sqlite_db, op, "VPN drops every hour")
    b = make_ticket(sqlite_db, op, "Printer jams", impact=1, urgency=1)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: _rows(table) == [b.number, a.number])
        await pilot.press("slash")
        assert screen.query_one("#queue-filter", Input).has_focus
        await pilot.press(*"vpn")
        await wait_until(pilot, lambda: _rows(table) == [a.number])
        await pilot.press("escape")
        await wait_until(pilot, lambda: _rows(table) == [b.number, a.number] and table.has_focus)
        await pilot.press("s")  # by number
        await wait_until(pilot, lambda: _rows(table) == [a.number, b.number])
        await pilot.press("r")
        await wait_until(pilot, lambda: _rows(table) == [b.number, a.number])


async def test_enter_opens_the_ticket_and_ctrl_g_opens_by_number(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1, password="right-pw")
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, _table = await _queue(pilot, "olga", "right-pw")
        await pilot.press("3")  # callbacks: nothing resolved yet
        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: app.screen.query("#f-number"))
        await pilot.press(*"999")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: "no ticket SR-000999" in str(app.screen.query_one("#e-form", Static).render())
        )
        app.screen.query_one("#f-number", Input).value = t.number.lower()
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TicketScreen" and app.screen.view)
        assert app.screen.number == t.number
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


@pytest.fixture
def snapshot_desk(sqlite_db):  # type: ignore[no-untyped-def]
    """Fixed people and tickets, a frozen clock: the same picture every run."""
    clock.set_clock(clock.FrozenClock(NOW))
    for who, name, number, role, tier, team in (
        ("olga", "Olga Operator", "017", "operator", 1, "Service Desk"),
        ("eddy", "Eddy Engineer", "031", "engineer", 2, "Desktop Support"),
    ):
        make_agent(
            sqlite_db,
            login=who,
            name=name,
            number=number,
            role=role,
            tier=tier,
            team=team,
            password="secret-pw",
        )
    op = login(sqlite_db, "olga", "secret-pw")
    eng = login(sqlite_db, "eddy", "secret-pw")
    for i, (summary, impact, urgency) in enumerate(
        [
            ("Laptop will not boot", 1, 1),
            ("打印机卡纸", 2, 2),
            ("[red]VPN[/] drops", 3, 3),
            ("Outlook 打不开", 2, 3),
        ]
    ):
        t = make_ticket(sqlite_db, op, summary, impact=impact, urgency=urgency)
        if i == 1:
            tickets.claim(sqlite_db, eng, t.number)
        clock.set_clock(clock.FrozenClock(NOW.replace(hour=2 + i)))
    clock.set_clock(clock.FrozenClock(NOW.replace(hour=7)))
    return sqlite_db


def test_snapshot_team_queue(snapshot_desk, snap_compare):
    app = make_app(snapshot_desk, watch_changes=False)

    async def ready(pilot) -> None:  # type: ignore[no-untyped-def]
        _screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: len(_rows(table)) == 3)

    assert snap_compare(app, terminal_size=(110, 16), run_before=ready)


async def test_chinese_labels_keep_the_rows(sqlite_db):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        _screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: _rows(table) == [t.number])
        await pilot.press("ctrl+l")
        await wait_until(
            pilot,
            lambda: (
                "团队" in str(app.screen.query_one("#queue-views", Static).render())
                or "组" in str(app.screen.query_one("#queue-views", Static).render())
            ),
        )
        await wait_until(pilot, lambda: _rows(app.screen.query_one(DataTable)) == [t.number])
        await pilot.press("enter")
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TicketScreen" and app.screen.view)
        await pilot.press("ctrl+l")
        await wait_until(
            pilot, lambda: "Timeline" in str(app.screen.query_one("#ticket-timeline-title", Static).render())
        )
        assert t.number in str(app.screen.query_one("#ticket-head", Static).render())


async def test_claim_after_a_live_refresh_removed_the_highlighted_row_claims_nothing(db):
    """Issue 12.2: the agent has SR-A under the cursor; another console claims it and the live
    refresh removes the row (the cursor lands on SR-B) just before the agent's `c`. Nothing is
    claimed, the agent is told; the next `c` is for the ticket now shown."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(db, "eddy", name="Eddy Engineer")
    rival = make_agent(db, "erin", name="Erin Engineer")
    a = make_ticket(db, op, "Printer jams", impact=1, urgency=1)
    b = make_ticket(db, op, "Laptop fan noise", impact=2, urgency=2)
    c = make_ticket(db, op, "Mouse broken", impact=3, urgency=3)
    app = make_app(db)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        _screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: _rows(table) == [a.number, b.number, c.number])
        assert _rows(table)[table.cursor_row] == a.number
        tickets.claim(db, rival, a.number)  # another console is quicker
        await wait_until(pilot, lambda: _rows(table) == [b.number, c.number])
        assert _rows(table)[table.cursor_row] == b.number  # the cursor moved by itself
        await pilot.press("c")

        def told() -> bool:
            return any("has left this view" in str(n.message) for n in app._notifications)

        await wait_until(pilot, lambda: told() or tickets.get_ticket(db, op, b.number).assignee)
        assert tickets.get_ticket(db, op, b.number).assignee == ""  # not claimed (today: claimed)
        assert told()
        assert tickets.get_ticket(db, op, a.number).assignee == "Erin Engineer"
        await pilot.press("c")  # now the agent has seen SR-B under the cursor
        await wait_until(pilot, lambda: tickets.get_ticket(db, op, b.number).assignee == "Eddy Engineer")
        assert tickets.get_ticket(db, op, c.number).assignee == ""


async def test_claim_of_a_ticket_changed_since_it_was_shown_is_refused(sqlite_db):
    """Issue 12.2: the claim carries the version on screen; a change not yet shown refuses it."""
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    other = make_agent(sqlite_db, "erin", name="Erin Engineer")
    t = make_ticket(sqlite_db, op, "Printer jams")
    app = make_app(sqlite_db, watch_changes=False)  # the change below is not shown
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        _screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: _rows(table) == [t.number])
        workflow.edit(sqlite_db, other, t.number, version=t.version, changes={"impact": 1, "urgency": 1})
        await pilot.press("c")
        await wait_until(pilot, lambda: any("changed since" in str(n.message) for n in app._notifications))
        assert tickets.get_ticket(sqlite_db, op, t.number).assignee == ""
        await pilot.press("ctrl+r")  # read again: now the agent sees the change
        await wait_until(pilot, lambda: "P1" in str(table.get_row(t.number)[1]))
        await pilot.press("c")
        await wait_until(
            pilot, lambda: tickets.get_ticket(sqlite_db, op, t.number).assignee == "Eddy Engineer"
        )


async def test_a_slow_read_of_a_view_left_meanwhile_is_dropped(sqlite_db, monkeypatch):
    """The team view's read is slow; the agent goes back to Mine before it returns. When it does, its
    rows are dropped (a load is exclusive in the window's worker group): the table stays on Mine."""
    from deskterm.services import queue

    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    make_ticket(sqlite_db, op, "Printer jams")
    started, release, delivered = threading.Event(), threading.Event(), threading.Event()
    slow: list[threading.Thread] = []
    real = queue.read_window

    def read_window(db, actor, view, **kwargs):  # type: ignore[no-untyped-def]
        if view == "team" and not slow:
            slow.append(threading.current_thread())
            started.set()
            release.wait(10)
        return real(db, actor, view, **kwargs)

    monkeypatch.setattr(queue, "read_window", read_window)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await _queue(pilot, "eddy")
        real_call_from_thread = app.call_from_thread

        def call_from_thread(callback, *args, **kwargs):  # type: ignore[no-untyped-def]
            done = real_call_from_thread(callback, *args, **kwargs)
            if slow and threading.current_thread() is slow[0]:
                delivered.set()  # the slow read's result went where call_service sends it
            return done

        monkeypatch.setattr(app, "call_from_thread", call_from_thread)
        await pilot.press("2")
        await wait_until(pilot, started.is_set)
        await pilot.press("1")
        await wait_until(pilot, lambda: screen.shown.view == "mine" and not screen.window.paging)
        release.set()
        await wait_until(pilot, delivered.is_set)
        await pilot.pause()
        assert _rows(table) == []  # not the team's ticket


async def test_claim_right_after_filtering_claims_the_ticket_found(sqlite_db):
    """/ number Enter, then c: the one ticket the filter found is claimed (no cursor move needed)."""
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    make_ticket(sqlite_db, op, "Printer jams", impact=1, urgency=1)
    wanted = make_ticket(sqlite_db, op, "Laptop fan noise")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30), notifications=True) as pilot:
        _screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, lambda: len(_rows(table)) == 2)
        await pilot.press("slash", *wanted.number, "enter")
        await wait_until(pilot, lambda: _rows(table) == [wanted.number])
        await pilot.press("escape", "c")
        await wait_until(
            pilot, lambda: tickets.get_ticket(sqlite_db, op, wanted.number).assignee == "Eddy Engineer"
        )


def footer_keys(app) -> list[str]:  # type: ignore[no-untyped-def]
    """The footer's keys as drawn: "c Claim", "⏎ Open"… (the palette key left out)."""
    from textual.widgets._footer import FooterKey

    keys = app.screen.query_one("DeskFooter").query(FooterKey)
    return [f"{k.key_display} {k.description}" for k in keys if not k.has_class("-command-palette")]


@pytest.mark.parametrize("role", ["operator", "engineer", "supervisor"])
async def test_the_team_view_footer_shows_claim_and_open(sqlite_db, role):
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "who", role=role)
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(80, 24)) as pilot:
        _screen, table = await _queue(pilot, "who")
        await pilot.pause()
        assert "⏎ Open" in footer_keys(app) and "c Claim" not in footer_keys(app)  # Mine: nothing to claim
        await pilot.press("2")  # the table keeps the focus: no focus change redraws the footer
        await wait_until(pilot, lambda: _rows(table) == [t.number])
        await pilot.pause()
        assert {"⏎ Open", "c Claim"} <= set(footer_keys(app)), footer_keys(app)
        await pilot.press("1")
        await wait_until(pilot, lambda: _rows(table) == [])
        await pilot.pause()
        assert "c Claim" not in footer_keys(app)
        await pilot.press("2")
        await wait_until(pilot, lambda: _rows(table) == [t.number])
        await pilot.press("enter")  # the screen's Open, the footer's key
        await wait_until(pilot, lambda: type(app.screen).__name__ == "TicketScreen")
        assert app.screen.number == t.number


def _held_read(monkeypatch, view: str):  # type: ignore[no-untyped-def]
    """The reads of `view` wait for the returned `release`; `started` is set when one begins."""
    from deskterm.services import queue

    started, release = threading.Event(), threading.Event()
    real = queue.read_window

    def read_window(db, actor, shown, **kwargs):  # type: ignore[no-untyped-def]
        if shown == view:
            started.set()
            release.wait(10)
        return real(db, actor, shown, **kwargs)

    monkeypatch.setattr(queue, "read_window", read_window)
    return started, release


async def test_a_view_key_draws_its_tab_and_rows_in_one_frame(sqlite_db, monkeypatch):
    """Nothing is drawn between a view's key and its first rows (a frame of its own before would
    put the rows up to two frame periods later): the frame that draws the rows shows the view's
    tab; the footer's keys follow (Claim, in the Team view)."""
    from textual.screen import Screen

    from deskterm.screens import queue as queue_screen

    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op, "Printer jams")
    monkeypatch.setattr(queue_screen, "TAB_WAIT", 60)  # the tab waits for the rows however long
    started, release = _held_read(monkeypatch, "team")
    app = make_app(sqlite_db, watch_changes=False)
    frames: list[tuple[str, list[str]]] = []
    real_refresh = Screen._compositor_refresh

    def refresh(screen: Screen) -> None:
        real_refresh(screen)
        if screen is app.screen:
            frames.append((screen.views.view, _rows(screen.table)))  # type: ignore[attr-defined]

    async with app.run_test(size=(120, 30)) as pilot:
        screen, _table = await _queue(pilot, "eddy")
        await wait_until(pilot, lambda: not screen.window.paging)
        await pilot.pause()
        monkeypatch.setattr(Screen, "_compositor_refresh", refresh)
        await pilot.press("2")
        await wait_until(pilot, started.is_set)
        for _ in range(5):
            await pilot.pause()
        assert frames == []  # the key changed nothing on screen yet
        release.set()
        await wait_until(pilot, lambda: frames)
        assert frames[0] == ("team", [t.number])
        await wait_until(pilot, lambda: "c Claim" in footer_keys(app))


async def test_a_slow_views_tab_moves_before_its_rows(sqlite_db, monkeypatch):
    """A view whose rows are slow to come shows its tab anyway (after TAB_WAIT), and its rows when
    they come."""
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy")
    t = make_ticket(sqlite_db, op, "Printer jams")
    started, release = _held_read(monkeypatch, "team")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, table = await _queue(pilot, "eddy")
        await pilot.press("2")
        await wait_until(pilot, started.is_set)
        await wait_until(pilot, lambda: screen.views.view == "team")
        assert screen.window.paging and _rows(table) == []  # still reading
        await wait_until(pilot, lambda: "c Claim" in footer_keys(app))
        release.set()
        await wait_until(pilot, lambda: _rows(table) == [t.number])


async def test_the_footer_is_composed_again_only_when_its_keys_change(sqlite_db):
    """Mine → Callbacks offers the same keys: the footer keeps its widgets (no layout); Team adds
    Claim."""
    from textual.widgets._footer import FooterKey

    make_agent(sqlite_db, "eddy")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, _table = await _queue(pilot, "eddy")
        await pilot.pause()
        keys = list(screen.query_one("DeskFooter").query(FooterKey))
        await pilot.press("3")
        await wait_until(pilot, lambda: screen.views.view == "callbacks" and not screen.window.paging)
        await pilot.pause()
        assert list(screen.query_one("DeskFooter").query(FooterKey)) == keys
        await pilot.press("2")
        await wait_until(pilot, lambda: "c Claim" in footer_keys(app))


async def test_rows_that_come_while_the_screen_is_taken_down_are_dropped(sqlite_db):
    """The app quits while a view's read is under way: its tabs may be gone when the rows arrive,
    and drawing them raises nothing (a served console closed mid-read did)."""
    from deskterm.widgets.queue_bar import QueueViews

    make_agent(sqlite_db, "eddy")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 30)) as pilot:
        screen, _table = await _queue(pilot, "eddy")
        await wait_until(pilot, lambda: not screen.window.paging)
        await screen.query_one(QueueViews).remove()
        screen.shown = replace(screen.shown, view="team")  # a view whose tab would move
        screen._view_drawn()  # as the window calls it when the rows are drawn
