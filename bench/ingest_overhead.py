"""What Sigillo's ingest pipeline costs on top of OCR itself (not a test; run it by hand).

On the same scanned files of samples/corpus (PNG, JPEG, TIFF: formats tesseract reads directly):
  (a) bare `tesseract FILE stdout -l LANGS` on one core, file after file (OMP_THREAD_LIMIT=1);
  (b) `sigillo ingest` of the same files into a fresh archive (one process: hash, sniff, store, OCR to TSV
      with word boxes, catalog, index).
It prints pages/s for each and the ratio (b)/(a): 1.0 means the pipeline adds nothing to OCR. Then it times
`sigillo ingest` of the digital (text-layer) PDFs: documents/s end to end.

    .venv/bin/python bench/ingest_overhead.py [--langs ita+eng] [--limit N]

The last line is machine-readable:
    ingest_overhead: cores=N scan_pages=… bare_pages_per_s=… sigillo_pages_per_s=… ratio=… textlayer_docs_per_s=…
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "samples" / "corpus"
SIGILLO = [sys.executable, "-m", "archive"]


def pages_of(path: Path) -> int:
    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def bare_tesseract(files: list[Path], langs: str) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    for f in files:
        subprocess.run(["tesseract", str(f), "stdout", "-l", langs], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def sigillo_ingest(files: list[Path], langs: str) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "archive"
        inbox = Path(tmp) / "inbox"
        inbox.mkdir()
        for f in files:
            shutil.copy2(f, inbox / f.name)
        subprocess.run([*SIGILLO, "--home", str(home), "init", "--languages", langs], check=True,
                       stdout=subprocess.DEVNULL)
        started = time.perf_counter()
        subprocess.run([*SIGILLO, "--home", str(home), "ingest", str(inbox)], check=True, stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--langs", default="ita+eng")
    parser.add_argument("--limit", type=int, default=0, help="use only the first N scans")
    args = parser.parse_args()

    scans = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in {".png", ".jpg", ".jpeg", ".tif", ".tiff"})
    if args.limit:
        scans = scans[: args.limit]
    digital = [p for p in sorted(CORPUS.glob("*.pdf")) if PdfReader(p).pages[0].extract_text().strip()]
    pages = sum(pages_of(p) for p in scans)
    cores = os.cpu_count() or 1
    print(f"machine: {cores} cores; {len(scans)} scans, {pages} pages; languages {args.langs}")

    bare = bare_tesseract(scans, args.langs)
    print(f"(a) bare tesseract, one core:   {bare:7.1f} s  {pages / bare:.3f} pages/s")
    ours = sigillo_ingest(scans, args.langs)
    print(f"(b) sigillo ingest, one process: {ours:7.1f} s  {pages / ours:.3f} pages/s")
    ratio = (pages / ours) / (pages / bare)
    print(f"    ratio (b)/(a) = {ratio:.3f}  (1.0 = no overhead beyond OCR)")

    docs_per_s = 0.0
    if digital:
        t = sigillo_ingest(digital, args.langs)
        docs_per_s = len(digital) / t
        print(f"text-layer PDFs: {len(digital)} documents in {t:.2f} s = {docs_per_s:.2f} documents/s "
              "(includes process start-up)")
    print(f"ingest_overhead: cores={cores} scan_pages={pages} bare_pages_per_s={pages / bare:.3f} "
          f"sigillo_pages_per_s={pages / ours:.3f} ratio={ratio:.3f} textlayer_docs_per_s={docs_per_s:.2f}")


if __name__ == "__main__":
    main()
