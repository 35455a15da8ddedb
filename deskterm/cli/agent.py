"""`deskterm agent`: agents (logins, roles, teams, passwords, login attempts) and, under
`deskterm agent key`, the public keys agents log in with over SSH (`deskterm serve`)."""

from __future__ import annotations

import sys
from dataclasses import asdict
from pathlib import Path

import typer

from ..i18n import later
from .common import (
    AS,
    TABLE_OR_JSON,
    authenticate,
    cell,
    fail,
    maybe_authenticate,
    open_db,
    out,
    print_json,
    print_table,
    stamps,
    user_errors,
    yes_no,
)

app = typer.Typer(help="Manage agents (logins, roles, teams).", no_args_is_help=True)
key_app = typer.Typer(help="Agents' SSH public keys (for `deskterm serve`).", no_args_is_help=True)
app.add_typer(key_app, name="key")

KEY_AS = typer.Option(
    ..., "--as", metavar="LOGIN", help="The acting agent (password: DESKTERM_PASSWORD or a prompt)."
)


def _password_from(stdin: bool, prompt: str) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask for the password: use --password-stdin", 2)
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


@app.command("add")
@user_errors
def agent_add(
    login: str,
    name: str = typer.Option(..., "--name", help="Display name."),
    number: str = typer.Option(..., "--number", help="Agent number, spoken in the greeting."),
    role: str = typer.Option("operator", "--role", help="operator | engineer | supervisor | admin"),
    tier: int = typer.Option(1, "--tier", min=1, max=3, help="Support line 1-3."),
    team: str | None = typer.Option(None, "--team", help="Team name (see `deskterm agent teams`)."),
    manager: str | None = typer.Option(None, "--manager", help="Login of the agent's manager."),
    email: str = typer.Option("", "--email"),
    kb_editor: bool = typer.Option(False, "--kb-editor", help="May edit the knowledge base."),
    extension: str = typer.Option("", "--extension", help="The phone extension the PBX rings for the agent."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the new agent's password from standard input."
    ),
    as_: str | None = typer.Option(
        None,
        "--as",
        metavar="LOGIN",
        help="An admin, or a supervisor for their own team's operators and engineers. "
        "Without it: only the first agent of an empty desk, its admin.",
    ),
) -> None:
    """Add an agent (password from a prompt or --password-stdin)."""
    from ..services import agents
    from ..services.errors import PermissionDenied

    database = open_db()
    actor = maybe_authenticate(database, as_)
    password = _password_from(password_stdin, f"Password for {login}")
    try:
        row = agents.add_agent(
            database,
            actor,
            login=login,
            name=name,
            number=number,
            role=role,
            tier=tier,
            team=team,
            manager=manager,
            email=email,
            password=password,
            kb_editor=kb_editor,
            extension=extension,
        )
    except PermissionDenied as e:
        if actor is None:
            raise PermissionDenied(
                later("{reason} (--as LOGIN)", reason=e.args[0] if e.args else str(e))
            ) from None
        raise
    out.print(cell(f"added {row.login} ({row.role}, tier {row.tier}, {row.team or 'no team'})"))


@app.command("list")
@user_errors
def agent_list(fmt: str = TABLE_OR_JSON, as_: str = AS) -> None:
    """List agents with their team, tier, role and manager (supervisors and admins)."""
    from ..services import directory

    database = open_db()
    rows = directory.agents(database, authenticate(database, as_))
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    print_table(
        ("login", "name", "no.", "ext.", "role", "tier", "team", "manager", "active"),
        (
            (
                *(
                    cell(v)
                    for v in (r.login, r.name, r.number, r.extension, r.role, r.tier, r.team, r.manager)
                ),
                yes_no(r.active),
            )
            for r in rows
        ),
    )


@app.command("teams")
@user_errors
def agent_teams() -> None:
    """List the teams."""
    from ..services import directory

    for name in directory.teams(open_db(), by_tier=True):
        out.print(cell(name))


@app.command("passwd")
@user_errors
def agent_passwd(
    login: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from standard input."),
    as_: str = AS,
) -> None:
    """Set an agent's password: your own, or (admins; supervisors for their team) another's."""
    from ..services import agents

    database = open_db()
    actor = authenticate(database, as_)
    agents.set_password(database, actor, login, _password_from(password_stdin, f"New password for {login}"))
    out.print(cell(f"password of {login} changed"))


def _set_active(login: str, as_: str, active: bool) -> None:
    from ..services import agents

    database = open_db()
    agents.set_active(database, authenticate(database, as_), login, active)
    out.print(cell(f"{login} {'activated' if active else 'deactivated'}"))


@app.command("deactivate")
@user_errors
def agent_deactivate(login: str, as_: str = AS) -> None:
    """Deactivate an agent: they can no longer log in or act; their history stays."""
    _set_active(login, as_, False)


@app.command("activate")
@user_errors
def agent_activate(login: str, as_: str = AS) -> None:
    """Activate a deactivated agent again."""
    _set_active(login, as_, True)


@app.command("edit")
@user_errors
def agent_edit(
    login: str,
    name: str | None = typer.Option(None, "--name"),
    number: str | None = typer.Option(None, "--number"),
    role: str | None = typer.Option(None, "--role", help="operator | engineer | supervisor | admin"),
    tier: int | None = typer.Option(None, "--tier", min=1, max=3),
    team: str | None = typer.Option(None, "--team", help="Team name; '' for none."),
    manager: str | None = typer.Option(None, "--manager", help="Login of the manager; '' for none."),
    email: str | None = typer.Option(None, "--email"),
    kb_editor: bool | None = typer.Option(None, "--kb-editor/--no-kb-editor"),
    extension: str | None = typer.Option(
        None, "--extension", help="The phone extension the PBX rings for the agent; '' for none."
    ),
    as_: str = AS,
) -> None:
    """Change an agent's name, number, role, tier, team, manager, e-mail, KB right or phone extension."""
    from ..services import agents

    database = open_db()
    row = agents.edit_agent(
        database,
        authenticate(database, as_),
        login,
        name=name,
        number=number,
        role=role,
        tier=tier,
        team=team,
        manager=manager,
        email=email,
        kb_editor=kb_editor,
        extension=extension,
    )
    phone = f", extension {row.extension}" if row.extension else ""
    out.print(cell(f"{row.login}: {row.role}, tier {row.tier}, {row.team or 'no team'}{phone}"))


@app.command("logins")
@user_errors
def agent_logins(
    login: str | None = typer.Argument(None, help="Only this login's attempts."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: str = TABLE_OR_JSON,
    as_: str = AS,
) -> None:
    """The latest login attempts, newest first, with their source (supervisors and admins)."""
    from ..services import auth

    database = open_db()
    rows = auth.login_log(database, authenticate(database, as_), login, limit=limit)
    if fmt == "json":
        print_json([{"at": r.at, "login": r.login, "ok": r.ok, "source": r.source} for r in rows])
        return
    at = stamps()
    print_table(
        ("time", "login", "ok", "source"),
        ((at(r.at), cell(r.login), yes_no(r.ok), cell(r.source)) for r in rows),
    )


# --- agents' SSH keys ----------------------------------------------------------------------------


@key_app.command("add")
@user_errors
def key_add(
    login: str,
    file: str = typer.Argument(
        ..., metavar="FILE", help="The public key file (id_ed25519.pub), or - for stdin."
    ),
    as_: str = KEY_AS,
) -> None:
    """Register a public key: its holder may log in over SSH as LOGIN."""
    from ..services import remote

    text = sys.stdin.read() if file == "-" else _read(file)
    database = open_db()
    row = remote.add_key(database, authenticate(database, as_), login, text)
    out.print(cell(f"key {row.fingerprint} ({row.key_type}) added for {row.login}"))


def _read(file: str) -> str:
    from ..services.errors import InvalidInput

    try:
        return Path(file).read_text(encoding="utf-8", errors="replace")
    except OSError as e:
        raise InvalidInput(
            {"file": later("cannot read {file}: {error}", file=str(file), error=e.strerror)}
        ) from None


@key_app.command("list")
@user_errors
def key_list(
    login: str | None = typer.Argument(None, help="One agent's keys (default: every key you manage)."),
    as_: str = KEY_AS,
    fmt: str = TABLE_OR_JSON,
) -> None:
    """List registered public keys."""
    from ..services import remote

    database = open_db()
    rows = remote.list_keys(database, authenticate(database, as_), login)
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    at = stamps(minutes=True)
    print_table(
        ("no.", "login", "fingerprint", "type", "comment", "added", "by"),
        (
            (
                str(r.id),
                cell(r.login),
                r.fingerprint,
                r.key_type,
                cell(r.comment),
                at(r.added_at),
                cell(r.added_by),
            )
            for r in rows
        ),
    )


@key_app.command("remove")
@user_errors
def key_remove(
    login: str,
    key: str = typer.Argument(..., metavar="KEY", help="Its fingerprint (SHA256:…) or number in `key list`."),
    as_: str = KEY_AS,
) -> None:
    """Remove a public key: it no longer opens a session (sessions already open go on)."""
    from ..services import remote

    database = open_db()
    row = remote.remove_key(database, authenticate(database, as_), login, key)
    out.print(cell(f"key {row.fingerprint} of {row.login} removed"))
