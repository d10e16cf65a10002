"""Plain data handed back by the ingest package: what a file is, and what was read from each page.

Coordinates: ``bbox`` is ``(x0, y0, x1, y1)`` with the origin at the top-left of the page, in the page's ``unit``:
``"pt"`` (1/72 inch) for PDF pages, whether read from the text layer or rendered and OCR'd, and ``"px"`` for
image files. ``Page.width``/``Page.height`` use the same unit, so a viewer can scale a box onto the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ExtractOptions", "Extraction", "Page", "SourceInfo", "Word"]


@dataclass(frozen=True)
class Word:
    """One word as read from the page, with where it was read from."""

    text: str
    bbox: tuple[float, float, float, float]
    confidence: float | None = None  # 0..1 for OCR words; None for a PDF text layer (exact)
    line: int = 0  # index of the line within the page, in reading order


@dataclass(frozen=True)
class Page:
    """The text of one page and how it was obtained."""

    number: int  # 1-based
    method: str  # "text" (PDF text layer), "ocr" (tesseract), "empty" (nothing readable; see warnings)
    text: str
    width: float
    height: float
    unit: str  # "pt" or "px"
    dpi: int | None = None  # resolution the page was OCR'd at; None for a text layer
    confidence: float | None = None  # mean OCR word confidence, 0..1
    words: tuple[Word, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0  # time spent reading this page


@dataclass(frozen=True)
class SourceInfo:
    """What a file is, found by its content (never its name)."""

    kind: str  # "pdf", "png", "jpeg", "tiff"
    media_type: str  # "application/pdf", "image/png", "image/jpeg", "image/tiff"
    page_count: int
    has_text_layer: bool | None = None  # PDFs: whether any page carries real text; None for images


@dataclass(frozen=True)
class ExtractOptions:
    """How to read a file. Every limit has a safe default; the archive's settings override them."""

    languages: str = "ita+eng"  # tesseract -l
    dpi: int = 300  # rendering resolution for image-only PDF pages
    ocr_timeout: float = 180.0  # seconds per page before tesseract is stopped (page kept, empty, with a warning)
    max_pages: int = 2000  # refuse documents with more pages
    # refuse images (or rendered pages) larger than this (decompression bombs); stays under Pillow's own hard
    # limit (2 x Image.MAX_IMAGE_PIXELS, ~179 M) so that our clearer message is the one users see
    max_image_pixels: int = 150_000_000
    min_text_chars: int = 50  # a PDF page with fewer letters/digits in its text layer is treated as a scan
    max_file_bytes: int = 2 * 1024**3  # refuse files larger than this


@dataclass(frozen=True)
class Extraction:
    """Everything read from one file."""

    source: SourceInfo
    pages: tuple[Page, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def text(self) -> str:
        """The whole text, pages separated by form feeds."""
        return "\f".join(p.text for p in self.pages)


DOC_TYPES = ("invoice", "credit_note", "contract", "dunning_letter", "receipt", "other")


@dataclass(frozen=True)
class Classification:
    """What kind of document this is, and in which language it is written."""

    doc_type: str  # one of DOC_TYPES
    score: float  # confidence in doc_type, 0..1
    scores: tuple[tuple[str, float], ...] = ()  # every type's score, best first
    language: str | None = None  # ISO 639-1 ("it", "en", "de", "fr", "es"), None when unclear


@dataclass(frozen=True)
class FieldValue:
    """One extracted field, normalised as in FIELDS.md, with where it was read and how sure we are."""

    name: str  # a FIELDS.md name, e.g. "total_amount"
    value: str | tuple[str, ...]  # normalised; a tuple for list fields (parties, invoice_refs)
    confidence: float  # 0..1, after validation
    page: int | None = None  # 1-based page it was read from
    bbox: tuple[float, float, float, float] | None = None  # on that page, in the page's unit (see module doc)
    valid: bool | None = None  # result of its check (checksum, plausibility, arithmetic); None when none applies
    raw: str = ""  # the text as printed
    checks: tuple[str, ...] = ()  # what was checked, in words: "IBAN check digits valid", "net + tax = total"
