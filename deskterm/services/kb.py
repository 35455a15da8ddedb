"""The knowledge base at the desk: search and recommendations through a live in-memory index,
articles as read-models, "this solved it", editing solutions from reusable statements, synonyms.

Edits never lose each other: a solution and a statement each carry a version, every edit names the
version it read, and a stale one is refused saying who changed what meanwhile. Every version is
kept in the history (kb_revision), written in the edit's own transaction.

The index is built from the database in the background (never delaying start-up) and kept
current: each search first picks up articles changed since the last look (one cheap indexed
query), so an edit in one console is found in the others within the live-update bound."""

from __future__ import annotations

import json
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from .. import clock, memory
from ..db import Database
from ..kb import store
from ..kb.engine import KbIndex
from ..models import (
    Agent,
    EventKind,
    KbArticle,
    KbArticleStatement,
    KbRevision,
    KbStatement,
    KbSynonym,
    TicketArticle,
)
from . import inputs
from .auth import Actor, require
from .errors import Conflict, InvalidInput, NotFound, PermissionDenied
from .tickets import find_ticket, normalise_number, record_event

# How often a search looks for articles changed by others (seconds).
FRESHNESS = 0.25


@dataclass(frozen=True)
class KbSuggestion:
    article_id: int
    external_id: str
    title: str
    category: str
    lang: str
    statements: list[str]
    score: float


@dataclass(frozen=True)
class StatementView:
    id: int
    text: str
    used_by: int  # how many solutions use this statement
    version: int  # what an edit of it (or a save of a solution using it) names as read


@dataclass(frozen=True)
class KbArticleView:
    id: int
    external_id: str
    title: str
    category: str
    lang: str
    status: str
    tags: list[str]
    statements: list[StatementView]
    score: float
    votes_up: int
    usage_count: int
    updated_at: datetime
    version: int  # what a save names as read


@dataclass(frozen=True)
class RevisionView:
    """One version in the history of a solution or of a statement."""

    article: str | None  # the solution's external id, for a version of a solution
    statement_id: int | None  # for a version of a statement
    position: int | None  # that statement's place in the solution asked about (from 1)
    version: int
    at: datetime
    by: str  # the agent's name; "import" for an import without a login
    action: str  # created | edited | imported
    changes: dict[str, Any]
    summary: str  # one line: what changed

    def as_json(self) -> dict[str, Any]:
        return {
            "article": self.article,
            "statement": self.statement_id,
            "position": self.position,
            "version": self.version,
            "at": self.at.isoformat(),
            "by": self.by,
            "action": self.action,
            "changes": self.changes,
            "summary": self.summary,
        }


class KbSearcher:
    """One live index per database per process."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.index: KbIndex | None = None
        self.ids: dict[str, int] = {}
        self.newest: datetime | None = None
        self.checked = 0.0
        self.synonyms_at: tuple[int, datetime | None] | None = None
        self.lock = threading.Lock()  # guards swapping and updating the index
        self.build_lock = threading.Lock()  # one build at a time; searches wait for it
        self.ready = threading.Event()
        self.generation = 0  # bumped whenever the index changes: screens re-run their search

    def build(self) -> None:
        with self.build_lock:
            started = time.perf_counter()
            synonyms_at = self._synonyms_changed_at()
            docs, ids, newest = store.load_docs(self.db)
            index = KbIndex.build(docs, store.load_synonyms(self.db))
            with self.lock:
                self.index, self.ids, self.newest = index, ids, newest
                self.synonyms_at = synonyms_at
                self.checked = time.monotonic()
                self.build_seconds = time.perf_counter() - started
                self.generation += 1
            self.ready.set()
        memory.keep()  # the index stays until the next build

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
            count, newest = s.execute(select(func.count(), func.max(KbSynonym.updated_at))).one()
            return count, newest

    def refresh(self) -> None:
        with self.db.read() as s:
            newest = s.execute(select(func.max(KbArticle.updated_at))).scalar()
        self.checked = time.monotonic()
        if self._synonyms_changed_at() != self.synonyms_at:  # maintainers edited the synonyms
            self.build()
            return
        if newest is None or (self.newest is not None and newest <= self.newest):
            return
        docs, ids, newest = store.load_docs(self.db, changed_after=self.newest)
        with self.lock:
            assert self.index is not None
            for doc in docs:
                self.index.upsert(doc)
            self.ids.update(ids)
            self.newest = max(filter(None, (self.newest, newest)))
            self.generation += 1


_searchers: weakref.WeakKeyDictionary[Database, KbSearcher] = weakref.WeakKeyDictionary()
_searchers_lock = threading.Lock()


def searcher(db: Database) -> KbSearcher:
    with _searchers_lock:
        found = _searchers.get(db)
        if found is None:
            found = _searchers[db] = KbSearcher(db)
        return found


def _edited(db: Database) -> None:
    """This process changed articles or synonyms: its next search looks for the change at once
    instead of within FRESHNESS (an editor searching for what was just saved finds it)."""
    with _searchers_lock:
        found = _searchers.get(db)
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


def search_ids(
    db: Database,
    query: str,
    *,
    limit: int = 10,
    mode: str = "all",
    category: str | None = None,
    lang: str | None = None,
    statuses: tuple[str, ...] = ("published",),
    timing: dict | None = None,
) -> list[tuple[str, float]]:
    """Ranked (external id, score) pairs: what the batch CLI prints."""
    index = searcher(db).current()
    hits = index.search(
        query, limit=limit, mode=mode, category=category, lang=lang, statuses=statuses, timing=timing
    )
    return [(h.key, h.score) for h in hits]


def search(
    db: Database,
    query: str,
    *,
    limit: int = 10,
    mode: str = "all",
    category: str | None = None,
    lang: str | None = None,
    statuses: tuple[str, ...] = ("published",),
) -> list[KbSuggestion]:
    hits = search_ids(db, query, limit=limit, mode=mode, category=category, lang=lang, statuses=statuses)
    return _suggestions(db, hits)


def recommend(db: Database, text: str, *, limit: int = 5, lang: str | None = None) -> list[KbSuggestion]:
    """Recommended solutions for a ticket being typed: its summary and symptoms as the query."""
    text = " ".join(text.split())[:400]
    if len(text) < 2:
        return []
    return search(db, text, limit=limit, lang=lang)


def _suggestions(db: Database, hits: list[tuple[str, float]]) -> list[KbSuggestion]:
    if not hits:
        return []
    with db.read() as s:
        rows = {
            r.external_id: r
            for r in s.execute(
                select(KbArticle).where(col(KbArticle.external_id).in_([h[0] for h in hits]))
            ).scalars()
        }
        statements = store._statements_by_article(s, [r.id for r in rows.values()])  # type: ignore[misc]
    return [
        KbSuggestion(
            article_id=rows[key].id,  # type: ignore[arg-type]
            external_id=key,
            title=rows[key].title,
            category=rows[key].category,
            lang=rows[key].lang,
            statements=statements.get(rows[key].id, []),  # type: ignore[arg-type]
            score=score,
        )
        for key, score in hits
        if key in rows
    ]


def get_article(db: Database, article_id: int) -> KbArticleView:
    with db.read() as s:
        row = s.get(KbArticle, article_id)
        if row is None:
            raise NotFound(f"no article {article_id}")
        usage = func.count(KbArticleStatement.article_id)
        used = (
            select(KbArticleStatement.statement_id, usage)
            .group_by(col(KbArticleStatement.statement_id))
            .subquery()
        )
        rows = s.execute(
            select(KbStatement.id, KbStatement.text, used.c[1], KbStatement.version)
            .join(KbArticleStatement, col(KbArticleStatement.statement_id) == KbStatement.id)
            .join(used, used.c.statement_id == KbStatement.id)
            .where(KbArticleStatement.article_id == article_id)
            .order_by(col(KbArticleStatement.position))
        ).all()
        return KbArticleView(
            id=row.id,  # type: ignore[arg-type]
            external_id=row.external_id,
            title=row.title,
            category=row.category,
            lang=row.lang,
            status=row.status,
            tags=[t for t in row.tags.split(",") if t],
            statements=[StatementView(id=r[0], text=r[1], used_by=r[2], version=r[3]) for r in rows],
            score=row.score,
            votes_up=row.votes_up,
            usage_count=row.usage_count,
            updated_at=row.updated_at,
            version=row.version,
        )


def get_article_by_external_id(db: Database, external_id: str) -> KbArticleView:
    key = inputs.key(external_id)
    with db.read() as s:
        article_id = s.execute(select(KbArticle.id).where(KbArticle.external_id == key)).scalar()
    if article_id is None:
        raise NotFound(f"no article {external_id}")
    return get_article(db, article_id)


def mark_solved(session, actor_id: int | None, ticket_id: int, article_id: int) -> bool:  # type: ignore[no-untyped-def]
    """Inside the caller's transaction: link the article to the ticket and raise its score
    (the "neuron": solutions that solve tickets rise). False if it was linked already."""
    if session.get(TicketArticle, (ticket_id, article_id)) is not None:
        return False
    if session.get(KbArticle, article_id) is None:
        raise NotFound(f"no article {article_id}")
    now = clock.now()
    session.add(TicketArticle(ticket_id=ticket_id, article_id=article_id, agent_id=actor_id, at=now))
    session.execute(
        update(KbArticle)
        .where(col(KbArticle.id) == article_id)
        .values(score=KbArticle.score + 1, usage_count=KbArticle.usage_count + 1, updated_at=now)
    )
    return True


def solved_it(db: Database, actor: Actor, ticket_number: str, article_id: int) -> bool:
    """ "This solved it" on the ticket being worked: link, raise the score, and record it."""
    with db.write() as s:
        require(s, actor, "tickets.read")
        ticket = find_ticket(s, ticket_number)
        article = s.get(KbArticle, article_id)
        if article is None:
            raise NotFound(f"no article {article_id}")
        linked = mark_solved(s, actor.id, ticket.id, article_id)  # type: ignore[arg-type]
        if linked:
            record_event(
                s,
                ticket,
                actor.id,
                EventKind.LINKED,
                f"{article.external_id} {article.title}",
                data={"article": article.external_id, "solved": True},
            )
        return linked


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
        query = select(KbArticle.external_id, KbArticle.score, KbArticle.category).where(
            KbArticle.status == "published"
        )
        if category:
            category = category.strip("/")
            query = query.where(
                (KbArticle.category == category) | col(KbArticle.category).startswith(category + "/")
            )
        if lang:
            query = query.where(KbArticle.lang == lang)
        fetch = limit if per_category is None else max(limit * 20, 500)
        rows = s.execute(query.order_by(col(KbArticle.score).desc(), col(KbArticle.id)).limit(fetch)).all()
    if per_category is not None:
        depth = category.count("/") + 2 if category else 1
        groups: dict[str, list] = {}
        for r in rows:
            group = "/".join(r[2].split("/")[:depth])
            if len(groups.setdefault(group, [])) < per_category:
                groups[group].append(r)
        rows = [r for g in sorted(groups) for r in groups[g]][:limit]
    return _suggestions(db, [(r[0], float(r[1])) for r in rows])


def note_text(article: KbArticleView | KbSuggestion) -> str:
    """A solution as a ticket note: its id and title, then its numbered statements."""
    texts = [st.text if isinstance(st, StatementView) else st for st in article.statements]
    lines = [f"{article.external_id} {article.title}"]
    lines += [f"{n}. {t}" for n, t in enumerate(texts, 1)]
    return "\n".join(lines)


def copy_to_note(db: Database, actor: Actor, number: str, article_id: int, *, public: bool = False) -> int:
    """Copy a solution's statements into a note on a ticket (the ticket's event log)."""
    from .workflow import add_note  # the desk's one way to add a note (permissions, limits)

    article = get_article(db, article_id)
    return add_note(db, actor, normalise_number(number), note_text(article), public=public)


# --- editing (KB editors: supervisors, or agents with the KB right) -------------------------------


def require_editor(s: Session, actor: Actor) -> None:
    require(s, actor, "kb.edit")


def _short(value: object, width: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _created(changes: dict[str, Any]) -> bool:
    title = changes.get("title")
    return bool(title) and title[0] is None


def describe_lines(action: str, changes: dict[str, Any], width: int = 60) -> list[str]:
    """What changed in a version of the history, one line a change (texts cut to `width`)."""
    if _created(changes):
        return [f"{action} “{_short(changes['title'][1], width)}”"]
    lines = [
        f"{key} “{_short(changes[key][0], width)}” → “{_short(changes[key][1], width)}”"
        for key in (*store.FIELDS, "text")
        if key in changes
    ]
    statements = changes.get("statements", {})
    lines += [f"statement {n} removed “{_short(t, width)}”" for n, t in statements.get("removed", [])]
    lines += [f"statement {n} added “{_short(t, width)}”" for n, t in statements.get("added", [])]
    if statements.get("reordered"):
        lines.append("statements reordered")
    return lines or [action]


def describe(action: str, changes: dict[str, Any]) -> str:
    """One line for a version in the history: what changed (and how, unless by an editor's save)."""
    text = "; ".join(describe_lines(action, changes))
    if action == "edited" or _created(changes) or not changes:
        return text
    return f"{action}: {text}"


def _names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(s.execute(select(Agent.id, Agent.name).where(col(Agent.id).in_(ids))).all())  # type: ignore[arg-type]


def _newer(s: Session, subject: Any, seen: int) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """Who made the versions of a solution or statement after `seen`, and (action, changes) of each."""
    column = KbRevision.article_id if isinstance(subject, KbArticle) else KbRevision.statement_id
    rows = s.execute(
        select(KbRevision.actor_id, KbRevision.action, KbRevision.changes)
        .where(column == subject.id, col(KbRevision.version) > seen)
        .order_by(col(KbRevision.version))
    ).all()
    names = _names(s, {r[0] for r in rows if r[0] is not None})
    who = sorted({names.get(r[0], "someone") if r[0] is not None else "an import" for r in rows})
    return ", ".join(who) or "someone", [(r[1], json.loads(r[2])) for r in rows]


def _stale_solution(s: Session, row: KbArticle, seen: int) -> Conflict:
    who, versions = _newer(s, row, seen)
    what = "; ".join(describe(action, changes) for action, changes in versions[:3])
    if len(versions) > 3:
        what += f"; and {len(versions) - 3} more versions"
    return Conflict(
        f"{row.external_id} was changed meanwhile by {who} (version {seen} → {row.version}: {what}). "
        "Nothing was saved."
    )


def _stale_statement(s: Session, row: KbStatement, seen: int) -> Conflict:
    who, versions = _newer(s, row, seen)
    before = next((c["text"][0] for _a, c in versions if "text" in c), row.text)
    return Conflict(
        f"statement #{row.id} “{_short(before)}” was changed meanwhile by {who} "
        f"(version {seen} → {row.version}): now “{_short(row.text)}”. Nothing was saved."
    )


def save_solution(
    db: Database,
    actor: Actor,
    *,
    external_id: str | None,
    title: str,
    category: str,
    lang: str,
    statements: list[str],
    tags: list[str] | None = None,
    status: str = "draft",
    version: int | None = None,
    statement_versions: dict[int, int] | None = None,
) -> int:
    """Create (`version` None) or edit (`version`: the one the editor read) a solution from its
    statements; existing identical statements are reused. `statement_versions` (statement id ->
    version read) are the existing statements the editor showed. If the solution or one of those
    statements changed meanwhile, Conflict says who changed what, and nothing is saved."""
    errors: dict[str, str] = {}
    text = store.article_text(external_id or "", title, category, tags or [], statements, errors)
    title, category, statements, tag_text = text["title"], text["category"], text["statements"], text["tags"]
    if not title:
        errors.setdefault("title", "required")
    if not statements:
        errors.setdefault("statements", "a solution needs at least one statement")
    if lang not in store.LANGS:
        errors["lang"] = "en or zh"
    if status not in store.STATUSES:
        errors["status"] = "draft, published or retired"
    if errors:
        raise InvalidInput(errors)
    fields: dict[str, Any] = {
        "title": title,
        "category": category,
        "lang": lang,
        "status": status,
        "tags": tag_text,
        "statements": statements,
    }

    def work(s: Session) -> int:
        require_editor(s, actor)
        # the statements first, then the solution: the order edit_statement locks them in
        seen = statement_versions or {}
        shown = {}
        if seen:
            shown = {
                r.id: r
                for r in s.execute(
                    select(KbStatement)
                    .where(col(KbStatement.id).in_(sorted(seen)))
                    .order_by(col(KbStatement.id))
                    .with_for_update(read=True)
                ).scalars()
            }
        for statement_id, read in seen.items():
            if statement_id not in shown:
                raise NotFound(f"no statement #{statement_id}")
            if shown[statement_id].version != read:
                raise _stale_statement(s, shown[statement_id], read)
        key = external_id
        row = None
        if key is None:
            count = s.execute(select(func.count()).select_from(KbArticle)).scalar_one()
            key = f"KB-D{count + 1:05d}"
            while s.execute(select(KbArticle.id).where(KbArticle.external_id == key)).first():
                count += 1
                key = f"KB-D{count + 1:05d}"
        else:
            row = s.execute(
                select(KbArticle).where(KbArticle.external_id == key).with_for_update()
            ).scalar_one_or_none()
            if row is None and version is not None:
                raise NotFound(f"no solution {key}")
            if row is not None and version is None:
                raise Conflict(f"{key} exists already: open it to edit it")
            if row is not None and row.version != version:
                raise _stale_solution(s, row, version)  # type: ignore[arg-type]
        return store.save_article(
            s, fields | {"external_id": key}, store.ImportReport(), row=row, actor_id=actor.id
        )

    article_id = db.retrying(work)
    _edited(db)
    return article_id


def set_status(
    db: Database, actor: Actor, article_id: int, status: str, *, version: int | None = None
) -> int:
    """Publish, retire or return a solution to draft: a new version of it (refused if `version`, when
    given, is no longer current). Returns the solution's version now."""
    if status not in store.STATUSES:
        raise InvalidInput({"status": "draft, published or retired"})

    def work(s: Session) -> int:
        require_editor(s, actor)
        row = s.execute(
            select(KbArticle).where(KbArticle.id == article_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no article {article_id}")
        if version is not None and row.version != version:
            raise _stale_solution(s, row, version)
        if row.status == status:
            return row.version
        now, new, before = clock.now(), row.version + 1, row.status  # (the UPDATE refreshes `row`)
        s.execute(
            update(KbArticle)
            .where(col(KbArticle.id) == article_id)
            .values(status=status, updated_at=now, version=new)
        )
        store.record(s, [(article_id, None, new, actor.id, now, "edited", {"status": [before, status]})])
        return new

    new = db.retrying(work)
    _edited(db)
    return new


def _used_by(s: Session, ids: list[int]) -> dict[int, int]:
    return dict(
        s.execute(  # type: ignore[arg-type]
            select(KbArticleStatement.statement_id, func.count())
            .where(col(KbArticleStatement.statement_id).in_(ids))
            .group_by(col(KbArticleStatement.statement_id))
        ).all()
    )


def find_statements(db: Database, text: str, *, limit: int = 10) -> list[StatementView]:
    """Existing statements like `text`, to reuse rather than write again."""
    text = " ".join(inputs.key(text).split())
    if len(text) < 2:
        return []
    with db.read() as s:
        words = [w for w in text.split() if len(w) >= 2][:3] or [text]
        query = select(KbStatement.id, KbStatement.text)
        for w in words:
            query = query.where(col(KbStatement.text).icontains(w[:20]))
        rows = s.execute(query.limit(200)).all()
        if len(rows) < limit:  # fall back to the shortest word alone
            rows += s.execute(
                select(KbStatement.id, KbStatement.text)
                .where(col(KbStatement.text).icontains(min(words, key=len)))
                .limit(200)
            ).all()
        ranked = process.extract(text, {r[0]: r[1] for r in rows}, scorer=fuzz.WRatio, limit=limit)
        ids = [key for _text, _score, key in ranked]
        used = _used_by(s, ids)
        versions = dict(
            s.execute(select(KbStatement.id, KbStatement.version).where(col(KbStatement.id).in_(ids))).all()
        )
    return [
        StatementView(id=key, text=t, used_by=used.get(key, 0), version=versions[key])
        for t, _score, key in ranked
    ]


def get_statements(db: Database, ids: list[int]) -> dict[int, StatementView]:
    """These statements as now stored (an editor reloading what it shows)."""
    with db.read() as s:
        used = _used_by(s, ids)
        return {
            r.id: StatementView(id=r.id, text=r.text, used_by=used.get(r.id, 0), version=r.version)  # type: ignore[arg-type]
            for r in s.execute(select(KbStatement).where(col(KbStatement.id).in_(ids))).scalars()
        }


def statement_users(db: Database, statement_id: int) -> list[tuple[str, str]]:
    """The solutions (external id, title) that use a statement: shown before editing it."""
    with db.read() as s:
        return [
            (r[0], r[1])
            for r in s.execute(
                select(KbArticle.external_id, KbArticle.title)
                .join(KbArticleStatement, col(KbArticleStatement.article_id) == KbArticle.id)
                .where(KbArticleStatement.statement_id == statement_id)
                .order_by(col(KbArticle.external_id))
            ).all()
        ]


def edit_statement(
    db: Database, actor: Actor, statement_id: int, text: str, *, version: int
) -> StatementView:
    """Change a shared statement for every solution that uses it, if it is still at `version` (the
    one the editor read; else Conflict says who changed it to what). Returns it as now stored, with
    the number of solutions that use it."""
    text = inputs.text(text, "text")
    if not text:
        raise InvalidInput({"text": "required"})
    digest = store.statement_digest(text)

    def work(s: Session) -> StatementView:
        require_editor(s, actor)
        row = s.execute(
            select(KbStatement).where(KbStatement.id == statement_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(f"no statement #{statement_id}")
        if row.version != version:
            raise _stale_statement(s, row, version)
        other = s.execute(select(KbStatement.id).where(KbStatement.digest == digest)).scalar()
        if other is not None and other != statement_id:
            raise InvalidInput({"text": f"the same statement exists already (#{other}): reuse it"})
        article_ids = (
            s.execute(
                select(KbArticleStatement.article_id).where(KbArticleStatement.statement_id == statement_id)
            )
            .scalars()
            .all()
        )
        if text == row.text:
            return StatementView(
                id=statement_id, text=text, used_by=len(set(article_ids)), version=row.version
            )
        now, new, before = clock.now(), row.version + 1, row.text  # (the UPDATE refreshes `row`)
        s.execute(
            update(KbStatement)
            .where(col(KbStatement.id) == statement_id)
            .values(text=text, digest=digest, version=new)
        )
        store.record(s, [(None, statement_id, new, actor.id, now, "edited", {"text": [before, text]})])
        # the solutions that use it changed: the search index picks them up
        s.execute(update(KbArticle).where(col(KbArticle.id).in_(article_ids)).values(updated_at=now))
        return StatementView(id=statement_id, text=text, used_by=len(set(article_ids)), version=new)

    view = db.retrying(work)
    _edited(db)
    return view


def history(
    db: Database, external_id: str | None = None, *, statement_id: int | None = None
) -> list[RevisionView]:
    """The versions of a solution - its own and the edits of the statements it uses now - or of one
    statement, newest first: who, when, what changed."""
    with db.read() as s:
        article = None
        positions: dict[int, int] = {}
        if external_id is not None:
            article = s.execute(
                select(KbArticle).where(KbArticle.external_id == external_id)
            ).scalar_one_or_none()
            if article is None:
                raise NotFound(f"no solution {external_id}")
            for n, (sid, _text) in enumerate(store.linked_statements(s, article.id), 1):  # type: ignore[arg-type]
                positions.setdefault(sid, n)
            # a statement's first version is the solution's own change that added it
            where = (KbRevision.article_id == article.id) | (
                col(KbRevision.statement_id).in_(positions) & (col(KbRevision.version) > 1)
            )
        elif statement_id is not None:
            if s.get(KbStatement, statement_id) is None:
                raise NotFound(f"no statement #{statement_id}")
            where = KbRevision.statement_id == statement_id
        else:
            raise InvalidInput({"article": "name a solution or a statement"})
        rows = (
            s.execute(
                select(KbRevision).where(where).order_by(col(KbRevision.at).desc(), col(KbRevision.id).desc())
            )
            .scalars()
            .all()
        )
        actors = {r.actor_id for r in rows if r.actor_id is not None}
        if article is not None and article.created_by_id is not None:
            actors.add(article.created_by_id)
        names = _names(s, actors)
    out = []
    for r in rows:
        changes = json.loads(r.changes)
        summary = describe(r.action, changes)
        position = positions.get(r.statement_id) if r.statement_id is not None and article else None  # type: ignore[arg-type]
        if position is not None:
            summary = f"statement {position} (#{r.statement_id}, shared): {summary}"
        out.append(
            RevisionView(
                article=article.external_id if article and r.article_id else None,
                statement_id=r.statement_id,
                position=position,
                version=r.version,
                at=r.at,
                by=names.get(r.actor_id, "someone") if r.actor_id is not None else "import",  # type: ignore[arg-type]
                action=r.action,
                changes=changes,
                summary=summary,
            )
        )
    if article is not None and not any(v.article and v.version == 1 for v in out):
        # created before the history was kept (an older deskterm): what the solution row says
        by = names.get(article.created_by_id, "someone") if article.created_by_id else "import"  # type: ignore[arg-type]
        out.append(
            RevisionView(
                article=article.external_id,
                statement_id=None,
                position=None,
                version=1,
                at=article.created_at,
                by=by,
                action="created",
                changes={},
                summary="created (before the history was kept)",
            )
        )
    return out


def draft_from_ticket(db: Database, actor: Actor, ticket_number: str) -> int:
    """Turn a resolved ticket into a draft solution: its summary, symptoms and resolution."""
    with db.read() as s:
        require_editor(s, actor)
        ticket = find_ticket(s, ticket_number)
        number = ticket.number
        if not ticket.resolution.strip():
            raise InvalidInput({"resolution": f"{number} has no resolution yet"})
        from ..models import Category

        category = s.get(Category, ticket.category_id) if ticket.category_id else None
    zh = any("\u4e00" <= ch <= "\u9fff" for ch in ticket.summary + ticket.description)
    statements = [line for line in ticket.description.splitlines() if line.strip()][:4]
    statements += [line for line in ticket.resolution.splitlines() if line.strip()]
    return save_solution(
        db,
        actor,
        external_id=None,
        title=ticket.summary,
        category=category.path if category else "",
        lang="zh" if zh else "en",
        statements=statements,
        status="draft",
    )


def list_synonyms(db: Database) -> list[tuple[int, str]]:
    with db.read() as s:
        return [(r.id, r.terms) for r in s.execute(select(KbSynonym).order_by(col(KbSynonym.id))).scalars()]  # type: ignore[misc]


def add_synonyms(db: Database, actor: Actor, terms: list[str]) -> int:
    """A group of words that mean the same thing; takes effect at the next index build."""
    terms = [t for t in (inputs.line(t, "terms", 200) for t in terms) if t]
    if len(terms) < 2:
        raise InvalidInput({"terms": "a synonym group needs at least two terms"})
    with db.write() as s:
        require_editor(s, actor)
        row = KbSynonym(terms=", ".join(terms), updated_at=clock.now())
        s.add(row)
        s.flush()
        synonym_id = row.id
    _edited(db)
    return synonym_id  # type: ignore[return-value]


def remove_synonyms(db: Database, actor: Actor, synonym_id: int) -> None:
    with db.write() as s:
        require_editor(s, actor)
        row = s.get(KbSynonym, synonym_id)
        if row is None:
            raise NotFound(f"no synonym group {synonym_id}")
        s.delete(row)
    _edited(db)


def import_solutions(
    db: Database, actor: Actor | None, lines: list[str], *, progress: store.Progress | None = None
) -> store.ImportReport:
    """Import solutions from JSONL lines (KB editors): `kb import`. `actor` None: setting up a new
    desk that has no agents yet (as its first admin is added), when there is nobody to act for."""
    with db.read() as s:
        if actor is not None:
            require_editor(s, actor)
        elif s.exec(select(Agent.id).limit(1)).first() is not None:
            raise PermissionDenied("this desk has agents: a knowledge editor imports (--as LOGIN)")
    return store.import_jsonl(db, lines, total=len(lines), progress=progress)


def import_demo_articles(db: Database) -> store.ImportReport:
    """The shipped bilingual solutions, for the demo desk."""
    return store.import_jsonl(db, store.DEMO_ARTICLES.read_text(encoding="utf-8").splitlines())
