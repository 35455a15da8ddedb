"""The console's frame: a header with who is logged in and the connection, a translated footer."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from .. import i18n
from ..i18n import _
from ..text import clean
from .intake.ringing import ringing_text
from .labels import AGENT_STATES


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
    state: reactive[tuple[str, str]] = reactive(("available", ""))  # the agent's (state, away reason)

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
        self.state = getattr(app, "agent_state", ("available", ""))
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
            shown = state_shown(*self.state)
            if shown is not None:  # available goes without saying; any other state is said
                text.append("│ ")
                text.append(*shown)
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


def state_shown(state: str, reason: str) -> tuple[str, str] | None:
    """The header's word for the agent's state (F10's not ready is named), with its style."""
    if state == "available":
        return None
    if state == "away" and reason == "not_ready":
        return _("Not ready"), "bold magenta"
    words, style = AGENT_STATES.get(state, (state, ""))
    return _(words), style


class DeskFooter(Footer):
    """The footer, with binding descriptions through the translation function. It is composed
    again only when the keys it shows change: a screen that refreshes its bindings on every view
    switch (the queue) does not rebuild and lay out its footer each time."""

    _composed: tuple[Any, ...] | None = None  # what the footer was last composed with

    def _showing(self) -> tuple[Any, ...]:
        """The keys the footer shows now, as it would compose them."""
        display = self.app.get_key_display
        shown = tuple(
            (b.key, display(b), b.action, b.description, b.group, enabled, tooltip)
            for _node, b, enabled, tooltip in self.screen.active_bindings.values()
            if b.show
        )
        return (i18n.language(), self.show_command_palette, self.compact, shown)

    def bindings_changed(self, screen: Any) -> None:
        if self._bindings_ready and screen is self.screen and self._composed == self._showing():
            return  # the same keys: nothing to compose again
        super().bindings_changed(screen)

    def compose(self) -> ComposeResult:
        self._composed = self._showing() if self._bindings_ready else None
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
