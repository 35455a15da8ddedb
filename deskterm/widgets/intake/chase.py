"""Duplicates and chases: the operator's answer when the save finds open tickets like this call
(chase one, link to it, create anyway), carried by the saves that follow, and the line read out
on a chase call (我已派工 + a reply + the ticket's status)."""

from __future__ import annotations

from typing import Any

from ...i18n import _
from ...services.scripts import Script, fill
from ..labels import STATUS_IN_SENTENCE, label
from .base import DeskWidget


def chase_readout(script: Script, ticket: Any, reply: int) -> str:
    """What to read out on a chase of `ticket` (number, status, assignee) with reply `reply`."""
    status = fill(
        script.chase_status,
        number=ticket.number,
        status=label(STATUS_IN_SENTENCE, ticket.status),
        assignee=ticket.assignee or _("not assigned yet"),
    )
    sep = " " if script.lang == "en" else ""
    return f"{script.chase_dispatched}{sep}{script.chase_replies[reply]} {status}"


class DuplicateChase(DeskWidget):
    """No view of its own: the dialogs ask, this remembers the answer."""

    DEFAULT_CSS = "DuplicateChase { display: none; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.on_duplicate: str | None = None  # chase | link | create
        self.duplicate_of: str | None = None

    def answer(self, action: str, number: str) -> None:
        self.on_duplicate, self.duplicate_of = action, number

    def part(self) -> dict[str, Any]:
        """What the save carries (intake.save_call's keywords)."""
        return {"on_duplicate": self.on_duplicate, "duplicate_of": self.duplicate_of}

    def clear(self) -> None:
        self.on_duplicate = self.duplicate_of = None
