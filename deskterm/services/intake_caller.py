"""The caller of a call being saved: the one picked from the lookup (asking, with CallerChanged,
when the name or organisation typed differs from the picked one's), one known by phone and name,
or a new customer (and organisation) saved with the ticket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from .. import clock
from ..db import Database
from ..models import (
    Customer,
    CustomerPhone,
    Organisation,
)
from . import customers, phones
from .auth import Actor
from .customers import CallerMatch, CallerPop
from .errors import Conflict, InvalidInput
from .intake_form import CALLER_CHOICES, IntakeForm, same_text


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


def known_caller(s: Session, form: IntakeForm) -> Customer | None:
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


def picked_caller(
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
    if choice == "new_contact":  # (its phone is added with the call, by caller_and_organisation)
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


def caller_and_organisation(
    s: Session, form: IntakeForm, customer: Customer | None
) -> tuple[Customer, Organisation | None]:
    """The picked caller (a new phone of theirs is added), or a new one saved with the ticket."""
    now = clock.now()
    digits = phones.digits(form.phone)
    if customer is not None:
        org = s.get(Organisation, customer.organisation_id) if customer.organisation_id else None
        known = s.exec(select(CustomerPhone.digits).where(CustomerPhone.customer_id == customer.id)).all()
        if digits not in known:
            s.add(CustomerPhone(customer_id=customer.id, number=form.phone.strip(), digits=digits))  # type: ignore[arg-type]  # the customer is flushed: it has an id
        return customer, org
    org = _organisation(s, form.organisation)
    customer = Customer(name=form.name.strip(), organisation_id=org.id, created_at=now)
    s.add(customer)
    s.flush()
    s.add(CustomerPhone(customer_id=customer.id, number=form.phone.strip(), digits=digits))  # type: ignore[arg-type]  # the customer is flushed: it has an id
    return customer, org


@dataclass(frozen=True)
class NumberCallers:
    """Who may be calling from a number: the callers with it and, when it is one caller's, their
    screen pop (what a call from the phone system pops, read in one go)."""

    matches: list[CallerMatch]
    pop: CallerPop | None = None


def callers_of(db: Database, actor: Actor, number: str) -> NumberCallers:
    """The callers with `number` (customers.lookup: too few digits, none) and the one caller's
    pop (customers.caller_pop)."""
    if sum(ch.isdigit() for ch in number) < customers.MIN_DIGITS:
        return NumberCallers([])
    matches = customers.lookup(db, actor, number)
    if len(matches) != 1:
        return NumberCallers(matches)
    return NumberCallers(matches, customers.caller_pop(db, actor, matches[0].customer_id))
