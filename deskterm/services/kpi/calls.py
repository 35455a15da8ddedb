"""The call figures, from the PBX's call records (phone_call, services/calls.py): the monitor's live
calls block and the report's call figures, each with ONE definition here (docs/KPIS.md, "Call
figures").

Over the inbound calls (direction "in") that arrived in the period [start, end) (one range of
`ix_phone_call_arrived`), per queue and in total:

- offered                 = calls arrived, short abandons excepted
- answered                = calls answered (`answered_at` set)
- abandoned               = calls that ended unanswered (the missed calls), short abandons excepted
- short abandon           = an abandoned call that waited under SHORT_ABANDON_SECONDS (5 s):
                            a misdial or a caller who changed their mind; in no rate
- service level           = answered within the answer target (`answer_target_seconds`, 15 s)
                            ÷ (answered + abandoned after the target): a caller who gave up within
                            the target counts neither for nor against it
- abandon rate            = abandoned ÷ offered
- average speed of answer = Σ wait of the answered calls ÷ answered
- talk, after-call work   = Σ `talk_seconds`, Σ `acw_seconds` of the calls handled (answered and
                            ended), and each ÷ calls handled; after-call work counts once recorded
- average handle time     = (Σ talk + Σ after-call work) ÷ calls handled (the industry's AHT)

At an instant `now` (the monitor):
- waiting now             = inbound calls arrived within WAITING_HORIZON (4 h: an older call still
                            "ringing" lost its hang-up), not answered and not ended
- longest wait now        = now − the earliest arrival of the calls waiting now
- missed, not yet seen    = calls that ended unanswered whose `seen_at` is empty, of any day
                            (the partial index `ix_phone_call_missed`)

Each figure is rated green, amber or red by its row of `call_threshold` (data; `rating`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import case, func
from sqlmodel import Session, col, select

from ... import clock
from ...db import Database
from ...models import CallThreshold, PhoneCall
from ..auth import Actor
from ..errors import InvalidInput
from .figures import Kpis, _ratio, add_sums, day_start, require_supervisor

SHORT_ABANDON_SECONDS = 5
WAITING_HORIZON = timedelta(hours=4)
TOTAL = None  # the key of the desk's total among the queues
GREEN, AMBER, RED = "green", "amber", "red"
# The figures the thresholds rate (call_threshold.figure): rates compare as percentages.
RATED = ("waiting", "longest_wait", "service_level", "abandon_rate", "asa")


@dataclass
class CallTally:
    """Additive sums over a period's calls (a period's tally is the sum of its slices')."""

    arrived: int = 0
    answered: int = 0
    answered_in_target: int = 0
    abandoned: int = 0  # all unanswered ends, short ones included
    short_abandoned: int = 0
    abandoned_after_target: int = 0
    answer_wait_seconds: float = 0.0
    handled: int = 0  # answered and ended
    talk_seconds: float = 0.0
    acw_seconds: float = 0.0

    def add(self, other: CallTally) -> CallTally:
        add_sums(self, other, CallTally)
        return self


@dataclass(frozen=True)
class CallFigures:
    """A period's call figures; None where there is nothing to divide by."""

    offered: int
    answered: int
    abandoned: int
    short_abandoned: int
    service_level: float | None
    abandon_rate: float | None
    asa_seconds: float | None
    handled: int
    talk_seconds: float
    acw_seconds: float
    avg_talk_seconds: float | None
    avg_acw_seconds: float | None
    aht_seconds: float | None


def call_figures(t: CallTally) -> CallFigures:
    """The formulas (the module's docstring)."""
    abandoned = t.abandoned - t.short_abandoned
    offered = t.arrived - t.short_abandoned
    return CallFigures(
        offered=offered,
        answered=t.answered,
        abandoned=abandoned,
        short_abandoned=t.short_abandoned,
        service_level=_ratio(t.answered_in_target, t.answered + t.abandoned_after_target),
        abandon_rate=_ratio(abandoned, offered),
        asa_seconds=_ratio(t.answer_wait_seconds, t.answered),
        handled=t.handled,
        talk_seconds=t.talk_seconds,
        acw_seconds=t.acw_seconds,
        avg_talk_seconds=_ratio(t.talk_seconds, t.handled),
        avg_acw_seconds=_ratio(t.acw_seconds, t.handled),
        aht_seconds=_ratio(t.talk_seconds + t.acw_seconds, t.handled),
    )


def _count(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum(column: object, condition: sa.ColumnElement[bool]) -> sa.ColumnElement[float]:
    return func.coalesce(func.sum(case((condition, column), else_=0)), 0)


def call_tallies(s: Session, start: datetime, end: datetime, target: int) -> dict[str, CallTally]:
    """Each queue's tally of the inbound calls arrived in [start, end): one index range."""
    answered = col(PhoneCall.answered_at).is_not(None)
    missed = sa.and_(col(PhoneCall.answered_at).is_(None), col(PhoneCall.ended_at).is_not(None))
    wait = func.coalesce(col(PhoneCall.wait_seconds), 0)
    handled = sa.and_(answered, col(PhoneCall.ended_at).is_not(None))
    query = (
        sa.select(
            col(PhoneCall.queue),
            func.count(),
            _count(answered),
            _count(sa.and_(answered, wait <= target)),
            _count(missed),
            _count(sa.and_(missed, wait < SHORT_ABANDON_SECONDS)),
            _count(sa.and_(missed, wait > target)),
            _sum(wait, answered),
            _count(handled),
            _sum(func.coalesce(col(PhoneCall.talk_seconds), 0), handled),
            _sum(func.coalesce(col(PhoneCall.acw_seconds), 0), handled),
        )
        .where(
            col(PhoneCall.arrived_at) >= start,
            col(PhoneCall.arrived_at) < end,
            col(PhoneCall.direction) == "in",
        )
        .group_by(col(PhoneCall.queue))
    )
    out = {}
    for queue, *sums in s.execute(query).all():
        kinds = [int] * 6 + [float, int, float, float]  # CallTally's fields, in order
        out[queue or ""] = CallTally(*(kind(v) for kind, v in zip(kinds, sums, strict=True)))
    return out


def has_calls(s: Session, start: datetime, end: datetime) -> bool:
    """Whether a PBX fed any call record in [start, end) (then the handle time is the records')."""
    query = select(PhoneCall.id).where(col(PhoneCall.arrived_at) >= start, col(PhoneCall.arrived_at) < end)
    return s.exec(query.limit(1)).first() is not None


# --- thresholds ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Threshold:
    figure: str
    amber: float
    red: float
    higher_is_better: bool


def thresholds(s: Session) -> dict[str, Threshold]:
    rows = s.exec(select(CallThreshold)).all()
    return {r.figure: Threshold(r.figure, r.amber, r.red, r.higher_is_better) for r in rows}


def rating(value: float | None, row: Threshold | None) -> str:
    """green | amber | red for `value` (rates as percentages, times in seconds) by its threshold
    row; "" for no value or no row. Higher is better: amber below `amber`, red below `red`; else
    amber above `amber`, red above `red` (a value on a bound is the better side)."""
    if value is None or row is None:
        return ""
    if row.higher_is_better:
        return RED if value < row.red else AMBER if value < row.amber else GREEN
    return RED if value > row.red else AMBER if value > row.amber else GREEN


# --- the live view ------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueCalls:
    """One queue's figures (queue None: the desk's total), with each rated figure's colour."""

    queue: str | None
    waiting: int
    longest_wait_seconds: float | None
    missed_unseen: int
    today: CallFigures
    ratings: dict[str, str] = field(default_factory=dict)

    def value(self, figure: str) -> float | None:
        """A rated figure as its threshold reads it."""
        t = self.today
        return {
            "waiting": float(self.waiting),
            "longest_wait": self.longest_wait_seconds,
            "service_level": None if t.service_level is None else t.service_level * 100,
            "abandon_rate": None if t.abandon_rate is None else t.abandon_rate * 100,
            "asa": t.asa_seconds,
        }.get(figure)


@dataclass(frozen=True)
class CallsView:
    now: datetime
    answer_target: int
    queues: list[QueueCalls]  # by name; "" (no queue) last
    total: QueueCalls
    fed: bool  # a PBX has fed the desk call records (a desk without one shows no calls block)


def calls_now(s: Session, now: datetime, start: datetime, target: int) -> CallsView:
    """The calls block at `now`: waiting and missed now, and the figures of [start, now)."""
    tallies = call_tallies(s, start, now, target)
    waiting_rows = s.execute(
        sa.select(col(PhoneCall.queue), func.count(), func.min(col(PhoneCall.arrived_at)))
        .where(
            col(PhoneCall.arrived_at) >= now - WAITING_HORIZON,
            col(PhoneCall.arrived_at) <= now,
            # neither answered nor ended, as one expression: the arrival range is the index to use
            # (SQLite would otherwise walk ix_phone_call_agent's every unanswered call)
            func.coalesce(col(PhoneCall.answered_at), col(PhoneCall.ended_at)).is_(None),
            col(PhoneCall.direction) == "in",
        )
        .group_by(col(PhoneCall.queue))
    ).all()
    missed_rows = s.execute(
        sa.select(col(PhoneCall.queue), func.count())
        .where(
            col(PhoneCall.answered_at).is_(None),
            col(PhoneCall.ended_at).is_not(None),
            col(PhoneCall.seen_at).is_(None),
        )
        .group_by(col(PhoneCall.queue))
    ).all()
    limits = thresholds(s)
    waiting = {q or "": (int(n), first) for q, n, first in waiting_rows}
    missed = {q or "": int(n) for q, n in missed_rows}
    names = sorted(set(tallies) | set(waiting) | set(missed), key=lambda q: (q == "", q))

    def line(
        queue: str | None, tally: CallTally, count: int, first: datetime | None, unseen: int
    ) -> QueueCalls:
        longest = None if first is None else max(0.0, (now - first).total_seconds())
        q = QueueCalls(queue, count, longest, unseen, call_figures(tally))
        return replace(q, ratings={f: rating(q.value(f), limits.get(f)) for f in RATED})

    lines = [
        line(q, tallies.get(q, CallTally()), *waiting.get(q, (0, None)), missed.get(q, 0)) for q in names
    ]
    total = CallTally()
    for t in tallies.values():
        total.add(t)
    firsts = [first for _n, first in waiting.values() if first is not None]
    total_line = line(
        TOTAL, total, sum(n for n, _f in waiting.values()), min(firsts, default=None), sum(missed.values())
    )
    fed = bool(lines) or s.exec(select(PhoneCall.id).limit(1)).first() is not None
    return CallsView(now=now, answer_target=target, queues=lines, total=total_line, fed=fed)


def live_calls(
    db: Database,
    actor: Actor,
    *,
    timezone: str = "Asia/Shanghai",
    answer_target: int = 15,
    now: datetime | None = None,
) -> CallsView:
    """The calls block of the monitor at `now` (supervisors and admins)."""
    now = now or clock.now()
    with db.read() as s:
        require_supervisor(s, actor)
        return calls_now(s, now, day_start(now, timezone), answer_target)


# --- the reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CallReport:
    """A period's call figures, desk-wide and per queue; `fed`: the PBX fed call records in it."""

    total: CallFigures
    queues: dict[str, CallFigures]
    fed: bool


def call_report(
    db: Database, actor: Actor, start: datetime, end: datetime, *, answer_target: int = 15
) -> CallReport:
    """The call figures of [start, end) (supervisors and admins), from the call records directly
    (one range of `ix_phone_call_arrived`; no rollup needed, docs/KPIS.md)."""
    if end <= start:
        raise InvalidInput({"to": "must be after --from"})
    with db.read() as s:
        require_supervisor(s, actor)
        tallies = call_tallies(s, start, end, answer_target)
        fed = has_calls(s, start, end)
    total = CallTally()
    for t in tallies.values():
        total.add(t)
    return CallReport(call_figures(total), {q: call_figures(t) for q, t in sorted(tallies.items())}, fed)


AHT_CALLS, AHT_STATES = "calls", "states"


def with_call_handle_time(k: Kpis, calls: CallFigures, fed: bool) -> tuple[Kpis, str]:
    """The period's average handle time: from the call records when a PBX fed the period (the
    industry's AHT, (talk + after-call work) ÷ calls handled), else from the consoles' state log;
    with which ("calls" | "states")."""
    if not fed:
        return k, AHT_STATES
    return replace(k, avg_handle_seconds=calls.aht_seconds, contacts_handled=calls.handled), AHT_CALLS
