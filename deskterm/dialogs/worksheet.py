"""The on-site work sheet (派工单) of a ticket: the visit planned, the engineer, arrival and finish,
the work done, the parts replaced, who signed it off; and the sheet as printable text."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Select, Static, TextArea

from .. import clock
from ..i18n import _
from ..services import directory, worksheet
from ..text import clean
from ..widgets.service import ServiceDone, ServiceFailed
from ..widgets.ticket_format import desk_timezone, local
from .assign import AgentsLoaded
from .base import DeskModal, ServiceDialog
from .ticket import form_end, title


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


class SheetLoaded(ServiceDone[worksheet.SheetView]):
    """The work sheet as stored, to edit."""


class SheetToPrint(ServiceDone[worksheet.SheetView]):
    """The work sheet as stored, to show as printable text."""


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
            yield title(_("Work sheet {number}", number=self.number))
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
            yield from form_end(_("Ctrl+S: save · Ctrl+O: printable text · Esc: cancel"))

    def on_mount(self) -> None:
        self.call(worksheet.get_sheet, self.db, self.actor, self.number, result=SheetLoaded, group="sheet")
        self.call(directory.assignees, self.db, result=AgentsLoaded, group="agents")
        self.query_one("#f-planned_at", Input).focus()

    def on_agents_loaded(self, message: AgentsLoaded) -> None:
        agents = message.value
        select = self.query_one("#f-engineer", Select)
        select.set_options([(Text(clean(f"{name} ({team})")), login) for login, name, team in agents])
        self.logins = {login for login, _n, _t in agents}
        if self.sheet is not None and self.sheet.engineer in self.logins:
            select.value = self.sheet.engineer

    def on_sheet_loaded(self, message: SheetLoaded) -> None:
        self.sheet = sheet = message.value
        tz = desk_timezone(self)
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

    def on_service_failed(self, message: ServiceFailed) -> None:
        # The sheet not read or not saved: said here. The agents or the printable text: the banner.
        if message.call not in (AgentsLoaded, SheetToPrint):
            super().on_service_failed(message)

    def action_save(self) -> None:
        if self.sheet is None:
            return
        tz = desk_timezone(self)
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
        self.call(worksheet.get_sheet, self.db, self.actor, self.number, result=SheetToPrint, group="print")

    def on_sheet_to_print(self, message: SheetToPrint) -> None:
        text = worksheet.render_text(message.value, timezone=desk_timezone(self))
        self.app.push_screen(TextDialog(text))


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
