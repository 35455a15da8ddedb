"""What the intake form's panels share: a labelled row per field (the widgets are #f-<field>, the
labels #l-<field>, the inline errors #e-<field>), text set by code told apart from typing, inline
errors, and the one message a panel posts when the operator changes a field."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalGroup
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea
from textual.worker import Worker

from ...i18n import _
from ...text import clean
from ..service import call_service
from .fields import ChoiceField

if TYPE_CHECKING:
    from ...app import DeskApp

# field -> label, in the script's order.
LABELS = {
    "name": "Name",
    "organisation": "Organisation",
    "phone": "Phone",
    "device_model": "Model",
    "device_serial": "Serial no.",
    "serial_reason": "Why unknown",
    "description": "Symptoms",
    "warranty": "Warranty",
    "summary": "Summary",
    "kind": "Kind",
    "category": "Category",
    "impact": "Impact",
    "urgency": "Urgency",
    "priority": "Priority",
    "priority_reason": "Reason",
    "service_mode": "Service",
}


def field_name(widget: Widget | None) -> str:
    """The form field a widget is (#f-<field>), or ""."""
    return (widget.id or "").removeprefix("f-") if widget is not None else ""


class Edited(Message):
    """The operator changed `name` to `value` (by typing or choosing; not by code)."""

    def __init__(self, panel: FormPanel, name: str, value: Any) -> None:
        super().__init__()
        self.panel = panel
        self.name = name
        self.value = value


class DeskWidget(Widget):
    """A panel that runs service calls of its own (results come back to it as typed messages)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._later: dict[str, Timer] = {}

    @property
    def desk(self) -> DeskApp:
        return self.app  # type: ignore[return-value]  # the app is always the DeskApp

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker[None]:
        return call_service(self, fn, *args, **kwargs)

    def call_desk(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker[None]:
        """`call` a service that takes the database and the signed-in agent first."""
        return self.call(fn, self.desk.database, self.desk.actor, *args, **kwargs)

    def later(self, delay: float, fn: Callable[[], Any], name: str = "timer") -> None:
        """Run `fn` after `delay` seconds; a newer `later` of the same name replaces it."""
        self.stop_later(name)
        self._later[name] = self.set_timer(delay, fn)

    def stop_later(self, name: str = "timer") -> None:
        timer = self._later.pop(name, None)
        if timer is not None:
            timer.stop()


class FormPanel(VerticalGroup, DeskWidget):
    """A group of the form's rows. Subclasses compose rows with `row()` and react to the
    operator's edits in `edited()`; the screen hears of every edit through `Edited`."""

    CHOICES: dict[str, dict[Any, str]] = {}  # choice field -> its label table (translated)

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # Values set by code whose Changed (still to come, in order) is not typing: a field set
        # twice in one turn (cleared for a call, then its number) has two Changed on the way.
        self._by_code: dict[str, list[str]] = {}

    def row(self, name: str, widget: Widget) -> ComposeResult:
        with Horizontal(classes="i-row", id=f"row-{name}"):
            yield Static(_(LABELS[name]), classes="i-label", id=f"l-{name}", markup=False)
            yield widget
        yield Static("", classes="i-error", id=f"e-{name}", markup=False)

    def owns(self, name: str) -> bool:
        return bool(self.query(f"#f-{name}"))

    # --- values ----------------------------------------------------------------------------------

    def text(self, name: str) -> str:
        widget = self.query_one(f"#f-{name}")
        return widget.text if isinstance(widget, TextArea) else self.query_one(f"#f-{name}", Input).value

    def set_text(self, name: str, value: str) -> None:
        """Set a text field from code; its Changed message (which arrives later) is not typing. The
        value is cleaned (clean): a caller or draft stored with an escape must not reach the screen."""
        value = clean(value)
        if self.text(name) == value:
            return
        self._by_code.setdefault(name, []).append(value)
        widget = self.query_one(f"#f-{name}")
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            self.query_one(f"#f-{name}", Input).value = value

    def choice(self, name: str) -> Any:
        return self.query_one(f"#f-{name}", ChoiceField).value

    def set_choice(self, name: str, value: Any) -> None:
        self.query_one(f"#f-{name}", ChoiceField).value = value  # from code: no Changed

    def _from_code(self, name: str, value: str) -> bool:
        pending = self._by_code.get(name, [])
        if value in pending:
            del pending[: pending.index(value) + 1]
            return True
        self._by_code.pop(name, None)
        return False

    @on(Input.Changed)
    def _input_changed(self, event: Input.Changed) -> None:
        event.stop()
        name = field_name(event.input)
        if not self._from_code(name, event.value):
            self._edit(name, event.value)

    @on(TextArea.Changed)
    def _area_changed(self, event: TextArea.Changed) -> None:
        event.stop()
        name = field_name(event.text_area)
        if not self._from_code(name, event.text_area.text):
            self._edit(name, event.text_area.text)

    @on(ChoiceField.Changed)
    def _chosen(self, event: ChoiceField.Changed) -> None:
        event.stop()
        self._edit(field_name(event.field), event.value)

    def _edit(self, name: str, value: Any) -> None:
        self.clear_error(name)
        self.edited(name, value)
        self.post_message(Edited(self, name, value))

    def edited(self, name: str, value: Any) -> None:
        """The operator changed `name`: what the panel does about it itself."""

    # --- inline errors ---------------------------------------------------------------------------

    def show_error(self, name: str, reason: str) -> bool:
        """Show `reason` under the field; False if the field is not this panel's."""
        found = self.query(f"#e-{name}")
        if not found:
            return False
        error = found.first(Static)
        error.update(f"↳ {_(reason)}")
        error.add_class("-shown")
        return True

    def clear_error(self, name: str) -> None:
        for error in self.query(f"#e-{name}"):
            error.remove_class("-shown")

    def clear_errors(self) -> None:
        for error in self.query(".i-error"):
            error.remove_class("-shown")

    def relabel(self) -> None:
        """The labels and choices in the current language; the input stays."""
        for label in self.query(".i-label").results(Static):
            label.update(_(LABELS[(label.id or "").removeprefix("l-")]))
        for name, table in self.CHOICES.items():
            self.query_one(f"#f-{name}", ChoiceField).set_labels([_(text) for text in table.values()])
