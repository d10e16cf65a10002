#!/usr/bin/env python3
"""Generate the Sigillo sample corpus: credit documents with ground-truth JSON beside each file.

    python samples/generate.py                 # writes samples/corpus/
    python samples/generate.py --out /tmp/x    # anywhere else
    python samples/generate.py --only invoice-it-01 --only contract-en-02

The output is deterministic: fixed seeds, fixed dates and fixed file metadata, so two runs produce
byte-identical files, given the same library and font versions (recorded in samples/toolchain.json whenever
the default corpus is written; `--toolchain` prints the current ones).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
import zlib
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from pathlib import Path

import pypdfium2 as pdfium
from PIL import Image

from corpusgen import layouts_invoice, layouts_text
from corpusgen.corpus import SAMPLES
from corpusgen.pdfkit import FONT_DIR, FONT_FILES, check_fonts
from corpusgen.scan import (
    bilevel,
    fpdf_image_pdf_bytes,
    jpeg_bytes,
    pillow_pdf_bytes,
    png_bytes,
    rasterize,
    scan_page,
    tiff_bytes,
)
from corpusgen.world import Invoice, Sample

HERE = Path(__file__).resolve().parent
DEFAULT_OUT = HERE / "corpus"
CORPUS_FILE = re.compile(r"^(invoice|credit-note|contract|dunning|receipt)-(it|en)-\d\d\.(png|jpg|tiff|pdf|json)$")


def render_pdf(sample: Sample) -> bytes:
    """The document as a digital PDF with a text layer, in its layout family."""
    doc = sample.doc
    if isinstance(doc, Invoice):
        return layouts_invoice.LAYOUTS[sample.layout](doc)
    default_style = "it_long" if doc.language == "it" else "en_uk"
    return layouts_text.LAYOUTS[sample.layout](doc, sample.date_style or default_style)


def render_file(sample: Sample) -> bytes:
    """The bytes of the sample file in its output format."""
    pdf = render_pdf(sample)
    if not sample.is_scan:
        return pdf
    sc = sample.scan
    rng = random.Random(f"sigillo-sample-{sample.name}-{sc.seed}")
    pages = [scan_page(page, sc, rng) for page in rasterize(pdf, sc.dpi)]
    title, when = sample.name, sample.doc.dated
    match sample.fmt:
        case "png":
            (page,) = pages
            return png_bytes(page, sc.dpi)
        case "jpg":
            (page,) = pages
            return jpeg_bytes(page, sc.dpi, sc.jpeg_quality)
        case "tiff-g4":
            return tiff_bytes([bilevel(p, sc.threshold) for p in pages], sc.dpi, "group4")
        case "tiff-gray":
            return tiff_bytes(pages, sc.dpi, "tiff_adobe_deflate")
        case "pdf-scan-jpeg":
            return pillow_pdf_bytes(pages, sc.dpi, when, title, sc.jpeg_quality)
        case "pdf-scan-g4":
            return pillow_pdf_bytes([bilevel(p, sc.threshold) for p in pages], sc.dpi, when, title)
        case "pdf-scan-fpdf":
            return fpdf_image_pdf_bytes(pages, sc.dpi, when, title, sc.jpeg_quality)
    raise ValueError(f"unknown format {sample.fmt!r}")


def ground_truth(sample: Sample) -> str:
    doc = sample.doc
    record = {"doc_type": doc.doc_type, "language": doc.language, "fields": doc.ground_truth()}
    return json.dumps(record, ensure_ascii=False) + "\n"


def write_sample(sample: Sample, out: Path) -> str:
    data = render_file(sample)
    (out / sample.filename).write_bytes(data)
    (out / f"{sample.name}.json").write_text(ground_truth(sample), encoding="utf-8")
    return f"{sample.filename:24} {len(data) / 1024:8.1f} KiB"


FORMAT_LABELS = {
    "pdf": "digital PDF, text layer",
    "pdf-scan-jpeg": "image-only PDF, JPEG {dpi} dpi",
    "pdf-scan-g4": "image-only PDF, CCITT G4 {dpi} dpi",
    "pdf-scan-fpdf": "image-only PDF, JPEG {dpi} dpi",
    "png": "PNG greyscale {dpi} dpi",
    "jpg": "JPEG greyscale {dpi} dpi",
    "tiff-g4": "TIFF CCITT G4 bilevel {dpi} dpi",
    "tiff-gray": "TIFF greyscale Deflate {dpi} dpi",
}


def page_count(path: Path) -> int:
    if path.suffix == ".pdf":
        doc = pdfium.PdfDocument(path)
        try:
            return len(doc)
        finally:
            doc.close()
    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def markdown_table(out: Path) -> str:
    """The document list of samples/README.md, from the plan and the files in `out`."""
    rows = [
        "| file | type | lang | format | pages | layout | parties | KiB |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for s in SAMPLES:
        path = out / s.filename
        gt = s.doc.ground_truth()
        parties = gt.get("parties") or [
            gt.get("seller_name") or gt.get("creditor_name"),
            gt.get("buyer_name") or gt.get("debtor_name"),
        ]
        who = " → ".join(p for p in parties if p)
        fmt = FORMAT_LABELS[s.fmt].format(dpi=s.scan.dpi)
        rows.append(
            f"| `{s.filename}` | {s.doc.doc_type} | {s.doc.language} | {fmt} | {page_count(path)} | {s.layout} "
            f"| {who} | {path.stat().st_size // 1024} |"
        )
    return "\n".join(rows)


def toolchain() -> dict[str, str]:
    """Versions that determine the output bytes; recorded in samples/toolchain.json beside the corpus."""
    fonts = hashlib.sha256()
    for stems in FONT_FILES.values():
        for stem in stems:
            fonts.update((FONT_DIR / f"{stem}.ttf").read_bytes())
    versions = {name: metadata.version(name) for name in ("pillow", "fpdf2", "fonttools", "pypdfium2")}
    return versions | {"zlib": zlib.ZLIB_RUNTIME_VERSION, "dejavu_sha256": fonts.hexdigest()[:16]}


def remove_stale(out: Path, keep: set[str]) -> None:
    """Delete corpus-like files left over from an earlier plan (never anything else)."""
    for path in out.iterdir():
        if CORPUS_FILE.match(path.name) and path.name not in keep:
            path.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output directory (default: %(default)s)")
    parser.add_argument("--only", action="append", metavar="NAME", help="generate only this sample (repeatable)")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes (default: %(default)s)")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--table", action="store_true", help="print the README document table for --out and exit")
    parser.add_argument("--toolchain", action="store_true", help="print the versions that determine the output bytes")
    args = parser.parse_args(argv)
    if args.table:
        print(markdown_table(args.out))
        return 0
    check_fonts()
    if args.toolchain:
        print(json.dumps(toolchain(), indent=2))
        return 0

    samples = [s for s in SAMPLES if not args.only or s.name in args.only]
    if args.only and len(samples) != len(set(args.only)):
        parser.error(f"unknown sample in --only; known: {', '.join(s.name for s in SAMPLES)}")
    args.out.mkdir(parents=True, exist_ok=True)
    if not args.only:
        remove_stale(args.out, {s.filename for s in SAMPLES} | {f"{s.name}.json" for s in SAMPLES})

    if args.jobs > 1:
        with ProcessPoolExecutor(args.jobs) as pool:
            reports = list(pool.map(write_sample, samples, [args.out] * len(samples)))
    else:
        reports = [write_sample(s, args.out) for s in samples]
    if args.out.resolve() == DEFAULT_OUT and not args.only:
        (HERE / "toolchain.json").write_text(json.dumps(toolchain(), indent=2) + "\n", encoding="utf-8")
    if not args.quiet:
        print("\n".join(reports))
        print(f"{len(samples)} samples written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
