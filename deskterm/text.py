"""Text from people, made safe to show: control characters and escape sequences neutralised."""

from __future__ import annotations

import re

# CSI / OSC / other ESC sequences, then any remaining C0/C1 control character except tab and newline.
_ESCAPES = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_])")
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean(value: object, *, single_line: bool = False) -> str:
    """Return `value` as plain printable text: escape sequences dropped, controls shown as '�'."""
    text = "" if value is None else str(value)
    text = _ESCAPES.sub("", text.replace("\r\n", "\n"))
    text = _CONTROLS.sub("\ufffd", text)
    if single_line:
        text = " ".join(text.split())
    return text


def shorten(value: str, width: int) -> str:
    """Cut `value` to at most `width` terminal cells (CJK characters count two)."""
    from unicodedata import east_asian_width

    cells = 0
    for i, ch in enumerate(value):
        cells += 2 if east_asian_width(ch) in "WF" else 1
        if cells > width:
            return value[: max(i - 1, 0)] + "…"
    return value
