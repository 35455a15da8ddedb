"""The reports: a period's KPIs, a day at a time, and the figures of each agent."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import col, select

from ...db import Database
from ...models import Agent, KpiDay, KpiHourTally, Team
from ..auth import Actor
from ..errors import InvalidInput
from . import rollup
from .figures import AgentKpis, AgentTally, Kpis, Tally, agent_kpis, kpis, require_supervisor
from .parts import reopened_since_part, slice_tally, team_id_of


def report_days(start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """The period cut into days (the last one may be short), for progress and per-day rows."""
    out, a = [], start
    while a < end:
        b = min(a + timedelta(days=1), end)
        out.append((a, b))
        a = b
    return out


def report(
    db: Database,
    actor: Actor,
    start: datetime,
    end: datetime,
    *,
    team: str | None = None,
    progress: Any = None,
    timezone: str = "Asia/Shanghai",
    direct: bool = False,
) -> tuple[Kpis, Tally]:
    """The KPIs of a period (supervisors and admins); `progress(done, total)`. The days the rollup
    holds are read from it (after folding what happened since its last fold); the others, and
    every day when `direct` (the reference computation), a day at a time from the tickets."""
    if end <= start:
        raise InvalidInput({"to": "must be after --from"})
    team_id = team_id_of(db, team)
    with db.read() as s:
        require_supervisor(s, actor)
    span = hours = None
    if not direct:
        rollup.catch_up(db, timezone)
        with db.read() as s:
            span, hours = rollup.held(s, timezone), rollup.held_hours(s, timezone)
    steps: list[tuple[datetime, datetime, Any]] = []  # (from, to, the rollup's table, None: direct)
    for a, b, held in rollup.split(start, end, span, timezone):
        if held:
            steps.append((a, b, KpiDay))
            continue
        for x, y in report_days(a, b):  # today's settled hours, if held, from their rows
            pieces = rollup.split_hours(x, y, hours, timezone)
            steps += [(p, q, KpiHourTally if by_hour else None) for p, q, by_hour in pieces]
    total = Tally()
    for i, (a, b, model) in enumerate(steps):
        with db.read() as s:
            if model is None:
                total.add(slice_tally(s, a, b, team_id))
            else:
                total.add(rollup.rollup_tally(s, a, b, team_id, model=model))
        if progress is not None:
            progress(i + 1, len(steps))
    with db.read() as s:  # once for the period: each day's read would run to now
        total.add(reopened_since_part(s, start, end, team_id))
    return kpis(total), total


def agent_report(db: Database, tally: Tally, *, team: str | None = None) -> list[AgentKpis]:
    """Per agent figures from a period's tally: every agent with anything in it (and the team's
    members when a team is named), by name."""
    with db.read() as s:
        rows = s.exec(
            select(col(Agent.id), Agent.login, Agent.name, Team.name).join(
                Team, col(Team.id) == Agent.team_id, isouter=True
            )
        ).all()
    out = []
    for agent_id, login, name, team_name in rows:
        assert agent_id is not None
        t = tally.agents.get(agent_id)
        if t is None and (team is None or team_name != team):
            continue
        out.append(agent_kpis(agent_id, login, name, team_name or "", t or AgentTally()))
    return sorted(out, key=lambda a: (a.team, a.name))


def rebuild_rollup(db: Database, actor: Actor, timezone: str, *, progress: Any = None) -> int:
    """Compute the reports' rollup again (supervisors and admins); the days it holds."""
    with db.read() as s:
        require_supervisor(s, actor)
    return rollup.rebuild(db, timezone, progress=progress)
