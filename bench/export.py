"""How long `sigillo export --zip` takes for a case of 500 documents, and whether its memory stays flat (not a test).

Makes an archive of synthetic text-layer invoices (fpdf2; no OCR): 100 billed to one debtor and 500 to another,
ingested through the pipeline (`sigillo ingest`, not timed here). Then exports each case as a zip with
`sigillo export --case … --zip`, each in its own process, and reads that process's peak resident memory from the
kernel (``os.wait4``: ru_maxrss). Then checks the 500-document zip with `sigillo verify-bundle` (timed too).

    .venv/bin/python bench/export.py [--docs 500] [--small 100] [--verify-sh] [--keep DIR]

Target (issue 5): 500 documents in under 30 s on 2 cores, with the peak memory of the 500-document export about
that of the 100-document one. The last line is machine-readable:

    export: docs=500 seconds=… zip_mb=… peak_rss_mb_100=… peak_rss_mb_500=…
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from fpdf import FPDF

SIGILLO = [sys.executable, "-m", "archive"]
SMALL_CASE = "Alfa Impianti S.r.l."
BIG_CASE = "Beta Logistica S.r.l."


def make_invoice(path: Path, n: int, buyer: str) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    net = 100 + n % 900
    lines = [
        "Northgate Supplies Ltd", "12 Harbour Road, London E1 6AN", "VAT GB 123 4567 89", "",
        f"INVOICE No. NS-2024-{n:05d}", f"Invoice date: 2024-{1 + n % 12:02d}-15",
        f"Due date: 2024-{1 + n % 12:02d}-28",
        "", "Bill to:", buyer, "Via Roma 1, 40100 Bologna", "",
        "Description                     Qty     Amount",
        f"Packaging material, lot {n}        1       {net}.00", "",
        f"Subtotal: GBP {net}.00", f"VAT 20%: GBP {net * 0.2:.2f}", f"Total: GBP {net * 1.2:.2f}",
    ]
    for line in lines:
        pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def sigillo(home: Path, *args: str) -> None:
    subprocess.run([*SIGILLO, "--home", str(home), *args], check=True, stdout=subprocess.DEVNULL)


def measured(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; (wall seconds, peak RSS in MB of that process alone)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}")
    return seconds, usage.ru_maxrss / 1024  # Linux: kilobytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=500, help="documents in the big case")
    parser.add_argument("--small", type=int, default=100, help="documents in the small case")
    parser.add_argument("--verify-sh", action="store_true", help="also run the bundle's verify.sh (slow: stock tools)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this folder and keep it")
    args = parser.parse_args()

    work = args.keep or Path(tempfile.mkdtemp(prefix="sigillo-bench-export-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        home, inbox = work / "archive", work / "inbox"
        inbox.mkdir(exist_ok=True)
        started = time.perf_counter()
        for n in range(args.small):
            make_invoice(inbox / f"alfa-{n:04d}.pdf", n, SMALL_CASE)
        for n in range(args.docs):
            make_invoice(inbox / f"beta-{n:04d}.pdf", 10_000 + n, BIG_CASE)
        print(f"made {args.small + args.docs} text-layer PDFs in {time.perf_counter() - started:.1f} s")
        if not home.exists():
            sigillo(home, "init")
            started = time.perf_counter()
            sigillo(home, "ingest", str(inbox))
            print(f"ingested them in {time.perf_counter() - started:.1f} s (not part of the figure)")

        results = {}
        for case, count in ((SMALL_CASE, args.small), (BIG_CASE, args.docs)):
            out = work / f"case-{count}.zip"
            out.unlink(missing_ok=True)
            seconds, rss = measured([*SIGILLO, "--home", str(home), "export", "--case", case, "-o", str(out),
                                     "--reason", "bench"])
            with zipfile.ZipFile(out) as zf:
                members = len(zf.namelist())
            size = out.stat().st_size / 1e6
            results[count] = (seconds, rss, size)
            print(f"export --case ({count} documents): {seconds:.1f} s, zip {size:.1f} MB ({members} files), "
                  f"peak RSS {rss:.0f} MB")

        big = work / f"case-{args.docs}.zip"
        seconds, rss = measured([*SIGILLO, "verify-bundle", "-q", str(big)])
        print(f"verify-bundle ({args.docs} documents): {seconds:.1f} s, peak RSS {rss:.0f} MB")
        if args.verify_sh:
            folder = work / "unzipped"
            shutil.rmtree(folder, ignore_errors=True)
            with zipfile.ZipFile(big) as zf:
                zf.extractall(folder)
            bag = next(folder.iterdir())
            started = time.perf_counter()
            done = subprocess.run(["sh", str(bag / "verify.sh")], capture_output=True, text=True,
                                  env={**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
            last = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr
            print(f"verify.sh ({args.docs} documents): {time.perf_counter() - started:.1f} s: {last[:60]}")

        seconds, _, size = results[args.docs]
        print(f"cores: {os.cpu_count()}; target: under 30 s, peak RSS flat")
        small_rss, big_rss = results[args.small][1], results[args.docs][1]
        print(f"export: docs={args.docs} seconds={seconds:.1f} zip_mb={size:.1f} "
              f"peak_rss_mb_{args.small}={small_rss:.0f} peak_rss_mb_{args.docs}={big_rss:.0f}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
