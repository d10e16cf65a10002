"""Peak memory of the parent process of `sigillo ingest --workers N` as a batch grows (not a test; run it by hand).

Issue 6's target: "Memory: peak RSS of the parent process stays flat as a batch grows from 100 to 2,000
documents." For each size in --sizes it writes that many distinct one-page text-layer PDFs (fpdf2; the text
varies, so every SHA-256 differs), runs `sigillo init` and then `sigillo ingest DIR --workers N` into a fresh
archive as a subprocess, and polls /proc/<pid>/status of that process (the parent: the one that hashes, stores,
catalogs, indexes and seals; not its extraction workers, nor the forkserver) until it exits. VmHWM, the kernel's
high-water mark of its resident set, is read on every poll and the last value kept. Wall time includes process
start-up, catalog, index and seal.

    .venv/bin/python bench/ingest_memory.py [--sizes 100,500,2000] [--workers 2]

The last line is machine-readable:
    ingest_memory: sizes=100,500,2000 peak_rss_mb=…,…,… docs_per_s=…,…,… growth_mb=…
(growth = peak RSS at the largest size minus at the smallest). Linux only (/proc).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from fpdf import FPDF

ROOT = Path(__file__).resolve().parent.parent
SIGILLO = [sys.executable, "-m", "archive"]
POLL_SECONDS = 0.01

CITIES = ("Milano", "Torino", "Bologna", "Napoli", "Genova", "Verona", "Padova", "Bari", "Trieste", "Parma")
GOODS = ("steel brackets", "printer toner", "office chairs", "hydraulic valves", "consulting hours",
         "LED panels", "copper cable", "pallet racks", "safety boots", "label rolls")


def text_pdfs(folder: Path, count: int) -> None:
    """``count`` distinct small invoices with a text layer (no OCR needed)."""
    for i in range(count):
        pdf = FPDF()
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        qty, price = 1 + i % 37, 10 + (i * 7) % 490
        net = qty * price
        pdf.multi_cell(0, 6, f"INVOICE No. MEM-{i:06d}\nDate: 2024-{1 + i % 12:02d}-{1 + i % 28:02d}\n"
                             f"Seller: Forniture {CITIES[i % 10]} S.r.l., Via Roma {1 + i % 200}, {CITIES[i % 10]}\n"
                             f"Buyer: Cliente {i // 10:04d} S.p.A., Corso Italia {1 + i % 90}, "
                             f"{CITIES[(i // 10) % 10]}\n"
                             f"{qty} x {GOODS[i % 10]} at EUR {price}.00 = EUR {net}.00\n"
                             f"VAT 22%: EUR {net * 0.22:.2f}\nTotal due: EUR {net * 1.22:.2f}\n"
                             f"Due date: 2025-{1 + (i + 1) % 12:02d}-{1 + (i + 3) % 28:02d}\n"
                             "Payment within 30 days by bank transfer. Thank you for your business.")
        pdf.output(str(folder / f"doc-{i:06d}.pdf"))


def vm_hwm_kb(pid: int) -> int | None:
    """The process's peak resident set size (VmHWM, kB), or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        return None
    return None  # a zombie has no memory lines


def run_measured(args: list[str]) -> tuple[float, int, int]:
    """Run ``args``; return (seconds, the last VmHWM read in kB, exit code)."""
    with tempfile.TemporaryFile() as err:  # a file, not a pipe: a long run's stderr can never block it
        started = time.perf_counter()
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        last = 0
        while proc.poll() is None:
            kb = vm_hwm_kb(proc.pid)
            if kb is not None:
                last = kb
            time.sleep(POLL_SECONDS)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            err.seek(0)
            sys.exit(f"{' '.join(args)} exited {proc.returncode}:\n{err.read().decode(errors='replace')}")
    return seconds, last, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100,500,2000", help="batch sizes, comma-separated")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if not Path("/proc/self/status").exists():
        sys.exit("this benchmark reads /proc/<pid>/status: Linux only")

    peaks: list[float] = []
    rates: list[float] = []
    print(f"sigillo ingest --workers {args.workers}; peak RSS (VmHWM) of the parent process only")
    with tempfile.TemporaryDirectory(prefix="sigillo-mem-") as tmp:
        tmp_path = Path(tmp)
        for n in sizes:
            inbox, home = tmp_path / f"in-{n}", tmp_path / f"archive-{n}"
            inbox.mkdir()
            text_pdfs(inbox, n)
            subprocess.run([*SIGILLO, "--home", str(home), "init"], check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
            seconds, kb, _ = run_measured([*SIGILLO, "--home", str(home), "ingest", str(inbox),
                                           "--workers", str(args.workers)])
            peaks.append(kb / 1024)
            rates.append(n / seconds)
            print(f"{n:6d} documents: {seconds:7.2f} s  {n / seconds:7.2f} documents/s  "
                  f"parent peak RSS {kb / 1024:7.1f} MB", flush=True)
    growth = peaks[-1] - peaks[0]
    print(f"growth from {sizes[0]} to {sizes[-1]} documents: {growth:+.1f} MB")
    print(f"ingest_memory: sizes={','.join(map(str, sizes))} peak_rss_mb={','.join(f'{p:.1f}' for p in peaks)} "
          f"docs_per_s={','.join(f'{r:.2f}' for r in rates)} growth_mb={growth:.1f}")


if __name__ == "__main__":
    main()
