"""Agents (supervisors and admins): list agents with team, tier and role; add one, deactivate or
reactivate one, reset a password."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Select, Static

from ..dialogs.base import ConfirmDialog, DeskModal
from ..i18n import _
from ..services import agents, directory
from ..services.errors import DeskError, InvalidInput
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell
from .base import DeskScreen

COLUMNS = ("Login", "Name", "No.", "Role", "Tier", "Team", "Manager", "Active")
ROLES = ("operator", "engineer", "supervisor", "admin")


class AgentsScreen(DeskScreen):
    TITLE_TEXT = "Agents"
    BINDINGS = [
        Binding("a", "add", "Add agent", id="agents.add"),
        Binding("d", "toggle_active", "Deactivate/activate", id="agents.deactivate"),
        Binding("p", "password", "Reset password", id="agents.password"),
        Binding("escape", "app.back", "Back", show=False, id="agents.back"),
    ]

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="agents-summary", markup=False)
        yield FastTable(id="agents-table", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in COLUMNS:
            table.add_column(_(label), key=label)
        self.reload()

    def relabel(self) -> None:
        self.refresh(recompose=True)
        self.call_after_refresh(self.on_mount)

    def reload(self) -> None:
        self.call(directory.agents, self.desk.database, self.desk.actor, done=self._show)

    def _show(self, rows: list[directory.AgentRow]) -> None:
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        for r in rows:
            style = "" if r.active else "dim"
            table.add_row(
                *(cell(v, style) for v in (r.login, r.name, r.number)),
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
            _("{n} agents, {active} active", n=len(rows), active=active)
        )

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def action_add(self) -> None:
        self.app.push_screen(AddAgentDialog(), self._added)

    def _added(self, login: str | None) -> None:
        if login:
            self.notify(_("Agent {login} added.", login=login), markup=False)
            self.reload()

    def action_toggle_active(self) -> None:
        login = self._selected()
        if login is None:
            return
        active = self.query_one(DataTable).get_row(login)[-1].plain == _("yes")
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
                    done=lambda _r: self.reload(),
                )

        self.app.push_screen(ConfirmDialog(question), answer)

    def action_password(self) -> None:
        login = self._selected()
        if login is not None:
            self.app.push_screen(PasswordDialog(login), self._password_set)

    def _password_set(self, login: str | None) -> None:
        if login:
            self.notify(_("Password of {login} reset.", login=login), markup=False)


@dataclass
class _Field:
    key: str
    label: str
    password: bool = False


class AddAgentDialog(DeskModal[str | None]):
    """A form: every field on the keyboard (Tab / Enter moves on, Ctrl+S saves)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="dialog.save"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]
    FIELDS = [
        _Field("login", "Login"),
        _Field("name", "Name"),
        _Field("number", "Agent number"),
        _Field("password", "Password", password=True),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Add agent"), classes="dialog-title", markup=False)
            for f in self.FIELDS:
                with Horizontal(classes="form-row"):
                    yield Static(_(f.label), classes="form-label", markup=False)
                    yield Input(id=f"f-{f.key}", password=f.password, compact=True)
                yield Static("", id=f"e-{f.key}", classes="form-error", markup=False)
            with Horizontal(classes="form-row"):
                yield Static(_("Role"), classes="form-label", markup=False)
                yield Select(
                    [(_(r), r) for r in self.roles()],
                    value="operator",
                    allow_blank=False,
                    id="f-role",
                    compact=True,
                )
            with Horizontal(classes="form-row"):
                yield Static(_("Tier"), classes="form-label", markup=False)
                yield Select(
                    [("1", 1), ("2", 2), ("3", 3)], value=1, allow_blank=False, id="f-tier", compact=True
                )
            with Horizontal(classes="form-row"):
                yield Static(_("Team"), classes="form-label", markup=False)
                yield Select([], id="f-team", prompt=_("(no team)"), compact=True)
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Ctrl+S: save · Esc: cancel"), classes="dialog-hint", markup=False)

    def roles(self) -> list[str]:
        """The roles this agent may give (the service decides; the form offers no more). A supervisor
        without a team may give none: the form offers one, and the service's refusal says why."""
        actor = self.desk.actor
        mine = [r for r in ROLES if actor is not None and agents.may_manage(actor, r, actor.team_id)]
        return mine or ["operator"]

    def on_mount(self) -> None:
        self.call(directory.teams, self.desk.database, by_tier=True, done=self._teams)
        self.query_one("#f-login", Input).focus()

    def _teams(self, names: list[str]) -> None:
        team = self.query_one("#f-team", Select)
        team.set_options([(n, n) for n in names])
        actor = self.desk.actor
        if actor is not None and actor.team in names:  # a supervisor adds to their own team
            team.value = actor.team

    @on(Input.Submitted)
    def _next_field(self) -> None:
        self.focus_next()

    def action_save(self) -> None:
        values = {f.key: self.query_one(f"#f-{f.key}", Input).value for f in self.FIELDS}
        team = self.query_one("#f-team", Select).value
        for f in self.FIELDS:
            self.query_one(f"#e-{f.key}", Static).update("")
        self.call(
            agents.add_agent,
            self.desk.database,
            self.desk.actor,
            login=values["login"],
            name=values["name"],
            number=values["number"],
            password=values["password"],
            role=str(self.query_one("#f-role", Select).value),
            tier=int(self.query_one("#f-tier", Select).value),  # type: ignore[arg-type]
            team=team if isinstance(team, str) else None,
            done=lambda row: self.dismiss(row.login),
            failed=self._refused,
        )

    def _refused(self, error: Exception) -> None:
        if isinstance(error, InvalidInput):
            first = None
            for key, reason in error.errors.items():
                target = self.query(f"#e-{key}")
                if target:
                    target.first(Static).update(_(reason))
                    first = first or key
                else:
                    self.query_one("#e-form", Static).update(f"{key}: {_(reason)}")
            if first:
                self.query_one(f"#f-{first}", Input).focus()
        elif isinstance(error, DeskError):
            self.query_one("#e-form", Static).update(str(error))
        else:
            self.query_one("#e-form", Static).update(str(error))


class PasswordDialog(DeskModal[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("New password for {login}", login=clean(self.login)), markup=False)
            yield Input(password=True, id="new-password")
            yield Static("", id="e-password", classes="form-error", markup=False)
            yield Static(_("Enter: set · Esc: cancel"), classes="dialog-hint", markup=False)

    @on(Input.Submitted)
    def _set(self, event: Input.Submitted) -> None:
        self.call(
            agents.set_password,
            self.desk.database,
            self.desk.actor,
            self.login,
            event.value,
            done=lambda _r: self.dismiss(self.login),
            failed=lambda e: self.query_one("#e-password", Static).update(str(e)),
        )
