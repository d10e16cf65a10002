"""`--workers N` on the commands that ingest besides `sigillo ingest`: `watch`, `quarantine retry` and
`doctor --repair`, run as real `sigillo` processes on small text-layer PDFs made with fpdf2.

That the worker processes are really used is shown with the pipeline's test hook: with SIGILLO_TEST_WORKER_CRASH
set, a *worker* exits abruptly on a file whose name contains it (the file fails, alone), while the same file read
in the command's own process (`--workers 1`) is ingested."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fpdf import FPDF

from archive.pipeline import CRASH_ENV, WORKER_DIED

SIGILLO = str(Path(sys.executable).with_name("sigillo"))


def sigillo(home: Path, *args: str, expect: int | None = 0, crash: str | None = None,
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    if crash:
        env[CRASH_ENV] = crash
    proc = subprocess.run([SIGILLO, "--home", str(home), *args], capture_output=True, text=True, env=env,
                          timeout=timeout)
    if expect is not None:
        assert proc.returncode == expect, f"exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def text_pdf(path: Path, n: int) -> bytes:
    """A one-page PDF with a real text layer; ``n`` makes its text (and so its SHA-256) distinct."""
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=11)
    pdf.multi_cell(0, 6, f"INVOICE No. WRK-{n:05d}\nDate: 2024-05-{1 + n % 28:02d}\n"
                         f"Seller: Officine Bassi S.p.A., Via Emilia {n}, Bologna\n"
                         f"Buyer: Rossi & Figli S.r.l.\nTotal due: EUR {250 + n}.{n % 100:02d}\n"
                         "Payment within 30 days by bank transfer. Thank you for your business.")
    pdf.output(str(path))
    return path.read_bytes()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "archive"
    sigillo(home, "init")
    return home


def count(home: Path, sql: str) -> int:
    db = sqlite3.connect(home / "catalog.sqlite3")
    try:
        return db.execute(sql).fetchone()[0]
    finally:
        db.close()


def test_help_names_workers(home: Path) -> None:
    for command in (("watch",), ("quarantine", "retry"), ("doctor",)):
        out = sigillo(home, *command, "--help").stdout
        assert "--workers N" in out and "number of cores" in out, command
    assert "--workers" in sigillo(home, "watch", str(home.parent), "--once", "--workers", "0", expect=2).stderr


def test_watch_once_with_two_workers(home: Path, tmp_path: Path) -> None:
    inbox, done = tmp_path / "inbox", tmp_path / "done"
    (inbox / "sub").mkdir(parents=True)
    shas = {}
    for i in range(13):  # more than one watch batch (10 files each), so more than one pool
        name = f"sub/doc-{i:02d}.pdf" if i % 3 == 0 else f"doc-{i:02d}.pdf"
        shas[Path(name).name] = hashlib.sha256(text_pdf(inbox / name, i)).hexdigest()
    text_pdf(inbox / "boom-crash.pdf", 99)  # kills the worker that reads it
    (inbox / "notes.pdf").write_text("not a PDF at all\n")

    proc = sigillo(home, "watch", str(inbox), "--once", "--settle", "0", "--done", str(done), "--workers", "2",
                   "--json", expect=1, crash="boom-crash")
    lines = json_lines(proc.stdout)
    files = {Path(x["path"]).name: x for x in lines if "status" in x}
    assert len([x for x in lines if "status" in x]) == len(files) == 15, "one line per file"
    for name, sha in shas.items():
        assert files[name]["status"] == "new" and files[name]["sha256"] == sha, files[name]
        assert files[name]["moved_to"].startswith(str(done))
    assert files["boom-crash.pdf"]["status"] == "failed" and files["boom-crash.pdf"]["reason"] == WORKER_DIED
    assert files["notes.pdf"]["status"] == "failed"
    summary = lines[-1]["summary"]
    assert summary["new"] == 13 and summary["failed"] == 2 and summary["moved"] == 13 and summary["batches"] == 2
    assert sorted(p.name for p in inbox.rglob("*") if p.is_file()) == ["boom-crash.pdf", "notes.pdf"]
    assert (done / "sub" / "doc-03.pdf").is_file()
    assert count(home, "SELECT COUNT(*) FROM documents") == 13
    assert count(home, "SELECT COUNT(*) FROM documents WHERE indexed = 0") == 0
    found = json.loads(sigillo(home, "search", "WRK-00007", "--json").stdout)
    assert [r["id"] for r in found["results"]] == [shas["doc-07.pdf"]]

    # The crashed file, under another name (the same path and bytes would be skipped as already failed), read in
    # the command's own process this time: ingested.
    os.rename(inbox / "boom-crash.pdf", inbox / "boom-crash-2.pdf")
    proc = sigillo(home, "watch", str(inbox), "--once", "--settle", "0", "--workers", "1", "--json",
                   crash="boom-crash")
    files = {Path(x["path"]).name: x for x in json_lines(proc.stdout) if "status" in x}
    assert set(files) == {"boom-crash-2.pdf"} and files["boom-crash-2.pdf"]["status"] == "new"
    sigillo(home, "verify", "--quiet")


def test_running_watch_with_two_workers_stops_on_sigterm(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    env = {k: v for k, v in os.environ.items() if k != CRASH_ENV}
    proc = subprocess.Popen([SIGILLO, "--home", str(home), "watch", str(inbox), "--interval", "0.2", "--settle",
                             "0.5", "--workers", "2", "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    lines: list[dict] = []

    def read() -> None:
        assert proc.stdout is not None
        lines.extend(json.loads(line) for line in proc.stdout)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for i in range(5):
            text_pdf(inbox / f"drop-{i}.pdf", 200 + i)
        deadline = time.monotonic() + 60
        while sum("status" in x for x in lines) < 5:
            assert proc.poll() is None and time.monotonic() < deadline, lines
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        rc = proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=5)
    assert rc == 0, proc.stderr.read() if proc.stderr else ""
    assert sorted(Path(x["path"]).name for x in lines if "status" in x) == [f"drop-{i}.pdf" for i in range(5)]
    [summary] = [x["summary"] for x in lines if "summary" in x]
    assert summary["new"] == 5 and summary["stopped_by"] == "SIGTERM"
    assert count(home, "SELECT COUNT(*) FROM batches WHERE status = 'running'") == 0


def test_quarantine_retry_with_two_workers(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for i in range(3):
        text_pdf(inbox / f"ok-{i}.pdf", 300 + i)
    for i in range(4):
        text_pdf(inbox / f"boom-{i}.pdf", 400 + i)
    out = sigillo(home, "ingest", str(inbox), "--workers", "2", "--json", expect=1, crash="boom").stdout
    files = {Path(x["path"]).name: x for x in json_lines(out) if "status" in x}
    assert {n: f["status"] for n, f in files.items()} == {**{f"ok-{i}.pdf": "new" for i in range(3)},
                                                          **{f"boom-{i}.pdf": "failed" for i in range(4)}}
    listed = json.loads(sigillo(home, "quarantine", "list", "--json").stdout)
    assert sorted(e["file_name"] for e in listed) == [f"boom-{i}.pdf" for i in range(4)]

    # Retried in worker processes with the crash still armed: they fail again and stay.
    result = json.loads(sigillo(home, "quarantine", "retry", "--all", "--workers", "2", "--json", expect=1,
                                crash="boom").stdout)
    assert result["retried"] == 4 and result["failed"] == 4
    assert {r["reason"] for r in result["results"]} == {WORKER_DIED}
    assert all(e["attempts"] == 2 for e in json.loads(sigillo(home, "quarantine", "list", "--json").stdout))

    # The cause is gone: --workers 2 ingests them all and empties the quarantine.
    result = json.loads(sigillo(home, "quarantine", "retry", "--all", "--workers", "2", "--json").stdout)
    assert result["retried"] == 4 and result["ingested"] == 4 and result["failed"] == 0
    assert {r["status"] for r in result["results"]} == {"new"}
    assert json.loads(sigillo(home, "quarantine", "list", "--json").stdout) == []
    assert count(home, "SELECT COUNT(*) FROM documents") == 7
    sigillo(home, "verify", "--quiet")


def test_doctor_repair_with_two_workers(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    text_pdf(inbox / "first.pdf", 500)
    sigillo(home, "ingest", str(inbox), "--workers", "1")
    # Originals an interrupted run stored but never catalogued.
    orphans = []
    for i in range(6):
        data = text_pdf(tmp_path / f"orphan-{i}.pdf", 600 + i)
        sha = hashlib.sha256(data).hexdigest()
        obj = home / "objects" / sha[:2] / sha[2:]
        obj.parent.mkdir(exist_ok=True)
        obj.write_bytes(data)
        obj.chmod(0o400)
        orphans.append(sha)
    doomed = orphans[0]

    # In worker processes, with the crash armed for one object (named by its hash): only that one fails.
    report = json.loads(sigillo(home, "doctor", "--repair", "--workers", "2", "--json", expect=1,
                                crash=doomed[2:20]).stdout)
    objects = {f["subject"].split()[-1]: f for f in report["findings"] if f["kind"] == "object"}
    assert set(objects) == set(orphans)
    assert WORKER_DIED in objects[doomed]["problem"]
    for sha in orphans[1:]:
        assert objects[sha]["repaired"] == "catalogued (1 page)", objects[sha]
    assert report["unrepaired"] == 1
    assert (home / "objects" / doomed[:2] / doomed[2:]).is_file(), "an original is never deleted"

    # The same crash hook, read in this process (--workers 1): catalogued.
    report = json.loads(sigillo(home, "doctor", "--repair", "--workers", "1", "--json", crash=doomed[2:20]).stdout)
    [obj] = [f for f in report["findings"] if f["kind"] == "object"]
    assert obj["subject"].endswith(doomed) and obj["repaired"] == "catalogued (1 page)"
    sigillo(home, "doctor")  # clean
    assert count(home, "SELECT COUNT(*) FROM documents") == 7
    found = json.loads(sigillo(home, "search", "WRK-00603", "--json").stdout)
    assert [r["id"] for r in found["results"]] == [orphans[3]]
    sigillo(home, "verify", "--quiet")


def test_shared_workers_serve_several_batches_and_are_renewed_when_one_dies(
    home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`watch` keeps one set of worker processes for all its batches (``Workers``): the second batch is served by
    the same processes as the first; a worker killed by a file fails that file alone, and the next batch gets new
    processes; leaving the ``with`` stops them."""
    from archive.core import Archive
    from archive.pipeline import Workers, ingest_paths

    inboxes = []
    for b in range(3):
        inbox = tmp_path / f"in{b}"
        inbox.mkdir()
        for n in range(3):
            text_pdf(inbox / f"batch{b}-doc{n}.pdf", 100 * b + n)
        inboxes.append(inbox)
    monkeypatch.setenv(CRASH_ENV, "batch1-doc1")  # read by the workers (the forkserver inherits the environment)
    with Archive.open(home) as archive, Workers(2) as workers:
        first = ingest_paths(archive, [inboxes[0]], workers=workers)
        pids = set(workers.executor()._processes)
        second = ingest_paths(archive, [inboxes[1]], workers=workers)
        third = ingest_paths(archive, [inboxes[2]], workers=workers)
        renewed = set(workers.executor()._processes)
        processes = list(workers.executor()._processes.values())
    assert (first.new, first.failed) == (3, 0)
    assert (second.new, second.failed) == (2, 1)
    assert [o.reason for o in second.outcomes if o.status == "failed"] == [WORKER_DIED]
    assert (third.new, third.failed) == (3, 0)
    assert len(pids) == 2 and not pids & renewed, "the broken set was replaced by new processes"
    assert all(not p.is_alive() for p in processes), "the processes stop with the with-block"
    assert count(home, "SELECT COUNT(*) FROM documents") == 8


def test_shared_workers_are_kept_between_batches(home: Path, tmp_path: Path) -> None:
    from archive.core import Archive
    from archive.pipeline import Workers, ingest_paths

    with Archive.open(home) as archive, Workers(2) as workers:
        seen = []
        for b in range(2):
            inbox = tmp_path / f"keep{b}"
            inbox.mkdir()
            for n in range(2):
                text_pdf(inbox / f"keep{b}-{n}.pdf", 1000 + 10 * b + n)
            assert ingest_paths(archive, [inbox], workers=workers).new == 2
            seen.append(set(workers.executor()._processes))
    assert len(seen[0]) == 2 and seen[0] == seen[1]
