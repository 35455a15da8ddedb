"""`deskterm serve` in a browser: headless Chromium from the system packages opens deskterm's own page
(nothing loaded from elsewhere), logs in as the operator at deskterm's login screen, and works with
keys, a paste and a resize. What the browser draws is read from the bytes its page received (a
terminal emulator replays them), and a screenshot is kept as the test's artifact."""

from __future__ import annotations

import base64
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pyte
import pytest

from .conftest import PASSWORD, Desk
from .helpers import IN_CI, Server, alive, need, wait_until

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


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Browser]:
    try:
        import selenium  # noqa: F401
    except ImportError:
        if IN_CI:
            pytest.fail("selenium is not installed (pip install -e '.[test]')")
        pytest.skip("selenium is not installed (pip install -e '.[test]')")
    b = Browser(tmp_path)
    yield b
    b.quit()


def test_the_page_is_desktermss_own_and_loads_nothing_from_elsewhere(sqlite_db):
    from .conftest import make_desk

    server = Server(make_desk(sqlite_db).url)
    try:
        page = urllib.request.urlopen(server.url, timeout=30).read().decode()
    finally:
        server.stop()
    assert "<title>deskterm</title>" in page
    assert "deskterm.serve.console" not in page and "sqlite" not in page  # no command line, no settings
    for url in re.findall(r"""(?:src|href)=["']([^"']+)""", page) + re.findall(r"url\(\"?([^)\"]+)", page):
        assert url.startswith((server.url, "data:")), url


def test_a_browser_logs_in_and_works_with_keys_paste_and_resize(desk: Desk, browser: Browser, tmp_path):
    server = Server(desk.url)
    try:
        browser.open(server.url)
        assert browser.driver.title == "deskterm"
        browser.wait_for("Log in")  # deskterm's own login screen, not a session opened for anyone
        browser.wait_for("Connected to SQLite" if desk.db.is_sqlite else "Connected to PostgreSQL")
        assert "desk.db" not in browser.text() and "127.0.0.1:5432" not in browser.text()  # no server paths
        shot = tmp_path / "deskterm-web-login.png"
        browser.driver.save_screenshot(str(shot))
        print(f"screenshot: {shot}")
        assert shot.stat().st_size > 10_000
        browser.paste("olga")  # a paste lands in the login field
        browser.wait_for("olga")
        browser.keys("\ue007")  # Enter: to the password
        wait_until(lambda: "login: olga" not in server.log, what="the password field")
        browser.keys(PASSWORD)
        browser.wait_for("•" * len(PASSWORD))
        browser.keys("\ue007")
        browser.wait_for("Intake │ Olga Petrova")
        wait_until(lambda: "session 1 login: olga via web from 127.0.0.1" in server.log, what="login logged")
        browser.keys("\ue033")  # F3
        browser.wait_for("Work queue │ Olga Petrova")
        from selenium.webdriver.common.keys import Keys

        browser.chord(Keys.CONTROL, "g")  # Ctrl+G: open a ticket by number
        browser.wait_for("Open ticket")
        browser.keys(Keys.ESCAPE)
        wait_until(lambda: "Open ticket" not in browser.text(), what="the dialog closed")
        before = browser.driver.execute_script("return window.__size")
        browser.driver.set_window_size(900, 600)
        wait_until(lambda: browser.driver.execute_script("return window.__size") != before, what="resize")
        wait_until(
            lambda: browser.text().splitlines()[-1].rstrip().endswith("palette"),
            what="the footer on the new last row",
        )
        resources = browser.driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert resources and all(r.startswith(server.url) for r in resources), resources
        (console,) = server.consoles()
        browser.quit()  # the browser closes: the tab's console ends
        wait_until(lambda: not alive(console), what="the console ends")
        wait_until(lambda: "session 1 end: olga via web from 127.0.0.1" in server.log, what="end logged")
    finally:
        server.stop()
