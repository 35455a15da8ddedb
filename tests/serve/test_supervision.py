"""Session supervision with real clients: the session limit, the idle end, and SIGTERM (every console
told, drafts kept, agents logged out, no process left, the server exits 0)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from deskterm.models import AgentPresence
from deskterm.serve.ssh import host_key

from .conftest import PASSWORD, Desk, make_desk
from .helpers import Server, Terminal, alive, askpass_env, ssh_argv, wait_until


def draft_of(login: str) -> dict:  # type: ignore[type-arg]
    """The one draft of `login` (drafts are named by login and desk: services/drafts.py)."""
    folder = Path(os.environ["XDG_DATA_HOME"]) / "deskterm" / "drafts"
    wait_until(lambda: any(folder.glob(f"intake-{login}-*.json")), what=f"{login}'s draft written")
    (path,) = folder.glob(f"intake-{login}-*.json")
    return json.loads(path.read_text())["form"]


def present(desk: Desk, agent_id: int) -> bool:
    with desk.db.read() as s:
        return s.get(AgentPresence, agent_id) is not None


def test_one_session_more_than_the_limit_is_refused_with_a_clear_line(sqlite_db, tmp_path):
    desk = make_desk(sqlite_db)
    server = Server(desk.url, "--max-sessions", "1")
    first = Terminal(ssh_argv(server.ssh_port, "olga"), env=askpass_env(tmp_path, PASSWORD))
    try:
        first.wait_for("How can I help you?")
        second = subprocess.run(
            ssh_argv(server.ssh_port, "eng", extra=("-tt",)),
            env=askpass_env(tmp_path, PASSWORD),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert second.returncode == 1
        assert "deskterm: the desk server is full (1 sessions): try again later" in second.stdout
        with pytest.raises(urllib.error.HTTPError) as page:
            urllib.request.urlopen(server.url, timeout=30)
        assert page.value.code == 503
        assert "the desk server is full (1 sessions)" in page.value.read().decode()
        assert "refused: eng via ssh from 127.0.0.1: full (1 sessions)" in server.log
        assert len(server.consoles()) == 1
    finally:
        first.close()
        server.stop()


def test_an_idle_session_ends_and_keeps_its_draft(sqlite_db, tmp_path):
    desk = make_desk(sqlite_db)
    server = Server(desk.url, "--idle-minutes", "0.2")  # 12 s without a key (from the first screen)
    term = Terminal(ssh_argv(server.ssh_port, "olga"), env=askpass_env(tmp_path, PASSWORD))
    try:
        term.wait_for("How can I help you?")
        term.send("Jane Idle")  # the caller's name, then nothing more
        assert term.wait_exit(timeout=60) == 0
        term.wait_for("the session ended after 0.2 min without input; your draft is kept")
        assert draft_of("olga")["name"] == "Jane Idle"
        assert "(idle)" in server.log and "session 1 end: olga via ssh" in server.log
        wait_until(lambda: not present(desk, desk.olga.id), what="logged out")
        assert server.consoles() == []
    finally:
        term.close()
        server.stop()


def test_sigterm_tells_every_session_keeps_drafts_and_stops_cleanly(desk, tmp_path):
    server = Server(desk.url)
    olga = Terminal(ssh_argv(server.ssh_port, "olga"), env=askpass_env(tmp_path, PASSWORD))
    eng = Terminal(ssh_argv(server.ssh_port, "eng"), env=askpass_env(tmp_path, PASSWORD))
    try:
        olga.wait_for("How can I help you?")
        eng.wait_for("Work queue │")
        olga.send("Jane Stop")
        olga.wait_for("Jane Stop")
        consoles = server.consoles()
        assert len(consoles) == 2
        wait_until(lambda: present(desk, desk.olga.id) and present(desk, desk.eng.id), what="both present")
        server.proc.send_signal(signal.SIGTERM)
        olga.wait_for("The desk server is stopping")
        eng.wait_for("The desk server is stopping")
        assert olga.wait_exit() == 0 and eng.wait_exit() == 0
        assert server.proc.wait(timeout=60) == 0
        assert draft_of("olga")["name"] == "Jane Stop"
        assert not any(alive(pid) for pid in consoles)
        assert not present(desk, desk.olga.id) and not present(desk, desk.eng.id)
        assert server.log.count("(server stopping)") == 2 and server.log.endswith("stopped")
    finally:
        olga.close()
        eng.close()
        server.stop()


def test_the_host_key_is_made_once_and_kept(tmp_path):
    first = host_key(tmp_path / "serve")
    again = host_key(tmp_path / "serve")
    assert first.get_fingerprint() == again.get_fingerprint()
    assert (tmp_path / "serve" / "ssh_host_ed25519_key").stat().st_mode & 0o777 == 0o600


async def test_a_killed_server_leaves_no_console_behind(sqlite_db, tmp_path):
    """Even SIGKILL: every console (SSH and browser tab) follows its server out."""
    import aiohttp

    desk = make_desk(sqlite_db)
    server = Server(desk.url)
    term = Terminal(ssh_argv(server.ssh_port, "olga"), env=askpass_env(tmp_path, PASSWORD))
    async with aiohttp.ClientSession() as http, http.ws_connect(f"{server.url}/ws?width=80&height=24") as tab:
        term.wait_for("How can I help you?")
        await tab.receive(timeout=60)  # the tab's console has started and draws
        consoles = server.consoles()
        assert len(consoles) == 2
        server.proc.kill()
        server.proc.wait(timeout=30)
        wait_until(lambda: not any(alive(pid) for pid in consoles), what="every console gone")
    term.close()
