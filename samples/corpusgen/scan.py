"""Turning digital pages into convincing office scans, and writing them as PNG, JPEG, TIFF or image-only PDF.

Everything is deterministic: noise comes from a `random.Random` seeded by the sample name, and no writer
stores a timestamp (PDF dates are fixed, PNG/JPEG/TIFF carry only the resolution).
"""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime
from datetime import time as dtime

import pypdfium2 as pdfium
from fpdf import FPDF
from PIL import Image, ImageChops, ImageDraw, ImageFilter

from .world import Scan

MM_PER_INCH = 25.4


def rasterize(pdf_bytes: bytes, dpi: int) -> list[Image.Image]:
    """Render every page of a PDF to an 8-bit greyscale image at the given resolution."""
    doc = pdfium.PdfDocument(pdf_bytes)
    try:
        return [page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L") for page in doc]
    finally:
        doc.close()


def paper_background(size: tuple[int, int], rng: random.Random, lo: int, hi: int) -> Image.Image:
    """Smooth, low-frequency brightness variation of the paper (and uneven scanner lamp)."""
    cols, rows = 6, 8
    small = Image.frombytes("L", (cols, rows), bytes(rng.randint(lo, hi) for _ in range(cols * rows)))
    return small.resize(size, Image.Resampling.BICUBIC)


def add_specks(img: Image.Image, rng: random.Random, per_a4: int, dpi: int) -> None:
    """Dust and toner specks: small dark dots, a few slightly larger; `per_a4` sets the density."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    scale = dpi / 200
    a4_pixels = (210 / MM_PER_INCH * dpi) * (297 / MM_PER_INCH * dpi)
    for _ in range(min(per_a4, round(per_a4 * w * h / a4_pixels))):
        x, y = rng.randrange(w), rng.randrange(h)
        r = rng.choice((0.5, 0.7, 0.9, 0.9, 1.2, 1.6)) * scale
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(70, 190))


def add_edge_shadow(img: Image.Image, rng: random.Random, dpi: int) -> None:
    """A faint grey strip along one edge where the page did not lie flat on the glass."""
    draw = ImageDraw.Draw(img)
    w, h = img.size
    depth = int(rng.uniform(0.04, 0.09) * dpi)
    side = rng.choice(("top", "left", "right"))
    for i in range(depth):
        shade = 150 + int(95 * i / depth)
        if side == "top":
            draw.line((0, i, w, i), fill=shade)
        elif side == "left":
            draw.line((i, 0, i, h), fill=shade)
        else:
            draw.line((w - 1 - i, 0, w - 1 - i, h), fill=shade)


def scan_page(page: Image.Image, scan: Scan, rng: random.Random) -> Image.Image:
    """Toner grey instead of black, paper tone, skew, optical blur, dust."""
    ink = scan.ink
    img = page.point(lambda v: ink + v * (255 - ink) // 255)
    img = ImageChops.multiply(img, paper_background(img.size, rng, *scan.paper))
    angle = scan.angle + rng.uniform(-0.05, 0.05)
    img = img.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=scan.paper[1])
    if scan.blur:
        img = img.filter(ImageFilter.GaussianBlur(scan.blur))
    add_edge_shadow(img, rng, scan.dpi)
    add_specks(img, rng, scan.speckles, scan.dpi)
    return img


def bilevel(img: Image.Image, threshold: int) -> Image.Image:
    """What a bilevel (fax-mode) office scanner keeps of the page."""
    return img.point(lambda v: 255 if v > threshold else 0, mode="1")


# --- writers -----------------------------------------------------------------------------------------------------


def png_bytes(img: Image.Image, dpi: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "PNG", dpi=(dpi, dpi), optimize=True)
    return out.getvalue()


def jpeg_bytes(img: Image.Image, dpi: int, quality: int) -> bytes:
    out = io.BytesIO()
    img.save(out, "JPEG", dpi=(dpi, dpi), quality=quality, optimize=True)
    return out.getvalue()


def tiff_bytes(pages: list[Image.Image], dpi: int, compression: str) -> bytes:
    out = io.BytesIO()
    pages[0].save(out, "TIFF", save_all=True, append_images=pages[1:], compression=compression, dpi=(dpi, dpi))
    return out.getvalue()


def _pdf_time(when: date):
    return datetime.combine(when, dtime(10, 15), tzinfo=UTC).timetuple()


def pillow_pdf_bytes(pages: list[Image.Image], dpi: int, when: date, title: str, quality: int = 75) -> bytes:
    """Image-only PDF as written by a scanner driver (Pillow: DCT for greyscale, CCITT G4 for bilevel)."""
    out = io.BytesIO()
    stamp = _pdf_time(when)
    extra = {"quality": quality} if pages[0].mode == "L" else {}
    pages[0].save(
        out, "PDF", save_all=True, append_images=pages[1:], resolution=float(dpi), title=title,
        producer="Scan2PDF 3.1", creationDate=stamp, modDate=stamp, **extra,
    )  # fmt: skip
    return out.getvalue()


def fpdf_image_pdf_bytes(pages: list[Image.Image], dpi: int, when: date, title: str, quality: int) -> bytes:
    """Image-only PDF built with fpdf2: each page is one full-page JPEG, no text layer."""
    pdf = FPDF(unit="mm")
    pdf.set_creation_date(datetime.combine(when, dtime(11, 0), tzinfo=UTC))
    pdf.set_title(title)
    pdf.set_creator("MFP scan-to-email")
    pdf.set_auto_page_break(False)
    for img in pages:
        w, h = (v * MM_PER_INCH / dpi for v in img.size)
        pdf.add_page(format=(w, h))
        pdf.image(io.BytesIO(jpeg_bytes(img, dpi, quality)), x=0, y=0, w=w, h=h)
    return bytes(pdf.output())
