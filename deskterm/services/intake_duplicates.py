"""Duplicate calls (防止重复下单): before saving, the caller's and the device's open tickets are
compared with this call; the operator chases one, links the new ticket to one, or creates it anyway."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlmodel import Session, col, select

from ..db import Database
from ..models import (
    Agent,
    Team,
    Ticket,
)
from .auth import Actor, require
from .customers import find_device
from .errors import Conflict
from .intake_form import IntakeForm, IntakeRules, cleaned
from .ticket_rows import jsonable

_TOKENS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]+|[^\W_]+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _prepare(text: str) -> str:
    """Words in lower case; Chinese runs as overlapping character pairs (they have no spaces)."""
    out: list[str] = []
    for token in _TOKENS.findall(text.lower()):
        if _CJK.match(token):
            out += [token[i : i + 2] for i in range(max(1, len(token) - 1))]
        else:
            out.append(token)
    return " ".join(out)


def similarity(a: str, b: str) -> int:
    """0-100: how alike two calls' texts are (rapidfuzz token-set ratio)."""
    pa, pb = _prepare(a), _prepare(b)
    if not pa or not pb:
        return 0
    return round(fuzz.token_set_ratio(pa, pb))


@dataclass(frozen=True)
class DuplicateCandidate:
    ticket_id: int
    number: str
    status: str
    priority: int
    summary: str
    assignee: str
    team: str
    created_at: datetime
    similarity: int
    same: str  # "caller" | "device" | "caller and device"

    def as_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))


class DuplicatesFound(Conflict):
    """Open tickets of the same caller or device look like this call: the operator chooses."""

    def __init__(self, candidates: list[DuplicateCandidate]) -> None:
        self.candidates = candidates
        listed = ", ".join(f"{c.number} ({c.similarity}%)" for c in candidates)
        super().__init__(
            f"possible duplicate of {listed}: chase it, link to it or create anyway (--on-duplicate)"
        )


def open_duplicates(
    s: Session, customer_id: int | None, device_id: int | None, text: str, threshold: int
) -> list[DuplicateCandidate]:
    """Open tickets of this caller or device (indexes ix_ticket_customer_open, ix_ticket_device)
    at least `threshold` similar, most similar first."""
    if (customer_id is None and device_id is None) or not text.strip():
        return []
    rows: dict[int, tuple[Ticket, set[str]]] = {}
    if customer_id is not None:
        for t in s.exec(
            select(Ticket).where(Ticket.customer_id == customer_id, col(Ticket.is_open).is_(True)).limit(200)
        ).all():
            rows[t.id] = (t, {"caller"})  # type: ignore[index]  # a stored ticket has an id
    if device_id is not None:
        for t in s.exec(
            select(Ticket).where(Ticket.device_id == device_id, col(Ticket.is_open).is_(True)).limit(200)
        ).all():
            rows.setdefault(t.id, (t, set()))[1].add("device")  # type: ignore[arg-type]  # a stored ticket has an id
    found = []
    for t, same in rows.values():
        score = similarity(text, f"{t.summary}\n{t.description[:1000]}")
        if score >= threshold:
            found.append((score, t, same))
    if not found:
        return []
    found.sort(key=lambda x: (-x[0], -(x[1].id or 0)))
    names = agent_and_team_names(s, [t.assignee_id for _, t, _ in found], [t.team_id for _, t, _ in found])
    return [
        DuplicateCandidate(
            ticket_id=t.id or 0,
            assignee=names[0].get(t.assignee_id, "") if t.assignee_id else "",
            team=names[1].get(t.team_id, "") if t.team_id else "",
            similarity=score,
            **{name: getattr(t, name) for name in ("number", "status", "priority", "summary", "created_at")},
            same=" and ".join(x for x in ("caller", "device") if x in same),
        )
        for score, t, same in found[:10]
    ]


def agent_and_team_names(
    s: Session, agent_ids: list[int | None], team_ids: list[int | None]
) -> tuple[dict[int | None, str], dict[int | None, str]]:
    """The names of these agents and teams, by id."""
    agents = {i for i in agent_ids if i}
    teams = {i for i in team_ids if i}
    a = dict(s.exec(select(Agent.id, Agent.name).where(col(Agent.id).in_(agents))).all()) if agents else {}
    t = dict(s.exec(select(Team.id, Team.name).where(col(Team.id).in_(teams))).all()) if teams else {}
    return a, t


def find_duplicates(
    db: Database, actor: Actor, form: IntakeForm, rules: IntakeRules | None = None
) -> list[DuplicateCandidate]:
    """The duplicate check alone (the save does it again, inside its transaction)."""
    rules = rules or IntakeRules()
    form = cleaned(form)[0]
    with db.read() as s:
        require(s, actor, "tickets.read")
        device = find_device(s, form.device_serial)
        return open_duplicates(
            s, form.customer_id, device.id if device else None, form.text(), rules.duplicate_threshold
        )
