"""The intake script (标准用语) as data: shipped lines for zh and en in scripts_data/scripts.toml,
any line overridable per language in the config file (`scripts`)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent.parent / "scripts_data" / "scripts.toml"
LANGS = ("en", "zh")


class _Keep(dict[str, Any]):
    """format_map values: a placeholder the line does not get stays as written."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, **values: object) -> str:
    """Fill {placeholders}; values are inserted as they are (never parsed again)."""
    try:
        return template.format_map(_Keep({k: "" if v is None else v for k, v in values.items()}))
    except (ValueError, IndexError, AttributeError, KeyError):  # a malformed line from the config
        return template


@dataclass(frozen=True)
class Script:
    lang: str
    greeting: str
    confirmation: str
    confirmation_solved: str
    goodbye: str
    chase_dispatched: str
    chase_replies: tuple[str, ...]
    chase_status: str
    callback: str
    questions: dict[str, str] = field(default_factory=dict)

    def question(self, field_name: str) -> str:
        return self.questions.get(field_name, "")


@cache
def _shipped() -> dict[str, Any]:
    with SHIPPED.open("rb") as f:
        return tomllib.load(f)


def load_script(lang: str, overrides: dict[str, dict[str, Any]] | None = None) -> Script:
    """The script for `lang` (en or zh), with the config's overrides for that language."""
    lang = lang if lang in LANGS else "en"
    lines: dict[str, Any] = dict(_shipped()[lang])
    questions = dict(lines.pop("questions"))
    extra = dict((overrides or {}).get(lang, {}))
    questions.update({k: str(v) for k, v in dict(extra.pop("questions", {})).items()})
    for key, value in extra.items():
        if key in lines:
            lines[key] = list(value) if key == "chase_replies" else str(value)
    return Script(
        lang=lang,
        greeting=lines["greeting"],
        confirmation=lines["confirmation"],
        confirmation_solved=lines["confirmation_solved"],
        goodbye=lines["goodbye"],
        chase_dispatched=lines["chase_dispatched"],
        chase_replies=tuple(lines["chase_replies"]),
        chase_status=lines["chase_status"],
        callback=lines["callback"],
        questions=questions,
    )
