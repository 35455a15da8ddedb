"""The synonym list: groups of equivalent terms and phrases (English and Chinese).

Each group becomes a *concept* term (``~`` + the group's first member). Wherever a member occurs,
in an article or in a query, the concept is found too, so a caller's "sluggish" meets an
article's "slow" and "无法打开" meets "打不开". English members match on stems (so "printers"
matches "printer"), members with Chinese characters match as substrings.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from deskterm.kb.text import has_cjk, normalize, phrase_stems

DEFAULT_PATH = Path(__file__).resolve().parents[1] / "scripts_data" / "kb_synonyms.txt"


@dataclass(slots=True)
class Synonyms:
    groups: list[tuple[str, ...]] = field(default_factory=list)
    # English: first stem -> [(stems of the member, concept)]
    _en: dict[str, list[tuple[tuple[str, ...], str]]] = field(default_factory=dict)
    # Chinese (or mixed) members: first CJK character -> [(member, concept)]
    _zh: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

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
                first = next(ch for ch in m if has_cjk(ch))
                # a single Chinese character would match nearly everything
                if len(m) >= 2:
                    self._zh.setdefault(first, []).append((m, concept))
            else:
                stems = tuple(s for s, _, _ in phrase_stems(m))
                if stems:
                    self._en.setdefault(stems[0], []).append((stems, concept))

    def __len__(self) -> int:
        return len(self.groups)

    def concepts_in(self, text: str, seq: list[str]) -> list[str]:
        """Concepts in normalised ``text`` whose English stem sequence is ``seq`` (indexing)."""
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
        if self._zh:
            for ch in self._zh.keys() & set(text):
                for member, concept in self._zh[ch]:
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
        if self._zh:
            for ch in self._zh.keys() & set(text):
                for member, concept in self._zh[ch]:
                    pos = text.find(member)
                    while pos >= 0:
                        found.append((concept, pos, pos + len(member)))
                        pos = text.find(member, pos + 1)
        return found


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Load a synonym file (default: the shipped ``scripts_data/kb_synonyms.txt``)."""
    p = Path(path) if path is not None else DEFAULT_PATH
    return Synonyms.from_lines(p.read_text(encoding="utf-8").splitlines())
