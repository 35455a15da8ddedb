"""The per-database registry behind the KB's live index and the phone-ending index."""

from __future__ import annotations

import gc
import weakref

from sqlalchemy import create_engine

from deskterm.db import Database
from deskterm.services.per_database import PerDatabase


class Thing:
    def __init__(self, db: Database) -> None:
        self.db = db


class Index:
    pass


def _database() -> Database:
    return Database(create_engine("sqlite://"))  # never connects


def test_one_object_per_database_made_on_first_use_only() -> None:
    made: list[Database] = []

    def make(db: Database) -> Thing:
        made.append(db)
        return Thing(db)

    per_db = PerDatabase(make)
    one, two = _database(), _database()
    assert per_db.existing(one) is None
    assert made == []  # asking whether it exists does not make it
    first = per_db(one)
    assert per_db(one) is first
    assert per_db.existing(one) is first
    assert per_db(two) is not first
    assert per_db(two).db is two
    assert made == [one, two]


def test_the_object_goes_with_its_database() -> None:
    per_db = PerDatabase(lambda db: Index())
    db = _database()
    gone = weakref.ref(per_db(db))
    del db
    gc.collect()
    assert gone() is None
