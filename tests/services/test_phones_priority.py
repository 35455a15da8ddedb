"""Property tests: phone numbers as callers give them reduce to the same digits, and a lookup of
any typed beginning finds them; the priority matrix is total, monotone and configurable."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from deskterm.config import Settings
from deskterm.services import phones
from deskterm.services.intake import IntakeRules
from deskterm.services.priority import DEFAULT_MATRIX, priority_for

mobiles = st.builds(
    lambda second, rest: f"1{second}{rest}",
    st.sampled_from("3456789"),
    st.text("0123456789", min_size=9, max_size=9),
)
# area code without its trunk 0 (10 Beijing, 21 Shanghai, 755 Shenzhen...) and a local number
landlines = st.tuples(
    st.sampled_from(["10", "20", "21", "22", "23", "24", "25", "27", "28", "29", "311", "531", "755", "571"]),
    st.builds(
        lambda first, rest: f"{first}{rest}",
        st.sampled_from("2345678"),
        st.text("0123456789", min_size=7, max_size=7),
    ),
)
extensions = st.sampled_from(["", " 转 8021", " 转8021", " ext. 12", " ext 12", " x12", " #305", " 分机 66"])
separators = st.sampled_from([" ", "-", "", "/", "."])


def spaced(digits: str, sep: str, cut: list[int]) -> str:
    out, last = [], 0
    for c in sorted(set(cut)):
        if 0 < c < len(digits):
            out.append(digits[last:c])
            last = c
    out.append(digits[last:])
    return sep.join(out)


@given(mobiles, separators, st.lists(st.integers(1, 10), max_size=3), extensions)
def test_a_mobile_in_any_form_has_its_11_digits(number, sep, cut, ext):
    body = spaced(number, sep, cut)
    for written in (body, f"+86 {body}", f"+86{body}", f"0086 {body}", f"86{number}", f"+86-{body}"):
        assert phones.digits(written + ext) == number, written + ext
        assert phones.split_extension(written + ext)[1] == "".join(ch for ch in ext if ch.isdigit())


@given(landlines, separators, extensions)
def test_a_landline_in_any_form_is_its_national_number(parts, sep, ext):
    area, local = parts
    national = f"0{area}{local}"
    for written in (
        f"0{area}{sep}{local}",
        f"(0{area}) {local[:4]}-{local[4:]}",
        f"+86 {area} {local}",
        f"+86 (0){area} {local}",
        f"0086-{area}-{local}",
    ):
        assert phones.digits(written + ext) == national, written + ext


@given(st.one_of(mobiles, landlines.map(lambda p: f"0{p[0]}{p[1]}")), separators, extensions, st.data())
def test_every_typed_beginning_is_a_prefix_of_the_stored_digits(number, sep, ext, data):
    written = spaced(number, sep, [3, 7]) + ext
    stored = phones.digits(written)
    k = data.draw(st.integers(0, len(written)))
    for variant in phones.lookup_variants(written[:k]):
        if len(variant) >= 4:
            assert stored.startswith(variant), (written[:k], variant)
    assert phones.lookup_variants(written)[0] == stored


# 0-9 in other scripts: full-width (a Chinese input method), Arabic-Indic, Extended Arabic-Indic
# (Persian), Devanagari, Bengali, Thai
SCRIPTS = [str.maketrans("0123456789", "".join(chr(zero + i) for i in range(10)))
           for zero in (0xFF10, 0x0660, 0x06F0, 0x0966, 0x09E6, 0x0E50)]  # fmt: skip
FULL_WIDTH = str.maketrans("+-()#x ", "＋－（）＃ｘ\u3000")


@given(mobiles, separators, extensions, st.sampled_from(SCRIPTS), st.booleans(), st.integers(4, 11))
def test_digits_of_any_script_are_the_same_digits(number, sep, ext, script, full_width, k):
    for written in (spaced(number, sep, [3, 7]), f"+86 {number}", f"0086{sep}{number}"):
        other = (written + ext).translate(script)
        if full_width:
            other = other.translate(FULL_WIDTH)
        assert phones.digits(other) == phones.digits(written + ext) == number, other
        assert phones.lookup_variants(other) == phones.lookup_variants(written + ext), other
    assert number[-k:] in phones.ending_variants(number[-k:].translate(script))  # "0000": not "00"


@given(st.text(max_size=40))
def test_digits_never_fail_and_are_digits(raw):
    d = phones.digits(raw)
    assert d == "" or (d.isdigit() and d.isascii())
    assert phones.is_plausible(raw) == (5 <= len(d) <= 15)
    low, high = phones.prefix_bounds(d) if d else ("", None)
    if high is not None:
        assert low < high and not high.startswith(low)


@given(st.text("0123456789", min_size=1, max_size=12), st.text("0123456789", max_size=6))
def test_prefix_bounds_contain_exactly_the_extensions_of_the_prefix(prefix, tail):
    low, high = phones.prefix_bounds(prefix)
    assert low <= prefix + tail and (high is None or prefix + tail < high)
    other = str(int(prefix) + 1).zfill(len(prefix)) if prefix.strip("9") else None
    if other is not None and len(other) == len(prefix):
        assert not (low <= other + tail and (high is None or other + tail < high))


levels = st.sampled_from([1, 2, 3])


@given(levels, levels)
def test_default_matrix_is_symmetric_monotone_and_matches_domain(impact, urgency):
    p = priority_for(impact, urgency)
    assert p == impact + urgency - 1  # DOMAIN.md: high/high P1 ... low/low P5
    assert p == priority_for(urgency, impact)
    if impact > 1:
        assert priority_for(impact - 1, urgency) <= p
    if urgency > 1:
        assert priority_for(impact, urgency - 1) <= p


@given(st.integers(-5, 10), st.integers(-5, 10))
def test_out_of_range_levels_are_refused(impact, urgency):
    if impact in (1, 2, 3) and urgency in (1, 2, 3):
        assert 1 <= priority_for(impact, urgency) <= 5
    else:
        with pytest.raises(ValueError):
            priority_for(impact, urgency)


@given(st.lists(st.lists(st.integers(1, 5), min_size=3, max_size=3), min_size=3, max_size=3), levels, levels)
def test_a_configured_matrix_is_what_intake_uses(rows, impact, urgency):
    rules = IntakeRules.from_settings(Settings.model_validate({"priority_matrix": rows}))
    assert rules.priority(impact, urgency) == rows[impact - 1][urgency - 1]
    assert priority_for(impact, urgency, rules.priority_matrix) == rows[impact - 1][urgency - 1]


@given(st.lists(st.lists(st.integers(-2, 8), max_size=4), max_size=4))
def test_a_malformed_matrix_is_refused_by_the_settings(rows):
    ok = len(rows) == 3 and all(len(r) == 3 and all(1 <= p <= 5 for p in r) for r in rows)
    if ok:
        Settings.model_validate({"priority_matrix": rows})
    else:
        with pytest.raises(ValueError):
            Settings.model_validate({"priority_matrix": rows})


def test_default_matrix_table():
    assert DEFAULT_MATRIX == {1: {1: 1, 2: 2, 3: 3}, 2: {1: 2, 2: 3, 3: 4}, 3: {1: 3, 2: 4, 3: 5}}
