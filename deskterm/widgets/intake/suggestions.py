"""Knowledge suggestions: the desk's solutions for the summary and symptoms typed so far, searched
a moment after the typing stops (the newest search only), and the one the operator chose when it
solved the call at first contact. The side list shows them (`Changed`)."""

from __future__ import annotations

from typing import Any

from textual.message import Message

from ...services import kb
from ...services.intake import IntakeForm
from ...services.kb import KbSuggestion
from ..service import ServiceDone
from .base import DeskWidget


class Suggested(ServiceDone[list[KbSuggestion]]):
    """The solutions for the text typed."""


class Suggestions(DeskWidget):
    """No view of its own: the side list shows what it found."""

    DEFAULT_CSS = "Suggestions { display: none; }"

    class Changed(Message):
        def __init__(self, items: list[KbSuggestion]) -> None:
            super().__init__()
            self.items = items

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: list[KbSuggestion] = []
        self.article_id: int | None = None  # solved at first contact with this article
        self.resolution = ""

    def search(self, text: str) -> None:
        """Search for `text` once the typing pauses (settings.suggest_delay_ms)."""
        settings = self.desk.settings
        delay = (settings.suggest_delay_ms if settings else 150) / 1000
        self.later(delay, lambda: self._recommend(text.strip()))

    def _recommend(self, text: str) -> None:
        self.call(kb.recommend, self.desk.database, text, limit=5, result=Suggested, group="kb")

    def on_suggested(self, message: Suggested) -> None:
        self.items = message.value
        self.post_message(self.Changed(self.items))

    def choose(self, article: KbSuggestion) -> None:
        """The article solved the call: the ticket is saved as resolved with it."""
        self.article_id = article.article_id
        self.resolution = f"{article.external_id} {article.title}"

    def part(self) -> dict[str, Any]:
        return {"kb_article_id": self.article_id, "resolution": self.resolution}

    def clear(self) -> None:
        self.stop_later()
        self.workers.cancel_group(self, "kb")
        self.items = []
        self.article_id = None
        self.resolution = ""

    def restore(self, form: IntakeForm) -> None:
        self.article_id = form.kb_article_id
        self.resolution = form.resolution
