"""Who is calling: name, organisation and phone. The phone typed is looked up as it is typed
(`Matches`); a caller picked (`pick`, by the screen) fills the fields and loads the screen pop
(their open and last tickets, their devices: `PopLoaded`). The panel also holds the operator's
answer when the save asks whether the text typed still means the caller picked
(intake.CallerChanged)."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.message import Message
from textual.widgets import Input

from ...services import customers
from ...services.customers import CallerMatch, CallerPop
from ...services.intake import IntakeForm, same_text
from ...services.intake_caller import NumberCallers, callers_of
from ...services.phones import lookup_variants, split_extension
from ..service import ServiceDone
from .base import FormPanel

LOOKUP_DELAY = 0.1


class CallersFound(ServiceDone[list[CallerMatch]]):
    """The callers with the phone typed."""


class PopFound(ServiceDone[CallerPop]):
    """The picked caller's screen pop."""


class CallFound(ServiceDone[NumberCallers]):
    """The callers of a call's number (and the one caller's pop)."""


class CallerPanel(FormPanel):
    FIELDS = ("name", "organisation", "phone")

    class Matches(Message):
        """The callers with the phone typed; `looked_up` False: too few digits to look it up."""

        def __init__(self, matches: list[CallerMatch], looked_up: bool) -> None:
            super().__init__()
            self.matches = matches
            self.looked_up = looked_up

    class PopLoaded(Message):
        """The picked caller's screen pop arrived (again)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.customer_id: int | None = None
        self.picked: CallerMatch | None = None  # the caller picked (customer_id)
        self.caller_choice: str | None = None  # the operator's answer to intake.CallerChanged
        self.customer_class = "standard"
        self.matches: list[CallerMatch] = []
        self.searched = ""  # the phone text `matches` answer
        self.pop: CallerPop | None = None
        self._asked = ""

    def compose(self) -> ComposeResult:
        for name in self.FIELDS:
            yield from self.row(name, Input(id=f"f-{name}", compact=True))

    # --- the panel's part of the form ----------------------------------------------------------

    def part(self) -> dict[str, Any]:
        return {
            "name": self.text("name"),
            "organisation": self.text("organisation"),
            "phone": self.text("phone"),
            "customer_id": self.customer_id,
        }

    def clear(self) -> None:
        self.stop_later()
        self.workers.cancel_group(self, "lookup")
        self.workers.cancel_group(self, "pop")
        for name in self.FIELDS:
            self.set_text(name, "")
        self.customer_id = None
        self.picked = None
        self.caller_choice = None
        self.customer_class = "standard"
        self.matches = []
        self.searched = ""
        self.pop = None

    def restore(self, form: IntakeForm, picked: CallerMatch | None) -> None:
        for name in self.FIELDS:
            self.set_text(name, getattr(form, name) or "")
        self.customer_id = form.customer_id
        self.picked = picked
        if form.customer_id is not None:
            self.load_pop()

    def typed_differs(self) -> bool:
        """The name or organisation typed is not the picked caller's (asked at save)."""
        if self.picked is None:
            return False
        return not all(
            same_text(self.text(name), getattr(self.picked, name)) for name in ("name", "organisation")
        )

    # --- lookup --------------------------------------------------------------------------------

    def edited(self, name: str, value: Any) -> None:
        if name == "phone":
            self.later(LOOKUP_DELAY, self.lookup)

    def lookup(self) -> None:
        typed = self.text("phone")
        if sum(ch.isdigit() for ch in typed) < customers.MIN_DIGITS:
            self.workers.cancel_group(self, "lookup")
            self._found(typed, [], looked_up=False)
            return
        self._asked = typed
        self.call_desk(customers.lookup, typed, result=CallersFound, group="lookup")

    def on_callers_found(self, message: CallersFound) -> None:
        self._found(self._asked, message.value, looked_up=True)

    def look_up_call(self) -> None:
        """The callers of a call's number (the phone field, filled by the call), with the one
        caller's pop: `CallFound` goes up to the screen."""
        self.workers.cancel_group(self, "lookup")
        self.call_desk(callers_of, self.text("phone"), result=CallFound, group="lookup")

    def offer(self, matches: list[CallerMatch]) -> None:
        """A call's number is several callers': the pick list offers them (as if typed)."""
        self._found(self.text("phone"), matches, looked_up=True)

    def _found(self, typed: str, matches: list[CallerMatch], *, looked_up: bool) -> None:
        self.matches = matches
        self.searched = typed
        self.post_message(self.Matches(matches, looked_up))

    def pick(self, match: CallerMatch, pop: CallerPop | None = None) -> None:
        """Fill the caller's details, but never over text typed that says something else: the
        save then asks what it is (intake.CallerChanged)."""
        for name, value in (("name", match.name), ("organisation", match.organisation)):
            typed = self.text(name)
            if not typed.strip() or same_text(typed, value):
                self.set_text(name, value)
        number, extension = split_extension(self.text("phone"))
        if not number or (
            not extension  # the digits typed are what found it: complete them
            and any(match.digits.startswith(v) or match.digits.endswith(v) for v in lookup_variants(number))
        ):
            self.set_text("phone", match.phone)
        self.customer_id = match.customer_id
        self.picked = match
        self.caller_choice = None
        self.customer_class = match.customer_class
        for name in self.FIELDS:
            self.clear_error(name)
        if pop is not None and pop.caller.customer_id == match.customer_id:  # read with the match
            self.workers.cancel_group(self, "pop")
            self._popped(pop, announce=False)  # the screen, which gave it, shows it at once
        else:
            self.load_pop()

    # --- the screen pop ------------------------------------------------------------------------

    def load_pop(self) -> None:
        """(Re)load the picked caller's pop; a newer pick's replaces an older one's."""
        if self.customer_id is not None:
            self.call_desk(
                customers.caller_pop,
                self.customer_id,
                result=PopFound,
                group="pop",
            )

    def on_pop_found(self, message: PopFound) -> None:
        self._popped(message.value)

    def _popped(self, pop: CallerPop, *, announce: bool = True) -> None:
        self.pop = pop
        self.customer_class = pop.caller.customer_class
        if announce:
            self.post_message(self.PopLoaded())

    def shows_any(self, changes: list[Any]) -> bool:
        """Others changed a ticket the pop shows, or created one (maybe the caller's)."""
        if self.pop is None or self.customer_id is None:
            return False
        shown = {t.id for t in (*self.pop.open_tickets, *self.pop.recent)}
        return any(c.ticket_id in shown or c.kind == "created" for c in changes)
