"""The side list: what helps with the field in hand (the callers with the phone typed, the
caller's devices, categories, knowledge suggestions). Up/Down move, the screen picks."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import _, language
from ...text import clean, shorten
from .pop import warranty_text

TITLES = {
    "callers": "Callers with this number (Enter picks)",
    "devices": "The caller's devices (Enter picks)",
    "categories": "Categories (Enter picks)",
    "kb": "Suggested solutions (Ctrl+O opens)",
}


class AssistList(Vertical):
    DEFAULT_CSS = """
    AssistList #intake-assist-title { height: auto; color: $text-muted; text-style: bold; margin-top: 1; }
    AssistList #intake-assist { height: 1fr; border: none; padding: 0; background: $surface; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.mode = ""  # callers | devices | categories | kb
        self.items: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="intake-assist-title", markup=False)
        options = OptionList(id="intake-assist", compact=True)
        options.can_focus = False
        yield options

    def show(self, mode: str, items: list[Any]) -> None:
        self.mode = mode
        self.items = list(items)
        self.redraw()

    def redraw(self) -> None:
        """The title and items again (after a language switch, too)."""
        options = self.query_one("#intake-assist", OptionList)
        width = max(20, options.size.width - 2 if options.size.width else 40)
        title = _(TITLES[self.mode]) if self.mode in TITLES else ""
        if self.mode == "callers" and not self.items:
            title = _("No caller with this number: a new caller is saved with the ticket.")
        if self.mode == "kb" and not self.items:
            title = _("Suggested solutions appear as the symptoms are typed.")
        self.query_one("#intake-assist-title", Static).update(title)
        shown = [Option(self._text(item, width)) for item in self.items]
        options.set_options(shown)
        if shown:
            options.highlighted = 0

    def _text(self, item: Any, width: int) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        if self.mode == "callers":
            text.append(clean(item.name, single_line=True), style="bold")
            text.append("  " + clean(item.phone, single_line=True))
            text.append("\n  " + shorten(clean(item.organisation, single_line=True), width - 2), style="dim")
            if item.customer_class == "key":
                text.append(" ★", style="yellow")
        elif self.mode == "devices":
            text.append(clean(item.serial, single_line=True), style="bold")
            text.append("  " + clean(item.model, single_line=True))
            text.append("  " + warranty_text(item.warranty, item.warranty_end), style="dim")
        elif self.mode == "categories":
            text.append(item.path_zh if language() == "zh" and item.path_zh else item.path)
            text.append(f"  → {item.team}", style="dim")
        elif self.mode == "kb":
            text.append(clean(item.external_id) + " ", style="dim")
            text.append(shorten(clean(item.title, single_line=True), width - len(item.external_id) - 1))
        return text

    def move(self, delta: int) -> None:
        options = self.query_one("#intake-assist", OptionList)
        if options.option_count == 0:
            return
        current = options.highlighted if options.highlighted is not None else -delta
        options.highlighted = max(0, min(options.option_count - 1, current + delta))

    @property
    def index(self) -> int | None:
        return self.query_one("#intake-assist", OptionList).highlighted

    def highlighted(self, mode: str) -> Any:
        """The item highlighted, if the list shows `mode`."""
        index = self.index
        if self.mode != mode or index is None or index >= len(self.items):
            return None
        return self.items[index]
