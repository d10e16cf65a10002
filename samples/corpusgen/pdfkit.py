"""A thin fpdf2 wrapper: embedded DejaVu fonts, fixed metadata, and a few drawing helpers shared by layouts."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, time
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(os.environ.get("SIGILLO_FONT_DIR", "/usr/share/fonts/truetype/dejavu"))

# family -> (regular, bold, italic, bold italic) file stems
FONT_FILES = {
    "sans": ("DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique", "DejaVuSans-BoldOblique"),
    "cond": (
        "DejaVuSansCondensed",
        "DejaVuSansCondensed-Bold",
        "DejaVuSansCondensed-Oblique",
        "DejaVuSansCondensed-BoldOblique",
    ),
    "serif": ("DejaVuSerif", "DejaVuSerif-Bold", "DejaVuSerif-Italic", "DejaVuSerif-BoldItalic"),
    "mono": ("DejaVuSansMono", "DejaVuSansMono-Bold", "DejaVuSansMono-Oblique", "DejaVuSansMono-BoldOblique"),
}

BLACK = (0, 0, 0)
DARK = (35, 35, 35)
GREY = (110, 110, 110)
LIGHT = (225, 225, 225)


def check_fonts() -> None:
    files = [f"{stem}.ttf" for stems in FONT_FILES.values() for stem in stems]
    missing = [name for name in files if not (FONT_DIR / name).exists()]
    if missing:
        raise SystemExit(
            f"fonts missing in {FONT_DIR}: {', '.join(missing)}\n"
            "install them (Debian/Ubuntu: apt-get install fonts-dejavu-core fonts-dejavu-extra) "
            "or point SIGILLO_FONT_DIR at a directory holding the DejaVu TTF files"
        )


class Doc(FPDF):
    """An A4 (or custom size) fpdf2 document with fixed metadata so that output is byte-identical."""

    def __init__(self, *, title: str, author: str, when: date, lang: str, fmt: str | tuple = "A4", margin=18):
        super().__init__(unit="mm", format=fmt)
        for family, stems in FONT_FILES.items():
            for style, stem in zip(("", "B", "I", "BI"), stems, strict=True):
                self.add_font(family, style, FONT_DIR / f"{stem}.ttf")
        self.set_creation_date(datetime.combine(when, time(9, 30), tzinfo=UTC))
        self.set_title(title)
        self.set_author(author)
        self.set_creator("Sigillo sample corpus generator")
        self.set_lang("it-IT" if lang == "it" else "en-GB")
        self.set_margins(margin, margin, margin)
        self.set_auto_page_break(True, margin=margin)
        self.c_margin = 1.2
        self.set_text_color(*BLACK)
        self.set_draw_color(*BLACK)
        self.footer_text = ""

    # --- text helpers ---

    def font(self, family: str = "sans", size: float = 10, style: str = "") -> Doc:
        self.set_font(family, style, size)
        return self

    def put(self, x: float, y: float, text: str, w: float = 0, h: float = 5, align: str = "L", **kw) -> None:
        """Single line at an absolute position."""
        if y + h > self.h:
            raise ValueError(f"text below the bottom of the page: {text!r}")
        self.set_xy(x, y)
        self.cell(w, h, text, align=align, **kw)

    def lines(self, x: float, y: float, rows: list[str], h: float = 4.8, w: float = 0, align: str = "L") -> float:
        """Several single lines starting at (x, y); returns the y below the last one."""
        for row in rows:
            self.put(x, y, row, w=w, h=h, align=align)
            y += h
        return y

    def para(self, text: str, h: float = 5.2, w: float = 0, align: str = "J") -> None:
        """A justified paragraph at the current position, followed by a small gap."""
        self.set_x(self.l_margin)
        self.multi_cell(w, h, text, align=align, new_x="LMARGIN", new_y="NEXT")
        self.ln(1.6)

    def kv(self, x: float, y: float, label: str, value: str, label_w: float, h: float = 5, **kw) -> None:
        """Label then value on one line (label left of the value)."""
        self.put(x, y, label, w=label_w, h=h)
        self.put(x + label_w, y, value, h=h, **kw)

    def footer(self) -> None:
        if self.footer_text:
            self.set_y(-12)
            self.font("sans", 9)
            self.set_text_color(*GREY)
            self.cell(0, 4, self.footer_text.format(page=self.page_no()), align="C")
            self.set_text_color(*BLACK)

    def to_bytes(self) -> bytes:
        return bytes(self.output())


class Col:
    """A table column: header text, width in mm, alignment."""

    def __init__(self, header: str, width: float, align: str = "L"):
        self.header, self.width, self.align = header, width, align


def draw_table(
    doc: Doc,
    x: float,
    y: float,
    cols: list[Col],
    rows: list[list[str]],
    *,
    style: str = "grid",
    row_h: float = 6.5,
    size: float = 10,
    family: str = "sans",
    header_fill: tuple[int, int, int] | None = LIGHT,
    header_color: tuple[int, int, int] = BLACK,
) -> float:
    """Draw a table and return the y below it.

    style: "grid" (all borders), "rules" (horizontal rules only), "zebra" (shaded alternate rows, no borders),
    "open" (header underline only).
    """
    total_w = sum(c.width for c in cols)
    doc.set_line_width(0.25 if style == "grid" else 0.2)

    def row(cells: list[str], yy: float, header: bool, shade: bool) -> None:
        doc.font(family, size, "B" if header else "")
        if header and header_fill:
            doc.set_fill_color(*header_fill)
            doc.rect(x, yy, total_w, row_h, "F")
        elif shade:
            doc.set_fill_color(240, 240, 240)
            doc.rect(x, yy, total_w, row_h, "F")
        doc.set_text_color(*(header_color if header else BLACK))
        xx = x
        for col, text in zip(cols, cells, strict=True):
            if doc.get_string_width(text) > col.width - 2 * doc.c_margin + 0.01:
                raise ValueError(f"table cell too narrow for {text!r} ({col.width} mm)")
            doc.put(xx, yy, text, w=col.width, h=row_h, align=col.align, border=1 if style == "grid" else 0)
            xx += col.width
        doc.set_text_color(*BLACK)

    row([c.header for c in cols], y, True, False)
    y += row_h
    if style in ("rules", "open", "zebra"):
        doc.set_line_width(0.4)
        doc.line(x, y, x + total_w, y)
        doc.set_line_width(0.2)
    for i, cells in enumerate(rows):
        row(cells, y, False, style == "zebra" and i % 2 == 1)
        y += row_h
        if style == "rules":
            doc.line(x, y, x + total_w, y)
    if style in ("open", "zebra"):
        doc.set_line_width(0.4)
        doc.line(x, y, x + total_w, y)
    return y
