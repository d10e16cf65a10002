#!/usr/bin/env python3
"""OCR legibility check for the sample corpus (slow: runs real tesseract on every scanned page).

For every scan (PNG, JPEG, TIFF, image-only PDF) it reads the text exactly as the archive does
(``ingest.extract``: tesseract ita+eng at the file's own resolution, image-only PDF pages rendered at 300 dpi)
and checks that each ground-truth value appears in that text in one of the ways it can be printed
(dates in any of the corpus' date styles, amounts as 1.234,56 or 1,234.56, identifiers ignoring spaces).
With --digital it checks the text layer of the digital PDFs the same way. It also checks that "raccomandata"
occurs in exactly one document and "amount due" in at least one English scan.

    python samples/ocr_check.py [--corpus DIR] [--digital] [NAME ...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium

import ingest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from corpusgen.formats import date_text, number_en, number_it  # noqa: E402

DATE_STYLES = ("it_num", "it_dot", "it_dash", "it_long", "en_us", "en_uk", "en_short", "iso")
CURRENCY_MARKS = {"EUR": ("€", "EUR", "euro"), "GBP": ("£", "GBP")}
COMPACT_FIELDS = {
    "invoice_number", "contract_number", "contract_ref", "invoice_refs", "seller_vat_id", "buyer_vat_id",
    "buyer_tax_code", "iban",
}  # fmt: skip


def candidates(name: str, value: str) -> list[str]:
    """The ways a normalised ground-truth value can appear on the page."""
    if name.endswith("_date") or name in ("letter_date", "payment_deadline"):
        d = date.fromisoformat(value)
        forms = {date_text(d, s) for s in DATE_STYLES}
        return sorted(forms | {f.replace("1°", "1") for f in forms})
    if name.endswith("_amount") or name in ("amount_due", "contract_value"):
        v = Decimal(value)
        return [number_it(v), number_en(v)]
    if name == "currency":
        return list(CURRENCY_MARKS[value])
    if name.endswith("_vat_id"):
        return [value, value[2:]]
    return [value]


def compact(text: str) -> str:
    return re.sub(r"\s+", "", text)


def found(name: str, value: str, text: str) -> bool:
    flat = re.sub(r"\s+", " ", text).lower()
    tight = compact(text).lower()
    for cand in candidates(name, value):
        if name in COMPACT_FIELDS or name.endswith("_amount") or name in ("amount_due", "contract_value"):
            if compact(cand).lower() in tight:
                return True
        elif re.sub(r"\s+", " ", cand).lower() in flat:
            return True
    return False


def pdf_text_layer(path: Path) -> str:
    doc = pdfium.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def ocr(path: Path) -> str:
    """The text Sigillo itself reads from a scan."""
    return ingest.extract(path).text


def is_digital(path: Path) -> bool:
    return path.suffix == ".pdf" and bool(pdf_text_layer(path).strip())


def check(path: Path) -> tuple[Path, str, dict, list[str]]:
    truth = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    text = pdf_text_layer(path) if is_digital(path) else ocr(path)
    missing = []
    for name, value in truth["fields"].items():
        for v in value if isinstance(value, list) else [value]:
            if not found(name, v, text):
                missing.append(f"{name}={v}")
    return path, text, truth, missing


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=HERE / "corpus")
    parser.add_argument("--digital", action="store_true", help="also check the text layer of digital PDFs")
    parser.add_argument("--save-text", type=Path, help="write each OCR text to DIR/NAME.txt")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("names", nargs="*", help="sample names (default: all)")
    args = parser.parse_args(argv)

    files = sorted(p for p in args.corpus.iterdir() if p.suffix in (".png", ".jpg", ".tiff", ".pdf"))
    if args.names:
        files = [p for p in files if p.stem in args.names]
    files = [p for p in files if args.digital or not is_digital(p)]
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(check, files))

    failures = 0
    raccomandata, amount_due = [], []
    for path, text, truth, missing in results:
        n_values = sum(len(v) if isinstance(v, list) else 1 for v in truth["fields"].values())
        status = "ok" if not missing else "MISSING " + ", ".join(missing)
        kind = "text" if is_digital(path) else "ocr"
        print(f"{path.name:24} {kind:4} {n_values - len(missing):2}/{n_values:<2} {status}")
        failures += bool(missing)
        if "raccomandata" in text.lower():
            raccomandata.append(path.name)
        if truth["language"] == "en" and kind == "ocr" and "amount due" in re.sub(r"\s+", " ", text.lower()):
            amount_due.append(path.name)
        if args.save_text:
            args.save_text.mkdir(parents=True, exist_ok=True)
            (args.save_text / f"{path.stem}.txt").write_text(text, encoding="utf-8")
    print(f"'raccomandata' found in: {', '.join(raccomandata) or 'none'}")
    print(f"'amount due' found in English scans: {', '.join(amount_due) or 'none'}")
    if not args.names and (len(raccomandata) != 1 or not amount_due):
        failures += 1
    print(f"{len(results) - failures} of {len(results)} documents fully legible" if failures else "all legible")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
