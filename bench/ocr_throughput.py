"""OCR throughput of parallel ingest against bare tesseract (not a test; run it by hand).

On the same set of scanned pages (the PNG, JPEG and TIFF scans of samples/corpus, copied as often as needed to
reach --min-pages; each copy re-saved with a different PNG tEXt chunk so that its hash differs while its pixels
are identical):
  (a) bare `tesseract FILE stdout -l LANGS --dpi D` on one core, page after page (OMP_THREAD_LIMIT=1);
  (a') the same, N processes at a time: how far tesseract alone scales on this machine (a second baseline);
  (b) `sigillo ingest --workers N` of the same files into a fresh archive (hash, sniff, store, OCR to TSV with
      word boxes in N worker processes, classify, fields, catalog, index, seal; process start-up included).
It prints pages/s for each and the ratio (b)/(N x a): 1.0 means perfect scaling and no overhead beyond OCR. Then
`sigillo ingest --workers N` of --text-docs small, distinct text-layer PDFs (made with fpdf2): documents/s end to
end. Image-only PDFs of the corpus are left out: bare tesseract cannot read a PDF.

    .venv/bin/python bench/ocr_throughput.py [--workers N] [--langs ita+eng] [--min-pages 48] [--text-docs 200]

The last line is machine-readable:
    ocr_throughput: cores=N pages=… bare_pages_per_s=… sigillo_pages_per_s=… ratio=… textlayer_docs_per_s=…
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from fpdf import FPDF
from PIL import Image, PngImagePlugin

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ingest._imaging import image_dpi

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "samples" / "corpus"
SIGILLO = [sys.executable, "-m", "archive"]
SCAN_SUFFIXES = {".png", ".jpg", ".jpeg", ".tif", ".tiff"}


def pages_of(path: Path) -> int:
    with Image.open(path) as im:
        return getattr(im, "n_frames", 1)


def scan_set(folder: Path, min_pages: int) -> list[Path]:
    """The corpus scans, then re-saved PNG copies (same pixels, a distinct tEXt chunk) until min_pages."""
    scans = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() in SCAN_SUFFIXES)
    files = []
    for p in scans:
        shutil.copy2(p, folder / p.name)
        files.append(folder / p.name)
    singles = [s for s in scans if pages_of(s) == 1]
    copy = 0
    while sum(pages_of(f) for f in files) < min_pages:
        src = singles[copy % len(singles)]
        copy += 1
        info = PngImagePlugin.PngInfo()
        info.add_text("bench-copy", str(copy))
        out = folder / f"{src.stem}-copy{copy}.png"
        with Image.open(src) as im:
            im.save(out, pnginfo=info, dpi=(image_dpi(im),) * 2)
        files.append(out)
    return files


def bare_tesseract(files: list[Path], langs: str) -> float:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    started = time.perf_counter()
    for f in files:
        with Image.open(f) as im:
            dpi = image_dpi(im)
        subprocess.run(["tesseract", str(f), "stdout", "-l", langs, "--dpi", str(dpi)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def bare_tesseract_parallel(files: list[Path], langs: str, n: int) -> float:
    """The same pages, n bare tesseract processes at a time (longest files first): what the hardware gives."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}

    def one(f: Path) -> None:
        with Image.open(f) as im:
            dpi = image_dpi(im)
        subprocess.run(["tesseract", str(f), "stdout", "-l", langs, "--dpi", str(dpi)], env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    started = time.perf_counter()
    with ThreadPoolExecutor(n) as pool:
        list(pool.map(one, sorted(files, key=lambda f: -pages_of(f))))
    return time.perf_counter() - started


def sigillo_ingest(inbox: Path, home: Path, langs: str, workers: int) -> float:
    subprocess.run([*SIGILLO, "--home", str(home), "init", "--languages", langs], check=True,
                   stdout=subprocess.DEVNULL)
    started = time.perf_counter()
    subprocess.run([*SIGILLO, "--home", str(home), "ingest", str(inbox), "--workers", str(workers), "--quiet"],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def text_pdfs(folder: Path, count: int) -> None:
    for i in range(count):
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, f"INVOICE No. BENCH-{i:05d}\nDate: 2024-03-{1 + i % 28:02d}\n"
                             f"Acme S.r.l., Via Roma {i}, Milano\nTotal due: EUR {100 + i}.{i % 100:02d}\n"
                             "Payment within 30 days by bank transfer. Thank you for your business.")
        pdf.output(str(folder / f"text-{i:05d}.pdf"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--langs", default="ita+eng")
    parser.add_argument("--min-pages", type=int, default=48)
    parser.add_argument("--text-docs", type=int, default=200)
    args = parser.parse_args()
    cores, n = os.cpu_count() or 1, args.workers

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        scans = tmp_path / "scans"
        scans.mkdir()
        files = scan_set(scans, args.min_pages)
        pages = sum(pages_of(f) for f in files)
        print(f"machine: {cores} cores; workers {n}; {len(files)} scan files, {pages} pages; languages {args.langs}")

        bare = bare_tesseract(files, args.langs)
        bare_rate = pages / bare
        print(f"(a) bare tesseract, one core:      {bare:7.1f} s  {bare_rate:.3f} pages/s")
        parallel = bare_tesseract_parallel(files, args.langs, n)
        print(f"(a') bare tesseract, {n} at a time:   {parallel:7.1f} s  {pages / parallel:.3f} pages/s  "
              f"(scaling of tesseract alone: {pages / parallel / (n * bare_rate):.3f})")
        ours = sigillo_ingest(scans, tmp_path / "a1", args.langs, n)
        ours_rate = pages / ours
        print(f"(b) sigillo ingest --workers {n}:    {ours:7.1f} s  {ours_rate:.3f} pages/s")
        ratio = ours_rate / (n * bare_rate)
        print(f"    ratio (b)/({n} x a) = {ratio:.3f}  (1.0 = perfect scaling, no overhead beyond OCR); "
              f"(b)/(a') = {ours_rate / (pages / parallel):.3f}  (the pipeline's own overhead)")

        texts = tmp_path / "texts"
        texts.mkdir()
        text_pdfs(texts, args.text_docs)
        t = sigillo_ingest(texts, tmp_path / "a2", args.langs, n)
        docs_rate = args.text_docs / t
        print(f"text-layer PDFs: {args.text_docs} documents in {t:.2f} s = {docs_rate:.2f} documents/s "
              "(includes process start-up, catalog, index and seal)")
    print(f"ocr_throughput: cores={cores} pages={pages} bare_pages_per_s={bare_rate:.3f} "
          f"sigillo_pages_per_s={ours_rate:.3f} ratio={ratio:.3f} textlayer_docs_per_s={docs_rate:.2f}")


if __name__ == "__main__":
    main()
