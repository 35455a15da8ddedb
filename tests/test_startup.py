"""Start-up: `deskterm demo` paints the login screen before the demo desk is prepared (the
launcher reads its command line as Typer does); a command loads only what it uses."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Static
from typer.testing import CliRunner

from deskterm import demo_desk
from deskterm.app import DeskApp
from deskterm.cli import GROUPS, make_app
from deskterm.demo_desk import DemoDesk
from deskterm.launcher import demo_desk as launcher_demo_desk
from deskterm.messages import DemoPreparing
from deskterm.screens.login import LoginScreen
from tests.screens.helpers import wait_until

ACCEPTED = [
    (["demo"], DemoDesk()),
    (["demo", "--as", "engineer"], DemoDesk(login="engineer")),
    (
        ["--db", "sqlite:///x.db", "demo", "--reset", "--as=supervisor", "--tickets", "12"],
        DemoDesk(url="sqlite:///x.db", login="supervisor", reset=True, tickets=12),
    ),
    (["--db=sqlite:///y.db", "demo", "--tickets=0"], DemoDesk(url="sqlite:///y.db", tickets=0)),
]


@pytest.mark.parametrize(("argv", "desk"), ACCEPTED)
def test_the_launcher_reads_a_demo_command_line_as_typer_does(argv, desk, monkeypatch):
    assert launcher_demo_desk(argv) == desk
    opened: list[DemoDesk | None] = []
    monkeypatch.setattr("deskterm.cli.demo.run_console", lambda *, demo_desk: opened.append(demo_desk))
    done = CliRunner().invoke(make_app(), argv)
    assert done.exit_code == 0, done.output
    assert opened == [desk]


@pytest.mark.parametrize(
    "argv",
    [
        ["demo", "--serve"],
        ["demo", "--ring"],
        ["demo", "--help"],
        ["demo", "--as", "nobody"],  # the CLI says which logins there are
        ["demo", "--as"],
        ["demo", "--tickets", "many"],
        ["demo", "--tickets", "-1"],
        ["demo", "--as", "operator\udcff"],  # not UTF-8: the CLI refuses it
        ["demo", "extra"],
        ["--db", "sqlite:///x.db"],
        ["demo-data"],
        ["ticket", "list"],
    ],
)
def test_other_command_lines_go_to_the_cli(argv):
    assert launcher_demo_desk(argv) is None


def test_an_unknown_demo_login_is_refused_before_anything_is_prepared(monkeypatch):
    monkeypatch.setattr(demo_desk, "prepare", lambda *a, **k: pytest.fail("prepared"))
    done = CliRunner().invoke(make_app(), ["demo", "--as", "nobody"])
    assert done.exit_code == 2 and "no demo agent 'nobody'" in done.output


async def test_demo_paints_the_login_screen_then_prepares_the_desk_and_logs_in(tmp_path, monkeypatch):
    """The login screen is up, saying the desk is being prepared, while preparation is held back;
    once it is done the demo agent is logged in. A second start finds the desk filled."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.delenv("DESKTERM_DATABASE_URL", raising=False)
    release, prepared = threading.Event(), []
    real_prepare = demo_desk.prepare

    def held_prepare(desk: DemoDesk, progress: demo_desk.Progress | None = None) -> str:
        assert release.wait(60)
        url = real_prepare(desk, progress)
        prepared.append(url)
        return url

    monkeypatch.setattr(demo_desk, "prepare", held_prepare)
    desk = DemoDesk(url=f"sqlite:///{tmp_path / 'demo.db'}", login="engineer", tickets=5)

    async def start() -> DeskApp:
        release.clear()
        app = DeskApp(demo_desk=desk, watch_changes=False)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
            status = app.screen.query_one("#login-status", Static)
            await wait_until(pilot, lambda: "Preparing the demo desk" in str(status.render()))
            assert app.actor is None
            release.set()
            await wait_until(pilot, lambda: app.actor is not None)
        return app

    assert not DemoPreparing.bubble  # the app forwards it to the screen: it must not come back
    first = await start()
    assert first.actor is not None and first.actor.login == "engineer" and len(prepared) == 1
    assert first.demo_desk is None  # prepared once per console: F5 only connects again
    second = await start()  # the desk is there: nothing generated again, the same agent logs in
    assert second.actor is not None and second.actor.login == "engineer" and len(prepared) == 2


def imported_by(args: list[str], tmp_path: Path, shown: str = "Usage:") -> set[str]:
    """The modules `deskterm ARGS` has imported when it ends (having printed `shown`)."""
    script = (
        "import sys\n"
        "from deskterm.launcher import main\n"
        f"sys.argv = ['deskterm', *{args!r}]\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "XDG_DATA_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env)
    assert shown in done.stdout, done.stdout + done.stderr
    return set(done.stderr.strip().splitlines()[-1].split())


HEAVY = ("sqlalchemy", "sqlmodel", "pydantic", "pydantic_settings", "textual", "psycopg", "alembic")
CORE = ("deskterm.services", "deskterm.db", "deskterm.models", "deskterm.config", "deskterm.app")


@pytest.mark.parametrize("group", [None, *GROUPS])
def test_help_loads_no_database_settings_or_console(group, tmp_path):
    """`deskterm --help` and `deskterm GROUP --help` import nothing of the database, the settings
    or the console (not even pydantic, which Typer would load to read the root's --db); a group's
    help imports its own command module and no other group's."""
    modules = imported_by([group, "--help"] if group else ["--help"], tmp_path)
    assert not {m for m in modules if m.split(".")[0] in HEAVY or m.startswith(CORE)}
    if group:
        assert not modules & {f"deskterm.cli.{other}" for other in GROUPS if other != group}


def test_config_show_loads_the_settings_and_no_database_or_console(tmp_path):
    modules = imported_by(["config", "show"], tmp_path, shown="config file:")
    assert "deskterm.config" in modules
    assert not {
        m for m in modules if m.split(".")[0] in set(HEAVY) - {"pydantic", "pydantic_settings"}
    }  # the settings
    assert not {m for m in modules if m.startswith(CORE) and m != "deskterm.config"}


def test_ticket_list_builds_only_the_tables_it_reads(tmp_path):
    """The knowledge, call and rollup tables are registered when first used: `ticket list`
    builds none of their classes (each costs start-up time), while `metadata` holds them all."""
    url = f"sqlite:///{tmp_path / 'desk.db'}"
    subprocess.run(
        [sys.executable, "-m", "deskterm", "--db", url, "db", "upgrade"], check=True, capture_output=True
    )
    modules = imported_by(["--db", url, "ticket", "list"], tmp_path, shown="number")
    assert "deskterm.models.ticket" in modules
    assert not modules & {f"deskterm.models.{m}" for m in ("kb", "call", "rollup", "agent_key")}
    script = "from deskterm.models import metadata; print(sorted(metadata.tables))"
    tables = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    assert all(
        t in tables for t in ("'kb_article'", "'phone_call'", "'kpi_hour_tally'", "'agent_key'", "'ticket'")
    )


async def test_a_demo_desk_that_cannot_be_prepared_says_why_on_the_login_screen(tmp_path, monkeypatch):
    def broken(desk: DemoDesk, progress: demo_desk.Progress | None = None) -> str:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(demo_desk, "prepare", broken)
    app = DeskApp(demo_desk=DemoDesk(url=f"sqlite:///{tmp_path / 'demo.db'}"), watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, LoginScreen))
        status = app.screen.query_one("#login-status", Static)
        await wait_until(pilot, lambda: "disk on fire" in str(status.render()))
        assert "the demo desk could not be prepared" in str(status.render()) and app.actor is None
