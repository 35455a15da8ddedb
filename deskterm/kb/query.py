"""Query expansion for the KB search engine (engine.py): a query becomes groups of alternative
terms - the word itself, its prefix completions, typo corrections from the vocabulary, synonym
concepts. rapidfuzz only ever looks at the vocabulary of words, never at the documents."""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING

from rapidfuzz import process
from rapidfuzz.distance import OSA

from deskterm.kb.synonyms import Synonyms
from deskterm.kb.text import COMMON_WORDS, STOPWORDS, has_cjk, stem, words

if TYPE_CHECKING:
    from deskterm.kb.engine import Postings

CONCEPT_FACTOR = 0.8  # a synonym counts a little less than the caller's own word
PREFIX_FACTOR = (0.85, 0.5)  # completion of a fragment / of a word that is itself indexed
FUZZY_FACTOR = {1: 0.8, 2: 0.6}  # by edit distance (OSA: a swap counts as one edit)
MAX_COMPLETIONS = 12


@dataclass(slots=True)
class Group:
    alts: list[tuple[str, float]]  # (term, factor)
    span: tuple[int, int]  # characters of the query it stands for
    concept: bool = False
    counts: bool = True  # part of the coverage (not for the joined form of a compound)
    weight: float = 1.0


class QueryExpansion:
    """The index's vocabulary side: how a query is parsed into groups of alternative terms. Mixed
    into KbIndex, whose postings and vocabulary it reads."""

    _syn: Synonyms
    _ids: dict[str, int]
    _post: Postings
    _dead: int
    _surface: dict[str, str]  # English surface word -> its index term
    _vocab_sorted: list[str] | None
    _vocab_by_len: dict[int, list[str]] | None
    _cjk_by_char: dict[str, list[str]] | None
    _expand_cache: dict[tuple[str, str, bool], list[tuple[str, float]]]

    def _df(self, term: str) -> int:
        return self._post.df(term)

    def _idf(self, term: str) -> float:
        n = len(self._ids) + self._dead
        df = self._df(term)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _has(self, term: str) -> bool:
        return term in self._post

    def _expand_word(self, part: str, mode: str, last: bool) -> list[tuple[str, float]]:
        """Alternatives for one English word or code as typed: itself, completions, fixes."""
        ck = (part, mode, last)
        got = self._expand_cache.get(ck)
        if got is not None:
            return got
        alts: dict[str, float] = {}
        term = stem(part)
        exact = self._has(term)
        if exact:
            alts[term] = 1.0
        if mode in ("all", "partial", "statements") and len(part) >= 2 and (last or not exact):
            factor = PREFIX_FACTOR[1 if exact else 0]
            for w in self._completions(part):
                t = self._surface[w]
                if t != term and self._has(t):
                    # a longer completion is a weaker guess of what is being typed
                    f = factor * (0.75 + 0.25 * len(part) / len(w))
                    if f > alts.get(t, 0.0):
                        alts[t] = f
        if (
            mode in ("all", "fuzzy", "statements")
            and not exact
            and len(part) >= 4
            and part.isalpha()
            and part not in COMMON_WORDS
        ):
            for t, f in self._typo_fixes(part):
                if f > alts.get(t, 0.0):
                    alts[t] = f
        out = sorted(alts.items(), key=itemgetter(1), reverse=True)
        if len(self._expand_cache) > 50_000:
            self._expand_cache.clear()
        self._expand_cache[ck] = out
        return out

    def _completions(self, prefix: str) -> list[str]:
        if self._vocab_sorted is None:
            self._vocab_sorted = sorted(self._surface)
        v = self._vocab_sorted
        i = bisect.bisect_right(v, prefix)  # skips the word itself
        found = []
        while i < len(v) and v[i].startswith(prefix):
            found.append(v[i])
            i += 1
            if len(found) > 400:  # a very short prefix: keep the common ones below
                break
        if len(found) > MAX_COMPLETIONS:
            found = heapq.nlargest(MAX_COMPLETIONS, found, key=lambda w: self._df(self._surface[w]))
        return found

    def _typo_fixes(self, part: str) -> list[tuple[str, float]]:
        if self._vocab_by_len is None:
            by_len: dict[int, list[str]] = {}
            for w in self._surface:
                if w.isalpha():
                    by_len.setdefault(len(w), []).append(w)
            self._vocab_by_len = by_len
        maxd = 1 if len(part) <= 5 else 2
        pool: list[str] = []
        for n in range(len(part) - maxd, len(part) + maxd + 1):
            pool.extend(self._vocab_by_len.get(n, ()))
        fixes: dict[str, float] = {}
        for w, d, _ in process.extract(part, pool, scorer=OSA.distance, score_cutoff=maxd, limit=20):
            t = self._surface[w]
            f = FUZZY_FACTOR.get(int(d), 0.0) * (0.75 if len(part) <= 4 else 1.0)
            if f > fixes.get(t, 0.0):
                fixes[t] = f
        return list(fixes.items())

    def _expand_cjk(self, gram: str) -> list[tuple[str, float]]:
        if len(gram) >= 2:
            return [(gram, 1.0)] if self._has(gram) else []
        # one character typed: the bigrams that contain it
        if self._cjk_by_char is None:
            by_char: dict[str, list[str]] = {}
            for t in self._post:
                if len(t) == 2 and has_cjk(t):
                    for ch in set(t):
                        by_char.setdefault(ch, []).append(t)
            self._cjk_by_char = by_char
        grams = set(self._cjk_by_char.get(gram, ()))
        best = heapq.nlargest(MAX_COMPLETIONS, grams, key=self._df)
        return [(g, 0.7) for g in best]

    def _parse(self, q: str, mode: str) -> list[Group]:
        groups: list[Group] = []
        ws = [w for w in words(q) if not w.stop]
        for n, w in enumerate(ws):
            if w.cjk:
                # a run of n bigrams stands for about one word, not n of them
                weight = 2 / (len(w.terms) + 1)
                for i, g in enumerate(w.terms):
                    span = (w.start + i, w.start + i + len(g))
                    groups.append(Group(self._expand_cjk(g), span, weight=weight))
                continue
            # only the last word may be unfinished when it is itself a word ("dock" -> "docking")
            last = n == len(ws) - 1
            parts = w.surface.replace("_", "-").split("-")
            pos = w.start
            for p in parts:
                if p and p not in STOPWORDS:
                    alts = self._expand_word(p, mode, last)
                    groups.append(Group(list(alts), (pos, pos + len(p))))
                pos += len(p) + 1
            if len(parts) > 1 and len(parts) <= 3:
                joined = "".join(parts)
                alts = self._expand_word(joined, mode, last)
                groups.append(Group(list(alts), (w.start, w.end), counts=False))
        seen: set[tuple[str, int, int]] = set()
        for found in self._syn.find(q):
            concept, start, end = found
            if found in seen or not self._has(concept):
                continue
            seen.add(found)
            inside = [g for g in groups if g.counts and g.span[0] < end and start < g.span[1]]
            if len(inside) == 1 and not has_cjk(q[start:end]):
                # a synonym of one word is another way to match that word, not an extra word
                inside[0].alts.append((concept, CONCEPT_FACTOR))
            else:
                groups.append(Group([(concept, CONCEPT_FACTOR)], (start, end), concept=True))
        return groups
