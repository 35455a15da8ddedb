"""The dialogs of the ticket screen: a note, a status change, resolve, reopen, transfer, edit; and
opening a ticket by its number (Ctrl+G anywhere). A dialog on the ticket as shown sends the version
and the values it showed, so a ticket changed meanwhile is refused with what changed, and the
input stays in the dialog."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from ..i18n import _
from ..services import directory, tickets, workflow
from ..text import clean
from ..widgets.labels import LEVELS, SERVICE_MODES, TICKET_KINDS, WARRANTY, choices, status_label
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from .base import DeskModal, ServiceDialog


def title(text: str) -> Static:
    return Static(text, classes="dialog-title", markup=False)


def form_end(keys: str) -> ComposeResult:
    """The line a refusal is shown in, and the keys the dialog takes."""
    yield Static("", id="e-form", classes="form-error", markup=False)
    yield Static(keys, classes="dialog-hint", markup=False)


class NoteDialog(ServiceDialog):
    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield title(_("Note on {number}", number=self.number))
            yield TextArea(id="f-note", compact=True)
            yield Checkbox(_("Customer-visible (public)"), id="f-public", compact=True)
            yield from self.hint()

    def on_mount(self) -> None:
        self.query_one("#f-note", TextArea).focus()

    def action_save(self) -> None:
        self.submit(
            workflow.add_note,
            self.db,
            self.actor,
            self.number,
            self.query_one("#f-note", TextArea).text,
            public=self.query_one("#f-public", Checkbox).value,
        )


class ViewDialog(ServiceDialog):
    """A dialog that starts from the ticket as shown (`view`)."""

    def __init__(self, view: workflow.TicketView) -> None:
        super().__init__()
        self.view = view

    def seen(self) -> dict[str, Any]:
        """The values shown, which the service compares with the ticket as it is (with the version
        shown, passed by name at each call so a source scan can check every call carries it)."""
        return workflow.snapshot(self.view.detail)


class StatusDialog(ViewDialog):
    """Pick the next status among the legal moves (Enter, in the list or in the note)."""

    ENTER_SAVES = True

    def compose(self) -> ComposeResult:
        d = self.view.detail
        with Vertical(classes="dialog form"):
            yield title(_("{number} is {status}: move it to", number=d.number, status=status_label(d.status)))
            moves = sorted(workflow.STATUS_MOVES[d.status])
            yield OptionList(*(Option(status_label(s), id=s) for s in moves), id="f-status")
            yield from self.labelled("Note", Input(id="f-note", compact=True))
            yield from form_end(_("Enter: change · Esc: cancel"))

    def on_mount(self) -> None:
        self.query_one("#f-status", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._change(str(event.option.id))

    def action_save(self) -> None:
        options = self.query_one("#f-status", OptionList)
        if options.highlighted is not None:
            self._change(str(options.get_option_at_index(options.highlighted).id))

    def _change(self, to: str) -> None:
        note = self.query_one("#f-note", Input).value
        self.submit(
            workflow.change_status,
            self.db,
            self.actor,
            self.view.number,
            to,
            note=note,
            version=self.view.version,
            seen=self.seen(),
        )


class ResolveDialog(ViewDialog):
    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield title(_("Resolve {number}", number=self.view.number))
            yield Static(_("Resolution (required)"), markup=False)
            yield TextArea(id="f-resolution", compact=True)
            yield from self.labelled(
                "KB article", Input(id="f-article", placeholder=_("e.g. KB-0012 (optional)"), compact=True)
            )
            yield from self.hint()

    def on_mount(self) -> None:
        self.query_one("#f-resolution", TextArea).focus()

    def action_save(self) -> None:
        article = self.query_one("#f-article", Input).value.strip()
        self.submit(
            workflow.resolve,
            self.db,
            self.actor,
            self.view.number,
            self.query_one("#f-resolution", TextArea).text,
            article=article or None,
            version=self.view.version,
            seen=self.seen(),
        )


class ReopenDialog(ViewDialog):
    ENTER_SAVES = True

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield title(_("Reopen {number}", number=self.view.number))
            yield from self.labelled("Reason", Input(id="f-reason", compact=True))
            yield from self.hint()

    def on_mount(self) -> None:
        self.query_one("#f-reason", Input).focus()

    def action_save(self) -> None:
        reason = self.query_one("#f-reason", Input).value
        self.submit(
            workflow.reopen,
            self.db,
            self.actor,
            self.view.number,
            reason,
            version=self.view.version,
            seen=self.seen(),
        )


class TargetsLoaded(ServiceDone[list[tuple[str, str]]]):
    """(label, "team:<name>" or "agent:<login>") of where a ticket can be transferred."""


def transfer_targets(db: Any) -> list[tuple[str, str]]:
    teams = [(_("Team: {name}", name=t), f"team:{t}") for t in directory.teams(db)]
    agents = [(f"{name} ({team})", f"agent:{login}") for login, name, team in directory.assignees(db)]
    return teams + agents


class TransferDialog(ViewDialog):
    """To another team's queue, or to an agent; a reason is required."""

    ENTER_SAVES = True

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield title(_("Transfer {number}", number=self.view.number))
            yield from self.labelled("To", Select([], id="f-to", prompt=_("team or agent"), compact=True))
            yield from self.labelled("Reason", Input(id="f-reason", compact=True))
            yield from self.hint()

    def on_mount(self) -> None:
        self.call(transfer_targets, self.db, result=TargetsLoaded, group="targets")
        self.query_one("#f-to", Select).focus()

    def on_targets_loaded(self, message: TargetsLoaded) -> None:
        options = [(Text(clean(label)), key) for label, key in message.value]
        self.query_one("#f-to", Select).set_options(options)

    def action_save(self) -> None:
        to = self.query_one("#f-to", Select).value
        kind, _sep, name = str(to).partition(":") if isinstance(to, str) else ("", "", "")
        self.submit(
            workflow.transfer,
            self.db,
            self.actor,
            self.view.number,
            reason=self.query_one("#f-reason", Input).value,
            team=name if kind == "team" else None,
            agent=name if kind == "agent" else None,
            version=self.view.version,
            seen=self.seen(),
        )

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is not TargetsLoaded:  # the list not read: the app's banner says why
            super().on_service_failed(message)


class CategoriesLoaded(ServiceDone[list[str]]):
    """Every category path, for the category Select."""


class EditDialog(ViewDialog):
    """Edit the fields as of the version shown; if someone changed the ticket meanwhile the save is
    refused with what changed, and the input stays here."""

    CHOICES = (("kind", TICKET_KINDS), ("service_mode", SERVICE_MODES), ("warranty", WARRANTY))

    def compose(self) -> ComposeResult:
        d = self.view.detail
        with Vertical(classes="dialog form"):
            yield title(_("Edit {number}", number=d.number))
            # Editors hold people's text cleaned too (clean): a stored escape must not reach the screen.
            yield from self.labelled("Summary", Input(clean(d.summary), id="f-summary", compact=True))
            yield from self.labelled("Kind", self.select("kind", TICKET_KINDS, d.kind))
            yield from self.labelled(
                "Category", Select([], id="f-category", prompt=_("(none)"), compact=True)
            )
            yield from self.labelled("Impact", self.select("impact", LEVELS, d.impact))
            yield from self.labelled("Urgency", self.select("urgency", LEVELS, d.urgency))
            yield from self.labelled(
                "Service mode", self.select("service_mode", SERVICE_MODES, d.service_mode, blank=True)
            )
            yield from self.labelled("Warranty", self.select("warranty", WARRANTY, d.warranty))
            yield Static(_("Description"), markup=False)
            yield TextArea(clean(d.description), id="f-description", compact=True)
            yield from self.hint()

    @staticmethod
    def select(key: str, table: dict[Any, str], value: Any, *, blank: bool = False) -> Select[Any]:
        """A Select of `table`'s labels at `value`; `blank`: it may be left empty (a value not in
        the table shows as empty)."""
        shown = value if value in table else Select.NULL
        return Select(choices(table), value=shown, allow_blank=blank, id=f"f-{key}", compact=True)

    def on_mount(self) -> None:
        self.call(directory.category_paths, self.db, result=CategoriesLoaded, group="categories")
        self.query_one("#f-summary", Input).focus()

    def on_categories_loaded(self, message: CategoriesLoaded) -> None:
        paths = message.value
        select = self.query_one("#f-category", Select)
        select.set_options([(Text(clean(p)), p) for p in paths])
        if self.view.detail.category in paths:
            select.value = self.view.detail.category

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is not CategoriesLoaded:  # the list not read: the app's banner says why
            super().on_service_failed(message)

    def action_save(self) -> None:
        d = self.view.detail
        values: dict[str, Any] = {
            "summary": self.query_one("#f-summary", Input).value,
            "description": self.query_one("#f-description", TextArea).text,
        }
        for key in ("kind", "category", "impact", "urgency", "service_mode", "warranty"):
            value = self.query_one(f"#f-{key}", Select).value
            values[key] = None if value is Select.NULL else value
        changes = {
            k: v
            for k, v in values.items()
            if v != getattr(d, k) and not (k == "category" and v is None and not d.category)
        }
        if not changes:
            self.dismiss(False)
            return
        self.submit(
            workflow.edit,
            self.db,
            self.actor,
            d.number,
            changes=changes,
            version=self.view.version,
            seen=self.seen(),
        )


class TicketFound(ServiceDone[tickets.TicketDetail]):
    """The ticket asked for by its number."""


class OpenTicketDialog(DeskModal[str | None]):
    """Open a ticket by its number (Ctrl+G anywhere); returns its number as stored."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield title(_("Open ticket"))
            yield Input(placeholder=_("number, e.g. SR-000123 or 123"), id="f-number")
            yield from form_end(_("Enter: open · Esc: cancel"))

    def on_mount(self) -> None:
        self.query_one("#f-number", Input).focus()

    @on(Input.Submitted)
    def _open(self, event: Input.Submitted) -> None:
        number = event.value.strip()
        if number:
            self.call(tickets.get_ticket, self.db, self.actor, number, result=TicketFound)

    def on_ticket_found(self, message: TicketFound) -> None:
        self.dismiss(message.value.number)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.query_one("#e-form", Static).update(Text(refusal_text(message.error)))
