"""Phone numbers as callers give them (DOMAIN.md): lookup matches on the digits, with or without
the country prefix, whatever the separators; extensions are kept apart."""

from __future__ import annotations

import re

# "转 8021", "ext. 12", "x12", "#12" — the extension is not part of the number we look up.
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
HOME_COUNTRY = "86"


def split_extension(raw: str) -> tuple[str, str]:
    m = _EXTENSION.search(raw.strip())
    if not m:
        return raw.strip(), ""
    return raw[: m.start()].strip(), m.group(1)


def digits(raw: str) -> str:
    """The digits we store and look up: national form for the home country (no +86 / 0086),
    full international digits for other countries; extension dropped."""
    number, _ext = split_extension(raw)
    international = number.lstrip().startswith(("+", "00"))
    d = re.sub(r"\D", "", number)
    if number.lstrip().startswith("00"):
        d = d[2:]
    # +86 138..., 0086 138..., or a bare 86 before a 11-digit mobile: the home country's prefix
    if d.startswith(HOME_COUNTRY) and (international or (len(d) == 13 and d[2] == "1")):
        d = d[len(HOME_COUNTRY) :]
        # a landline written +86 21 6123 4567 is dialled 021 6123 4567 at home
        if d and d[0] != "1":
            d = "0" + d
    return d


def lookup_digits(typed: str) -> str:
    """What the operator typed, reduced to the digits to match (a prefix of stored digits)."""
    return digits(typed) if typed.strip().startswith(("+", "00")) else re.sub(r"\D", "", typed)


def is_plausible(raw: str) -> bool:
    d = digits(raw)
    return 5 <= len(d) <= 15
