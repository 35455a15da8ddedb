"""The search bar: the box a search is typed into and the filters beside it (category, language;
for KB editors also the status). It reports what to search for; the results panel searches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widgets import Input, Select

from ...i18n import _
from ...services import directory
from ...text import clean
from ..labels import KB_LANGUAGES, KB_STATUSES, choices, label
from ..service import ServiceDone, call_service

STATUSES = {"published": ("published",), "draft": ("draft",), "retired": ("retired",)}


@dataclass(frozen=True)
class SearchRequest:
    """What to search for: an empty query asks for the FAQ."""

    query: str
    category: str | None = None
    lang: str | None = None
    statuses: tuple[str, ...] = ("published",)

    @property
    def faq(self) -> bool:
        return not self.query


class CategoriesLoaded(ServiceDone[list[str]]):
    """The category paths of the knowledge base, for the category filter."""


class SearchBar(Horizontal):
    """The query box and the filters. `editor`: a KB editor, who may filter by status."""

    class Changed(Message):
        """What to search for changed: typed (search after a pause) or a filter chosen (now)."""

        def __init__(self, request: SearchRequest, *, typed: bool) -> None:
            super().__init__()
            self.request = request
            self.typed = typed

    class Submitted(Message):
        """Enter in the query box: on to the results."""

    def __init__(self, database: Any, *, editor: bool, id: str | None = None) -> None:
        super().__init__(id=id)
        self.database = database
        self.editor = editor
        self.categories: list[str] = []
        self.kept: dict[str, Any] = {}  # the values a relabel composes again

    def compose(self) -> ComposeResult:
        kept = self.kept
        yield Input(
            kept.get("kb-query", ""),
            placeholder=_("Search solutions: words, fragments, a caller's description…"),
            id="kb-query",
        )
        yield Select(
            [(Text(clean(p, single_line=True)), p) for p in self.categories],
            prompt=_("All categories"),
            value=kept.get("kb-category", Select.NULL),
            id="kb-category",
            compact=True,
        )
        yield Select(
            choices(KB_LANGUAGES),
            prompt=_("All languages"),
            value=kept.get("kb-lang", Select.NULL),
            id="kb-lang",
            compact=True,
        )
        if self.editor:
            yield Select(
                [(label(KB_STATUSES, s), s) for s in ("published", "draft", "retired")],
                value=kept.get("kb-status", "published"),
                prompt=_("Any status"),
                id="kb-status",
                compact=True,
            )

    def on_mount(self) -> None:
        call_service(
            self, directory.kb_categories, self.database, result=CategoriesLoaded, group="kb-categories"
        )

    def on_categories_loaded(self, message: CategoriesLoaded) -> None:
        self.categories = message.value
        options = [(Text(clean(p, single_line=True)), p) for p in self.categories]
        self.query_one("#kb-category", Select).set_options(options)

    # --- what to search for -------------------------------------------------------------------

    def _value(self, selector: str) -> str | None:
        found = self.query(selector)
        if not found:
            return None
        v = found.first(Select).value
        return v if isinstance(v, str) else None

    def request(self) -> SearchRequest:
        if not self.editor:
            statuses: tuple[str, ...] = ("published",)  # what everyone but editors sees
        else:
            status = self._value("#kb-status")
            statuses = STATUSES[status] if status else ("published", "draft", "retired")
        return SearchRequest(
            self.query_one("#kb-query", Input).value.strip(),
            self._value("#kb-category"),
            self._value("#kb-lang"),
            statuses,
        )

    @on(Input.Changed, "#kb-query")
    def _typed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.request(), typed=True))

    @on(Select.Changed)
    def _filtered(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.request(), typed=False))

    @on(Input.Submitted, "#kb-query")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.post_message(self.Submitted())

    # --- the small API ------------------------------------------------------------------------

    def focus_query(self) -> None:
        self.query_one("#kb-query", Input).focus()

    def clear(self) -> None:
        box = self.query_one("#kb-query", Input)
        box.value = ""
        box.focus()

    def relabel(self) -> None:
        """Compose again in the current language, keeping what is typed and chosen."""
        self.kept = {"kb-query": self.query_one("#kb-query", Input).value}
        for select in self.query(Select):
            if select.id is not None and isinstance(select.value, str):
                self.kept[select.id] = select.value
        self.call_later(self._recomposed)

    async def _recomposed(self) -> None:
        await self.recompose()
        self.focus_query()
