"""What `sigillo verify` costs next to hashing the same files with stock tools (not a test; run it by hand).

Builds a fresh archive of N small, distinct digital PDFs (generated with fpdf2, with a text layer: no OCR), then
times, on the same stored originals (objects/), after one warm-up run of each so that all read from the page cache:
  (a) `sigillo verify`: the audit chain, every checkpoint (signature, RFC 3161 token, Merkle root) and every
      document (SHA-256 of its bytes, seal record, inclusion proof), one process, start-up included;
  (b) plain `sha256sum` over the objects/ files (as few processes as the argument limit allows);
  (c) `openssl dgst -sha256` over the same files, for reference.
Each is the best of --repeat runs. It prints documents/s and MB/s for each and the ratio (a)/(b) of wall times:
1.0 would mean verifying costs no more than hashing the originals.

    .venv/bin/python bench/verify_throughput.py [--docs 2000] [--repeat 3] [--kb 0]

The documents are about 1 KB each, so per-file costs dominate; --kb K adds K kilobytes of incompressible image
to each (as a scan would), to see throughput at realistic sizes.

The last line is machine-readable:
    verify: docs=N mb=… sigillo_s=… sha256sum_s=… ratio=…
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from fpdf import FPDF
from PIL import Image

SIGILLO = [sys.executable, "-m", "archive"]
CHUNK = 1000  # files per sha256sum / openssl process (far below ARG_MAX)


def make_pdf(args: tuple[Path, int, int]) -> None:
    """One distinct one-page invoice with a real text layer (well over the archive's min_text_chars)."""
    folder, n, kb = args
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, "\n".join([
        f"INVOICE No. BENCH-{n:07d}",
        f"Issue date: 2026-{1 + n % 12:02d}-{1 + n % 28:02d}",
        f"Seller: Bench Supplies Ltd, VAT GB{100000000 + n}",
        f"Buyer: Customer {n} S.r.l., Via Roma {1 + n % 200}, Milano",
        f"Description: consulting services, reference {n * 7919 % 1000003}",
        f"Total amount due: EUR {100 + n % 9000}.{n % 100:02d}",
        "Payment within 30 days by bank transfer.",
    ]))
    if kb:
        side = max(8, int((kb * 1024 / 3) ** 0.5))  # RGB noise does not compress: about kb kilobytes
        noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        pdf.image(noise, x=10, y=120, w=60)
    pdf.output(str(folder / f"bench-{n:07d}.pdf"))


def generate(folder: Path, count: int, kb: int) -> None:
    folder.mkdir(parents=True)
    with ProcessPoolExecutor() as pool:
        list(pool.map(make_pdf, [(folder, n, kb) for n in range(count)], chunksize=64))


def best_of(repeat: int, run: Callable[[], None]) -> float:
    run()  # warm-up: page cache, Python bytecode
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def hash_with(command: list[str], files: list[Path]) -> Callable[[], None]:
    def run() -> None:
        for i in range(0, len(files), CHUNK):
            subprocess.run([*command, *map(str, files[i : i + CHUNK])], check=True, stdout=subprocess.DEVNULL)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=2000, help="documents in the archive (default 2000)")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of each tool; the best counts")
    parser.add_argument("--kb", type=int, default=0, help="add this many KB of image to each document")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        inbox, home = Path(tmp) / "inbox", Path(tmp) / "archive"
        started = time.perf_counter()
        generate(inbox, args.docs, args.kb)
        print(f"generated {args.docs} PDFs in {time.perf_counter() - started:.1f} s")
        env = {k: v for k, v in os.environ.items() if k != "SIGILLO_KEY_PASSPHRASE"}
        subprocess.run([*SIGILLO, "--home", str(home), "init"], check=True, stdout=subprocess.DEVNULL, env=env)
        started = time.perf_counter()
        subprocess.run([*SIGILLO, "--home", str(home), "ingest", str(inbox)], check=True, stdout=subprocess.DEVNULL,
                       env=env)
        took = time.perf_counter() - started
        print(f"ingested in {took:.1f} s ({args.docs / took:.1f} documents/s, sealed in one checkpoint)")

        files = sorted(p for p in (home / "objects").glob("*/*") if p.is_file())
        if len(files) != args.docs:
            sys.exit(f"expected {args.docs} stored originals, found {len(files)}")
        mb = sum(p.stat().st_size for p in files) / 1e6

        def sigillo_verify() -> None:
            out = subprocess.run([*SIGILLO, "--home", str(home), "verify", "--all", "--json"], check=True,
                                 capture_output=True, text=True, env=env).stdout
            report = json.loads(out)
            if not report["ok"] or report["documents"] != args.docs:
                sys.exit(f"sigillo verify did not pass: {out[:500]}")
            inner.append(report["seconds"])

        inner: list[float] = []
        sigillo_s = best_of(args.repeat, sigillo_verify)
        sha_s = best_of(args.repeat, hash_with(["sha256sum"], files))
        openssl_s = best_of(args.repeat, hash_with(["openssl", "dgst", "-sha256"], files))

    print(f"{args.docs} documents, {mb:.1f} MB of originals; best of {args.repeat} runs after a warm-up")
    for label, seconds in (("(a) sigillo verify", sigillo_s), ("(b) sha256sum", sha_s),
                           ("(c) openssl dgst -sha256", openssl_s)):
        print(f"{label:<26} {seconds:7.3f} s  {args.docs / seconds:9.0f} documents/s  {mb / seconds:7.1f} MB/s")
    print(f"    sigillo verify's own checks took {min(inner):.3f} s of that (the rest: start-up, imports, output)")
    ratio = sigillo_s / sha_s
    print(f"    ratio (a)/(b) = {ratio:.2f}  (1.0 = verifying costs no more than hashing the originals)")
    print(f"verify: docs={args.docs} mb={mb:.1f} sigillo_s={sigillo_s:.3f} sha256sum_s={sha_s:.3f} ratio={ratio:.2f}")


if __name__ == "__main__":
    main()
