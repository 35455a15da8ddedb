"""`deskterm watch`: the escalation watcher, applying the escalation rules on a short interval."""

from __future__ import annotations

import logging
import signal
import threading
import time

import typer

from ..text import clean
from .common import UtcLog, open_db, settings, user_errors

app = typer.Typer()
FOLD_EVERY = 60.0  # seconds: how often the watcher folds the event log into the KPI rollup


@app.command("watch")
@user_errors
def watch(
    interval: float | None = typer.Option(
        None, "--interval", min=0.1, help="Seconds between passes (default: the watch_interval setting)."
    ),
    once: bool = typer.Option(False, "--once", help="Run one pass and exit (cron, tests)."),
    batch: int | None = typer.Option(
        None, "--batch", min=1, help="At most this many firings per rule a pass."
    ),
) -> None:
    """Apply the escalation rules on a short interval until stopped (Ctrl+C ends it cleanly)."""
    from .. import clock
    from ..services import escalation, kpi, notify

    handler = logging.StreamHandler()
    handler.setFormatter(UtcLog("%(asctime)s %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    logging.getLogger("alembic").setLevel(logging.WARNING)
    log = logging.getLogger("deskterm.watch")
    cfg = settings()
    database = open_db()
    every = interval or cfg.watch_interval
    limit = batch or cfg.watch_batch
    added = escalation.seed_rules(database)
    if added:
        log.info("added %d shipped escalation rules", added)
    mailer = notify.configure_mail(database, notify.mail_settings_from(cfg))
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info(
        "watching %s every %.1f s (at most %d firings per rule a pass)%s",
        database.backend,
        every,
        limit,
        "" if once else "; Ctrl+C stops",
    )
    folded = -FOLD_EVERY
    shown = [time.perf_counter()]

    def backlog(done: int, due: int) -> None:
        """A pass over a backlog commits in batches: say how far it is, every few seconds."""
        if done < due and time.perf_counter() - shown[0] >= 2:
            shown[0] = time.perf_counter()
            log.info("backlog: %d of %d firings due gone through", done, due)

    try:
        while not stop.is_set():
            started = shown[0] = time.perf_counter()
            now = clock.now()
            try:
                if started - folded >= FOLD_EVERY:  # the reports' rollup (services/kpi/rollup.py)
                    kpi.catch_up(database, cfg.timezone, now)
                    folded = started
                scope = escalation.plan_scope(database, now)
                report = escalation.run_pass(
                    database,
                    limit=limit,
                    now=now,
                    scope=scope,
                    log=lambda m: log.info(clean(m)),
                    handover_minutes=cfg.handover_minutes,
                    progress=backlog,
                )
            except Exception as e:
                if once:
                    raise
                log.error("pass failed: %s", str(e).splitlines()[0])
            else:
                log.info(
                    "pass: %d tickets looked at, %d fired%s in %.0f ms",
                    report.candidates,
                    len(report.fired),
                    f", {report.waiting} rules have more waiting" if report.waiting else "",
                    (time.perf_counter() - started) * 1000,
                )
            if once:
                break
            stop.wait(max(0.0, every - (time.perf_counter() - started)))
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if mailer is not None:
            mailer.close()
        database.dispose()
        log.info("watch stopped")
