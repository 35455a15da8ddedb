"""`deskterm agent key add/list/remove` and `deskterm serve`'s refusals as a script sees them: one line
and the house's exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request

import asyncssh

from .conftest import PASSWORD, make_desk
from .helpers import DESKTERM, Server


def run(*args: str, as_password: str | None = PASSWORD) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"DESKTERM_PASSWORD": as_password} if as_password else {})}
    return subprocess.run(
        [DESKTERM, *args], capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL
    )


def test_key_add_list_remove_and_refusals(sqlite_db, tmp_path):
    url = make_desk(sqlite_db).url
    pub = tmp_path / "chen.pub"
    key = asyncssh.generate_private_key("ssh-ed25519", comment="olga@pc")
    pub.write_bytes(key.export_public_key())
    fingerprint = key.get_fingerprint()

    added = run("--db", url, "agent", "key", "add", "olga", str(pub), "--as", "olga")
    assert added.returncode == 0, added.stderr
    assert f"key {fingerprint} (ssh-ed25519) added for olga" in added.stdout

    listed = run("--db", url, "agent", "key", "list", "--as", "admin", "--format", "json")
    rows = json.loads(listed.stdout)
    assert [(r["login"], r["fingerprint"], r["comment"]) for r in rows] == [("olga", fingerprint, "olga@pc")]

    other = run("--db", url, "agent", "key", "add", "eng", str(pub), "--as", "olga")
    assert other.returncode == 4 and "may not manage the keys of eng" in other.stderr

    private = tmp_path / "id"
    private.write_bytes(key.export_private_key())
    for bad in (str(private), str(tmp_path / "missing.pub")):
        refused = run("--db", url, "agent", "key", "add", "olga", bad, "--as", "olga")
        assert refused.returncode == 2 and len(refused.stderr.strip().splitlines()) == 1, refused.stderr
        assert "Traceback" not in refused.stderr

    removed = run("--db", url, "agent", "key", "remove", "olga", str(rows[0]["id"]), "--as", "admin")
    assert removed.returncode == 0 and f"key {fingerprint} of olga removed" in removed.stdout
    gone = run("--db", url, "agent", "key", "remove", "olga", fingerprint, "--as", "admin")
    assert gone.returncode == 1 and "olga has no key" in gone.stderr


def test_serve_refuses_a_bad_address_and_nothing_to_serve(sqlite_db):
    url = make_desk(sqlite_db).url
    bad = run("--db", url, "serve", "--ssh", "127.0.0.1", as_password=None)
    assert bad.returncode == 1 and "--ssh '127.0.0.1': give HOST:PORT" in bad.stderr
    nothing = run("--db", url, "serve", "--ssh", "off", "--web", "off", as_password=None)
    assert nothing.returncode == 1 and "nothing to serve" in nothing.stderr
    assert "Traceback" not in bad.stderr + nothing.stderr


def test_demo_serve_serves_the_demo_desk():
    server = Server("", command=[DESKTERM, "demo", "--serve", "--tickets", "10"])
    try:
        page = urllib.request.urlopen(server.url, timeout=30).read().decode()
        assert "<title>deskterm</title>" in page
        assert "every demo login's password is 'demo'" in server.log
    finally:
        assert server.stop() == 0
    assert server.log.endswith("stopped")
