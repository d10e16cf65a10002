"""OCR with the real tesseract: images, scanned PDF pages, TIFF frames, DPI, timeouts and failures."""

from __future__ import annotations

import importlib
import os
import subprocess
from pathlib import Path

import pytest
from conftest import FONT, text_image
from fpdf import FPDF
from PIL import Image

from ingest import (
    Extraction,
    ExtractOptions,
    MissingToolError,
    Page,
    ToolError,
    check_tesseract,
    extract,
    extract_page,
)
from ingest.ocr import ocr_page

pytestmark = pytest.mark.ocr
ocr_module = importlib.import_module("ingest.ocr")


@pytest.fixture(scope="module")
def extracted(docs: Path) -> dict[str, Extraction]:
    """Each OCR fixture read once for the module (OCR costs a fraction of a second per small page)."""
    return {name: extract(docs / name) for name in ("scan.png", "scan.jpg", "scan-pdf.pdf", "mixed.pdf", "two.tif")}


def assert_read(page: Page, *needles: str) -> None:
    assert page.method == "ocr" and page.warnings == ()
    for needle in needles:
        assert needle.lower() in page.text.lower(), (needle, page.text)
    assert page.confidence is not None and 0 < page.confidence <= 1
    assert page.words and all(w.confidence is not None and 0 <= w.confidence <= 1 for w in page.words)
    for word in page.words:
        x0, y0, x1, y1 = word.bbox
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height, word


@pytest.mark.parametrize("name", ["scan.png", "scan.jpg"])
def test_image_files_are_ocrd_in_pixels(extracted: dict[str, Extraction], name: str) -> None:
    (page,) = extracted[name].pages
    assert_read(page, "fattura", "FT-2024/0153", "1.220,00")
    assert (page.unit, page.width, page.height, page.dpi) == ("px", 1200, 400, 300)
    assert page.text.splitlines()[:2] == ["Fattura FT-2024/0153", "Totale EUR 1.220,00"]
    assert [w.line for w in page.words] == sorted(w.line for w in page.words)
    assert {w.line for w in page.words} == {0, 1, 2}
    fattura = page.words[0]
    assert fattura.text == "Fattura" and 30 < fattura.bbox[0] < 60 and 25 < fattura.bbox[1] < 60  # drawn at (40, 30)
    assert page.seconds > 0


def test_image_only_pdf_is_rendered_and_ocrd_in_points(extracted: dict[str, Extraction]) -> None:
    extraction = extracted["scan-pdf.pdf"]
    assert extraction.source.has_text_layer is False
    (page,) = extraction.pages
    assert_read(page, "fattura", "FT-2024/0153")
    assert (page.unit, page.width, page.height, page.dpi) == ("pt", 288, 96, 300)
    fattura = page.words[0]
    assert 30 * 72 / 300 < fattura.bbox[0] < 60 * 72 / 300  # the image's pixels, in points


def test_mixed_pdf_uses_the_text_layer_where_it_is_real_and_ocr_elsewhere(extracted: dict[str, Extraction]) -> None:
    text_page, scanned = extracted["mixed.pdf"].pages
    assert (text_page.method, text_page.number, scanned.number) == ("text", 1, 2)
    assert_read(scanned, "scadenza", "31/01/2025")
    assert (scanned.unit, scanned.width, scanned.height) == ("pt", 288, 96)
    assert extracted["mixed.pdf"].text.count("\f") == 1


def test_tiff_frames_are_pages_with_their_own_dpi(extracted: dict[str, Extraction]) -> None:
    first, second = extracted["two.tif"].pages
    assert_read(first, "fattura")
    assert_read(second, "sollecito", "pagamento", "7781")
    assert (first.number, first.dpi, first.width) == (1, 300, 1200)
    assert (second.number, second.dpi, second.width, second.height) == (2, 200, 800, 270)


def test_extract_page_reads_one_page(docs: Path) -> None:
    page = extract_page(docs / "two.tif", 2)
    assert page.number == 2 and "sollecito" in page.text.lower()
    with pytest.raises(ValueError, match="page 3 does not exist"):
        extract_page(docs / "two.tif", 3)


@pytest.mark.parametrize(("declared", "used"), [(None, 300), (10, 300), (5000, 300), (150, 150), (72, 72)])
def test_dpi_from_the_file_or_300_when_missing_or_absurd(tmp_path: Path, declared: int | None, used: int) -> None:
    path = tmp_path / "page.png"
    image = text_image(("Totale",), size=(400, 100), font_px=50)
    image.save(path, **({"dpi": (declared, declared)} if declared else {}))
    assert ocr_page(path, languages="eng").dpi == used


def test_exif_orientation_is_applied(tmp_path: Path) -> None:
    upright = text_image(("Fattura 0153",), size=(700, 140), font_px=60).convert("RGB")
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # what a phone stores...
    exif = Image.Exif()
    exif[0x0112] = 6  # ...and the tag that says "turn it 90° clockwise to view"
    path = tmp_path / "photo.jpg"
    stored.save(path, exif=exif, dpi=(300, 300), quality=92)
    page = ocr_page(path, languages="eng")
    assert (page.width, page.height) == (700, 140)
    assert "fattura" in page.text.lower() and "0153" in page.text


def test_colour_page_with_transparency_is_flattened(tmp_path: Path) -> None:
    text = text_image(("Sollecito",), size=(700, 140), font_px=60)
    layer = Image.new("RGBA", (700, 140), (200, 0, 0, 255))
    clear = Image.new("RGBA", (700, 140), (0, 0, 0, 0))  # transparent black: must become white, not black
    image = Image.composite(layer, clear, text.point(lambda v: 255 - v))  # dark red letters on it
    path = tmp_path / "stamp.png"
    image.save(path, dpi=(300, 300))
    page = ocr_page(path, languages="ita")
    assert "sollecito" in page.text.lower()


def test_blank_page_gives_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "blank.png"
    Image.new("L", (600, 300), 255).save(path, dpi=(300, 300))
    page = ocr_page(path, number=4, languages="eng")
    assert (page.method, page.text, page.words, page.confidence) == ("ocr", "", (), None)
    assert page.warnings == ("no text found on page 4",)


def test_timeout_keeps_an_empty_page_with_a_warning(docs: Path) -> None:
    page = ocr_page(docs / "scan.png", number=2, languages="ita+eng", timeout=0.001)
    assert (page.method, page.text, page.words, page.number) == ("empty", "", (), 2)
    assert page.warnings == ("OCR timed out after 0.001 s",)
    assert (page.width, page.height, page.dpi) == (1200, 400, 300)


def test_timeout_through_extract(docs: Path) -> None:
    (page,) = extract(docs / "scan-pdf.pdf", ExtractOptions(ocr_timeout=0.001)).pages
    assert page.method == "empty" and page.warnings == ("OCR timed out after 0.001 s",)
    assert (page.unit, page.width, page.height) == ("pt", 288, 96)


def test_tesseract_runs_with_one_openmp_thread(docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A spy on the real subprocess start: the environment tesseract gets says OMP_THREAD_LIMIT=1."""
    monkeypatch.delenv("OMP_THREAD_LIMIT", raising=False)
    seen: list[tuple[list[str], str | None]] = []
    real_popen = subprocess.Popen

    def spy(args: list[str], *rest: object, **kwargs: object) -> subprocess.Popen[bytes]:
        env = kwargs.get("env") or os.environ
        seen.append((list(args), env.get("OMP_THREAD_LIMIT")))  # type: ignore[union-attr]
        return real_popen(args, *rest, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("pytesseract.pytesseract.subprocess.Popen", spy)
    page = ocr_page(docs / "scan.png", languages="eng")
    assert "fattura" in page.text.lower()
    ((args, limit),) = seen
    assert limit == "1"
    assert args[1] == str((docs / "scan.png").resolve())  # a file path (no re-encoded PIL image)...
    assert args[-2:] == ["--dpi", "300"]  # ...and its resolution


def test_page_rendered_within_the_pixel_limit(docs: Path) -> None:
    """A page too large for options.dpi within max_image_pixels is OCR'd at a lower dpi, with a warning."""
    (page,) = extract(docs / "scan-pdf.pdf", ExtractOptions(max_image_pixels=200_000)).pages
    assert page.dpi is not None and 100 <= page.dpi < 300
    assert page.warnings == (f"page 1 is very large: OCR'd at {page.dpi} dpi instead of 300",)
    assert "fattura" in page.text.lower()
    assert (page.width, page.height) == (288, 96)


def test_missing_language(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MissingToolError) as excinfo:
        check_tesseract("xyz")
    assert str(excinfo.value) == "tesseract language data not installed: xyz"
    assert excinfo.value.hint == "apt-get install tesseract-ocr-xyz"


def test_missing_language_through_extract(docs: Path) -> None:
    with pytest.raises(MissingToolError, match="xyz"):
        extract(docs / "scan.png", ExtractOptions(languages="ita+xyz"))


def test_check_tesseract_returns_the_version_and_caches_it() -> None:
    assert check_tesseract("ita+eng").startswith("5.")
    assert ocr_module._checked["ita+eng"] == check_tesseract("ita+eng")


def test_missing_tesseract(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ocr_module, "_checked", {})
    monkeypatch.setattr("pytesseract.pytesseract.tesseract_cmd", "/nonexistent/tesseract")
    with pytest.raises(MissingToolError) as excinfo:
        check_tesseract("ita+eng")
    assert str(excinfo.value) == "tesseract OCR is not installed (or not on PATH)"
    assert excinfo.value.hint == "apt-get install tesseract-ocr tesseract-ocr-ita tesseract-ocr-eng"


def test_other_tesseract_failures_raise_tool_error(docs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    check_tesseract("eng")  # cached: the run below goes to the failing "tesseract"
    monkeypatch.setattr("pytesseract.pytesseract.tesseract_cmd", "/bin/false")
    with pytest.raises(ToolError, match=r"^tesseract failed on page 3: "):
        ocr_page(docs / "scan.png", number=3, languages="eng")


def test_thin_text_layer_is_kept_when_ocr_reads_no_more(docs: Path, tmp_path: Path) -> None:
    """Below min_text_chars a page is OCR'd; the longer of the two texts wins (Docspell's tie-break)."""
    pdf = FPDF(unit="pt", format=(288, 96))
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=14)
    pdf.set_auto_page_break(False)
    pdf.add_page()  # only a page number: OCR reads no more than the text layer holds
    pdf.set_xy(20, 20)
    pdf.cell(text="Pagina 1 di 2")
    pdf.add_page()  # a page number in the text layer, the document itself in a scan: OCR reads more
    pdf.image(str(docs / "scan.png"), x=0, y=0, w=288, h=96)
    pdf.set_xy(200, 80)
    pdf.cell(text="Pagina 2")
    path = tmp_path / "numbered.pdf"
    pdf.output(str(path))
    first, second = extract(path).pages
    assert (first.method, first.text, first.warnings) == ("text", "Pagina 1 di 2", ())
    assert second.method == "ocr" and "fattura" in second.text.lower()
