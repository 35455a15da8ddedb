"""One injectable clock: every time in deskterm is timezone-aware UTC and comes from here."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    return _now()


def set_clock(fn: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); None restores the system clock."""
    global _now
    _now = fn or (lambda: datetime.now(UTC))


class FrozenClock:
    """A controllable clock for tests: time moves only when told."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("a clock time must be timezone-aware")
        self.time = start.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.time

    def advance(self, **delta: float) -> datetime:
        self.time += timedelta(**delta)
        return self.time


def as_utc(value: datetime) -> datetime:
    """Naive values read back from SQLite are UTC; aware ones are converted."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
