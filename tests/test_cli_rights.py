"""No back door in the command line (issue 12 point 8): every command that changes data or reads
desk-wide data takes --as LOGIN and the services check it as they do for the console."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskterm.cli import make_app
from deskterm.db import Database
from deskterm.services import agents, auth, demo, directory
from tests.factories import make_agent, make_ticket

# Exit codes: 0 done, 2 no --as given (a usage error), 4 not allowed (the service's refusal).
# "operator" is olga, a hotline operator; "admin" is root. eddy is an engineer of Desktop Support.
TABLE = """
command                                                              none  operator  admin
agent add newbie --name N --number 901 --role engineer --team Desktop_Support --password-stdin  4  4  0
agent list                                                           2     4         0
agent passwd eddy --password-stdin                                   2     4         0
agent deactivate eddy                                                2     4         0
agent activate eddy                                                  2     4         0
agent edit eddy --name Ed --role operator                            2     4         0
agent logins                                                         2     4         0
customer search 1234                                                 2     0         0
report kpi                                                           2     4         0
report agents --format json                                          2     4         0
sla list                                                             2     0         0
sla add --priority 2 --class key --respond 10m --resolve 1h --calendar 24x7   2  4  0
sla edit P5 --resolve 90h                                            2     4         0
sla calendar list                                                    2     0         0
sla calendar add Berlin --timezone Europe/Berlin                     2     4         0
sla calendar edit Berlin --timezone UTC                              2     4         0
sla calendar holidays Berlin --country DE --year 2027                2     4         0
escalation list                                                      2     0         0
escalation add late --trigger complaint --hierarchical               2     4         0
escalation disable late                                              2     4         0
escalation enable late                                               2     4         0
kb import {kb}                                                       4     4         0
kb export -                                                          2     0         0
kb synonyms                                                          2     0         0
kb synonyms --add pc,computer                                        2     4         0
"""
WHO = ("none", "operator", "admin")
ROWS = [
    (line.rsplit(None, 3)[0].split(), dict(zip(WHO, map(int, line.rsplit(None, 3)[1:]), strict=True)))
    for line in TABLE.strip().splitlines()[1:]
]
LOGIN = {"operator": "olga", "admin": "root"}


def cli(db: Database, *args: str, password: str | None = "secret-pw", stdin: str | None = None):  # type: ignore[no-untyped-def]
    url = db.engine.url.render_as_string(hide_password=False)
    env = {"DESKTERM_PASSWORD": password}
    return CliRunner().invoke(make_app(), ["--db", url, *args], env=env, input=stdin)


@pytest.fixture
def desk(db: Database, tmp_path: Path) -> Path:
    make_agent(db, "root", role="admin", team="Service Desk", tier=3)
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(db, "eddy", role="engineer", team="Desktop Support")
    article = {"id": "KB-7", "lang": "en", "title": "Printer jam", "category": "", "statements": ["Open it."]}
    (tmp_path / "kb.jsonl").write_text(json.dumps(article) + "\n", encoding="utf-8")
    return tmp_path / "kb.jsonl"


@pytest.mark.parametrize("who", WHO)
def test_every_command_that_changes_or_reads_desk_data_needs_an_agent_allowed_to(
    db: Database, desk: Path, who: str
) -> None:
    got, want = {}, {}
    for args, expected in ROWS:
        args = [a.replace("{kb}", str(desk)).replace("Desktop_Support", "Desktop Support") for a in args]
        as_ = ["--as", LOGIN[who]] if who in LOGIN else []
        result = cli(db, *args, *as_, stdin="another-pw\n")
        assert "Traceback" not in result.output, result.output
        got[" ".join(args)] = result.exit_code
        want[" ".join(args)] = expected[who]
    assert got == want
    if who != "admin":  # nothing changed
        assert [a.login for a in directory.agents(db, auth.login(db, "root", "secret-pw"))] == [
            "eddy",
            "olga",
            "root",
        ]
        assert auth.login(db, "eddy", "secret-pw").role == "engineer"


def test_ticket_reads_need_no_agent_but_check_one_when_given(db: Database) -> None:
    olga = make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    t = make_ticket(db, olga, "Printer jams")
    assert cli(db, "ticket", "list", "--format", "json", password=None).exit_code == 0
    assert cli(db, "ticket", "show", t.number, password=None).exit_code == 0
    assert cli(db, "ticket", "show", t.number, "--as", "olga").exit_code == 0
    wrong = cli(db, "ticket", "list", "--as", "olga", password="not-hers")
    assert wrong.exit_code == 1 and "wrong login or password" in wrong.output
    assert cli(db, "config", "show", password=None).exit_code == 0
    assert cli(db, "db", "status", password=None).exit_code == 0


def test_the_first_admin_of_an_empty_desk_is_added_without_an_agent(db: Database) -> None:
    first = cli(db, "agent", "add", "root", "--name", "Root", "--number", "1", "--role", "admin",
                "--password-stdin", password=None, stdin="root-secret\n")  # fmt: skip
    assert first.exit_code == 0, first.output
    second = cli(db, "agent", "add", "mallory", "--name", "M", "--number", "2", "--role", "admin",
                 "--password-stdin", password=None, stdin="mallory-pw\n")  # fmt: skip
    assert second.exit_code == 4 and "--as LOGIN" in second.output
    ok = cli(db, "agent", "add", "sue", "--name", "Sue", "--number", "3", "--role", "supervisor",
             "--team", "Desktop Support", "--as", "root", "--password-stdin", password="root-secret",
             stdin="sue-secret\n")  # fmt: skip
    assert ok.exit_code == 0, ok.output
    raise_self = cli(db, "agent", "edit", "sue", "--role", "admin", "--as", "sue", password="sue-secret")
    assert raise_self.exit_code == 4 and "own role" in raise_self.output


def test_demo_data_adds_its_logins_to_a_desk_with_agents_only_when_asked(db: Database) -> None:
    make_agent(db, "root", role="admin", team="Service Desk", tier=3)
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    assert cli(db, "demo-data", "--tickets", "0").exit_code == 4  # no --as: an admin must load it
    assert cli(db, "demo-data", "--tickets", "0", "--as", "olga").exit_code == 4
    refused = cli(db, "demo-data", "--tickets", "0", "--as", "root")
    assert refused.exit_code == 4 and "--with-demo-logins" in refused.output
    assert "operator" not in agents.agent_logins(db)
    done = cli(db, "demo-data", "--tickets", "5", "--as", "root", "--with-demo-logins")
    assert done.exit_code == 0, done.output
    assert auth.login(db, "operator", demo.DEMO_PASSWORD).role == "operator"


def test_a_new_desk_without_agents_takes_its_knowledge_base_without_an_agent(
    db: Database, tmp_path: Path
) -> None:
    """Setting up a desk (as kb-eval does: db upgrade, kb import, kb search) needs nobody to act for
    while the desk has no agents; once it has one, an import names a knowledge editor."""
    line = '{"id": "KB-9001", "title": "Printer offline", "statements": ["Turn the printer on."]}\n'
    jsonl = tmp_path / "kb.jsonl"
    jsonl.write_text(line, encoding="utf-8")
    first = cli(db, "kb", "import", str(jsonl), password=None)
    assert first.exit_code == 0, first.output
    make_agent(db, "olga", role="operator", team="Service Desk", tier=1)
    later = cli(db, "kb", "import", str(jsonl), password=None)
    assert later.exit_code == 4 and "--as LOGIN" in later.output
