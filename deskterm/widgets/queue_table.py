"""The work queue's table: the rows it shows, drawn and redrawn by key (the cursor stays on its
ticket), live SLA countdowns, and the ticket the agent put the cursor on."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import Any

from rich.text import Text

from .. import clock
from ..i18n import _
from ..services import queue
from .labels import status_label
from .table import FastTable
from .ticket_format import age, cell, countdown, priority_text

# (sort key, header, width); the summary takes what is left
COLUMNS = (
    ("number", "Number", 9),
    ("priority", "P", 2),
    ("due", "SLA due", 10),
    ("customer", "Customer", 12),
    ("organisation", "Organisation", 12),
    ("summary", "Summary", 24),
    ("status", "Status", 12),
    ("assignee", "Assignee", 10),
    ("age", "Age", 7),
)
NARROW_HIDDEN = ("organisation", "assignee", "age")  # on a narrow screen (FastTable.fit)


def _due(r: queue.QueueRow, now: datetime) -> Text:
    return countdown(
        r.resolve_by, now, status=r.status, resolved_at=r.resolved_at if r.status != "closed" else None
    )


def _cells(r: queue.QueueRow, now: datetime) -> tuple[Text, ...]:
    return (
        Text(r.number, style="bold red" if r.escalation_level else ""),
        priority_text(r.priority),
        _due(r, now),
        cell(r.customer),
        cell(r.organisation),
        cell(r.summary),
        Text(status_label(r.status)),
        cell(r.assignee),
        Text(age(r.created_at, now)),
    )


class QueueTable(FastTable):
    """The queue's rows. It tells the cursor moves the agent makes (keys, mouse) from those made
    by code (a live refresh that removed the row under the cursor), and keeps the ticket the agent
    put the cursor on: an action is for that ticket, not for whatever row slid under the cursor."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(columns=COLUMNS, narrow=NARROW_HIDDEN, flex="summary", **kwargs)
        self.shown: list[queue.QueueRow] = []  # the rows drawn, in order
        self.chosen: str | None = None  # the number the agent put the cursor on
        self._by_code = 0

    @contextmanager
    def by_code(self) -> Iterator[None]:
        """Cursor moves inside this block are not the agent's."""
        self._by_code += 1
        try:
            yield
        finally:
            self._by_code -= 1

    def watch_cursor_coordinate(self, old: Any, new: Any) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self._by_code:
            self.chosen = self.cursor_key()

    def numbers(self) -> set[str]:
        return {r.number for r in self.shown}

    # --- drawing -----------------------------------------------------------------------------------

    def fill(self, rows: list[queue.QueueRow], keep: str | None, *, live: bool) -> None:
        """Draw `rows`, the cursor on `keep` (or at its place). After a live refresh the ticket
        the agent chose stays chosen, even if another row now sits under the cursor."""
        place = self.cursor_row
        with self.by_code():
            self.clear()
            now = clock.now()
            for r in rows:
                self.add_row(*_cells(r, now), key=r.number)
            self.shown = rows
            if rows:
                index = next((i for i, r in enumerate(rows) if r.number == keep), min(place, len(rows) - 1))
                self.move_cursor(row=max(0, index), animate=False)
        if not live:
            self.chosen = self.cursor_key()

    def relabel(self) -> None:
        """The headers in the current language; the same rows, the cursor where it was."""
        keep = self.cursor_key()
        self.label_columns()
        self.fill(self.shown, keep, live=False)

    def append(self, rows: list[queue.QueueRow], *, drop_first: int = 0) -> None:
        """Add `rows` at the end and take the first `drop_first` rows away (the cursor stays on its
        ticket)."""
        now = clock.now()
        with self.by_code():
            for row in rows:
                self.add_row(*_cells(row, now), key=row.number)
            self.shown = self.shown + rows
            if drop_first:
                key = self.cursor_key()
                for row in self.shown[:drop_first]:
                    self.remove_row(row.number)
                self.shown = self.shown[drop_first:]
                if key is not None and key in self.numbers():
                    self.move_cursor(row=self.get_row_index(key), animate=False)

    def remove_ticket(self, number: str) -> None:
        """Take the row of `number` away (the agent's own claim took it out of the view)."""
        if number in self.numbers():
            with self.by_code():
                self.remove_row(number)
            self.shown = [r for r in self.shown if r.number != number]
        if self.chosen == number:
            self.chosen = self.cursor_key()

    def _redraw(self, row: queue.QueueRow, now: datetime) -> None:
        for (key, _l, _w), value in zip(COLUMNS, _cells(row, now), strict=True):
            self.update_cell(row.number, key, value)

    def patch(self, fresh: list[queue.QueueRow]) -> None:
        """Rows read again by id: their cells change in place; their place in the order is the
        next read's."""
        by_id = {r.id: r for r in fresh}
        now = clock.now()
        for i, old in enumerate(self.shown):
            new = by_id.get(old.id)
            if new is None or replace(new, key=old.key) == old:
                continue
            self.shown[i] = replace(new, key=old.key)
            self._redraw(new, now)

    def apply(self, rows: list[queue.QueueRow]) -> None:
        """Same rows in the same order: update the changed cells; otherwise rebuild, keeping the
        cursor on its ticket (or its place, if the ticket left the view)."""
        if [r.number for r in rows] != [r.number for r in self.shown]:
            self.fill(rows, self.cursor_key(), live=True)
            return
        now = clock.now()
        for old, new in zip(self.shown, rows, strict=True):
            if old != new:
                self._redraw(new, now)
        self.shown = rows

    def tick(self) -> None:
        """The SLA countdowns and ages move on (only the cells whose text changed are redrawn)."""
        now = clock.now()
        for r in self.shown:
            for key, value in (("due", _due(r, now)), ("age", Text(age(r.created_at, now)))):
                shown = self.get_cell(r.number, key)
                if (shown.plain, shown.style) != (value.plain, value.style):
                    self.update_cell(r.number, key, value)

    # --- the ticket an action is for -----------------------------------------------------------------

    def target(self) -> queue.QueueRow | None:
        """The row an action is for: the one under the cursor, if the agent put the cursor there.
        If a live refresh moved the cursor onto another ticket, nothing is done and the agent is
        told; the row now under the cursor counts as seen, for the next key."""
        key = self.cursor_key()
        row = next((r for r in self.shown if r.number == key), None)
        if row is None or self.chosen == row.number:
            return row
        if self.chosen is not None and self.chosen not in self.numbers():
            message = _(
                "{gone} has left this view: nothing was done. The cursor is on {number} now.",
                gone=self.chosen,
                number=row.number,
            )
        else:
            message = _(
                "The list changed under the cursor: nothing was done. The cursor is on {number} now.",
                number=row.number,
            )
        self.chosen = row.number
        self.notify(message, severity="warning", markup=False)
        return None
