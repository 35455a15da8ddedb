"""The call as the operator types it (IntakeForm), the desk's intake rules (priority matrix, service
modes), and its validation in the script's order: name, organisation, phone; device model and
serial for a device problem; the fault symptoms; the warranty; then the classification."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields, replace
from datetime import datetime
from typing import Any

from ..config import HANDOVER_MINUTES
from ..models import (
    Category,
    Customer,
    CustomerPhone,
    Device,
    Kind,
    Organisation,
    Ticket,
)
from . import inputs, phones
from .priority import DEFAULT_MATRIX, LEVELS
from .ticket_rows import jsonable

SERVICE_MODES = ("phone", "on_site", "carry_in", "mail_in", "paid", "exchange")
WARRANTY = ("in", "out", "unknown")
# Categories whose calls are about a device: the model and serial are asked.
DEVICE_CATEGORIES = ("Hardware/", "Warranty and repair")
NOT_ASKED = 3  # the impact or urgency of a call solved at first contact, if not asked: low
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
    "serial_reason",
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
    "serial_reason": 300,
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
    serial_reason: str = ""  # why the serial is not known (then none is asked)
    description: str = ""  # the fault symptoms, as the caller gives them
    warranty: str = "unknown"
    summary: str = ""  # default: the first line of the symptoms
    kind: str = Kind.INCIDENT
    category: str = ""
    impact: int | None = 3  # None: not asked yet (the console asks; a save needs both)
    urgency: int | None = 3
    priority: int | None = None  # None: from the matrix
    priority_reason: str = ""
    service_mode: str = ""  # "": the suggested one
    channel: str = "phone"
    call_started_at: datetime | None = None
    phone_call_id: int | None = None  # the phone system's call this is (services/calls.py), if one
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

    def solved_at_first_contact(self) -> bool:
        return self.kb_article_id is not None or bool(self.resolution.strip())

    def levels(self) -> tuple[int, int]:
        """Impact and urgency; one not asked (a call solved at first contact: nothing waits) is low."""
        return self.impact or NOT_ASKED, self.urgency or NOT_ASKED

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
    """A fault of a device: its model and serial are asked. A request (a new mouse) is not one,
    whatever its category; what was typed of a device is kept all the same."""
    if form.kind == Kind.REQUEST:
        return False
    return bool(
        form.device_serial.strip() or form.device_model.strip() or form.category.startswith(DEVICE_CATEGORIES)
    )


def cleaned(form: IntakeForm) -> tuple[IntakeForm, dict[str, str]]:
    """The form with its text as it will be stored (services/inputs.py), and the fields refused."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
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
        if not form.serial_reason.strip():  # "serial unknown" is an answer, with its reason
            need("device_serial", form.device_serial, "required for a device problem (or why it is unknown)")
    need("description", form.description, "required: the fault as the caller describes it")
    if form.warranty not in WARRANTY:
        errors["warranty"] = "in, out or unknown"
    if form.kind not in set(Kind):
        errors["kind"] = "incident, request, consultation or complaint"
    if not form.category.strip():
        errors.setdefault("category", "required")
    elif not category_known and "category" not in errors:
        errors["category"] = "no such category"
    for name in ("impact", "urgency"):
        value = getattr(form, name)
        if value is None:
            if not form.solved_at_first_contact():
                errors[name] = "required: ask the caller"
        elif value not in LEVELS:
            errors[name] = "1 (high), 2 (medium) or 3 (low)"
    if form.priority is not None and form.priority not in range(1, 6):
        errors["priority"] = "1 to 5"
    elif (
        form.priority is not None
        and "impact" not in errors
        and "urgency" not in errors
        and form.priority != rules.priority(*form.levels())
    ):
        need("priority_reason", form.priority_reason, "required when the priority differs from the matrix")
    if form.service_mode and form.service_mode not in SERVICE_MODES:
        errors["service_mode"] = "phone, on_site, carry_in, mail_in, paid or exchange"
    return {k: errors[k] for k in FIELD_ORDER if k in errors} | {
        k: v for k, v in errors.items() if k not in FIELD_ORDER
    }


def same_text(a: str, b: str) -> bool:
    """Names as people type them: case and spacing aside, the same."""
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()
