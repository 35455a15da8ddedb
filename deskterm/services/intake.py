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
the same organisation, or a new customer, and the answer comes back as `caller_choice`.

The public API of intake, one module a seam: intake_form (the form, the rules, validation),
intake_duplicates (the duplicate check), intake_caller (which caller a call is saved under),
intake_save (saving a call, chases), drafts (a draft checked before use); and, here, the
reference the form reads."""

from __future__ import annotations

from sqlmodel import col, select

from ..db import Database
from ..models import Customer, Organisation
from .drafts import RestoredDraft, restore_draft
from .intake_caller import CallerChanged
from .intake_duplicates import DuplicateCandidate, DuplicatesFound, find_duplicates, similarity
from .intake_form import (
    CALLER_CHOICES,
    DEFAULT_RULES,
    DEVICE_CATEGORIES,
    FIELD_ORDER,
    MAX_LENGTH,
    MULTILINE,
    ON_DUPLICATE,
    SERVICE_MODES,
    WARRANTY,
    IntakeForm,
    IntakeRules,
    cleaned,
    is_device_problem,
    same_text,
    validate,
)
from .intake_save import IntakeResult, chase, save_call

__all__ = [
    "CALLER_CHOICES",
    "DEFAULT_RULES",
    "DEVICE_CATEGORIES",
    "FIELD_ORDER",
    "MAX_LENGTH",
    "MULTILINE",
    "ON_DUPLICATE",
    "SERVICE_MODES",
    "WARRANTY",
    "CallerChanged",
    "DuplicateCandidate",
    "DuplicatesFound",
    "IntakeForm",
    "IntakeResult",
    "IntakeRules",
    "RestoredDraft",
    "chase",
    "cleaned",
    "customer_class",
    "find_duplicates",
    "is_device_problem",
    "restore_draft",
    "same_text",
    "save_call",
    "similarity",
    "validate",
]


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
