"""What every deskterm screen shares: service calls off the UI thread, safe text, translated keys."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.binding import Binding
from textual.dom import DOMNode
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, get_current_worker

from ..i18n import _

if TYPE_CHECKING:
    from ..app import DeskApp

T = TypeVar("T")


def call_service(
    node: DOMNode,
    fn: Callable[..., T],
    *args: Any,
    done: Callable[[T], Any] | None = None,
    failed: Callable[[Exception], Any] | None = None,
    group: str = "service",
    exclusive: bool = True,
    **kwargs: Any,
) -> Worker[None]:
    """Run a service function in a thread worker; deliver its result on the UI thread.

    A newer call in the same group supersedes an older one: the stale result is dropped.
    Errors a user can cause go to `failed` (or a notification); bugs go to the app's handler."""
    app: DeskApp = node.app  # type: ignore[assignment]

    def job() -> None:
        worker = get_current_worker()
        try:
            result = fn(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - sorted into user errors and bugs below
            if not worker.is_cancelled:
                app.call_from_thread(app.handle_service_error, e, failed)
            return
        if done is not None and not worker.is_cancelled:
            app.call_from_thread(done, result)

    return node.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)


def translated(bindings: list[Binding]) -> list[Binding]:
    return [dataclasses.replace(b, description=_(b.description)) if b.description else b for b in bindings]


class DeskScreen(Screen[None]):
    """A top-level screen of the console."""

    TITLE_TEXT = ""

    @property
    def desk(self) -> DeskApp:
        return self.app  # type: ignore[return-value]

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Worker[None]:
        return call_service(self, fn, *args, **kwargs)

    def _on_mount(self, event: Any) -> None:
        super()._on_mount(event)
        self.desk.subscribers.add(self)  # receive the change feed (on_desk_changes)

    def _on_unmount(self) -> None:
        self.desk.subscribers.discard(self)
        super()._on_unmount()

    def on_desk_changes(self, changes: list[Any]) -> None:
        """Called by the app when others changed tickets; screens that show tickets override it."""


class DeskModal(ModalScreen[T]):
    """A dialog that returns a value with dismiss(); Esc cancels."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="dialog.cancel")]

    @property
    def desk(self) -> DeskApp:
        return self.app  # type: ignore[return-value]

    def call(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Worker[None]:
        return call_service(self, fn, *args, **kwargs)

    def action_cancel(self) -> None:
        self.dismiss(None)
