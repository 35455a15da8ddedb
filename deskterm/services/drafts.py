"""Unsaved calls kept on local disk: one draft per agent and desk, written atomically (a temporary
file renamed over the old one), so a console killed mid-call (kill -9, a closed terminal) offers the
call back, complete, at its next start. A draft is removed once its ticket is saved.

A draft belongs to one login on one database (desk_key): it names its caller by the database's id,
which on another desk is somebody else. It is offered only there, and its ids are checked again
before use (restore_draft)."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import clock
from ..db import Database
from ..models import KbArticle
from . import customers
from .auth import Actor, require
from .customers import CallerMatch
from .errors import InvalidInput
from .intake_form import IntakeForm

VERSION = 2


def drafts_dir(settings: Any = None) -> Path:
    configured = getattr(settings, "drafts_dir", None)
    if configured:
        return Path(configured)
    from ..config import data_dir

    return data_dir() / "drafts"


def desk_key(url: Any) -> str:
    """Names a database without its password: a hash of its URL (a SQLite file by its absolute
    path), so that a draft written against one desk is not offered on another."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url) if isinstance(url, str) else url
    parsed = parsed._replace(drivername=parsed.get_backend_name(), password=None)  # (set() keeps a None)
    if parsed.database and parsed.get_backend_name() == "sqlite" and parsed.database != ":memory:":
        parsed = parsed.set(database=os.path.abspath(parsed.database))
    text = parsed.render_as_string(hide_password=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class DraftStore:
    """The draft of one agent's console on one desk (the login and the desk name the file)."""

    def __init__(self, directory: Path, login: str, desk: str) -> None:
        self.directory = Path(directory)
        self.login = login
        self.desk = desk
        safe = re.sub(r"[^A-Za-z0-9._-]", "_", login) or "_"
        tag = hashlib.sha256(f"{login}\0{desk}".encode()).hexdigest()[:12]  # logins 'a b' and 'a_b' differ
        self.path = self.directory / f"intake-{safe}-{tag}.json"

    def save(self, form: dict[str, Any]) -> None:
        """Write the draft; a reader sees the old draft or the new one, never half of one."""
        self.directory.mkdir(parents=True, exist_ok=True)
        payload = json.dumps(
            {
                "version": VERSION,
                "login": self.login,
                "desk": self.desk,
                "saved_at": clock.now().isoformat(),
                "form": form,
            },
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
        """The saved form, or None. An unreadable draft is set aside (renamed), never deleted;
        another login's or another desk's is left alone."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            form = data["form"]
            if not isinstance(form, dict):
                raise ValueError("not a form")
            if (data.get("login"), data.get("desk")) != (self.login, self.desk):
                return None
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


# --- a draft checked against the database ---------------------------------------------------------


@dataclass(frozen=True)
class RestoredDraft:
    form: IntakeForm
    caller: CallerMatch | None  # the caller the draft had picked, still the same one here
    dropped: list[str]  # what the draft named that is not (or no longer) so here: "caller", "article"


def restore_draft(db: Database, actor: Actor, data: dict[str, Any]) -> RestoredDraft:
    """A draft read from disk (drafts.DraftStore), checked against this database before use. It
    names its caller and its article by id, and an id is kept only while it means what it meant
    when the draft was written: the caller picked with the same name and organisation
    (`data["_picked"]`), the article with the same number and title. Otherwise the id is dropped
    and the typed text kept: the operator looks the caller up again. (A device is named by its
    serial and looked up again anyway.)"""
    try:
        form = IntakeForm.from_json(data)
    except (TypeError, ValueError):
        raise InvalidInput({"draft": "not a readable call"}) from None
    picked: dict[str, Any] = data["_picked"] if isinstance(data.get("_picked"), dict) else {}
    dropped: list[str] = []
    match = None
    with db.read() as s:
        require(s, actor, "tickets.create")
        if form.customer_id is not None:
            match = customers.caller(s, form.customer_id)
            meant = (picked.get("name"), picked.get("organisation"))
            if match is None or (match.name, match.organisation) != meant:
                match, form.customer_id = None, None
                dropped.append("caller")
        if form.kb_article_id is not None:
            article = s.get(KbArticle, form.kb_article_id)
            if article is None or form.resolution != f"{article.external_id} {article.title}":
                form.kb_article_id, form.resolution = None, ""
                dropped.append("article")
    return RestoredDraft(form, match, dropped)
