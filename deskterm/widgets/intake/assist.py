"""The side list: what helps with the field in hand (the callers with the phone typed, the
caller's devices, categories, knowledge suggestions). It follows the field in hand (`follow`) and
takes in what the panels find (`found`); Up/Down move, Enter in a field picks (`picked`: the screen
does the picking)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ...i18n import _, language
from ...text import clean, shorten
from .caller import CallerPanel
from .classification import ClassificationPanel
from .pop import warranty_text
from .suggestions import Suggestions

TITLES = {
    "callers": "Callers with this number (Enter picks)",
    "devices": "The caller's devices (Enter picks)",
    "categories": "Categories (Enter picks)",
    "kb": "Suggested solutions (Ctrl+O opens)",
}
DEVICE_FIELDS = ("device_model", "device_serial")
# The kind of list each field wants beside it.
KINDS = {
    **dict.fromkeys(CallerPanel.FIELDS, "callers"),
    **dict.fromkeys(DEVICE_FIELDS, "devices"),
    "category": "categories",
    "description": "kb",
    "summary": "kb",
}


class AssistList(Vertical):
    DEFAULT_CSS = """
    AssistList #intake-assist-title { height: auto; color: $text-muted; text-style: bold; margin-top: 1; }
    AssistList #intake-assist { height: 1fr; border: none; padding: 0; background: $surface; }
    """

    def __init__(
        self,
        caller: CallerPanel,
        classification: ClassificationPanel,
        suggestions: Suggestions,
        *,
        id: str | None = None,
    ) -> None:
        """The panels whose findings it lists."""
        super().__init__(id=id)
        self.caller = caller
        self.classification = classification
        self.suggestions = suggestions
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

    def items_for(self, kind: str) -> list[Any]:
        """The items of `kind` now: the callers with the phone typed, the picked caller's devices,
        the categories matching the text typed, the knowledge suggestions."""
        if kind == "callers":
            return self.caller.matches
        if kind == "devices":
            pop = self.caller.pop
            return pop.devices if pop is not None else []
        if kind == "categories":
            return self.classification.matching(self.classification.text("category"))
        return self.suggestions.items if kind == "kb" else []

    def follow(self, field: str, kind: str | None = None) -> None:
        """The list for the field in hand (callers and devices once there are some; any other field
        leaves the list as it is); with `kind`, only if that is the field's kind."""
        wanted = KINDS.get(field, "")
        if not wanted or kind not in (None, wanted):
            return
        items = self.items_for(wanted)
        if items or wanted in ("categories", "kb"):
            self.show(wanted, items)

    def found(self, kind: str, items: list[Any] | None, field: str) -> None:
        """New items of `kind` (the callers found, suggestions): shown if the field in hand is for
        them (suggestions also where the list shows them or nothing). None, nothing was looked up:
        a list of that kind goes."""
        if items is None:
            if self.mode == kind:
                self.show("", [])
        elif KINDS.get(field) == kind or (kind == "kb" and self.mode in ("kb", "")):
            self.show(kind, items)

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

    def picked(self, field: str) -> Any:
        """What Enter in `field` picks: the caller, device or category highlighted in its list."""
        kind = KINDS.get(field, "")
        return self.highlighted(kind) if kind in ("callers", "devices", "categories") else None

    def highlighted(self, mode: str) -> Any:
        """The item highlighted, if the list shows `mode`."""
        index = self.index
        if self.mode != mode or index is None or index >= len(self.items):
            return None
        return self.items[index]
