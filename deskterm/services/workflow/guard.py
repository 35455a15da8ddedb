"""Every change's guard: the ticket row locked, then its version compared with the one the change was
based on, and a refusal that says who changed what meanwhile; the write, the version bump, and the
texts a change cannot do without.

The ticket row is locked (FOR UPDATE on PostgreSQL; SQLite write transactions begin IMMEDIATE) before
the version is compared, so two concurrent edits cannot both pass."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from sqlmodel import Session, col, select

from ...db import Database
from ...i18n import later
from ...models import Agent, Category, EventKind, Team, Ticket, TicketEvent
from .. import inputs, tickets
from ..auth import Actor
from ..errors import Conflict, InvalidInput
from .rights import require_work

# The fields a refused change compares with what the editor saw (snapshot, current).
SNAPSHOT_FIELDS = (
    "status",
    "priority",
    "assignee",
    "team",
    "summary",
    "description",
    "kind",
    "category",
    "impact",
    "urgency",
    "service_mode",
    "warranty",
    "resolution",
)


def lock(s: Session, number: str) -> Ticket:
    return tickets.find_ticket(s, number, lock=True)


def locked(s: Session, number: str, version: int | None, seen: Mapping[str, Any] | None) -> Ticket:
    """The ticket, locked, refused if it is no longer at `version`."""
    t = lock(s, number)
    check_version(s, t, version, seen)
    return t


def require_workable(
    s: Session, actor: Actor, number: str, version: int | None, seen: Mapping[str, Any] | None
) -> Ticket:
    """The ticket locked and at `version`, refused unless the actor may work it (require_work): for a
    change only who may work the ticket makes."""
    t = locked(s, number, version, seen)
    require_work(s, actor, t)
    return t


def required(value: str, field: str, ask: str) -> str:
    """The text a change cannot do without (a resolution, a reason), cleaned; refused when empty."""
    value = inputs.text(value, field)
    if not value:
        raise InvalidInput({field: later("required: {ask}", ask=ask)})
    return value


def current(s: Session, t: Ticket) -> dict[str, Any]:
    """The ticket's SNAPSHOT_FIELDS as they are now."""
    names = {}
    if t.assignee_id:
        names["assignee"] = s.get(Agent, t.assignee_id)
    team = s.get(Team, t.team_id) if t.team_id else None
    category = s.get(Category, t.category_id) if t.category_id else None
    assignee = names.get("assignee")
    return {
        "status": t.status,
        "priority": t.priority,
        "assignee": assignee.name if assignee else "",
        "team": team.name if team else "",
        "summary": t.summary,
        "description": t.description,
        "kind": t.kind,
        "category": category.path if category else "",
        "impact": t.impact,
        "urgency": t.urgency,
        "service_mode": t.service_mode,
        "warranty": t.warranty,
        "resolution": t.resolution,
    }


def short(value: Any) -> str:
    """A value on one line of at most 40 characters ("—" for none)."""
    text = " ".join(str(value).split()) if value not in (None, "") else "—"
    return text if len(text) <= 40 else text[:39] + "…"


def check_version(s: Session, t: Ticket, version: int | None, seen: Mapping[str, Any] | None) -> None:
    """Refuse when the ticket is no longer at `version`, saying who changed what."""
    if version is None or t.version == version:
        return
    now = current(s, t)
    diffs = []
    if seen:
        diffs = [
            f"{k} {short(seen[k])} → {short(now[k])}"
            for k in SNAPSHOT_FIELDS
            if k in seen and seen[k] != now[k]
        ]
    events = s.exec(
        select(TicketEvent.kind, TicketEvent.actor_id, TicketEvent.data)
        .where(TicketEvent.ticket_id == t.id, col(TicketEvent.kind).not_in(("note", "worksheet", "created")))
        .order_by(col(TicketEvent.id).desc())
        .limit(20)
    ).all()
    newer: list[tuple[str, int | None]] = []
    for kind, actor_id, data in events:  # newest first, back to the first event at or below the version read
        v = json.loads(data or "{}").get("version")
        if v is not None and v <= version:
            break
        newer.append((kind, actor_id))
    newer = newer or [(kind, actor_id) for kind, actor_id, _data in events[:1]]
    who = sorted({_name(s, actor_id) for _kind, actor_id in newer})
    if not diffs:
        diffs = sorted({_EVENT_WORDS.get(kind, kind) for kind, _actor_id in newer})
    raise Conflict(
        later(
            "{number} was changed meanwhile by {who}: {changes}. "
            "Nothing was saved: look at the ticket again and redo your change.",
            number=t.number,
            who=", ".join(who) or later("someone"),
            changes="; ".join(diffs),
        )
    )


_EVENT_WORDS: dict[str, str] = {
    EventKind.STATUS: "status changed",
    EventKind.ASSIGNED: "assigned",
    EventKind.CLAIMED: "claimed",
    EventKind.TRANSFERRED: "transferred",
    EventKind.UPDATED: "fields edited",
    EventKind.ESCALATED: "escalated",
    EventKind.RESOLVED: "resolved",
    EventKind.REOPENED: "reopened",
    EventKind.CLOSED: "closed",
}


def _name(s: Session, agent_id: int | None) -> str:
    if agent_id is None:
        return "the system"
    agent = s.get(Agent, agent_id)
    return agent.name if agent else "someone"


def write(db: Database, fn: Callable[[Session], int]) -> int:
    return db.retrying(fn)


def bump(t: Ticket) -> dict[str, Any]:
    """A new version of the ticket; the event data that records it."""
    tickets.touch(t)
    return {"version": t.version}
