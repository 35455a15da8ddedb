"""Fixtures: a fresh, migrated database per test on SQLite and on PostgreSQL.

PostgreSQL: one template database per test run (migrated and seeded once), cloned for each test,
so runs and tests never see each other's rows. In CI (CI=true) the PostgreSQL half is mandatory;
elsewhere it is skipped with a message when no server answers."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from deskterm import clock
from deskterm.db import Database, open_database, upgrade
from deskterm.services import auth, reference

PG_ADMIN_URL = os.environ.get("DESKTERM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
RUN_ID = uuid.uuid4().hex[:8]


def _pg_admin():  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)


FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)  # ~0.03 ms a hash


@pytest.fixture(autouse=True)
def _fast_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(auth, "HASHER", FAST_HASHER)


@pytest.fixture(autouse=True)
def _private_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own user data and config directories (drafts, config.toml)."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.delenv("DESKTERM_DATABASE_URL", raising=False)
    monkeypatch.delenv("DESKTERM_PASSWORD", raising=False)


@pytest.fixture(autouse=True)
def _system_clock() -> Iterator[None]:
    yield
    clock.set_clock(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    db = open_database(f"sqlite:///{path}")
    upgrade(db.engine)
    reference.seed(db)
    db.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    try:
        conn = _pg_admin()
    except Exception as e:  # noqa: BLE001 - any failure to connect means "no server here"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"PostgreSQL is mandatory in CI and does not answer at {PG_ADMIN_URL}: {e}")
        pytest.skip(f"no PostgreSQL server at {PG_ADMIN_URL} ({e}); PostgreSQL tests skipped")
    name = f"deskterm_t{RUN_ID}_tpl"
    conn.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_URL.rsplit("/", 1)[0]
    db = open_database(f"{base}/{name}")
    upgrade(db.engine)
    reference.seed(db)
    db.dispose()
    yield name
    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def _pg_clone(template: str) -> tuple[str, str]:
    name = f"deskterm_t{RUN_ID}_{uuid.uuid4().hex[:8]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return name, f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def _pg_drop(name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "pg"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, seeded, empty desk database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "desk.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = open_database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    name, url = _pg_clone(request.getfixturevalue("pg_template"))
    database = open_database(url)
    yield database
    database.dispose()
    _pg_drop(name)


@pytest.fixture
def sqlite_db(tmp_path: Path, sqlite_template: Path) -> Iterator[Database]:
    path = tmp_path / "desk.db"
    shutil.copy(sqlite_template, path)
    database = open_database(f"sqlite:///{path}")
    yield database
    database.dispose()
