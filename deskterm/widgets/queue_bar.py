"""The work queue's bars: the view tabs with their counts, and the filter with the order shown."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Input, Static

from ..i18n import _
from ..services import queue
from .queue_table import COLUMNS
from .service import ServiceDone, call_service

VIEW_TITLES = {
    "mine": "Mine",
    "team": "Team",
    "callbacks": "Callbacks",
    "escalated": "Escalated to me",
    "watching": "Watching",
}


class Counted(ServiceDone[dict[str, int]]):
    """How many tickets each view holds."""


class QueueViews(Static):
    """` 1 Mine (3)   2 Team (5) …`: the view shown in reverse, each with its count; where that is
    wider than the bar, the other views by their numbers only (` 1 Mine (3)   2 (5) …`)."""

    DEFAULT_CSS = "QueueViews { height: 1; padding: 0 1; }"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__("", markup=False, **kwargs)
        self.view = "mine"
        self.counts: dict[str, int] = {}
        self._shown = Text()

    def on_mount(self) -> None:
        self.relabel()

    def show(self, view: str) -> None:
        self.view = view
        self.relabel()

    def load_counts(self) -> None:
        desk: Any = self.app
        call_service(self, queue.counts, desk.database, desk.actor, result=Counted, group="queue-counts")

    def on_counted(self, message: Counted) -> None:
        self.counts = message.value
        self.relabel()

    def on_resize(self) -> None:
        self.relabel()

    def relabel(self) -> None:
        room = self.content_region.width or self.app.size.width - 2
        for titled in (set(VIEW_TITLES), {self.view}):
            text = Text(no_wrap=True, overflow="ellipsis")
            for i, (view, title) in enumerate(VIEW_TITLES.items(), 1):
                count = self.counts.get(view)
                label = f" {i}" + (f" {_(title)}" if view in titled else "")
                label += (f" ({count})" if count is not None else "") + " "
                text.append(label, style="bold reverse" if view == self.view else "")
                text.append(" ")
            if text.cell_len <= room + 1:  # the last space may go
                break
        if text != self._shown:  # one line, whatever it says: no layout
            self._shown = text
            self.update(text, layout=False)


class QueueBar(Horizontal):
    """The filter (read when typing pauses: reports `Filtered`) and the order the rows are in."""

    DEFAULT_CSS = """
    QueueBar { height: 1; padding: 0 1; }
    QueueBar #queue-filter { width: 1fr; }
    QueueBar #queue-sort { width: auto; padding-left: 2; color: $text-muted; }
    """

    class Filtered(Message):
        """The agent typed a filter and paused."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.text = ""  # the filter in force
        self.sort = "default"
        self.descending = False
        self._timer: Timer | None = None
        self._order_shown = ""

    def compose(self) -> ComposeResult:
        yield Input(
            placeholder=_("/ filter: number, customer, summary, phone"), id="queue-filter", compact=True
        )
        yield Static("", id="queue-sort", markup=False)

    def on_mount(self) -> None:
        self.relabel()

    @property
    def field(self) -> Input:
        return self.query_one("#queue-filter", Input)

    def show_order(self, sort: str, descending: bool) -> None:
        self.sort, self.descending = sort, descending
        self.relabel()

    def relabel(self) -> None:
        self.field.placeholder = _("/ filter: number, customer, summary, phone")
        if self.sort == "default":
            label = _("Order: breached, priority, due")
        else:
            title = next(t for k, t, _w in COLUMNS if k == self.sort)
            label = _("Sorted by {column}", column=_(title)) + (" ▼" if self.descending else " ▲")
        if label != self._order_shown:  # its width follows the text: laid out when it changes
            self._order_shown = label
            self.query_one("#queue-sort", Static).update(label)

    @on(Input.Changed, "#queue-filter")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        text = event.value.strip()
        if text == self.text:
            return
        # read when typing pauses, not on every key
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(0.25, lambda: self._paused(text))

    def _paused(self, text: str) -> None:
        self.text = text
        self.post_message(self.Filtered(text))
