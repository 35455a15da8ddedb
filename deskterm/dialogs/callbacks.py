"""The callback's dialogs: the satisfaction survey on keys (fixed) and what is still wrong (not
fixed). Both return what the agent entered; the callback screen records it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static

from ..i18n import _
from ..services import callbacks
from ..services.errors import InvalidInput
from ..widgets.labels import SURVEY_QUESTIONS, SURVEY_RATINGS
from .base import DeskModal

QUESTIONS = tuple(SURVEY_QUESTIONS)  # in the order asked


class SurveyDialog(DeskModal[tuple[callbacks.SurveyAnswers | None] | None]):
    """The satisfaction survey on keys: ↑/↓ choose the question, 1-4 answer it (and move on),
    Tab to the comments, Ctrl+S save; Ctrl+N: the customer declined the survey (close anyway)."""

    BINDINGS = [
        *(Binding(str(n), f"rate({n})", text, id=f"survey.{n}") for n, text in SURVEY_RATINGS.items()),
        Binding("up", "move(-1)", "Previous question", id="survey.up", show=False),
        Binding("down", "move(1)", "Next question", id="survey.down", show=False),
        Binding("ctrl+s", "save", "Save and close", id="survey.save"),
        Binding("ctrl+n", "skip", "No survey", id="survey.skip"),
        Binding("escape", "cancel", "Cancel", id="survey.cancel"),
    ]

    AUTO_FOCUS = ""  # nothing: the digits answer the questions until Tab moves to the comments

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.ratings: dict[str, int] = {}
        self.current = 0

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                _("Satisfaction survey · {number}", number=self.number), classes="dialog-title", markup=False
            )
            for key in QUESTIONS:
                yield Static("", id=f"q-{key}", classes="survey-question")
            with Horizontal(classes="form-row"):
                yield Static(_("Comments"), classes="form-label", markup=False)
                yield Input(id="survey-comment", compact=True)
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(
                _("↑/↓ question · 1-4 answer · Tab comments · Ctrl+S save · Ctrl+N no survey · Esc cancel"),
                classes="dialog-hint",
                markup=False,
            )

    def on_mount(self) -> None:
        self._render_questions()

    def _render_questions(self) -> None:
        for i, key in enumerate(QUESTIONS):
            line = Text("▶ " if i == self.current else "  ", style="bold")
            line.append(f"{i + 1}. {_(SURVEY_QUESTIONS[key])}: ")
            value = self.ratings.get(key)
            if value is None:
                line.append("1-4", style="dim")
            else:
                line.append(
                    f"{value} {_(SURVEY_RATINGS[value])}", style="bold green" if value <= 2 else "bold yellow"
                )
            self.query_one(f"#q-{key}", Static).update(line)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # While typing the comments, digits and arrows belong to the text box.
        return not (action == "rate" and isinstance(self.focused, Input))

    def action_rate(self, value: int) -> None:
        self.ratings[QUESTIONS[self.current]] = value
        self.current = min(self.current + 1, len(QUESTIONS) - 1)
        self._render_questions()

    def action_move(self, step: int) -> None:
        self.set_focus(None)  # back from the comments to the questions
        self.current = max(0, min(self.current + step, len(QUESTIONS) - 1))
        self._render_questions()

    def action_save(self) -> None:
        missing = [_(SURVEY_QUESTIONS[key]) for key in QUESTIONS if key not in self.ratings]
        if missing:
            self.query_one("#e-form", Static).update(
                _("Answer every question: {which}", which=", ".join(missing))
            )
            return
        comment = self.query_one("#survey-comment", Input).value
        answers = callbacks.SurveyAnswers(comment=comment, **self.ratings)
        try:
            answers.validate()
        except InvalidInput as e:
            self.query_one("#e-form", Static).update(str(e))
            return
        self.dismiss((answers,))

    def action_skip(self) -> None:
        self.dismiss((None,))


class NoteDialog(DeskModal[str | None]):
    """Not fixed: what is still wrong (the note goes to the assignee with the reopened ticket)."""

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Not fixed · {number}", number=self.number), classes="dialog-title", markup=False)
            yield Static(_("What is still wrong?"), markup=False)
            yield Input(id="note")
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: reopen · Esc: cancel"), classes="dialog-hint", markup=False)

    @on(Input.Submitted)
    def _done(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.query_one("#e-form", Static).update(_("required: what is still wrong?"))
            return
        self.dismiss(event.value.strip())
