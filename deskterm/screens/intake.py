"""Intake (F2): the hotline operator logs a whole call from the keyboard, following the script: the
form in the script's order on the left (Tab / Enter on, Shift+Tab back), what helps with the field in
hand on the right (matching callers, devices, categories, knowledge, the screen pop), the line to read
out on top. Every change lands in a draft at once; a save the database lost is retried.

The screen coordinates panels (widgets/intake/: script line and timer, caller, device,
classification, suggestions, duplicates, side list, banner, drafts), which own their state and
report with messages; saving asks each for its part of the form and calls intake.save_call once."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input

from ..dialogs.base import ConfirmDialog
from ..dialogs.intake import ArticleDialog, CallerDialog, ChaseDialog, DuplicateDialog
from ..i18n import _
from ..services import customers, intake, kb
from ..services.customers import CallerMatch, CallerPop, DeviceView
from ..services.errors import DeskError, InvalidInput
from ..services.intake import CallerChanged, DuplicatesFound, IntakeForm, IntakeResult, IntakeRules
from ..services.intake_caller import NumberCallers
from ..services.kb import KbSuggestion
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.intake.assist import DEVICE_FIELDS, AssistList
from ..widgets.intake.banner import Banner
from ..widgets.intake.base import LABELS, Edited, field_name
from ..widgets.intake.caller import CallerPanel, CallFound
from ..widgets.intake.chase import DuplicateChase
from ..widgets.intake.device import DevicePanel
from ..widgets.intake.draft import DraftKeeper
from ..widgets.intake.form import FormColumn
from ..widgets.intake.pop import ScreenPop
from ..widgets.intake.ringing import IncomingCall, RingingLine
from ..widgets.intake.script import ScriptLine
from ..widgets.intake.suggestions import Suggestions
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from .base import DeskScreen

CHOICE_FIELDS = ("warranty", "kind", "impact", "urgency", "priority", "service_mode")
TYPED_FIELDS = (
    *CallerPanel.FIELDS,
    "device_model",
    "device_serial",
    "serial_reason",
    "description",
    "summary",
    "category",
)


class Saved(ServiceDone[IntakeResult]):
    """The call is saved (a new ticket, or a chase of an open one)."""


class IntakeScreen(DeskScreen):
    TITLE_TEXT = "Intake"
    BINDINGS = [
        Binding("ctrl+n", "new_call", "New call", id="intake.new"),
        Binding("ctrl+s", "save", "Save", id="intake.save"),
        Binding("escape", "cancel", "Cancel call", id="intake.cancel"),
        Binding("ctrl+o", "open_suggestion", "Open suggestion", id="intake.suggestion", show=False),
        Binding("ctrl+t", "chase", "Chase", id="intake.chase"),
        Binding("ctrl+r", "retry", "Retry save", id="intake.retry", show=False),
        # Priority: the field changes before the next key is handed on, so a fast typist's (or a
        # scanner's) next keys land in the next field, not the one just left.
        Binding("tab", "next_field", "Next field", id="intake.next", show=False, priority=True),
        Binding("enter", "submit_field", "Next field", id="intake.enter", show=False, priority=True),
        Binding(
            "shift+tab", "previous_field", "Previous field", id="intake.previous", show=False, priority=True
        ),
        Binding("down", "pick_move(1)", "Next match", id="intake.pick_down", show=False),
        Binding("up", "pick_move(-1)", "Previous match", id="intake.pick_up", show=False),
    ]
    DEFAULT_CSS = """
    IntakeScreen #intake-top { height: auto; max-height: 3; padding: 0 1; background: $boost; }
    IntakeScreen #intake-banner { height: auto; padding: 0 1; display: none; }
    IntakeScreen #intake-banner.-error { display: block; background: $error 40%; }
    IntakeScreen #intake-banner.-info { display: block; background: $success 30%; }
    IntakeScreen #intake-body { height: 1fr; }
    IntakeScreen #intake-form { width: 3fr; min-width: 40; height: 1fr; padding: 0 1 0 0; }
    IntakeScreen #intake-side { width: 2fr; height: 1fr; border-left: vkey $primary 50%; padding: 0 0 0 1; }
    IntakeScreen #intake-pop { height: auto; max-height: 60%; }
    IntakeScreen #intake-assist-list { height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        settings = self.desk.settings
        self.rules = IntakeRules.from_settings(settings) if settings is not None else IntakeRules()
        self.line = ScriptLine(id="intake-top")
        self.form = FormColumn(self.rules, id="intake-form")
        self.caller = self.form.caller
        self.device_panel = self.form.device
        self.classification = self.form.classification
        self.kb_panel = Suggestions(id="intake-kb")
        self.duplicates = DuplicateChase(id="intake-duplicates")
        self.assist = AssistList(self.caller, self.classification, self.kb_panel, id="intake-assist-list")
        self.screen_pop = ScreenPop(id="intake-pop")
        self.drafts = DraftKeeper(self._draft, id="intake-draft")
        self.banner = Banner(id="intake-banner")
        self.ringing = RingingLine(id="intake-ringing")
        self.phone_call_id: int | None = None  # the phone system's call being logged (calls.py)
        self._popping = False  # a call just taken: its number's lookup picks or offers the caller
        self._pending: IncomingCall | None = None  # taken before this screen was mounted
        self.last_result: IntakeResult | None = None  # the call just saved, in the pop
        self.wrapping_up = False  # saved: the goodbye stays until the after-call work is over
        self.saving = False
        self.pending_retry = False  # a save the database lost waits (Ctrl+R; the banner retries)

    # --- building --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield self.line
        yield self.ringing
        yield self.banner
        with Horizontal(id="intake-body"):
            yield self.form
            with Vertical(id="intake-side"):
                yield self.screen_pop
                yield self.assist
                yield self.kb_panel
                yield self.duplicates
                yield self.drafts
        yield DeskFooter()

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)
        self.call(kb.warm_up, self.desk.database, group="kb-warm")
        self.call(customers.warm_up, self.desk.database, group="phones-warm")
        self._reset()
        self.show_ringing(self.desk.ringing)
        if self._pending is not None:
            self.take(self._pending)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.pending_retry  # shown only while a save waits to be retried
        if action == "submit_field":
            return isinstance(self.focused, Input)  # elsewhere Enter is the widget's own (new line, pick)
        return True

    def on_resize(self) -> None:
        self.device_panel.fit(self.size.height)

    def relabel(self) -> None:
        """Ctrl+L: the labels, choices and script in the other language; the input stays."""
        self.form.relabel()
        self._show_script()
        self._show_pop()
        self.assist.redraw()

    # --- the call's life ---------------------------------------------------------------------

    def _reset(self, *, keep_script: bool = False) -> None:
        """An empty form for the next call (the timer starts with New call or the first key)."""
        for panel in (self.form, self.kb_panel, self.duplicates):
            panel.clear()
        self.line.clear(keep_said=keep_script)
        self.pending_retry = False
        self.phone_call_id = None
        self._popping = False
        self.refresh_bindings()
        self.banner.cancel_retry()
        self._update_mode()
        self.assist.show("", [])
        self._show_pop()
        if not keep_script:
            self.last_result = None
            self.wrapping_up = False
            self.banner.say("")
        self._show_script()
        self._tick()
        self.form.focus_field("name")

    def mid_call(self) -> bool:
        """The operator is on a call here: its timer runs, something is typed, or it is saving."""
        if not self.is_mounted:
            return self._pending is not None
        return self.line.started_at is not None or self.saving or self._has_input()

    def take(self, call: IncomingCall) -> None:
        """A call starts here (app.take_call): the number filled and looked up (one caller: picked,
        their pop shown; several: the operator picks; none: a new caller), the timer from the
        answer, the agent on a call."""
        if not self.is_mounted:
            self._pending = call
            return
        self._pending = None
        self._reset()
        self.phone_call_id = call.call_pk
        self.caller.set_text("phone", call.number)
        self.line.start(call.answered_at)
        self.desk.call_started()
        self.drafts.mark()
        self._show_script()
        self._tick()
        if call.callers is not None:  # looked up already (by the call feed, off this thread)
            self._popped(call.callers)
        else:
            self._popping = True
            self.caller.look_up_call()

    def show_ringing(self, call: IncomingCall | None) -> None:
        self.ringing.show(call)

    def drop_call(self) -> None:
        """The call in progress is dropped (the operator takes the ringing one instead)."""
        self._drop_call()

    def _start_call(self) -> None:
        if self.line.start():
            self._forget_last_call()
            self.desk.call_started()  # the agent is on a call (the monitor shows it)
            self._tick()

    def _forget_last_call(self) -> None:
        """The call saved is over: the pop and the line are the next call's."""
        self.wrapping_up = False
        if self.last_result is not None:
            self.last_result = None
            self.line.say("")
            self.banner.say("")
            self._show_pop()

    def _read_form(self) -> IntakeForm:
        parts = self.form.part() | self.kb_panel.part()
        return IntakeForm(
            **parts, channel="phone", call_started_at=self.line.started_at, phone_call_id=self.phone_call_id
        )

    def _has_input(self) -> bool:
        form = self._read_form()
        return any(getattr(form, f).strip() for f in TYPED_FIELDS) or form.customer_id is not None

    def action_new_call(self) -> None:
        def go(yes: bool | None) -> None:
            if yes:
                self._drop_call()
                self._start_call()
                self._show_script()

        if self._has_input():
            self.app.push_screen(ConfirmDialog(_("Discard the call in progress and start a new one?")), go)
        else:
            go(True)

    def action_cancel(self) -> None:
        if not self._has_input():
            return

        def go(yes: bool | None) -> None:
            if yes:
                self._drop_call()

        self.app.push_screen(ConfirmDialog(_("Cancel this call? What was typed is discarded.")), go)

    def _drop_call(self) -> None:
        self.drafts.discard()
        self.desk.call_ended(saved=False)
        self._reset()

    def _tick(self) -> None:
        state = self.desk.agent_state[0]
        if self.wrapping_up and state != "after_call":  # ready for the next call: the greeting
            self._forget_last_call()
            self._show_script()
        self.banner.follow(state)
        self.line.tick()

    def _show_script(self) -> None:
        self.line.show(field_name(self.focused), idle=not self._has_input())

    def _show_pop(self) -> None:
        self.screen_pop.show(self.last_result, self.caller, self.device_panel.device)

    # --- what the panels report ------------------------------------------------------------------

    def on_descendant_focus(self, event: Any) -> None:
        name = field_name(event.widget)
        self.form.highlight(name)
        if name in LABELS:
            self._show_script()
            self.assist.follow(name)  # the side list follows the field in hand

    def on_edited(self, event: Edited) -> None:
        """The operator typed or chose: the call is on, the draft is due, the side list follows."""
        name, value = event.name, event.value
        self._changed()
        if name in ("name", "organisation") and self.caller.picked is not None:
            self._show_pop()  # says when the text typed is no longer the picked caller's
        elif name == "category":
            self.assist.show("categories", self.classification.matching(value))
        elif name in ("summary", "description"):
            self.kb_panel.search(
                f"{self.classification.text('summary')} {self.device_panel.text('description')}"
            )
        elif name == "kind" and value == "complaint":
            self.banner.say(_("Complaint: the supervisor is told when the ticket is saved."), "info")
        if name in CHOICE_FIELDS:
            self._update_mode()

    def _changed(self) -> None:
        self._start_call()
        self.drafts.mark()
        self.line.say("")
        self._show_script()

    def _update_mode(self) -> None:
        self.classification.suggest_mode(self._read_form(), self.caller.customer_class)

    def on_caller_panel_matches(self, message: CallerPanel.Matches) -> None:
        self.assist.found("callers", message.matches if message.looked_up else None, field_name(self.focused))

    def on_call_found(self, message: CallFound) -> None:
        if self._popping:
            self._popped(message.value)

    def _popped(self, found: NumberCallers) -> None:
        """The number of a call just taken, looked up: the one caller picked (their pop read with
        it), several offered in the pick list (on the phone field), none: a new caller, the name
        asked first."""
        self._popping = False
        if len(found.matches) == 1:
            self._pick_caller(found.matches[0], found.pop)
            return
        self.form.focus_field("phone" if found.matches else "name")
        self.caller.offer(found.matches)

    def on_caller_panel_pop_loaded(self) -> None:
        self._update_mode()
        self._show_pop()
        self.assist.follow(field_name(self.focused), "devices")

    def on_desk_changes(self, changes: list[Any]) -> None:
        if self.caller.shows_any(changes):
            self.caller.load_pop()

    def on_device_panel_found(self, message: DevicePanel.Found) -> None:
        if message.device is not None:
            self.classification.suggest_category(message.device.category)
            self.drafts.mark()
        self._update_mode()
        self._show_pop()

    def on_suggestions_changed(self, message: Suggestions.Changed) -> None:
        self.assist.found("kb", message.items, field_name(self.focused))

    # --- fields in order ---------------------------------------------------------------------------

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_submit_field(self) -> None:
        if isinstance(self.focused, Input):
            self._submitted(self.focused)

    def _submitted(self, field: Input) -> None:
        """Enter in a field: pick the highlighted match where one is offered, else the next field."""
        name = field_name(field)
        item = self.assist.picked(name)  # the caller, device or category highlighted for the field
        if item is not None and name in CallerPanel.FIELDS:
            self._pick_caller(item)
            return
        if item is not None and name in DEVICE_FIELDS and (not field.value.strip() or name == "device_model"):
            self._pick_device(item)
            return
        if item is not None and name == "category":
            self.classification.choose_category(item.path)
            self._update_mode()
        if name == "device_model" and not field.value.strip():
            self.form.focus_field("description")  # Enter on an empty model: not a device problem
            return
        model = self.device_panel.text("device_model").strip()
        if name == "device_serial" and not field.value.strip() and model:
            self.device_panel.ask_reason()  # the caller does not know it: why, instead
            return
        self.focus_next()

    def action_pick_move(self, delta: int) -> None:
        self.assist.move(delta)

    def _pick_caller(self, match: CallerMatch, pop: CallerPop | None = None) -> None:
        self.caller.pick(match, pop)
        if pop is not None and self.caller.pop is pop:  # a call's pop, read with the match: shown now
            self.on_caller_panel_pop_loaded()
        self._changed()
        self._update_mode()
        self.assist.show("", [])
        self.form.focus_field("device_model")

    def _pick_device(self, device: DeviceView) -> None:
        self.device_panel.pick(device)
        self.classification.suggest_category(device.category)
        self._changed()
        self._update_mode()
        self._show_pop()
        self.assist.show("kb", self.kb_panel.items)
        self.form.focus_field("description")

    # --- first-contact resolution and chases --------------------------------------------------

    def action_open_suggestion(self) -> None:
        items = self.kb_panel.items
        if not items:
            self.notify(_("No suggested solutions yet: describe the symptoms first."), markup=False)
            return
        index = (self.assist.index or 0) if self.assist.mode == "kb" else 0
        self.app.push_screen(ArticleDialog(items, index), self._article_chosen)

    def _article_chosen(self, article: KbSuggestion | None) -> None:
        if article is None:
            return
        self.kb_panel.choose(article)
        self.drafts.mark()
        self.banner.say(
            _("Solved at first contact with {id}: saving as resolved.", id=article.external_id), "info"
        )
        self.action_save()

    def action_chase(self) -> None:
        pop = self.caller.pop
        if pop is None or not pop.open_tickets:
            self.notify(_("Pick a caller with open tickets first (type their phone)."), markup=False)
            return
        words = self.device_panel.text("description")
        started, call_pk = self.line.started_at, self.phone_call_id
        dialog = ChaseDialog(pop.open_tickets, self.line.script(), words, started, phone_call_id=call_pk)
        self.app.push_screen(dialog, self._chased)

    def _chased(self, outcome: tuple[IntakeResult, int] | None) -> None:
        if outcome is not None:
            self._done(*outcome)

    # --- saving ------------------------------------------------------------------------------------

    def action_save(self) -> None:
        """Ctrl+S: a save of its own (an answer about duplicates given to an earlier one is gone)."""
        if not self.saving:
            self.duplicates.clear()
            self._save()

    def _save(self) -> None:
        if self.saving:
            return
        self._start_call()
        form = self._read_form()
        errors = self.form.errors(form)
        if errors:
            self._show_errors(errors)
            return
        self.saving = True
        self.call(
            intake.save_call,
            self.desk.database,
            self.desk.actor,
            form,
            rules=self.rules,
            caller_choice=self.caller.caller_choice,
            result=Saved,
            group="save",
            **self.duplicates.part(),
        )

    def action_retry(self) -> None:
        if self.pending_retry:
            self.banner.cancel_retry()
            self._save()

    def on_saved(self, message: Saved) -> None:
        self.saving = False
        self.banner.say("")
        self._done(message.value)

    def _done(self, result: IntakeResult, reply: int = 0) -> None:
        """The call is logged: the confirmation and goodbye to read, an empty form, after-call work."""
        caller = self.caller.text("name")
        self.drafts.discard()
        self._reset(keep_script=True)
        self.last_result = result
        self.line.say_logged(result, caller, reply)
        self.desk.call_ended(saved=True)
        if self.desk.agent_state[0] == "after_call":
            self.banner.after_call()
            self.wrapping_up = True
        self._tick()
        self._show_script()
        self._show_pop()

    def on_service_failed(self, message: ServiceFailed) -> None:
        """A save refused: ask (caller, duplicates), show the fields, or retry a lost connection.
        Other calls' refusals go on to the app's banner."""
        if message.call is not Saved:
            return
        message.stop()
        self.saving = False
        error = message.error
        if isinstance(error, CallerChanged):
            self.app.push_screen(CallerDialog(error), self._caller_chosen)
        elif isinstance(error, DuplicatesFound):
            self.app.push_screen(DuplicateDialog(error.candidates), self._duplicate_chosen)
        elif isinstance(error, InvalidInput):
            self._show_errors(error.errors)
        elif isinstance(error, DeskError):
            self.banner.say(refusal_text(error), "error")
        else:  # the database (a DatabaseError: the connection, a timeout)
            self.pending_retry = True
            self.refresh_bindings()
            self.banner.not_saved(error, retry=self.action_retry)

    def _caller_chosen(self, choice: str | None) -> None:
        if choice is None:  # back to the call: nothing saved, nothing typed lost
            self.form.focus_field("name")
            return
        self.caller.caller_choice = choice
        self._save()

    def _duplicate_chosen(self, choice: tuple[str, str] | None) -> None:
        if choice is not None:
            self.duplicates.answer(*choice)
            self._save()

    def _show_errors(self, errors: dict[str, str]) -> None:
        for name, reason in self.form.show_errors(errors).items():
            self.banner.say(f"{name}: {_(reason)}", "error")

    # --- drafts ------------------------------------------------------------------------------------

    def _draft(self) -> tuple[IntakeForm, bool, CallerMatch | None]:
        return self._read_form(), self.device_panel.device is not None, self.caller.picked

    def on_draft_keeper_found(self, message: DraftKeeper.Found) -> None:
        def answer(yes: bool | None) -> None:
            if yes:
                self.drafts.restore(message.data)
            else:
                self.drafts.discard()

        self.app.push_screen(ConfirmDialog(message.question, yes=_("restore"), no=_("discard")), answer)

    def on_draft_keeper_restored(self, message: DraftKeeper.Restored) -> None:
        restored = message.restored
        form = restored.form
        self._reset()
        self.form.restore(form, restored.caller)
        self.kb_panel.restore(form)
        self.line.restore(form.call_started_at)
        self.phone_call_id = form.phone_call_id
        if form.phone_call_id is not None:  # its hang-up ends the call (app.call_hung_up)
            self.desk.phone_call_pk = form.phone_call_id
        self._update_mode()
        self._show_script()
        if form.call_started_at is not None:
            self.desk.call_started()  # back on the call that was cut off
        self.drafts.mark()
        if "caller" in restored.dropped:
            self.banner.say(
                _("The caller picked in this draft is not the same on this desk: look them up again."),
                "error",
            )
