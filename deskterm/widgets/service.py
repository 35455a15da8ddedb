"""The one way the console runs a service call: in a thread worker, off the UI thread, with the
result posted back as a typed message.

    class Saved(ServiceDone[SaveResult]): ...          # one message type per kind of result
    self.call(intake.save_call, db, actor, form, result=Saved)
    def on_saved(self, message: Saved) -> None: ...     # message.value is the SaveResult

A newer call in the same `group` supersedes an older one (a Textual worker group with
`exclusive=True`): the older result is dropped, so "latest result only" needs no counter of its own.
An error the user caused (a refusal, a lost connection) is posted as `ServiceFailed` to the same
node; it bubbles up to the app, which shows it in the banner, unless a handler on the way stops it
(a dialog showing the refusal in place). Bugs go to the app's handler for internal errors."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from ..i18n import _
from ..services.errors import InvalidInput

if TYPE_CHECKING:
    from ..app import DeskApp

T = TypeVar("T")


class ServiceDone(Message, Generic[T]):
    """A service call returned `value`. Subclass it once per kind of result. It goes to the node
    that made the call and no further (a result is its caller's business)."""

    bubble = False

    def __init__(self, value: T) -> None:
        super().__init__()
        self.value = value


class ServiceFailed(Message):
    """A service call was refused (DeskError, DatabaseError): `call` is the result type asked for,
    so a handler can tell which call failed. Unhandled, the app shows `error` in the banner."""

    def __init__(self, call: type[ServiceDone[Any]] | None, error: Exception) -> None:
        super().__init__()
        self.call = call
        self.error = error


def refusal_text(error: Exception) -> str:
    """A refusal as one line in the console's language: an InvalidInput names each field and its
    reason; another error its message (a reason written with i18n.later, or a text the catalogue
    knows; anything else as it is). Show it literally (it may quote people's text)."""
    if isinstance(error, InvalidInput):
        return "; ".join(f"{_(k)}: {_(v)}" for k, v in error.errors.items())
    message = error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else str(error)
    return _(message)


def call_service(
    node: DOMNode,
    fn: Callable[..., T],
    *args: Any,
    result: type[ServiceDone[T]] | None = None,
    group: str = "service",
    exclusive: bool = True,
    **kwargs: Any,
) -> Worker[None]:
    """Run `fn(*args, **kwargs)` in a thread worker of `node`; post `result(value)` to `node`."""
    app: DeskApp = node.app  # type: ignore[assignment]  # the app is always the DeskApp

    def job() -> None:
        worker = get_current_worker()

        def deliver(message: Message) -> None:
            # Checked on the UI thread, where newer calls are made: no stale result gets through.
            if not worker.is_cancelled:
                node.post_message(message)

        try:
            value = fn(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - sorted into user errors and bugs by the app
            if not worker.is_cancelled:
                app.call_from_thread(
                    app.sort_service_error, error, lambda e: deliver(ServiceFailed(result, e))
                )
            return
        if result is not None:
            app.call_from_thread(deliver, result(value))

    return node.run_worker(job, thread=True, group=group, exclusive=exclusive, exit_on_error=False)
