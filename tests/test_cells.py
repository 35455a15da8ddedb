"""Widths by terminal cells: CJK and emoji take two, combining marks none, and a cut ends in "…"."""

from hypothesis import given
from hypothesis import strategies as st

from deskterm.text import cells, pad, shorten

TEXT = st.text(st.sampled_from("ab零件解决😀é\u0301 "), max_size=30)


def test_cjk_emoji_and_combining_marks_count_by_cells() -> None:
    assert cells("零件") == 4
    assert cells("😀") == 2
    assert cells("e\u0301") == 1
    assert shorten("解决方案已保存。", 9) == "解决方案…"
    assert shorten("Robert Davis", 20) == "Robert Davis"


@given(TEXT, st.integers(min_value=1, max_value=40))
def test_pad_fills_exactly_and_shorten_never_overflows(value: str, width: int) -> None:
    assert cells(shorten(value, width)) <= width
    assert cells(pad(value, width)) == width
    assert cells(pad(value, width, right=True)) == width
    if cells(value) > width:
        assert shorten(value, width).endswith("…")
    else:
        assert pad(value, width).startswith(value)
