"""Intake (F2): the hotline operator logs a whole call from the keyboard, following the script.

Left, the form in the script's order (name, organisation, phone, device model and serial, the
fault symptoms, warranty, then the classification); Tab / Enter move on, Shift+Tab back. Right,
what helps with the field in hand: callers matching the phone typed (Up/Down, Enter picks), the
caller's devices, categories, knowledge suggestions; above them the screen pop (the caller's open
and last five tickets). The top line is what to read out: the greeting, the question of the
field in hand, the confirmation and goodbye once saved. Every keystroke lands in a draft on disk
within a second; a save the database refused is retried without retyping."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from .. import clock
from ..dialogs.base import ConfirmDialog, DeskModal
from ..i18n import _, language
from ..text import clean, shorten
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.intake_fields import ChoiceField
from .base import DeskScreen

# (field, label) in the script's order; the widgets are #f-<field>.
TEXT_FIELDS = ("name", "organisation", "phone", "device_model", "device_serial")
LABELS = {
    "name": "Name",
    "organisation": "Organisation",
    "phone": "Phone",
    "device_model": "Model",
    "device_serial": "Serial no.",
    "description": "Symptoms",
    "warranty": "Warranty",
    "summary": "Summary",
    "kind": "Kind",
    "category": "Category",
    "impact": "Impact",
    "urgency": "Urgency",
    "priority": "Priority",
    "priority_reason": "Reason",
    "service_mode": "Service",
}
WARRANTY_LABELS = [("In warranty", "in"), ("Out of warranty", "out"), ("Unknown", "unknown")]
KIND_LABELS = [
    ("Incident", "incident"),
    ("Request", "request"),
    ("Consultation", "consultation"),
    ("Complaint", "complaint"),
]
LEVEL_LABELS = [("High", 1), ("Medium", 2), ("Low", 3)]
PRIORITY_LABELS = [(f"P{p}", p) for p in range(1, 6)]
MODE_LABELS = [
    ("Phone answer", "phone"),
    ("On-site", "on_site"),
    ("Carry-in", "carry_in"),
    ("Mail-in", "mail_in"),
    ("Paid", "paid"),
    ("Exchange", "exchange"),
]
STATUS_LABELS = {
    "new": "new",
    "assigned": "assigned",
    "in_progress": "in progress",
    "pending_customer": "waiting for the customer",
    "pending_third_party": "waiting for a third party",
    "resolved": "resolved",
    "closed": "closed",
}
RETRY_SECONDS = 5.0


def _translated(options: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return [(_(label), value) for label, value in options]


class IntakeScreen(DeskScreen):
    TITLE_TEXT = "Intake"
    BINDINGS = [
        Binding("ctrl+n", "new_call", "New call", id="intake.new"),
        Binding("ctrl+s", "save", "Save", id="intake.save"),
        Binding("escape", "cancel", "Cancel call", id="intake.cancel"),
        Binding("ctrl+o", "open_suggestion", "Open suggestion", id="intake.suggestion"),
        Binding("ctrl+t", "chase", "Chase", id="intake.chase"),
        Binding("ctrl+r", "retry", "Retry save", id="intake.retry"),
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
    IntakeScreen #intake-script { width: 1fr; height: auto; max-height: 3; text-style: bold; }
    IntakeScreen #intake-timer { width: 8; height: 1; text-align: right; color: $text-muted; }
    IntakeScreen #intake-banner { height: auto; padding: 0 1; display: none; }
    IntakeScreen #intake-banner.-error { display: block; background: $error 40%; }
    IntakeScreen #intake-banner.-info { display: block; background: $success 30%; }
    IntakeScreen #intake-body { height: 1fr; }
    IntakeScreen #intake-form { width: 3fr; min-width: 40; height: 1fr; padding: 0 1 0 0; }
    IntakeScreen #intake-side { width: 2fr; height: 1fr; border-left: vkey $primary 50%; padding: 0 0 0 1; }
    IntakeScreen .i-row { height: 1; }
    IntakeScreen .i-label { width: 13; color: $text-muted; }
    IntakeScreen .i-row Input { width: 1fr; }
    IntakeScreen .i-error { height: auto; color: $error; padding-left: 13; display: none; }
    IntakeScreen .i-error.-shown { display: block; }
    IntakeScreen #row-description { height: auto; }
    IntakeScreen #f-description { width: 1fr; height: 4; }
    IntakeScreen #row-priority_reason { display: none; }
    IntakeScreen #row-priority_reason.-shown { display: block; }
    IntakeScreen #intake-pop { height: auto; max-height: 60%; }
    IntakeScreen #intake-assist-title { height: auto; color: $text-muted; text-style: bold; margin-top: 1; }
    IntakeScreen #intake-assist { height: 1fr; border: none; padding: 0; background: $surface; }
    IntakeScreen .-focused-label { color: $accent; text-style: bold; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.customer_id: int | None = None
        self.picked: Any = None  # customers.CallerMatch of the caller picked (customer_id)
        self.caller_choice: str | None = None  # the operator's answer to intake.CallerChanged
        self.customer_class = "standard"
        self.device: Any = None  # customers.DeviceView of a known serial
        self.pop: Any = None  # customers.CallerPop
        self.call_started_at: datetime | None = None
        self.kb_article_id: int | None = None
        self.resolution = ""
        self.priority_overridden = False
        self.mode_chosen = False
        self.assist_mode = ""  # callers | devices | categories | kb
        self.assist_items: list[Any] = []
        self.suggestions: list[Any] = []
        self.categories: list[Any] = []
        self.callers: list[Any] = []
        self.last_result: Any = None
        self.saving = False
        self.pending_retry = False
        self.draft_dirty = False
        self._by_code: dict[str, str] = {}  # values set by code, whose Changed is not typing
        self.script_line = ""
        self.acw_hint = False  # the banner says how after-call work ends
        self._lookup_timer: Any = None
        self._suggest_timer: Any = None
        self._serial_timer: Any = None
        self._retry_timer: Any = None
        self._suggest_seq = 0

    # --- building --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Horizontal(id="intake-top"):
            yield Static("", id="intake-script", markup=False)
            yield Static("", id="intake-timer", markup=False)
        yield Static("", id="intake-banner", markup=False)
        with Horizontal(id="intake-body"):
            with VerticalScroll(id="intake-form", can_focus=False):
                for name in TEXT_FIELDS:
                    yield from self._row(name, Input(id=f"f-{name}", compact=True))
                yield from self._row(
                    "description",
                    TextArea(id="f-description", compact=True, soft_wrap=True, tab_behavior="focus"),
                )
                yield from self._row(
                    "warranty", ChoiceField(_translated(WARRANTY_LABELS), "unknown", id="f-warranty")
                )
                yield from self._row("summary", Input(id="f-summary", compact=True))
                yield from self._row("kind", ChoiceField(_translated(KIND_LABELS), "incident", id="f-kind"))
                yield from self._row("category", Input(id="f-category", compact=True))
                yield from self._row("impact", ChoiceField(_translated(LEVEL_LABELS), 3, id="f-impact"))
                yield from self._row("urgency", ChoiceField(_translated(LEVEL_LABELS), 3, id="f-urgency"))
                yield from self._row("priority", ChoiceField(PRIORITY_LABELS, 5, id="f-priority"))
                yield from self._row("priority_reason", Input(id="f-priority_reason", compact=True))
                yield from self._row(
                    "service_mode", ChoiceField(_translated(MODE_LABELS), "phone", id="f-service_mode")
                )
            with Vertical(id="intake-side"):
                yield Static("", id="intake-pop", markup=False)
                yield Static("", id="intake-assist-title", markup=False)
                assist = OptionList(id="intake-assist", compact=True)
                assist.can_focus = False
                yield assist
        yield DeskFooter()

    def _row(self, name: str, widget: Widget) -> ComposeResult:
        with Horizontal(classes="i-row", id=f"row-{name}"):
            yield Static(_(LABELS[name]), classes="i-label", id=f"l-{name}", markup=False)
            yield widget
        yield Static("", classes="i-error", id=f"e-{name}", markup=False)

    def on_mount(self) -> None:
        from ..services import kb

        self.rules = self._rules()
        self.set_interval(1.0, self._tick)
        self.set_interval(0.5, self._flush_draft)
        from ..services import customers

        self.call(kb.warm_up, self.desk.database, group="kb-warm")
        self.call(customers.warm_up, self.desk.database, group="phones-warm")
        self.call(self._load_categories, done=self._categories_loaded, group="categories")
        self.call(self._draft_store().load, done=self._offer_draft, group="draft-load")
        self._reset()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "retry":
            return self.pending_retry  # shown only while a save waits to be retried
        if action == "submit_field":
            return isinstance(self.focused, Input)  # elsewhere Enter is the widget's own (new line, pick)
        return True

    def on_resize(self) -> None:
        # The symptoms get what the other rows leave: 4 lines at 80x24, much more at 160x50.
        self.query_one("#f-description", TextArea).styles.height = max(4, self.size.height - 20)

    def _rules(self):  # type: ignore[no-untyped-def]
        from ..services.intake import IntakeRules

        settings = self.desk.settings
        return IntakeRules.from_settings(settings) if settings is not None else IntakeRules()

    def _script(self):  # type: ignore[no-untyped-def]
        from ..services.scripts import load_script

        settings = self.desk.settings
        return load_script(language(), settings.scripts if settings is not None else None)

    def _draft_store(self):  # type: ignore[no-untyped-def]
        from ..services.drafts import DraftStore, desk_key, drafts_dir

        assert self.desk.actor is not None and self.desk.database is not None
        return DraftStore(
            drafts_dir(self.desk.settings), self.desk.actor.login, desk_key(self.desk.database.engine.url)
        )

    def _load_categories(self) -> list[Any]:
        from ..services import directory

        return directory.categories(self.desk.database)  # type: ignore[arg-type]

    def _categories_loaded(self, rows: list[Any]) -> None:
        self.categories = rows

    def relabel(self) -> None:
        """Ctrl+L: the labels, choices and script in the other language; the input stays."""
        for name, label in LABELS.items():
            self.query_one(f"#l-{name}", Static).update(_(label))
        for name, options in (
            ("warranty", WARRANTY_LABELS),
            ("kind", KIND_LABELS),
            ("impact", LEVEL_LABELS),
            ("urgency", LEVEL_LABELS),
            ("service_mode", MODE_LABELS),
        ):
            self.query_one(f"#f-{name}", ChoiceField).set_labels([_(label) for label, _v in options])
        self._show_script()
        self._show_pop()
        self._show_assist()

    # --- the call's life ---------------------------------------------------------------------

    def _reset(self, *, keep_script: bool = False) -> None:
        """An empty form for the next call (the timer starts with New call or the first key)."""
        for name in (*TEXT_FIELDS, "description", "summary", "category", "priority_reason"):
            self._set_text(name, "")
        for name, value in (
            ("warranty", "unknown"),
            ("kind", "incident"),
            ("impact", 3),
            ("urgency", 3),
            ("service_mode", "phone"),
        ):
            self.query_one(f"#f-{name}", ChoiceField).value = value
        self.customer_id = None
        self.picked = None
        self.caller_choice = None
        self.customer_class = "standard"
        self.device = None
        self.pop = None
        self.kb_article_id = None
        self.resolution = ""
        self.priority_overridden = False
        self.mode_chosen = False
        self.callers = []
        self.suggestions = []
        self.call_started_at = None
        self.pending_retry = False
        self.refresh_bindings()
        self._cancel_retry()
        self._clear_errors()
        self._update_priority()
        self._update_mode()
        self._set_assist("", [])
        self._show_pop()
        if not keep_script:
            self.last_result = None
            self.script_line = ""
            self._banner("")
        self._show_script()
        self._tick()
        self.query_one("#f-name", Input).focus()

    def _start_call(self) -> None:
        if self.call_started_at is None:
            self.call_started_at = clock.now()
            self.last_result = None
            self.script_line = ""
            self.desk.call_started()  # the agent is on a call (the monitor shows it)
            self._tick()

    def _has_input(self) -> bool:
        form = self._read_form()
        return bool(
            any(getattr(form, f).strip() for f in (*TEXT_FIELDS, "description", "summary", "category"))
            or self.customer_id is not None
        )

    def action_new_call(self) -> None:
        def go(yes: bool | None) -> None:
            if yes:
                self._discard()
                self.desk.call_ended(saved=False)
                self._reset()
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
                self._discard()
                self.desk.call_ended(saved=False)
                self._reset()

        self.app.push_screen(ConfirmDialog(_("Cancel this call? What was typed is discarded.")), go)

    def _discard(self) -> None:
        self.draft_dirty = False
        store = self._draft_store()
        self.call(store.remove, group="draft")

    def _tick(self) -> None:
        timer = self.query_one("#intake-timer", Static)
        state, _reason = self.desk.agent_state
        if self.call_started_at is None and state == "after_call" and self.desk.agent_state_since:
            seconds = max(0, int((clock.now() - self.desk.agent_state_since).total_seconds()))
            timer.update(_("ACW") + f" {seconds // 60}:{seconds % 60:02d}")
            return
        if self.acw_hint and state != "after_call":
            self.acw_hint = False
            self._banner("")
        if self.call_started_at is None:
            timer.update("")
            return
        seconds = max(0, int((clock.now() - self.call_started_at).total_seconds()))
        timer.update(f"⏱ {seconds // 60:02d}:{seconds % 60:02d}")

    # --- the line to read out --------------------------------------------------------------------

    def _show_script(self) -> None:
        script = self._script()
        actor = self.desk.actor
        settings = self.desk.settings
        desk = (
            (settings.desk_name_zh if language() == "zh" else settings.desk_name) if settings else "deskterm"
        )
        if self.script_line:
            line = self.script_line
        elif self.call_started_at is None and not self._has_input():
            from ..services.scripts import fill

            line = fill(
                script.greeting,
                desk=desk,
                agent=actor.name if actor else "",
                agent_number=actor.number if actor else "",
            )
        else:
            focused = self.focused
            name = (focused.id or "").removeprefix("f-") if focused is not None else ""
            question = script.question(name)
            line = f"❯ {question}" if question else ""
        self.query_one("#intake-script", Static).update(clean(line))

    def on_descendant_focus(self, event: Any) -> None:
        widget = event.widget
        name = (widget.id or "").removeprefix("f-")
        for label in self.query(".i-label"):
            label.set_class(label.id == f"l-{name}", "-focused-label")
        if name in LABELS:
            self._show_script()
            self._context_for(name)

    def _context_for(self, name: str) -> None:
        """The side list follows the field in hand."""
        if name in ("name", "organisation", "phone"):
            if self.callers:
                self._set_assist("callers", self.callers)
        elif name in ("device_model", "device_serial"):
            if self.pop is not None and self.pop.devices:
                self._set_assist("devices", self.pop.devices)
        elif name == "category":
            self._filter_categories(self.query_one("#f-category", Input).value)
        elif name in ("description", "summary"):
            self._set_assist("kb", self.suggestions)

    # --- reading and setting the form ----------------------------------------------------------

    def _read_form(self):  # type: ignore[no-untyped-def]
        from ..services.intake import IntakeForm

        def text(name: str) -> str:
            return self.query_one(f"#f-{name}", Input).value

        def choice(name: str) -> Any:
            return self.query_one(f"#f-{name}", ChoiceField).value

        return IntakeForm(
            name=text("name"),
            organisation=text("organisation"),
            phone=text("phone"),
            customer_id=self.customer_id,
            device_model=text("device_model"),
            device_serial=text("device_serial"),
            description=self.query_one("#f-description", TextArea).text,
            warranty=choice("warranty"),
            summary=text("summary"),
            kind=choice("kind"),
            category=text("category"),
            impact=choice("impact"),
            urgency=choice("urgency"),
            priority=choice("priority") if self.priority_overridden else None,
            priority_reason=text("priority_reason") if self.priority_overridden else "",
            service_mode=choice("service_mode") if self.mode_chosen else "",
            channel="phone",
            call_started_at=self.call_started_at,
            kb_article_id=self.kb_article_id,
            resolution=self.resolution,
        )

    def _fill_form(self, form: Any) -> None:
        for name in (*TEXT_FIELDS, "description", "summary", "category", "priority_reason"):
            self._set_text(name, getattr(form, name) or "")
        for name in ("warranty", "kind", "impact", "urgency"):
            self.query_one(f"#f-{name}", ChoiceField).value = getattr(form, name)
        self.customer_id = form.customer_id
        self.call_started_at = form.call_started_at
        self.kb_article_id = form.kb_article_id
        self.resolution = form.resolution
        self.priority_overridden = form.priority is not None
        if form.priority is not None:
            self.query_one("#f-priority", ChoiceField).value = form.priority
        self.mode_chosen = bool(form.service_mode)
        if form.service_mode:
            self.query_one("#f-service_mode", ChoiceField).value = form.service_mode
        self._update_priority()
        self._update_mode()
        if form.customer_id is not None:
            self._load_pop(form.customer_id)
        if form.device_serial.strip():
            self._lookup_serial()
        self._show_script()

    # --- typing ------------------------------------------------------------------------------------

    def _set_text(self, name: str, value: str) -> None:
        """Set a text field from code; its Changed message (which arrives later) is not typing. The
        value is cleaned (clean): a caller or draft stored with an escape must not reach the screen."""
        value = clean(value)
        widget = self.query_one(f"#f-{name}")
        current = widget.text if isinstance(widget, TextArea) else widget.value  # type: ignore[attr-defined]
        if current == value:
            return
        self._by_code[name] = value
        if isinstance(widget, TextArea):
            widget.text = value
        else:
            widget.value = value  # type: ignore[attr-defined]

    def _from_code(self, name: str, value: str) -> bool:
        if name in self._by_code and self._by_code[name] == value:
            del self._by_code[name]
            return True
        self._by_code.pop(name, None)
        return False

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        name = (event.input.id or "").removeprefix("f-")
        if self._from_code(name, event.value):
            return
        self._changed()
        self._clear_error(name)
        if name in ("name", "organisation") and self.picked is not None:
            self._show_pop()  # says when the text typed is no longer the picked caller's
        if name == "phone":
            self._schedule("_lookup_timer", 0.1, self._lookup_phone)
        elif name == "device_serial":
            self.device = None
            self._schedule("_serial_timer", 0.25, self._lookup_serial)
        elif name == "category":
            self._filter_categories(event.value)
        elif name == "summary":
            self._schedule_suggestions()

    @on(TextArea.Changed, "#f-description")
    def _symptoms_typed(self, event: TextArea.Changed) -> None:
        if self._from_code("description", event.text_area.text):
            return
        self._changed()
        self._clear_error("description")
        self._schedule_suggestions()

    @on(ChoiceField.Changed)
    def _chosen(self, event: ChoiceField.Changed) -> None:
        name = (event.field.id or "").removeprefix("f-")
        self._changed()
        self._clear_error(name)
        if name == "priority":
            matrix = self.rules.priority(self._choice("impact"), self._choice("urgency"))
            self.priority_overridden = event.value != matrix
            self._update_priority()
        elif name == "service_mode":
            self.mode_chosen = True
        elif name in ("impact", "urgency"):
            self._update_priority()
        if name == "kind":
            category = self.query_one("#f-category", Input)
            if event.value == "consultation" and not category.value:
                self._set_text("category", "Consultation")
            if event.value == "complaint":
                self._banner(_("Complaint: the supervisor is told when the ticket is saved."), "info")
        self._update_mode()

    def _choice(self, name: str) -> Any:
        return self.query_one(f"#f-{name}", ChoiceField).value

    def _changed(self) -> None:
        self._start_call()
        self.draft_dirty = True
        if self.script_line:
            self.script_line = ""
            self._show_script()
        elif self.call_started_at is not None:
            self._show_script()

    def _schedule(self, attr: str, delay: float, fn: Any) -> None:
        timer = getattr(self, attr)
        if timer is not None:
            timer.stop()
        setattr(self, attr, self.set_timer(delay, fn))

    def _update_priority(self) -> None:
        field = self.query_one("#f-priority", ChoiceField)
        matrix = self.rules.priority(self._choice("impact"), self._choice("urgency"))
        if not self.priority_overridden:
            field.value = matrix
        elif field.value == matrix:
            self.priority_overridden = False
        self.query_one("#row-priority_reason").set_class(self.priority_overridden, "-shown")
        label = _("Priority") if not self.priority_overridden else _("Priority*")
        self.query_one("#l-priority", Static).update(label)

    def _update_mode(self) -> None:
        if self.mode_chosen:
            return
        from ..services.intake import is_device_problem

        form = self._read_form()
        mode = self.rules.service_mode(
            kind=form.kind,
            warranty=form.warranty,
            customer_class=self.customer_class,
            device=is_device_problem(form),
        )
        self.query_one("#f-service_mode", ChoiceField).value = mode

    # --- fields in order ---------------------------------------------------------------------------

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_submit_field(self) -> None:
        if isinstance(self.focused, Input):
            self._submitted(self.focused)

    @on(Input.Submitted)
    def _enter(self, event: Input.Submitted) -> None:
        self._submitted(event.input)

    def _submitted(self, field: Input) -> None:
        """Enter in a field: pick the highlighted match where one is offered, else the next field."""
        name = (field.id or "").removeprefix("f-")
        picked = self._assist_highlighted()
        if name in ("name", "organisation", "phone") and self.assist_mode == "callers" and picked is not None:
            self._pick_caller(picked)
            return
        if (
            name in ("device_model", "device_serial")
            and self.assist_mode == "devices"
            and picked is not None
            and (not field.value.strip() or name == "device_model")
        ):
            self._pick_device(picked)
            return
        if name == "category" and self.assist_mode == "categories" and picked is not None:
            self.query_one("#f-category", Input).value = picked.path
            self._update_mode()
        if name == "device_model" and not field.value.strip():
            # Enter on an empty model: not a device problem, on to the symptoms.
            self.query_one("#f-description", TextArea).focus()
            return
        self.focus_next()

    def action_pick_move(self, delta: int) -> None:
        assist = self.query_one("#intake-assist", OptionList)
        if assist.option_count == 0:
            return
        current = assist.highlighted if assist.highlighted is not None else -delta
        assist.highlighted = max(0, min(assist.option_count - 1, current + delta))

    def _assist_highlighted(self) -> Any:
        assist = self.query_one("#intake-assist", OptionList)
        if assist.highlighted is None or assist.highlighted >= len(self.assist_items):
            return None
        return self.assist_items[assist.highlighted]

    # --- the side panel ----------------------------------------------------------------------------

    def _set_assist(self, mode: str, items: list[Any]) -> None:
        self.assist_mode = mode
        self.assist_items = list(items)
        self._show_assist()

    def _show_assist(self) -> None:
        assist = self.query_one("#intake-assist", OptionList)
        width = max(20, assist.size.width - 2 if assist.size.width else 40)
        titles = {
            "callers": _("Callers with this number (Enter picks)"),
            "devices": _("The caller's devices (Enter picks)"),
            "categories": _("Categories (Enter picks)"),
            "kb": _("Suggested solutions (Ctrl+O opens)"),
        }
        title = titles.get(self.assist_mode, "")
        if self.assist_mode == "callers" and not self.assist_items:
            title = _("No caller with this number: a new caller is saved with the ticket.")
        if self.assist_mode == "kb" and not self.assist_items:
            title = _("Suggested solutions appear as the symptoms are typed.")
        self.query_one("#intake-assist-title", Static).update(title)
        options = [Option(self._assist_text(item, width)) for item in self.assist_items]
        assist.set_options(options)
        if options:
            assist.highlighted = 0

    def _assist_text(self, item: Any, width: int) -> Text:
        mode = self.assist_mode
        text = Text(no_wrap=True, overflow="ellipsis")
        if mode == "callers":
            text.append(clean(item.name, single_line=True), style="bold")
            text.append("  " + clean(item.phone, single_line=True))
            text.append("\n  " + shorten(clean(item.organisation, single_line=True), width - 2), style="dim")
            if item.customer_class == "key":
                text.append(" ★", style="yellow")
        elif mode == "devices":
            text.append(clean(item.serial, single_line=True), style="bold")
            text.append("  " + clean(item.model, single_line=True))
            text.append("  " + _warranty_text(item.warranty, item.warranty_end), style="dim")
        elif mode == "categories":
            text.append(item.path_zh if language() == "zh" and item.path_zh else item.path)
            text.append(f"  → {item.team}", style="dim")
        elif mode == "kb":
            text.append(clean(item.external_id) + " ", style="dim")
            text.append(shorten(clean(item.title, single_line=True), width - len(item.external_id) - 1))
        return text

    def _show_pop(self) -> None:
        pop = self.query_one("#intake-pop", Static)
        text = Text()
        if self.last_result is not None:
            r = self.last_result
            text.append(
                _("Saved {number}", number=r.number) if r.outcome == "created" else r.number, style="bold"
            )
            text.append(f" · P{r.priority} · {clean(r.team)}")
            if r.first_contact:
                text.append(" · " + _("solved at first contact"), style="green")
            elif r.respond_by is not None:
                text.append(
                    " · " + _("respond by {time}", time=_local(r.respond_by, self.desk.settings.timezone))
                )
            if r.outcome == "chased":
                text.append(" · " + _("chased {n} times", n=r.chase_count))
            text.append("\n")
        if self.pop is not None:
            c = self.pop.caller
            text.append(clean(c.name, single_line=True), style="bold")
            if c.customer_class == "key":
                text.append(" ★ " + _("key account"), style="yellow")
            text.append("\n" + clean(c.organisation, single_line=True) + "\n", style="dim")
            if self._typed_differs():
                text.append(
                    _("The name or organisation typed is not this caller's: asked at save.") + "\n",
                    style="yellow",
                )
            text.append(_("Open tickets: {n}", n=len(self.pop.open_tickets)) + "\n", style="bold")
            for t in self.pop.open_tickets[:5]:
                text.append(self._ticket_line(t) + "\n")
            if self.pop.recent:
                text.append(_("Last five") + "\n", style="bold")
                for t in self.pop.recent:
                    text.append(self._ticket_line(t) + "\n", style="dim")
        if self.device is not None:
            d = self.device
            text.append(_("Device") + ": ", style="bold")
            text.append(clean(f"{d.model} {d.serial}", single_line=True))
            text.append("  " + _warranty_text(d.warranty, d.warranty_end) + "\n")
            if d.customer_id is not None and d.customer_id != self.customer_id and d.owner:
                text.append(
                    _("Registered to {owner}", owner=clean(d.owner, single_line=True)) + "\n", style="yellow"
                )
        text.rstrip()
        pop.update(text)

    def _typed_differs(self) -> bool:
        from ..services.intake import same_text

        if self.picked is None:
            return False
        return not all(
            same_text(self.query_one(f"#f-{name}", Input).value, getattr(self.picked, name))
            for name in ("name", "organisation")
        )

    def _ticket_line(self, t: Any) -> str:
        status = _(STATUS_LABELS.get(t.status, t.status))
        return shorten(clean(f"{t.number} P{t.priority} {status} {t.summary}", single_line=True), 60)

    # --- caller lookup and screen pop --------------------------------------------------------------

    def _lookup_phone(self) -> None:
        from ..services import customers

        typed = self.query_one("#f-phone", Input).value
        digits = sum(ch.isdigit() for ch in typed)
        if digits < customers.MIN_DIGITS:
            self.callers = []
            if self.assist_mode == "callers":
                self._set_assist("", [])
            return
        self.call(
            customers.lookup,
            self.desk.database,
            self.desk.actor,
            typed,
            done=self._callers_found,
            group="lookup",
        )

    def _callers_found(self, rows: list[Any]) -> None:
        self.callers = rows
        focused = self.focused.id if self.focused is not None else ""
        if focused in ("f-name", "f-organisation", "f-phone"):
            self._set_assist("callers", rows)

    def _pick_caller(self, match: Any) -> None:
        """Fill the caller's details, but never over text typed that says something else: the
        save then asks what it is (intake.CallerChanged)."""
        from ..services.intake import same_text
        from ..services.phones import lookup_variants, split_extension

        for name, value in (("name", match.name), ("organisation", match.organisation)):
            typed = self.query_one(f"#f-{name}", Input).value
            if not typed.strip() or same_text(typed, value):
                self._set_text(name, value)
        number, extension = split_extension(self.query_one("#f-phone", Input).value)
        if not number or (
            not extension  # the digits typed are what found it: complete them
            and any(match.digits.startswith(v) or match.digits.endswith(v) for v in lookup_variants(number))
        ):
            self._set_text("phone", match.phone)
        self.customer_id = match.customer_id
        self.picked = match
        self.caller_choice = None
        self.customer_class = match.customer_class
        for name in ("name", "organisation", "phone"):
            self._clear_error(name)
        self._changed()
        self._update_mode()
        self._set_assist("", [])
        self._load_pop(match.customer_id)
        self.query_one("#f-device_model", Input).focus()

    def _load_pop(self, customer_id: int) -> None:
        from ..services import customers

        self.call(
            customers.caller_pop,
            self.desk.database,
            self.desk.actor,
            customer_id,
            done=self._pop_loaded,
            group="pop",
        )

    def _pop_loaded(self, pop: Any) -> None:
        if pop.caller.customer_id != self.customer_id:
            return  # a newer pick or a new call
        self.pop = pop
        self.customer_class = pop.caller.customer_class
        self._update_mode()
        self._show_pop()
        focused = self.focused.id if self.focused is not None else ""
        if focused in ("f-device_model", "f-device_serial") and pop.devices:
            self._set_assist("devices", pop.devices)

    def on_desk_changes(self, changes: list[Any]) -> None:
        if self.pop is None or self.customer_id is None:
            return
        shown = {t.id for t in (*self.pop.open_tickets, *self.pop.recent)}
        if any(c.ticket_id in shown or c.kind == "created" for c in changes):
            self._load_pop(self.customer_id)

    # --- devices -----------------------------------------------------------------------------------

    def _pick_device(self, device: Any) -> None:
        self._set_text("device_model", device.model)
        self._set_text("device_serial", device.serial)
        self.query_one("#f-warranty", ChoiceField).value = device.warranty
        if not self.query_one("#f-category", Input).value and device.category:
            self._set_text("category", device.category)
        self.device = device
        for name in ("device_model", "device_serial", "warranty"):
            self._clear_error(name)
        self._changed()
        self._update_mode()
        self._show_pop()
        self._set_assist("kb", self.suggestions)
        self.query_one("#f-description", TextArea).focus()

    def _lookup_serial(self) -> None:
        from ..services import customers

        serial = self.query_one("#f-device_serial", Input).value.strip()
        if len(serial) < 3:
            return
        self.call(
            customers.device_by_serial,
            self.desk.database,
            self.desk.actor,
            serial,
            done=lambda d: self._serial_found(serial, d),
            group="serial",
        )

    def _serial_found(self, serial: str, device: Any) -> None:
        if self.query_one("#f-device_serial", Input).value.strip() != serial:
            return
        self.device = device
        if device is not None:
            if not self.query_one("#f-device_model", Input).value.strip():
                self._set_text("device_model", device.model)
            self.query_one("#f-warranty", ChoiceField).value = device.warranty
            if not self.query_one("#f-category", Input).value and device.category:
                self._set_text("category", device.category)
            self._clear_error("device_model")
            self.draft_dirty = True
        self._update_mode()
        self._show_pop()

    # --- categories --------------------------------------------------------------------------------

    def _filter_categories(self, typed: str) -> None:
        typed = typed.strip().lower()
        rows = [
            c
            for c in self.categories
            if not typed or typed in c.path.lower() or typed in c.path_zh or typed in c.team.lower()
        ]
        if not rows and typed:
            from rapidfuzz import fuzz, process

            ranked = process.extract(
                typed,
                {i: f"{c.path} {c.path_zh}" for i, c in enumerate(self.categories)},
                scorer=fuzz.WRatio,
                limit=5,
            )
            rows = [self.categories[key] for _t, _s, key in ranked]
        self._set_assist("categories", rows)

    # --- knowledge suggestions -------------------------------------------------------------------

    def _schedule_suggestions(self) -> None:
        settings = self.desk.settings
        delay = (settings.suggest_delay_ms if settings else 150) / 1000
        self._schedule("_suggest_timer", delay, self._suggest)

    def _suggest(self) -> None:
        from ..services import kb

        form = self._read_form()
        text = f"{form.summary} {form.description}".strip()
        self._suggest_seq += 1
        seq = self._suggest_seq
        self.call(
            kb.recommend,
            self.desk.database,
            text,
            limit=5,
            done=lambda rows: self._suggested(seq, rows),
            group="kb",
        )

    def _suggested(self, seq: int, rows: list[Any]) -> None:
        if seq != self._suggest_seq:
            return  # a newer keystroke's search is on its way
        self.suggestions = rows
        focused = self.focused.id if self.focused is not None else ""
        if self.assist_mode in ("kb", "") or focused in ("f-description", "f-summary"):
            self._set_assist("kb", rows)

    def action_open_suggestion(self) -> None:
        if not self.suggestions:
            self.notify(_("No suggested solutions yet: describe the symptoms first."), markup=False)
            return
        index = 0
        if self.assist_mode == "kb":
            index = self.query_one("#intake-assist", OptionList).highlighted or 0
        self.app.push_screen(ArticleDialog(self.suggestions, index), self._article_chosen)

    def _article_chosen(self, article: Any) -> None:
        if article is None:
            return
        self.kb_article_id = article.article_id
        self.resolution = f"{article.external_id} {article.title}"
        self.draft_dirty = True
        self._banner(
            _("Solved at first contact with {id}: saving as resolved.", id=article.external_id), "info"
        )
        self.action_save()

    # --- saving ------------------------------------------------------------------------------------

    def action_save(self, on_duplicate: str | None = None, duplicate_of: str | None = None) -> None:
        from ..services import intake

        if self.saving:
            return
        self._start_call()
        form = self._read_form()
        known = {c.path for c in self.categories}
        errors = intake.validate(
            form,
            self.rules,
            device_known=self.device is not None,
            category_known=not self.categories or form.category.strip() in known,
        )
        if errors:
            self._show_errors(errors)
            return
        self.saving = True
        self._pending = (on_duplicate, duplicate_of)
        self.call(
            intake.save_call,
            self.desk.database,
            self.desk.actor,
            form,
            rules=self.rules,
            on_duplicate=on_duplicate,
            duplicate_of=duplicate_of,
            caller_choice=self.caller_choice,
            done=self._saved,
            failed=self._save_failed,
            group="save",
        )

    def action_retry(self) -> None:
        if self.pending_retry:
            self._cancel_retry()
            self.action_save(*self._pending)

    def _cancel_retry(self) -> None:
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    def _saved(self, result: Any) -> None:
        self.saving = False
        self.pending_retry = False
        self.refresh_bindings()
        self._cancel_retry()
        self.draft_dirty = False
        self.call(self._draft_store().remove, group="draft")
        script = self._script()
        from ..services.scripts import fill

        caller = result.caller or self.query_one("#f-name", Input).value
        if result.outcome == "chased":
            line = self._chase_lines(script, result, 0)
        else:
            template = script.confirmation_solved if result.first_contact else script.confirmation
            line = fill(template, caller=caller, number=result.number)
        self._reset(keep_script=True)
        self.last_result = result
        self.script_line = f"{line} {fill(script.goodbye)}"
        self._banner("")
        self._after_call()
        self._show_script()
        self._show_pop()

    def _after_call(self) -> None:
        """The call is saved: after-call work until the agent is ready (F9) or takes the next call."""
        self.desk.call_ended(saved=True)
        if self.desk.agent_state[0] == "after_call":
            self._banner(_("After-call work: F9 when ready, or take the next call."), "info")
            self.acw_hint = True
        self._tick()

    def _chase_lines(self, script: Any, result: Any, reply: int) -> str:
        from ..services.scripts import fill

        status = fill(
            script.chase_status,
            number=result.number,
            status=_(STATUS_LABELS.get(result.status, result.status)),
            assignee=result.assignee or _("not assigned yet"),
        )
        sep = " " if script.lang == "en" else ""
        return f"{script.chase_dispatched}{sep}{script.chase_replies[reply]} {status}"

    def _save_failed(self, error: Exception) -> None:
        from ..db import DatabaseError
        from ..services.errors import InvalidInput
        from ..services.intake import CallerChanged, DuplicatesFound

        self.saving = False
        if isinstance(error, CallerChanged):
            self.app.push_screen(CallerDialog(error), self._caller_chosen)
        elif isinstance(error, DuplicatesFound):
            self.app.push_screen(DuplicateDialog(error.candidates), self._duplicate_choice)
        elif isinstance(error, InvalidInput):
            self._show_errors(error.errors)
        elif isinstance(error, DatabaseError):
            self.pending_retry = True
            self.refresh_bindings()
            self._banner(
                _(
                    "Not saved: {reason}. Nothing is lost; retrying every {n} s (Ctrl+R retries now).",
                    reason=str(error),
                    n=int(RETRY_SECONDS),
                ),
                "error",
            )
            self._cancel_retry()
            self._retry_timer = self.set_timer(RETRY_SECONDS, self.action_retry)
        else:
            self._banner(str(error), "error")

    def _caller_chosen(self, choice: str | None) -> None:
        if choice is None:  # back to the call: nothing saved, nothing typed lost
            self.query_one("#f-name", Input).focus()
            return
        self.caller_choice = choice
        self.action_save(*self._pending)

    def _duplicate_choice(self, choice: tuple[str, str] | None) -> None:
        if choice is None:
            return
        action, number = choice
        self.action_save(action, number)

    def _show_errors(self, errors: dict[str, str]) -> None:
        self._clear_errors()
        first = None
        for name, reason in errors.items():
            target = self.query(f"#e-{name}")
            message = _(reason)
            if target:
                error = target.first(Static)
                error.update(f"↳ {message}")
                error.add_class("-shown")
                first = first or name
            else:
                self._banner(f"{name}: {message}", "error")
        if first:
            if first == "priority_reason":
                self.query_one("#row-priority_reason").add_class("-shown")
            widget = self.query_one(f"#f-{first}")
            widget.focus()
            widget.scroll_visible()

    def _clear_error(self, name: str) -> None:
        for error in self.query(f"#e-{name}"):
            error.remove_class("-shown")

    def _clear_errors(self) -> None:
        for error in self.query(".i-error"):
            error.remove_class("-shown")

    def _banner(self, message: str, kind: str = "") -> None:
        self.acw_hint = False
        banner = self.query_one("#intake-banner", Static)
        banner.update(clean(message))
        banner.set_class(kind == "error", "-error")
        banner.set_class(kind == "info", "-info")

    # --- chase -------------------------------------------------------------------------------------

    def action_chase(self) -> None:
        if self.pop is None or not self.pop.open_tickets:
            self.notify(_("Pick a caller with open tickets first (type their phone)."), markup=False)
            return
        words = self.query_one("#f-description", TextArea).text
        self.app.push_screen(
            ChaseDialog(self.pop.open_tickets, self._script(), words, self.call_started_at), self._chased
        )

    def _chased(self, outcome: tuple[Any, int] | None) -> None:
        if outcome is None:
            return
        result, reply = outcome
        script = self._script()
        from ..services.scripts import fill

        self.draft_dirty = False
        self.call(self._draft_store().remove, group="draft")
        self._reset(keep_script=True)
        self.last_result = result
        self.script_line = f"{self._chase_lines(script, result, reply)} {fill(script.goodbye)}"
        self._after_call()
        self._show_script()
        self._show_pop()

    # --- drafts ------------------------------------------------------------------------------------

    def _flush_draft(self) -> None:
        if not self.draft_dirty or self.desk.actor is None:
            return
        self.draft_dirty = False
        data = self._read_form().as_json()
        data["_device_known"] = self.device is not None
        if self.picked is not None:  # what the caller's id meant: checked again on restore
            data["_picked"] = {"name": self.picked.name, "organisation": self.picked.organisation}
        self.call(self._draft_store().save, data, group="draft")

    def _offer_draft(self, data: dict[str, Any] | None) -> None:
        if not data:
            return
        from ..services.intake import IntakeForm

        form = IntakeForm.from_json(data)
        if not any(
            v.strip() for v in (form.name, form.organisation, form.phone, form.description, form.summary)
        ):
            self._discard()  # nothing worth offering back
            return
        started = _local(form.call_started_at, self.desk.settings.timezone) if form.call_started_at else "?"
        who = " · ".join(clean(v, single_line=True) for v in (form.name, form.phone) if v.strip())
        question = _(
            "An unsaved call from {time} was found: {who}. Restore it?", time=started, who=who or "—"
        )

        def answer(yes: bool | None) -> None:
            from ..services import intake

            if yes:  # its ids are checked against this database first
                self.call(
                    intake.restore_draft,
                    self.desk.database,
                    self.desk.actor,
                    data,
                    done=self._restored,
                    group="draft-restore",
                )
            else:
                self._discard()

        self.app.push_screen(ConfirmDialog(question, yes=_("restore"), no=_("discard")), answer)

    def _restored(self, restored: Any) -> None:
        self._reset()
        self._fill_form(restored.form)
        self.picked = restored.caller
        if restored.form.call_started_at is not None:
            self.desk.call_started()  # back on the call that was cut off
        self.draft_dirty = True
        self.notify(_("The unsaved call is back: check it and save."), markup=False)
        if "caller" in restored.dropped:
            self._banner(
                _("The caller picked in this draft is not the same on this desk: look them up again."),
                "error",
            )
        if "article" in restored.dropped:
            self.notify(
                _("The solution chosen in this draft is not the same on this desk: choose it again."),
                severity="warning",
                markup=False,
            )


def _local(at: datetime, timezone: str) -> str:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")  # the desk's time zone


def _warranty_text(status: str, end: Any) -> str:
    if status == "in":
        return _("in warranty until {date}", date=end.isoformat())
    if status == "out":
        return _("out of warranty since {date}", date=end.isoformat())
    return _("warranty unknown")


# --- dialogs ---------------------------------------------------------------------------------------


class CallerDialog(DeskModal[str]):
    """The name or organisation typed is not the picked caller's: update that contact, add a new
    contact in the same organisation, or a new customer. Esc goes back to the call as typed."""

    BINDINGS = [
        Binding("u", "choose('update')", "Update this contact", id="intake.caller_update"),
        Binding("o", "choose('new_contact')", "New contact, same organisation", id="intake.caller_contact"),
        Binding("n", "choose('new_customer')", "New customer", id="intake.caller_new"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]
    HINTS = {
        "update": "u: update this contact",
        "new_contact": "o: new contact in the same organisation",
        "new_customer": "n: new customer",
    }

    def __init__(self, refused: Any) -> None:
        super().__init__()
        self.refused = refused
        self.choices = tuple(refused.choices)

    def compose(self) -> ComposeResult:
        r = self.refused
        with Vertical(classes="dialog", id="caller-dialog"):
            yield Static(_("The caller typed is not the caller picked"), classes="dialog-title", markup=False)
            picked = clean(f"{r.picked.name} · {r.picked.organisation}", single_line=True)
            typed = clean(f"{r.name.strip()} · {r.organisation.strip()}", single_line=True)
            yield Static(_("Picked: {caller}", caller=picked), markup=False)
            yield Static(_("Typed: {caller}", caller=typed), markup=False)
            hints = [_(self.HINTS[c]) for c in self.choices] + [_("Esc: back to the call")]
            yield Static(" · ".join(hints), classes="dialog-hint", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "choose":
            return parameters[0] in self.choices
        return True

    def action_choose(self, choice: str) -> None:
        if choice in self.choices:
            self.dismiss(choice)


class DuplicateDialog(DeskModal[tuple[str, str]]):
    """Open tickets like this call: chase one, link to it, or create anyway."""

    BINDINGS = [
        Binding("c", "choose('chase')", "Chase it", id="intake.dup_chase"),
        Binding("l", "choose('link')", "Link as related", id="intake.dup_link"),
        Binding("n", "choose('create')", "Create anyway", id="intake.dup_create"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]

    def __init__(self, candidates: list[Any]) -> None:
        super().__init__()
        self.candidates = candidates

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="duplicate-dialog"):
            yield Static(
                _("Possible duplicate: this caller or device has similar open tickets"),
                classes="dialog-title",
                markup=False,
            )
            options = []
            for c in self.candidates:
                text = Text(no_wrap=True, overflow="ellipsis")
                text.append(f"{c.number} ", style="bold")
                text.append(f"{c.similarity}% · P{c.priority} · {_(STATUS_LABELS.get(c.status, c.status))}")
                if c.assignee:
                    text.append(" · " + clean(c.assignee, single_line=True))
                text.append("\n  " + clean(c.summary, single_line=True), style="dim")
                options.append(Option(text))
            yield OptionList(*options, id="duplicate-list")
            yield Static(
                _(
                    "c: chase it (log this call on it) · l: new ticket linked to it · "
                    "n: create anyway · Esc: back"
                ),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.highlighted = 0
        listing.focus()

    def action_choose(self, action: str) -> None:
        index = self.query_one(OptionList).highlighted or 0
        self.dismiss((action, self.candidates[index].number))


class ArticleDialog(DeskModal[Any]):
    """A suggested solution to read to the caller; Ctrl+R: it solved the call."""

    BINDINGS = [
        Binding("ctrl+r", "solved", "Solved at first contact", id="intake.solved"),
        Binding("down,n", "step(1)", "Next suggestion", id="intake.article_next"),
        Binding("up,p", "step(-1)", "Previous suggestion", id="intake.article_previous"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]

    def __init__(self, suggestions: list[Any], index: int = 0) -> None:
        super().__init__()
        self.suggestions = suggestions
        self.index = min(index, len(suggestions) - 1)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="article-dialog"):
            yield Static("", id="article-title", classes="dialog-title", markup=False)
            with VerticalScroll(id="article-body"):
                yield Static("", id="article-statements", markup=False)
            yield Static(
                _("Ctrl+R: solved at first contact · ↑/↓: other suggestions · Esc: back"),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self._show()

    def _show(self) -> None:
        s = self.suggestions[self.index]
        title = Text()
        title.append(f"{self.index + 1}/{len(self.suggestions)} {clean(s.external_id)} ", style="dim")
        title.append(clean(s.title, single_line=True), style="bold")
        self.query_one("#article-title", Static).update(title)
        body = Text()
        for i, statement in enumerate(s.statements, 1):
            body.append(f"{i}. ", style="bold")
            body.append(clean(statement) + "\n")
        self.query_one("#article-statements", Static).update(body)

    def action_step(self, delta: int) -> None:
        self.index = (self.index + delta) % len(self.suggestions)
        self._show()

    def action_solved(self) -> None:
        self.dismiss(self.suggestions[self.index])


class ChaseDialog(DeskModal[tuple[Any, int]]):
    """A chase call: pick the open ticket, note the caller's words, read out 我已派工 + a reply
    and the ticket's status; Ctrl+S logs the chase."""

    BINDINGS = [
        Binding("ctrl+s", "log", "Log the chase", id="intake.chase_log"),
        Binding("escape", "cancel", "Back to the call", id="dialog.cancel"),
    ]

    def __init__(self, tickets: list[Any], script: Any, words: str, started: datetime | None) -> None:
        super().__init__()
        self.tickets = tickets
        self.script = script
        self.words = words
        self.started = started
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="chase-dialog"):
            yield Static(
                _("Chase call: which ticket is the caller asking about?"),
                classes="dialog-title",
                markup=False,
            )
            options = []
            for t in self.tickets:
                text = Text(no_wrap=True, overflow="ellipsis")
                text.append(f"{t.number} ", style="bold")
                text.append(f"P{t.priority} · {_(STATUS_LABELS.get(t.status, t.status))}")
                text.append(" · " + clean(t.assignee or _("not assigned yet"), single_line=True))
                text.append("\n  " + clean(t.summary, single_line=True), style="dim")
                options.append(Option(text))
            yield OptionList(*options, id="chase-tickets")
            with Horizontal(classes="form-row"):
                yield Static(_("Caller says"), classes="form-label", markup=False)
                yield Input(self.words.strip(), id="chase-words", compact=True)
            with Horizontal(classes="form-row"):
                yield Static(_("Reply"), classes="form-label", markup=False)
                yield ChoiceField(
                    [(clean(r), i) for i, r in enumerate(self.script.chase_replies)], 0, id="chase-reply"
                )
            yield Static("", id="chase-readout", markup=False)
            yield Static("", id="chase-error", classes="form-error", markup=False)
            yield Static(
                _("Ctrl+S: log the chase · Tab: next · Esc: back"), classes="dialog-hint", markup=False
            )

    def on_mount(self) -> None:
        listing = self.query_one(OptionList)
        listing.highlighted = 0
        listing.focus()
        self._readout()

    @on(OptionList.OptionHighlighted)
    @on(ChoiceField.Changed)
    def _readout(self) -> None:
        from ..services.scripts import fill

        t = self.tickets[self.query_one(OptionList).highlighted or 0]
        reply = self.script.chase_replies[self.query_one("#chase-reply", ChoiceField).value]
        status = fill(
            self.script.chase_status,
            number=t.number,
            status=_(STATUS_LABELS.get(t.status, t.status)),
            assignee=t.assignee or _("not assigned yet"),
        )
        sep = " " if self.script.lang == "en" else ""
        self.query_one("#chase-readout", Static).update(
            Text("❯ " + clean(f"{self.script.chase_dispatched}{sep}{reply} {status}"), style="bold")
        )

    @on(Input.Submitted, "#chase-words")
    def _words_done(self) -> None:
        self.query_one("#chase-reply", ChoiceField).focus()

    def action_log(self) -> None:
        from ..services import intake

        if self.busy:
            return
        self.busy = True
        t = self.tickets[self.query_one(OptionList).highlighted or 0]
        reply = self.query_one("#chase-reply", ChoiceField).value
        self.call(
            intake.chase,
            self.desk.database,
            self.desk.actor,
            t.number,
            words=self.query_one("#chase-words", Input).value,
            call_started_at=self.started,
            done=lambda result: self.dismiss((result, reply)),
            failed=self._failed,
            group="chase",
        )

    def _failed(self, error: Exception) -> None:
        self.busy = False
        self.query_one("#chase-error", Static).update(str(error))
