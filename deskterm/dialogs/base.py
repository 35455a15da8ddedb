"""The bases of every dialog: a modal that returns a value (Esc cancels), a form that calls one
service and closes on success, and the one yes/no question."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Static
from textual.worker import Worker

from ..i18n import _
from ..services.errors import InvalidInput
from ..widgets.service import ServiceDone, ServiceFailed, call_service

if TYPE_CHECKING:
    from ..app import DeskApp

T = TypeVar("T")


class DeskModal(ModalScreen[T]):
    """A dialog that returns a value with dismiss(); Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    @property
    def desk(self) -> DeskApp:
        return self.app  # type: ignore[return-value]  # the app is always the DeskApp

    @property
    def db(self) -> Any:
        return self.desk.database

    @property
    def actor(self) -> Any:
        return self.desk.actor

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker[None]:
        return call_service(self, fn, *args, **kwargs)

    def action_cancel(self) -> None:
        self.dismiss(None)


def refusal_text(error: Exception) -> str:
    """A refusal as one line: an InvalidInput names each field and its reason, translated."""
    if isinstance(error, InvalidInput):
        return "; ".join(f"{_(k)}: {_(v)}" for k, v in error.errors.items())
    return str(error)


class Submitted(ServiceDone[Any]):
    """The service a ServiceDialog called returned: the dialog closes with True."""


class ServiceDialog(DeskModal[bool]):
    """A dialog that calls one service and closes on success, showing a refusal in place (the
    user's input stays)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="dialog.save"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]

    def hint(self) -> ComposeResult:
        yield Static("", id="e-form", classes="form-error", markup=False)
        yield Static(_("Ctrl+S: save · Esc: cancel"), classes="dialog-hint", markup=False)

    def submit(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        self.query_one("#e-form", Static).update("")
        self.call(fn, *args, result=Submitted, **kwargs)

    def on_submitted(self, message: Submitted) -> None:
        self.dismiss(True)

    def on_service_failed(self, message: ServiceFailed) -> None:
        message.stop()
        self.refused(message.error)

    def refused(self, error: Exception) -> None:
        self.query_one("#e-form", Static).update(refusal_text(error))

    def labelled(self, label: str, widget: Any) -> ComposeResult:
        with Horizontal(classes="form-row"):
            yield Static(_(label), classes="form-label", markup=False)
            yield widget


class ConfirmDialog(DeskModal[bool]):
    """A yes/no question: y, n, Esc (no)."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="dialog.yes"),
        Binding("n", "answer(False)", "No", id="dialog.no"),
        Binding("escape", "answer(False)", "Cancel", id="dialog.cancel"),
    ]

    def __init__(self, question: str, *, yes: str = "", no: str = "") -> None:
        super().__init__()
        self.question = question
        self.yes = yes or _("yes")
        self.no = no or _("no")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self.question, markup=False)
            yield Static(
                _("y: {yes} · n: {no}", yes=self.yes, no=self.no), classes="dialog-hint", markup=False
            )

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)
