"""KB search benchmark: deskterm's engine vs SQLite FTS5 (trigram) vs rapidfuzz over titles.

    python scripts/bench_kb.py [--sizes 50000,200000] [--eval-dir ../shared/kb-eval] [--seed 1]

For each size, gen_scale.py writes that many synthetic articles (into a temporary directory);
the 160 real articles are added to them and the 120 dev queries run against the lot (the real
articles are the relevant ones, the synthetic ones are load and distractors). Size 160 (the
real articles alone) always runs first, for quality without distractors. Prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import json
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from kb_eval import load_docs, load_queries  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from deskterm.kb.engine import KbDoc, KbIndex  # noqa: E402
from deskterm.kb.synonyms import load_synonyms  # noqa: E402

Search = Callable[[str], list[str]]


def quality(search: Search, queries: list[dict]) -> tuple[dict, list[float]]:
    """recall@1, recall@5, MRR@10 as score.py computes them, and the per-query times (ms)."""
    r1 = r5 = mrr = 0.0
    times = []
    for q in queries:
        t0 = time.perf_counter()
        ids = search(q["q"])[:10]
        times.append((time.perf_counter() - t0) * 1000)
        best = q["relevant"][0]
        r1 += bool(ids) and ids[0] == best
        r5 += best in ids[:5]
        for rank, i in enumerate(ids, 1):
            if i in q["relevant"]:
                mrr += 1 / rank
                break
    n = len(queries)
    return {"R@1": r1 / n, "R@5": r5 / n, "MRR": mrr / n}, times


def pct(times: list[float], p: float) -> float:
    s = sorted(times)
    return s[min(len(s) - 1, round(p / 100 * (len(s) - 1)))]


# ---------------------------------------------------------------- the three contenders
def build_engine(docs: list[KbDoc]) -> tuple[Search, int]:
    syn = load_synonyms()
    index = KbIndex.build(docs, syn)
    index.search("warm up")  # builds the lazy vocabulary views once

    def search(q: str) -> list[str]:
        return [h.key for h in index.search(q, limit=10)]

    search.index = index  # type: ignore[attr-defined]
    return search, index.memory_bytes()


def build_fts5(docs: list[KbDoc]) -> tuple[Search, int]:
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE kb USING fts5(key UNINDEXED, title, body, tokenize='trigram')")
    db.executemany(
        "INSERT INTO kb VALUES (?, ?, ?)",
        ((d.key, d.title, " ".join(d.statements)) for d in docs),
    )
    db.commit()
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    page_size = db.execute("PRAGMA page_size").fetchone()[0]

    def search(q: str) -> list[str]:
        # trigram needs 3+ characters per term; OR the words, rank by bm25 (title weighted 2)
        terms = [t for t in re.findall(r"\w[\w.+/-]*", q) if len(t) >= 3]
        if not terms:
            return []
        match = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms)
        rows = db.execute(
            "SELECT key FROM kb WHERE kb MATCH ? ORDER BY bm25(kb, 0, 2.0, 1.0) LIMIT 10",
            (match,),
        ).fetchall()
        return [r[0] for r in rows]

    return search, pages * page_size


def build_rapidfuzz(docs: list[KbDoc]) -> tuple[Search, int]:
    titles = [d.title for d in docs]
    keys = [d.key for d in docs]

    def search(q: str) -> list[str]:
        got = process.extract(q, titles, scorer=fuzz.WRatio, limit=10)
        return [keys[i] for _, _, i in got]

    return search, sum(sys.getsizeof(t) for t in titles)


CONTENDERS = {
    "deskterm": build_engine,
    "sqlite fts5 trigram": build_fts5,
    "rapidfuzz WRatio titles": build_rapidfuzz,
}


def rss_mb() -> float:
    """Resident memory of this process (Linux), to see what an index really costs."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * 4096 / 1e6
    except OSError:
        return float("nan")


def measure(name: str, docs: list[KbDoc], queries: list[dict]) -> dict:
    gc.collect()
    rss0 = rss_mb()
    t0 = time.perf_counter()
    search, mem = CONTENDERS[name](docs)
    build_s = time.perf_counter() - t0
    gc.collect()
    rss = rss_mb() - rss0
    q, times = quality(search, queries)
    del search
    return {
        "engine": name,
        "build_s": build_s,
        "mem_mb": mem / 1e6,
        "rss_mb": rss,
        "p50": statistics.median(times),
        "p95": pct(times, 95),
        "max": max(times),
        **q,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="50000,200000", help="synthetic article counts")
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "kb-eval")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--engines", default=",".join(CONTENDERS), help="subset of: " + ", ".join(CONTENDERS))
    args = ap.parse_args(argv)
    real = load_docs(args.eval_dir / "articles.jsonl")
    queries = load_queries(args.eval_dir / "dev-queries.jsonl")
    sizes = [0] + [int(s) for s in args.sizes.split(",") if s.strip()]
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]

    rows = []
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        for n in sizes:
            docs = list(real)
            if n:
                out = Path(tmp) / f"kb-{n}.jsonl"
                t0 = time.perf_counter()
                subprocess.run(
                    [sys.executable, str(args.eval_dir / "gen_scale.py"), str(n), str(out),
                     "--seed", str(args.seed)],
                    check=True, stdout=subprocess.DEVNULL,
                )  # fmt: skip
                docs += load_docs(out)
                print(f"generated {n} articles in {time.perf_counter() - t0:.1f} s", flush=True)
            for name in engines:
                r = measure(name, docs, queries)
                r["articles"] = len(docs)
                rows.append(r)
                print(json.dumps({k: round(v, 3) if isinstance(v, float) else v
                                  for k, v in r.items()}), flush=True)  # fmt: skip
            del docs
            gc.collect()

    head = (
        f"{'engine':<24}{'articles':>9}{'build s':>9}{'index MB':>10}{'RSS+ MB':>9}"
        f"{'p50 ms':>8}{'p95 ms':>8}{'max ms':>8}{'R@1':>7}{'R@5':>7}{'MRR@10':>8}"
    )
    print()
    print(head)
    print("-" * len(head))
    for r in rows:
        print(
            f"{r['engine']:<24}{r['articles']:>9}{r['build_s']:>9.2f}{r['mem_mb']:>10.1f}"
            f"{r['rss_mb']:>9.1f}{r['p50']:>8.2f}{r['p95']:>8.2f}{r['max']:>8.2f}"
            f"{r['R@1']:>7.3f}{r['R@5']:>7.3f}{r['MRR']:>8.3f}"
        )
    print(
        "\nindex MB: the engine's own estimate (deskterm), the database pages (fts5), the title "
        "strings (rapidfuzz). RSS+ MB: growth of the process's resident memory while building "
        "(includes the allocator's slack; sqlite's page cache counts here too)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
