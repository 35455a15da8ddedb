"""The device and its fault: model, serial, the symptoms as the caller gives them, warranty. A
serial typed is looked up (`Found`: model and warranty filled); one of the caller's devices can be
picked from the side list (`pick`, by the screen). A serial the caller does not know is an answer
too: its reason (a row shown by Enter on an empty serial, or when the save asks for the serial)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input, TextArea

from ...services import customers
from ...services.customers import DeviceView
from ...services.intake import IntakeForm
from ..labels import WARRANTY, choices
from ..service import ServiceDone
from .base import FormPanel
from .fields import ChoiceField

SERIAL_DELAY = 0.25
TEXTS = ("device_model", "device_serial", "serial_reason", "description")


class DeviceFound(ServiceDone[DeviceView | None]):
    """The device with the serial typed (None: not known)."""


class DevicePanel(FormPanel):
    FIELDS = ("device_model", "device_serial", "serial_reason", "description", "warranty")
    CHOICES = {"warranty": WARRANTY}

    class Found(Message):
        """The serial typed was looked up: `device` is what it is (None: not known)."""

        def __init__(self, device: DeviceView | None) -> None:
            super().__init__()
            self.device = device

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.device: DeviceView | None = None  # the known device with the serial typed

    def compose(self) -> ComposeResult:
        yield from self.row("device_model", Input(id="f-device_model", compact=True))
        yield from self.row("device_serial", Input(id="f-device_serial", compact=True))
        yield from self.row("serial_reason", Input(id="f-serial_reason", compact=True))
        yield from self.row(
            "description", TextArea(id="f-description", compact=True, soft_wrap=True, tab_behavior="focus")
        )
        yield from self.row("warranty", ChoiceField(choices(WARRANTY), "unknown", id="f-warranty"))

    def fit(self, height: int) -> None:
        """The symptoms get what the other rows leave: 4 lines at 80x24, much more at 160x50."""
        self.query_one("#f-description", TextArea).styles.height = max(4, height - 20)

    # --- the panel's part of the form ----------------------------------------------------------

    def part(self) -> dict[str, Any]:
        return {name: self.text(name) for name in TEXTS} | {"warranty": self.choice("warranty")}

    def clear(self) -> None:
        self.stop_later()
        self.workers.cancel_group(self, "serial")
        for name in TEXTS:
            self.set_text(name, "")
        self.set_choice("warranty", "unknown")
        self.device = None
        self.query_one("#row-serial_reason").remove_class("-shown")

    def restore(self, form: IntakeForm) -> None:
        for name in TEXTS:
            self.set_text(name, getattr(form, name) or "")
        self.set_choice("warranty", form.warranty)
        self.query_one("#row-serial_reason").set_class(bool(form.serial_reason.strip()), "-shown")
        if form.device_serial.strip():
            self.lookup()

    # --- a serial not known ------------------------------------------------------------------------

    def ask_reason(self) -> None:
        """The caller does not know the serial: the row for why, in hand."""
        self.query_one("#row-serial_reason").add_class("-shown")
        self.query_one("#f-serial_reason").focus()

    def show_error(self, name: str, reason: str) -> bool:
        if name == "device_serial":  # the serial is asked: saying why it is unknown answers too
            self.query_one("#row-serial_reason").add_class("-shown")
        return super().show_error(name, reason)

    # --- the serial ------------------------------------------------------------------------------

    def edited(self, name: str, value: Any) -> None:
        if name == "device_serial":
            self.device = None
            self.workers.cancel_group(self, "serial")  # an answer for the serial before is no answer
            self.later(SERIAL_DELAY, self.lookup)

    def lookup(self) -> None:
        serial = self.text("device_serial").strip()
        if len(serial) >= 3:
            self.call_desk(
                customers.device_by_serial,
                serial,
                result=DeviceFound,
                group="serial",
            )

    def on_device_found(self, message: DeviceFound) -> None:
        device = self.device = message.value
        if device is not None:
            if not self.text("device_model").strip():
                self.set_text("device_model", device.model)
            self.set_choice("warranty", device.warranty)
            self.clear_error("device_model")
        self.post_message(self.Found(device))

    def pick(self, device: DeviceView) -> None:
        self.set_text("device_model", device.model)
        self.set_text("device_serial", device.serial)
        self.set_choice("warranty", device.warranty)
        self.device = device
        for name in ("device_model", "device_serial", "warranty"):
            self.clear_error(name)
