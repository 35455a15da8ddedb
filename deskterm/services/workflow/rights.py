"""Who may do what to a ticket: the life cycle's moves, working and transferring a ticket, and the
actions the ticket screen offers."""

from __future__ import annotations

from sqlmodel import Session

from ...i18n import later
from ...models import OPEN_STATUSES, Status, Ticket
from ..auth import Actor, can, require
from ..errors import PermissionDenied

# Moves a status change may make. RESOLVED is reached through resolve() (a resolution is required),
# ASSIGNED through claim/assign/transfer (an assignee is required), and the open statuses from
# RESOLVED/CLOSED through reopen().
STATUS_MOVES: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(),
    Status.ASSIGNED: frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY}),
    Status.IN_PROGRESS: frozenset({Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY}),
    Status.PENDING_CUSTOMER: frozenset({Status.IN_PROGRESS, Status.PENDING_THIRD_PARTY}),
    Status.PENDING_THIRD_PARTY: frozenset({Status.IN_PROGRESS, Status.PENDING_CUSTOMER}),
    Status.RESOLVED: frozenset({Status.CLOSED}),
    Status.CLOSED: frozenset(),
}
WORKSHEET_MODES = frozenset({"on_site", "carry_in", "mail_in"})


def may_work(actor: Actor, assignee_id: int | None, team_id: int | None) -> bool:
    """Change status, resolve, edit: the assignee, a member of the ticket's team, or a supervisor."""
    return (
        actor.is_supervisor or assignee_id == actor.id or (team_id is not None and team_id == actor.team_id)
    )


def may_transfer(actor: Actor, assignee_id: int | None, team_id: int | None) -> bool:
    """Only supervisors move other people's tickets; the assignee, or the team while unassigned."""
    if actor.is_supervisor or assignee_id == actor.id:
        return True
    return assignee_id is None and team_id is not None and team_id == actor.team_id


def allowed_actions(
    actor: Actor, status: str, assignee_id: int | None, team_id: int | None, mode: str
) -> frozenset[str]:
    """What the agent may do to a ticket in this state (the screen shows only these)."""
    acts = {"note", "watch"}
    work = may_work(actor, assignee_id, team_id)
    is_open = status in OPEN_STATUSES
    if (
        is_open
        and assignee_id is None
        and can(actor, "tickets.claim")
        and (actor.is_supervisor or team_id == actor.team_id)
    ):
        acts.add("claim")
    if is_open and can(actor, "tickets.reassign"):
        acts.add("assign")
    if is_open and may_transfer(actor, assignee_id, team_id):
        acts.add("transfer")
    if work:
        if STATUS_MOVES[status]:
            acts.add("status")
        if is_open:
            acts |= {"resolve", "edit"}
        if status == Status.RESOLVED:
            acts |= {"reopen", "edit"}
        if mode in WORKSHEET_MODES:
            acts.add("worksheet")
    if status == Status.CLOSED and actor.is_supervisor:
        acts.add("reopen")
    return frozenset(acts)


def require_work(s: Session, actor: Actor, t: Ticket) -> None:
    """Refused unless the actor may work the ticket (may_work)."""
    require(s, actor, "tickets.read")
    if not may_work(actor, t.assignee_id, t.team_id):
        raise PermissionDenied(
            later(
                "{login} may not change {number}: only its assignee, its team or a supervisor may",
                login=actor.login,
                number=t.number,
            )
        )
