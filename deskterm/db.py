"""The engine and unit-of-work factory for SQLite and PostgreSQL, and the schema's revision check."""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url, text
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlmodel import Session

T = TypeVar("T")

MIGRATIONS = Path(__file__).parent / "migrations"
# A migration's `revision = "0009"` and `down_revision = "0008"` (None, or a tuple where branches merge).
_REVISION = re.compile(r"^(down_revision|revision)\b[^=\n]*=(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


class DatabaseError(Exception):
    """A database problem a user can fix (unreachable, not migrated); shown as one line."""


class SchemaNotCurrent(DatabaseError):
    pass


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs too; deskterm speaks psycopg 3."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 10_000, pool_size: int = 5) -> Engine:
    url = normalise_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
        )
        _sqlite_setup(engine, busy_timeout_ms)
        return engine
    if parsed.get_backend_name() == "postgresql":
        engine = create_engine(
            url,
            pool_size=pool_size,
            max_overflow=pool_size,
            pool_pre_ping=True,
            # No server-side prepared statements: a statement run five times would get PostgreSQL's
            # generic plan, chosen once for all values. An import's "which of these 500 ids exist"
            # got a linear scan planned while the table was small, 150 ms a batch once it had
            # grown. Planning each time costs nothing measurable in the queue's reads, and
            # connection poolers in transaction mode need it this way.
            connect_args={"connect_timeout": 5, "prepare_threshold": None},
        )
        _postgresql_setup(engine)
        return engine
    raise DatabaseError(f"unsupported database URL {parsed.drivername!r}: use sqlite:/// or postgresql://")


def _postgresql_setup(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Sessions in UTC whatever the server's zone: psycopg then hands out datetimes in
        # timezone.utc, which UtcDateTime keeps as they are (a server zone such as Etc/UTC or
        # Asia/Shanghai costs a conversion per value: ~0.6 ms a page of the queue). No SQL here
        # depends on the session's zone (the desk's days are computed in Python).
        with dbapi_conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
        dbapi_conn.commit()


def _sqlite_setup(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is always DEFERRED).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        # A read-then-write transaction begun DEFERRED fails with "database is locked" under
        # contention whatever the busy timeout: every write unit of work begins IMMEDIATE.
        mode = "IMMEDIATE" if conn.get_execution_options().get("deskterm_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def describe_failure(engine: Engine, exc: BaseException) -> str:
    """One line: where we tried to connect and what failed."""
    url = engine.url
    reason = str(getattr(exc, "orig", exc) or exc).strip().splitlines()
    first = reason[0] if reason else type(exc).__name__
    if url.get_backend_name() == "sqlite":
        return f"cannot open SQLite database {url.database}: {first}"
    return f"cannot reach PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database}: {first}"


@dataclass(eq=False)  # identity: a Database keys per-process caches
class Database:
    """An engine plus the two kinds of unit of work; services receive this and open their own."""

    engine: Engine

    @property
    def backend(self) -> str:
        return self.engine.url.get_backend_name()

    @property
    def is_sqlite(self) -> bool:
        return self.backend == "sqlite"

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """A transaction that commits on success (BEGIN IMMEDIATE on SQLite)."""
        engine = self.engine.execution_options(deskterm_write=True) if self.is_sqlite else self.engine
        with Session(engine, expire_on_commit=False) as session, session.begin():
            session.info["write"] = True  # auth.require locks the actor's row in a write
            yield session

    def retrying(self, fn: Callable[[Session], T], attempts: int = 5) -> T:
        """Run fn in a write transaction, retrying PostgreSQL serialization/deadlock failures."""
        for attempt in range(attempts):
            try:
                with self.write() as session:
                    return fn(session)
            except DBAPIError as e:
                code = getattr(getattr(e, "orig", None), "sqlstate", None)
                if code not in ("40001", "40P01") or attempt == attempts - 1:
                    raise
                time.sleep(0.01 * (attempt + 1))
        raise AssertionError("unreachable")

    def dispose(self) -> None:
        self.engine.dispose()


def serial_reads(s: Session) -> None:
    """Run the rest of this transaction's queries in its own backend process, uncompiled (PostgreSQL;
    nothing on SQLite). For reads of a few tens of milliseconds, as the monitor's: a parallel plan
    spends more starting its workers on a busy server than they save (the open counts at 1M
    tickets: 52 ms before the first row, 15 ms of scan), and JIT compiling a plan the server
    thinks costly (a day's resolutions joined to their tickets) 16 ms; whatever the server's
    settings, neither happens here."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        s.execute(text("SET LOCAL jit = off"))


def open_database(url: str, *, busy_timeout_ms: int = 10_000, pool_size: int = 5) -> Database:
    return Database(make_engine(url, busy_timeout_ms=busy_timeout_ms, pool_size=pool_size))


# --- migrations ---------------------------------------------------------------------------


def alembic_config(engine: Engine) -> Any:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """The newest migration's revision: the one no other migration follows. Read from the
    migration files' headers (every command and console checks it: loading alembic and each
    migration costs more than the command); alembic answers a history this cannot read."""
    revisions: set[str] = set()
    followed: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        header = dict(_REVISION.findall(path.read_text(encoding="utf-8")))
        if set(header) != {"revision", "down_revision"}:
            return _alembic_head()
        revisions.update(_QUOTED.findall(header["revision"]))
        followed.update(_QUOTED.findall(header["down_revision"]))
    heads = revisions - followed
    if len(heads) == 1:
        return heads.pop()
    return _alembic_head()


def _alembic_head() -> str:
    from alembic.script import ScriptDirectory

    cfg = alembic_config(None)  # type: ignore[arg-type]  # only the script location is read: no engine needed
    head = ScriptDirectory.from_config(cfg).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None: empty); raises DatabaseError when unreachable."""
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                row = conn.exec_driver_sql(
                    "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
                ).first()
            else:
                row = conn.exec_driver_sql("SELECT to_regclass('alembic_version')").first()
                row = row if row and row[0] else None
            if not row:
                return None
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except OperationalError as e:
        raise DatabaseError(describe_failure(engine, e)) from None


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    _create_pg_database_if_missing(engine)
    try:
        command.upgrade(alembic_config(engine), revision)
    except OperationalError as e:
        raise DatabaseError(describe_failure(engine, e)) from None


def ensure_current(db: Database) -> None:
    """Refuse to work on a database that is not at the current revision."""
    current = current_revision(db.engine)
    head = head_revision()
    if current == head:
        return
    where = describe_target(db.engine)
    if current is None:
        raise SchemaNotCurrent(f"{where} has no deskterm schema: run `deskterm db upgrade`")
    raise SchemaNotCurrent(
        f"{where} is at revision {current}, this deskterm needs {head}: run `deskterm db upgrade`"
    )


def describe_target(engine: Engine) -> str:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        return f"the SQLite database {url.database}"
    return f"the PostgreSQL database {url.database} at {url.host or 'localhost'}:{url.port or 5432}"


# --- planner statistics ---------------------------------------------------------------------


def fresh_statistics(
    db: Database, tables: Sequence[str], *, grown: float = 0.1, rows: int = 1000
) -> list[str]:
    """ANALYZE those of `tables` that have changed by more than `grown` of their rows (and at least
    `rows`) since their statistics were taken, or never had any: a table filled in bulk, on a
    server whose autovacuum is off or lags, would otherwise be planned as if it were still small.
    Cheap when nothing is stale: on PostgreSQL one catalog query (only tables the role owns can be
    analyzed: the others are left to the owner's autovacuum); on SQLite, for tables that are only
    added to, the rowid's top against the count sqlite_stat1 holds. Returns the tables analyzed."""
    with db.engine.connect() as conn:
        if db.is_sqlite:
            found = [(table, *_sqlite_counts(conn, table)) for table in tables]
        else:
            found = [
                (name, None if never else counted, changed)
                for name, never, counted, changed in conn.execute(
                    text(
                        "SELECT c.relname, s.last_analyze IS NULL AND s.last_autoanalyze IS NULL, "
                        "c.reltuples, s.n_mod_since_analyze "
                        "FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid "
                        "WHERE c.relname = ANY(:t) AND s.schemaname = current_schema() "
                        "AND pg_has_role(c.relowner, 'USAGE')"
                    ),
                    {"t": list(tables)},
                )
            ]
    stale = [t for t, counted, changed in found if changed >= max(rows, grown * (counted or 0))]
    if stale:
        engine = db.engine.execution_options(
            **({"deskterm_write": True} if db.is_sqlite else {"isolation_level": "AUTOCOMMIT"})
        )
        with engine.connect() as conn:
            for table in stale:
                conn.exec_driver_sql(f"ANALYZE {table}")
            conn.commit()
    return stale


def _sqlite_counts(conn: Connection, table: str) -> tuple[int | None, int]:
    """(rows when last analyzed or None, rows added since) of a table rows are only added to."""
    top = conn.exec_driver_sql(f"SELECT max(rowid) FROM {table}").scalar() or 0
    if not conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first():
        return None, top
    stat = conn.execute(
        text("SELECT stat FROM sqlite_stat1 WHERE tbl = :t ORDER BY idx IS NULL LIMIT 1"), {"t": table}
    ).scalar()
    counted = int(stat.split()[0]) if stat else None
    return counted, top - (counted or 0)


# --- the runtime role (PostgreSQL) ---------------------------------------------------------


def grant_runtime(engine: Engine, role: str) -> list[str]:
    """Grant `role` what the console, the server and the watcher need, and no more: CONNECT, the
    schema's USAGE, SELECT and INSERT on every table, UPDATE and DELETE on every table but the event
    log (and alembic_version, read only), the sequences' USAGE and SELECT; never TRUNCATE, never
    ownership, so it cannot disable the event log's triggers. Run by the owner after `db upgrade`
    (tables a later migration adds get the same grants by default); returns the statements run."""
    if engine.url.get_backend_name() != "postgresql":
        raise DatabaseError("grant-runtime is for PostgreSQL: SQLite has no roles (see docs/DEPLOY.md)")
    with engine.begin() as conn:
        found = conn.execute(
            text(
                "SELECT r.rolsuper OR pg_has_role(r.oid, t.tableowner, 'USAGE') "
                "FROM pg_roles r, pg_tables t "
                "WHERE r.rolname = :role AND t.tablename = 'ticket_event' AND t.schemaname = current_schema()"
            ),
            {"role": role},
        ).first()
        if found is None:
            raise DatabaseError(f"no role {role!r} on this server: create it first (CREATE ROLE … LOGIN)")
        if found[0]:
            raise DatabaseError(
                f"{role!r} owns the tables or is a superuser: the runtime role must be another role"
            )
        q = conn.dialect.identifier_preparer.quote
        who = q(role)
        schema = q(conn.execute(text("SELECT current_schema()")).scalar_one())
        database = q(conn.execute(text("SELECT current_database()")).scalar_one())
        statements = [
            f"GRANT CONNECT ON DATABASE {database} TO {who}",
            f"GRANT USAGE ON SCHEMA {schema} TO {who}",
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",  # run again: the same grants
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {who}",
            f"REVOKE UPDATE, DELETE ON ticket_event FROM {who}",
            f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {who}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} "
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {who}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT USAGE, SELECT ON SEQUENCES TO {who}",
        ]
        for statement in statements:
            conn.exec_driver_sql(statement)
    return statements


def _create_pg_database_if_missing(engine: Engine) -> None:
    """`db upgrade` creates a new PostgreSQL database too, as it does a new SQLite file."""
    url = engine.url
    if url.get_backend_name() != "postgresql" or not url.database:
        return
    import psycopg

    try:
        with engine.connect():
            return
    except OperationalError as e:
        if "does not exist" not in str(e.orig):
            raise DatabaseError(describe_failure(engine, e)) from None
    admin = url.set(drivername="postgresql", database="postgres").render_as_string(False)
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{url.database}"')
    except psycopg.Error as e:
        raise DatabaseError(f"cannot create database {url.database}: {e}".splitlines()[0]) from None


def _fmt(value: Any, sqlite: bool) -> Any:
    """Bulk rows bypass the ORM: format datetimes the way each backend's column expects."""
    if isinstance(value, datetime):
        return _sqlite_time(value) if sqlite else value.astimezone(UTC)
    return value


def _sqlite_time(value: datetime | None) -> str | None:
    """A time as SQLAlchemy stores it in SQLite: UTC, "YYYY-MM-DD HH:MM:SS.ffffff"."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def bulk_time(sqlite: bool) -> Callable[[datetime], str]:
    """How a caller of bulk_insert writes an aware time itself (then `times_written=True`): as
    SQLAlchemy stores it in SQLite (`_sqlite_time`), or with its offset for PostgreSQL's COPY. One
    call a value: a bulk load's millions of times cost a third of what bulk_insert's conversion does."""
    if sqlite:
        return lambda v: (v if v.tzinfo is UTC else v.astimezone(UTC)).isoformat(" ", "microseconds")[:26]
    return lambda v: v.isoformat(" ", "microseconds")


def bulk_insert(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    times_written: bool = False,
) -> int:
    """Insert many rows fast: COPY on PostgreSQL (psycopg adapts the values), executemany on SQLite
    (the time columns formatted a column at a time, found by the types they hold, unless the caller
    wrote them with `bulk_time`: `times_written`)."""
    rows = list(rows)
    if not rows:
        return 0
    cols = ", ".join(columns)
    if conn.dialect.name == "sqlite" and times_written:
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
    elif conn.dialect.name == "sqlite":
        values = list(zip(*rows, strict=True))
        for i, column in enumerate(values):
            if datetime in set(map(type, column)):
                values[i] = tuple(map(_sqlite_time, column))
        marks = ", ".join("?" * len(columns))
        conn.exec_driver_sql(
            f"INSERT INTO {table} ({cols}) VALUES ({marks})", list(zip(*values, strict=True))
        )
    else:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur, cur.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:  # type: ignore[union-attr]  # the driver connection is psycopg's on this branch
            for row in rows:
                copy.write_row(row)
    return len(rows)
