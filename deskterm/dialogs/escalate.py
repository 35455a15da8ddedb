"""Manual escalation of one ticket: functional (to a team, the next tier by default) or
hierarchical (the next person up the line), with the reason and the time the next line expects to
need, which the desk reads to the customer. Opened by the ticket screen:

    app.push_screen(EscalateDialog(number), callback)  # callback(EscalationResult | None)
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Select, Static

from ..i18n import _
from ..services import escalation
from ..services.errors import InvalidInput
from ..text import clean
from ..widgets.service import ServiceDone, ServiceFailed, refusal_text
from .base import FormDialog


class OptionsLoaded(ServiceDone[escalation.EscalationOptions]):
    """Where the ticket can go up to, and whether the agent may send it."""


class Escalated(ServiceDone[escalation.EscalationResult]):
    """The ticket went up: the dialog closes with the result."""


class EscalateDialog(FormDialog["escalation.EscalationResult | None"]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Escalate", id="escalate.save"),
        Binding("escape", "cancel", "Cancel", id="escalate.cancel"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.options: escalation.EscalationOptions | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form", id="escalate-dialog"):
            yield Static(_("Escalate {number}", number=self.number), classes="dialog-title", markup=False)
            with Horizontal(classes="form-row"):
                yield Static(_("Kind"), classes="form-label", markup=False)
                yield Select(
                    [(_("Functional: to a more skilled line"), "functional")],
                    id="f-mode",
                    allow_blank=False,
                    compact=True,
                )
            yield Static("", id="e-mode", classes="form-error", markup=False)
            with Horizontal(classes="form-row", id="row-team"):
                yield Static(_("To team"), classes="form-label", markup=False)
                yield Select([], id="f-team", compact=True, prompt=_("(next tier)"))
            yield Static("", id="e-team", classes="form-error", markup=False)
            yield Static("", id="escalate-to", markup=False)
            with Horizontal(classes="form-row"):
                yield Static(_("Reason"), classes="form-label", markup=False)
                yield Input(id="f-reason", compact=True, placeholder=_("why does it go up?"))
            yield Static("", id="e-reason", classes="form-error", markup=False)
            with Horizontal(classes="form-row"):
                yield Static(_("Expected time"), classes="form-label", markup=False)
                yield Input(id="f-expected", compact=True, placeholder=_("e.g. 2h, 45m, 1d"))
            yield Static("", id="e-expected", classes="form-error", markup=False)
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Ctrl+S: escalate · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#f-reason", Input).focus()  # at once: the reason is typed while the options load
        options = escalation.escalation_options
        self.call(options, self.db, self.actor, self.number, result=OptionsLoaded, group="options")

    def on_options_loaded(self, message: OptionsLoaded) -> None:
        self.options = options = message.value
        mode = self.query_one("#f-mode", Select)
        labels = {
            "functional": _("Functional: to a more skilled line"),
            "hierarchical": _("Hierarchical: to management"),
        }
        if not options.allowed:
            self.query_one("#e-form", Static).update(_("You may not escalate this ticket."))
            mode.disabled = True
            return
        mode.set_options([(labels[m], m) for m in options.allowed])
        mode.value = options.allowed[0]
        self.query_one("#f-team", Select).set_options(
            [(Text(clean(name) + " " + _("(tier {tier})", tier=tier)), name) for name, tier in options.teams]
        )
        self._describe()

    @on(Select.Changed)
    def _describe(self) -> None:
        if self.options is None:
            return
        o = self.options
        mode = self.query_one("#f-mode", Select).value
        self.query_one("#row-team").display = mode == "functional"
        if mode == "hierarchical":
            text = (
                _("Goes to {person} (escalation level {level})", person=o.next_person, level=o.level + 1)
                if o.next_person
                else _("Nobody above: the top of the line.")
            )
        else:
            team = self.query_one("#f-team", Select).value
            target = team if isinstance(team, str) else o.next_tier_team or _("(no higher tier)")
            text = _(
                "Now with {team} (tier {tier}); goes to {target}", team=o.team, tier=o.tier, target=target
            )
        self.query_one("#escalate-to", Static).update(text)

    def action_save(self) -> None:
        if self.options is None or not self.options.allowed:
            return
        for key in ("mode", "team", "reason", "expected", "form"):
            self.query_one(f"#e-{key}", Static).update("")
        mode = str(self.query_one("#f-mode", Select).value)
        team = self.query_one("#f-team", Select).value
        self.call(
            escalation.escalate,
            self.db,
            self.actor,
            self.number,
            mode=mode,
            reason=self.query_one("#f-reason", Input).value,
            expected=self.query_one("#f-expected", Input).value,
            team=team if mode == "functional" and isinstance(team, str) else None,
            version=self.options.version,
            result=Escalated,
        )

    def on_escalated(self, message: Escalated) -> None:
        self.dismiss(message.value)

    def on_service_failed(self, message: ServiceFailed) -> None:
        """A refusal is shown in place: each field's reason under the field, the rest below."""
        message.stop()
        error = message.error
        if isinstance(error, InvalidInput):
            for key, reason in error.errors.items():
                target = self.query(f"#e-{key}")
                shown = target.first(Static) if target else self.query_one("#e-form", Static)
                shown.update(Text(_(reason)))
        else:
            self.query_one("#e-form", Static).update(Text(refusal_text(error)))
