"""The intake's banner under the script line: an error (a save refused), a piece of news (a
complaint, first-contact resolution), or how after-call work ends. A save the database lost is
retried from here every RETRY_SECONDS until it goes through or the call is dropped."""

from __future__ import annotations

from collections.abc import Callable

from textual.timer import Timer
from textual.widgets import Static

from ...i18n import _
from ...text import clean

RETRY_SECONDS = 5.0


class Banner(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.acw_hint = False  # it says how after-call work ends
        self._retry_timer: Timer | None = None

    def say(self, message: str, kind: str = "") -> None:
        """`kind`: error, info, or "" (hidden when empty)."""
        self.acw_hint = False
        self.update(clean(message))
        self.set_class(kind == "error", "-error")
        self.set_class(kind == "info", "-info")

    def not_saved(self, error: Exception, retry: Callable[[], None]) -> None:
        """The database lost the save (the connection, a timeout): said, and `retry` is called in
        RETRY_SECONDS (a retry that fails again comes back here)."""
        self.say(
            _(
                "Not saved: {reason}. Nothing is lost; retrying every {n} s (Ctrl+R retries now).",
                reason=str(error),
                n=int(RETRY_SECONDS),
            ),
            "error",
        )
        self.cancel_retry()
        self._retry_timer = self.set_timer(RETRY_SECONDS, retry)

    def cancel_retry(self) -> None:
        """No retry is due (retried now, or the call is gone)."""
        if self._retry_timer is not None:
            self._retry_timer.stop()
            self._retry_timer = None

    def after_call(self) -> None:
        self.say(_("After-call work: F9 when ready, or take the next call."), "info")
        self.acw_hint = True

    def follow(self, state: str) -> None:
        """The agent's state changed: the after-call hint goes once they are no longer wrapping up."""
        if self.acw_hint and state != "after_call":
            self.say("")
