"""Tesseract, through pytesseract: the only module that imports it.

Every run gets ``OMP_THREAD_LIMIT=1`` (Debian's OpenMP build is 5.6× slower per page without it on 2 cores; pages
are parallelised one process per core instead), a file path rather than a PIL image, and ``--dpi``. One run of
``image_to_data`` (TSV) gives the words, their boxes and confidences; the page text is built from the same rows.

A row that tesseract cut in two on a skewed scan (see ``split_lines.py``) is read again as a single line, and that
reading replaces the two halves when tesseract is more confident of it: one extra short run, only on such rows.

Tolerated failures (the page is kept, with a warning): a timeout (method ``"empty"``) and a page with no words
(method ``"ocr"``, empty text). Anything else raises :class:`ToolError`.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from statistics import fmean, median

import pytesseract
from PIL import Image

from ingest import _imaging
from ingest.errors import MissingToolError, ToolError
from ingest.model import Page, Word
from ingest.split_lines import LineBox, split_groups

__all__ = ["check_tesseract", "ocr_page"]

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-ita tesseract-ocr-eng"
_LANGUAGES = re.compile(r"^[A-Za-z0-9_]+(\+[A-Za-z0-9_]+)*$")
_checked: dict[str, str] = {}  # languages -> tesseract version, for this process


def check_tesseract(languages: str) -> str:
    """Check that tesseract and every language of ``languages`` (e.g. ``"ita+eng"``) are installed.

    The answer is cached for the life of the process.

    Returns:
        tesseract's version, e.g. ``"5.3.0"``.

    Raises:
        MissingToolError: tesseract is not on PATH, or a language's data is not installed; ``hint`` says how
            to install it.
    """
    if languages in _checked:
        return _checked[languages]
    if not _LANGUAGES.match(languages):
        raise MissingToolError(
            f"not a valid tesseract language list: {languages!r} (expected e.g. 'ita+eng')",
            hint="set the OCR languages to tesseract codes joined by '+', e.g. ita+eng",
        )
    try:
        version = str(pytesseract.get_tesseract_version())
        installed = set(pytesseract.get_languages(config=""))
    except (pytesseract.TesseractNotFoundError, OSError, SystemExit) as exc:
        raise MissingToolError("tesseract OCR is not installed (or not on PATH)", hint=INSTALL_HINT) from exc
    missing = [lang for lang in languages.split("+") if lang not in installed]
    if missing:
        packages = " ".join(f"tesseract-ocr-{lang.lower().replace('_', '-')}" for lang in missing)
        raise MissingToolError(
            f"tesseract language data not installed: {', '.join(missing)}",
            hint=f"apt-get install {packages}",
        )
    _checked[languages] = version
    return version


def ocr_page(
    image_path: Path,
    *,
    number: int = 1,
    dpi: int | None = None,
    languages: str = "ita+eng",
    timeout: float = 180.0,
    unit: str = "px",
    unit_scale: float = 1.0,
    max_image_pixels: int = 200_000_000,
) -> Page:
    """OCR one page image (PNG, JPEG or the first frame of a TIFF) with tesseract.

    The image is made upright (EXIF orientation) and 8-bit grey (bilevel stays bilevel) first; files that are
    already so go to tesseract untouched, the others through a temporary PNG.

    Args:
        image_path: the page image.
        number: 1-based page number, recorded on the page and in its warnings.
        dpi: the image's resolution; None reads it from the file (300 when missing or outside 70..1200).
        languages: tesseract ``-l`` value.
        timeout: seconds before tesseract is stopped; the page is then returned empty, with a warning.
        unit: the unit of the returned boxes and page size: ``"px"`` for image files, ``"pt"`` for PDF pages.
        unit_scale: multiplies pixel coordinates into ``unit`` (``72 / dpi`` for a rendered PDF page).
        max_image_pixels: refuse larger images.

    Returns:
        A ``Page`` with method ``"ocr"`` (or ``"empty"`` after a timeout), words with boxes, line numbers and
        0..1 confidences, and their mean as the page confidence.

    Raises:
        MissingToolError: tesseract or a language is missing.
        ToolError: tesseract failed other than by timing out.
        CorruptFileError, LimitExceededError: the image cannot be decoded, or is too large.
    """
    started = time.perf_counter()
    check_tesseract(languages)
    image_path = Path(image_path)
    with tempfile.TemporaryDirectory(prefix="sigillo-ocr-") as scratch:
        img = _imaging.open_image(image_path, None, max_image_pixels)
        with img:
            dpi = dpi or _imaging.image_dpi(img)
            if _imaging.needs_preparation(img):
                _imaging.load_frame(img, 0, "image", max_image_pixels)
                prepared = _imaging.prepare_for_ocr(img)
                source = Path(scratch) / f"page-{number}.png"
                _imaging.save_png(prepared, source, dpi)
                size = prepared.size
            else:
                source, size = image_path, img.size
        tsv, warning = _run_tesseract(source, number=number, dpi=dpi, languages=languages, timeout=timeout)
        rows = _parse_tsv(tsv) if tsv is not None else []
        if rows:
            remaining = timeout - (time.perf_counter() - started)
            rows = _reread_split_rows(
                rows, source, Path(scratch), number=number, dpi=dpi, languages=languages, timeout=remaining
            )
    width, height = round(size[0] * unit_scale, 2), round(size[1] * unit_scale, 2)
    if tsv is None:
        return Page(
            number=number,
            method="empty",
            text="",
            width=width,
            height=height,
            unit=unit,
            dpi=dpi,
            warnings=(warning,),
            seconds=round(time.perf_counter() - started, 4),
        )
    text, words = _assemble(rows, unit_scale)
    confidence = round(sum(w.confidence or 0.0 for w in words) / len(words), 4) if words else None
    return Page(
        number=number,
        method="ocr",
        text=text,
        width=width,
        height=height,
        unit=unit,
        dpi=dpi,
        confidence=confidence,
        words=tuple(words),
        warnings=() if words else (f"no text found on page {number}",),
        seconds=round(time.perf_counter() - started, 4),
    )


def _run_tesseract(
    source: Path, *, number: int, dpi: int, languages: str, timeout: float, psm: int | None = None
) -> tuple[str | None, str]:
    """Tesseract's TSV for ``source``, or ``(None, warning)`` when it timed out. ``psm``: a page segmentation mode."""
    # pytesseract starts tesseract with os.environ and has no env parameter, so the limit is set on the
    # process environment, deliberately and for good: every tesseract this process starts must be single-threaded.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    config = f"--dpi {int(dpi)}" + (f" --psm {int(psm)}" if psm is not None else "")
    log.debug(
        "OMP_THREAD_LIMIT=1 tesseract %s stdout -l %s %s -c tessedit_create_tsv=1 (timeout %g s)",
        source,
        languages,
        config,
        timeout,
    )
    try:
        tsv = pytesseract.image_to_data(str(source), lang=languages, config=config, timeout=timeout)
    except RuntimeError as exc:
        if "timeout" in str(exc).lower():
            log.debug("tesseract timed out after %g s on page %d", timeout, number)
            return None, f"OCR timed out after {timeout:g} s"
        raise ToolError(f"tesseract failed on page {number}: {_first_line(exc)}") from exc
    except pytesseract.TesseractNotFoundError as exc:
        raise MissingToolError("tesseract OCR is not installed (or not on PATH)", hint=INSTALL_HINT) from exc
    except pytesseract.TesseractError as exc:
        log.debug("tesseract failed (status %s): %s", exc.status, exc.message)
        raise ToolError(f"tesseract failed on page {number}: {_first_line(exc.message)}") from exc
    except OSError as exc:
        raise ToolError(f"tesseract could not be run on page {number}: {exc.strerror or exc}") from exc
    return str(tsv), ""


def _first_line(message: object) -> str:
    text = str(message).strip()
    line = text.splitlines()[0] if text else "no message"
    return line if len(line) <= 160 else line[:157] + "..."


@dataclass(frozen=True)
class _Row:
    block: int
    par: int
    line: int
    left: int
    top: int
    width: int
    height: int
    conf: float
    text: str


def _parse_tsv(tsv: str) -> list[_Row]:
    """The word rows (level 5, non-blank, with a confidence) of tesseract's TSV output, in its order."""
    rows: list[_Row] = []
    for raw in tsv.splitlines()[1:]:
        cells = raw.split("\t")
        if len(cells) < 12 or cells[0] != "5" or not cells[11].strip():
            continue
        try:
            conf = float(cells[10])
            numbers = [int(c) for c in cells[2:5] + cells[6:10]]
        except ValueError:
            continue
        if conf < 0:
            continue
        block, par, line, left, top, width, height = numbers
        rows.append(_Row(block, par, line, left, top, width, height, conf, cells[11].strip()))
    return rows


def _reread_split_rows(
    rows: list[_Row], source: Path, scratch: Path, *, number: int, dpi: int, languages: str, timeout: float
) -> list[_Row]:
    """``rows`` with each row that tesseract cut in two replaced by a single-line reading of its region.

    The new reading is kept only when its mean word confidence is at least that of the halves it replaces; the
    replaced words take the line key of the first half, so the page text keeps its reading order.
    """
    by_key: dict[tuple[int, int, int], list[_Row]] = {}
    for row in rows:
        by_key.setdefault((row.block, row.par, row.line), []).append(row)
    keys = list(by_key)
    lines = [
        LineBox(i, tuple((r.left, r.top, r.left + r.width, r.top + r.height) for r in by_key[key]))
        for i, key in enumerate(keys)
    ]
    groups = split_groups(lines)
    if not groups:
        return rows
    deadline = time.perf_counter() + timeout
    with Image.open(source) as img:
        for n, group in enumerate(groups):
            remaining = deadline - time.perf_counter()
            if remaining <= 1:
                break
            left, top, right, bottom = (
                min(line.bbox[0] for line in group),
                min(line.bbox[1] for line in group),
                max(line.bbox[2] for line in group),
                max(line.bbox[3] for line in group),
            )
            pad = max(4, round(0.3 * median(b[3] - b[1] for line in group for b in line.boxes)))
            box = (max(0, left - pad), max(0, top - pad), min(img.width, right + pad), min(img.height, bottom + pad))
            crop_path = scratch / f"row-{number}-{n}.png"
            img.crop(box).save(crop_path, dpi=(dpi, dpi))
            tsv, _ = _run_tesseract(crop_path, number=number, dpi=dpi, languages=languages, timeout=remaining, psm=7)
            fresh = _parse_tsv(tsv) if tsv is not None else []
            old = [r for line in group for r in by_key[keys[line.index]]]
            if not fresh or fmean(r.conf for r in fresh) < fmean(r.conf for r in old):
                continue
            first = keys[group[0].index]
            log.debug("page %d: re-read a row tesseract had cut in %d lines", number, len(group))
            by_key[first] = [
                replace(r, block=first[0], par=first[1], line=first[2], left=r.left + box[0], top=r.top + box[1])
                for r in fresh
            ]
            for line in group[1:]:
                by_key[keys[line.index]] = []
    return [r for key in keys for r in by_key[key]]


def _assemble(rows: list[_Row], scale: float) -> tuple[str, list[Word]]:
    """Page text (lines joined by newlines, a blank line between paragraphs and blocks) and words."""
    words: list[Word] = []
    parts: list[str] = []
    line_words: list[str] = []
    current: tuple[int, int, int] | None = None
    line_no = -1
    for row in rows:
        key = (row.block, row.par, row.line)
        if key != current:
            if line_words:
                parts.append(" ".join(line_words))
                line_words = []
            if current is not None and key[:2] != current[:2]:
                parts.append("")  # new paragraph or block: blank line
            current = key
            line_no += 1
        line_words.append(row.text)
        bbox = (
            round(row.left * scale, 2),
            round(row.top * scale, 2),
            round((row.left + row.width) * scale, 2),
            round((row.top + row.height) * scale, 2),
        )
        confidence = round(min(max(row.conf / 100, 0.0), 1.0), 4)
        words.append(Word(text=row.text, bbox=bbox, confidence=confidence, line=line_no))
    if line_words:
        parts.append(" ".join(line_words))
    return "\n".join(parts), words
