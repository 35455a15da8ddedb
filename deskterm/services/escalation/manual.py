"""Manual escalation: functional (to a team, by default the next tier) or hierarchical (the next
person up the line), with the reason and the time the next line expects to need; who may do which."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from ... import clock
from ...db import Database
from ...i18n import later
from ...models import EventKind, Role, Team, Ticket
from .. import inputs, notify, tickets
from ..auth import Actor, require
from ..errors import Conflict, InvalidInput, PermissionDenied, status_words
from .chain import manager, move_to_team, next_tier_team, next_up, team_lead

MODES = ("functional", "hierarchical")
_DURATION = re.compile(r"(\d+)\s*(d|h|m|min)?", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """'90', '90m', '2h', '1h30m', '1d' → minutes; InvalidInput({'expected': …}) otherwise."""
    raw = (text or "").strip().lower().replace(" ", "")
    if not raw:
        raise InvalidInput({"expected": "required: how long the next line expects to need (e.g. 2h)"})
    pos, total = 0, 0
    for m in _DURATION.finditer(raw):
        if m.start() != pos:
            break
        total += int(m.group(1)) * {"d": 1440, "h": 60}.get(m.group(2) or "m", 1)
        pos = m.end()
    if pos != len(raw) or total <= 0:
        raise InvalidInput({"expected": "a duration such as 45m, 2h, 1h30m or 1d"})
    if total > 60 * 24 * 90:
        raise InvalidInput({"expected": "at most 90 days"})
    return total


def format_minutes(minutes: int) -> str:
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return " ".join(p for p in parts if p)


def may_escalate(actor: Actor, mode: str, assignee_id: int | None, team_id: int | None) -> bool:
    """Functional: the assignee, the ticket's team, supervisors. Hierarchical also the desk's
    operators, who go up the contact list when the team cannot be reached (逐级向上联系)."""
    if actor.is_supervisor or actor.id == assignee_id or (team_id is not None and team_id == actor.team_id):
        return True
    return mode == "hierarchical" and actor.role == Role.OPERATOR


@dataclass(frozen=True)
class EscalationOptions:
    number: str
    version: int
    team: str
    tier: int
    teams: list[tuple[str, int]]  # (name, tier) the ticket may move to
    next_tier_team: str  # the default functional target, "" when none
    next_person: str  # who a hierarchical escalation reaches now, "" when nobody
    level: int
    allowed: tuple[str, ...]  # the modes this agent may use


def escalation_options(db: Database, actor: Actor, number: str) -> EscalationOptions:
    with db.read() as s:
        require(s, actor, "tickets.read")
        t = _ticket(s, number)
        team = s.get(Team, t.team_id) if t.team_id else None
        nxt = next_tier_team(s, t)
        person = next_up(s, t)
        teams = list(s.exec(select(Team.name, Team.tier).order_by(col(Team.tier), col(Team.name))).all())
        return EscalationOptions(
            number=t.number,
            version=t.version,
            team=team.name if team else "",
            tier=t.tier,
            teams=[(n, tier) for n, tier in teams if not team or n != team.name],
            next_tier_team=nxt.name if nxt else "",
            next_person=f"{person.name} ({person.login})" if person else "",
            level=t.escalation_level,
            allowed=tuple(m for m in MODES if t.is_open and may_escalate(actor, m, t.assignee_id, t.team_id)),
        )


def _ticket(s: Session, number: str, lock: bool = False) -> Ticket:
    return tickets.find_ticket(s, number, lock=lock)


@dataclass(frozen=True)
class EscalationResult:
    number: str
    mode: str
    to: str  # the team or the person it went to
    level: int
    expected_minutes: int
    expected_by: datetime
    version: int
    body: str


def escalate(
    db: Database,
    actor: Actor,
    number: str,
    *,
    mode: str,
    reason: str,
    expected: str | int,
    team: str | None = None,
    version: int | None = None,
) -> EscalationResult:
    """Escalate by hand: functional (to `team`, default the next tier) or hierarchical (the next
    person up the line), with the reason and the time the next line expects to need, which the
    desk reads to the customer. `version`, when given, refuses a ticket changed meanwhile."""
    errors: dict[str, str] = {}
    if mode not in MODES:
        errors["mode"] = later("one of {choices}", choices=", ".join(MODES))
    reason = inputs.text(reason, "reason", errors=errors)
    team = inputs.key(team) if team else None
    if not reason:
        errors.setdefault("reason", "required: why does it go up?")
    try:
        minutes = expected if isinstance(expected, int) else parse_duration(expected)
        if minutes <= 0:
            raise InvalidInput({"expected": "a positive duration"})
    except InvalidInput as e:
        errors.update(e.errors)
        minutes = 0
    if errors:
        raise InvalidInput(errors)

    def work(s: Session) -> EscalationResult:
        t = _ticket(s, number, lock=True)
        require(s, actor, "tickets.read")
        if not may_escalate(actor, mode, t.assignee_id, t.team_id):
            raise PermissionDenied(
                later(
                    "{login} may not escalate {number}: "
                    "only its assignee, its team, a supervisor or the desk may"
                    if mode == "hierarchical"
                    else "{login} may not escalate {number}: only its assignee, its team or a supervisor may",
                    login=actor.login,
                    number=t.number,
                )
            )
        if version is not None and t.version != version:
            raise Conflict(
                later("{number} was changed meanwhile: look at it again before escalating", number=t.number)
            )
        if not t.is_open:
            raise InvalidInput(
                {
                    "status": later(
                        "{number} is {status}: only open tickets are escalated",
                        number=t.number,
                        status=status_words(t.status),
                    )
                }
            )
        now = clock.now()
        expected_by = now + timedelta(minutes=minutes)
        promise = f"expected within {format_minutes(minutes)}"
        data: dict[str, Any] = {
            "mode": mode,
            "reason": reason,
            "expected_minutes": minutes,
            "expected_by": expected_by.isoformat(),
        }
        if mode == "functional":
            dest = s.exec(select(Team).where(Team.name == team)).first() if team else next_tier_team(s, t)
            if dest is None:
                raise InvalidInput(
                    {
                        "team": later("no team '{team}'", team=team)
                        if team
                        else "no higher tier to escalate to"
                    }
                )
            if dest.id == t.team_id:
                raise InvalidInput(
                    {"team": later("{number} is with {team} already", number=t.number, team=dest.name)}
                )
            move_to_team(t, dest)
            to, recipient = f"{dest.name} (tier {dest.tier})", team_lead(s, dest.id)
            data["to_team"] = dest.name
        else:
            recipient = next_up(s, t)
            if recipient is not None and recipient.id == actor.id:  # one cannot escalate to oneself
                recipient = manager(s, recipient)
            if recipient is None:
                raise InvalidInput(
                    {
                        "mode": later(
                            "{number} is at the top of its line: nobody above to escalate to", number=t.number
                        )
                    }
                )
            t.escalated_to_id = recipient.id
            to = recipient.name
            data["escalated_to"] = recipient.login
        t.escalation_level += 1
        tickets.touch(t)
        data.update(level=t.escalation_level, version=t.version)
        body = f"Escalated ({mode}) to {to} by {actor.name}: {reason}; {promise}"
        tickets.record_event(s, t, actor.id, EventKind.ESCALATED, body, data=data)
        if recipient is not None and recipient.id is not None and recipient.id != actor.id:
            notify.add(
                s, recipient.id, "escalated", f"{t.number} escalated to you by {actor.name}: {reason}", t
            )
        return EscalationResult(t.number, mode, to, t.escalation_level, minutes, expected_by, t.version, body)

    return db.retrying(work)
