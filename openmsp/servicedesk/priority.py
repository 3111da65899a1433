"""Impact x urgency → priority (ITIL's matrix), without the ORM.

1 is the highest impact/urgency; P1 is the most urgent priority. The matrix is a table, not
branches, so a changed policy is a changed table.
"""

from __future__ import annotations

from typing import Literal

Level = Literal[1, 2, 3]
Priority = Literal["P1", "P2", "P3", "P4"]

MATRIX: dict[tuple[int, int], Priority] = {
    (1, 1): "P1", (1, 2): "P2", (1, 3): "P3",
    (2, 1): "P2", (2, 2): "P3", (2, 3): "P4",
    (3, 1): "P3", (3, 2): "P4", (3, 3): "P4",
}  # fmt: skip


def priority_of(impact: int, urgency: int) -> Priority:
    """impact and urgency are 1 (high), 2 (medium) or 3 (low)."""
    try:
        return MATRIX[(int(impact), int(urgency))]
    except KeyError:
        raise ValueError(f"impact and urgency must be 1, 2 or 3, not {impact}/{urgency}") from None
