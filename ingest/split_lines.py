"""Find text rows that tesseract cut in two.

On a slightly skewed scan, tesseract's line finder sometimes slices one printed row into two "lines": the top
halves of the letters on one, the bottom halves on the next ("ist t A An" above "a orante Da Gino" for
"Ristorante Da Gino"). Real lines of text never do what those two do: occupy the same horizontal stretch of the
page *and* the same vertical band. This module finds such groups from word boxes alone; ``ocr.py`` then reads each
group's region again as a single line (``--psm 7``), which reads the row whole, and keeps that reading when
tesseract is more confident of it.

Pure geometry: no tesseract, no images. Boxes are ``(left, top, right, bottom)`` in pixels.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

__all__ = ["LineBox", "split_groups"]

# Two lines are one row cut in two when their typical glyph bands overlap by at least this share of the smaller
# band, and their horizontal extents by at least this share of the narrower line.
MIN_VERTICAL_OVERLAP = 0.5
MIN_HORIZONTAL_OVERLAP = 0.5


@dataclass(frozen=True)
class LineBox:
    """One tesseract line: its position in reading order and its words' boxes."""

    index: int
    boxes: tuple[tuple[int, int, int, int], ...]

    @property
    def band(self) -> tuple[float, float]:
        """The line's typical glyph band: the median top and bottom of its words (robust to specks and descenders)."""
        return median(b[1] for b in self.boxes), median(b[3] for b in self.boxes)

    @property
    def span(self) -> tuple[int, int]:
        return min(b[0] for b in self.boxes), max(b[2] for b in self.boxes)

    @property
    def bbox(self) -> tuple[int, int, int, int]:
        return (
            min(b[0] for b in self.boxes),
            min(b[1] for b in self.boxes),
            max(b[2] for b in self.boxes),
            max(b[3] for b in self.boxes),
        )


def _overlap_share(a: tuple[float, float], b: tuple[float, float]) -> float:
    shorter = min(a[1] - a[0], b[1] - b[0])
    if shorter <= 0:
        return 0.0
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0])) / shorter


def _same_row(a: LineBox, b: LineBox) -> bool:
    return (
        _overlap_share(a.band, b.band) >= MIN_VERTICAL_OVERLAP
        and _overlap_share(a.span, b.span) >= MIN_HORIZONTAL_OVERLAP
    )


def split_groups(lines: Sequence[LineBox]) -> list[list[LineBox]]:
    """Groups of two or more consecutive lines (in reading order) that are one printed row cut apart.

    Only neighbours in reading order are compared: a cut row comes out of tesseract as consecutive lines, while
    columns side by side (a table row, a header of boxes) do not overlap horizontally and are never grouped.
    """
    groups: list[list[LineBox]] = []
    current: list[LineBox] = []
    for line in lines:
        if not line.boxes:
            continue
        if current and _same_row(current[-1], line):
            current.append(line)
            continue
        if len(current) > 1:
            groups.append(current)
        current = [line]
    if len(current) > 1:
        groups.append(current)
    return groups
