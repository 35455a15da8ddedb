"""The SSH side of `deskterm serve` (asyncssh): an agent logs in with their deskterm password
(auth.login: the same hashes, throttling and deactivation rules as the login screen) or a registered
public key; each connection with a terminal gets its own console process on a pseudo-terminal,
already logged in, sized like the client's terminal and resized with it. No shell, no commands, no
forwarding, no file transfer: only the console."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import os
import termios
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncssh

from ..services import auth, remote
from ..services.errors import LoginFailed
from .sessions import DeskSession, idle_message

if TYPE_CHECKING:
    from .server import ServeContext

log = logging.getLogger("deskterm.serve")

HOST_KEY_NAME = "ssh_host_ed25519_key"
# Client environment a console may take (ssh's SendEnv: truecolour terminals); TERM comes with the pty.
PASSED_ENV = ("COLORTERM",)


def host_key(directory: Path) -> asyncssh.SSHKey:
    """The server's host key, generated once into `directory` and kept (clients remember it)."""
    path = directory / HOST_KEY_NAME
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        key = asyncssh.generate_private_key("ssh-ed25519", comment="deskterm serve")
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(key.export_private_key())
        (directory / f"{HOST_KEY_NAME}.pub").write_bytes(key.export_public_key())
        log.info("generated the SSH host key %s (%s)", path, key.get_fingerprint())
    return asyncssh.read_private_key(path)


class DeskSSHServer(asyncssh.SSHServer):
    """One per connection: authentication, then one console session."""

    def __init__(self, ctx: ServeContext) -> None:
        self.ctx = ctx
        self.conn: asyncssh.SSHServerConnection | None = None
        self.peer = "?"

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.peer = str((conn.get_extra_info("peername") or ("?",))[0])

    def begin_auth(self, username: str) -> bool:
        return True  # every login needs a password or a key, known or not

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        s = self.ctx.settings
        try:
            await asyncio.to_thread(
                auth.login,
                self.ctx.database,
                username,
                password,
                source=f"ssh:{self.peer}",
                max_failures=s.login_max_failures,
                lockout_seconds=s.login_lockout_seconds,
            )
        except LoginFailed as e:
            # The login screen's own message (it never says whether the login exists).
            if self.conn is not None:
                self.conn.send_auth_banner(f"deskterm: {e}\r\n")
            return False
        return True

    def public_key_auth_supported(self) -> bool:
        return True

    async def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        return await asyncio.to_thread(remote.key_opens, self.ctx.database, username, key.public_data)

    def session_requested(self) -> asyncssh.SSHServerSession[bytes]:
        return ConsoleSession(self.ctx, self.peer)


class ConsoleSession(asyncssh.SSHServerSession[bytes]):
    """Relays one SSH channel to one console process on a pseudo-terminal."""

    def __init__(self, ctx: ServeContext, peer: str) -> None:
        self.ctx = ctx
        self.peer = peer
        self.chan: asyncssh.SSHServerChannel[bytes] | None = None
        self.term_type: str | None = None
        self.size = (80, 24)
        self.master: int | None = None
        self.session: DeskSession | None = None
        self.pending = b""  # keys not yet taken by the pseudo-terminal
        self.reading = False
        self.closed = False  # the connection is gone: nothing more to write
        self.hung_up = False  # the client ended the session (EOF or gone)
        self.task: asyncio.Future[None] | None = None
        self.command: str | None = None

    # --- requests --------------------------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel[bytes]) -> None:
        self.chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any) -> bool:
        self.term_type = term_type
        if term_size[0] and term_size[1]:
            self.size = (term_size[0], term_size[1])
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.command = command  # refused with a line once the session starts: the console only
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        return False  # no sftp

    def session_started(self) -> None:
        self.task = asyncio.ensure_future(self._run())  # held: a task nobody references may vanish

    # --- the console process ---------------------------------------------------------------------

    def _say(self, line: str) -> None:
        if self.chan is not None and not self.closed:
            self.chan.write(f"{line}\r\n".encode())

    async def _run(self) -> None:
        chan = self.chan
        assert chan is not None
        login = str(chan.get_extra_info("username"))
        if self.command is not None:
            self._say("deskterm: this server runs the console only: connect without a command")
            chan.exit(2)
            return
        if self.term_type is None:
            self._say("deskterm: the console needs a terminal: connect with `ssh -t`")
            chan.exit(2)
            return
        agent_id = await asyncio.to_thread(remote.agent_id_of, self.ctx.database, login)
        if agent_id is None:  # deactivated since the key check
            self._say(f"deskterm: the login {login!r} is deactivated")
            chan.exit(4)
            return
        session = self.ctx.supervisor.open("ssh", self.peer, login)
        if session is None:
            self._say(self.ctx.supervisor.refusal())
            chan.exit(1)
            return
        self.session = session
        try:
            code = await self._console(agent_id, chan)
        finally:
            self._stop_reading()
            if self.master is not None:
                asyncio.get_running_loop().remove_writer(self.master)
                os.close(self.master)
                self.master = None
            self.ctx.supervisor.close(session, "client closed" if self.hung_up else "console quit")
        if session.end_reason == "idle":
            self._say(idle_message(self.ctx.idle_seconds / 60))
        if not self.closed:
            chan.exit(code)

    async def _console(self, agent_id: int, chan: asyncssh.SSHServerChannel[bytes]) -> int:
        master, slave = os.openpty()
        self.master = master
        termios.tcsetwinsize(master, (self.size[1], self.size[0]))
        env = dict(self.ctx.child_env)
        env["TERM"] = self.term_type or "xterm-256color"
        client_env = chan.get_environment()
        env.update({k: str(client_env[k]) for k in PASSED_ENV if k in client_env})
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.ctx.console_command("--agent", str(agent_id)),
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=env,
                start_new_session=True,  # its own session: the pty becomes its controlling terminal
            )
        finally:
            os.close(slave)
        assert self.session is not None
        self.session.pid = proc.pid
        if self.hung_up:  # the client left while the console started
            self.session.end("client closed")
        os.set_blocking(master, False)
        self._start_reading()
        code = await proc.wait()
        self._drain()
        return code

    def _start_reading(self) -> None:
        if self.master is not None and not self.reading:
            asyncio.get_running_loop().add_reader(self.master, self._read)
            self.reading = True

    def _stop_reading(self) -> None:
        if self.master is not None and self.reading:
            asyncio.get_running_loop().remove_reader(self.master)
            self.reading = False

    def _read(self) -> None:
        assert self.master is not None
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError as e:  # EIO: the console closed its terminal (it is exiting)
            if e.errno != errno.EIO:
                raise
            self._stop_reading()
            return
        if data and self.session is not None:
            self.session.output()
        if data and self.chan is not None and not self.closed:
            self.chan.write(data)

    def _drain(self) -> None:
        """Hand on what the console wrote last (its goodbye, the screen restored)."""
        if self.master is None:
            return
        with contextlib.suppress(OSError):
            while data := os.read(self.master, 65536):
                if self.chan is not None and not self.closed:
                    self.chan.write(data)

    # --- the client's side -----------------------------------------------------------------------

    def data_received(self, data: bytes, datatype: Any) -> None:
        if self.session is not None:
            self.session.touch()
        if self.master is None:
            return
        self.pending += data
        self._write_pending()

    def _write_pending(self) -> None:
        loop = asyncio.get_running_loop()
        if self.master is None:
            return
        try:
            written = os.write(self.master, self.pending)
        except BlockingIOError:
            written = 0
        except OSError:  # the console is gone
            self.pending = b""
            return
        self.pending = self.pending[written:]
        loop.remove_writer(self.master)
        if self.pending:  # a large paste: the rest when the console has read some
            loop.add_writer(self.master, self._write_pending)

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self.size = (width, height)
        if self.master is not None and width and height:
            # The kernel tells the console (SIGWINCH) since the pty is its controlling terminal.
            termios.tcsetwinsize(self.master, (height, width))

    def pause_writing(self) -> None:
        self._stop_reading()  # the client is slow: the console waits on its terminal, nothing piles up here

    def resume_writing(self) -> None:
        self._start_reading()

    def eof_received(self) -> bool:
        # The client sends no more: the console ends; what it says last still reaches the client.
        self.hung_up = True
        if self.session is not None:
            self.session.end("client closed")
        return True  # half-open until the console has quit

    def connection_lost(self, exc: Exception | None) -> None:
        """The client is gone: the console quits now (and says the agent logged out)."""
        self.hung_up = self.closed = True
        if self.session is not None:
            self.session.end("client closed")
