"""`deskterm call`: the calls the phone system reported (list, show), the console's call records as
a script reads them."""

from __future__ import annotations

from dataclasses import asdict

import typer
from rich.table import Column

from ..durations import duration
from .common import (
    AS,
    FROM,
    TABLE_OR_JSON,
    TO,
    authenticate,
    cell,
    open_db,
    out,
    period,
    print_json,
    print_table,
    settings,
    stamps,
    user_errors,
)

app = typer.Typer(help="Calls the phone system reported: who called, waited, talked, or hung up.")


def _secs(value: int | None) -> str:
    return "" if value is None else duration(value)


@app.command("list")
@user_errors
def call_list(
    missed: bool = typer.Option(False, "--missed", help="Only callers who hung up before an answer."),
    start: str | None = FROM,
    end: str | None = TO,
    limit: int = typer.Option(200, "--limit", min=1, max=10_000, help="At most this many, newest first."),
    fmt: str = TABLE_OR_JSON,
    as_: str = AS,
) -> None:
    """List calls, newest first (default: the last 7 days)."""
    from ..services import calls

    database = open_db()
    actor = authenticate(database, as_)
    begin, stop, _first, _last = period(start, end, settings().timezone)
    rows = calls.list_calls(database, actor, missed=missed, since=begin, until=stop, limit=limit)
    if fmt == "json":
        print_json([{**asdict(r), "missed": r.missed} for r in rows])
        return
    stamp = stamps(minutes=True)  # a table's form; --format json has the seconds
    print_table(
        (
            "id",
            Column("arrived", min_width=11),
            Column("caller", min_width=16),
            "queue",
            "agent",
            "wait",
            "talk",
            "cause",
        ),
        (
            (
                str(r.id),
                stamp(r.arrived_at),
                cell(r.caller or r.caller_raw),
                cell(r.queue),
                cell(r.agent or r.extension),
                _secs(r.wait_seconds),
                _secs(r.talk_seconds),
                cell("missed" if r.missed else r.cause),
            )
            for r in rows
        ),
    )


@app.command("show")
@user_errors
def call_show(
    call_id: int = typer.Argument(..., metavar="ID"), fmt: str = TABLE_OR_JSON, as_: str = AS
) -> None:
    """One call: its times, agent, cause, wrap-up code and the tickets logged or chased during it."""
    from ..services import calls

    database = open_db()
    row = calls.get_call(database, authenticate(database, as_), call_id)
    if fmt == "json":
        print_json({**asdict(row), "missed": row.missed})
        return
    stamp = stamps()
    fields = (
        ("call", row.call_id),
        ("direction", row.direction),
        ("caller", f"{row.caller} ({row.caller_raw})" if row.caller_raw != row.caller else row.caller),
        ("dialled", row.dialled),
        ("queue", row.queue),
        ("agent", row.agent or row.extension),
        ("arrived", stamp(row.arrived_at)),
        ("answered", stamp(row.answered_at)),
        ("ended", stamp(row.ended_at)),
        ("wait", _secs(row.wait_seconds)),
        ("talk", _secs(row.talk_seconds)),
        ("after-call work", _secs(row.acw_seconds)),
        ("cause", "missed" if row.missed else row.cause),
        ("wrap-up", row.wrapup),
        ("tickets", ", ".join(map(str, row.tickets))),
    )
    for name, value in fields:
        out.print(f"{name:>16}  ", cell(value), sep="")
