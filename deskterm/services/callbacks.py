"""Callback and satisfaction survey (回访), steps 10-11 of the desk's flow.

Resolved tickets wait in the desk's callback list. The agent calls the customer with the callback
script (the customer's name and the problem filled in) and records the outcome:
- fixed: the survey (four ratings, 1 very satisfied … 4 dissatisfied, and comments), then the
  ticket closes;
- not fixed: the ticket reopens to its last assignee with the agent's note;
- no answer: the attempt is kept and the ticket is called again later; after the configured number
  of attempts it closes with "no answer".
Every attempt is a `callback` row and a `callback` event; the survey a `survey` row and event; the
close a `closed` event; all in one transaction with the ticket's row locked, so two agents calling
back the same ticket cannot both record an outcome."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from .. import clock
from ..clock import as_utc
from ..db import Database
from ..i18n import later
from ..models import (
    Agent,
    Callback,
    Customer,
    CustomerPhone,
    EventKind,
    Organisation,
    Status,
    Survey,
    Ticket,
    TicketEvent,
)
from . import inputs, notify, scripts, sla, tickets
from .auth import Actor, require
from .errors import Conflict, InvalidInput, status_words

FIXED, NOT_FIXED, NO_ANSWER = "fixed", "not_fixed", "no_answer"
RATINGS = ("attitude", "quality", "technical", "speed")
RATING_WORDS = {1: "very satisfied", 2: "satisfied", 3: "average", 4: "dissatisfied"}
NOTE_MAX = 4000


def _require(s: Session, actor: Actor) -> None:
    require(s, actor, "callbacks.make")


@dataclass(frozen=True)
class CallbackItem:
    """A resolved ticket waiting for its callback."""

    id: int
    number: str
    priority: int
    summary: str
    customer: str
    organisation: str
    phone: str
    assignee: str
    resolved_at: datetime | None
    attempts: int  # unanswered calls so far
    last_attempt: datetime | None
    retry_at: datetime | None  # not before this time (None: call now)
    version: int


@dataclass(frozen=True)
class CallbackSheet:
    """What the callback screen shows for one ticket: the script and the record."""

    item: CallbackItem
    script: str
    resolution: str
    description: str
    max_attempts: int


def callback_list(
    db: Database,
    actor: Actor,
    *,
    retry_minutes: int = 60,
    limit: int = 200,
    now: datetime | None = None,
) -> list[CallbackItem]:
    """Resolved tickets by priority then due time (index ix_ticket_status_queue), at most `limit`;
    those tried without an answer within the last `retry_minutes` come after the rest."""
    now = now or clock.now()
    with db.read() as s:
        _require(s, actor)
        ids = list(
            s.exec(
                select(Ticket.id)
                .where(Ticket.status == Status.RESOLVED)
                .order_by(col(Ticket.priority), col(Ticket.resolve_by), col(Ticket.id))
                .limit(max(1, min(limit, 1000)))
            ).all()
        )
        items = _items(s, ids, retry_minutes, now)
    order = {i: n for n, i in enumerate(ids)}
    return sorted(items, key=lambda it: (it.retry_at is not None, order[it.id]))


def _items(s: Session, ids: list[int | None], retry_minutes: int, now: datetime) -> list[CallbackItem]:
    if not ids:
        return []
    tries = {
        tid: (n, last)
        for tid, n, last in s.exec(
            select(Callback.ticket_id, func.count(), func.max(Callback.at))
            .where(col(Callback.ticket_id).in_(ids), Callback.outcome == NO_ANSWER)
            .group_by(col(Callback.ticket_id))
        ).all()
    }
    phone = (
        select(CustomerPhone.number)
        .where(CustomerPhone.customer_id == Ticket.customer_id)
        .order_by(col(CustomerPhone.id))
        .limit(1)
        .scalar_subquery()
    )
    rows = s.execute(
        select_columns(
            col(Ticket.id),
            col(Ticket.number),
            col(Ticket.priority),
            col(Ticket.summary),
            col(Customer.name),
            col(Organisation.name),
            phone,
            col(Agent.name),
            col(Ticket.resolved_at),
            col(Ticket.version),
        )
        .select_from(Ticket)
        .join(Customer, col(Customer.id) == Ticket.customer_id, isouter=True)
        .join(Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True)
        .join(Agent, col(Agent.id) == Ticket.assignee_id, isouter=True)
        .where(col(Ticket.id).in_(ids))
    ).all()
    out = []
    for tid, number, prio, summary, customer, org, ph, assignee, resolved_at, version in rows:
        n, last = tries.get(tid, (0, None))
        retry = last + timedelta(minutes=retry_minutes) if last is not None else None
        out.append(
            CallbackItem(
                id=tid,
                number=number,
                priority=prio,
                summary=summary,
                customer=customer or "",
                organisation=org or "",
                phone=ph or "",
                assignee=assignee or "",
                resolved_at=resolved_at,
                attempts=n,
                last_attempt=last,
                retry_at=retry if retry is not None and retry > now else None,
                version=version,
            )
        )
    return out


def sheet(
    db: Database,
    actor: Actor,
    number: str,
    *,
    lang: str = "en",
    desk: str = "deskterm",
    overrides: dict[str, dict[str, Any]] | None = None,
    retry_minutes: int = 60,
    max_attempts: int = 3,
) -> CallbackSheet:
    """The callback script for one resolved ticket, with the customer's name and the problem."""
    with db.read() as s:
        _require(s, actor)
        t = tickets.find_ticket(s, number)
        items = _items(s, [t.id], retry_minutes, clock.now())
    item = items[0]
    line = scripts.fill(
        scripts.load_script(lang, overrides).callback,
        caller=item.customer or ("您" if lang == "zh" else "the caller"),
        desk=desk,
        problem=item.summary,
        number=item.number,
        agent=actor.name,
        agent_number=actor.number,
    )
    return CallbackSheet(
        item=item, script=line, resolution=t.resolution, description=t.description, max_attempts=max_attempts
    )


@dataclass(frozen=True)
class SurveyAnswers:
    attitude: int
    quality: int
    technical: int
    speed: int
    comment: str = ""

    def validate(self) -> None:
        errors = {
            name: "1 very satisfied, 2 satisfied, 3 average or 4 dissatisfied"
            for name in RATINGS
            if getattr(self, name) not in RATING_WORDS
        }
        inputs.text(self.comment, "comment", limit=NOTE_MAX, errors=errors)
        if errors:
            raise InvalidInput(errors)


@dataclass(frozen=True)
class Outcome:
    number: str
    outcome: str  # fixed | not_fixed | no_answer
    status: str  # the ticket's status afterwards
    attempts: int  # unanswered calls so far
    assignee: str  # for not fixed: who has it again


def _lock_resolved(s: Session, number: str) -> Ticket:
    t = tickets.find_ticket(s, number, lock=True)
    if t.status != Status.RESOLVED:
        raise Conflict(
            later(
                "{number} is {status} now: its callback was already recorded",
                number=t.number,
                status=status_words(t.status),
            )
        )
    return t


def _attempt(s: Session, actor: Actor, t: Ticket, outcome: str, note: str, now: datetime) -> None:
    assert t.id is not None
    s.add(Callback(ticket_id=t.id, agent_id=actor.id, at=now, outcome=outcome, note=note))
    tickets.record_event(s, t, actor.id, EventKind.CALLBACK, note, data={"outcome": outcome}, at=now)


def _close(s: Session, actor: Actor, t: Ticket, reason: str, now: datetime) -> None:
    before = t.status
    t.closed_at = now
    tickets.touch(t, Status.CLOSED)
    tickets.record_event(
        s,
        t,
        actor.id,
        EventKind.CLOSED,
        reason,
        data={"from": before, "to": Status.CLOSED, "version": t.version},
    )


def _note(text: str, *, required: bool) -> str:
    text = inputs.text(text, "note", limit=NOTE_MAX)
    if required and not text:
        raise InvalidInput({"note": "required: what is still wrong?"})
    return text


def record_fixed(
    db: Database, actor: Actor, number: str, survey: SurveyAnswers | None, *, note: str = ""
) -> Outcome:
    """The customer confirms the fix: the attempt, the survey (if they answered it), then close."""
    note = _note(note, required=False)
    if survey is not None:
        survey.validate()
        survey = replace(survey, comment=inputs.text(survey.comment, "comment", limit=NOTE_MAX))

    def work(s: Session) -> Outcome:
        _require(s, actor)
        t = _lock_resolved(s, number)
        now = clock.now()
        _attempt(s, actor, t, FIXED, note, now)
        if survey is not None:
            assert t.id is not None
            if s.exec(select(Survey.id).where(Survey.ticket_id == t.id)).first() is not None:
                raise Conflict(later("{number} has a survey already", number=t.number))
            s.add(
                Survey(
                    ticket_id=t.id,
                    agent_id=actor.id,
                    attitude=survey.attitude,
                    quality=survey.quality,
                    technical=survey.technical,
                    speed=survey.speed,
                    comment=survey.comment.strip(),
                    created_at=now,
                )
            )
            ratings = {name: getattr(survey, name) for name in RATINGS}
            body = ", ".join(f"{name} {RATING_WORDS[v]}" for name, v in ratings.items())
            if survey.comment.strip():
                body += f"; {survey.comment.strip()}"
            tickets.record_event(s, t, actor.id, EventKind.SURVEY, body, data=ratings, at=now)
        _close(s, actor, t, "closed after the callback: fixed", now)
        return Outcome(t.number, FIXED, t.status, _tries(s, t), "")

    return db.retrying(work)


def record_not_fixed(db: Database, actor: Actor, number: str, note: str) -> Outcome:
    """The problem is back or was never solved: reopen the ticket to its last assignee, with the
    note (assigned again; unassigned in its team's queue when nobody had it)."""
    note = _note(note, required=True)

    def work(s: Session) -> Outcome:
        _require(s, actor)
        t = _lock_resolved(s, number)
        now = clock.now()
        _attempt(s, actor, t, NOT_FIXED, note, now)
        last = t.assignee_id or _last_resolver(s, t)
        agent = s.get(Agent, last) if last else None
        if agent is not None and not agent.active:
            agent = None
        before = t.status
        t.assignee_id = agent.id if agent else None
        t.resolved_at = None
        previous_resolution, t.resolution = t.resolution, ""
        tickets.touch(t, Status.ASSIGNED if agent else Status.NEW)
        data = {
            "from": before,
            "to": t.status,
            "version": t.version,
            "callback": True,
            "assignee": agent.login if agent else "",
            "resolution": previous_resolution,
        }
        data.update(sla.restart(s, t, now))  # new targets from now: it is not breached on reopening
        tickets.record_event(s, t, actor.id, EventKind.REOPENED, note, data=data, at=now)
        if agent is not None and agent.id is not None and agent.id != actor.id:
            body = f"{t.number} reopened after the callback by {actor.name}: {note}"
            notify.add(s, agent.id, "assigned", body, t)
        return Outcome(t.number, NOT_FIXED, t.status, _tries(s, t), agent.name if agent else "")

    return db.retrying(work)


def _last_resolver(s: Session, t: Ticket) -> int | None:
    return s.exec(
        select(TicketEvent.actor_id)
        .where(TicketEvent.ticket_id == t.id, TicketEvent.kind == EventKind.RESOLVED)
        .order_by(col(TicketEvent.id).desc())
        .limit(1)
    ).first()


def _tries(s: Session, t: Ticket) -> int:
    return s.exec(
        select(func.count())
        .select_from(Callback)
        .where(Callback.ticket_id == t.id, Callback.outcome == NO_ANSWER)
    ).one()


class TooEarly(Conflict):
    """A no-answer attempt before the retry wait since the last one has passed."""

    def __init__(self, number: str, last: datetime, retry_at: datetime, now: datetime) -> None:
        self.retry_at = retry_at
        wait = -int((now - retry_at).total_seconds() // 60)  # whole minutes, rounded up
        super().__init__(
            f"{number}: the last try without an answer was at {last:%H:%M} UTC; the next try is due "
            f"in {wait} min (at {retry_at:%Y-%m-%d %H:%M} UTC). Nothing was recorded."
        )


def record_no_answer(
    db: Database,
    actor: Actor,
    number: str,
    *,
    max_attempts: int = 3,
    retry_minutes: int = 60,
    note: str = "",
) -> Outcome:
    """Nobody answered: keep the attempt; at the `max_attempts`th the ticket closes ("no answer").
    An attempt sooner than `retry_minutes` after the last unanswered one is refused (TooEarly):
    the tries are meant to be spread out, not pressed in a row."""
    note = _note(note, required=False)

    def work(s: Session) -> Outcome:
        _require(s, actor)
        t = _lock_resolved(s, number)  # locked: two agents' tries are counted one after the other
        now = clock.now()
        last = s.exec(
            select(func.max(Callback.at)).where(Callback.ticket_id == t.id, Callback.outcome == NO_ANSWER)
        ).one()
        if last is not None:
            retry_at = as_utc(last) + timedelta(minutes=retry_minutes)
            if now < retry_at:
                raise TooEarly(t.number, as_utc(last), retry_at, now)
        _attempt(s, actor, t, NO_ANSWER, note, now)
        s.flush()
        tries = _tries(s, t)
        if tries >= max_attempts:
            _close(s, actor, t, f"no answer: closed after {tries} callback attempts", now)
        return Outcome(t.number, NO_ANSWER, t.status, tries, "")

    return db.retrying(work)
