"""Knowledge edits never lose each other (issue 12, point 6): solutions and statements carry versions,
a stale save is refused saying who changed what, and every version is kept in an append-only history
written in the edit's own transaction (imports too)."""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DatabaseError as SADatabaseError

from deskterm.kb import store
from deskterm.models import KbRevision, KbStatement
from deskterm.services import kb
from deskterm.services.errors import Conflict
from tests.factories import make_agent, make_ticket

ARTICLES = [
    {
        "id": "KB-0012",
        "lang": "en",
        "title": "Paper jam on the LP-2100 printer",
        "category": "Printer/Paper jam",
        "statements": ["Open the front cover.", "Restart the computer and try again."],
        "tags": ["printer"],
    },
    {
        "id": "KB-0049",
        "lang": "en",
        "title": "Computer is running very slowly",
        "category": "PC/Performance",
        "statements": ["Check the free disk space.", "Restart the computer and try again."],
        "tags": ["slow"],
    },
]


def load(db, items=ARTICLES) -> store.ImportReport:  # type: ignore[no-untyped-def]
    return store.import_jsonl(db, [json.dumps(a, ensure_ascii=False) for a in items])


def save(db, actor, article: kb.KbArticleView, **changes):  # type: ignore[no-untyped-def]
    """What the editor sends: the form as read, with `changes` applied, and the versions it read."""
    fields = {
        "title": article.title,
        "category": article.category,
        "lang": article.lang,
        "status": article.status,
        "tags": article.tags,
        "statements": [s.text for s in article.statements],
    } | changes
    return kb.save_solution(
        db,
        actor,
        external_id=article.external_id,
        version=article.version,
        statement_versions={s.id: s.version for s in article.statements},
        **fields,
    )


def revisions(db) -> int:  # type: ignore[no-untyped-def]
    with db.read() as s:
        return s.execute(select(func.count()).select_from(KbRevision)).scalar_one()


def test_two_editors_the_second_save_is_refused_and_nothing_is_lost(db):
    load(db)
    sue = make_agent(db, "sue", role="supervisor", name="Sue Lin")
    sam = make_agent(db, "sam", role="supervisor", name="Sam Wu")
    read_by_sue = kb.get_article_by_external_id(db, "KB-0012")
    read_by_sam = kb.get_article_by_external_id(db, "KB-0012")
    save(db, sue, read_by_sue, title="Paper jam on the LP-2100 laser printer")
    before = revisions(db)

    statements = [s.text for s in read_by_sam.statements] + ["Remove the toner cartridge."]
    with pytest.raises(Conflict) as refused:
        save(db, sam, read_by_sam, statements=statements)
    message = str(refused.value)
    # who changed what meanwhile, and that nothing was saved
    assert "KB-0012 was changed meanwhile by Sue Lin" in message
    assert "“Paper jam on the LP-2100 printer” → “Paper jam on the LP-2100 laser printer”" in message
    assert "Nothing was saved" in message
    now = kb.get_article_by_external_id(db, "KB-0012")
    assert now.title == "Paper jam on the LP-2100 laser printer"  # the first save is kept
    assert [s.text for s in now.statements] == ARTICLES[0]["statements"]
    assert now.version == read_by_sue.version + 1 and revisions(db) == before

    save(db, sam, now, statements=statements)  # reloaded and re-applied: both changes are in
    both = kb.get_article_by_external_id(db, "KB-0012")
    assert both.title == "Paper jam on the LP-2100 laser printer"
    assert both.statements[-1].text == "Remove the toner cartridge."
    assert both.version == now.version + 1


def test_a_statement_edited_under_an_article_editor_is_refused(db):
    load(db)
    sue = make_agent(db, "sue", role="supervisor", name="Sue Lin")
    sam = make_agent(db, "sam", role="supervisor", name="Sam Wu")
    in_sues_editor = kb.get_article_by_external_id(db, "KB-0012")
    shared = in_sues_editor.statements[1]
    assert shared.used_by == 2  # KB-0049 uses it too
    # Sam edits the shared statement (from KB-0049's editor) while Sue has KB-0012 open
    kb.edit_statement(db, sam, shared.id, "Restart the PC, then try again.", version=shared.version)
    with db.read() as s:
        statement_count = s.execute(select(func.count()).select_from(KbStatement)).scalar_one()

    # Sue saves the solution: it still shows the old text of the statement
    with pytest.raises(Conflict) as refused:
        save(db, sue, in_sues_editor, title="Paper jam (LP-2100)")
    message = str(refused.value)
    assert f"statement #{shared.id} “Restart the computer and try again.”" in message
    assert "changed meanwhile by Sam Wu" in message and "now “Restart the PC, then try again.”" in message
    after = kb.get_article_by_external_id(db, "KB-0012")
    assert after.title == in_sues_editor.title and after.version == in_sues_editor.version
    assert after.statements[1].text == "Restart the PC, then try again."  # Sam's edit stands
    with db.read() as s:  # the old text was not stored again as a new statement
        assert s.execute(select(func.count()).select_from(KbStatement)).scalar_one() == statement_count

    # Sue edits the statement itself from her editor, from the version she read: refused too
    with pytest.raises(Conflict, match="changed meanwhile by Sam Wu"):
        kb.edit_statement(db, sue, shared.id, "Restart the computer twice.", version=shared.version)
    assert kb.get_article(db, after.id).statements[1].text == "Restart the PC, then try again."


def test_history_rows_per_save_and_import(db):
    sue = make_agent(db, "sue", role="supervisor", name="Sue Lin")
    report = load(db)
    # one version per new solution and per new statement, in the import's transaction
    assert revisions(db) == report.added + report.statements_added == 2 + 3
    load(db)
    assert revisions(db) == 5  # an unchanged import records nothing

    changed = [ARTICLES[0] | {"title": "Paper jam (LP-2100)", "statements": ["Open the front cover."]}]
    load(db, changed)
    kb.save_solution(
        db, sue, external_id="KB-0100", title="Toner low", category="Printer", lang="en", statements=["x."]
    )
    article = kb.get_article_by_external_id(db, "KB-0012")
    save(db, sue, article, statements=["Open the front cover.", "Pull the sheet out slowly."])
    kb.set_status(db, sue, article.id, "retired")
    shared = kb.get_article_by_external_id(db, "KB-0049").statements[1]
    kb.edit_statement(db, sue, shared.id, "Restart the PC.", version=shared.version)

    versions = kb.history(db, "KB-0012")
    assert [(v.version, v.by, v.action) for v in versions] == [
        (4, "Sue Lin", "edited"),
        (3, "Sue Lin", "edited"),
        (2, "import", "imported"),
        (1, "import", "imported"),
    ]  # the shared statement's edit is not KB-0012's: it no longer uses it
    assert [v.summary for v in versions] == [
        "status “published” → “retired”",
        "statement 2 added “Pull the sheet out slowly.”",
        "imported: title “Paper jam on the LP-2100 printer” → “Paper jam (LP-2100)”; "
        "statement 2 removed “Restart the computer and try again.”",
        "imported “Paper jam on the LP-2100 printer”",
    ]
    assert all(v.at.tzinfo is not None for v in versions)
    slow = kb.history(db, "KB-0049")
    assert (slow[0].statement_id, slow[0].position, slow[0].by) == (shared.id, 2, "Sue Lin")
    assert slow[0].summary == (
        f"statement 2 (#{shared.id}, shared): text “Restart the computer and try again.” → “Restart the PC.”"
    )
    assert [v.summary for v in kb.history(db, "KB-0100")] == ["created “Toner low”"]
    assert [(v.version, v.action) for v in kb.history(db, statement_id=shared.id)] == [
        (2, "edited"),
        (1, "imported"),
    ]


def test_history_is_written_in_the_edit_transaction(db, monkeypatch):
    load(db)
    sue = make_agent(db, "sue", role="supervisor")
    article = kb.get_article_by_external_id(db, "KB-0012")

    def broken(session, rows):  # type: ignore[no-untyped-def]
        raise RuntimeError("the history could not be written")

    monkeypatch.setattr(store, "record", broken)
    with pytest.raises(RuntimeError):
        save(db, sue, article, title="Changed without a history")
    with pytest.raises(RuntimeError):
        kb.edit_statement(db, sue, article.statements[0].id, "Changed too.", version=1)
    after = kb.get_article(db, article.id)
    assert (after.title, after.version) == (article.title, article.version)
    assert after.statements[0].text == "Open the front cover."


def test_a_new_solution_never_overwrites_one_with_the_same_id(db):
    load(db)
    sue = make_agent(db, "sue", role="supervisor")
    with pytest.raises(Conflict, match="KB-0012 exists already"):
        kb.save_solution(
            db, sue, external_id="KB-0012", title="Other", category="", lang="en", statements=["y."]
        )
    assert kb.get_article_by_external_id(db, "KB-0012").title == ARTICLES[0]["title"]


def test_a_status_change_from_a_stale_version_is_refused(db):
    load(db)
    sue = make_agent(db, "sue", role="supervisor", name="Sue Lin")
    article = kb.get_article_by_external_id(db, "KB-0012")
    assert kb.set_status(db, sue, article.id, "draft", version=article.version) == article.version + 1
    with pytest.raises(Conflict, match=r"by Sue Lin .*status “published” → “draft”"):
        kb.set_status(db, sue, article.id, "retired", version=article.version)


def test_a_solution_solving_a_ticket_is_no_edit(db):
    """The score and usage count are not content: "this solved it" meanwhile refuses no editor."""
    load(db)
    sue = make_agent(db, "sue", role="supervisor")
    article = kb.get_article_by_external_id(db, "KB-0012")
    kb.solved_it(db, sue, make_ticket(db, sue).number, article.id)
    save(db, sue, article, title="Paper jam (LP-2100)")
    assert kb.get_article(db, article.id).score == 1.0


def test_the_history_is_append_only(db):
    load(db)
    for sql in ("UPDATE kb_revision SET changes = '{}'", "DELETE FROM kb_revision"):
        with pytest.raises(SADatabaseError, match="append-only"), db.write() as s:
            s.execute(text(sql))
    if db.is_sqlite:  # REPLACE deletes the row it collides with without firing delete triggers
        with pytest.raises(SADatabaseError, match="append-only"), db.write() as s:
            s.execute(
                text(
                    "REPLACE INTO kb_revision (id, article_id, version, at, action, changes) "
                    'SELECT id, article_id, version, at, \'edited\', \'{"title": ["x", "forged"]}\' '
                    "FROM kb_revision WHERE article_id IS NOT NULL LIMIT 1"
                )
            )
    assert revisions(db) == 5


def race(db, editors, article: kb.KbArticleView, title: str) -> list[object]:  # type: ignore[no-untyped-def]
    """Both editors save `article` as read, at once: what each got ("saved" or the exception)."""
    start = threading.Barrier(len(editors))
    outcomes: list[object] = []

    def edit(editor) -> None:  # type: ignore[no-untyped-def]
        start.wait()
        try:
            save(db, editor, article, title=f"{title} by {editor.login}")
            outcomes.append("saved")
        except Exception as e:  # noqa: BLE001 - anything but Conflict is the failure looked for
            outcomes.append(e)

    threads = [threading.Thread(target=edit, args=(editor,)) for editor in editors]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def test_two_editors_saving_at_once_one_wins_one_is_told(db):
    """The version check and the write are one step: of two saves from the same version, exactly
    one is stored and the other refused, whatever the timing (rows locked, BEGIN IMMEDIATE)."""
    load(db)
    editors = [make_agent(db, f"ed{n}", role="supervisor") for n in range(2)]
    for attempt in range(4):
        article = kb.get_article_by_external_id(db, "KB-0012")
        outcomes = race(db, editors, article, f"try {attempt}")
        assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "str"], outcomes
        assert kb.get_article(db, article.id).version == article.version + 1
    versions = [v.version for v in kb.history(db, "KB-0012")]
    assert versions == list(range(len(versions), 0, -1))  # one version each, none skipped
