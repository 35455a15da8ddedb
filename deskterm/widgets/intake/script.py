"""The intake's top line: what to read out (the greeting, the question of the field in hand, the
confirmation and goodbye once saved) and the call timer (or the after-call work's)."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from ... import clock
from ...i18n import _, language
from ...services.intake import IntakeResult
from ...services.scripts import Script, fill, load_script
from ...text import clean
from .base import DeskWidget
from .chase import chase_readout


class ScriptLine(Horizontal, DeskWidget):
    """Owns the call's start (the timer) and the line said once the call is saved."""

    DEFAULT_CSS = """
    ScriptLine #intake-script { width: 1fr; height: auto; max-height: 3; text-style: bold; }
    ScriptLine #intake-timer { width: 8; height: 1; text-align: right; color: $text-muted; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.started_at: datetime | None = None
        self.said = ""  # the confirmation and goodbye, shown until the operator types again

    def compose(self) -> ComposeResult:
        yield Static("", id="intake-script", markup=False)
        yield Static("", id="intake-timer", markup=False)

    def script(self) -> Script:
        settings = self.desk.settings
        return load_script(language(), settings.scripts if settings is not None else None)

    def start(self, at: datetime | None = None) -> bool:
        """The call starts (New call or the first key; `at`: when the phone was answered); False if
        it had already."""
        if self.started_at is not None:
            return False
        self.started_at = at or clock.now()
        self.said = ""
        return True

    def clear(self, *, keep_said: bool = False) -> None:
        self.started_at = None
        if not keep_said:
            self.said = ""

    def restore(self, started_at: datetime | None) -> None:
        self.started_at = started_at

    def say(self, line: str) -> None:
        self.said = line

    def say_logged(self, result: IntakeResult, caller: str, reply: int = 0) -> None:
        """The call is logged: its confirmation (a chase: 我已派工, the reply, the status) and goodbye."""
        script = self.script()
        if result.outcome == "chased":
            line = chase_readout(script, result, reply)
        else:
            template = script.confirmation_solved if result.first_contact else script.confirmation
            line = fill(template, caller=result.caller or caller, number=result.number)
        self.said = f"{line} {fill(script.goodbye)}"

    def show(self, field: str, *, idle: bool) -> None:
        """The line to read: what was said, the greeting before anything is typed, else the
        field's question."""
        script = self.script()
        if self.said:
            line = self.said
        elif idle:  # nothing typed yet (New call started the timer, or not): the greeting
            actor = self.desk.actor
            settings = self.desk.settings
            desk = (
                (settings.desk_name_zh if language() == "zh" else settings.desk_name)
                if settings
                else "deskterm"
            )
            line = fill(
                script.greeting,
                desk=desk,
                agent=actor.name if actor else "",
                agent_number=actor.number if actor else "",
            )
        else:
            question = script.question(field)
            line = f"❯ {question}" if question else ""
        self.query_one("#intake-script", Static).update(clean(line))

    def tick(self) -> None:
        timer = self.query_one("#intake-timer", Static)
        state, _reason = self.desk.agent_state
        since = self.desk.agent_state_since
        if self.started_at is None and state == "after_call" and since:
            seconds = max(0, int((clock.now() - since).total_seconds()))
            timer.update(_("ACW") + f" {seconds // 60}:{seconds % 60:02d}")
        elif self.started_at is None:
            timer.update("")
        else:
            seconds = max(0, int((clock.now() - self.started_at).total_seconds()))
            timer.update(f"⏱ {seconds // 60:02d}:{seconds % 60:02d}")
