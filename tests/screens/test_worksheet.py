"""The work sheet dialog with Pilot: the engineer offered is the ticket's assignee, Ctrl+O shows
what the form holds (saved or not), and the printable text is written to a file (an unwritable path
said in place, an existing file replaced only on a second Enter)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from textual.widgets import Input, Select, Static

from deskterm import i18n
from deskterm.services import tickets, worksheet
from deskterm.text import cells
from tests.factories import make_agent, make_ticket
from tests.screens.helpers import make_app, wait_until
from tests.screens.test_ticket import _dialog, _open


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    """The language is the process's (Ctrl+L changes it): each test starts and ends in English."""
    i18n.set_language("en")
    yield
    i18n.set_language("en")


def _text(screen, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one(selector, Static).render())


def _on_site_ticket(db, engineer: str):  # type: ignore[no-untyped-def]
    """An on-site ticket claimed by eddy (named `engineer`), no sheet saved yet; and eddy."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", name=engineer)
    t = make_ticket(db, op, service_mode="on_site")
    tickets.claim(db, eng, t.number)
    return t, eng


async def test_the_preview_shows_the_form_and_is_saved_as_a_file(sqlite_db, tmp_path):
    t, eng = _on_site_ticket(sqlite_db, "Eddy Engineer")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 50)) as pilot:
        await _open(pilot, "eddy", t.number)
        dialog = await _dialog(pilot, "w", "#f-planned_at")
        engineer = dialog.query_one("#f-engineer", Select)
        await wait_until(pilot, lambda: engineer.value == "eddy")  # new sheet: the assignee
        dialog.query_one("#f-address", Input).value = "上海市浦东新区 88号"
        dialog.query_one("#f-arrived_at", Input).value = "2026-03-03 14:20"
        await pilot.press("ctrl+o")  # nothing saved yet: the preview is the form
        await wait_until(pilot, lambda: app.screen.query("#text-body"))
        preview = app.screen
        text = _text(preview, "#text-body")
        assert "上海市浦东新区 88号" in text and "2026-03-03 14:20" in text and "Eddy Engineer" in text
        assert "changes not saved" in text
        assert all(cells(line) <= 72 for line in text.splitlines())
        assert preview.query_one("#text-body").size.width >= 72  # shown as printed, not wrapped again
        assert worksheet.get_sheet(sqlite_db, eng, t.number).version == 0  # the preview saved nothing

        await pilot.press("ctrl+s")  # save as file: the path is asked, the home directory offered
        path_field = preview.query_one("#f-file", Input)
        await wait_until(pilot, lambda: path_field.has_focus)
        assert path_field.value == os.path.join(os.path.expanduser("~"), f"{t.number}-worksheet.txt")
        path_field.value = str(tmp_path / "no-such-dir" / "sheet.txt")
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Not saved" in _text(preview, "#e-form"))
        assert app.screen is preview  # still there, the text kept

        target = tmp_path / "sheet.txt"
        target.write_text("an older sheet", encoding="utf-8")
        path_field.value = str(target)
        await pilot.press("enter")
        await wait_until(pilot, lambda: "exists" in _text(preview, "#e-form"))
        assert target.read_text(encoding="utf-8") == "an older sheet"
        await pilot.press("enter")  # asked twice: replaced
        await wait_until(pilot, lambda: app.screen is dialog)
        written = target.read_bytes().decode("utf-8")
        assert written == text and "\r" not in written and "\x0c" not in written

        await pilot.press("ctrl+s")  # and the sheet itself is still to be saved, as the form holds it
        await wait_until(pilot, lambda: worksheet.get_sheet(sqlite_db, eng, t.number).version == 1)
        assert worksheet.get_sheet(sqlite_db, eng, t.number).engineer == "eddy"


async def test_the_preview_and_its_keys_in_chinese(sqlite_db, tmp_path):
    t, _eng = _on_site_ticket(sqlite_db, "李工程师")
    app = make_app(sqlite_db, watch_changes=False)
    async with app.run_test(size=(120, 50)) as pilot:
        await _open(pilot, "eddy", t.number)
        await pilot.press("ctrl+l")
        dialog = await _dialog(pilot, "w", "#f-planned_at")
        await wait_until(pilot, lambda: dialog.query_one("#f-engineer", Select).value == "eddy")
        await pilot.press("ctrl+o")
        await wait_until(pilot, lambda: app.screen.query("#text-body"))
        preview = app.screen
        assert "Engineer 工程师            李工程师" in _text(preview, "#text-body")
        assert "另存为文件" in _text(preview, ".dialog-hint")
        await pilot.press("ctrl+s")
        preview.query_one("#f-file", Input).value = str(tmp_path)  # a directory: not a file
        await pilot.press("enter")
        await wait_until(pilot, lambda: "未保存" in _text(preview, "#e-form"))
