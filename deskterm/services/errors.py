"""Errors a user can cause: each carries a message fit to show as it is."""

from __future__ import annotations

from ..i18n import later

# A ticket's status inside a sentence ("SR-000123 is waiting for the customer: ..."): in a refusal
# here, in the console (widgets/labels.py) too.
STATUS_IN_SENTENCE = {
    "new": "new",
    "assigned": "assigned",
    "in_progress": "in progress",
    "pending_customer": "waiting for the customer",
    "pending_third_party": "waiting for a third party",
    "resolved": "resolved",
    "closed": "closed",
}


def status_words(status: str) -> str:
    """A ticket's status as a reason says it, translated where the reason is shown."""
    return later(STATUS_IN_SENTENCE.get(status, status))


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
