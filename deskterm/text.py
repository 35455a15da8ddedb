"""Text from people, made safe to show and to store: escape sequences and control characters
neutralised. Services clean what they accept with services/inputs.py (built on `strip_controls`);
every output still cleans what it prints (`clean`, `dumps`), for text stored before that."""

from __future__ import annotations

import json
import re
from typing import Any

# CSI; OSC, DCS, SOS, PM and APC strings up to their terminator (BEL or ST); any other ESC and the
# character after it. An unterminated string loses only its ESC and introducer: what follows stays.
_ESCAPES = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[\]PX^_][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])")
# C0 and C1 control characters and DEL, except tab and newline.
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# Lone surrogates: what bad UTF-8 becomes when decoded leniently; no terminal can print them.
SURROGATES = re.compile(r"[\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves raw and a terminal may act on (it escapes only C0).
_JSON_RAW = re.compile(r"[\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def strip_controls(value: str) -> str:
    """`value` without escape sequences and control characters; CR LF and lone CR become newlines,
    tab and newline stay. What services store (see services/inputs.py)."""
    if value.isprintable():  # the usual case, checked at C speed
        return value
    text = value.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS.sub("", _ESCAPES.sub("", text))


def clean(value: object, *, single_line: bool = False) -> str:
    """Return `value` as plain printable text: escape sequences dropped, controls shown as '�'."""
    text = "" if value is None else str(value)
    text = _ESCAPES.sub("", text.replace("\r\n", "\n"))
    text = SURROGATES.sub("\ufffd", _CONTROLS.sub("\ufffd", text))
    if single_line:
        text = " ".join(text.split())
    return text


def dumps(value: Any, **options: Any) -> str:
    """JSON for a terminal or a file: json.dumps(ensure_ascii=False, default=str), with the DEL and
    C1 controls, line separators and lone surrogates it leaves raw written as \\u escapes too (the
    same data to any JSON reader, nothing a terminal acts on)."""
    text = json.dumps(value, ensure_ascii=False, default=str, **options)
    return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def cells(value: str) -> int:
    """How many terminal cells `value` takes: CJK and emoji count two, combining marks none."""
    from rich.cells import cell_len

    return cell_len(value)


def graphemes(value: str) -> list[tuple[str, int]]:
    """`value` as the characters a reader sees (a base and its combining marks, an emoji with its
    variation selector or joined parts), each with the terminal cells it takes."""
    from rich.cells import split_graphemes

    spans, _total = split_graphemes(value)
    return [(value[start:end], size) for start, end, size in spans]


def shorten(value: str, width: int) -> str:
    """Cut `value` to at most `width` terminal cells, ending in "…" when cut (CJK characters and
    emoji count two, combining marks none; a character is never cut from its marks or joined parts)."""
    if cells(value) <= width:
        return value
    if width <= 0:
        return ""
    room, used, kept = width - 1, 0, []  # one cell for the ellipsis
    for grapheme, size in graphemes(value):
        if used + size > room:
            break
        kept.append(grapheme)
        used += size
    return "".join(kept) + "…"


def pad(value: str, width: int, *, right: bool = False) -> str:
    """`value` cut or filled with spaces to exactly `width` terminal cells (for columns of plain
    text: work sheets, CLI tables); `right` aligns it to the right."""
    text = shorten(value, width)
    filled = " " * (width - cells(text)) + text if right else text + " " * (width - cells(text))
    while cells(filled) < width:  # a stray joiner at the end joined the first space to it
        filled += " "
    return filled


def wrap(value: str, width: int) -> list[str]:
    """`value` as lines of at most `width` terminal cells (one line at least): broken at spaces
    where it can, inside a word only when the word alone is too wide, and before or after any wide
    (CJK) character, which needs no space; tabs count as one space, newlines start a new line."""
    width = max(width, 2)  # room for one wide character
    lines: list[str] = []
    for paragraph in value.replace("\t", " ").splitlines() or [""]:
        line, used = "", 0
        for token in _tokens(paragraph):
            text, size = "".join(g for g, _ in token), sum(n for _, n in token)
            if text.isspace():
                if line and used + size < width:
                    line, used = line + text, used + size
                elif line:  # a break: the spaces go with it
                    lines.append(line)
                    line, used = "", 0
                continue
            if used + size > width and line:
                lines.append(line.rstrip())
                line, used = "", 0
            for grapheme, n in token if size > width else [(text, size)]:
                if used + n > width:
                    lines.append(line)
                    line, used = "", 0
                line, used = line + grapheme, used + n
        lines.append(line.rstrip())
    return lines


def _tokens(paragraph: str) -> list[list[tuple[str, int]]]:
    """The pieces a line may be broken between: runs of spaces, words, single wide characters."""
    tokens: list[list[tuple[str, int]]] = []
    kind = ""
    for grapheme, size in graphemes(paragraph):
        now = "space" if grapheme.isspace() else ("wide" if size > 1 else "word")
        if now == kind and now != "wide":
            tokens[-1].append((grapheme, size))
        else:
            tokens.append([(grapheme, size)])
        kind = now
    return tokens
