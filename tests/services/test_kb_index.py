"""The search index saved in the database: the next process loads it (same ranking as a fresh
build), patches in what changed since, and builds anew when the saved copy does not fit or is
damaged."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import update

from deskterm import clock
from deskterm.db import Database, open_database
from deskterm.kb import store
from deskterm.kb.engine import KbIndex
from deskterm.models import KbIndexSnapshot
from deskterm.services import kb
from tests.factories import make_agent
from tests.kb import EVAL_DIR, eval_queries


@pytest.fixture
def desk(db: Database) -> Database:
    if not EVAL_DIR.is_dir():
        pytest.skip("no kb-eval corpus")
    store.import_jsonl(db, (EVAL_DIR / "articles.jsonl").read_text(encoding="utf-8").splitlines())
    return db


def _queries() -> list[str]:
    return [q["q"] for q in eval_queries()]


@contextmanager
def _another_process(db: Database) -> Iterator[Database]:
    """The same database as another process sees it, its index built (loaded or not)."""
    other = open_database(db.engine.url.render_as_string(hide_password=False))
    try:
        kb.searcher(other).build()
        yield other
    finally:
        other.dispose()


def _fresh_build(db: Database) -> KbIndex:
    docs, _ids, _newest = store.load_docs(db)
    return KbIndex.build(docs, store.load_synonyms(db))


def test_the_next_process_loads_the_saved_index_and_ranks_alike(desk):
    kb.searcher(desk).build()
    assert not kb.searcher(desk).loaded  # nothing saved yet: built, then saved
    with _another_process(desk) as other:
        assert kb.searcher(other).loaded
        fresh = _fresh_build(desk)
        for q in _queries():
            assert kb.search_ids(other, q) == [(h.key, h.score) for h in fresh.search(q)], q


def test_a_stale_saved_index_is_patched_with_the_changes(desk):
    kb.searcher(desk).build()
    sup = make_agent(desk, "sue", role="supervisor")
    kb.save_solution(
        desk,
        sup,
        external_id="KB-9001",
        title="Badge reader refuses the new card",
        category="Facilities/Access",
        lang="en",
        statements=["Ask reception to enable the card."],
        status="published",
    )
    with _another_process(desk) as other:
        assert kb.searcher(other).loaded
        assert kb.search_ids(other, "badge reader")[0][0] == "KB-9001"


def test_a_saved_index_missing_articles_is_built_anew(desk):
    kb.searcher(desk).build()
    one = {"id": "KB-9002", "title": "Badge reader refuses the new card", "statements": ["Ask reception."]}
    store.import_jsonl(desk, [json.dumps(one)])
    # as if that article had been committed with an older time than the newest one saved
    with desk.write() as s:
        s.execute(update(KbIndexSnapshot).values(newest=clock.now() + timedelta(hours=1)))
    with _another_process(desk) as other:
        assert not kb.searcher(other).loaded
        assert kb.search_ids(other, "badge reader")[0][0] == "KB-9002"
    saved = store.read_index(desk, _key(desk))
    assert saved is not None and saved.articles == store.article_count(desk)  # saved right again


def test_other_synonyms_make_the_saved_index_unfit(desk):
    kb.searcher(desk).build()
    kb.add_synonyms(desk, make_agent(desk, "kim", role="supervisor"), ["laptop", "zorblat"])
    with _another_process(desk) as other:
        assert not kb.searcher(other).loaded
        assert kb.search_ids(other, "zorblat")


@pytest.mark.parametrize("data", [b"", b"garbage", b"DKBI" + bytes(40)])
def test_a_damaged_saved_index_is_built_anew_and_saved_again(desk, data):
    kb.searcher(desk).build()
    with desk.write() as s:
        s.execute(update(KbIndexSnapshot).values(data=data))
    with _another_process(desk) as other:
        assert not kb.searcher(other).loaded
        assert kb.search_ids(other, "RAID degraded NS8480")
    with _another_process(desk) as third:
        assert kb.searcher(third).loaded


def _key(db: Database) -> str:
    from deskterm.kb import snapshot

    return snapshot.key(store.load_synonyms(db))
