"""Search and recommendations through a live in-memory index (kb/engine.py), one per database per
process: loaded from the copy saved in the database (kb/snapshot.py; built from the articles and
saved when none fits) in the background (never delaying start-up) and kept current, each search
first picking up articles changed since the last look (one cheap indexed query), so an edit in one
console is found in the others within the live-update bound."""

from __future__ import annotations

import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime
from typing import TypedDict, Unpack

from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col

from .. import memory
from ..db import Database
from ..kb import snapshot, store
from ..kb.engine import KbIndex, Synonyms
from ..models import (
    KbArticle,
    KbSynonym,
)
from .per_database import PerDatabase

# How often a search looks for articles changed by others (seconds).
FRESHNESS = 0.25
# A saved index that needed more articles patched in than this is saved again, patched.
RESAVE_AFTER = 200


@dataclass(frozen=True)
class KbSuggestion:
    article_id: int
    external_id: str
    title: str
    category: str
    lang: str
    statements: list[str]
    score: float


class KbSearcher:
    """One live index per database per process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.index: KbIndex | None = None
        self.newest: datetime | None = None
        self.checked = 0.0
        self.synonyms_at: tuple[int, datetime | None] | None = None
        self.lock = threading.Lock()  # guards swapping and updating the index
        self.build_lock = threading.Lock()  # one build at a time; searches wait for it
        self.ready = threading.Event()
        self.generation = 0  # bumped whenever the index changes: screens re-run their search
        self.loaded = False  # whether the last build loaded the saved index (False: built it)

    def build(self) -> None:
        """Load the index saved in the database, patched with the articles changed since; when
        none fits (another deskterm, other synonyms, damaged, articles missing), build it from
        the articles and save it for the next process."""
        with self.build_lock:
            started = time.perf_counter()
            synonyms_at = self._synonyms_changed_at()
            synonyms = store.load_synonyms(self.db)
            key = snapshot.key(synonyms)
            found = self._load(key, synonyms)
            save = None
            if found is not None:
                index, newest, patched = found
                if patched > RESAVE_AFTER:
                    save = store.SavedIndex(snapshot.dump(index), newest, len(index))
            else:
                docs, _ids, newest = store.load_docs(self.db)
                index = KbIndex.build(docs, synonyms)
                del docs
                # dumped before anyone searches it (a refresh would change it under the dump)
                save = store.SavedIndex(snapshot.dump(index), newest, len(index))
            with self.lock:
                self.index, self.newest = index, newest
                self.synonyms_at = synonyms_at
                self.checked = time.monotonic()
                self.build_seconds = time.perf_counter() - started
                self.loaded = found is not None
                self.generation += 1
            self.ready.set()
            if save is not None:
                # failing (another process saved at the same moment, no right to): built next time
                with suppress(SQLAlchemyError):
                    store.save_index(self.db, key, save)
        memory.keep()  # the index stays until the next build

    def _load(self, key: str, synonyms: Synonyms) -> tuple[KbIndex, datetime | None, int] | None:
        """The saved index with the articles changed since it was saved, their newest change and
        how many there were; None if there is none to use."""
        saved = store.read_index(self.db, key)
        if saved is None or saved.newest is None:
            return None
        try:
            index = snapshot.load(saved.data, synonyms)
        except snapshot.CorruptSnapshot:
            return None
        if len(index) != saved.articles:
            return None
        docs, _ids, newest = store.load_docs(self.db, changed_after=saved.newest)
        for doc in docs:
            index.upsert(doc)
        if len(index) != store.article_count(self.db):
            return None  # it misses articles (or holds deleted ones): not worth patching
        return index, max(filter(None, (saved.newest, newest))), len(docs)

    def build_in_background(self) -> None:
        threading.Thread(target=self.build, name="kb-index", daemon=True).start()

    def current(self) -> KbIndex:
        """The index, built on first use and refreshed with articles changed since the last look."""
        if self.index is None:
            with self.build_lock:
                pass  # a build under way finishes first
            if self.index is None:
                self.build()
        elif time.monotonic() - self.checked >= FRESHNESS:
            self.refresh()
        assert self.index is not None
        return self.index

    def _synonyms_changed_at(self) -> tuple[int, datetime | None]:
        with self.db.read() as s:
            count, newest = s.execute(select(func.count(), func.max(col(KbSynonym.updated_at)))).one()
            return count, newest

    def refresh(self) -> None:
        with self.db.read() as s:
            newest = s.execute(select(func.max(col(KbArticle.updated_at)))).scalar()
        self.checked = time.monotonic()
        if self._synonyms_changed_at() != self.synonyms_at:  # maintainers edited the synonyms
            self.build()
            return
        if newest is None or (self.newest is not None and newest <= self.newest):
            return
        docs, _ids, newest = store.load_docs(self.db, changed_after=self.newest)
        with self.lock:
            assert self.index is not None
            for doc in docs:
                self.index.upsert(doc)
            self.newest = max(filter(None, (self.newest, newest)))
            self.generation += 1


searcher: PerDatabase[KbSearcher] = PerDatabase(KbSearcher)


def edited(db: Database) -> None:
    """This process changed articles or synonyms: its next search looks for the change at once
    instead of within FRESHNESS (an editor searching for what was just saved finds it)."""
    found = searcher.existing(db)
    if found is not None:
        found.checked = 0.0


def warm_up(db: Database) -> None:
    """Start building the index in the background (consoles call this after login)."""
    s = searcher(db)
    if s.index is None and not s.ready.is_set():
        s.build_in_background()


def index_state(db: Database) -> tuple[bool, int]:
    """(ready, generation): whether the index is built, and a number that changes whenever
    articles changed (picking up others' edits first; never starts a build)."""
    s = searcher(db)
    if not s.ready.is_set() or s.index is None:
        return False, 0
    if time.monotonic() - s.checked >= FRESHNESS:
        s.refresh()
    return True, s.generation


class SearchOptions(TypedDict, total=False):
    """What a search may be told besides its query; each left out takes KbIndex.search's default
    (limit 10, mode "all", any category, any language, statuses ("published",))."""

    limit: int
    mode: str
    category: str | None
    lang: str | None
    statuses: tuple[str, ...]


def search_ids(
    db: Database, query: str, *, timing: dict | None = None, **options: Unpack[SearchOptions]
) -> list[tuple[str, float]]:
    """Ranked (external id, score) pairs: what the batch CLI prints."""
    hits = searcher(db).current().search(query, timing=timing, **options)
    return [(h.key, h.score) for h in hits]


def search(db: Database, query: str, **options: Unpack[SearchOptions]) -> list[KbSuggestion]:
    return suggestions(db, search_ids(db, query, **options))


def recommend(db: Database, text: str, *, limit: int = 5, lang: str | None = None) -> list[KbSuggestion]:
    """Recommended solutions for a ticket being typed: its summary and symptoms as the query."""
    text = " ".join(text.split())[:400]
    if len(text) < 2:
        return []
    return search(db, text, limit=limit, lang=lang)


def suggestions(db: Database, hits: list[tuple[str, float]]) -> list[KbSuggestion]:
    if not hits:
        return []
    with db.read() as s:
        rows = {
            r.external_id: r
            for r in s.execute(
                select(KbArticle).where(col(KbArticle.external_id).in_([h[0] for h in hits]))
            ).scalars()
        }
        statements = store._statements_by_article(s, [r.id for r in rows.values()])
    return [
        KbSuggestion(
            article_id=rows[key].id,
            external_id=key,
            title=rows[key].title,
            category=rows[key].category,
            lang=rows[key].lang,
            statements=statements.get(rows[key].id, []),
            score=score,
        )
        for key, score in hits
        if key in rows
    ]


def faq(
    db: Database,
    *,
    category: str | None = None,
    lang: str | None = None,
    limit: int = 10,
    per_category: int | None = None,
) -> list[KbSuggestion]:
    """The top published solutions by score; with `per_category`, the best few of each category
    one level below `category` (of each top-level category without it), by category."""
    with db.read() as s:
        query = select(col(KbArticle.external_id), col(KbArticle.score), col(KbArticle.category)).where(
            col(KbArticle.status) == "published"
        )
        if category:
            category = category.strip("/")
            query = query.where(
                (col(KbArticle.category) == category) | col(KbArticle.category).startswith(category + "/")
            )
        if lang:
            query = query.where(col(KbArticle.lang) == lang)
        fetch = limit if per_category is None else max(limit * 20, 500)
        rows = s.execute(query.order_by(col(KbArticle.score).desc(), col(KbArticle.id)).limit(fetch)).all()
    if per_category is not None:
        depth = category.count("/") + 2 if category else 1
        groups: dict[str, list] = {}
        for r in rows:
            group = "/".join(r.category.split("/")[:depth])
            if len(groups.setdefault(group, [])) < per_category:
                groups[group].append(r)
        rows = [r for g in sorted(groups) for r in groups[g]][:limit]
    return suggestions(db, [(r.external_id, float(r.score)) for r in rows])
