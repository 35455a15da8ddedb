"""The ticket as the ticket screen shows it (TicketView: the detail, what the agent may do to it,
whether they watch it), what an edit remembers of it (snapshot), and watching it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlmodel import col, select

from ...db import Database
from ...i18n import later
from ...models import Agent, Customer, Device, KbArticle, Ticket, TicketArticle, TicketWatch
from .. import sla, tickets
from ..auth import Actor, require
from ..errors import NotFound
from ..ticket_rows import TicketDetail, detail_of
from .guard import SNAPSHOT_FIELDS
from .rights import allowed_actions


@dataclass(frozen=True)
class TicketView:
    detail: TicketDetail
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
        detail = detail_of(s, t)
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


def snapshot(detail: TicketDetail) -> dict[str, Any]:
    """The fields an edit compares when it is refused (what the editor saw)."""
    return {k: getattr(detail, k) for k in SNAPSHOT_FIELDS}


def watch(db: Database, actor: Actor, number: str, on: bool = True) -> bool:
    """Follow a ticket (the Watching view) or stop following it; personal, not a ticket change."""
    number = tickets.normalise_number(number)
    with db.write() as s:
        require(s, actor, "tickets.read")
        ticket_id = s.exec(select(Ticket.id).where(Ticket.number == number)).first()
        if ticket_id is None:
            raise NotFound(later("no ticket {number}", number=number))
        row = s.get(TicketWatch, (actor.id, ticket_id))
        if on and row is None:
            s.add(TicketWatch(agent_id=actor.id, ticket_id=ticket_id))
        elif not on and row is not None:
            s.delete(row)
    return on
