"""Synthetic pages for the field tests: words placed on a grid, with layouts not in samples/ or the devset."""

from __future__ import annotations

from ingest.model import Page, Word


def make_page(rows, number=1, width=600.0, height=800.0, ocr=False):
    """rows: (y, [(x, text), ...]) in reading order (y need not grow: OCR may read a column as its own block);
    each text is split into words 6 units per character wide. ``ocr``: words carry a confidence, unit px."""
    words = []
    for line, (y, cells) in enumerate(rows):
        for x, text in cells:
            for token in text.split():
                w = 6.0 * len(token)
                words.append(Word(token, (x, y, x + w, y + 10), 0.9 if ocr else None, line))
                x += w + 4
    text = "\n".join(" ".join(w.text for w in words if w.line == i) for i in range(len(rows)))
    return Page(number, "ocr" if ocr else "text", text, width, height, "px" if ocr else "pt", words=tuple(words))


def values(got):
    """The plain values of extract_fields' result."""
    return {k: f.value for k, f in got.items()}
