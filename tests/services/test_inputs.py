"""Text from outside is cleaned where it enters (issue 12, point 7): every service that accepts text
stores it without escape sequences or control characters, and refuses a NUL, a lone surrogate (bad
UTF-8) and over-long text with InvalidInput naming the field; on both backends."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import String, select
from sqlmodel import AutoString

from deskterm.db import Database
from deskterm.kb import store
from deskterm.models import KbStatement, metadata
from deskterm.services import (
    agents,
    callbacks,
    directory,
    escalation,
    inputs,
    intake,
    kb,
    sla_admin,
    tickets,
    workflow,
    worksheet,
)
from deskterm.services.errors import InvalidInput, NotFound
from deskterm.services.intake import IntakeForm
from tests.factories import make_agent, make_ticket

# A screen clear, an OSC 52 clipboard write, a bell, an 8-bit CSI and a bare carriage return.
ATTACK = "a\x1b[2J\x1b[H\x1b]52;c;aGVsbG8=\x07b\x07\x9b1m\rc"
STORED_TEXT = "ab1m\nc"  # what free text keeps of it
STORED_LINE = "ab1m c"  # what a one-line field keeps of it
REFUSED = {
    "NUL": "a\x00b",
    "lone surrogate": "a\udcffb",  # b"\xff" decoded with surrogateescape
    "1,000,000 characters": "x" * 1_000_000,
}
CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


# --- the one function ------------------------------------------------------------------------------


def test_text_keeps_newline_and_tab_and_drops_the_rest():
    assert inputs.text(ATTACK, "note") == STORED_TEXT
    assert inputs.text("  one\r\n\ttwo [b]x[/] 王芳 😀  ", "note") == "one\n\ttwo [b]x[/] 王芳 😀"
    assert inputs.text("\x1b]0;an unterminated title", "note") == "0;an unterminated title"


def test_a_line_turns_line_breaks_into_spaces_and_is_held_to_its_column():
    from deskterm.models import Agent

    assert inputs.line(ATTACK, "name", Agent.name) == STORED_LINE
    assert inputs.line("x" * 120, "name", Agent.name) == "x" * 120
    with pytest.raises(InvalidInput) as e:
        inputs.line("x" * 121, "name", Agent.name)
    assert e.value.errors == {"name": "at most 120 characters"}


@pytest.mark.parametrize("bad", REFUSED.values(), ids=REFUSED.keys())
def test_refused_text_names_its_field_or_is_collected(bad):
    with pytest.raises(InvalidInput) as e:
        inputs.text(bad, "description")
    assert list(e.value.errors) == ["description"]
    errors: dict[str, str] = {}
    assert "\x00" not in inputs.text(bad, "description", errors=errors) and list(errors) == ["description"]


def test_a_key_is_cleaned_and_never_refused():
    assert inputs.key(" eddy\x1b[2J\n") == "eddy"
    assert (
        inputs.key("ed\x00dy") == "ed\ufffddy" and inputs.key("\udcff") == "\ufffd" and inputs.key(None) == ""
    )


# --- every entry point -----------------------------------------------------------------------------


@dataclass
class Desk:
    db: Database
    op: Any
    eng: Any
    sup: Any
    number: str  # claimed by eng, served on site
    resolved: str  # resolved by eng


@pytest.fixture
def desk(db) -> Desk:  # type: ignore[no-untyped-def]
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eng = make_agent(db, "eddy", team="Desktop Support")
    sup = make_agent(db, "sue", role="admin", team="Desktop Support", tier=3)
    number = make_ticket(db, op, service_mode="on_site").number
    tickets.claim(db, eng, number)
    resolved = make_ticket(db, op, "Mail is slow").number
    tickets.claim(db, eng, resolved)
    workflow.resolve(db, eng, resolved, "Cleared the outbox")
    return Desk(db, op, eng, sup, number, resolved)


def _call(**fields: Any) -> IntakeForm:
    values = {
        "name": "Li Lei",
        "organisation": "Acme",
        "phone": "139-1234-5678",
        "description": "The VPN drops every hour",
        "category": "Network/VPN",
    }
    return IntakeForm(**(values | fields))


def _version(d: Desk) -> int:
    return tickets.get_ticket(d.db, None, d.number).version


def _statement(d: Desk) -> int:
    kb.save_solution(d.db, d.sup, external_id=None, title="T", category="", lang="en", statements=["Reboot."])
    with d.db.read() as s:
        return s.exec(select(KbStatement.id)).scalars().first()  # type: ignore[call-overload]


def _edit_statement(d: Desk, statement_id: int, text: str) -> Any:
    version = kb.get_statements(d.db, [statement_id])[statement_id].version
    return kb.edit_statement(d.db, d.sup, statement_id, text, version=version)


Act = Callable[[Desk, str], Any]
ENTRY_POINTS: dict[str, tuple[Act, str]] = {
    "intake name": (lambda d, v: intake.save_call(d.db, d.op, _call(name=v)), "name"),
    "intake organisation": (lambda d, v: intake.save_call(d.db, d.op, _call(organisation=v)), "organisation"),
    "intake symptoms": (lambda d, v: intake.save_call(d.db, d.op, _call(description=v)), "description"),
    "intake summary": (lambda d, v: intake.save_call(d.db, d.op, _call(summary=v)), "summary"),
    "intake device": (
        lambda d, v: intake.save_call(
            d.db, d.op, _call(device_model=v, device_serial="SN-1", category="Hardware/PC")
        ),
        "device_model",
    ),
    "intake priority reason": (
        lambda d, v: intake.save_call(d.db, d.op, _call(priority=1, priority_reason=v)),
        "priority_reason",
    ),
    "chase": (lambda d, v: intake.chase(d.db, d.op, d.number, words=v), "words"),
    "new ticket": (lambda d, v: tickets.create_ticket(d.db, d.op, summary="x", description=v), "description"),
    "note": (lambda d, v: workflow.add_note(d.db, d.eng, d.number, v), "note"),
    "status note": (
        lambda d, v: workflow.change_status(d.db, d.eng, d.number, "in_progress", note=v),
        "note",
    ),
    "resolution": (lambda d, v: workflow.resolve(d.db, d.eng, d.number, v), "resolution"),
    "reopen reason": (lambda d, v: workflow.reopen(d.db, d.eng, d.resolved, v), "reason"),
    "assign reason": (lambda d, v: workflow.assign(d.db, d.sup, d.number, "sue", reason=v), "reason"),
    "transfer reason": (
        lambda d, v: workflow.transfer(d.db, d.eng, d.number, reason=v, team="Network"),
        "reason",
    ),
    "edited summary": (
        lambda d, v: workflow.edit(d.db, d.eng, d.number, version=_version(d), changes={"summary": v}),
        "summary",
    ),
    "edited description": (
        lambda d, v: workflow.edit(d.db, d.eng, d.number, version=_version(d), changes={"description": v}),
        "description",
    ),
    "work sheet": (
        lambda d, v: worksheet.save_sheet(d.db, d.eng, d.number, version=0, work_done=v),
        "work_done",
    ),
    "work sheet address": (
        lambda d, v: worksheet.save_sheet(d.db, d.eng, d.number, version=0, address=v),
        "address",
    ),
    "work sheet part": (
        lambda d, v: worksheet.save_sheet(d.db, d.eng, d.number, version=0, parts=[worksheet.Part(v)]),
        "part1",
    ),
    "agent name": (
        lambda d, v: agents.add_agent(
            d.db, d.sup, login="ann", name=v, number="777", role="operator", password="secret-pw"
        ),
        "name",
    ),
    "escalation rule name": (
        lambda d, v: escalation.add_rule(
            d.db, d.sup, name=v, when={"trigger": "chased", "at": [2]}, then={"notify_roles": ["supervisor"]}
        ),
        "name",
    ),
    "escalation reason": (
        lambda d, v: escalation.escalate(
            d.db, d.eng, d.number, mode="functional", reason=v, expected="2h", team="Network"
        ),
        "reason",
    ),
    "SLA policy name": (
        lambda d, v: sla_admin.add_policy(
            d.db,
            d.sup,
            priority=1,
            respond_minutes=10,
            resolve_minutes=60,
            calendar=sla_admin.list_calendars(d.db)[0].name,
            customer_class="vip",
            name=v,
        ),
        "name",
    ),
    "SLA calendar name": (lambda d, v: sla_admin.add_calendar(d.db, d.sup, name=v), "name"),
    "KB title": (
        lambda d, v: kb.save_solution(
            d.db, d.sup, external_id=None, title=v, category="", lang="en", statements=["x"]
        ),
        "title",
    ),
    "KB statement": (
        lambda d, v: kb.save_solution(
            d.db, d.sup, external_id=None, title="T", category="", lang="en", statements=[v]
        ),
        "statements",
    ),
    "KB statement edit": (lambda d, v: _edit_statement(d, _statement(d), v), "text"),
    "KB synonyms": (lambda d, v: kb.add_synonyms(d.db, d.sup, ["pc", v]), "terms"),
    "callback note": (lambda d, v: callbacks.record_not_fixed(d.db, d.op, d.resolved, v), "note"),
    "survey comment": (
        lambda d, v: callbacks.record_fixed(d.db, d.op, d.resolved, callbacks.SurveyAnswers(1, 1, 1, 1, v)),
        "comment",
    ),
}


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def stored_text(db: Database) -> list[str]:
    """Every string in the database, JSON columns (event data, rules, calendars) opened."""
    found: list[str] = []
    with db.read() as s:
        for table in metadata.sorted_tables:
            for column in table.columns:
                if not isinstance(column.type, String | AutoString):
                    continue
                for (value,) in s.execute(select(column)):
                    if value and value[:1] in "{[":
                        try:
                            found += _strings(json.loads(value))
                            continue
                        except ValueError:
                            pass
                    found += _strings(value)
    return found


@pytest.mark.parametrize("entry", ENTRY_POINTS, ids=list(ENTRY_POINTS))
def test_every_entry_point_stores_clean_text_and_refuses_the_rest(desk, entry):
    act, field = ENTRY_POINTS[entry]
    for bad in REFUSED.values():
        with pytest.raises(InvalidInput) as refused:
            act(desk, bad)
        assert field in refused.value.errors, (entry, refused.value.errors)
    act(desk, ATTACK)
    everything = stored_text(desk.db)
    assert any(STORED_TEXT in v or STORED_LINE in v for v in everything)
    assert [v for v in everything if CONTROLS.search(v)] == []


def test_the_kb_import_refuses_bad_lines_and_stores_the_rest_clean(db):
    good = {"id": "KB-1", "title": f"VPN {ATTACK}", "statements": [ATTACK], "tags": [ATTACK]}
    lines = [
        json.dumps(good),
        json.dumps({"id": "KB-2", "title": "a\x00b", "statements": ["x"]}),
        json.dumps({"id": "KB-3", "title": "T", "statements": ["x" * 1_000_000]}),
        '{"id": "KB-4", "title": "bad \udcff", "statements": ["x"]}',
        json.dumps({"id": "KB-5", "title": "x" * 301, "statements": ["x"]}),
    ]
    report = store.import_jsonl(db, lines)
    assert report.added == 1 and [n for n, _ in report.errors] == [2, 3, 4, 5]
    assert "'title'" in report.errors[0][1] and "'statements'" in report.errors[1][1]
    article = kb.get_article_by_external_id(db, "KB-1")
    assert article.title == f"VPN {STORED_LINE}" and [s.text for s in article.statements] == [STORED_TEXT]
    assert [v for v in stored_text(db) if CONTROLS.search(v)] == []


def test_a_name_over_its_column_is_refused_not_stored_or_cut(db):
    adm = make_agent(db, "adm", role="admin", team="Service Desk", tier=3)
    with pytest.raises(InvalidInput) as e:
        agents.add_agent(
            db, adm, login="ann", name="x" * 141, number="777", role="operator", password="pw-123"
        )
    assert e.value.errors == {"name": "at most 120 characters"}
    assert [a.login for a in directory.agents(db, adm)] == ["adm"]
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    with pytest.raises(InvalidInput) as e:
        tickets.create_ticket(db, op, summary="x" * 201)
    assert e.value.errors == {"summary": "at most 200 characters"}


def test_lookups_with_bad_characters_find_nothing(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    for number in ("SR-\x00", "\udcff"):
        with pytest.raises(NotFound):
            tickets.get_ticket(db, op, number)
    adm = make_agent(db, "adm", role="admin", team="Service Desk", tier=3)
    with pytest.raises(NotFound):
        agents.set_active(db, adm, "ol\x00ga", False)
    with pytest.raises(NotFound):
        kb.get_article_by_external_id(db, "KB-\x00")  # `ticket create --json` with "kb_article"
