"""Text from outside, made fit to store: the one place every service passes the text it accepts
through, whatever the entry path (console, CLI, JSON, KB import, a gateway).

`text` (free text: descriptions, notes, resolutions, reasons, statements, comments) and `line`
(names, summaries, titles, e-mails, phones: one line) refuse a NUL and a lone surrogate (what bad
UTF-8 becomes when decoded leniently), drop escape sequences and control characters (newline and tab
stay in free text; a line turns them into spaces), trim, and hold the result to its length: the
column's max_length, or LONG_TEXT. `key` cleans a name or number something is looked up by and
never refuses: a bad character simply finds nothing."""

from __future__ import annotations

import functools
from typing import Any

from ..text import SURROGATES, strip_controls
from .errors import InvalidInput

LONG_TEXT = 10_000  # characters of free text: a description, a note, a resolution, a reason


@functools.cache  # a column's attribute is slow to read, and every field asks
def limit_of(column: Any) -> int:
    """A model column's max_length (`Agent.name` → 120)."""
    return int(column.type.length)


def _has_surrogates(value: str) -> bool:
    if value.isascii():
        return False
    try:
        value.encode()  # only a lone surrogate fails, and this is faster than a regular expression
    except UnicodeEncodeError:
        return True
    return False


def _check(value: object, field: str, limit: int | Any, errors: dict[str, str] | None, line: bool) -> str:
    reason = None
    if value is None:
        value = ""
    if not isinstance(value, str):
        value, reason = "", "text"
    elif "\x00" in value:
        reason = "a NUL character is not allowed"
    elif _has_surrogates(value):
        reason = "not valid UTF-8 text"
    text = _safe(value, line) if reason else _plain(value, line)
    size = limit if isinstance(limit, int) else limit_of(limit)
    if reason is None and len(text) > size:
        reason = f"at most {size} characters"
    if reason is not None:
        if errors is None:
            raise InvalidInput({field: reason})
        errors.setdefault(field, reason)
    return text


def text(
    value: object, field: str, *, limit: int | Any = LONG_TEXT, errors: dict[str, str] | None = None
) -> str:
    """Free text as stored. Refused (InvalidInput for `field`, or the reason added to `errors`
    and the cleaned text returned) when it holds a NUL, a lone surrogate or is longer than `limit`
    (characters, or a model column whose max_length applies)."""
    return _check(value, field, limit, errors, line=False)


def line(value: object, field: str, limit: int | Any, *, errors: dict[str, str] | None = None) -> str:
    """A one-line field (a name, a title, a phone) as stored: as `text`, and its line breaks and
    tabs become spaces."""
    return _check(value, field, limit, errors, line=True)


def key(value: str | None) -> str:
    """A name or number to look something up by (a login, a team, a ticket number): cleaned like
    a line, a NUL or lone surrogate made '�' so that it finds nothing; never refused."""
    return _safe(value or "", line=True)


def _safe(value: str, line: bool) -> str:
    """Cleaned and trimmed; a NUL or lone surrogate (refused by text and line) made '�', so that
    even refused text can be looked up or shown without an error."""
    if _has_surrogates(value):
        value = SURROGATES.sub("\ufffd", value)
    return _plain(value.replace("\x00", "\ufffd"), line)


def _plain(value: str, line: bool) -> str:
    text = strip_controls(value)
    if line:
        text = text.replace("\n", " ").replace("\t", " ")
    return text.strip()
