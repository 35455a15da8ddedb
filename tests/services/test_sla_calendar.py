"""SLA calendar arithmetic: worked examples from the desk's rules, then properties checked against
a naive wall-clock oracle across weekends, holidays, make-up workdays, DST zones and pauses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deskterm.services.sla_calendar import (
    BusinessCalendar,
    add_business_minutes,
    business_minutes_between,
    due_time,
    remaining_minutes,
)

SH = ZoneInfo("Asia/Shanghai")
BER = ZoneInfo("Europe/Berlin")
NY = ZoneInfo("America/New_York")
YEARS = [2025, 2026, 2027]

CN = BusinessCalendar.from_spec(
    timezone="Asia/Shanghai", always_open=False, spec={"country": "CN", "years": YEARS}
)
# Split hours, and Sunday night hours that straddle both DST switches (02:00/03:00 on Sundays).
BERLIN = BusinessCalendar.from_spec(
    timezone="Europe/Berlin",
    always_open=False,
    spec={
        "hours": {**{str(d): [["08:00", "12:00"], ["13:00", "17:00"]] for d in range(5)},
                  "6": [["00:00", "04:00"]]},
        "country": "DE",
        "years": YEARS,
        "holidays": ["2026-10-26"],
        "workdays": ["2026-03-28"],  # the Saturday before spring-forward
    },
)  # fmt: skip
# Odd hours: all of Sunday (the DST days), a Wednesday, late Saturday; Friday workdays 10-12.
NEW_YORK = BusinessCalendar.from_spec(
    timezone="America/New_York",
    always_open=False,
    spec={
        "hours": {"2": [["09:00", "17:00"]], "5": [["22:00", "24:00"]], "6": [["00:00", "24:00"]]},
        "holidays": ["2026-03-11", "2026-11-01"],  # a Wednesday; the fall-back Sunday
        "workdays": ["2026-03-13", "2026-11-06"],  # Fridays
        "workday_hours": [["10:00", "12:00"]],
    },
)
ALWAYS = BusinessCalendar(timezone="America/New_York", always_open=True)
BUSINESS = [CN, BERLIN, NEW_YORK]
ALL = [*BUSINESS, ALWAYS]
US = timedelta(microseconds=1)


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


# -- worked examples ---------------------------------------------------------------------------


def test_friday_evening_rolls_to_monday() -> None:
    assert add_business_minutes(CN, sh(2026, 3, 6, 17, 30), 60) == sh(2026, 3, 9, 9, 30)


def test_result_is_utc_and_input_zone_does_not_matter() -> None:
    got = add_business_minutes(CN, sh(2026, 3, 6, 17, 30).astimezone(NY), 60)
    assert got.tzinfo is UTC
    assert got == datetime(2026, 3, 9, 1, 30, tzinfo=UTC)


def test_closing_time_is_a_valid_result_and_zero_minutes_waits_for_the_opening() -> None:
    assert add_business_minutes(CN, sh(2026, 3, 6, 17), 60) == sh(2026, 3, 6, 18)
    assert add_business_minutes(CN, sh(2026, 3, 6, 18), 0) == sh(2026, 3, 9, 9)
    assert add_business_minutes(CN, sh(2026, 3, 6, 12), 0) == sh(2026, 3, 6, 12)
    assert CN.is_open(sh(2026, 3, 6, 17, 59, 59)) and not CN.is_open(sh(2026, 3, 6, 18))
    assert CN.is_open(sh(2026, 3, 6, 9)) and not CN.is_open(sh(2026, 3, 6, 8, 59, 59))


def test_china_2026_shipped_dates() -> None:
    def open_at_ten(d: date) -> bool:
        return CN.is_open(datetime.combine(d, time(10), SH))

    national_day = [date(2026, 10, d) for d in range(1, 8)]
    spring_festival = [date(2026, 2, d) for d in range(15, 24)]
    assert not any(open_at_ten(d) for d in national_day + spring_festival)
    # make-up working days (调休): a Sunday and Saturdays
    for d in [date(2026, 1, 4), date(2026, 2, 14), date(2026, 2, 28), date(2026, 5, 9),
              date(2026, 9, 20), date(2026, 10, 10)]:  # fmt: skip
        assert d.weekday() >= 5 and open_at_ten(d), d
    assert not open_at_ten(date(2026, 2, 21))  # an ordinary Saturday inside the festival
    # 13 Feb .. 28 Feb: Fri 13, Sat 14 (调休), Tue 24 .. Fri 27, Sat 28 (调休) = 7 days of 9 h
    assert business_minutes_between(CN, sh(2026, 2, 13), sh(2026, 3, 1)) == 7 * 540


def test_p3_three_business_days_across_national_day() -> None:
    # Wed 30 Sep 10:00: 480 min that day, holiday 1-7 Oct, Thu 8 + Fri 9 (1080), and the
    # make-up Saturday 10 Oct supplies the last 60 minutes.
    assert add_business_minutes(CN, sh(2026, 9, 30, 10), 3 * 9 * 60) == sh(2026, 10, 10, 10)
    assert due_time(CN, sh(2026, 9, 30, 10), 3 * 9 * 60) == sh(2026, 10, 10, 10)


def test_ten_business_days_across_spring_festival() -> None:
    # Fri 13 Feb 17:00: 60 + Sat 14 (600) + 24..27 Feb (2760) + Sat 28 (3300) + Mon..Thu 2160
    assert add_business_minutes(CN, sh(2026, 2, 13, 17), 10 * 540) == sh(2026, 3, 5, 17)


def test_a_year_of_business_minutes_is_computed_by_days_not_minutes() -> None:
    start = sh(2026, 1, 5, 9)
    due = add_business_minutes(CN, start, 240 * 540)
    assert business_minutes_between(CN, start, due) == 240 * 540


def test_remaining_minutes_counts_open_time_and_goes_negative_when_breached() -> None:
    due = add_business_minutes(CN, sh(2026, 3, 6, 17), 60)  # Friday 18:00
    assert remaining_minutes(CN, due, sh(2026, 3, 6, 17, 30)) == 30
    assert remaining_minutes(CN, due, sh(2026, 3, 9, 10)) == -60
    assert remaining_minutes(CN, sh(2026, 3, 9, 10), sh(2026, 3, 6, 17)) == 120  # over a weekend
    assert remaining_minutes(ALWAYS, due, due + timedelta(hours=2)) == -120


def test_24x7_is_plain_addition() -> None:
    start = sh(2026, 10, 3, 23)  # a Saturday in the National Day holiday
    assert add_business_minutes(ALWAYS, start, 240) == sh(2026, 10, 4, 3)
    assert business_minutes_between(ALWAYS, start, sh(2026, 10, 4, 3)) == 240


def test_dst_days_are_as_long_as_the_wall_clock_says() -> None:
    # Sunday 00:00-04:00 in Berlin: 3 hours on spring-forward day, 5 on fall-back day
    spring = datetime(2026, 3, 29, tzinfo=BER)
    autumn = datetime(2026, 10, 25, tzinfo=BER)
    assert business_minutes_between(BERLIN, spring, spring + timedelta(days=1)) == 180
    assert business_minutes_between(BERLIN, autumn, autumn + timedelta(days=1)) == 300
    # New York is open all of Sunday 8 March 2026 (23 hours) and Sunday 2 Nov 2025 (25 hours)
    for day, hours in ((datetime(2026, 3, 8, tzinfo=NY), 23), (datetime(2025, 11, 2, tzinfo=NY), 25)):
        end = day.astimezone(UTC) + timedelta(days=2)
        assert business_minutes_between(NEW_YORK, day, end) == hours * 60
    # 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC in summer
    assert add_business_minutes(BERLIN, datetime(2026, 3, 27, 16, 30, tzinfo=BER), 30 + 60) == (
        datetime(2026, 3, 28, 9, tzinfo=BER)  # the make-up Saturday uses Monday's hours
    )
    monday = add_business_minutes(BERLIN, datetime(2026, 3, 28, 17, tzinfo=BER), 4 * 60)
    assert monday == datetime(2026, 3, 30, 9, tzinfo=BER) == datetime(2026, 3, 30, 7, tzinfo=UTC)


def test_workday_hours_and_holidays_of_a_custom_calendar() -> None:
    friday = datetime(2026, 3, 13, tzinfo=NY)  # make-up workday: 10:00-12:00
    assert business_minutes_between(NEW_YORK, friday, friday + timedelta(days=1)) == 120
    wednesday = datetime(2026, 3, 11, 10, tzinfo=NY)  # holiday
    assert not NEW_YORK.is_open(wednesday)
    assert NEW_YORK.is_open(wednesday + timedelta(days=7))


def test_due_time_with_pauses() -> None:
    start = sh(2026, 3, 9, 9)  # Monday
    assert due_time(CN, start, 120) == sh(2026, 3, 9, 11)
    # paused 10:00-10:30 -> 30 minutes later; a pause over the night changes nothing
    assert due_time(CN, start, 120, [(sh(2026, 3, 9, 10), sh(2026, 3, 9, 10, 30))]) == sh(2026, 3, 9, 11, 30)
    night = (sh(2026, 3, 9, 19), sh(2026, 3, 10, 8))
    assert due_time(CN, start, 600, [night]) == due_time(CN, start, 600)
    # overlapping and unordered pauses count once
    pauses = [(sh(2026, 3, 9, 10, 15), sh(2026, 3, 9, 10, 45)), (sh(2026, 3, 9, 10), sh(2026, 3, 9, 10, 30))]
    assert due_time(CN, start, 120, pauses) == sh(2026, 3, 9, 11, 45)
    # still pending: the clock is stopped, the due time unknown
    assert due_time(CN, start, 120, [(sh(2026, 3, 9, 10), None)]) is None
    # ... unless the target had already run out before the ticket went pending
    assert due_time(CN, start, 120, [(sh(2026, 3, 9, 15), None)]) == sh(2026, 3, 9, 11)
    # a pause that began before the start stops the clock from the start
    assert due_time(CN, start, 60, [(sh(2026, 3, 6), sh(2026, 3, 9, 9, 30))]) == sh(2026, 3, 9, 10, 30)


@pytest.mark.parametrize(
    "call",
    [
        lambda: add_business_minutes(CN, datetime(2026, 3, 6, 17), 60),
        lambda: business_minutes_between(CN, sh(2026, 3, 6), datetime(2026, 3, 7)),
        lambda: due_time(CN, sh(2026, 3, 6), 60, [(datetime(2026, 3, 6, 10), None)]),
        lambda: remaining_minutes(CN, datetime(2026, 3, 6), sh(2026, 3, 6)),
        lambda: CN.is_open(datetime(2026, 3, 6, 10)),
        lambda: add_business_minutes(CN, sh(2026, 3, 6), -1),
        lambda: add_business_minutes(CN, sh(2026, 3, 6), float("nan")),
        lambda: due_time(CN, sh(2026, 3, 6), 60, [(sh(2026, 3, 6, 10), sh(2026, 3, 6, 9))]),
    ],
)
def test_bad_arguments_raise_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError):
        call()


def test_calendars_without_open_hours_raise_instead_of_looping() -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(hours={})
    with pytest.raises(ValueError):
        BusinessCalendar.from_spec(timezone="UTC", always_open=False, spec={"hours": {}})
    only_one_day = BusinessCalendar(hours={}, workdays=frozenset({date(2026, 2, 14)}))
    assert add_business_minutes(only_one_day, sh(2026, 2, 1), 60) == sh(2026, 2, 14, 10)
    with pytest.raises(ValueError):
        add_business_minutes(only_one_day, sh(2026, 2, 1), 600)
    assert BusinessCalendar(timezone="UTC", always_open=True, hours={}).is_open(sh(2026, 2, 1))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"timezone": "Mars/Olympus_Mons"},
        {"hours": {0: ((time(18), time(9)),)}},
        {"hours": {0: ((time(9), time(12)), (time(11), time(18)))}},
        {"hours": {7: ((time(9), time(18)),)}},
    ],
)
def test_invalid_calendars(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        BusinessCalendar(**kwargs)


def test_spec_round_trip_and_formats() -> None:
    assert BusinessCalendar.from_spec(timezone="Asia/Shanghai", always_open=False, spec={}) == (
        BusinessCalendar()
    )
    for cal in ALL:
        again = BusinessCalendar.from_spec(
            timezone=cal.timezone, always_open=cal.always_open, spec=cal.to_spec()
        )
        assert again == cal
    one_pair = BusinessCalendar.from_spec(
        timezone="UTC",
        always_open=False,
        spec={"hours": {"0": ["09:00", "18:00"], "6": [["20:00", "24:00"]]}},
    )
    assert one_pair.hours == {0: ((time(9), time(18)),), 6: ((time(20), time(0)),)}
    assert one_pair.to_spec()["hours"] == {"0": [["09:00", "18:00"]], "6": [["20:00", "24:00"]]}
    assert "2026-10-01" in CN.to_spec()["holidays"] and "2026-02-14" in CN.to_spec()["workdays"]


def test_explicit_days_win_over_the_country_calendar() -> None:
    cal = BusinessCalendar.from_spec(
        timezone="Asia/Shanghai",
        always_open=False,
        spec={"country": "CN", "years": [2026], "holidays": ["2026-02-14"], "workdays": ["2026-10-02"]},
    )
    assert not cal.is_open(sh(2026, 2, 14, 10))
    assert cal.is_open(sh(2026, 10, 2, 10))
    assert not cal.is_open(sh(2026, 10, 1, 10))


def test_country_without_years_loads_a_default_range() -> None:
    cal = BusinessCalendar.from_spec(timezone="Asia/Shanghai", always_open=False, spec={"country": "CN"})
    assert not cal.is_open(sh(2026, 10, 5, 10)) and cal.is_open(sh(2026, 2, 14, 10))
    with pytest.raises(ValueError):
        BusinessCalendar.from_spec(timezone="UTC", always_open=False, spec={"country": "XX", "years": [2026]})


# -- properties --------------------------------------------------------------------------------


def oracle_open(cal: BusinessCalendar, at: datetime) -> bool:
    """Read the wall clock: is `at` inside the day's hours? (Test calendars keep every opening
    and closing out of the DST-switch hour, where wall time is ambiguous.)"""
    if cal.always_open:
        return True
    local = at.astimezone(cal.tz)
    day, clock = local.date(), local.time().replace(fold=0)
    spans = cal.hours.get(day.weekday(), ())
    if day in cal.workdays:
        spans = spans or cal.workday_hours or cal.hours.get(0) or ((time(9), time(18)),)
    elif day in cal.holidays:
        spans = ()
    return any(a <= clock and (clock < b or b == time(0)) for a, b in spans)


LO, HI = datetime(2025, 1, 1), datetime(2027, 6, 30)
calendars = st.sampled_from(ALL)
business_calendars = st.sampled_from(BUSINESS)
instants = st.datetimes(LO, HI, timezones=st.just(UTC))
minute_instants = instants.map(lambda t: t.replace(second=0, microsecond=0))
offsets = st.integers(-60 * 1440, 60 * 1440).map(lambda m: timedelta(minutes=m, seconds=m % 7))
int_minutes = st.integers(0, 12 * 540)
any_minutes = st.one_of(int_minutes, st.floats(0, 12 * 540, allow_nan=False))


@st.composite
def pause_lists(draw: st.DrawFn, start: datetime) -> list[tuple[datetime, datetime | None]]:
    out: list[tuple[datetime, datetime | None]] = []
    for _ in range(draw(st.integers(0, 3))):
        p0 = start + timedelta(minutes=draw(st.integers(-2 * 1440, 20 * 1440)))
        length = draw(st.integers(0, 5 * 1440))
        out.append((p0, p0 + timedelta(minutes=length)))
    return out


@given(calendars, instants)
def test_is_open_matches_the_wall_clock(cal: BusinessCalendar, at: datetime) -> None:
    assert cal.is_open(at) == oracle_open(cal, at)


@settings(max_examples=40)
@given(calendars, minute_instants, st.integers(0, 3 * 1440))
def test_between_counts_open_minutes(cal: BusinessCalendar, start: datetime, n: int) -> None:
    # boundaries are whole minutes in UTC in these zones, so counting minutes is exact
    expected = sum(oracle_open(cal, start + timedelta(minutes=k)) for k in range(n))
    assert business_minutes_between(cal, start, start + timedelta(minutes=n)) == expected


@given(calendars, instants, any_minutes)
def test_between_inverts_add(cal: BusinessCalendar, start: datetime, minutes: float) -> None:
    due = add_business_minutes(cal, start, minutes)
    assert due >= start
    assert business_minutes_between(cal, start, due) == pytest.approx(minutes, abs=1e-6)


@given(calendars, instants, offsets)
def test_add_inverts_between(cal: BusinessCalendar, a: datetime, offset: timedelta) -> None:
    start, end = min(a, a + offset), max(a, a + offset)
    m = business_minutes_between(cal, start, end)
    back = add_business_minutes(cal, start, m)
    if m:  # (0 minutes from a closed moment means the next opening, which may be after end)
        assert back <= end + US
    assert business_minutes_between(cal, start, back) == pytest.approx(m, abs=1e-6)


@given(business_calendars, instants, int_minutes)
def test_results_fall_at_an_open_moment_or_a_closing(
    cal: BusinessCalendar, start: datetime, minutes: int
) -> None:
    due = add_business_minutes(cal, start, minutes)
    if minutes == 0:
        assert cal.is_open(due)
    else:
        assert cal.is_open(due) or cal.is_open(due - US)
        # and it is the earliest such moment
        assert business_minutes_between(cal, start, due - US) < minutes


@given(calendars, instants, int_minutes, st.integers(1, 3 * 540))
def test_add_is_additive(cal: BusinessCalendar, start: datetime, a: int, b: int) -> None:
    first = add_business_minutes(cal, start, a)
    assert add_business_minutes(cal, first, b) == add_business_minutes(cal, start, a + b)


@given(instants, any_minutes)
def test_24x7_add_is_plain_addition(start: datetime, minutes: float) -> None:
    assert add_business_minutes(ALWAYS, start, minutes) == start + timedelta(minutes=minutes)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(calendars, instants, offsets, int_minutes, st.data())
def test_due_time_is_monotonic_in_the_start(
    cal: BusinessCalendar, a: datetime, offset: timedelta, minutes: int, data: st.DataObject
) -> None:
    early, late = min(a, a + offset), max(a, a + offset)
    pauses = data.draw(pause_lists(early))
    assert add_business_minutes(cal, early, minutes) <= add_business_minutes(cal, late, minutes)
    assert due_time(cal, early, minutes, pauses) <= due_time(cal, late, minutes, pauses)


@settings(suppress_health_check=[HealthCheck.too_slow])
@given(calendars, instants, int_minutes, st.data())
def test_pausing_never_shortens_and_stops_exactly_the_paused_open_time(
    cal: BusinessCalendar, start: datetime, minutes: int, data: st.DataObject
) -> None:
    pauses = data.draw(pause_lists(start))
    more = pauses + data.draw(pause_lists(start))
    plain = due_time(cal, start, minutes)
    paused = due_time(cal, start, minutes, pauses)
    assert plain == add_business_minutes(cal, start, minutes)
    assert paused >= plain
    assert due_time(cal, start, minutes, more) >= paused
    assert due_time(cal, start, minutes, list(reversed(pauses))) == paused
    # open time in [start, due) minus the open time spent paused is exactly the target
    stopped, cursor = 0.0, start
    for p0, p1 in sorted(pauses):
        lo, hi = max(p0, cursor, start), min(p1, paused)
        if hi > lo:
            stopped += business_minutes_between(cal, lo, hi)
            cursor = hi
    assert business_minutes_between(cal, start, paused) - stopped == pytest.approx(minutes)


@given(calendars, instants, int_minutes, st.integers(-3 * 1440, 3 * 1440))
def test_open_pause_stops_the_clock_unless_already_due(
    cal: BusinessCalendar, start: datetime, minutes: int, offset: int
) -> None:
    since = start + timedelta(minutes=offset)
    plain = due_time(cal, start, minutes)
    got = due_time(cal, start, minutes, [(since, None)])
    # a pause begun before the start counts from the start; a 0-minute target is due at the
    # first open moment when the clock runs
    stop = max(since, start)
    assert got == (plain if plain < stop or (minutes and plain == stop) else None)


@given(calendars, instants, offsets)
def test_remaining_is_signed_open_time(cal: BusinessCalendar, due: datetime, offset: timedelta) -> None:
    now = due + offset
    left = remaining_minutes(cal, due, now)
    assert left == -remaining_minutes(cal, now, due)
    if now <= due:
        assert left == business_minutes_between(cal, now, due) >= 0
    else:
        assert left == -business_minutes_between(cal, due, now) <= 0


@given(calendars, instants, int_minutes)
def test_remaining_at_the_start_is_the_target(cal: BusinessCalendar, start: datetime, m: int) -> None:
    assert remaining_minutes(cal, add_business_minutes(cal, start, m), start) == m
