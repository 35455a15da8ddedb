"""Give a ticket to an agent (supervisors; workflow.assign checks the right again): the agents in a
list, a reason, Enter assigns the highlighted agent as of the version shown."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import _
from ..services import directory, workflow
from ..text import clean
from ..widgets.service import ServiceDone
from .base import ServiceDialog


class AgentsLoaded(ServiceDone[list[tuple[str, str, str]]]):
    """(login, name, team) of the agents a ticket can be given to."""


class AssignDialog(ServiceDialog):
    BINDINGS = [*ServiceDialog.BINDINGS]
    ENTER_SAVES = True  # in the reason: assign to the agent highlighted

    def __init__(
        self, number: str, version: int, *, seen: Mapping[str, Any] | None = None, reason: str = ""
    ) -> None:
        super().__init__()
        self.number = number
        self.version = version
        self.seen = seen
        self.reason = reason

    @classmethod
    def for_view(cls, view: workflow.TicketView) -> AssignDialog:
        return cls(view.number, view.version, seen=workflow.snapshot(view.detail))

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Assign {number}", number=self.number), classes="dialog-title", markup=False)
            yield OptionList(id="assign-agents")
            yield from self.labelled("Reason", Input(self.reason, id="f-reason", compact=True))
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: assign · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.call(directory.assignees, self.db, result=AgentsLoaded, group="agents")

    def on_agents_loaded(self, message: AgentsLoaded) -> None:
        options = self.query_one(OptionList)
        for login, name, team in message.value:
            label = Text(clean(name, single_line=True))
            if team:
                label.append(f"  {clean(team, single_line=True)}", style="dim")
            options.add_option(Option(label, id=login))
        options.focus()

    @on(OptionList.OptionSelected)
    def action_save(self) -> None:
        options = self.query_one(OptionList)
        option = options.highlighted_option
        if option is None or option.id is None:
            self.query_one("#e-form", Static).update(_("Choose an agent."))
            return
        self.submit(
            workflow.assign,
            self.db,
            self.actor,
            self.number,
            option.id,
            reason=self.query_one("#f-reason", Input).value,
            version=self.version,
            seen=self.seen,
        )
