"""Callbacks (回访): the resolved tickets waiting for their callback, the callback script with the
customer's name and the problem filled in, and the outcome on keys: fixed (then the satisfaction
survey, then the ticket closes), not fixed (reopens to the last assignee with a note), no answer
(called again later; closed after the configured number of tries).

The second view (2) lists the missed calls the phone system reported (callers who hung up before
an answer, services/calls.py): c calls one back on Intake (and marks it seen), space marks rows,
s marks the marked ones (or every one listed) seen. The list is read again every few seconds
while the screen is shown: new missed calls appear, those others marked seen go."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from .. import clock, i18n
from ..dialogs.base import ConfirmDialog
from ..dialogs.callbacks import NoteDialog, SurveyDialog
from ..durations import duration
from ..i18n import _, _n
from ..services import callbacks, calls
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell, desk_timezone, local, priority_text, span, when
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
MISSED_COLUMNS = (
    ("mark", ""),
    ("number", "Phone"),
    ("name", "Caller"),
    ("when", "When"),
    ("waited", "Waited"),
)
MISSED_POLL = 3.0  # seconds between reads of the missed calls while the screen is shown
MARK = "●"
TICKETS, MISSED = "tickets", "missed"


class ListRead(ServiceDone[list[callbacks.CallbackItem]]):
    """The tickets to call back."""


class SheetRead(ServiceDone[callbacks.CallbackSheet]):
    """The callback sheet of the highlighted ticket."""


class Recorded(ServiceDone[callbacks.Outcome]):
    """Fixed or not fixed was recorded."""


class NoAnswerRecorded(ServiceDone[callbacks.Outcome]):
    """No answer was recorded (refused if the next try is not due yet)."""


class MissedRead(ServiceDone[list[calls.MissedCall]]):
    """The missed calls not yet seen."""


class MarkedSeen(ServiceDone[int]):
    """Missed calls marked seen (how many were not before)."""


class CalledBack(ServiceDone[int]):
    """The missed call called back is marked seen."""


class CallbacksScreen(DeskScreen):
    TITLE_TEXT = "Callbacks"
    DEFAULT_CSS = """
    CallbacksScreen #callbacks-summary { height: 1; padding: 0 1; color: $text-muted; }
    CallbacksScreen #callbacks-table { height: 1fr; }
    CallbacksScreen #missed-table { height: 1fr; display: none; }
    CallbacksScreen #callbacks-sheet { height: 1fr; border-top: solid $primary; padding: 0 1; }
    CallbacksScreen #callbacks-script { text-style: bold; margin-bottom: 1; }
    CallbacksScreen .sheet-label { color: $text-muted; }
    """
    BINDINGS = [
        Binding("f", "fixed", "Fixed: survey", id="callbacks.fixed"),
        Binding("n", "not_fixed", "Not fixed: reopen", id="callbacks.not_fixed"),
        Binding("u", "no_answer", "No answer", id="callbacks.no_answer"),
        Binding("c", "call_back", "Call back", id="callbacks.call_back"),
        Binding("space", "mark", "Mark", id="callbacks.mark"),
        Binding("s", "seen", "Mark seen", id="callbacks.seen"),
        Binding("1", "view('tickets')", "Tickets to call back", id="callbacks.tickets", show=False),
        Binding("2", "view('missed')", "Missed calls", id="callbacks.missed", show=False),
        Binding("ctrl+r", "reload", "Reload", id="callbacks.reload", show=False),
        Binding("escape", "app.back", "Back", show=False, id="callbacks.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.items: dict[str, callbacks.CallbackItem] = {}
        self.sheet: callbacks.CallbackSheet | None = None
        self.view = TICKETS
        self.missed: dict[str, calls.MissedCall] = {}  # shown, by the call's id
        self.marked: set[str] = set()
        self.due_now = 0

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
        yield FastTable(
            columns=MISSED_COLUMNS, flex="name", id="missed-table", cursor_type="row", zebra_stripes=True
        )
        with VerticalScroll(id="callbacks-sheet"):
            yield Static("", id="callbacks-script", markup=False)
            yield Static("", id="callbacks-record")
        yield DeskFooter()

    def relabel(self) -> None:
        self.refresh(recompose=True)  # the new table reports Ready: it is filled then

    def on_mount(self) -> None:
        self.set_interval(MISSED_POLL, self._poll_missed)

    @on(FastTable.Ready)
    def _ready(self) -> None:
        self.items, self.missed = {}, {}  # a new table is empty
        self._show_view()
        self.reload()
        self.reload_missed()

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("fixed", "not_fixed", "no_answer"):
            return self.view == TICKETS
        if action in ("call_back", "mark", "seen"):
            return self.view == MISSED
        return True

    def action_view(self, view: str) -> None:
        if view != self.view:
            self.view = view
            self._show_view()
            self._summary()
            self.refresh_bindings()  # the footer shows the view's keys

    def _show_view(self) -> None:
        tickets = self.view == TICKETS
        for selector in ("#callbacks-table", "#callbacks-sheet"):
            self.query_one(selector).display = tickets
        missed = self.query_one("#missed-table", FastTable)
        missed.display = not tickets
        (self.query_one("#callbacks-table", FastTable) if tickets else missed).focus()

    def _summary(self) -> None:
        many = str(len(self.items)) + ("+" if len(self.items) >= LIMIT else "")  # the list is a page
        missed = str(len(self.missed)) + ("+" if len(self.missed) >= LIMIT else "")
        if self.view == TICKETS:
            line = _("{n} resolved tickets to call back, {due} due now", n=many, due=self.due_now)
            other = _("2: missed calls ({n})", n=missed)
        else:
            line = _("{n} missed calls not yet seen", n=missed)
            other = _("1: tickets to call back ({n})", n=many)
        self.query_one("#callbacks-summary", Static).update(f"{line} · {other}")

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
        self.due_now = sum(1 for i in items if i.retry_at is None)
        self._summary()
        if not items:
            self.sheet = None
            self.query_one("#callbacks-script", Static).update(_("Nothing to call back."))
            self.query_one("#callbacks-record", Static).update("")
        elif self._selected() is not None:
            self._load_sheet(self._selected())

    def _selected(self) -> str | None:
        return self.query_one("#callbacks-table", FastTable).cursor_key()

    @on(DataTable.RowHighlighted, "#callbacks-table")
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

    # --- missed calls ------------------------------------------------------------------------------

    def reload_missed(self) -> None:
        self.call(
            calls.missed_calls,
            self.desk.database,
            self.desk.actor,
            limit=LIMIT,
            result=MissedRead,
            group="missed",
        )

    def _poll_missed(self) -> None:
        if self.is_current and self.desk.actor is not None:
            self.reload_missed()

    def on_missed_read(self, message: MissedRead) -> None:
        table = self.query_one("#missed-table", FastTable)
        now, tz = clock.now(), desk_timezone(self)
        wanted = {str(c.id): c for c in message.value}
        self.marked &= set(wanted)
        with self.app.batch_update():
            if [k for k in self.missed if k in wanted] == list(wanted):  # none new: in place
                for key in [k for k in self.missed if k not in wanted]:
                    table.remove_row(key)
                for key, c in wanted.items():
                    if c != self.missed[key]:
                        for (column, _label), value in zip(
                            MISSED_COLUMNS, self._missed_cells(c, now, tz), strict=True
                        ):
                            table.update_cell(key, column, value)
            else:  # new calls go on top: drawn again, the cursor stays on its call
                at = table.cursor_key()
                table.clear()
                for key, c in wanted.items():
                    table.add_row(*self._missed_cells(c, now, tz), key=key)
                if at in wanted:
                    table.move_cursor(row=list(wanted).index(at), animate=False)
        self.missed = wanted
        self._summary()

    def _missed_cells(self, c: calls.MissedCall, now: datetime, tz: str) -> tuple[Text, ...]:
        return (
            self._mark(str(c.id)),
            cell(c.number or _("(no number)")),
            cell(c.name or "—", "" if c.name else "dim"),
            Text(when(c.arrived_at, now, tz)),
            Text(duration(c.wait_seconds)),
        )

    def _mark(self, key: str) -> Text:
        return Text(MARK, style="bold yellow") if key in self.marked else Text(" ")

    def _missed_call(self) -> calls.MissedCall | None:
        key = self.query_one("#missed-table", FastTable).cursor_key()
        if key is None:
            self.notify(_("No missed calls."), severity="warning")
        return self.missed.get(key) if key is not None else None

    def action_mark(self) -> None:
        c = self._missed_call()
        if c is None:
            return
        key = str(c.id)
        self.marked ^= {key}
        table = self.query_one("#missed-table", FastTable)
        table.update_cell(key, "mark", self._mark(key))
        table.action_cursor_down()

    def action_seen(self) -> None:
        pks = sorted(int(k) for k in (self.marked or self.missed))
        if not pks:
            self.notify(_("No missed calls."), severity="warning")
            return
        question = (
            _n("Mark the marked call seen?", "Mark the {n} marked calls seen?", len(pks))
            if self.marked
            else _n("Mark the missed call listed seen?", "Mark all {n} missed calls listed seen?", len(pks))
        )

        def go(yes: bool | None) -> None:
            if yes:
                self.call(calls.mark_seen, self.desk.database, self.desk.actor, pks, result=MarkedSeen)

        self.app.push_screen(ConfirmDialog(question), go)

    def on_marked_seen(self, message: MarkedSeen) -> None:
        self.marked.clear()
        self.notify(_n("1 missed call marked seen.", "{n} missed calls marked seen.", message.value))
        self.reload_missed()

    def action_call_back(self) -> None:
        """A call to the number on Intake; the missed call is seen (it is being dealt with)."""
        c = self._missed_call()
        if c is None:
            return
        if not c.number:
            self.notify(_("The caller's number is not known: nothing to call back."), severity="warning")
            return
        self.call(calls.mark_seen, self.desk.database, self.desk.actor, [c.id], result=CalledBack)
        self.desk.take_call(c.number)

    def on_called_back(self, _message: CalledBack) -> None:
        self.reload_missed()
