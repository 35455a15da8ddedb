"""The knowledge-base search engine: an in-memory inverted index, UI-free and DB-free.

Two fields per article: the *title* field (title, tags, category) and the *body* (statements).
Postings ``term -> (doc ids, BM25F weight over both fields, BM25 weight in the body alone)``
live in compact arrays; the body weight serves the statements-only mode. A query
becomes groups of alternative terms (the word itself, its prefix completions, typo corrections
from the vocabulary, synonym concepts); a document scores the best alternative of each group,
summed over groups (BM25, title weighted most), times how much of the query it covers, times a
small language preference and a *bounded* popularity factor. rapidfuzz only ever looks at the
vocabulary of words, never at the documents.
"""

from __future__ import annotations

import bisect
import gc
import heapq
import sys
import threading
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import compress
from operator import itemgetter

from deskterm.kb.query import Group, QueryExpansion
from deskterm.kb.synonyms import Synonyms, load_synonyms
from deskterm.kb.text import (
    index_terms,
    normalize,
    query_lang,
)

__all__ = ["KbDoc", "KbHit", "KbIndex", "Synonyms", "load_synonyms"]

MODES = ("all", "full", "partial", "fuzzy", "statements")
TITLE, BODY = 0, 1
TITLE_WEIGHT = 3.0  # BM25F: a title word counts three statement words, before saturation
K1 = 1.2
B = (0.5, 0.75)  # length normalisation: titles are short and alike in length
COVERAGE_FLOOR = 0.35  # a doc matching part of the query keeps this share of its score
OTHER_LANG = 0.6  # articles in the other language than the query's rank a little lower
POPULARITY_MAX = 0.15  # the learned score multiplies relevance by at most 1.15
POPULARITY_HALF = 10.0  # a score of 10 gives half of that boost
SHORTLIST = 200
# Postings longer than this are "common": phase 1 reads only their PRUNE_DF best entries, and
# phase 2 looks up the exact weights of the CANDIDATES best docs by binary search. Indexes of
# up to PRUNE_DF articles are always searched exhaustively.
PRUNE_DF = 1000  # at 50k articles: the same top 10 for every dev query as 2000, p95 -25 %
CANDIDATES = 1000


def _new_postings() -> tuple[array, array, array]:
    return array("I"), array("f"), array("f")


PostingList = tuple[array, array, array]  # doc ids (ascending), BM25F weights, body weights


class Postings:
    """term -> its posting list. A built index holds one list per term; a loaded one (snapshot.py)
    keeps the lists end to end in the snapshot's bytes and cuts a term's list out the first time
    it is read, so loading makes no object per term."""

    __slots__ = ("_flat", "_lists", "_offsets", "_spans")

    def __init__(self) -> None:
        self._lists: defaultdict[str, PostingList] = defaultdict(_new_postings)
        self._spans: dict[str, int] = {}  # term -> its number in the flat lists (not cut yet)
        self._offsets = array("I", [0])
        self._flat: tuple[memoryview, ...] = ()  # doc ids, weights, body weights: 4-byte items

    @classmethod
    def flat(
        cls, terms: list[str], offsets: array, flat: tuple[memoryview, memoryview, memoryview]
    ) -> Postings:
        post = cls()
        post._spans = dict(zip(terms, range(len(terms)), strict=True))
        post._offsets, post._flat = offsets, flat
        return post

    def get(self, term: str) -> PostingList | None:
        got = self._lists.get(term)
        if got is None:
            k = self._spans.get(term)
            if k is None:
                return None
            # two threads may cut the same term at once: the first one stored is the one used
            got = self._lists.setdefault(term, self._cut(k))
        return got

    def _cut(self, k: int) -> PostingList:
        a, b = self._offsets[k] * 4, self._offsets[k + 1] * 4
        got = _new_postings()
        for part, view in zip(got, self._flat, strict=True):
            part.frombytes(view[a:b])
        return got

    def __getitem__(self, term: str) -> PostingList:
        got = self.get(term)
        if got is None:
            raise KeyError(term)
        return got

    def df(self, term: str) -> int:
        got = self._lists.get(term)
        if got is not None:
            return len(got[0])
        k = self._spans.get(term)
        return 0 if k is None else self._offsets[k + 1] - self._offsets[k]

    def __contains__(self, term: object) -> bool:
        return term in self._lists or term in self._spans

    def __len__(self) -> int:
        return len(self._spans) + sum(1 for t in list(self._lists) if t not in self._spans)

    def __iter__(self) -> Iterator[str]:
        yield from self._spans
        yield from (t for t in list(self._lists) if t not in self._spans)

    def items(self) -> Iterator[tuple[str, PostingList]]:
        """Every term's list; those not cut yet are cut for the moment, not kept."""
        for term, k in self._spans.items():
            yield term, self._lists.get(term) or self._cut(k)
        yield from ((t, pl) for t, pl in list(self._lists.items()) if t not in self._spans)

    def writable(self, *terms: Iterable[str]) -> defaultdict[str, PostingList]:
        """The lists to append to (new terms made on demand), these terms' cut out first."""
        if self._spans:
            for group in terms:
                for term in group:
                    self.get(term)
        return self._lists

    def replace(self, lists: dict[str, PostingList]) -> None:
        self._lists = defaultdict(_new_postings, lists)
        self._spans = {}
        self._offsets, self._flat = array("I", [0]), ()

    def memory_bytes(self) -> int:
        size = sys.getsizeof
        total = size(self._lists) + size(self._spans) + size(self._offsets) + sum(len(v) for v in self._flat)
        for term, (ids, ws, wb) in self._lists.items():
            total += size(term) + 64 + size(ids) + size(ws) + size(wb)
        return total + sum(size(t) for t in self._spans)


@dataclass(frozen=True, slots=True)
class KbDoc:
    key: str  # external id, e.g. "KB-0030"
    title: str
    statements: tuple[str, ...]
    category: str = ""  # path "Network/VPN"
    lang: str = "en"  # "en" | "zh"
    tags: tuple[str, ...] = ()
    status: str = "published"  # draft | published | retired
    score: float = 0.0  # learned score (solved tickets, votes); >= 0


@dataclass(frozen=True, slots=True)
class KbHit:
    key: str
    score: float  # higher is better
    title: str


@dataclass(slots=True)
class _Meta:
    # what the index keeps of an article: enough to filter and to answer, not its statements
    key: str
    title: str
    category: str  # lower-cased
    lang: str
    status: str
    score: float
    lens: tuple[int, int]


_gc_lock = threading.Lock()
_gc_paused = [0, False]  # builds running, whether the collector was on before the first


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector (process-wide) while any build runs."""
    with _gc_lock:
        if _gc_paused[0] == 0:
            _gc_paused[1] = gc.isenabled()
            gc.disable()
        _gc_paused[0] += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_paused[0] -= 1
            if _gc_paused[0] == 0 and _gc_paused[1]:
                gc.enable()


class KbIndex(QueryExpansion):
    def __init__(self, synonyms: Synonyms | None = None):
        self._syn = synonyms if synonyms is not None else load_synonyms()
        self._meta: list[_Meta | None] = []
        self._ids: dict[str, int] = {}
        self._post = Postings()
        self._len_total = [0, 0]
        self._dead = 0  # postings of removed docs stay until compaction
        self._surface: dict[str, str] = {}  # English surface word -> its index term
        self._vocab_sorted: list[str] | None = None  # lazily built views of the vocabulary
        self._vocab_by_len: dict[int, list[str]] | None = None
        self._cjk_by_char: dict[str, list[str]] | None = None
        self._expand_cache: dict[tuple[str, str, bool], list[tuple[str, float]]] = {}
        self._stmt_cache: dict[str, tuple[list[str], list[str]]] = {}
        self._top_cache: dict[tuple[str, bool], tuple[int, array, array]] = {}

    # ------------------------------------------------------------------ building
    @classmethod
    def build(cls, docs: Iterable[KbDoc], synonyms: Synonyms | None = None) -> KbIndex:
        # the build creates millions of objects that all live on: the cyclic garbage collector
        # would walk them again and again for nothing (a fifth of the build time)
        with _no_gc():
            return cls._build(docs, synonyms)

    @classmethod
    def _build(cls, docs: Iterable[KbDoc], synonyms: Synonyms | None) -> KbIndex:
        idx = cls(synonyms)
        docs = list(docs)
        # BM25 needs the average field length before the first posting is written: a sample
        # gives it (upserts later use the running average; compaction does not reweigh).
        for d in docs[:2000]:
            t, b = idx._analyse(d)
            idx._len_total[TITLE] += t[1]
            idx._len_total[BODY] += b[1]
        n = min(len(docs), 2000)
        avg = (idx._len_total[0] / n, idx._len_total[1] / n) if n else (1.0, 1.0)
        idx._len_total = [0, 0]
        for d in docs:
            idx._add(d, avg)
        idx._stmt_cache.clear()
        for term, pl in idx._post.items():
            if len(pl[0]) > PRUNE_DF:  # so that no query pays for the first use of a term
                idx._top_postings(term, False)
        return idx

    def __len__(self) -> int:
        return len(self._ids)

    def upsert(self, doc: KbDoc) -> None:
        """Add or replace an article by key; costs one article's postings."""
        if doc.key in self._ids:
            self.remove(doc.key)
        n = len(self._ids)
        avg = (self._len_total[0] / n, self._len_total[1] / n) if n else None
        self._add(doc, avg)
        if len(self._stmt_cache) > 20_000:
            self._stmt_cache.clear()

    def remove(self, key: str) -> None:
        i = self._ids.pop(key, None)
        if i is None:
            return
        m = self._meta[i]
        assert m is not None
        self._len_total[TITLE] -= m.lens[TITLE]
        self._len_total[BODY] -= m.lens[BODY]
        self._meta[i] = None
        self._dead += 1
        if self._dead > 1000 and self._dead > len(self._ids) // 4:
            self._compact()

    def set_score(self, key: str, score: float) -> None:
        i = self._ids.get(key)
        if i is not None:
            m = self._meta[i]
            assert m is not None
            m.score = max(0.0, float(score))

    def _add(self, doc: KbDoc, avg: tuple[float, float] | None) -> None:
        (tterms, tlen), (bterms, blen) = self._analyse(doc)
        if avg is None:
            avg = (max(tlen, 1), max(blen, 1))
        i = len(self._meta)
        self._meta.append(
            _Meta(
                doc.key,
                doc.title,
                doc.category.casefold(),
                doc.lang,
                doc.status,
                max(0.0, float(doc.score)),
                (tlen, blen),
            )
        )
        self._ids[doc.key] = i
        self._len_total[TITLE] += tlen
        self._len_total[BODY] += blen
        # BM25F: field frequencies are length-normalised and weighted, then saturated once, so
        # a common word in the title cannot outweigh a rare word found only in a statement
        nt = 1 - B[TITLE] + B[TITLE] * tlen / max(avg[TITLE], 1e-9)
        nb = 1 - B[BODY] + B[BODY] * blen / max(avg[BODY], 1e-9)
        # the hottest loop of a build: constants as locals, multiplications for divisions
        post = self._post.writable(tterms, bterms)
        k1, k1p = K1, K1 + 1
        title_scale, body_scale = TITLE_WEIGHT / nt, 1 / nb
        pop = bterms.pop
        for term, tt in tterms.items():
            tb = pop(term, 0) * body_scale  # bterms is this doc's own dict
            tf = tt * title_scale + tb
            ids, ws, wb = post[term]
            ids.append(i)
            ws.append(tf * k1p / (tf + k1))
            wb.append(tb * k1p / (tb + k1))
        for term, tb in bterms.items():
            tb *= body_scale
            w = tb * k1p / (tb + k1)
            ids, ws, wb = post[term]
            ids.append(i)
            ws.append(w)
            wb.append(w)

    def _analyse(self, doc: KbDoc) -> tuple[tuple[dict[str, int], int], tuple[dict[str, int], int]]:
        """Term frequencies and lengths of the title field and of the body."""
        # statements, tags and categories are shared between articles: each distinct text is
        # analysed once (the cache lives while a build or a burst of upserts runs)
        cache = self._stmt_cache
        head_terms, head_concepts = self._analyse_text(doc.title)
        head_terms = list(head_terms)
        head_concepts = list(head_concepts)
        for s in (*doc.tags, doc.category.replace("/", " ")):
            got = cache.get(s)
            if got is None:
                got = cache[s] = self._analyse_text(s)
            head_terms += got[0]
            head_concepts += got[1]
        body_terms: list[str] = []
        body_concepts: list[str] = []
        for s in doc.statements:
            got = cache.get(s)
            if got is None:
                got = cache[s] = self._analyse_text(s)
            body_terms += got[0]
            body_concepts += got[1]
        title = Counter(head_terms)
        title.update(head_concepts)
        body = Counter(body_terms)
        body.update(body_concepts)
        # concepts add matches but not length: a synonym list must not change BM25 lengths
        return (title, len(head_terms)), (body, len(body_terms))

    def _analyse_text(self, text: str) -> tuple[list[str], list[str]]:
        norm = normalize(text)
        terms, seq, surfaces = index_terms(norm)
        known = self._surface
        for w, t in surfaces:
            if w not in known:
                self._vocab_new(w, t)
        return terms, self._syn.concepts_in(norm, seq, terms)

    def _vocab_new(self, surface: str, term: str) -> None:
        self._surface[surface] = term
        if self._vocab_sorted is not None:
            bisect.insort(self._vocab_sorted, surface)
        self._vocab_by_len = None
        self._cjk_by_char = None
        self._expand_cache.clear()

    def _compact(self) -> None:
        """Drop the postings of removed docs (ids stay stable)."""
        alive = self._meta
        lists = {}
        for term, (ids, ws, wb) in self._post.items():
            keep = [k for k, d in enumerate(ids) if alive[d] is not None]
            if keep:
                lists[term] = (
                    array("I", (ids[k] for k in keep)),
                    array("f", (ws[k] for k in keep)),
                    array("f", (wb[k] for k in keep)),
                )
        self._post.replace(lists)
        self._dead = 0
        self._expand_cache.clear()
        self._top_cache.clear()
        self._cjk_by_char = None

    # ------------------------------------------------------------------ searching
    def search(
        self,
        query: str,
        *,
        limit: int = 10,
        mode: str = "all",
        category: str | None = None,
        lang: str | None = None,
        statuses: Collection[str] = ("published",),
        timing: dict | None = None,
    ) -> list[KbHit]:
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; use one of {', '.join(MODES)}")
        t0 = time.perf_counter()
        q = normalize(query)
        groups = self._parse(q, mode) if q.strip() and self._ids else []
        t1 = time.perf_counter()
        body_only = mode == "statements"

        # phase 1: rare terms from their whole postings, common ones from their best postings
        scored = [self._group_scores(g.alts, body_only, None) for g in groups]
        units = self._units(groups)
        acc = self._combine(groups, units, scored)
        pruned = [i for i, g in enumerate(groups) if any(self._df(t) > PRUNE_DF for t, _ in g.alts)]
        if pruned and len(acc) > CANDIDATES:
            # phase 2, on the best candidates only: exact weights of the common terms
            cands = [d for d, _ in heapq.nlargest(CANDIDATES, acc.items(), key=itemgetter(1))]
            for i, gs in enumerate(scored):
                if i in pruned:
                    scored[i] = self._group_scores(groups[i].alts, body_only, cands)
                else:
                    scored[i] = {d: gs[d] for d in cands if d in gs}
            acc = self._combine(groups, units, scored)
        t2 = time.perf_counter()

        hits = self._rank(q, groups, scored, acc, limit, category, lang, statuses)
        t3 = time.perf_counter()
        if timing is not None:
            timing.update(parse=(t1 - t0) * 1000, candidates=(t2 - t1) * 1000, rank=(t3 - t2) * 1000)
        return hits

    @staticmethod
    def _units(groups: list[Group]) -> list[list[int]]:
        """Groups bound together by synonym phrases that overlap them (the rest stand alone)."""
        units: list[set[int]] = [{i} for i, g in enumerate(groups) if not g.concept]
        for i, c in enumerate(groups):
            if not c.concept:
                continue
            hit = [
                u
                for u in units
                if any(groups[j].span[0] < c.span[1] and c.span[0] < groups[j].span[1] for j in u)
            ]
            merged = {i}.union(*hit)
            units = [u for u in units if u not in hit]
            units.append(merged)
        return [sorted(u) for u in units]

    @staticmethod
    def _combine(groups: list[Group], units: list[list[int]], scored) -> dict[int, float]:
        acc: dict[int, float] = {}
        for unit in units:
            # a synonym phrase is another way to match the words it spans: a doc scores the
            # better of the words' sum and the phrase, never both
            if len(unit) == 1:
                part = scored[unit[0]]
                wt = groups[unit[0]].weight
                if wt != 1.0:
                    part = {d: wt * v for d, v in part.items()}
            else:
                part = {}
                for i in unit:
                    if not groups[i].concept:
                        wt = groups[i].weight
                        for d, v in scored[i].items():
                            part[d] = part.get(d, 0.0) + wt * v
                for i in unit:
                    if groups[i].concept:
                        for d, v in scored[i].items():
                            if v > part.get(d, 0.0):
                                part[d] = v
            get = acc.get
            for d, v in part.items():
                acc[d] = get(d, 0.0) + v
        return acc

    def _group_scores(
        self, alts: list[tuple[str, float]], body_only: bool, cands: list[int] | None
    ) -> dict[int, float]:
        """doc -> score of the group's best alternative (idf x stored BM25F weight)."""
        best: dict[int, float] = {}
        for term, factor in alts:
            one = self._alt_scores(term, factor, body_only, cands)
            if not best:
                best = one
                continue
            get = best.get
            for d, v in one.items():
                if v > get(d, 0.0):
                    best[d] = v
        return best

    def _alt_scores(
        self, term: str, factor: float, body_only: bool, cands: list[int] | None
    ) -> dict[int, float]:
        pl = self._post.get(term)
        if pl is None:
            return {}
        c = factor * self._idf(term)
        ids, ws = pl[0], pl[2 if body_only else 1]
        if len(ids) <= PRUNE_DF:
            return {d: c * w for d, w in zip(ids, ws, strict=True) if w}
        # a common term: its highest weights (mostly docs with it in the title) give candidates;
        # the candidates then get their exact weight by binary search in the sorted doc ids
        if cands is None:
            top_ids, top_ws = self._top_postings(term, body_only)
            return {d: c * w for d, w in zip(top_ids, top_ws, strict=True) if w}
        out = {}
        n = len(ids)
        left = bisect.bisect_left
        for d in sorted(cands):
            j = left(ids, d)
            if j < n and ids[j] == d and ws[j]:
                out[d] = c * ws[j]
        return out

    def _top_postings(self, term: str, body_only: bool) -> tuple[array, array]:
        key = (term, body_only)
        ids, ws = self._post[term][0], self._post[term][2 if body_only else 1]
        got = self._top_cache.get(key)
        # refreshed when the postings grew by a tenth (upserts) or after a compaction
        if got is None or len(ids) > got[0] * 1.1 or len(ids) < got[0]:
            # the cut-off weight of the best PRUNE_DF, estimated from a sample; the selection
            # itself runs in C (map + compress), so this stays cheap at 200k postings
            step = max(1, len(ws) // 4000)
            sample = sorted(ws[::step], reverse=True)
            cut = sample[min(len(sample) - 1, PRUNE_DF // step)]
            keep = list(map(cut.__le__, ws))
            got = (len(ids), array("I", compress(ids, keep)), array("f", compress(ws, keep)))
            self._top_cache[key] = got
        return got[1], got[2]

    def _rank(self, q, groups, scored, acc, limit, category, lang, statuses) -> list[KbHit]:
        meta = self._meta
        statuses = set(statuses)
        cat = category.casefold().strip("/") if category else None

        def ok(d: int) -> bool:
            m = meta[d]
            return (
                m is not None
                and m.status in statuses
                and (lang is None or m.lang == lang)
                and (cat is None or m.category == cat or m.category.startswith(cat + "/"))
            )

        size = max(SHORTLIST, limit)
        short = [d for d, _ in heapq.nlargest(size, acc.items(), key=itemgetter(1)) if ok(d)]
        if len(short) < limit and len(acc) > size:
            # the filters removed most of the best: look further down
            short = heapq.nlargest(size, (d for d in acc if ok(d)), key=acc.__getitem__)

        # coverage: the share of the query's words (weighted by rarity) a doc matches, directly
        # or through a synonym phrase that contains them
        counted = [(i, g) for i, g in enumerate(groups) if g.counts and not g.concept]
        weights = [g.weight * max((self._idf(t) for t, _ in g.alts), default=1.0) for _, g in counted]
        total = sum(weights) or 1.0
        covers = [
            [j for j, c in enumerate(groups) if c.concept and c.span[0] < g.span[1] and g.span[0] < c.span[1]]
            for _, g in counted
        ]
        qlang = query_lang(q)
        out = []
        for d in short:
            m = meta[d]
            assert m is not None
            got = sum(
                wt
                for (i, _), wt, cov in zip(counted, weights, covers, strict=True)
                if d in scored[i] or any(d in scored[j] for j in cov)
            )
            rel = acc[d] * (COVERAGE_FLOOR + (1 - COVERAGE_FLOOR) * got / total)
            if qlang and m.lang != qlang:
                rel *= OTHER_LANG
            # bounded popularity: at most x1.15, so it only reorders near-ties
            rel *= 1 + POPULARITY_MAX * m.score / (m.score + POPULARITY_HALF)
            out.append((rel, d))
        out.sort(reverse=True)
        return [KbHit(meta[d].key, round(s, 4), meta[d].title) for s, d in out[:limit]]

    # ------------------------------------------------------------------ memory
    def memory_bytes(self) -> int:
        """An estimate of the index's memory (postings, vocabulary, article records)."""
        size = sys.getsizeof
        total = self._post.memory_bytes()
        total += size(self._surface) + sum(size(k) for k in self._surface)
        total += size(self._meta) + size(self._ids)
        for m in self._meta:
            if m is not None:
                total += 100 + size(m.key) + size(m.title) + size(m.category)
        return total
