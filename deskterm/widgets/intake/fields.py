"""A one-line choice for the intake form: every option in view when there is room, the chosen
one highlighted; a digit picks an option by its number, a letter by its first letter, Left/Right
step through; Enter moves on (like the text fields). No dropdown to open: one key, not three.
A field made with the value None has nothing chosen until the operator chooses (a question to
ask, not a default to keep)."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.events import Key
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from ...text import clean


class ChoiceField(Widget, can_focus=True):
    DEFAULT_CSS = """
    ChoiceField { height: 1; width: 1fr; background: $surface; }
    ChoiceField:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("left", "step(-1)", "Previous choice", show=False),
        Binding("right,space", "step(1)", "Next choice", show=False),
        Binding("enter", "app.focus_next", "Next field", show=False),
    ]

    index: reactive[int] = reactive(0)

    class Changed(Message):
        def __init__(self, field: ChoiceField, value: Any) -> None:
            super().__init__()
            self.field = field
            self.value = value

        @property
        def control(self) -> ChoiceField:
            return self.field

    def __init__(self, options: list[tuple[str, Any]], value: Any = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.options = list(options)
        self._set_index_silently(value)

    def _set_index_silently(self, value: Any) -> None:
        values = [v for _label, v in self.options]
        index = values.index(value) if value in values else (-1 if value is None else 0)
        self.set_reactive(ChoiceField.index, index)

    @property
    def value(self) -> Any:
        return self.options[self.index][1] if self.options and self.index >= 0 else None

    @value.setter
    def value(self, value: Any) -> None:
        """Set from code: no Changed message (it is for the operator's own choices)."""
        self._set_index_silently(value)
        self.refresh()

    def set_labels(self, labels: list[str]) -> None:
        self.options = [(label, v) for label, (_old, v) in zip(labels, self.options, strict=True)]
        self.refresh()

    def action_step(self, delta: int) -> None:
        if self.index < 0:  # nothing chosen yet: the first (or, going left, the last)
            self._choose(0 if delta > 0 else len(self.options) - 1)
        else:
            self._choose((self.index + delta) % len(self.options))

    def _choose(self, index: int) -> None:
        if index != self.index:
            self.index = index
            self.post_message(self.Changed(self, self.value))

    def on_key(self, event: Key) -> None:
        char = event.character or ""
        if char.isdigit() and 1 <= int(char) <= len(self.options):
            self._choose(int(char) - 1)
            event.stop()
            event.prevent_default()
        elif char.isalpha() and len(char) == 1:
            starts = [
                i for i, (label, _v) in enumerate(self.options) if label.lower().startswith(char.lower())
            ]
            if starts:
                after = [i for i in starts if i > self.index]
                self._choose((after or starts)[0])
                event.stop()
                event.prevent_default()

    def render(self) -> Text:
        labels = [clean(label, single_line=True) for label, _v in self.options]
        full = Text(no_wrap=True, overflow="ellipsis")
        for i, label in enumerate(labels):
            style = "reverse bold" if i == self.index else "dim"
            full.append(f" {i + 1} {label} ", style=style)
        if full.cell_len <= self.size.width or not labels:
            return full
        short = Text(no_wrap=True, overflow="ellipsis")
        short.append("‹ ", style="dim")
        if self.index < 0:
            short.append("—", style="dim")
        else:
            short.append(f"{self.index + 1} {labels[self.index]}", style="reverse bold")
        short.append(f" › 1-{len(labels)}", style="dim")
        return short
