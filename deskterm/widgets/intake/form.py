"""The form's column: the caller, device and classification panels in the script's order, as one
form (their parts merged, errors shown under the field they name)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import VerticalScroll

from ...services import intake
from ...services.customers import CallerMatch
from ...services.intake import IntakeForm
from .caller import CallerPanel
from .classification import ClassificationPanel
from .device import DevicePanel


class FormColumn(VerticalScroll):
    DEFAULT_CSS = """
    FormColumn .i-row { height: 1; }
    FormColumn .i-label { width: 13; color: $text-muted; }
    FormColumn .i-row Input { width: 1fr; }
    FormColumn .i-error { height: auto; color: $error; padding-left: 13; display: none; }
    FormColumn .i-error.-shown { display: block; }
    FormColumn #row-description { height: auto; }
    FormColumn #f-description { width: 1fr; height: 4; }
    FormColumn #row-priority_reason, FormColumn #row-serial_reason { display: none; }
    FormColumn #row-priority_reason.-shown, FormColumn #row-serial_reason.-shown { display: block; }
    FormColumn .-focused-label { color: $accent; text-style: bold; }
    """

    def __init__(self, rules: Any, *, id: str | None = None) -> None:
        super().__init__(id=id, can_focus=False)
        self.caller = CallerPanel(id="intake-caller")
        self.device = DevicePanel(id="intake-device")
        self.classification = ClassificationPanel(rules, id="intake-classification")
        self.panels = (self.caller, self.device, self.classification)

    def compose(self) -> ComposeResult:
        yield from self.panels

    def part(self) -> dict[str, Any]:
        return self.caller.part() | self.device.part() | self.classification.part()

    def clear(self) -> None:
        for panel in self.panels:
            panel.clear()
            panel.clear_errors()

    def restore(self, form: IntakeForm, picked: CallerMatch | None) -> None:
        self.caller.restore(form, picked)
        self.device.restore(form)
        self.classification.restore(form)

    def relabel(self) -> None:
        for panel in self.panels:
            panel.relabel()

    def errors(self, form: IntakeForm) -> dict[str, str]:
        """What keeps `form` from being saved (intake.validate), field by field."""
        return intake.validate(
            form,
            self.classification.rules,
            device_known=self.device.device is not None,
            category_known=self.classification.category_known(form.category),
        )

    def show_errors(self, errors: dict[str, str]) -> dict[str, str]:
        """Each reason under its field, the first such field focused; returns those of no field."""
        for panel in self.panels:
            panel.clear_errors()
        first = None
        elsewhere = {}
        for name, reason in errors.items():
            if any(panel.show_error(name, reason) for panel in self.panels):
                first = first or name
            else:
                elsewhere[name] = reason
        if first:
            if first == "priority_reason":
                self.classification.show_reason()
            widget = self.query_one(f"#f-{first}")
            widget.focus()
            widget.scroll_visible()
        return elsewhere

    def highlight(self, name: str) -> None:
        """The label of the field in hand stands out."""
        for label in self.query(".i-label"):
            label.set_class(label.id == f"l-{name}", "-focused-label")

    def focus_field(self, name: str) -> None:
        self.query_one(f"#f-{name}").focus()
