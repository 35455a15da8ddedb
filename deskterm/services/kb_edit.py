"""Editing solutions (KB editors: supervisors, or agents with the KB right). A solution and a
statement each carry a version; every edit names the version it read, and a stale one is refused
saying who changed what meanwhile. Every version is kept in the history (kb_revision), written in
the edit's own transaction."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from .. import clock
from ..db import Database
from ..i18n import later
from ..kb import store
from ..models import (
    Agent,
    KbArticle,
    KbRevision,
    KbStatement,
)
from .auth import Actor, require
from .errors import Conflict, InvalidInput, NotFound
from .kb_search import edited
from .tickets import find_ticket


def require_editor(s: Session, actor: Actor) -> None:
    require(s, actor, "kb.edit")


def _short(value: object, width: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _created(changes: dict[str, Any]) -> bool:
    title = changes.get("title")
    return title is not None and bool(title) and title[0] is None


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


def agent_names(s: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(s.execute(select(col(Agent.id), col(Agent.name)).where(col(Agent.id).in_(ids))).all())


def _newer(s: Session, subject: Any, seen: int) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
    """Who made the versions of a solution or statement after `seen`, and (action, changes) of each."""
    column = col(KbRevision.article_id) if isinstance(subject, KbArticle) else col(KbRevision.statement_id)
    rows = s.execute(
        select(col(KbRevision.actor_id), col(KbRevision.action), col(KbRevision.changes))
        .where(column == subject.id, col(KbRevision.version) > seen)
        .order_by(col(KbRevision.version))
    ).all()
    names = agent_names(s, {r.actor_id for r in rows if r.actor_id is not None})
    who = sorted({names.get(r.actor_id, "someone") if r.actor_id is not None else "an import" for r in rows})
    return ", ".join(who) or "someone", [(r.action, json.loads(r.changes)) for r in rows]


def _stale_solution(s: Session, row: KbArticle, seen: int) -> Conflict:
    who, versions = _newer(s, row, seen)
    what = "; ".join(describe(action, changes) for action, changes in versions[:3])
    if len(versions) > 3:
        more = len(versions) - 3
        what += f"; and {more} more version{'' if more == 1 else 's'}"
    return Conflict(
        f"{row.external_id} was changed meanwhile by {who} (version {seen} → {row.version}: {what}). "
        "Nothing was saved."
    )


def stale_statement(s: Session, row: KbStatement, seen: int) -> Conflict:
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
                raise NotFound(later("no statement #{id}", id=statement_id))
            if shown[statement_id].version != read:
                raise stale_statement(s, shown[statement_id], read)
        key = external_id
        row = None
        if key is None:
            count = s.execute(select(func.count()).select_from(KbArticle)).scalar_one()
            key = f"KB-D{count + 1:05d}"
            while s.execute(select(col(KbArticle.id)).where(col(KbArticle.external_id) == key)).first():
                count += 1
                key = f"KB-D{count + 1:05d}"
        else:
            row = s.execute(
                select(KbArticle).where(col(KbArticle.external_id) == key).with_for_update()
            ).scalar_one_or_none()
            if row is None and version is not None:
                raise NotFound(later("no solution {key}", key=key))
            if row is not None and version is None:
                raise Conflict(later("{key} exists already: open it to edit it", key=key))
            if row is not None and row.version != version:
                raise _stale_solution(s, row, version)  # type: ignore[arg-type]  # version is not None on this branch (checked above)
        return store.save_article(
            s, fields | {"external_id": key}, store.ImportReport(), row=row, actor_id=actor.id
        )

    article_id = db.retrying(work)
    edited(db)
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
            select(KbArticle).where(col(KbArticle.id) == article_id).with_for_update()
        ).scalar_one_or_none()
        if row is None:
            raise NotFound(later("no solution {key}", key=article_id))
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
    edited(db)
    return new


def draft_key(ticket_number: str) -> str:
    """The id of the solution drafted from a ticket: one draft a ticket."""
    return f"KB-{ticket_number}"


def _article_id(db: Database, external_id: str) -> int | None:
    with db.read() as s:
        return s.execute(select(col(KbArticle.id)).where(col(KbArticle.external_id) == external_id)).scalar()


def draft_from_ticket(db: Database, actor: Actor, ticket_number: str) -> int:
    """Turn a resolved ticket into a draft solution: its summary, symptoms and resolution. A ticket
    gets one: asked again (or by two editors at once), the solution drafted from it is returned."""
    with db.read() as s:
        require_editor(s, actor)
        ticket = find_ticket(s, ticket_number)
        number = ticket.number
        if not ticket.resolution.strip():
            raise InvalidInput({"resolution": later("{number} has no resolution yet", number=number)})
        from ..models import Category

        category = s.get(Category, ticket.category_id) if ticket.category_id else None
    key = draft_key(number)
    existing = _article_id(db, key)
    if existing is not None:
        return existing
    zh = any("\u4e00" <= ch <= "\u9fff" for ch in ticket.summary + ticket.description)
    statements = [line for line in ticket.description.splitlines() if line.strip()][:4]
    statements += [line for line in ticket.resolution.splitlines() if line.strip()]
    try:
        return save_solution(
            db,
            actor,
            external_id=key,
            title=ticket.summary,
            category=category.path if category else "",
            lang="zh" if zh else "en",
            statements=statements,
            status="draft",
        )
    except (Conflict, IntegrityError):  # another editor drafted it meanwhile
        existing = _article_id(db, key)
        if existing is None:
            raise
        return existing
