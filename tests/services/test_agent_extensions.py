"""Agents' phone extensions (what the PBX's answeringNumber is matched to): cleaned, unique with the
holder named, cleared with "", under the rights of editing an agent (both backends)."""

from __future__ import annotations

import pytest

from deskterm.db import Database
from deskterm.services import agents, calls, directory
from deskterm.services.errors import Conflict, InvalidInput, PermissionDenied
from tests.factories import make_agent


def extensions(db: Database, actor) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {r.login: r.extension for r in directory.agents(db, actor)}


def test_add_edit_and_clear_an_extension(db: Database) -> None:
    root = make_agent(db, "root", role="admin", team=None)
    row = agents.add_agent(
        db,
        root,
        login="anna",
        name="Anna",
        number="501",
        role="operator",
        password="secret-pw",
        extension=" 201 ",
    )
    assert row.extension == "201"
    assert agents.edit_agent(db, root, "anna", extension="*9#").extension == "*9#"
    assert agents.edit_agent(db, root, "anna", name="Anna L.").extension == "*9#"  # None: unchanged
    assert agents.edit_agent(db, root, "anna", extension="").extension == ""
    assert extensions(db, root) == {"root": "", "anna": ""}
    # "" is stored as no extension: two agents without one do not clash.
    agents.add_agent(db, root, login="bo", name="Bo", number="502", role="operator", password="secret-pw")
    assert extensions(db, root)["bo"] == ""


@pytest.mark.parametrize("bad", ["20 1", "201;", "2" * 21, "x\x00", "分机"])
def test_a_bad_extension_is_refused(db: Database, bad: str) -> None:
    root = make_agent(db, "root", role="admin", team=None)
    make_agent(db, "anna", role="operator", extension="201")
    with pytest.raises(InvalidInput) as refused:
        agents.edit_agent(db, root, "anna", extension=bad)
    assert "extension" in refused.value.errors
    with pytest.raises(InvalidInput):
        agents.add_agent(
            db,
            root,
            login="bo",
            name="Bo",
            number="502",
            role="operator",
            password="secret-pw",
            extension=bad,
        )
    assert extensions(db, root)["anna"] == "201"


def test_a_taken_extension_names_its_holder(db: Database) -> None:
    root = make_agent(db, "root", role="admin", team=None)
    make_agent(db, "anna", role="operator", extension="201", name="Anna Li")
    make_agent(db, "bo", role="operator", extension="202")
    with pytest.raises(Conflict, match=r"201 is Anna Li's \(anna\)"):
        agents.edit_agent(db, root, "bo", extension="201")
    with pytest.raises(Conflict, match="anna"):
        agents.add_agent(
            db,
            root,
            login="cy",
            name="Cy",
            number="503",
            role="operator",
            password="secret-pw",
            extension="201",
        )
    assert agents.edit_agent(db, root, "anna", extension="201").extension == "201"  # one's own: fine
    assert extensions(db, root) == {"root": "", "anna": "201", "bo": "202"}


def test_extensions_follow_the_rights_of_editing_an_agent(db: Database) -> None:
    sue = make_agent(db, "sue", role="supervisor", team="Desktop Support")
    make_agent(db, "eddy", role="engineer", team="Desktop Support")
    make_agent(db, "nina", role="engineer", team="Network")
    olga = make_agent(db, "olga", role="operator", team="Desktop Support")
    assert agents.edit_agent(db, sue, "eddy", extension="301").extension == "301"
    with pytest.raises(PermissionDenied):
        agents.edit_agent(db, sue, "nina", extension="302")
    with pytest.raises(PermissionDenied):
        agents.edit_agent(db, olga, "olga", extension="303")


def test_the_pbx_finds_the_agent_by_the_new_extension(db: Database) -> None:
    root = make_agent(db, "root", role="admin", team=None)
    anna = make_agent(db, "anna", role="operator")
    agents.edit_agent(db, root, "anna", extension="207")
    calls.ingest(db, calls.parse({"event": "answer", "callId": "c1", "answeringNumber": "207"}))
    assert [s.agent_id for s in calls.events_after(db, 0)] == [anna.id]
