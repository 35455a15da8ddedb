"""The printed work sheet: every line fits 72 terminal cells whatever people typed (CJK, emoji,
long names and serials), labels and values line up by cells, nothing typed is lost to a cut."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from deskterm.services.worksheet import LABEL_CELLS, Part, SheetView, render_text
from deskterm.text import cells, wrap

PIECES = [*"aZ7- 零件。😀é\u0301\t\n\x0c", "☎\ufe0f", "👨\u200d👧"]
TEXT = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)
WORDS = st.text(st.sampled_from(["A", "9", "-", "序", "😀"]), min_size=1, max_size=60)  # no spaces


def sheet(**fields: object) -> SheetView:
    head = {
        "number": "INC-00012",
        "summary": "Laptop will not boot",
        "customer": "王小明",
        "organisation": "上海某某科技有限公司",
        "phone": "13800001111",
        "device": "ThinkPad X1",
    }
    return SheetView(**(head | fields))  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(
    summary=TEXT,
    customer=TEXT,
    address=TEXT,
    work_done=TEXT,
    signed_by=TEXT,
    parts=st.lists(st.tuples(TEXT, TEXT, TEXT), max_size=4),
)
def test_every_line_fits_72_cells(summary, customer, address, work_done, signed_by, parts):  # type: ignore[no-untyped-def]
    text = render_text(
        sheet(
            summary=summary,
            customer=customer,
            address=address,
            work_done=work_done,
            signed_by=signed_by,
            parts=[Part(*p) for p in parts],
        )
    )
    assert text.endswith("\n") and "\x0c" not in text and "\t" not in text
    lines = text.splitlines()
    assert all(cells(line) <= 72 for line in lines), max(lines, key=cells)
    assert lines[0] == "=" * 72 and lines[-1] == "=" * 72


@settings(max_examples=100, deadline=None)
@given(part=WORDS, serial_in=WORDS, serial_out=WORDS)
def test_long_part_names_and_serials_are_wrapped_whole(part, serial_in, serial_out):  # type: ignore[no-untyped-def]
    lines = render_text(sheet(parts=[Part(part, serial_in, serial_out)])).splitlines()
    rows = lines[lines.index("Parts replaced 更换部件:") + 3 : -4]  # after the two header lines
    assert rows and all(cells(row) <= 72 for row in rows)
    # each column, read down, gives back what was typed: wrapped, never cut
    starts = (6, 32, 53)  # the cells where the part, serial in and serial out columns begin
    for value, start, end in zip((part, serial_in, serial_out), starts, (*starts[1:], 99), strict=True):
        pieces = [_cells_between(row, start, end).strip() for row in rows]
        assert "".join(pieces) == value


def _cells_between(row: str, start: int, end: int) -> str:
    out, at = "", 0
    for ch in row:
        if start <= at < end:
            out += ch
        at += cells(ch)
    return out


def test_labels_and_values_line_up_with_cjk_text():
    text = render_text(
        sheet(
            address="上海市浦东新区世纪大道88号金茂大厦3001室，请从北门进入后乘坐高区电梯",
            engineer_name="李工程师",
            signed_by="王先生",
            planned_at=datetime(2026, 3, 3, 6, 0, tzinfo=UTC),
            parts=[Part("SSD 512G 三星固态硬盘", "S6B0NL0W123", "S0-OLD")],
            version=2,
        )
    )
    lines = text.splitlines()
    labelled = [line for line in lines if line[:1].isalpha() and not line.endswith(":")]
    assert len(labelled) == 12
    for line in labelled:  # the value starts at the same cell on every labelled line, after spaces
        label, value = line[: _value_at(line)], line[_value_at(line) :]
        assert label.endswith(" ") and value[:1] not in ("", " "), line
    assert "Planned visit 预约时间     2026-03-03 14:00" in lines  # Shanghai time, 22 + 5 cells
    assert "Customer sign-off 客户签字 王先生" in lines
    address = [line for line in lines if "上海市" in line or line.startswith(" " * LABEL_CELLS)]
    assert "".join(line.strip() for line in address).endswith("请从北门进入后乘坐高区电梯")
    assert "  1   SSD 512G 三星固态硬盘     S6B0NL0W123          S0-OLD" in lines
    assert text.count("\n") == len(lines)


def _value_at(line: str) -> int:
    """The index of the character at cell LABEL_CELLS."""
    at = 0
    for i, ch in enumerate(line):
        at += cells(ch)
        if at == LABEL_CELLS:
            return i + 1
    raise AssertionError(line)


def test_an_unsaved_preview_says_so():
    assert "Sheet version 版本         3, changes not saved" in render_text(sheet(version=3, unsaved=True))
    assert "Sheet version 版本         3\n" in render_text(sheet(version=3))


def test_wrap_breaks_at_spaces_and_between_cjk_characters():
    assert wrap("解决方案已保存。", 6) == ["解决方", "案已保", "存。"]
    assert wrap("replace the disk", 8) == ["replace", "the disk"]
    assert wrap("S6B0NL0W123456", 5) == ["S6B0N", "L0W12", "3456"]
    assert wrap("a\n\nb", 5) == ["a", "", "b"] and wrap("", 5) == [""]
    assert wrap("ab☎\ufe0f👨\u200d👧", 2) == ["ab", "☎\ufe0f", "👨\u200d👧"]  # never cut inside
