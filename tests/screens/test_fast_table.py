"""FastTable draws exactly what Textual's DataTable draws, only faster."""

from __future__ import annotations

import itertools

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from deskterm.widgets.table import FastTable

WIDTHS = (1, 2, 3, 9, 12)
WORDS = ("", "ab", "11 ", " a", "abc def  ", "中文工单", "é…Z 中", "a much longer summary line")


class OneTable(App[None]):
    def compose(self) -> ComposeResult:
        yield FastTable(cursor_type="row", zebra_stripes=True)


def cells_of(table: DataTable, draw) -> list[list[tuple[str, object]]]:  # type: ignore[no-untyped-def]
    """Every cell as (character, style) pairs, drawn by `draw` (the cursor on row 0, the mouse on row 1)."""
    table._cell_render_cache.clear()
    return [
        [
            (char, segment.style)
            for line in draw(
                table, row, column, table.rich_style, c.get_render_width(table), row == 0, row == 1
            )
            for segment in line
            for char in segment.text
        ]
        for row in range(table.row_count)
        for column, c in enumerate(table.ordered_columns)
    ]


async def test_cells_are_drawn_as_datatable_draws_them() -> None:
    overflows = ("ellipsis", "fold", "crop", None)
    styled = [
        Text(word, style=style, no_wrap=True, overflow=overflow)
        for word, style, overflow in itertools.product(WORDS, ("", "bold red"), overflows)
    ]
    styled += [
        Text.assemble((a, "bold"), b, no_wrap=True, overflow="ellipsis") for a, b in itertools.pairwise(WORDS)
    ]
    styled += [
        Text("x"),
        Text("left", justify="left"),
        Text("two\nlines"),
        Text("tab\there"),
        Text("cr\rhere"),
        Text("wide\u3000space"),
        "a str",
    ]
    app = OneTable()
    async with app.run_test(size=(100, 20)) as pilot:
        table = app.query_one(FastTable)
        for i, width in enumerate(WIDTHS):
            table.add_column(str(i), width=width)
        for text in styled:
            table.add_row(*[text] * len(WIDTHS))
        table.add_row(*["taller"] * len(WIDTHS), height=2)
        await pilot.pause()
        for cursor_row in (0, 3):  # focused, with the cursor on a first and on a zebra row
            table.move_cursor(row=cursor_row)
            table._show_hover_cursor = cursor_row == 3  # as after the mouse moved over the table
            await pilot.pause()
            assert cells_of(table, FastTable._render_cell) == cells_of(table, DataTable._render_cell)
        table.blur()
        await pilot.pause()
        assert cells_of(table, FastTable._render_cell) == cells_of(table, DataTable._render_cell)


LONG = {
    "en": "Robert Alexander Davis-Montgomery of the Northern Regional Procurement Office",
    "zh": "上海市浦东新区世纪大道八十八号金茂大厦三十层信息技术服务部王小明先生",
    "emoji": "😀☎\ufe0f👨\u200d👩\u200d👧 Family account of the procurement office in Pudong 零件",
}


class PeopleTable(App[None]):
    def compose(self) -> ComposeResult:
        yield FastTable(columns=[("name", "Name"), ("code", "Code", 5), ("note", "Note")], cursor_type="row")


async def test_long_names_are_cut_with_an_ellipsis_and_rows_stay_aligned() -> None:
    from deskterm.text import cells
    from deskterm.widgets.ticket_format import cell

    app = PeopleTable()
    async with app.run_test(size=(120, 12)) as pilot:
        table = app.query_one(FastTable)
        await wait_ready(pilot, table)
        for key, name in LONG.items():
            table.add_row(cell(name), cell("中文工单"), cell("x"), key=key)
        table.add_row(cell("王芳"), cell("ab"), cell("short"), key="short")
        await pilot.pause()
        assert table.ordered_columns[0].get_render_width(table) == FastTable.MAX_AUTO_WIDTH + 2
        lines = [strip.text for strip in app.screen._compositor.render_strips()][1 : 1 + len(LONG) + 1]
        assert len({cells(line) for line in lines}) == 1  # every row as wide: nothing shifted
        for line in lines[:-1]:
            name, code = _cut(line, 1, 41), _cut(line, 43, 48)
            assert name.endswith("…") and cells(name) <= 40 and code == "中文…"
            assert _cut(line, 50, 51) == "x"  # the third column starts at the same cell on every row
        assert _cut(lines[-1], 1, 41) == "王芳" and _cut(lines[-1], 50, 55) == "short"


async def wait_ready(pilot, table) -> None:  # type: ignore[no-untyped-def]
    while not table.columns:
        await pilot.pause()


def _cut(line: str, start: int, end: int) -> str:
    """The characters of `line` from cell `start` to cell `end`, without the spaces around."""
    from deskterm.text import graphemes

    out, at = "", 0
    for grapheme, size in graphemes(line):
        if start <= at < end:
            out += grapheme
        at += size
    return out.strip()
