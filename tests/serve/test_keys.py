"""Agents' SSH keys (services/remote.py) on both backends: parsing, who may manage whose keys, which
key opens which login, and the actor of a console the server authenticated."""

from __future__ import annotations

import subprocess
from pathlib import Path

import asyncssh
import pytest

from deskterm.services import remote
from deskterm.services.errors import Conflict, InvalidInput, LoginFailed, NotFound, PermissionDenied
from tests.factories import make_agent, set_active

from .helpers import need


def new_key(tmp_path: Path, name: str = "id_ed25519", kind: str = "ed25519") -> tuple[str, str]:
    """(public key text, its fingerprint as ssh-keygen prints it)."""
    path = tmp_path / name
    keygen = need("ssh-keygen", "openssh-client")
    subprocess.run([keygen, "-q", "-t", kind, "-N", "", "-C", "chen@pc-17", "-f", str(path)], check=True)
    shown = subprocess.run([keygen, "-l", "-f", f"{path}.pub"], check=True, capture_output=True, text=True)
    return Path(f"{path}.pub").read_text(), shown.stdout.split()[1]


def test_parse_gives_ssh_keygens_fingerprint_and_refuses_what_is_not_one_public_key(tmp_path):
    text, fingerprint = new_key(tmp_path)
    parsed = remote.parse_public_key(text)
    assert parsed.fingerprint == fingerprint and parsed.key_type == "ssh-ed25519"
    assert parsed.comment == "chen@pc-17"
    rsa, rsa_fingerprint = new_key(tmp_path, "id_rsa", "rsa")
    assert remote.parse_public_key(rsa).fingerprint == rsa_fingerprint
    kind, blob, _comment = text.split(" ", 2)
    for bad, why in [
        ("", "no public key"),
        ((tmp_path / "id_ed25519").read_text(), "private key"),
        (text + rsa, "one key per file"),
        (f"ssh-dss {blob}", "not an OpenSSH public key"),
        (f"{kind} {blob[:-8]}", "damaged"),
        (f"ssh-rsa {blob}", "does not match"),
    ]:
        with pytest.raises(InvalidInput) as refused:
            remote.parse_public_key(bad)
        assert why in str(refused.value), (bad, refused.value)


def test_a_key_opens_its_agents_login_only_while_registered_and_active(db, tmp_path):
    admin = make_agent(db, "ada", role="admin", team=None, tier=3)
    chen = make_agent(db, "chen", role="engineer")
    make_agent(db, "dora", role="engineer")
    text, fingerprint = new_key(tmp_path)
    blob = remote.parse_public_key(text).blob
    assert not remote.key_opens(db, "chen", blob)
    row = remote.add_key(db, admin, "chen", text)
    assert (row.login, row.fingerprint, row.added_by) == ("chen", fingerprint, "ada")
    assert remote.key_opens(db, "chen", blob)
    assert not remote.key_opens(db, "dora", blob) and not remote.key_opens(db, "nobody", blob)
    with pytest.raises(Conflict):
        remote.add_key(db, chen, "chen", text)  # once is enough
    with pytest.raises(Conflict):
        remote.add_key(db, admin, "dora", text)  # and a key belongs to one agent
    set_active(db, "chen", False)
    assert not remote.key_opens(db, "chen", blob)
    assert remote.agent_id_of(db, "chen") is None
    set_active(db, "chen", True)
    assert remote.agent_id_of(db, "chen") == chen.id
    assert remote.remove_key(db, chen, "chen", fingerprint).fingerprint == fingerprint
    assert not remote.key_opens(db, "chen", blob)
    with pytest.raises(NotFound):
        remote.remove_key(db, chen, "chen", fingerprint)


def test_who_may_manage_whose_keys(db, tmp_path):
    """A key lets its holder in like a password: the rule of a password reset."""
    actors = {
        "ada": make_agent(db, "ada", role="admin", team=None, tier=3),
        "sue": make_agent(db, "sue", role="supervisor", team="Desktop Support"),
        "sam": make_agent(db, "sam", role="supervisor", team="Network"),
        "olga": make_agent(db, "olga", role="operator", team="Service Desk", tier=1),
        "eng": make_agent(db, "eng", role="engineer", team="Desktop Support"),
        "net": make_agent(db, "net", role="engineer", team="Network"),
    }
    logins = ("ada", "sue", "sam", "olga", "eng", "net")
    allowed = {("ada", t) for t in logins} | {  # admins: anyone
        ("sue", "eng"),  # a supervisor: the operators and engineers of the own team
        ("sue", "sue"),
        ("sam", "net"),
        ("sam", "sam"),
        ("olga", "olga"),  # everyone: their own keys
        ("eng", "eng"),
        ("net", "net"),
    }
    for actor, target in ((a, t) for a in actors for t in logins):
        text = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode()
        if (actor, target) in allowed:
            remote.add_key(db, actors[actor], target, text)
            assert target in {k.login for k in remote.list_keys(db, actors[actor], target)}
        else:
            with pytest.raises(PermissionDenied):
                remote.add_key(db, actors[actor], target, text)
            with pytest.raises(PermissionDenied):
                remote.list_keys(db, actors[actor], target)
    # Without a login: every key the actor may manage, no others.
    assert {k.login for k in remote.list_keys(db, actors["sue"])} == {"eng", "sue"}
    assert {k.login for k in remote.list_keys(db, actors["olga"])} == {"olga"}
    set_active(db, "eng", False)
    with pytest.raises(PermissionDenied, match="deactivated"):
        remote.list_keys(db, actors["eng"])


def test_the_actor_of_a_served_session(db):
    chen = make_agent(db, "chen", role="engineer")
    assert remote.session_actor(db, chen.id) == chen
    set_active(db, "chen", False)
    with pytest.raises(LoginFailed):
        remote.session_actor(db, chen.id)
    with pytest.raises(LoginFailed):
        remote.session_actor(db, 999_999)
