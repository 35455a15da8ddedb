"""The on-site work sheet (派工单) of a ticket: the visit planned, the engineer, arrival and finish,
the work done, the parts replaced, who signed it off; and the sheet as printable text."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer, Vertical
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


class WorkSheetDialog(ServiceDialog):
    """The on-site work sheet (派工单): Ctrl+S saves, Ctrl+O shows the sheet as it stands in the
    form (saved or not) as printable text, which can be written to a file."""

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
        self.names: dict[str, str] = {}  # login → name, of the agents who can be the engineer

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
        self.names = {login: name for login, name, _t in agents}
        if self.sheet is not None and self.sheet.engineer in self.names:
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
        if sheet.engineer and sheet.engineer in self.names:
            self.query_one("#f-engineer", Select).value = sheet.engineer

    def on_service_failed(self, message: ServiceFailed) -> None:
        # The sheet not read or not saved: said here. The agents: the banner.
        if message.call is not AgentsLoaded:
            super().on_service_failed(message)

    def fields(self) -> dict[str, Any] | None:
        """The sheet's fields as the form holds them; None (and said) when a time is not one."""
        tz = desk_timezone(self)
        values: dict[str, Any] = {}
        for key in self.TIMES:
            try:
                values[key] = parse_local(self.query_one(f"#f-{key}", Input).value, tz)
            except ValueError:
                self.query_one("#e-form", Static).update(
                    _("{field}: write the time as YYYY-MM-DD HH:MM", field=_(key))
                )
                self.query_one(f"#f-{key}", Input).focus()
                return None
        engineer = self.query_one("#f-engineer", Select).value
        return values | {
            "address": self.query_one("#f-address", Input).value,
            "engineer": engineer if isinstance(engineer, str) else "",
            "work_done": self.query_one("#f-work_done", TextArea).text,
            "signed_by": self.query_one("#f-signed_by", Input).value,
            "parts": parse_parts(self.query_one("#f-parts", TextArea).text),
        }

    def action_save(self) -> None:
        if self.sheet is None or (values := self.fields()) is None:
            return
        self.submit(
            worksheet.save_sheet, self.db, self.actor, self.number, version=self.sheet.version, **values
        )

    def action_print(self) -> None:
        """The sheet as the form holds it, saved or not, as printable text."""
        if self.sheet is None or (values := self.fields()) is None:
            return
        self.query_one("#e-form", Static).update("")
        login = values["engineer"]
        name = self.names.get(login, self.sheet.engineer_name if login == self.sheet.engineer else login)
        shown = replace(self.sheet, **values, engineer_name=name if login else "")
        shown = replace(shown, unsaved=not same_sheet(shown, self.sheet))
        text = worksheet.render_text(shown, timezone=desk_timezone(self))
        self.app.push_screen(SheetTextDialog(text, worksheet.default_file(self.number)))


def same_sheet(a: worksheet.SheetView, b: worksheet.SheetView) -> bool:
    """Whether two sheets say the same (the text of a field compared without surrounding space)."""

    def said(sheet: worksheet.SheetView) -> tuple[Any, ...]:
        parts = tuple(tuple(v.strip() for v in (p.part, p.serial_in, p.serial_out)) for p in sheet.parts)
        times = (sheet.planned_at, sheet.arrived_at, sheet.finished_at)
        texts = (sheet.address, sheet.engineer, sheet.work_done, sheet.signed_by)
        return (*times, *(t.strip() for t in texts), parts)

    return said(a) == said(b)


class SheetTextDialog(DeskModal[None]):
    """The work sheet as plain text to read, copy or print from the terminal; Ctrl+S writes it to a
    file (the path asked, ~/<number>-worksheet.txt offered; an existing file is replaced only when
    asked twice)."""

    BINDINGS = [
        Binding("ctrl+s", "save_file", "Save as file", id="worksheet.save_file"),
        Binding("escape", "cancel", "Close", id="dialog.cancel"),
    ]
    DEFAULT_CSS = """
    SheetTextDialog .dialog { width: 88; max-width: 100%; height: 90%; }
    SheetTextDialog ScrollableContainer { height: 1fr; }
    SheetTextDialog #text-body { width: auto; }
    SheetTextDialog #ws-file-row { height: auto; display: none; }
    SheetTextDialog #ws-file-row.asking { display: block; }
    """

    def __init__(self, text: str, default_file: Path) -> None:
        super().__init__()
        self.text = text
        self.default_file = default_file
        self.replacing: Path | None = None  # the existing file the next Enter replaces

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            with ScrollableContainer():  # the sheet's 72 columns as printed: scrolled, never wrapped again
                yield Static(Text(clean(self.text), no_wrap=True), id="text-body", markup=False)
            with Vertical(id="ws-file-row"):
                yield Static(_("Save as file (Enter writes it):"), markup=False)
                yield Input(str(self.default_file), id="f-file", compact=True)
            yield Static("", id="e-form", classes="form-error", markup=False)
            yield Static(_("Ctrl+S: save as file · Esc: close"), classes="dialog-hint", markup=False)

    def action_save_file(self) -> None:
        row = self.query_one("#ws-file-row")
        if not row.has_class("asking"):
            row.add_class("asking")
            self.query_one("#f-file", Input).focus()
            return
        self.write_file()

    def on_input_changed(self, event: Input.Changed) -> None:
        self.replacing = None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.write_file()

    def write_file(self) -> None:
        """Write the text where the field says; a refusal is said here, the text stays."""
        error = self.query_one("#e-form", Static)
        path = Path(self.query_one("#f-file", Input).value.strip() or str(self.default_file)).expanduser()
        try:
            written = worksheet.write_file(path, self.text, replace=self.replacing == path)
        except FileExistsError:
            self.replacing = path
            error.update(_("{path} exists: Enter again replaces it.", path=str(path)))
            return
        except OSError as e:
            error.update(_("Not saved: {path}: {reason}", path=str(path), reason=e.strerror or str(e)))
            return
        self.app.notify(_("Work sheet saved as {path}.", path=str(written)), markup=False)
        self.dismiss(None)
