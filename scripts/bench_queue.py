"""Work-queue figures on big databases (issue 5), on SQLite and PostgreSQL:

  views    time to the first page of each view (service, p50/p95) and its count
  raw      the first page of each view: the service against its raw SQL (the very statements it
           sends, rights check included, replayed on the driver's own cursor), p50/p95 and the
           difference
  paging   next/previous page by key while scrolling (service), and sorts paged by offset
  console  in a real console (Textual Pilot): key press → first rows drawn, per view (and a
           summary of every view on every --db side by side); cursor at the end → next page drawn
  live     a writer process commits an edit → the row is updated in another console (p50/p95)
  claims   N agents (threads, each with its own connections) claiming from one team queue for S
           seconds on PostgreSQL: throughput, conflicts, and the check that every claim is
           accounted for and no ticket is held by two agents

  python scripts/bench_queue.py --db sqlite:////tmp/bench-1m.db --db postgresql://postgres@127.0.0.1/bench_1m
  python scripts/bench_queue.py --claims postgresql://postgres@127.0.0.1/w5_claims --agents 50 --seconds 30
  python scripts/bench_queue.py --tickets 100000 --parts console --live 0 \
      --db sqlite:////tmp/bench-100k.db --db postgresql://postgres@127.0.0.1/bench_100k

The databases need demo data (`deskterm demo-data --tickets 1000000`, or --tickets N here for an
empty one, created if missing) and the queue indexes of the models (ix_ticket_assignee_status,
ix_ticket_status_queue); the live test edits a few tickets' summaries, the claims test fills its own
database (created if missing)."""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from argon2 import PasswordHasher

from deskterm.db import Database, normalise_url, open_database, upgrade
from deskterm.services import auth, queue, reference, tickets
from deskterm.services.errors import Conflict

PASSWORD = "demo"  # the demo agents' password
CLAIMER_PASSWORD = "claim-bench"
AGENTS = ("engineer", "zhang.wei", "operator", "supervisor", "expert")


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(p / 100 * (len(values) - 1)))]


def line(label: str, values: list[float], unit: str = "ms") -> None:
    print(
        f"  {label:<34} p50 {statistics.median(values):7.1f} {unit}   p95 {pct(values, 95):7.1f} {unit}"
        f"   max {max(values):7.1f} {unit}   n={len(values)}"
    )


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    result = fn(*args, **kwargs)
    return (time.perf_counter() - t) * 1000, result


def check_indexes(db: Database) -> None:
    from sqlalchemy import inspect

    names = {ix["name"] for ix in inspect(db.engine).get_indexes("ticket")}
    missing = {"ix_ticket_assignee_status", "ix_ticket_status_queue"} - names
    if missing:
        print(f"  WARNING: indexes missing ({', '.join(sorted(missing))}): run `deskterm db upgrade`")


def bench_views(db: Database, runs: int) -> None:
    actors = [auth.login(db, login, PASSWORD, max_failures=10_000) for login in AGENTS]
    counts = queue.counts(db, actors[0])
    print(f"  views of {actors[0].login}: {counts}")
    for view in queue.VIEWS:
        times = []
        for actor in actors:
            queue.page(db, actor, view)  # warm the cache once per agent
            for _ in range(runs):
                times.append(timed(queue.page, db, actor, view)[0])
        line(f"first page: {view}", times)
    line("counts (all five views)", [timed(queue.counts, db, a)[0] for a in actors for _ in range(runs)])
    for view, actor in (("mine", actors[0]), ("team", actors[0]), ("callbacks", actors[2])):
        nexts, prevs, page = [], [], queue.page(db, actor, view)
        for _ in range(15):
            if not page.more:
                break
            ms, page = timed(queue.page, db, actor, view, after=page.rows[-1].key)
            nexts.append(ms)
            prevs.append(timed(queue.page, db, actor, view, before=page.rows[0].key)[0])
        if nexts:
            line(f"next page by key: {view}", nexts)
            line(f"previous page by key: {view}", prevs)
    for sort in ("customer", "age", "priority"):
        line(
            f"sorted by {sort}, offset 0/1000 (team)",
            [
                timed(queue.page, db, actors[0], "team", sort=sort, offset=o)[0]
                for o in (0, 1000)
                for _ in range(5)
            ],
        )
    line(
        "filter 'vpn' (callbacks)",
        [timed(queue.page, db, actors[2], "callbacks", query="vpn")[0] for _ in range(5)],
    )
    line(
        "filter phone '1391' (callbacks)",
        [timed(queue.page, db, actors[2], "callbacks", query="1391")[0] for _ in range(5)],
    )


def captured(db: Database, fn, *args, **kwargs) -> list[tuple[str, object]]:  # type: ignore[no-untyped-def]
    """The SQL statements (with their parameters) a service call sends to the driver."""
    from sqlalchemy import event

    sent: list[tuple[str, object]] = []

    def record(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        sent.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        fn(*args, **kwargs)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    return sent


def replay(raw, statements: list[tuple[str, object]]) -> float:  # type: ignore[no-untyped-def]
    """Run the statements on the driver's cursor, fetching every row, in one transaction (ms)."""
    t = time.perf_counter()
    cursor = raw.cursor()
    for statement, parameters in statements:
        cursor.execute(statement, parameters)
        cursor.fetchall()
    cursor.close()
    raw.rollback()
    return (time.perf_counter() - t) * 1000


def bench_raw(db: Database, runs: int) -> None:
    """First page of each view: raw SQL vs the service, p50/p95 over the demo agents."""
    actors = [auth.login(db, login, PASSWORD, max_failures=10_000) for login in AGENTS]
    raw = db.engine.raw_connection()
    try:
        print(
            f"  {'first page (ms)':<22}{'raw p50':>9}{'p95':>7}{'service p50':>13}{'p95':>7}"
            f"{'Δp50':>7}{'Δp95':>7}  rows"
        )
        for view in queue.VIEWS:
            raws, services, rows = [], [], 0
            for actor in actors:
                statements = captured(db, queue.page, db, actor, view)
                for _ in range(runs):
                    raws.append(replay(raw, statements))
                    ms, got = timed(queue.page, db, actor, view)
                    services.append(ms)
                rows = max(rows, len(got.rows))
            r50, r95, s50, s95 = (
                statistics.median(raws),
                pct(raws, 95),
                statistics.median(services),
                pct(services, 95),
            )
            print(
                f"  {view:<22}{r50:9.2f}{r95:7.2f}{s50:13.2f}{s95:7.2f}"
                f"{s50 - r50:7.2f}{s95 - r95:7.2f}  {rows}"
            )
    finally:
        raw.close()


# --- the console (Pilot) -------------------------------------------------------------------------


def make_app(db: Database, poll: float = 0.2):  # type: ignore[no-untyped-def]
    from deskterm.app import DeskApp
    from deskterm.config import Settings

    settings = Settings.model_validate({"database_url": str(db.engine.url), "poll_interval": poll})
    return DeskApp(settings=settings, database=db)


async def wait(pilot, predicate, timeout: float = 30.0, step: float = 0.001) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(str(predicate))
        await pilot.pause(step)


async def settle(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    """Wait without touching the app (Pilot's pause queues work on every widget, every step)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(str(predicate))
        await asyncio.sleep(0.005)


async def open_queue(pilot, login: str):  # type: ignore[no-untyped-def]
    from textual.widgets import DataTable, Input

    app = pilot.app
    await wait(
        pilot, lambda: app.screen.query("#login-name") and not app.screen.query_one("#login-name").disabled
    )
    app.screen.query_one("#login-name", Input).value = login
    app.screen.query_one("#login-password", Input).value = PASSWORD
    app.screen.query_one("#login-password", Input).focus()
    await pilot.press("enter")
    await wait(pilot, lambda: app.actor is not None and app.current_mode)
    await pilot.press("f3")
    await wait(pilot, lambda: app.current_mode == "queue" and app.screen.query(DataTable))
    screen = app.screen
    await wait(pilot, lambda: screen.window.loaded_once)
    return screen, screen.query_one(DataTable)


class Stopwatch:
    """Times taken inside the console: from a key's action to the frame that shows its result,
    i.e. the end of the first screen update (compositor refresh) after the result was put in the
    table (the screen's methods are wrapped here, in the benchmark only)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.kind = ""
        self.times: list[float] = []
        self.live: dict[str, float] = {}  # text awaited -> wall time it was first drawn
        self.awaiting: set[str] = set()
        self.pending: tuple[object, str] | None = None  # (screen, kind) applied, not yet drawn

    def install(self) -> None:
        from textual.screen import Screen

        from deskterm.widgets.queue_window import QueueWindow

        if getattr(QueueWindow, "_stopwatch", False):
            return
        QueueWindow._stopwatch = True  # type: ignore[attr-defined]

        watch = self

        def wrap(name: str, starts: str = "", ends: str = ""):  # type: ignore[no-untyped-def]
            original = getattr(QueueWindow, name)

            def wrapped(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                was_paging, now = self.paging, time.perf_counter()
                result = original(self, *args, **kwargs)
                if starts and (starts == "view" or (self.paging and not was_paging)):
                    watch.started, watch.kind = now, starts  # a read began
                if ends:
                    watch.pending = (self, ends)
                return result

            setattr(QueueWindow, name, wrapped)

        # The queue's window (widgets/queue_window.py) reads and fills; a view key calls its load.
        wrap("load", starts="view")
        wrap("_next_page", starts="page")
        wrap("on_first_rows", ends="view")
        wrap("on_next_page", ends="page")
        wrap("on_read_again", ends="live")
        wrap("on_rows_again", ends="live")

        refresh = Screen._compositor_refresh

        def frame(screen) -> None:  # type: ignore[no-untyped-def]
            refresh(screen)
            if watch.pending is not None and watch.pending[0].screen is screen:
                (window, kind), watch.pending = watch.pending, None
                watch.drawn(window, kind)

        Screen._compositor_refresh = frame  # type: ignore[method-assign]

    def drawn(self, window, kind: str) -> None:  # type: ignore[no-untyped-def]
        if self.started and kind == self.kind:
            self.times.append((time.perf_counter() - self.started) * 1000)
            self.started = 0.0
        if self.awaiting:
            shown = " ".join(r.summary for r in window.rows)
            for text in list(self.awaiting):
                if text in shown:
                    self.live[text] = time.time()
                    self.awaiting.discard(text)


WATCH = Stopwatch()


CONSOLE: dict[str, dict[str, list[float]]] = {}  # "backend tickets" -> view -> key → first rows (ms)


async def console_figures(db: Database, switches: int, freeze: bool = True, desk: str = "") -> None:
    """The console as shipped; freeze=False leaves long-lived objects to the collector
    (deskterm/memory.py): the baseline, run first, since what one run freezes stays frozen.
    The figures of the console as shipped are kept for the summary (under `desk`)."""
    from deskterm import memory

    memory.enable(freeze)  # as DeskApp.run does
    label = "console" + ("" if freeze else " (heap not frozen)")
    app = make_app(db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen, table = await open_queue(pilot, "engineer")
        await asyncio.sleep(1.5)  # the console settles after login (memory.keep after 1 s)
        keys = {"mine": "1", "team": "2", "callbacks": "3", "escalated": "4", "watching": "5"}
        firsts: dict[str, list[float]] = {v: [] for v in keys}
        for _ in range(switches):
            for view, key in keys.items():
                away = next(k for v, k in keys.items() if v not in (view, screen.shown.view))
                await pilot.press(away)  # somewhere else first, so the key below switches
                await wait(pilot, lambda: not screen.window.paging and not WATCH.started)
                await asyncio.sleep(0.3)  # the previous view's follow-up reads (counts, next page) end
                WATCH.times.clear()
                await pilot.press(key)
                await settle(lambda: WATCH.times)
                firsts[view].append(WATCH.times[0])
        for view, values in firsts.items():
            line(f"{label}: key → first rows: {view}", values)
        everything = [v for values in firsts.values() for v in values]
        line(f"{label}: key → first rows: all views", everything)
        if freeze:
            CONSOLE[desk] = {**firsts, "all views": everything}
        await pilot.press("1")
        window = screen.window
        await wait(pilot, lambda: screen.shown.view == "mine" and not window.paging and table.row_count)
        pages = []
        for _ in range(6):
            if not screen.window.more_after:
                break
            WATCH.times.clear()
            table.move_cursor(row=table.row_count - 1)
            await settle(lambda: WATCH.times)
            pages.append(WATCH.times[0])
            await wait(pilot, lambda: not screen.window.paging)
        if pages:
            line(f"{label}: cursor at end → next page", pages)


WRITER = """
import sys, time
from deskterm.db import open_database
from deskterm.services import auth, workflow, tickets
db = open_database(sys.argv[1])
actor = auth.login(db, sys.argv[2], "demo", max_failures=10000)
print("ready", flush=True)
for line in sys.stdin:
    number, text = line.rstrip("\\n").split(" ", 1)
    v = tickets.get_ticket(db, actor, number).version
    workflow.edit(db, actor, number, version=v, changes={"summary": text})
    print(repr(time.time()), flush=True)
"""


async def live_figures(db: Database, samples: int) -> None:
    from deskterm import memory

    memory.enable()  # as DeskApp.run does
    url = db.engine.url.render_as_string(hide_password=False)
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, url, "engineer"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(Path(__file__).resolve().parents[1]),
    )
    assert writer.stdout is not None and writer.stdin is not None
    assert writer.stdout.readline().strip() == "ready"
    app = make_app(db)
    latencies = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            screen, table = await open_queue(pilot, "engineer")
            await wait(pilot, lambda: table.row_count > 10)
            table.move_cursor(row=5)
            for i in range(samples):
                rows = screen.window.rows
                target = rows[random.randrange(min(20, len(rows)))].number
                text = f"bench live {i} {random.randrange(10**6)}"
                WATCH.awaiting.add(text)
                writer.stdin.write(f"{target} {text}\n")
                writer.stdin.flush()
                committed = await asyncio.get_running_loop().run_in_executor(None, writer.stdout.readline)
                await wait(pilot, lambda x=text: x in WATCH.live, timeout=10)
                latencies.append((WATCH.live[text] - float(committed)) * 1000)
                await pilot.pause(0.05)
    finally:
        writer.stdin.close()
        writer.wait(timeout=30)
    line("live: commit elsewhere → row updated", latencies)


# --- claims --------------------------------------------------------------------------------------


def prepare_claims(url: str, agents: int, tickets_wanted: int) -> Database:
    db = open_database(url)
    upgrade(db.engine)
    reference.seed(db)
    from sqlalchemy import text

    from deskterm.services import agents as agent_service

    # quick hashes for the simulated agents
    auth.HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    if not agent_service.agent_logins(db, active_only=False):  # a new desk: its first admin
        agent_service.add_agent(
            db, None, login="admin", name="Admin", number="9000", role="admin", password="demo"
        )
    admin = auth.login(db, "admin", "demo", max_failures=10_000)
    with db.read() as s:
        have = s.execute(text("SELECT login FROM agent WHERE login LIKE 'claimer%'")).scalars().all()
    for i in range(agents):
        login = f"claimer{i:02d}"
        if login not in have:
            agent_service.add_agent(
                db,
                admin,
                login=login,
                name=f"Claimer {i:02d}",
                number=f"9{i:03d}",
                role="engineer",
                tier=2,
                team="Desktop Support",
                password=CLAIMER_PASSWORD,
            )
    op = auth.login(db, "claimer00", CLAIMER_PASSWORD, max_failures=10_000)
    with db.read() as s:
        queued = s.execute(
            text(
                "SELECT count(*) FROM ticket t JOIN team ON team.id = t.team_id "
                "WHERE team.name = 'Desktop Support' AND t.is_open AND t.assignee_id IS NULL"
            )
        ).scalar()
    if queued < tickets_wanted:
        seed = tickets.create_ticket(db, op, summary="claim bench seed", category="Hardware/PC")
        with db.write() as s:  # copies of one ticket, numbered on from the counter
            n = tickets_wanted - queued
            top = s.execute(
                text("UPDATE counter SET value = value + :n WHERE name = 'ticket' RETURNING value"), {"n": n}
            ).scalar_one()
            s.execute(
                text(
                    "INSERT INTO ticket (number, kind, category_id, impact, urgency, priority, status, "
                    "is_open, channel, service_mode, customer_id, device_id, summary, description, warranty, "
                    "team_id, tier, assignee_id, created_by_id, escalation_level, chase_count, respond_by, "
                    "resolve_by, sla_paused_seconds, first_contact, resolution, created_at, updated_at, "
                    "version) "
                    "SELECT 'SR-' || lpad((:first + g)::text, 6, '0'), kind, category_id, impact, urgency, "
                    "1 + g % 5, status, is_open, channel, service_mode, customer_id, device_id, "
                    "'claim bench ' || g, description, warranty, team_id, tier, NULL, created_by_id, 0, 0, "
                    "respond_by + g * interval '1 second', resolve_by + g * interval '1 second', 0, "
                    "false, '', created_at, updated_at, 1 "
                    "FROM ticket, generate_series(0, :n - 1) g WHERE ticket.id = :id"
                ),
                {"first": top - n + 1, "n": n, "id": seed.id},
            )
            s.execute(
                text(
                    "INSERT INTO ticket_event (ticket_id, actor_id, at, kind, body, public, data) "
                    "SELECT id, created_by_id, created_at, 'created', summary, false, '' FROM ticket "
                    "WHERE summary LIKE 'claim bench %' AND NOT EXISTS "
                    "(SELECT 1 FROM ticket_event e WHERE e.ticket_id = ticket.id)"
                )
            )
    return db


def bench_claims(url: str, agents: int, seconds: float, tickets_wanted: int) -> None:
    url = normalise_url(url)
    db = prepare_claims(url, agents, tickets_wanted)
    actors = [auth.login(db, f"claimer{i:02d}", CLAIMER_PASSWORD, max_failures=10_000) for i in range(agents)]
    # each agent is a console of its own: its own small pool of connections
    dbs = [open_database(url, pool_size=1) for _ in range(agents)]
    won: list[list[str]] = [[] for _ in range(agents)]
    lost = [0] * agents
    errors: list[str] = []
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    start = threading.Barrier(agents)

    def agent(i: int) -> None:
        # like a console: the team queue on screen, a claim on one of its top rows; after a lost
        # race the queue is read again (a console's live update would have removed the row)
        rng = random.Random(i)
        rows: list[str] = []
        start.wait()
        while time.monotonic() < stop:
            try:
                if not rows:
                    rows = [r.number for r in queue.page(dbs[i], actors[i], "team", limit=40).rows]
                    if not rows:
                        break
                target = rows.pop(rng.randrange(min(20, len(rows))))
                t = time.perf_counter()
                try:
                    tickets.claim(dbs[i], actors[i], target)
                    won[i].append(target)
                except Conflict:
                    lost[i] += 1
                    rows = []
                latencies.append((time.perf_counter() - t) * 1000)
            except Exception as e:  # noqa: BLE001 - counted and shown
                errors.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=agent, args=(i,)) for i in range(agents)]
    began = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    elapsed = time.monotonic() - began
    claimed = [n for w in won for n in w]
    from sqlalchemy import text

    with db.read() as s:
        rows = s.execute(
            text(
                "SELECT t.number, a.login, (SELECT count(*) FROM ticket_event e WHERE e.ticket_id = t.id "
                "AND e.kind = 'claimed') FROM ticket t JOIN agent a ON a.id = t.assignee_id "
                "WHERE t.number = ANY(:numbers)"
            ),
            {"numbers": claimed},
        ).all()
    holder = {n: login for n, login, _c in rows}
    events = {n: c for n, _l, c in rows}
    by_agent = {n: f"claimer{i:02d}" for i, w in enumerate(won) for n in w}
    print(f"  {agents} agents, {elapsed:.1f} s, one team queue on PostgreSQL")
    print(f"  claims won        {len(claimed):7d}   ({len(claimed) / elapsed:.0f} a second)")
    print(f"  conflicts (lost)  {sum(lost):7d}   ('already taken by …', each told)")
    print(f"  errors            {len(errors):7d}   {errors[:3]}")
    line("claim call", latencies)
    held = all(holder.get(n) == by_agent[n] for n in claimed)
    print(f"  every won claim held by its winner in the database: {held}")
    print(
        f"  no ticket won twice: {len(set(claimed)) == len(claimed)}; one claimed event each: "
        f"{all(events.get(n) == 1 for n in claimed)}"
    )
    for d in dbs:
        d.dispose()


def summary() -> None:
    """Key → first rows per view, each desk side by side (the console as shipped)."""
    if not CONSOLE:
        return
    desks = list(CONSOLE)
    print("\n== console: key → first rows, per view (ms, heap frozen as shipped)")
    print(f"  {'view':<12}" + "".join(f"{d:>26}" for d in desks))
    print(f"  {'':<12}" + f"{'p50':>13}{'p95':>7}{'max':>6}" * len(desks))
    for view in CONSOLE[desks[0]]:
        cells = ""
        for d in desks:
            v = CONSOLE[d][view]
            cells += f"{statistics.median(v):13.1f}{pct(v, 95):7.1f}{max(v):6.0f}"
        print(f"  {view:<12}{cells}")


def prepare_desk(url: str, tickets_wanted: int) -> None:
    """An empty database (created if missing) filled as `deskterm demo-data --tickets N` does."""
    db = open_database(url)
    upgrade(db.engine)
    with db.read() as s:
        from sqlalchemy import text

        n = s.execute(text("SELECT count(*) FROM ticket")).scalar() or 0
    db.dispose()
    if n == 0:
        print(f"  filling {url} with {tickets_wanted} tickets (demo data)", flush=True)
        subprocess.run(
            [sys.executable, "-m", "deskterm", "--db", url, "demo-data", "--tickets", str(tickets_wanted)],
            check=True,
            cwd=str(Path(__file__).resolve().parents[1]),
        )
    elif n != tickets_wanted:
        print(f"  NOTE: {url} holds {n} tickets already (not {tickets_wanted}): measured as it is")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", action="append", default=[], help="a database URL (repeat for both backends)")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--switches", type=int, default=10)
    parser.add_argument("--live", type=int, default=30, help="live-update samples (0: skip)")
    parser.add_argument("--parts", default="raw,views,console,live", help="which figures, comma-separated")
    parser.add_argument("--claims", help="a PostgreSQL URL for the claim race (its own database)")
    parser.add_argument("--agents", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--claim-tickets", type=int, default=60_000)
    parser.add_argument(
        "--tickets",
        type=int,
        help="fill each empty --db (created if missing) with this many demo tickets first",
    )
    parser.add_argument(
        "--frozen-only", action="store_true", help="console: leave out the run whose heap is not frozen"
    )
    args = parser.parse_args()
    for url in args.db:
        if args.tickets:
            prepare_desk(normalise_url(url), args.tickets)
        db = open_database(normalise_url(url))
        with db.read() as s:
            from sqlalchemy import text

            n = s.execute(text("SELECT count(*) FROM ticket")).scalar()
        print(f"\n== {db.backend}: {db.engine.url.database} ({n} tickets)")
        check_indexes(db)
        parts = set(args.parts.split(","))
        if parts & {"console", "live"}:
            WATCH.install()
        if "raw" in parts:
            bench_raw(db, args.runs)
        if "views" in parts:
            bench_views(db, args.runs)
        if "console" in parts:
            if not args.frozen_only:
                asyncio.run(console_figures(db, args.switches, freeze=False))
            asyncio.run(console_figures(db, args.switches, desk=f"{db.backend} {n}"))
        if args.live and "live" in parts:
            asyncio.run(live_figures(db, args.live))
        db.dispose()
    summary()
    if args.claims:
        print("\n== claims")
        bench_claims(args.claims, args.agents, args.seconds, args.claim_tickets)
    print(json.dumps({"done": True}))


if __name__ == "__main__":
    main()
