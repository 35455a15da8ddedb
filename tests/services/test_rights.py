"""Who may manage whom (issue 12 point 9), and rights checked on every action, not only at login
(point 10): a deactivated or demoted agent's Actor can do nothing more, in any service."""

from __future__ import annotations

import ast
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncssh
import pytest
from sqlmodel import select

from deskterm import clock
from deskterm.db import Database
from deskterm.kb import store
from deskterm.models import Agent, Customer, CustomerPhone, Device, KbStatement, Organisation
from deskterm.services import (
    agents,
    auth,
    call_traffic,
    callbacks,
    calls,
    customers,
    demo,
    directory,
    escalation,
    intake,
    intake_caller,
    kb,
    kpi,
    notify,
    presence,
    queue,
    remote,
    sla_admin,
    tickets,
    workflow,
    worksheet,
)
from deskterm.services.auth import Actor, RightsChanged
from deskterm.services.errors import Conflict, InvalidInput, LoginFailed, PermissionDenied
from tests.factories import make_agent, make_ticket

KEY = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
TEAM, OTHER_TEAM = "Desktop Support", "Network"

# --- point 9: actor role x target role x action -----------------------------------------------------
# Every target is in Desktop Support. "supervisor" is Desktop Support's own supervisor, "other
# supervisor" Network's. change_role moves an operator or engineer to the other of those two roles
# (what a supervisor may do for their team) and a supervisor or admin down to engineer.
TABLE = """
actor             action          operator  engineer  supervisor  admin
admin             add             yes       yes       yes         yes
admin             change_role     yes       yes       yes         yes
admin             reset_password  yes       yes       yes         yes
admin             deactivate      yes       yes       yes         yes
admin             activate        yes       yes       yes         yes
admin             edit            yes       yes       yes         yes
supervisor        add             yes       yes       no          no
supervisor        change_role     yes       yes       no          no
supervisor        reset_password  yes       yes       no          no
supervisor        deactivate      yes       yes       no          no
supervisor        activate        yes       yes       no          no
supervisor        edit            yes       yes       no          no
other_supervisor  add             no        no        no          no
other_supervisor  change_role     no        no        no          no
other_supervisor  reset_password  no        no        no          no
other_supervisor  deactivate      no        no        no          no
other_supervisor  activate        no        no        no          no
other_supervisor  edit            no        no        no          no
engineer          add             no        no        no          no
engineer          change_role     no        no        no          no
engineer          reset_password  no        no        no          no
engineer          deactivate      no        no        no          no
engineer          activate        no        no        no          no
engineer          edit            no        no        no          no
operator          add             no        no        no          no
operator          change_role     no        no        no          no
operator          reset_password  no        no        no          no
operator          deactivate      no        no        no          no
operator          activate        no        no        no          no
operator          edit            no        no        no          no
"""
ROLES = ("operator", "engineer", "supervisor", "admin")
ROWS = [line.split() for line in TABLE.strip().splitlines()[1:]]
ACTIONS = sorted({row[1] for row in ROWS})
ACTORS = {  # actor kind -> (role, team)
    "admin": ("admin", TEAM),
    "supervisor": ("supervisor", TEAM),
    "other_supervisor": ("supervisor", OTHER_TEAM),
    "engineer": ("engineer", TEAM),
    "operator": ("operator", TEAM),
}


def _act(db: Database, actor: Actor, action: str, role: str, login: str) -> None:
    """Do `action` as `actor` on the agent `login` (of `role`, in TEAM); for add, create it."""
    if action == "add":
        agents.add_agent(
            db, actor, login=login, name="New", number=str(abs(hash(login)) % 10**9), role=role,
            team=TEAM, password="first-pw",
        )  # fmt: skip
    elif action == "change_role":
        new = {"operator": "engineer", "engineer": "operator"}.get(role, "engineer")
        agents.edit_agent(db, actor, login, role=new)
    elif action == "reset_password":
        agents.set_password(db, actor, login, "changed-pw")
    elif action == "deactivate":
        agents.set_active(db, actor, login, False)
    elif action == "activate":
        agents.set_active(db, actor, login, True)
    elif action == "edit":
        agents.edit_agent(db, actor, login, name="Renamed", email="x@desk.example")
    else:
        raise AssertionError(action)


@pytest.mark.parametrize("action", ACTIONS)
def test_who_may_manage_whom(db: Database, action: str) -> None:
    root = make_agent(db, "root", role="admin", team=TEAM, tier=3)
    actors = {kind: make_agent(db, f"a-{kind}", role=r, team=t) for kind, (r, t) in ACTORS.items()}
    got, want = {}, {}
    for kind, verb, *cells in (row for row in ROWS if row[1] == action):
        for role, expected in zip(ROLES, cells, strict=True):
            login = f"t-{kind}-{role}"
            if action != "add":
                make_agent(db, login, role=role, team=TEAM)
                if action == "activate":
                    agents.set_active(db, root, login, False)
            try:
                _act(db, actors[kind], verb, role, login)
                got[(kind, role)] = "yes"
            except PermissionDenied:
                got[(kind, role)] = "no"
            want[(kind, role)] = expected
    assert got == want


def test_the_reported_escalation_is_refused(db: Database) -> None:
    """A supervisor added an admin, reset the admin's password and logged in as admin."""
    sue = make_agent(db, "sue", role="supervisor", team=TEAM)
    make_agent(db, "root", role="admin", team=TEAM, password="root-secret")
    with pytest.raises(PermissionDenied, match="only an admin manages admins"):
        agents.add_agent(db, sue, login="evil", name="Evil", number="666", role="admin", password="evil-pw")
    with pytest.raises(PermissionDenied, match="only an admin manages admins"):
        agents.set_password(db, sue, "root", "taken-over")
    with pytest.raises(LoginFailed):
        auth.login(db, "root", "taken-over")
    assert auth.login(db, "root", "root-secret").role == "admin"


def test_supervisors_keep_to_their_own_team_and_roles(db: Database) -> None:
    sue = make_agent(db, "sue", role="supervisor", team=TEAM)
    make_agent(db, "eddy", role="engineer", team=TEAM)
    for change in ({"role": "supervisor"}, {"role": "admin"}, {"team": OTHER_TEAM}):
        with pytest.raises(PermissionDenied):
            agents.edit_agent(db, sue, "eddy", **change)
    with pytest.raises(PermissionDenied, match="own team"):
        agents.add_agent(
            db, sue, login="x", name="X", number="700", role="engineer", team=OTHER_TEAM, password="xxxxxx"
        )
    row = agents.edit_agent(db, sue, "eddy", role="operator", tier=1, name="Eddy E.")
    assert (row.role, row.tier, row.team, row.name) == ("operator", 1, TEAM, "Eddy E.")


@pytest.mark.parametrize("role", ROLES)
def test_nobody_raises_or_changes_their_own_role(db: Database, role: str) -> None:
    me = make_agent(db, "me", role=role, team=TEAM, password="my-secret")
    for other in ROLES:
        if other != role:
            with pytest.raises(PermissionDenied):
                agents.edit_agent(db, me, "me", role=other)
    with pytest.raises((PermissionDenied, InvalidInput)):
        agents.set_active(db, me, "me", False)
    agents.set_password(db, me, "me", "my-new-secret")  # everyone sets their own password
    assert auth.login(db, "me", "my-new-secret").role == role


def test_the_first_admin_of_an_empty_desk_needs_no_actor_and_only_the_first(db: Database) -> None:
    with pytest.raises(InvalidInput, match="admin"):
        agents.add_agent(db, None, login="op", name="Op", number="1", role="operator", password="secret-pw")
    agents.add_agent(db, None, login="root", name="Root", number="2", role="admin", password="secret-pw")
    with pytest.raises(PermissionDenied, match="has agents"):
        agents.add_agent(db, None, login="two", name="Two", number="3", role="admin", password="secret-pw")
    assert [a.login for a in directory.agents(db, auth.login(db, "root", "secret-pw"))] == ["root"]


def test_two_first_admins_at_once_give_one(db: Database) -> None:
    outcomes: list[str] = []

    def add(i: int) -> None:
        try:
            agents.add_agent(
                db, None, login=f"root{i}", name="R", number=f"{i}", role="admin", password="secret-pw"
            )
            outcomes.append("added")
        except (PermissionDenied, Conflict):
            outcomes.append("refused")

    threads = [threading.Thread(target=add, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["added", "refused", "refused", "refused"]


# --- point 10: an Actor in hand is re-checked on every action ------------------------------------------


@dataclass
class Desk:
    db: Database
    actor: Actor  # root: an admin of Desktop Support, allowed everything
    open_no: str
    resolved_no: str
    customer_id: int
    serial: str
    article_id: int
    statement_id: int
    synonym_id: int
    ticket_id: int
    monitor: kpi.Monitor


ARTICLE = {"id": "KB-9", "lang": "en", "title": "Printer jam", "category": "", "statements": ["Open it."]}


@pytest.fixture
def desk(db: Database) -> Desk:
    clock.set_clock(clock.FrozenClock(datetime(2026, 3, 9, 2, 0, tzinfo=UTC)))
    root = make_agent(db, "root", role="admin", team=TEAM, tier=3)
    make_agent(db, "boss", role="admin", team="Service Desk", tier=3)
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", role="engineer", team=TEAM)
    with db.write() as s:
        org = Organisation(name="Acme", created_at=clock.now())
        s.add(org)
        s.flush()
        who = Customer(name="Li Lei", organisation_id=org.id, created_at=clock.now())
        s.add(who)
        s.flush()
        s.add(CustomerPhone(customer_id=who.id, number="13812345678", digits="13812345678"))
        s.add(Device(serial="SN-1", model="X1", customer_id=who.id, created_at=clock.now()))
        customer_id = who.id
    open_t = make_ticket(db, op, "Laptop will not boot", customer_id=customer_id, service_mode="on_site")
    done = make_ticket(db, op, "Printer jams")
    tickets.claim(db, eng, done.number)
    workflow.resolve(db, eng, done.number, "Cleared the jam")
    store.import_jsonl(db, [json.dumps(ARTICLE)])
    article_id = kb.get_article_by_external_id(db, "KB-9").id
    with db.read() as s:
        statement_id = s.exec(select(KbStatement.id)).first()
    synonym_id = kb.add_synonyms(db, root, ["laptop", "notebook"])
    return Desk(
        db, root, open_t.number, done.number, customer_id, "SN-1", article_id, statement_id,  # type: ignore[arg-type]
        synonym_id, open_t.id, kpi.Monitor(db, root),
    )  # fmt: skip


FORM = intake.IntakeForm(
    name="Han Mei", organisation="Acme", phone="13900001111", description="Screen stays black",
    category="Hardware/PC",
)  # fmt: skip
DAY = datetime(2026, 3, 8, tzinfo=UTC)

# Every service action that takes an Actor, called as the desk's admin would: (name, call).
CALLS: list[tuple[str, Callable[[Desk], Any]]] = [
    ("directory.agents", lambda d: directory.agents(d.db, d.actor)),
    ("directory.assignee_load", lambda d: directory.assignee_load(d.db, d.actor, timeout=60)),
    ("agents.add_agent", lambda d: agents.add_agent(
        d.db, d.actor, login="new", name="New", number="555", role="engineer", team=TEAM,
        password="secret-pw")),
    ("agents.set_password", lambda d: agents.set_password(d.db, d.actor, "eddy", "another-pw")),
    ("agents.set_active", lambda d: agents.set_active(d.db, d.actor, "eddy", False)),
    ("agents.set_language", lambda d: agents.set_language(d.db, d.actor, "zh")),
    ("agents.edit_agent", lambda d: agents.edit_agent(d.db, d.actor, "eddy", name="E")),
    ("auth.login_log", lambda d: auth.login_log(d.db, d.actor, "eddy")),
    ("callbacks.callback_list", lambda d: callbacks.callback_list(d.db, d.actor)),
    ("callbacks.sheet", lambda d: callbacks.sheet(d.db, d.actor, d.resolved_no)),
    ("callbacks.record_fixed", lambda d: callbacks.record_fixed(d.db, d.actor, d.resolved_no, None)),
    ("callbacks.record_not_fixed", lambda d: callbacks.record_not_fixed(d.db, d.actor, d.resolved_no, "no")),
    ("callbacks.record_no_answer", lambda d: callbacks.record_no_answer(d.db, d.actor, d.resolved_no)),
    ("calls.reveal_cti_token", lambda d: calls.reveal_cti_token(d.db, d.actor)),
    ("calls.rotate_cti_token", lambda d: calls.rotate_cti_token(d.db, d.actor)),
    ("calls.get_call", lambda d: calls.get_call(d.db, d.actor, 1)),
    ("calls.list_calls", lambda d: calls.list_calls(d.db, d.actor)),
    ("call_traffic.traffic_cast", lambda d: call_traffic.traffic_cast(d.db, d.actor)),
    ("calls.call_to_wrap_up", lambda d: calls.call_to_wrap_up(d.db, d.actor)),
    ("calls.finish_after_call", lambda d: calls.finish_after_call(d.db, d.actor, "solved", cap_seconds=120)),
    ("calls.missed_calls", lambda d: calls.missed_calls(d.db, d.actor)),
    ("calls.mark_seen", lambda d: calls.mark_seen(d.db, d.actor, [1])),
    ("customers.lookup", lambda d: customers.lookup(d.db, d.actor, "1381234")),
    ("customers.search", lambda d: customers.search(d.db, d.actor, "Zhang")),
    ("customers.caller_pop", lambda d: customers.caller_pop(d.db, d.actor, d.customer_id)),
    ("intake_caller.callers_of", lambda d: intake_caller.callers_of(d.db, d.actor, "1381234")),
    ("customers.device_by_serial", lambda d: customers.device_by_serial(d.db, d.actor, d.serial)),
    ("demo.ensure_agents", lambda d: demo.ensure_agents(d.db, d.actor, with_demo_logins=True)),
    ("demo.generate", lambda d: demo.generate(d.db, actor=d.actor, with_demo_logins=True, tickets=1)),
    ("escalation.add_rule", lambda d: escalation.add_rule(
        d.db, d.actor, name="r", when={"trigger": "complaint"}, then={"hierarchical": True})),
    ("escalation.set_enabled", lambda d: escalation.set_enabled(d.db, d.actor, "r", False)),
    ("escalation.escalation_options", lambda d: escalation.escalation_options(d.db, d.actor, d.open_no)),
    ("escalation.escalate", lambda d: escalation.escalate(
        d.db, d.actor, d.open_no, mode="functional", reason="needs tier 3", expected="2h")),
    ("intake_duplicates.find_duplicates", lambda d: intake.find_duplicates(d.db, d.actor, FORM)),
    ("intake_save.save_call", lambda d: intake.save_call(d.db, d.actor, FORM, on_duplicate="create")),
    ("intake_save.chase", lambda d: intake.chase(d.db, d.actor, d.open_no, words="again")),
    ("remote.add_key", lambda d: remote.add_key(d.db, d.actor, d.actor.login, KEY)),
    ("remote.list_keys", lambda d: remote.list_keys(d.db, d.actor)),
    ("remote.remove_key", lambda d: remote.remove_key(d.db, d.actor, d.actor.login, "1")),
    ("drafts.restore_draft", lambda d: intake.restore_draft(d.db, d.actor, {})),
    ("kb_articles.solved_it", lambda d: kb.solved_it(d.db, d.actor, d.open_no, d.article_id)),
    ("kb_articles.copy_to_note", lambda d: kb.copy_to_note(d.db, d.actor, d.open_no, d.article_id)),
    ("kb_edit.save_solution", lambda d: kb.save_solution(
        d.db, d.actor, external_id=None, title="T", category="", lang="en", statements=["S."])),
    ("kb_edit.set_status", lambda d: kb.set_status(d.db, d.actor, d.article_id, "retired")),
    ("kb_statements.edit_statement", lambda d: kb.edit_statement(
        d.db, d.actor, d.statement_id, "Open it now.", version=1)),
    ("kb_edit.draft_from_ticket", lambda d: kb.draft_from_ticket(d.db, d.actor, d.resolved_no)),
    ("kb_admin.add_synonyms", lambda d: kb.add_synonyms(d.db, d.actor, ["pc", "computer"])),
    ("kb_admin.remove_synonyms", lambda d: kb.remove_synonyms(d.db, d.actor, d.synonym_id)),
    ("kb_admin.import_solutions", lambda d: kb.import_solutions(d.db, d.actor, [json.dumps(ARTICLE)])),
    ("kpi.Monitor", lambda d: kpi.Monitor(d.db, d.actor)),
    ("kpi.Monitor.refresh", lambda d: d.monitor.refresh()),
    ("kpi.tickets_behind", lambda d: kpi.tickets_behind(d.db, d.actor, kpi.Figure("backlog"))),
    ("kpi.report", lambda d: kpi.report(d.db, d.actor, DAY, DAY + timedelta(days=1))),
    ("kpi.surveys_behind", lambda d: kpi.surveys_behind(d.db, d.actor, kpi.Figure("csat"))),
    ("kpi.rebuild_rollup", lambda d: kpi.rebuild_rollup(d.db, d.actor, "UTC")),
    ("kpi.live_calls", lambda d: kpi.live_calls(d.db, d.actor)),
    ("kpi.call_report", lambda d: kpi.call_report(d.db, d.actor, DAY, DAY + timedelta(days=1))),
    ("notify.list_inbox", lambda d: notify.list_inbox(d.db, d.actor)),
    ("notify.unread_count", lambda d: notify.unread_count(d.db, d.actor)),
    ("notify.news", lambda d: notify.news(d.db, d.actor, 0)),
    ("notify.mark_read", lambda d: notify.mark_read(d.db, d.actor, [1])),
    ("notify.mark_all_read", lambda d: notify.mark_all_read(d.db, d.actor)),
    ("presence.publish", lambda d: presence.publish(d.db, d.actor, presence.AVAILABLE)),
    ("presence.beat", lambda d: presence.beat(d.db, d.actor)),
    ("presence.leave", lambda d: presence.leave(d.db, d.actor)),
    ("presence.states", lambda d: presence.states(d.db, d.actor, timeout=60)),
    ("queue.page", lambda d: queue.page(d.db, d.actor, "team")),
    ("queue.counts", lambda d: queue.counts(d.db, d.actor)),
    ("queue.rows_by_ids", lambda d: queue.rows_by_ids(d.db, d.actor, [d.ticket_id])),
    ("queue.read_window", lambda d: queue.read_window(d.db, d.actor, "team")),
    ("sla_admin.add_policy", lambda d: sla_admin.add_policy(
        d.db, d.actor, priority=2, customer_class="key", respond_minutes=10, resolve_minutes=60,
        calendar="24x7")),
    ("sla_admin.edit_policy", lambda d: sla_admin.edit_policy(d.db, d.actor, "P5", resolve_minutes=600)),
    ("sla_admin.add_calendar", lambda d: sla_admin.add_calendar(d.db, d.actor, name="Berlin")),
    ("sla_admin.edit_calendar", lambda d: sla_admin.edit_calendar(d.db, d.actor, "24x7", timezone="UTC")),
    ("sla_admin.load_holidays", lambda d: sla_admin.load_holidays(
        d.db, d.actor, "24x7", country="DE", years=[2027])),
    ("tickets.list_tickets", lambda d: tickets.list_tickets(d.db, d.actor)),
    ("tickets.my_open_tickets", lambda d: tickets.my_open_tickets(d.db, d.actor)),
    ("tickets.team_unassigned", lambda d: tickets.team_unassigned(d.db, d.actor)),
    ("tickets.get_ticket", lambda d: tickets.get_ticket(d.db, d.actor, d.open_no)),
    ("tickets.open_ticket", lambda d: d.db.retrying(lambda s: tickets.open_ticket(s, d.actor, summary="x"))),
    ("tickets.create_ticket", lambda d: tickets.create_ticket(d.db, d.actor, summary="Mouse dead")),
    ("tickets.claim", lambda d: tickets.claim(d.db, d.actor, d.open_no)),
    ("workflow.get_view", lambda d: workflow.get_view(d.db, d.actor, d.open_no)),
    ("workflow.add_note", lambda d: workflow.add_note(d.db, d.actor, d.open_no, "still here")),
    ("workflow.change_status", lambda d: workflow.change_status(d.db, d.actor, d.resolved_no, "closed")),
    ("workflow.resolve", lambda d: workflow.resolve(d.db, d.actor, d.open_no, "fixed")),
    ("workflow.reopen", lambda d: workflow.reopen(d.db, d.actor, d.resolved_no, "back")),
    ("workflow.assign", lambda d: workflow.assign(d.db, d.actor, d.open_no, "eddy")),
    ("workflow.assign_many", lambda d: workflow.assign_many(d.db, d.actor, [(d.open_no, 1)], "eddy")),
    ("workflow.transfer", lambda d: workflow.transfer(d.db, d.actor, d.open_no, reason="r", team=OTHER_TEAM)),
    ("workflow.edit", lambda d: workflow.edit(d.db, d.actor, d.open_no, version=1, changes={"impact": 2})),
    ("workflow.watch", lambda d: workflow.watch(d.db, d.actor, d.open_no)),
    ("worksheet.get_sheet", lambda d: worksheet.get_sheet(d.db, d.actor, d.open_no)),
    ("worksheet.save_sheet", lambda d: worksheet.save_sheet(
        d.db, d.actor, d.open_no, version=0, address="x")),
]  # fmt: skip


def _refusals(desk: Desk) -> dict[str, str]:
    """What each call did: the refusal's message, or what else happened."""
    out = {}
    for name, call in CALLS:
        try:
            call(desk)
            out[name] = "done"
        except RightsChanged as e:
            out[name] = str(e)
        except Exception as e:  # noqa: BLE001 - reported below by name
            out[name] = f"{type(e).__name__}: {e}"
    return out


def test_a_deactivated_agents_actor_can_do_nothing_more(desk: Desk) -> None:
    boss = auth.login(desk.db, "boss", "secret-pw")
    agents.set_active(desk.db, boss, "root", False)
    got = _refusals(desk)
    assert {name: m for name, m in got.items() if "root has been deactivated" not in m} == {}


def test_a_demoted_agents_actor_can_do_nothing_more(desk: Desk) -> None:
    boss = auth.login(desk.db, "boss", "secret-pw")
    agents.edit_agent(desk.db, boss, "root", role="engineer")
    got = _refusals(desk)
    assert {name: m for name, m in got.items() if "rights of root have changed" not in m} == {}


def test_a_team_change_or_a_withdrawn_kb_right_is_noticed(db: Database) -> None:
    boss = make_agent(db, "boss", role="admin", team="Service Desk")
    eddy = make_agent(db, "eddy", role="engineer", team=TEAM, kb_editor=True)
    agents.edit_agent(db, boss, "eddy", kb_editor=False)
    with pytest.raises(RightsChanged):
        kb.add_synonyms(db, eddy, ["pc", "computer"])
    eddy = auth.login(db, "eddy", "secret-pw")
    with pytest.raises(PermissionDenied, match="may not edit the knowledge base"):
        kb.add_synonyms(db, eddy, ["pc", "computer"])
    agents.edit_agent(db, boss, "eddy", team=OTHER_TEAM)
    with pytest.raises(RightsChanged):
        tickets.my_open_tickets(db, eddy)


def test_every_service_action_taking_an_actor_is_in_the_table() -> None:
    """A new service function that takes an Actor joins CALLS (and so runs `require`)."""
    found = set()
    services = Path(auth.__file__).parent
    for path in sorted(services.rglob("*.py")):
        module = path.relative_to(services).parts[0].removesuffix(".py")  # a package: the name callers use
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef) or node.name.startswith(("_", "require")):
                continue
            names = [a.arg for a in (*node.args.args, *node.args.kwonlyargs)]
            if "actor" in names and {"db", "session", "s", "self"} & set(names):
                found.add(f"{module}.{node.name}")
    found |= {"kpi.Monitor", "kpi.Monitor.refresh"}
    found -= {"kpi.__init__"}
    assert found - {name for name, _call in CALLS} == set()


def test_the_agent_row_is_read_for_share_in_a_write_on_postgresql(db: Database) -> None:
    """The check and the write commit together: a deactivation waits for a running write."""
    root = make_agent(db, "root", role="admin", team=TEAM)
    if db.is_sqlite:
        pytest.skip("SQLite: BEGIN IMMEDIATE serialises writers already")
    from sqlalchemy import text

    with db.write() as s:
        auth.require(s, root)
        with db.engine.connect() as other:
            other.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(Exception, match="lock"):
                other.execute(text("UPDATE agent SET active = false WHERE login = 'root'"))
    with db.read() as s:
        assert s.exec(select(Agent.active).where(Agent.login == "root")).one()
