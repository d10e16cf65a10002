"""Issue 6, item 3 ("resumable and idempotent"): `sigillo ingest` killed with SIGKILL at any moment, then run
again with the same command, finishes the batch with every document exactly once, no orphan object, no half-written
catalog row, the search index agreeing with the catalog, and `sigillo verify` clean.

The ingest runs as a real subprocess (``--workers 2``) in its own process group, and the whole group (main process,
forkserver and workers) is killed with SIGKILL, like a power loss. The moment is chosen from outside, by watching
what the archive shows on disk (an object file, catalog rows, the index folder, a seals/ folder, a checkpoint row)
or a fixed delay after the batch's row appears: no hook in the code. A kill point the batch finished before is not
an error; the case then checks the same invariants on a batch that was not interrupted.

Text-layer PDFs made with fpdf2 (fast) plus one generated scan (one OCR page, which keeps a worker busy
while the other documents go through, so the kill points spread over stored-but-not-catalogued states too).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image, ImageDraw, ImageFont

from archive.core import Archive
from archive.pipeline import CRASH_ENV
from tests.cli_runner import invoke, run
from tests.conftest import ROOT

N_PDFS = 48
DOCTOR_KINDS = {"batch", "tmp", "seal-folder", "object", "index", "index-stale", "unsealed", "pending"}
RUN_TIMEOUT = 60.0

Condition = Callable[[Path, float], bool]  # (archive home, seconds since start) -> kill now?


# -- the inbox and a fresh archive --------------------------------------------------------------------------------
def make_pdf(path: Path, i: int) -> int:
    """A small text-layer PDF with a word found nowhere else; 1 to 3 pages. Returns its page count."""
    pages = 1 + i % 3
    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(
            0, 8,
            f"INVOICE No. KR-{i:04d}/{page}\nInvoice date: 2025-01-{i % 28 + 1:02d}\nSeller: Acme Trading Srl\n"
            f"Buyer: Mario Rossi {i}\nTotal amount due: EUR {100 + i},{page:02d}\nReference zq{i:04d}kill\n",
        )
    pdf.output(str(path))
    return pages


def make_scan(path: Path) -> None:
    """A one-page scan for tesseract (about two seconds of OCR in a worker)."""
    image = Image.new("L", (1240, 500), 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=36)
    for i, line in enumerate(("PAYMENT REMINDER", "Invoice KR-9999 is overdue", "Amount due EUR 1.234,00",
                              "Reference zqscankill")):
        draw.text((60, 60 + 90 * i), line, fill=0, font=font)
    image.save(path, dpi=(300, 300))


@pytest.fixture(scope="module")
def inbox(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    """The batch: N_PDFS distinct PDFs, one OCR scan (first in name order), and one copy of a PDF under another
    name (a duplicate within the batch). Returns the folder and the page count expected for each SHA-256."""
    folder = tmp_path_factory.mktemp("inbox")
    make_scan(folder / "a-scan.png")
    for i in range(N_PDFS):
        make_pdf(folder / f"doc-{i:03d}.pdf", i)
    shutil.copy2(folder / "doc-007.pdf", folder / "zz-copy-of-doc-007.pdf")
    pages = {}
    for f in folder.iterdir():
        sha = hashlib.sha256(f.read_bytes()).hexdigest()
        pages[sha] = 1 if f.suffix == ".png" else 1 + int(f.stem.rsplit("-", 1)[-1]) % 3
    assert len(pages) == N_PDFS + 1
    return folder, pages


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """One `sigillo init`, copied for every case (making keys is the slow part of init)."""
    home = tmp_path_factory.mktemp("template") / "archive"
    run(home, "init")
    return home


@pytest.fixture
def home(template, tmp_path) -> Path:
    target = tmp_path / "archive"
    shutil.copytree(template, target, symlinks=True)
    return target


# -- running and killing ------------------------------------------------------------------------------------------
def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SIGILLO_KEY_PASSPHRASE", CRASH_ENV, "SIGILLO_HOME")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def start_ingest(home: Path, folder: Path, log: Path) -> subprocess.Popen[bytes]:
    """`sigillo --home HOME ingest INBOX --workers 2 --json`, in a new session (its own process group)."""
    with open(log, "ab") as out:
        out.write(b"\n=== run ===\n")
        out.flush()
        return subprocess.Popen(
            [sys.executable, "-m", "archive", "--home", str(home), "ingest", str(folder), "--workers", "2", "--json"],
            cwd=ROOT, env=child_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the process group ``pgid``."""
    members = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(entry.path, "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the whole group (as a power loss would stop every process at once) and wait until it is gone."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=RUN_TIMEOUT)
    deadline = time.monotonic() + 10
    while group_members(proc.pid):
        assert time.monotonic() < deadline, f"processes of the killed group survive: {group_members(proc.pid)}"
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        time.sleep(0.01)


def run_and_kill(home: Path, folder: Path, log: Path, condition: Condition) -> bool:
    """Start the ingest and kill it as soon as ``condition`` holds. Returns whether it was killed (False: the
    batch finished first; it must then have succeeded)."""
    proc = start_ingest(home, folder, log)
    started = time.monotonic()
    try:
        while proc.poll() is None:
            if condition(home, time.monotonic() - started):
                kill_group(proc)
                return True
            assert time.monotonic() - started < RUN_TIMEOUT, "the ingest did not finish in time"
            time.sleep(0.002)
    except BaseException:
        kill_group(proc)
        raise
    assert proc.returncode == 0, f"ingest exited {proc.returncode}:\n{log.read_text(errors='replace')}"
    return False


def run_to_end(home: Path, folder: Path, log: Path) -> list[dict]:
    """The same command again, to its end: exit 0, every file new or duplicate. Returns its JSON lines."""
    proc = start_ingest(home, folder, log)
    try:
        rc = proc.wait(timeout=RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        kill_group(proc)
        raise
    text = log.read_text(errors="replace")
    assert rc == 0, f"the re-run exited {rc}:\n{text}"
    lines = [json.loads(line) for line in text.split("=== run ===")[-1].splitlines() if line.startswith("{")]
    outcomes = [o for o in lines if "path" in o]
    assert len(outcomes) == N_PDFS + 2, text
    assert {o["status"] for o in outcomes} <= {"new", "duplicate"}, text
    return outcomes


# -- what the archive shows from outside --------------------------------------------------------------------------
def catalog_count(home: Path, table: str) -> int:
    """Rows in ``table``, read-only (never blocks or changes the writer); -1 when it cannot be read right now."""
    try:
        db = sqlite3.connect(f"file:{home / 'catalog.sqlite3'}?mode=ro", uri=True, timeout=0.05)
    except sqlite3.Error:
        return -1
    try:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        db.close()


def object_files(home: Path) -> set[str]:
    """The names of the object files on disk (independent of BlobStore)."""
    found = set()
    objects = home / "objects"
    if objects.is_dir():
        for sub in os.scandir(objects):
            if sub.is_dir():
                found.update(sub.name + f.name for f in os.scandir(sub.path))
    return found


def index_snapshot(home: Path) -> frozenset[tuple[str, int, int]]:
    out = set()
    for folder, _, files in os.walk(home / "index"):
        for name in files:
            with contextlib.suppress(FileNotFoundError):
                st = os.stat(os.path.join(folder, name))
                out.add((os.path.relpath(os.path.join(folder, name), home), st.st_size, st.st_mtime_ns))
    return frozenset(out)


def seal_folders(home: Path) -> set[str]:
    seals = home / "seals"
    return {e.name for e in os.scandir(seals) if e.is_dir()} if seals.is_dir() else set()


# -- kill points --------------------------------------------------------------------------------------------------
def first_object(home: Path, _: float) -> bool:
    return bool(object_files(home))


def documents_at_least(k: int) -> Condition:
    return lambda home, _: catalog_count(home, "documents") >= k


def index_changed() -> Condition:
    before: dict[Path, frozenset] = {}

    def condition(home: Path, _: float) -> bool:
        now = index_snapshot(home)
        return before.setdefault(home, now) != now

    return condition


def seal_folder(home: Path, _: float) -> bool:
    return bool(seal_folders(home))


def checkpoint_row(home: Path, _: float) -> bool:
    return catalog_count(home, "checkpoints") >= 1


def batch_running_for(seconds: float) -> Condition:
    """A fixed delay after the batch's row appears (not after the process starts: start-up time varies a lot)."""
    began: list[float] = []

    def condition(home: Path, elapsed: float) -> bool:
        if not began and catalog_count(home, "batches") > 0:
            began.append(elapsed)
        return bool(began) and elapsed - began[0] >= seconds

    return condition


KILL_POINTS: dict[str, Callable[[], Condition]] = {
    "first-object": lambda: first_object,
    "half-the-documents": lambda: documents_at_least(N_PDFS // 2),
    "index-written": index_changed,
    "seal-folder": lambda: seal_folder,
    "checkpoint-row": lambda: checkpoint_row,
    "batch+1.0s": lambda: batch_running_for(1.0),
}


# -- the invariants -----------------------------------------------------------------------------------------------
def doctor(home: Path) -> dict:
    """`sigillo doctor --json` (diagnose only: changes nothing); exit 0 when clean, 1 when something is found."""
    result = invoke(home, "doctor", "--json")
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    assert result.exit_code == (0 if report["clean"] else 1), result.output
    return report


def events(db: sqlite3.Connection) -> Counter[tuple[str, str]]:
    """(event, document id) -> how many audit entries."""
    out: Counter[tuple[str, str]] = Counter()
    for (raw,) in db.execute("SELECT entry FROM audit ORDER BY seq"):
        entry = json.loads(bytes(raw))
        for doc_id in entry.get("docs", []):
            out[entry["event"], doc_id] += 1
    return out


def assert_no_half_rows(home: Path, pages: dict[str, int]) -> set[str]:
    """Whatever the moment of the kill: every catalogued document is whole (its pages, one 'new' sighting, its
    'ingest' audit entry, its stored original), and every stored original is one of the inbox's files. Returns the
    catalogued ids."""
    db = sqlite3.connect(f"file:{home / 'catalog.sqlite3'}?mode=ro", uri=True)
    try:
        docs = dict(db.execute("SELECT id, page_count FROM documents").fetchall())
        page_rows = Counter(r[0] for r in db.execute("SELECT doc_id FROM pages"))
        new_sightings = Counter(r[0] for r in db.execute("SELECT doc_id FROM sightings WHERE outcome = 'new'"))
        audit = events(db)
        failures = db.execute("SELECT path, reason FROM failures").fetchall()
        sealed = Counter(r[0] for r in db.execute("SELECT doc_id FROM seals"))
    finally:
        db.close()
    assert not failures, failures
    assert set(docs) <= set(pages), "a document that is not in the inbox"
    for doc_id, count in docs.items():
        assert count == pages[doc_id], f"{doc_id[:12]}: page_count {count}, expected {pages[doc_id]}"
        assert page_rows[doc_id] == count, f"{doc_id[:12]}: {page_rows[doc_id]} page rows for {count} pages"
        assert new_sightings[doc_id] == 1, f"{doc_id[:12]}: {new_sightings[doc_id]} 'new' sightings"
        assert audit["ingest", doc_id] == 1, f"{doc_id[:12]}: {audit['ingest', doc_id]} 'ingest' audit entries"
        assert sealed[doc_id] <= 1
    assert set(page_rows) <= set(docs) and set(new_sightings) <= set(docs), "rows of an uncatalogued document"
    on_disk = object_files(home)
    assert set(docs) <= on_disk, f"catalogued without its original: {sorted(set(docs) - on_disk)}"
    assert on_disk <= set(pages), f"a stored object that is none of the inbox's files: {sorted(on_disk - set(pages))}"
    return set(docs)


def check_leftovers(home: Path, pages: dict[str, int]) -> None:
    """Right after the kill: nothing half-written, and `sigillo doctor` names what is left (and nothing else)."""
    catalogued = assert_no_half_rows(home, pages)
    report = doctor(home)
    kinds = Counter(f["kind"] for f in report["findings"])
    assert set(kinds) <= DOCTOR_KINDS, report
    orphans = object_files(home) - catalogued
    assert {f["subject"].split()[-1] for f in report["findings"] if f["kind"] == "object"} == orphans, report


def assert_whole(home: Path, folder: Path, pages: dict[str, int]) -> None:
    """The batch is finished: every inbox file exactly once, no orphan, index == catalog, verify and doctor clean."""
    expected = set(pages)
    catalogued = assert_no_half_rows(home, pages)
    assert catalogued == expected, (
        f"missing: {sorted(d[:12] for d in expected - catalogued)}, extra: {sorted(catalogued - expected)}"
    )
    assert object_files(home) == expected, "objects on disk differ from the catalogued documents"
    assert not any((home / "tmp").iterdir()), "temporary files left"

    db = sqlite3.connect(f"file:{home / 'catalog.sqlite3'}?mode=ro", uri=True)
    try:
        sightings = db.execute("SELECT doc_id, path, outcome FROM sightings").fetchall()
        sealed = {r[0] for r in db.execute("SELECT doc_id FROM seals")}
        numbers = {f"{r[0]:06d}" for r in db.execute("SELECT number FROM checkpoints")}
        pending = db.execute("SELECT number FROM checkpoints WHERE status != 'timestamped'").fetchall()
        unindexed = db.execute("SELECT count(*) FROM documents WHERE indexed = 0").fetchone()[0]
        running = db.execute("SELECT id, status FROM batches WHERE status NOT IN ('done', 'interrupted')").fetchall()
    finally:
        db.close()
    by_path = Counter((Path(p).name, outcome) for _, p, outcome in sightings)
    for f in folder.iterdir():
        assert by_path[f.name, "new"] <= 1, f"{f.name} catalogued as new more than once"
    assert Counter(d for d, _, o in sightings if o == "new") == Counter(expected), "not one 'new' sighting per file"
    assert sum(by_path[f.name, "new"] for f in folder.iterdir()) == len(expected)
    assert sealed == expected, "documents without a seal"
    assert seal_folders(home) == numbers, "seals/ folders and checkpoint rows differ"
    assert not pending, f"checkpoints still pending: {pending}"
    assert unindexed == 0
    assert not running, f"batches still marked running after the batch was finished: {running}"

    with Archive.open(home) as archive:
        assert archive.engine().ids() == expected, "the search index does not hold exactly the catalogued documents"
        for word, name in (("zq0013kill", "doc-013.pdf"), ("zqscankill", "a-scan.png")):
            rows, total, _ = archive.search(word)
            assert total == 1 and rows[0].document.original_name == name, (word, rows)

    result = run(home, "verify", "--all", "--quiet")
    assert "All checks passed" in result.output, result.output
    report = doctor(home)
    assert report["clean"], f"doctor finds something left to repair: {report['findings']}"


# -- the cases ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("point", list(KILL_POINTS))
def test_killed_batch_run_again_finishes_exactly_once(point, home, inbox, tmp_path):
    folder, pages = inbox
    log = tmp_path / "ingest.log"
    killed = run_and_kill(home, folder, log, KILL_POINTS[point]())
    if killed:
        check_leftovers(home, pages)
    outcomes = run_to_end(home, folder, log)
    if not killed:  # the batch was faster than the kill point: the re-run finds every file archived
        assert {o["status"] for o in outcomes} == {"duplicate"}
    assert_whole(home, folder, pages)


def test_killed_twice_then_finished(home, inbox, tmp_path):
    """Killed mid-batch, the re-run killed too (at another moment), the third run finishes the batch."""
    folder, pages = inbox
    log = tmp_path / "ingest.log"
    run_and_kill(home, folder, log, documents_at_least(N_PDFS // 3))
    check_leftovers(home, pages)
    first = catalog_count(home, "documents")
    run_and_kill(home, folder, log, documents_at_least(first + N_PDFS // 3))
    check_leftovers(home, pages)
    run_to_end(home, folder, log)
    assert_whole(home, folder, pages)
    outcomes = run_to_end(home, folder, log)  # and once more: idempotent, nothing changes
    assert {o["status"] for o in outcomes} == {"duplicate"}
    assert_whole(home, folder, pages)


STALE_TMP_SCRIPT = """
import os, shutil, sys, tempfile
from pathlib import Path
from archive.sealing import _write_once

folder = Path(tempfile.mkdtemp(prefix="sigillo-stale-tmp-"))
try:
    target = folder / "checkpoint.txt.tsq"
    stale = folder / "checkpoint.txt.tsq.tmp"
    stale.write_bytes(b"half a request")  # what a kill between chmod and rename leaves
    stale.chmod(0o400)
    if os.getuid() == 0:  # root writes through any mode bits: check as an ordinary user, like an archive's owner
        for p in (folder, stale):
            os.chown(p, 65534, 65534)
        os.setgid(65534)
        os.setuid(65534)
    _write_once(target, b"the request")
    assert target.read_bytes() == b"the request" and not stale.exists()
    print("ok")
finally:
    if os.getuid() != 0:
        for p in folder.iterdir():
            p.chmod(0o600)
    shutil.rmtree(folder, ignore_errors=True)
"""


def test_a_timestamp_write_killed_before_its_rename_does_not_block_the_next():
    """A kill between the chmod and the rename of a seal file's atomic write leaves a read-only ``*.tmp`` in a
    checkpoint folder whose row exists (the timestamp files come after it): the next attempt must not fail on it
    (before the fix, every later `sigillo seal`/ingest stopped with Permission denied for a non-root owner)."""
    done = subprocess.run([sys.executable, "-c", STALE_TMP_SCRIPT], cwd=ROOT, env=child_env(), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stdout + done.stderr
