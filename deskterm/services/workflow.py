"""Working a ticket after intake: the status life cycle, notes, assignment and transfer, resolution,
reopening, field edits with optimistic locking, and who may do which of these.

The life cycle (STATUS_MOVES): new → assigned → in progress ⇄ pending customer / pending third
party → resolved → closed; reopen from resolved (and from closed by a supervisor). A ticket waiting
on the customer or a third party stops its SLA clock (`sla.stop`, `sla.resume`: `sla_paused_at` marks
the open pause, the event that ends a pause records it as data {"pause": [start, end]}, and the due
times are recomputed with every closed pause). A reopened ticket's clock starts again from the
reopen with the whole targets (`sla.restart`).

Every edit names the version it was based on; if the ticket changed meanwhile it is refused with a
message that says what changed, and nothing is written. The console passes the version it showed and
the CLI the one it read as the command started (a test holds them to it); `version=None` acts on the
ticket as it is now, for scripts and tests that decide nothing from a view. The ticket row is locked
(FOR UPDATE on PostgreSQL; SQLite write transactions begin IMMEDIATE) before the version is compared,
so two concurrent edits cannot both pass. Notes append and never conflict: they do not bump the
version."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import (
    OPEN_STATUSES,
    PENDING_STATUSES,
    Agent,
    Category,
    Customer,
    Device,
    EventKind,
    KbArticle,
    Kind,
    Status,
    Team,
    Ticket,
    TicketArticle,
    TicketEvent,
    TicketWatch,
)
from . import directory, inputs, notify, sla, tickets
from .auth import Actor, can, require
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .priority import priority_for

# Moves a status change may make. RESOLVED is reached through resolve() (a resolution is required),
# ASSIGNED through claim/assign/transfer (an assignee is required), and the open statuses from
# RESOLVED/CLOSED through reopen().
STATUS_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY}),
    Status.IN_PROGRESS: frozenset({Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY}),
    Status.PENDING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.PENDING_THIRD_PARTY}),
    Status.PENDING_THIRD_PARTY: frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
WORKSHEET_MODES = frozenset({"on_site", "carry_in", "mail_in"})
EDITABLE = ("summary", "description", "kind", "category", "impact", "urgency", "service_mode", "warranty")
SERVICE_MODES = ("phone", "on_site", "carry_in", "mail_in", "paid", "exchange")
WARRANTY = ("in", "out", "unknown")
NOTE_MAX = inputs.LONG_TEXT


# --- permissions ---------------------------------------------------------------------------------


def may_work(actor: Actor, assignee_id: int | None, team_id: int | None) -> bool:
    """Change status, resolve, edit: the assignee, a member of the ticket's team, or a supervisor."""
    return (
        actor.is_supervisor or assignee_id == actor.id or (team_id is not None and team_id == actor.team_id)
    )


def may_transfer(actor: Actor, assignee_id: int | None, team_id: int | None) -> bool:
    """Only supervisors move other people's tickets; the assignee, or the team while unassigned."""
    if actor.is_supervisor or assignee_id == actor.id:
        return True
    return assignee_id is None and team_id is not None and team_id == actor.team_id


def allowed_actions(
    actor: Actor, status: str, assignee_id: int | None, team_id: int | None, mode: str
) -> frozenset[str]:
    """What the agent may do to a ticket in this state (the screen shows only these)."""
    acts = {"note", "watch"}
    work = may_work(actor, assignee_id, team_id)
    is_open = status in OPEN_STATUSES
    if (
        is_open
        and assignee_id is None
        and can(actor, "tickets.claim")
        and (actor.is_supervisor or team_id == actor.team_id)
    ):
        acts.add("claim")
    if is_open and can(actor, "tickets.reassign"):
        acts.add("assign")
    if is_open and may_transfer(actor, assignee_id, team_id):
        acts.add("transfer")
    if work:
        if STATUS_MOVES[status]:
            acts.add("status")
        if is_open:
            acts |= {"resolve", "edit"}
        if status == Status.RESOLVED:
            acts |= {"reopen", "edit"}
        if mode in WORKSHEET_MODES:
            acts.add("worksheet")
    if status == Status.CLOSED and actor.is_supervisor:
        acts.add("reopen")
    return frozenset(acts)


def _require_work(s: Session, actor: Actor, t: Ticket) -> None:
    require(s, actor, "tickets.read")
    if not may_work(actor, t.assignee_id, t.team_id):
        raise PermissionDenied(
            f"{actor.login} may not change {t.number}: only its assignee, its team or a supervisor may"
        )


# --- read model: the ticket as the ticket screen shows it ----------------------------------------


@dataclass(frozen=True)
class TicketView:
    detail: tickets.TicketDetail
    assignee_id: int | None
    team_id: int | None
    escalated_to: str
    responded_at: datetime | None
    sla_paused_at: datetime | None
    sla_paused_seconds: int
    customer_email: str
    customer_class: str
    device_warranty_end: date | None
    articles: list[str]
    watching: bool
    allowed: frozenset[str] = field(default_factory=frozenset)

    @property
    def number(self) -> str:
        return self.detail.number

    @property
    def version(self) -> int:
        return self.detail.version


# TicketView's fields that are the ticket's own, as stored
VIEW_FIELDS = ("assignee_id", "team_id", "responded_at", "sla_paused_at", "sla_paused_seconds")


def get_view(db: Database, actor: Actor, number: str) -> TicketView:
    with db.read() as s:
        require(s, actor, "tickets.read")
        t = tickets.find_ticket(s, number)
        detail = tickets._detail(s, t)
        customer = s.get(Customer, t.customer_id) if t.customer_id else None
        device = s.get(Device, t.device_id) if t.device_id else None
        escalated = s.get(Agent, t.escalated_to_id) if t.escalated_to_id else None
        articles = s.exec(
            select(KbArticle.external_id, KbArticle.title)
            .join(TicketArticle, col(TicketArticle.article_id) == KbArticle.id)
            .where(TicketArticle.ticket_id == t.id)
        ).all()
        watching = s.get(TicketWatch, (actor.id, t.id)) is not None
        return TicketView(
            detail=detail,
            **{k: getattr(t, k) for k in VIEW_FIELDS},
            escalated_to=escalated.name if escalated else "",
            customer_email=customer.email if customer else "",
            customer_class=sla.customer_class_of(s, t),
            device_warranty_end=device.warranty_end if device else None,
            articles=[f"{a} {title}" for a, title in articles],
            watching=watching,
            allowed=allowed_actions(actor, t.status, t.assignee_id, t.team_id, t.service_mode),
        )


def snapshot(detail: tickets.TicketDetail) -> dict[str, Any]:
    """The fields an edit compares when it is refused (what the editor saw)."""
    return {k: getattr(detail, k) for k in SNAPSHOT_FIELDS}


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


# --- locking and conflicts -----------------------------------------------------------------------


def _lock(s: Session, number: str) -> Ticket:
    return tickets.find_ticket(s, number, lock=True)


def _locked(s: Session, number: str, version: int | None, seen: Mapping[str, Any] | None) -> Ticket:
    """The ticket, locked, refused if it is no longer at `version`."""
    t = _lock(s, number)
    _check_version(s, t, version, seen)
    return t


def _to_work(
    s: Session, actor: Actor, number: str, version: int | None, seen: Mapping[str, Any] | None
) -> Ticket:
    """The ticket locked and at `version`, for a change only who may work it makes."""
    t = _locked(s, number, version, seen)
    _require_work(s, actor, t)
    return t


def _required(value: str, field: str, ask: str) -> str:
    """The text a change cannot do without (a resolution, a reason), cleaned; refused when empty."""
    value = inputs.text(value, field)
    if not value:
        raise InvalidInput({field: f"required: {ask}"})
    return value


def _current(s: Session, t: Ticket) -> dict[str, Any]:
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


def _short(value: Any) -> str:
    text = " ".join(str(value).split()) if value not in (None, "") else "—"
    return text if len(text) <= 40 else text[:39] + "…"


def _check_version(s: Session, t: Ticket, version: int | None, seen: Mapping[str, Any] | None) -> None:
    """Refuse when the ticket is no longer at `version`, saying who changed what."""
    if version is None or t.version == version:
        return
    now = _current(s, t)
    diffs = []
    if seen:
        diffs = [
            f"{k} {_short(seen[k])} → {_short(now[k])}"
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
        f"{t.number} was changed meanwhile by {', '.join(who) or 'someone'}: {'; '.join(diffs)}. "
        "Nothing was saved: look at the ticket again and redo your change."
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


# --- the status and the SLA clock ----------------------------------------------------------------


def _set_status(s: Session, t: Ticket, to: str, now: datetime) -> dict[str, Any]:
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


def _responded(t: Ticket, now: datetime) -> None:
    if t.responded_at is None:
        t.responded_at = now


# --- actions -------------------------------------------------------------------------------------


def _write(db: Database, fn: Callable[[Session], int]) -> int:
    return db.retrying(fn)


def add_note(db: Database, actor: Actor, number: str, body: str, *, public: bool = False) -> int:
    """Append a note (internal, or public: told to the customer). Never conflicts."""
    body = inputs.text(body, "note", limit=NOTE_MAX)
    if not body:
        raise InvalidInput({"note": "write something"})

    def work(s: Session) -> int:
        require(s, actor, "tickets.read")
        t = _lock(s, number)
        t.updated_at = clock.now()  # a note appends: the version (and so no edit) is disturbed
        event = tickets.record_event(s, t, actor.id, EventKind.NOTE, body, public=public)
        notify.notify_mentions(s, t, actor.id, body)  # "@login" in a note reaches that agent's inbox
        s.flush()
        return event.id or 0

    return _write(db, work)


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
        raise InvalidInput({"status": f"one of {', '.join(Status)}"})
    note = inputs.text(note, "note")

    def work(s: Session) -> int:
        t = _to_work(s, actor, number, version, seen)
        _check_move(t, to, actor)
        now = clock.now()
        data = _set_status(s, t, to, now)
        _responded(t, now)
        kind = EventKind.CLOSED if to == Status.CLOSED else EventKind.STATUS
        tickets.record_event(s, t, actor.id, kind, note, data=data)
        return t.version

    return _write(db, work)


def _check_move(t: Ticket, to: str, actor: Actor) -> None:
    if to == t.status:
        raise InvalidInput({"status": f"{t.number} is {t.status} already"})
    if to in STATUS_MOVES[t.status]:
        return
    if to == Status.RESOLVED:
        reason = "resolve it: a resolution text is required"
    elif to == Status.ASSIGNED:
        reason = "claim it or assign it to someone"
    elif t.status == Status.NEW:
        reason = "claim it or have it assigned first"
    elif t.status in (Status.RESOLVED, Status.CLOSED) and to in OPEN_STATUSES:
        reason = "reopen it"
    elif to == Status.CLOSED:
        reason = "only a resolved ticket can be closed"
    else:
        reason = f"{t.status} cannot move to {to}"
    raise InvalidInput({"status": f"{t.number} is {t.status}: {reason}"})


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
    resolution = _required(resolution, "resolution", "say how it was solved")

    def work(s: Session) -> int:
        t = _to_work(s, actor, number, version, seen)
        if not t.is_open:
            raise InvalidInput({"status": f"{t.number} is {t.status}: only an open ticket can be resolved"})
        art = _article(s, article) if article else None
        now = clock.now()
        data = _set_status(s, t, Status.RESOLVED, now)
        if t.resolve_by is not None:  # kept with the event: the KPIs' SLA figure never changes later
            data["in_sla"] = now <= t.resolve_by
        t.resolved_at = now
        t.resolution = resolution
        _responded(t, now)
        if art is not None:
            from . import kb  # the KB's own rule: a solution that solved a ticket gains score

            assert art.id is not None and t.id is not None
            kb.mark_solved(s, actor.id, t.id, art.id)
            data["article"] = art.external_id
        tickets.record_event(s, t, actor.id, EventKind.RESOLVED, resolution, data=data)
        return t.version

    return _write(db, work)


def _article(s: Session, ref: str) -> KbArticle:
    art = directory.by_name_or_id(s, KbArticle, KbArticle.external_id, ref)
    if art is None:
        raise InvalidInput({"article": f"no knowledge-base article {inputs.key(ref)!r}"})
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
    reason = _required(reason, "reason", "why is it reopened?")

    def work(s: Session) -> int:
        t = _locked(s, number, version, seen)
        if t.status == Status.CLOSED and not actor.is_supervisor:
            raise PermissionDenied(f"{t.number} is closed: only a supervisor may reopen it")
        _require_work(s, actor, t)
        if t.status not in (Status.RESOLVED, Status.CLOSED):
            raise InvalidInput(
                {"status": f"{t.number} is {t.status}: only resolved or closed tickets reopen"}
            )
        to = Status.IN_PROGRESS if t.assignee_id else Status.NEW
        now = clock.now()
        data = _set_status(s, t, to, now)
        data.update(sla.restart(s, t, now))  # new targets from now: it is not breached on reopening
        t.resolution = ""
        tickets.record_event(s, t, actor.id, EventKind.REOPENED, reason, data=data, at=now)
        return t.version

    return _write(db, work)


def assign(
    db: Database,
    actor: Actor,
    number: str,
    login: str,
    *,
    reason: str = "",
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
) -> int:
    """A supervisor gives an open ticket to an agent (who joins the ticket's queue to their team)."""
    reason = inputs.text(reason, "reason")

    def work(s: Session) -> int:
        require(s, actor, "tickets.reassign")
        t = _locked(s, number, version, seen)
        agent = _agent(s, login)
        if not t.is_open:
            raise InvalidInput({"status": f"{t.number} is {t.status}: reopen it before assigning it"})
        if t.assignee_id == agent.id:
            raise InvalidInput({"assignee": f"{t.number} is assigned to {agent.name} already"})
        now = clock.now()
        before = t.assignee_id
        t.assignee_id = agent.id
        t.team_id = agent.team_id or t.team_id
        t.assigned_at = now
        t.first_assigned_at = t.first_assigned_at or now  # the first pick-up (hand-over time)
        _responded(t, now)
        to = Status.ASSIGNED if t.status == Status.NEW else t.status
        data = _set_status(s, t, to, now) if to != t.status else _bump(t)
        data.update(assignee=agent.login, previous=_login(s, before))
        tickets.record_event(
            s, t, actor.id, EventKind.ASSIGNED, reason or f"assigned to {agent.name}", data=data
        )
        notify.notify_assigned(s, t, actor.id)
        return t.version

    return _write(db, work)


def transfer(
    db: Database,
    actor: Actor,
    number: str,
    *,
    reason: str,
    team: str | None = None,
    agent: str | None = None,
    version: int | None = None,
    seen: Mapping[str, Any] | None = None,
) -> int:
    """Hand an open ticket to another team's queue (unassigned) or to an agent, with a reason."""
    errors: dict[str, str] = {}
    reason = inputs.text(reason, "reason", errors=errors)
    team, agent = (inputs.key(team) if team else None), (inputs.key(agent) if agent else None)
    if not reason:
        errors.setdefault("reason", "required: why does it move?")
    if bool(team) == bool(agent):
        errors["to"] = "name a team or an agent"
    if errors:
        raise InvalidInput(errors)

    def work(s: Session) -> int:
        t = _locked(s, number, version, seen)
        require(s, actor, "tickets.read")
        if not may_transfer(actor, t.assignee_id, t.team_id):
            raise PermissionDenied(f"{actor.login} may not move {t.number}: it is someone else's ticket")
        if not t.is_open:
            raise InvalidInput({"status": f"{t.number} is {t.status}: only open tickets are transferred"})
        now = clock.now()
        if agent:
            target = _agent(s, agent)
            if target.id == t.assignee_id:
                raise InvalidInput({"to": f"{t.number} is {target.name}'s already"})
            t.assignee_id, t.assigned_at = target.id, now
            t.first_assigned_at = t.first_assigned_at or now  # the first pick-up (hand-over time)
            t.team_id = target.team_id or t.team_id
            to, where = Status.ASSIGNED, target.name
        else:
            dest = s.exec(select(Team).where(Team.name == team)).first()
            if dest is None:
                raise InvalidInput({"to": f"no team {team!r}"})
            if dest.id == t.team_id and t.assignee_id is None:
                raise InvalidInput({"to": f"{t.number} is in {dest.name}'s queue already"})
            t.team_id, t.tier, t.assignee_id, t.assigned_at = dest.id, dest.tier, None, None
            to, where = Status.NEW, dest.name
        data = _set_status(s, t, to, now) if to != t.status else _bump(t)
        data.update(to_team=_team_name(s, t.team_id), to_agent=agent or "")
        tickets.record_event(s, t, actor.id, EventKind.TRANSFERRED, f"→ {where}: {reason}", data=data)
        notify.notify_assigned(s, t, actor.id)
        return t.version

    return _write(db, work)


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
        t = _to_work(s, actor, number, version, seen)
        if t.status == Status.CLOSED:
            raise InvalidInput({"status": f"{t.number} is closed: reopen it to edit it"})
        before = _current(s, t)
        _apply_fields(s, t, changes)
        after = _current(s, t)
        diff = {k: [before[k], after[k]] for k in (*EDITABLE, "priority") if before[k] != after[k]}
        if not diff:
            return t.version
        if "priority" in diff:
            s.flush()
            sla.recompute_due_times(s, t)
        data = _bump(t)
        data["changes"] = diff
        body = "; ".join(f"{k}: {_short(a)} → {_short(b)}" for k, (a, b) in diff.items())
        tickets.record_event(s, t, actor.id, EventKind.UPDATED, body, data=data)
        return t.version

    return _write(db, work)


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
                errors[key] = f"one of {', '.join(Kind)}"
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
                errors[key] = f"no category {value!r}"
            else:
                t.category_id = cat.id if cat else None
        elif key == "service_mode":
            if value not in SERVICE_MODES:
                errors[key] = f"one of {', '.join(SERVICE_MODES)}"
            else:
                t.service_mode = value
        elif key == "warranty":
            if value not in WARRANTY:
                errors[key] = f"one of {', '.join(WARRANTY)}"
            else:
                t.warranty = value
    if errors:
        raise InvalidInput(errors)
    t.priority = priority_for(t.impact, t.urgency)


def _bump(t: Ticket) -> dict[str, Any]:
    tickets.touch(t)
    return {"version": t.version}


def _agent(s: Session, login: str) -> Agent:
    # FOR SHARE: not deactivated before this transaction commits (PostgreSQL)
    agent = s.exec(select(Agent).where(Agent.login == inputs.key(login)).with_for_update(read=True)).first()
    if agent is None:
        raise InvalidInput({"agent": f"no agent {login!r}"})
    if not agent.active:
        raise InvalidInput({"agent": f"{agent.login} is deactivated"})
    return agent


def _login(s: Session, agent_id: int | None) -> str:
    agent = s.get(Agent, agent_id) if agent_id else None
    return agent.login if agent else ""


def _team_name(s: Session, team_id: int | None) -> str:
    team = s.get(Team, team_id) if team_id else None
    return team.name if team else ""


def watch(db: Database, actor: Actor, number: str, on: bool = True) -> bool:
    """Follow a ticket (the Watching view) or stop following it; personal, not a ticket change."""
    number = tickets.normalise_number(number)
    with db.write() as s:
        require(s, actor, "tickets.read")
        ticket_id = s.exec(select(Ticket.id).where(Ticket.number == number)).first()
        if ticket_id is None:
            raise NotFound(f"no ticket {number}")
        row = s.get(TicketWatch, (actor.id, ticket_id))
        if on and row is None:
            s.add(TicketWatch(agent_id=actor.id, ticket_id=ticket_id))
        elif not on and row is not None:
            s.delete(row)
    return on
