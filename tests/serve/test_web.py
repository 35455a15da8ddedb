"""`deskterm serve` in a browser: headless Chromium from the system packages opens deskterm's own page
(nothing loaded from elsewhere), logs in as the operator at deskterm's login screen, and works with
keys, a paste and a resize. What the browser draws is read from the bytes its page received (a
terminal emulator replays them), and a screenshot is kept as the test's artifact."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from .conftest import PASSWORD, Desk
from .helpers import IN_CI, Browser, Server, alive, wait_until


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


def test_the_page_is_deskterms_own_and_loads_nothing_from_elsewhere(sqlite_db):
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


def test_the_clients_address_behind_the_proxy_and_without_one():
    """Throttling and the log key on it: a browser must not choose its own address."""
    from unittest import mock

    from aiohttp.test_utils import make_mocked_request

    from deskterm.serve.web import client_address

    def request(peer: str, forwarded: str | None) -> object:
        headers = {"X-Forwarded-For": forwarded} if forwarded else {}
        req = make_mocked_request("GET", "/ws", headers=headers)
        return mock.Mock(remote=peer, headers=req.headers)

    assert client_address(request("10.2.0.17", None)) == "10.2.0.17"
    assert client_address(request("10.2.0.17", "127.0.0.1")) == "10.2.0.17"  # not from the proxy: ignored
    assert client_address(request("127.0.0.1", "6.6.6.6, 10.2.0.17")) == "10.2.0.17"  # the proxy's entry
    assert client_address(request("127.0.0.1", None)) == "127.0.0.1"
