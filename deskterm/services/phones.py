"""Phone numbers as callers give them (DOMAIN.md): lookup matches on the digits, with or without
the country prefix, whatever the separators; extensions are kept apart."""

from __future__ import annotations

import re
import unicodedata

# "转 8021", "ext. 12", "x12", "#12" — the extension is not part of the number we look up.
_EXTENSION = re.compile(r"(?:转|分机|ext\.?|extension|x|#)\s*(\d{1,6})\s*$", re.IGNORECASE)
HOME_COUNTRY = "86"
_DIGIT = re.compile(r"\d")  # any script's decimal digit (str patterns are Unicode)


def ascii_text(raw: str) -> str:
    """Full-width forms (＋８６ １３８…, （０１０）, ｅｘｔ) and every other script's decimal digits
    (Arabic-Indic ١٣٨, Devanagari १३८…) as ASCII, so a number stores and looks up the same digits
    whatever keyboard or input method typed it. Every function here starts from this."""
    if raw.isascii():
        return raw
    return _DIGIT.sub(lambda m: str(unicodedata.decimal(m.group())), unicodedata.normalize("NFKC", raw))


def split_extension(raw: str) -> tuple[str, str]:
    raw = ascii_text(raw).strip()
    m = _EXTENSION.search(raw)
    if not m:
        return raw, ""
    return raw[: m.start()].strip(), m.group(1)


def digits(raw: str) -> str:
    """The digits we store and look up: national form for the home country (no +86 / 0086),
    full international digits for other countries; extension dropped."""
    number, _ext = split_extension(raw)
    international = number.lstrip().startswith(("+", "00"))
    d = re.sub(r"[^0-9]", "", number)
    if number.lstrip().startswith("00"):
        d = d[2:]
    # +86 138..., 0086 138..., or a bare 86 before a 11-digit mobile: the home country's prefix
    if d.startswith(HOME_COUNTRY) and (international or (len(d) == 13 and d[2] == "1")):
        d = d[len(HOME_COUNTRY) :]
        # A landline written +86 21 6123 4567 (or +86 10 8765 4321) is dialled 021 6123 4567 at
        # home; only a mobile (11 digits from 1) has no trunk 0; "+86 (0)21 ..." keeps its own 0.
        if d and not d.startswith("0") and not _mobile_so_far(d):
            d = "0" + d
    return d


def _mobile_so_far(d: str) -> bool:
    """A Chinese mobile, or the start of one: 1 then 3-9, at most 11 digits. Beijing's area code
    10 is not one (1 then 0)."""
    return d[0] == "1" and (len(d) == 1 or d[1] in "3456789") and len(d) <= 11


def lookup_digits(typed: str) -> str:
    """What the operator typed, reduced to the digits to match (a prefix of stored digits)."""
    number, _ext = split_extension(typed)
    return digits(number) if number.startswith(("+", "00")) else re.sub(r"[^0-9]", "", number)


def is_plausible(raw: str) -> bool:
    d = digits(raw)
    return 5 <= len(d) <= 15


def lookup_variants(typed: str) -> list[str]:
    """The digit prefixes to look up for what the operator typed: as typed, and without a bare
    home-country prefix ("86 138…" typed without the "+"), since stored numbers are national."""
    typed = ascii_text(typed)
    first = lookup_digits(typed)
    variants = [first] if first else []
    if first.startswith(HOME_COUNTRY) and not typed.strip().startswith(("+", "00")):
        rest = first[len(HOME_COUNTRY) :]
        if rest:
            variants.append(rest if rest.startswith("0") or _mobile_so_far(rest) else "0" + rest)
    return variants


def ending_variants(typed: str) -> list[str]:
    """The digit endings to look up: the number as lookup_variants reads it, and the digits as typed
    (an ending has no prefix: "0012", the last four digits, is not "00" and the country 12)."""
    plain = re.sub(r"[^0-9]", "", split_extension(typed)[0])
    return list(dict.fromkeys([*lookup_variants(typed)[:1], plain]))


def prefix_bounds(prefix: str) -> tuple[str, str | None]:
    """[low, high) of the strings of digits starting with `prefix`, for an index range scan
    (works under any collation, unlike LIKE 'p%' on PostgreSQL)."""
    stem = prefix.rstrip("9")
    if not stem:
        return prefix, None
    return prefix, stem[:-1] + chr(ord(stem[-1]) + 1)
