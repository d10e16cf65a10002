"""Text-layer PDF pages: their text and words with boxes, read with pdfium (no OCR).

Words are built here from pdfium's character stream rather than with pdfplumber (~70× slower): one pass over
``FPDFText_GetUnicode``/``FPDFText_GetCharBox``. pdfium already puts its own spaces and line breaks into that stream
(the "generated" characters, from its layout analysis), so a word is a run of characters between two whitespace
characters, and a line ends at each generated line break. A word's box is the union of its characters' tight boxes,
turned from PDF space (origin bottom-left, page rotation not applied) into the page as displayed: points with the
origin at the top-left of the crop box, after ``/Rotate``. The page text is built from the same stream, so every
word of ``Page.words`` is found in ``Page.text``.
"""

from __future__ import annotations

import ctypes
import re

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ingest.model import Page, Word

__all__ = ["count_text_chars", "is_real_text", "letters", "page_size", "read_text_page"]

_HYPHEN_MARKS = {0x02, 0xFFFE}  # pdfium's marks for a hyphen it thinks may be soft: keep it as "-"
_SPACES = {0x09, 0x20, 0xA0, 0x2007, 0x202F, 0x3000} | set(range(0x2000, 0x200B))
_BREAKS = {0x0A, 0x0D, 0x0B, 0x0C, 0x2028, 0x2029, 0x85}
_BLANK_LINES = re.compile(r"\n{3,}")


def count_text_chars(page: pdfium.PdfPage) -> int:
    """How many letters and digits the page's text layer holds (its spaces and punctuation do not count)."""
    textpage = page.get_textpage()
    try:
        return letters(textpage.get_text_range())
    finally:
        textpage.close()


def letters(text: str) -> int:
    """How many letters and digits ``text`` holds."""
    return sum(ch.isalnum() for ch in text)


def is_real_text(text: str, min_text_chars: int) -> bool:
    """Whether ``text`` has enough letters/digits for its page to skip OCR (paperless-ngx uses 50)."""
    return letters(text) >= min_text_chars


def page_size(page: pdfium.PdfPage) -> tuple[float, float]:
    """Width and height of the page as displayed (crop box, after ``/Rotate``), in points."""
    left, bottom, right, top = _page_box(page)
    width, height = abs(right - left), abs(top - bottom)
    return (height, width) if page.get_rotation() % 180 == 90 else (width, height)


def _page_box(page: pdfium.PdfPage) -> tuple[float, float, float, float]:
    """The visible page area in PDF space: pdfium's bounding box (crop box within media box, inherited boxes
    resolved; ``get_cropbox``/``get_mediabox`` miss boxes inherited from the page tree and fall back to Letter)."""
    left, bottom, right, top = page.get_bbox()
    return float(left), float(bottom), float(right), float(top)


class _Frame:
    """Turns boxes in PDF space into top-left-origin boxes on the displayed page, clamped to it."""

    def __init__(self, page: pdfium.PdfPage) -> None:
        left, bottom, right, top = _page_box(page)
        self.left, self.bottom = min(left, right), min(bottom, top)
        self.width, self.height = abs(right - left), abs(top - bottom)
        self.rotation = page.get_rotation() % 360
        self.out_w, self.out_h = page_size(page)

    def box(self, x0: float, y0: float, x1: float, y1: float) -> tuple[float, float, float, float]:
        u0, u1 = x0 - self.left, x1 - self.left
        v0, v1 = y0 - self.bottom, y1 - self.bottom
        w, h = self.width, self.height
        if self.rotation == 90:
            box = (v0, u0, v1, u1)
        elif self.rotation == 180:
            box = (w - u1, v0, w - u0, v1)
        elif self.rotation == 270:
            box = (h - v1, w - u1, h - v0, w - u0)
        else:
            box = (u0, h - v1, u1, h - v0)
        ow, oh = self.out_w, self.out_h
        return (
            round(min(max(box[0], 0.0), ow), 2),
            round(min(max(box[1], 0.0), oh), 2),
            round(min(max(box[2], 0.0), ow), 2),
            round(min(max(box[3], 0.0), oh), 2),
        )


def read_text_page(page: pdfium.PdfPage, number: int, min_text_chars: int) -> Page | None:
    """Read one PDF page from its text layer.

    Args:
        page: an open pdfium page.
        number: its 1-based page number, recorded on the result.
        min_text_chars: fewer letters/digits than this means the layer is not real text.

    Returns:
        A ``Page`` with method ``"text"`` (unit ``"pt"``, words with boxes, no confidence), or None when the
        page's text layer is missing or too thin, so that the caller OCRs it instead.
    """
    textpage = page.get_textpage()
    try:
        quick = textpage.get_text_range()
        if not is_real_text(quick, min_text_chars):
            return None
        text, words = _walk(textpage, quick, _Frame(page))
    finally:
        textpage.close()
    width, height = page_size(page)
    return Page(
        number=number,
        method="text",
        text=text,
        width=round(width, 2),
        height=round(height, 2),
        unit="pt",
        words=tuple(words),
    )


def _codes(textpage: pdfium.PdfTextPage, quick: str) -> list[int]:
    """The code point of each of pdfium's characters, by index."""
    count = textpage.count_chars()
    if len(quick) == count:  # the usual case: one call instead of one per character
        return [ord(ch) for ch in quick]
    get = pdfium_c.FPDFText_GetUnicode
    return [get(textpage.raw, index) for index in range(count)]


def _walk(textpage: pdfium.PdfTextPage, quick: str, frame: _Frame) -> tuple[str, list[Word]]:
    """One pass over pdfium's characters: the page text, and its words with boxes and line numbers."""
    raw = textpage.raw
    get_box = pdfium_c.FPDFText_GetCharBox
    left, right, bottom, top = (ctypes.c_double() for _ in range(4))
    lines: list[str] = []
    line_chars: list[str] = []
    words: list[Word] = []
    start = -1  # index in line_chars where the current word starts; -1: no word open
    x0 = y0 = x1 = y1 = 0.0
    has_box = False
    line_no = 0
    line_has_word = False
    previous = -1
    for index, code in enumerate(_codes(textpage, quick)):
        if code in _BREAKS or code in _SPACES:
            if start >= 0:
                bbox = frame.box(x0, y0, x1, y1) if has_box else (0.0, 0.0, 0.0, 0.0)
                words.append(Word(text="".join(line_chars[start:]), bbox=bbox, line=line_no))
                start, has_box, line_has_word = -1, False, True
            if code in _SPACES:
                line_chars.append(" ")
            elif not (code == 0x0A and previous == 0x0D):
                lines.append("".join(line_chars).rstrip())
                line_chars.clear()
                if line_has_word:
                    line_no += 1
                    line_has_word = False
        elif (
            code in _HYPHEN_MARKS
            or (0x20 <= code < 0xD800 and code != 0x7F)
            or 0xE000 <= code < 0xFFFD
            or (0x10000 <= code <= 0x10FFFF)
        ):
            if start < 0:
                start = len(line_chars)
            line_chars.append("-" if code in _HYPHEN_MARKS else chr(code))
            if get_box(raw, index, left, right, bottom, top) and (right.value > left.value or top.value > bottom.value):
                if has_box:
                    x0, y0 = min(x0, left.value), min(y0, bottom.value)
                    x1, y1 = max(x1, right.value), max(y1, top.value)
                else:
                    x0, y0, x1, y1, has_box = left.value, bottom.value, right.value, top.value, True
        previous = code
    if start >= 0:
        bbox = frame.box(x0, y0, x1, y1) if has_box else (0.0, 0.0, 0.0, 0.0)
        words.append(Word(text="".join(line_chars[start:]), bbox=bbox, line=line_no))
    lines.append("".join(line_chars).rstrip())
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip("\n")
    return text, words
