"""Issue 12, point 6 (tickets): no lost updates. A change a person decided from what they saw names the
version they saw: the console passes the version it showed, the CLI the version it read as the command
started (--version overrides it); a change that raced is refused (exit 3, one line), nothing written."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from deskterm.cli import make_app
from deskterm.models import Status
from deskterm.services import escalation, tickets, workflow
from tests.factories import make_agent, make_ticket
from tests.invariants import violations

ROOT = Path(__file__).resolve().parents[2]
VERSIONED = {
    "workflow": {"change_status", "resolve", "reopen", "assign", "transfer", "edit"},
    "escalation": {"escalate"},
}


def _service(node: ast.expr) -> str | None:
    if (
        isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.attr in VERSIONED.get(node.value.id, ())
    ):
        return f"{node.value.id}.{node.attr}"
    return None


def test_the_console_and_the_cli_always_pass_the_version_they_acted_on():
    """Direct calls and calls through call_service(fn, …): every one names `version`."""
    missing = []
    for path in sorted((ROOT / "deskterm").rglob("*.py")):
        if "services" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _service(node.func) or next((n for n in map(_service, node.args) if n), None)
            if name and not any(k.arg == "version" for k in node.keywords):
                missing.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    assert not missing, missing


def _cli(db, *args: str):  # type: ignore[no-untyped-def]
    url = db.engine.url.render_as_string(hide_password=False)
    return CliRunner().invoke(make_app(), ["--db", url, *args], env={"DESKTERM_PASSWORD": "secret-pw"})


# command, the service it calls, the ticket's state before (claimed by eddy; resolved)
COMMANDS: list[tuple[list[str], Any, str, bool]] = [
    (["status", "{n}", "pending_customer", "--as", "eddy"], (workflow, "change_status"), "eddy", False),
    (
        ["resolve", "{n}", "--resolution", "Reseated the RAM", "--as", "eddy"],
        (workflow, "resolve"),
        "eddy",
        False,
    ),
    (["reopen", "{n}", "--reason", "It is back", "--as", "eddy"], (workflow, "reopen"), "eddy", True),
    (["assign", "{n}", "erin", "--as", "sue"], (workflow, "assign"), "eddy", False),
    (
        ["transfer", "{n}", "--reason", "Network fault", "--team", "Network", "--as", "eddy"],
        (workflow, "transfer"),
        "eddy",
        False,
    ),
    (
        ["escalate", "{n}", "--reason", "Needs 3rd line", "--expected", "2h", "--as", "eddy"],
        (escalation, "escalate"),
        "eddy",
        False,
    ),
]


@pytest.mark.parametrize("command,service,claimer,resolved", COMMANDS, ids=[c[0][0] for c in COMMANDS])
def test_a_cli_change_without_version_that_raced_is_refused(
    db, monkeypatch, command, service, claimer, resolved
):
    """Another agent edits the ticket between the command's start and its write: refused, exit 3."""
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eddy = make_agent(db, "eddy", name="Eddy")
    make_agent(db, "erin", name="Erin")
    make_agent(db, "sue", role="supervisor", name="Sue")
    rival = make_agent(db, "ezra", name="Ezra")
    t = make_ticket(db, op)
    tickets.claim(db, eddy, t.number)
    if resolved:
        workflow.resolve(db, eddy, t.number, "Reseated the RAM")
    module, name = service
    real = getattr(module, name)

    def raced(*args: Any, **kwargs: Any) -> Any:
        seen = tickets.get_ticket(db, None, t.number)
        workflow.edit(db, rival, t.number, version=seen.version, changes={"summary": "Edited meanwhile"})
        return real(*args, **kwargs)

    monkeypatch.setattr(module, name, raced)
    before = tickets.get_ticket(db, None, t.number)
    result = _cli(db, "ticket", *(a.replace("{n}", t.number) for a in command))
    assert result.exit_code == 3, result.output
    assert f"{t.number} was changed meanwhile" in result.output
    assert len(result.output.strip().splitlines()) == 1 and "Traceback" not in result.output
    after = tickets.get_ticket(db, None, t.number)
    assert after.version == before.version + 1 and after.summary == "Edited meanwhile"
    assert (after.status, after.assignee, after.team) == (before.status, before.assignee, before.team)
    assert violations(db) == []


def test_a_cli_change_names_the_version_it_read_and_a_stale_one_is_refused(db):
    op = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    eddy = make_agent(db, "eddy", name="Eddy")
    t = make_ticket(db, op)
    tickets.claim(db, eddy, t.number)
    ok = _cli(db, "ticket", "status", t.number, "in_progress", "--as", "eddy")
    assert ok.exit_code == 0 and f"{t.number} is in_progress (version 3)" in ok.output
    stale = _cli(db, "ticket", "status", t.number, "pending_customer", "--version", "2", "--as", "eddy")
    assert stale.exit_code == 3 and "changed meanwhile by Eddy" in stale.output
    assert tickets.get_ticket(db, None, t.number).status == Status.IN_PROGRESS
    gone = _cli(db, "ticket", "status", "SR-999999", "in_progress", "--as", "eddy")
    assert gone.exit_code == 1 and "no ticket SR-999999" in gone.output
