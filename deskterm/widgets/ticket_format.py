"""How tickets' values are shown: SLA countdowns coloured by time left, ages, statuses, priorities
and local times. Plain functions returning Rich Text (never markup)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text

from ..durations import span as span  # the one duration format, for the console too
from ..i18n import _
from ..text import clean

PRIORITY_STYLES = {1: "bold red", 2: "bold yellow", 3: "", 4: "dim", 5: "dim"}
SOON = timedelta(hours=1)  # a due time this close shows in warning colours


def priority_text(priority: int) -> Text:
    return Text(f"P{priority}", style=PRIORITY_STYLES.get(priority, ""))


def done(due: datetime | None, at: datetime, timezone: str, now: datetime) -> Text:
    """A clock stopped at `at` (responded, resolved): green ✓ with the time when it met `due`,
    red ✗ late by how much when it did not."""
    return late(due, at) or Text("✓ " + when(at, now, timezone), style="green")


def late(due: datetime | None, at: datetime) -> Text | None:
    """Red ✗ late by how much, for a clock stopped at `at` after `due`; None when it was in time."""
    if due is None or at <= due:
        return None
    return Text("✗ " + _("late") + " " + span(at - due), style="red")


def countdown(
    due: datetime | None, now: datetime, *, status: str = "", resolved_at: datetime | None = None
) -> Text:
    """Time left until `due`: red once breached, yellow within the hour; paused and met shown so."""
    if resolved_at is not None:
        return late(due, resolved_at) or Text("✓ " + _("met"), style="green")
    if due is None:
        return Text("⏸ " + _("paused"), style="dim") if status.startswith("pending") else Text("—")
    left = due - now
    if left <= timedelta(0):
        return Text("-" + span(left), style="bold white on red")
    style = "bold yellow" if left <= SOON else ""
    if status.startswith("pending"):
        return Text("⏸ " + span(left), style="dim")
    return Text(span(left), style=style)


def age(created: datetime, now: datetime) -> str:
    return span(now - created)


def desk_timezone(node: Any) -> str:
    """The desk's time zone (the app's settings), for showing times to a widget or dialog `node`."""
    settings = getattr(node.app, "settings", None)
    return settings.timezone if settings is not None else "Asia/Shanghai"


def local(value: datetime | None, timezone: str = "Asia/Shanghai") -> str:
    if value is None:
        return "—"
    return value.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def weekday(n: int) -> str:
    """Monday (0) to Sunday (6), short, in the console's language."""
    return (_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun"))[n]


def when(value: datetime | None, now: datetime, timezone: str = "Asia/Shanghai") -> str:
    """A time, above all a due time, in the desk's time zone as unambiguously as is short: today
    only the time (09:30), a day of the coming six the weekday too (Mon 09:30), any other day the
    date (2026-03-02 09:30)."""
    if value is None:
        return "—"
    zone = ZoneInfo(timezone)
    at = value.astimezone(zone)
    days = (at.date() - now.astimezone(zone).date()).days
    if days == 0:
        return at.strftime("%H:%M")
    if 0 < days < 7:
        return f"{weekday(at.weekday())} {at:%H:%M}"
    return at.strftime("%Y-%m-%d %H:%M")


def cell(value: object, style: str = "") -> Text:
    """People's text for a table cell: one line, literal, controls neutralised, cut with an ellipsis."""
    return Text(clean(value, single_line=True), style=style, no_wrap=True, overflow="ellipsis")
