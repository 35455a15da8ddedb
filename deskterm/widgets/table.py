"""A DataTable that draws its one-line text cells quickly, knows its columns and names the row
under the cursor.

Textual's DataTable renders every cell through Rich's layout machinery (Styled(Padding(cell)) and
render_lines), about 35 µs a cell; a screenful of a 9-column queue is ~350 cells, and all of them are
drawn again after any change to the table. For the common case, a body cell of a one-line row
holding a Text, this draws the same segments directly (a test compares the two paths); every
other cell (headers, labels, fixed cells, taller rows, other renderables) takes the stock path.

Textual is pinned (pyproject.toml): this overrides a private method, checked against that version.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._types import SegmentLines
from textual.color import Color
from textual.coordinate import Coordinate
from textual.geometry import Region, Size
from textual.message import Message
from textual.render import measure
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import CellType, ColumnKey, RowKey

from ..i18n import _

# A column: (key, label) or (key, label, width); the label is translated when the table is labelled.
ColumnSpec = tuple[str, str] | tuple[str, str, int]
NARROW = 100  # cells: a screen narrower than this leaves out each table's `narrow` columns
FLEX_MIN = 12  # cells: the narrowest the flexible column gets


class FastTable(DataTable[Any]):
    """`columns` are added, their labels in the current language, when the table is mounted; then
    it reports `Ready` (a screen composed again, in another language, fills its new table then).

    The table fits its screen: on a screen narrower than NARROW the `narrow` columns are left out
    (the rows keep every cell: they are shown again when wide), and the `flex` column takes the
    width the others leave (its cells cut with "…"), at least FLEX_MIN. Rows are
    added and updated with every cell, hidden or not. A table whose screen binds Enter leaves
    Enter to the screen (so the screen's footer shows it)."""

    MAX_AUTO_WIDTH = 40  # cells: the widest a column without a fixed width grows
    NARROW_HIDDEN: tuple[str, ...] = ()
    FLEX: str | None = None

    class Ready(Message):
        """The table is mounted with its columns and waits for its rows."""

    def __init__(
        self,
        *,
        columns: Sequence[ColumnSpec] = (),
        narrow: Sequence[str] = (),
        flex: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.column_specs = tuple(columns)
        self.narrow = tuple(narrow) or self.NARROW_HIDDEN
        self.flex = flex or self.FLEX
        self.hidden: frozenset[str] = frozenset()
        self._keys: list[str] = []  # every column's key, hidden or not, in order
        self._all_cells: dict[Any, tuple[list[Any], int | None]] = {}  # row key -> every cell, height

    def on_mount(self) -> None:
        self.hidden = self._hidden(self.app.size.width)
        self.label_columns()
        self.post_message(self.Ready())

    def heading(self) -> list[tuple[str, str | Text, int | None]]:
        """(key, label in the current language, fixed width or None) of every column."""
        return [(key, _(label), width[0] if width else None) for key, label, *width in self.column_specs]

    def label_columns(self) -> None:
        """(Re)make the columns with their labels in the current language (rows go with them).
        A table given no `columns` makes its own and keeps them."""
        heading = self.heading()
        if not heading:
            return
        if self.columns:
            self.clear(columns=True)
        self._keys = [key for key, _label, _width in heading]
        for key, label, width in heading:
            if key not in self.hidden:
                self.add_column(label, key=key, width=width)
        self._fit_flex()

    # --- fitting the screen ----------------------------------------------------------------------

    def _hidden(self, width: int) -> frozenset[str]:
        return frozenset(self.narrow if width < NARROW else ())

    def fit(self, width: int) -> None:
        """Show the columns that fit a screen `width` cells wide (the rows and the cursor stay)."""
        hidden = self._hidden(width)
        if hidden == self.hidden:
            return
        self.hidden = hidden
        if not self.columns:
            return
        rows = [(row.key.value, self._all_cells[row.key.value]) for row in self.ordered_rows]
        place = self.cursor_coordinate
        self.label_columns()
        for key, (cells, height) in rows:
            self.add_row(*cells, height=height, key=key)
        if rows:
            self.move_cursor(row=min(place.row, len(rows) - 1), animate=False)

    def on_resize(self, _event: events.Resize) -> None:
        self.fit(self.app.size.width)
        self._fit_flex()

    def _fit_flex(self) -> None:
        """The flexible column takes the width the other columns leave."""
        column = self.columns.get(ColumnKey(self.flex)) if self.flex else None
        if column is None or not self.size.width:
            return
        others = sum(c.get_render_width(self) for c in self.columns.values() if c is not column)
        room = self.size.width - self.styles.scrollbar_size_vertical - self._row_label_column_width
        width = max(FLEX_MIN, room - others - 2 * self.cell_padding)
        if column.auto_width or column.width != width:
            column.auto_width, column.width = False, width
            self._update_count += 1
            width = others + column.get_render_width(self) + self._row_label_column_width
            self.virtual_size = Size(width, self.virtual_size.height)
            self.refresh()

    # --- rows, with the cells of hidden columns kept -----------------------------------------------

    def add_row(
        self,
        *cells: CellType,
        height: int | None = 1,
        key: str | None = None,
        label: Any = None,
    ) -> RowKey:
        shown = [c for k, c in zip(self._keys, cells, strict=False) if k not in self.hidden]
        row_key = super().add_row(*(shown if self.hidden else cells), height=height, key=key, label=label)
        self._all_cells[row_key.value] = (list(cells), height)
        return row_key

    def remove_row(self, row_key: RowKey | str) -> None:
        super().remove_row(row_key)
        self._all_cells.pop(row_key.value if isinstance(row_key, RowKey) else row_key, None)

    def clear(self, columns: bool = False) -> Any:
        self._all_cells.clear()
        return super().clear(columns)

    def update_cell(
        self,
        row_key: RowKey | str,
        column_key: ColumnKey | str,
        value: CellType,
        *,
        update_width: bool = False,
    ) -> None:
        row = row_key.value if isinstance(row_key, RowKey) else row_key
        column = column_key.value if isinstance(column_key, ColumnKey) else column_key
        if row in self._all_cells and column in self._keys:
            self._all_cells[row][0][self._keys.index(column)] = value
        if column not in self.hidden:
            super().update_cell(row_key, column_key, value, update_width=update_width)

    def get_cell(self, row_key: RowKey | str, column_key: ColumnKey | str) -> Any:
        column = column_key.value if isinstance(column_key, ColumnKey) else column_key
        if column in self.hidden:
            row = row_key.value if isinstance(row_key, RowKey) else row_key
            return self._all_cells[row][0][self._keys.index(str(column))]
        return super().get_cell(row_key, column_key)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Enter is the screen's (Open…, shown in its footer) when it binds it: the table's own
        # select, not shown, would hide it there
        if action == "select_cursor" and "enter" in self.screen._bindings.key_to_bindings:
            return False
        return super().check_action(action, parameters)

    def cursor_key(self) -> str | None:
        """The key of the row under the cursor (None when the table is empty)."""
        if self.row_count == 0:
            return None
        return str(self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value)

    def _cap_widths(self) -> None:
        """An auto-width column grows to its widest cell up to MAX_AUTO_WIDTH cells: a longer
        name or summary is cut there with "…" (ticket_format.cell), the other columns stay on
        screen."""
        capped = False
        for column in self.columns.values():
            if column.auto_width and column.content_width > self.MAX_AUTO_WIDTH:
                column.content_width, capped = self.MAX_AUTO_WIDTH, True
        if capped:  # the table's scrollable width, as DataTable computes it
            width = sum(c.get_render_width(self) for c in self.columns.values())
            self.virtual_size = Size(width + self._row_label_column_width, self.virtual_size.height)

    def _update_column_widths(self, updated_cells: Any) -> None:
        super()._update_column_widths(updated_cells)
        self._cap_widths()
        self._fit_flex()

    def _update_dimensions(self, new_rows: Any) -> None:
        # DataTable sizes auto-width columns to new rows on idle, but keeps the lines it drew
        # before (keyed by its count of changes): a row drawn in between stayed at the old widths
        # until the next change. Widths that moved count as a change.
        widths = [c.content_width for c in self.ordered_columns]
        if not self._measure_rows(new_rows):
            super()._update_dimensions(new_rows)
        self._cap_widths()
        self._fit_flex()
        if widths != [c.content_width for c in self.ordered_columns]:
            self._update_count += 1
            self.refresh()

    def _measure_rows(self, new_rows: Any) -> bool:
        """DataTable._update_dimensions for new rows of one line without a label (the rows
        added here): only the cells of auto-width columns are measured, a fixed column's width
        does not follow its cells (the queue's columns are all fixed: nothing is measured).
        False, having changed nothing, for any other row (DataTable's own way measures it)."""
        indexes = []
        for key in new_rows:
            index = self._row_locations.get(key)
            if index is None:  # removed before the table was idle
                continue
            row = self.rows[key]
            if row.label is not None or row.auto_height:
                return False
            indexes.append(index)
        auto = [(i, c) for i, c in enumerate(self.ordered_columns) if c.auto_width]
        if auto:
            console = self.app.console
            for index in indexes:
                cells = self._get_row_renderables(index)[1]
                for i, column in auto:
                    column.content_width = max(column.content_width, measure(console, cells[i], 1))
        width = sum(c.get_render_width(self) for c in self.columns.values()) + self._row_label_column_width
        height = self._total_row_height + (self.header_height if self.show_header else 0)
        self.virtual_size = Size(width, height)
        return True

    # --- drawing ---------------------------------------------------------------------------------
    # A frame draws every visible line of the table: what is the same for all of them (the
    # widget's style, the row styles, the columns' widths) is found once per frame, here in
    # `_frame`, while `render_lines` runs (styles cannot change during it).

    _frame: dict[Any, Any] | None = None

    def render_lines(self, crop: Region) -> list[Strip]:
        self._frame = {}
        try:
            return super().render_lines(crop)
        finally:
            self._frame = None

    def _once(self, key: Any, make: Callable[[], Any]) -> Any:
        """`make()`, found once per frame (every time outside one)."""
        frame = self._frame
        if frame is None:
            return make()
        if key not in frame:
            frame[key] = make()
        return frame[key]

    @property
    def rich_style(self) -> Style:
        return self._once("rich_style", lambda: DataTable.rich_style.fget(self))  # type: ignore[attr-defined]

    @property
    def background_colors(self) -> tuple[Color, Color]:
        return self._once("background", lambda: DataTable.background_colors.fget(self))  # type: ignore[attr-defined]

    def _get_row_style(self, row_index: int, base_style: Style) -> Style:
        kind = -1 if row_index == -1 else -2 if row_index < self.fixed_rows else row_index % 2
        return self._once(
            ("row style", kind, base_style),
            lambda: super(FastTable, self)._get_row_style(row_index, base_style),
        )

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[SegmentLines, SegmentLines]:
        """DataTable._render_line_in_row for a body row of one line in a table without fixed
        columns and row labels, its cells drawn by `_cell`; any other line takes the stock way."""
        row = self.rows.get(row_key)
        row_index = self._row_locations.get(row_key)
        if (
            row is None
            or row_index is None
            or row.height != 1
            or row_index < self.fixed_rows
            or self.fixed_columns
            or self._should_render_row_labels
        ):
            return super()._render_line_in_row(row_key, line_no, base_style, cursor_location, hover_location)
        cursor_type = self.cursor_type
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            cursor_type,
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        highlight = self._should_highlight
        row_style = self._get_row_style(row_index, base_style)
        columns = self._once("columns", self._drawn_columns)
        cells = self._get_row_renderables(row_index)[1]
        scrollable: list[list[Segment]] = []
        for column_index, column_key, width in columns:
            location = Coordinate(row_index, column_index)
            cursor = highlight(cursor_location, location, cursor_type)
            hover = highlight(hover_location, location, cursor_type)
            lines = self._cell(
                row_key,
                row_index,
                column_index,
                column_key,
                cells[column_index],
                row_style,
                width,
                cursor,
                hover,
            )
            scrollable.append(lines[line_no])
        # the rest of the line, as DataTable extends it
        remaining = max(0, self.size.width - sum(w for _i, _k, w in columns) - self._row_label_column_width)
        if cursor_type == "row":
            hover_row = highlight(hover_location, Coordinate(row_index or 0, 0), cursor_type)
            extend_style = row_style + self._cell_styles(hover_row, row_index == cursor_location.row)[0]
        elif row_style.bgcolor is not None:
            faded = Color.from_rich_color(row_style.bgcolor).blend(self.background_colors[1], factor=0.25)
            extend_style = Style.from_color(color=row_style.color, bgcolor=faded.rich_color)
        else:
            extend_style = Style.from_color(row_style.color, row_style.bgcolor)
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable.append([Segment(" " * remaining, extend_style)])
        pair: tuple[SegmentLines, SegmentLines] = ([], scrollable)
        self._row_render_cache[cache_key] = pair
        return pair

    def _drawn_columns(self) -> list[tuple[int, ColumnKey, int]]:
        """(index, key, width drawn) of every column, in order."""
        return [(i, c.key, c.get_render_width(self)) for i, c in enumerate(self.ordered_columns)]

    def _cell_styles(self, hover: bool, cursor: bool) -> tuple[Style, Style]:
        """The (component, post) styles of a body cell (DataTable._get_styles_to_render_cell)."""
        return self._once(
            ("cell styles", hover, cursor),
            lambda: self._get_styles_to_render_cell(
                False,
                False,
                False,
                hover,
                cursor,
                self.show_cursor,
                self._show_hover_cursor,
                self.cursor_foreground_priority == "css",
                self.cursor_background_priority == "css",
            ),
        )

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> SegmentLines:
        if row_index < self.fixed_rows or column_index < max(0, self.fixed_columns):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        row = self.rows.get(row_key) if row_key is not None else None
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or row is None or row.height != 1 or column_key is None:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = self._get_row_renderables(row_index)[1][column_index]
        return self._cell(
            row_key, row_index, column_index, column_key, cell, base_style, width, cursor, hover
        )

    def _cell(
        self,
        row_key: RowKey,
        row_index: int,
        column_index: int,
        column_key: ColumnKey,
        cell: Any,
        base_style: Style,
        width: int,
        cursor: bool,
        hover: bool,
    ) -> SegmentLines:
        """A body cell of a one-line row, drawn directly when it is a plain one-line Text."""
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._cell_render_cache.get(cache_key)
        if cached is not None:
            return cached
        if (
            type(cell) is not Text
            or cell.justify not in (None, "default")
            or cell.overflow == "ignore"
            or not cell.plain.isprintable()  # newlines, tabs, controls (and some rare spaces)
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._cell_styles(hover, cursor)
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        console = self._once("console", lambda: self.app.console)
        lines = [_cell_line(console, cell, width, self.cell_padding, pre_style, post_style)]
        self._cell_render_cache[cache_key] = lines
        return lines


def _cell_line(
    console: Console, cell: Text, width: int, padding: int, pre: Style, post: Style
) -> list[Segment]:
    """What render_lines(Styled(Padding(cell, (0, padding)), pre, post), width, height=1,
    no_wrap) gives for a one-line Text: padding, the text cut to fit, blank to the width."""
    inner = max(0, width - 2 * padding)
    if not cell.spans and cell.cell_len <= inner:  # most cells: one style, and they fit
        return _plain_cell_line(console, cell, inner, padding, pre, post)
    text = cell.copy()
    text.truncate(inner, overflow=cell.overflow or "fold")
    blank = Style()
    segments = [Segment(" " * padding, blank)] if padding else []
    if text.spans:
        segments += text.render(console)
    elif text.plain:  # Text.render leaves out the text's own style when it has no spans
        segments.append(Segment(text.plain, console.get_style(text.style, default=blank)))
    if text.cell_len < inner:
        segments.append(Segment(" " * (inner - text.cell_len), blank))
    if padding:
        segments.append(Segment(" " * padding, blank))
    return list(Segment.apply_style(segments, style=pre, post_style=post))


def _plain_cell_line(
    console: Console, cell: Text, inner: int, padding: int, pre: Style, post: Style
) -> list[Segment]:
    """_cell_line for a Text without spans that fits: the same cells in the same styles, styled
    as Segment.apply_style(segments, pre, post) styles them, the blanks at once."""

    def styled(style: Style) -> Style:
        style = pre + style if pre else style
        return (style + post if style else post) if post else style

    blank = styled(Style())
    segments = [Segment(" " * padding, blank)] if padding else []
    if cell.plain:
        segments.append(Segment(cell.plain, styled(console.get_style(cell.style, default=Style()))))
    if inner - cell.cell_len + padding:
        segments.append(Segment(" " * (inner - cell.cell_len + padding), blank))
    return segments
