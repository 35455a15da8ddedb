"""Unsaved calls kept on local disk: one draft per agent, written atomically (a temporary file
renamed over the old one), so a console killed mid-call (kill -9, a closed terminal) offers the
call back, complete, at its next start. A draft is removed once its ticket is saved."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Any

from .. import clock

VERSION = 1


def drafts_dir(settings: Any = None) -> Path:
    configured = getattr(settings, "drafts_dir", None)
    if configured:
        return Path(configured)
    from ..config import data_dir

    return data_dir() / "drafts"


class DraftStore:
    """The draft of one agent's console (the login names the file)."""

    def __init__(self, directory: Path, login: str) -> None:
        self.directory = Path(directory)
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", login) or "_"
        self.path = self.directory / f"intake-{safe}.json"

    def save(self, form: dict[str, Any]) -> None:
        """Write the draft; a reader sees the old draft or the new one, never half of one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {"version": VERSION, "saved_at": clock.now().isoformat(), "form": form},
            ensure_ascii=False,
        )
        fd, tmp = tempfile.mkstemp(prefix=".draft-", dir=self.directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def load(self) -> dict[str, Any] | None:
        """The saved form, or None. An unreadable draft is set aside (renamed), never deleted."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            form = data["form"]
            if not isinstance(form, dict):
                raise ValueError("not a form")
            return form
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError):
            with contextlib.suppress(OSError):
                self.path.replace(self.path.with_suffix(f".unreadable-{clock.now():%Y%m%d%H%M%S}"))
            return None

    def remove(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
