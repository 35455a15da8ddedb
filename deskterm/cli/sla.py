"""`deskterm sla`: SLA policies (per priority and customer class) and, under `deskterm sla calendar`,
the calendars SLA time is counted in."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

import typer

from .common import AS, TABLE_OR_JSON, authenticate, cell, open_db, out, print_json, print_table, user_errors

app = typer.Typer(help="SLA policies (per priority and customer class) and calendars.", no_args_is_help=True)
calendar_app = typer.Typer(
    help="SLA calendars: hours, time zone, holidays, make-up workdays.", no_args_is_help=True
)
app.add_typer(calendar_app, name="calendar")


def _minutes(text: str | None, field: str) -> int | None:
    from ..services.errors import InvalidInput
    from ..services.escalation import parse_duration

    if text is None:
        return None
    try:
        return parse_duration(text)
    except InvalidInput:
        raise InvalidInput({field: "a duration such as 30m, 8h, 1d30m (minutes of SLA time)"}) from None


def _fmt(minutes: int) -> str:
    """SLA time in hours and minutes (a business day is not 24 hours, so no days)."""
    hours, mins = divmod(minutes, 60)
    return " ".join(p for p in (f"{hours} h" if hours else "", f"{mins} min" if mins else "") if p) or "0 min"


@app.command("list")
@user_errors
def sla_list(fmt: str = TABLE_OR_JSON, as_: str = AS) -> None:
    """List the SLA policies."""
    from ..services import sla_admin

    database = open_db()
    authenticate(database, as_)  # every agent may read the desk's SLA policies
    rows = sla_admin.list_policies(database)
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    print_table(
        ("id", "name", "priority", "class", "respond", "resolve", "calendar"),
        (
            (
                str(r.id),
                cell(r.name),
                f"P{r.priority}",
                cell(r.customer_class or "any"),
                _fmt(r.respond_minutes),
                _fmt(r.resolve_minutes),
                cell(r.calendar),
            )
            for r in rows
        ),
    )


@app.command("add")
@user_errors
def sla_add(
    priority: int = typer.Option(..., "--priority", min=1, max=5),
    respond: str = typer.Option(..., "--respond", help="Respond-by target, e.g. 30m, 2h."),
    resolve: str = typer.Option(..., "--resolve", help="Resolve-by target, e.g. 8h, 3d (SLA time)."),
    calendar: str = typer.Option(..., "--calendar", help="Calendar name (see `deskterm sla calendar list`)."),
    customer_class: str = typer.Option("", "--class", help="Only for this customer class (e.g. key)."),
    name: str = typer.Option("", "--name"),
    as_: str = AS,
) -> None:
    """Add a policy for a priority (and optionally a customer class)."""
    from ..services import sla_admin

    database = open_db()
    row, changed = sla_admin.add_policy(
        database,
        authenticate(database, as_),
        priority=priority,
        respond_minutes=_minutes(respond, "respond") or 0,
        resolve_minutes=_minutes(resolve, "resolve") or 0,
        calendar=calendar,
        customer_class=customer_class,
        name=name,
    )
    out.print(f"added policy {row.id} {row.name}; {changed} open tickets got new due times")


@app.command("edit")
@user_errors
def sla_edit(
    policy: str = typer.Argument(..., help="Policy id, or P2 (any class), or P2:key."),
    respond: str | None = typer.Option(None, "--respond"),
    resolve: str | None = typer.Option(None, "--resolve"),
    calendar: str | None = typer.Option(None, "--calendar"),
    name: str | None = typer.Option(None, "--name"),
    as_: str = AS,
) -> None:
    """Change a policy; the open tickets it governs get new due times."""
    from ..services import sla_admin

    database = open_db()
    row, changed = sla_admin.edit_policy(
        database,
        authenticate(database, as_),
        policy,
        respond_minutes=_minutes(respond, "respond"),
        resolve_minutes=_minutes(resolve, "resolve"),
        calendar=calendar,
        name=name,
    )
    out.print(
        f"policy {row.name}: respond {_fmt(row.respond_minutes)}, resolve {_fmt(row.resolve_minutes)}, "
        f"{row.calendar}; {changed} open tickets got new due times"
    )


@calendar_app.command("list")
@user_errors
def calendar_list(fmt: str = TABLE_OR_JSON, as_: str = AS) -> None:
    """List the calendars with their hours and how many holidays and workdays they name."""
    from ..services import sla_admin

    database = open_db()
    authenticate(database, as_)  # every agent may read the desk's calendars
    rows = sla_admin.list_calendars(database)
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    print_table(
        ("name", "time zone", "hours", "holidays", "workdays", "country", "policies"),
        (
            (
                cell(r.name),
                r.timezone,
                cell("24x7" if r.always_open else _hours_text(r.spec)),
                str(len(r.spec.get("holidays", []))),
                str(len(r.spec.get("workdays", []))),
                r.spec.get("country", ""),
                str(r.policies),
            )
            for r in rows
        ),
    )


def _hours_text(spec: dict[str, Any]) -> str:
    """'Mon-Fri 09:00-18:00': consecutive days with the same hours grouped."""
    if "hours" not in spec:
        return "Mon-Fri 09:00-18:00"
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    groups: list[tuple[int, int, str]] = []
    for d, spans in sorted((int(k), v) for k, v in spec["hours"].items()):
        text = ", ".join("-".join(p) for p in spans)
        if groups and groups[-1][1] == d - 1 and groups[-1][2] == text:
            groups[-1] = (groups[-1][0], d, text)
        else:
            groups.append((d, d, text))
    return "; ".join(f"{names[a]}{'-' + names[b] if b != a else ''} {text}" for a, b, text in groups)


@calendar_app.command("add")
@user_errors
def calendar_add(
    name: str,
    timezone: str = typer.Option("Asia/Shanghai", "--timezone"),
    always_open: bool = typer.Option(False, "--24x7", help="Always open (hours and holidays ignored)."),
    hours: str | None = typer.Option(None, "--hours", help="e.g. '0-4=09:00-18:00' (0 = Monday)."),
    country: str | None = typer.Option(None, "--country", help="Public holidays of a country (e.g. CN)."),
    as_: str = AS,
) -> None:
    """Add a calendar."""
    from ..services import sla_admin

    database = open_db()
    row = sla_admin.add_calendar(
        database,
        authenticate(database, as_),
        name=name,
        timezone=timezone,
        always_open=always_open,
        hours=hours,
        country=country,
    )
    out.print(f"added calendar {row.name} ({row.timezone})")


def _dates(values: list[str], field: str) -> list[date]:
    from ..services.errors import InvalidInput

    try:
        return [date.fromisoformat(v) for v in values]
    except ValueError:
        raise InvalidInput({field: "dates as YYYY-MM-DD"}) from None


@calendar_app.command("edit")
@user_errors
def calendar_edit(
    name: str,
    timezone: str | None = typer.Option(None, "--timezone"),
    hours: str | None = typer.Option(None, "--hours", help="e.g. '0-4=09:00-12:00,13:00-18:00'."),
    holiday: list[str] = typer.Option([], "--holiday", help="A closed date (repeat)."),
    workday: list[str] = typer.Option([], "--workday", help="A make-up working date, 调休 (repeat)."),
    remove: list[str] = typer.Option([], "--remove", help="Forget a holiday or workday date (repeat)."),
    as_: str = AS,
) -> None:
    """Change a calendar's hours, zone or dates; open tickets under it get new due times."""
    from ..services import sla_admin

    database = open_db()
    row, changed = sla_admin.edit_calendar(
        database,
        authenticate(database, as_),
        name,
        timezone=timezone,
        hours=hours,
        add_holidays=_dates(holiday, "holiday"),
        add_workdays=_dates(workday, "workday"),
        remove_dates=_dates(remove, "remove"),
    )
    out.print(f"calendar {row.name} saved; {changed} open tickets got new due times")


@calendar_app.command("holidays")
@user_errors
def calendar_holidays(
    name: str,
    country: str = typer.Option(..., "--country", help="ISO country code, e.g. CN, DE, US."),
    year: list[int] = typer.Option(..., "--year", help="Year to load (repeat)."),
    as_: str = AS,
) -> None:
    """Load a country's public holidays and make-up workdays for some years into a calendar."""
    from ..services import sla_admin

    database = open_db()
    off, work, changed = sla_admin.load_holidays(
        database, authenticate(database, as_), name, country=country, years=year
    )
    out.print(f"{name}: {off} holidays and {work} make-up workdays loaded; {changed} open tickets recomputed")
