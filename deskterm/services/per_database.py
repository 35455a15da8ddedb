"""One in-memory object per database per process (the KB's live index, the phone-ending index):
made on first use, shared by every thread, and gone with its Database."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from ..db import Database

T = TypeVar("T")


class PerDatabase(Generic[T]):
    """`per_db(db)` is the one T of `db` (made by `make(db)` the first time)."""

    def __init__(self, make: Callable[[Database], T]) -> None:
        self._make = make
        self._found: weakref.WeakKeyDictionary[Database, T] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def __call__(self, db: Database) -> T:
        with self._lock:
            found = self._found.get(db)
            if found is None:
                found = self._found[db] = self._make(db)
            return found

    def existing(self, db: Database) -> T | None:
        """The one T of `db` if it was made, else None (never makes it)."""
        with self._lock:
            return self._found.get(db)
