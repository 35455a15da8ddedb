"""Messages the app posts to its screens."""

from __future__ import annotations

from textual.message import Message


class Connected(Message):
    """The database is reachable and at the current revision."""


class ConnectFailed(Message):
    def __init__(self, reason: str) -> None:
        super().__init__()
        self.reason = reason
