"""The status life cycle: notes, status moves (and the SLA clock they stop and start), resolving and
reopening. Notes append and never conflict: they do not bump the version."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from ... import clock
from ...db import Database
from ...i18n import later
from ...models import OPEN_STATUSES, PENDING_STATUSES, EventKind, KbArticle, Status, Ticket
from .. import directory, inputs, notify, sla, tickets
from ..auth import Actor, require
from ..errors import InvalidInput, PermissionDenied, status_words
from .guard import lock, locked, require_workable, required, write
from .rights import STATUS_MOVES, require_work

NOTE_MAX = inputs.LONG_TEXT


def set_status(s: Session, t: Ticket, to: str, now: datetime) -> dict[str, Any]:
    """Move the status with its side effects on the clock; returns the event data to record."""
    data: dict[str, Any] = {"from": t.status, "to": to}
    was_paused = t.status in PENDING_STATUSES
    if to in PENDING_STATUSES and not was_paused:
        sla.stop(s, t, now)
    elif was_paused and to not in PENDING_STATUSES:
        data["pause"] = [at.isoformat() for at in sla.resume(s, t, now)]
    if to in (Status.RESOLVED, Status.CLOSED):
        t.resolved_at = t.resolved_at or now
    if to == Status.CLOSED:
        t.closed_at = now
    if to in OPEN_STATUSES:
        t.resolved_at = t.closed_at = None
    tickets.touch(t, to)
    data["version"] = t.version
    return data


def responded(t: Ticket, now: datetime) -> None:
    """The first response is now, unless there was one already."""
    if t.responded_at is None:
        t.responded_at = now


def add_note(db: Database, actor: Actor, number: str, body: str, *, public: bool = False) -> int:
    """Append a note (internal, or public: told to the customer). Never conflicts."""
    body = inputs.text(body, "note", limit=NOTE_MAX)
    if not body:
        raise InvalidInput({"note": "write something"})

    def work(s: Session) -> int:
        require(s, actor, "tickets.read")
        t = lock(s, number)
        t.updated_at = clock.now()  # a note appends: the version (and so no edit) is disturbed
        event = tickets.record_event(s, t, actor.id, EventKind.NOTE, body, public=public)
        notify.notify_mentions(s, t, actor.id, body)  # "@login" in a note reaches that agent's inbox
        s.flush()
        return event.id or 0

    return write(db, work)


def change_status(
    db: Database,
    actor: Actor,
    number: str,
    to: str,
    *,
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
    note: str = "",
) -> int:
    """Move a ticket along the life cycle; an illegal move is refused with the reason."""
    if to not in set(Status):
        raise InvalidInput({"status": later("one of {choices}", choices=", ".join(Status))})
    note = inputs.text(note, "note")

    def work(s: Session) -> int:
        t = require_workable(s, actor, number, version, seen)
        _check_move(t, to, actor)
        now = clock.now()
        data = set_status(s, t, to, now)
        responded(t, now)
        kind = EventKind.CLOSED if to == Status.CLOSED else EventKind.STATUS
        tickets.record_event(s, t, actor.id, kind, note, data=data)
        return t.version

    return write(db, work)


def _check_move(t: Ticket, to: str, actor: Actor) -> None:
    if to == t.status:
        raise InvalidInput(
            {"status": later("{number} is {status} already", number=t.number, status=status_words(t.status))}
        )
    if to in STATUS_MOVES[t.status]:
        return
    if to == Status.RESOLVED:
        reason = later("resolve it: a resolution text is required")
    elif to == Status.ASSIGNED:
        reason = later("claim it or assign it to someone")
    elif t.status == Status.NEW:
        reason = later("claim it or have it assigned first")
    elif t.status in (Status.RESOLVED, Status.CLOSED) and to in OPEN_STATUSES:
        reason = later("reopen it")
    elif to == Status.CLOSED:
        reason = later("only a resolved ticket can be closed")
    else:
        reason = later("{status} cannot move to {to}", status=status_words(t.status), to=status_words(to))
    raise InvalidInput(
        {
            "status": later(
                "{number} is {status}: {reason}",
                number=t.number,
                status=status_words(t.status),
                reason=reason,
            )
        }
    )


def resolve(
    db: Database,
    actor: Actor,
    number: str,
    resolution: str,
    *,
    article: str | None = None,
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
) -> int:
    """Resolve an open ticket with the resolution text; optionally link the KB article that solved it."""
    resolution = required(resolution, "resolution", later("say how it was solved"))

    def work(s: Session) -> int:
        t = require_workable(s, actor, number, version, seen)
        if not t.is_open:
            raise InvalidInput(
                {
                    "status": later(
                        "{number} is {status}: only an open ticket can be resolved",
                        number=t.number,
                        status=status_words(t.status),
                    )
                }
            )
        art = _article(s, article) if article else None
        now = clock.now()
        data = set_status(s, t, Status.RESOLVED, now)
        if t.resolve_by is not None:  # kept with the event: the KPIs' SLA figure never changes later
            data["in_sla"] = now <= t.resolve_by
        t.resolved_at = now
        t.resolution = resolution
        responded(t, now)
        if art is not None:
            from .. import kb  # the KB's own rule: a solution that solved a ticket gains score

            assert art.id is not None and t.id is not None
            kb.mark_solved(s, actor.id, t.id, art.id)
            data["article"] = art.external_id
        tickets.record_event(s, t, actor.id, EventKind.RESOLVED, resolution, data=data)
        return t.version

    return write(db, work)


def _article(s: Session, ref: str) -> KbArticle:
    art = directory.by_name_or_id(s, KbArticle, KbArticle.external_id, ref)
    if art is None:
        raise InvalidInput({"article": later("no knowledge-base article '{ref}'", ref=inputs.key(ref))})
    return art


def reopen(
    db: Database,
    actor: Actor,
    number: str,
    reason: str,
    *,
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
) -> int:
    """Back to work: from resolved (who may work it), from closed (supervisors only)."""
    reason = required(reason, "reason", later("why is it reopened?"))

    def work(s: Session) -> int:
        t = locked(s, number, version, seen)
        if t.status == Status.CLOSED and not actor.is_supervisor:
            raise PermissionDenied(
                later("{number} is closed: only a supervisor may reopen it", number=t.number)
            )
        require_work(s, actor, t)
        if t.status not in (Status.RESOLVED, Status.CLOSED):
            raise InvalidInput(
                {
                    "status": later(
                        "{number} is {status}: only resolved or closed tickets reopen",
                        number=t.number,
                        status=status_words(t.status),
                    )
                }
            )
        to = Status.IN_PROGRESS if t.assignee_id else Status.NEW
        now = clock.now()
        data = set_status(s, t, to, now)
        data.update(sla.restart(s, t, now))  # new targets from now: it is not breached on reopening
        t.resolution = ""
        tickets.record_event(s, t, actor.id, EventKind.REOPENED, reason, data=data, at=now)
        return t.version

    return write(db, work)
