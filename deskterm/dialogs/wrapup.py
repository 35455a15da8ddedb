"""How the call ended (a wrap-up code, the desk's list): asked when the agent ends after-call work
(ready, away, a save) while a call from the phone system waits for its code (services/calls.py)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..durations import duration
from ..i18n import _
from ..services import calls
from ..text import clean
from ..widgets.labels import in_language
from ..widgets.service import ServiceDone
from .base import DeskModal


class CodesLoaded(ServiceDone[list[calls.Wrapup]]):
    """The desk's wrap-up codes."""


class WrapupDialog(DeskModal[str | None]):
    """Pick the call's wrap-up code; returns its code (None: Esc, still wrapping up)."""

    def __init__(self, call: calls.CallRow) -> None:
        super().__init__()
        self.phone_call = call

    def compose(self) -> ComposeResult:
        call = self.phone_call
        with Vertical(classes="dialog"):
            yield Static(_("How did the call end?"), classes="dialog-title", markup=False)
            about = _(
                "Call with {number}, talked {talk}",
                number=clean(call.caller or call.caller_raw or "—", single_line=True),
                talk=duration(call.talk_seconds),
            )
            yield Static(Text(about), id="wrapup-call")
            yield OptionList(id="wrapup-options")
            yield Static(_("Enter: done · Esc: keep wrapping up"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.call(calls.wrapup_codes, self.db, result=CodesLoaded)

    def on_codes_loaded(self, message: CodesLoaded) -> None:
        options = self.query_one(OptionList)
        for code in message.value:
            name = in_language(code.name, code.name_zh)
            options.add_option(Option(Text(clean(name, single_line=True)), id=code.code))
        options.highlighted = 0 if options.option_count else None

    @on(OptionList.OptionSelected)
    def _pick(self, event: OptionList.OptionSelected) -> None:
        if event.option.id:
            self.dismiss(event.option.id)
