"""What every command group shares: the consoles, the one-line errors, the database and the acting agent.

Errors a user can cause print one line on stderr and exit non-zero (2 bad input, 3 conflict,
4 not allowed, 1 anything else the user can fix); only bugs print tracebacks.

Importing this module stays light (Typer and Rich): the settings, the database and the services are
imported by the commands that use them, so `deskterm --help` loads none of them."""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Column, Table
from rich.text import Text

from ..text import clean, dumps

if TYPE_CHECKING:
    from rich.progress import Progress, TaskID

    from ..config import Settings
    from ..db import Database
    from ..demo_desk import DemoDesk
    from ..services.auth import Actor

F = TypeVar("F", bound=Callable[..., Any])


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

AS = typer.Option(
    ..., "--as", metavar="LOGIN", help="Act as this agent (password: DESKTERM_PASSWORD or a prompt)."
)
AS_OPTIONAL = typer.Option(
    None, "--as", metavar="LOGIN", help="Act as this agent (password: DESKTERM_PASSWORD or a prompt)."
)
TABLE_OR_JSON = typer.Option("table", "--format", help="table | json")
FROM = typer.Option(None, "--from", metavar="DATE", help="First day (YYYY-MM-DD).")
TO = typer.Option(None, "--to", metavar="DATE", help="Last day, included (default today).")


def fail(message: str, code: int = 1) -> None:
    err.print(Text(f"deskterm: {clean(message, single_line=True)}", style="red"))
    raise typer.Exit(code)


def user_errors(fn: F) -> F:
    """Turn the errors a user can cause into one clear line and an exit code."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except UnicodeDecodeError as e:  # a file or standard input that is not UTF-8
            fail(f"the input is not valid UTF-8 text (byte {e.start + 1}): nothing was done", 2)
        except KeyboardInterrupt:
            fail("interrupted", 130)
        except Exception as e:
            _explain(e)
            raise  # not the user's: a bug, with its traceback

    return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature Typer reads


def _explain(e: Exception) -> None:
    """The one line (and exit) for an error of the desk's; returns for any other. Imported here, once
    something failed, so that a command that needs no database never loads it."""
    from ..config import ConfigError
    from ..db import DatabaseError
    from ..services.errors import DeskError, InvalidInput

    if isinstance(e, InvalidInput):
        for field, reason in e.errors.items():
            err.print(Text(f"deskterm: {field}: {clean(reason, single_line=True)}", style="red"))
        raise typer.Exit(e.exit_code) from None
    if isinstance(e, DeskError):
        fail(str(e), e.exit_code)
    if isinstance(e, (DatabaseError, ConfigError)):
        fail(str(e))


def settings() -> Settings:
    from ..config import load_settings

    return load_settings(database_url=STATE.db_url).settings


def open_db(*, check: bool = True) -> Database:
    """The configured database, refused unless it is at the current revision."""
    from ..config import mask_url
    from ..db import DatabaseError, ensure_current, open_database

    s = settings()
    try:
        db = open_database(s.database_url, busy_timeout_ms=s.sqlite_busy_timeout_ms, pool_size=s.pg_pool_size)
    except Exception as e:  # a malformed URL is the user's to fix
        if isinstance(e, DatabaseError):
            raise
        raise DatabaseError(f"bad database URL {mask_url(s.database_url)}: {e}") from None
    if check:
        ensure_current(db)
    return db


def authenticate(db: Database, login: str) -> Actor:
    """--as LOGIN: the password from DESKTERM_PASSWORD or a prompt. Every command that changes data
    or reads desk-wide data takes it; the services check what the agent may do."""
    from ..services import auth

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


def maybe_authenticate(db: Database, login: str | None) -> Actor | None:
    """An optional --as: the agent if one was named, else nobody (the services decide what that may do)."""
    return authenticate(db, login) if login else None


def stamps(*, minutes: bool = False) -> Callable[[datetime | None], str]:
    """How the CLI prints a time, never bare: ISO 8601 in the desk's time zone with its offset,
    2026-03-02T12:00:00+08:00 (`minutes`, for tables: 2026-03-02 12:00+08:00), UTC marked Z;
    None prints "".
    The zone is read once: `at = stamps(); at(row.created_at)`."""
    from zoneinfo import ZoneInfo

    zone = ZoneInfo(settings().timezone)

    def stamp(value: datetime | None) -> str:
        if value is None:
            return ""
        at = value.astimezone(zone)
        text = at.isoformat(sep=" ", timespec="minutes") if minutes else at.isoformat(timespec="seconds")
        return text.removesuffix("+00:00") + "Z" if at.utcoffset() == timedelta(0) else text

    return stamp


class UtcLog(logging.Formatter):
    """Log lines stamped in UTC marked Z (2026-03-02T04:00:00Z), the zone of the escalation texts
    they carry, never the machine's bare local time."""

    converter = staticmethod(time.gmtime)

    def __init__(self, fmt: str) -> None:
        super().__init__(fmt, "%Y-%m-%dT%H:%M:%SZ")


def log_to_stderr(name: str) -> logging.Logger:
    """A server's log: `name`'s INFO lines on standard error, stamped in UTC, and only there."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(UtcLog("%(asctime)s %(message)s"))
    logger = logging.getLogger(name)
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    return logger


def _with_stamps(value: Any, stamp: Callable[[datetime | None], str]) -> Any:
    if isinstance(value, datetime):
        return stamp(value)
    if isinstance(value, dict):
        return {k: _with_stamps(v, stamp) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_with_stamps(v, stamp) for v in value]
    return value


def _has_times(value: Any) -> bool:
    if isinstance(value, datetime):
        return True
    if isinstance(value, dict):
        return any(_has_times(v) for v in value.values())
    return isinstance(value, (list, tuple)) and any(_has_times(v) for v in value)


def print_json(value: Any) -> None:
    """`value` as JSON on standard output, its datetimes printed by stamps()."""
    if _has_times(value):
        value = _with_stamps(value, stamps())
    sys.stdout.write(dumps(value, indent=2) + "\n")


def print_table(
    columns: Iterable[str | Column], rows: Iterable[Iterable[str | Text]], *, title: str | None = None
) -> None:
    """A table on standard output: one row a record; people's text in it as cell()s. A Column
    keeps what must not be cut short (a phone number) at its width: `Column("caller", min_width=16)`."""
    table = Table(*columns, title=title)
    for row in rows:
        table.add_row(*row)
    out.print(table)


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


def yes_no(value: bool) -> str:
    return "yes" if value else "no"


class progress:  # used like a function: `with progress() as bar:`
    """A rich progress bar on stderr fed by services' (stage, done, total) callbacks."""

    def __enter__(self) -> progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress: Progress = Progress(
            TextColumn("{task.description}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        )
        self.tasks: dict[str, TaskID] = {}
        self.progress.__enter__()
        return self

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(stage, total=total)
        self.progress.update(self.tasks[stage], completed=done, total=total)

    def __exit__(self, *exc: Any) -> None:
        self.progress.__exit__(*exc)


def run_console(*, db_url: str | None = None, demo_desk: DemoDesk | None = None) -> None:
    """The console on the configured database, or on the demo desk (prepared by the console)."""
    from ..app import DeskApp

    DeskApp(db_url=db_url, demo_desk=demo_desk).run()


def period(start: str | None, end: str | None, tz: str) -> tuple[datetime, datetime, date, date]:
    """[--from 00:00, the day after --to 00:00) in the desk's time zone; default the last 7 days."""
    from zoneinfo import ZoneInfo

    from ..services.errors import InvalidInput

    zone = ZoneInfo(tz)
    from ..clock import now

    today = now().astimezone(zone).date()
    try:
        last = date.fromisoformat(end) if end else today
        first = date.fromisoformat(start) if start else last - timedelta(days=6)
    except ValueError:
        raise InvalidInput({"date": "write dates as YYYY-MM-DD"}) from None
    if first > last:
        raise InvalidInput({"from": "must not be after --to"})
    begin = datetime.combine(first, datetime.min.time(), zone)
    stop = datetime.combine(last + timedelta(days=1), datetime.min.time(), zone)
    return begin, stop, first, last
