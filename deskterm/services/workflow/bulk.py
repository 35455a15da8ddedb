"""Reassigning several tickets at once: a supervisor marks tickets (the monitor's drill-down) and
gives them all to one agent. Each ticket is assigned on its own, as of the version the supervisor
saw: one changed meanwhile, closed or already with that agent is reported with its reason and left
as it is; the others are assigned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ...db import Database
from ..auth import Actor, require
from ..errors import Conflict, InvalidInput, NotFound
from .routing import active_agent, assign


@dataclass(frozen=True)
class BulkResult:
    assigned: list[str]  # the numbers assigned
    refused: list[tuple[str, str]]  # (number, why it was left as it is)


def assign_many(
    db: Database, actor: Actor, marked: Sequence[tuple[str, int]], login: str, *, reason: str = ""
) -> BulkResult:
    """Give each of `marked` (number, version seen) to the agent `login` (supervisors and admins)."""
    if not marked:
        raise InvalidInput({"tickets": "mark at least one ticket"})
    with db.read() as s:
        require(s, actor, "tickets.reassign")
        active_agent(s, login)  # an unknown agent is one refusal, not one per ticket
    assigned: list[str] = []
    refused: list[tuple[str, str]] = []
    for number, version in marked:
        try:
            assign(db, actor, number, login, reason=reason, version=version)
        except (Conflict, InvalidInput, NotFound) as e:
            refused.append((number, str(e)))
        else:
            assigned.append(number)
    return BulkResult(assigned, refused)
