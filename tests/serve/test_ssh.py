"""`deskterm serve` over SSH with OpenSSH's own client: password and key logins land on the agent's
screen and keys act; refusals say nothing about which logins exist; two agents' sessions see each
other's changes; a closed connection ends its console; resizes reach the console."""

from __future__ import annotations

import subprocess
from pathlib import Path

from deskterm.models import AgentPresence
from deskterm.services import remote
from tests.factories import make_ticket, set_active

from .conftest import PASSWORD, Desk
from .helpers import F3, Server, Terminal, alive, askpass_env, need, ssh_argv, wait_until


def ssh_key(tmp_path: Path, name: str = "id_ed25519") -> Path:
    key = tmp_path / name
    subprocess.run(
        [
            need("ssh-keygen", "openssh-client"),
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "test key",
            "-f",
            str(key),
        ],
        check=True,
    )
    return key


def log_in(server: Server, tmp_path: Path, login: str, password: str = PASSWORD, **kw) -> Terminal:  # type: ignore[no-untyped-def]
    return Terminal(ssh_argv(server.ssh_port, login), env=askpass_env(tmp_path, password), **kw)


def present(desk: Desk, agent_id: int) -> bool:
    with desk.db.read() as s:
        return s.get(AgentPresence, agent_id) is not None


def test_password_login_lands_on_the_agents_screen_and_keys_act(desk, server, tmp_path):
    term = log_in(server, tmp_path, "olga")
    try:
        term.wait_for("Intake │ Olga Petrova (")  # the operator's landing screen, no second login
        term.wait_for("How can I help you?")
        term.send(F3)
        term.wait_for("Work queue │ Olga Petrova")
        assert "session 1 start: olga via ssh from 127.0.0.1" in server.log
        wait_until(lambda: present(desk, desk.olga.id), what="presence published")
    finally:
        term.close()


def test_key_login_with_a_key_added_on_the_command_line(desk, server, tmp_path):
    key = ssh_key(tmp_path)
    env = {**askpass_env(tmp_path, PASSWORD)}
    added = subprocess.run(
        [server_cmd(), "--db", desk.url, "agent", "key", "add", "eng", f"{key}.pub", "--as", "admin"],
        env={**env, "DESKTERM_PASSWORD": PASSWORD},
        capture_output=True,
        text=True,
    )
    assert added.returncode == 0, added.stderr
    assert "added for eng" in added.stdout
    term = Terminal(ssh_argv(server.ssh_port, "eng", key=key))
    try:
        term.wait_for("Work queue │ Ethan Eng (")  # an engineer starts at the work queue
    finally:
        term.close()
    # The same key does not open another agent's session.
    other = subprocess.run(
        ssh_argv(server.ssh_port, "ella", key=key, extra=("-T",)), capture_output=True, text=True
    )
    assert other.returncode == 255 and "Permission denied" in other.stderr


def server_cmd() -> str:
    from .helpers import DESKTERM

    return DESKTERM


def refused(server: Server, tmp_path: Path, login: str, password: str) -> str:
    """ssh's whole output for a refused password login (with the login name taken out)."""
    result = subprocess.run(
        ssh_argv(server.ssh_port, login, extra=("-T",)),
        env=askpass_env(tmp_path, password),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 255, result
    return (result.stdout + result.stderr).replace(login, "LOGIN")


def test_wrong_password_unknown_login_and_deactivated_agent_are_refused_alike(desk, server, tmp_path):
    key = ssh_key(tmp_path)
    remote.add_key(desk.db, desk.admin, "ella", Path(f"{key}.pub").read_text())
    wrong = refused(server, tmp_path, "olga", "not-her-password")
    unknown = refused(server, tmp_path, "nobody", "whatever-pw")
    assert "Permission denied" in wrong
    assert wrong == unknown  # nothing tells whether the login exists
    set_active(desk.db, "eng", False)
    gone = refused(server, tmp_path, "eng", PASSWORD)
    assert "Permission denied" in gone
    set_active(desk.db, "ella", False)
    by_key = subprocess.run(
        ssh_argv(server.ssh_port, "ella", key=key, extra=("-T",)), capture_output=True, text=True
    )
    assert by_key.returncode == 255 and "Permission denied" in by_key.stderr
    assert "session" not in server.log.split("stops", 1)[1]  # no console was started


def test_two_agents_side_by_side_see_each_others_changes(desk, server, tmp_path):
    first = make_ticket(desk.db, desk.olga, summary="Printer jams on every page")
    second = make_ticket(desk.db, desk.olga, summary="Laptop fan is loud")
    a = log_in(server, tmp_path, "eng")
    b = log_in(server, tmp_path, "ella")
    try:
        for term in (a, b):
            term.wait_for("Work queue │")
            term.send("2")  # the team's unassigned tickets
            term.wait_for(first.number)
            term.wait_for(second.number)
        a.send("c")  # eng claims the highlighted ticket: it leaves ella's team view
        wait_until(
            lambda: (first.number in b.text()) != (second.number in b.text()), what="ella sees the claim"
        )
        # ella's cursor was moved by the refresh: her first c claims nothing and says so (issue 12.2);
        # the next one claims what is left, and it leaves eng's team view (toasts expire meanwhile)
        b.send("c")
        b.wait_for("left this view")
        b.send("c")
        wait_until(lambda: first.number not in a.text() and second.number not in a.text(), what="eng sees it")
    finally:
        a.close()
        b.close()


def test_closing_the_connection_ends_the_console_and_logs_the_agent_out(desk, server, tmp_path):
    term = log_in(server, tmp_path, "olga")
    term.wait_for("Intake │ Olga Petrova")
    wait_until(lambda: present(desk, desk.olga.id), what="presence published")
    (console,) = server.consoles()
    term.close()  # the client goes away
    wait_until(lambda: not alive(console), what="the console process ends")
    assert server.consoles() == []  # nothing left behind
    assert not present(desk, desk.olga.id)  # published as logged out at once (no row: logged out)
    wait_until(lambda: "session 1 end: olga via ssh from 127.0.0.1" in server.log, what="end logged")
    assert "(client closed)" in server.log


def test_resize_reaches_the_console(desk, server, tmp_path):
    term = log_in(server, tmp_path, "olga", cols=90, rows=25)
    try:
        term.wait_for("How can I help you?")
        wait_until(lambda: "palette" in term.screen.display[24], what="the footer on the last row")
        term.resize(120, 35)
        wait_until(lambda: "palette" in term.screen.display[34], what="the footer on the new last row")
        assert term.screen.display[34].rstrip().endswith("palette")  # drawn to the new width
    finally:
        term.close()


def test_no_terminal_no_commands(desk, server, tmp_path):
    env = askpass_env(tmp_path, PASSWORD)
    no_tty = subprocess.run(
        ssh_argv(server.ssh_port, "olga", extra=("-T",)), env=env, capture_output=True, text=True, timeout=60
    )
    assert no_tty.returncode == 2 and "needs a terminal" in no_tty.stdout + no_tty.stderr
    command = subprocess.run(
        [*ssh_argv(server.ssh_port, "olga"), "cat /etc/passwd"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert command.returncode == 2 and "root:" not in command.stdout
    assert "the console only" in command.stdout + command.stderr
    assert server.consoles() == []
