"""The knowledge base in the database: import and export in the kb-eval JSONL format (idempotent by
external id; each distinct statement stored once), reading articles back as engine documents, and
the history of versions every write records (kb_revision, in the same transaction)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy import text as sql_text
from sqlmodel import Session, col

from .. import clock
from ..db import Database, _fmt, bulk_insert
from ..models import KbArticle, KbArticleStatement, KbIndexSnapshot, KbStatement, KbSynonym
from ..services import inputs
from .engine import KbDoc
from .synonyms import DEFAULT_PATH, Synonyms

Progress = Callable[[str, int, int], None]
STATUSES = ("draft", "published", "retired")
FIELDS = ("title", "category", "lang", "status", "tags")  # a solution's own content besides statements
LANGS = ("en", "zh")
DEMO_ARTICLES = Path(__file__).resolve().parents[1] / "scripts_data" / "kb_articles.jsonl"


def statement_digest(text: str) -> str:
    """Identical statements (ignoring surrounding and repeated white space) share one row."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    statements_added: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (line number, reason)


def parse_line(raw: str) -> dict[str, Any]:
    """One article of the JSONL format, validated; ValueError says what is wrong."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as e:
        raise ValueError(f"not JSON ({e.msg})") from None
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    for key in ("id", "title"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ValueError(f"'{key}' must be a non-empty string")
    statements = data.get("statements")
    if (
        not isinstance(statements, list)
        or not statements
        or not all(isinstance(s, str) and s.strip() for s in statements)
    ):
        raise ValueError("'statements' must be a non-empty list of non-empty strings")
    lang = data.get("lang", "en")
    if lang not in LANGS:
        raise ValueError(f"'lang' must be one of {', '.join(LANGS)}")
    status = data.get("status", "published")
    if status not in STATUSES:
        raise ValueError(f"'status' must be one of {', '.join(STATUSES)}")
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise ValueError("'tags' must be a list of strings")
    errors: dict[str, str] = {}
    fields = article_text(data["id"], data["title"], data.get("category", ""), tags, statements, errors)
    if errors:
        raise ValueError("; ".join(f"'{k}' {reason}" for k, reason in errors.items()))
    return {**fields, "lang": lang, "status": status}


def article_text(
    external_id: str,
    title: str,
    category: object,
    tags: list[str],
    statements: list[str],
    errors: dict[str, str],
) -> dict[str, Any]:
    """An article's text as stored (services/inputs.py); the reasons for refused fields go in
    `errors`, keyed by the import format's names. Empty tags and statements are dropped."""
    tag_text = ",".join(t for t in (inputs.line(t, "tags", KbArticle.tags, errors=errors) for t in tags) if t)
    if len(tag_text) > inputs.limit_of(KbArticle.tags):
        errors.setdefault("tags", f"at most {inputs.limit_of(KbArticle.tags)} characters in all")
    texts = (inputs.text(s, "statements", errors=errors) for s in statements)
    return {
        "external_id": inputs.line(external_id, "id", KbArticle.external_id, errors=errors),
        "title": inputs.line(title, "title", KbArticle.title, errors=errors),
        "category": inputs.line(category, "category", KbArticle.category, errors=errors),
        "tags": tag_text,
        "statements": [t for t in texts if t],
    }


# --- the history -------------------------------------------------------------------------------


def statement_changes(before: list[tuple[int, str]], after: list[tuple[int, str]]) -> dict[str, Any]:
    """What changed in a solution's (statement id, text) list: added and removed statements with
    their positions (from 1), and whether the ones kept changed order. {} when nothing changed."""
    if [i for i, _ in before] == [i for i, _ in after]:
        return {}
    before_ids, after_ids = {i for i, _ in before}, {i for i, _ in after}
    out: dict[str, Any] = {}
    added = [[n, t] for n, (i, t) in enumerate(after, 1) if i not in before_ids]
    removed = [[n, t] for n, (i, t) in enumerate(before, 1) if i not in after_ids]
    if added:
        out["added"] = added
    if removed:
        out["removed"] = removed
    if [i for i, _ in before if i in after_ids] != [i for i, _ in after if i in before_ids]:
        out["reordered"] = True
    return out


def article_changes(
    before: Any, fields: dict[str, Any], old: list[tuple[int, str]], new: list[tuple[int, str]]
) -> dict[str, Any]:
    """field -> [before, after] for a solution's own fields, plus its statements' changes."""
    if before is None:
        return {"title": [None, fields["title"]]}
    changes: dict[str, Any] = {
        k: [getattr(before, k), fields[k]] for k in FIELDS if getattr(before, k) != fields[k]
    }
    statements = statement_changes(old, new)
    if statements:
        changes["statements"] = statements
    return changes


def record(session: Session, rows: Iterable[tuple[Any, ...]]) -> int:
    """Append versions to the history: (article id, statement id, version, actor id, time, action,
    changes) rows; one of the two ids is None."""
    rows = list(rows)
    # an import's rows share one time: format it once, not per row (a tenth of an import's cost)
    sqlite = session.get_bind().dialect.name == "sqlite"
    stamps = {row[4]: _fmt(row[4], sqlite) for row in rows}
    return bulk_insert(
        session.connection(),
        "kb_revision",
        ["article_id", "statement_id", "version", "actor_id", "at", "action", "changes"],
        [
            (*row[:4], stamps[row[4]], row[5], json.dumps(row[6], ensure_ascii=False) if row[6] else "{}")
            for row in rows
        ],
    )


# --- writing solutions -----------------------------------------------------------------------------


def _statement_ids(
    session: Session, texts: Iterable[str], report: ImportReport, *, actor_id: int | None, action: str
) -> list[int]:
    """The ids of these statements, storing (and recording as version 1) those not stored yet."""
    texts = list(texts)
    digests = [statement_digest(t) for t in texts]
    known = dict(
        session.execute(
            select(col(KbStatement.digest), col(KbStatement.id)).where(
                col(KbStatement.digest).in_(set(digests))
            )
        ).all()
    )
    ids = []
    now = clock.now()
    for text, digest in zip(texts, digests, strict=True):
        if digest not in known:
            known[digest] = session.execute(
                insert(KbStatement).values(text=text, digest=digest).returning(col(KbStatement.id))
            ).scalar_one()
            record(session, [(None, known[digest], 1, actor_id, now, action, {})])
            report.statements_added += 1
        ids.append(known[digest])
    return ids


def linked_statements(session: Session, article_id: int) -> list[tuple[int, str]]:
    """A solution's (statement id, text) in order."""
    return [
        (r.id, r.text)
        for r in session.execute(
            select(col(KbStatement.id), col(KbStatement.text))
            .join(KbArticleStatement, col(KbArticleStatement.statement_id) == col(KbStatement.id))
            .where(col(KbArticleStatement.article_id) == article_id)
            .order_by(col(KbArticleStatement.position))
        )
    ]


def save_article(
    session: Session,
    fields: dict[str, Any],
    report: ImportReport,
    *,
    row: KbArticle | None,
    actor_id: int | None = None,
) -> int:
    """Insert (row None) or update `row` - read FOR UPDATE by the caller, its version checked - with
    its ordered statements, and record the new version in the history. Unchanged: nothing written."""
    now = clock.now()
    statements = fields["statements"]
    stmt_ids = _statement_ids(session, statements, report, actor_id=actor_id, action="created")
    new = list(zip(stmt_ids, statements, strict=True))
    values = {k: fields[k] for k in FIELDS}
    if row is None:
        article_id = session.execute(
            insert(KbArticle)
            .values(
                external_id=fields["external_id"],
                created_at=now,
                updated_at=now,
                created_by_id=actor_id,
                version=1,
                **values,
            )
            .returning(col(KbArticle.id))
        ).scalar_one()
        record(
            session, [(article_id, None, 1, actor_id, now, "created", article_changes(None, fields, [], new))]
        )
        report.added += 1
    else:
        assert row.id is not None
        article_id = row.id
        old = linked_statements(session, article_id)
        changes = article_changes(row, fields, old, new)
        if not changes:
            report.unchanged += 1
            return article_id
        version = row.version + 1
        session.execute(
            update(KbArticle)
            .where(col(KbArticle.id) == article_id)
            .values(updated_at=now, version=version, **values)
        )
        session.execute(delete(KbArticleStatement).where(col(KbArticleStatement.article_id) == article_id))
        record(session, [(article_id, None, version, actor_id, now, "edited", changes)])
        report.updated += 1
    session.execute(
        insert(KbArticleStatement),
        [{"article_id": article_id, "position": i, "statement_id": s} for i, s in enumerate(stmt_ids)],
    )
    return article_id


def _pairs_in_chunks(
    session: Session, key: Any, value: Any, column: Any, values: list[Any]
) -> dict[Any, Any]:
    """{key: value} of the rows whose `column` is one of `values`, read 900 values at a time (the
    bound parameters a statement may have on SQLite)."""
    out: dict[Any, Any] = {}
    for i in range(0, len(values), 900):
        out.update(session.execute(select(key, value).where(column.in_(values[i : i + 900]))).all())
    return out


def save_articles(
    session: Session, batch: list[dict[str, Any]], report: ImportReport, *, actor_id: int | None = None
) -> None:
    """Insert or update many articles by external id: a few statements per batch, not per article.
    Each new or changed article and each new statement gets a version in the history ("imported")."""
    # the last line wins when a file repeats an id
    batch = list({f["external_id"]: f for f in batch}.values())
    now = clock.now()
    texts = {statement_digest(t): t for f in batch for t in f["statements"]}
    known: dict[str, int] = _pairs_in_chunks(
        session, col(KbStatement.digest), col(KbStatement.id), col(KbStatement.digest), list(texts)
    )
    history: list[tuple[Any, ...]] = []
    missing = [{"text": t, "digest": d} for d, t in texts.items() if d not in known]
    if missing:
        rows = session.execute(
            insert(KbStatement).returning(col(KbStatement.digest), col(KbStatement.id)), missing
        )
        added = rows.all()
        known.update(added)
        history += [(None, statement_id, 1, actor_id, now, "imported", {}) for _d, statement_id in added]
        report.statements_added += len(missing)
    keys = [f["external_id"] for f in batch]
    # locked in id order: an editor's save between this read and the update below waits (and
    # two imports lock in the same order)
    existing = {
        r.external_id: r
        for r in session.execute(
            select(
                col(KbArticle.id),
                col(KbArticle.external_id),
                col(KbArticle.version),
                *(getattr(KbArticle, k) for k in FIELDS),
            )
            .where(col(KbArticle.external_id).in_(keys))
            .order_by(col(KbArticle.id))
            .with_for_update()
        )
    }
    current: dict[int, list[int]] = {}
    if existing:
        for article_id, statement_id in session.execute(
            select(col(KbArticleStatement.article_id), col(KbArticleStatement.statement_id))
            .where(col(KbArticleStatement.article_id).in_([r.id for r in existing.values()]))
            .order_by(col(KbArticleStatement.article_id), col(KbArticleStatement.position))
        ):
            current.setdefault(article_id, []).append(statement_id)
    links: list[tuple[int, int, int]] = []  # (article_id, position, statement_id)
    new = []
    changed: list[tuple[Any, dict[str, Any], list[int]]] = []
    for f in batch:
        stmt_ids = [known[statement_digest(t)] for t in f["statements"]]
        row = existing.get(f["external_id"])
        if row is None:
            new.append((f, stmt_ids))
        elif any(getattr(row, k) != f[k] for k in FIELDS) or current.get(row.id, []) != stmt_ids:
            changed.append((row, f, stmt_ids))
        else:
            report.unchanged += 1
    if changed:
        # the texts of the statements the changed articles had, for the history
        had = {i for row, _f, _s in changed for i in current.get(row.id, [])}
        text_of = {known[d]: t for d, t in texts.items()}
        old_ids = sorted(had - text_of.keys())
        text_of |= _pairs_in_chunks(
            session, col(KbStatement.id), col(KbStatement.text), col(KbStatement.id), old_ids
        )
        for row, f, stmt_ids in changed:
            old = [(i, text_of[i]) for i in current.get(row.id, [])]
            changes = article_changes(row, f, old, [(i, text_of[i]) for i in stmt_ids])
            session.execute(
                update(KbArticle)
                .where(col(KbArticle.id) == row.id)
                .values(updated_at=now, version=row.version + 1, **{k: f[k] for k in FIELDS})
            )
            history.append((row.id, None, row.version + 1, actor_id, now, "imported", changes))
            links += [(row.id, i, s) for i, s in enumerate(stmt_ids)]
        session.execute(
            delete(KbArticleStatement).where(
                col(KbArticleStatement.article_id).in_([c[0].id for c in changed])
            )
        )
        report.updated += len(changed)
    if new:
        ids = dict(
            session.execute(
                insert(KbArticle).returning(col(KbArticle.external_id), col(KbArticle.id)),
                [
                    {"external_id": f["external_id"], "created_at": now, "updated_at": now, "version": 1}
                    | {k: f[k] for k in FIELDS}
                    for f, _ in new
                ],
            ).all()
        )
        for f, stmt_ids in new:
            article_id = ids[f["external_id"]]
            links += [(article_id, i, s) for i, s in enumerate(stmt_ids)]
            history.append((article_id, None, 1, actor_id, now, "imported", {"title": [None, f["title"]]}))
        report.added += len(new)
    bulk_insert(
        session.connection(), "kb_article_statement", ["article_id", "position", "statement_id"], links
    )
    record(session, history)


def import_jsonl(
    db: Database,
    lines: Iterable[str],
    *,
    total: int = 0,
    progress: Progress | None = None,
    batch: int = 500,
    actor_id: int | None = None,
) -> ImportReport:
    """Import articles; a bad line is reported with its number and the rest imported. The history
    names `actor_id` as the author of what the import changed (None: an import without a login)."""
    report = ImportReport()
    pending: list[tuple[int, dict[str, Any]]] = []

    def flush() -> None:
        with db.write() as s:
            save_articles(s, [fields for _number, fields in pending], report, actor_id=actor_id)
        pending.clear()

    number = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            pending.append((number, parse_line(raw)))
        except ValueError as e:
            report.errors.append((number, str(e)))
        if len(pending) >= batch:
            flush()
            if progress:
                progress("articles", number, total or number)
    if pending:
        flush()
    if progress:
        progress("articles", number, total or number)
    return report


def _statements_by_article(session: Session, article_ids: list[int] | None = None) -> dict[int, list[str]]:
    query = (
        select(col(KbArticleStatement.article_id), col(KbStatement.text))
        .join(KbStatement, col(KbStatement.id) == col(KbArticleStatement.statement_id))
        .order_by(col(KbArticleStatement.article_id), col(KbArticleStatement.position))
    )
    if article_ids is not None:
        query = query.where(col(KbArticleStatement.article_id).in_(article_ids))
    out: dict[int, list[str]] = {}
    for article_id, text in session.execute(query):
        out.setdefault(article_id, []).append(text)
    return out


def iter_articles(db: Database, chunk: int = 5000) -> Iterator[dict[str, Any]]:
    """Every article in the JSONL format, in id order (export)."""
    last = 0
    while True:
        with db.read() as s:
            rows = (
                s.execute(
                    select(KbArticle).where(col(KbArticle.id) > last).order_by(col(KbArticle.id)).limit(chunk)
                )
                .scalars()
                .all()
            )
            if not rows:
                return
            statements = _statements_by_article(s, [r.id for r in rows])
        for r in rows:
            item: dict[str, Any] = {
                "id": r.external_id,
                "lang": r.lang,
                "title": r.title,
                "category": r.category,
                "statements": statements.get(r.id, []),
                "tags": [t for t in r.tags.split(",") if t],
            }
            if r.status != "published":
                item["status"] = r.status
            yield item
        last = rows[-1].id


def to_doc(row: Any, statements: list[str]) -> KbDoc:
    return KbDoc(
        key=row.external_id,
        title=row.title,
        statements=tuple(statements),
        category=row.category,
        lang=row.lang,
        tags=tuple(t for t in row.tags.split(",") if t),
        status=row.status,
        score=max(0.0, row.score),
    )


_DOC_COLUMNS = (
    col(KbArticle.id),
    col(KbArticle.external_id),
    col(KbArticle.title),
    col(KbArticle.category),
    col(KbArticle.lang),
    col(KbArticle.tags),
    col(KbArticle.status),
    col(KbArticle.score),
    col(KbArticle.updated_at),
)


def load_docs(
    db: Database, *, changed_after: datetime | None = None
) -> tuple[list[KbDoc], dict[str, int], datetime | None]:
    """Engine documents for all articles (or those changed after a time), their ids, and the newest time."""
    with db.read() as s:
        query = select(*_DOC_COLUMNS)
        if changed_after is not None:
            query = query.where(col(KbArticle.updated_at) > changed_after)
        rows = s.execute(query).all()
        if changed_after is not None:
            statements = _statements_by_article(s, [r.id for r in rows])
        else:
            # everything: each statement's text once (a statement shared by many articles is
            # one string object), then the links in order - no ORM objects, no repeated text
            text = dict(s.execute(select(col(KbStatement.id), col(KbStatement.text))).all())
            statements = {}
            links = select(col(KbArticleStatement.article_id), col(KbArticleStatement.statement_id)).order_by(
                col(KbArticleStatement.article_id), col(KbArticleStatement.position)
            )
            for article_id, statement_id in s.execute(links):
                statements.setdefault(article_id, []).append(text[statement_id])
    docs = [to_doc(r, statements.get(r.id, [])) for r in rows]
    newest = max((r.updated_at for r in rows), default=None)
    return docs, {r.external_id: r.id for r in rows}, newest


def load_synonyms(db: Database) -> Synonyms:
    """The shipped list plus the groups KB maintainers added in the database."""
    lines = DEFAULT_PATH.read_text(encoding="utf-8").splitlines()
    with db.read() as s:
        lines += [row for row in s.execute(select(col(KbSynonym.terms))).scalars()]
    return Synonyms.from_lines(lines)


# --- the saved search index (kb/snapshot.py) ------------------------------------------------------


@dataclass(frozen=True)
class SavedIndex:
    data: bytes
    newest: datetime | None  # the newest article change it holds
    articles: int


def read_index(db: Database, key: str) -> SavedIndex | None:
    """The saved index if it was made under `key` (the same code and synonyms), else None."""
    with db.read() as s:
        if db.is_sqlite:
            found = s.execute(
                select(
                    col(KbIndexSnapshot.id), col(KbIndexSnapshot.newest), col(KbIndexSnapshot.articles)
                ).where(col(KbIndexSnapshot.key) == key)
            ).first()
            if found is None:
                return None
            # the bytes read as a blob, through a memory map, in the same transaction: a third of
            # the time of selecting tens of megabytes (no copy into a row, no read call a page)
            raw = s.connection().connection.driver_connection
            mapped = raw.execute("PRAGMA mmap_size").fetchone()[0]  # type: ignore[union-attr]
            raw.execute(f"PRAGMA mmap_size = {max(mapped, 1 << 28)}")  # type: ignore[union-attr]
            try:
                with raw.blobopen("kb_index", "data", found.id, readonly=True) as blob:  # type: ignore[union-attr]
                    row = (blob.read(), found.newest, found.articles)
            finally:
                raw.execute(f"PRAGMA mmap_size = {int(mapped)}")  # type: ignore[union-attr]
        else:
            # bytea in binary rather than as hex text: a third of the time for tens of megabytes
            raw = s.connection().connection.driver_connection
            with raw.cursor(binary=True) as cursor:  # type: ignore[union-attr]
                cursor.execute("SELECT data, newest, articles FROM kb_index WHERE key = %s", (key,))
                row = cursor.fetchone()
    if row is None:
        return None
    data, newest, articles = row
    return SavedIndex(bytes(data), newest and newest.astimezone(UTC), articles)


_LZ4 = "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"


def save_index(db: Database, key: str, saved: SavedIndex) -> None:
    """Replace the saved index with this one."""
    with db.write() as s:
        if not db.is_sqlite and s.execute(sql_text(_LZ4)).scalar():
            # tens of megabytes that pglz would make every process wait for (reading: 250 -> 150 ms
            # at 50k solutions); lz4 where the server has it, for this row only: no schema change
            s.execute(sql_text("SET LOCAL default_toast_compression = 'lz4'"))
        s.execute(delete(KbIndexSnapshot))
        s.execute(
            insert(KbIndexSnapshot).values(
                id=1,
                key=key,
                newest=saved.newest,
                articles=saved.articles,
                saved_at=clock.now(),
                data=saved.data,
            )
        )


def article_count(db: Database) -> int:
    with db.read() as s:
        return s.execute(select(func.count()).select_from(KbArticle)).scalar_one()
