"""One translation function for every string the console shows, with English and Simplified
Chinese catalogues: deskterm/locale/<lang>/*.json (English message -> translation), one file per
area of the console, merged."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "简体中文"}
_LOCALE = Path(__file__).parent / "locale"
_current = "en"


@cache
def _catalogue(lang: str) -> dict[str, str]:
    merged: dict[str, str] = {}
    for path in sorted((_LOCALE / lang).glob("*.json")):
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def set_language(lang: str | None) -> str:
    global _current
    _current = lang if lang in LANGUAGES else "en"
    return _current


def language() -> str:
    return _current


class Later(str):
    """A message kept with its values, to be translated where it is shown: as a str it reads as the
    English text filled in (a log, the CLI); `_()` given it translates the template, then fills in
    the values (a value that is itself a Later is translated too; any other value, people's text,
    as it is)."""

    template: str
    values: dict[str, object]

    def __new__(cls, template: str, **values: object) -> Later:
        self = super().__new__(cls, template.format(**values) if values else template)
        self.template, self.values = template, values
        return self


def later(message: str, **values: object) -> str:
    """`message` with its {named} values, translated only when shown (`_()`): for the core, which
    writes refusal reasons before anyone knows the language they are read in."""
    return Later(message, **values)


def _(message: str, **values: object) -> str:
    """Translate `message` into the current language, then fill in {named} values."""
    if isinstance(message, Later) and not values:
        filled = {k: _(v) if isinstance(v, Later) else v for k, v in message.values.items()}
        return _(message.template, **filled)
    text = _catalogue(_current).get(message, message) if _current != "en" else message
    return text.format(**values) if values else text


def _n(singular: str, plural: str, n: int, **values: object) -> str:
    """A count with its noun: `singular` when `n` is 1, else `plural` (English has two forms), each
    translated through the catalogue like any message (Chinese gives both the same text); `n` is
    filled in as {n} with the other named values."""
    return _(singular if n == 1 else plural, n=n, **values)


def missing(lang: str, messages: list[str]) -> list[str]:
    """Messages without a translation (for the catalogue test)."""
    cat = _catalogue(lang)
    return [m for m in messages if m not in cat]
