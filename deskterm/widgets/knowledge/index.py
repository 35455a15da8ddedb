"""The line under the search bar: whether the search index is ready, and what the results show.
It starts the index building and asks, while its screen is the one in front, whether the index
changed (an edit here or in another console): then it reports so, for the screen to search again."""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.widgets import Static

from ...i18n import _, _n
from ...services import kb
from ..service import ServiceDone, call_service

POLL = 0.5  # how often a visible screen asks whether the index changed (others' edits)


class IndexRead(ServiceDone[tuple[bool, int]]):
    """The index state: (ready, generation); the generation grows with every change."""


class IndexState(Static):
    """The state line; polls the index every POLL seconds (one timer for its lifetime)."""

    class Changed(Message):
        """The index is ready (`first`: for the first time) or changed since it was last read."""

        def __init__(self, first: bool) -> None:
            super().__init__()
            self.first = first

    def __init__(self, database: Any, *, id: str | None = None) -> None:
        super().__init__(_("Building the search index…"), id=id, markup=False)
        self.database = database
        self.ready = False
        self.generation = 0
        self.faq = False  # what the results show: the FAQ, or `count` solutions found
        self.count = 0

    def on_mount(self) -> None:
        call_service(self, kb.warm_up, self.database, group="kb-warm")
        self.set_interval(POLL, self.poll)
        self.poll()

    def poll(self) -> None:
        if not self.screen.is_current:
            return  # hidden, or a dialog is open: nothing to refresh for now
        call_service(self, kb.index_state, self.database, result=IndexRead, group="kb-poll")

    def on_index_read(self, message: IndexRead) -> None:
        ready, generation = message.value
        if ready and (not self.ready or generation != self.generation):
            first = not self.ready
            self.ready, self.generation = True, generation
            self.post_message(self.Changed(first))
            self._show()

    def results(self, *, faq: bool, count: int) -> None:
        """The results now show the FAQ or `count` solutions found."""
        self.faq, self.count = faq, count
        self._show()

    def relabel(self) -> None:
        self._show()

    def _show(self) -> None:
        if not self.ready and not self.faq:
            text = _("Building the search index…")
        elif self.faq:
            text = _("Frequently used solutions, by category. Type to search.")
            if not self.ready:
                text += " " + _("(building the search index…)")
        elif self.count == 0:
            text = _("No solution matches.")
        else:
            text = _n("1 solution found.", "{n} solutions, best first.", self.count)
        self.update(text)
