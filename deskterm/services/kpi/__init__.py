"""The desk's KPIs: each figure has ONE definition here, used by the live monitor and the reports
(docs/KPIS.md says the same for the desk).

Periods are half-open, [start, end), in UTC; "today" is the desk's day in its time zone. The
period figures are built from additive tallies (a period's tally is the sum of its slices'
tallies), each read from one index range (models/ticket.py, models/agent.py):

- calls logged            = tickets created in the period
- first-contact rate      = calls logged in the period and resolved at first contact, not reopened
  (gross)                   since / calls logged
- first-contact rate      = the same over the calls of categories the first line can resolve
  (net)                     (Category.first_line)
- resolution rate         = calls logged in the period resolved since (resolved or closed now, or
                            reopened after a resolution) / calls logged
- tickets resolved        = resolved events in the period (the event log: a later reopen does not
                            undo them); by the agent who resolved
- average resolution time = Σ (resolved event − created) / tickets resolved
- average hand-over time  = Σ (first pick-up − created) / tickets first picked up by an agent (claim,
                            assignment, transfer to an agent) in the period, first-contact
                            resolutions excepted (intake → second line); a reassignment later does
                            not move the first pick-up
- SLA compliance          = resolutions in the period within their resolve-by time (as the resolve
  (resolved within SLA)     recorded it) / resolutions in the period that had one
- CSAT                    = survey answers "very satisfied" or "satisfied" (1 or 2) / all answers,
                            over the surveys taken in the period (four answers each); the average
                            score (1 best … 4 worst) alongside
- average handle time     = Σ (talk + after-call work) / calls handled, from the consoles' state log
                            (services/presence.py): a call handled is a call that ended in after-call
                            work (saved as a ticket or a chase); states that ended in the period
- reopen rate             = reopened events in the period / resolved events in the period

Per agent: calls and first-contact resolutions by who logged the ticket; resolutions, resolution
time and SLA by who resolved; surveys and reopens by the ticket's assignee; handle time by whose
console it was; handled = calls logged + tickets resolved − first-contact resolutions (a call
logged and solved on the phone counts once).

The live figures (the monitor) about open tickets, at an instant `now`:
- backlog                 = open tickets by status × team
- pending                 = tickets waiting to be picked up (status new), against the target
- open past due now       = open tickets whose SLA clock runs (new, assigned, in progress) and whose
  ("breached")              resolve-by time has passed; due in 30 minutes ("at risk") = due within
                            the next 30 minutes (tickets waiting on the customer or a third party
                            have their clock stopped and are neither)
- oldest waiting          = per team, the longest-waiting ticket in status new (by creation time)
- agent's open tickets    = open tickets assigned to the agent
- arrivals per hour       = tickets created in each hour of the desk's day, beside the same hour a
                            week before

The monitor keeps the open tickets' few keys in memory (`OpenBook`), loaded once from a covering
index and then updated by ticket id from the change feed, and keeps the tallies of today's settled
hours, so a refresh reads only what changed, the current hour and the few reopens since the day
began. Its first view counts the open tickets by one grouped read of that index instead
(`OpenCounts`: 131k open tickets at 1M), and the book is loaded by the refresh after it.

The package: `figures` (the definitions: tallies, formulas, one ticket's SLA state), `parts` (the
SQL of each part of a tally), `book` (the open tickets in memory), `monitor` (the live view),
`drill` (the tickets, or the surveys, behind a figure), `periods` (the reports) and `calls` (the
call figures from the PBX's records: service level, abandons, answer speed, talk, after-call work
and the industry's handle time; calls.py's docstring has each formula)."""

from __future__ import annotations

from .book import Key, OpenBook
from .calls import (
    AHT_CALLS,
    AHT_STATES,
    SHORT_ABANDON_SECONDS,
    WAITING_HORIZON,
    CallFigures,
    CallReport,
    CallsView,
    CallTally,
    QueueCalls,
    Threshold,
    call_figures,
    call_report,
    call_tallies,
    calls_now,
    live_calls,
    rating,
    thresholds,
    with_call_handle_time,
)
from .drill import FIGURES, Figure, SurveyRow, surveys_behind, tickets_behind
from .figures import (
    AT_RISK,
    OPEN,
    RATINGS,
    RUNNING,
    SATISFIED,
    AgentKpis,
    AgentTally,
    Kpis,
    Tally,
    agent_kpis,
    day_start,
    hours_of_day,
    kpis,
    require_supervisor,
    sla_state,
)
from .monitor import AgentLine, Monitor, MonitorView, TeamLine, by_state
from .parts import (
    SLICE_PARTS,
    arrivals,
    contacts_rows,
    created_rows,
    handover_rows,
    period_tally,
    reopened_rows,
    reopened_since_part,
    resolved_rows,
    slice_tally,
    survey_rows,
    tally_of,
    team_id_of,
)
from .periods import agent_report, rebuild_rollup, report, report_days
from .rollup import catch_up

__all__ = [
    "AHT_CALLS",
    "AHT_STATES",
    "AT_RISK",
    "FIGURES",
    "OPEN",
    "RATINGS",
    "RUNNING",
    "SATISFIED",
    "SHORT_ABANDON_SECONDS",
    "SLICE_PARTS",
    "WAITING_HORIZON",
    "AgentKpis",
    "AgentLine",
    "AgentTally",
    "CallFigures",
    "CallReport",
    "CallTally",
    "CallsView",
    "Figure",
    "Key",
    "Kpis",
    "Monitor",
    "MonitorView",
    "OpenBook",
    "QueueCalls",
    "SurveyRow",
    "Tally",
    "TeamLine",
    "Threshold",
    "agent_kpis",
    "agent_report",
    "arrivals",
    "by_state",
    "call_figures",
    "call_report",
    "call_tallies",
    "calls_now",
    "catch_up",
    "contacts_rows",
    "created_rows",
    "day_start",
    "handover_rows",
    "hours_of_day",
    "kpis",
    "live_calls",
    "period_tally",
    "rating",
    "rebuild_rollup",
    "reopened_rows",
    "reopened_since_part",
    "report",
    "report_days",
    "require_supervisor",
    "resolved_rows",
    "sla_state",
    "slice_tally",
    "survey_rows",
    "surveys_behind",
    "tally_of",
    "team_id_of",
    "thresholds",
    "tickets_behind",
    "with_call_handle_time",
]
