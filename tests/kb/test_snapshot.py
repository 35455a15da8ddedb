"""The index as bytes (kb/snapshot.py): a loaded index ranks as the index it was made from, before
and after live updates; damaged bytes are refused, never half-loaded."""

from __future__ import annotations

import json
import zlib
from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.kb import snapshot
from deskterm.kb.engine import MODES, PRUNE_DF, KbDoc, KbIndex
from deskterm.kb.synonyms import Synonyms, load_synonyms
from tests.kb import EVAL_DIR, eval_docs, eval_queries

WORDS = ["printer", "paper", "jam", "vpn", "connect", "slow", "laptop", "boot", "mail", "outlook", "lp-2100"]
ZH = ["打印机", "卡纸", "无法", "连接", "电脑", "很慢", "邮件"]
SYN = Synonyms.from_lines(["slow, sluggish, 很慢", "paper jam, 卡纸"])


def _eval_docs() -> list[KbDoc]:
    return [replace(d, score=len(d.statements)) for d in eval_docs()]  # scores round-trip too


def _queries() -> list[str]:
    return [q["q"] for q in eval_queries()]


def _same(a: KbIndex, b: KbIndex, queries: list[str], **options) -> None:
    for q in queries:
        assert a.search(q, **options) == b.search(q, **options), q


@pytest.fixture(scope="module")
def built() -> KbIndex:
    if not EVAL_DIR.is_dir():
        pytest.skip("no kb-eval corpus")
    return KbIndex.build(_eval_docs(), load_synonyms())


@pytest.mark.parametrize("mode", MODES)
def test_the_dev_queries_rank_alike_on_the_loaded_index(built, mode):
    data = snapshot.dump(built)
    loaded = snapshot.load(data, load_synonyms())
    assert len(loaded) == len(built)
    assert snapshot.dump(loaded) == data  # nothing lost or added on the way
    _same(built, loaded, _queries(), mode=mode, limit=20)


def test_filters_and_live_updates_act_alike_on_the_loaded_index(built):
    fresh = KbIndex.build(_eval_docs(), load_synonyms())
    loaded = snapshot.load(snapshot.dump(fresh), load_synonyms())
    queries = _queries()[:40]
    _same(fresh, loaded, queries, lang="zh")
    _same(fresh, loaded, queries, category="Network", statuses=("published", "draft"))
    changed = KbDoc("KB-0030", "VPN client cannot connect on Windows 11", ("Reinstall the VPN client.",))
    for index in (fresh, loaded):
        index.upsert(changed)
        index.remove("KB-0001")
        index.set_score("KB-0002", 50)
        index.upsert(KbDoc("KB-NEW", "Printer prints blank pages", ("Replace the toner cartridge.",)))
    _same(fresh, loaded, [*queries, "blank pages", "windows 11 vpn"])
    # and what the patched index saves loads alike again
    _same(loaded, snapshot.load(snapshot.dump(loaded), load_synonyms()), queries)


docs_strategy = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS + ZH), min_size=1, max_size=5),
        st.lists(st.lists(st.sampled_from(WORDS + ZH), min_size=1, max_size=8), min_size=1, max_size=3),
        st.sampled_from(["en", "zh"]),
        st.sampled_from(["draft", "published", "retired"]),
        st.floats(min_value=0, max_value=30),
    ),
    min_size=1,
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(
    docs=docs_strategy,
    queries=st.lists(st.lists(st.sampled_from([*WORDS, *ZH, "prin", "pritner", "sluggish"]), max_size=3)),
    gone=st.integers(min_value=0, max_value=30),
)
def test_random_indexes_rank_alike_after_a_round_trip(docs, queries, gone):
    made = [
        KbDoc(f"K{i}", " ".join(t), tuple(" ".join(s) for s in body), "A/B", lang, (), status, score)
        for i, (t, body, lang, status, score) in enumerate(docs)
    ]
    built = KbIndex.build(made, SYN)
    built.remove(f"K{gone}")  # an index with a removed article saves and loads too
    loaded = snapshot.load(snapshot.dump(built), SYN)
    texts = [" ".join(q) for q in queries] + ["printer", "卡"]
    _same(built, loaded, texts, statuses=("draft", "published", "retired"), limit=30)
    _same(built, loaded, texts, mode="statements")


def test_a_common_term_is_searched_alike_once_loaded():
    # more articles share a word than PRUNE_DF: the pruned path, its cached top postings rebuilt
    docs = [
        KbDoc(f"K{i}", f"printer model {i}", (f"step {i % 7} for the printer",))
        for i in range(PRUNE_DF + 300)
    ]
    built = KbIndex.build(docs, SYN)
    loaded = snapshot.load(snapshot.dump(built), SYN)
    _same(built, loaded, ["printer", "printer model 17", "step 3 printer"])


def test_an_empty_index_round_trips():
    loaded = snapshot.load(snapshot.dump(KbIndex.build([], SYN)), SYN)
    assert len(loaded) == 0 and loaded.search("printer") == []


def _resealed(data: bytes, edit) -> bytes:
    """`data` with its header edited and its checksum made right again (a consistent lie)."""
    size = int.from_bytes(data[8:12], "little")
    header = json.loads(data[12 : 12 + size])
    edit(header)
    head = json.dumps(header).encode()
    head += b" " * (-(len(head) + 4) % 8)
    body = len(head).to_bytes(4, "little") + head + data[12 + size :]
    return snapshot.MAGIC + zlib.crc32(body).to_bytes(4, "little") + body


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: b"",
        lambda d: b"not an index at all",
        lambda d: d[: len(d) // 2],  # cut short
        lambda d: d[:-1] + bytes([d[-1] ^ 1]),  # one bit flipped
        lambda d: d + b"\0\0\0\0",
        lambda d: _resealed(d, lambda h: h["keys"].pop()),
        lambda d: _resealed(d, lambda h: h["terms"].pop()),
        lambda d: _resealed(d, lambda h: h.update(format=99)),
        lambda d: _resealed(d, lambda h: h.update(titles=None)),
        lambda d: _resealed(d, lambda h: h["arrays"][-1].__setitem__(2, 10**9)),
        lambda d: _resealed(d, lambda h: h.update(keys=["same"] * len(h["keys"]))),
    ],
)
def test_damaged_bytes_are_refused(damage):
    docs = [KbDoc("A", "Printer paper jam", ("Open the cover.",)), KbDoc("B", "VPN drops", ("Reconnect.",))]
    data = snapshot.dump(KbIndex.build(docs, SYN))
    with pytest.raises(snapshot.CorruptSnapshot):
        snapshot.load(damage(data), SYN)


def test_the_key_names_the_synonyms():
    assert snapshot.key(SYN) == snapshot.key(Synonyms.from_lines(["slow, sluggish, 很慢", "paper jam, 卡纸"]))
    assert snapshot.key(SYN) != snapshot.key(Synonyms.from_lines(["slow, sluggish"]))
