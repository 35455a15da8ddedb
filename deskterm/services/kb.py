"""The knowledge base at the desk: search and recommendations through a live in-memory index,
articles as read-models, "this solved it", editing solutions from reusable statements, synonyms.

Edits never lose each other: a solution and a statement each carry a version, every edit names the
version it read, and a stale one is refused saying who changed what meanwhile. Every version is
kept in the history (kb_revision), written in the edit's own transaction.

The index is built from the database in the background (never delaying start-up) and kept
current: each search first picks up articles changed since the last look (one cheap indexed
query), so an edit in one console is found in the others within the live-update bound.

The public API of the knowledge base, one module a seam: kb_search (the live index, search,
recommendations, FAQ), kb_articles (articles as read-models, "this solved it", a solution as a
note), kb_edit (saving solutions, their status, a draft from a ticket), kb_statements (reusable
statements and the history of versions), kb_admin (synonyms, imports); and, here, the categories
in use."""

from __future__ import annotations

from .kb_admin import add_synonyms, import_demo_articles, import_solutions, list_synonyms, remove_synonyms
from .kb_articles import (
    KbArticleView,
    StatementView,
    copy_to_note,
    get_article,
    get_article_by_external_id,
    mark_solved,
    note_text,
    solved_it,
)
from .kb_edit import describe, describe_lines, draft_from_ticket, require_editor, save_solution, set_status
from .kb_search import (
    FRESHNESS,
    KbSearcher,
    KbSuggestion,
    faq,
    index_state,
    recommend,
    search,
    search_ids,
    searcher,
    warm_up,
)
from .kb_statements import (
    RevisionView,
    edit_statement,
    find_statements,
    get_statements,
    history,
    statement_users,
)

__all__ = [
    "FRESHNESS",
    "KbArticleView",
    "KbSearcher",
    "KbSuggestion",
    "RevisionView",
    "StatementView",
    "add_synonyms",
    "copy_to_note",
    "describe",
    "describe_lines",
    "draft_from_ticket",
    "edit_statement",
    "faq",
    "find_statements",
    "get_article",
    "get_article_by_external_id",
    "get_statements",
    "history",
    "import_demo_articles",
    "import_solutions",
    "index_state",
    "list_synonyms",
    "mark_solved",
    "note_text",
    "recommend",
    "remove_synonyms",
    "require_editor",
    "save_solution",
    "search",
    "search_ids",
    "searcher",
    "set_status",
    "solved_it",
    "statement_users",
    "warm_up",
]
