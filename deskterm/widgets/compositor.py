"""Wide characters kept whole where a widget lies over another's edge (Textual is pinned: this
replaces Compositor._render_chops, checked against that version).

Textual paints each screen line in chops, cut at the left and right edge of every widget on that
line, the widgets below included, and splits each widget's line at those cuts. A CJK character or
emoji of a widget on top (a toast, a menu) that straddles the edge of a widget below is split in two
halves, and a half is a space: "解决方案已保存。" over a bordered panel showed "解决方    保存。"
(Textual issue 6357). Here a widget's line is not cut between two chops it paints both of when the
cut would split a wide character: the first chop gets both parts, the second an empty strip (so a
widget below does not paint it)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from typing import Any

from rich.cells import get_character_cell_size
from textual._compositor import Compositor
from textual.geometry import Region
from textual.strip import Strip

_EMPTY = Strip([], 0)


@lru_cache(maxsize=512)
def _wide_starts(text: str) -> frozenset[int]:
    """The cells where a wide character of a line's `text` starts."""
    found, at = set(), 0
    for ch in text:
        size = get_character_cell_size(ch)
        if size == 2:
            found.add(at)
        at += size
    return frozenset(found)


def render_chops(
    self: Compositor, crop: Region, is_rendered_line: Callable[[int], bool]
) -> Sequence[Mapping[int, Strip]]:
    """Compositor._render_chops of Textual 8.2.8, but for the cuts that would split a wide
    character between two chops of the same widget."""
    cuts = self.cuts
    chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
    for region, clip, strips in self._get_renders(crop):  # front to back: the first to paint wins
        render_region = region.intersection(clip)
        render_x = render_region.x
        first_cut, last_cut = render_region.column_span
        for y, strip in zip(render_region.line_range, strips, strict=False):
            if not is_rendered_line(y):
                continue
            line = chops[y]
            final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
            starts = final_cuts[:-1]
            won = [line.get(cut) is None for cut in starts]
            if not any(won):  # painted over by widgets above
                continue
            kept = [i for i in range(1, len(starts)) if not (won[i] and won[i - 1])]
            if len(kept) < len(starts) - 1:  # chops side by side: cut them where no wide character is
                text = strip.text
                wide = frozenset() if text.isascii() else _wide_starts(text)
                kept = [i for i in range(1, len(starts)) if i in kept or starts[i] - render_x - 1 not in wide]
            kept.append(len(starts))
            begin = 0
            for end, piece in zip(kept, strip.divide([final_cuts[i] - render_x for i in kept]), strict=False):
                if won[begin]:  # a run of chops not cut apart is all this widget's
                    line[starts[begin]] = piece
                    for i in range(begin + 1, end):
                        line[starts[i]] = _EMPTY
                begin = end
    return chops  # type: ignore[return-value]  # every chop painted: the screen's background is a widget


def install() -> None:
    """Use render_chops for every screen (once, at start)."""
    target: Any = Compositor
    target._render_chops = render_chops
