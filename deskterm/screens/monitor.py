"""The supervisor's live monitor (wallboard): backlog by status and team against the pending target,
SLA breaches and risks per team with the oldest waiting ticket, today's KPIs with arrivals per hour
beside last week's, and every agent's workload and state.

It keeps itself current: a worker reads the figures (services/kpi.Monitor, which re-reads only the
tickets the change feed names), the UI applies them, then a one-shot timer is armed again, so reads
never overlap; changes arriving meanwhile are gathered and read together. Tables are updated row by
row by key inside one batch update, so nothing flickers and the cursor stays where it is.
Enter on a figure lists the tickets behind it; from there a supervisor opens or reassigns one."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Sparkline, Static
from textual.worker import Worker

from .. import clock
from ..dialogs.assign import AssignDialog
from ..i18n import _, language
from ..services import kpi
from ..services.tickets import TicketRow
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.labels import status_label
from ..widgets.table import FastTable
from ..widgets.ticket_format import cell, countdown, priority_text, span
from .base import DeskScreen

STATUS_COLUMNS = ("new", "assigned", "in_progress", "pending_customer", "pending_third_party")
TEAM_COLUMNS = (
    ("team", "Team"),
    *((s, s) for s in STATUS_COLUMNS),
    ("open", "Total open"),
    ("breached", "Past due now"),
    ("at_risk", "Due in 30 min"),
    ("oldest", "Oldest waiting"),
)
# Each figure named for what it counts (docs/KPIS.md): today's period figures, from the same
# definitions as `deskterm report`; the open tickets' figures are in the summary line and the teams.
KPI_ROWS = (
    ("calls", "Calls logged today"),
    ("first_contact", "First-contact resolution"),
    ("still_open", "Today's calls resolved"),
    ("resolved", "Avg resolution time (today)"),
    ("handover", "Avg hand-over time (today)"),
    ("sla_missed", "Resolved within SLA (today)"),
    ("reopened", "Reopen rate (today)"),
    ("csat", "CSAT (today's surveys)"),
    ("handle", "Avg handle time (talk + wrap-up)"),
)
AGENT_COLUMNS = (
    ("name", "Agent"),
    ("team", "Team"),
    ("state", "State"),
    ("open", "Open tickets"),
    ("resolved", "Resolved today"),
    ("handle", "Avg handle"),
)
STATE_LABELS = {
    "available": ("Available", "green"),
    "on_call": ("On a call", "bold yellow"),
    "after_call": ("After-call work", "cyan"),
    "away": ("Away", "dim"),
    "logged_out": ("Logged out", "dim"),
}
IDLE_SECONDS = 15.0  # with no changes, time alone moves the SLA figures and presence
RETRY_SECONDS = 5.0


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else span(timedelta(seconds=seconds))


class MonitorScreen(DeskScreen):
    TITLE_TEXT = "Monitor"
    DEFAULT_CSS = """
    MonitorScreen #monitor-summary { height: 1; padding: 0 1; }
    MonitorScreen #monitor-teams { height: auto; max-height: 50%; }
    MonitorScreen #monitor-lower { height: 1fr; }
    MonitorScreen #monitor-today { width: 58; height: 1fr; }
    MonitorScreen #monitor-kpis { height: auto; }
    MonitorScreen #monitor-arrivals-label { height: auto; padding: 1 1 0 1; color: $text-muted; }
    MonitorScreen .spark-row { height: 2; }
    MonitorScreen .spark-label { width: 11; padding: 0 1; color: $text-muted; }
    MonitorScreen Sparkline { height: 2; width: 1fr; margin-right: 1; }
    MonitorScreen #monitor-arrivals-week > .sparkline--max-color { color: $text-muted; }
    MonitorScreen #monitor-arrivals-week > .sparkline--min-color { color: $text-muted; }
    MonitorScreen #monitor-agents { width: 1fr; height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "drill", "Tickets behind", id="monitor.drill"),
        Binding("tab", "focus_next", "Next table", id="monitor.next", show=False),
        Binding("ctrl+r", "reload", "Recount", id="monitor.reload"),
        Binding("escape", "app.back", "Back", show=False, id="monitor.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.monitor: kpi.Monitor | None = None
        self.view: kpi.MonitorView | None = None
        self._changed: set[int] = set()
        self._busy = False
        self._timer: Any = None
        self._due_at = 0.0  # monotonic time the armed timer fires
        self._last_read = 0.0
        self._cells: dict[str, dict[str, tuple[Any, ...]]] = {}

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="monitor-summary")
        yield FastTable(id="monitor-teams", cursor_type="cell", zebra_stripes=True)
        with Horizontal(id="monitor-lower"):
            with Vertical(id="monitor-today"):
                yield FastTable(id="monitor-kpis", cursor_type="row", show_header=False)
                yield Static("", id="monitor-arrivals-label", markup=False)
                with Horizontal(classes="spark-row"):
                    yield Static(_("Today"), classes="spark-label", markup=False)
                    yield Sparkline([], id="monitor-arrivals")
                with Horizontal(classes="spark-row"):
                    yield Static(_("Last week"), classes="spark-label", markup=False)
                    yield Sparkline([], id="monitor-arrivals-week")
            yield FastTable(id="monitor-agents", cursor_type="cell", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        self._columns()
        settings = self.desk.settings
        assert self.desk.actor is not None and self.desk.database is not None
        self.monitor = kpi.Monitor(
            self.desk.database,
            self.desk.actor,
            timezone=settings.timezone if settings else "Asia/Shanghai",
            pending_target=settings.pending_target if settings else 10,
            presence_timeout=settings.presence_timeout if settings else 60.0,
        )
        self.query_one("#monitor-summary", Static).update(Text(_("Counting…"), style="dim"))
        self.query_one("#monitor-teams", DataTable).focus()
        self._read()

    def _columns(self) -> None:
        teams = self.query_one("#monitor-teams", DataTable)
        for key, label in TEAM_COLUMNS:
            teams.add_column(status_label(label) if key in STATUS_COLUMNS else _(label), key=key)
        kpis = self.query_one("#monitor-kpis", DataTable)
        kpis.add_column(_("Today"), key="label")
        kpis.add_column("", key="value")
        agents = self.query_one("#monitor-agents", DataTable)
        for key, label in AGENT_COLUMNS:
            agents.add_column(_(label), key=key)
        self._cells = {}

    def relabel(self) -> None:
        self.refresh(recompose=True)
        self.call_after_refresh(self._relabelled)

    def _relabelled(self) -> None:
        self._columns()
        if self.view is not None:
            self._apply(self.view, rearm=False)

    # --- the loop: read in a worker, apply, arm the timer again --------------------------------------

    @property
    def interval(self) -> float:
        settings = self.desk.settings
        return settings.monitor_interval if settings else 1.0

    def _read(self) -> None:
        if self._busy or self.monitor is None:
            return
        self._cancel_timer()
        self._busy = True
        changed, self._changed = self._changed, set()
        self._last_read = time.monotonic()
        self.call(self._refresh, changed, done=self._apply, failed=self._failed, group="monitor")

    def _refresh(self, changed: set[int]) -> kpi.MonitorView:
        """In the worker: a refresh that failed half-way leaves no half-counted figures behind."""
        assert self.monitor is not None
        try:
            return self.monitor.refresh(changed)
        except Exception:
            self.monitor.reload()
            raise

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A bug in a refresh is reported by the app and calls neither done nor failed: carry on.
        if event.worker.group == "monitor" and event.worker.is_finished and self._busy:
            self._busy = False
            self._arm(RETRY_SECONDS)

    def _failed(self, error: Exception) -> None:
        self._busy = False
        if self.monitor is not None:
            self.monitor.reload()  # start again from a fresh count once the database answers
        self.query_one("#monitor-summary", Static).update(Text(str(error), style="bold red"))
        self._arm(RETRY_SECONDS)

    def _arm(self, seconds: float) -> None:
        """Fire `_read` once after `seconds` (sooner replaces later; never two timers)."""
        seconds = max(seconds, 0.01)  # a zero-delay Textual timer divides by zero
        due = time.monotonic() + seconds
        if self._timer is not None and self._due_at <= due:
            return
        self._cancel_timer()
        self._due_at = due
        self._timer = self.set_timer(seconds, self._fire)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _fire(self) -> None:
        self._timer = None
        if not self.is_current:  # hidden, or a dialog on top: catch up when shown again
            return
        self._read()

    def on_screen_resume(self) -> None:
        if self.monitor is not None and not self._busy and self._timer is None:
            self._arm(0)

    def on_desk_changes(self, changes: list[Any]) -> None:
        self._changed.update(c.ticket_id for c in changes)
        self._soon()

    def on_presence_changed(self) -> None:
        """An agent's console changed state: every refresh reads the agents' states."""
        self._soon()

    def _soon(self) -> None:
        if not self._busy:  # coalesce: at most one read per interval
            self._arm(self.interval - (time.monotonic() - self._last_read))

    def action_reload(self) -> None:
        if self.monitor is not None and not self._busy:
            self.monitor.reload()
            self._read()

    # --- applying the figures ------------------------------------------------------------------------

    def _apply(self, view: kpi.MonitorView, rearm: bool = True) -> None:
        self._busy = False
        self.view = view
        with self.app.batch_update():
            self._summary(view)
            self._sync(
                "monitor-teams", [(self._team_key(t), self._team_cells(t, view.now)) for t in view.teams]
            )
            self._sync("monitor-kpis", self._kpi_rows(view))
            self._sync("monitor-agents", [(str(a.agent_id), self._agent_cells(a)) for a in view.agents])
            self._arrivals(view)
        if rearm:
            self._arm(self.interval if self._changed else IDLE_SECONDS)

    def _summary(self, view: kpi.MonitorView) -> None:
        over = view.pending > view.pending_target
        text = Text()
        text.append(_("Pending {n} / target {target}", n=view.pending, target=view.pending_target) + " ")
        if over:
            text.stylize("bold white on red")
            text.append("▲ " + _("over target") + " ", style="bold red")
        text.append(" · ")
        text.append(
            _("Open past due now {n}", n=view.breached), style="bold red" if view.breached else "green"
        )
        text.append(" · ")
        text.append(
            _("Open, due within 30 min {n}", n=view.at_risk), style="bold yellow" if view.at_risk else ""
        )
        text.append(" · " + _("updated {time}", time=clock_text(view.now, self.desk)), style="dim")
        self.query_one("#monitor-summary", Static).update(text)

    @staticmethod
    def _team_key(t: kpi.TeamLine) -> str:
        return str(t.team_id) if t.team_id is not None else "none"

    def _team_cells(self, t: kpi.TeamLine, now: datetime) -> tuple[Text, ...]:
        counts = [Text(str(t.counts[s]), justify="right") for s in STATUS_COLUMNS]
        oldest = Text("—", style="dim")
        if t.oldest_since is not None:
            oldest = Text(f"{t.oldest_number} {span(now - t.oldest_since)}")
        return (
            cell(clean(t.team) or _("(no team)")),
            *counts,
            Text(str(t.open), justify="right", style="bold"),
            Text(str(t.breached), justify="right", style="bold red" if t.breached else "green"),
            Text(str(t.at_risk), justify="right", style="bold yellow" if t.at_risk else ""),
            oldest,
        )

    def _kpi_rows(self, view: kpi.MonitorView) -> list[tuple[str, tuple[Text, ...]]]:
        k = view.kpis
        values = {
            "calls": str(k.calls_logged),
            "first_contact": _(
                "{gross} · net {net}",
                gross=percent(k.first_contact_rate),
                net=percent(k.net_first_contact_rate),
            ),
            "still_open": percent(k.resolution_rate),
            "resolved": duration(k.avg_resolution_seconds) + "  " + _("({n} resolved)", n=k.resolved),
            "handover": duration(k.avg_handover_seconds),
            "sla_missed": percent(k.sla_compliance),
            "reopened": percent(k.reopen_rate) + "  " + _("({n} reopened)", n=k.reopened),
            "csat": (
                percent(k.csat) + "  " + _("({n} surveys)", n=k.surveys) if k.surveys else _("no surveys yet")
            ),
            "handle": duration(k.avg_handle_seconds) + "  " + _("({n} calls)", n=k.contacts_handled),
        }
        return [(key, (Text(_(label)), Text(values[key], style="bold"))) for key, label in KPI_ROWS]

    def _agent_cells(self, a: kpi.AgentLine) -> tuple[Text, ...]:
        label, style = STATE_LABELS.get(a.state, (a.state, ""))
        state = Text(_(label), style=style)
        if a.reason and self.view is not None:
            name, name_zh = self.view.reasons.get(a.reason, (a.reason, ""))
            state.append(" · " + clean(name_zh if language() == "zh" and name_zh else name, single_line=True))
        if a.since is not None and a.state != "logged_out":
            state.append(" " + span(self.view.now - a.since if self.view else timedelta(0)), style="dim")
        return (
            cell(a.name),
            cell(a.team),
            state,
            Text(str(a.open), justify="right"),
            Text(str(a.resolved_today), justify="right"),
            Text(duration(a.avg_handle_seconds), justify="right"),
        )

    def _arrivals(self, view: kpi.MonitorView) -> None:
        hours = max(1, sum(1 for i in range(24) if view.day_start + timedelta(hours=i) < view.now))
        today, week = view.arrivals[:hours], view.arrivals_last_week[:hours]
        label = _(
            "Arrivals per hour: now {now} · same hour last week {week} · today {total}",
            now=today[-1],
            week=week[-1] if week else 0,
            total=sum(today),
        )
        self.query_one("#monitor-arrivals-label", Static).update(label)
        self.query_one("#monitor-arrivals", Sparkline).data = today
        self.query_one("#monitor-arrivals-week", Sparkline).data = week

    def _sync(self, table_id: str, rows: list[tuple[str, tuple[Text, ...]]]) -> None:
        """Make the table hold `rows` (key, cells) in place: update changed cells, add new rows,
        remove vanished ones; never clear (the cursor and the scroll stay)."""
        table = self.query_one(f"#{table_id}", DataTable)
        seen = self._cells.setdefault(table_id, {})
        keys = [str(c.key.value) for c in table.ordered_columns]
        wanted = dict(rows)
        for key in [k for k in seen if k not in wanted]:
            table.remove_row(key)
            del seen[key]
        for key, cells in rows:
            sig = tuple((c.plain, str(c.style)) for c in cells)
            if key not in seen:
                table.add_row(*cells, key=key)
            elif seen[key] != sig:
                for col_key, cell, old in zip(keys, cells, seen[key], strict=True):
                    if (cell.plain, str(cell.style)) != old:
                        table.update_cell(key, col_key, cell)
            seen[key] = sig

    # --- drill down ------------------------------------------------------------------------------------

    def _figure(self) -> tuple[kpi.Figure, str] | None:
        focused = self.focused
        if not isinstance(focused, DataTable) or focused.row_count == 0 or self.view is None:
            return None
        cell = focused.coordinate_to_cell_key(focused.cursor_coordinate)
        row, column = str(cell.row_key.value), str(cell.column_key.value) if cell.column_key else ""
        if focused.id == "monitor-teams":
            team_id = None if row == "none" else int(row)
            line = next((t for t in self.view.teams if self._team_key(t) == row), None)
            team = clean(line.team if line else "", single_line=True) or _("(no team)")
            if column in STATUS_COLUMNS:
                figure = kpi.Figure("backlog", team_id, all_teams=False, status=column)
                return figure, f"{team} · {status_label(column)}"
            kind = {"breached": "breached", "at_risk": "at_risk", "oldest": "waiting"}.get(column, "backlog")
            titles = {
                "breached": _("Past due now"),
                "at_risk": _("Due in 30 min"),
                "waiting": _("Waiting, oldest first"),
                "backlog": _("Total open"),
            }
            return kpi.Figure(kind, team_id, all_teams=False), f"{team} · {titles[kind]}"
        if focused.id == "monitor-kpis":
            kind = {"csat": "resolved", "handle": "calls"}.get(row, row)
            label = dict(KPI_ROWS).get(row, row)
            return kpi.Figure(kind), _(label)
        if focused.id == "monitor-agents":
            agent = next((a for a in self.view.agents if str(a.agent_id) == row), None)
            name = clean(agent.name if agent else "", single_line=True)
            if column == "resolved":
                return kpi.Figure("agent_resolved", agent_id=int(row)), f"{name} · {_('Resolved today')}"
            return kpi.Figure("agent_open", agent_id=int(row)), f"{name} · {_('Open tickets')}"
        return None

    @on(DataTable.CellSelected)
    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_drill()  # Enter on a table: the table's own binding takes the key first

    def action_drill(self) -> None:
        found = self._figure()
        if found is not None:
            figure, title = found
            self.app.push_screen(DrillScreen(figure, title))


def clock_text(now: datetime, app: Any) -> str:
    from zoneinfo import ZoneInfo

    settings = getattr(app, "settings", None)
    tz = settings.timezone if settings is not None else "Asia/Shanghai"
    return now.astimezone(ZoneInfo(tz)).strftime("%H:%M:%S")


class DrillScreen(DeskScreen):
    """The tickets behind one monitor figure: open one (Enter) or reassign it (a)."""

    TITLE_TEXT = "Monitor"
    DEFAULT_CSS = """
    DrillScreen #drill-title { height: 1; padding: 0 1; }
    DrillScreen #drill-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("enter", "open", "Open ticket", id="monitor.open"),
        Binding("a", "assign", "Reassign", id="monitor.assign"),
        Binding("escape", "app.back", "Back", id="monitor.drill_back"),
    ]
    COLUMNS = (
        ("number", "Number"),
        ("p", "P"),
        ("status", "Status"),
        ("summary", "Summary"),
        ("customer", "Customer"),
        ("team", "Team"),
        ("assignee", "Assignee"),
        ("due", "Due"),
    )

    def __init__(self, figure: kpi.Figure, title: str) -> None:
        super().__init__()
        self.figure = figure
        self.title_text = title
        self.rows: list[TicketRow] = []

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Static("", id="drill-title")
        yield FastTable(id="drill-table", cursor_type="row", zebra_stripes=True)
        yield DeskFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key, label in self.COLUMNS:
            table.add_column(_(label), key=key)
        self.query_one("#drill-title", Static).update(Text(self.title_text, style="bold"))
        self.reload()
        table.focus()

    def reload(self) -> None:
        settings = self.desk.settings
        self.call(
            kpi.tickets_behind,
            self.desk.database,
            self.desk.actor,
            self.figure,
            timezone=settings.timezone if settings else "Asia/Shanghai",
            done=self._show,
            group="drill",
        )

    def on_desk_changes(self, changes: list[Any]) -> None:
        self.reload()

    def _show(self, rows: list[TicketRow]) -> None:
        self.rows = rows
        table = self.query_one(DataTable)
        now = clock.now()
        wanted = {r.number for r in rows}
        with self.app.batch_update():
            for key in [str(k.value) for k in list(table.rows) if str(k.value) not in wanted]:
                table.remove_row(key)
            present = {str(k.value) for k in table.rows}
            for r in rows:
                cells = (
                    Text(r.number),
                    priority_text(r.priority),
                    Text(status_label(r.status)),
                    cell(r.summary),
                    cell(r.customer),
                    cell(r.team),
                    cell(r.assignee),
                    countdown(r.resolve_by, now, status=r.status),
                )
                if r.number in present:
                    for (key, _label), value in zip(self.COLUMNS, cells, strict=True):
                        table.update_cell(r.number, key, value)
                else:
                    table.add_row(*cells, key=r.number)
        shown = _("{n} tickets", n=len(rows)) + (" " + _("(the first 200)") if len(rows) >= 200 else "")
        self.query_one("#drill-title", Static).update(Text(f"{self.title_text} · {shown}", style="bold"))

    def _selected(self) -> str | None:
        table = self.query_one(DataTable)
        if table.row_count == 0:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    @on(DataTable.RowSelected)
    def _chosen(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        number = self._selected()
        if number is not None:
            from .ticket import open_ticket

            open_ticket(self.app, number)

    def action_assign(self) -> None:
        number = self._selected()
        if number is not None:
            # the version shown: a ticket changed since is refused, not silently reassigned
            version = next(r.version for r in self.rows if r.number == number)
            dialog = AssignDialog(number, version, reason=_("reassigned from the monitor"))
            self.app.push_screen(dialog, lambda ok: self._assigned(number, ok))

    def _assigned(self, number: str, ok: bool | None) -> None:
        if ok:
            self.notify(_("{number} assigned.", number=number), markup=False)
            self.reload()
