"""Text normalising and tokenising for the KB engine (English and Chinese, pure Python).

English words are lower-cased and lightly stemmed; Chinese has no spaces, so a run of Chinese
characters is indexed as its overlapping character bigrams. Codes such as ``LP-2100`` or
``CPU1_DIMM_A2`` give their parts and, for short compounds, the joined form (``lp2100``), so
both spellings find each other.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RE = re.compile(f"[{CJK}]")
# ANSI escape sequences and other control characters: never part of a search.
_ANSI_RE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|[@-Z\\-_])")
_CTRL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_TOKEN_RE = re.compile(rf"[{CJK}]+|[a-z0-9]+(?:'[a-z]+)?(?:[-_][a-z0-9]+)*")
_SPLIT_RE = re.compile(r"[-_]")
_WORD_RE = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")

STOPWORDS = frozenset(
    """
    a an the and or but of to in on at for with from by via is are was were be been being am
    it its this that these those there theres here i im ive me my mine we our us you your
    youre he she they them their his her what whats when where which who whom how do does
    did done doing has have had having will would can could should shall may might must just
    so as into onto about then than also very too some any all every each again still only
    even now get gets got getting keep keeps kept say says saying said please help tell told
    think if while because since until one ones its there is thing things something anything
    someone like really actually today morning yesterday always never ever nothing went come
    comes came
    """.split()  # noqa: SIM905
)


# Everyday words a caller uses that are no typo of a KB word ("went" is not "sent").
COMMON_WORDS = STOPWORDS | frozenset(
    """
    went come comes came coming goes going gone make makes made making take takes took taken
    give gives gave want wants wanted need needs needed know knows knew look looks looked
    see seen saw seem seems tried try tries trying work works worked use used uses using
    call calls called time times day days week weeks minute minutes hour hours year years
    month months people person colleague colleagues boss someone everyone everything nothing
    anything thing stuff lot lots few many much more most less least other another same
    different big small little large long short good bad better worse best worst fine okay
    sure maybe already almost back away down over under after before during between through
    without within again still yet once twice first last next new old right left high low
    open close closed opened send sent read write wrote written start stop stopped show
    shows showed shown says tell asked ask told said put set let lets done fine since our
    office desk home room floor morning evening night today tomorrow yesterday sometimes
    often usually never always while where which whose whole half full empty
    """.split()  # noqa: SIM905
)


def query_lang(text: str) -> str | None:
    """The language a query is written in: "zh" with any Chinese, "en" with an English word,
    else None (codes and numbers such as "CT-450" belong to no language)."""
    if has_cjk(text):
        return "zh"
    return "en" if re.search(r"(?<![a-z0-9])[a-z]{3,}", text) else None


def normalize(text: str) -> str:
    """NFKC + casefold; escape sequences and control characters become spaces."""
    text = _ANSI_RE.sub(" ", text)
    text = _CTRL_RE.sub(" ", text)
    text = unicodedata.normalize("NFKC", text).casefold()
    return text.replace("’", "'")


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


_stem_cache: dict[str, str] = {}


def stem(word: str) -> str:
    """A light English stemmer: plural -s/-es/-ies, -ing, -ed and a final -e.

    Enough for "printing"/"prints"/"printed" -> "print" and "charge"/"charging" -> "charg";
    the same function runs on articles and queries, so only consistency matters.
    """
    s = _stem_cache.get(word)
    if s is not None:
        return s
    w = word
    if len(w) >= 4 and w.isalpha():
        if w.endswith("ies") and len(w) > 4:
            w = w[:-3] + "y"
        elif w.endswith("sses"):
            w = w[:-2]
        elif w.endswith("s") and not w.endswith(("ss", "us", "is")):
            w = w[:-1]
        elif w.endswith("ing") and len(w) >= 6:
            w = _undouble(w[:-3])
        elif w.endswith("ied") and len(w) >= 5:
            w = w[:-3] + "y"
        elif w.endswith("ed") and len(w) >= 5 and not w.endswith("eed"):
            w = _undouble(w[:-2])
        if w.endswith("e") and len(w) >= 4:
            w = w[:-1]
    if len(_stem_cache) < 200_000:
        _stem_cache[word] = w
    return w


def _undouble(w: str) -> str:
    # "jammed" -> "jam", but "installed" -> "install" (Porter's l/s/z exception)
    if len(w) >= 3 and w[-1] == w[-2] and w[-1] not in "lsz" and w[-1].isalpha():
        return w[:-1]
    return w


def cjk_bigrams(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    return [run[i : i + 2] for i in range(len(run) - 1)]


@dataclass(slots=True)
class Word:
    """One word of a text: its surface form, its index terms and whether it is a stopword."""

    surface: str  # as typed, lower-cased ("lp-2100", "printing", "打不开")
    terms: list[str]  # stems of the parts, plus the joined form of a short compound
    start: int = 0  # offsets in the normalised text (to relate words to synonym phrases)
    end: int = 0
    cjk: bool = False
    stop: bool = False


def words(text: str) -> list[Word]:
    """Split normalised text into words (a CJK run counts as one word of bigram terms)."""
    out: list[Word] = []
    for m in _TOKEN_RE.finditer(text):
        tok = m.group()
        if tok[0] >= "\u3400":
            out.append(Word(tok, cjk_bigrams(tok), m.start(), m.end(), cjk=True))
            continue
        tok = tok.replace("'", "")
        if "-" in tok or "_" in tok:
            parts = [p for p in _SPLIT_RE.split(tok) if p]
            terms = [stem(p) for p in parts]
            if len(parts) <= 3:
                terms.append("".join(parts))
            stop = all(p in STOPWORDS for p in parts)
            out.append(Word(tok, terms, m.start(), m.end(), stop=stop))
        else:
            out.append(Word(tok, [stem(tok)], m.start(), m.end(), stop=tok in STOPWORDS))
    return out


def index_terms(text: str) -> tuple[list[str], list[str], list[tuple[str, str]]]:
    """The fast path for indexing normalised text: (index terms without stopwords, the stem
    sequence for spotting synonym phrases, (surface, term) pairs of English words)."""
    terms: list[str] = []
    seq: list[str] = []
    surfaces: list[tuple[str, str]] = []
    cache = _stem_cache
    for tok in _TOKEN_RE.findall(text):
        if tok[0] >= "\u3400":
            terms.extend(cjk_bigrams(tok))
            continue
        if "'" in tok:
            tok = tok.replace("'", "")
        if "-" in tok or "_" in tok:
            parts = [p for p in _SPLIT_RE.split(tok) if p]
            for p in parts:
                st = cache.get(p) or stem(p)
                seq.append(st)
                if p not in STOPWORDS:
                    terms.append(st)
                    surfaces.append((p, st))
            if len(parts) <= 3:
                joined = "".join(parts)
                terms.append(joined)
                surfaces.append((joined, joined))
        else:
            st = cache.get(tok) or stem(tok)
            seq.append(st)
            if tok not in STOPWORDS:
                terms.append(st)
                surfaces.append((tok, st))
    return terms, seq, surfaces


def phrase_stems(text: str) -> list[tuple[str, int, int]]:
    """The English stems (compounds split into parts) with offsets, to spot synonym phrases."""
    seq: list[tuple[str, int, int]] = []
    for m in _WORD_RE.finditer(text):
        tok = m.group().replace("'", "")
        seq.append((stem(tok), m.start(), m.end()))
    return seq
