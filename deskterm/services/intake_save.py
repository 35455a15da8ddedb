"""Saving a call: one transaction that validates, finds or adds the caller and device, checks for
duplicates, and opens the ticket in its category's team queue with its SLA clocks (or chases or
links an open one); a retried save of the same call returns the ticket saved the first time."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import (
    Agent,
    Category,
    Customer,
    Device,
    EventKind,
    KbArticle,
    Kind,
    Notification,
    Role,
    Status,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketWatch,
)
from . import calls, inputs, sla
from .auth import Actor, require
from .customers import find_device
from .directory import warranty_status
from .errors import InvalidInput, status_words
from .intake_caller import caller_and_organisation, known_caller, picked_caller
from .intake_duplicates import DuplicateCandidate, DuplicatesFound, agent_and_team_names, open_duplicates
from .intake_form import (
    CALLER_CHOICES,
    ON_DUPLICATE,
    IntakeForm,
    IntakeRules,
    cleaned,
    is_device_problem,
    validate,
)
from .ticket_rows import jsonable
from .tickets import find_ticket, normalise_number, open_ticket, record_event, touch


@dataclass(frozen=True)
class IntakeResult:
    outcome: str  # created | chased
    number: str
    ticket_id: int
    status: str
    priority: int
    team: str
    assignee: str
    service_mode: str
    caller: str
    customer_id: int | None
    device_id: int | None
    respond_by: datetime | None
    resolve_by: datetime | None
    handover_by: datetime | None
    first_contact: bool
    chase_count: int
    linked_to: str | None = None
    supervisors_notified: int = 0
    summary: str = ""

    def as_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))


# The fields of an IntakeResult that are the saved ticket's own.
AS_ON_THE_TICKET = (
    "number",
    "status",
    "priority",
    "service_mode",
    "customer_id",
    "device_id",
    "respond_by",
    "resolve_by",
    "first_contact",
    "chase_count",
    "summary",
)


def save_call(
    db: Database,
    actor: Actor,
    form: IntakeForm,
    *,
    rules: IntakeRules | None = None,
    on_duplicate: str | None = None,
    duplicate_of: str | None = None,
    caller_choice: str | None = None,
) -> IntakeResult:
    """Validate and save the call in one transaction: new caller and device if needed, the
    ticket in its category's team queue with its SLA clocks, or a chase / a related link when it
    duplicates an open ticket. Raises InvalidInput (nothing saved), CallerChanged (the picked
    caller's name or organisation was edited: say what it is with `caller_choice`) or
    DuplicatesFound."""
    rules = rules or IntakeRules()
    if on_duplicate is not None and on_duplicate not in ON_DUPLICATE:
        raise InvalidInput({"on_duplicate": "chase, link or create"})
    duplicate_of = inputs.key(duplicate_of) if duplicate_of else duplicate_of
    if caller_choice is not None and caller_choice not in CALLER_CHOICES:
        raise InvalidInput({"caller_choice": "update, new_contact or new_customer"})
    if caller_choice is not None and form.customer_id is None:
        raise InvalidInput({"caller_choice": "no caller was picked: there is no contact to update or keep"})

    def save(s: Session) -> IntakeResult:
        return _save(s, actor, form, rules, on_duplicate, duplicate_of, caller_choice)

    try:
        return db.retrying(save)
    except IntegrityError:
        # Another console created the same new organisation (or serial) a moment ago: once more,
        # and this time it is found and used.
        return db.retrying(save)


def _save(
    s: Session,
    actor: Actor,
    typed: IntakeForm,
    rules: IntakeRules,
    on_duplicate: str | None,
    duplicate_of: str | None,
    caller_choice: str | None = None,
) -> IntakeResult:
    require(s, actor, "tickets.create")
    form = cleaned(typed)[0]  # what is stored; validate() below reports what it refused
    if form.call_started_at is not None:
        done = _saved_before(s, actor, form.call_started_at)
        if done is not None:
            return done
    device = find_device(s, form.device_serial)
    category = (
        s.exec(select(Category).where(Category.path == form.category.strip())).first()
        if form.category.strip()
        else None
    )
    customer = s.get(Customer, form.customer_id) if form.customer_id is not None else known_caller(s, form)
    errors = validate(typed, rules, device_known=device is not None, category_known=category is not None)
    if form.customer_id is not None and customer is None:
        errors["name"] = "the caller picked no longer exists: look them up again"
    if errors:
        raise InvalidInput(errors)
    assert category is not None

    details: dict[str, Any] = {}
    if form.customer_id is not None and customer is not None:
        customer, details = picked_caller(s, form, customer, caller_choice)
    customer, org = caller_and_organisation(s, form, customer)
    text = form.text()
    candidates: list[DuplicateCandidate] = []
    if on_duplicate != "create":
        candidates = open_duplicates(
            s, customer.id, device.id if device else None, text, rules.duplicate_threshold
        )
    target: Ticket | None = None
    if duplicate_of and on_duplicate in ("chase", "link"):
        target = s.exec(
            select(Ticket)
            .where(Ticket.number == normalise_number(duplicate_of))
            .with_for_update()  # it is chased or linked: a change from what was read here
            .execution_options(populate_existing=True)
        ).first()
        if target is None:
            raise InvalidInput({"duplicate_of": later("no ticket {number}", number=duplicate_of)})
    elif candidates:
        if on_duplicate is None:
            raise DuplicatesFound(candidates)
        target = s.get(Ticket, candidates[0].ticket_id, with_for_update=True, populate_existing=True)
    if on_duplicate == "chase" and target is not None:
        return _chase_in(
            s,
            actor,
            target,
            words=text,
            call_started_at=form.call_started_at,
            caller=form.name,
            phone_call_id=form.phone_call_id,
        )

    if is_device_problem(form) and device is None and form.device_serial.strip():
        device = Device(
            serial=form.device_serial.strip(),
            model=form.device_model.strip(),
            customer_id=customer.id,
            organisation_id=org.id if org else None,
            created_at=clock.now(),
        )
        s.add(device)
        s.flush()
    warranty = form.warranty
    if device is not None and device.warranty_end is not None and warranty == "unknown":
        warranty = warranty_status(device.warranty_end)
    impact, urgency = form.levels()  # validated: both asked unless solved at first contact
    matrix = rules.priority(impact, urgency)
    priority = form.priority or matrix
    customer_class = org.customer_class if org else "standard"
    mode = form.service_mode or rules.service_mode(
        kind=form.kind, warranty=warranty, customer_class=customer_class, device=device is not None
    )
    first_contact = form.solved_at_first_contact()
    handover_by = None  # the promise the hand-over rule keeps: the same minutes, the same calendar
    if not first_contact:
        calendar = sla.policy_for(s, priority, customer_class)[1]
        handover_by = sla.handover_due(calendar, clock.now(), rules.handover_minutes)
    details |= {"matrix_priority": matrix, "service_mode": mode}
    if handover_by is not None:
        details["handover_by"] = handover_by.isoformat()
    if priority != matrix:
        details["override_reason"] = form.priority_reason.strip()
    if form.serial_reason.strip() and not form.device_serial.strip():
        details["serial_unknown"] = form.serial_reason.strip()
    if form.call_started_at is not None:
        details["call_started_at"] = form.call_started_at.isoformat()
    linking = on_duplicate == "link" and target is not None
    if linking:
        details["related"] = target.number  # type: ignore[union-attr]  # linking implies a target
    if form.kind == Kind.COMPLAINT:
        details["complaint"] = True
    ticket = open_ticket(
        s,
        actor,
        summary=form.effective_summary(),
        description=form.description,
        kind=form.kind,
        category=category.path,
        impact=impact,
        urgency=urgency,
        priority=priority,
        customer_id=customer.id,
        device_id=device.id if device else None,
        channel=form.channel or "phone",
        service_mode=mode,
        warranty=warranty,
        call_started_at=form.call_started_at,
        event_data=details,
    )
    assert ticket.id is not None
    if form.phone_call_id is not None:
        calls.link_ticket(s, form.phone_call_id, ticket.id, "logged")
    linked_to = None
    if linking:
        assert target is not None
        s.add(TicketLink(ticket_id=ticket.id, related_id=target.id, kind="related"))  # type: ignore[arg-type]  # flushed rows have ids
        record_event(s, ticket, actor.id, EventKind.LINKED, target.number, data={"related": target.number})
        touch(target)
        related = {"related": ticket.number, "version": target.version}
        record_event(s, target, actor.id, EventKind.LINKED, ticket.number, data=related)
        linked_to = target.number
    notified = _flag_complaint(s, actor, ticket) if form.kind == Kind.COMPLAINT else 0
    if first_contact:
        _resolve_at_first_contact(s, actor, ticket, form)
    s.flush()
    return _result(
        s, ticket, "created", form.name, linked_to=linked_to, notified=notified, handover_by=handover_by
    )


def _flag_complaint(s: Session, actor: Actor, ticket: Ticket) -> int:
    """Complaints follow their own flow: the operator's manager, or else the desk's supervisors,
    are told at once and watch the ticket."""
    ids: list[int] = []
    if actor.manager_id is not None:
        ids = [actor.manager_id]
    else:
        query = select(Agent.id).where(
            col(Agent.active).is_(True), col(Agent.role).in_([Role.SUPERVISOR, Role.ADMIN])
        )
        if actor.team_id is not None:
            query = query.where(Agent.team_id == actor.team_id)
        ids = [i for i in s.exec(query).all() if i is not None]
    now = clock.now()
    for agent_id in ids:
        s.add(
            Notification(
                agent_id=agent_id,
                ticket_id=ticket.id,
                kind="complaint",
                body=f"{ticket.number} {ticket.summary}",
                created_at=now,
            )
        )
        if s.get(TicketWatch, (agent_id, ticket.id)) is None:
            s.add(TicketWatch(agent_id=agent_id, ticket_id=ticket.id))  # type: ignore[arg-type]  # flushed rows have ids
    return len(ids)


def _resolve_at_first_contact(s: Session, actor: Actor, ticket: Ticket, form: IntakeForm) -> None:
    """Solved on the phone: the desk keeps it, resolved now, with the article that solved it."""
    resolution = form.resolution.strip()
    article = None
    if form.kb_article_id is not None:
        from . import kb

        article = s.get(KbArticle, form.kb_article_id)
        if article is None:
            raise InvalidInput({"kb_article_id": "no such article"})
        kb.mark_solved(s, actor.id, ticket.id, article.id)  # type: ignore[arg-type]  # flushed rows have ids
        resolution = resolution or f"{article.external_id} {article.title}"
    now = clock.now()
    ticket.assignee_id = actor.id
    ticket.team_id = actor.team_id or ticket.team_id
    ticket.tier = actor.tier
    ticket.assigned_at = now
    ticket.responded_at = now
    ticket.resolved_at = now
    ticket.first_contact = True
    ticket.resolution = resolution
    touch(ticket, Status.RESOLVED)
    data: dict[str, Any] = {"first_contact": True, "version": ticket.version}
    if article is not None:
        data["article"] = article.external_id
    record_event(s, ticket, actor.id, EventKind.RESOLVED, resolution, public=True, data=data)


def _saved_before(s: Session, actor: Actor, started: datetime) -> IntakeResult | None:
    """A save retried after a lost connection must not save twice: the same agent's ticket with
    the same call start is the one saved before (ix_ticket_created bounds the look)."""
    ticket = s.exec(
        select(Ticket).where(
            col(Ticket.created_at) >= started,
            Ticket.created_by_id == actor.id,
            Ticket.call_started_at == started,
        )
    ).first()
    if ticket is None:
        return None
    created = s.exec(
        select(TicketEvent.data).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.CREATED
        )
    ).first()
    handover = json.loads(created).get("handover_by") if created else None
    owner = s.get(Customer, ticket.customer_id) if ticket.customer_id else None
    return _result(
        s,
        ticket,
        "created",
        owner.name if owner else "",
        handover_by=datetime.fromisoformat(handover) if handover else None,
    )


def _result(
    s: Session,
    ticket: Ticket,
    outcome: str,
    caller: str,
    *,
    linked_to: str | None = None,
    notified: int = 0,
    handover_by: datetime | None = None,
) -> IntakeResult:
    assert ticket.id is not None
    agents, teams = agent_and_team_names(s, [ticket.assignee_id], [ticket.team_id])
    return IntakeResult(
        outcome=outcome,
        ticket_id=ticket.id,
        team=teams.get(ticket.team_id, "") if ticket.team_id else "",
        assignee=agents.get(ticket.assignee_id, "") if ticket.assignee_id else "",
        caller=caller,
        handover_by=handover_by,
        linked_to=linked_to,
        supervisors_notified=notified,
        **{name: getattr(ticket, name) for name in AS_ON_THE_TICKET},
    )


# --- chase calls -----------------------------------------------------------------------------------


def chase(
    db: Database,
    actor: Actor,
    number: str,
    *,
    words: str = "",
    caller: str = "",
    call_started_at: datetime | None = None,
    phone_call_id: int | None = None,
) -> IntakeResult:
    """The caller rings again about an open ticket: log who, when and the caller's words, and
    count the chase (escalation rules read chase_count); linked to the phone system's call
    `phone_call_id` when there is one."""
    words = inputs.text(words, "words")
    caller = inputs.line(caller, "caller", Customer.name)

    def work(s: Session) -> IntakeResult:
        require(s, actor, "tickets.create")
        ticket = find_ticket(s, number, lock=True)
        return _chase_in(
            s,
            actor,
            ticket,
            words=words,
            call_started_at=call_started_at,
            caller=caller,
            phone_call_id=phone_call_id,
        )

    return db.retrying(work)


def _chase_in(
    s: Session,
    actor: Actor,
    ticket: Ticket,
    *,
    words: str,
    call_started_at: datetime | None,
    caller: str,
    phone_call_id: int | None = None,
) -> IntakeResult:
    assert ticket.id is not None
    if not ticket.is_open:
        raise InvalidInput(
            {
                "ticket": later(
                    "{number} is {status}: only open tickets are chased",
                    number=ticket.number,
                    status=status_words(ticket.status),
                )
            }
        )
    owner = s.get(Customer, ticket.customer_id) if ticket.customer_id else None
    caller = caller.strip() or (owner.name if owner else "")
    if phone_call_id is not None:  # a retried save finds the link made (and returns below)
        calls.link_ticket(s, phone_call_id, ticket.id, "chased")
    if call_started_at is not None:  # a retried save: this call's chase is logged already
        stamp = call_started_at.isoformat()
        for logged in s.exec(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.kind == EventKind.CHASED,
                TicketEvent.actor_id == actor.id,
            )
        ).all():
            if logged and json.loads(logged).get("call_started_at") == stamp:
                s.refresh(ticket)
                return _result(s, ticket, "chased", caller)
    # Both callers lock the ticket: simultaneous chases each count, one after the other.
    ticket.chase_count += 1
    touch(ticket)
    data: dict[str, Any] = {"chase_count": ticket.chase_count, "caller": caller, "version": ticket.version}
    if call_started_at is not None:
        data["call_started_at"] = call_started_at.isoformat()
    record_event(s, ticket, actor.id, EventKind.CHASED, words.strip(), data=data)
    s.flush()
    return _result(s, ticket, "chased", caller)
