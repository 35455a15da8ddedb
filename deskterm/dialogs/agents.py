"""The agents screen's dialogs: add an agent, reset a password, set a phone extension. Each calls
its service and shows a refusal in place (ServiceDialog); deactivating asks the shared ConfirmDialog."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Input, Select, Static

from ..i18n import _
from ..services import agents, directory
from ..services.errors import InvalidInput
from ..text import clean
from ..widgets.service import ServiceDone
from .base import ServiceDialog, Submitted

ROLES = ("operator", "engineer", "supervisor", "admin")


@dataclass
class _Field:
    key: str
    label: str
    password: bool = False


class TeamsRead(ServiceDone[list[str]]):
    """The teams an agent can be added to."""


class AddAgentDialog(ServiceDialog):
    """A form: every field on the keyboard (Tab / Enter moves on, Ctrl+S saves). `added` is the
    login of the agent added, once the dialog closed with True."""

    FIELDS = [
        _Field("login", "Login"),
        _Field("name", "Name"),
        _Field("number", "Agent number"),
        _Field("password", "Password", password=True),
        _Field("extension", "Phone extension"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.added: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Add agent"), classes="dialog-title", markup=False)
            for f in self.FIELDS:
                yield from self.labelled(f.label, Input(id=f"f-{f.key}", password=f.password, compact=True))
                yield Static("", id=f"e-{f.key}", classes="form-error", markup=False)
            roles = [(_(r), r) for r in self.roles()]
            yield from self.labelled(
                "Role", Select(roles, value="operator", allow_blank=False, id="f-role", compact=True)
            )
            tiers = [("1", 1), ("2", 2), ("3", 3)]
            yield from self.labelled(
                "Tier", Select(tiers, value=1, allow_blank=False, id="f-tier", compact=True)
            )
            yield from self.labelled("Team", Select([], id="f-team", prompt=_("(no team)"), compact=True))
            yield from self.hint()

    def roles(self) -> list[str]:
        """The roles this agent may give (the service decides; the form offers no more). A supervisor
        without a team may give none: the form offers one, and the service's refusal says why."""
        actor = self.actor
        mine = [r for r in ROLES if actor is not None and agents.may_manage(actor, r, actor.team_id)]
        return mine or ["operator"]

    def on_mount(self) -> None:
        self.call(directory.teams, self.db, by_tier=True, result=TeamsRead, group="teams")
        self.query_one("#f-login", Input).focus()

    def on_teams_read(self, message: TeamsRead) -> None:
        names = message.value
        team = self.query_one("#f-team", Select)
        team.set_options([(n, n) for n in names])
        actor = self.actor
        if actor is not None and actor.team in names:  # a supervisor adds to their own team
            team.value = actor.team

    def action_save(self) -> None:
        values = {f.key: self.query_one(f"#f-{f.key}", Input).value for f in self.FIELDS}
        team = self.query_one("#f-team", Select).value
        for f in self.FIELDS:
            self.query_one(f"#e-{f.key}", Static).update("")
        self.submit(
            agents.add_agent,
            self.db,
            self.actor,
            login=values["login"],
            name=values["name"],
            number=values["number"],
            password=values["password"],
            role=str(self.query_one("#f-role", Select).value),
            tier=int(self.query_one("#f-tier", Select).value),  # type: ignore[arg-type]  # allow_blank=False: an int
            team=team if isinstance(team, str) else None,
            extension=values["extension"],
        )

    def on_submitted(self, message: Submitted) -> None:
        self.added = message.value.login  # then ServiceDialog's handler closes the dialog

    def refused(self, error: Exception) -> None:
        """Each field's reason under the field (the first such field takes the focus); the rest below."""
        if not isinstance(error, InvalidInput):
            super().refused(error)
            return
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


class PasswordDialog(ServiceDialog):
    """A new password for `login`: Enter (or Ctrl+S) sets it."""

    ENTER_SAVES = True

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("New password for {login}", login=clean(self.login)), markup=False)
            yield Input(password=True, id="new-password")
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: set · Esc: cancel"), classes="dialog-hint", markup=False)

    def action_save(self) -> None:
        password = self.query_one("#new-password", Input).value
        self.submit(agents.set_password, self.db, self.actor, self.login, password)


class ExtensionDialog(ServiceDialog):
    """The phone extension the PBX rings for `login` (empty: none): Enter (or Ctrl+S) sets it."""

    ENTER_SAVES = True

    def __init__(self, login: str, extension: str) -> None:
        super().__init__()
        self.login = login
        self.extension = extension

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Phone extension of {login}", login=clean(self.login)), markup=False)
            yield Input(self.extension, id="f-extension", max_length=20)
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: set · empty: none · Esc: cancel"), classes="dialog-hint", markup=False)

    def action_save(self) -> None:
        extension = self.query_one("#f-extension", Input).value
        self.submit(agents.edit_agent, self.db, self.actor, self.login, extension=extension)
