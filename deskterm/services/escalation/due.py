"""What the watcher's pass looks at and finds due: the scope of a pass (a window of crossed
thresholds, the recently changed tickets, a sweep of ids), the candidates' facts, and for each rule
step the tickets that have reached it and have not fired it yet."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, literal, or_, text
from sqlalchemy import select as select_columns
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from ...config import HANDOVER_MINUTES
from ...db import Database
from ...models import (
    PENDING_STATUSES,
    Category,
    Customer,
    EscalationFiring,
    EventKind,
    Kind,
    Organisation,
    Team,
    Ticket,
    TicketEvent,
)
from .. import sla
from ..sla_calendar import add_business_minutes, remaining_minutes
from .rules import SLA_TRIGGERS, Rule


def key_for(rule: Rule, step: str, team_id: int | None) -> str:
    return f"{step}@{team_id or 0}" if rule.trigger == "unassigned" else (step or "complaint")


def _step_minutes(step: str) -> tuple[float | None, float | None]:
    """(percent, minutes) of a canonical SLA step."""
    if step.endswith("%"):
        return float(step[:-1]), None
    return None, float(step[:-1])


def _queue_minutes(step: str, handover_minutes: float) -> float:
    """Minutes in the queue of an `unassigned` step: "15m", or "100%" of the hand-over time."""
    percent, minutes = _step_minutes(step)
    return handover_minutes * percent / 100 if percent is not None else minutes or 0


@dataclass(frozen=True)
class Scope:
    """Which tickets a pass looks at; together they cover every ticket without rescanning the fired:
    - the window: thresholds crossed in (window_from, now], found by index ranges on the due and
      creation times, exact per policy and calendar;
    - recent: tickets with events since the previous pass (a chase, a resume, a transfer, …);
    - sweep: one slice of ticket ids, a different one each pass, for whatever the other two missed
      (a watcher stopped longer than the window, a ticket transferred long ago).
    None instead of a Scope: every open ticket (small desks and tests)."""

    window_from: datetime
    recent: tuple[int, ...] = ()
    sweep: tuple[int, int] | None = None


WINDOW = timedelta(hours=1)
SWEEP_IDS = 20_000  # ticket ids a pass sweeps: 1M tickets are swept every 50 passes
RECENT_EVENTS = 20_000  # at most this many of the latest events are looked at
_SWEEP_COUNTER = "escalation_sweep"
_EVENTS_COUNTER = "escalation_events"


@dataclass(frozen=True)
class _Facts:
    """What the rules look at of one open ticket."""

    id: int
    priority: int
    kind: str
    category_id: int | None
    team_id: int | None
    assignee_id: int | None
    status: str
    chase_count: int
    created_at: datetime
    respond_by: datetime | None
    resolve_by: datetime | None
    responded_at: datetime | None
    customer_class: str


def _left(tg: sla.Target, what: str, step: str) -> tuple[int, float]:
    """(target minutes, SLA minutes left when the step is reached; negative: that far overdue)."""
    percent, minutes = _step_minutes(step)
    total = tg.respond_minutes if what == "respond" else tg.resolve_minutes
    used = total * percent / 100 if percent is not None else minutes or 0
    return total, total - used


def _due_bounds(
    tg: sla.Target, what: str, step: str, now: datetime, window_from: datetime
) -> tuple[datetime, datetime]:
    """(low, high) for the stored due time: a ticket can have reached `step` by now only if
    due <= high, and had reached it already at window_from if due <= low. Exact per calendar."""
    _total, left = _left(tg, what, step)
    cal = tg.calendar
    if left >= 0:
        high = add_business_minutes(cal, now, left + 0.001)  # a due in the closed hours after counts too
        low = add_business_minutes(cal, window_from, left)
    else:
        high = sla.business_start(cal, now, -left)
        low = sla.business_start(cal, window_from, -left)
    return low, high


def _window_ids(
    s: Session,
    rules: list[Rule],
    book: sla.PolicyBook,
    now: datetime,
    since: datetime,
    handover_minutes: float,
) -> set[int]:
    """Tickets that crossed a threshold in (since, now], by index range scans only."""
    ids: set[int] = set()
    for rule in rules:
        for step in rule.steps:
            if rule.trigger == "unassigned":
                # created when the step's minutes, counted back in its calendar, end in the window:
                # one range per calendar (a night is in no business calendar's range at all)
                minutes = _queue_minutes(step, handover_minutes)
                for cal in book.calendars(rule.priority or range(1, 6)) or {sla.ALWAYS_OPEN}:
                    low, high = sla.business_start(cal, since, minutes), sla.business_start(cal, now, minutes)
                    if high <= low:
                        continue
                    rows = (
                        s.connection()
                        .execute(  # ix_ticket_created; the rest is checked here
                            select(Ticket.id, Ticket.assignee_id, Ticket.is_open).where(
                                col(Ticket.created_at) > low, col(Ticket.created_at) <= high
                            )
                        )
                        .all()
                    )  # fetched at once: a row at a time costs more than the query
                    ids.update(tid for tid, assignee, is_open in rows if is_open and assignee is None)
                continue
            if rule.trigger not in SLA_TRIGGERS:
                continue
            what = "respond" if rule.trigger == "not_responded" else "resolve"
            for prio in sorted(rule.priority or range(1, 6)):
                bounds = [_due_bounds(tg, what, step, now, since) for tg in book.targets(prio)]
                if not bounds:
                    continue
                low, high = min(b[0] for b in bounds), max(b[1] for b in bounds)
                if what == "resolve":  # ix_ticket_open_due
                    q = select(Ticket.id).where(
                        Ticket.is_open == True,  # noqa: E712 - "= 1": the index's first column
                        col(Ticket.resolve_by) > low,
                        col(Ticket.resolve_by) <= high,
                        Ticket.priority == prio,
                    )
                else:  # the unanswered are the unassigned (ix_ticket_mine); the sweep finds the rest
                    q = select(Ticket.id).where(
                        col(Ticket.assignee_id).is_(None),
                        Ticket.is_open == True,  # noqa: E712
                        Ticket.priority == prio,
                        col(Ticket.respond_by) > low,
                        col(Ticket.respond_by) <= high,
                    )
                ids.update(s.connection().execute(q).scalars().all())
    return ids


def _scope_ids(
    s: Session,
    rules: list[Rule],
    book: sla.PolicyBook,
    now: datetime,
    scope: Scope | None,
    handover_minutes: float,
) -> set[int]:
    if scope is None:
        query = select(Ticket.id).where(col(Ticket.is_open) == True)  # noqa: E712
        return set(s.connection().execute(query).scalars().all())
    ids = _window_ids(s, rules, book, now, scope.window_from, handover_minutes) | set(scope.recent)
    if scope.sweep is not None:  # a primary-key range; the open ones are kept here, not in SQL
        rows = (
            s.connection()
            .execute(
                select(Ticket.id, Ticket.is_open).where(
                    col(Ticket.id) >= scope.sweep[0], col(Ticket.id) < scope.sweep[1]
                )
            )
            .all()
        )
        ids.update(tid for tid, is_open in rows if is_open)
    return ids


def _load(s: Session, ids: set[int], classes: bool) -> list[_Facts]:
    """The open tickets among `ids`; their customer class only when a rule or a policy needs it."""
    klass = func.coalesce(Organisation.customer_class, "standard") if classes else literal("standard")
    assert fields(_Facts)[-1].name == "customer_class"  # the rows below are read by position
    columns = [col(getattr(Ticket, f.name)) for f in fields(_Facts) if f.name != "customer_class"]
    out: list[_Facts] = []
    ordered = sorted(ids)
    for i in range(0, len(ordered), 1000):
        query = (
            select_columns(col(Ticket.is_open), *columns, klass.label("customer_class"))
            # by primary key only: a condition on is_open would tempt SQLite into scanning its index
            .where(_id_in(s, Ticket.id, ordered[i : i + 1000]))
        )
        if classes:
            query = query.join(Customer, col(Customer.id) == Ticket.customer_id, isouter=True).join(
                Organisation, col(Organisation.id) == Customer.organisation_id, isouter=True
            )
        # is_open, then _Facts' fields in order (customer_class, its last, last): by position
        out += [_Facts(*r[1:]) for r in s.connection().execute(query).all() if r[0]]
    return out


def _id_in(s: Session, column: Any, ids: list[int]) -> Any:
    """column IN ids; on PostgreSQL one array parameter (= ANY), far cheaper than 1000 parameters,
    sent as its text ('{1,2,3}'): psycopg's array adapter costs more than the query."""
    if s.get_bind().dialect.name == "postgresql":
        from sqlalchemy import BigInteger, String, any_, bindparam, cast
        from sqlalchemy.dialects.postgresql import ARRAY

        listed = "{" + ",".join(map(str, ids)) + "}"
        return column == any_(cast(bindparam(None, listed, type_=String), ARRAY(BigInteger)))
    return col(column).in_(list(ids))


def _fired_keys(s: Session, rules: list[Rule], ids: list[int]) -> set[tuple[int, int, str]]:
    """The firings already recorded for these tickets: every rule's at once by the primary key's
    (rule, ticket) prefix, one query per 1000 tickets rather than one per rule and 1000 tickets."""
    out: set[tuple[int, int, str]] = set()
    rule_ids = [rule.id for rule in rules]
    for i in range(0, len(ids), 1000):
        out.update(
            (rule_id, ticket_id, threshold)
            for rule_id, ticket_id, threshold in s.connection()
            .execute(
                select(
                    EscalationFiring.rule_id, EscalationFiring.ticket_id, EscalationFiring.threshold
                ).where(
                    _id_in(s, EscalationFiring.rule_id, rule_ids),
                    _id_in(s, EscalationFiring.ticket_id, ids[i : i + 1000]),
                )
            )
            .all()
        )
    return out


@dataclass
class _Narrowing:
    """A rule's narrowing resolved to ids once a pass."""

    teams: frozenset[int] | None
    categories: frozenset[int] | None

    @classmethod
    def of(cls, s: Session, rule: Rule) -> _Narrowing:
        teams: frozenset[int] | None = None
        categories: frozenset[int] | None = None
        if rule.team:
            named = s.exec(select(Team.id).where(col(Team.name).in_(rule.team))).all()
            teams = frozenset(i for i in named if i is not None)
        if rule.category:
            paths = s.exec(select(Category.id, Category.path)).all()
            categories = frozenset(
                i
                for i, p in paths
                if i is not None and any(p == c or p.startswith(c + "/") for c in rule.category)
            )
        return cls(teams, categories)

    def matches(self, rule: Rule, f: _Facts) -> bool:
        return (
            (not rule.priority or f.priority in rule.priority)
            and (not rule.kind or f.kind in rule.kind)
            and (not rule.customer_class or f.customer_class in rule.customer_class)
            and (self.teams is None or f.team_id in self.teams)
            and (self.categories is None or f.category_id in self.categories)
        )


def _reached(
    rule: Rule,
    step: str,
    f: _Facts,
    now: datetime,
    book: sla.PolicyBook,
    queued: dict[int, datetime],
    highs: dict[tuple[int, str, str], datetime],
    handover_minutes: float,
) -> tuple[Any, str] | None:
    """(sort key, why) when the ticket has reached this step of the rule by now."""
    trigger = rule.trigger
    clocked = trigger in SLA_TRIGGERS or trigger == "unassigned"
    if clocked and f.status in PENDING_STATUSES:  # the clock is stopped
        return None
    if trigger in SLA_TRIGGERS:
        what = "respond" if trigger == "not_responded" else "resolve"
        due = f.respond_by if what == "respond" else f.resolve_by
        target = book.target(f.priority, f.customer_class)
        if due is None or target is None or (what == "respond" and f.responded_at is not None):
            return None
        bound = (id(target), what, step)
        if bound not in highs:
            highs[bound] = _due_bounds(target, what, step, now, now)[1]
        if due > highs[bound]:  # cheap: far from the step
            return None
        total, left = _left(target, what, step)
        surely = due <= now if left >= 0 else True  # overdue steps: the bound is exact
        if not surely and remaining_minutes(target.calendar, due, now) > left:
            return None
        verb = "responded to" if what == "respond" else "resolved"
        return due, (
            f"not {verb}: {step} of the {total} min {what} target (P{f.priority}) elapsed, due {utc(due)}"
        )
    if trigger == "unassigned":
        if f.assignee_id is not None:
            return None
        since = max(f.created_at, queued.get(f.id, f.created_at))
        target = book.target(f.priority, f.customer_class)
        cal = target.calendar if target is not None else sla.ALWAYS_OPEN
        limit = _queue_minutes(step, handover_minutes)
        due = sla.handover_due(cal, since, limit)
        if due > now:
            return None
        hours = "" if cal.always_open else " of business hours"
        return since, (
            f"unassigned in the team queue for {limit:g} min{hours} "
            f"(since {utc(since)}, hand-over due {utc(due)})"
        )
    if trigger == "chased":
        return (f.id, f"the customer chased {step} times") if f.chase_count >= int(step) else None
    return (f.id, "the ticket is a complaint") if f.kind == Kind.COMPLAINT else None


def utc(at: datetime) -> str:
    """A time in an escalation text: ISO 8601 in UTC marked Z (2026-03-02T04:00Z), the one zone of
    these texts and of the watcher's log lines, whatever zone the value came in."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _queued_since(s: Session, ticket_ids: list[int]) -> dict[int, datetime]:
    """When each ticket last entered a team queue (a transfer, a functional escalation, a reopen)."""
    out: dict[int, datetime] = {}
    for i in range(0, len(ticket_ids), 500):
        chunk = ticket_ids[i : i + 500]
        rows = (
            s.connection()
            .execute(
                select(TicketEvent.ticket_id, TicketEvent.at).where(
                    _id_in(s, TicketEvent.ticket_id, chunk),
                    or_(
                        and_(
                            col(TicketEvent.kind).in_([EventKind.TRANSFERRED, EventKind.ESCALATED]),
                            col(TicketEvent.data).contains('"to_team"'),
                        ),
                        col(TicketEvent.kind) == EventKind.REOPENED,
                    ),
                )
            )
            .all()
        )
        for tid, at in rows:
            if tid not in out or at > out[tid]:
                out[tid] = at
    return out


def _counter(s: Session, name: str) -> int | None:
    return s.execute(text("SELECT value FROM counter WHERE name = :n"), {"n": name}).scalar()


def _set_counters(db: Database, values: dict[str, int]) -> None:
    with db.write() as s:
        for name, value in values.items():
            done = (
                s.connection()
                .execute(text("UPDATE counter SET value = :v WHERE name = :n"), {"v": value, "n": name})
                .rowcount
            )
            if not done:
                s.execute(text("INSERT INTO counter (name, value) VALUES (:n, :v)"), {"n": name, "v": value})


def plan_scope(db: Database, now: datetime, *, sweep: int = SWEEP_IDS, window: timedelta = WINDOW) -> Scope:
    """This pass's scope, and the marks for the next (kept in `counter`, so a restarted or a
    second watcher carries on where the last pass stopped)."""
    with db.read() as s:
        newest_event = s.exec(select(func.max(TicketEvent.id))).one() or 0
        last_ticket = s.exec(select(func.max(Ticket.id))).one() or 0
        seen = _counter(s, _EVENTS_COUNTER)
        start = _counter(s, _SWEEP_COUNTER) or 0
        # events commit out of id order under concurrency: look a little before the mark
        since = max((seen if seen is not None else 0) - 1000, newest_event - RECENT_EVENTS, 0)
        # no DISTINCT: SQLite would scan a whole index for it instead of the primary key's range
        recent = {
            r[0]
            for r in s.connection().execute(select(TicketEvent.ticket_id).where(col(TicketEvent.id) > since))
        }
    start = 0 if start > last_ticket else start
    end = start + sweep
    # IntegrityError: another watcher created the marks at the same moment; theirs will do
    with contextlib.suppress(IntegrityError):
        _set_counters(db, {_EVENTS_COUNTER: newest_event, _SWEEP_COUNTER: end if end <= last_ticket else 0})
    return Scope(window_from=now - window, recent=tuple(sorted(recent)), sweep=(start, end))


def due_firings(
    db: Database,
    rules: list[Rule],
    now: datetime,
    scope: Scope | None,
    *,
    handover_minutes: float = HANDOVER_MINUTES,
) -> tuple[list[tuple[Rule, int, list[tuple[Any, int, str, str]]]], int]:
    """For each rule step: (rule, step index, [(sort key, ticket id, firing key, why)]) not yet
    fired, as of the database now; and how many tickets were looked at. A later step is listed
    when the step before it has fired or is listed too (then it fires first, in the same pass)."""
    with db.read() as s:
        book = sla.PolicyBook(s)
        classes = book.has_class_policies or any(r.customer_class for r in rules)
        facts = _load(s, _scope_ids(s, rules, book, now, scope, handover_minutes), classes)
        ids = [f.id for f in facts]
        fired = _fired_keys(s, rules, ids)
        queued = (
            _queued_since(s, [f.id for f in facts if f.assignee_id is None])
            if any(r.trigger == "unassigned" for r in rules)
            else {}
        )
        narrowing = {r.id: _Narrowing.of(s, r) for r in rules}
    out = []
    highs: dict[tuple[int, str, str], datetime] = {}
    for rule in rules:
        listed: set[int] = set()  # tickets listed for the previous step
        for index, step in enumerate(rule.steps):
            found = []
            for f in facts:
                if not narrowing[rule.id].matches(rule, f):
                    continue
                key = key_for(rule, step, f.team_id)
                if (rule.id, f.id, key) in fired:
                    continue
                if (
                    index > 0
                    and f.id not in listed
                    and (rule.id, f.id, key_for(rule, rule.steps[index - 1], f.team_id)) not in fired
                ):
                    continue  # thresholds fire in order: this one waits for the previous one
                hit = _reached(rule, step, f, now, book, queued, highs, handover_minutes)
                if hit is not None:
                    found.append((hit[0], f.id, key, hit[1]))
            found.sort(key=lambda c: (c[0], c[1]))
            out.append((rule, index, found))
            listed = {c[1] for c in found}
    return out, len(facts)
