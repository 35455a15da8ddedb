"""The command line: `deskterm` opens the console; subcommands administer and script the desk.

make_app() builds the one Typer app, for the `deskterm` entry point (launcher.py) and the tests. Each
command group is a module of this package with its own Typer app; they share only cli/common.py.
A command line names one of them: only that one is imported and built (`deskterm ticket list`
loads no other group; `deskterm --help` lists them all by their help)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from typing import Any

import typer
import typer.main
from typer.core import TyperGroup

from ..text import SURROGATES
from . import common

HELP = "deskterm: a keyboard-first console for a phone service desk."

# The commands of the top level and the command groups, by module, in the order `deskterm --help`
# lists them: commands before groups.
COMMANDS = {"demo": ("demo", "demo-data"), "serve": ("serve",), "watch": ("watch",)}
GROUPS = ("agent", "ticket", "customer", "db", "config", "kb", "report", "sla", "escalation", "cti")
NAMES = [*(name for names in COMMANDS.values() for name in names), *GROUPS]


class _AsGiven:
    """The root's options (--db URL, --help) as typed. Typer (0.2x) coerces each option through a
    pydantic TypeAdapter built on first use, and the root's options are processed on every command
    line: without this, `deskterm ticket --help` would import pydantic for a string."""

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        return value


class _Unbuilt(TyperGroup):
    """A command or group of the root that is built (its module imported, its commands read by
    Typer) only when a command line names it."""


class Root(TyperGroup):
    """The root command: `deskterm ticket list` imports and builds the ticket group and no other;
    `deskterm --help` lists each group by its help, without building its commands."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        for name in NAMES:  # the ones make_app() left out
            self.commands.setdefault(name, _Unbuilt(name=name))

    def list_commands(self, ctx: Any) -> list[str]:
        return NAMES

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        if isinstance(command, _Unbuilt):
            built = typer.main.get_group(make_app([cmd_name])).commands
            self.commands.update((n, c) for n, c in built.items() if not isinstance(c, _Unbuilt))
            command = self.commands[cmd_name]
        return command

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        for param in params:
            if getattr(param, "_runtime_param", ...) is None:  # Typer's coercion, not built yet
                param._runtime_param = _AsGiven()
        return params

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The list of `deskterm --help`: a group not built yet by its help (its commands unread)."""
        rows = []
        for name in NAMES:
            command = self.commands[name]
            if isinstance(command, _Unbuilt):
                command = (
                    TyperGroup(name=name, help=_load(name).app.info.help)
                    if name in GROUPS
                    else self.get_command(ctx, name)  # a command of the top level: a few options
                )
            rows.append((name, command.get_short_help_str(formatter.width - 6 - max(map(len, NAMES)))))
        with formatter.section("Commands"):
            formatter.write_dl(rows)


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


def make_app(built: Iterable[str] = NAMES) -> typer.Typer:
    """The command tree, commands before groups, in the order `deskterm --help` lists them, with
    the commands and groups named in `built` built now (the others when named: Root)."""
    app = typer.Typer(help=HELP, no_args_is_help=False, add_completion=False, rich_markup_mode=None, cls=Root)
    app.callback(invoke_without_command=True)(root)
    for module, names in COMMANDS.items():
        if set(names) & set(built):
            app.add_typer(_load(module).app)
    for name in GROUPS:
        if name in built:
            app.add_typer(_load(name).app, name=name)
    return app


def _load(module: str) -> Any:
    return importlib.import_module(f"{__name__}.{module}")


def main() -> None:
    # Arguments that are not UTF-8 arrive as lone surrogates: refused here, once for every command.
    for n, arg in enumerate(sys.argv[1:], 1):
        if SURROGATES.search(arg):
            from rich.text import Text

            common.err.print(Text(f"deskterm: argument {n} is not valid UTF-8 text", style="red"))
            raise SystemExit(2)
    make_app(built=())()  # Root builds the command the command line names
