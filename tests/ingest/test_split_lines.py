"""Finding rows that tesseract cut in two (pure geometry), and the re-read that mends them (real tesseract)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from ingest.ocr import ocr_page
from ingest.split_lines import LineBox, split_groups

# Word boxes as tesseract gave them for a skewed scan: "Ristorante Da Gino di Gino Esposito" came out as the tops
# of the letters on one line ("ist t A An E it |") and the bottoms on the next ("a orante Da Gino ...").
TOP_HALVES = LineBox(
    0,
    (
        (154, 553, 194, 576),
        (273, 553, 287, 574),
        (403, 548, 408, 553),
        (489, 546, 540, 552),
        (599, 545, 615, 568),
        (699, 543, 720, 566),
        (1004, 541, 1008, 545),
    ),
)
BOTTOM_HALVES = LineBox(
    1,
    (
        (130, 554, 181, 605),
        (195, 557, 306, 576),
        (321, 551, 362, 574),
        (377, 549, 452, 573),
        (466, 547, 495, 571),
        (509, 547, 584, 570),
        (619, 548, 741, 574),
        (1036, 555, 1286, 581),
    ),
)
NEXT_LINE = LineBox(2, ((129, 602, 169, 623), (183, 601, 322, 626), (334, 598, 366, 619)))


def test_a_row_cut_in_two_is_found():
    assert split_groups([TOP_HALVES, BOTTOM_HALVES, NEXT_LINE]) == [[TOP_HALVES, BOTTOM_HALVES]]


def test_ordinary_lines_one_below_the_other_are_left_alone():
    lines = [LineBox(i, ((100, 100 + 40 * i, 900, 125 + 40 * i),)) for i in range(10)]
    assert split_groups(lines) == []


def test_columns_side_by_side_are_not_one_row():
    # A header of boxes: same band, but different stretches of the page.
    left = LineBox(0, ((100, 300, 200, 320), (210, 300, 380, 320)))
    right = LineBox(1, ((800, 298, 900, 318), (910, 298, 1000, 318)))
    assert split_groups([left, right]) == []


def test_empty_and_degenerate_lines_do_not_break_it():
    assert split_groups([]) == []
    assert split_groups([LineBox(0, ()), LineBox(1, ((5, 5, 5, 5),))]) == []


def _font(size: int) -> ImageFont.FreeTypeFont:
    for name in ("DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"):
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    pytest.skip("DejaVu fonts not installed")


@pytest.mark.ocr
def test_ocr_of_a_clean_page_is_not_changed_by_the_mend(tmp_path):
    # No row is cut on a clean, straight page: the text comes out exactly as written, line by line.
    img = Image.new("L", (1400, 400), 255)
    draw = ImageDraw.Draw(img)
    font = _font(36)
    lines = ["Ristorante Da Gino di Gino Esposito", "Via Partenope 27", "80121 Napoli"]
    for i, line in enumerate(lines):
        draw.text((80, 60 + 90 * i), line, font=font, fill=0)
    path = tmp_path / "clean.png"
    img.save(path, dpi=(300, 300))
    page = ocr_page(path, languages="ita+eng")
    assert [line for line in page.text.splitlines() if line] == lines


@pytest.mark.ocr
def test_the_skewed_sample_row_is_read_whole():
    # samples/corpus/invoice-it-07.png is scanned 0.6° askew; tesseract cuts the buyer's row in two there.
    from tests.conftest import CORPUS

    page = ocr_page(CORPUS / "invoice-it-07.png", languages="ita+eng")
    assert "Ristorante Da Gino di Gino Esposito" in page.text
    assert "IT07123380631" in page.text
