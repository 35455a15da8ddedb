"""FastTable draws exactly what Textual's DataTable draws, only faster."""

from __future__ import annotations

import itertools

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.coordinate import Coordinate
from textual.geometry import Region
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


class TwoTables(App[None]):
    """A FastTable beside Textual's own DataTable, each given the same columns and rows."""

    CSS = "DataTable { height: 8; }"

    def __init__(self, cursor_type: str) -> None:
        super().__init__()
        self.cursor_type = cursor_type

    def compose(self) -> ComposeResult:
        yield FastTable(cursor_type=self.cursor_type, zebra_stripes=True, id="fast")  # type: ignore[arg-type]
        yield DataTable(cursor_type=self.cursor_type, zebra_stripes=True, id="stock")  # type: ignore[arg-type]


def drawn(table: DataTable) -> list[list[tuple[str, object]]]:
    """Every line of the table as drawn in a frame, as (character, style) pairs."""
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return [[(char, segment.style) for segment in strip for char in segment.text] for strip in strips]


@pytest.mark.parametrize("cursor_type", ["row", "cell", "column", "none"])
async def test_frames_are_drawn_as_datatable_draws_them(cursor_type: str) -> None:
    """Whole lines (FastTable draws a frame's lines its own way, its cells measured only where
    a column's width follows them): the same characters and styles, the same scrollable size."""
    app = TwoTables(cursor_type)
    async with app.run_test(size=(90, 20)) as pilot:
        fast, stock = app.query_one("#fast", FastTable), app.query_one("#stock", DataTable)
        for table in (fast, stock):
            table.add_column("Number", width=7)
            table.add_column("Who")  # grows to its widest cell
            table.add_column("Summary", width=20)
            for i, word in enumerate(WORDS * 2):
                styled = Text(word, style="bold red" if i % 3 else "", no_wrap=True, overflow="ellipsis")
                table.add_row(Text(f"SR-{i:03d}"), Text(word * (i % 3)), styled, key=str(i))
            table.add_row("a str", Text("two\nlines"), Text("right", justify="right"), key="other")
        await pilot.pause()
        assert fast.virtual_size == stock.virtual_size
        widths = [[c.get_render_width(t) for c in t.ordered_columns] for t in (fast, stock)]
        assert widths[0] == widths[1] and widths[0][1] == 26 + 2  # "Who": its widest cell
        for row, hover_row in ((0, 1), (3, 3), (12, 2)):  # the cursor on a first, a zebra, a scrolled row
            for table in (fast, stock):
                table.move_cursor(row=row, column=1)
                table.hover_coordinate = Coordinate(hover_row, 2)
                table._show_hover_cursor = True  # as after the mouse moved over the table
            frames = []
            for table in (fast, stock, None):  # each focused in turn, then neither
                app.set_focus(table)
                await pilot.pause()
                frames.append((drawn(fast), drawn(stock)))
            assert fast.scroll_offset == stock.scroll_offset
            assert frames[0][0] == frames[1][1]  # focused
            assert frames[1][0] == frames[0][1] == frames[2][0] == frames[2][1]  # not focused
