"""The reports' rollup: each settled day's tally kept in `kpi_day` (by the team of the tickets and
the agent credited) and its tickets created per hour in `kpi_hour`, so a period reads one index
range of a few rows a day instead of the tickets and events themselves.

A day's rows are exactly `parts.slice_rows` of that day (the direct computation, which stays the
reference: `report(..., direct=True)`), written whole, so a period's tally from the rollup is the
same sum. Nothing in it needs to be a median or a distinct count: every figure is a ratio of sums
(CSAT keeps its satisfied answers, all answers and their score sum); what cannot be summed over
days is read at report time for the whole period and never stored: the calls of the period
reopened since (`reopened_since_part`, its range runs to now).

What keeps it current (`catch_up`, before every report and on each pass of the watcher): a day is
held once it has settled (it ended `SETTLE` ago); afterwards it changes only through its tickets
(still open, moved to another team or assignee, recategorised, given a new due time) and those
changes all leave a ticket event, so every ticket named by an event after the watermark has its
days recomputed (the days it was created, first picked up, resolved, reopened and surveyed). A
state of an agent's console can end late (a silent console logged out from its last beat): the
days of the states that ended since are recomputed too. Calls handled count for the agent's team
as it is now (`of_agent` rows), so moving an agent needs nothing; editing which categories the
first line can resolve changes every day, and the rollup starts afresh (`report rebuild` fills
the past again; until then those days are computed directly).

The day not held yet is held by the hour the same way (`kpi_hour_tally`, the hours from the last
held day to the last settled hour, recomputed when their tickets change, dropped once the day is
held): the monitor's first view reads today's settled hours from a few rows.

Days are the desk's (its time zone): a change of time zone also starts afresh."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy import func, or_
from sqlmodel import Session, col, delete, select

from ... import clock
from ...db import Database
from ...models import (
    Agent,
    AgentStateLog,
    Category,
    EventKind,
    KpiDay,
    KpiHour,
    KpiHourTally,
    KpiRollup,
    Survey,
    Ticket,
    TicketEvent,
)
from ..errors import Conflict
from .figures import AgentTally, Tally, day_start, hours_of_day
from .parts import SLICE_PARTS, arrivals, contacts_rows

SETTLE = timedelta(minutes=2)  # a day (an hour) is final this long after it ends
HOUR = timedelta(hours=1)
SINCE = ("first_contact_reopened", "first_line_fc_reopened", "reopened_open")  # read at report time
SUMS = tuple(f.name for f in fields(AgentTally) if f.name not in SINCE)
FAR_PAST = datetime(1900, 1, 1, tzinfo=UTC)  # after a rebuild the rollup holds every day before
HOLD = 60.0  # seconds an event id below the watermark is looked for (as the change feed does)
BATCH = 31  # days a rebuild writes per transaction
CHUNK = 500


def next_day(day: datetime, timezone: str) -> datetime:
    """The desk's midnight after `day` (a desk midnight), in UTC."""
    local = day.astimezone(ZoneInfo(timezone)).date() + timedelta(days=1)
    return datetime.combine(local, datetime.min.time(), ZoneInfo(timezone)).astimezone(UTC)


def days_from(start: datetime, end: datetime, timezone: str) -> list[datetime]:
    """The desk's midnights in [start, end), `start` a desk midnight."""
    out, day = [], start
    while day < end:
        out.append(day)
        day = next_day(day, timezone)
    return out


def first_midnight(at: datetime, timezone: str) -> datetime:
    """The first desk midnight at or after `at`."""
    day = day_start(at, timezone)
    return day if day == at else next_day(day, timezone)


def settled_until(now: datetime, timezone: str) -> datetime:
    """Every day before this one has settled."""
    return day_start(now - SETTLE, timezone)


def hour_start(at: datetime, timezone: str) -> datetime:
    """The start of the desk's hour containing `at` (whole hours from the desk's midnight, as
    hours_of_day counts them)."""
    day = day_start(at, timezone)
    return day + HOUR * ((at - day) // HOUR)


def hours_settled(now: datetime, timezone: str) -> datetime:
    """Every hour before this one has settled."""
    return hour_start(now - SETTLE, timezone)


def _fingerprint(s: Session) -> str:
    flags = s.exec(select(Category.id, Category.first_line).order_by(col(Category.id))).all()
    return hashlib.sha1(json.dumps([list(f) for f in flags]).encode()).hexdigest()


def _top_event(s: Session) -> int:
    return s.exec(select(func.max(TicketEvent.id))).one() or 0


def _open_state(s: Session) -> int:
    """The id from which agent_state_log rows may still end: the oldest open one, else the next."""
    oldest = s.exec(select(func.min(AgentStateLog.id)).where(col(AgentStateLog.ended_at).is_(None))).one()
    if oldest is not None:
        return oldest
    return (s.exec(select(func.max(AgentStateLog.id))).one() or 0) + 1


def _state(s: Session) -> KpiRollup | None:
    """The rollup's state, locked until the transaction ends (one folder at a time)."""
    return s.exec(select(KpiRollup).where(col(KpiRollup.id) == 1).with_for_update()).first()


def _restart(s: Session, state: KpiRollup | None, timezone: str, now: datetime) -> KpiRollup:
    """Hold nothing; the days from now on are added as they settle."""
    s.exec(delete(KpiDay))
    s.exec(delete(KpiHour))
    s.exec(delete(KpiHourTally))
    until = settled_until(now, timezone)
    state = state or KpiRollup(timezone=timezone, covered_from=until, covered_until=until, caught_up_at=now)
    state.timezone, state.covered_from, state.covered_until = timezone, until, until
    state.hours_until = until
    state.event_id, state.holes, state.state_id = _top_event(s), "", _open_state(s)
    state.caught_up_at, state.fingerprint = now, _fingerprint(s)
    s.add(state)
    return state


def _slice(model: type[KpiDay] | type[KpiHourTally]) -> Any:
    """The column a rollup's rows are keyed by: the day, or the hour."""
    return col(KpiDay.day) if model is KpiDay else col(KpiHourTally.hour)


def _write_sums(s: Session, model: type[KpiDay] | type[KpiHourTally], start: datetime, end: datetime) -> None:
    """Replace the rows of the slice [start, end): its slice_rows summed by team and agent."""
    column = _slice(model)
    s.exec(delete(model).where(column == start))
    sums: dict[tuple[int | None, int | None, bool], AgentTally] = {}  # one row per team, agent
    for part in SLICE_PARTS:
        of_agent = part is contacts_rows
        for team_id, agent_id, t in part(s, start, end):
            key = (None if of_agent else team_id, agent_id, of_agent)
            sums.setdefault(key, AgentTally()).add(t)
    rows = [
        {column.key: start, "team_id": team_id, "agent_id": agent_id, "of_agent": of_agent}
        | {name: getattr(t, name) for name in SUMS}
        for (team_id, agent_id, of_agent), t in sums.items()
    ]
    if rows:
        s.execute(sa.insert(model), rows)


def compute_day(s: Session, day: datetime, timezone: str) -> None:
    """Write one day's rows (replacing any): its slice_rows, and its tickets created per hour."""
    _write_sums(s, KpiDay, day, next_day(day, timezone))
    hours = hours_of_day(day)
    s.exec(delete(KpiHour).where(col(KpiHour.hour) >= day, col(KpiHour.hour) < hours[-1][1]))
    counts = arrivals(s, hours)
    if any(counts):
        s.execute(
            sa.insert(KpiHour),
            [{"hour": a, "calls": n} for (a, _b), n in zip(hours, counts, strict=True) if n],
        )


def compute_hour(s: Session, hour: datetime) -> None:
    """Write one hour's rows (replacing any) and its tickets created."""
    _write_sums(s, KpiHourTally, hour, hour + HOUR)
    s.exec(delete(KpiHour).where(col(KpiHour.hour) == hour))
    (n,) = arrivals(s, [(hour, hour + HOUR)])
    if n:
        s.add(KpiHour(hour=hour, calls=n))


def _ticket_times(s: Session, ticket_ids: list[int]) -> list[datetime]:
    """When the tickets take part in a tally: the slices (days, hours) to recompute."""
    times: list[datetime | None] = []
    for i in range(0, len(ticket_ids), CHUNK):
        ids = ticket_ids[i : i + CHUNK]
        for created, assigned in s.exec(
            select(Ticket.created_at, Ticket.first_assigned_at).where(col(Ticket.id).in_(ids))
        ).all():
            times += [created, assigned]
        kinds = (EventKind.RESOLVED.value, EventKind.REOPENED.value)
        times += s.exec(
            select(TicketEvent.at).where(
                col(TicketEvent.ticket_id).in_(ids), col(TicketEvent.kind).in_(kinds)
            )
        ).all()
        times += s.exec(select(Survey.created_at).where(col(Survey.ticket_id).in_(ids))).all()
    return [t for t in times if t is not None]


def _named_tickets(s: Session, state: KpiRollup, now: datetime) -> list[int]:
    """The tickets named by the events after the watermark (and by ids below it that had not
    committed yet); moves the watermark."""
    holes: dict[str, float] = json.loads(state.holes or "{}")
    stamp = now.timestamp()
    holes = {i: t for i, t in holes.items() if stamp - t < HOLD}
    newer = col(TicketEvent.id) > state.event_id
    if holes:
        newer = or_(newer, col(TicketEvent.id).in_([int(i) for i in holes]))
    rows = s.exec(
        select(TicketEvent.id, TicketEvent.ticket_id).where(newer).order_by(col(TicketEvent.id))
    ).all()
    seen = set()
    for event_id, _ticket in rows:
        assert event_id is not None
        holes.pop(str(event_id), None)
        if event_id > state.event_id:
            gap = range(max(state.event_id + 1, event_id - 1000), event_id)
            holes.update({str(i): stamp for i in gap if i not in seen})
            state.event_id = event_id
        seen.add(event_id)
    for i in seen:
        holes.pop(str(i), None)
    state.holes = json.dumps(dict(sorted(holes.items(), key=lambda kv: int(kv[0]))[-1000:])) if holes else ""
    return sorted({ticket for _event, ticket in rows})


def _state_times(s: Session, state: KpiRollup) -> list[datetime]:
    """When the handled calls' states that ended since the last fold ended."""
    L = AgentStateLog
    ended = s.exec(select(L.ended_at).where(col(L.id) >= state.state_id, col(L.ended_at).is_not(None))).all()
    state.state_id = _open_state(s)
    return [t for t in ended if t is not None]


def catch_up(db: Database, timezone: str, now: datetime | None = None) -> KpiRollup:
    """Fold what happened since the last fold: recompute the days it touched, add the days that
    have settled since. Cheap when little happened (it reads from the watermark on)."""
    now = now or clock.now()
    with db.write() as s:
        state = _state(s)
        if state is None or state.timezone != timezone or state.fingerprint != _fingerprint(s):
            state = _restart(s, state, timezone, now)
            _fold_hours(s, state, set(), state.covered_until, now, timezone)
            return state
        times = _ticket_times(s, _named_tickets(s, state, now)) + _state_times(s, state)
        dirty = {day_start(t, timezone) for t in times}
        until = settled_until(now, timezone)
        new_days = days_from(state.covered_until, until, timezone)
        for day in sorted(
            {d for d in dirty if state.covered_from <= d < state.covered_until} | set(new_days)
        ):
            compute_day(s, day, timezone)
        state.covered_until = max(until, state.covered_until)
        held_until = _hours_until(state)
        dirty_hours = {hour_start(t, timezone) for t in times if state.covered_until <= t < held_until}
        _fold_hours(s, state, dirty_hours, held_until, now, timezone)
        state.caught_up_at = now
        s.add(state)
        s.flush()
        s.expunge(state)
        return state


def _fold_hours(
    s: Session, state: KpiRollup, dirty: set[datetime], held_until: datetime, now: datetime, timezone: str
) -> None:
    """Hold the settled hours of the day not held yet: the hours of days now held dropped, the
    `dirty` ones recomputed, those settled since added."""
    s.exec(delete(KpiHourTally).where(col(KpiHourTally.hour) < state.covered_until))
    until = hours_settled(now, timezone)
    new, hour = set(), held_until
    while hour < until:
        new.add(hour)
        hour += HOUR
    for hour in sorted(dirty | new):
        compute_hour(s, hour)
    state.hours_until = max(until, held_until)


def rebuild(
    db: Database,
    timezone: str,
    *,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Compute every settled day again, newest first, a batch of days a transaction; the rollup
    holds the days done so far all along (reports compute the others directly). Returns the days."""
    now = now or clock.now()
    with db.write() as s:
        state = _restart(s, _state(s), timezone, now)
        until = state.covered_until
        first_times = [
            s.exec(select(func.min(Ticket.created_at))).one(),
            s.exec(select(func.min(AgentStateLog.ended_at))).one(),
        ]
    known = [t for t in first_times if t is not None]
    days = days_from(day_start(min(known), timezone), until, timezone) if known else []
    done = 0
    for i in range(len(days), 0, -BATCH):
        batch = days[max(0, i - BATCH) : i]
        with db.write() as s:
            held = _state(s)
            if held is None or held.covered_until != until or held.timezone != timezone:
                raise Conflict("the KPI rollup was started afresh meanwhile: run report rebuild again")
            for day in batch:
                compute_day(s, day, timezone)
            held.covered_from = batch[0]
            s.add(held)
        done += len(batch)
        if progress is not None:
            progress(done, len(days))
    with db.write() as s:
        held = _state(s)
        if held is not None and held.covered_until >= until:
            held.covered_from = FAR_PAST  # nothing before the first record
            _fold_hours(s, held, set(), held.covered_until, now, timezone)
            s.add(held)
    return len(days)


def rollup_tally(
    s: Session,
    start: datetime,
    end: datetime,
    team_id: int | None = None,
    model: type[KpiDay] | type[KpiHourTally] = KpiDay,
) -> Tally:
    """The sum of the held days (or hours: `model` KpiHourTally) in [start, end) for the desk or
    one team."""
    sums = [func.sum(getattr(model, name)) for name in SUMS]
    where = [_slice(model) >= start, _slice(model) < end]
    if team_id is not None:
        team_agents = select(Agent.id).where(col(Agent.team_id) == team_id)
        where.append(
            or_(
                sa.and_(col(model.of_agent).is_(False), col(model.team_id) == team_id),
                sa.and_(col(model.of_agent).is_(True), col(model.agent_id).in_(team_agents)),
            )
        )
    rows = s.execute(sa.select(col(model.agent_id), *sums).where(*where).group_by(col(model.agent_id))).all()
    t = Tally()
    for agent_id, *values in rows:
        t.credit(agent_id, AgentTally(**{name: v or 0 for name, v in zip(SUMS, values, strict=True)}))
    return t


def _desk_state(s: Session, timezone: str) -> KpiRollup | None:
    state = s.get(KpiRollup, 1)
    if state is None or state.timezone != timezone or state.fingerprint != _fingerprint(s):
        return None
    return state


def held(s: Session, timezone: str) -> tuple[datetime, datetime] | None:
    """The days the rollup holds, [from, until), if it is the desk's."""
    state = _desk_state(s, timezone)
    return (state.covered_from, state.covered_until) if state else None


def held_hours(s: Session, timezone: str) -> tuple[datetime, datetime] | None:
    """The hours the rollup holds after its days, [from, until), if it is the desk's."""
    state = _desk_state(s, timezone)
    return (state.covered_until, _hours_until(state)) if state else None


def _hours_until(state: KpiRollup) -> datetime:
    return max(state.hours_until or state.covered_until, state.covered_until)


def hour_arrivals(s: Session, slots: list[tuple[datetime, datetime]], timezone: str) -> list[int]:
    """Tickets created in each of these hours (from kpi_hour when the rollup holds them all: the
    hours of its days and its hours), else counted directly."""
    state = _desk_state(s, timezone)
    if state is None or not (state.covered_from <= slots[0][0] and slots[-1][1] <= _hours_until(state)):
        return arrivals(s, slots)
    hours = [a for a, _b in slots]
    found = dict(s.exec(select(KpiHour.hour, KpiHour.calls).where(col(KpiHour.hour).in_(hours))).all())
    return [found.get(a, 0) for a in hours]


def split(
    start: datetime, end: datetime, span: tuple[datetime, datetime] | None, timezone: str
) -> Iterable[tuple[datetime, datetime, bool]]:
    """[start, end) as pieces (from, to, from the rollup?): the held whole days in one piece."""
    if span is not None:
        a = max(first_midnight(max(start, span[0]), timezone), start)
        b = min(day_start(min(end, span[1]), timezone), end)
        if a < b:
            pieces = [(start, a, False), (a, b, True), (b, end, False)]
            return [p for p in pieces if p[0] < p[1]]
    return [(start, end, False)]


def split_hours(
    start: datetime, end: datetime, span: tuple[datetime, datetime] | None, timezone: str
) -> list[tuple[datetime, datetime, bool]]:
    """[start, end) as pieces (from, to, from the held hours?): the whole held hours in one piece."""
    if span is not None:
        a = max(start, span[0])
        if hour_start(a, timezone) != a:
            a = hour_start(a, timezone) + HOUR
        b = hour_start(min(end, span[1]), timezone)
        if a < b:
            return [p for p in [(start, a, False), (a, b, True), (b, end, False)] if p[0] < p[1]]
    return [(start, end, False)]
