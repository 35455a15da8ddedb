"""What must hold of every ticket and its event log whatever ran concurrently (issue 12, point 1)."""

from __future__ import annotations

import json
from collections import defaultdict

from sqlmodel import col, select

from deskterm.db import Database
from deskterm.models import OPEN_STATUSES, Status, Ticket, TicketEvent


def violations(db: Database, numbers: list[str] | None = None) -> list[str]:
    """One line per broken rule, for these tickets (default: every ticket of the database):
    - status and is_open agree; resolved_at is set exactly when resolved or closed, closed_at when closed;
    - an open ticket is in exactly one queue: assigned → its assignee's, else its team's (it has a
      team); a new ticket is nobody's, an assigned one somebody's;
    - each version after the first was made by exactly one event, which records it, and the versions
      rise along the event log: the events' versions in id order are exactly 2, 3, …, version."""
    with db.read() as s:
        query = select(Ticket).order_by(col(Ticket.id))
        found = s.exec(query if numbers is None else query.where(col(Ticket.number).in_(numbers))).all()
        versions: dict[int, list[int]] = defaultdict(list)
        for ticket_id, data in s.exec(
            select(TicketEvent.ticket_id, TicketEvent.data).order_by(col(TicketEvent.id))
        ).all():
            version = json.loads(data).get("version") if data else None
            if version is not None:
                versions[ticket_id].append(version)
    out = []
    for t in found:
        where = f"{t.number} (status {t.status}, version {t.version})"
        if t.is_open != (t.status in OPEN_STATUSES):
            out.append(f"{where}: is_open={t.is_open}")
        if (t.resolved_at is not None) != (t.status in (Status.RESOLVED, Status.CLOSED)):
            out.append(f"{where}: resolved_at={t.resolved_at}")
        if (t.closed_at is not None) != (t.status == Status.CLOSED):
            out.append(f"{where}: closed_at={t.closed_at}")
        if t.is_open and t.assignee_id is None and t.team_id is None:
            out.append(f"{where}: open in no queue")
        if t.status == Status.ASSIGNED and t.assignee_id is None:
            out.append(f"{where}: assigned to nobody")
        if t.status == Status.NEW and t.assignee_id is not None:
            out.append(f"{where}: new but assigned")
        if versions[t.id or 0] != list(range(2, t.version + 1)):
            out.append(f"{where}: the event log's versions are {versions[t.id or 0]}")
    return out
