"""Priority from impact x urgency (the usual ITIL matrix; DOMAIN.md). 1 = high, 2 = medium, 3 = low."""

from __future__ import annotations

LEVELS = {1: "high", 2: "medium", 3: "low"}

# DEFAULT_MATRIX[impact][urgency] -> priority 1..5
DEFAULT_MATRIX: dict[int, dict[int, int]] = {
    1: {1: 1, 2: 2, 3: 3},
    2: {1: 2, 2: 3, 3: 4},
    3: {1: 3, 2: 4, 3: 5},
}


def priority_for(impact: int, urgency: int, matrix: dict[int, dict[int, int]] | None = None) -> int:
    if impact not in LEVELS or urgency not in LEVELS:
        raise ValueError(f"impact and urgency are 1 (high), 2 (medium) or 3 (low), not {impact}/{urgency}")
    return (matrix or DEFAULT_MATRIX)[impact][urgency]
