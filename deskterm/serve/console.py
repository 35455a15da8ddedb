"""One agent's console under `deskterm serve` (python -m deskterm.serve.console). The server starts
it: on a pseudo-terminal, already logged in as the agent the SSH server authenticated (--agent), or
behind a browser tab at the login screen (--source says where the tab is, for login throttling).
It is trusted because only the server starts it; the database URL comes in its environment.

Signals from the server: SIGTERM (the server stops) shows a notice and quits a moment later, the
intake draft saved; SIGHUP (the connection is gone, or the session idled out) quits at once. Either
way the console leaves cleanly: the agent shows as logged out at once."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import fcntl
import os
import signal
import sys
import termios
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from textual.drivers.web_driver import WebDriver

from ..app import DeskApp
from ..i18n import _
from .sessions import LOGIN_META, SERVER_PID_ENV

if TYPE_CHECKING:
    from ..services.auth import Actor

# Long enough for the notice to be read and for the intake screen's draft flush (every 0.5 s).
STOP_NOTICE_SECONDS = 1.5
# After a hang-up, how long a clean exit may take before the process leaves anyway.
HANGUP_GRACE_SECONDS = 5.0


class ServedApp(DeskApp):
    CSS_PATH = str(Path(__file__).parent.parent / str(DeskApp.CSS_PATH))  # beside app.py
    show_database_location = False  # the login screen names no server path or host to a client

    def on_mount(self) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.server_stopping)
        loop.add_signal_handler(signal.SIGHUP, self.hang_up)

    def hang_up(self) -> None:
        """The connection or the server is gone: quit. A terminal or pipe whose other end is gone can
        stall the last writes of a clean exit, so the process leaves anyway after a grace period
        (the draft is written on every change; the heartbeat's timeout marks a stalled console out)."""
        timer = threading.Timer(HANGUP_GRACE_SECONDS, os._exit, (0,))
        timer.daemon = True
        timer.start()
        self.exit()

    def server_stopping(self) -> None:
        self.notify(
            _("The desk server is stopping: your draft is kept. Log in again in a minute."),
            title=_("Server stopping"),
            severity="warning",
            timeout=10,
            markup=False,
        )
        self.set_timer(STOP_NOTICE_SECONDS, self.exit)

    def logged_in(self, actor: Actor) -> None:
        super().logged_in(actor)
        if self.is_web and isinstance(self._driver, WebDriver):
            self._driver.write_meta({"type": LOGIN_META, "login": actor.login})


def _take_terminal() -> None:
    """The SSH server starts us in a new session on a pseudo-terminal: make it this session's
    controlling terminal, so that resizes (SIGWINCH) reach the console."""
    if os.isatty(0):
        with contextlib.suppress(OSError):
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)


def _follow_parent() -> None:
    """Quit (SIGHUP) when the server goes, however it goes (even killed): no console is left behind.
    Linux's PR_SET_PDEATHSIG; a server gone already means quitting at once."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGHUP)  # 1: PR_SET_PDEATHSIG
    server = os.environ.get(SERVER_PID_ENV)
    if server and os.getppid() != int(server):
        sys.exit(0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deskterm.serve.console")
    parser.add_argument("--agent", type=int, help="agent id, authenticated by the server")
    parser.add_argument("--source", default="console", help="where login tries come from")
    parser.add_argument("--demo", action="store_true", help="the demo desk (login hint)")
    args = parser.parse_args(argv)
    _follow_parent()
    _take_terminal()
    app = ServedApp(session_agent_id=args.agent, login_source=args.source, demo=args.demo)
    app.run()
    return app.return_code or 0


if __name__ == "__main__":
    sys.exit(main())
