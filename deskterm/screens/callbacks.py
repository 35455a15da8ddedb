"""Callbacks (回访): the resolved tickets waiting for their callback, the callback script with the
customer's name and the problem filled in, and the outcome on keys: fixed (then the satisfaction
survey, then the ticket closes), not fixed (reopens to the last assignee with a note), no answer
(called again later; closed after the configured number of tries)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from .. import clock, i18n
from ..dialogs.callbacks import NoteDialog, SurveyDialog
from ..i18n import _, _n
from ..services import callbacks
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell, local, priority_text, span
from .base import DeskScreen

COLUMNS = (
    ("number", "Number"),
    ("p", "P"),
    ("customer", "Customer"),
    ("phone", "Phone"),
    ("summary", "Summary"),
    ("resolved", "Resolved"),
    ("tries", "Tries"),
)
LIMIT = 200  # rows of the list (by priority, then due time)


class ListRead(ServiceDone[list[callbacks.CallbackItem]]):
    """The tickets to call back."""


class SheetRead(ServiceDone[callbacks.CallbackSheet]):
    """The callback sheet of the highlighted ticket."""


class Recorded(ServiceDone[callbacks.Outcome]):
    """Fixed or not fixed was recorded."""


class NoAnswerRecorded(ServiceDone[callbacks.Outcome]):
    """No answer was recorded (refused if the next try is not due yet)."""


class CallbacksScreen(DeskScreen):
    TITLE_TEXT = "Callbacks"
    DEFAULT_CSS = """
    CallbacksScreen #callbacks-summary { height: 1; padding: 0 1; color: $text-muted; }
    CallbacksScreen #callbacks-table { height: 1fr; }
    CallbacksScreen #callbacks-sheet { height: 1fr; border-top: solid $primary; padding: 0 1; }
    CallbacksScreen #callbacks-script { text-style: bold; margin-bottom: 1; }
    CallbacksScreen .sheet-label { color: $text-muted; }
    """
    BINDINGS = [
        Binding("f", "fixed", "Fixed: survey", id="callbacks.fixed"),
        Binding("n", "not_fixed", "Not fixed: reopen", id="callbacks.not_fixed"),
        Binding("u", "no_answer", "No answer", id="callbacks.no_answer"),
        Binding("ctrl+r", "reload", "Reload", id="callbacks.reload", show=False),
        Binding("escape", "app.back", "Back", show=False, id="callbacks.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, callbacks.CallbackItem] = {}
        self.sheet: callbacks.CallbackSheet | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="callbacks-summary", markup=False)
        yield FastTable(
            columns=COLUMNS,
            narrow=("resolved",),
            flex="summary",
            id="callbacks-table",
            cursor_type="row",
            zebra_stripes=True,
        )
        with VerticalScroll(id="callbacks-sheet"):
            yield Static("", id="callbacks-script", markup=False)
            yield Static("", id="callbacks-record")
        yield DeskFooter()

    def relabel(self) -> None:
        self.refresh(recompose=True)  # the new table reports Ready: it is filled then

    @on(FastTable.Ready)
    def _ready(self) -> None:
        self.items = {}  # a new table is empty
        self.reload()

    @property
    def _settings(self) -> Any:
        return self.desk.settings

    def reload(self) -> None:
        s = self._settings
        self.call(
            callbacks.callback_list,
            self.desk.database,
            self.desk.actor,
            retry_minutes=s.callback_retry_minutes if s else 60,
            limit=LIMIT,
            result=ListRead,
            group="callbacks-list",
        )

    def action_reload(self) -> None:
        self.reload()

    def on_desk_changes(self, changes: list[Any]) -> None:
        if any(c.kind in ("resolved", "reopened", "closed", "callback") for c in changes):
            self.reload()

    def on_list_read(self, message: ListRead) -> None:
        items = message.value
        table = self.query_one(FastTable)
        now = clock.now()
        tz = self._settings.timezone if self._settings else "Asia/Shanghai"
        wanted = {i.number: i for i in items}
        with self.app.batch_update():
            for number in [n for n in self.items if n not in wanted]:
                table.remove_row(number)
            for item in items:
                later = item.retry_at is not None
                style = "dim" if later else ""
                tries = str(item.attempts)
                if later:
                    tries += " · " + _(
                        "again in {t}", t=span(item.retry_at - now if item.retry_at else timedelta(0))
                    )
                cells = (
                    Text(item.number, style=style),
                    priority_text(item.priority),
                    cell(item.customer, style),
                    cell(item.phone, style),
                    cell(item.summary, style),
                    Text(local(item.resolved_at, tz), style=style),
                    Text(tries, style=style),
                )
                if item.number in self.items:
                    for (key, _label), value in zip(COLUMNS, cells, strict=True):
                        table.update_cell(item.number, key, value)
                else:
                    table.add_row(*cells, key=item.number)
        self.items = wanted
        due = sum(1 for i in items if i.retry_at is None)
        many = str(len(items)) + ("+" if len(items) >= LIMIT else "")  # the list is a page
        self.query_one("#callbacks-summary", Static).update(
            _("{n} resolved tickets to call back, {due} due now", n=many, due=due)
        )
        if not items:
            self.sheet = None
            self.query_one("#callbacks-script", Static).update(_("Nothing to call back."))
            self.query_one("#callbacks-record", Static).update("")
        elif self._selected() is not None:
            self._load_sheet(self._selected())

    def _selected(self) -> str | None:
        return self.query_one(FastTable).cursor_key()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self._load_sheet(str(event.row_key.value))

    def _load_sheet(self, number: str | None) -> None:
        if number is None:
            return
        s = self._settings
        self.call(
            callbacks.sheet,
            self.desk.database,
            self.desk.actor,
            number,
            lang=i18n.language(),
            desk=(s.desk_name_zh if i18n.language() == "zh" else s.desk_name) if s else "deskterm",
            overrides=s.scripts if s else None,
            retry_minutes=s.callback_retry_minutes if s else 60,
            max_attempts=s.callback_attempts if s else 3,
            result=SheetRead,
            group="callbacks-sheet",
        )

    def on_sheet_read(self, message: SheetRead) -> None:
        self.sheet = sheet = message.value
        self.query_one("#callbacks-script", Static).update("“" + clean(sheet.script) + "”")
        record = Text()
        item = sheet.item
        tries = f"{item.attempts} / {sheet.max_attempts}"
        if item.retry_at is not None:
            tz = self._settings.timezone if self._settings else "Asia/Shanghai"
            tries += " · " + _("next try at {at}", at=local(item.retry_at, tz)[11:])
        for label, value in (
            (_("Ticket"), f"{item.number} · {item.summary}"),
            (_("Customer"), " · ".join(v for v in (item.customer, item.organisation, item.phone) if v)),
            (_("Resolved by"), item.assignee),
            (_("Resolution"), sheet.resolution),
            (_("Tries without answer"), tries),
        ):
            record.append(f"{label}: ", style="dim")
            record.append(clean(value) + "\n")
        if sheet.description:
            record.append(_("Problem") + ": ", style="dim")
            record.append(clean(sheet.description))
        self.query_one("#callbacks-record", Static).update(record)

    # --- outcomes ----------------------------------------------------------------------------------

    def _current(self) -> str | None:
        number = self._selected()
        if number is None:
            self.notify(_("Nothing to call back."), severity="warning")
        return number

    def action_fixed(self) -> None:
        number = self._current()
        if number is not None:
            self.app.push_screen(SurveyDialog(number), lambda survey: self._fixed(number, survey))

    def _fixed(self, number: str, survey: tuple[callbacks.SurveyAnswers | None] | None) -> None:
        if survey is None:
            return
        self.call(
            callbacks.record_fixed,
            self.desk.database,
            self.desk.actor,
            number,
            survey[0],
            result=Recorded,
        )

    def action_not_fixed(self) -> None:
        number = self._current()
        if number is not None:
            self.app.push_screen(NoteDialog(number), lambda note: self._not_fixed(number, note))

    def _not_fixed(self, number: str, note: str | None) -> None:
        if note:
            self.call(
                callbacks.record_not_fixed,
                self.desk.database,
                self.desk.actor,
                number,
                note,
                result=Recorded,
            )

    def action_no_answer(self) -> None:
        number = self._current()
        if number is not None:
            s = self._settings
            self.call(
                callbacks.record_no_answer,
                self.desk.database,
                self.desk.actor,
                number,
                max_attempts=s.callback_attempts if s else 3,
                retry_minutes=s.callback_retry_minutes if s else 60,
                result=NoAnswerRecorded,
            )

    def on_service_failed(self, message: ServiceFailed) -> None:
        if message.call is NoAnswerRecorded:  # said here, with the next try, and the list read again
            message.stop()
            self._refused(message.error)

    def _refused(self, error: Exception) -> None:
        if isinstance(error, callbacks.TooEarly):  # said in the desk's time, not UTC
            tz = self._settings.timezone if self._settings else "Asia/Shanghai"
            message = _(
                "Too soon to try again: the next try is due at {at} (in {wait}). Nothing was recorded.",
                at=local(error.retry_at, tz)[11:],
                wait=span(error.retry_at - clock.now()),
            )
        else:
            message = refusal_text(error)
        self.notify(message, severity="warning", markup=False)
        self.reload()

    def on_recorded(self, message: Recorded) -> None:
        self._recorded(message.value)

    def on_no_answer_recorded(self, message: NoAnswerRecorded) -> None:
        self._recorded(message.value)

    def _recorded(self, outcome: callbacks.Outcome) -> None:
        if outcome.outcome == callbacks.FIXED:
            message = _("{number} closed: fixed.", number=outcome.number)
        elif outcome.outcome == callbacks.NOT_FIXED:
            who = outcome.assignee or _("its team's queue")
            message = _("{number} reopened to {who}.", number=outcome.number, who=who)
        elif outcome.status == "closed":
            message = _n(
                "{number} closed: no answer after 1 try.",
                "{number} closed: no answer after {n} tries.",
                outcome.attempts,
                number=outcome.number,
            )
        else:
            message = _(
                "{number}: no answer ({n}); call again later.", number=outcome.number, n=outcome.attempts
            )
        self.notify(message, markup=False)
        self.reload()
