"""Knowledge base: solutions (articles) made of ordered, shared statements, and the append-only
history of their versions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, LargeBinary, Text
from sqlmodel import Field, SQLModel

from .base import UtcDateTime


class KbArticle(SQLModel, table=True):
    __tablename__ = "kb_article"
    __table_args__ = (Index("ix_kb_article_updated", "updated_at"),)
    id: int | None = Field(default=None, primary_key=True)
    external_id: str = Field(max_length=40, unique=True)
    title: str = Field(max_length=300)
    category: str = Field(default="", max_length=200, index=True)
    lang: str = Field(default="en", max_length=5)
    status: str = Field(default="published", max_length=12)  # draft | published | retired
    tags: str = Field(default="", max_length=500)  # comma-separated
    score: float = Field(default=0.0)
    votes_up: int = Field(default=0)
    votes_down: int = Field(default=0)
    usage_count: int = Field(default=0)
    created_by_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(sa_type=UtcDateTime)
    updated_at: datetime = Field(sa_type=UtcDateTime)
    # optimistic locking: every edit of the content names the version it read (score and
    # usage counts are not content and leave it alone)
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class KbStatement(SQLModel, table=True):
    """One short sentence, stored once and reused by every solution that needs it."""

    __tablename__ = "kb_statement"
    id: int | None = Field(default=None, primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64, unique=True)  # sha256 of the normalised text
    version: int = Field(default=1, sa_column_kwargs={"server_default": "1"})


class KbArticleStatement(SQLModel, table=True):
    __tablename__ = "kb_article_statement"
    article_id: int = Field(foreign_key="kb_article.id", primary_key=True)
    position: int = Field(primary_key=True)
    statement_id: int = Field(foreign_key="kb_statement.id", index=True)


class KbRevision(SQLModel, table=True):
    """One version of a solution or of a statement: who made it, when, and what changed (JSON:
    field -> [before, after]; for a solution's statements {"added"/"removed": [[position, text]],
    "reordered": true}). Written in the transaction of the change; the database refuses UPDATE
    and DELETE (triggers on both backends)."""

    __tablename__ = "kb_revision"
    __table_args__ = (
        Index("ix_kb_revision_article", "article_id", "version", unique=True),
        Index("ix_kb_revision_statement", "statement_id", "version", unique=True),
        CheckConstraint("(article_id IS NULL) <> (statement_id IS NULL)", name="one_subject"),
    )
    id: int | None = Field(default=None, primary_key=True)
    article_id: int | None = Field(default=None, foreign_key="kb_article.id")
    statement_id: int | None = Field(default=None, foreign_key="kb_statement.id")
    version: int
    actor_id: int | None = Field(default=None, foreign_key="agent.id")  # None: an import without a login
    at: datetime = Field(sa_type=UtcDateTime)
    action: str = Field(max_length=12)  # created | edited | imported
    changes: str = Field(sa_column=Column(Text, nullable=False))


class KbSynonym(SQLModel, table=True):
    """A group of words callers and articles use for one thing, editable by KB maintainers."""

    __tablename__ = "kb_synonym"
    id: int | None = Field(default=None, primary_key=True)
    terms: str = Field(sa_column=Column(Text, nullable=False))  # comma-separated, first = canonical
    updated_at: datetime = Field(sa_type=UtcDateTime)


class TicketArticle(SQLModel, table=True):
    """An article that solved (or helped with) a ticket."""

    __tablename__ = "ticket_article"
    ticket_id: int = Field(foreign_key="ticket.id", primary_key=True)
    article_id: int = Field(foreign_key="kb_article.id", primary_key=True, index=True)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    at: datetime = Field(sa_type=UtcDateTime)


class KbIndexSnapshot(SQLModel, table=True):
    """The search index as a process built it (kb/snapshot.py), so that the next process loads it
    instead of building it: one row, replaced by whoever builds anew. `key` names the code and
    synonyms it fits; `newest` and `articles` say which articles it holds (changed later: patched)."""

    __tablename__ = "kb_index"
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=64)
    newest: datetime | None = Field(default=None, sa_type=UtcDateTime)  # the newest updated_at in it
    articles: int
    saved_at: datetime = Field(sa_type=UtcDateTime)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
