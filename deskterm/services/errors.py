"""Errors a user can cause: each carries a message fit to show as it is."""

from __future__ import annotations


class DeskError(Exception):
    """A refusal the user can understand and act on (never a bug)."""

    exit_code = 1


class NotFound(DeskError):
    pass


class PermissionDenied(DeskError):
    exit_code = 4


class InvalidInput(DeskError):
    """One or more fields are missing or malformed: field -> reason."""

    exit_code = 2

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{field}: {reason}" for field, reason in errors.items()))


class Conflict(DeskError):
    """Someone else got there first: already taken, or changed meanwhile."""

    exit_code = 3


class LoginFailed(DeskError):
    pass
