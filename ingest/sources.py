"""What a file is, found by its content, and whether it can be read at all, checked without OCR.

:func:`sniff` is the gate in front of the archive: a file it refuses is quarantined with ``str(exc)`` as the
reason, so every refusal is one plain sentence that says what the file looks like and, where it helps, what to do.
"""

from __future__ import annotations

import codecs
import shlex
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pypdf import PdfReader

from ingest import _imaging
from ingest.errors import (
    CorruptFileError,
    EncryptedPdfError,
    InputError,
    LimitExceededError,
    UnsupportedTypeError,
)
from ingest.model import ExtractOptions, SourceInfo
from ingest.textlayer import count_text_chars

__all__ = ["MEDIA_TYPES", "detect_kind", "open_pdf", "read_head", "repair_hint", "sniff"]

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "tiff": "image/tiff",
}
HEAD_BYTES = 4096
TAIL_BYTES = 2048

_OFFICE_ZIP_MEMBERS = {
    "word/document.xml": "Word document (.docx)",
    "xl/workbook.xml": "Excel workbook (.xlsx)",
    "ppt/presentation.xml": "PowerPoint presentation (.pptx)",
}
_OPENDOCUMENT = {
    "application/vnd.oasis.opendocument.text": "OpenDocument text (.odt)",
    "application/vnd.oasis.opendocument.spreadsheet": "OpenDocument spreadsheet (.ods)",
    "application/vnd.oasis.opendocument.presentation": "OpenDocument presentation (.odp)",
}
_OTHER_IMAGES: tuple[tuple[bytes, int, str], ...] = (
    (b"GIF87a", 0, "GIF"),
    (b"GIF89a", 0, "GIF"),
    (b"BM", 0, "BMP"),
    (b"WEBP", 8, "WebP"),
    (b"ftypheic", 4, "HEIC"),
    (b"ftypheix", 4, "HEIC"),
    (b"ftypmif1", 4, "HEIF"),
    (b"ftypavif", 4, "AVIF"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", 0, "JPEG 2000"),
    (b"\xff\x4f\xff\x51", 0, "JPEG 2000"),
)
_COMPRESSED: tuple[tuple[bytes, str], ...] = (
    (b"\x1f\x8b", "gzip-compressed file"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"BZh", "bzip2-compressed file"),
    (b"\xfd7zXZ\x00", "xz-compressed file"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed file"),
)
_BMP_HEADER_SIZES = {bytes([n, 0, 0, 0]) for n in (12, 40, 52, 56, 64, 108, 124)}
_MAIL_HEADERS = ("from:", "received:", "return-path:", "mime-version:", "delivered-to:", "message-id:")


def read_head(path: Path, size: int = HEAD_BYTES) -> bytes:
    """The first ``size`` bytes of ``path``; unreadable files raise :class:`InputError`."""
    try:
        with path.open("rb") as fp:
            return fp.read(size)
    except IsADirectoryError as exc:
        raise InputError("not a file: it is a folder") from exc
    except FileNotFoundError as exc:
        raise InputError("file not found: it was moved or deleted before it could be read") from exc
    except PermissionError as exc:
        raise InputError("cannot read the file: permission denied") from exc
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})") from exc


def detect_kind(head: bytes) -> str | None:
    """``"pdf"``, ``"png"``, ``"jpeg"`` or ``"tiff"`` from a file's first bytes, or None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):  # classic and BigTIFF
        return "tiff"
    if head.startswith(b"%PDF-"):
        return "pdf"
    if _other_magic(head):  # e.g. a ZIP that stores a PDF: its "%PDF-" is not a header
        return None
    if b"%PDF-" in head[:1024]:  # readers accept junk before the header (pdfium does too)
        return "pdf"
    return None


def _other_magic(head: bytes) -> bool:
    """Whether ``head`` starts with the signature of a known unsupported binary format."""
    starts = (
        [magic for magic, offset, name in _OTHER_IMAGES if offset == 0 and name != "BMP"]
        + [magic for magic, _ in _COMPRESSED if magic != b"BZh"]
        + [b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"\x7fELF", b"RIFF"]
    )
    return head.startswith(tuple(starts)) or _is_bmp(head) or _is_program(head) or _is_bzip2(head)


# Two- and three-letter signatures also start ordinary text ("BMW S.p.A.", "MZ Costruzioni"): check a little more.
def _is_bmp(head: bytes) -> bool:
    return head.startswith(b"BM") and len(head) >= 26 and head[14:18] in _BMP_HEADER_SIZES


def _is_program(head: bytes) -> bool:
    if head.startswith((b"\x7fELF", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")):
        return True
    return head.startswith(b"MZ") and _as_text(head) is None


def _is_bzip2(head: bytes) -> bool:
    return head.startswith(b"BZh") and len(head) > 4 and head[3:4] in b"123456789" and _as_text(head) is None


def sniff(path: Path, options: ExtractOptions = ExtractOptions()) -> SourceInfo:  # noqa: B008 (a frozen dataclass)
    """Identify ``path`` by its content and check, without OCR, that it can be read.

    Args:
        path: the file to look at; its name and extension are ignored.
        options: the limits to enforce (``max_file_bytes``, ``max_pages``, ``max_image_pixels``) and the
            ``min_text_chars`` threshold used for ``has_text_layer``.

    Returns:
        What the file is, its page count and, for PDFs, whether any page carries a real text layer.

    Raises:
        UnsupportedTypeError: not a PDF, PNG, JPEG or TIFF; the message says what it looks like.
        EncryptedPdfError: a PDF that needs a password to open.
        CorruptFileError: truncated or damaged content, no pages, or an image too small to hold text.
        LimitExceededError: larger than ``max_file_bytes``, more pages than ``max_pages``, or more pixels
            than ``max_image_pixels``.
        InputError: the file cannot be read at all (missing, a folder, no permission).
    """
    path = Path(path)
    head = read_head(path)
    size = _file_size(path)
    if size == 0:
        raise UnsupportedTypeError("empty file (0 bytes)")
    if size > options.max_file_bytes:
        raise LimitExceededError(f"file too large: {_megabytes(size)}, limit {_megabytes(options.max_file_bytes)}")
    kind = detect_kind(head)
    if kind is None:
        raise UnsupportedTypeError(_unsupported_reason(path, head))
    if kind == "pdf":
        pages, has_text = _check_pdf(path, options)
        return SourceInfo(kind="pdf", media_type=MEDIA_TYPES["pdf"], page_count=pages, has_text_layer=has_text)
    pages = _check_image(path, kind, options)
    return SourceInfo(kind=kind, media_type=MEDIA_TYPES[kind], page_count=pages, has_text_layer=None)


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})") from exc


def _megabytes(size: int) -> str:
    return f"{size / 1024**2:,.1f} MB"


# --- PDF ------------------------------------------------------------------------------------------------------


def repair_hint(path: Path) -> str:
    """What to do with a damaged PDF, naming the file."""
    return f"repair it, e.g. `qpdf --replace-input {shlex.quote(path.name)}`, and ingest the repaired copy"


def open_pdf(path: Path) -> pdfium.PdfDocument:
    """Open a PDF with pdfium (empty password: owner-password-only PDFs open), mapping failures to ours.

    Raises:
        EncryptedPdfError: it needs a user password, or uses an encryption scheme pdfium cannot open.
        CorruptFileError: pdfium cannot parse it.
        InputError: the file cannot be read.
    """
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        raise _pdf_failure(path, getattr(exc, "err_code", None)) from exc
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})") from exc


def _pdf_failure(path: Path, code: int | None) -> InputError:
    """Why pdfium could not open ``path``, its error code cross-checked with pypdf.

    pdfium's error code is process-global and not reset on every failure (a PDF without pages fails with the
    code of the previous failure), so pypdf gives a second opinion on encryption and on the page count.
    """
    encrypted: bool | None = None
    pages: int | None = None
    try:
        reader = PdfReader(str(path), strict=False)
        encrypted = reader.is_encrypted
        if not encrypted:
            pages = len(reader.pages)
    except Exception:  # pypdf's diagnosis is best effort: any failure leaves pdfium's code to decide
        pass
    hint = repair_hint(path)
    if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY) and encrypted is not False:
        if code == pdfium_c.FPDF_ERR_SECURITY:
            return EncryptedPdfError(
                "encrypted PDF with an unsupported protection scheme: save an unprotected copy and ingest that"
            )
        return EncryptedPdfError("encrypted PDF: it needs a password to open; save an unprotected copy and ingest that")
    if encrypted:
        return EncryptedPdfError("encrypted PDF that cannot be opened: save an unprotected copy and ingest that")
    if pages == 0:
        return CorruptFileError(f"damaged PDF: it has no pages; {hint}")
    if code == pdfium_c.FPDF_ERR_FILE and not path.is_file():
        return InputError("cannot read the file: it could not be opened")
    return CorruptFileError(f"truncated or damaged PDF (it cannot be parsed): {hint}")


def _check_pdf(path: Path, options: ExtractOptions) -> tuple[int, bool]:
    """Page count and text-layer presence of a PDF that opens and is not truncated."""
    try:
        with path.open("rb") as fp:
            fp.seek(max(0, _file_size(path) - TAIL_BYTES))
            tail = fp.read()
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})") from exc
    if b"%%EOF" not in tail:
        raise CorruptFileError(f"truncated or damaged PDF (no end-of-file marker): {repair_hint(path)}")
    doc = open_pdf(path)
    try:
        pages = len(doc)
        if pages == 0:
            raise CorruptFileError(f"damaged PDF: it has no pages; {repair_hint(path)}")
        if pages > options.max_pages:
            raise LimitExceededError(f"too many pages: {pages}, limit {options.max_pages}")
        return pages, _any_page_has_text(doc, path, options.min_text_chars)
    finally:
        doc.close()


def _any_page_has_text(doc: pdfium.PdfDocument, path: Path, min_chars: int) -> bool:
    """Whether some page has at least ``min_chars`` letters/digits in its text layer (stops at the first)."""
    for index in range(len(doc)):
        try:
            page = doc[index]
        except pdfium.PdfiumError as exc:
            raise CorruptFileError(f"damaged PDF: page {index + 1} cannot be read; {repair_hint(path)}") from exc
        try:
            if count_text_chars(page) >= min_chars:
                return True
        finally:
            page.close()
    return False


# --- images ---------------------------------------------------------------------------------------------------


def _check_image(path: Path, kind: str, options: ExtractOptions) -> int:
    """Number of pages (TIFF frames) of an image whose header and first frame decode."""
    label = f"{'JPEG' if kind == 'jpeg' else kind.upper()} image"
    img = _imaging.open_image(path, kind, options.max_image_pixels)
    with img:
        width, height = img.size
        if width < _imaging.MIN_SIDE or height < _imaging.MIN_SIDE:
            raise CorruptFileError(f"image too small to hold text ({width}×{height} px)")
        _imaging.load_frame(img, 0, label, options.max_image_pixels)
        if kind != "tiff":
            return 1
        try:
            frames = int(getattr(img, "n_frames", 1))
        except _imaging.PILLOW_ERRORS as exc:
            raise CorruptFileError(
                f"damaged TIFF image: its page list cannot be read ({_imaging.reason(exc)})"
            ) from exc
        if frames > options.max_pages:
            raise LimitExceededError(f"too many pages: {frames}, limit {options.max_pages}")
        for frame in range(1, frames):  # headers only: every page must be within the pixel limit
            try:
                img.seek(frame)
            except _imaging.PILLOW_ERRORS as exc:
                raise CorruptFileError(f"damaged TIFF image: page {frame + 1} cannot be read") from exc
            _imaging.check_pixels(img.size, options.max_image_pixels)
        return frames


# --- what an unsupported file looks like ----------------------------------------------------------------------


def _unsupported_reason(path: Path, head: bytes) -> str:
    """One sentence naming what ``head`` looks like, cheaply recognised, and what to do with it."""
    for magic, offset, name in _OTHER_IMAGES:
        if head[offset : offset + len(magic)] == magic and (name != "WebP" or head.startswith(b"RIFF")):
            if name == "BMP" and not _is_bmp(head):
                continue
            return f"{name} image: convert it to PNG or PDF and ingest that"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08"):
        return _zip_reason(path)
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return (
            "old Microsoft Office document (.doc, .xls, .ppt) or Outlook message (.msg): "
            "office documents are not supported; export it to PDF and ingest that"
        )
    if _is_program(head):
        return "a program (executable file), not a document"
    for magic, name in _COMPRESSED:
        if head.startswith(magic) and (magic != b"BZh" or _is_bzip2(head)):
            return f"{name}: unpack it and ingest the files inside"
    if head.startswith(b"{\\rtf"):
        return "RTF document: export it to PDF and ingest that"
    if head.startswith(b"%!PS"):
        return "PostScript file: convert it to PDF and ingest that"
    text = _as_text(head)
    if text is not None:
        return _text_reason(text)
    return "unrecognised content: not a PDF, PNG, JPEG or TIFF"


def _zip_reason(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100].decode("ascii", "replace") if "mimetype" in names else ""
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return "damaged ZIP archive (or a file based on ZIP): not a document image or PDF"
    office = "office documents are not supported; export it to PDF and ingest that"
    for member, name in _OFFICE_ZIP_MEMBERS.items():
        if member in names:
            return f"{name}: {office}"
    if mimetype.strip() in _OPENDOCUMENT:
        return f"{_OPENDOCUMENT[mimetype.strip()]}: {office}"
    if mimetype.startswith("application/vnd.oasis.opendocument"):
        return f"OpenDocument file: {office}"
    if mimetype.startswith("application/epub"):
        return "EPUB e-book: not a document image or PDF"
    if any(n.endswith(".fdseq") for n in names):
        return "XPS document: print it to PDF and ingest that"
    if "[Content_Types].xml" in names:
        return f"Microsoft Office file: {office}"
    return "ZIP archive: unpack it and ingest the files inside"


def _as_text(head: bytes) -> str | None:
    """``head`` decoded as text when it looks like text (UTF-8, UTF-16 with BOM, or a Windows code page)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return head[: len(head) // 2 * 2].decode("utf-16")
        except UnicodeDecodeError:
            return None
    if b"\x00" in head:
        return None
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head, final=False)
    except UnicodeDecodeError:
        text = head.decode("cp1252", errors="replace")
    if not text:
        return None
    readable = sum(ch.isprintable() or ch in "\r\n\t\f" for ch in text)
    return text if readable >= 0.95 * len(text) else None


def _text_reason(text: str) -> str:
    start = text.lstrip().lower()
    if start.startswith("<?xml") or start.startswith("<"):
        if "fatturaelettronica" in start:
            return "FatturaPA electronic invoice (XML), not a document image or PDF: ingest a PDF copy of it"
        if "<svg" in start:
            return "SVG drawing: convert it to PNG or PDF and ingest that"
        if start.startswith(("<!doctype html", "<html")) or "<html" in start[:1000]:
            return "HTML web page: save or print it as PDF and ingest that"
        if start.startswith("<?xml"):
            return "XML file, not a document image or PDF"
    if start.startswith(_MAIL_HEADERS):
        return "e-mail message: save its attachments and ingest those"
    return "plain text, not a document image or PDF"
