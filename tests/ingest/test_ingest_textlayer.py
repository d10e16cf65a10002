"""Text-layer PDF pages: read with pdfium, words built from its characters, no OCR."""

from __future__ import annotations

import importlib
import io
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from conftest import DIGITAL_LINES, FONT, INVOICE_LINE
from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from ingest import ExtractOptions, Page, extract, extract_page
from ingest.textlayer import read_text_page


@pytest.fixture
def no_ocr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything tries to OCR."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("OCR was called for a text-layer page")

    module = importlib.import_module("ingest.reader")
    monkeypatch.setattr(module, "ocr_page", refuse)
    monkeypatch.setattr(module, "check_tesseract", refuse)


def assert_boxes_inside(page: Page) -> None:
    for word in page.words:
        x0, y0, x1, y1 = word.bbox
        assert 0 <= x0 < x1 <= page.width and 0 <= y0 < y1 <= page.height, word


def test_digital_pdf_is_read_from_its_text_layer(docs: Path, no_ocr: None) -> None:
    extraction = extract(docs / "digital.pdf")
    (page,) = extraction.pages
    assert (page.method, page.unit, page.dpi, page.confidence, page.warnings) == ("text", "pt", None, None, ())
    assert (page.width, page.height) == (595.28, 841.89)  # A4, from a MediaBox inherited from the page tree
    assert page.text == "\n".join(DIGITAL_LINES)
    assert extraction.text == page.text
    assert page.seconds > 0


def test_words_have_boxes_lines_and_no_confidence(docs: Path, no_ocr: None) -> None:
    page = extract_page(docs / "digital.pdf", 1)
    assert [w.text for w in page.words if w.line == 0] == INVOICE_LINE.split()
    assert {w.line for w in page.words} == {0, 1, 2}
    assert all(w.confidence is None for w in page.words)
    assert_boxes_inside(page)
    first, second = page.words[0], page.words[1]
    assert first.text == "Fattura" and first.bbox[2] < second.bbox[0]  # left to right
    assert 20 < first.bbox[1] < 60  # near the top: the origin is top-left
    line2 = next(w for w in page.words if w.line == 1)
    assert line2.bbox[1] > first.bbox[3] - 1  # the next line is lower down


def test_every_word_is_in_the_text(docs: Path, no_ocr: None) -> None:
    page = extract_page(docs / "digital.pdf", 1)
    for word in page.words:
        assert word.text in page.text


def test_page_with_a_thin_text_layer_goes_to_ocr(docs: Path) -> None:
    doc = pdfium.PdfDocument(str(docs / "digital.pdf"))
    try:
        assert read_text_page(doc[0], 1, min_text_chars=10_000) is None
        assert read_text_page(doc[0], 1, min_text_chars=50) is not None
    finally:
        doc.close()


def rotated_pdf(tmp_path: Path) -> Path:
    pdf = FPDF(unit="pt", format=(400, 200))
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    for _ in range(4):
        pdf.add_page()
        pdf.set_xy(30, 40)
        pdf.cell(text="Fattura numero FT-2024/0153 del 12 marzo 2024")
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf.output())))
    for index, page in enumerate(writer.pages):
        page.rotate(90 * index)
    writer.pages[1].cropbox.lower_left = (10, 20)
    path = tmp_path / "rotated.pdf"
    with path.open("wb") as fp:
        writer.write(fp)
    return path


def test_rotated_and_cropped_pages_give_boxes_on_the_displayed_page(tmp_path: Path, no_ocr: None) -> None:
    path = rotated_pdf(tmp_path)
    pages = extract(path, ExtractOptions(min_text_chars=20)).pages
    assert [(p.width, p.height) for p in pages] == [(400, 200), (180, 390), (400, 200), (200, 400)]
    for page in pages:
        assert page.method == "text" and page.words[0].text == "Fattura"
        assert_boxes_inside(page)
    # The first word sits 30 pt from the left, 40 pt from the top of the unrotated page, and turns with it.
    x0, y0, x1, y1 = pages[0].words[0].bbox
    assert abs(x0 - 30) < 6 and y0 > 40 and y1 - y0 < x1 - x0  # horizontal
    x0, y0, x1, y1 = pages[1].words[0].bbox  # 90° clockwise, crop box origin (10, 20)
    assert abs(y0 - 20) < 6 and y1 - y0 > x1 - x0  # reads downwards, near the top
    assert x0 > 180 / 2  # the top of the unrotated page is on the right
    x0, y0, x1, y1 = pages[2].words[0].bbox  # 180°
    assert x1 > 400 / 2 and y1 > 200 / 2
    x0, y0, x1, y1 = pages[3].words[0].bbox  # 270°
    assert y1 > 400 / 2 and x0 < 200 / 2


def test_text_layer_speed(docs: Path, tmp_path: Path, no_ocr: None) -> None:
    """Generous bound (the point is "no OCR, no pdfplumber"): 40 dense pages well under a second."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=9)
    pdf.add_page()
    pdf.multi_cell(w=0, text=" ".join(DIGITAL_LINES * 40))  # ~4,800 characters
    page = PdfReader(io.BytesIO(pdf.output())).pages[0]
    writer = PdfWriter()
    for _ in range(40):
        writer.add_page(page)
    path = tmp_path / "long.pdf"
    with path.open("wb") as fp:
        writer.write(fp)
    extraction = extract(path)
    assert len(extraction.pages) == 40 and all(p.method == "text" for p in extraction.pages)
    assert sum(p.seconds for p in extraction.pages) < 2.0


def test_extract_page_runs_in_a_worker_process(docs: Path) -> None:
    """Per-page work takes and returns plain, picklable data: pages can be spread over processes."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        page = pool.submit(extract_page, docs / "digital.pdf", 1, ExtractOptions()).result(timeout=60)
    assert page == replace(extract_page(docs / "digital.pdf", 1), seconds=page.seconds)
