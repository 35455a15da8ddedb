"""The bases of every dialog: a modal that returns a value (Esc cancels), a form whose Tab / Enter
move on before the next key is handed on (FormKeys, the login screen's too), a form that calls one
service and closes on success, and the one yes/no question."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from rich.text import Text
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen, Screen
from textual.widgets import Input, Static
from textual.worker import Worker

from ..i18n import _
from ..widgets.service import ServiceDone, ServiceFailed, call_service, refusal_text

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


class Submitted(ServiceDone[Any]):
    """The service a ServiceDialog called returned: the dialog closes with True."""


class FormKeys(Screen[T]):
    """A screen of fields: Tab / Shift+Tab / Enter in a field move the focus at once (priority
    bindings), so a fast typist's next keys land in the next field, not the one just left
    (Input.Submitted and focus() are handled later, after keys already read). Enter in the last
    field saves where the hint says so (ENTER_SAVES); elsewhere Enter is the focused widget's own (a
    list picks, a text area starts a line, a field named in OWN_ENTER submits itself)."""

    BINDINGS = [
        Binding("tab", "next_field", "Next field", id="form.next", show=False, priority=True),
        Binding(
            "shift+tab", "previous_field", "Previous field", id="form.previous", show=False, priority=True
        ),
        Binding("enter", "enter_field", "Next field", id="form.enter", show=False, priority=True),
    ]
    ENTER_SAVES = False
    OWN_ENTER: tuple[str, ...] = ()

    def action_next_field(self) -> None:
        if not self.is_active:  # a Select's list or another screen above: its own Tab
            raise SkipAction()
        self.focus_next()

    def action_previous_field(self) -> None:
        if not self.is_active:
            raise SkipAction()
        self.focus_previous()

    def action_enter_field(self) -> None:
        field = self.focused
        if not self.is_active or not isinstance(field, Input) or field.id in self.OWN_ENTER:
            raise SkipAction()
        fields = [f for f in self.query(Input) if f.focusable]
        if self.ENTER_SAVES and field is fields[-1]:
            self.action_save()
        else:
            self.focus_next()

    def action_save(self) -> None:
        """Save the form (Ctrl+S, or Enter in the last field where ENTER_SAVES)."""


class FormDialog(FormKeys[T], DeskModal[T]):
    """A dialog of fields (see FormKeys)."""


class ServiceDialog(FormDialog[bool]):
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
        self.query_one("#e-form", Static).update(Text(refusal_text(error)))

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
