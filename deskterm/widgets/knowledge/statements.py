"""The solution editor's list of statements, in order: each an existing statement (reused, shared
by `used_by` solutions) or new text. Del removes one, Ctrl+↑/↓ moves it; Enter (OptionSelected)
is the editor's business."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import events
from textual.timer import Timer
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from ...services import kb
from ...text import clean
from ..service import ServiceDone, call_service
from .article import used_label

LOOKUP_DELAY = 0.2  # seconds of quiet typing before similar statements are looked up
LOOKUP = "kb-similar"  # the worker group of the look-ups: the newest one only


@dataclass
class Draft:
    """A statement in the editor: an existing one (id, shared by `used_by` solutions) or new text."""

    text: str
    id: int | None = None
    used_by: int = 0
    version: int = 1  # of the stored statement, as the editor read it


def draft(s: kb.StatementView) -> Draft:
    return Draft(s.text, s.id, s.used_by, s.version)


class SimilarFound(ServiceDone[list[kb.StatementView]]):
    """Stored statements like the text being typed."""


def _label(n: int, d: Draft) -> Text:
    text = Text(f"{n:>2}. {clean(d.text, single_line=True)}")
    if d.used_by > 1:
        text.append("  " + used_label(d.used_by), style="dim")
    return text


class StatementList(OptionList):
    """The statements of the solution being edited (`drafts`), numbered."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.drafts: list[Draft] = []

    def show(self, drafts: list[Draft] | None = None, highlight: int | None = None) -> None:
        """List `drafts` (or the current ones again), the cursor on `highlight` (default: the first)."""
        if drafts is not None:
            self.drafts = drafts
        self.clear_options()
        self.add_options([Option(_label(n, d)) for n, d in enumerate(self.drafts, 1)])
        if self.drafts:
            self.highlighted = min(highlight if highlight is not None else 0, len(self.drafts) - 1)

    def append(self, d: Draft) -> None:
        self.drafts.append(d)
        self.show(highlight=len(self.drafts) - 1)

    def replace(self, i: int, d: Draft) -> None:
        self.drafts[i] = d
        self.show(highlight=i)

    def drop(self, i: int) -> Draft:
        removed = self.drafts.pop(i)
        self.show(highlight=i)
        return removed

    def on_key(self, event: events.Key) -> None:
        i = self.highlighted
        if i is None:
            return
        if event.key in ("delete", "backspace"):
            self.drop(i)
        elif event.key in ("ctrl+up", "ctrl+down"):
            j = i - 1 if event.key == "ctrl+up" else i + 1
            if 0 <= j < len(self.drafts):
                self.drafts[i], self.drafts[j] = self.drafts[j], self.drafts[i]
                self.show(highlight=j)
        else:
            return
        event.stop()
        event.prevent_default()


class SimilarList(OptionList):
    """Stored statements like the one being typed, to reuse rather than write again (`similar`)."""

    def __init__(self, database: Any, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.database = database
        self.similar: list[kb.StatementView] = []
        self.lookup: Timer | None = None

    def look_up(self, text: str) -> None:
        """Look for statements like `text` after a pause in typing; older answers are dropped."""
        self.workers.cancel_group(self, LOOKUP)
        if self.lookup is not None:
            self.lookup.stop()
        self.lookup = self.set_timer(LOOKUP_DELAY, lambda: self._look_up(text))

    def _look_up(self, text: str) -> None:
        call_service(
            self, kb.find_statements, self.database, text, limit=8, result=SimilarFound, group=LOOKUP
        )

    def on_similar_found(self, message: SimilarFound) -> None:
        self.similar = message.value
        self.clear_options()
        for s in self.similar:
            label = Text(clean(s.text, single_line=True))
            label.append("  " + used_label(s.used_by), style="dim")
            self.add_option(Option(label))

    def same_as(self, text: str) -> kb.StatementView | None:
        """The listed statement with this text (spacing aside): it is that statement."""
        return next((s for s in self.similar if " ".join(s.text.split()) == " ".join(text.split())), None)

    def reset(self) -> None:
        self.clear_options()
        self.similar = []
