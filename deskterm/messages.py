"""Messages of the console's shell: the app's start-up worker to the app, and the app to its screens."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from .widgets.service import ServiceDone

if TYPE_CHECKING:
    from .services.auth import Actor  # noqa: F401 - named as a string in a base class (no runtime import)


class DatabaseOpened(Message):
    """To the app, from its start-up worker: settings loaded, the database reachable and current."""

    bubble = False


class DatabaseFailed(Message):
    """To the app, from its start-up worker: no settings or no usable database, and why."""

    bubble = False

    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason


class DemoPreparing(Message, bubble=False):
    """From the app's start-up worker to the app, and from the app to the login screen: the demo
    desk is being prepared; `done` of `total` tickets generated (0 of 0: before they are counted,
    or none to generate). It does not bubble (the class keyword: Message's __init_subclass__ sets
    `bubble` after the class body), or the app would forward it again."""

    def __init__(self, done: int = 0, total: int = 0) -> None:
        super().__init__()
        self.done = done
        self.total = total


class SessionOpened(ServiceDone["Actor"]):
    """The agent `deskterm serve` authenticated, as an actor (no second password)."""


class Connected(Message):
    """The database is reachable and at the current revision."""


class ConnectFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
