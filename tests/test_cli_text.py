"""Text from outside at the command line (issue 12, point 7): what `ticket create --json` and the
other commands take in is stored clean; every output (tables, confirmations, JSON, CSV, the work
sheet, the KB export) prints no escape sequence, even of text stored raw before; NUL, bad UTF-8
(files, standard input, arguments), lone surrogates and over-long text give one line and exit 2;
confirmations never parse markup."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from deskterm import clock
from deskterm.cli import make_app
from deskterm.models import TicketEvent
from deskterm.services import intake, tickets, workflow, worksheet
from deskterm.services.auth import login
from tests.factories import make_agent
from tests.test_cli import DESKTERM

CLEAR = "\x1b[2J\x1b[H"
OSC52 = "\x1b]52;c;aGVsbG8=\x07"
C1_CSI = "\x9b31m"
# Bytes a terminal acts on: ESC, BEL, CR (outside CR LF), the C1 controls (UTF-8 encoded), DEL.
ACTIVE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


ADMIN_COMMANDS = ("agent", "report", "escalation", "sla", "kb import", "kb export")


def deskterm(db, *args: str, stdin: str | bytes | None = None):  # type: ignore[no-untyped-def]
    """The CLI as a script runs it; desk-wide commands act as the desk's admin (`root`)."""
    if "--as" not in args and " ".join(args).startswith(ADMIN_COMMANDS):
        args = (*args, "--as", "root")
    result = CliRunner().invoke(
        make_app(), ["--db", str(db.engine.url), *args], input=stdin, env={"DESKTERM_PASSWORD": "secret-pw"}
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def quiet(result) -> None:  # type: ignore[no-untyped-def]
    """Nothing a terminal would act on, and no traceback, in what the command printed."""
    for stream in (result.stdout, result.stderr):
        assert not ACTIVE.search(stream.replace("\r\n", "\n")), repr(ACTIVE.search(stream))
        assert "Traceback" not in stream


def one_line(result, code: int, words: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == code, (result.stdout, result.stderr)
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    quiet(result)


@pytest.fixture
def desk(sqlite_db):  # type: ignore[no-untyped-def]
    make_agent(sqlite_db, "root", role="admin", team="Service Desk", tier=3)
    make_agent(sqlite_db, "olga", role="operator", team="Service Desk", tier=1)
    make_agent(sqlite_db, "eddy", team="Desktop Support")
    return sqlite_db


def _json_file(tmp_path: Path, data: object | bytes) -> str:
    path = tmp_path / "ticket.json"
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return str(path)


NASTY_CALL = {
    "customer": f"Evil{CLEAR} [b]Caller",
    "organisation": f"ACME{OSC52} [/]",
    "phone": "13912345678",
    "summary": f"Printer {CLEAR}jams [red]now{C1_CSI} :smile:",
    "description": f"screen {CLEAR}cleared\n{OSC52}second line [0] x\rthird",
    "category": "Hardware/PC",
    "device_model": "L450",
    "device_serial": f"SN-1{CLEAR}",
    "service_mode": "on_site",
}


def test_ticket_create_json_stores_clean_text_and_every_output_is_quiet(desk, tmp_path):
    created = deskterm(desk, "ticket", "create", "--as", "olga", "--json", _json_file(tmp_path, NASTY_CALL))
    assert created.exit_code == 0, created.stderr
    number = created.stdout.strip()
    stored = tickets.get_ticket(desk, None, number)
    assert stored.summary == "Printer jams [red]now31m :smile:"
    assert stored.description == "screen cleared\nsecond line [0] x\nthird"
    assert (stored.customer, stored.organisation, stored.device_serial) == (
        "Evil [b]Caller",
        "ACME [/]",
        "SN-1",
    )
    shown = deskterm(desk, "ticket", "show", number)
    quiet(shown)
    assert "[red]now31m :smile:" in shown.stdout and "Evil [b]Caller" in shown.stdout  # literal, no emoji
    for args in (("ticket", "list"), ("ticket", "list", "--format", "json"), ("ticket", "sheet", number)):
        quiet(deskterm(desk, *args))


def _claimed_call(desk):  # type: ignore[no-untyped-def]
    """A call olga logged and eddy claimed: (eddy, its number)."""
    op, eng = login(desk, "olga", "secret-pw"), login(desk, "eddy", "secret-pw")
    form = intake.IntakeForm(
        name="Li Lei", organisation="Acme", phone="13912345678", description="VPN", category="Hardware/PC"
    )
    form.device_model, form.device_serial, form.service_mode = "L450", "SN-9", "on_site"
    number = intake.save_call(desk, op, form).number
    tickets.claim(desk, eng, number)
    return eng, number


def test_outputs_neutralise_text_stored_raw_before(desk):
    """Defence in depth: an older deskterm stored escapes; nothing prints them."""
    eng, number = _claimed_call(desk)
    worksheet.save_sheet(desk, eng, number, version=0, work_done="done", parts=[worksheet.Part("SSD")])
    workflow.resolve(desk, eng, number, "Fixed")
    raw = {"v": f"x{CLEAR}{OSC52}{C1_CSI}\ry"}
    with desk.write() as s:
        for table, column in (
            ("customer", "name"),
            ("organisation", "name"),
            ("ticket", "summary"),
            ("ticket", "description"),
            ("ticket", "resolution"),
            ("agent", "name"),
            ("work_sheet", "work_done"),
            ("work_sheet_part", "part"),
        ):
            s.execute(text(f"UPDATE {table} SET {column} = {column} || :v"), raw)
        s.add(TicketEvent(ticket_id=1, actor_id=eng.id, at=clock.now(), kind="note", body=raw["v"]))
    for args in (
        ("ticket", "show", number),
        ("ticket", "show", number, "--format", "json"),
        ("ticket", "list"),
        ("ticket", "list", "--format", "json"),
        ("ticket", "sheet", number),
        ("agent", "list"),
        ("agent", "list", "--format", "json"),
        ("report", "agents", "--format", "csv"),
        ("report", "agents", "--format", "json"),
        ("report", "agents"),
    ):
        result = deskterm(desk, *args)
        assert result.exit_code == 0, (args, result.stderr)
        quiet(result)
    got = deskterm(desk, "ticket", "show", number, "--format", "json")
    assert json.loads(got.stdout)["summary"].endswith(f"x{CLEAR}{OSC52}{C1_CSI}\ry")  # the data, escaped
    report = deskterm(desk, "report", "agents", "--format", "csv").stdout
    names = [row[1] for row in csv.reader(io.StringIO(report))]
    assert any(n.startswith("Eddy") and n.endswith("x\ufffd31m\ufffdy") for n in names), names


def test_csv_cells_never_start_a_formula(desk):
    """A name a spreadsheet would take for a formula (=, +, -, @) is written with a leading quote;
    numbers are written as they are."""
    eng, number = _claimed_call(desk)
    workflow.resolve(desk, eng, number, "Fixed")
    with desk.write() as s:
        s.execute(
            text("UPDATE agent SET name = :v WHERE login = 'eddy'"), {"v": '=HYPERLINK("http://x","Eddy")'}
        )
        s.execute(text("UPDATE agent SET name = :v WHERE login = 'olga'"), {"v": "@SUM(1+1)"})
    report = deskterm(desk, "report", "agents", "--format", "csv").stdout
    rows = list(csv.reader(io.StringIO(report)))
    names = [row[1] for row in rows[1:]]
    assert '\'=HYPERLINK("http://x","Eddy")' in names and "'@SUM(1+1)" in names, names
    assert not [cell for row in rows[1:] for cell in row if cell[:1] in ("=", "+", "@")]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ({**NASTY_CALL, "customer": "Nul\u0000"}, "name: a NUL character is not allowed"),
        ({**NASTY_CALL, "customer": "Sur\ud800"}, "name: not valid UTF-8 text"),
        (
            json.dumps({**NASTY_CALL, "customer": "BAD"}).encode().replace(b"BAD", b"B\xffD"),
            "name: not valid UTF-8 text",
        ),
        ({**NASTY_CALL, "description": "x" * 1_000_000}, "description: at most 10000 characters"),
        (b"\xff\xfe{}", "json: not valid JSON"),
    ],
    ids=[
        "NUL",
        "surrogate escape",
        "bad UTF-8 byte",
        "1,000,000 characters",
        "not JSON",
    ],
)
def test_ticket_create_refuses_bad_text_with_one_line(desk, tmp_path, content, words):
    result = deskterm(desk, "ticket", "create", "--as", "olga", "--json", _json_file(tmp_path, content))
    one_line(result, 2, words)
    assert tickets.count_tickets(desk) == 0


def test_standard_input_and_names_refused_with_one_line(desk):
    number = tickets.create_ticket(
        desk, login(desk, "olga", "secret-pw"), summary="x", category="Hardware/PC"
    ).number
    one_line(deskterm(desk, "ticket", "note", number, "-", "--as", "olga", stdin=b"bad \xff"), 2, "note:")
    one_line(deskterm(desk, "ticket", "note", number, "-", "--as", "olga", stdin="a\x00b"), 2, "NUL")
    note = deskterm(desk, "ticket", "note", number, "-", "--as", "olga", stdin=f"called {CLEAR}back\n")
    assert note.exit_code == 0 and tickets.get_ticket(desk, None, number).events[-1].body == "called back"
    agent = ("agent", "add", "ann", "--number", "300", "--password-stdin")
    one_line(
        deskterm(desk, *agent, "--name", "x" * 141, stdin="long-password\n"), 2, "at most 120 characters"
    )
    one_line(deskterm(desk, *agent, "--name", "Ann", stdin=b"\xffpassword\n"), 2, "not valid UTF-8")


def test_confirmations_never_parse_markup(desk):
    added = deskterm(
        desk,
        "escalation",
        "add",
        "bad [/] name",
        "--trigger",
        "chased",
        "--at",
        "2",
        "--notify-role",
        "supervisor",
    )
    assert added.exit_code == 0, added.stderr
    assert "bad [/] name" in added.stdout
    for args in (("escalation", "disable", "bad [/] name"), ("escalation", "list")):
        result = deskterm(desk, *args)
        assert result.exit_code == 0 and "bad [/] name" in result.stdout, result.stderr
    agent = deskterm(
        desk,
        *("agent", "add", "ann", "--name", "[b]Ann[/b]", "--number", "300", "--team", "Network"),
        "--password-stdin",
        stdin="long-password\n",
    )
    assert agent.exit_code == 0 and "added ann" in agent.stdout, agent.stderr
    cal = deskterm(desk, "sla", "calendar", "add", "[red]Night :smile:", "--24x7")
    assert cal.exit_code == 0 and "added calendar [red]Night :smile:" in cal.stdout, cal.stderr


def test_kb_import_reports_bad_lines_and_exports_clean(desk, tmp_path):
    path = tmp_path / "kb.jsonl"
    good = {"id": "KB-1", "title": f"VPN {CLEAR}fix", "statements": [f"Restart {OSC52}it."]}
    bad = json.dumps({"id": "KB-2", "title": "Bad", "statements": ["x"]}).encode().replace(b"Bad", b"B\xffd")
    path.write_bytes(json.dumps(good).encode() + b"\n" + bad + b"\n")
    result = deskterm(desk, "kb", "import", str(path))
    assert result.exit_code == 2 and f"{path}:2: 'title' not valid UTF-8 text" in result.stderr
    quiet(result)
    exported = deskterm(desk, "kb", "export", "-")
    quiet(exported)
    assert json.loads(exported.stdout.splitlines()[0])["title"] == "VPN fix"


def test_arguments_that_are_not_utf8_give_one_line(sqlite_db, tmp_path):
    got = subprocess.run(
        [DESKTERM, "--db", str(sqlite_db.engine.url), "ticket", "show", b"SR-\xff"],
        capture_output=True,
        timeout=120,
        env={"XDG_DATA_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
    )
    assert got.returncode == 2 and b"argument 5 is not valid UTF-8" in got.stderr
    assert b"Traceback" not in got.stderr and len(got.stderr.strip().splitlines()) == 1
