"""The call figures (services/kpi/calls.py) on hand-built call records with known answers, both
backends: waiting now and the longest wait, service level, abandon rate (short abandons left out),
answer speed, talk, after-call work and the industry's handle time, per queue and in total; the
thresholds' colours; an empty desk divides by nothing; the report and the monitor agree."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.models import CallThreshold, PhoneCall
from deskterm.services import kpi, presence
from deskterm.services.errors import PermissionDenied
from deskterm.services.kpi import Threshold, rating
from tests.factories import make_agent

# Monday 2026-03-02 10:00 in Shanghai; the desk's day began at 2026-03-01 16:00 UTC.
NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
DAY = datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
_ids = itertools.count(1)


def call(
    db,  # type: ignore[no-untyped-def]
    queue: str,
    arrived: datetime,
    *,
    wait: int | None = None,
    talk: int | None = None,
    acw: int | None = None,
    abandoned: bool = False,
    seen: bool = False,
    direction: str = "in",
) -> None:
    """One call: answered after `wait` and talked `talk` seconds (None: still talking), abandoned
    after `wait`, or (neither) still waiting."""
    row = PhoneCall(call_id=f"c{next(_ids)}", direction=direction, queue=queue, arrived_at=arrived)
    if wait is not None:
        row.wait_seconds = wait
        if abandoned:
            row.ended_at = arrived + timedelta(seconds=wait)
            row.cause = "cancel"
        else:
            row.answered_at = arrived + timedelta(seconds=wait)
            if talk is not None:
                row.ended_at = row.answered_at + timedelta(seconds=talk)
                row.talk_seconds, row.acw_seconds = talk, acw
    if seen:
        row.seen_at = NOW
    with db.write() as s:
        s.add(row)


@pytest.fixture
def desk(db):  # type: ignore[no-untyped-def]
    t = NOW - timedelta(hours=2)
    # sales: answered in the target, answered late, a short abandon, a late and an early abandon
    call(db, "sales", t, wait=10, talk=100, acw=20)
    call(db, "sales", t, wait=20, talk=200, acw=40)
    call(db, "sales", t, wait=3, abandoned=True)
    call(db, "sales", t, wait=30, abandoned=True)
    call(db, "sales", t, wait=12, abandoned=True)
    # support: answered (no after-call work recorded yet), waiting 40 s, answered on the target and
    # still talking, and a call "ringing" for 5 hours (its hang-up lost: not waiting)
    call(db, "support", t, wait=5, talk=60)
    call(db, "support", NOW - timedelta(seconds=40))
    call(db, "support", t, wait=15)
    call(db, "support", NOW - timedelta(hours=5))
    # no queue: waiting 90 s
    call(db, "", NOW - timedelta(seconds=90))
    # yesterday: a missed call not seen yet, one seen; an outbound call today counts nowhere
    call(db, "sales", DAY - timedelta(hours=1), wait=8, abandoned=True)
    call(db, "sales", DAY - timedelta(hours=1), wait=8, abandoned=True, seen=True)
    call(db, "sales", t, wait=0, talk=500, acw=100, direction="out")
    return make_agent(db, "sue", role="supervisor")


def _by_queue(view: kpi.CallsView) -> dict[str | None, kpi.QueueCalls]:
    return {q.queue: q for q in [*view.queues, view.total]}


def test_each_queue_and_the_total_have_their_known_figures(db, desk):
    view = kpi.live_calls(db, desk, timezone="Asia/Shanghai", answer_target=15, now=NOW)
    assert [q.queue for q in view.queues] == ["sales", "support", ""]
    got = _by_queue(view)

    sales = got["sales"]
    assert (sales.waiting, sales.longest_wait_seconds, sales.missed_unseen) == (0, None, 4)
    f = sales.today
    assert (f.offered, f.answered, f.abandoned, f.short_abandoned, f.handled) == (4, 2, 2, 1, 2)
    assert f.service_level == pytest.approx(1 / 3)  # 1 in 15 s ÷ (2 answered + 1 abandoned after 15 s)
    assert f.abandon_rate == pytest.approx(0.5)
    assert f.asa_seconds == pytest.approx(15)
    assert (f.talk_seconds, f.acw_seconds, f.avg_talk_seconds, f.avg_acw_seconds) == (300, 60, 150, 30)
    assert f.aht_seconds == pytest.approx(180)

    support = got["support"]
    assert (support.waiting, support.longest_wait_seconds, support.missed_unseen) == (1, 40, 0)
    f = support.today
    assert (f.offered, f.answered, f.abandoned, f.handled) == (4, 2, 0, 1)
    assert (f.service_level, f.abandon_rate, f.asa_seconds, f.aht_seconds) == (1.0, 0.0, 10, 60)

    none = got[""]
    assert (none.waiting, none.longest_wait_seconds) == (1, 90)
    assert (none.today.service_level, none.today.asa_seconds, none.today.aht_seconds) == (None, None, None)

    total = view.total
    assert (total.waiting, total.longest_wait_seconds, total.missed_unseen) == (2, 90, 4)
    f = total.today
    assert (f.offered, f.answered, f.abandoned, f.handled) == (9, 4, 2, 3)
    assert f.service_level == pytest.approx(3 / 5)
    assert f.abandon_rate == pytest.approx(2 / 9)
    assert f.asa_seconds == pytest.approx(12.5)
    assert f.aht_seconds == pytest.approx((360 + 60) / 3)


def test_the_thresholds_colour_each_figure(db, desk):
    got = _by_queue(kpi.live_calls(db, desk, answer_target=15, now=NOW))
    # seeded: service level 80/70 (higher better), abandons 5/10 %, ASA 15/30 s, longest 30/60 s, waiting 3/6
    assert got[None].ratings == {
        "waiting": "green",
        "longest_wait": "red",
        "service_level": "red",
        "abandon_rate": "red",
        "asa": "green",
    }
    assert got["support"].ratings["longest_wait"] == "amber"
    assert got["sales"].ratings["longest_wait"] == ""  # nobody waiting: no colour
    with db.write() as s:  # the thresholds are data
        row = s.exec(select(CallThreshold).where(CallThreshold.figure == "service_level")).one()
        row.amber, row.red = 60.0, 50.0
    assert kpi.live_calls(db, desk, answer_target=15, now=NOW).total.ratings["service_level"] == "green"


@pytest.mark.parametrize(
    ("value", "higher", "expected"),
    [
        (90, True, "green"),
        (80, True, "green"),  # on the bound: the better side
        (79.9, True, "amber"),
        (70, True, "amber"),
        (69, True, "red"),
        (15, False, "green"),
        (15.1, False, "amber"),
        (30, False, "amber"),
        (31, False, "red"),
        (None, False, ""),
    ],
)
def test_a_value_is_rated_by_its_row(value, higher, expected):
    row = Threshold("x", 80, 70, True) if higher else Threshold("x", 15, 30, False)
    assert rating(value, row) == expected
    assert rating(value, None) == ""


def test_the_answer_target_is_a_setting(db, desk):
    total = kpi.live_calls(db, desk, answer_target=20, now=NOW).total.today
    # in 20 s: 10, 20, 5, 15; abandoned after 20 s: the 30 s one
    assert total.service_level == pytest.approx(4 / 5)


def test_an_empty_desk_divides_by_nothing(db):
    sue = make_agent(db, "sue", role="supervisor")
    view = kpi.live_calls(db, sue, now=NOW)
    assert view.queues == [] and not view.fed
    f = view.total.today
    assert (f.offered, f.service_level, f.abandon_rate, f.asa_seconds, f.aht_seconds) == (
        0,
        None,
        None,
        None,
        None,
    )
    assert view.total.longest_wait_seconds is None
    assert set(view.total.ratings.values()) <= {"", "green"}
    report = kpi.call_report(db, sue, DAY, NOW)
    assert not report.fed and report.total.aht_seconds is None


def test_the_report_has_the_monitors_figures_and_the_industry_handle_time(db, desk):
    clock.set_clock(clock.FrozenClock(NOW))
    report = kpi.call_report(db, desk, DAY, NOW, answer_target=15)
    live = kpi.live_calls(db, desk, answer_target=15, now=NOW)
    assert report.fed and report.total == live.total.today
    assert set(report.queues) == {"sales", "support", ""}
    figures, _tally = kpi.report(db, desk, DAY, NOW, timezone="Asia/Shanghai", direct=True)
    handled, source = kpi.with_call_handle_time(figures, report.total, report.fed)
    assert source == "calls" and handled.avg_handle_seconds == pytest.approx(140)
    assert handled.contacts_handled == 3
    before = kpi.call_report(db, desk, DAY - timedelta(days=3), DAY - timedelta(days=2))
    kept, source = kpi.with_call_handle_time(figures, before.total, before.fed)
    assert source == "states" and kept == figures  # no call records: the consoles' state log


def test_the_monitor_shows_the_calls_and_agents_by_state(db, desk):
    for login, state, ago in (
        ("ann", presence.ON_CALL, 30),
        ("bob", presence.ON_CALL, 200),
        ("cy", "available", 5),
    ):
        presence.publish(db, make_agent(db, login, role="operator"), state, at=NOW - timedelta(seconds=ago))
    monitor = kpi.Monitor(db, desk, timezone="Asia/Shanghai", answer_target=15, presence_timeout=1e9)
    view = monitor.refresh(now=NOW)
    assert view.calls is not None and view.calls.total.waiting == 2 and view.calls.fed
    assert view.handle_source == "calls" and view.kpis.avg_handle_seconds == pytest.approx(140)
    assert view.by_state == {
        "available": (1, NOW - timedelta(seconds=5)),
        "on_call": (2, NOW - timedelta(seconds=200)),  # the longest-standing of the two
    }


def test_the_call_figures_are_for_supervisors(db, desk):
    eddy = make_agent(db, "eddy", role="engineer")
    with pytest.raises(PermissionDenied):
        kpi.live_calls(db, eddy, now=NOW)
    with pytest.raises(PermissionDenied):
        kpi.call_report(db, eddy, DAY, NOW)
