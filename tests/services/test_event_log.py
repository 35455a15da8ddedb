"""Issue 12, point 5: the ticket event log is append-only, whatever SQL is tried.

SQLite: REPLACE and its cousins with an existing id (they delete without firing the delete trigger)
are refused (migration 0005). PostgreSQL: the same attempts are refused by the primary key and the
update/delete triggers; and since the owner could disable those, the desk runs as a runtime role
(`deskterm db grant-runtime ROLE`) that may not update, delete, truncate or disable anything there."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import make_app
from deskterm.db import Database, ensure_current, open_database
from deskterm.services import auth, escalation, tickets, workflow
from tests.factories import make_agent, make_ticket
from tests.invariants import violations

COLUMNS = "ticket_id, actor_id, at, kind, body, public, data"
FORGED = ":ticket, NULL, :at, 'resolved', 'forged', false, ''"
SQLITE_ATTEMPTS = [
    f"REPLACE INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED})",
    f"INSERT OR REPLACE INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED})",
    f"INSERT INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED}) "
    "ON CONFLICT (id) DO UPDATE SET kind = 'resolved', body = 'forged'",
    f"INSERT OR IGNORE INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED})",
    f"REPLACE INTO ticket_event (rowid, {COLUMNS}) VALUES (:id, {FORGED})",
    f"INSERT OR REPLACE INTO ticket_event (id, {COLUMNS}) "
    "SELECT id, ticket_id, actor_id, at, 'resolved', 'forged', public, data FROM ticket_event",
    f"INSERT INTO ticket_event (id, {COLUMNS}) VALUES (-5, {FORGED})",  # an id no insert may take
    "UPDATE OR REPLACE ticket_event SET kind = 'resolved' WHERE id = :id",
    "DELETE FROM ticket_event WHERE id = :id",
]
PG_ATTEMPTS = [
    f"INSERT INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED})",
    f"INSERT INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED}) "
    "ON CONFLICT (id) DO UPDATE SET kind = 'resolved', body = 'forged'",
    "MERGE INTO ticket_event e USING (SELECT CAST(:id AS bigint) AS id) s ON e.id = s.id "
    "WHEN MATCHED THEN UPDATE SET kind = 'resolved'",
    "MERGE INTO ticket_event e USING (SELECT CAST(:id AS bigint) AS id) s ON e.id = s.id "
    "WHEN MATCHED THEN DELETE",
    "UPDATE ticket_event SET kind = 'resolved' WHERE id = :id",
    "DELETE FROM ticket_event WHERE id = :id",
    "TRUNCATE ticket_event CASCADE",
]


def _events(db: Database) -> list[tuple]:  # type: ignore[type-arg]
    with db.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT * FROM ticket_event ORDER BY id"))]


def _worked_ticket(db: Database) -> tickets.TicketDetail:
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", name="Eddy")
    t = make_ticket(db, op)
    tickets.claim(db, eng, t.number)
    workflow.add_note(db, eng, t.number, "Asked the user to reboot")
    return tickets.get_ticket(db, op, t.number)


def test_no_sql_rewrites_or_removes_an_event(db):
    t = _worked_ticket(db)
    before = _events(db)
    claimed = next(e for e in t.events if e.kind == "claimed")
    params = {"id": claimed.id, "ticket": t.id, "at": "2026-01-01 00:00:00+00:00"}
    for sql in SQLITE_ATTEMPTS if db.is_sqlite else PG_ATTEMPTS:
        with pytest.raises(DBAPIError) as refused, db.engine.begin() as conn:
            conn.execute(text(sql), params)
        reason = str(refused.value.orig)
        assert "append-only" in reason or "duplicate key" in reason, (sql, reason)
        assert _events(db) == before, sql
    if not db.is_sqlite:  # ON CONFLICT DO NOTHING inserts nothing and changes nothing
        with db.engine.begin() as conn:
            conn.execute(
                text(
                    f"INSERT INTO ticket_event (id, {COLUMNS}) VALUES (:id, {FORGED}) ON CONFLICT DO NOTHING"
                ),
                params,
            )
        assert _events(db) == before
    workflow.add_note(db, make_agent(db, "erin"), t.number, "Still appends")  # the desk still writes
    assert len(_events(db)) == len(before) + 1 and violations(db) == []


def _cli(db: Database, *args: str):  # type: ignore[no-untyped-def]
    url = db.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(make_app(), ["--db", url, *args])


def test_grant_runtime_is_refused_on_sqlite_with_one_line(sqlite_db):
    result = _cli(sqlite_db, "db", "grant-runtime", "desk_app")
    assert result.exit_code == 1
    assert (
        result.output
        == "deskterm: grant-runtime is for PostgreSQL: SQLite has no roles (see docs/DEPLOY.md)\n"
    )


@pytest.fixture
def runtime_role(db: Database):  # type: ignore[no-untyped-def]
    if db.is_sqlite:
        pytest.skip("roles are PostgreSQL's")
    role = f"deskterm_rt_{uuid.uuid4().hex[:8]}"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN")
    try:
        yield role
    finally:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")


def test_the_runtime_role_runs_the_desk_and_cannot_touch_the_event_log(db, runtime_role):
    t = _worked_ticket(db)  # agents and a ticket, made by the owner
    make_agent(db, "sue", role="supervisor", name="Sue")
    refused = _cli(db, "db", "grant-runtime", "postgres")
    assert refused.exit_code == 1 and "'postgres' owns the tables or is a superuser" in refused.output
    missing = _cli(db, "db", "grant-runtime", "no_such_role")
    assert missing.exit_code == 1 and "no role 'no_such_role'" in missing.output
    granted = _cli(db, "db", "grant-runtime", runtime_role)
    assert granted.exit_code == 0, granted.output
    again = _cli(db, "db", "grant-runtime", runtime_role)  # after an upgrade: the same grants
    assert again.exit_code == 0, again.output

    url = db.engine.url.set(username=runtime_role, password=None)
    runtime = open_database(url.render_as_string(hide_password=False))
    try:
        ensure_current(runtime)
        op = auth.login(runtime, "olga", "secret-pw")
        eng = auth.login(runtime, "eddy", "secret-pw")
        new = make_ticket(runtime, op, "Printer jams")
        tickets.claim(runtime, eng, new.number)
        workflow.add_note(runtime, eng, new.number, "Cleared the jam")
        version = tickets.current_version(runtime, new.number)
        version = workflow.resolve(runtime, eng, new.number, "Replaced the roller", version=version)
        sue = auth.login(runtime, "sue", "secret-pw")
        workflow.reopen(runtime, sue, new.number, "Jams again", version=version)
        escalation.run_pass(runtime, scope=escalation.plan_scope(runtime, clock.now()))  # the watcher
        assert tickets.get_ticket(runtime, op, new.number).status == "in_progress"

        before = _events(db)
        for sql in (
            "UPDATE ticket_event SET kind = 'resolved' WHERE id = :id",
            "DELETE FROM ticket_event WHERE id = :id",
            "TRUNCATE ticket_event CASCADE",
            "ALTER TABLE ticket_event DISABLE TRIGGER ticket_event_no_change",
            "ALTER TABLE ticket_event DISABLE TRIGGER ALL",
            "SET session_replication_role = replica",  # would skip every trigger
            "DROP TRIGGER ticket_event_no_change ON ticket_event",
            "UPDATE alembic_version SET version_num = '0001'",
        ):
            with pytest.raises(DBAPIError) as denied, runtime.engine.begin() as conn:
                conn.execute(text(sql), {"id": t.events[1].id})
            reason = str(denied.value.orig)
            assert "permission denied" in reason or "must be owner" in reason, (sql, reason)
        assert _events(db) == before
    finally:
        runtime.dispose()
    assert violations(db) == []
