"""The open tickets' few keys in memory, for the monitor: loaded once from a covering index, then
updated by ticket id from the change feed, with the counts the monitor shows kept up to date; and
the same counts at one instant by one grouped read (`OpenCounts`), for the monitor's first view."""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import func, true
from sqlmodel import Session, col

from ...models import Status, Ticket
from .figures import AT_RISK, RUNNING
from .parts import epoch

Key = tuple[int | None, str, int | None, float | None, float]  # team, status, assignee, due, created


class OpenBook:
    """The open tickets' keys (team, status, assignee, resolve-by, created), with the counts the
    monitor shows kept up to date as tickets are put in or taken out."""

    def __init__(self) -> None:
        self.rows: dict[int, Key] = {}
        self.cells: Counter[tuple[int | None, str]] = Counter()
        self.agent_open: Counter[int] = Counter()
        self.due: dict[int | None, list[float]] = {}  # per team, sorted resolve-by of running tickets
        self.waiting: dict[int | None, list[tuple[float, int]]] = {}  # per team, (created, id) of new
        self.created: list[float] = []  # sorted creation times of all open tickets

    def load(self, rows: Iterable[tuple[int, Key]]) -> None:
        """Start from these open tickets (sorting once, not inserting one by one)."""
        self.__init__()  # type: ignore[misc]  # resets every field to its initial value
        for ticket_id, key in rows:
            team, status, assignee, due, created = key
            self.rows[ticket_id] = key
            self.cells[(team, status)] += 1
            if assignee is not None:
                self.agent_open[assignee] += 1
            self.created.append(created)
            if status in RUNNING and due is not None:
                self.due.setdefault(team, []).append(due)
            if status == Status.NEW:
                self.waiting.setdefault(team, []).append((created, ticket_id))
        self.created.sort()
        for times in self.due.values():
            times.sort()
        for queue in self.waiting.values():
            queue.sort()

    def put(self, ticket_id: int, key: Key | None) -> None:
        """Set a ticket's current keys (None: no longer open). Idempotent."""
        old = self.rows.pop(ticket_id, None)
        if old is not None:
            self._count(ticket_id, old, -1)
        if key is not None:
            self.rows[ticket_id] = key
            self._count(ticket_id, key, +1)

    def _count(self, ticket_id: int, key: Key, sign: int) -> None:
        team, status, assignee, due, created = key
        self.cells[(team, status)] += sign
        if assignee is not None:
            self.agent_open[assignee] += sign
        _sorted(self.created, created, sign)
        if status in RUNNING and due is not None:
            _sorted(self.due.setdefault(team, []), due, sign)
        if status == Status.NEW:
            _sorted(self.waiting.setdefault(team, []), (created, ticket_id), sign)

    def breached(self, team: int | None, now: float) -> int:
        return bisect.bisect_left(self.due.get(team, []), now)

    def at_risk(self, team: int | None, now: float) -> int:
        due = self.due.get(team, [])
        return bisect.bisect_left(due, now + AT_RISK.total_seconds()) - bisect.bisect_left(due, now)

    def open_created_between(self, since: float, until: float) -> int:
        """Open tickets created in [since, until): the same window as the period's calls (a ticket
        stamped after `until`, by a clock ahead of ours, is not one of them)."""
        return bisect.bisect_left(self.created, until) - bisect.bisect_left(self.created, since)

    def teams(self) -> set[int | None]:
        return {team for team, _status in self.cells if self.cells[(team, _status)]}


class OpenCounts:
    """What OpenBook tells the monitor, at one instant (`now`; open tickets created from `since` on),
    read by one grouped scan of the covering index (ix_ticket_open_state) and a look-up of each
    team's oldest new ticket: at 1M tickets (131k open) 35 ms of SQLite's time where loading the
    book of their keys takes over a second. The monitor's first view is made from it, and the
    book is loaded by the refresh after it."""

    def __init__(self, s: Session, now: datetime, since: datetime) -> None:
        due = col(Ticket.resolve_by)
        group = (col(Ticket.team_id), col(Ticket.status), col(Ticket.assignee_id))
        rows = s.connection().execute(  # the fewer the terms a row, the quicker (filtered counts)
            sa.select(
                *group,
                func.count(),
                func.count().filter(due < now),
                func.count().filter(due < now + AT_RISK),
                func.count().filter(col(Ticket.created_at) >= since, col(Ticket.created_at) < now),
            )
            .where(col(Ticket.is_open) == true())
            .group_by(*group)
        )
        self.cells: Counter[tuple[int | None, str]] = Counter()
        self.agent_open: Counter[int] = Counter()
        self._breached: Counter[int | None] = Counter()
        self._at_risk: Counter[int | None] = Counter()
        self._since = since.timestamp()
        self._created_since = 0
        for team, status, assignee, n, past_due, due_soon, created_since in rows:
            self.cells[(team, status)] += n
            if assignee is not None:
                self.agent_open[assignee] += n
            if status in RUNNING:  # the SLA clock runs: due times count
                self._breached[team] += past_due
                self._at_risk[team] += due_soon - past_due
            self._created_since += created_since
        self._now = now.timestamp()
        self.waiting: dict[int | None, list[tuple[float, int]]] = {}  # per team, its oldest new ticket
        for team, status in list(self.cells):
            if status == Status.NEW and self.cells[(team, status)]:
                made, ticket_id = (
                    s.connection()
                    .execute(
                        sa.select(epoch(s, Ticket.created_at), col(Ticket.id))  # as book_query reads it
                        .where(
                            col(Ticket.is_open) == true(),
                            col(Ticket.team_id).is_(None) if team is None else col(Ticket.team_id) == team,
                            col(Ticket.status) == Status.NEW,
                        )
                        .order_by(col(Ticket.created_at), col(Ticket.id))
                        .limit(1)
                    )
                    .one()
                )
                assert ticket_id is not None  # a stored ticket's
                self.waiting[team] = [(float(made), ticket_id)]

    def breached(self, team: int | None, now: float) -> int:
        assert now == self._now, "the counts are of the instant they were read at"
        return self._breached[team]

    def at_risk(self, team: int | None, now: float) -> int:
        assert now == self._now, "the counts are of the instant they were read at"
        return self._at_risk[team]

    def open_created_between(self, since: float, until: float) -> int:
        """Open tickets created in [since, until) (as OpenBook's)."""
        assert (since, until) == (self._since, self._now), "the counts are of the day and instant read"
        return self._created_since

    def teams(self) -> set[int | None]:
        return {team for team, _status in self.cells if self.cells[(team, _status)]}


def _sorted(items: list[Any], value: Any, sign: int) -> None:
    if sign > 0:
        bisect.insort(items, value)
    else:
        i = bisect.bisect_left(items, value)
        if i < len(items) and items[i] == value:
            del items[i]


def book_query(s: Session) -> Any:
    """A ticket's keys as named columns (id, team_id, status, assignee_id, due, created, is_open)."""
    return sa.select(
        col(Ticket.id),
        col(Ticket.team_id),
        col(Ticket.status),
        col(Ticket.assignee_id),
        epoch(s, Ticket.resolve_by).label("due"),
        epoch(s, Ticket.created_at).label("created"),
        col(Ticket.is_open),
    )


def book_key(row: Any) -> Key | None:
    """The keys of a row of book_query; None for a ticket no longer open."""
    if not row.is_open:
        return None
    due = float(row.due) if row.due is not None else None
    return (row.team_id, row.status, row.assignee_id, due, float(row.created))
