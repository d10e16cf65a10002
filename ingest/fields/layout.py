"""A document's words as one searchable text with geometry: pages -> lines -> cells (runs of close words).

Everything the extractors find is a character span of :attr:`Doc.text`; :meth:`Doc.locate` turns a span back
into the page, the union of the words' boxes, and their OCR confidence. Label -> value pairing looks to the
right of a label (same cell, next cell on the same row) and below it (the next lines, overlapping columns).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from ingest.model import Page, Word

__all__ = ["Cell", "Doc", "Located", "Span"]


@dataclass
class Cell:
    """A run of words on one line with no wide gap between them (a table cell, a label, a value)."""

    start: int  # offset in Doc.text
    end: int
    page: int
    line: int  # global line index
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def height(self) -> float:
        return max(self.y1 - self.y0, 1.0)


@dataclass(frozen=True)
class Located:
    page: int | None
    bbox: tuple[float, float, float, float] | None
    confidence: float | None  # mean OCR word confidence; None for a text layer
    rel_y: float  # 0 at the top of the page, 1 at the bottom


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def text(self, doc: Doc) -> str:
        return doc.text[self.start:self.end]


@dataclass
class Doc:
    """The document as one text: cells joined by tabs, lines by newlines, pages by a form feed line."""

    pages: Sequence[Page]
    text: str = ""
    words: list[tuple[int, Word]] = field(default_factory=list)
    owner: list[int] = field(default_factory=list)  # per character: index into words, -1 for separators
    cells: list[Cell] = field(default_factory=list)
    line_cells: list[list[int]] = field(default_factory=list)  # global line -> its cell indices
    page_size: dict[int, tuple[float, float]] = field(default_factory=dict)

    @classmethod
    def build(cls, pages: Sequence[Page]) -> Doc:
        doc = cls(pages)
        parts: list[str] = []
        pos = 0

        def emit(s: str, word: int = -1) -> None:
            nonlocal pos
            parts.append(s)
            doc.owner.extend([word] * len(s))
            pos += len(s)

        for page in pages:
            doc.page_size[page.number] = (page.width or 1.0, page.height or 1.0)
            if doc.cells or pos:
                emit("\n\f\n")
            by_line: dict[int, list[Word]] = {}
            for w in page.words:
                if w.text.strip():
                    by_line.setdefault(w.line, []).append(w)
            first_line = True
            for line_no in sorted(by_line):
                words = sorted(by_line[line_no], key=lambda w: w.bbox[0])
                if not first_line:
                    emit("\n")
                first_line = False
                gline = len(doc.line_cells)
                doc.line_cells.append([])
                heights = sorted(w.bbox[3] - w.bbox[1] for w in words)
                gap_limit = 1.8 * max(heights[len(heights) // 2], 1.0)
                cell: Cell | None = None
                prev: Word | None = None
                for w in words:
                    if prev is not None and w.bbox[0] - prev.bbox[2] <= gap_limit and cell is not None:
                        emit(" ")
                        cell.x1 = max(cell.x1, w.bbox[2])
                        cell.y0, cell.y1 = min(cell.y0, w.bbox[1]), max(cell.y1, w.bbox[3])
                    else:
                        if cell is not None:
                            cell.end = pos
                            emit("\t")
                        cell = Cell(pos, pos, page.number, gline, *w.bbox)
                        doc.line_cells[gline].append(len(doc.cells))
                        doc.cells.append(cell)
                    doc.words.append((page.number, w))
                    emit(w.text, len(doc.words) - 1)
                    prev = w
                if cell is not None:
                    cell.end = pos
        doc.text = "".join(parts)
        return doc

    # ------------------------------------------------------------------------------------------------ spans

    def locate(self, start: int, end: int) -> Located:
        """Page, box, OCR confidence and height on the page of the words under a span of the text."""
        idx = sorted({i for i in self.owner[start:end] if i >= 0})
        if not idx:
            return Located(None, None, None, 0.5)
        page = self.words[idx[0]][0]
        boxes = [self.words[i][1] for i in idx if self.words[i][0] == page]
        x0 = min(w.bbox[0] for w in boxes)
        y0 = min(w.bbox[1] for w in boxes)
        x1 = max(w.bbox[2] for w in boxes)
        y1 = max(w.bbox[3] for w in boxes)
        confs = [w.confidence for w in boxes if w.confidence is not None]
        conf = min(confs) if confs else None
        height = self.page_size.get(page, (1.0, 1.0))[1]
        return Located(page, (x0, y0, x1, y1), conf, min(max(y0 / height, 0.0), 1.0))

    def cell_at(self, offset: int) -> int | None:
        """The index of the cell holding a text offset (binary search)."""
        lo, hi = 0, len(self.cells) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            c = self.cells[mid]
            if offset < c.start:
                hi = mid - 1
            elif offset > c.end:
                lo = mid + 1
            else:
                return mid
        return None

    def cell_text(self, i: int) -> str:
        c = self.cells[i]
        return self.text[c.start:c.end]

    # --------------------------------------------------------------------------------------------- pairing

    def values_after(self, label_end: int, max_below: int = 3) -> Iterator[tuple[int, int, str]]:
        """Where the value of a label ending at ``label_end`` may be, best first, as (start, end, how).

        1. the rest of the label's cell; 2. the next cells to its right on the same row (same line, or a
        line whose box overlaps vertically); 3. cells below it on the next lines that overlap it horizontally.
        """
        ci = self.cell_at(label_end)
        if ci is None:
            return
        cell = self.cells[ci]
        rest_start = label_end
        while rest_start < cell.end and self.text[rest_start] in " :.-#°º\t":
            rest_start += 1
        if rest_start < cell.end:
            yield rest_start, cell.end, "same cell"
        for j in self._right_of(ci):
            yield self.cells[j].start, self.cells[j].end, "right"
        for j in self._below(ci, max_below):
            yield self.cells[j].start, self.cells[j].end, "below"

    def _right_of(self, ci: int) -> list[int]:
        cell = self.cells[ci]
        found = [j for j in self.line_cells[cell.line] if self.cells[j].x0 >= cell.x1 - 1 and j != ci]
        # rows split by the reader into separate lines (a column of values read as its own block, even far
        # later in reading order): cells of any line of the same page that share the label's height
        for line in self._page_lines(cell.page):
            if line == cell.line:
                continue
            for j in self.line_cells[line]:
                other = self.cells[j]
                if other.x0 < cell.x1 - 1:
                    continue
                overlap = min(cell.y1, other.y1) - max(cell.y0, other.y0)
                if overlap > 0.5 * min(cell.height, other.height):
                    found.append(j)
        found.sort(key=lambda j: self.cells[j].x0)
        return found[:3]

    def _page_lines(self, page: int) -> range:
        """The global line indices of one page (lines are numbered in page order)."""
        if not hasattr(self, "_page_line_ranges"):
            ranges: dict[int, list[int]] = {}
            for line, cells in enumerate(self.line_cells):
                if cells:
                    ranges.setdefault(self.cells[cells[0]].page, []).append(line)
            self._page_line_ranges = {p: range(min(ls), max(ls) + 1) for p, ls in ranges.items()}
        return self._page_line_ranges.get(page, range(0))

    def _below(self, ci: int, max_below: int) -> list[int]:
        cell = self.cells[ci]
        found: list[int] = []
        seen_lines = 0
        last_y = cell.y1
        line = cell.line + 1
        while line < len(self.line_cells) and seen_lines < max_below:
            cells = [j for j in self.line_cells[line] if self.cells[j].page == cell.page]
            if not cells:
                break
            top = min(self.cells[j].y0 for j in cells)
            if top < cell.y0:  # a line read out of order (another column): skip it
                line += 1
                continue
            if top - last_y > 4 * cell.height:
                break
            last_y = max(self.cells[j].y1 for j in cells)
            seen_lines += 1
            for j in cells:
                other = self.cells[j]
                overlap = min(cell.x1, other.x1) - max(cell.x0, other.x0)
                if overlap > 0 or abs(other.x0 - cell.x0) < cell.height:
                    found.append(j)
            line += 1
        return found


def finditer(pattern: re.Pattern[str], doc: Doc) -> Iterator[re.Match[str]]:
    return pattern.finditer(doc.text)
