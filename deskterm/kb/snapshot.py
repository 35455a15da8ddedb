"""The search index as bytes, so that a process loads the index instead of building it.

Plain data only (nothing in it is ever executed, unlike a pickle): a JSON header with the
articles' fields and the vocabulary, then flat arrays of numbers - the posting lists of every
term end to end, their offsets, the articles' scores and field lengths. A CRC over all of it
catches a damaged copy; `load` then raises CorruptSnapshot and the caller builds afresh.

A snapshot fits the code and the synonyms that made it: `key` names both, and a snapshot
stored under another key is never loaded (a new deskterm, an edited synonym list: built anew).
"""

from __future__ import annotations

import hashlib
import json
import sys
import zlib
from array import array
from operator import gt
from pathlib import Path
from typing import Any

from deskterm.kb.engine import KbIndex, Postings, _Meta, _no_gc
from deskterm.kb.synonyms import Synonyms

MAGIC = b"DKBI"
FORMAT = 1
# the modules whose code decides what goes into an index (terms, weights, concepts)
_SHAPING = ("engine.py", "text.py", "synonyms.py", "snapshot.py")
_CODED = ("category", "lang", "status")  # the _Meta fields between title and score, in order


class CorruptSnapshot(ValueError):
    """The bytes are not a whole, intact snapshot."""


def key(synonyms: Synonyms) -> str:
    """What a snapshot must have been made with to be loaded: this code, these synonyms."""
    h = hashlib.sha256(f"{FORMAT} {sys.byteorder}".encode())
    here = Path(__file__).parent
    for name in _SHAPING:
        h.update((here / name).read_bytes())
    h.update(json.dumps(synonyms.groups, ensure_ascii=False).encode())
    return h.hexdigest()


def dump(index: KbIndex) -> bytes:
    """The index as bytes (its caches are left out: they are rebuilt on use)."""
    meta = index._meta
    terms: list[str] = []
    offsets = array("I", [0])
    ids, ws, wb = array("I"), array("f"), array("f")
    for term, (i, s, b) in index._post.items():
        terms.append(term)
        ids.extend(i)
        ws.extend(s)
        wb.extend(b)
        offsets.append(len(ids))
    alive = [m for m in meta if m is not None]
    surface = sorted(index._surface)  # sorted: as query expansion wants them
    header: dict[str, Any] = {
        "format": FORMAT,
        "docs": len(meta),
        "removed": [n for n, m in enumerate(meta) if m is None],
        "len_total": index._len_total,
        "dead": index._dead,
        "keys": [m.key for m in alive],
        "titles": [m.title for m in alive],
        "terms": terms,
        "surface": surface,
        # most words are their own term: only the others
        "stemmed": {w: index._surface[w] for w in surface if index._surface[w] != w},
    }
    arrays: dict[str, array] = {
        "scores": array("d", (m.score for m in alive)),
        "lens": array("I", (n for m in alive for n in m.lens)),
    }
    for name in _CODED:  # few distinct values: each article gets the number of its value
        values: dict[str, int] = {}
        arrays[name] = array("I", (values.setdefault(getattr(m, name), len(values)) for m in alive))
        header[name] = list(values)
    # the postings last, each start a multiple of 8 bytes from the start of the data
    arrays |= {"offsets": offsets, "ids": ids, "ws": ws, "wb": wb}
    header["arrays"] = [[name, a.typecode, len(a)] for name, a in arrays.items()]
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode()
    head += b" " * (-(len(head) + 4) % 8)
    body = b"".join([len(head).to_bytes(4, "little"), head, *(a.tobytes() for a in arrays.values())])
    return MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


def load(data: bytes, synonyms: Synonyms) -> KbIndex:
    """The index `dump` wrote; CorruptSnapshot if the bytes are damaged or not a snapshot. The
    index keeps `data` (its posting lists are read from it as searches need them)."""
    view = memoryview(data)
    if len(data) < 12 or bytes(view[:4]) != MAGIC:
        raise CorruptSnapshot("not a search index snapshot")
    if zlib.crc32(view[8:]) != int.from_bytes(view[4:8], "little"):
        raise CorruptSnapshot("the snapshot is damaged (checksum)")
    size = int.from_bytes(view[8:12], "little")
    try:
        with _no_gc():  # tens of thousands of objects that all live on
            header = json.loads(bytes(view[12 : 12 + size]))
            return _from_parts(header, _arrays(header, view[12 + size :]), synonyms)
    except CorruptSnapshot:
        raise
    except (ValueError, TypeError, KeyError, IndexError, AttributeError) as e:
        raise CorruptSnapshot(f"the snapshot does not hold together ({e})") from None


def _arrays(header: dict[str, Any], view: memoryview) -> dict[str, memoryview]:
    """Each array's bytes, by name (not copied)."""
    out = {}
    pos = 0
    for name, typecode, count in header["arrays"]:
        end = pos + count * array(typecode).itemsize
        if end > len(view):
            raise CorruptSnapshot("the snapshot is cut short")
        out[name] = view[pos:end]
        pos = end
    if pos != len(view):
        raise CorruptSnapshot("the snapshot has bytes left over")
    return out


def _numbers(raw: dict[str, memoryview], name: str, typecode: str) -> array:
    a = array(typecode)
    a.frombytes(raw[name])
    return a


def _from_parts(header: dict[str, Any], raw: dict[str, memoryview], synonyms: Synonyms) -> KbIndex:
    if header["format"] != FORMAT:
        raise CorruptSnapshot(f"snapshot format {header['format']}, expected {FORMAT}")
    keys, terms = header["keys"], header["terms"]
    n = len(keys)
    scores, lens, offsets = (
        _numbers(raw, k, c) for k, c in (("scores", "d"), ("lens", "I"), ("offsets", "I"))
    )
    coded = [[header[name][v] for v in _numbers(raw, name, "I")] for name in _CODED]
    flat = (raw["ids"], raw["ws"], raw["wb"])
    if (
        len(header["titles"]) != n
        or len(scores) != n
        or len(lens) != 2 * n
        or any(len(c) != n for c in coded)
    ):
        raise CorruptSnapshot("the articles' fields differ in number")
    postings = len(flat[0]) // 4
    if len(offsets) != len(terms) + 1 or offsets[0] != 0 or offsets[-1] != postings:
        raise CorruptSnapshot("the posting offsets do not match the postings")
    if any(map(gt, offsets, offsets[1:])) or not len(flat[0]) == len(flat[1]) == len(flat[2]):
        raise CorruptSnapshot("the posting offsets do not match the postings")
    removed = header["removed"]
    if header["docs"] != n + len(removed):
        raise CorruptSnapshot("the number of articles does not add up")
    idx = KbIndex(synonyms)
    metas = list(map(_Meta, keys, header["titles"], *coded, scores, zip(lens[::2], lens[1::2], strict=True)))
    if removed:
        alive = iter(metas)
        gone = set(removed)
        idx._meta = [None if i in gone else next(alive) for i in range(header["docs"])]
    else:
        idx._meta = metas  # type: ignore[assignment]
    idx._ids = dict(zip(keys, (i for i, m in enumerate(idx._meta) if m is not None), strict=True))
    if len(idx._ids) != n:
        raise CorruptSnapshot("an article key appears twice")
    idx._post = Postings.flat(terms, offsets, flat)
    surface = header["surface"]
    idx._surface = dict(zip(surface, surface, strict=True))
    idx._surface.update(header["stemmed"])
    idx._vocab_sorted = list(surface) if surface == sorted(surface) else None
    total = header["len_total"]
    idx._len_total = [int(total[0]), int(total[1])]
    idx._dead = int(header["dead"])
    return idx
