"""Business-hours arithmetic for SLA clocks: pure functions, no UI, no database.

Everything in and out is a timezone-aware datetime (results in UTC); business hours are wall-clock
hours in the calendar's time zone, so DST days are as long as the clock on the wall says. Open
intervals are half-open: [09:00, 18:00) is open at 09:00 and closed at 18:00. The arithmetic walks
day by day and interval by interval (never minute by minute) and in exact `timedelta`s
(microseconds); only the public float-minute wrappers convert.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from types import MappingProxyType
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Span = tuple[time, time]  # an end of time(0) means midnight at the end of the day ("24:00")

# years loaded for a spec's "country" when it names none (deterministic: no wall clock here)
DEFAULT_YEARS = range(2020, 2041)
_NINE_TO_SIX: tuple[Span, ...] = ((time(9), time(18)),)
_ZERO = timedelta(0)
_DAY = timedelta(days=1)


def _default_hours() -> Mapping[int, tuple[Span, ...]]:
    return {wd: _NINE_TO_SIX for wd in range(5)}


def _check_spans(spans: Iterable[Span], what: str) -> tuple[Span, ...]:
    out = tuple(sorted((a, b) for a, b in spans))
    prev_end: time | None = None
    for i, (a, b) in enumerate(out):
        if a.tzinfo is not None or b.tzinfo is not None:
            raise ValueError(f"{what}: hours are wall-clock times without a time zone")
        if b == time(0):
            if i != len(out) - 1:
                raise ValueError(f"{what}: only the last interval may end at 24:00")
        elif not a < b:  # overnight spans (22:00-06:00) are two spans on two days
            raise ValueError(f"{what}: interval {a}-{b} does not end after it starts")
        if prev_end is not None and a < prev_end:
            raise ValueError(f"{what}: overlapping intervals")
        prev_end = b
    return out


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "Asia/Shanghai"
    always_open: bool = False  # 24x7: hours, holidays and workdays are ignored
    # weekday (0=Mon) -> sorted, non-overlapping open intervals; a missing weekday is closed
    hours: Mapping[int, tuple[Span, ...]] = field(default_factory=_default_hours, hash=False)
    holidays: frozenset[date] = frozenset()  # closed although a working weekday
    workdays: frozenset[date] = frozenset()  # open although a weekend (调休); wins over holidays
    # hours of a make-up workday that falls on a closed weekday; None = Monday's (else 09-18)
    workday_hours: tuple[Span, ...] | None = None

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise ValueError(f"unknown time zone {self.timezone!r}") from e
        hours = {}
        for wd, spans in self.hours.items():
            if int(wd) not in range(7):
                raise ValueError(f"weekday {wd!r} is not 0 (Monday) .. 6 (Sunday)")
            if spans:
                hours[int(wd)] = _check_spans(spans, f"weekday {wd}")
        sets = object.__setattr__
        sets(self, "hours", MappingProxyType(dict(sorted(hours.items()))))
        sets(self, "holidays", frozenset(self.holidays))
        sets(self, "workdays", frozenset(self.workdays))
        if self.workday_hours is not None:
            sets(self, "workday_hours", _check_spans(self.workday_hours, "workday_hours") or None)
        if not self.always_open and not hours and not self.workdays:
            raise ValueError("a business calendar needs some open hours (or always_open)")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)  # ZoneInfo caches its instances: cheap

    # -- spec (the JSON stored in sla_calendar.spec) --------------------------------------------

    @classmethod
    def from_spec(cls, *, timezone: str, always_open: bool, spec: dict) -> BusinessCalendar:
        """Build from the stored JSON spec.

        {"hours": {"0": [["09:00", "18:00"]], ...}, "holidays": ["2026-10-01", ...],
        "workdays": [...], "workday_hours": [["09:00", "18:00"]], "country": "CN",
        "years": [2026, 2027]}. No "hours" key means Mon-Fri 09:00-18:00; a single pair
        ("0": ["09:00", "18:00"]) is accepted for one interval; "24:00" ends a day. "country" loads
        that country's public holidays and make-up workdays for "years" (default DEFAULT_YEARS) from
        the package `holidays`; the explicit lists win over the country's where they disagree.
        """
        hours = (
            _default_hours()
            if "hours" not in spec
            else {int(k): _parse_spans(v) for k, v in (spec["hours"] or {}).items()}
        )
        off: set[date] | frozenset[date] = {_parse_date(s) for s in spec.get("holidays", ())}
        work: set[date] | frozenset[date] = {_parse_date(s) for s in spec.get("workdays", ())}
        if spec.get("country"):
            c_off, c_work = country_days(spec["country"], spec.get("years") or DEFAULT_YEARS)
            off, work = (c_off - work) | off, (c_work - off) | work
        wh = spec.get("workday_hours")
        return cls(
            timezone=timezone,
            always_open=always_open,
            hours=hours,
            holidays=frozenset(off),
            workdays=frozenset(work),
            workday_hours=_parse_spans(wh) if wh else None,
        )

    def to_spec(self) -> dict:
        """The JSON spec; country days come out as explicit dates (editable data, round-trips)."""
        spec: dict = {
            "hours": {str(wd): _format_spans(s) for wd, s in self.hours.items()},
            "holidays": sorted(d.isoformat() for d in self.holidays),
            "workdays": sorted(d.isoformat() for d in self.workdays),
        }
        if self.workday_hours:
            spec["workday_hours"] = _format_spans(self.workday_hours)
        return spec

    # -- queries --------------------------------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        at = _utc(at, "at")
        if self.always_open:
            return True
        day = at.astimezone(self.tz).date()
        return any(a <= at < b for a, b in self._day_intervals(day))

    def _spans_on(self, day: date) -> tuple[Span, ...]:
        regular = self.hours.get(day.weekday(), ())
        if day in self.workdays:
            return regular or self.workday_hours or self.hours.get(0) or _NINE_TO_SIX
        return () if day in self.holidays else regular

    def _day_intervals(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open intervals of one local day, in UTC."""
        tz = self.tz
        out: list[tuple[datetime, datetime]] = []
        for a, b in self._spans_on(day):
            start = datetime.combine(day, a, tz).astimezone(UTC)
            end_day = day + _DAY if b == time(0) else day
            end = datetime.combine(end_day, b, tz).astimezone(UTC)
            # wall times inside a DST gap can map out of order: never overlap the previous one
            if out and start < out[-1][1]:
                start = out[-1][1]
            if end > start:
                out.append((start, end))
        return out

    def _open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals from `start` (UTC) on, the first one clipped to start. Endless."""
        day = start.astimezone(self.tz).date()
        weekly = bool(self.hours)
        last_workday = max(self.workdays, default=None)
        while True:
            # only regular weekly hours guarantee another opening; guard the endless walk
            if not weekly and (last_workday is None or day > last_workday):
                raise ValueError("the calendar has no open hours after " + str(last_workday))
            for a, b in self._day_intervals(day):
                if b > start:
                    yield max(a, start), b
            day += _DAY


# -- arithmetic (exact, in timedelta) ------------------------------------------------------------


def _add(cal: BusinessCalendar, start: datetime, budget: timedelta) -> datetime:
    if cal.always_open:
        return start + budget
    for a, b in cal._open_intervals(start):
        if budget <= b - a:
            return a + budget
        budget -= b - a
    raise AssertionError("unreachable: _open_intervals is endless or raises")


def _between(cal: BusinessCalendar, start: datetime, end: datetime) -> timedelta:
    if end <= start:
        return _ZERO
    if cal.always_open:
        return end - start
    tz = cal.tz
    day, last = start.astimezone(tz).date(), end.astimezone(tz).date()
    total = _ZERO
    while day <= last:
        for a, b in cal._day_intervals(day):
            lo, hi = max(a, start), min(b, end)
            if hi > lo:
                total += hi - lo
        day += _DAY
    return total


def add_business_minutes(cal: BusinessCalendar, start: datetime, minutes: float) -> datetime:
    """The moment when `minutes` of open time have elapsed after `start`.

    Outside hours the clock starts at the next opening; a result may be a closing time (Friday
    17:00 + 60 min = Friday 18:00). 24x7 calendars: plain addition."""
    return _add(cal, _utc(start, "start"), _budget(minutes))


def business_minutes_between(cal: BusinessCalendar, start: datetime, end: datetime) -> float:
    """Open minutes in [start, end); 0 if end <= start."""
    return _between(cal, _utc(start, "start"), _utc(end, "end")) / timedelta(minutes=1)


def due_time(
    cal: BusinessCalendar,
    start: datetime,
    minutes: float,
    pauses: Iterable[tuple[datetime, datetime | None]] = (),
) -> datetime | None:
    """Due time of a `minutes` SLA target started at `start`, its clock stopped during `pauses`.

    Pauses may overlap and come in any order; a pause begun before `start` counts from `start`.
    An open pause (end None) stops the clock for good, so the due time is unknown and the result
    is None; unless the target was already due before that pause began, in which case that (fixed)
    due time is returned. A 0-minute target is due at the first open moment the clock runs."""
    cursor = _utc(start, "start")
    budget = _budget(minutes)
    spans: list[tuple[datetime, datetime | None]] = []
    for p0, p1 in pauses:
        p0 = _utc(p0, "pause start")
        p1 = None if p1 is None else _utc(p1, "pause end")
        if p1 is not None and p1 < p0:
            raise ValueError(f"a pause ends before it starts: {p0} .. {p1}")
        if p1 is None or p1 > cursor:
            spans.append((max(p0, cursor), p1))
    spans.sort(key=lambda s: s[0])
    for p0, p1 in spans:
        if p1 is not None and p1 <= cursor:  # inside an earlier, overlapping pause
            continue
        if p0 > cursor:
            run = _between(cal, cursor, p0)
            # due before the pause; a 0-minute target needs some open, running time to fall in
            if run >= budget and run > _ZERO:
                return _add(cal, cursor, budget)
            budget -= run
        if p1 is None:
            return None
        cursor = p1
    return _add(cal, cursor, budget)


def remaining_minutes(cal: BusinessCalendar, due: datetime, now: datetime) -> float:
    """Open minutes left until `due`; negative once breached (the open minutes since due)."""
    due, now = _utc(due, "due"), _utc(now, "now")
    if now <= due:
        return _between(cal, now, due) / timedelta(minutes=1)
    return -(_between(cal, due, now) / timedelta(minutes=1))


# -- country calendars ---------------------------------------------------------------------------


def country_days(country: str, years: Iterable[int]) -> tuple[frozenset[date], frozenset[date]]:
    """(public holidays, make-up weekend workdays) of a country, from the `holidays` package.

    Make-up workdays (e.g. China's 调休) exist only where the package knows them; years the
    government has not announced yet are the package's estimate. Cached per (country, years)."""
    return _country_days(country.upper(), tuple(sorted({int(y) for y in years})))


@functools.lru_cache(maxsize=32)
def _country_days(country: str, wanted: tuple[int, ...]) -> tuple[frozenset[date], frozenset[date]]:
    try:
        import holidays as hol  # imported late: slow to import, needed only when loading a spec
    except ImportError as e:  # pragma: no cover - a dependency of deskterm
        raise ValueError("country calendars need the 'holidays' package") from e
    try:
        found = hol.country_holidays(country, years=list(wanted))
    except NotImplementedError as e:
        raise ValueError(f"no public-holiday calendar for country {country!r}") from e
    off = frozenset(d for d in found if d.year in wanted)
    # the package keeps make-up workdays of other years in the same set: keep the asked ones
    work = frozenset(d for d in getattr(found, "weekend_workdays", ()) if d.year in wanted)
    return off, work


# -- helpers -------------------------------------------------------------------------------------


def _utc(value: datetime, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware: {value!r}")
    return value.astimezone(UTC)


def _budget(minutes: float) -> timedelta:
    if not math.isfinite(minutes) or minutes < 0:
        raise ValueError(f"minutes must be a finite number >= 0, not {minutes!r}")
    return timedelta(minutes=minutes)


def _parse_time(text: str, *, end: bool) -> time:
    if end and text.strip() == "24:00":
        return time(0)
    try:
        return time.fromisoformat(text.strip())
    except ValueError as e:
        raise ValueError(f"not a time of day (HH:MM): {text!r}") from e


def _parse_spans(raw: list) -> tuple[Span, ...]:
    if len(raw) == 2 and all(isinstance(x, str) for x in raw):  # one pair: ["09:00", "18:00"]
        raw = [raw]
    return tuple((_parse_time(a, end=False), _parse_time(b, end=True)) for a, b in raw)


def _parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as e:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from e


def _format_time(t: time, *, end: bool) -> str:
    if end and t == time(0):
        return "24:00"
    return t.isoformat(timespec="seconds" if t.second else "minutes")


def _format_spans(spans: Iterable[Span]) -> list[list[str]]:
    return [[_format_time(a, end=False), _format_time(b, end=True)] for a, b in spans]
