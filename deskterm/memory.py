"""Long-lived objects out of the garbage collector's way, in long-running processes.

CPython's full collection walks every container object alive: ~170k in a console after login
(imported code, the role's screens) take ~60 ms, and a 50k-article knowledge index adds ~65 ms.
Such a pause, every few seconds of activity, is what made a queue view's first rows take 150 ms
instead of 50 (issue 5). Objects that live as long as the process are frozen once they exist
(gc.freeze: they are never walked again, and are still freed by reference counting), so full
collections walk only what is younger. Off unless a process opts in: the test suite runs many
consoles in one process, and what it froze would never be collected."""

from __future__ import annotations

import gc
import threading

_enabled = False
_lock = threading.Lock()


def enable(on: bool = True) -> None:
    """Opt this process in (the console does, at start)."""
    global _enabled
    _enabled = on


def keep() -> None:
    """Collect what is garbage now, then freeze what is left: call when long-lived data has just
    been built (after login, after a knowledge index build). A no-op unless enabled."""
    if not _enabled:
        return
    with _lock:
        gc.collect()
        gc.freeze()
