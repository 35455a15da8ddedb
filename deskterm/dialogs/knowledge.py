"""The knowledge screen's questions: which ticket (to copy a solution into, to mark as solved by
it, to draft a solution from), and which status a solution gets."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Static

from ..i18n import _
from ..services.tickets import normalise_number
from ..text import clean
from .base import DeskModal


class TicketDialog(DeskModal[tuple[str, bool] | None]):
    """Which ticket? (defaults to the ticket being worked); optionally: a public note?"""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, question: str, default: str = "", *, ask_public: bool = False) -> None:
        super().__init__()
        self.question = question
        self.default = default
        self.ask_public = ask_public

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False)
            yield Input(self.default, placeholder="SR-000123", id="ticket-number")
            if self.ask_public:
                yield Checkbox(_("Public note (the customer is told)"), id="ticket-public")
            yield Static("", id="ticket-error", classes="form-error", markup=False)
            yield Static(_("Enter: OK · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    @on(Input.Submitted)
    def _ok(self, event: Input.Submitted) -> None:
        number = event.value.strip()
        if not number:
            self.query_one("#ticket-error", Static).update(_("Enter a ticket number."))
            return
        number = normalise_number(number)
        public = bool(self.query("#ticket-public") and self.query_one("#ticket-public", Checkbox).value)
        self.dismiss((number, public))


class StatusDialog(DeskModal[str | None]):
    """Publish, retire or send back to draft the solution `key`."""

    BINDINGS = [
        Binding("p", "pick('published')", "Publish", id="dialog.publish"),
        Binding("r", "pick('retired')", "Retire", id="dialog.retire"),
        Binding("d", "pick('draft')", "Back to draft", id="dialog.draft"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, key: str) -> None:
        super().__init__()
        self.key = key

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Status of {key}", key=clean(self.key, single_line=True)), markup=False)
            yield Static(
                _("p: publish · r: retire · d: back to draft · Esc: cancel"),
                classes="dialog-hint",
                markup=False,
            )

    def action_pick(self, status: str) -> None:
        self.dismiss(status)
