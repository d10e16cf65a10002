"""`sigillo watch` as a real process: a slowly written PDF is ingested once, after it is complete; files dropped
while watching are picked up; --done moves; a bad file is reported once; SIGTERM / SIGINT end it cleanly; --once."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import CORPUS

SIGILLO = str(Path(sys.executable).with_name("sigillo"))
FAST = ("--interval", "0.2", "--settle", "0.6")
PDF_A = CORPUS / "invoice-en-01.pdf"  # text layer: no OCR, quick
PDF_B = CORPUS / "dunning-en-03.pdf"
PDF_C = CORPUS / "invoice-it-03.pdf"


def sigillo(home: Path, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([SIGILLO, "--home", str(home), *args], capture_output=True, text=True, timeout=60)
    if expect is not None:
        assert proc.returncode == expect, f"exit {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "archive"
    sigillo(home, "init")
    return home


class Watch:
    """A running `sigillo watch --json`, its output lines collected by a thread."""

    def __init__(self, home: Path, *args: str) -> None:
        self.proc = subprocess.Popen([SIGILLO, "--home", str(home), "watch", *args, "--json"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: list[dict] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def files(self, name: str | None = None) -> list[dict]:
        return [x for x in self.lines if "status" in x and (name is None or x["path"].endswith("/" + name))]

    def wait_for(self, test, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if test():
                return
            assert self.proc.poll() is None, f"watch exited {self.proc.returncode}: {self.proc.stderr.read()}"
            time.sleep(0.05)
        raise AssertionError(f"timed out; output so far: {self.lines}")

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, dict, str]:
        self.proc.send_signal(signum)
        rc = self.proc.wait(timeout=20)
        self.reader.join(timeout=5)
        summary = [x["summary"] for x in self.lines if "summary" in x]
        assert len(summary) == 1, self.lines
        return rc, summary[0], self.proc.stderr.read()


def catalog(home: Path) -> sqlite3.Connection:
    db = sqlite3.connect(home / "catalog.sqlite3")
    db.row_factory = sqlite3.Row
    return db


def write_slowly(target: Path, data: bytes, chunks: int = 8, pause: float = 0.3) -> None:
    """Write in chunks with pauses (each shorter than --settle, all together much longer)."""
    step = len(data) // chunks + 1
    with open(target, "wb") as fh:
        for start in range(0, len(data), step):
            fh.write(data[start : start + step])
            fh.flush()
            time.sleep(pause)


def test_watch_slow_write_drop_bad_file_and_sigterm(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    data = PDF_A.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    w = Watch(home, str(inbox), *FAST)
    w.wait_for(lambda: any("watching" in x for x in w.lines))

    started = time.monotonic()
    write_slowly(inbox / "slow.pdf", data)
    finished = time.monotonic()
    assert finished - started > 2 * 0.6  # the writing spans well over the settle time
    assert w.files() == [], "nothing may be ingested while the file is still being written"
    (inbox / "bad.pdf").write_text("not a PDF at all\n")
    w.wait_for(lambda: w.files("slow.pdf") and w.files("bad.pdf"))

    # A file dropped while watching (the way copy tools do: a temporary name, then a rename) is picked up.
    (inbox / "sub").mkdir()
    shutil.copyfile(PDF_B, inbox / "sub" / "dropped.pdf.part")
    (inbox / "unfinished.part").write_bytes(b"%PDF-1.7 never finished")
    time.sleep(1.0)
    assert w.files("dropped.pdf.part") == [] and w.files("unfinished.part") == []
    os.rename(inbox / "sub" / "dropped.pdf.part", inbox / "sub" / "dropped.pdf")
    w.wait_for(lambda: w.files("dropped.pdf"))
    time.sleep(1.0)  # several more polls: nothing is reported again

    rc, summary, stderr = w.stop(signal.SIGTERM)
    assert rc == 0, stderr
    assert "Stopping" in stderr
    assert summary["new"] == 2 and summary["failed"] == 1 and summary["duplicates"] == 0
    assert summary["stopped_by"] == "SIGTERM"
    [slow] = w.files("slow.pdf")
    [bad] = w.files("bad.pdf")
    assert slow["status"] == "new" and slow["sha256"] == sha and slow["size"] == len(data)
    assert bad["status"] == "failed" and "not a document" in bad["reason"]
    assert w.files("dropped.pdf")[0]["status"] == "new"
    assert len(w.files()) == 3
    assert (inbox / "slow.pdf").exists() and (inbox / "bad.pdf").exists()  # left in place by default

    # The catalog: the complete bytes once, no partial version stored or refused.
    db = catalog(home)
    assert db.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 2
    assert [r["path"] for r in db.execute("SELECT path FROM sightings WHERE doc_id = ?", (sha,))] == [
        str((inbox / "slow.pdf").resolve())]
    assert [r["path"] for r in db.execute("SELECT path FROM failures")] == [str((inbox / "bad.pdf").resolve())]
    assert db.execute("SELECT COUNT(*) FROM documents WHERE source_path LIKE '%slow.pdf'").fetchone()[0] == 1
    db.close()
    shown = json.loads(sigillo(home, "show", sha[:12], "--json", "--no-text").stdout)
    assert shown["size"] == len(data) and shown["page_count"] >= 1 and shown["seal"] is not None
    found = json.loads(sigillo(home, "search", "Kessler Maschinenbau", "--json").stdout)
    assert [r["id"] for r in found["results"]] == [sha]

    # Restarted: what was handled is remembered through the catalog and not announced again.
    again = sigillo(home, "watch", str(inbox), "--once", "--settle", "0", "--json")
    lines = [json.loads(x) for x in again.stdout.splitlines()]
    assert [x for x in lines if "status" in x] == []
    assert lines[-1]["summary"]["files"] == 0


def test_once_with_done_folder(home: Path, tmp_path: Path) -> None:
    inbox, done = tmp_path / "inbox", tmp_path / "done"
    (inbox / "2024").mkdir(parents=True)
    shutil.copyfile(PDF_A, inbox / "2024" / "a.pdf")
    shutil.copyfile(PDF_C, inbox / "c.pdf")
    (inbox / "broken.pdf").write_bytes(PDF_A.read_bytes()[:2000])
    (done / "2024").mkdir(parents=True)
    (done / "2024" / "a.pdf").write_text("someone else's file")  # must never be overwritten

    proc = sigillo(home, "watch", str(inbox), "--done", str(done), "--once", "--settle", "0", expect=1)
    assert "Ingesting what is ready" in proc.stdout
    assert "new " in proc.stdout and "failed " in proc.stdout and "moved to" in proc.stdout
    assert "2 new, 0 duplicates, 1 failed" in proc.stdout and "2 moved" in proc.stdout
    assert (done / "2024" / "a.pdf").read_text() == "someone else's file"
    assert (done / "2024" / "a-1.pdf").read_bytes() == PDF_A.read_bytes()
    assert (done / "c.pdf").read_bytes() == PDF_C.read_bytes()
    assert sorted(p.name for p in inbox.rglob("*") if p.is_file()) == ["broken.pdf"]  # the failure stays

    # Run again: the failure is not reported again (it has not changed); a new copy is a duplicate, and moved.
    shutil.copyfile(PDF_A, inbox / "2024" / "a.pdf")
    os.utime(inbox / "2024" / "a.pdf", (time.time() - 5, time.time() - 5))
    proc = sigillo(home, "watch", str(inbox), "--done", str(done), "--once", "--settle", "1", "--json")
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    [dup] = [x for x in lines if "status" in x]
    assert dup["status"] == "duplicate" and dup["moved_to"] == str(done / "2024" / "a-2.pdf")
    assert lines[-1]["summary"] == {**lines[-1]["summary"], "files": 1, "duplicates": 1, "failed": 0, "moved": 1}

    # --once leaves a file modified less than --settle seconds ago for later.
    os.utime(inbox / "broken.pdf", (time.time() - 60, time.time() - 60))  # old, and skipped as already failed
    (inbox / "fresh.pdf").write_bytes(PDF_B.read_bytes())
    proc = sigillo(home, "watch", str(inbox), "--once", "--settle", "30")
    assert "0 files" in proc.stdout and "1 not ready yet" in proc.stdout


def test_sigint_on_an_idle_watch_exits_0_with_a_summary(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    w = Watch(home, str(inbox), *FAST)
    w.wait_for(lambda: any("watching" in x for x in w.lines))
    time.sleep(0.5)
    rc, summary, _ = w.stop(signal.SIGINT)
    assert rc == 0 and summary["files"] == 0 and summary["stopped_by"] == "SIGINT"


def test_bad_arguments(home: Path, tmp_path: Path) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    proc = sigillo(home, "watch", str(inbox), "--done", str(inbox), "--once", expect=2)
    assert "--done" in proc.stderr
    proc = sigillo(tmp_path / "nothing-here", "watch", str(inbox), "--once", expect=None)
    assert proc.returncode not in (0, 2) and proc.stderr.startswith("Error:")
