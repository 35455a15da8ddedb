"""Give a ticket, or several marked tickets, to an agent (supervisors; workflow.assign and
workflow.assign_many check the right again). The agents are listed with their console's state and
their open tickets, and filtered as the supervisor types a name, login or team; a reason; Enter
assigns the highlighted agent as of the version shown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ..i18n import _, _n
from ..services import directory, workflow
from ..text import clean, pad
from ..widgets.labels import AGENT_STATES, in_language
from ..widgets.service import ServiceDone
from .base import ServiceDialog, Submitted

HEARTBEAT_TIMEOUT = 60.0  # without the desk's settings: a console silent this long is logged out


class AgentsLoaded(ServiceDone[list[tuple[str, str, str]]]):
    """(login, name, team) of the agents a ticket can be given to (the work sheet's engineer)."""


class AgentLoads(ServiceDone[list[directory.Assignee]]):
    """The agents a ticket can be given to, with their state and open tickets."""


def agent_line(a: directory.Assignee) -> Text:
    """One agent as the list shows it: name, team, state, open tickets, in columns of cells."""
    label, style = AGENT_STATES.get(a.state, (a.state, ""))
    state = _(label)
    name, name_zh = a.reason
    if name:
        state += " · " + clean(in_language(name, name_zh), single_line=True)
    line = Text(pad(clean(a.name, single_line=True), 20) + " ")
    line.append(pad(clean(a.team, single_line=True), 16) + " ", style="dim")
    line.append(pad(state, 14) + " ", style=style)
    line.append(_n("{n} open", "{n} open", a.open), style="bold" if a.open else "dim")
    return line


def matches(a: directory.Assignee, typed: str) -> bool:
    """The agent's name, login or team contains what was typed (any case)."""
    typed = typed.strip().casefold()
    return not typed or any(typed in v.casefold() for v in (a.name, a.login, a.team))


class AssignDialog(ServiceDialog):
    BINDINGS = [*ServiceDialog.BINDINGS]
    ENTER_SAVES = True  # in the reason: assign to the agent highlighted
    DEFAULT_CSS = """
    AssignDialog #assign-agents { height: auto; max-height: 12; }
    """

    def __init__(
        self, number: str, version: int, *, seen: Mapping[str, Any] | None = None, reason: str = ""
    ) -> None:
        super().__init__()
        self.number = number
        self.version = version
        self.seen = seen
        self.reason = reason
        self.agents: list[directory.Assignee] = []

    @classmethod
    def for_view(cls, view: workflow.TicketView) -> AssignDialog:
        return cls(view.number, view.version, seen=workflow.snapshot(view.detail))

    def heading(self) -> str:
        return _("Assign {number}", number=self.number)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(self.heading(), classes="dialog-title", markup=False)
            yield from self.labelled("Find agent", Input(id="f-search", compact=True))
            yield OptionList(id="assign-agents")
            yield from self.labelled("Reason", Input(self.reason, id="f-reason", compact=True))
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: assign · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        settings = self.desk.settings
        timeout = settings.presence_timeout if settings else HEARTBEAT_TIMEOUT
        self.call(
            directory.assignee_load, self.db, self.actor, timeout=timeout, result=AgentLoads, group="agents"
        )
        self.query_one("#f-search", Input).focus()

    def on_agent_loads(self, message: AgentLoads) -> None:
        self.agents = message.value
        self._list()

    @on(Input.Changed, "#f-search")
    def _list(self) -> None:
        typed = self.query_one("#f-search", Input).value
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(agent_line(a), id=a.login) for a in self.agents if matches(a, typed)])
        if options.option_count:
            options.highlighted = 0

    def key_down(self) -> None:
        """Down / Up in the search field move through the list, so typing and choosing go together."""
        self._move(1)

    def key_up(self) -> None:
        self._move(-1)

    def _move(self, step: int) -> None:
        options = self.query_one(OptionList)
        if self.focused is self.query_one("#f-search") and options.option_count:
            options.highlighted = min(max((options.highlighted or 0) + step, 0), options.option_count - 1)

    def action_enter_field(self) -> None:
        if self.is_active and self.focused is self.query_one("#f-search"):
            self.action_save()  # Enter after typing a name: the agent highlighted
            return
        super().action_enter_field()

    def chosen(self) -> str | None:
        option = self.query_one(OptionList).highlighted_option
        if option is None or option.id is None:
            self.query_one("#e-form", Static).update(_("Choose an agent."))
            return None
        return option.id

    @on(OptionList.OptionSelected)
    def action_save(self) -> None:
        login = self.chosen()
        if login is not None:
            self.submit(
                workflow.assign,
                self.db,
                self.actor,
                self.number,
                login,
                reason=self.query_one("#f-reason", Input).value,
                version=self.version,
                seen=self.seen,
            )


class BulkAssignDialog(AssignDialog):
    """Give every marked ticket (number, version shown) to one agent; the tickets changed meanwhile
    are left as they are and named in the report, the others assigned."""

    def __init__(self, marked: Sequence[tuple[str, int]], *, reason: str = "") -> None:
        super().__init__("", 0, reason=reason)
        self.marked = list(marked)

    def heading(self) -> str:
        return _n("Assign {n} marked ticket", "Assign {n} marked tickets", len(self.marked))

    def action_save(self) -> None:
        login = self.chosen()
        if login is not None:
            reason = self.query_one("#f-reason", Input).value
            self.submit(workflow.assign_many, self.db, self.actor, self.marked, login, reason=reason)

    def on_submitted(self, message: Submitted) -> None:
        message.prevent_default()  # this dismisses, once (not ServiceDialog's handler as well)
        result: workflow.BulkResult = message.value
        self.notify(_n("{n} ticket assigned.", "{n} tickets assigned.", len(result.assigned)), markup=False)
        if result.refused:
            lines = [f"{number}: {_(why)}" for number, why in result.refused]
            title = _n("{n} ticket left as it was:", "{n} tickets left as they were:", len(result.refused))
            self.notify("\n".join([title, *lines]), severity="warning", markup=False, timeout=15)
        self.dismiss(True)
