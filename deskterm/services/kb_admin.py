"""The KB's maintenance: synonym groups and importing solutions."""

from __future__ import annotations

from sqlalchemy import select
from sqlmodel import col

from .. import clock
from ..db import Database
from ..i18n import later
from ..kb import store
from ..models import (
    Agent,
    KbSynonym,
)
from . import inputs
from .auth import Actor
from .errors import InvalidInput, NotFound, PermissionDenied
from .kb_edit import require_editor
from .kb_search import edited


def list_synonyms(db: Database) -> list[tuple[int, str]]:
    with db.read() as s:
        return [(r.id, r.terms) for r in s.execute(select(KbSynonym).order_by(col(KbSynonym.id))).scalars()]


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
    edited(db)
    return synonym_id  # type: ignore[return-value]  # flushed: the row has its id


def remove_synonyms(db: Database, actor: Actor, synonym_id: int) -> None:
    with db.write() as s:
        require_editor(s, actor)
        row = s.get(KbSynonym, synonym_id)
        if row is None:
            raise NotFound(later("no synonym group {id}", id=synonym_id))
        s.delete(row)
    edited(db)


def import_solutions(
    db: Database, actor: Actor | None, lines: list[str], *, progress: store.Progress | None = None
) -> store.ImportReport:
    """Import solutions from JSONL lines (KB editors): `kb import`. `actor` None: setting up a new
    desk that has no agents yet (as its first admin is added), when there is nobody to act for."""
    with db.read() as s:
        if actor is not None:
            require_editor(s, actor)
        elif s.execute(select(col(Agent.id)).limit(1)).first() is not None:
            raise PermissionDenied("this desk has agents: a knowledge editor imports (--as LOGIN)")
    return store.import_jsonl(db, lines, total=len(lines), progress=progress)


def import_demo_articles(db: Database) -> store.ImportReport:
    """The shipped bilingual solutions, for the demo desk."""
    return store.import_jsonl(db, store.DEMO_ARTICLES.read_text(encoding="utf-8").splitlines())
