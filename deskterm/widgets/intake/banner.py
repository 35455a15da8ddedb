"""The intake's banner under the script line: an error (a save refused), a piece of news (a
complaint, first-contact resolution), or how after-call work ends."""

from __future__ import annotations

from textual.widgets import Static

from ...i18n import _
from ...text import clean


class Banner(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self.acw_hint = False  # it says how after-call work ends

    def say(self, message: str, kind: str = "") -> None:
        """`kind`: error, info, or "" (hidden when empty)."""
        self.acw_hint = False
        self.update(clean(message))
        self.set_class(kind == "error", "-error")
        self.set_class(kind == "info", "-info")

    def not_saved(self, error: Exception, retry_seconds: float) -> None:
        self.say(
            _(
                "Not saved: {reason}. Nothing is lost; retrying every {n} s (Ctrl+R retries now).",
                reason=str(error),
                n=int(retry_seconds),
            ),
            "error",
        )

    def after_call(self) -> None:
        self.say(_("After-call work: F9 when ready, or take the next call."), "info")
        self.acw_hint = True

    def follow(self, state: str) -> None:
        """The agent's state changed: the after-call hint goes once they are no longer wrapping up."""
        if self.acw_hint and state != "after_call":
            self.say("")
