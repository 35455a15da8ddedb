"""`deskterm customer`: the callers the desk knows, found as the intake console finds them."""

from __future__ import annotations

from dataclasses import asdict

import typer

from .common import AS, TABLE_OR_JSON, authenticate, cell, open_db, print_json, print_table, user_errors

app = typer.Typer(help="Find the desk's customers (callers).", no_args_is_help=True)


@app.command("search")
@user_errors
def customer_search(
    text: str = typer.Argument(
        ...,
        metavar="TEXT",
        help="Phone digits (4 or more: the beginning or the "
        "ending of a number), or part of a name or an organisation.",
    ),
    limit: int = typer.Option(20, "--limit", min=1, max=200),
    fmt: str = TABLE_OR_JSON,
    as_: str = AS,
) -> None:
    """Customers by phone (as intake: the number's beginning, then its ending), name, organisation."""
    from ..services import customers

    database = open_db()
    rows = customers.search(database, authenticate(database, as_), text, limit=limit)
    if fmt == "json":
        print_json({"customers": [asdict(r) for r in rows]})
        return
    print_table(
        ("name", "organisation", "phone", "class"),
        ((cell(r.name), cell(r.organisation), cell(r.phone), r.customer_class) for r in rows),
    )
