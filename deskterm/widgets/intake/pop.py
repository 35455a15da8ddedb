"""The screen pop above the side list: the call just saved, the caller picked (key account, open
and last five tickets) and the device with the serial typed."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast

from rich.text import Text
from textual.widgets import Static

from ... import clock
from ...i18n import _, _n
from ...services.customers import CallerPop, DeviceView
from ...services.intake import IntakeResult
from ...text import clean, shorten
from ..labels import STATUS_IN_SENTENCE, label
from ..ticket_format import when
from .caller import CallerPanel

if TYPE_CHECKING:
    from ...app import DeskApp


OPEN_SHOWN = 5  # open tickets listed; the rest are counted (the chase dialog lists them all)


def local_time(at: datetime, settings: Any) -> str:
    """`at` as the desk's clock shows it (settings.timezone): the time, with the day when not today."""
    return when(at, clock.now(), settings.timezone if settings is not None else "UTC")


def warranty_text(status: str, end: date | None) -> str:
    if status == "in" and end is not None:
        return _("in warranty until {date}", date=end.isoformat())
    if status == "out" and end is not None:
        return _("out of warranty since {date}", date=end.isoformat())
    return _("warranty unknown")


def _ticket_line(t: Any) -> str:
    status = label(STATUS_IN_SENTENCE, t.status)
    return shorten(clean(f"{t.number} P{t.priority} {status} {t.summary}", single_line=True), 60)


class ScreenPop(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)

    def show(self, saved: IntakeResult | None, caller: CallerPanel, device: DeviceView | None) -> None:
        """The call just saved, the caller picked (and whether the text typed is theirs), the device."""
        pop, customer_id = caller.pop, caller.customer_id
        settings = cast("DeskApp", self.app).settings
        text = Text()
        if saved is not None:
            self._saved(text, saved, settings)
        if pop is not None:
            self._caller(text, pop, caller.typed_differs())
        if device is not None:
            d = device
            text.append(_("Device") + ": ", style="bold")
            text.append(clean(f"{d.model} {d.serial}", single_line=True))
            text.append("  " + warranty_text(d.warranty, d.warranty_end) + "\n")
            if d.customer_id is not None and d.customer_id != customer_id and d.owner:
                text.append(
                    _("Registered to {owner}", owner=clean(d.owner, single_line=True)) + "\n", style="yellow"
                )
        text.rstrip()
        self.update(text)

    def _saved(self, text: Text, r: IntakeResult, settings: Any) -> None:
        text.append(
            _("Saved {number}", number=r.number) if r.outcome == "created" else r.number, style="bold"
        )
        text.append(f" · P{r.priority} · {clean(r.team)}")
        if r.first_contact:
            text.append(" · " + _("solved at first contact"), style="green")
        elif r.respond_by is not None:
            text.append(" · " + _("respond by {time}", time=local_time(r.respond_by, settings)))
        if r.outcome == "chased":
            text.append(" · " + _n("chased once", "chased {n} times", r.chase_count))
        text.append("\n")

    def _caller(self, text: Text, pop: CallerPop, typed_differs: bool) -> None:
        c = pop.caller
        text.append(clean(c.name, single_line=True), style="bold")
        if c.customer_class == "key":
            text.append(" ★ " + _("key account"), style="yellow")
        text.append("\n" + clean(c.organisation, single_line=True) + "\n", style="dim")
        if typed_differs:
            text.append(
                _("The name or organisation typed is not this caller's: asked at save.") + "\n",
                style="yellow",
            )
        text.append(_("Open tickets: {n}", n=len(pop.open_tickets)) + "\n", style="bold")
        for t in pop.open_tickets[:OPEN_SHOWN]:
            text.append(_ticket_line(t) + "\n")
        if len(pop.open_tickets) > OPEN_SHOWN:
            more = len(pop.open_tickets) - OPEN_SHOWN
            text.append(_("… and {n} more (Ctrl+T lists them all)", n=more) + "\n", style="dim")
        if pop.recent:
            text.append(_("Last five") + "\n", style="bold")
            for t in pop.recent:
                text.append(_ticket_line(t) + "\n", style="dim")
