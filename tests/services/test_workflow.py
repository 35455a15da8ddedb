"""Working a ticket: the status life cycle, SLA pauses, permissions, notes, assignment, transfer,
resolution, reopening and edits with optimistic locking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlmodel import select

from deskterm import clock
from deskterm.models import OPEN_STATUSES, PENDING_STATUSES, EventKind, KbArticle, Status, Ticket
from deskterm.services import sla, tickets, workflow
from deskterm.services.errors import Conflict, DeskError, InvalidInput, PermissionDenied
from deskterm.services.sla_calendar import due_time
from tests.factories import make_agent, make_ticket

MONDAY_9AM_SHANGHAI = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def frozen() -> clock.FrozenClock:
    c = clock.FrozenClock(MONDAY_9AM_SHANGHAI)
    clock.set_clock(c)
    return c


@pytest.fixture
def desk(db, frozen):  # type: ignore[no-untyped-def]
    """An operator, two Desktop Support engineers, a Network engineer and a supervisor."""
    people = {
        "op": make_agent(db, "olga", role="operator", team="Service Desk", tier=1),
        "eng": make_agent(db, "eddy", name="Eddy Engineer"),
        "eng2": make_agent(db, "erin", name="Erin Engineer"),
        "net": make_agent(db, "nick", team="Network"),
        "sup": make_agent(db, "sue", role="supervisor", team="Service Desk", name="Sue Supervisor"),
    }
    return db, people


def _ticket(db, number: str) -> Ticket:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.exec(select(Ticket).where(Ticket.number == number)).one()


def test_life_cycle_from_claim_to_close(desk, frozen):
    db, p = desk
    t = make_ticket(db, p["op"], impact=2, urgency=2)
    tickets.claim(db, p["eng"], t.number)
    v = workflow.change_status(db, p["eng"], t.number, Status.IN_PROGRESS)
    v = workflow.change_status(db, p["eng"], t.number, Status.PENDING_CUSTOMER, version=v)
    frozen.advance(hours=1)
    v = workflow.change_status(db, p["eng"], t.number, Status.IN_PROGRESS, version=v)
    v = workflow.resolve(db, p["eng"], t.number, "Reseated the memory", version=v)
    v = workflow.change_status(db, p["eng"], t.number, Status.CLOSED, version=v)
    detail = tickets.get_ticket(db, p["op"], t.number)
    assert (
        detail.status == Status.CLOSED and detail.version == v and detail.resolution == "Reseated the memory"
    )
    assert [e.kind for e in detail.events] == [
        EventKind.CREATED,
        EventKind.CLAIMED,
        EventKind.STATUS,
        EventKind.STATUS,
        EventKind.STATUS,
        EventKind.RESOLVED,
        EventKind.CLOSED,
    ]
    row = _ticket(db, t.number)
    assert row.closed_at == row.resolved_at == frozen.time and not row.is_open
    assert row.sla_paused_seconds == 3600 and row.sla_paused_at is None


@pytest.mark.parametrize(
    ("setup", "to", "reason"),
    [
        ([], Status.IN_PROGRESS, "claim it or have it assigned first"),
        ([], Status.RESOLVED, "resolve it: a resolution text is required"),
        (["claim"], Status.ASSIGNED, "is assigned already"),
        (["claim"], Status.CLOSED, "only a resolved ticket can be closed"),
        (["claim", "resolve"], Status.IN_PROGRESS, "reopen it"),
        (["claim", "resolve"], Status.PENDING_CUSTOMER, "reopen it"),
    ],
)
def test_illegal_moves_are_refused_with_a_reason(desk, setup, to, reason):
    db, p = desk
    t = make_ticket(db, p["op"])
    if "claim" in setup:
        tickets.claim(db, p["eng"], t.number)
    if "resolve" in setup:
        workflow.resolve(db, p["eng"], t.number, "fixed")
    before = _ticket(db, t.number)
    with pytest.raises(InvalidInput) as err:
        workflow.change_status(db, p["eng"], t.number, to)
    assert reason in str(err.value)
    after = _ticket(db, t.number)
    assert (after.status, after.version) == (before.status, before.version)


def test_pending_pauses_the_sla_clock_and_moves_the_due_time(desk, frozen):
    db, p = desk
    t = make_ticket(db, p["op"], impact=2, urgency=2)  # P3: resolve within 3 business days
    due_before = _ticket(db, t.number).resolve_by
    tickets.claim(db, p["eng"], t.number)
    workflow.change_status(db, p["eng"], t.number, Status.PENDING_THIRD_PARTY)
    paused = _ticket(db, t.number)
    assert paused.sla_paused_at == frozen.time and paused.resolve_by is None  # unknown while stopped
    frozen.advance(hours=2)  # 11:00 Shanghai, Monday: two business hours pass while waiting
    workflow.change_status(db, p["eng"], t.number, Status.IN_PROGRESS)
    resumed = _ticket(db, t.number)
    assert resumed.sla_paused_at is None and resumed.sla_paused_seconds == 7200
    # due Wednesday 18:00 Shanghai before; two business hours later: Thursday 11:00 Shanghai
    assert due_before == datetime(2026, 3, 4, 10, 0, tzinfo=UTC)
    assert resumed.resolve_by == datetime(2026, 3, 5, 3, 0, tzinfo=UTC)
    with db.read() as s:
        assert sla.pauses(s, resumed) == [(MONDAY_9AM_SHANGHAI, frozen.time)]


def test_a_ticket_due_before_its_pause_stays_breached(desk, frozen):
    db, p = desk
    t = make_ticket(db, p["op"], impact=1, urgency=1)  # P1: 4 h, 24x7
    due = _ticket(db, t.number).resolve_by
    tickets.claim(db, p["eng"], t.number)
    frozen.advance(hours=5)
    workflow.change_status(db, p["eng"], t.number, Status.PENDING_CUSTOMER)
    assert _ticket(db, t.number).resolve_by == due  # the pause came too late to move it


def test_permissions(desk):
    db, p = desk
    t = make_ticket(db, p["op"])
    tickets.claim(db, p["eng"], t.number)
    workflow.add_note(db, p["op"], t.number, "Customer called again")  # anyone may add a note
    with pytest.raises(PermissionDenied):
        workflow.change_status(db, p["op"], t.number, Status.IN_PROGRESS)
    with pytest.raises(PermissionDenied):
        workflow.resolve(db, p["net"], t.number, "not my team")
    workflow.change_status(db, p["eng2"], t.number, Status.IN_PROGRESS)  # same team may
    with pytest.raises(PermissionDenied):
        workflow.assign(db, p["eng2"], t.number, "erin")  # only supervisors reassign
    with pytest.raises(PermissionDenied):
        workflow.transfer(db, p["eng2"], t.number, team="Network", reason="mine now")  # Eddy's ticket
    workflow.assign(db, p["sup"], t.number, "erin", reason="Eddy is on leave")
    workflow.resolve(db, p["eng2"], t.number, "done")
    workflow.change_status(db, p["eng2"], t.number, Status.CLOSED)
    with pytest.raises(PermissionDenied, match="only a supervisor"):
        workflow.reopen(db, p["eng2"], t.number, "it broke again")
    workflow.reopen(db, p["sup"], t.number, "it broke again")
    row = _ticket(db, t.number)
    assert row.status == Status.IN_PROGRESS and row.closed_at is None and row.resolved_at is None


def test_allowed_actions_follow_the_rules(desk):
    db, p = desk
    t = make_ticket(db, p["op"], service_mode="on_site")
    assert workflow.get_view(db, p["op"], t.number).allowed == {"note", "watch"}
    eng_view = workflow.get_view(db, p["eng"], t.number)
    assert {"claim", "transfer", "resolve", "edit", "worksheet"} <= eng_view.allowed
    assert "assign" not in eng_view.allowed and "reopen" not in eng_view.allowed
    assert "assign" in workflow.get_view(db, p["sup"], t.number).allowed
    tickets.claim(db, p["eng"], t.number)
    assert "transfer" not in workflow.get_view(db, p["eng2"], t.number).allowed
    assert "claim" not in workflow.get_view(db, p["eng2"], t.number).allowed


def test_reopen_from_resolved_by_the_team(desk):
    db, p = desk
    t = make_ticket(db, p["op"])
    workflow.resolve(db, p["eng"], t.number, "Explained the setting")  # resolved unassigned
    with pytest.raises(InvalidInput, match="reason"):
        workflow.reopen(db, p["eng"], t.number, "  ")
    workflow.reopen(db, p["eng"], t.number, "Customer says no")
    row = _ticket(db, t.number)
    assert row.status == Status.NEW and row.is_open and row.resolution == ""


def test_resolve_needs_text_and_links_the_article(desk):
    db, p = desk
    with db.write() as s:
        s.add(
            KbArticle(
                external_id="KB-0042", title="Reset the BIOS", created_at=clock.now(), updated_at=clock.now()
            )
        )
    t = make_ticket(db, p["op"])
    tickets.claim(db, p["eng"], t.number)
    with pytest.raises(InvalidInput, match="resolution"):
        workflow.resolve(db, p["eng"], t.number, "   ")
    with pytest.raises(InvalidInput, match="KB-9999"):
        workflow.resolve(db, p["eng"], t.number, "done", article="KB-9999")
    workflow.resolve(db, p["eng"], t.number, "Reset the BIOS to defaults", article="KB-0042")
    view = workflow.get_view(db, p["eng"], t.number)
    assert view.detail.status == Status.RESOLVED and view.articles == ["KB-0042 Reset the BIOS"]
    assert view.detail.events[-1].data["article"] == "KB-0042"
    with db.read() as s:
        assert s.exec(select(KbArticle.usage_count).where(KbArticle.external_id == "KB-0042")).one() == 1


def test_transfer_to_a_team_and_to_an_agent(desk):
    db, p = desk
    t = make_ticket(db, p["op"])
    tickets.claim(db, p["eng"], t.number)
    workflow.change_status(db, p["eng"], t.number, Status.PENDING_CUSTOMER)
    with pytest.raises(InvalidInput, match="reason"):
        workflow.transfer(db, p["eng"], t.number, team="Network", reason="")
    workflow.transfer(db, p["eng"], t.number, team="Network", reason="It is the VPN")
    row = _ticket(db, t.number)
    assert (row.status, row.assignee_id, row.sla_paused_at) == (Status.NEW, None, None)
    assert workflow.get_view(db, p["net"], t.number).detail.team == "Network"
    workflow.transfer(db, p["net"], t.number, agent="eddy", reason="Needs a desk visit after all")
    detail = tickets.get_ticket(db, p["op"], t.number)
    assert (detail.status, detail.assignee, detail.team) == (
        Status.ASSIGNED,
        "Eddy Engineer",
        "Desktop Support",
    )
    assert detail.events[-1].kind == EventKind.TRANSFERRED and "desk visit" in detail.events[-1].body


def test_edit_refuses_a_stale_version_and_says_what_changed(desk):
    db, p = desk
    t = make_ticket(db, p["op"])
    tickets.claim(db, p["eng"], t.number)
    read_by_eng2 = workflow.get_view(db, p["eng2"], t.number)
    read_by_eng = workflow.get_view(db, p["eng"], t.number)
    workflow.edit(
        db, p["eng"], t.number, version=read_by_eng.version, changes={"summary": "PC dead after update"}
    )
    with pytest.raises(Conflict) as err:
        workflow.edit(
            db,
            p["eng2"],
            t.number,
            version=read_by_eng2.version,
            changes={"summary": "Laptop does not boot"},
            seen=workflow.snapshot(read_by_eng2.detail),
        )
    message = str(err.value)
    assert "changed meanwhile by Eddy Engineer" in message
    assert "summary Laptop will not boot → PC dead after update" in message and "Nothing was saved" in message
    assert tickets.get_ticket(db, p["op"], t.number).summary == "PC dead after update"


def test_edit_recomputes_priority_and_due_times_and_records_the_change(desk):
    db, p = desk
    t = make_ticket(db, p["op"], impact=3, urgency=3)
    tickets.claim(db, p["eng"], t.number)
    v = workflow.get_view(db, p["eng"], t.number).version
    with pytest.raises(InvalidInput) as err:
        workflow.edit(db, p["eng"], t.number, version=v, changes={"impact": 9, "kind": "x", "summary": " "})
    assert set(err.value.errors) == {"impact", "kind", "summary"}
    workflow.edit(db, p["eng"], t.number, version=v, changes={"impact": 1, "urgency": 1})
    detail = tickets.get_ticket(db, p["op"], t.number)
    assert detail.priority == 1 and detail.resolve_by == detail.created_at + timedelta(hours=4)
    assert detail.events[-1].data["changes"]["priority"] == [5, 1]


def test_notes_never_conflict(desk):
    db, p = desk
    t = make_ticket(db, p["op"])
    tickets.claim(db, p["eng"], t.number)
    seen = workflow.get_view(db, p["eng"], t.number)
    workflow.add_note(db, p["op"], t.number, "Caller asks for an update", public=True)
    workflow.add_note(db, p["eng2"], t.number, "Internal: spare part ordered")
    workflow.edit(db, p["eng"], t.number, version=seen.version, changes={"warranty": "in"})
    notes = [e for e in tickets.get_ticket(db, p["op"], t.number).events if e.kind == EventKind.NOTE]
    assert [(n.body, n.public) for n in notes] == [
        ("Caller asks for an update", True),
        ("Internal: spare part ordered", False),
    ]
    with pytest.raises(InvalidInput):
        workflow.add_note(db, p["op"], t.number, "  \n ")


def test_status_change_with_a_stale_version_is_refused(desk):
    db, p = desk
    t = make_ticket(db, p["op"])
    tickets.claim(db, p["eng"], t.number)
    v = workflow.get_view(db, p["eng"], t.number).version
    workflow.change_status(db, p["eng2"], t.number, Status.IN_PROGRESS, version=v)
    with pytest.raises(Conflict, match="Erin Engineer: status changed"):
        workflow.change_status(db, p["eng"], t.number, Status.PENDING_CUSTOMER, version=v)


# --- the status machine as a hypothesis state machine --------------------------------------------

ACTORS = ("op", "eng", "eng2", "net", "sup")


def test_status_machine(desk, frozen):
    db, people = desk

    class TicketMachine(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.number = make_ticket(db, people["op"], impact=2, urgency=2).number
            self.started = _ticket(db, self.number).created_at  # the clock starts again on a reopen
            self.pauses: list[tuple[datetime, datetime]] = []
            self.paused_since: datetime | None = None
            self.version = _ticket(db, self.number).version

        def _try(self, fn, *args, **kwargs) -> bool:  # type: ignore[no-untyped-def]
            before = _ticket(db, self.number)
            try:
                fn(db, *args, **kwargs)
            except DeskError:
                after = _ticket(db, self.number)
                assert after.version == before.version and after.status == before.status
                return False
            after = _ticket(db, self.number)
            unchanged = fn is workflow.add_note or (fn is workflow.edit and after.impact == before.impact)
            assert after.version > before.version or unchanged
            # the model of the SLA clock: pauses begin and end with the pending statuses
            if before.status not in PENDING_STATUSES and after.status in PENDING_STATUSES:
                self.paused_since = frozen.time
            if before.status in PENDING_STATUSES and after.status not in PENDING_STATUSES:
                assert self.paused_since is not None
                self.pauses.append((self.paused_since, frozen.time))
                self.paused_since = None
            return True

        @rule(who=st.sampled_from(ACTORS))
        def claim(self, who: str) -> None:
            self._try(lambda d, *a: tickets.claim(d, *a), people[who], self.number)

        @rule(to=st.sampled_from(list(Status)), who=st.sampled_from(ACTORS))
        def change_status(self, to: str, who: str) -> None:
            row = _ticket(db, self.number)
            ok = self._try(workflow.change_status, people[who], self.number, to)
            actor = people[who]
            legal = to in workflow.STATUS_MOVES[row.status] and workflow.may_work(
                actor, row.assignee_id, row.team_id
            )
            assert ok == legal, (row.status, to, who)

        @rule(to=st.sampled_from([Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY]))
        def team_works_on_it(self, to: str) -> None:
            # the common path, so pauses begin and end often: the team's engineer moves it
            self.claim("eng")
            self.change_status(to, "eng")

        @rule(who=st.sampled_from(ACTORS), text=st.sampled_from(["fixed", "", "Replaced the fan"]))
        def resolve(self, who: str, text: str) -> None:
            self._try(workflow.resolve, people[who], self.number, text)

        @rule(who=st.sampled_from(ACTORS))
        def reopen(self, who: str) -> None:
            if self._try(workflow.reopen, people[who], self.number, "not fixed"):
                self.started = frozen.time

        @rule(who=st.sampled_from(ACTORS), to_whom=st.sampled_from(["eng", "eng2", "net"]))
        def assign(self, who: str, to_whom: str) -> None:
            self._try(workflow.assign, people[who], self.number, people[to_whom].login)

        @rule(who=st.sampled_from(ACTORS), team=st.sampled_from(["Network", "Desktop Support"]))
        def transfer_to_team(self, who: str, team: str) -> None:
            self._try(workflow.transfer, people[who], self.number, team=team, reason="belongs there")

        @rule(who=st.sampled_from(ACTORS), impact=st.integers(1, 3))
        def edit_impact(self, who: str, impact: int) -> None:
            v = _ticket(db, self.number).version
            self._try(workflow.edit, people[who], self.number, version=v, changes={"impact": impact})

        @rule(who=st.sampled_from(ACTORS))
        def note(self, who: str) -> None:
            assert self._try(workflow.add_note, people[who], self.number, "called")

        @rule(minutes=st.integers(1, 60 * 30))
        def time_passes(self, minutes: int) -> None:
            frozen.advance(minutes=minutes)

        @invariant()
        def consistent(self) -> None:
            t = _ticket(db, self.number)
            assert t.is_open == (t.status in OPEN_STATUSES)
            if t.status == Status.NEW:
                assert t.assignee_id is None
            if t.status in (Status.ASSIGNED, Status.IN_PROGRESS, *PENDING_STATUSES):
                assert t.assignee_id is not None
            assert (t.sla_paused_at is not None) == (t.status in PENDING_STATUSES)
            assert (t.resolved_at is not None) == (t.status in (Status.RESOLVED, Status.CLOSED))
            assert (t.closed_at is not None) == (t.status == Status.CLOSED)
            if t.status in (Status.RESOLVED, Status.CLOSED):
                assert t.resolution
            # SLA pause and resume add up: recorded pauses == the model's, the paused seconds
            # == their sum, and the due time == the calendar's with those pauses
            with db.read() as s:
                recorded = sla.pauses(s, t)
                policy, cal = sla.policy_for(s, t.priority, "standard")
            assert sorted(recorded) == sorted(self.pauses)
            assert t.sla_paused_seconds == sum(int((b - a).total_seconds()) for a, b in self.pauses)
            assert t.sla_paused_at == self.paused_since
            pauses: list = [*self.pauses] + ([(self.paused_since, None)] if self.paused_since else [])
            assert t.resolve_by == due_time(cal, self.started, policy.resolve_minutes, pauses)

    run_state_machine_as_test(
        TicketMachine,
        settings=settings(
            max_examples=20,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        ),
    )


# --- the on-site work sheet ------------------------------------------------------------------------


def test_work_sheet_save_conflict_and_text(desk, frozen):
    from deskterm.services import worksheet

    db, p = desk
    phone = make_ticket(db, p["op"], "Password reset")
    with pytest.raises(InvalidInput, match="on-site"):
        worksheet.save_sheet(db, p["eng"], phone.number, version=0, address="x")
    t = make_ticket(db, p["op"], service_mode="on_site")
    assert worksheet.get_sheet(db, p["eng"], t.number).version == 0
    with pytest.raises(PermissionDenied):
        worksheet.save_sheet(db, p["op"], t.number, version=0, address="x")
    with pytest.raises(InvalidInput) as err:
        worksheet.save_sheet(
            db,
            p["eng"],
            t.number,
            version=0,
            finished_at=frozen.time,
            signed_by="Wang",
            parts=[worksheet.Part("  ")],
        )
    assert set(err.value.errors) == {"arrived_at", "part1"}
    v1 = worksheet.save_sheet(
        db,
        p["eng"],
        t.number,
        version=0,
        planned_at=frozen.time,
        address="Room 301, 88 Century Ave",
        engineer="eddy",
    )
    later = frozen.time + timedelta(hours=2)
    v2 = worksheet.save_sheet(
        db,
        p["eng2"],
        t.number,
        version=v1,
        planned_at=frozen.time,
        address="Room 301, 88 Century Ave",
        engineer="eddy",
        arrived_at=later,
        finished_at=later + timedelta(minutes=45),
        work_done="Replaced the PSU.\nTested.",
        signed_by="王先生",
        parts=[worksheet.Part("PSU 450W", "PSU-NEW-1", "PSU-OLD-9")],
    )
    with pytest.raises(Conflict, match="saved meanwhile by Erin Engineer"):
        worksheet.save_sheet(db, p["eng"], t.number, version=v1, address="stale")
    sheet = worksheet.get_sheet(db, p["op"], t.number)
    assert (sheet.version, sheet.engineer_name, sheet.signed_by) == (v2, "Eddy Engineer", "王先生")
    assert sheet.parts == [worksheet.Part("PSU 450W", "PSU-NEW-1", "PSU-OLD-9")]
    text = worksheet.render_text(sheet)
    assert "WORK SHEET 派工单" in text and "PSU-OLD-9" in text and "2026-03-02 11:00" in text  # Shanghai
    events = [e for e in tickets.get_ticket(db, p["op"], t.number).events if e.kind == worksheet.EVENT_KIND]
    assert len(events) == 2 and "signed off by 王先生" in events[-1].body


# --- the same actions from the command line --------------------------------------------------------


def _cli(db, *args):  # type: ignore[no-untyped-def]
    from typer.testing import CliRunner

    from deskterm.cli import make_app

    url = db.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(make_app(), ["--db", url, *args], env={"DESKTERM_PASSWORD": "secret-pw"})


def test_cli_work_commands_and_their_exit_codes(desk):
    db, p = desk
    t = make_ticket(db, p["op"], service_mode="on_site")
    n = t.number
    assert _cli(db, "ticket", "claim", n, "--as", "eddy").exit_code == 0
    taken = _cli(db, "ticket", "claim", n, "--as", "erin")
    assert taken.exit_code == 3 and f"{n} is already taken by Eddy Engineer" in taken.output
    assert len(taken.output.strip().splitlines()) == 1
    assert _cli(db, "ticket", "note", n, "Customer rang [b]", "--public", "--as", "olga").exit_code == 0
    denied = _cli(db, "ticket", "status", n, "in_progress", "--as", "olga")
    assert denied.exit_code == 4 and "may not change" in denied.output
    illegal = _cli(db, "ticket", "status", n, "closed", "--as", "eddy")
    assert illegal.exit_code == 2 and "only a resolved ticket can be closed" in illegal.output
    assert _cli(db, "ticket", "status", n, "pending_customer", "--as", "eddy").exit_code == 0
    stale = _cli(db, "ticket", "status", n, "in_progress", "--version", "2", "--as", "eddy")
    assert stale.exit_code == 3 and "changed meanwhile" in stale.output
    assert (
        _cli(db, "ticket", "transfer", n, "--agent", "erin", "--reason", "leave", "--as", "sue").exit_code
        == 0
    )
    assert _cli(db, "ticket", "assign", n, "eddy", "--as", "erin").exit_code == 4  # not a supervisor
    assert _cli(db, "ticket", "assign", n, "eddy", "--as", "sue").exit_code == 0
    no_text = _cli(db, "ticket", "resolve", n, "--resolution", " ", "--as", "eddy")
    assert no_text.exit_code == 2 and "resolution: required" in no_text.output
    assert _cli(db, "ticket", "resolve", n, "--resolution", "Swapped the PSU", "--as", "eddy").exit_code == 0
    assert _cli(db, "ticket", "reopen", n, "--reason", "again", "--as", "eddy").exit_code == 0
    detail = tickets.get_ticket(db, p["op"], n)
    assert (detail.status, detail.assignee) == (Status.IN_PROGRESS, "Eddy Engineer")
    kinds = [e.kind for e in detail.events]
    assert kinds.count(EventKind.NOTE) == 1 and EventKind.TRANSFERRED in kinds and EventKind.REOPENED in kinds
    sheet = _cli(db, "ticket", "sheet", n)
    assert sheet.exit_code == 0 and "WORK SHEET 派工单" in sheet.output


def test_cli_writes_the_work_sheet_to_a_file(desk, tmp_path):
    db, p = desk
    n = make_ticket(db, p["op"], service_mode="on_site").number
    tickets.claim(db, p["eng"], n)
    target = tmp_path / "sheet.txt"
    written = _cli(db, "ticket", "sheet", n, "--output", str(target))
    assert written.exit_code == 0 and str(target) in written.output
    text = target.read_text(encoding="utf-8")
    assert text == _cli(db, "ticket", "sheet", n).output  # the same text as printed
    assert "Engineer 工程师            Eddy Engineer" in text  # the assignee, no sheet saved yet
    refused = _cli(db, "ticket", "sheet", n, "-o", str(tmp_path / "missing" / "sheet.txt"))
    assert refused.exit_code == 2 and "cannot write" in refused.output
    assert "nothing was written" in refused.output
