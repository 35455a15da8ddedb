"""What the ticket screen's text panels share: a Static that shows one ticket as read; and, for the
panels of label–value rows, a grid that lines up with the other such panels of its column."""

from __future__ import annotations

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...i18n import _
from ...services.workflow import TicketView
from ...text import clean

Row = tuple[str, Text] | None  # (label, value); None: an empty line


def row(label: str, value: object) -> Row:
    """A row of people's text: cleaned and shown literally; no value shows as a dash."""
    return label, Text(clean(value if value not in (None, "") else "—"))


class TicketPanel(Static):
    """Shows part of a ticket: `show(view)` with the ticket as read, again whenever it changes."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.view: TicketView | None = None

    def show(self, view: TicketView) -> None:
        self.view = view
        self.update(self.render_view(view))

    def render_view(self, view: TicketView) -> RenderableType:
        raise NotImplementedError


class FieldPanel(TicketPanel):
    """Label–value rows. The field panels of a column read as one table: their labels and their
    values take the widths of the widest among them all (`widths`, which the column sets)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.widths = (0, 0)

    def rows(self, view: TicketView) -> list[Row]:
        raise NotImplementedError

    def render_view(self, view: TicketView) -> RenderableType:
        return FieldGrid(self.rows(view), self.widths)


def widths(rows: list[Row]) -> tuple[int, int]:
    """The widest label and the widest value (its longest line) of `rows`."""
    shown = [r for r in rows if r is not None]
    labels = [cell_len(_(label)) for label, _value in shown]
    values = [cell_len(line) for _label, value in shown for line in value.plain.splitlines()]
    return max(labels, default=0), max(values, default=0)


class FieldGrid:
    """Rows in two columns at least `widths` wide (the value column no wider than there is room)."""

    def __init__(self, rows: list[Row], widths: tuple[int, int]) -> None:
        self.rows = rows
        self.widths = widths

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        label_width, value_width = self.widths
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True, min_width=label_width)
        grid.add_column(min_width=max(min(value_width, options.max_width - label_width - 1), 0))
        for r in self.rows:
            if r is None:
                grid.add_row("", "")
            else:
                grid.add_row(Text(_(r[0])), r[1])
        yield grid
