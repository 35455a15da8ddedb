"""What the monitor's tables share: rows updated in place by key (never cleared, so the cursor and
the scroll stay while the figures move), and Enter on a figure asking for the tickets behind it."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.message import Message
from textual.widgets import DataTable

from ...durations import duration as duration  # the monitor prints the report's figures as it does
from ...services import kpi
from ...text import cells as cell_width
from ..table import FastTable

Cells = tuple[Text, ...]


def two_lines(label: str) -> Text:
    """A column heading over two lines, so a column is as wide as its figures, not its name: split
    at the space that makes the longer line shortest; Chinese (no spaces between words) is halved
    when longer than four cells."""
    if cell_width(label) > len(label):  # wide characters
        if cell_width(label) <= 4:
            return Text(label)
        half = next(i for i in range(len(label) + 1) if cell_width(label[:i]) * 2 >= cell_width(label))
        return Text(f"{label[:half].rstrip()}\n{label[half:].lstrip()}")
    words = label.split(" ")
    splits = [(" ".join(words[:i]), " ".join(words[i:])) for i in range(1, len(words))]
    if not splits:
        return Text(label)
    first, second = min(splits, key=lambda p: max(cell_width(p[0]), cell_width(p[1])))
    return Text(f"{first}\n{second}")


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


class FigureChosen(Message):
    """Enter on a figure: list the tickets it counts, under `title`."""

    def __init__(self, figure: kpi.Figure, title: str) -> None:
        super().__init__()
        self.figure = figure
        self.title = title


class LiveTable(FastTable):
    """A table whose rows are kept equal to a list of (key, cells) by `sync`: changed cells are
    updated, new rows added, vanished rows removed. On a narrow screen the columns in
    `NARROW_HIDDEN` are left out (FastTable.fit)."""

    def __init__(self, **kwargs: Any) -> None:  # DataTable's keywords
        super().__init__(**kwargs)
        self._seen: dict[str, tuple[object, ...]] = {}  # row key -> what its cells showed

    def columns_spec(self) -> list[tuple[str, str]]:
        """(key, label already translated) of each column, in order."""
        return []

    def heading(self) -> list[tuple[str, str | Text, int | None]]:
        return [
            (key, Text(label) if self.header_height == 1 else two_lines(label), None)
            for key, label in self.columns_spec()
        ]

    def ensure_columns(self) -> None:
        if not self.columns:
            self.label_columns()

    def sync(self, rows: list[tuple[str, Cells]]) -> None:
        """Make the table hold `rows` (key, cells, one a column of `columns_spec`) in place."""
        self.ensure_columns()
        keys = [key for key, _label in self.columns_spec()]
        wanted = dict(rows)
        for key in [k for k in self._seen if k not in wanted]:
            self.remove_row(key)
            del self._seen[key]
        for key, cells in rows:
            sig = tuple((c.plain, str(c.style), tuple(c.spans)) for c in cells)
            if key not in self._seen:
                self.add_row(*cells, key=key)
            elif self._seen[key] != sig:
                for col_key, value, new, old in zip(keys, cells, sig, self._seen[key], strict=True):
                    if new != old:
                        self.update_cell(key, col_key, value, update_width=True)  # 9s -> 14s
            self._seen[key] = sig

    def cursor_cell(self) -> tuple[str, str] | None:
        """(row key, column key) under the cursor; None on an empty table."""
        if self.row_count == 0:
            return None
        found = self.coordinate_to_cell_key(self.cursor_coordinate)
        return str(found.row_key.value), str(found.column_key.value) if found.column_key else ""


class FigureTable(LiveTable):
    """A monitor table whose cells are figures: Enter on one posts FigureChosen."""

    def figure(self) -> tuple[kpi.Figure, str] | None:
        """The figure under the cursor and its title; None where there is none."""
        return None

    def drill(self) -> None:
        found = self.figure()
        if found is not None:
            self.post_message(FigureChosen(*found))

    @on(DataTable.CellSelected)
    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.CellSelected | DataTable.RowSelected) -> None:
        event.stop()
        self.drill()  # a click on a figure (Enter is the screen's)
