"""The `deskterm` entry point. Plain `deskterm` (or `deskterm --db URL`) opens the console straight
away, importing only Textual: the first frame is painted before the database stack and the
command-line machinery load. Everything else goes to the Typer CLI."""

from __future__ import annotations

import sys


def console_url(argv: list[str]) -> tuple[bool, str | None]:
    """(is it a bare console start, the --db URL if given)."""
    if not argv:
        return True, None
    if len(argv) == 2 and argv[0] == "--db":
        return True, argv[1]
    if len(argv) == 1 and argv[0].startswith("--db="):
        return True, argv[0].removeprefix("--db=")
    return False, None


def main() -> None:
    bare, url = console_url(sys.argv[1:])
    if bare:
        from .app import DeskApp

        DeskApp(db_url=url).run()
        return
    from .cli import main as cli_main

    cli_main()
