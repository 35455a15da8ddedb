"""F9: the agent says they are ready again, or away with a reason (the desk's list of reasons)."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import _, language
from ..services import presence
from ..text import clean
from ..widgets.service import ServiceDone
from .base import DeskModal

READY = "available"


class ReasonsLoaded(ServiceDone[list[presence.Reason]]):
    """The desk's list of reasons to be away."""


class StateDialog(DeskModal[tuple[str, str] | None]):
    """Pick "Ready" or an away reason; returns (state, reason)."""

    def __init__(self, current: tuple[str, str]) -> None:
        super().__init__()
        self.current = current

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Your state"), classes="dialog-title", markup=False)
            yield OptionList(Option(Text(_("Ready: take calls")), id=READY), id="state-options")
            yield Static(_("Enter: set · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self.call(presence.away_reasons, self.db, result=ReasonsLoaded)

    def on_reasons_loaded(self, message: ReasonsLoaded) -> None:
        reasons = message.value
        options = self.query_one(OptionList)
        for r in reasons:
            name = r.name_zh if language() == "zh" and r.name_zh else r.name
            options.add_option(
                Option(Text(_("Away: {reason}", reason=clean(name, single_line=True))), id=r.code)
            )
        state, reason = self.current
        options.highlighted = next(
            (
                i
                for i in range(options.option_count)
                if options.get_option_at_index(i).id == (reason or state)
            ),
            0,
        )

    @on(OptionList.OptionSelected)
    def _pick(self, event: OptionList.OptionSelected) -> None:
        code = event.option.id
        if code == READY:
            self.dismiss((presence.AVAILABLE, ""))
        elif code:
            self.dismiss((presence.AWAY, code))
