"""KB benchmark with the database as the source, on SQLite and PostgreSQL.

    python scripts/bench_kb_db.py [--sizes 50000,200000] [--backends sqlite,pg] [--repeat 3]

For each backend and size: a fresh database (SQLite file under /tmp/kb-bench, PostgreSQL database
kbbench_<size>), `deskterm db upgrade`, gen_scale.py's synthetic articles and the 160 real ones
imported through `deskterm --db URL kb import` (timed), then in a fresh process: the index built
from the database as a console builds it (load the articles, build; timed, with memory), and the
120 dev queries through `services.kb.search_ids` (p50/p95/max, and quality against the real
articles among the distractors). Prints the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path("/tmp/kb-bench")
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def child(url: str, queries_path: str, repeat: int) -> None:
    """Build the index from the database and run the queries; print one JSON line."""
    from deskterm.db import open_database
    from deskterm.kb import store
    from deskterm.kb.engine import KbIndex
    from deskterm.services import kb

    db = open_database(url)
    queries = [
        json.loads(line) for line in Path(queries_path).read_text(encoding="utf-8").splitlines() if line
    ]
    gc.collect()
    base = rss_mb()
    t0, c0 = time.perf_counter(), time.process_time()
    docs, _ids, _newest = store.load_docs(db)
    t1, c1 = time.perf_counter(), time.process_time()
    index = KbIndex.build(docs, store.load_synonyms(db))
    t2, c2 = time.perf_counter(), time.process_time()
    n = len(docs)
    del docs, index
    gc.collect()
    # the searcher a console uses: the same two steps, then every query through the service
    s = kb.searcher(db)
    t3 = time.perf_counter()
    s.build()
    build_total = time.perf_counter() - t3
    gc.collect()
    mem_rss = rss_mb() - base
    mem_index = s.index.memory_bytes() / 1e6  # type: ignore[union-attr]
    kb.search_ids(db, "warm up")
    times: list[float] = []
    cpu: list[float] = []
    r1 = r5 = mrr = 0.0
    for rep in range(repeat):
        for q in queries:
            started, cpu_started = time.perf_counter(), time.process_time()
            ids = [k for k, _ in kb.search_ids(db, q["q"], limit=10)]
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - cpu_started) * 1000)
            if rep == 0:
                best = q["relevant"][0]
                r1 += bool(ids) and ids[0] == best
                r5 += best in ids[:5]
                rank = next((i for i, k in enumerate(ids, 1) if k in q["relevant"]), None)
                mrr += 1 / rank if rank else 0.0
    times.sort()
    cpu.sort()
    nq = len(queries)
    print(
        json.dumps(
            {
                "articles": n,
                "load_s": t1 - t0,
                "build_s": t2 - t1,
                "load_cpu": c1 - c0,
                "build_cpu": c2 - c1,
                "p95_cpu": cpu[min(len(cpu) - 1, round(0.95 * (len(cpu) - 1)))],
                "searcher_build_s": build_total,
                "index_mb": mem_index,
                "rss_mb": mem_rss,
                "p50": statistics.median(times),
                "p95": times[min(len(times) - 1, round(0.95 * (len(times) - 1)))],
                "max": times[-1],
                "R@1": r1 / nq,
                "R@5": r5 / nq,
                "MRR": mrr / nq,
            }
        )
    )
    db.dispose()


def deskterm(url: str, *args: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("deskterm")), "--db", url, *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def fresh(backend: str, size: int) -> str:
    if backend == "sqlite":
        path = WORK / f"kb-{size}.db"
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = f"kbbench_{size}"
    for sql in (f"drop database if exists {name} with (force)", f"create database {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    return f"{PG}/{name}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="50000,200000")
    ap.add_argument("--backends", default="sqlite,pg")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--eval-dir", default=str(ROOT.parent / "shared" / "kb-eval"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ev = Path(args.eval_dir)
    if args.child:
        child(args.child, str(ev / "dev-queries.jsonl"), args.repeat)
        return
    WORK.mkdir(exist_ok=True)
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    head = (
        f"{'backend':8} {'articles':>8} {'import s':>9} {'load s':>7} {'build s':>8} {'total s':>8} "
        f"{'index MB':>9} {'RSS MB':>7} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
        f"{'R@1':>6} {'R@5':>6} {'MRR':>6}   {'CPU: load':>9} {'build':>6} {'p95 ms':>7}"
    )
    print(head)
    for size in [int(s) for s in args.sizes.split(",")]:
        data = WORK / f"kb-{size}.jsonl"
        if not data.exists():
            subprocess.run(
                [sys.executable, str(ev / "gen_scale.py"), str(size), str(data), "--seed", "1"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
        for backend in args.backends.split(","):
            url = fresh(backend, size)
            deskterm(url, "db", "upgrade")
            imported = deskterm(url, "kb", "import", str(data))
            deskterm(url, "kb", "import", str(ev / "articles.jsonl"))
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    url,
                    "--repeat",
                    str(args.repeat),
                    "--eval-dir",
                    str(ev),
                ],
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(
                f"{backend:8} {r['articles']:>8} {imported:>9.1f} {r['load_s']:>7.2f} {r['build_s']:>8.2f} "
                f"{r['searcher_build_s']:>8.2f} {r['index_mb']:>9.0f} {r['rss_mb']:>7.0f} {r['p50']:>7.2f} "
                f"{r['p95']:>7.2f} {r['max']:>7.2f} {r['R@1']:>6.3f} {r['R@5']:>6.3f} {r['MRR']:>6.3f}   "
                f"{r['load_cpu']:>9.2f} {r['build_cpu']:>6.2f} {r['p95_cpu']:>7.2f}",
                flush=True,
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("import s: `deskterm kb import` of the synthetic file (wall); load s/build s: reading the")
    print("articles from the database / building the index; total s: the console's background build")
    print("(both); p50/p95/max: per query through services.kb.search_ids over the 120 dev queries;")
    print("R@1/R@5/MRR: the dev queries with the synthetic articles as distractors (not the quality")
    print("target, which is scored on the 160 articles alone); CPU: the same in CPU seconds/ms of the")
    print("benchmark process, less sensitive to other processes on a shared machine.")


if __name__ == "__main__":
    main()
