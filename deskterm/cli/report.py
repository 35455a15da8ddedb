"""`deskterm report`: the desk's KPIs and per-agent workload and quality over a period, from the
same definitions the monitor uses (services/kpi.py); as a table, CSV (stable columns) or JSON."""

from __future__ import annotations

import csv
import sys
from dataclasses import asdict, dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

import typer

from ..durations import duration
from ..text import clean
from .common import (
    FROM,
    TO,
    authenticate,
    cell,
    err,
    open_db,
    period,
    print_json,
    print_table,
    progress,
    settings,
    user_errors,
)

if TYPE_CHECKING:
    from ..db import Database
    from ..services.kpi import CallReport, Kpis, Tally

app = typer.Typer(help="KPI and agent reports over a period.", no_args_is_help=True)

KPI_COLUMNS = (
    "from",
    "to",
    "team",
    "calls_logged",
    "first_contact_rate",
    "resolution_rate",
    "resolved",
    "avg_resolution_seconds",
    "avg_handover_seconds",
    "sla_compliance",
    "csat",
    "csat_score",
    "surveys",
    "avg_handle_seconds",
    "reopen_rate",
    # added later, at the end: scripts that read the columns by position keep working
    "net_first_contact_rate",
    "contacts_handled",
    "reopened",
    # the call figures from the PBX's records (docs/KPIS.md "Call figures"); empty with --team
    "aht_source",
    "calls_offered",
    "calls_answered",
    "calls_abandoned",
    "service_level",
    "abandon_rate",
    "asa_seconds",
    "calls_handled",
    "avg_talk_seconds",
    "avg_acw_seconds",
)
AGENT_COLUMNS = (
    "login",
    "name",
    "team",
    "handled",
    "calls",
    "resolved",
    "first_contact_rate",
    "avg_handle_seconds",
    "avg_resolution_seconds",
    "sla_compliance",
    "csat",
    "surveys",
    "reopen_rate",
    "net_first_contact_rate",
    "contacts",
)
KPI_LABELS = {  # the monitor's names (docs/KPIS.md)
    "calls_logged": "calls logged",
    "first_contact_rate": "first-contact resolution (gross)",
    "net_first_contact_rate": "first-contact resolution (net: first-line categories)",
    "resolution_rate": "the period's calls resolved",
    "resolved": "tickets resolved",
    "avg_resolution_seconds": "average resolution time",
    "avg_handover_seconds": "average hand-over time",
    "sla_compliance": "resolved within SLA",
    "csat": "customer satisfaction (CSAT)",
    "csat_score": "average survey score (1 best, 4 worst)",
    "surveys": "surveys",
    "contacts_handled": "calls handled (talked and saved)",
    "avg_handle_seconds": "average handle time (talk + wrap-up)",
    "reopened": "reopens",
    "reopen_rate": "reopen rate",
    "aht_source": "handle time from",
    "calls_offered": "calls offered (phone system)",
    "calls_answered": "calls answered",
    "calls_abandoned": "calls abandoned",
    "service_level": "service level (answered within the target)",
    "abandon_rate": "abandon rate",
    "asa_seconds": "average speed of answer",
    "calls_handled": "calls handled (answered and ended)",
    "avg_talk_seconds": "average talk time",
    "avg_acw_seconds": "average after-call work",
}
AHT_SOURCES = {"calls": "the call records", "states": "the consoles' state log"}
FORMATS = ("table", "csv", "json")
LONG = 7  # days: a longer period shows a progress bar


@dataclass
class Period:
    """A report's figures over [first, last] (days in the desk's time zone), of one team or all."""

    database: Database
    figures: Kpis
    tally: Tally
    first: date
    last: date
    team: str | None
    calls: CallReport | None = None  # None with --team: the phone's queues are not teams
    aht_source: str = "states"

    def head(self) -> dict[str, str]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "team": self.team or ""}

    def title(self, what: str) -> str:
        return f"{what} {self.first} – {self.last}" + (f" · {self.team}" if self.team else "")


def _run(start: str | None, end: str | None, team: str | None, fmt: str, as_: str) -> Period:
    from ..services import kpi

    if fmt not in FORMATS:
        from ..services.errors import InvalidInput

        raise InvalidInput({"format": "table, csv or json"})
    database = open_db()
    actor = authenticate(database, as_)
    begin, stop, first, last = period(start, end, settings().timezone)
    days = (last - first).days + 1
    tz = settings().timezone
    if days > LONG:
        with progress() as bar:
            figures, tally = kpi.report(
                database, actor, begin, stop, team=team, timezone=tz, progress=lambda d, n: bar("days", d, n)
            )
    else:
        figures, tally = kpi.report(database, actor, begin, stop, team=team, timezone=tz)
    calls = None
    if team is None:
        calls = kpi.call_report(database, actor, begin, stop, answer_target=settings().answer_target_seconds)
        figures, source = kpi.with_call_handle_time(figures, calls.total, calls.fed)
    else:
        source = kpi.AHT_STATES
    return Period(database, figures, tally, first, last, team, calls, source)


def _call_row(period: Period) -> dict[str, Any]:
    """The report's call columns: the desk's call figures, or none (with --team)."""
    f = period.calls.total if period.calls is not None else None
    return {
        "aht_source": period.aht_source,
        "calls_offered": f.offered if f else None,
        "calls_answered": f.answered if f else None,
        "calls_abandoned": f.abandoned if f else None,
        "service_level": f.service_level if f else None,
        "abandon_rate": f.abandon_rate if f else None,
        "asa_seconds": f.asa_seconds if f else None,
        "calls_handled": f.handled if f else None,
        "avg_talk_seconds": f.avg_talk_seconds if f else None,
        "avg_acw_seconds": f.avg_acw_seconds if f else None,
    }


def _show(key: str, value: Any) -> str:
    if value is None:
        return "—"
    if key == "aht_source":
        return AHT_SOURCES.get(value, str(value))
    if key.endswith("_rate") or key in ("sla_compliance", "csat", "service_level"):
        return f"{value * 100:.1f} %"
    if key.endswith("_seconds"):
        return duration(value)
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


FORMULA = ("=", "+", "-", "@", "\t", "\r")  # how a spreadsheet cell starts a formula


def _csv_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.4f}"
    if not isinstance(value, str):
        return str(value)
    text = clean(value, single_line=True)  # names: nothing a terminal acts on when the CSV is shown
    # nor anything a spreadsheet opening the file would run (CSV injection): a name is text
    return "'" + text if text.startswith(FORMULA) else text


def _printed_as_data(fmt: str, value: Any, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> bool:
    """--format json (the value) or csv (the rows): printed, True; a table is the caller's."""
    if fmt == "json":
        print_json(value)
        return True
    if fmt == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_csv_value(row.get(c)) for c in columns])
        return True
    return False


FORMAT = typer.Option("table", "--format", help="table | csv | json")
SUPERVISOR = typer.Option(..., "--as", metavar="LOGIN", help="A supervisor or an admin.")


@app.command("kpi")
@user_errors
def report_kpi(
    start: str | None = FROM,
    end: str | None = TO,
    team: str | None = typer.Option(None, "--team", help="Only the tickets of this team."),
    fmt: str = FORMAT,
    as_: str = SUPERVISOR,
) -> None:
    """The desk's KPIs over a period (the monitor's definitions; see docs/KPIS.md), with the call
    figures from the phone system's records; the average handle time is the call records' when a
    PBX fed the period, else the consoles' state log's ("handle time from" says which)."""
    period = _run(start, end, team, fmt, as_)
    row = {**period.head(), **asdict(period.figures), **_call_row(period)}
    if _printed_as_data(fmt, row, KPI_COLUMNS, [row]):
        return
    print_table(
        ("figure", "value"),
        ((label, _show(key, row[key])) for key, label in KPI_LABELS.items()),
        title=period.title("KPIs"),
    )


@app.command("agents")
@user_errors
def report_agents(
    start: str | None = FROM,
    end: str | None = TO,
    team: str | None = typer.Option(None, "--team", help="Only this team's tickets and members."),
    fmt: str = FORMAT,
    as_: str = SUPERVISOR,
) -> None:
    """Workload and quality per agent: handled, resolved, FCR, handle and resolution times, SLA,
    CSAT and reopen rate."""
    from ..services import kpi

    period = _run(start, end, team, fmt, as_)
    rows = [asdict(a) for a in kpi.agent_report(period.database, period.tally, team=team)]
    if _printed_as_data(fmt, {**period.head(), "agents": rows}, AGENT_COLUMNS, rows):
        return
    print_table(
        (c.replace("_seconds", "").replace("_", " ") for c in AGENT_COLUMNS),
        (
            (cell(r[c]) if c in ("login", "name", "team") else _show(c, r[c]) for c in AGENT_COLUMNS)
            for r in rows
        ),
        title=period.title("Agents"),
    )
    if not rows:
        err.print("no agent had calls, resolutions or surveys in this period")


@app.command("rebuild")
@user_errors
def report_rebuild(as_: str = SUPERVISOR) -> None:
    """Compute the reports' daily rollup again from the tickets and the event log (after a change
    of the desk's time zone or of which categories the first line can resolve; see docs/KPIS.md)."""
    from ..services import kpi

    database = open_db()
    actor = authenticate(database, as_)
    with progress() as bar:
        days = kpi.rebuild_rollup(
            database, actor, settings().timezone, progress=lambda d, n: bar("days", d, n)
        )
    err.print(f"the rollup holds {days} days")
