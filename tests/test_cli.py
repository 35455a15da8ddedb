"""The command line as a script uses it: JSON output, clear one-line errors, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from deskterm.services import demo

DESKTERM = str(Path(sys.executable).with_name("deskterm"))


def run(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DESKTERM, *args], capture_output=True, text=True, env=env, input=stdin, timeout=120
    )


@pytest.fixture
def home(tmp_path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("DESKTERM_DATABASE_URL", None)
    env.pop("DESKTERM_PASSWORD", None)
    return env


def test_list_and_show_as_json(sqlite_db, home):
    demo.generate(sqlite_db, tickets=50, seed=3)
    url = str(sqlite_db.engine.url)
    listed = run("--db", url, "ticket", "list", "--limit", "5", "--format", "json", env=home)
    assert listed.returncode == 0, listed.stderr
    rows = json.loads(listed.stdout)["tickets"]
    assert len(rows) == 5 and rows[0]["number"].startswith("SR-")
    shown = run("--db", url, "ticket", "show", rows[0]["number"], "--format", "json", env=home)
    detail = json.loads(shown.stdout)
    assert detail["events"][0]["kind"] == "created"


def test_unmigrated_and_unreachable_databases_give_one_line(home, tmp_path):
    empty = run("--db", f"sqlite:///{tmp_path / 'empty.db'}", "ticket", "list", env=home)
    assert empty.returncode == 1 and "deskterm db upgrade" in empty.stderr
    assert "Traceback" not in empty.stderr and len(empty.stderr.strip().splitlines()) == 1
    gone = run("--db", "postgresql://postgres@127.0.0.1:1/nowhere", "ticket", "list", env=home)
    assert gone.returncode == 1 and "127.0.0.1:1" in gone.stderr and "Traceback" not in gone.stderr


def test_agent_add_with_password_on_stdin_and_bad_fields(sqlite_db, home):
    url = str(sqlite_db.engine.url)
    ok = run(
        "--db",
        url,
        "agent",
        "add",
        "ann",
        "--name",
        "Ann",
        "--number",
        "301",
        "--role",
        "admin",
        "--tier",
        "2",
        "--team",
        "Network",
        "--password-stdin",
        env=home,
        stdin="long-password\n",
    )
    assert ok.returncode == 0, ok.stderr  # the first agent of a desk: its admin, added without --as
    bad = run(
        "--db",
        url,
        "agent",
        "add",
        "b@d",
        "--name",
        "",
        "--number",
        "x",
        "--role",
        "king",
        "--password-stdin",
        env=home,
        stdin="1\n",
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 5
    env = {**home, "DESKTERM_PASSWORD": "long-password"}
    listed = json.loads(run("--db", url, "agent", "list", "--format", "json", "--as", "ann", env=env).stdout)
    assert [a["login"] for a in listed] == ["ann"]


def test_claim_exit_codes(sqlite_db, home):
    demo.generate(sqlite_db, tickets=200, seed=5)
    url = str(sqlite_db.engine.url)
    listed = run("--db", url, "ticket", "list", "--status", "new", "--format", "json", env=home)
    rows = json.loads(listed.stdout)["tickets"]
    target = next(r for r in rows if not r["assignee"] and r["team"] == "Desktop Support")
    env = {**home, "DESKTERM_PASSWORD": "demo"}
    first = run("--db", url, "ticket", "claim", target["number"], "--as", "engineer", env=env)
    second = run("--db", url, "ticket", "claim", target["number"], "--as", "zhang.wei", env=env)
    assert first.returncode == 0, first.stderr
    assert second.returncode == 3 and "already taken by Ethan Park" in second.stderr


def test_config_show_masks_the_password(home):
    shown = run(
        "--db", "postgresql://desk:s3cret@db:5432/desk", "config", "show", "--format", "json", env=home
    )
    data = json.loads(shown.stdout)
    assert data["database_url"] == {"value": "postgresql://desk:***@db:5432/desk", "source": "flag"}


CLI_MODULES = sorted(p.stem for p in (Path(__file__).parents[1] / "deskterm" / "cli").glob("[!_]*.py"))


@pytest.mark.parametrize("module", CLI_MODULES)
def test_each_cli_module_imports_alone(module):
    done = subprocess.run(
        [sys.executable, "-c", f"import deskterm.cli.{module}"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_agent_extensions_from_the_command_line(sqlite_db, home):
    from tests.factories import make_agent

    make_agent(sqlite_db, "root", role="admin", team=None, password="root-pw")
    make_agent(sqlite_db, "anna", role="operator", extension="201", name="Anna Li")
    env = {**home, "DESKTERM_PASSWORD": "root-pw"}
    url = str(sqlite_db.engine.url)
    added = run(
        "--db", url, "agent", "add", "bo", "--name", "Bo", "--number", "502", "--extension", "202",
        "--password-stdin", "--as", "root", env=env, stdin="bo-password\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    taken = run("--db", url, "agent", "edit", "bo", "--extension", "201", "--as", "root", env=env)
    assert taken.returncode == 3 and "Anna Li" in taken.stderr and "(anna)" in taken.stderr
    assert len(taken.stderr.strip().splitlines()) == 1 and "Traceback" not in taken.stderr
    bad = run("--db", url, "agent", "edit", "bo", "--extension", "2 0", "--as", "root", env=env)
    assert bad.returncode != 0 and "extension" in bad.stderr and "Traceback" not in bad.stderr
    moved = run("--db", url, "agent", "edit", "anna", "--extension", "", "--as", "root", env=env)
    assert moved.returncode == 0 and "extension" not in moved.stdout
    assert (
        run("--db", url, "agent", "edit", "bo", "--extension", "201", "--as", "root", env=env).returncode == 0
    )
    listed = run("--db", url, "agent", "list", "--format", "json", "--as", "root", env=env)
    assert {r["login"]: r["extension"] for r in json.loads(listed.stdout)} == {
        "anna": "",
        "bo": "201",
        "root": "",
    }
    table = run("--db", url, "agent", "list", "--as", "root", env=env)
    assert "ext." in table.stdout and "201" in table.stdout


def test_cti_url_and_calls_from_the_command_line(sqlite_db, home):
    from deskterm.services import calls
    from tests.factories import make_agent

    make_agent(sqlite_db, "root", role="admin", team=None, password="root-pw")
    make_agent(sqlite_db, "olga", role="operator", password="olga-pw")
    env = {**home, "DESKTERM_PASSWORD": "root-pw"}
    url = str(sqlite_db.engine.url)
    first = run("--db", url, "cti", "url", "--as", "root", env=env)
    assert first.stdout.strip() == f"http://127.0.0.1:8765/cti/{calls.cti_token(sqlite_db)}"
    moved = run("--db", url, "cti", "url", "--listen", "10.0.0.2:9000", "--rotate", "--as", "root", env=env)
    assert moved.stdout.startswith("http://10.0.0.2:9000/cti/") and moved.stdout != first.stdout
    assert moved.stdout.strip().endswith(calls.cti_token(sqlite_db))
    refused = run("--db", url, "cti", "url", "--as", "olga", env={**home, "DESKTERM_PASSWORD": "olga-pw"})
    assert refused.returncode == 4 and "Traceback" not in refused.stderr
    bad = run("--db", url, "cti", "serve", "--listen", "nonsense", env=env)
    assert bad.returncode == 1 and "127.0.0.1:8765" in bad.stderr and "2222" not in bad.stderr
    calls.ingest(sqlite_db, calls.parse({"event": "newCall", "callId": "c1", "from": "+44 20 7946 0018"}))
    calls.ingest(sqlite_db, calls.parse({"event": "hangup", "callId": "c1", "cause": "cancel"}))
    listed = run("--db", url, "call", "list", "--missed", "--as", "root", env=env)
    assert "+442079460018" in listed.stdout and "missed" in listed.stdout  # the number whole at 80 columns
    shown = run("--db", url, "call", "show", "1", "--format", "json", "--as", "root", env=env)
    assert json.loads(shown.stdout)["missed"] is True
