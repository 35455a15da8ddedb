"""Calls from the phone system: the events a PBX posts (Zammad's generic CTI API: newCall, answer,
hangup) become one record per call that the consoles and the KPIs trust.

Everything here comes from outside and is untrusted: `parse` cleans and checks each field (a
malformed event is refused whole, nothing stored). `ingest` is idempotent by (callId, event): the
event's row is the guard, so a PBX that retries never counts a call twice. Events may arrive out of
order: an answer before its newCall builds the record from what it has (the late newCall fills in
the rest); a hang-up before the answer makes a missed call, and the answer after it is kept as a
rejected event with its reason; a hang-up of a call never announced is kept as a rejected event and
changes no record — until that call's newCall or answer comes after all (held up by a 503, say):
then the call is made and ends at once, its early hang-up stored. Times are when deskterm received
the event (the generic API carries none).

Consoles follow the events in id order (`events_after`): an answer pops the answering agent's
console; PostgreSQL wakes them with a NOTIFY on the `deskterm_calls` channel (migration 0012)."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import CursorResult, and_, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import (
    Agent,
    CallEvent,
    Customer,
    CustomerPhone,
    DeskSecret,
    PhoneCall,
    PhoneCallTicket,
    WrapupCode,
)
from . import inputs
from .auth import Actor, require
from .errors import InvalidInput, NotFound
from .phones import ascii_text, split_extension
from .phones import digits as phone_digits

if TYPE_CHECKING:
    from .changes import FeedPosition

NEW_CALL, ANSWER, HANGUP = "newCall", "answer", "hangup"
EVENTS = (NEW_CALL, ANSWER, HANGUP)
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
STORED, DUPLICATE, REJECTED = "stored", "duplicate", "rejected"
MAX_USERS = 50
TOKEN = "cti_token"


@dataclass(frozen=True)
class CtiEvent:
    """One event as the PBX sent it, cleaned."""

    event: str
    call_id: str
    direction: str = "in"
    caller: str = ""  # `from`
    dialled: str = ""  # `to`
    queue: str = ""
    answering: str = ""  # `answeringNumber`: the extension that answered
    users: tuple[str, ...] = ()
    cause: str = ""


@dataclass(frozen=True)
class Ingested:
    status: str  # stored | duplicate | rejected
    call_pk: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class CallSignal:
    """A call event a console reacts to: an answer pops its agent's console."""

    event_id: int
    event: str
    call_pk: int
    call_id: str
    agent_id: int | None
    caller: str  # E.164, or "" when the PBX sent no number
    caller_raw: str
    queue: str
    answered_at: datetime | None
    ended_at: datetime | None
    at: datetime


def parse(fields: Mapping[str, object]) -> CtiEvent:
    """The event in a posted body (JSON object or form fields), or InvalidInput with one reason per
    bad field. `user` may be one string or a list (form bodies repeat it, as `user` or `user[]`)."""
    errors: dict[str, str] = {}
    event = fields.get("event")
    if event not in EVENTS:
        errors["event"] = "one of newCall, answer, hangup"
    call_id = inputs.line(fields.get("callId"), "callId", PhoneCall.call_id, errors=errors)
    if not call_id and "callId" not in errors:
        errors["callId"] = "required"
    direction = fields.get("direction") or "in"
    if direction not in ("in", "out"):
        errors["direction"] = "in or out"
    users_raw = fields.get("user", fields.get("user[]", ()))
    users_list = [users_raw] if isinstance(users_raw, str) else users_raw
    users: list[str] = []
    if not isinstance(users_list, list | tuple) or len(users_list) > MAX_USERS:
        errors["user"] = later("a name or a list of at most {n}", n=MAX_USERS)
    else:
        users = [inputs.line(u, "user", 120, errors=errors) for u in users_list]
    cause = inputs.line(fields.get("cause"), "cause", 20, errors=errors)
    if cause and not re.fullmatch(r"[A-Za-z_-]+", cause):
        errors["cause"] = later("a word such as {causes}", causes=", ".join(CAUSES))
    parsed = CtiEvent(
        event=str(event),
        call_id=call_id,
        direction=str(direction),
        caller=inputs.line(fields.get("from"), "from", PhoneCall.caller_raw, errors=errors),
        dialled=inputs.line(fields.get("to"), "to", PhoneCall.dialled, errors=errors),
        queue=inputs.line(fields.get("queue"), "queue", PhoneCall.queue, errors=errors),
        answering=inputs.line(fields.get("answeringNumber"), "answeringNumber", 20, errors=errors),
        users=tuple(u for u in users if u),
        cause=cause,
    )
    if errors:
        raise InvalidInput(errors)
    return parsed


def e164(raw: str, country: str = "86") -> str:
    """A caller's number in E.164 (+<country><number>), or "" when it is not a number (anonymous,
    a SIP name). National numbers get `country`; a trunk 0 is dropped; an extension is not part of it."""
    number, _ext = split_extension(ascii_text(raw))
    number = number.strip()
    if number.startswith("sip:") or "@" in number:
        number = number.removeprefix("sip:").split("@", 1)[0]
    international = number.startswith(("+", "00"))
    digits = re.sub(r"[^0-9]", "", number)
    if not digits or re.search(r"[A-Za-z]", number):
        return ""
    if international:
        digits = digits[2:] if number.startswith("00") else digits
    elif digits.startswith(country) and len(digits) == len(country) + 11 and digits[len(country)] == "1":
        pass  # 8613812345678: a home mobile written with its country code, without "+"
    else:
        digits = country + digits.lstrip("0")
    return "+" + digits if 7 <= len(digits) <= 15 else ""


def ingest(db: Database, event: CtiEvent, *, country: str = "86", at: datetime | None = None) -> Ingested:
    """Store one event and apply it to its call's record (see the module's docstring)."""
    at = at or clock.now()
    for attempt in range(3):  # two events of one new call at once: the loser retries and finds it
        try:
            with db.write() as s:
                return _ingest(s, event, country, at)
        except IntegrityError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _ingest(s: Session, e: CtiEvent, country: str, at: datetime) -> Ingested:
    seen = s.exec(
        select(CallEvent.id).where(CallEvent.call_id == e.call_id, CallEvent.event == e.event)
    ).first()
    if seen is not None:
        call_pk = s.exec(select(PhoneCall.id).where(PhoneCall.call_id == e.call_id)).first()
        return Ingested(DUPLICATE, call_pk)
    call = s.exec(select(PhoneCall).where(PhoneCall.call_id == e.call_id).with_for_update()).first()
    agent_id = _agent_for(s, e)
    reason = ""
    if call is None and e.event == HANGUP:
        reason = "no such call: its newCall or answer never came"
    elif call is not None and e.event == ANSWER and call.ended_at is not None:
        reason = "the call had already ended"
    elif call is not None and e.event == ANSWER and call.answered_at is not None:
        reason = "the call was already answered"
    if not reason:
        early_end = None
        if call is None:
            call = PhoneCall(call_id=e.call_id, arrived_at=at)
            s.add(call)
            early_end = _early_hangup(s, e.call_id)
        _apply(call, e, country, agent_id, at)
        if early_end is not None:  # it ended before deskterm heard of it: it ends now
            fields = json.loads(early_end.payload)
            _apply(call, CtiEvent(**{**fields, "users": tuple(fields["users"])}), country, None, at)
            early_end.outcome, early_end.reason = STORED, "applied when its call came"
        s.flush()
        agent_id = agent_id if e.event != HANGUP else call.agent_id
    s.add(
        CallEvent(
            call_id=e.call_id,
            event=e.event,
            at=at,
            agent_id=agent_id,
            outcome=REJECTED if reason else STORED,
            reason=reason,
            payload=json.dumps(asdict(e), ensure_ascii=False),
        )
    )
    s.flush()
    return Ingested(REJECTED if reason else STORED, call.id if call is not None else None, reason)


def _early_hangup(s: Session, call_id: str) -> CallEvent | None:
    """The hang-up of this call rejected because it came first (its newCall held up by a 503, say):
    applied when the call's first event comes, so that no call stays ringing for ever."""
    return s.exec(
        select(CallEvent)
        .where(CallEvent.call_id == call_id, CallEvent.event == HANGUP, CallEvent.outcome == REJECTED)
        .with_for_update()
    ).first()


def _apply(call: PhoneCall, e: CtiEvent, country: str, agent_id: int | None, at: datetime) -> None:
    # What the PBX tells about the call fills what is still unknown (an early answer built the record).
    call.direction = e.direction if e.event == NEW_CALL else call.direction
    if e.caller and not call.caller_raw:
        call.caller_raw, call.caller = e.caller, e164(e.caller, country)
    call.dialled = call.dialled or e.dialled
    call.queue = call.queue or e.queue
    if e.event == ANSWER:
        call.answered_at = at
        call.wait_seconds = _seconds(call.arrived_at, at)
        call.agent_id, call.extension = agent_id, e.answering or call.extension
    elif e.event == HANGUP:
        call.ended_at, call.cause = at, e.cause
        if call.answered_at is not None:
            call.talk_seconds = _seconds(call.answered_at, at)
        else:
            call.wait_seconds = _seconds(call.arrived_at, at)


def _seconds(start: datetime, end: datetime) -> int:
    return max(0, round((end - start).total_seconds()))


def _agent_for(s: Session, e: CtiEvent) -> int | None:
    """The agent an event concerns: the answering number matched to an agent's extension, then to a
    login; else the first of `user` that is one (a newCall names the phones it rings)."""
    names = [n for n in (e.answering, *e.users) if n]
    if not names:
        return None
    rows = s.exec(
        select(Agent.id, Agent.extension, Agent.login).where(
            col(Agent.active), or_(col(Agent.extension).in_(names), col(Agent.login).in_(names))
        )
    ).all()
    for name in names:
        for by_extension in (True, False):
            for agent_id, extension, login in rows:
                if (extension if by_extension else login) == name:
                    return agent_id
    return None


# --- the consoles' call feed -------------------------------------------------------------------


def latest_event_id(db: Database) -> int:
    with db.read() as s:
        return s.exec(select(func.max(CallEvent.id))).one() or 0


def events_after(
    db: Database, after_id: int, *, agent_id: int | None = None, limit: int = 200
) -> list[CallSignal]:
    """Stored call events after `after_id`, oldest first, with their call; only one agent's when
    `agent_id` is given."""
    query = (
        select(CallEvent, PhoneCall)
        .join(PhoneCall, col(PhoneCall.call_id) == col(CallEvent.call_id))
        .where(col(CallEvent.id) > after_id, CallEvent.outcome == STORED)
        .order_by(col(CallEvent.id))
        .limit(limit)
    )
    if agent_id is not None:
        query = query.where(CallEvent.agent_id == agent_id)
    with db.read() as s:
        return [_signal(ev, call) for ev, call in s.exec(query).all()]


def read_feed(db: Database, position: FeedPosition, agent_id: int, page: int = 200) -> list[CallSignal]:
    """A console's read of its agent's call events: every event after `position` and the ids it
    still looks for (a PostgreSQL id committed after a later one: services/changes.FeedPosition),
    any agent's, so that the position moves past them all; this agent's stored ones returned."""
    mine: list[CallSignal] = []
    while True:
        holes = position.missing()
        newer = col(CallEvent.id) > position.last
        query = (
            select(CallEvent, PhoneCall)
            .join(PhoneCall, col(PhoneCall.call_id) == col(CallEvent.call_id), isouter=True)
            .where(or_(newer, col(CallEvent.id).in_(holes)) if holes else newer)
            .order_by(col(CallEvent.id))
            .limit(page)
        )
        with db.read() as s:
            rows = s.exec(query).all()
        position.seen(ev.id for ev, _call in rows if ev.id is not None)
        mine += [
            _signal(ev, call)
            for ev, call in rows
            if call is not None and ev.agent_id == agent_id and ev.outcome == STORED
        ]
        if len(rows) < page:
            return mine


def _signal(ev: CallEvent, call: PhoneCall) -> CallSignal:
    return CallSignal(
        event_id=ev.id or 0,
        event=ev.event,
        call_pk=call.id or 0,
        call_id=call.call_id,
        agent_id=ev.agent_id,
        caller=call.caller,
        caller_raw=call.caller_raw,
        queue=call.queue,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        at=ev.at,
    )


LINK_KINDS = ("logged", "chased")


def link_ticket(s: Session, call_pk: int, ticket_id: int, kind: str) -> bool:
    """Note on the call that `ticket_id` was logged or chased during it, in the caller's
    transaction (the save of the call). Idempotent: a retried save finds the link made. False
    when the call is not on record (nothing linked)."""
    if kind not in LINK_KINDS:
        raise ValueError(f"a call's ticket is logged or chased, not {kind!r}")
    if s.get(PhoneCall, call_pk) is None:
        return False
    if s.get(PhoneCallTicket, (call_pk, ticket_id)) is None:
        s.add(PhoneCallTicket(call_pk=call_pk, ticket_id=ticket_id, kind=kind))
        s.flush()
    return True


# --- the endpoint's token ----------------------------------------------------------------------


def cti_token(db: Database) -> str:
    """The desk's CTI token (made on first use): the secret part of the endpoint's URL."""
    with db.read() as s:
        value = s.exec(select(DeskSecret.value).where(DeskSecret.name == TOKEN)).first()
    if value is not None:
        return value
    try:
        with db.write() as s:
            s.add(DeskSecret(name=TOKEN, value=secrets.token_urlsafe(24), changed_at=clock.now()))
    except IntegrityError:
        pass  # another process made it first: theirs stands
    return cti_token(db)


def reveal_cti_token(db: Database, actor: Actor) -> str:
    """The token, for an admin setting up the PBX (`deskterm cti url`)."""
    with db.read() as s:
        require(s, actor, "cti.configure")
    return cti_token(db)


def rotate_cti_token(db: Database, actor: Actor) -> str:
    """A new token: the old URL stops working at once (an admin's act)."""
    value = secrets.token_urlsafe(24)
    with db.write() as s:
        require(s, actor, "cti.configure")
        row = s.exec(select(DeskSecret).where(DeskSecret.name == TOKEN).with_for_update()).first()
        if row is None:
            s.add(DeskSecret(name=TOKEN, value=value, changed_at=clock.now()))
        else:
            row.value, row.changed_at = value, clock.now()
    return value


def token_matches(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode(), token.encode())


def cti_url(token: str, listen: str, public_url: str | None = None) -> str:
    """The URL a PBX posts its events to."""
    base = (public_url or f"http://{listen}").rstrip("/")
    return f"{base}/cti/{token}"


# --- reading calls -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallRow:
    id: int
    call_id: str
    direction: str
    caller: str
    caller_raw: str
    dialled: str
    queue: str
    agent_id: int | None
    agent: str
    extension: str
    arrived_at: datetime
    answered_at: datetime | None
    ended_at: datetime | None
    wait_seconds: int | None
    talk_seconds: int | None
    acw_seconds: int | None
    cause: str
    wrapup: str
    tickets: Sequence[int] = field(default=())

    @property
    def missed(self) -> bool:
        return self.answered_at is None and self.ended_at is not None


def _row(call: PhoneCall, agent: str) -> CallRow:
    return CallRow(
        id=call.id or 0,
        call_id=call.call_id,
        direction=call.direction,
        caller=call.caller,
        caller_raw=call.caller_raw,
        dialled=call.dialled,
        queue=call.queue,
        agent_id=call.agent_id,
        agent=agent,
        extension=call.extension,
        arrived_at=call.arrived_at,
        answered_at=call.answered_at,
        ended_at=call.ended_at,
        wait_seconds=call.wait_seconds,
        talk_seconds=call.talk_seconds,
        acw_seconds=call.acw_seconds,
        cause=call.cause,
        wrapup=call.wrapup,
    )


def get_call(db: Database, actor: Actor, call_pk: int) -> CallRow:
    """One call with the tickets logged or chased during it."""
    with db.read() as s:
        require(s, actor, "tickets.read")
        found = s.exec(
            select(PhoneCall, Agent.name)
            .join(Agent, col(Agent.id) == col(PhoneCall.agent_id), isouter=True)
            .where(PhoneCall.id == call_pk)
        ).first()
        if found is None:
            raise NotFound(later("no call {id}", id=call_pk))
        call, agent = found
        tickets = s.exec(
            select(PhoneCallTicket.ticket_id)
            .where(PhoneCallTicket.call_pk == call_pk)
            .order_by(col(PhoneCallTicket.ticket_id))
        ).all()
        row = _row(call, agent or "")
        return CallRow(**{**asdict(row), "tickets": tuple(tickets)})


def list_calls(
    db: Database,
    actor: Actor,
    *,
    missed: bool = False,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[CallRow]:
    """Calls newest first; `missed`: only those that hung up before an answer."""
    if limit < 1:
        raise InvalidInput({"limit": "at least 1"})
    query = (
        select(PhoneCall, Agent.name)
        .join(Agent, col(Agent.id) == col(PhoneCall.agent_id), isouter=True)
        .order_by(col(PhoneCall.arrived_at).desc(), col(PhoneCall.id).desc())
        .limit(limit)
    )
    if missed:
        query = query.where(col(PhoneCall.answered_at).is_(None), col(PhoneCall.ended_at).is_not(None))
    if since is not None:
        query = query.where(col(PhoneCall.arrived_at) >= since)
    if until is not None:
        query = query.where(col(PhoneCall.arrived_at) < until)
    with db.read() as s:
        require(s, actor, "tickets.read")
        return [_row(call, agent or "") for call, agent in s.exec(query).all()]


# --- after-call work and missed calls (the consoles) ---------------------------------------------


@dataclass(frozen=True)
class Wrapup:
    code: str
    name: str
    name_zh: str


def wrapup_codes(db: Database) -> list[Wrapup]:
    """The codes an agent closes after-call work with, in the desk's order (reference data)."""
    with db.read() as s:
        rows = s.exec(select(WrapupCode).order_by(col(WrapupCode.position), col(WrapupCode.code))).all()
        return [Wrapup(r.code, r.name, r.name_zh) for r in rows]


def _last_ended(agent_id: int) -> Any:
    """The agent's latest call that has ended (an agent's calls are answered one after another)."""
    return (
        select(PhoneCall)
        .where(PhoneCall.agent_id == agent_id, col(PhoneCall.ended_at).is_not(None))
        .order_by(col(PhoneCall.answered_at).desc(), col(PhoneCall.id).desc())
        .limit(1)
    )


def call_to_wrap_up(db: Database, actor: Actor) -> CallRow | None:
    """The call the agent's after-call work is for: their latest ended call while it has no
    after-call time yet; None when no phone system feeds calls (or it is wrapped up)."""
    with db.read() as s:
        require(s, actor)
        call = s.exec(_last_ended(actor.id)).first()
        return _row(call, actor.name) if call is not None and call.acw_seconds is None else None


def finish_after_call(
    db: Database, actor: Actor, code: str, *, cap_seconds: float, at: datetime | None = None
) -> CallRow | None:
    """After-call work is over (the agent is ready, saved, took the next call, or its time ran
    out): the agent's latest ended call gets its after-call seconds, from the hang-up to `at`
    (default now), at most `cap_seconds`, and the wrap-up `code` ("" when none was chosen). Once:
    a call that has its after-call time keeps it (None is returned, as when no call is there)."""
    now = clock.now()
    at = min(at or now, now)
    with db.write() as s:
        require(s, actor)
        if code and s.get(WrapupCode, code) is None:
            raise InvalidInput({"wrapup": later("no wrap-up code '{code}'", code=code)})
        call = s.exec(_last_ended(actor.id).with_for_update()).first()
        if call is None or call.acw_seconds is not None or call.ended_at is None:
            return None
        call.acw_seconds = min(_seconds(call.ended_at, at), max(0, round(cap_seconds)))
        call.wrapup = code
        s.flush()
        return _row(call, actor.name)


@dataclass(frozen=True)
class MissedCall:
    """A caller who hung up before an answer."""

    id: int
    number: str  # E.164, else as the PBX sent it ("" when it sent none)
    name: str  # the known customers' names with that number ("" when none)
    arrived_at: datetime
    wait_seconds: int | None
    queue: str
    seen_at: datetime | None


def _missed() -> Any:
    """Calls from outside that ended unanswered (the partial index ix_phone_call_missed)."""
    return and_(
        col(PhoneCall.answered_at).is_(None),
        col(PhoneCall.ended_at).is_not(None),
        col(PhoneCall.direction) == "in",
    )


def missed_calls(
    db: Database, actor: Actor, *, include_seen: bool = False, limit: int = 200
) -> list[MissedCall]:
    """Missed calls, newest first, not yet seen (or all: `include_seen`), each with the names of
    the customers its number belongs to. One row a call: a retried or late event never adds one."""
    if limit < 1:
        raise InvalidInput({"limit": "at least 1"})
    query = (
        select(PhoneCall)
        .where(_missed())
        .order_by(col(PhoneCall.arrived_at).desc(), col(PhoneCall.id).desc())
        .limit(limit)
    )
    if not include_seen:
        query = query.where(col(PhoneCall.seen_at).is_(None))
    with db.read() as s:
        require(s, actor, "callbacks.make")
        rows = s.exec(query).all()
        numbers = {c.id: phone_digits(c.caller or c.caller_raw) for c in rows}
        names: dict[str, list[str]] = {}
        wanted = {d for d in numbers.values() if d}
        if wanted:
            for number, name in s.exec(
                select(CustomerPhone.digits, Customer.name)
                .join(Customer, col(Customer.id) == CustomerPhone.customer_id)
                .where(col(CustomerPhone.digits).in_(wanted))
                .order_by(col(Customer.name))
            ).all():
                if name not in names.setdefault(number, []):
                    names[number].append(name)
        return [
            MissedCall(
                id=c.id or 0,
                number=c.caller or c.caller_raw,
                name=" / ".join(names.get(numbers[c.id], [])),
                arrived_at=c.arrived_at,
                wait_seconds=c.wait_seconds,
                queue=c.queue,
                seen_at=c.seen_at,
            )
            for c in rows
        ]


def mark_seen(db: Database, actor: Actor, call_pks: Sequence[int]) -> int:
    """Missed calls marked seen by the agent, at once; how many were not seen before (a call
    already seen keeps who saw it first; a call that is not a missed one is left alone)."""
    pks = sorted({int(pk) for pk in call_pks})
    with db.write() as s:
        require(s, actor, "callbacks.make")
        if not pks:
            return 0
        result: CursorResult[Any] = s.execute(  # type: ignore[assignment]  # an UPDATE's result
            update(PhoneCall)
            .where(col(PhoneCall.id).in_(pks), _missed(), col(PhoneCall.seen_at).is_(None))
            .values(seen_at=clock.now(), seen_by_id=actor.id)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount


def missed_count(db: Database) -> int:
    """Missed calls not yet seen (the monitor's figure)."""
    with db.read() as s:
        return s.exec(
            select(func.count()).select_from(PhoneCall).where(_missed(), col(PhoneCall.seen_at).is_(None))
        ).one()
