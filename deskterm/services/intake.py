"""Intake: one call logged as one ticket (or as a chase on an open one), by the console and by
`deskterm ticket create` alike.

The script's order is the order of validation: name, organisation, phone; device model and
serial for a device problem; the fault symptoms; the warranty; then the classification. A known
serial fills the model and owner and computes the warranty. Before saving, the caller's and the
device's open tickets are compared with this call (防止重复下单): the operator chases one, links
the new ticket to one, or creates it anyway. The whole save is one transaction; a retried save of
the same call (same agent, same call start) returns the ticket saved the first time.

A caller picked from the lookup whose name or organisation was then edited is neither saved over
nor dropped: the save asks (CallerChanged) whether to update that contact, add a new contact in
the same organisation, or a new customer, and the answer comes back as `caller_choice`."""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .. import clock
from ..config import HANDOVER_MINUTES
from ..db import Database
from ..models import (
    Agent,
    Category,
    Customer,
    CustomerPhone,
    Device,
    EventKind,
    KbArticle,
    Kind,
    Notification,
    Organisation,
    Role,
    Status,
    Team,
    Ticket,
    TicketEvent,
    TicketLink,
    TicketWatch,
)
from . import customers, inputs, phones, sla
from .auth import Actor, require
from .customers import CallerMatch, find_device
from .directory import warranty_status
from .errors import Conflict, InvalidInput
from .priority import DEFAULT_MATRIX, LEVELS
from .ticket_rows import jsonable
from .tickets import find_ticket, normalise_number, open_ticket, record_event, touch

SERVICE_MODES = ("phone", "on_site", "carry_in", "mail_in", "paid", "exchange")
WARRANTY = ("in", "out", "unknown")
# Categories whose calls are about a device: the model and serial are asked.
DEVICE_CATEGORIES = ("Hardware/", "Warranty and repair")
ON_DUPLICATE = ("chase", "link", "create")
# What to do when the name or organisation typed differs from the caller picked.
CALLER_CHOICES = ("update", "new_contact", "new_customer")
# The order the script asks in, which is the order errors are reported and focus goes.
FIELD_ORDER = (
    "name",
    "organisation",
    "phone",
    "device_model",
    "device_serial",
    "description",
    "warranty",
    "summary",
    "kind",
    "category",
    "impact",
    "urgency",
    "priority",
    "priority_reason",
    "service_mode",
)
# Text fields and their lengths (the columns they are stored in; the reason goes in the event).
MAX_LENGTH = {
    "name": inputs.limit_of(Customer.name),
    "organisation": inputs.limit_of(Organisation.name),
    "phone": inputs.limit_of(CustomerPhone.number),
    "device_model": inputs.limit_of(Device.model),
    "device_serial": inputs.limit_of(Device.serial),
    "description": inputs.LONG_TEXT,
    "summary": inputs.limit_of(Ticket.summary),
    "category": inputs.limit_of(Category.path),
    "priority_reason": 300,
    "channel": inputs.limit_of(Ticket.channel),
    "resolution": inputs.LONG_TEXT,
}
MULTILINE = ("description", "resolution")
DEFAULT_RULES: tuple[dict[str, Any], ...] = (
    {"kind": "consultation", "mode": "phone"},
    {"device": True, "warranty": "out", "mode": "paid"},
    {"device": True, "customer_class": "key", "mode": "on_site"},
    {"device": True, "mode": "carry_in"},
    {"mode": "phone"},
)


@dataclass
class IntakeForm:
    """One call as the operator has typed it so far (also the draft and the CLI's JSON)."""

    name: str = ""
    organisation: str = ""
    phone: str = ""
    customer_id: int | None = None  # a caller picked from the lookup
    device_model: str = ""
    device_serial: str = ""
    description: str = ""  # the fault symptoms, as the caller gives them
    warranty: str = "unknown"
    summary: str = ""  # default: the first line of the symptoms
    kind: str = Kind.INCIDENT
    category: str = ""
    impact: int = 3
    urgency: int = 3
    priority: int | None = None  # None: from the matrix
    priority_reason: str = ""
    service_mode: str = ""  # "": the suggested one
    channel: str = "phone"
    call_started_at: datetime | None = None
    kb_article_id: int | None = None  # solved at first contact with this article
    resolution: str = ""

    def as_json(self) -> dict[str, Any]:
        return jsonable(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IntakeForm:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        started = values.get("call_started_at")
        if isinstance(started, str):
            values["call_started_at"] = datetime.fromisoformat(started)
        return cls(**values)

    def text(self) -> str:
        return f"{self.summary}\n{self.description}".strip()

    def effective_summary(self) -> str:
        if self.summary.strip():
            return " ".join(self.summary.split())
        first = next((line.strip() for line in self.description.splitlines() if line.strip()), "")
        return first[:120]


@dataclass(frozen=True)
class IntakeRules:
    """The desk's configurable intake rules (Settings: priority_matrix, service_mode_rules, ...)."""

    priority_matrix: dict[int, dict[int, int]] = field(default_factory=lambda: DEFAULT_MATRIX)
    service_mode_rules: tuple[dict[str, Any], ...] = DEFAULT_RULES
    duplicate_threshold: int = 60
    handover_minutes: int = HANDOVER_MINUTES

    @classmethod
    def from_settings(cls, settings: Any) -> IntakeRules:
        rows = settings.priority_matrix
        return cls(
            priority_matrix={i + 1: {u + 1: rows[i][u] for u in range(3)} for i in range(3)},
            service_mode_rules=tuple(settings.service_mode_rules),
            duplicate_threshold=settings.duplicate_threshold,
            handover_minutes=settings.handover_minutes,
        )

    def priority(self, impact: int, urgency: int) -> int:
        if impact not in LEVELS or urgency not in LEVELS:
            raise ValueError(f"impact and urgency are 1, 2 or 3, not {impact}/{urgency}")
        return self.priority_matrix[impact][urgency]

    def service_mode(self, *, kind: str, warranty: str, customer_class: str, device: bool) -> str:
        """The first rule whose every condition holds gives the mode."""
        facts = {"kind": kind, "warranty": warranty, "customer_class": customer_class, "device": device}
        for rule in self.service_mode_rules:
            conditions = {k: v for k, v in rule.items() if k != "mode"}
            if all(facts.get(k) in (v if isinstance(v, list) else [v]) for k, v in conditions.items()):
                return str(rule["mode"])
        return "phone"


def is_device_problem(form: IntakeForm) -> bool:
    return bool(
        form.device_serial.strip() or form.device_model.strip() or form.category.startswith(DEVICE_CATEGORIES)
    )


def cleaned(form: IntakeForm) -> tuple[IntakeForm, dict[str, str]]:
    """The form with its text as it will be stored (services/inputs.py), and the fields refused."""
    errors: dict[str, str] = {}
    values = {
        name: (inputs.text if name in MULTILINE else inputs.line)(
            getattr(form, name), name, limit=limit, errors=errors
        )
        for name, limit in MAX_LENGTH.items()
    }
    return replace(form, **values), errors


def validate(
    form: IntakeForm,
    rules: IntakeRules,
    *,
    device_known: bool = False,
    category_known: bool = True,
) -> dict[str, str]:
    """Field -> reason, in the script's order (empty when the call may be saved)."""
    form, errors = cleaned(form)

    def need(name: str, value: str, reason: str = "required") -> None:
        if name not in errors and not value.strip():
            errors[name] = reason

    need("name", form.name)
    need("organisation", form.organisation)
    need("phone", form.phone)
    if "phone" not in errors and not phones.is_plausible(form.phone):
        errors["phone"] = "not a phone number: 5 to 15 digits"
    if is_device_problem(form):
        if not device_known:
            need("device_model", form.device_model, "required for a new device")
        need("device_serial", form.device_serial, "required for a device problem")
    need("description", form.description, "required: the fault as the caller describes it")
    if form.warranty not in WARRANTY:
        errors["warranty"] = "in, out or unknown"
    if form.kind not in set(Kind):
        errors["kind"] = "incident, request, consultation or complaint"
    if not form.category.strip():
        errors.setdefault("category", "required")
    elif not category_known and "category" not in errors:
        errors["category"] = "no such category"
    if form.impact not in LEVELS:
        errors["impact"] = "1 (high), 2 (medium) or 3 (low)"
    if form.urgency not in LEVELS:
        errors["urgency"] = "1 (high), 2 (medium) or 3 (low)"
    if form.priority is not None and form.priority not in range(1, 6):
        errors["priority"] = "1 to 5"
    elif (
        form.priority is not None
        and "impact" not in errors
        and "urgency" not in errors
        and form.priority != rules.priority(form.impact, form.urgency)
    ):
        need("priority_reason", form.priority_reason, "required when the priority differs from the matrix")
    if form.service_mode and form.service_mode not in SERVICE_MODES:
        errors["service_mode"] = "phone, on_site, carry_in, mail_in, paid or exchange"
    return {k: errors[k] for k in FIELD_ORDER if k in errors} | {
        k: v for k, v in errors.items() if k not in FIELD_ORDER
    }


# --- duplicates ------------------------------------------------------------------------------------

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


def same_text(a: str, b: str) -> bool:
    """Names as people type them: case and spacing aside, the same."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class CallerChanged(Conflict):
    """The name or organisation typed is not the picked caller's: the operator says what it is.
    `choices`: the consistent ones (a new contact of the same organisation only if the
    organisation typed is the caller's)."""

    def __init__(self, picked: CallerMatch, name: str, organisation: str) -> None:
        self.picked = picked
        self.name = name
        self.organisation = organisation
        same_org = same_text(organisation, picked.organisation)
        self.choices = CALLER_CHOICES if same_org else ("update", "new_customer")
        super().__init__(
            f"the caller picked is {picked.name} ({picked.organisation}), the call says {name.strip()} "
            f"({organisation.strip()}): update that contact, add a new contact"
            + (" in the same organisation" if same_org else "")
            + " or a new customer"
        )


def _candidates(
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
            rows[t.id] = (t, {"caller"})  # type: ignore[index]
    if device_id is not None:
        for t in s.exec(
            select(Ticket).where(Ticket.device_id == device_id, col(Ticket.is_open).is_(True)).limit(200)
        ).all():
            rows.setdefault(t.id, (t, set()))[1].add("device")  # type: ignore[arg-type]
    found = []
    for t, same in rows.values():
        score = similarity(text, f"{t.summary}\n{t.description[:1000]}")
        if score >= threshold:
            found.append((score, t, same))
    if not found:
        return []
    found.sort(key=lambda x: (-x[0], -(x[1].id or 0)))
    names = _names(s, [t.assignee_id for _, t, _ in found], [t.team_id for _, t, _ in found])
    return [
        DuplicateCandidate(
            ticket_id=t.id or 0,
            number=t.number,
            status=t.status,
            priority=t.priority,
            summary=t.summary,
            assignee=names[0].get(t.assignee_id, "") if t.assignee_id else "",
            team=names[1].get(t.team_id, "") if t.team_id else "",
            created_at=t.created_at,
            similarity=score,
            same=" and ".join(x for x in ("caller", "device") if x in same),
        )
        for score, t, same in found[:10]
    ]


def _names(s: Session, agent_ids: list[int | None], team_ids: list[int | None]) -> tuple[dict, dict]:  # type: ignore[type-arg]
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
        return _candidates(
            s, form.customer_id, device.id if device else None, form.text(), rules.duplicate_threshold
        )


# --- saving ----------------------------------------------------------------------------------------


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
    customer = s.get(Customer, form.customer_id) if form.customer_id is not None else _known_caller(s, form)
    errors = validate(typed, rules, device_known=device is not None, category_known=category is not None)
    if form.customer_id is not None and customer is None:
        errors["name"] = "the caller picked no longer exists: look them up again"
    if errors:
        raise InvalidInput(errors)
    assert category is not None

    details: dict[str, Any] = {}
    if form.customer_id is not None and customer is not None:
        customer, details = _picked_caller(s, form, customer, caller_choice)
    customer, org = _caller(s, form, customer)
    text = form.text()
    candidates: list[DuplicateCandidate] = []
    if on_duplicate != "create":
        candidates = _candidates(
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
            raise InvalidInput({"duplicate_of": f"no ticket {duplicate_of}"})
    elif candidates:
        if on_duplicate is None:
            raise DuplicatesFound(candidates)
        target = s.get(Ticket, candidates[0].ticket_id, with_for_update=True, populate_existing=True)
    if on_duplicate == "chase" and target is not None:
        return _chase_in(s, actor, target, words=text, call_started_at=form.call_started_at, caller=form.name)

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
    matrix = rules.priority(form.impact, form.urgency)
    priority = form.priority or matrix
    customer_class = org.customer_class if org else "standard"
    mode = form.service_mode or rules.service_mode(
        kind=form.kind, warranty=warranty, customer_class=customer_class, device=device is not None
    )
    first_contact = form.kb_article_id is not None or bool(form.resolution.strip())
    handover_by = None  # the promise the hand-over rule keeps: the same minutes, the same calendar
    if not first_contact:
        calendar = sla.policy_for(s, priority, customer_class)[1]
        handover_by = sla.handover_due(calendar, clock.now(), rules.handover_minutes)
    details |= {"matrix_priority": matrix, "service_mode": mode}
    if handover_by is not None:
        details["handover_by"] = handover_by.isoformat()
    if priority != matrix:
        details["override_reason"] = form.priority_reason.strip()
    if form.call_started_at is not None:
        details["call_started_at"] = form.call_started_at.isoformat()
    linking = on_duplicate == "link" and target is not None
    if linking:
        details["related"] = target.number  # type: ignore[union-attr]
    if form.kind == Kind.COMPLAINT:
        details["complaint"] = True
    ticket = open_ticket(
        s,
        actor,
        summary=form.effective_summary(),
        description=form.description,
        kind=form.kind,
        category=category.path,
        impact=form.impact,
        urgency=form.urgency,
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
    linked_to = None
    if linking:
        assert target is not None
        s.add(TicketLink(ticket_id=ticket.id, related_id=target.id, kind="related"))  # type: ignore[arg-type]
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


def _known_caller(s: Session, form: IntakeForm) -> Customer | None:
    """A caller not picked from the lookup (a gateway knows only the number) who is known: the
    same phone and the same name. A shared number with another name is another caller."""
    digits = phones.digits(form.phone)
    if not digits or not form.name.strip():
        return None
    return s.exec(
        select(Customer)
        .join(CustomerPhone, col(CustomerPhone.customer_id) == Customer.id)
        .where(CustomerPhone.digits == digits, Customer.name == form.name.strip())
    ).first()


def _picked_caller(
    s: Session, form: IntakeForm, customer: Customer, choice: str | None
) -> tuple[Customer | None, dict[str, Any]]:
    """The caller picked, unless the name or organisation typed differs: then as the operator
    chose. Returns the customer to save the call under (None: a new one, from the form) and what
    to note on the created event."""
    assert customer.id is not None
    if choice == "update":  # compare and write the same version of the contact
        s.refresh(customer, with_for_update=True)
    picked = customers.caller(s, customer.id)
    assert picked is not None
    same_name = same_text(form.name, picked.name)
    same_org = same_text(form.organisation, picked.organisation)
    if choice is None:
        if same_name and same_org:
            return customer, {}
        raise CallerChanged(picked, form.name, form.organisation)
    was = {"customer_id": customer.id, "name": picked.name, "organisation": picked.organisation}
    if choice == "new_contact" and not same_org:
        raise InvalidInput(
            {"organisation": "a new contact of the same organisation: the organisation typed is another one"}
        )
    if choice == "update":
        if not same_name:
            customer.name = form.name.strip()
        if not same_org:
            customer.organisation_id = _organisation(s, form.organisation).id
        s.add(customer)
        return customer, {"caller": {"choice": choice, "was": was}}
    if choice == "new_contact":  # (its phone is added with the call, by _caller)
        contact = Customer(
            name=form.name.strip(), organisation_id=customer.organisation_id, created_at=clock.now()
        )
        s.add(contact)
        s.flush()
        return contact, {"caller": {"choice": choice, "was": was}}
    return None, {"caller": {"choice": choice, "was": was}}  # new_customer: from the form


def _organisation(s: Session, name: str) -> Organisation:
    """The organisation of that name, or a new one."""
    name = name.strip()
    org = s.exec(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        org = Organisation(name=name, created_at=clock.now())
        s.add(org)
        s.flush()
    return org


def _caller(s: Session, form: IntakeForm, customer: Customer | None) -> tuple[Customer, Organisation | None]:
    """The picked caller (a new phone of theirs is added), or a new one saved with the ticket."""
    now = clock.now()
    digits = phones.digits(form.phone)
    if customer is not None:
        org = s.get(Organisation, customer.organisation_id) if customer.organisation_id else None
        known = s.exec(select(CustomerPhone.digits).where(CustomerPhone.customer_id == customer.id)).all()
        if digits not in known:
            s.add(CustomerPhone(customer_id=customer.id, number=form.phone.strip(), digits=digits))  # type: ignore[arg-type]
        return customer, org
    org = _organisation(s, form.organisation)
    customer = Customer(name=form.name.strip(), organisation_id=org.id, created_at=now)
    s.add(customer)
    s.flush()
    s.add(CustomerPhone(customer_id=customer.id, number=form.phone.strip(), digits=digits))  # type: ignore[arg-type]
    return customer, org


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
            s.add(TicketWatch(agent_id=agent_id, ticket_id=ticket.id))  # type: ignore[arg-type]
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
        kb.mark_solved(s, actor.id, ticket.id, article.id)  # type: ignore[arg-type]
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
    agents, teams = _names(s, [ticket.assignee_id], [ticket.team_id])
    return IntakeResult(
        outcome=outcome,
        number=ticket.number,
        ticket_id=ticket.id,
        status=ticket.status,
        priority=ticket.priority,
        team=teams.get(ticket.team_id, "") if ticket.team_id else "",
        assignee=agents.get(ticket.assignee_id, "") if ticket.assignee_id else "",
        service_mode=ticket.service_mode,
        caller=caller,
        customer_id=ticket.customer_id,
        device_id=ticket.device_id,
        respond_by=ticket.respond_by,
        resolve_by=ticket.resolve_by,
        handover_by=handover_by,
        first_contact=ticket.first_contact,
        chase_count=ticket.chase_count,
        linked_to=linked_to,
        supervisors_notified=notified,
        summary=ticket.summary,
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
) -> IntakeResult:
    """The caller rings again about an open ticket: log who, when and the caller's words, and
    count the chase (escalation rules read chase_count)."""
    words = inputs.text(words, "words")
    caller = inputs.line(caller, "caller", Customer.name)

    def work(s: Session) -> IntakeResult:
        require(s, actor, "tickets.create")
        ticket = find_ticket(s, number, lock=True)
        return _chase_in(s, actor, ticket, words=words, call_started_at=call_started_at, caller=caller)

    return db.retrying(work)


def _chase_in(
    s: Session,
    actor: Actor,
    ticket: Ticket,
    *,
    words: str,
    call_started_at: datetime | None,
    caller: str,
) -> IntakeResult:
    assert ticket.id is not None
    if not ticket.is_open:
        raise InvalidInput({"ticket": f"{ticket.number} is {ticket.status}: only open tickets are chased"})
    owner = s.get(Customer, ticket.customer_id) if ticket.customer_id else None
    caller = caller.strip() or (owner.name if owner else "")
    if call_started_at is not None:  # a retried save: this call's chase is logged already
        stamp = call_started_at.isoformat()
        for data in s.exec(
            select(TicketEvent.data).where(
                TicketEvent.ticket_id == ticket.id,
                TicketEvent.kind == EventKind.CHASED,
                TicketEvent.actor_id == actor.id,
            )
        ).all():
            if data and json.loads(data).get("call_started_at") == stamp:
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


# --- drafts ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RestoredDraft:
    form: IntakeForm
    caller: CallerMatch | None  # the caller the draft had picked, still the same one here
    dropped: list[str]  # what the draft named that is not (or no longer) so here: "caller", "article"


def restore_draft(db: Database, actor: Actor, data: dict[str, Any]) -> RestoredDraft:
    """A draft read from disk (drafts.DraftStore), checked against this database before use. It
    names its caller and its article by id, and an id is kept only while it means what it meant
    when the draft was written: the caller picked with the same name and organisation
    (`data["_picked"]`), the article with the same number and title. Otherwise the id is dropped
    and the typed text kept: the operator looks the caller up again. (A device is named by its
    serial and looked up again anyway.)"""
    try:
        form = IntakeForm.from_json(data)
    except (TypeError, ValueError):
        raise InvalidInput({"draft": "not a readable call"}) from None
    picked = data.get("_picked") if isinstance(data.get("_picked"), dict) else {}
    dropped: list[str] = []
    match = None
    with db.read() as s:
        require(s, actor, "tickets.create")
        if form.customer_id is not None:
            match = customers.caller(s, form.customer_id)
            meant = (picked.get("name"), picked.get("organisation"))
            if match is None or (match.name, match.organisation) != meant:
                match, form.customer_id = None, None
                dropped.append("caller")
        if form.kb_article_id is not None:
            article = s.get(KbArticle, form.kb_article_id)
            if article is None or form.resolution != f"{article.external_id} {article.title}":
                form.kb_article_id, form.resolution = None, ""
                dropped.append("article")
    return RestoredDraft(form, match, dropped)


# --- reference for the form ------------------------------------------------------------------------


def customer_class(db: Database, customer_id: int | None) -> str:
    if customer_id is None:
        return "standard"
    with db.read() as s:
        row = s.exec(
            select(Organisation.customer_class)
            .join(Customer, col(Customer.organisation_id) == Organisation.id)
            .where(Customer.id == customer_id)
        ).first()
    return row or "standard"
