"""The synonym list: groups of equivalent terms and phrases (English and Chinese).

Each group becomes a *concept* term (``~`` + the group's first member). Wherever a member occurs,
in an article or in a query, the concept is found too, so a caller's "sluggish" meets an
article's "slow" and "无法打开" meets "打不开". English members match on stems (so "printers"
matches "printer"), members with Chinese characters match as substrings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from deskterm.kb.text import CJK, has_cjk, normalize, phrase_stems

_CJK_PAIR_RE = re.compile(f"[{CJK}]{{2}}")
DEFAULT_PATH = Path(__file__).resolve().parents[1] / "scripts_data" / "kb_synonyms.txt"


@dataclass(slots=True)
class Synonyms:
    groups: list[tuple[str, ...]] = field(default_factory=list)
    # English: first stem -> [(stems of the member, concept)]
    _en: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    # Chinese (or mixed) members: their first two-character Chinese run -> [(member, concept)];
    # members with a single Chinese character ("u盘") go by that character in _zh1
    _zh: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    _zh1: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    @classmethod
    def from_lines(cls, lines: list[str] | tuple[str, ...]) -> Synonyms:
        syn = cls()
        for raw in lines:
            line = raw.split("#", 1)[0].replace("，", ",").strip()
            members = tuple(m for m in (normalize(x).strip() for x in line.split(",")) if m)
            if len(members) >= 2:
                syn.add_group(members)
        return syn

    def add_group(self, members: tuple[str, ...]) -> None:
        concept = "~" + members[0]
        self.groups.append(members)
        for m in members:
            if has_cjk(m):
                # a single Chinese character alone would match nearly everything
                if len(m) < 2:
                    continue
                pair = _CJK_PAIR_RE.search(m)
                if pair:
                    self._zh.setdefault(pair.group(), []).append((m, concept))
                else:
                    first = next(ch for ch in m if has_cjk(ch))
                    self._zh1.setdefault(first, []).append((m, concept))
            else:
                stems = tuple(s for s, _, _ in phrase_stems(m))
                if stems:
                    self._en.setdefault(stems[0], []).append((stems, concept))

    def __len__(self) -> int:
        return len(self.groups)

    def concepts_in(self, text: str, seq: list[str], terms: list[str]) -> list[str]:
        """Concepts in normalised ``text`` (indexing): ``seq`` is its English stem sequence,
        ``terms`` its index terms (which hold its Chinese bigrams)."""
        found: list[str] = []
        en = self._en
        starts = en.keys() & set(seq)  # most texts hold few first words of a member
        if starts:
            for i, s in enumerate(seq):
                if s in starts:
                    for stems, concept in en[s]:
                        n = len(stems)
                        if n == 1 or tuple(seq[i : i + n]) == stems:
                            found.append(concept)
        if self._zh and len(terms) > len(seq):  # some Chinese
            for key in self._zh.keys() & set(terms):
                for member, concept in self._zh[key]:
                    found.extend([concept] * text.count(member))
            for ch in self._zh1.keys() & set(text):
                for member, concept in self._zh1[ch]:
                    found.extend([concept] * text.count(member))
        return found

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """Concepts in normalised ``text`` as (concept, start, end) character spans."""
        found: list[tuple[str, int, int]] = []
        if self._en:
            seq = phrase_stems(text)
            for i, (s, start, _) in enumerate(seq):
                for stems, concept in self._en.get(s, ()):
                    n = len(stems)
                    if n == 1:
                        found.append((concept, start, seq[i][2]))
                    elif i + n <= len(seq) and all(seq[i + j][0] == stems[j] for j in range(1, n)):
                        found.append((concept, start, seq[i + n - 1][2]))
        if self._zh or self._zh1:
            chars = set(text)
            keys = [k for k in self._zh if k[0] in chars and k in text]
            keys += [k for k in self._zh1 if k in chars]
            for k in keys:
                for member, concept in self._zh.get(k, ()) or self._zh1.get(k, ()):
                    pos = text.find(member)
                    while pos >= 0:
                        found.append((concept, pos, pos + len(member)))
                        pos = text.find(member, pos + 1)
        return found


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Load a synonym file (default: the shipped ``scripts_data/kb_synonyms.txt``)."""
    p = Path(path) if path is not None else DEFAULT_PATH
    return Synonyms.from_lines(p.read_text(encoding="utf-8").splitlines())
