"""The ticket screen: every field, the customer and device, the SLA clocks and the whole timeline;
and the actions on a ticket (note, status, resolve, transfer, assign, claim, edit, reopen, work
sheet), each offered only when the agent may do it. Its dialogs live here too."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Group
from rich.table import Table
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Checkbox, Input, OptionList, Select, Static, TextArea
from textual.widgets.option_list import Option

from .. import clock
from ..dialogs.assign import AssignDialog
from ..dialogs.base import DeskModal, ServiceDialog
from ..i18n import _
from ..services import directory, tickets, workflow, worksheet
from ..services.errors import NotFound
from ..text import clean
from ..widgets.chrome import DeskFooter, DeskHeader
from ..widgets.labels import status_label
from ..widgets.ticket_format import countdown, local, priority_text, span
from .base import DeskScreen

EVENT_LABELS = {
    "created": "created",
    "note": "note",
    "status": "status",
    "assigned": "assigned",
    "claimed": "claimed",
    "transferred": "transferred",
    "updated": "edited",
    "escalated": "escalated",
    "chased": "chased",
    "linked": "linked",
    "resolved": "resolved",
    "reopened": "reopened",
    "callback": "callback",
    "survey": "survey",
    "closed": "closed",
    "worksheet": "work sheet",
}
KIND_STYLES = {
    "escalated": "bold red",
    "resolved": "green",
    "closed": "green",
    "reopened": "yellow",
    "chased": "yellow",
    "note": "cyan",
}


def _tz(node: Any) -> str:
    settings = getattr(node.app, "settings", None)
    return settings.timezone if settings is not None else "Asia/Shanghai"


class TicketScreen(DeskScreen):
    """One ticket, kept live: others' changes to it appear by themselves."""

    TITLE_TEXT = "Ticket"
    DEFAULT_CSS = """
    TicketScreen #ticket-body { height: 1fr; }
    TicketScreen #ticket-fields { width: 56; min-width: 40; border-right: solid $primary; padding: 0 1; }
    TicketScreen #ticket-timeline { width: 1fr; padding: 0 1; }
    TicketScreen #ticket-head { text-style: bold; margin-bottom: 1; }
    TicketScreen #ticket-timeline-title { text-style: bold; color: $text-muted; }
    """
    BINDINGS = [
        Binding("n", "note", "Note", id="ticket.note"),
        Binding("s", "status", "Status", id="ticket.status"),
        Binding("r", "resolve", "Resolve", id="ticket.resolve"),
        Binding("c", "claim", "Claim", id="ticket.claim"),
        Binding("t", "transfer", "Transfer", id="ticket.transfer"),
        Binding("a", "assign", "Assign", id="ticket.assign"),
        Binding("e", "edit", "Edit", id="ticket.edit"),
        Binding("o", "reopen", "Reopen", id="ticket.reopen"),
        Binding("w", "worksheet", "Work sheet", id="ticket.worksheet"),
        Binding("x", "escalate", "Escalate", id="ticket.escalate"),
        Binding("f", "watch", "Watch/unwatch", id="ticket.watch", show=False),
        Binding("ctrl+r", "reload", "Reload", id="ticket.reload", show=False),
        Binding("escape", "app.back", "Back", id="ticket.back"),
    ]

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = tickets.normalise_number(number)
        self.view: workflow.TicketView | None = None

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        with Horizontal(id="ticket-body"):
            with VerticalScroll(id="ticket-fields"):
                yield Static(self.number, id="ticket-head", markup=False)
                yield Static("", id="ticket-info", markup=False)
            with Vertical(id="ticket-timeline"):
                yield Static(_("Timeline"), id="ticket-timeline-title", markup=False)
                with VerticalScroll(id="ticket-events-scroll"):
                    yield Static("", id="ticket-events", markup=False)
        yield DeskFooter()

    def on_mount(self) -> None:
        self.reload()
        self.set_interval(15, self._tick)
        self.on_screen_resume()

    def on_screen_resume(self) -> None:
        self.desk.current_ticket = self.number  # the ticket being worked (the KB's "this solved it")

    def relabel(self) -> None:
        self.refresh(recompose=True)
        self.call_after_refresh(self._render_view)

    # --- loading and showing ---------------------------------------------------------------------

    def reload(self) -> None:
        self.call(
            workflow.get_view,
            self.desk.database,
            self.desk.actor,
            self.number,
            done=self._show,
            failed=self._not_found,
            group="ticket-load",
        )

    def _not_found(self, error: Exception) -> None:
        self.notify(str(error), severity="warning", markup=False)
        if isinstance(error, NotFound) and self.is_current:
            self.app.pop_screen()

    def _show(self, view: workflow.TicketView) -> None:
        self.view = view
        self._render_view()
        self.refresh_bindings()

    def _tick(self) -> None:
        if self.view is not None:
            self._render_head()

    def _render_head(self) -> None:
        v = self.view
        assert v is not None
        d = v.detail
        head = Text(no_wrap=True, overflow="ellipsis")
        head.append(d.number + "  ", style="bold")
        head.append(priority_text(d.priority))
        head.append("  " + status_label(d.status) + "  ")
        head.append(countdown(d.resolve_by, clock.now(), status=d.status, resolved_at=d.resolved_at))
        if v.watching:
            head.append("  👁 " + _("watching"), style="dim")
        self.query_one("#ticket-head", Static).update(head)

    def _render_view(self) -> None:
        if self.view is None:
            return
        v, d, tz = self.view, self.view.detail, _tz(self)
        self._render_head()
        grid = Table.grid(padding=(0, 1))
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column()

        def row(label: str, value: object) -> None:
            grid.add_row(Text(_(label)), Text(clean(value if value not in (None, "") else "—")))

        row("Summary", d.summary)
        row("Kind", _(d.kind))
        row("Category", d.category)
        row("Impact / urgency", f"{d.impact} / {d.urgency}")
        row("Channel", _(d.channel))
        row("Service mode", _(d.service_mode))
        row("Team", f"{d.team} (tier {d.tier})")
        row("Assignee", d.assignee)
        row("Escalated to", v.escalated_to + (f" (level {d.escalation_level})" if d.escalation_level else ""))
        row("Chases", d.chase_count)
        grid.add_row("", "")
        row("Customer", d.customer)
        row("Organisation", f"{d.organisation} ({_(v.customer_class)})" if d.organisation else "")
        row("Phone", d.phone)
        row("E-mail", v.customer_email)
        row("Device", f"{d.device_model} {d.device_serial}".strip())
        row(
            "Warranty",
            f"{_(d.warranty)}" + (f" (→ {v.device_warranty_end})" if v.device_warranty_end else ""),
        )
        grid.add_row("", "")
        now = clock.now()
        resp = (
            Text("✓ " + local(v.responded_at, tz)[11:], style="green")
            if v.responded_at
            else countdown(d.respond_by, now, status=d.status)
        )
        grid.add_row(Text(_("Respond by")), Text(local(d.respond_by, tz) + "  ").append(resp))
        grid.add_row(
            Text(_("Resolve by")),
            Text(local(d.resolve_by, tz) + "  ").append(
                countdown(d.resolve_by, now, status=d.status, resolved_at=d.resolved_at)
            ),
        )
        if v.sla_paused_at or v.sla_paused_seconds:
            paused = span(now - v.sla_paused_at) if v.sla_paused_at else ""
            parts = [_("now, for {span}", span=paused)] if paused else []
            if v.sla_paused_seconds:
                parts.append(_("{span} before", span=span_seconds(v.sla_paused_seconds)))
            row("SLA paused", "; ".join(parts))
        row("Created", f"{local(d.created_at, tz)} · {d.created_by}")
        row("Updated", local(d.updated_at, tz))
        if d.resolved_at:
            row("Resolved", local(d.resolved_at, tz))
        if d.closed_at:
            row("Closed", local(d.closed_at, tz))
        if d.resolution:
            row("Resolution", d.resolution)
        if v.articles:
            row("Solved by", ", ".join(v.articles))
        row("Version", d.version)
        info = Text()
        if d.description:
            info.append("\n" + _("Description") + "\n", style="bold")
            info.append(clean(d.description))
        self.query_one("#ticket-info", Static).update(Group(grid, info))
        self._render_events()

    def _render_events(self) -> None:
        assert self.view is not None
        tz = _tz(self)
        out = Text()
        for e in self.view.detail.events:
            out.append(local(e.at, tz) + "  ", style="dim")
            out.append(_(EVENT_LABELS.get(e.kind, e.kind)), style=KIND_STYLES.get(e.kind, "bold"))
            out.append("  " + clean(e.actor, single_line=True))
            if e.kind == "note":
                out.append("  " + (_("public") if e.public else _("internal")), style="italic dim")
            extra = _event_extra(e.data)
            if extra:
                out.append("  " + extra, style="dim")
            out.append("\n")
            if e.body:
                for line in clean(e.body).splitlines() or [""]:
                    out.append("    " + line + "\n")
        scroll = self.query_one("#ticket-events-scroll", VerticalScroll)
        at_end = scroll.scroll_y >= scroll.max_scroll_y - 1
        self.query_one("#ticket-events", Static).update(out)
        if at_end:
            self.call_after_refresh(scroll.scroll_end, animate=False)

    # --- live ------------------------------------------------------------------------------------

    def on_desk_changes(self, changes: list[Any]) -> None:
        if any(c.number == self.number for c in changes):
            self.reload()

    # --- actions ---------------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ACTIONS:  # offered only when the service says the agent may
            return self.view is not None and action in self.view.allowed
        if action == "escalate":  # the escalation service checks who may (issue 7's dialog)
            return self.view is not None and self.view.detail.status in workflow.OPEN_STATUSES
        return True

    def _after(self, message: str) -> Any:
        def done(_result: object) -> None:
            self.notify(message, markup=False)
            self.reload()

        return done

    def _refused(self, error: Exception) -> None:
        self.notify(str(error), severity="warning", markup=False)
        self.reload()

    def _open(self, dialog: DeskModal[Any]) -> None:
        self.app.push_screen(dialog, lambda result: self.reload() if result else None)

    def _open_on_view(self, dialog: Callable[[workflow.TicketView], DeskModal[Any]]) -> None:
        """A dialog that starts from the ticket as shown (once it has been read)."""
        if self.view is not None:
            self._open(dialog(self.view))

    def action_reload(self) -> None:
        self.reload()

    def action_note(self) -> None:
        self._open(NoteDialog(self.number))

    def action_status(self) -> None:
        self._open_on_view(StatusDialog)

    def action_resolve(self) -> None:
        self._open_on_view(ResolveDialog)

    def action_transfer(self) -> None:
        self._open_on_view(TransferDialog)

    def action_assign(self) -> None:
        self._open_on_view(AssignDialog.for_view)

    def action_edit(self) -> None:
        self._open_on_view(EditDialog)

    def action_reopen(self) -> None:
        self._open_on_view(ReopenDialog)

    def action_worksheet(self) -> None:
        self._open(WorkSheetDialog(self.number))

    def action_escalate(self) -> None:
        from .escalate import EscalateDialog

        self.app.push_screen(EscalateDialog(self.number), lambda result: self.reload() if result else None)

    def action_claim(self) -> None:
        if self.view is None:
            return
        self.call(
            tickets.claim,
            self.desk.database,
            self.desk.actor,
            self.number,
            version=self.view.version,  # as shown: a ticket changed since is refused
            done=self._after(_("{number} is yours now.", number=self.number)),
            failed=self._refused,
        )

    def action_watch(self) -> None:
        if self.view is None:
            return
        on = not self.view.watching
        self.call(
            workflow.watch,
            self.desk.database,
            self.desk.actor,
            self.number,
            on,
            done=self._after(
                _("Watching {number}.", number=self.number)
                if on
                else _("No longer watching {number}.", number=self.number)
            ),
        )


ACTIONS = frozenset(
    {"note", "status", "resolve", "claim", "transfer", "assign", "edit", "reopen", "worksheet", "watch"}
)


def span_seconds(seconds: int) -> str:
    return span(timedelta(seconds=seconds))


def _event_extra(data: dict[str, Any]) -> str:
    if "from" in data and "to" in data and data["from"] != data["to"]:
        text = f"{status_label(str(data['from']))} → {status_label(str(data['to']))}"
    else:
        text = ""
    if data.get("article"):
        text += f"  KB {clean(data['article'], single_line=True)}"
    if data.get("assignee"):
        text += f"  → {clean(data['assignee'], single_line=True)}"
    return text.strip()


# --- dialogs ---------------------------------------------------------------------------------------


class NoteDialog(ServiceDialog):
    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Note on {number}", number=self.number), classes="dialog-title", markup=False)
            yield TextArea(id="f-note", compact=True)
            yield Checkbox(_("Customer-visible (public)"), id="f-public", compact=True)
            yield from self.hint()

    def on_mount(self) -> None:
        self.query_one("#f-note", TextArea).focus()

    def action_save(self) -> None:
        self.submit(
            workflow.add_note,
            self.db,
            self.actor,
            self.number,
            self.query_one("#f-note", TextArea).text,
            public=self.query_one("#f-public", Checkbox).value,
        )


class StatusDialog(ServiceDialog):
    """Pick the next status among the legal moves (Enter)."""

    def __init__(self, view: workflow.TicketView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        d = self.view.detail
        with Vertical(classes="dialog form"):
            yield Static(
                _("{number} is {status}: move it to", number=d.number, status=status_label(d.status)),
                classes="dialog-title",
                markup=False,
            )
            moves = sorted(workflow.STATUS_MOVES[d.status])
            yield OptionList(*(Option(status_label(s), id=s) for s in moves), id="f-status")
            yield from self.labelled("Note", Input(id="f-note", compact=True))
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: change · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#f-status", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self._change(str(event.option.id))

    def action_save(self) -> None:
        options = self.query_one("#f-status", OptionList)
        if options.highlighted is not None:
            self._change(str(options.get_option_at_index(options.highlighted).id))

    def _change(self, to: str) -> None:
        self.submit(
            workflow.change_status,
            self.db,
            self.actor,
            self.view.number,
            to,
            version=self.view.version,
            seen=workflow.snapshot(self.view.detail),
            note=self.query_one("#f-note", Input).value,
        )


class ResolveDialog(ServiceDialog):
    def __init__(self, view: workflow.TicketView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Resolve {number}", number=self.view.number), classes="dialog-title", markup=False)
            yield Static(_("Resolution (required)"), markup=False)
            yield TextArea(id="f-resolution", compact=True)
            yield from self.labelled(
                "KB article", Input(id="f-article", placeholder=_("e.g. KB-0012 (optional)"), compact=True)
            )
            yield from self.hint()

    def on_mount(self) -> None:
        self.query_one("#f-resolution", TextArea).focus()

    def action_save(self) -> None:
        article = self.query_one("#f-article", Input).value.strip()
        self.submit(
            workflow.resolve,
            self.db,
            self.actor,
            self.view.number,
            self.query_one("#f-resolution", TextArea).text,
            article=article or None,
            version=self.view.version,
            seen=workflow.snapshot(self.view.detail),
        )


class ReopenDialog(ServiceDialog):
    def __init__(self, view: workflow.TicketView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Reopen {number}", number=self.view.number), classes="dialog-title", markup=False)
            yield from self.labelled("Reason", Input(id="f-reason", compact=True))
            yield from self.hint()

    def on_mount(self) -> None:
        self.query_one("#f-reason", Input).focus()

    @on(Input.Submitted)
    def action_save(self) -> None:
        self.submit(
            workflow.reopen,
            self.db,
            self.actor,
            self.view.number,
            self.query_one("#f-reason", Input).value,
            version=self.view.version,
            seen=workflow.snapshot(self.view.detail),
        )


class TransferDialog(ServiceDialog):
    """To another team's queue, or to an agent; a reason is required."""

    def __init__(self, view: workflow.TicketView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(
                _("Transfer {number}", number=self.view.number), classes="dialog-title", markup=False
            )
            yield from self.labelled("To", Select([], id="f-to", prompt=_("team or agent"), compact=True))
            yield from self.labelled("Reason", Input(id="f-reason", compact=True))
            yield from self.hint()

    def on_mount(self) -> None:
        self.call(_targets, self.db, done=self._targets)
        self.query_one("#f-to", Select).focus()

    def _targets(self, targets: list[tuple[str, str]]) -> None:
        self.query_one("#f-to", Select).set_options([(Text(clean(label)), key) for label, key in targets])

    @on(Input.Submitted)
    def action_save(self) -> None:
        to = self.query_one("#f-to", Select).value
        kind, _sep, name = str(to).partition(":") if isinstance(to, str) else ("", "", "")
        self.submit(
            workflow.transfer,
            self.db,
            self.actor,
            self.view.number,
            reason=self.query_one("#f-reason", Input).value,
            team=name if kind == "team" else None,
            agent=name if kind == "agent" else None,
            version=self.view.version,
            seen=workflow.snapshot(self.view.detail),
        )


def _targets(db: Any) -> list[tuple[str, str]]:
    teams = [(_("Team: {name}", name=t), f"team:{t}") for t in directory.teams(db)]
    agents = [(f"{name} ({team})", f"agent:{login}") for login, name, team in directory.assignees(db)]
    return teams + agents


KINDS = ("incident", "request", "consultation", "complaint")
LEVELS = ((1, "1 high"), (2, "2 medium"), (3, "3 low"))


class EditDialog(ServiceDialog):
    """Edit the fields as of the version shown; if someone changed the ticket meanwhile the save is
    refused with what changed, and the input stays here."""

    def __init__(self, view: workflow.TicketView) -> None:
        super().__init__()
        self.view = view

    def compose(self) -> ComposeResult:
        d = self.view.detail
        with Vertical(classes="dialog form"):
            yield Static(_("Edit {number}", number=d.number), classes="dialog-title", markup=False)
            # Editors hold people's text cleaned too (clean): a stored escape must not reach the screen.
            yield from self.labelled("Summary", Input(clean(d.summary), id="f-summary", compact=True))
            yield from self.labelled(
                "Kind",
                Select(
                    [(_(k), k) for k in KINDS], value=d.kind, allow_blank=False, id="f-kind", compact=True
                ),
            )
            yield from self.labelled(
                "Category", Select([], id="f-category", prompt=_("(none)"), compact=True)
            )
            for key, value in (("impact", d.impact), ("urgency", d.urgency)):
                yield from self.labelled(
                    key.title(),
                    Select(
                        [(_(t), n) for n, t in LEVELS],
                        value=value,
                        allow_blank=False,
                        id=f"f-{key}",
                        compact=True,
                    ),
                )
            yield from self.labelled(
                "Service mode",
                Select(
                    [(_(m), m) for m in workflow.SERVICE_MODES],
                    value=d.service_mode if d.service_mode in workflow.SERVICE_MODES else Select.NULL,
                    id="f-service_mode",
                    compact=True,
                ),
            )
            yield from self.labelled(
                "Warranty",
                Select(
                    [(_(w), w) for w in workflow.WARRANTY],
                    value=d.warranty,
                    allow_blank=False,
                    id="f-warranty",
                    compact=True,
                ),
            )
            yield Static(_("Description"), markup=False)
            yield TextArea(clean(d.description), id="f-description", compact=True)
            yield from self.hint()

    def on_mount(self) -> None:
        self.call(directory.category_paths, self.db, done=self._categories)
        self.query_one("#f-summary", Input).focus()

    def _categories(self, paths: list[str]) -> None:
        select = self.query_one("#f-category", Select)
        select.set_options([(Text(clean(p)), p) for p in paths])
        if self.view.detail.category in paths:
            select.value = self.view.detail.category

    def action_save(self) -> None:
        d = self.view.detail
        values: dict[str, Any] = {
            "summary": self.query_one("#f-summary", Input).value,
            "description": self.query_one("#f-description", TextArea).text,
        }
        for key in ("kind", "category", "impact", "urgency", "service_mode", "warranty"):
            value = self.query_one(f"#f-{key}", Select).value
            values[key] = None if value is Select.NULL else value
        changes = {
            k: v
            for k, v in values.items()
            if v != getattr(d, k) and not (k == "category" and v is None and not d.category)
        }
        if not changes:
            self.dismiss(False)
            return
        self.submit(
            workflow.edit,
            self.db,
            self.actor,
            d.number,
            version=d.version,
            changes=changes,
            seen=workflow.snapshot(d),
        )


def parse_local(text: str, timezone: str) -> datetime | None:
    """'2026-03-02 14:00' in the desk's time zone → aware UTC; '' → None; bad input → ValueError."""
    text = text.strip()
    if not text:
        return None
    value = datetime.strptime(text, "%Y-%m-%d %H:%M")
    return value.replace(tzinfo=ZoneInfo(timezone)).astimezone(clock.now().tzinfo)


def parse_parts(text: str) -> list[worksheet.Part]:
    """One part a line: 'part; serial in; serial out'."""
    parts = []
    for line in text.splitlines():
        if not line.strip():
            continue
        fields = [f.strip() for f in line.split(";")] + ["", ""]
        parts.append(worksheet.Part(fields[0], fields[1], fields[2]))
    return parts


class WorkSheetDialog(ServiceDialog):
    """The on-site work sheet (派工单): Ctrl+S saves, Ctrl+O shows it as printable text."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="dialog.save"),
        Binding("ctrl+o", "print", "Printable text", id="worksheet.print"),
        Binding("escape", "cancel", "Cancel", id="dialog.cancel"),
    ]
    DEFAULT_CSS = """
    WorkSheetDialog .dialog { width: 90; }
    WorkSheetDialog TextArea { height: 4; }
    """
    TIMES = ("planned_at", "arrived_at", "finished_at")

    def __init__(self, number: str) -> None:
        super().__init__()
        self.number = number
        self.sheet: worksheet.SheetView | None = None
        self.logins: set[str] = set()

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog form"):
            yield Static(_("Work sheet {number}", number=self.number), classes="dialog-title", markup=False)
            yield Static("", id="ws-head", markup=False)
            hint = _("YYYY-MM-DD HH:MM")
            yield from self.labelled(
                "Planned visit", Input(id="f-planned_at", placeholder=hint, compact=True)
            )
            yield from self.labelled("Address", Input(id="f-address", compact=True))
            yield from self.labelled(
                "Engineer", Select([], id="f-engineer", prompt=_("(none)"), compact=True)
            )
            yield from self.labelled("Arrived", Input(id="f-arrived_at", placeholder=hint, compact=True))
            yield from self.labelled("Finished", Input(id="f-finished_at", placeholder=hint, compact=True))
            yield Static(_("Work done"), markup=False)
            yield TextArea(id="f-work_done", compact=True)
            yield Static(_("Parts replaced, one a line: part; serial in; serial out"), markup=False)
            yield TextArea(id="f-parts", compact=True)
            yield from self.labelled("Signed off by", Input(id="f-signed_by", compact=True))
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(
                _("Ctrl+S: save · Ctrl+O: printable text · Esc: cancel"), classes="dialog-hint", markup=False
            )

    def on_mount(self) -> None:
        self.call(
            worksheet.get_sheet, self.db, self.actor, self.number, done=self._loaded, failed=self.refused
        )
        self.call(directory.assignees, self.db, done=self._agents, group="agents")
        self.query_one("#f-planned_at", Input).focus()

    def _agents(self, agents: list[tuple[str, str, str]]) -> None:
        select = self.query_one("#f-engineer", Select)
        select.set_options([(Text(clean(f"{name} ({team})")), login) for login, name, team in agents])
        self.logins = {login for login, _n, _t in agents}
        if self.sheet is not None and self.sheet.engineer in self.logins:
            select.value = self.sheet.engineer

    def _loaded(self, sheet: worksheet.SheetView) -> None:
        self.sheet = sheet
        tz = _tz(self)
        head = " · ".join(x for x in (sheet.customer, sheet.organisation, sheet.phone, sheet.device) if x)
        self.query_one("#ws-head", Static).update(Text(clean(head, single_line=True), style="dim"))
        for key in self.TIMES:
            value = getattr(sheet, key)
            self.query_one(f"#f-{key}", Input).value = local(value, tz) if value else ""
        self.query_one("#f-address", Input).value = clean(sheet.address)
        self.query_one("#f-signed_by", Input).value = clean(sheet.signed_by)
        self.query_one("#f-work_done", TextArea).text = clean(sheet.work_done)
        self.query_one("#f-parts", TextArea).text = clean(
            "\n".join(f"{p.part}; {p.serial_in}; {p.serial_out}" for p in sheet.parts)
        )
        if sheet.engineer and sheet.engineer in self.logins:
            self.query_one("#f-engineer", Select).value = sheet.engineer

    def action_save(self) -> None:
        if self.sheet is None:
            return
        tz = _tz(self)
        times: dict[str, datetime | None] = {}
        for key in self.TIMES:
            try:
                times[key] = parse_local(self.query_one(f"#f-{key}", Input).value, tz)
            except ValueError:
                self.query_one("#e-form", Static).update(
                    _("{field}: write the time as YYYY-MM-DD HH:MM", field=_(key))
                )
                self.query_one(f"#f-{key}", Input).focus()
                return
        engineer = self.query_one("#f-engineer", Select).value
        self.submit(
            worksheet.save_sheet,
            self.db,
            self.actor,
            self.number,
            version=self.sheet.version,
            address=self.query_one("#f-address", Input).value,
            engineer=engineer if isinstance(engineer, str) else "",
            work_done=self.query_one("#f-work_done", TextArea).text,
            signed_by=self.query_one("#f-signed_by", Input).value,
            parts=parse_parts(self.query_one("#f-parts", TextArea).text),
            **times,
        )

    def action_print(self) -> None:
        def show(sheet: worksheet.SheetView) -> None:
            self.app.push_screen(TextDialog(worksheet.render_text(sheet, timezone=_tz(self))))

        self.call(worksheet.get_sheet, self.db, self.actor, self.number, done=show, group="print")


class TextDialog(DeskModal[None]):
    """Plain text to read (and copy or print from the terminal)."""

    DEFAULT_CSS = """
    TextDialog .dialog { width: 80; height: 90%; }
    TextDialog VerticalScroll { height: 1fr; }
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            with VerticalScroll():
                yield Static(Text(clean(self.text)), id="text-body", markup=False)
            yield Static(_("Esc: close"), classes="dialog-hint", markup=False)


class OpenTicketDialog(DeskModal[str | None]):
    """Open a ticket by its number (Ctrl+G anywhere)."""

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Open ticket"), classes="dialog-title", markup=False)
            yield Input(placeholder=_("number, e.g. SR-000123 or 123"), id="f-number")
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Enter: open · Esc: cancel"), classes="dialog-hint", markup=False)

    def on_mount(self) -> None:
        self.query_one("#f-number", Input).focus()

    @on(Input.Submitted)
    def _open(self, event: Input.Submitted) -> None:
        number = event.value.strip()
        if not number:
            return
        self.call(
            tickets.get_ticket,
            self.desk.database,
            self.desk.actor,
            number,
            done=lambda d: self.dismiss(d.number),
            failed=lambda e: self.query_one("#e-form", Static).update(str(e)),
        )


def open_ticket(app: Any, number: str) -> None:
    """Push the ticket screen (from the queue, the Ctrl+G dialog, or another screen)."""
    app.push_screen(TicketScreen(number))
