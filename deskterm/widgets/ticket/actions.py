"""What the agent may do to the ticket shown, and the actions done in place, without a dialog
(claim, watch). Hidden: the screen's keys reach it; it reports each outcome upward."""

from __future__ import annotations

from typing import Any

from textual.message import Message
from textual.widget import Widget

from ...i18n import _
from ...services import tickets, workflow
from ...services.workflow import TicketView
from ..service import ServiceDone, ServiceFailed, call_service

# Offered only when the service says the agent may (TicketView.allowed).
ACTIONS = frozenset(
    {"note", "status", "resolve", "claim", "transfer", "assign", "edit", "reopen", "worksheet", "watch"}
)


class Claimed(ServiceDone[Any]):
    """The ticket is the agent's now."""


class Watched(ServiceDone[bool]):
    """The agent follows the ticket (True) or no longer does (False)."""


class TicketActions(Widget):
    DEFAULT_CSS = "TicketActions { display: none; }"

    class Done(Message):
        """An action changed the ticket: `text` says what, for the agent; the ticket wants reading again."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class Refused(Message):
        """The service refused an action (the ticket changed since it was shown, say)."""

        def __init__(self, error: Exception) -> None:
            super().__init__()
            self.error = error

    def __init__(self, number: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.number = number
        self.view: TicketView | None = None

    def show(self, view: TicketView) -> None:
        self.view = view

    def offers(self, action: str) -> bool:
        """Whether `action` is open to the agent on the ticket as shown (nothing before it is read)."""
        if action in ACTIONS:
            return self.view is not None and action in self.view.allowed
        if action == "escalate":  # the escalation service checks who may (issue 7's dialog)
            return self.view is not None and self.view.detail.status in workflow.OPEN_STATUSES
        return True

    def claim(self) -> None:
        if self.view is None:
            return
        desk: Any = self.app
        version = self.view.version  # as shown: a ticket changed since is refused
        call_service(
            self, tickets.claim, desk.database, desk.actor, self.number, version=version, result=Claimed
        )

    def on_claimed(self, message: Claimed) -> None:
        self.post_message(self.Done(_("{number} is yours now.", number=self.number)))

    def toggle_watch(self) -> None:
        """Follow the ticket, or stop following it."""
        if self.view is None:
            return
        desk: Any = self.app
        on = not self.view.watching
        call_service(self, workflow.watch, desk.database, desk.actor, self.number, on, result=Watched)

    def on_watched(self, message: Watched) -> None:
        if message.value:
            self.post_message(self.Done(_("Watching {number}.", number=self.number)))
        else:
            self.post_message(self.Done(_("No longer watching {number}.", number=self.number)))

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is Claimed:  # a refused claim: shown, and the ticket read again
            message.stop()
            self.post_message(self.Refused(message.error))
