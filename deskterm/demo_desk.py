"""The demo desk `deskterm demo` opens: a SQLite database in the data directory (or the one --db
names), created, migrated and filled with demo data the first time.

Importing this module is light (the launcher reads a `deskterm demo` command line before the
console paints); prepare() imports the database stack when it runs, in the console's start-up
worker or before `deskterm demo --serve`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

Progress = Callable[[str, int, int], None]  # (stage, done, total), as services/demo.py reports

DEMO_LOGINS = (
    "Demo logins (password 'demo'): operator (hotline operator), engineer (2nd line, Desktop Support), "
    "expert (3rd line), supervisor, head (department head), admin; and more in `deskterm agent list`."
)


@dataclass(frozen=True)
class DemoDesk:
    """`deskterm [--db URL] demo [--as LOGIN] [--reset] [--tickets N]`."""

    url: str | None = None  # None: demo.db in the data directory
    login: str = "operator"
    reset: bool = False
    tickets: int = 3000


def unknown_login(login: str) -> str | None:
    """Why the demo desk cannot be opened as `login` (None: one of the demo cast)."""
    from .services.demo_tables import DEMO_AGENTS

    if login in {agent[0] for agent in DEMO_AGENTS}:
        return None
    return f"no demo agent {login!r}. {DEMO_LOGINS}"


def prepare(desk: DemoDesk, progress: Progress | None = None) -> str:
    """Create and migrate the demo desk and, if it has no agents yet, fill it (`progress` hears
    how far); its database URL. A desk with agents never gets the demo logins from here."""
    from sqlalchemy import text

    from .config import demo_database_url, load_settings
    from .db import DatabaseError, current_revision, head_revision, open_database, upgrade
    from .services import demo, escalation, kb, reference
    from .services.kpi import rollup

    url = desk.url or demo_database_url()
    if desk.reset and url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    database = open_database(url)
    try:
        try:
            current = current_revision(database.engine)
        except DatabaseError:  # not there yet (a PostgreSQL database is created by upgrade)
            current = None
        if current != head_revision():  # alembic loads every migration: only when there is one to run
            upgrade(database.engine)
        reference.seed(database)
        escalation.seed_rules(database)  # the shipped escalation rules, once
        with database.read() as s:
            empty = not s.execute(text("SELECT 1 FROM agent LIMIT 1")).first()
        if empty:
            demo.generate(database, tickets=desk.tickets, progress=progress)
            kb.import_demo_articles(database)
            rollup.rebuild(database, load_settings(database_url=url).settings.timezone)
    finally:
        database.dispose()
    return url
