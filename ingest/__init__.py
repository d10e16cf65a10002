"""File -> Extraction: identify a document by its content, check it, and read its text page by page.

Pure: it knows nothing of the archive, never prints and never exits. Entry points: :func:`sniff` (what is this
file, and can it be read?), :func:`extract` (every page), :func:`extract_page` (one page, for worker processes)
and :func:`check_tesseract`.
"""

from __future__ import annotations

from ingest.errors import (
    CorruptFileError,
    EncryptedPdfError,
    IngestError,
    InputError,
    LimitExceededError,
    MissingToolError,
    ToolError,
    UnsupportedTypeError,
)
from ingest.model import Classification, Extraction, ExtractOptions, FieldValue, Page, SourceInfo, Word
from ingest.ocr import check_tesseract
from ingest.reader import extract, extract_page
from ingest.sources import sniff

__all__ = [
    "Classification",
    "CorruptFileError",
    "EncryptedPdfError",
    "ExtractOptions",
    "Extraction",
    "FieldValue",
    "IngestError",
    "InputError",
    "LimitExceededError",
    "MissingToolError",
    "Page",
    "SourceInfo",
    "ToolError",
    "UnsupportedTypeError",
    "Word",
    "check_tesseract",
    "extract",
    "extract_page",
    "sniff",
]
