"""The knowledge base in the database: import/export, statement reuse, live index, "this solved it"."""

from __future__ import annotations

import json

import pytest

from deskterm.db import open_database
from deskterm.kb import store
from deskterm.services import directory, kb
from deskterm.services.errors import InvalidInput, NotFound, PermissionDenied
from tests.factories import make_agent, make_ticket

ARTICLES = [
    {
        "id": "KB-1",
        "lang": "en",
        "title": "Printer paper jam",
        "category": "Hardware/Printer",
        "statements": ["Open the front cover.", "Restart the computer and try again."],
        "tags": ["printer"],
    },
    {
        "id": "KB-2",
        "lang": "zh",
        "title": "VPN连接不上",
        "category": "网络/VPN",
        "statements": ["检查网络连接。", "请重启电脑后重试。"],
        "tags": ["VPN"],
    },
    {
        "id": "KB-3",
        "lang": "en",
        "title": "Laptop will not boot",
        "category": "Hardware/PC",
        "statements": ["Hold the power button for 30 seconds.", "Restart the computer and try again."],
        "tags": [],
    },
]


def lines(items) -> list[str]:  # type: ignore[no-untyped-def]
    return [json.dumps(a, ensure_ascii=False) for a in items]


def test_import_is_idempotent_and_statements_are_stored_once(db):
    first = store.import_jsonl(db, lines(ARTICLES))
    assert (first.added, first.statements_added, first.errors) == (3, 5, [])
    again = store.import_jsonl(db, lines(ARTICLES))
    assert (again.added, again.updated, again.unchanged, again.statements_added) == (0, 0, 3, 0)
    shared = kb.get_article_by_external_id(db, "KB-3").statements[1]
    assert shared.text == "Restart the computer and try again." and shared.used_by == 2


def test_bad_lines_are_reported_by_number_and_the_rest_imported(db):
    bad = [
        lines(ARTICLES)[0],
        "{not json",
        json.dumps({"id": "KB-9", "title": "x", "statements": []}),
        lines(ARTICLES)[1],
    ]
    report = store.import_jsonl(db, bad)
    assert report.added == 2
    assert [n for n, _ in report.errors] == [2, 3] and "statements" in report.errors[1][1]


def test_export_round_trips(db):
    store.import_jsonl(db, lines(ARTICLES))
    exported = list(store.iter_articles(db))
    assert exported == ARTICLES


def test_search_and_live_update_across_two_sessions(db):
    store.import_jsonl(db, lines(ARTICLES))
    assert kb.search(db, "paper jam")[0].external_id == "KB-1"
    other = open_database(db.engine.url.render_as_string(hide_password=False))  # another console
    try:
        assert "KB-4" not in [h.external_id for h in kb.search(other, "卡纸")]
        editor = make_agent(db, "sue", role="supervisor")
        kb.save_solution(
            db,
            editor,
            external_id="KB-4",
            title="打印机卡纸",
            category="硬件/打印机",
            lang="zh",
            statements=["打开前盖取出卡纸。", "请重启电脑后重试。"],
            status="published",
        )
        kb.searcher(other).checked = 0  # as if the freshness interval had passed
        assert kb.search(other, "卡纸")[0].external_id == "KB-4"
        assert kb.get_article_by_external_id(db, "KB-4").statements[1].used_by == 2  # reused
    finally:
        other.dispose()


def test_this_solved_it_links_and_raises_the_score(db):
    store.import_jsonl(db, lines(ARTICLES))
    eng = make_agent(db, "eddy")
    t = make_ticket(db, eng)
    article = kb.get_article_by_external_id(db, "KB-3")
    assert kb.solved_it(db, eng, t.number, article.id) is True
    assert kb.solved_it(db, eng, t.number, article.id) is False  # once per ticket
    after = kb.get_article(db, article.id)
    assert (after.score, after.usage_count) == (1.0, 1)
    assert kb.faq(db, limit=1)[0].external_id == "KB-3"


def test_editing_needs_the_kb_right_and_statement_edits_reach_every_user(db):
    store.import_jsonl(db, lines(ARTICLES))
    op = make_agent(db, "olga", role="operator")
    sup = make_agent(db, "sue", role="supervisor")
    with pytest.raises(PermissionDenied):
        kb.save_solution(db, op, external_id=None, title="x", category="", lang="en", statements=["y"])
    shared = kb.get_article_by_external_id(db, "KB-1").statements[1]
    assert sorted(k for k, _ in kb.statement_users(db, shared.id)) == ["KB-1", "KB-3"]
    edited = kb.edit_statement(db, sup, shared.id, "Restart the PC, then try again.", version=shared.version)
    assert (edited.used_by, edited.version) == (2, shared.version + 1)
    assert kb.get_article_by_external_id(db, "KB-3").statements[1].text == "Restart the PC, then try again."
    with pytest.raises(InvalidInput):
        kb.save_solution(db, sup, external_id=None, title="", category="", lang="en", statements=[])
    found = kb.find_statements(db, "restart the pc")
    assert found and found[0].id == shared.id


def test_draft_from_a_resolved_ticket(db):
    sup = make_agent(db, "sue", role="supervisor")
    t = make_ticket(db, sup, "Outlook does not open", description="Outlook hangs at loading profile.")
    from sqlmodel import select

    from deskterm.models import Ticket

    with db.write() as s:
        s.exec(select(Ticket).where(Ticket.id == t.id)).one().resolution = "Started Outlook in safe mode."
    article_id = kb.draft_from_ticket(db, sup, t.number)
    draft = kb.get_article(db, article_id)
    assert draft.status == "draft" and draft.title == "Outlook does not open"
    assert [s.text for s in draft.statements] == [
        "Outlook hangs at loading profile.",
        "Started Outlook in safe mode.",
    ]
    assert kb.search(db, "outlook") == []  # drafts are not offered to the desk


def test_a_ticket_gets_one_draft_however_often_or_by_how_many_it_is_asked(db):
    """Asked again for the same ticket, by the same editor or another one, even at the same time or
    after the draft was edited, draft_from_ticket returns the draft it made instead of another."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from deskterm.models import KbArticle, Ticket

    sue, kim = make_agent(db, "sue", role="supervisor"), make_agent(db, "kim", role="supervisor")
    first, second = (make_ticket(db, sue, f"Outlook does not open {n}") for n in (1, 2))
    with db.write() as s:
        for t in (first, second):
            s.execute(select(Ticket).where(Ticket.id == t.id)).scalar_one().resolution = "Safe mode."

    def count() -> int:
        with db.read() as s:
            return s.execute(select(func.count()).select_from(KbArticle)).scalar_one()

    with ThreadPoolExecutor(2) as pool:
        ids = list(pool.map(lambda who: kb.draft_from_ticket(db, who, first.number), (sue, kim)))
    assert ids[0] == ids[1] and count() == 1
    draft = kb.get_article(db, ids[0])
    kb.save_solution(
        db,
        sue,
        external_id=draft.external_id,
        title="Outlook hangs",
        category="",
        lang="en",
        statements=["Safe mode."],
        version=draft.version,
    )
    assert kb.draft_from_ticket(db, kim, first.number.lower()) == ids[0] and count() == 1
    assert kb.get_article(db, ids[0]).title == "Outlook hangs"  # the edit is kept
    other = kb.draft_from_ticket(db, sue, second.number)
    assert other != ids[0] and count() == 2


def test_synonym_groups_from_the_database(db):
    store.import_jsonl(db, lines(ARTICLES))
    assert kb.search(db, "zorblat") == []  # a house word for laptops nobody outside knows
    kb.add_synonyms(db, make_agent(db, "kim", role="supervisor"), ["laptop", "zorblat"])
    kb.searcher(db).checked = 0
    assert kb.search(db, "zorblat")[0].external_id == "KB-3"


def test_copy_to_note_writes_the_numbered_statements_on_the_ticket(db):
    store.import_jsonl(db, lines(ARTICLES))
    eng = make_agent(db, "eddy")
    t = make_ticket(db, eng)
    article = kb.get_article_by_external_id(db, "KB-3")
    kb.copy_to_note(db, eng, t.number.lower(), article.id, public=True)
    from deskterm.services import tickets

    note = [e for e in tickets.get_ticket(db, eng, t.number).events if e.kind == "note"][-1]
    assert note.body == (
        "KB-3 Laptop will not boot\n1. Hold the power button for 30 seconds.\n"
        "2. Restart the computer and try again."
    )
    assert note.public is True
    with pytest.raises(NotFound):
        kb.copy_to_note(db, eng, "SR-999999", article.id)


def test_faq_per_category_and_the_category_tree(db):
    store.import_jsonl(db, lines(ARTICLES))
    eng = make_agent(db, "eddy")
    t = make_ticket(db, eng)
    kb.solved_it(db, eng, t.number, kb.get_article_by_external_id(db, "KB-1").id)
    top = kb.faq(db, per_category=1, limit=10)
    # the best of each top-level category, categories in order
    assert [a.external_id for a in top] == ["KB-1", "KB-2"]
    assert [a.external_id for a in kb.faq(db, category="Hardware", per_category=1)] == ["KB-3", "KB-1"]
    assert [a.external_id for a in kb.faq(db, category="Hard")] == []  # a subtree, not a prefix
    assert directory.kb_categories(db) == ["Hardware", "Hardware/PC", "Hardware/Printer", "网络", "网络/VPN"]


def test_index_state_changes_when_another_console_edits(db):
    store.import_jsonl(db, lines(ARTICLES))
    other = open_database(db.engine.url.render_as_string(hide_password=False))
    try:
        assert kb.index_state(other) == (False, 0)  # never starts a build by itself
        kb.searcher(other).build()
        ready, generation = kb.index_state(other)
        assert ready
        sup = make_agent(db, "sue", role="supervisor")
        kb.set_status(db, sup, kb.get_article_by_external_id(db, "KB-1").id, "retired")
        kb.searcher(other).checked = 0
        assert kb.index_state(other) == (True, generation + 1)
        assert "KB-1" not in [k for k, _ in kb.search_ids(other, "paper jam")]
    finally:
        other.dispose()


def test_an_editor_finds_what_they_just_saved(db):
    store.import_jsonl(db, lines(ARTICLES))
    sup = make_agent(db, "sue", role="supervisor")
    assert kb.search_ids(db, "docking station") == []  # the index is built and was just checked
    saved = kb.save_solution(
        db,
        sup,
        external_id=None,
        title="Docking station not detected",
        category="Laptop/Dock",
        lang="en",
        statements=["Reconnect the dock cable."],
        status="published",
    )
    assert kb.search(db, "docking station")[0].article_id == saved  # at once, not after FRESHNESS
    kb.set_status(db, sup, saved, "retired")
    assert kb.search_ids(db, "docking station") == []
