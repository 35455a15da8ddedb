"""How long something took or has been going, as the desk reads it, in one place for the console and
the CLI (the monitor and `deskterm report` print the same figure the same way)."""

from __future__ import annotations

from datetime import timedelta


def span(delta: timedelta, *, seconds: bool = False) -> str:
    """A duration as a desk reads it: 2d 4h, 3h 05m, 12m, 40s; with `seconds` the minutes keep
    theirs (4m 54s), where a few seconds matter (handle times, time in a state)."""
    total = round(abs(delta.total_seconds())) if seconds else int(abs(delta.total_seconds()))
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s" if seconds else f"{minutes}m"
    return f"{secs}s"


def duration(seconds: float | None) -> str:
    """A time of the KPIs (handle, resolution, hand-over) in seconds, to the second: 4m 54s; — for
    none."""
    return "—" if seconds is None else span(timedelta(seconds=seconds), seconds=True)
