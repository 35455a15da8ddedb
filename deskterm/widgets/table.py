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

from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual import events
from textual._types import SegmentLines
from textual.geometry import Size
from textual.message import Message
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
        super()._update_dimensions(new_rows)
        self._cap_widths()
        self._fit_flex()
        if widths != [c.content_width for c in self.ordered_columns]:
            self._update_count += 1
            self.refresh()

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
        cell = self._get_row_renderables(row_index)[1][column_index]
        if (
            type(cell) is not Text
            or cell.justify not in (None, "default")
            or cell.overflow == "ignore"
            or not cell.plain.isprintable()  # newlines, tabs, controls (and some rare spaces)
        ):
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )
        pre_style = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component_style
        lines = [_cell_line(self.app.console, cell, width, self.cell_padding, pre_style, post_style)]
        self._cell_render_cache[cache_key] = lines
        return lines


def _cell_line(
    console: Console, cell: Text, width: int, padding: int, pre: Style, post: Style
) -> list[Segment]:
    """What render_lines(Styled(Padding(cell, (0, padding)), pre, post), width, height=1,
    no_wrap) gives for a one-line Text: padding, the text cut to fit, blank to the width."""
    inner = max(0, width - 2 * padding)
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
