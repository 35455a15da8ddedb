"""What every top-level screen of the console shares: service calls and the change feed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual import events, on
from textual.screen import Screen
from textual.worker import Worker

from ..widgets.service import call_service
from ..widgets.table import NARROW

if TYPE_CHECKING:
    from ..app import DeskApp

T = TypeVar("T")


class DeskScreen(Screen[None]):
    """A top-level screen of the console. Narrower than NARROW, it has the class `-narrow` (its
    CSS lays its panels out for the width; its tables leave out columns: FastTable.fit)."""

    TITLE_TEXT = ""

    @property
    def desk(self) -> DeskApp:
        return self.app  # type: ignore[return-value]  # the app is always the DeskApp

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Worker[None]:
        return call_service(self, fn, *args, **kwargs)

    def _on_mount(self, event: Any) -> None:
        super()._on_mount(event)
        self.desk.subscribers.add(self)  # receive the change feed (on_desk_changes)

    @on(events.Resize)
    def _narrow(self, event: events.Resize) -> None:
        self.set_class(event.size.width < NARROW, "-narrow")

    def _on_unmount(self) -> None:
        self.desk.subscribers.discard(self)
        super()._on_unmount()

    def on_desk_changes(self, changes: list[Any]) -> None:
        """Called by the app when others changed tickets; screens that show tickets override it."""
