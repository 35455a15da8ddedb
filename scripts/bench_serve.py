"""Desk server figures for the closing note (issue 17). A `deskterm serve` of its own on 127.0.0.1,
a desk with demo data, and scripted clients (asyncssh's client; headless Chromium for the page):

1. SSH connect -> the agent's landing screen drawn (password login, an operator's Intake), p50/p95,
   one session at a time.
2. Memory of one agent session: RSS and PSS of its console process after login, on Intake and after
   F3 on the Work queue (PSS shares the Python libraries fairly between consoles).
3. Capacity: sessions are added in steps; every session types one key a second (staggered) into the
   caller's name, and the time from sending the key to the client's screen showing it is measured.
   Each step reports p50/p95 over `--seconds` and the CPU the server and its consoles spent per key
   (a figure that does not depend on what else runs on the machine, unlike the latencies); the ramp
   stops at the first step whose p95 reaches 100 ms. Then what that means for a 500-agent desk.
4. Browser page load -> login screen drawn (headless Chromium, a fresh browser each time).

usage: python scripts/bench_serve.py [--db URL] [--steps 10,20,...] [--seconds S] [--samples N]
(--db: an existing, possibly empty database, migrated here; without it a temporary SQLite desk; an empty
desk gets 3,000 demo tickets; bench agents bench001… are added)
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import statistics
import string
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncssh
import pyte

PASSWORD = "bench-pw-1"
BUDGET_MS = 100.0


def pct(samples: list[float], q: int) -> float:
    """The q-th percentile in ms (with fewer than 20 samples, p95 is the largest)."""
    if q == 50:
        return statistics.median(samples) * 1000
    if len(samples) < 20:
        return max(samples) * 1000
    return statistics.quantiles(samples, n=100)[q - 1] * 1000


def summary(samples: list[float]) -> str:
    return f"p50 {pct(samples, 50):6.1f} ms  p95 {pct(samples, 95):6.1f} ms  (n={len(samples)})"


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used (load-independent, unlike wall time)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def memory_of(pid: int) -> tuple[float, float]:
    """(RSS, PSS) of a process in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, value = line.split(":", 1)
        fields[name] = int(value.split()[0])
    return fields["Rss"] / 1024, fields["Pss"] / 1024


class Client(asyncssh.SSHClientSession[bytes]):
    """One scripted agent: an SSH session whose screen pyte keeps."""

    def __init__(self, cols: int = 120, rows: int = 40) -> None:
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.changed = asyncio.Event()
        self.chan: asyncssh.SSHClientChannel[bytes] | None = None
        self.conn: asyncssh.SSHClientConnection | None = None

    def data_received(self, data: bytes, datatype: object) -> None:
        self.stream.feed(data)
        self.changed.set()

    def text(self) -> str:
        return "\n".join(self.screen.display)

    def name_field(self) -> str:
        return next((row for row in self.screen.display if row.startswith("Name")), "")

    async def until(self, predicate, timeout: float = 120.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.perf_counter() + timeout
        while not predicate():
            self.changed.clear()
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(self.text())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.changed.wait(), left)

    @classmethod
    async def open(cls, port: int, login: str) -> tuple[Client, float]:
        """A logged-in session at its landing screen, and how long that took."""
        started = time.perf_counter()
        conn = await asyncssh.connect(
            "127.0.0.1", port, username=login, password=PASSWORD, known_hosts=None, client_keys=None
        )
        chan, client = await conn.create_session(
            cls, term_type="xterm-256color", term_size=(120, 40), encoding=None
        )
        client.chan, client.conn = chan, conn
        await client.until(lambda: "How can I help you?" in client.text())
        return client, time.perf_counter() - started

    def send(self, keys: str) -> None:
        assert self.chan is not None
        self.chan.write(keys.encode())

    async def typing(self, seconds: float, latencies: list[float]) -> None:
        """One key a second into the caller's name; each key timed until the screen shows it."""
        await asyncio.sleep(random.random())
        typed = ""
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            tick = time.perf_counter()
            if len(typed) >= 30:
                self.send("\x15")  # Ctrl+U: clear the field
                await self.until(lambda: not self.name_field()[6:].strip().strip("▏"))
                typed = ""
            typed += random.choice(string.ascii_lowercase)
            sent = time.perf_counter()
            self.send(typed[-1])
            try:
                await self.until(lambda t=typed: t in self.name_field(), timeout=5.0)  # type: ignore[misc]
                latencies.append(time.perf_counter() - sent)
            except TimeoutError:
                latencies.append(5.0)
            await asyncio.sleep(max(0.0, 1.0 - (time.perf_counter() - tick)))

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def make_desk(url: str | None, tmp: Path, agents: int) -> str:
    from sqlalchemy import text

    from deskterm.db import open_database, upgrade
    from deskterm.services import agents as agent_service
    from deskterm.services import demo, reference

    url = url or f"sqlite:///{tmp / 'bench.db'}"
    db = open_database(url)
    upgrade(db.engine)
    reference.seed(db)
    with db.read() as s:
        empty = not s.execute(text("SELECT 1 FROM ticket LIMIT 1")).first()
    if empty:
        demo.generate(db, tickets=3000, seed=7)
    existing = set(agent_service.agent_logins(db))
    for n in range(1, agents + 1):
        login = f"bench{n:03d}"
        if login not in existing:
            agent_service.add_agent(
                db, None, login=login, name=f"Bench {n}", number=f"9{n:03d}", role="operator",
                team="Service Desk", password=PASSWORD,
            )  # fmt: skip
    db.dispose()
    return url


def consoles(server_pid: int) -> list[int]:
    from tests.serve.helpers import children

    return children(server_pid)


async def connect_figures(port: int, samples: int) -> list[float]:
    times = []
    for _ in range(samples):
        client, took = await Client.open(port, "bench001")
        times.append(took)
        client.close()
        await asyncio.sleep(1.5)  # its console leaves before the next one starts
    return times


async def memory_figures(port: int, server_pid: int) -> dict[str, tuple[float, float]]:
    client, _took = await Client.open(port, "bench001")
    (pid,) = consoles(server_pid)
    print(
        f"CPU time of one console from its start to the landing screen: {cpu_seconds(pid):.2f} s", flush=True
    )
    await asyncio.sleep(3)  # settled: the first paint's work is done, the feed is running
    out = {"Intake": memory_of(pid)}
    client.send("\x1bOR")  # F3
    await client.until(lambda: "Work queue │" in client.text())
    await asyncio.sleep(3)
    out["Work queue"] = memory_of(pid)
    client.close()
    await asyncio.sleep(2)
    return out


async def capacity(port: int, server_pid: int, steps: list[int], seconds: float) -> list[tuple]:  # type: ignore[type-arg]
    clients: list[Client] = []
    rows = []
    for n in steps:
        while len(clients) < n:
            batch = min(5, n - len(clients))
            opened = await asyncio.gather(
                *(Client.open(port, f"bench{len(clients) + i + 1:03d}") for i in range(batch))
            )
            clients += [c for c, _t in opened]
        await asyncio.sleep(3)
        latencies: list[float] = []
        pids = [server_pid, *consoles(server_pid)]
        cpu_before = sum(cpu_seconds(pid) for pid in pids)
        await asyncio.gather(*(c.typing(seconds, latencies) for c in clients))
        cpu_per_key = (sum(cpu_seconds(pid) for pid in pids) - cpu_before) / len(latencies)
        pss = sum(memory_of(pid)[1] for pid in consoles(server_pid))
        load = os.getloadavg()[0]
        row = (n, pct(latencies, 50), pct(latencies, 95), max(latencies) * 1000, pss, load, len(latencies))
        rows.append(row)
        print(
            f"  {n:4d} sessions: key-to-screen p50 {row[1]:6.1f} ms  p95 {row[2]:6.1f} ms"
            f"  max {row[3]:7.1f} ms  (n={row[6]});  server CPU {cpu_per_key * 1000:5.1f} ms a key;"
            f"  consoles' PSS {pss / 1024:5.2f} GiB;  load {load:4.1f}",
            flush=True,
        )
        if row[2] >= BUDGET_MS:
            break
    for c in clients:
        c.close()
    return rows


def browser_figures(url: str, samples: int, tmp: Path) -> list[float]:
    from tests.serve.helpers import Browser, wait_until

    times = []
    for i in range(samples):
        browser = Browser(tmp / f"b{i}")
        try:
            started = time.perf_counter()
            browser.open(url)
            wait_until(lambda b=browser: "Connected to" in b.text() and "password" in b.text(), 60)  # type: ignore[misc]
            times.append(time.perf_counter() - started)
        finally:
            browser.quit()
        time.sleep(1.5)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", help="a migrated desk database (default: a temporary SQLite demo desk)")
    parser.add_argument("--steps", default="5,10,20,30,40,50,60,80", help="session counts to try, in order")
    parser.add_argument("--seconds", type=float, default=20.0, help="typing time per step")
    parser.add_argument("--samples", type=int, default=20, help="connects (and 1/4 as many page loads)")
    args = parser.parse_args()
    steps = [int(s) for s in args.steps.split(",")]

    with tempfile.TemporaryDirectory(prefix="bench-serve-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["XDG_DATA_HOME"] = str(tmp / "data")  # the server's host key and drafts
        os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
        print(f"machine: {os.cpu_count()} cores; load before: {os.getloadavg()[0]:.1f}", flush=True)
        url = make_desk(args.db, tmp, max(steps))
        from tests.serve.helpers import Server

        server = Server(url, "--max-sessions", "1000")
        try:
            print(f"desk: {url.split('@')[-1]}; server pid {server.proc.pid}", flush=True)
            took = asyncio.run(connect_figures(server.ssh_port, args.samples))
            print(f"SSH connect -> landing screen drawn: {summary(took)}", flush=True)
            mem = asyncio.run(memory_figures(server.ssh_port, server.proc.pid))
            for screen, (rss, pss) in mem.items():
                print(f"one session on {screen}: RSS {rss:.0f} MiB, PSS {pss:.0f} MiB", flush=True)
            loads = browser_figures(server.url, max(3, args.samples // 4), tmp)
            print(f"browser page load -> login screen drawn: {summary(loads)}", flush=True)
            print(f"capacity (each session types one key a second for {args.seconds:g} s):", flush=True)
            rows = asyncio.run(capacity(server.ssh_port, server.proc.pid, steps, args.seconds))
        finally:
            server.stop()
    good = [r for r in rows if r[2] < BUDGET_MS]
    if good:
        best = max(r[0] for r in good)
        capped = "" if rows[-1][2] >= BUDGET_MS else " (the largest step tried; more may fit)"
        print(f"largest step with p95 key-to-screen < {BUDGET_MS:g} ms: {best} sessions{capped}")
        print(f"a 500-agent desk, all logged in at once: {-(-500 // best)} such servers")
    else:
        print(f"no step kept p95 under {BUDGET_MS:g} ms")


if __name__ == "__main__":
    main()
