"""The intake's dialogs: whether the caller typed is still the caller picked, the open tickets
like this call (duplicates), a suggested solution to read out, and a chase call."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import _
from ..services import intake
from ..services.intake import CallerChanged, DuplicateCandidate, IntakeResult
from ..services.kb import KbSuggestion
from ..services.scripts import Script
from ..services.tickets import TicketRow
from ..text import clean
from ..widgets.intake.chase import chase_readout
from ..widgets.intake.fields import ChoiceField
from ..widgets.labels import STATUS_IN_SENTENCE, label
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from .base import DeskModal


def _ticket_option(number: str, details: str, assignee: str, summary: str) -> Option:
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(f"{number} ", style="bold")
    text.append(details)
    if assignee:
        text.append(" · " + clean(assignee, single_line=True))
    text.append("\n  " + clean(summary, single_line=True), style="dim")
    return Option(text)


class TicketChoice(DeskModal[Any]):
    """A dialog around a list of tickets, the first highlighted and focused."""

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.highlighted = 0
        listing.focus()

    def listing(self, title: str, options: Iterable[Option], list_id: str) -> ComposeResult:
        yield Static(title, classes="dialog-title", markup=False)
        yield OptionList(*options, id=list_id)

    @property
    def index(self) -> int:
        return self.query_one(OptionList).highlighted or 0


class CallerDialog(DeskModal[str]):
    """The name or organisation typed is not the picked caller's: update that contact, add a new
    contact in the same organisation, or a new customer. Esc goes back to the call as typed."""

    BINDINGS = [
        Binding("u", "choose('update')", "Update this contact", id="intake.caller_update"),
        Binding("o", "choose('new_contact')", "New contact, same organisation", id="intake.caller_contact"),
        Binding("n", "choose('new_customer')", "New customer", id="intake.caller_new"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]
    HINTS = {
        "update": "u: update this contact",
        "new_contact": "o: new contact in the same organisation",
        "new_customer": "n: new customer",
    }

    def __init__(self, refused: CallerChanged) -> None:
        super().__init__()
        self.refused = refused
        self.choices = tuple(refused.choices)

    def compose(self) -> ComposeResult:
        r = self.refused
        with Vertical(classes="dialog", id="caller-dialog"):
            yield Static(_("The caller typed is not the caller picked"), classes="dialog-title", markup=False)
            picked = clean(f"{r.picked.name} · {r.picked.organisation}", single_line=True)
            typed = clean(f"{r.name.strip()} · {r.organisation.strip()}", single_line=True)
            yield Static(_("Picked: {caller}", caller=picked), markup=False)
            yield Static(_("Typed: {caller}", caller=typed), markup=False)
            hints = [_(self.HINTS[c]) for c in self.choices] + [_("Esc: back to the call")]
            yield Static(" · ".join(hints), classes="dialog-hint", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return parameters[0] in self.choices
        return True

    def action_choose(self, choice: str) -> None:
        if choice in self.choices:
            self.dismiss(choice)


class DuplicateDialog(TicketChoice):
    """Open tickets like this call: chase one, link to it, or create anyway. Returns (action,
    ticket number)."""

    BINDINGS = [
        Binding("c", "choose('chase')", "Chase it", id="intake.dup_chase"),
        Binding("l", "choose('link')", "Link as related", id="intake.dup_link"),
        Binding("n", "choose('create')", "Create anyway", id="intake.dup_create"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        super().__init__()
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="duplicate-dialog"):
            options = (
                _ticket_option(
                    c.number,
                    f"{c.similarity}% · P{c.priority} · {label(STATUS_IN_SENTENCE, c.status)}",
                    c.assignee,
                    c.summary,
                )
                for c in self.candidates
            )
            title = _("Possible duplicate: this caller or device has similar open tickets")
            yield from self.listing(title, options, "duplicate-list")
            yield Static(
                _(
                    "c: chase it (log this call on it) · l: new ticket linked to it · "
                    "n: create anyway · Esc: back"
                ),
                classes="dialog-hint",
                markup=False,
            )

    def action_choose(self, action: str) -> None:
        self.dismiss((action, self.candidates[self.index].number))


class ArticleDialog(DeskModal[KbSuggestion]):
    """A suggested solution to read to the caller; Ctrl+R: it solved the call."""

    BINDINGS = [
        Binding("ctrl+r", "solved", "Solved at first contact", id="intake.solved"),
        Binding("down,n", "step(1)", "Next suggestion", id="intake.article_next"),
        Binding("up,p", "step(-1)", "Previous suggestion", id="intake.article_previous"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]

    def __init__(self, suggestions: list[KbSuggestion], index: int = 0) -> None:
        super().__init__()
        self.suggestions = suggestions
        self.index = min(index, len(suggestions) - 1)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="article-dialog"):
            yield Static("", id="article-title", classes="dialog-title", markup=False)
            with VerticalScroll(id="article-body"):
                yield Static("", id="article-statements", markup=False)
            yield Static(
                _("Ctrl+R: solved at first contact · ↑/↓: other suggestions · Esc: back"),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        s = self.suggestions[self.index]
        title = Text()
        title.append(f"{self.index + 1}/{len(self.suggestions)} {clean(s.external_id)} ", style="dim")
        title.append(clean(s.title, single_line=True), style="bold")
        self.query_one("#article-title", Static).update(title)
        body = Text()
        for i, statement in enumerate(s.statements, 1):
            body.append(f"{i}. ", style="bold")
            body.append(clean(statement) + "\n")
        self.query_one("#article-statements", Static).update(body)

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.suggestions)
        self._show()

    def action_solved(self) -> None:
        self.dismiss(self.suggestions[self.index])


class Chased(ServiceDone[IntakeResult]):
    """The chase is logged on the ticket."""


class ChaseDialog(TicketChoice):
    """A chase call: pick the open ticket, note the caller's words, read out 我已派工 + a reply
    and the ticket's status; Ctrl+S logs the chase. Returns (the chase's result, the reply)."""

    BINDINGS = [
        Binding("ctrl+s", "log", "Log the chase", id="intake.chase_log"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]

    def __init__(
        self,
        tickets: list[TicketRow],
        script: Script,
        words: str,
        started: datetime | None,
        *,
        phone_call_id: int | None = None,
    ) -> None:
        super().__init__()
        self.phone_call_id = phone_call_id
        self.tickets = tickets
        self.script = script
        self.words = words
        self.started = started
        self.busy = False
        self.reply = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="chase-dialog"):
            options = (
                _ticket_option(
                    t.number,
                    f"P{t.priority} · {label(STATUS_IN_SENTENCE, t.status)}",
                    t.assignee or _("not assigned yet"),
                    t.summary,
                )
                for t in self.tickets
            )
            title = _("Chase call: which ticket is the caller asking about?")
            yield from self.listing(title, options, "chase-tickets")
            with Horizontal(classes="form-row"):
                yield Static(_("Caller says"), classes="form-label", markup=False)
                yield Input(self.words.strip(), id="chase-words", compact=True)
            with Horizontal(classes="form-row"):
                yield Static(_("Reply"), classes="form-label", markup=False)
                yield ChoiceField(
                    [(clean(r), i) for i, r in enumerate(self.script.chase_replies)], 0, id="chase-reply"
                )
            yield Static("", id="chase-readout", markup=False)
            yield Static("", id="chase-error", classes="form-error", markup=False)
            yield Static(
                _("Ctrl+S: log the chase · Tab: next · Esc: back"), classes="dialog-hint", markup=False
            )

    def on_mount(self) -> None:  # after it, TicketChoice.on_mount highlights the first ticket
        self._readout()

    @on(OptionList.OptionHighlighted)
    @on(ChoiceField.Changed)
    def _readout(self) -> None:
        reply = self.query_one("#chase-reply", ChoiceField).value
        line = chase_readout(self.script, self.tickets[self.index], reply)
        self.query_one("#chase-readout", Static).update(Text("❯ " + clean(line), style="bold"))

    @on(Input.Submitted, "#chase-words")
    def _words_done(self) -> None:
        self.query_one("#chase-reply", ChoiceField).focus()

    def action_log(self) -> None:
        if self.busy:
            return
        self.busy = True
        self.reply = self.query_one("#chase-reply", ChoiceField).value
        self.call(
            intake.chase,
            self.desk.database,
            self.desk.actor,
            self.tickets[self.index].number,
            words=self.query_one("#chase-words", Input).value,
            call_started_at=self.started,
            phone_call_id=self.phone_call_id,
            result=Chased,
            group="chase",
        )

    def on_chased(self, message: Chased) -> None:
        self.dismiss((message.value, self.reply))

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.busy = False
        self.query_one("#chase-error", Static).update(Text(refusal_text(message.error)))
