"""Widths by terminal cells: CJK and emoji take two, combining marks none, and a cut ends in "…"."""

from hypothesis import given
from hypothesis import strategies as st

from deskterm.text import cells, pad, shorten

PIECES = [*"ab零件解决😀é\u0301 ", "☎\ufe0f", "👨\u200d👩\u200d👧", "\u200d", "\ufe0f"]  # + emoji sequences
TEXT = st.lists(st.sampled_from(PIECES), max_size=30).map("".join)


def test_cjk_emoji_and_combining_marks_count_by_cells() -> None:
    assert cells("零件") == 4
    assert cells("😀") == 2
    assert cells("e\u0301") == 1
    assert shorten("解决方案已保存。", 9) == "解决方案…"
    assert shorten("Robert Davis", 20) == "Robert Davis"
    assert shorten("☎\ufe0fabc", 3) == "☎\ufe0f…"  # the selector makes it two cells, kept with it
    assert shorten("👨\u200d👩\u200d👧xyz", 3) == "👨\u200d👩\u200d👧…"  # a family is one character


@given(TEXT, st.integers(min_value=1, max_value=40))
def test_pad_fills_exactly_and_shorten_never_overflows(value: str, width: int) -> None:
    assert cells(shorten(value, width)) <= width
    assert cells(pad(value, width)) == width
    assert cells(pad(value, width, right=True)) == width
    if cells(value) > width:
        assert shorten(value, width).endswith("…")
    else:
        assert pad(value, width).startswith(value)
