"""File -> Extraction: the text of every page, from the PDF text layer where it is real, by OCR elsewhere.

Per page: a PDF page whose text layer has at least ``min_text_chars`` letters/digits is read from it (no OCR); any
other PDF page is rendered in grey at ``options.dpi`` and OCR'd, its boxes turned from pixels into points; a PNG or
JPEG is one OCR'd page; each TIFF frame is one OCR'd page at its own resolution. When a PDF page's thin text layer
holds at least as many letters/digits as its OCR text, the text layer is kept (Docspell's tie-break).

:func:`extract_page` does the work of one page from nothing but a path, a number and the options, so that pages of
one large document can be spread over worker processes (everything here is module-level and picklable).
"""

from __future__ import annotations

import math
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from ingest import _imaging
from ingest.errors import CorruptFileError, LimitExceededError, UnsupportedTypeError
from ingest.model import Extraction, ExtractOptions, Page
from ingest.ocr import check_tesseract, ocr_page
from ingest.sources import detect_kind, open_pdf, read_head, repair_hint, sniff
from ingest.textlayer import letters, page_size, read_text_page

__all__ = ["extract", "extract_page"]

MIN_RENDER_DPI = 100  # a page that only fits the pixel limit below this is refused rather than OCR'd badly


def extract(path: Path, options: ExtractOptions = ExtractOptions()) -> Extraction:  # noqa: B008 (a frozen dataclass)
    """Read every page of a PDF, PNG, JPEG or TIFF file, in order.

    Args:
        path: the file; its type is found by content.
        options: languages, resolution, OCR timeout and limits.

    Returns:
        The file's ``SourceInfo`` and one ``Page`` per page, each with its method, text, words and timing.

    Raises:
        InputError: (and its subclasses) the file is refused by :func:`ingest.sources.sniff` or a page of it
            turns out to be damaged or too large.
        MissingToolError: a page needs OCR and tesseract or a language is missing.
        ToolError: tesseract failed other than by timing out.
    """
    path = Path(path)
    source = sniff(path, options)
    with tempfile.TemporaryDirectory(prefix="sigillo-ingest-") as scratch:
        if source.kind == "pdf":
            doc = open_pdf(path)
            try:
                pages = [
                    _pdf_page(doc, number, path, options, Path(scratch)) for number in range(1, source.page_count + 1)
                ]
            finally:
                doc.close()
        elif source.kind == "tiff":
            check_tesseract(options.languages)
            with _imaging.open_image(path, "tiff", options.max_image_pixels) as img:
                pages = [_tiff_page(img, number, options, Path(scratch)) for number in range(1, source.page_count + 1)]
        else:
            check_tesseract(options.languages)
            pages = [_image_page(path, options)]
    return Extraction(source=source, pages=tuple(pages))


def extract_page(path: Path, number: int, options: ExtractOptions = ExtractOptions()) -> Page:  # noqa: B008 (a frozen dataclass)
    """Read one page (1-based ``number``) of a file that :func:`ingest.sources.sniff` has accepted.

    Raises:
        ValueError: ``number`` is not a page of the file.
        InputError, MissingToolError, ToolError: as for :func:`extract`.
    """
    path = Path(path)
    kind = detect_kind(read_head(path))
    if kind is None:
        sniff(path, options)  # raises the UnsupportedTypeError that names what the file is
        raise UnsupportedTypeError("unrecognised content: not a PDF, PNG, JPEG or TIFF")
    with tempfile.TemporaryDirectory(prefix="sigillo-ingest-") as scratch:
        if kind == "pdf":
            doc = open_pdf(path)
            try:
                _check_number(number, len(doc))
                return _pdf_page(doc, number, path, options, Path(scratch))
            finally:
                doc.close()
        if kind == "tiff":
            with _imaging.open_image(path, "tiff", options.max_image_pixels) as img:
                _check_number(number, int(getattr(img, "n_frames", 1)))
                return _tiff_page(img, number, options, Path(scratch))
        _check_number(number, 1)
        return _image_page(path, options)


def _check_number(number: int, count: int) -> None:
    if not 1 <= number <= count:
        raise ValueError(f"page {number} does not exist: the file has {count} page(s)")


def _pdf_page(doc: pdfium.PdfDocument, number: int, path: Path, options: ExtractOptions, scratch: Path) -> Page:
    """One PDF page: from its text layer when real, else rendered and OCR'd (boxes in points)."""
    started = time.perf_counter()
    hint = repair_hint(path)
    try:
        page = doc[number - 1]
    except pdfium.PdfiumError as exc:
        raise CorruptFileError(f"damaged PDF: page {number} cannot be read; {hint}") from exc
    try:
        result = read_text_page(page, number, options.min_text_chars)
        if result is None:
            thin = read_text_page(page, number, 1)  # a short text layer, kept if OCR reads even less
            check_tesseract(options.languages)
            image, dpi, warnings = _render(page, number, options, scratch, hint)
            try:
                result = ocr_page(
                    image,
                    number=number,
                    dpi=dpi,
                    languages=options.languages,
                    timeout=options.ocr_timeout,
                    unit="pt",
                    unit_scale=72 / dpi,
                    max_image_pixels=options.max_image_pixels,
                )
            finally:
                image.unlink(missing_ok=True)
            width, height = page_size(page)
            result = replace(
                result, width=round(width, 2), height=round(height, 2), warnings=warnings + result.warnings
            )
            if thin is not None and letters(thin.text) >= letters(result.text):
                # Docspell's tie-break: keep the longer of the two texts (and say so if OCR timed out).
                result = replace(thin, warnings=result.warnings if result.method == "empty" else warnings)
    finally:
        page.close()
    return replace(result, seconds=round(time.perf_counter() - started, 4))


def _render(
    page: pdfium.PdfPage, number: int, options: ExtractOptions, scratch: Path, hint: str
) -> tuple[Path, int, tuple[str, ...]]:
    """Render a PDF page in grey to a PNG in ``scratch``, within the pixel limit; the file, its dpi, warnings."""
    width, height = page_size(page)
    dpi = options.dpi
    warnings: tuple[str, ...] = ()
    square_inches = max(width, 1.0) * max(height, 1.0) / 72**2
    if square_inches * dpi**2 > options.max_image_pixels:
        fitting = int(math.sqrt(options.max_image_pixels / square_inches))
        if fitting < MIN_RENDER_DPI:
            raise LimitExceededError(
                f"page {number} is too large to render for OCR: {width / 72:.0f}×{height / 72:.0f} inches"
            )
        warnings = (f"page {number} is very large: OCR'd at {fitting} dpi instead of {dpi}",)
        dpi = fitting
    try:
        bitmap = page.render(scale=dpi / 72, grayscale=True)
    except pdfium.PdfiumError as exc:
        raise CorruptFileError(f"damaged PDF: page {number} cannot be rendered; {hint}") from exc
    target = scratch / f"page-{number}.png"
    try:
        _imaging.save_png(bitmap.to_pil(), target, dpi)
    finally:
        bitmap.close()
    return target, dpi, warnings


def _image_page(path: Path, options: ExtractOptions) -> Page:
    """A PNG or JPEG file: one page, OCR'd at the resolution the file declares (boxes in pixels)."""
    return ocr_page(
        path,
        number=1,
        dpi=None,
        languages=options.languages,
        timeout=options.ocr_timeout,
        unit="px",
        unit_scale=1.0,
        max_image_pixels=options.max_image_pixels,
    )


def _tiff_page(img: Image.Image, number: int, options: ExtractOptions, scratch: Path) -> Page:
    """One TIFF frame, written to a grey PNG that keeps the frame's own resolution, then OCR'd."""
    started = time.perf_counter()
    _imaging.load_frame(img, number - 1, "TIFF image", options.max_image_pixels)
    dpi = _imaging.image_dpi(img)
    target = scratch / f"frame-{number}.png"
    try:
        _imaging.save_png(_imaging.prepare_for_ocr(img), target, dpi)
    except _imaging.PILLOW_ERRORS as exc:
        raise CorruptFileError(f"damaged TIFF image: page {number} cannot be decoded; re-scan it") from exc
    try:
        result = ocr_page(
            target,
            number=number,
            dpi=dpi,
            languages=options.languages,
            timeout=options.ocr_timeout,
            unit="px",
            unit_scale=1.0,
            max_image_pixels=options.max_image_pixels,
        )
    finally:
        target.unlink(missing_ok=True)
    return replace(result, seconds=round(time.perf_counter() - started, 4))
