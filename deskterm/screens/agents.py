"""Agents (supervisors and admins): list agents with team, tier, role and phone extension; add one,
deactivate or reactivate one, reset a password, set an extension."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from ..dialogs.agents import AddAgentDialog, ExtensionDialog, PasswordDialog
from ..dialogs.base import ConfirmDialog
from ..i18n import _, _n
from ..services import agents, directory
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.service import ServiceDone
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell
from .base import DeskScreen

COLUMNS = [
    (label, label) for label in ("Login", "Name", "No.", "Ext.", "Role", "Tier", "Team", "Manager", "Active")
]


class AgentsRead(ServiceDone[list[directory.AgentRow]]):
    """The agents this supervisor or admin manages."""


class ActiveSet(ServiceDone[None]):
    """An agent was deactivated or activated again."""


class AgentsScreen(DeskScreen):
    TITLE_TEXT = "Agents"
    BINDINGS = [
        Binding("a", "add", "Add agent", id="agents.add"),
        Binding("d", "toggle_active", "Deactivate/activate", id="agents.deactivate"),
        Binding("p", "password", "Reset password", id="agents.password"),
        Binding("x", "extension", "Extension", id="agents.extension", show=False),  # in the keys (?)
        Binding("escape", "app.back", "Back", show=False, id="agents.back"),
    ]

    rows: list[directory.AgentRow] = []  # as last read

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="agents-summary", markup=False)
        yield FastTable(
            columns=COLUMNS,
            narrow=("Manager", "No.", "Ext."),
            id="agents-table",
            cursor_type="row",
            zebra_stripes=True,
        )
        yield DeskFooter()

    def relabel(self) -> None:
        self.refresh(recompose=True)  # the new table reports Ready: it is filled then

    @on(FastTable.Ready)
    def reload(self) -> None:
        self.call(directory.agents, self.desk.database, self.desk.actor, result=AgentsRead, group="agents")

    def on_agents_read(self, message: AgentsRead) -> None:
        rows = self.rows = message.value
        table = self.query_one(FastTable)
        cursor = table.cursor_row
        table.clear()
        for r in rows:
            style = "" if r.active else "dim"
            table.add_row(
                *(cell(v, style) for v in (r.login, r.name, r.number, r.extension)),
                Text(_(r.role), style=style),
                Text(str(r.tier), style=style),
                cell(r.team, style),
                cell(r.manager, style),
                Text(_("yes") if r.active else _("no"), style=style),
                key=r.login,
            )
        if rows:
            table.move_cursor(row=min(cursor, len(rows) - 1))
        active = sum(r.active for r in rows)
        self.query_one("#agents-summary", Static).update(
            _n("1 agent, {active} active", "{n} agents, {active} active", len(rows), active=active)
        )

    def on_active_set(self, _message: ActiveSet) -> None:
        self.reload()

    def action_add(self) -> None:
        dialog = AddAgentDialog()
        self.app.push_screen(dialog, lambda ok: self._added(dialog.added) if ok else None)

    def _added(self, login: str | None) -> None:
        self.notify(_("Agent {login} added.", login=login), markup=False)
        self.reload()

    def action_toggle_active(self) -> None:
        table = self.query_one(FastTable)
        login = table.cursor_key()
        if login is None:
            return
        active = table.get_row(login)[-1].plain == _("yes")
        question = (
            _("Deactivate {login}? They can no longer log in.", login=login)
            if active
            else _("Activate {login} again?", login=login)
        )

        def answer(yes: bool | None) -> None:
            if yes:
                self.call(
                    agents.set_active,
                    self.desk.database,
                    self.desk.actor,
                    login,
                    not active,
                    result=ActiveSet,
                )

        self.app.push_screen(ConfirmDialog(question), answer)

    def action_password(self) -> None:
        login = self.query_one(FastTable).cursor_key()
        if login is not None:
            reset = _("Password of {login} reset.", login=login)
            self.app.push_screen(
                PasswordDialog(login), lambda ok: self.notify(reset, markup=False) if ok else None
            )

    def action_extension(self) -> None:
        login = self.query_one(FastTable).cursor_key()
        row = next((r for r in self.rows if r.login == login), None)
        if row is None:
            return
        self.app.push_screen(
            ExtensionDialog(row.login, row.extension), lambda ok: self.reload() if ok else None
        )
