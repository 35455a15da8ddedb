"""Articles as read-models, "this solved it", and a solution copied into a ticket's note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, update
from sqlmodel import col

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import (
    EventKind,
    KbArticle,
    KbArticleStatement,
    KbStatement,
    TicketArticle,
)
from . import inputs
from .auth import Actor, require
from .errors import NotFound
from .kb_search import KbSuggestion
from .tickets import find_ticket, normalise_number, record_event


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


def get_article(db: Database, article_id: int) -> KbArticleView:
    with db.read() as s:
        row = s.get(KbArticle, article_id)
        if row is None:
            raise NotFound(later("no solution {key}", key=article_id))
        usage = func.count(col(KbArticleStatement.article_id)).label("used_by")
        used = (
            select(col(KbArticleStatement.statement_id), usage)
            .group_by(col(KbArticleStatement.statement_id))
            .subquery()
        )
        rows = s.execute(
            select(col(KbStatement.id), col(KbStatement.text), used.c.used_by, col(KbStatement.version))
            .join(KbArticleStatement, col(KbArticleStatement.statement_id) == col(KbStatement.id))
            .join(used, used.c.statement_id == col(KbStatement.id))
            .where(col(KbArticleStatement.article_id) == article_id)
            .order_by(col(KbArticleStatement.position))
        ).all()
        return KbArticleView(
            id=row.id,  # type: ignore[arg-type]  # stored rows have ids
            external_id=row.external_id,
            title=row.title,
            category=row.category,
            lang=row.lang,
            status=row.status,
            tags=[t for t in row.tags.split(",") if t],
            statements=[
                StatementView(id=r.id, text=r.text, used_by=r.used_by, version=r.version) for r in rows
            ],
            score=row.score,
            votes_up=row.votes_up,
            usage_count=row.usage_count,
            updated_at=row.updated_at,
            version=row.version,
        )


def get_article_by_external_id(db: Database, external_id: str) -> KbArticleView:
    key = inputs.key(external_id)
    with db.read() as s:
        article_id = s.execute(select(col(KbArticle.id)).where(col(KbArticle.external_id) == key)).scalar()
    if article_id is None:
        raise NotFound(later("no solution {key}", key=external_id))
    return get_article(db, article_id)


def mark_solved(session, actor_id: int | None, ticket_id: int, article_id: int) -> bool:
    """Inside the caller's transaction: link the article to the ticket and raise its score
    (the "neuron": solutions that solve tickets rise). False if it was linked already."""
    if session.get(TicketArticle, (ticket_id, article_id)) is not None:
        return False
    if session.get(KbArticle, article_id) is None:
        raise NotFound(later("no solution {key}", key=article_id))
    now = clock.now()
    session.add(TicketArticle(ticket_id=ticket_id, article_id=article_id, agent_id=actor_id, at=now))
    session.execute(
        update(KbArticle)
        .where(col(KbArticle.id) == article_id)
        .values(score=col(KbArticle.score) + 1, usage_count=col(KbArticle.usage_count) + 1, updated_at=now)
    )
    return True


def solved_it(db: Database, actor: Actor, ticket_number: str, article_id: int) -> bool:
    """ "This solved it" on the ticket being worked: link, raise the score, and record it."""
    with db.write() as s:
        require(s, actor, "tickets.read")
        ticket = find_ticket(s, ticket_number)
        article = s.get(KbArticle, article_id)
        if article is None:
            raise NotFound(later("no solution {key}", key=article_id))
        linked = mark_solved(s, actor.id, ticket.id, article_id)  # type: ignore[arg-type]  # stored rows have ids
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
