"""The ticket's timeline: every event, newest last, with notes' text; it stays at the end while
the reader is there, so a new event scrolls into view, and stays put while they read further up."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from ...i18n import _
from ...services.ticket_rows import EventView
from ...text import clean
from ..labels import EVENTS, label, status_label
from ..ticket_format import desk_timezone, local

STYLES = {
    "escalated": "bold red",
    "resolved": "green",
    "closed": "green",
    "reopened": "yellow",
    "chased": "yellow",
    "note": "cyan",
}


class Timeline(Vertical):
    DEFAULT_CSS = "Timeline #ticket-timeline-title { text-style: bold; color: $text-muted; }"

    def compose(self) -> ComposeResult:
        yield Static(_("Timeline"), id="ticket-timeline-title", markup=False)
        with VerticalScroll(id="ticket-events-scroll"):
            yield Static("", id="ticket-events", markup=False)

    def show(self, events: list[EventView]) -> None:
        tz = desk_timezone(self)
        out = Text()
        for e in events:
            out.append(local(e.at, tz) + "  ", style="dim")
            out.append(label(EVENTS, e.kind), style=STYLES.get(e.kind, "bold"))
            out.append("  " + clean(e.actor, single_line=True))
            if e.kind == "note":
                out.append("  " + (_("public") if e.public else _("internal")), style="italic dim")
            extra = event_extra(e.data)
            if extra:
                out.append("  " + extra, style="dim")
            out.append("\n")
            if e.body:
                for line in clean(e.body).splitlines() or [""]:
                    out.append("    " + line + "\n")
        scroll = self.query_one("#ticket-events-scroll", VerticalScroll)
        at_end = scroll.scroll_y >= scroll.max_scroll_y - 1
        self.query_one("#ticket-events", Static).update(out)
        if at_end:
            self.call_after_refresh(scroll.scroll_end, animate=False)


def event_extra(data: dict[str, Any]) -> str:
    """What an event's data adds to its line: a status move, an article, an assignee."""
    if "from" in data and "to" in data and data["from"] != data["to"]:
        text = f"{status_label(str(data['from']))} → {status_label(str(data['to']))}"
    else:
        text = ""
    if data.get("article"):
        text += f"  KB {clean(data['article'], single_line=True)}"
    if data.get("assignee"):
        text += f"  → {clean(data['assignee'], single_line=True)}"
    return text.strip()
