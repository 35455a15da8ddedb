"""The ticket screen: every field, the customer and device, the SLA clocks and the whole timeline;
and the actions on a ticket (note, status, resolve, transfer, assign, claim, edit, reopen, work
sheet, escalate, watch), each offered only when the agent may do it.

The screen reads the ticket and hands it to its panels (widgets/ticket); its keys open the dialogs
(dialogs/ticket, dialogs/worksheet, dialogs/escalate, dialogs/assign) and, when one changed the
ticket, read it again. Others' changes to the ticket come with the change feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal

from ..dialogs.assign import AssignDialog
from ..dialogs.base import DeskModal
from ..dialogs.escalate import EscalateDialog
from ..dialogs.ticket import EditDialog, NoteDialog, ReopenDialog, ResolveDialog, StatusDialog, TransferDialog
from ..dialogs.worksheet import WorkSheetDialog
from ..services import tickets, workflow
from ..services.errors import NotFound
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from ..widgets.ticket import TicketActions, TicketDetails, Timeline
from .base import DeskScreen


class ViewLoaded(ServiceDone[workflow.TicketView]):
    """The ticket as read for this agent: fields, timeline, what they may do."""


class TicketScreen(DeskScreen):
    """One ticket, kept live: others' changes to it appear by themselves."""

    TITLE_TEXT = "Ticket"
    DEFAULT_CSS = """
    TicketScreen #ticket-body { height: 1fr; }
    TicketScreen #ticket-fields { width: 56; min-width: 40; border-right: solid $primary; padding: 0 1; }
    TicketScreen #ticket-timeline { width: 1fr; padding: 0 1; }
    """
    BINDINGS = [
        Binding("n", "note", "Note", id="ticket.note"),
        Binding("s", "status", "Status", id="ticket.status"),
        Binding("r", "resolve", "Resolve", id="ticket.resolve"),
        Binding("c", "claim", "Claim", id="ticket.claim"),
        Binding("t", "transfer", "Transfer", id="ticket.transfer", show=False),
        Binding("a", "assign", "Assign", id="ticket.assign", show=False),
        Binding("e", "edit", "Edit", id="ticket.edit", show=False),
        Binding("o", "reopen", "Reopen", id="ticket.reopen", show=False),
        Binding("w", "worksheet", "Work sheet", id="ticket.worksheet", show=False),
        Binding("x", "escalate", "Escalate", id="ticket.escalate"),
        Binding("f", "watch", "Watch/unwatch", id="ticket.watch", show=False),
        Binding("ctrl+r", "reload", "Reload", id="ticket.reload", show=False),
        Binding("escape", "app.back", "Back", id="ticket.back"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = tickets.normalise_number(number)
        self.view: workflow.TicketView | None = None  # as last read: the dialogs start from it
        self.actions = TicketActions(self.number, id="ticket-actions")  # each compose makes its own

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Horizontal(id="ticket-body"):
            yield TicketDetails(id="ticket-fields")
            yield Timeline(id="ticket-timeline")
        self.actions = TicketActions(self.number, id="ticket-actions")
        yield self.actions
        yield DeskFooter()

    def on_mount(self) -> None:
        self.reload()
        self.on_screen_resume()

    def on_screen_resume(self) -> None:
        self.desk.current_ticket = self.number  # the ticket being worked (the KB's "this solved it")

    def relabel(self) -> None:
        self.refresh(recompose=True)
        self.call_after_refresh(self._show)

    # --- reading and showing ---------------------------------------------------------------------

    def reload(self) -> None:
        db, actor = self.desk.database, self.desk.actor
        self.call(workflow.get_view, db, actor, self.number, result=ViewLoaded, group="ticket-load")

    def on_view_loaded(self, message: ViewLoaded) -> None:
        self.view = message.value
        self._show()

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is not ViewLoaded:
            return  # the app's banner says why
        message.stop()
        self.notify(refusal_text(message.error), severity="warning", markup=False)
        if isinstance(message.error, NotFound) and self.is_current:
            self.app.pop_screen()

    def _show(self) -> None:
        if self.view is None:
            return
        self.query_one(TicketDetails).show(self.view)
        self.actions.show(self.view)
        self.query_one(Timeline).show(self.view.detail.events)
        self.refresh_bindings()

    def on_desk_changes(self, changes: list[Any]) -> None:
        if any(c.number == self.number for c in changes):
            self.reload()

    # --- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.actions.offers(action)

    def on_ticket_actions_done(self, message: TicketActions.Done) -> None:
        self.notify(message.text, markup=False)
        self.reload()

    def on_ticket_actions_refused(self, message: TicketActions.Refused) -> None:
        self.notify(refusal_text(message.error), severity="warning", markup=False)
        self.reload()

    def _open(self, dialog: DeskModal[Any]) -> None:
        """A dialog; whatever it changed is read again."""
        self.app.push_screen(dialog, lambda result: self.reload() if result else None)

    def _open_on_view(self, dialog: Callable[[workflow.TicketView], DeskModal[Any]]) -> None:
        """A dialog that starts from the ticket as shown (once it has been read)."""
        if self.view is not None:
            self._open(dialog(self.view))

    def action_reload(self) -> None:
        self.reload()

    def action_note(self) -> None:
        self._open(NoteDialog(self.number))

    def action_status(self) -> None:
        self._open_on_view(StatusDialog)

    def action_resolve(self) -> None:
        self._open_on_view(ResolveDialog)

    def action_transfer(self) -> None:
        self._open_on_view(TransferDialog)

    def action_assign(self) -> None:
        self._open_on_view(AssignDialog.for_view)

    def action_edit(self) -> None:
        self._open_on_view(EditDialog)

    def action_reopen(self) -> None:
        self._open_on_view(ReopenDialog)

    def action_worksheet(self) -> None:
        self._open(WorkSheetDialog(self.number))

    def action_escalate(self) -> None:
        self._open(EscalateDialog(self.number))

    def action_claim(self) -> None:
        self.actions.claim()

    def action_watch(self) -> None:
        self.actions.toggle_watch()


def open_ticket(app: Any, number: str) -> None:
    """Push the ticket screen (from the queue, the Ctrl+G dialog, or another screen)."""
    app.push_screen(TicketScreen(number))
