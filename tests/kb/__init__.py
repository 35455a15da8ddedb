"""The KB search engine's tests; the kb-eval corpus they share."""

from __future__ import annotations

import json
from pathlib import Path

from deskterm.kb.engine import KbDoc

EVAL_DIR = Path(__file__).parents[2].parent / "shared" / "kb-eval"


def eval_docs() -> list[KbDoc]:
    """The corpus's 160 articles as engine documents."""
    docs = []
    for line in (EVAL_DIR / "articles.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            a = json.loads(line)
            docs.append(
                KbDoc(
                    a["id"],
                    a["title"],
                    tuple(a["statements"]),
                    a.get("category", ""),
                    a.get("lang", "en"),
                    tuple(a.get("tags", ())),
                )
            )
    return docs


def eval_queries() -> list[dict]:
    """The corpus's 120 dev queries ({"q", "relevant", "kind"})."""
    lines = (EVAL_DIR / "dev-queries.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]
