"""Start-up figures: how long `deskterm` takes to do something, beside a bare interpreter.

Each figure is the median wall time of --runs fresh processes. CLI commands run to their exit
(output discarded); the console's first frame is timed from the process start until the login
screen's title appears in what the process wrote to its terminal (a pseudo-terminal of 120×40 read
by this script: nothing in deskterm is told it is being timed). `deskterm demo` is timed on a new
desk (its first run, which fills the desk in the background) and on an existing one, where "ready"
is until the operator's Intake screen is on the terminal.

Everything runs in a temporary HOME (settings, data), so no desk of yours is touched:

    python scripts/bench_startup.py [--runs 7]
"""

from __future__ import annotations

import argparse
import os
import pty
import re
import resource
import select
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

DESKTERM = [sys.executable, "-m", "deskterm"]
LOGIN_TITLE = "service desk console"  # the login screen's title: the first frame is on the terminal
INTAKE = "Intake"  # the operator's first screen: logged in, ready to take a call
Timing = tuple[float, float]  # (wall, CPU) seconds
ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[PX^_][^\x1b]*\x1b\\|.)")


def environment(home: Path) -> dict[str, str]:
    # as installed: bytecode is written on the first run and read on the next (the median's runs)
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DESKTERM_", "XDG_")) and k != "PYTHONDONTWRITEBYTECODE"
    }
    env |= {
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "TERM": "xterm-256color",
        "COLORTERM": "truecolor",
        "DESKTERM_PASSWORD": "demo",
    }
    return env


def run_command(args: list[str], env: dict[str, str]) -> Timing:
    """(wall, CPU) seconds of one run of `args` to its exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return elapsed, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def until_shown(args: list[str], env: dict[str, str], *texts: str, timeout: float = 120.0) -> Timing:
    """Run `args` on a 120×40 pseudo-terminal until each of `texts` has appeared (in order), then
    end it: (wall seconds until the last appeared, CPU seconds the process had used by then)."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console on the pseudo-terminal
        os.execve(args[0], args, env)
    started = time.perf_counter()
    import fcntl
    import struct
    import termios

    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen, screen, elapsed = 0, b"", 0.0
    try:
        while seen < len(texts):
            if time.perf_counter() - started > timeout:
                raise SystemExit(f"{' '.join(args[2:])}: {texts[seen]!r} not shown in {timeout:.0f} s")
            ready, _w, _x = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the console ended
                raise SystemExit(
                    f"{' '.join(args[2:])} ended before {texts[seen]!r}: {screen[-500:]!r}"
                ) from None
            screen += chunk
            while seen < len(texts) and texts[seen].encode() in ESCAPES.sub(b"", screen):
                elapsed = time.perf_counter() - started
                seen += 1
    finally:
        os.kill(pid, signal.SIGKILL)
        _pid, _status, usage = os.wait4(pid, 0)
        os.close(fd)
    return elapsed, usage.ru_utime + usage.ru_stime


def median(runs: int, measure: Callable[[], Timing]) -> Timing:
    """The median wall and CPU times of `runs` measures (after one to warm the caches)."""
    measure()
    timings = [measure() for _ in range(runs)]
    return statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=7, help="runs per figure (the median is printed)")
    parser.add_argument(
        "--tickets", type=int, default=300, help="tickets of the demo desk `ticket list` reads"
    )
    runs = parser.parse_args().runs
    tickets = parser.parse_args().tickets
    with tempfile.TemporaryDirectory(prefix="deskterm-bench-") as tmp:
        home = Path(tmp)
        env = environment(home)
        db = ["--db", f"sqlite:///{home / 'bench.db'}"]
        run_command([*DESKTERM, *db, "db", "upgrade"], env)
        run_command([*DESKTERM, *db, "demo-data", "--tickets", str(tickets)], env)
        figures: list[tuple[str, Timing]] = [
            (
                "bare interpreter (python -c pass)",
                median(runs, lambda: run_command([sys.executable, "-c", "pass"], env)),
            ),
        ]
        for label, args in (
            ("deskterm --help", ["--help"]),
            ("deskterm ticket --help", ["ticket", "--help"]),
            ("deskterm config show", ["config", "show"]),
            (f"deskterm ticket list ({tickets} tickets, SQLite)", [*db, "ticket", "list"]),
        ):
            figures.append((label, median(runs, lambda args=args: run_command([*DESKTERM, *args], env))))

        def first_frame(args: list[str], fresh: bool = False) -> Timing:
            at = Path(tempfile.mkdtemp(dir=tmp)) if fresh else home
            return until_shown([*DESKTERM, *args], environment(at), LOGIN_TITLE)

        figures.append(("deskterm: first frame (login screen)", median(runs, lambda: first_frame([]))))
        figures.append(
            ("deskterm demo, new desk: first frame", median(runs, lambda: first_frame(["demo"], fresh=True)))
        )
        until_shown([*DESKTERM, "demo"], env, INTAKE, timeout=600)  # the demo desk, filled once
        figures.append(("deskterm demo: first frame", median(runs, lambda: first_frame(["demo"]))))
        figures.append(
            (
                "deskterm demo: Intake ready for a call",
                median(runs, lambda: until_shown([*DESKTERM, "demo"], env, LOGIN_TITLE, INTAKE)),
            )
        )
    (base, base_cpu) = figures[0][1]
    print(
        f"median of {runs} runs; × = time / the bare interpreter's; CPU = user + system time of the process"
    )
    print(f"{'':<48} {'wall':>8}  {'×':>6}  {'CPU':>8}  {'×':>6}")
    for label, (wall, cpu) in figures:
        times = f"{wall * 1000:5.0f} ms  {wall / base:5.1f}×  {cpu * 1000:5.0f} ms  {cpu / base_cpu:5.1f}×"
        print(f"{label:<48} {times}")


if __name__ == "__main__":
    main()
