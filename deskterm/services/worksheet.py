"""The on-site work sheet (派工单) of a ticket served on site, carry-in or mail-in: the planned visit,
the engineer, arrival and finish, the work done, the parts replaced and the customer's sign-off.

The sheet is part of the ticket's record: saving it writes a ticket event. It has its own version
for optimistic locking (so a sheet saved on site never collides with a field edit at the desk)."""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, delete, select

from .. import clock
from ..db import Database
from ..i18n import later
from ..models import Agent, Ticket, WorkSheet, WorkSheetPart
from ..text import cells, clean, pad, shorten, wrap
from . import inputs, tickets
from .auth import Actor, require
from .errors import Conflict, InvalidInput
from .ticket_rows import contact_of
from .workflow.guard import lock
from .workflow.rights import WORKSHEET_MODES, require_work

EVENT_KIND = "worksheet"


@dataclass(frozen=True)
class Part:
    part: str
    serial_in: str = ""  # the serial of the part fitted
    serial_out: str = ""  # the serial of the part removed


@dataclass(frozen=True)
class SheetView:
    number: str
    summary: str
    customer: str
    organisation: str
    phone: str
    device: str
    planned_at: datetime | None = None
    address: str = ""
    engineer: str = ""  # login
    engineer_name: str = ""
    arrived_at: datetime | None = None
    finished_at: datetime | None = None
    work_done: str = ""
    signed_by: str = ""
    parts: list[Part] = field(default_factory=list)
    version: int = 0  # 0: no sheet saved yet
    updated_at: datetime | None = None
    unsaved: bool = False  # shown with changes not saved yet (a preview from the console's form)


def get_sheet(db: Database, actor: Actor | None, number: str) -> SheetView:
    """The ticket's sheet (version 0 when none was saved yet: empty but for the engineer, the
    ticket's assignee); actor None: the CLI's administrative read."""
    with db.read() as s:
        if actor is not None:
            require(s, actor, "tickets.read")
        return _view(s, tickets.find_ticket(s, number))


def _view(s: Session, t: Ticket) -> SheetView:
    customer, org, phone, device = contact_of(s, t)
    head: dict[str, Any] = {
        "number": t.number,
        "summary": t.summary,
        "customer": customer.name if customer else "",
        "organisation": org.name if org else "",
        "phone": phone or "",
        "device": f"{device.model} {device.serial}" if device else "",
    }
    sheet = s.get(WorkSheet, t.id)
    if sheet is None:  # a new sheet: the engineer is the ticket's assignee, until changed
        assignee = s.get(Agent, t.assignee_id) if t.assignee_id else None
        if assignee is None:
            return SheetView(**head)
        return SheetView(**head, engineer=assignee.login, engineer_name=assignee.name)
    engineer = s.get(Agent, sheet.engineer_id) if sheet.engineer_id else None
    parts = s.exec(
        select(WorkSheetPart).where(WorkSheetPart.ticket_id == t.id).order_by(col(WorkSheetPart.id))
    ).all()
    return SheetView(
        **head,
        planned_at=sheet.planned_at,
        address=sheet.address,
        engineer=engineer.login if engineer else "",
        engineer_name=engineer.name if engineer else "",
        arrived_at=sheet.arrived_at,
        finished_at=sheet.finished_at,
        work_done=sheet.work_done,
        signed_by=sheet.signed_by,
        parts=[Part(p.part, p.serial_in, p.serial_out) for p in parts],
        version=sheet.version,
        updated_at=sheet.updated_at,
    )


def save_sheet(
    db: Database,
    actor: Actor,
    number: str,
    *,
    version: int,
    planned_at: datetime | None = None,
    address: str = "",
    engineer: str = "",
    arrived_at: datetime | None = None,
    finished_at: datetime | None = None,
    work_done: str = "",
    signed_by: str = "",
    parts: Sequence[Part] = (),
) -> int:
    """Create or replace the sheet as of `version` (0 for a new one); returns the new version."""
    errors: dict[str, str] = {}
    address = inputs.line(address, "address", WorkSheet.address, errors=errors)
    engineer = inputs.key(engineer)
    work_done = inputs.text(work_done, "work_done", errors=errors)
    signed_by = inputs.line(signed_by, "signed_by", WorkSheet.signed_by, errors=errors)
    parts = [
        Part(
            inputs.line(p.part, f"part{i}", WorkSheetPart.part, errors=errors),
            inputs.line(p.serial_in, f"part{i}", WorkSheetPart.serial_in, errors=errors),
            inputs.line(p.serial_out, f"part{i}", WorkSheetPart.serial_out, errors=errors),
        )
        for i, p in enumerate(parts, 1)
    ]
    if finished_at is not None and arrived_at is None:
        errors["arrived_at"] = "required once the work is finished"
    if finished_at is not None and arrived_at is not None and finished_at < arrived_at:
        errors["finished_at"] = "before the arrival"
    if signed_by and finished_at is None:
        errors["finished_at"] = "required for the customer to sign off"
    for i, p in enumerate(parts, 1):
        if not p.part:
            errors.setdefault(f"part{i}", "name the part")
    if errors:
        raise InvalidInput(errors)

    def work(s: Session) -> int:
        t = lock(s, number)
        require_work(s, actor, t)
        sheet = s.get(WorkSheet, t.id)
        if sheet is None and t.service_mode not in WORKSHEET_MODES:
            raise InvalidInput(
                {
                    "service_mode": later(
                        "{number} is not an on-site, carry-in or mail-in service: no work sheet",
                        number=t.number,
                    )
                }
            )
        current = sheet.version if sheet else 0
        if current != version:
            who = s.get(Agent, _last_sheet_actor(s, t)) if current else None
            raise Conflict(
                later(
                    "{number}'s work sheet was saved meanwhile by {who} (version {version} → {current}). "
                    "Nothing was saved: look at it again and redo your change.",
                    number=t.number,
                    who=who.name if who else later("someone"),
                    version=version,
                    current=current,
                )
            )
        eng = None
        if engineer:
            eng = s.exec(select(Agent).where(Agent.login == engineer)).first()
            if eng is None:
                raise InvalidInput({"engineer": later("no agent '{login}'", login=engineer)})
        now = clock.now()
        if sheet is None:
            assert t.id is not None
            sheet = WorkSheet(ticket_id=t.id, updated_at=now, version=0)
            s.add(sheet)
        sheet.planned_at, sheet.address = planned_at, address
        sheet.engineer_id = eng.id if eng else None
        sheet.arrived_at, sheet.finished_at = arrived_at, finished_at
        sheet.work_done, sheet.signed_by = work_done, signed_by
        sheet.updated_at = now
        sheet.version += 1
        s.flush()
        s.execute(delete(WorkSheetPart).where(col(WorkSheetPart.ticket_id) == t.id))
        for p in parts:
            s.add(
                WorkSheetPart(
                    ticket_id=t.id,  # type: ignore[arg-type]  # a stored ticket has an id
                    part=p.part,
                    serial_in=p.serial_in,
                    serial_out=p.serial_out,
                )
            )
        t.updated_at = now  # the sheet has its own version: the ticket's fields are not disturbed
        state = (
            "signed off by " + sheet.signed_by
            if sheet.signed_by
            else ("finished" if finished_at else ("on site" if arrived_at else "planned"))
        )
        tickets.record_event(
            s,
            t,
            actor.id,
            EVENT_KIND,
            f"work sheet saved ({state}, {len(parts)} parts)",
            data={"sheet_version": sheet.version},
        )
        return sheet.version

    return db.retrying(work)


def _last_sheet_actor(s: Session, t: Ticket) -> int | None:
    from ..models import TicketEvent

    return s.exec(
        select(TicketEvent.actor_id)
        .where(TicketEvent.ticket_id == t.id, TicketEvent.kind == EVENT_KIND)
        .order_by(col(TicketEvent.id).desc())
    ).first()


# The parts table: number, part, serial fitted, serial removed; widths in cells, with the
# 2-cell indent and a 1-cell gap before each column but the first they make 72.
PART_COLUMNS = (3, 25, 20, 19)
LABEL_CELLS = 27  # the longest label, "Customer sign-off 客户签字", is 26 cells


def default_file(number: str) -> Path:
    """Where a sheet is offered to be written: <number>-worksheet.txt in the home directory."""
    return Path.home() / f"{number}-worksheet.txt"


def write_file(path: Path, text: str, *, replace: bool = False) -> Path:
    """Write `text` (a rendered sheet) to `path` as UTF-8 with LF line ends; returns the absolute
    path. FileExistsError when the file exists and not `replace`; OSError when it cannot be written."""
    path = path.expanduser()
    if path.is_dir():  # not a file that exists: nothing to replace
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    with path.open("w" if replace else "x", encoding="utf-8", newline="\n") as f:
        f.write(text)
    return path.absolute()


def render_text(sheet: SheetView, *, timezone: str = "Asia/Shanghai", width: int = 72) -> str:
    """The sheet as plain text for printing, every line at most `width` terminal cells (CJK
    characters count two): bilingual labels, local times, long values wrapped; people's text is
    cleaned again here (clean: text stored before it was cleaned where it entered)."""
    tz = ZoneInfo(timezone)

    def when(value: datetime | None) -> str:
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else "____-__-__ __:__"

    def line(label: str, value: str) -> list[str]:
        rows = wrap(clean(value, single_line=True) or "_" * 20, width - LABEL_CELLS)
        return [pad(label if i == 0 else "", LABEL_CELLS) + row for i, row in enumerate(rows)]

    def columns(*values: str) -> list[str]:
        """One row of the parts table, each value wrapped in its column."""
        cols = [(wrap(clean(v, single_line=True), w), w) for v, w in zip(values, PART_COLUMNS, strict=True)]
        return [
            "  " + " ".join(pad(c[i] if i < len(c) else "", w) for c, w in cols)
            for i in range(max(len(c) for c, _w in cols))
        ]

    rule = "=" * width
    title = shorten(clean(f"WORK SHEET 派工单  {sheet.number}", single_line=True), width)
    out = [
        rule,
        " " * ((width - cells(title)) // 2) + title,
        rule,
        *line("Ticket 工单", f"{sheet.number}  {sheet.summary}"),
        *line("Customer 客户", sheet.customer),
        *line("Organisation 单位", sheet.organisation),
        *line("Phone 电话", sheet.phone),
        *line("Device 设备", sheet.device),
        *line("Address 地址", sheet.address),
        *line("Planned visit 预约时间", when(sheet.planned_at)),
        *line("Engineer 工程师", sheet.engineer_name),
        *line("Arrived 到达时间", when(sheet.arrived_at)),
        *line("Finished 完成时间", when(sheet.finished_at)),
        "-" * width,
        "Work done 处理过程:",
        *("  " + row for row in wrap(clean(sheet.work_done).strip() or "_" * (width - 4), width - 2)),
        "-" * width,
        "Parts replaced 更换部件:",
        *columns("#", "Part", "Serial in", "Serial out"),
        *columns("", "部件", "新件序列号", "旧件序列号"),
    ]
    for i, p in enumerate(sheet.parts, 1):
        out += columns(str(i), p.part, p.serial_in, p.serial_out)
    if not sheet.parts:
        out.append("  (none 无)")
    out += [
        "-" * width,
        *line("Customer sign-off 客户签字", sheet.signed_by),
        *line(
            "Sheet version 版本",
            f"{sheet.version}, changes not saved 含未保存的修改" if sheet.unsaved else str(sheet.version),
        ),
        rule,
    ]
    return "\n".join(row.rstrip() for row in out) + "\n"
