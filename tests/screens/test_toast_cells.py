"""Toasts in both languages show all their text: a CJK character or emoji over the edge of a panel
below is drawn whole, in a full paint and in the partial updates that follow (a terminal is
emulated: a wide character half overwritten is gone, as on a real one)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from rich.cells import get_character_cell_size
from rich.segment import ControlType, Segment
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from deskterm import i18n
from deskterm.i18n import _
from deskterm.widgets.compositor import install
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import make_app, wait_until
from tests.screens.test_ticket import _open

LONG_ZH = "工单 INC-00012 已分配给王工程师，请尽快联系客户并确认上门时间以及需要携带的备件😀，谢谢。"


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("en")


class Terminal:
    """A screen's cells as a terminal keeps them: a wide character takes two cells, and writing
    over either half of it blanks the other."""

    def __init__(self, width: int, height: int) -> None:
        self.rows = [[" "] * width for _ in range(height)]
        self.x = self.y = 0

    def write(self, segments: Iterable[Segment]) -> None:
        for segment in segments:
            for code in segment.control or ():
                if code[0] == ControlType.CURSOR_MOVE_TO:
                    self.x, self.y = code[1], code[2]  # type: ignore[misc]
            if segment.control:
                continue
            for ch in segment.text:
                if ch == "\n":
                    self.x, self.y = 0, self.y + 1
                    continue
                self.put(ch, get_character_cell_size(ch))

    def put(self, ch: str, size: int) -> None:
        row = self.rows[self.y]
        for x in range(self.x, min(self.x + size, len(row))):
            if row[x] == "" and x > 0:  # the right half of a wide character: its left half goes
                row[x - 1] = " "
            if get_character_cell_size(row[x] or " ") == 2 and x + 1 < len(row):
                row[x + 1] = " "  # the left half: its right half goes
        row[self.x] = ch
        if size == 2 and self.x + 1 < len(row):
            row[self.x + 1] = ""
        self.x += size

    def text(self) -> str:
        return "\n".join("".join(row) for row in self.rows)


def _shown(text: str) -> str:
    """The toast's text as read on screen: the lines after each "▌", joined, without spaces."""
    pieces = [line.split("▌", 1)[1].strip(" │") for line in text.splitlines() if "▌" in line]
    return "".join("".join(pieces).split())


class Panels(App[None]):
    """Nine bordered panels side by side: their edges cut every toast line many times."""

    CSS = "Horizontal > Static { width: 1fr; height: 1fr; border: solid $primary; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            for i in range(9):
                yield Static(str(i), id=f"p{i}")


@pytest.mark.parametrize("message", ["解决方案已保存。", LONG_ZH, "Solution saved: 😀 and 零件 kept whole."])
async def test_a_toast_over_panel_edges_keeps_every_wide_character(message: str) -> None:
    install()
    app = Panels()
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        app.notify(message, timeout=60)
        await wait_until(pilot, lambda: app.screen.query("Toast"))
        await pilot.pause()
        compositor = app.screen._compositor
        terminal = Terminal(80, 24)
        terminal.write(Segment(strip.text + "\n") for strip in compositor.render_strips())
        assert _shown(terminal.text()) == "".join(message.split())
        for panel in app.screen.query("Horizontal > Static"):  # each panel below repainted alone
            panel.refresh()
            compositor.update_widgets({panel})
            update = compositor.render_update()
            assert update is not None
            terminal.write(app.console.render(update))
            assert _shown(terminal.text()) == "".join(message.split()), terminal.text()


@pytest.mark.parametrize("language", ["en", "zh"])
async def test_a_long_toast_on_the_ticket_screen_shows_all_its_text(sqlite_db, language: str) -> None:
    op = make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy", name="Eddy Engineer")
    t = make_ticket(sqlite_db, op)
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(80, 24), notifications=True) as pilot:
        await _open(pilot, "eddy", t.number)
        if language == "zh":
            await pilot.press("ctrl+l")
            await wait_until(pilot, lambda: i18n.language() == "zh")
        message = _("Solution saved.") + " " + (LONG_ZH if language == "zh" else "A long notice " * 6)
        app.notify(message, timeout=60)
        await wait_until(pilot, lambda: app.screen.query("Toast"))
        await pilot.pause()
        text = "\n".join(strip.text for strip in app.screen._compositor.render_strips())
        assert _shown(text) == "".join(message.split())
