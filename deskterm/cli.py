"""The command line: `deskterm` opens the console; subcommands administer and script the desk.

Errors a user can cause print one line on stderr and exit non-zero (2 bad input, 3 conflict,
4 not allowed, 1 anything else the user can fix); only bugs print tracebacks."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from . import config
from .text import SURROGATES, clean, dumps

F = TypeVar("F", bound=Callable[..., Any])

DEMO_LOGINS = (
    "Demo logins (password 'demo'): operator (hotline operator), engineer (2nd line, Desktop Support), "
    "expert (3rd line), supervisor, head (department head), admin; and more in `deskterm agent list`."
)

app = typer.Typer(
    help="deskterm: a keyboard-first console for a phone service desk.",
    no_args_is_help=False,
    add_completion=False,
    rich_markup_mode=None,
)
agent_app = typer.Typer(help="Manage agents (logins, roles, teams).", no_args_is_help=True)
ticket_app = typer.Typer(help="List, show and work tickets from scripts.", no_args_is_help=True)
db_app = typer.Typer(help="Create and migrate the database.", no_args_is_help=True)
config_app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)
app.add_typer(agent_app, name="agent")
app.add_typer(ticket_app, name="ticket")
app.add_typer(db_app, name="db")
app.add_typer(config_app, name="config")


class PlainConsole(Console):
    """Prints people's text literally: no markup, no :emoji: codes, and every string it renders
    (printed, or a table cell or title) cleaned of escape sequences and control characters (defence
    in depth: text stored before it was cleaned where it entered). Build Text objects with cell()."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(clean(text), **options)


out = PlainConsole(highlight=False, soft_wrap=True, markup=False, emoji=False)
err = PlainConsole(stderr=True, highlight=False, soft_wrap=True, markup=False, emoji=False)


class State:
    db_url: str | None = None


STATE = State()


def fail(message: str, code: int = 1) -> None:
    err.print(Text(f"deskterm: {clean(message, single_line=True)}", style="red"))
    raise typer.Exit(code)


def user_errors(fn: F) -> F:
    """Turn the errors a user can cause into one clear line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from .db import DatabaseError
        from .services.errors import DeskError, InvalidInput

        try:
            return fn(*args, **kwargs)
        except InvalidInput as e:
            for field, reason in e.errors.items():
                err.print(Text(f"deskterm: {field}: {clean(reason, single_line=True)}", style="red"))
            raise typer.Exit(e.exit_code) from None
        except DeskError as e:
            fail(str(e), e.exit_code)
        except (DatabaseError, config.ConfigError) as e:
            fail(str(e))
        except UnicodeDecodeError as e:  # a file or standard input that is not UTF-8
            fail(f"the input is not valid UTF-8 text (byte {e.start + 1}): nothing was done", 2)
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


def settings() -> config.Settings:
    return config.load_settings(database_url=STATE.db_url).settings


def open_db(*, check: bool = True):  # type: ignore[no-untyped-def]
    """The configured database, refused unless it is at the current revision."""
    from .db import DatabaseError, ensure_current, open_database

    s = settings()
    try:
        db = open_database(s.database_url, busy_timeout_ms=s.sqlite_busy_timeout_ms, pool_size=s.pg_pool_size)
    except Exception as e:  # a malformed URL is the user's to fix
        if isinstance(e, DatabaseError):
            raise
        raise DatabaseError(f"bad database URL {config.mask_url(s.database_url)}: {e}") from None
    if check:
        ensure_current(db)
    return db


AS = typer.Option(
    ..., "--as", metavar="LOGIN", help="Act as this agent (password: DESKTERM_PASSWORD or a prompt)."
)
AS_OPTIONAL = typer.Option(
    None, "--as", metavar="LOGIN", help="Act as this agent (password: DESKTERM_PASSWORD or a prompt)."
)


def authenticate(db, login: str):  # type: ignore[no-untyped-def]
    """--as LOGIN: the password from DESKTERM_PASSWORD or a prompt. Every command that changes data
    or reads desk-wide data takes it; the services check what the agent may do."""
    from .services import auth

    password = os.environ.get("DESKTERM_PASSWORD")
    if password is None:
        if not sys.stdin.isatty():
            fail(f"--as {login}: set DESKTERM_PASSWORD or run in a terminal to be asked for the password")
        password = typer.prompt(f"Password for {login}", hide_input=True)
    s = settings()
    return auth.login(
        db,
        login,
        password,
        source=auth.terminal_source("cli"),
        max_failures=s.login_max_failures,
        lockout_seconds=s.login_lockout_seconds,
    )


def print_json(value: Any) -> None:
    sys.stdout.write(dumps(value, indent=2) + "\n")


def read_input(path: str) -> str:
    """A file's text ('-': standard input). Bad UTF-8 is kept as lone surrogates, which the services
    refuse field by field (inputs.py), so a JSON file with one bad name says which field it is."""
    try:
        if path == "-":
            raw = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                raw = f.read()
    except OSError as e:
        fail(f"cannot read {path}: {e.strerror}", 2)
    return raw.decode("utf-8", "surrogateescape")


def cell(value: Any) -> Text:
    """People's text goes into tables literally (no markup), control characters neutralised."""
    return Text(clean("" if value is None else value, single_line=True))


# --- the console ---------------------------------------------------------------------------------


@app.callback(invoke_without_command=True)
def root(
    ctx: typer.Context,
    db: str | None = typer.Option(
        None, "--db", metavar="URL", help="Database URL (sqlite:///FILE or postgresql://...)."
    ),
) -> None:
    """Without a command: open the console at the login screen."""
    STATE.db_url = db
    if ctx.invoked_subcommand is None:
        run_console(db_url=db)


def run_console(*, db_url: str | None = None, login_as: str | None = None, demo: bool = False) -> None:
    from .app import DeskApp

    DeskApp(db_url=db_url, login_as=login_as, demo=demo).run()


@app.command()
@user_errors
def demo(
    as_: str = typer.Option("operator", "--as", metavar="LOGIN", help=DEMO_LOGINS),
    reset: bool = typer.Option(False, "--reset", help="Delete the demo database and start afresh."),
    tickets: int = typer.Option(3000, "--tickets", help="Tickets to generate the first time."),
    serve: bool = typer.Option(False, "--serve", help="Serve the demo desk to browsers and SSH instead."),
) -> None:
    """Open the console on a demo database (created and filled the first time), logged in."""
    from pathlib import Path

    from .db import open_database, upgrade
    from .services import demo as demo_data
    from .services import escalation, reference

    url = STATE.db_url or config.demo_database_url()
    path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None
    if reset and path is not None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    database = open_database(url)
    upgrade(database.engine)
    reference.seed(database)
    escalation.seed_rules(database)  # the shipped escalation rules, once
    from sqlalchemy import text

    with database.read() as s:  # a desk with agents never gets the demo logins from here
        empty = not s.execute(text("SELECT 1 FROM agent LIMIT 1")).first()
    if empty:
        from .services import kb

        with _progress() as bar:
            demo_data.generate(database, tickets=tickets, progress=bar)
        kb.import_demo_articles(database)
    database.dispose()
    if serve:
        return cli_serve.serve_demo(url)
    if as_ not in {a[0] for a in demo_data.DEMO_AGENTS}:
        fail(f"no demo agent {as_!r}. {DEMO_LOGINS}", 2)
    run_console(db_url=url, login_as=as_, demo=True)


class _progress:
    """A rich progress bar fed by services' (stage, done, total) callbacks."""

    def __enter__(self):  # type: ignore[no-untyped-def]
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

        self.progress = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        )
        self.tasks: dict[str, Any] = {}
        self.progress.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(*exc)  # type: ignore[arg-type]


@app.command("demo-data")
@user_errors
def demo_data_cmd(
    tickets: int = typer.Option(3000, "--tickets", min=0, help="How many tickets to add."),
    customers: int | None = typer.Option(
        None, "--customers", min=1, help="How many callers (default tickets/20)."
    ),
    seed: int = typer.Option(1, "--seed", help="Random seed: the same seed gives the same data."),
    with_demo_logins: bool = typer.Option(
        False,
        "--with-demo-logins",
        help="On a desk that has agents, add the demo logins too (their password is 'demo').",
    ),
    as_: str | None = typer.Option(
        None, "--as", metavar="LOGIN", help="An admin: needed when the desk has agents already."
    ),
) -> None:
    """Add realistic bilingual demo data (organisations, callers, devices, agents, tickets)."""
    import time

    from .services import demo as demo_data

    database = open_db()
    actor = authenticate(database, as_) if as_ else None
    started = time.perf_counter()
    with _progress() as bar:
        summary = demo_data.generate(
            database,
            actor=actor,
            with_demo_logins=with_demo_logins,
            tickets=tickets,
            customers=customers,
            seed=seed,
            progress=bar,
        )
    err.print(
        f"added {summary.tickets} tickets ({summary.events} events), {summary.customers} callers, "
        f"{summary.devices} devices, {summary.organisations} organisations "
        f"in {time.perf_counter() - started:.1f} s"
    )


# --- agents --------------------------------------------------------------------------------------


def _password_from(stdin: bool, prompt: str) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    if not sys.stdin.isatty():
        fail("no terminal to ask for the password: use --password-stdin", 2)
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


@agent_app.command("add")
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
    from .services import agents
    from .services.errors import PermissionDenied

    database = open_db()
    actor = authenticate(database, as_) if as_ else None
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
        )
    except PermissionDenied as e:
        if actor is None:
            raise PermissionDenied(f"{e} (--as LOGIN)") from None
        raise
    out.print(cell(f"added {row.login} ({row.role}, tier {row.tier}, {row.team or 'no team'})"))


@agent_app.command("list")
@user_errors
def agent_list(fmt: str = typer.Option("table", "--format", help="table | json"), as_: str = AS) -> None:
    """List agents with their team, tier, role and manager (supervisors and admins)."""
    from dataclasses import asdict

    from .services import directory

    database = open_db()
    rows = directory.agents(database, authenticate(database, as_))
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    table = Table("login", "name", "no.", "role", "tier", "team", "manager", "active")
    for r in rows:
        table.add_row(
            *(cell(v) for v in (r.login, r.name, r.number, r.role, r.tier, r.team, r.manager)),
            "yes" if r.active else "no",
        )
    out.print(table)


@agent_app.command("teams")
@user_errors
def agent_teams() -> None:
    """List the teams."""
    from .services import directory

    for name in directory.teams(open_db(), by_tier=True):
        out.print(cell(name))


@agent_app.command("passwd")
@user_errors
def agent_passwd(
    login: str,
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read it from standard input."),
    as_: str = AS,
) -> None:
    """Set an agent's password: your own, or (admins; supervisors for their team) another's."""
    from .services import agents

    database = open_db()
    actor = authenticate(database, as_)
    agents.set_password(database, actor, login, _password_from(password_stdin, f"New password for {login}"))
    out.print(cell(f"password of {login} changed"))


@agent_app.command("deactivate")
@user_errors
def agent_deactivate(login: str, as_: str = AS) -> None:
    """Deactivate an agent: they can no longer log in or act; their history stays."""
    from .services import agents

    database = open_db()
    agents.set_active(database, authenticate(database, as_), login, False)
    out.print(cell(f"{login} deactivated"))


@agent_app.command("activate")
@user_errors
def agent_activate(login: str, as_: str = AS) -> None:
    """Activate a deactivated agent again."""
    from .services import agents

    database = open_db()
    agents.set_active(database, authenticate(database, as_), login, True)
    out.print(cell(f"{login} activated"))


@agent_app.command("edit")
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
    as_: str = AS,
) -> None:
    """Change an agent's name, number, role, tier, team, manager, e-mail or KB right."""
    from .services import agents

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
    )
    out.print(cell(f"{row.login}: {row.role}, tier {row.tier}, {row.team or 'no team'}"))


@agent_app.command("logins")
@user_errors
def agent_logins(
    login: str | None = typer.Argument(None, help="Only this login's attempts."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: str = typer.Option("table", "--format", help="table | json"),
    as_: str = AS,
) -> None:
    """The latest login attempts, newest first, with their source (supervisors and admins)."""
    from .services import auth

    database = open_db()
    rows = auth.login_log(database, authenticate(database, as_), login, limit=limit)
    if fmt == "json":
        print_json([{"at": r.at.isoformat(), "login": r.login, "ok": r.ok, "source": r.source} for r in rows])
        return
    table = Table("time", "login", "ok", "source")
    for r in rows:
        table.add_row(
            r.at.strftime("%Y-%m-%d %H:%M:%S"), cell(r.login), "yes" if r.ok else "no", cell(r.source)
        )
    out.print(table)


# --- tickets -------------------------------------------------------------------------------------


@ticket_app.command("list")
@user_errors
def ticket_list(
    status: str | None = typer.Option(
        None,
        "--status",
        help="new | assigned | in_progress | pending_customer | pending_third_party | resolved | closed",
    ),
    assignee: str | None = typer.Option(None, "--assignee", metavar="LOGIN"),
    team: str | None = typer.Option(None, "--team"),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000),
    fmt: str = typer.Option("table", "--format", help="table | json"),
    as_: str | None = AS_OPTIONAL,
) -> None:
    """List tickets, newest first (every role may read tickets: --as is optional)."""
    from .services import tickets

    database = open_db()
    actor = authenticate(database, as_) if as_ else None
    rows = tickets.list_tickets(database, actor, status=status, assignee=assignee, team=team, limit=limit)
    if fmt == "json":
        print_json({"tickets": [r.as_json() for r in rows]})
        return
    table = Table("number", "P", "status", "summary", "customer", "team", "assignee", "created")
    for r in rows:
        table.add_row(
            r.number,
            f"P{r.priority}",
            r.status,
            cell(r.summary),
            cell(r.customer),
            cell(r.team),
            cell(r.assignee),
            r.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    out.print(table)


@ticket_app.command("show")
@user_errors
def ticket_show(
    number: str,
    fmt: str = typer.Option("table", "--format", help="table | json"),
    as_: str | None = AS_OPTIONAL,
) -> None:
    """Show a ticket's fields and its whole event history (--as is optional)."""
    from .services import tickets

    database = open_db()
    detail = tickets.get_ticket(database, authenticate(database, as_) if as_ else None, number)
    if fmt == "json":
        print_json(detail.as_json())
        return
    fields = Table.grid(padding=(0, 2))
    for key in (
        "number",
        "status",
        "priority",
        "kind",
        "category",
        "summary",
        "customer",
        "organisation",
        "phone",
        "device_model",
        "device_serial",
        "team",
        "assignee",
        "respond_by",
        "resolve_by",
        "created_at",
        "resolution",
    ):
        value = getattr(detail, key)
        fields.add_row(
            Text(key, style="bold"),
            cell(value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else value),
        )
    out.print(fields)
    if detail.description:
        out.print(Text(clean(detail.description)))
    history = Table("time", "event", "by", "text", title="history")
    for e in detail.events:
        history.add_row(e.at.strftime("%Y-%m-%d %H:%M"), e.kind, cell(e.actor), cell(e.body))
    out.print(history)


# --- database and configuration ------------------------------------------------------------------


@db_app.command("upgrade")
@user_errors
def db_upgrade() -> None:
    """Create the database if needed and migrate it to the current revision; load reference data."""
    from .db import current_revision, head_revision, upgrade
    from .services import escalation, reference

    database = open_db(check=False)
    before = current_revision(database.engine) if _exists(database) else None
    upgrade(database.engine)
    reference.seed(database)
    escalation.seed_rules(database)  # the shipped escalation rules, once
    head = head_revision()
    out.print(f"database at revision {head}" + ("" if before == head else f" (was {before or 'empty'})"))


def _exists(database) -> bool:  # type: ignore[no-untyped-def]
    from .db import DatabaseError, current_revision

    try:
        current_revision(database.engine)
        return True
    except DatabaseError:
        return False


@db_app.command("status")
@user_errors
def db_status(fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Show where the database is and whether it is at the current revision."""
    from .db import current_revision, describe_target, head_revision

    database = open_db(check=False)
    current, head = current_revision(database.engine), head_revision()
    info = {
        "database": config.mask_url(str(database.engine.url.render_as_string(hide_password=False))),
        "backend": database.backend,
        "revision": current,
        "head": head,
        "current": current == head,
    }
    if fmt == "json":
        print_json(info)
        return
    state = "up to date" if current == head else "needs `deskterm db upgrade`"
    out.print(f"{describe_target(database.engine)}: revision {current or 'none'} (head {head}): {state}")
    if current != head:
        raise typer.Exit(1)


@config_app.command("show")
@user_errors
def config_show(fmt: str = typer.Option("table", "--format", help="table | json")) -> None:
    """Print the effective settings and where each came from (passwords masked)."""
    loaded = config.load_settings(database_url=STATE.db_url)
    values = loaded.settings.model_dump()
    values["database_url"] = config.mask_url(values["database_url"])
    if fmt == "json":
        print_json({k: {"value": v, "source": loaded.sources[k]} for k, v in values.items()})
        return
    table = Table("setting", "value", "from")
    for key, value in values.items():
        table.add_row(key, cell(value), loaded.sources[key])
    out.print(table)
    out.print(f"config file: {config.config_file()}")


def main() -> None:
    # Arguments that are not UTF-8 arrive as lone surrogates: refused here, once for every command.
    for n, arg in enumerate(sys.argv[1:], 1):
        if SURROGATES.search(arg):
            err.print(Text(f"deskterm: argument {n} is not valid UTF-8 text", style="red"))
            raise SystemExit(2)
    app()


if __name__ == "__main__":
    main()


# Commands of other areas register themselves on the Typer apps above.
from . import cli_intake, cli_kb, cli_report, cli_serve, cli_watch, cli_work  # noqa: E402, F401
