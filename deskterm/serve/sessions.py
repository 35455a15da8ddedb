"""Session supervision: the session limit, ending idle sessions, one log line per session start and
end, and a clean stop (every console told "server stopping", then given time to save and leave)."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import os
import signal
import time
from dataclasses import dataclass, field

log = logging.getLogger("deskterm.serve")

# What a console does on each signal (deskterm/serve/console.py): SIGTERM shows "server stopping",
# keeps the draft and quits; SIGHUP quits at once (the connection is gone, or the session was idle).
STOP = signal.SIGTERM
HANG_UP = signal.SIGHUP
SERVER_PID_ENV = "DESKTERM_SERVE_PID"  # a console whose parent is not this server any more quits
LOGIN_META = "deskterm_login"  # a browser tab's console tells the server who logged in (for the log)


def full_message(limit: int) -> str:
    return f"deskterm: the desk server is full ({limit} sessions): try again later"


def idle_message(minutes: float) -> str:
    return f"deskterm: the session ended after {minutes:g} min without input; your draft is kept"


@dataclass(eq=False)
class DeskSession:
    number: int
    kind: str  # "ssh" | "web"
    peer: str  # the client's address
    agent: str = ""  # the login ("" while a browser tab is at the login screen)
    pid: int | None = None  # the console process
    started: float = field(default_factory=time.monotonic)
    last_input: float = field(default_factory=time.monotonic)
    end_reason: str = ""  # set by whoever ends the session first
    drawn: bool = False  # the console has drawn its first screen
    ended: asyncio.Event = field(default_factory=asyncio.Event)

    def touch(self) -> None:
        self.last_input = time.monotonic()

    def output(self) -> None:
        """The console drew: the idle clock starts at its first screen (a slow start is not idling)."""
        if not self.drawn:
            self.drawn = True
            self.touch()

    def end(self, reason: str, sig: int = HANG_UP) -> None:
        """Ask the console to quit; the first reason given is the one logged."""
        self.end_reason = self.end_reason or reason
        if self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, sig)

    def describe(self) -> str:
        return f"{self.agent or '-'} via {self.kind} from {self.peer}"


def _duration(seconds: float) -> str:
    s = int(seconds)
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


class Supervisor:
    """Every live session of the server, whatever the way in."""

    def __init__(self, *, max_sessions: int, idle_seconds: float) -> None:
        self.max_sessions = max_sessions
        self.idle_seconds = idle_seconds
        self.sessions: set[DeskSession] = set()
        self.stopping = False
        self._numbers = itertools.count(1)

    def open(self, kind: str, peer: str, agent: str = "") -> DeskSession | None:
        """A new session, or None (and a log line) when the server is full or stopping."""
        if self.full():
            why = "stopping" if self.stopping else f"full ({len(self.sessions)} sessions)"
            log.info("refused: %s via %s from %s: %s", agent or "-", kind, peer, why)
            return None
        session = DeskSession(next(self._numbers), kind, peer, agent)
        self.sessions.add(session)
        log.info("session %d start: %s", session.number, session.describe())
        return session

    def refusal(self) -> str:
        """Why a session was refused (one line for the client)."""
        if self.stopping:
            return "deskterm: the desk server is stopping: try again in a minute"
        return full_message(self.max_sessions)

    def full(self) -> bool:
        return self.stopping or len(self.sessions) >= self.max_sessions

    def logged_in(self, session: DeskSession, agent: str) -> None:
        session.agent = agent
        log.info("session %d login: %s", session.number, session.describe())

    def close(self, session: DeskSession, reason: str) -> None:
        if session not in self.sessions:
            return
        self.sessions.discard(session)
        took = _duration(time.monotonic() - session.started)
        why = session.end_reason or reason
        log.info("session %d end: %s after %s (%s)", session.number, session.describe(), took, why)
        session.ended.set()

    async def end_idle(self) -> None:
        """End sessions without input for idle_seconds (runs until cancelled)."""
        while True:
            await asyncio.sleep(min(max(self.idle_seconds / 4, 0.25), 30.0))
            now = time.monotonic()
            for session in list(self.sessions):
                if now - session.last_input > self.idle_seconds:
                    session.end("idle")

    async def stop(self, grace: float) -> None:
        """Tell every console the server is stopping; kill what is left after `grace` seconds."""
        self.stopping = True
        live = list(self.sessions)
        for session in live:
            session.end("server stopping", STOP)
        waits = [asyncio.ensure_future(s.ended.wait()) for s in live]
        if waits:
            _done, pending = await asyncio.wait(waits, timeout=grace)
            for w in pending:
                w.cancel()
        for session in list(self.sessions):
            log.warning("session %d did not stop in %g s: killed", session.number, grace)
            session.end("killed", signal.SIGKILL)
