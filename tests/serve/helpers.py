"""Real clients for the desk server's tests: `deskterm serve` as a process of its own, OpenSSH's `ssh` on
a pseudo-terminal whose screen a terminal emulator (pyte) keeps, and what a client needs around them.
Everything runs on 127.0.0.1; every wait is on a state, with a generous deadline."""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pyte
import pytest

DESKTERM = str(Path(sys.executable).with_name("deskterm"))
IN_CI = os.environ.get("CI", "").lower() == "true"


def need(program: str, package: str) -> str:
    """The path of a system client; skipped with a message where it is missing (never in CI)."""
    path = shutil.which(program)
    if path is None:
        message = f"{program} is not installed (apt-get install {package}); this test needs the real client"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return path


def wait_until(predicate: Callable[[], object], timeout: float = 60.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or predicate}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead but not yet reaped by its parent.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


def children(pid: int) -> list[int]:
    """Live processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().split(") ", 1)[1].split()
            except (OSError, IndexError):
                continue
            if fields[1] == str(pid) and fields[0] != "Z":
                found.append(int(entry.name))
    return found


class Server:
    """`deskterm serve` on free ports of 127.0.0.1, its log collected line by line."""

    def __init__(self, url: str, *args: str, command: list[str] | None = None) -> None:
        ports = ["--ssh", "127.0.0.1:0", "--web", "127.0.0.1:0"]
        self.proc = subprocess.Popen(
            command or [DESKTERM, "--db", url, "serve", *ports, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "DESKTERM_SERVE_SSH": "127.0.0.1:0", "DESKTERM_SERVE_WEB": "127.0.0.1:0"},
        )
        self.lines: list[str] = []
        threading.Thread(target=self._collect, daemon=True).start()
        wait_until(
            lambda: "SIGTERM or Ctrl+C stops" in self.log or self.proc.poll() is not None, what="start"
        )
        assert self.proc.poll() is None, self.log
        self.ssh_port = int(re.search(r"SSH on 127\.0\.0\.1:(\d+)", self.log).group(1))  # type: ignore[union-attr]
        self.web_port = int(re.search(r"web on http://127\.0\.0\.1:(\d+)", self.log).group(1))  # type: ignore[union-attr]

    def _collect(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}"

    def consoles(self) -> list[int]:
        return children(self.proc.pid)

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


class Terminal:
    """A client program on a pseudo-terminal of ours; pyte keeps the screen it draws."""

    def __init__(
        self, argv: list[str], *, cols: int = 100, rows: int = 30, env: dict[str, str] | None = None
    ):
        master, slave = os.openpty()
        termios.tcsetwinsize(slave, (rows, cols))
        self.proc = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)
        self.raw = bytearray()
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.master, 65536)
            except OSError:
                return
            if not data:
                return
            with self.lock:
                self.raw += data
                self.stream.feed(data)

    def text(self) -> str:
        with self.lock:
            return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        try:
            wait_until(lambda: needle in self.text(), timeout, what=repr(needle))
        except AssertionError:
            raise AssertionError(f"{needle!r} not on screen:\n{self.text()}") from None

    def send(self, data: str | bytes) -> None:
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def resize(self, cols: int, rows: int) -> None:
        with self.lock:
            self.screen.resize(rows, cols)
        termios.tcsetwinsize(self.master, (rows, cols))
        self.proc.send_signal(signal.SIGWINCH)  # ssh reads the new size and sends it on

    def wait_exit(self, timeout: float = 60.0) -> int:
        code = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
        self.reader.join(timeout=5)
        os.close(self.master)


F3 = "\x1bOR"
ENTER = "\r"


def ssh_argv(port: int, login: str, *, key: Path | None = None, extra: tuple[str, ...] = ()) -> list[str]:
    """OpenSSH's client, told nothing about this machine's keys or known hosts."""
    auth = (
        ["-o", "PreferredAuthentications=publickey", "-o", "IdentitiesOnly=yes", "-i", str(key)]
        if key
        else [
            "-o",
            "PreferredAuthentications=password",
            "-o",
            "NumberOfPasswordPrompts=1",
        ]
    )
    return [
        need("ssh", "openssh-client"),
        "-F",
        "/dev/null",
        "-p",
        str(port),
        "-o",
        "StrictHostKeyChecking=no",
        "-o",
        "UserKnownHostsFile=/dev/null",
        "-o",
        "LogLevel=ERROR",
        *auth,
        *extra,
        f"{login}@127.0.0.1",
    ]


def askpass_env(tmp_path: Path, password: str) -> dict[str, str]:
    """ssh takes the password from SSH_ASKPASS (forced: no terminal prompt, no sshpass needed)."""
    script = tmp_path / f"askpass-{abs(hash(password))}"
    secret = tmp_path / f"password-{abs(hash(password))}"
    secret.write_text(password)
    script.write_text(f"#!/bin/sh\ncat '{secret}'\n")
    script.chmod(0o700)
    return {**os.environ, "SSH_ASKPASS": str(script), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"}


# Before the page's scripts run: keep a copy of every frame the terminal's websocket receives, and
# the size the page asks for, so the test can see what the browser draws.
TAP = """
window.__frames = []; window.__size = null;
const Native = window.WebSocket;
window.WebSocket = function (url, protocols) {
  const ws = new Native(url, protocols);
  const m = /width=(\\d+)&height=(\\d+)/.exec(url);
  if (m) window.__size = [+m[1], +m[2]];
  ws.addEventListener("message", (e) => {
    if (typeof e.data !== "string") {
      const bytes = new Uint8Array(e.data); let s = "";
      for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
      window.__frames.push(btoa(s));
    }
  });
  const send = ws.send.bind(ws);
  ws.send = (data) => {
    const msg = JSON.parse(data);
    if (msg[0] === "resize") window.__size = [msg[1].width, msg[1].height];
    send(data);
  };
  return ws;
};
window.WebSocket.prototype = Native.prototype;
"""


class Browser:
    """Headless Chromium through chromedriver (selenium); nothing is downloaded."""

    def __init__(self, tmp_path: Path) -> None:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service

        options = webdriver.ChromeOptions()
        options.binary_location = need("chromium", "chromium")
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'chromium'}",
            "--window-size=1200,800",
        ):
            options.add_argument(flag)
        self.driver = webdriver.Chrome(
            options=options, service=Service(need("chromedriver", "chromium-driver"))
        )
        self.driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": TAP})
        self.screen: pyte.Screen | None = None
        self.stream: pyte.ByteStream | None = None

    def open(self, url: str) -> None:
        self.driver.get(url)
        wait_until(lambda: self.driver.execute_script("return window.__size"), what="the terminal's size")
        cols, rows = self.driver.execute_script("return window.__size")
        self.screen = pyte.Screen(cols, rows)
        self.stream = pyte.ByteStream(self.screen)

    def text(self) -> str:
        assert self.screen is not None and self.stream is not None
        size = self.driver.execute_script("return window.__size")
        if size and (size[0], size[1]) != (self.screen.columns, self.screen.lines):
            self.screen.resize(size[1], size[0])
        for frame in self.driver.execute_script("return window.__frames.splice(0)"):
            self.stream.feed(base64.b64decode(frame))
        return "\n".join(self.screen.display)

    def wait_for(self, needle: str, timeout: float = 60.0) -> None:
        try:
            wait_until(lambda: needle in self.text(), timeout, what=repr(needle))
        except AssertionError:
            raise AssertionError(f"{needle!r} not drawn:\n{self.text()}") from None

    def keys(self, *keys: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        self.driver.execute_script("document.querySelector('.xterm-helper-textarea').focus()")
        ActionChains(self.driver).send_keys(*keys).perform()

    def chord(self, modifier: str, key: str) -> None:
        from selenium.webdriver.common.action_chains import ActionChains

        self.driver.execute_script("document.querySelector('.xterm-helper-textarea').focus()")
        ActionChains(self.driver).key_down(modifier).send_keys(key).key_up(modifier).perform()

    def paste(self, text: str) -> None:
        self.driver.execute_script(
            "const t = document.querySelector('.xterm-helper-textarea'); t.focus();"
            "const d = new DataTransfer(); d.setData('text/plain', arguments[0]);"
            "t.dispatchEvent(new ClipboardEvent('paste', {clipboardData: d, bubbles: true}));",
            text,
        )

    def quit(self) -> None:
        if self.driver is not None:
            self.driver.quit()
            self.driver = None  # type: ignore[assignment]
