"""A database at a fixed path, for snapshot tests whose screen names the database file.

The path is fixed, so two tests (two xdist workers, or two test runs on one machine) would copy over
each other's file: an exclusive lock on the path is held from the copy until the test is done."""

from __future__ import annotations

import contextlib
import fcntl
import shutil
from collections.abc import Iterator
from pathlib import Path

from deskterm.db import Database, open_database

ROOT = Path("/tmp/deskterm-snapshots")


@contextlib.contextmanager
def fixed_path_db(name: str, template: Path) -> Iterator[Database]:
    """A copy of `template` at /tmp/deskterm-snapshots/<name>, for this test alone."""
    ROOT.mkdir(parents=True, exist_ok=True)
    path = ROOT / name
    with open(ROOT / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        shutil.copy(template, path)
        db = open_database(f"sqlite:///{path}")
        try:
            yield db
        finally:
            db.dispose()
