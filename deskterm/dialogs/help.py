"""The keys of a screen (`?` or F1 anywhere): every binding of the screen and of the console, grouped
and translated: the footer shows only the few that matter most."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ..i18n import _
from .base import DeskModal

# The groups, in the order shown (English; shown through the translation function).
THIS_SCREEN, SCREENS, EVERYWHERE = "This screen", "Screens", "Everywhere"


def ours(node: object, binding: Binding) -> bool:
    """Whether one of deskterm's panels declares `binding` (not a Textual widget it is built on)."""
    return any(
        cls.__module__.startswith("deskterm.") and binding in cls.__dict__.get("BINDINGS", ())
        for cls in type(node).__mro__
    )


def screen_keys(screen: Screen[Any]) -> dict[str, list[tuple[str, str]]]:
    """The keys `screen` takes, by group: (keys as shown, what they do, translated). The screen's
    own bindings and its panels' (deskterm's widgets), then the console's; the keys of Textual's
    widgets (a table's cursor) are left out. A binding with several keys is one line."""
    app = screen.app
    lines: dict[tuple[str, int, str], list[str]] = {}
    descriptions: dict[tuple[str, int, str], str] = {}
    for key, (node, binding, _enabled, _tip) in screen.active_bindings.items():
        if not binding.description:
            continue
        if node is app:
            group = SCREENS if binding.action.startswith("goto(") else EVERYWHERE
        elif ours(node, binding):  # the screen's own and its panels' (not Textual's Screen defaults)
            group = THIS_SCREEN
        else:
            continue
        one = replace(binding, key=key, key_display=None) if "," in binding.key else binding
        where = (group, id(node), binding.action)
        shown = app.get_key_display(one)
        if shown not in lines.setdefault(where, []):
            lines[where].append(shown)
        descriptions[where] = _(binding.description)
    grouped: dict[str, list[tuple[str, str]]] = {THIS_SCREEN: [], SCREENS: [], EVERYWHERE: []}
    for where, keys in lines.items():
        grouped[where[0]].append((" / ".join(keys), descriptions[where]))
    return {group: rows for group, rows in grouped.items() if rows}


def keys_text(groups: dict[str, list[tuple[str, str]]]) -> Text:
    """The groups as aligned lines (widths by display cells: Chinese descriptions align too)."""
    width = max((cell_len(keys) for rows in groups.values() for keys, _d in rows), default=0)
    text = Text(no_wrap=True, overflow="ellipsis")
    for n, (group, rows) in enumerate(groups.items()):
        if n:
            text.append("\n")
        text.append(_(group) + "\n", style="bold")
        for keys, description in rows:
            text.append("  " + keys + " " * (width - cell_len(keys) + 2), style="bold")
            text.append(description + "\n")
    return text


class HelpDialog(DeskModal[None]):
    """Every key of the screen below, grouped; Esc (or ? again) closes."""

    BINDINGS = [
        Binding("escape", "cancel", "Close", id="help.close"),
        Binding("question_mark,f1", "cancel", "Close", id="help.again", show=False),
    ]
    DEFAULT_CSS = """
    HelpDialog #help { max-height: 100%; }
    HelpDialog #help-keys { height: auto; max-height: 70vh; }
    """

    def __init__(self, screen: Screen[Any]) -> None:
        super().__init__()
        self.groups = screen_keys(screen)
        self.title_text = _(getattr(screen, "TITLE_TEXT", "") or "deskterm")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="help"):
            yield Static(_("Keys: {screen}", screen=self.title_text), classes="dialog-title", markup=False)
            with VerticalScroll(id="help-keys"):
                yield Static(keys_text(self.groups), id="help-text")
            hint = _("↑/↓ PgUp/PgDn: scroll · Esc: close · Ctrl+P: all commands")
            yield Static(hint, classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#help-keys").focus()  # the arrow keys scroll the list
