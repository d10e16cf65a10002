"""Fixture documents for the ingest tests, made at test time: digital and scanned PDFs, PNG, JPEG, TIFF.

Images hold large, clear DejaVu text at 300 dpi on small canvases (1200×400 px), so that one OCR run takes well
under a second and reads reliably.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
INVOICE_LINE = "Fattura n. FT-2024/0153 Totale € 1.220,00"
DIGITAL_LINES = (
    INVOICE_LINE,
    "Cliente: Rossi Costruzioni S.r.l., Via Roma 12, 20121 Milano",
    "Scadenza: 31/01/2025 — IBAN IT60X0542811101000000123456",
)
SCAN_LINES = ("Fattura FT-2024/0153", "Totale EUR 1.220,00", "Scadenza 31/01/2025")
SECOND_SCAN_LINES = ("Sollecito di pagamento", "Pratica 7781", "Importo 980,50")


def text_image(lines: tuple[str, ...], size: tuple[int, int] = (1200, 400), font_px: int = 60) -> Image.Image:
    """An 8-bit grey image with ``lines`` drawn in black, large and clear."""
    img = Image.new("L", size, 255)
    draw = ImageDraw.Draw(img)
    font = ImageFont.truetype(FONT, font_px)
    y = 30
    for line in lines:
        draw.text((40, y), line, fill=0, font=font)
        y += int(font_px * 1.5)
    return img


@pytest.fixture(scope="session")
def docs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of fixture documents, built once for the session."""
    root = tmp_path_factory.mktemp("ingest-docs")
    scan = text_image(SCAN_LINES)
    scan.save(root / "scan.png", dpi=(300, 300))
    scan.convert("RGB").save(root / "scan.jpg", quality=90, dpi=(300, 300))
    scan.save(root / "scan-pdf.pdf", resolution=300)  # image-only PDF: 288×96 pt

    second = text_image(SECOND_SCAN_LINES, size=(800, 270), font_px=40).convert("1")
    second.encoderinfo = {"dpi": (200, 200)}
    scan.save(root / "two.tif", save_all=True, append_images=[second], dpi=(300, 300), compression="tiff_deflate")

    pdf = FPDF(unit="pt", format="A4")
    pdf.add_font("DejaVu", fname=FONT)
    pdf.set_font("DejaVu", size=12)
    pdf.add_page()
    for line in DIGITAL_LINES:
        pdf.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(root / "digital.pdf"))

    mixed = FPDF(unit="pt", format="A4")
    mixed.add_font("DejaVu", fname=FONT)
    mixed.set_font("DejaVu", size=12)
    mixed.add_page()
    for line in DIGITAL_LINES:
        mixed.cell(text=line, new_x="LMARGIN", new_y="NEXT")
    mixed.add_page(format=(288, 96))
    mixed.image(str(root / "scan.png"), x=0, y=0, w=288, h=96)
    mixed.output(str(root / "mixed.pdf"))
    return root
