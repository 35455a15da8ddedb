"""`deskterm kb history`: a solution's versions from the command line, as a table or JSON."""

from __future__ import annotations

import json
import os

import pytest

from tests.test_cli import run

FIRST = {"id": "KB-0012", "title": "Paper jam \x1b[2J [red]x", "statements": ["Open the cover.", "Restart."]}
SECOND = FIRST | {"title": "Paper jam [/]", "statements": ["Open the cover.", "Pull the sheet gently."]}


@pytest.fixture
def home(tmp_path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "config")}
    env.pop("DESKTERM_DATABASE_URL", None)
    return env


def test_history_of_a_solution_as_json_and_as_a_table(sqlite_db, home, tmp_path):
    url = str(sqlite_db.engine.url)
    for n, article in enumerate((FIRST, SECOND)):
        path = tmp_path / f"kb{n}.jsonl"
        path.write_text(json.dumps(article) + "\n", encoding="utf-8")
        assert run("--db", url, "kb", "import", str(path), env=home).returncode == 0

    shown = run("--db", url, "kb", "history", "KB-0012", "--format", "json", env=home)
    assert shown.returncode == 0, shown.stderr
    versions = json.loads(shown.stdout)["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert {(v["by"], v["action"]) for v in versions} == {("import", "imported")}
    assert versions[0]["changes"]["statements"] == {
        "added": [[2, "Pull the sheet gently."]],
        "removed": [[2, "Restart."]],
    }

    table = run("--db", url, "kb", "history", "KB-0012", env=home)
    assert table.returncode == 0 and "\x1b" not in table.stdout  # text from the file shown literally
    assert "Paper jam [/]" in table.stdout and "v2" in table.stdout

    missing = run("--db", url, "kb", "history", "KB-9999", env=home)
    assert missing.returncode == 1 and missing.stderr.strip() == "deskterm: no solution KB-9999"


def test_search_returns_at_most_limit_solutions_in_every_format(sqlite_db):
    """`kb search --limit 3` returns 3 of 8 matching solutions: as a table, as JSON and in batch mode
    (which returned at least 10 whatever --limit said)."""
    from typer.testing import CliRunner

    from deskterm.cli import make_app
    from deskterm.kb import store

    store.import_jsonl(
        sqlite_db,
        [
            json.dumps({"id": f"KB-{n:04d}", "title": f"Printer jam {n}", "statements": [f"Open cover {n}."]})
            for n in range(8)
        ],
    )
    url = sqlite_db.engine.url.render_as_string(hide_password=False)

    def search(*args: str, stdin: str | None = None) -> str:
        done = CliRunner().invoke(make_app(), ["--db", url, "kb", "search", *args], input=stdin)
        assert done.exit_code == 0, done.output
        return done.stdout

    assert len(json.loads(search("printer", "--limit", "3", "--format", "json"))) == 3
    assert search("printer", "--limit", "3").count("Printer jam") == 3
    batch = [
        json.loads(line)
        for line in search("--limit", "3", "--format", "jsonl", stdin="printer\njam\n").splitlines()
    ]
    assert [len(row["results"]) for row in batch] == [3, 3]
    default = json.loads(search("--format", "jsonl", stdin="printer\n"))
    assert len(default["results"]) == 8  # without --limit: up to 10
