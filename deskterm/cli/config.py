"""`deskterm config`: the effective settings and where each came from."""

from __future__ import annotations

import typer

from .common import STATE, TABLE_OR_JSON, cell, out, print_json, print_table, user_errors

app = typer.Typer(help="Show the effective configuration.", no_args_is_help=True)


@app.command("show")
@user_errors
def config_show(fmt: str = TABLE_OR_JSON) -> None:
    """Print the effective settings and where each came from (passwords masked)."""
    from ..config import config_file, load_settings, mask_url

    loaded = load_settings(database_url=STATE.db_url)
    values = loaded.settings.model_dump()
    values["database_url"] = mask_url(values["database_url"])
    if fmt == "json":
        print_json({k: {"value": v, "source": loaded.sources[k]} for k, v in values.items()})
        return
    print_table(
        ("setting", "value", "from"),
        ((key, cell(value), loaded.sources[key]) for key, value in values.items()),
    )
    out.print(f"config file: {config_file()}")
