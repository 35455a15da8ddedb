"""A desk to serve: agents of each role in a fresh database (both backends), and the server on it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from deskterm.db import Database
from deskterm.services.auth import Actor
from tests.factories import make_agent

from .helpers import Server

PASSWORD = "secret-pw"


@dataclass
class Desk:
    db: Database
    url: str
    olga: Actor  # operator: lands on Intake
    eng: Actor  # engineer: lands on the Work queue
    ella: Actor  # a second engineer of the same team
    admin: Actor


def make_desk(db: Database) -> Desk:
    return Desk(
        db=db,
        url=db.engine.url.render_as_string(hide_password=False),
        olga=make_agent(db, "olga", role="operator", team="Service Desk", tier=1, name="Olga Petrova"),
        eng=make_agent(db, "eng", role="engineer", team="Desktop Support", name="Ethan Eng"),
        ella=make_agent(db, "ella", role="engineer", team="Desktop Support", name="Ella Ng"),
        admin=make_agent(db, "admin", role="admin", team=None, tier=3, name="Ada Admin"),
    )


@pytest.fixture
def desk(db: Database) -> Desk:
    return make_desk(db)


@pytest.fixture
def server(desk: Desk) -> Iterator[Server]:
    srv = Server(desk.url)
    yield srv
    srv.stop()
