"""Who is up the line: a team's lead, an agent's manager, the Nth person up a ticket's line, the
team one tier up; and moving a ticket to another team's queue (functional escalation)."""

from __future__ import annotations

from sqlalchemy import func
from sqlmodel import Session, col, select

from ...models import Agent, Role, Status, Team, Ticket


def team_lead(s: Session, team_id: int | None) -> Agent | None:
    """Who leads a team: the manager most of its active members report to, else a supervisor in it."""
    if team_id is None:
        return None
    row = s.exec(
        select(Agent.manager_id, func.count())
        .where(Agent.team_id == team_id, col(Agent.active).is_(True), col(Agent.manager_id).is_not(None))
        .group_by(col(Agent.manager_id))
        .order_by(func.count().desc(), col(Agent.manager_id))
    ).first()
    lead_id, _members = row if row else (None, 0)
    lead = s.get(Agent, lead_id) if lead_id is not None else None
    if lead is not None and lead.active:
        return lead
    return s.exec(
        select(Agent)
        .where(Agent.team_id == team_id, col(Agent.active).is_(True), Agent.role == Role.SUPERVISOR)
        .order_by(col(Agent.id))
    ).first()


def manager(s: Session, agent: Agent) -> Agent | None:
    """The agent's nearest active manager (an inactive one is stepped over)."""
    seen = {agent.id}
    current = agent
    while current.manager_id is not None and current.manager_id not in seen:
        boss = s.get(Agent, current.manager_id)
        if boss is None:
            return None
        if boss.active:
            return boss
        seen.add(boss.id)
        current = boss
    return None


def chain_person(s: Session, t: Ticket, level: int) -> Agent | None:
    """The `level`-th person up the ticket's line: 1 is the assignee's manager (unassigned: the team
    lead), 2 that person's manager, …; None when the line ends below that level."""
    assignee = s.get(Agent, t.assignee_id) if t.assignee_id else None
    person = manager(s, assignee) if assignee else team_lead(s, t.team_id)
    for _ in range(level - 1):
        if person is None:
            return None
        person = manager(s, person)
    return person


def line_level(s: Session, t: Ticket) -> tuple[Agent | None, int]:
    """Who the ticket is escalated to and how far up its line that person is (1: the first
    person up); (None, 0) when it is escalated to nobody, or to someone off its present line."""
    if t.escalated_to_id is None:
        return None, 0
    person, level, seen = chain_person(s, t, 1), 1, set()
    while person is not None and person.id not in seen:
        if person.id == t.escalated_to_id:
            return person, level
        seen.add(person.id)
        person, level = manager(s, person), level + 1
    return None, 0


def next_tier_team(s: Session, t: Ticket) -> Team | None:
    """The team one tier up: the first by name of the lowest tier above the ticket's."""
    return s.exec(select(Team).where(Team.tier > t.tier).order_by(col(Team.tier), col(Team.name))).first()


def move_to_team(t: Ticket, team: Team) -> None:
    """Functional escalation: the ticket joins the team's queue, unassigned, at the team's tier."""
    t.team_id, t.tier = team.id, team.tier
    t.assignee_id, t.assigned_at = None, None
    if t.status in (Status.ASSIGNED, Status.IN_PROGRESS):
        t.status = Status.NEW


def next_up(s: Session, t: Ticket) -> Agent | None:
    """The next person up: above whoever it was last escalated to, else level 1 of the line."""
    current = s.get(Agent, t.escalated_to_id) if t.escalated_to_id else None
    return manager(s, current) if current else chain_person(s, t, 1)
