"""The supervisor's live monitor (wallboard): backlog by status and team against the pending target,
SLA breaches and risks per team with the oldest waiting ticket, the phone system's calls per queue
(waiting now, service level, abandons, answer speed, talk and after-call work) with the agents by
state, today's KPIs with arrivals per hour beside last week's, and every agent's workload and state.

The blocks are panels (widgets/monitor/); this screen keeps them current: a worker reads the figures
(services/kpi.Monitor, which re-reads only the tickets the change feed names), every panel is handed
the same view, then a one-shot timer is armed again, so reads never overlap; changes arriving
meanwhile are gathered and read together. While a PBX feeds the desk, the figures are read every
`monitor_interval` even without a ticket change: a ringing call moves the waiting figures by
itself. The panels update their rows by key inside one batch update, so nothing flickers and the
cursor stays where it is. Enter on a figure lists the tickets
behind it (screens/drill.py); from there a supervisor opens or reassigns one."""

from __future__ import annotations

import time
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.timer import Timer
from textual.worker import Worker

from ..services import kpi
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.monitor.agents import AgentsTable
from ..widgets.monitor.arrivals import ArrivalsPanel
from ..widgets.monitor.calls import CallsPanel
from ..widgets.monitor.kpis import KpiTable
from ..widgets.monitor.live import FigureChosen, FigureTable, LiveTable
from ..widgets.monitor.summary import SummaryLine
from ..widgets.monitor.teams import TeamsTable
from ..widgets.service import ServiceDone, ServiceFailed
from .base import DeskScreen
from .drill import DrillScreen

IDLE_SECONDS = 15.0  # with no changes, time alone moves the SLA figures and presence
RETRY_SECONDS = 5.0


class FiguresRead(ServiceDone[kpi.MonitorView]):
    """The monitor's figures, read afresh."""


class MonitorScreen(DeskScreen):
    TITLE_TEXT = "Monitor"
    # Wide: the teams, then today's figures beside the arrivals, then the agents across the width.
    # Narrow (under 100 columns): the tables leave out their less needed columns and the arrivals
    # are not drawn; short (under 32 lines): the teams scroll in fewer lines, and with the calls
    # block (a desk a PBX feeds) the teams, the calls and the agents share what is left.
    DEFAULT_CSS = """
    MonitorScreen #monitor-summary { height: auto; padding: 0 1; }
    MonitorScreen #monitor-teams { height: auto; max-height: 40%; }
    MonitorScreen #monitor-today { height: auto; }
    MonitorScreen #monitor-kpis { height: auto; width: auto; max-width: 50%; margin-right: 1; }
    MonitorScreen ArrivalsPanel { width: 1fr; }
    MonitorScreen #monitor-agents { height: 1fr; min-height: 4; }
    MonitorScreen.-narrow #monitor-kpis { max-width: 100%; }
    MonitorScreen.-narrow ArrivalsPanel { display: none; }
    MonitorScreen.-short #monitor-teams { max-height: 7; }
    MonitorScreen.-short.-calls #monitor-teams { max-height: 5; }
    MonitorScreen.-short #monitor-states { display: none; }
    MonitorScreen.-short #monitor-calls { max-height: 3; }
    """
    BINDINGS = [
        Binding("enter", "drill", "Tickets behind", id="monitor.drill"),
        Binding("tab", "app.focus_next", "Next table", id="monitor.next", show=False),
        Binding("ctrl+r", "reload", "Recount", id="monitor.reload"),
        Binding("escape", "app.back", "Back", show=False, id="monitor.back"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.monitor: kpi.Monitor | None = None
        self.view: kpi.MonitorView | None = None
        self._changed: set[int] = set()
        self._busy = False
        self._timer: Timer | None = None
        self._due_at = 0.0  # monotonic time the armed timer fires
        self._last_read = 0.0

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield SummaryLine("", id="monitor-summary")
        yield TeamsTable(id="monitor-teams")
        yield CallsPanel()
        with Horizontal(id="monitor-today"):
            yield KpiTable(id="monitor-kpis")
            yield ArrivalsPanel()
        yield AgentsTable(id="monitor-agents")
        yield DeskFooter()

    def on_resize(self) -> None:
        self._fit()

    def _fit(self) -> None:
        width, height = self.size
        self.set_class(height < 32, "-short")
        for table in self.query(LiveTable):
            table.fit(width)

    @property
    def timezone(self) -> str:
        settings = self.desk.settings
        return settings.timezone if settings else "Asia/Shanghai"

    def on_mount(self) -> None:
        settings = self.desk.settings
        assert self.desk.actor is not None and self.desk.database is not None
        self.monitor = kpi.Monitor(
            self.desk.database,
            self.desk.actor,
            timezone=self.timezone,
            pending_target=settings.pending_target if settings else 10,
            presence_timeout=settings.presence_timeout if settings else 60.0,
            answer_target=settings.answer_target_seconds if settings else 15,
        )
        self._fit()
        self.query_one(SummaryLine).counting()
        self.query_one(TeamsTable).focus()
        self._read()

    def relabel(self) -> None:
        self.refresh(recompose=True)
        self.call_after_refresh(self._relabelled)

    def _relabelled(self) -> None:
        self._fit()
        if self.view is not None:
            self._show(self.view)

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
        self.call(self._refresh, changed, result=FiguresRead, group="monitor")

    def _refresh(self, changed: set[int]) -> kpi.MonitorView:
        """In the worker: a refresh that failed half-way leaves no half-counted figures behind."""
        assert self.monitor is not None
        try:
            return self.monitor.refresh(changed)
        except Exception:
            self.monitor.reload()
            raise

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        # A bug in a refresh is reported by the app and posts no result: carry on.
        if event.worker.group == "monitor" and event.worker.is_finished and self._busy:
            self._busy = False
            self._arm(RETRY_SECONDS)

    def on_service_failed(self, message: ServiceFailed) -> None:
        """The figures could not be read: the summary line says why (not the banner); try again."""
        if message.call is not FiguresRead:
            return
        message.stop()
        self._busy = False
        if self.monitor is not None:
            self.monitor.reload()  # start again from a fresh count once the database answers
        self.query_one(SummaryLine).failed(message.error)
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

    # --- the figures to the panels ---------------------------------------------------------------------

    def on_figures_read(self, message: FiguresRead) -> None:
        self._busy = False
        self._show(message.value)
        fed = message.value.calls is not None and message.value.calls.fed
        self._arm(self.interval if self._changed or fed else IDLE_SECONDS)

    def _show(self, view: kpi.MonitorView) -> None:
        self.view = view
        with self.app.batch_update():
            self.query_one(SummaryLine).show(view, self.timezone)
            self.query_one(TeamsTable).show(view)
            self.set_class(view.calls is not None and view.calls.fed, "-calls")
            self.query_one(CallsPanel).show(view)
            self.query_one(KpiTable).show(view)
            self.query_one(AgentsTable).show(view)
            self.query_one(ArrivalsPanel).show(view)

    # --- drill down ------------------------------------------------------------------------------------

    def action_drill(self) -> None:
        if isinstance(self.focused, FigureTable):
            self.focused.drill()

    def on_figure_chosen(self, message: FigureChosen) -> None:
        self.app.push_screen(DrillScreen(message.figure, message.title))
