"""A call the phone system gave this agent (services/calls.py: an answer on their extension), or
one the operator starts (a call back): `IncomingCall`. While the operator is mid-call it waits,
ringing: one line in Intake and in every screen's header, until F12 takes it or it hangs up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from rich.text import Text
from textual.widgets import Static

from ...i18n import _
from ...text import clean

if TYPE_CHECKING:
    from ...services.intake_caller import NumberCallers

TAKE_KEY = "f12"


@dataclass(frozen=True)
class IncomingCall:
    number: str  # as the PBX sent it (E.164 when it is a number), cleaned
    call_pk: int | None = None  # the phone system's call record, if it came from there
    answered_at: datetime | None = None  # the call timer starts here (None: now)
    callers: NumberCallers | None = None  # who calls, looked up already (None: Intake looks it up)


def ringing_text(call: IncomingCall) -> str:
    """☎ +8613812345678 ringing — F12 takes it (the number literal, on one line)."""
    number = clean(call.number, single_line=True) or _("unknown number")
    return _("☎ {number} ringing — F12 takes it", number=number)


class RingingLine(Static):
    """Intake's line for the call waiting (hidden when none waits)."""

    DEFAULT_CSS = """
    RingingLine { height: 1; padding: 0 1; display: none; background: $warning 40%; text-style: bold; }
    RingingLine.-ringing { display: block; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, call: IncomingCall | None) -> None:
        self.update(Text(ringing_text(call)) if call is not None else "")
        self.set_class(call is not None, "-ringing")
