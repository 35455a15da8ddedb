"""The call in progress as a draft on disk (services/drafts.py): written on every change (once
for all the keys handled in one turn of the event loop, in a thread, in order), found again when
the console died mid-call (`Found`: the screen asks whether to restore it), checked against this
database before it comes back (`Restored`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from textual.message import Message

from ...i18n import _
from ...services import intake
from ...services.customers import CallerMatch
from ...services.drafts import DraftStore, desk_key, drafts_dir
from ...services.intake import IntakeForm, RestoredDraft
from ...text import clean
from ..service import ServiceDone
from .base import DeskWidget
from .pop import local_time


class DraftLoaded(ServiceDone[dict[str, Any] | None]):
    """The draft left on disk by a console that died mid-call (None: none)."""


class DraftChecked(ServiceDone[RestoredDraft]):
    """The draft, checked against this database."""


class DraftKeeper(DeskWidget):
    """No view of its own."""

    DEFAULT_CSS = "DraftKeeper { display: none; }"

    class Found(Message):
        """A draft worth offering back: `question` asks the operator."""

        def __init__(self, data: dict[str, Any], question: str) -> None:
            super().__init__()
            self.data = data
            self.question = question

    class Restored(Message):
        def __init__(self, restored: RestoredDraft) -> None:
            super().__init__()
            self.restored = restored

    def __init__(
        self, snapshot: Callable[[], tuple[IntakeForm, bool, CallerMatch | None]], *, id: str | None = None
    ) -> None:
        """`snapshot()`: the form as typed, whether its device is known, the caller picked."""
        super().__init__(id=id)
        self.snapshot = snapshot
        self.dirty = False  # typed since the last write
        self.checked = False  # the disk was looked at (and a draft found offered)
        self._due = False  # a write is due at the end of this turn of the event loop
        self._sequence = 0  # writes asked for (on the UI thread)
        self._written = 0  # the newest of them done (in the writers' threads, under the lock)
        self._lock = threading.Lock()

    def store(self) -> DraftStore:
        desk = self.desk
        assert desk.actor is not None and desk.database is not None
        return DraftStore(drafts_dir(desk.settings), desk.actor.login, desk_key(desk.database.engine.url))

    def on_mount(self) -> None:
        self.call(self.store().load, result=DraftLoaded, group="draft-load")

    def on_draft_loaded(self, message: DraftLoaded) -> None:
        self.checked = True
        data = message.value
        if not data:
            return
        form = IntakeForm.from_json(data)
        if not any(
            v.strip() for v in (form.name, form.organisation, form.phone, form.description, form.summary)
        ):
            self.discard()  # nothing worth offering back
            return
        at = form.call_started_at
        started = local_time(at, self.desk.settings) if at else "?"
        who = " · ".join(clean(v, single_line=True) for v in (form.name, form.phone) if v.strip())
        question = _(
            "An unsaved call from {time} was found: {who}. Restore it?", time=started, who=who or "—"
        )
        self.post_message(self.Found(data, question))

    def restore(self, data: dict[str, Any]) -> None:
        """The operator wants it back: its ids are checked against this database first."""
        self.call_desk(
            intake.restore_draft,
            data,
            result=DraftChecked,
            group="draft-restore",
        )

    def on_draft_checked(self, message: DraftChecked) -> None:
        self.notify(_("The unsaved call is back: check it and save."), markup=False)
        if "article" in message.value.dropped:
            self.notify(
                _("The solution chosen in this draft is not the same on this desk: choose it again."),
                severity="warning",
                markup=False,
            )
        self.post_message(self.Restored(message.value))

    def mark(self) -> None:
        """The call changed: on disk once this turn of the event loop is over (one write for every
        key handled in it), so a console killed after a key has that key in its draft."""
        self.dirty = True
        if not self._due:
            self._due = True
            self.call_later(self._flush)

    def _flush(self) -> None:
        self._due = False
        if not self.dirty or self.desk.actor is None:
            return
        self.dirty = False
        form, device_known, picked = self.snapshot()
        data = form.as_json()
        data["_device_known"] = device_known
        if picked is not None:  # what the caller's id meant: checked again on restore
            data["_picked"] = {"name": picked.name, "organisation": picked.organisation}
        self._write(data)

    def discard(self) -> None:
        self.dirty = False
        self._write(None)

    def _write(self, data: dict[str, Any] | None) -> None:
        """Write `data` (None: remove the draft) off the UI thread."""
        self._sequence += 1
        self.call(self._in_order, self.store(), self._sequence, data, group="draft")

    def _in_order(self, store: DraftStore, sequence: int, data: dict[str, Any] | None) -> None:
        """A write that comes after a newer one is skipped: the disk never goes back to older text."""
        with self._lock:
            if sequence <= self._written:
                return
            self._written = sequence
            if data is None:
                store.remove()
            else:
                store.save(data)
