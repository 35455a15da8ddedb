"""Editing a ticket's own fields (EDITABLE) as of the version the editor saw; the priority follows
impact and urgency, and the SLA due times follow the priority."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlmodel import Session, select

from ...db import Database
from ...i18n import later
from ...models import Category, EventKind, Kind, Status, Ticket
from .. import inputs, sla, tickets
from ..auth import Actor
from ..errors import InvalidInput
from ..priority import priority_for
from .guard import bump, current, require_workable, short, write

EDITABLE = ("summary", "description", "kind", "category", "impact", "urgency", "service_mode", "warranty")
SERVICE_MODES = ("phone", "on_site", "carry_in", "mail_in", "paid", "exchange")
WARRANTY = ("in", "out", "unknown")


def edit(
    db: Database,
    actor: Actor,
    number: str,
    *,
    version: int,
    changes: Mapping[str, Any],
    seen: Mapping[str, Any] | None = None,
) -> int:
    """Change fields (EDITABLE) of a ticket as of `version`; refused if it changed meanwhile."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise InvalidInput({k: "cannot be edited here" for k in sorted(unknown)})

    def work(s: Session) -> int:
        t = require_workable(s, actor, number, version, seen)
        if t.status == Status.CLOSED:
            raise InvalidInput({"status": later("{number} is closed: reopen it to edit it", number=t.number)})
        before = current(s, t)
        _apply_fields(s, t, changes)
        after = current(s, t)
        diff = {k: [before[k], after[k]] for k in (*EDITABLE, "priority") if before[k] != after[k]}
        if not diff:
            return t.version
        if "priority" in diff:
            s.flush()
            sla.recompute_due_times(s, t)
        data = bump(t)
        data["changes"] = diff
        body = "; ".join(f"{k}: {short(a)} → {short(b)}" for k, (a, b) in diff.items())
        tickets.record_event(s, t, actor.id, EventKind.UPDATED, body, data=data)
        return t.version

    return write(db, work)


def _apply_fields(s: Session, t: Ticket, changes: Mapping[str, Any]) -> None:
    errors: dict[str, str] = {}
    for key, value in changes.items():
        if key in ("summary", "description"):
            if key == "summary":
                text = inputs.line(value, key, Ticket.summary, errors=errors)
            else:
                text = inputs.text(value, key, errors=errors)
            if key == "summary" and not text:
                errors.setdefault(key, "required")
            setattr(t, key, text)
        elif key == "kind":
            if value not in set(Kind):
                errors[key] = later("one of {choices}", choices=", ".join(Kind))
            else:
                t.kind = value
        elif key in ("impact", "urgency"):
            try:
                n = int(value)
            except (TypeError, ValueError):
                n = 0
            if n not in (1, 2, 3):
                errors[key] = "1 (high), 2 (medium) or 3 (low)"
            else:
                setattr(t, key, n)
        elif key == "category":
            value = inputs.key(value)
            cat = s.exec(select(Category).where(Category.path == value)).first() if value else None
            if value and cat is None:
                errors[key] = later("no category '{category}'", category=value)
            else:
                t.category_id = cat.id if cat else None
        elif key == "service_mode":
            if value not in SERVICE_MODES:
                errors[key] = later("one of {choices}", choices=", ".join(SERVICE_MODES))
            else:
                t.service_mode = value
        elif key == "warranty":
            if value not in WARRANTY:
                errors[key] = later("one of {choices}", choices=", ".join(WARRANTY))
            else:
                t.warranty = value
    if errors:
        raise InvalidInput(errors)
    t.priority = priority_for(t.impact, t.urgency)
