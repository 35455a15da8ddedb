"""Command-line commands for the watch area: the escalation watcher, SLA policies and calendars,
escalation rules, and manual escalation; they register on the Typer apps of deskterm.cli."""

from __future__ import annotations

import logging
import signal
import threading
import time
from datetime import date
from typing import Any

import typer
from rich.table import Table

from .cli import AS, app, authenticate, cell, open_db, out, print_json, settings, ticket_app, user_errors
from .text import clean

sla_app = typer.Typer(
    help="SLA policies (per priority and customer class) and calendars.", no_args_is_help=True
)
calendar_app = typer.Typer(
    help="SLA calendars: hours, time zone, holidays, make-up workdays.", no_args_is_help=True
)
escalation_app = typer.Typer(
    help="Automatic escalation rules (data, applied by `deskterm watch`).", no_args_is_help=True
)
app.add_typer(sla_app, name="sla")
sla_app.add_typer(calendar_app, name="calendar")
app.add_typer(escalation_app, name="escalation")


# --- the watcher ---------------------------------------------------------------------------------------


@app.command("watch")
@user_errors
def watch(
    interval: float | None = typer.Option(
        None, "--interval", min=0.1, help="Seconds between passes (default: the watch_interval setting)."
    ),
    once: bool = typer.Option(False, "--once", help="Run one pass and exit (cron, tests)."),
    batch: int | None = typer.Option(
        None, "--batch", min=1, help="At most this many firings per rule a pass."
    ),
) -> None:
    """Apply the escalation rules on a short interval until stopped (Ctrl+C ends it cleanly)."""
    from . import clock
    from .services import escalation, notify

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    log = logging.getLogger("deskterm.watch")
    cfg = settings()
    database = open_db()
    every = interval or cfg.watch_interval
    limit = batch or cfg.watch_batch
    added = escalation.seed_rules(database)
    if added:
        log.info("added %d shipped escalation rules", added)
    mailer = notify.configure_mail(database, notify.mail_settings_from(cfg))
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    log.info(
        "watching %s every %.1f s (at most %d firings per rule a pass)%s",
        database.backend,
        every,
        limit,
        "" if once else "; Ctrl+C stops",
    )
    try:
        while not stop.is_set():
            started = time.perf_counter()
            now = clock.now()
            try:
                scope = escalation.plan_scope(database, now)
                report = escalation.run_pass(
                    database,
                    limit=limit,
                    now=now,
                    scope=scope,
                    log=lambda m: log.info(clean(m)),
                    handover_minutes=cfg.handover_minutes,
                )
            except Exception as e:
                if once:
                    raise
                log.error("pass failed: %s", str(e).splitlines()[0])
            else:
                log.info(
                    "pass: %d tickets looked at, %d fired%s in %.0f ms",
                    report.candidates,
                    len(report.fired),
                    f", {report.waiting} rules have more waiting" if report.waiting else "",
                    (time.perf_counter() - started) * 1000,
                )
            if once:
                break
            stop.wait(max(0.0, every - (time.perf_counter() - started)))
    except KeyboardInterrupt:
        log.info("interrupted")
    finally:
        signal.signal(signal.SIGTERM, previous)
        if mailer is not None:
            mailer.close()
        database.dispose()
        log.info("watch stopped")


# --- SLA policies and calendars ------------------------------------------------------------------------


def _minutes(text: str | None, field: str) -> int | None:
    from .services.errors import InvalidInput
    from .services.escalation import parse_duration

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


@sla_app.command("list")
@user_errors
def sla_list(fmt: str = typer.Option("table", "--format", help="table | json"), as_: str = AS) -> None:
    """List the SLA policies."""
    from dataclasses import asdict

    from .services import sla_admin

    database = open_db()
    authenticate(database, as_)  # every agent may read the desk's SLA policies
    rows = sla_admin.list_policies(database)
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    table = Table("id", "name", "priority", "class", "respond", "resolve", "calendar")
    for r in rows:
        table.add_row(
            str(r.id),
            cell(r.name),
            f"P{r.priority}",
            cell(r.customer_class or "any"),
            _fmt(r.respond_minutes),
            _fmt(r.resolve_minutes),
            cell(r.calendar),
        )
    out.print(table)


@sla_app.command("add")
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
    from .services import sla_admin

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


@sla_app.command("edit")
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
    from .services import sla_admin

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
def calendar_list(fmt: str = typer.Option("table", "--format", help="table | json"), as_: str = AS) -> None:
    """List the calendars with their hours and how many holidays and workdays they name."""
    from dataclasses import asdict

    from .services import sla_admin

    database = open_db()
    authenticate(database, as_)  # every agent may read the desk's calendars
    rows = sla_admin.list_calendars(database)
    if fmt == "json":
        print_json([asdict(r) for r in rows])
        return
    table = Table("name", "time zone", "hours", "holidays", "workdays", "country", "policies")
    for r in rows:
        hours = "24x7" if r.always_open else _hours_text(r.spec)
        table.add_row(
            cell(r.name),
            r.timezone,
            cell(hours),
            str(len(r.spec.get("holidays", []))),
            str(len(r.spec.get("workdays", []))),
            r.spec.get("country", ""),
            str(r.policies),
        )
    out.print(table)


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
    from .services import sla_admin

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
    from .services.errors import InvalidInput

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
    from .services import sla_admin

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
    from .services import sla_admin

    database = open_db()
    off, work, changed = sla_admin.load_holidays(
        database, authenticate(database, as_), name, country=country, years=year
    )
    out.print(f"{name}: {off} holidays and {work} make-up workdays loaded; {changed} open tickets recomputed")


# --- escalation rules ---------------------------------------------------------------------------------


@escalation_app.command("list")
@user_errors
def escalation_list(fmt: str = typer.Option("table", "--format", help="table | json"), as_: str = AS) -> None:
    """List the rules in the order they are applied."""
    from .services import escalation

    database = open_db()
    authenticate(database, as_)  # every agent may read the desk's escalation rules
    escalation.seed_rules(database)
    rules = escalation.list_rules(database)
    if fmt == "json":
        print_json(
            [
                {
                    "id": r.id,
                    "name": r.name,
                    "enabled": r.enabled,
                    "position": r.position,
                    "when": r.when(),
                    "then": r.then(),
                }
                for r in rules
            ]
        )
        return
    table = Table("id", "pos", "on", "name", "when → then")
    for r in rules:
        table.add_row(
            str(r.id), str(r.position), "yes" if r.enabled else "no", cell(r.name), cell(r.describe())
        )
    out.print(table)


@escalation_app.command("add")
@user_errors
def escalation_add(
    name: str,
    trigger: str = typer.Option(
        ..., "--trigger", help="not_responded | not_resolved | unassigned | chased | complaint"
    ),
    at: list[str] = typer.Option([], "--at", help="Threshold (repeat): 75%, 100%, 150%; 15m; 2 (chases)."),
    priority: list[int] = typer.Option([], "--priority", help="Only these priorities (repeat)."),
    category: list[str] = typer.Option([], "--category", help="Only these categories and their children."),
    team: list[str] = typer.Option([], "--team", help="Only tickets of these teams."),
    customer_class: list[str] = typer.Option([], "--class", help="Only these customer classes."),
    kind: list[str] = typer.Option([], "--kind", help="Only these kinds."),
    functional: str = typer.Option("", "--functional", help="'next_tier' or a team name."),
    hierarchical: bool = typer.Option(
        False, "--hierarchical", help="Up the manager line, one level a threshold."
    ),
    raise_priority: int = typer.Option(0, "--raise-priority", min=0, max=4),
    notify_agent: list[str] = typer.Option([], "--notify-agent", help="Login to notify (repeat)."),
    notify_role: list[str] = typer.Option([], "--notify-role", help="Role to notify: the team's, else all."),
    notify_assignee: bool = typer.Option(False, "--notify-assignee"),
    notice: str = typer.Option("escalated", "--notice", help="escalated | breach (the inbox kind)."),
    position: int | None = typer.Option(None, "--position", help="Order among the rules (default: last)."),
    disabled: bool = typer.Option(False, "--disabled", help="Add it switched off."),
    as_: str = AS,
) -> None:
    """Add a rule."""
    from .services import escalation

    when: dict[str, Any] = {"trigger": trigger}
    if at:
        when["at"] = at
    for key, values in (
        ("priority", priority),
        ("category", category),
        ("team", team),
        ("customer_class", customer_class),
        ("kind", kind),
    ):
        if values:
            when[key] = list(values)
    then: dict[str, Any] = {
        "functional": functional,
        "hierarchical": hierarchical,
        "raise_priority": raise_priority,
        "notify_agents": list(notify_agent),
        "notify_roles": list(notify_role),
        "notify_assignee": notify_assignee,
        "notice": notice,
    }
    database = open_db()
    rule = escalation.add_rule(
        database,
        authenticate(database, as_),
        name=name,
        when=when,
        then=then,
        position=position,
        enabled=not disabled,
    )
    out.print(f"added rule {rule.id} {rule.name}: {rule.describe()}")


@escalation_app.command("enable")
@user_errors
def escalation_enable(rule: str = typer.Argument(..., help="Rule name or id."), as_: str = AS) -> None:
    """Switch a rule on."""
    from .services import escalation

    database = open_db()
    r = escalation.set_enabled(database, authenticate(database, as_), rule, True)
    out.print(f"rule {r.name} enabled")


@escalation_app.command("disable")
@user_errors
def escalation_disable(rule: str = typer.Argument(..., help="Rule name or id."), as_: str = AS) -> None:
    """Switch a rule off (its firings so far stay recorded)."""
    from .services import escalation

    database = open_db()
    r = escalation.set_enabled(database, authenticate(database, as_), rule, False)
    out.print(f"rule {r.name} disabled")


# --- manual escalation -------------------------------------------------------------------------------


@ticket_app.command("escalate")
@user_errors
def ticket_escalate(
    number: str,
    as_: str = typer.Option(..., "--as", metavar="LOGIN", help="Who escalates."),
    hierarchical: bool = typer.Option(False, "--hierarchical", help="To the next manager up the line."),
    team: str | None = typer.Option(
        None, "--team", help="Functional: to this team (default: the next tier)."
    ),
    reason: str = typer.Option(..., "--reason", help="Why it goes up (required)."),
    expected: str = typer.Option(..., "--expected", help="Time the next line expects to need: 2h, 1d."),
    fmt: str = typer.Option("text", "--format", help="text | json"),
    version: int | None = typer.Option(
        None, "--version", metavar="N", help="Refuse (exit 3) if the ticket is no longer at this version."
    ),
) -> None:
    """Escalate by hand: functional (to a team or the next tier) or --hierarchical (up the line)."""
    from .cli_work import based_on
    from .services import escalation

    database = open_db()
    actor = authenticate(database, as_)
    result = escalation.escalate(
        database,
        actor,
        number,
        mode="hierarchical" if hierarchical else "functional",
        reason=reason,
        expected=expected,
        team=team,
        version=based_on(database, number, version),
    )
    if fmt == "json":
        print_json({**result.__dict__, "expected_by": result.expected_by.isoformat()})
        return
    out.print(
        cell(
            f"{result.number} escalated to {result.to} (level {result.level}); {result.body.split('; ')[-1]}"
        )
    )
