"""Pilot helpers: build the app as the CLI does, wait on state (never on fixed sleeps)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from textual.pilot import Pilot

from deskterm.app import DeskApp
from deskterm.config import Settings
from deskterm.db import Database


def make_app(db: Database, **kwargs) -> DeskApp:  # type: ignore[no-untyped-def]
    settings = Settings.model_validate({"database_url": str(db.engine.url), "poll_interval": 0.02})
    return DeskApp(settings=settings, database=db, **kwargs)


async def wait_until(pilot: Pilot, predicate: Callable[[], object], timeout: float = 30.0) -> None:
    """Let the app run until `predicate()` holds (workers finish, messages arrive)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {predicate}")
        await pilot.pause(0.02)


async def log_in(pilot: Pilot, login: str, password: str) -> None:
    from textual.widgets import Input

    app = pilot.app

    def ready() -> bool:
        return bool(app.screen.query("#login-name")) and not app.screen.query_one("#login-name").disabled

    await wait_until(pilot, ready)
    app.screen.query_one("#login-name", Input).value = login
    app.screen.query_one("#login-password", Input).focus()
    app.screen.query_one("#login-password", Input).value = password
    await pilot.press("enter")


async def go_to(pilot: Pilot, key: str, mode: str) -> None:
    """After login: open a top-level screen by its F-key."""
    app = pilot.app
    await wait_until(pilot, lambda: app.actor is not None and app.current_mode != "_default")  # type: ignore[attr-defined]
    await pilot.press(key)
    await wait_until(pilot, lambda: app.current_mode == mode)
