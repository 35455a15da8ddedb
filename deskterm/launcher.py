"""The `deskterm` entry point. Plain `deskterm` (or `deskterm --db URL`) and `deskterm demo` open
the console straight away, importing only Textual: the first frame is painted before the database
stack and the command-line machinery load (the demo desk is prepared behind the login screen).
Everything else goes to the Typer CLI, which answers --help and mistakes too."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .demo_desk import DemoDesk


def console_url(argv: list[str]) -> tuple[bool, str | None]:
    """(is it a bare console start, the --db URL if given)."""
    url, rest = _database(argv)
    return not rest, url


def _database(argv: list[str]) -> tuple[str | None, list[str]]:
    """A leading `--db URL` or `--db=URL`, and the arguments after it."""
    if len(argv) >= 2 and argv[0] == "--db":
        return argv[1], argv[2:]
    if argv and argv[0].startswith("--db="):
        return argv[0].removeprefix("--db="), argv[1:]
    return None, argv


def demo_desk(argv: list[str]) -> DemoDesk | None:
    """`deskterm [--db URL] demo [--as LOGIN] [--reset] [--tickets N]` (the options as Typer
    takes them: cli/demo.py), a demo login; None for any other command line."""
    from .demo_desk import DemoDesk, unknown_login

    url, rest = _database(argv)
    if rest[:1] != ["demo"] or not all(arg.isascii() or _utf8(arg) for arg in argv):
        return None
    desk, rest = DemoDesk(url=url), rest[1:]
    while rest:
        arg, rest = rest[0], rest[1:]
        if arg == "--reset":
            desk = replace(desk, reset=True)
            continue
        name, equals, value = arg.partition("=")
        if name not in ("--as", "--tickets") or not (equals or rest):
            return None
        if not equals:
            value, rest = rest[0], rest[1:]
        if name == "--as":
            desk = replace(desk, login=value)
        elif value.isascii() and value.isdigit():
            desk = replace(desk, tickets=int(value))
        else:
            return None
    return None if unknown_login(desk.login) else desk


def _utf8(arg: str) -> bool:
    """Not an argument that was not UTF-8 (kept as lone surrogates, which the CLI refuses)."""
    try:
        arg.encode()
    except UnicodeEncodeError:
        return False
    return True


def main() -> None:
    # No third-party pydantic plugins in this process: looking for them scans every installed
    # package's metadata (~10 ms of each command's start); a user who wants one sets the variable.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    argv = sys.argv[1:]
    bare, url = console_url(argv)
    if bare:
        from .app import DeskApp

        DeskApp(db_url=url).run()
        return
    if "demo" in argv[:3] and (desk := demo_desk(argv)) is not None:
        from .app import DeskApp

        DeskApp(demo_desk=desk).run()
        return
    from .cli import main as cli_main

    cli_main()
