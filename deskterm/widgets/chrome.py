"""The console's frame: a header with who is logged in and the connection, a translated footer."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..i18n import _
from ..text import clean
from .intake.ringing import ringing_text


class DeskHeader(Widget):
    """deskterm · screen · agent (number) · role · backend ● live."""

    DEFAULT_CSS = """
    DeskHeader { height: 1; background: $panel; color: $foreground; dock: top; }
    """

    screen_title: reactive[str] = reactive("")
    agent: reactive[str] = reactive("")
    backend: reactive[str] = reactive("")
    connected: reactive[bool | None] = reactive(None)
    unread: reactive[int] = reactive(0)
    ringing: reactive[str] = reactive("")  # a call waiting for the operator (widgets/intake/ringing.py)

    def on_mount(self) -> None:
        self.update_from(self.app)

    def update_from(self, app: Any) -> None:
        """Copy the app's state (agent, backend, connection, unread) into this header."""
        actor = getattr(app, "actor", None)
        self.agent = f"{actor.name} ({actor.number}) · {_(actor.role)}" if actor else ""
        self.backend = getattr(app, "backend_label", "")
        self.connected = getattr(app, "connected", None)
        self.unread = getattr(app, "unread", 0)
        call = getattr(app, "ringing", None)
        self.ringing = ringing_text(call) if call is not None else ""
        self.screen_title = _(getattr(self.screen, "TITLE_TEXT", "") or "")

    def render(self) -> Text:
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(" deskterm ", style="bold reverse")
        if self.screen_title:
            text.append(f" {self.screen_title} ", style="bold")
        if self.ringing:  # before who is logged in: it must fit 80 columns
            text.append(f" {self.ringing} ", style="bold reverse yellow")
        if self.agent:
            text.append("│ ")
            text.append(clean(self.agent, single_line=True))
            text.append(" ")
        if self.unread:
            text.append(f"│ ✉ {self.unread} ", style="bold yellow")
        if self.backend:
            text.append(f"│ {self.backend} ")
            if self.connected is None:
                text.append("○ " + _("connecting"), style="dim")
            elif self.connected:
                text.append("● " + _("live"), style="green")
            else:
                text.append("● " + _("offline"), style="bold red")
        return text


class DeskFooter(Footer):
    """The footer, with binding descriptions through the translation function."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
