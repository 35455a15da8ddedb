"""The monitor's calls block, from the phone system's call records (services/kpi/calls.py): the
agents counted by state with the longest time in each, then one row for all queues and one a
queue: calls waiting now and the longest wait, today's service level, abandon rate, average
speed of answer, talk and after-call work, and missed calls not yet seen, each rated figure in its
threshold's colour. Shown only on a desk a PBX feeds."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...durations import duration
from ...i18n import _
from ...services import kpi
from ...services.kpi.calls import AMBER, GREEN, RED
from ...text import clean
from ..labels import AGENT_STATES
from ..ticket_format import cell, span
from .live import Cells, LiveTable, percent

CALL_COLUMNS = (
    ("queue", "Queue"),
    ("waiting", "Waiting"),
    ("longest", "Longest"),
    ("service_level", "SL"),
    ("abandon_rate", "Abandon"),
    ("asa", "ASA"),
    ("talk", "Talk"),
    ("acw", "ACW"),
    ("talk_sum", "Talk today"),
    ("acw_sum", "ACW today"),
    ("missed", "Missed"),
)
COLOURS = {GREEN: "green", AMBER: "bold yellow", RED: "bold red"}
TOTAL_KEY = "total"


def rated(text: str, colour: str) -> Text:
    return Text(text, justify="right", style=COLOURS.get(colour, ""))


def queue_cells(q: kpi.QueueCalls) -> Cells:
    """A queue's (or the total's) row: each rated figure in its colour."""
    f, r = q.today, q.ratings
    name = _("All queues") if q.queue is None else clean(q.queue, single_line=True) or _("(no queue)")
    return (
        cell(name, "bold" if q.queue is None else ""),
        rated(str(q.waiting), r.get("waiting", "")),
        rated(duration(q.longest_wait_seconds), r.get("longest_wait", "")),
        rated(percent(f.service_level), r.get("service_level", "")),
        rated(percent(f.abandon_rate), r.get("abandon_rate", "")),
        rated(duration(f.asa_seconds), r.get("asa", "")),
        rated(duration(f.avg_talk_seconds), ""),
        rated(duration(f.avg_acw_seconds), ""),
        rated(duration(f.talk_seconds), ""),
        rated(duration(f.acw_seconds), ""),
        Text(str(q.missed_unseen), justify="right", style="bold red" if q.missed_unseen else ""),
    )


def states_line(view: kpi.MonitorView) -> Text:
    """The agents by state: how many, and how long the longest-standing of them has been in it."""
    out = Text(_("Agents") + ": ", style="dim")
    parts = []
    for state, (n, since) in view.by_state.items():
        label, style = AGENT_STATES.get(state, (state, ""))
        part = Text(f"{_(label)} {n}", style=style)
        if since is not None:
            part.append(" (" + span(view.now - since, seconds=True) + ")", style="dim")
        parts.append(part)
    out.append_text(Text(" · ").join(parts) if parts else Text(_("none logged in"), style="dim"))
    return out


class CallsTable(LiveTable):
    """All queues first, then one row a queue (by name; no queue last)."""

    NARROW_HIDDEN = ("acw", "talk_sum", "acw_sum")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)

    def columns_spec(self) -> list[tuple[str, str]]:
        return [(key, _(label)) for key, label in CALL_COLUMNS]

    def show(self, calls: kpi.CallsView) -> None:
        rows = [(TOTAL_KEY, queue_cells(calls.total))]
        rows += [(f"q:{q.queue}", queue_cells(q)) for q in calls.queues]
        self.sync(rows)


class CallsPanel(Vertical):
    """The states line over the calls table; not displayed until a PBX has fed the desk."""

    DEFAULT_CSS = """
    CallsPanel { height: auto; }
    CallsPanel #monitor-states { height: 1; padding: 0 1; }
    CallsPanel CallsTable { height: auto; max-height: 8; }
    """

    def compose(self) -> ComposeResult:
        yield Static("", id="monitor-states", markup=False)
        yield CallsTable(id="monitor-calls")

    def on_mount(self) -> None:
        self._display(False)

    def _display(self, fed: bool) -> None:
        self.display = fed
        self.query_one(CallsTable).display = fed  # a hidden table is no table to fit

    def show(self, view: kpi.MonitorView) -> None:
        calls = view.calls
        self._display(calls is not None and calls.fed)
        if calls is None:
            return
        self.query_one("#monitor-states", Static).update(states_line(view))
        self.query_one(CallsTable).show(calls)
