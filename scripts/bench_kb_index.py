"""The saved KB search index: build, size, load, and a cold `deskterm kb search`, by KB size.

    python scripts/bench_kb_index.py [--sizes 160,50000] [--backends sqlite,pg] [--repeat 5] [--keep]

For each backend and size: a database (SQLite file under /tmp/kb-index-bench, PostgreSQL database
kbindex_<size>; kept between runs with --keep when it holds that many solutions), `deskterm db
upgrade`, gen_scale.py's synthetic solutions and the 160 real ones imported (size 160: the real
ones alone). Then, in a fresh process: the index built from the database (timed), saved, read back
and loaded (timed, best and median of --repeat), and the 120 dev queries ranked by the loaded index
and by the built one (they must agree). Last, `deskterm --db URL kb search QUERY` as a user runs
it, cold, in a new process each time (the index already saved: median wall time), and the ratio of
the largest size to the smallest. Prints the load average, since the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
WORK = Path("/tmp/kb-index-bench")
PG = "postgresql+psycopg://postgres@127.0.0.1:5432"
QUERY = "printer paper jam"


def child(url: str, queries_path: str, repeat: int) -> None:
    """Build, save, load the index of the database at `url`; print one JSON line."""
    from deskterm.db import open_database
    from deskterm.kb import snapshot, store
    from deskterm.kb.engine import KbIndex

    db = open_database(url)
    queries = [
        json.loads(line)["q"] for line in Path(queries_path).read_text(encoding="utf-8").splitlines() if line
    ]
    synonyms = store.load_synonyms(db)
    key = snapshot.key(synonyms)
    t0 = time.perf_counter()
    docs, _ids, newest = store.load_docs(db)
    built = KbIndex.build(docs, synonyms)
    build_s = time.perf_counter() - t0
    del docs
    t0 = time.perf_counter()
    data = snapshot.dump(built)
    store.save_index(db, key, store.SavedIndex(data, newest, len(built)))
    save_s = time.perf_counter() - t0
    loads, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        saved = store.read_index(db, key)
        assert saved is not None
        loaded = snapshot.load(saved.data, synonyms)
        loads.append(time.perf_counter() - t0)
        cpus.append(time.process_time() - c0)
        del saved
    same = all(loaded.search(q) == built.search(q) for q in queries)
    print(
        json.dumps(
            {
                "articles": len(built),
                "build_s": build_s,
                "save_s": save_s,
                "mb": len(data) / 1e6,
                "load_best": min(loads),
                "load_median": statistics.median(loads),
                "load_cpu": min(cpus),
                "same": same,
            }
        )
    )
    db.dispose()


def deskterm(url: str, *args: str) -> tuple[float, float]:
    """Run a deskterm command: its wall time and its CPU time (user + system), in seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [str(Path(sys.executable).with_name("deskterm")), "--db", url, *args],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def database(backend: str, size: int, keep: bool) -> tuple[str, bool]:
    """The URL of the database for this size, and whether it must be filled."""
    if backend == "sqlite":
        path = WORK / f"kb-{size}.db"
        url = f"sqlite:///{path}"
        if keep and path.exists() and _count(url) == size:
            return url, False
        for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            p.unlink(missing_ok=True)
        return url, True
    name = f"kbindex_{size}"
    url = f"{PG}/{name}"
    if keep and _count(url) == size:
        return url, False
    for sql in (f"drop database if exists {name} with (force)", f"create database {name}"):
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", sql], check=True)
    return url, True


def _filled(backend: str, size: int, keep: bool, ev: Path) -> str:
    """The URL of a migrated database holding `size` solutions (the real 160 among them)."""
    url, fill = database(backend, size, keep)
    deskterm(url, "db", "upgrade")
    if fill:
        if size > 160:
            data = WORK / f"kb-{size}.jsonl"
            if not data.exists():
                subprocess.run(
                    [sys.executable, str(ev / "gen_scale.py"), str(size - 160), str(data), "--seed", "1"],
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            deskterm(url, "kb", "import", str(data))
        deskterm(url, "kb", "import", str(ev / "articles.jsonl"))
    return url


def _count(url: str) -> int:
    from deskterm.db import DatabaseError, open_database
    from deskterm.kb import store

    try:
        db = open_database(url)
    except DatabaseError:
        return -1
    try:
        return store.article_count(db)
    except Exception:  # noqa: BLE001 - no schema, an old one: fill it anew
        return -1
    finally:
        db.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="160,50000")
    ap.add_argument("--backends", default="sqlite")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", action="store_true", help="reuse a database that holds the size already")
    ap.add_argument("--eval-dir", default=str(ROOT.parent / "shared" / "kb-eval"))
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ev = Path(args.eval_dir)
    if args.child:
        child(args.child, str(ev / "dev-queries.jsonl"), args.repeat)
        return
    WORK.mkdir(exist_ok=True)
    sizes = sorted(int(s) for s in args.sizes.split(","))
    print(f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} cores)")
    print(
        f"{'backend':8} {'articles':>8} {'build s':>8} {'save s':>7} {'MB':>6} {'load ms':>8} "
        f"{'median':>7} {'CPU ms':>7} {'same':>5} {'cold CLI s':>11} {'CPU s':>8}"
    )
    for backend in args.backends.split(","):
        urls = {size: _filled(backend, size, args.keep, ev) for size in sizes}
        rows = {}
        for size, url in urls.items():
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
            rows[size] = json.loads(out.strip().splitlines()[-1])
            deskterm(url, "kb", "search", QUERY)  # the index saved by this deskterm
        # the sizes in turn, so that each sees the same load of a shared machine
        runs: dict[int, list[tuple[float, float]]] = {size: [] for size in sizes}
        for _ in range(args.repeat):
            for size, url in urls.items():
                runs[size].append(deskterm(url, "kb", "search", QUERY))
        cold = {
            size: (statistics.median(w for w, _ in got), statistics.median(c for _, c in got))
            for size, got in runs.items()
        }
        for size, r in rows.items():
            print(
                f"{backend:8} {r['articles']:>8} {r['build_s']:>8.2f} {r['save_s']:>7.2f} {r['mb']:>6.1f} "
                f"{r['load_best'] * 1000:>8.0f} {r['load_median'] * 1000:>7.0f} {r['load_cpu'] * 1000:>7.0f} "
                f"{'yes' if r['same'] else 'NO':>5} {cold[size][0]:>11.2f} {cold[size][1]:>8.2f}",
                flush=True,
            )
        if len(cold) > 1:
            (small, small_cpu), (large, large_cpu) = cold[sizes[0]], cold[sizes[-1]]
            print(
                f"{backend}: cold `kb search` at {sizes[-1]} / at {sizes[0]}: {large / small:.2f}x wall, "
                f"{large_cpu / small_cpu:.2f}x CPU (target <= 1.5x)"
            )
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("build s: reading the solutions and building the index (what every process did before);")
    print("save s: turning it into bytes and storing it; MB: its size; load ms: reading it back from")
    print("the database and loading it (best / median of --repeat; CPU: best, in CPU ms of the process);")
    print("same: the 120 dev queries ranked alike by the loaded and the built index; cold CLI s: a new")
    print(f"`deskterm kb search {QUERY!r}` process, median wall time and CPU time (user + system).")


if __name__ == "__main__":
    main()
