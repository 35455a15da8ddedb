"""What simulated phone traffic needs from a desk (`deskterm cti simulate --agents-from-desk`,
`deskterm demo --ring`): the agents who have an extension, and a sample of the desk's customers'
phones, so that some simulated callers are known callers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select

from ..db import Database
from ..models import Agent, CustomerPhone
from .auth import Actor, require


@dataclass(frozen=True)
class TrafficCast:
    agents: list[tuple[str, str, str]]  # (extension, login, role) of active agents, by extension
    phones: list[tuple[str, str]]  # (number as given, lookup digits)

    def extensions(self, roles: frozenset[str] | None = None) -> list[str]:
        return [ext for ext, _login, role in self.agents if roles is None or role in roles]

    def logins(self) -> dict[str, str]:
        return {ext: login for ext, login, _role in self.agents}


def traffic_cast(db: Database, actor: Actor, *, phones: int = 200) -> TrafficCast:
    """The agents with an extension and up to `phones` customers' phones picked at random (an agent
    who may read tickets sees the callers anyway)."""
    with db.read() as s:
        require(s, actor, "tickets.read")
        agents = s.exec(
            select(Agent.extension, Agent.login, Agent.role)
            .where(col(Agent.active), col(Agent.extension).is_not(None), Agent.extension != "")
            .order_by(col(Agent.extension))
        ).all()
        sample = s.exec(
            select(CustomerPhone.number, CustomerPhone.digits)
            .where(CustomerPhone.digits != "")
            .order_by(func.random())
            .limit(phones)
        ).all()
    return TrafficCast(
        agents=[(ext or "", login, role) for ext, login, role in agents],
        phones=sorted((number, digits) for number, digits in sample),
    )
