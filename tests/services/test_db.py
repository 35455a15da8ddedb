"""The schema: migrations, the models matching head, the append-only event log, SQLite pragmas."""

from __future__ import annotations

from datetime import UTC

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError as SADatabaseError

from deskterm.db import (
    DatabaseError,
    SchemaNotCurrent,
    ensure_current,
    head_revision,
    open_database,
    serial_reads,
)
from deskterm.models import Ticket, metadata
from tests.factories import make_agent, make_ticket


def test_migrated_database_is_current_and_matches_the_models(db):
    ensure_current(db)
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, metadata)
    assert diff == []


def test_serial_reads_last_one_transaction(db):
    def settings() -> tuple[str, str]:
        with db.read() as s:
            return s.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one(), s.execute(
                text("SHOW jit")
            ).scalar_one()

    if db.is_sqlite:  # nothing to set: the statement runs as before
        with db.read() as s:
            serial_reads(s)
            assert s.execute(text("SELECT 1")).scalar() == 1
        return
    server = settings()
    with db.read() as s:
        serial_reads(s)
        assert s.execute(text("SHOW max_parallel_workers_per_gather")).scalar_one() == "0"
        assert s.execute(text("SHOW jit")).scalar_one() == "off"
    assert settings() == server  # SET LOCAL: the pooled connection's next transaction is the server's


def test_times_come_back_aware_utc_whatever_the_server_zone(db):
    """PostgreSQL sessions are set to UTC (the server here runs Etc/UTC, a desk's may run its own
    zone): psycopg then hands out timezone.utc values, kept as they are."""
    actor = make_agent(db, "tz")
    ticket = make_ticket(db, actor)
    with db.read() as s:
        if not db.is_sqlite:
            assert s.execute(text("SHOW TimeZone")).scalar_one() == "UTC"
        created = s.get(Ticket, ticket.id).created_at
    assert created.tzinfo is UTC and created == ticket.created_at


def test_event_log_refuses_update_and_delete(db):
    actor = make_agent(db, "ann")
    make_ticket(db, actor)
    for sql in ("UPDATE ticket_event SET body = 'forged'", "DELETE FROM ticket_event"):
        with pytest.raises(SADatabaseError, match="append-only"), db.write() as s:
            s.execute(text(sql))
    with db.read() as s:
        assert s.execute(text("SELECT count(*) FROM ticket_event")).scalar() == 1


def test_unmigrated_database_is_refused_with_the_command_to_run(tmp_path):
    empty = open_database(f"sqlite:///{tmp_path / 'empty.db'}")
    with pytest.raises(SchemaNotCurrent, match="deskterm db upgrade"):
        ensure_current(empty)


def test_unreachable_server_gives_one_line_reason():
    bad = open_database("postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    with pytest.raises(DatabaseError) as err:
        ensure_current(bad)
    message = str(err.value)
    assert "127.0.0.1:1" in message and "\n" not in message


def test_sqlite_pragmas(sqlite_db):
    with sqlite_db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL


def test_head_revision_known():
    assert head_revision()


def test_head_revision_read_from_the_headers_is_alembics(tmp_path, monkeypatch):
    """The head read from the migration files' headers is the one alembic finds; a branched
    history (two heads) or a header it cannot read is left to alembic."""
    from deskterm import db as db_module

    assert head_revision() == db_module._alembic_head()
    versions = tmp_path / "versions"
    versions.mkdir()
    for rev, down in (("0001", "None"), ("0002", '"0001"'), ("0003", '("0001", "0002")')):
        (versions / f"{rev}.py").write_text(
            f'"""Revises: x"""\nrevision: str = "{rev}"\ndown_revision = {down}\n'
        )
    monkeypatch.setattr(db_module, "MIGRATIONS", tmp_path)
    monkeypatch.setattr(db_module, "_alembic_head", lambda: "alembic")
    assert head_revision() == "0003"
    (versions / "0004.py").write_text('revision = "0004"\ndown_revision = "0002"\n')
    assert head_revision() == "alembic"
    (versions / "0004.py").write_text('revision = "0004"\n')
    assert head_revision() == "alembic"


def test_times_read_back_are_aware_utc(db):
    actor = make_agent(db, "tim")
    t = make_ticket(db, actor)
    assert t.created_at.tzinfo is not None and t.created_at.utcoffset().total_seconds() == 0
