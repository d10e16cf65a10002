"""Dev harness (not a test): extract_fields over samples/ and the devset with cached OCR; per-field P/R/F1.

Usage: python tests/fields/harness.py [samples|invoice2data|zugferd|cuad ...] [-v]
Pages are cached as pickles in /tmp/sigillo-fields-cache (made by ingest.extract on first use).
"""

from __future__ import annotations

import json
import pickle
import re
import sys
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from ingest import extract  # noqa: E402
from ingest.fields import extract_fields  # noqa: E402

CACHE = Path("/tmp/sigillo-fields-cache")
SETS = {
    "samples": ROOT / "samples" / "corpus",
    "invoice2data": ROOT.parent / "shared" / "devset" / "invoice2data",
    "zugferd": ROOT.parent / "shared" / "devset" / "zugferd",
    "cuad": ROOT.parent / "shared" / "devset" / "cuad",
}


def load_pages(path: Path):
    CACHE.mkdir(exist_ok=True)
    key = CACHE / (str(path).replace("/", "_") + ".pkl")
    if key.exists():
        return pickle.loads(key.read_bytes())
    start = time.perf_counter()
    pages = extract(path).pages
    data = {"pages": pages, "seconds": time.perf_counter() - start}
    key.write_bytes(pickle.dumps(data))
    return data


def norm(name: str, value):
    if isinstance(value, list | tuple):
        return frozenset(norm(name, x) for x in value)
    s = str(value)
    if name in {"net_amount", "tax_amount", "total_amount", "contract_value", "amount_due"}:
        try:
            return str(Decimal(s).quantize(Decimal("0.01")))
        except InvalidOperation:
            return s
    return re.sub(r"\s+", " ", s).strip().casefold()


def documents(folder: Path):
    for truth in sorted(folder.glob("*.json")):
        for doc in folder.glob(truth.stem + ".*"):
            if doc.suffix != ".json":
                yield doc, json.loads(truth.read_text())


def run(set_name: str, verbose: bool) -> dict:
    stats: dict[str, list[int]] = {}
    timing = [0.0, 0.0, 0]
    for path, truth in documents(SETS[set_name]):
        data = load_pages(path)
        pages = data["pages"]
        start = time.perf_counter()
        got = extract_fields(pages, truth["doc_type"], truth.get("language"))
        timing[0] += time.perf_counter() - start
        timing[1] += data["seconds"]
        timing[2] += len(pages)
        expected = truth["fields"]
        for name in set(expected) | set(got):
            tp_fp_fn = stats.setdefault(name, [0, 0, 0])
            e = norm(name, expected[name]) if name in expected else None
            g = norm(name, got[name].value) if name in got else None
            if e is not None and g is not None and e == g:
                tp_fp_fn[0] += 1
                continue
            if g is not None and name in expected:
                tp_fp_fn[1] += 1
            if e is not None:
                tp_fp_fn[2] += 1
            if verbose and (e is not None):
                conf = got[name].confidence if name in got else None
                value = got[name].value if name in got else None
                print(f"  {path.name:40s} {name:16s} want {expected[name]!r} got {value!r} ({conf})")
    print(f"== {set_name}: extract_fields {1000 * timing[0] / max(timing[2], 1):.1f} ms/page, "
          f"read {timing[1] / max(timing[2], 1):.2f} s/page, {timing[2]} pages")
    for name, (tp, fp, fn) in sorted(stats.items()):
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"  {name:16s} P {p:.2f}  R {r:.2f}  F1 {f1:.2f}   (tp {tp}, fp {fp}, fn {fn})")
    return stats


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("-")]
    for s in args or list(SETS):
        run(s, "-v" in sys.argv)
