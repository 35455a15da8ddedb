"""The command line: `deskterm` opens the console; subcommands administer and script the desk.

make_app() builds the one Typer app, for the `deskterm` entry point (launcher.py) and the tests. Each
command group is a module of this package with its own Typer app; they share only cli/common.py."""

from __future__ import annotations

import sys

import typer
from rich.text import Text

from ..text import SURROGATES
from . import agent, common, config, customer, db, demo, escalation, kb, report, serve, sla, ticket, watch

HELP = "deskterm: a keyboard-first console for a phone service desk."


def root(
    ctx: typer.Context,
    db_url: str | None = typer.Option(
        None, "--db", metavar="URL", help="Database URL (sqlite:///FILE or postgresql://...)."
    ),
) -> None:
    """Without a command: open the console at the login screen."""
    common.STATE.db_url = db_url
    if ctx.invoked_subcommand is None:
        common.run_console(db_url=db_url)


def make_app() -> typer.Typer:
    """The whole command tree, commands before groups, in the order `deskterm --help` lists them."""
    app = typer.Typer(help=HELP, no_args_is_help=False, add_completion=False, rich_markup_mode=None)
    app.callback(invoke_without_command=True)(root)
    for commands in (demo.app, serve.app, watch.app):  # commands of the top level
        app.add_typer(commands)
    for name, group in (
        ("agent", agent.app),
        ("ticket", ticket.app),
        ("customer", customer.app),
        ("db", db.app),
        ("config", config.app),
        ("kb", kb.app),
        ("report", report.app),
        ("sla", sla.app),
        ("escalation", escalation.app),
    ):
        app.add_typer(group, name=name)
    return app


def main() -> None:
    # Arguments that are not UTF-8 arrive as lone surrogates: refused here, once for every command.
    for n, arg in enumerate(sys.argv[1:], 1):
        if SURROGATES.search(arg):
            common.err.print(Text(f"deskterm: argument {n} is not valid UTF-8 text", style="red"))
            raise SystemExit(2)
    make_app()()
