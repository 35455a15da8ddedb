"""The reusable statements solutions are made of: finding one to reuse, editing one for every
solution that uses it, and the history of versions of a solution or a statement."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import func, select, update
from sqlmodel import Session, col

from .. import clock
from ..db import Database
from ..i18n import later
from ..kb import store
from ..models import (
    KbArticle,
    KbArticleStatement,
    KbRevision,
    KbStatement,
)
from . import inputs
from .auth import Actor
from .errors import InvalidInput, NotFound
from .kb_articles import StatementView
from .kb_edit import agent_names, describe, require_editor, stale_statement
from .kb_search import edited


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


def _used_by(s: Session, ids: list[int]) -> dict[int, int]:
    return dict(
        s.execute(
            select(col(KbArticleStatement.statement_id), func.count())
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
        query = select(col(KbStatement.id), col(KbStatement.text))
        for w in words:
            query = query.where(col(KbStatement.text).icontains(w[:20]))
        rows = list(s.execute(query.limit(200)).all())
        if len(rows) < limit:  # fall back to the shortest word alone
            rows += s.execute(
                select(col(KbStatement.id), col(KbStatement.text))
                .where(col(KbStatement.text).icontains(min(words, key=len)))
                .limit(200)
            ).all()
        ranked = process.extract(text, {r.id: r.text for r in rows}, scorer=fuzz.WRatio, limit=limit)
        ids = [key for _text, _score, key in ranked]
        used = _used_by(s, ids)
        versions = dict(
            s.execute(
                select(col(KbStatement.id), col(KbStatement.version)).where(col(KbStatement.id).in_(ids))
            ).all()
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
            r.id: StatementView(id=r.id, text=r.text, used_by=used.get(r.id, 0), version=r.version)
            for r in s.execute(select(KbStatement).where(col(KbStatement.id).in_(ids))).scalars()
        }


def statement_users(db: Database, statement_id: int) -> list[tuple[str, str]]:
    """The solutions (external id, title) that use a statement: shown before editing it."""
    with db.read() as s:
        return [
            (r.external_id, r.title)
            for r in s.execute(
                select(col(KbArticle.external_id), col(KbArticle.title))
                .join(KbArticleStatement, col(KbArticleStatement.article_id) == col(KbArticle.id))
                .where(col(KbArticleStatement.statement_id) == statement_id)
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
            select(KbStatement).where(col(KbStatement.id) == statement_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(later("no statement #{id}", id=statement_id))
        if row.version != version:
            raise stale_statement(s, row, version)
        other = s.execute(select(col(KbStatement.id)).where(col(KbStatement.digest) == digest)).scalar()
        if other is not None and other != statement_id:
            raise InvalidInput(
                {"text": later("the same statement exists already (#{id}): reuse it", id=other)}
            )
        article_ids = (
            s.execute(
                select(col(KbArticleStatement.article_id)).where(
                    col(KbArticleStatement.statement_id) == statement_id
                )
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
    edited(db)
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
                select(KbArticle).where(col(KbArticle.external_id) == external_id)
            ).scalar_one_or_none()
            if article is None:
                raise NotFound(later("no solution {key}", key=external_id))
            for n, (sid, _text) in enumerate(store.linked_statements(s, article.id), 1):
                positions.setdefault(sid, n)
            # a statement's first version is the solution's own change that added it
            where = (col(KbRevision.article_id) == article.id) | (
                col(KbRevision.statement_id).in_(positions) & (col(KbRevision.version) > 1)
            )
        elif statement_id is not None:
            if s.get(KbStatement, statement_id) is None:
                raise NotFound(later("no statement #{id}", id=statement_id))
            where = col(KbRevision.statement_id) == statement_id
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
        names = agent_names(s, actors)
    out = []
    for r in rows:
        changes = json.loads(r.changes)
        summary = describe(r.action, changes)
        position = positions.get(r.statement_id) if r.statement_id is not None and article else None
        if position is not None:
            summary = f"statement {position} (#{r.statement_id}, shared): {summary}"
        out.append(
            RevisionView(
                article=article.external_id if article and r.article_id else None,
                statement_id=r.statement_id,
                position=position,
                version=r.version,
                at=r.at,
                by=names.get(r.actor_id, "someone") if r.actor_id is not None else "import",
                action=r.action,
                changes=changes,
                summary=summary,
            )
        )
    if article is not None and not any(v.article and v.version == 1 for v in out):
        # created before the history was kept (an older deskterm): what the solution row says
        by = names.get(article.created_by_id, "someone") if article.created_by_id else "import"
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
