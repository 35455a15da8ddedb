"""The monitor's arrivals block: calls logged per hour of the desk's day, today beside the same hours
last week, as bars on one scale (the higher of the two days' busiest hour) over an axis of the
hours."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...i18n import _
from ...services import kpi
from ...text import cells, pad

BLOCKS = " ▁▂▃▄▅▆▇█"
ROWS = 2  # each day's bars are two lines high: 16 steps


def bars(values: list[int], top: int, per: int) -> list[str]:
    """`values` as bars of `ROWS` lines (top line first), `per` cells an hour, scaled so `top` fills
    them; any arrival shows at least the lowest step, none shows nothing."""
    steps = ROWS * (len(BLOCKS) - 1)
    lines = [""] * ROWS
    for value in values:
        height = 0 if value <= 0 or top <= 0 else max(1, round(value * steps / top))
        for row in range(ROWS):
            part = min(max(height - (ROWS - 1 - row) * (len(BLOCKS) - 1), 0), len(BLOCKS) - 1)
            lines[row] += BLOCKS[part] * per
    return lines


def axis(hours: int, per: int) -> str:
    """The hours under the bars (00 03 06 … or fewer where they do not fit)."""
    step = next((s for s in (1, 2, 3, 6, 12) if s * per >= 3), 24)
    line = [" "] * (hours * per)
    for hour in range(0, hours, step):
        mark = f"{hour:02d}"
        at = hour * per
        if at + len(mark) <= len(line):
            line[at : at + len(mark)] = list(mark)
    return "".join(line)


def chart(today: list[int], week: list[int], width: int, names: tuple[str, str]) -> Text:
    """Both days' bars against one scale, each under its name, and the hours' axis: `width` cells."""
    name_width = max(cells(n) for n in names) + 1
    per = max(1, (width - name_width) // 24)
    top = max([*today, *week, 0])
    out = Text(no_wrap=True, overflow="crop")
    for name, values, style in ((names[0], today, "bold cyan"), (names[1], week, "dim")):
        for row, line in enumerate(bars(values, top, per)):
            out.append(pad(name if row == ROWS - 1 else "", name_width), style="dim")
            out.append(line + "\n", style=style)
    out.append(" " * name_width + axis(24, per), style="dim")
    return out


class ArrivalsChart(Static):
    """The bars; drawn again at its own width."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__("", **kwargs)  # type: ignore[arg-type]
        self.days: tuple[list[int], list[int]] = ([], [])

    def show(self, today: list[int], week: list[int]) -> None:
        self.days = (today, week)
        self.refresh(layout=True)

    def render(self) -> Text:
        return chart(*self.days, max(self.size.width, 1), (_("Today"), _("Last week")))


class ArrivalsPanel(Vertical):
    DEFAULT_CSS = """
    ArrivalsPanel { height: auto; padding: 0 1; }
    ArrivalsPanel #monitor-arrivals-label { height: auto; color: $text-muted; }
    ArrivalsPanel ArrivalsChart { height: 5; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="monitor-arrivals-label", markup=False)
        yield ArrivalsChart(id="monitor-arrivals")

    def show(self, view: kpi.MonitorView) -> None:
        """Today's arrivals up to the hour now, and last week's whole day for the same hours."""
        hours = max(1, sum(1 for i in range(24) if view.day_start + timedelta(hours=i) < view.now))
        today, week = view.arrivals[:hours], view.arrivals_last_week[:24]
        label = _(
            "Arrivals per hour: now {now} · same hour last week {week} · today {total}",
            now=today[-1],
            week=week[hours - 1] if len(week) >= hours else 0,
            total=sum(today),
        )
        top = max([*today, *week, 0])
        label += " · " + _("scale 0–{top} an hour", top=top)
        self.query_one("#monitor-arrivals-label", Static).update(label)
        self.query_one(ArrivalsChart).show(today, week)
