"""sniff(): identification by content, and the cheap checks that refuse bad files before the archive stores them."""

from __future__ import annotations

import gzip
import io
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest
from conftest import text_image
from PIL import Image
from pypdf import PdfReader, PdfWriter

from ingest import (
    CorruptFileError,
    EncryptedPdfError,
    ExtractOptions,
    InputError,
    LimitExceededError,
    SourceInfo,
    UnsupportedTypeError,
    sniff,
)


def copy_as(src: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copyfile(src, target)
    return target


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    target = tmp_path / name
    target.write_bytes(data)
    return target


def refusal(excinfo: pytest.ExceptionInfo[BaseException]) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and message == message.strip(), "reasons are one plain line"
    return message


# --- identification by content ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "kind", "media_type", "pages"),
    [
        ("digital.pdf", "pdf", "application/pdf", 1),
        ("mixed.pdf", "pdf", "application/pdf", 2),
        ("scan.png", "png", "image/png", 1),
        ("scan.jpg", "jpeg", "image/jpeg", 1),
        ("two.tif", "tiff", "image/tiff", 2),
    ],
)
def test_sniff_identifies_supported_files(docs: Path, name: str, kind: str, media_type: str, pages: int) -> None:
    info = sniff(docs / name)
    assert (info.kind, info.media_type, info.page_count) == (kind, media_type, pages)
    assert info.has_text_layer is (True if kind == "pdf" else None)


def test_image_only_pdf_has_no_text_layer(docs: Path) -> None:
    assert sniff(docs / "scan-pdf.pdf") == SourceInfo("pdf", "application/pdf", 1, has_text_layer=False)


def test_text_layer_threshold_comes_from_options(docs: Path) -> None:
    assert sniff(docs / "digital.pdf", ExtractOptions(min_text_chars=10_000)).has_text_layer is False


def test_extension_is_ignored_png_named_pdf(docs: Path, tmp_path: Path) -> None:
    assert sniff(copy_as(docs / "scan.png", tmp_path, "invoice.pdf")).kind == "png"


def test_extension_is_ignored_pdf_named_jpg(docs: Path, tmp_path: Path) -> None:
    assert sniff(copy_as(docs / "digital.pdf", tmp_path, "photo.jpg")).kind == "pdf"


def test_pdf_header_after_leading_junk_is_found(docs: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "junk.pdf", b"\r\n" * 100 + (docs / "digital.pdf").read_bytes())
    assert sniff(path).kind == "pdf"


# --- unsupported content: named when cheaply recognisable ---------------------------------------------------------


def test_text_file_named_pdf_is_plain_text(tmp_path: Path) -> None:
    path = write(tmp_path, "invoice.pdf", "Fattura n. 12 del 3 marzo: totale 100,00 €\n".encode())
    with pytest.raises(UnsupportedTypeError) as excinfo:
        sniff(path)
    assert "plain text" in refusal(excinfo)


def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedTypeError) as excinfo:
        sniff(write(tmp_path, "empty.pdf", b""))
    assert refusal(excinfo) == "empty file (0 bytes)"


def office_zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}, "Word document (.docx)"),
        ({"[Content_Types].xml": b"<Types/>", "xl/workbook.xml": b"<workbook/>"}, "Excel workbook (.xlsx)"),
        ({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"}, "OpenDocument text"),
    ],
)
def test_office_documents_are_named(tmp_path: Path, members: dict[str, bytes], expected: str) -> None:
    with pytest.raises(UnsupportedTypeError) as excinfo:
        sniff(write(tmp_path, "contract.pdf", office_zip(members)))
    message = refusal(excinfo)
    assert expected in message and "office" in message and "PDF" in message


def test_plain_zip_archive(tmp_path: Path) -> None:
    with pytest.raises(UnsupportedTypeError) as excinfo:
        sniff(write(tmp_path, "batch.zip", office_zip({"a.pdf": b"%PDF-1.4", "b.png": b"x"})))
    assert "ZIP archive: unpack it" in refusal(excinfo)


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (32, 32), 255).save(buffer, fmt)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("GIF"), "GIF image: convert it to PNG or PDF"),
        (image_bytes("BMP"), "BMP image"),
        (image_bytes("WEBP"), "WebP image"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 40, "WebP image"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504, "old Microsoft Office document"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "a program (executable file)"),
        (b"MZ\x90\x00" + b"\x00" * 100, "a program (executable file)"),
        (gzip.compress(b"hello" * 100), "gzip-compressed file: unpack it"),
        (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 50, "7-Zip archive"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 50, "RAR archive"),
        (b"<!DOCTYPE html>\n<html><body>Fattura</body></html>", "HTML web page"),
        (b'<?xml version="1.0"?>\n<root><a>1</a></root>', "XML file"),
        (b'<?xml version="1.0"?>\n<p:FatturaElettronica versione="FPR12">', "FatturaPA electronic invoice"),
        (b"{\\rtf1\\ansi hello}", "RTF document"),
        (bytes(range(256)) * 4, "unrecognised content"),
        (b"BMW Italia S.p.A.\nFattura 12/2024\n" * 3, "plain text"),  # not a BMP for its first two letters
        (b"MZ Costruzioni S.r.l. - sollecito\n" * 3, "plain text"),  # nor a program
        ("Società: Rossi & C.\r\nImporto: 1.220,00 €\r\n".encode("cp1252"), "plain text"),
    ],
)
def test_other_content_is_named(tmp_path: Path, data: bytes, expected: str) -> None:
    with pytest.raises(UnsupportedTypeError) as excinfo:
        sniff(write(tmp_path, "document.pdf", data))
    assert expected in refusal(excinfo)


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        sniff(tmp_path / "nope.pdf")


def test_folder_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="folder"):
        sniff(tmp_path)


# --- PDF checks ---------------------------------------------------------------------------------------------------


def test_truncated_pdf(docs: Path, tmp_path: Path) -> None:
    data = (docs / "digital.pdf").read_bytes()
    with pytest.raises(CorruptFileError) as excinfo:
        sniff(write(tmp_path, "half.pdf", data[: len(data) // 2]))
    message = refusal(excinfo)
    assert message.startswith("truncated or damaged PDF (")
    assert "`qpdf --replace-input half.pdf`" in message and "repaired copy" in message


def test_pdf_that_pdfium_cannot_parse(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match="truncated or damaged PDF"):
        sniff(write(tmp_path, "garbage.pdf", b"%PDF-1.7\n" + b"\x00garbage" * 200 + b"\n%%EOF\n"))


def encrypted(src: Path, target: Path, user_password: str) -> Path:
    writer = PdfWriter(clone_from=PdfReader(src))
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="AES-128")
    with target.open("wb") as fp:
        writer.write(fp)
    return target


def test_pdf_with_user_password_is_refused(docs: Path, tmp_path: Path) -> None:
    path = encrypted(docs / "digital.pdf", tmp_path / "locked.pdf", "secret")
    with pytest.raises(EncryptedPdfError) as excinfo:
        sniff(path)
    assert refusal(excinfo) == ("encrypted PDF: it needs a password to open; save an unprotected copy and ingest that")


def test_pdf_with_owner_password_only_is_readable(docs: Path, tmp_path: Path) -> None:
    path = encrypted(docs / "digital.pdf", tmp_path / "restricted.pdf", "")
    assert sniff(path) == SourceInfo("pdf", "application/pdf", 1, has_text_layer=True)


def test_pdf_without_pages(docs: Path, tmp_path: Path) -> None:
    """pdfium fails on it without setting its (process-global) error code: a stale code must not mislead."""
    with pytest.raises(EncryptedPdfError):
        sniff(encrypted(docs / "digital.pdf", tmp_path / "locked.pdf", "secret"))  # leaves FPDF_ERR_PASSWORD
    path = tmp_path / "blank.pdf"
    with path.open("wb") as fp:
        PdfWriter().write(fp)
    with pytest.raises(CorruptFileError, match="no pages"):
        sniff(path)


def test_too_many_pages(docs: Path) -> None:
    with pytest.raises(LimitExceededError) as excinfo:
        sniff(docs / "mixed.pdf", ExtractOptions(max_pages=1))
    assert refusal(excinfo) == "too many pages: 2, limit 1"


def test_too_many_tiff_frames(docs: Path) -> None:
    with pytest.raises(LimitExceededError, match="too many pages: 2, limit 1"):
        sniff(docs / "two.tif", ExtractOptions(max_pages=1))


def test_file_too_large(docs: Path) -> None:
    with pytest.raises(LimitExceededError, match=r"^file too large: .* MB, limit 0\.0 MB$"):
        sniff(docs / "digital.pdf", ExtractOptions(max_file_bytes=1000))


# --- image checks -------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bomb(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A PNG of a few KB that declares 20000×20000 pixels (400 M: over Pillow's own error threshold)."""
    path = tmp_path_factory.mktemp("bomb") / "bomb.png"
    Image.new("1", (20000, 20000), 1).save(path, optimize=False)
    assert path.stat().st_size < 200_000
    return path


def test_decompression_bomb_is_refused(bomb: Path) -> None:
    with pytest.raises(LimitExceededError) as excinfo:
        sniff(bomb)
    assert refusal(excinfo).startswith("image too large to decode safely: 20000×20000 pixels, limit ")


def test_image_over_the_configured_pixel_limit(docs: Path) -> None:
    with pytest.raises(LimitExceededError) as excinfo:
        sniff(docs / "scan.png", ExtractOptions(max_image_pixels=100_000))
    assert refusal(excinfo) == "image too large to decode safely: 1200×400 pixels, limit 100,000 pixels"


def test_pillow_global_state_is_left_alone(bomb: Path, docs: Path) -> None:
    before = (Image.MAX_IMAGE_PIXELS, list(warnings.filters))
    with pytest.raises(LimitExceededError):
        sniff(bomb)
    sniff(docs / "scan.png")
    assert (Image.MAX_IMAGE_PIXELS, list(warnings.filters)) == before


def test_tiny_image_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "dot.png"
    Image.new("L", (1, 1), 0).save(path)
    with pytest.raises(CorruptFileError) as excinfo:
        sniff(path)
    assert refusal(excinfo) == "image too small to hold text (1×1 px)"


def test_truncated_jpeg(docs: Path, tmp_path: Path) -> None:
    data = (docs / "scan.jpg").read_bytes()
    with pytest.raises(CorruptFileError) as excinfo:
        sniff(write(tmp_path, "cut.jpg", data[: len(data) // 2]))
    assert refusal(excinfo).startswith("truncated or damaged JPEG image (")


def test_truncated_png(docs: Path, tmp_path: Path) -> None:
    data = (docs / "scan.png").read_bytes()
    with pytest.raises(CorruptFileError, match="truncated or damaged PNG image"):
        sniff(write(tmp_path, "cut.png", data[: len(data) // 2]))


def test_png_with_damaged_header(tmp_path: Path) -> None:
    with pytest.raises(CorruptFileError, match="damaged PNG image"):
        sniff(write(tmp_path, "bad.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100))


def test_tiff_frame_over_the_pixel_limit(tmp_path: Path) -> None:
    """Every TIFF page is checked against the limit, not just the first."""
    small, big = text_image(("uno",), size=(200, 100), font_px=40), Image.new("1", (3000, 3000), 1)
    path = tmp_path / "pages.tif"
    small.save(path, save_all=True, append_images=[big], compression="tiff_deflate")
    with pytest.raises(LimitExceededError, match="3000×3000 pixels"):
        sniff(path, ExtractOptions(max_image_pixels=1_000_000))


def test_zip_holding_a_pdf_is_not_a_pdf(docs: Path, tmp_path: Path) -> None:
    """A ZIP stores its first member's bytes near the start: that "%PDF-" is not a PDF header."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr("invoice.pdf", (docs / "digital.pdf").read_bytes())
    with pytest.raises(UnsupportedTypeError, match="ZIP archive"):
        sniff(write(tmp_path, "invoice.pdf", buffer.getvalue()))
