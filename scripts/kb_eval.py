"""Search quality on the KB dev set: build the index, run the dev queries, score them.

    python scripts/kb_eval.py [--eval-dir ../shared/kb-eval] [--misses] [--out results.jsonl]

Writes the results in score.py's format (with per-query timing) and prints score.py's table.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from deskterm.kb.engine import KbDoc, KbIndex  # noqa: E402
from deskterm.kb.synonyms import load_synonyms  # noqa: E402


def load_docs(path: Path) -> list[KbDoc]:
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                a = json.loads(line)
                docs.append(
                    KbDoc(
                        key=a["id"],
                        title=a["title"],
                        statements=tuple(a["statements"]),
                        category=a.get("category", ""),
                        lang=a.get("lang", "en"),
                        tags=tuple(a.get("tags", ())),
                    )
                )
    return docs


def load_queries(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def run_queries(index: KbIndex, queries: list[dict], limit: int = 10) -> list[dict]:
    rows = []
    for q in queries:
        timing: dict = {}
        t0 = time.perf_counter()
        hits = index.search(q["q"], limit=limit, timing=timing)
        ms = (time.perf_counter() - t0) * 1000
        rows.append(
            {
                "q": q["q"],
                "results": [{"id": h.key, "score": h.score} for h in hits],
                "ms": round(ms, 3),
                "timing": {k: round(v, 3) for k, v in timing.items()},
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "kb-eval")
    ap.add_argument("--queries", type=Path, help="default: EVAL_DIR/dev-queries.jsonl")
    ap.add_argument("--synonyms", type=Path, help="default: the shipped synonym list")
    ap.add_argument("--out", type=Path, help="keep the results jsonl here")
    ap.add_argument("--misses", action="store_true", help="list queries missed in the top 5")
    args = ap.parse_args(argv)

    t0 = time.perf_counter()
    index = KbIndex.build(load_docs(args.eval_dir / "articles.jsonl"), load_synonyms(args.synonyms))
    print(f"index: {len(index)} articles in {(time.perf_counter() - t0) * 1000:.0f} ms")
    queries_path = args.queries or args.eval_dir / "dev-queries.jsonl"
    rows = run_queries(index, load_queries(queries_path))

    out = args.out or Path(tempfile.mkstemp(prefix="kb-results-", suffix=".jsonl")[1])
    with out.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    cmd = [sys.executable, str(args.eval_dir / "score.py"), str(queries_path), str(out)]
    if args.misses:
        cmd.append("--misses")
    rc = subprocess.run(cmd, check=False).returncode
    if args.out is None:
        out.unlink()
    return rc


if __name__ == "__main__":
    sys.exit(main())
