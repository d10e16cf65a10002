"""`sigillo ingest --workers 2` (extraction in worker processes, the main process the only writer) gives the same
archive as `--workers 1`; a worker that dies fails only the file it was reading."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader

from archive.cli import cli
from archive.core import Archive
from archive.pipeline import CRASH_ENV, WORKER_DIED
from tests.conftest import CORPUS

SCANS = ("dunning-it-01.png", "receipt-en-01.png")


def run(*args: str, home: Path, expect: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == expect, f"exit {result.exit_code}, expected {expect}:\n{result.output}"
    return result.output


def make_inbox(folder: Path) -> Path:
    folder.mkdir()
    digital = [p for p in sorted(CORPUS.glob("*.pdf")) if PdfReader(p).pages[0].extract_text().strip()][:4]
    for p in [*digital, *(CORPUS / s for s in SCANS)]:
        shutil.copy2(p, folder / p.name)
    shutil.copy2(digital[0], folder / "zz-copy-of-first.pdf")  # a duplicate within the batch
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "notes.pdf").write_text("Just some notes, not a PDF at all.\n")
    data = digital[1].read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    return folder


def snapshot(home: Path) -> dict:
    with Archive.open(home) as archive:
        cat = archive.catalog
        ids = sorted(cat.all_ids())
        docs = cat.documents(ids)
        out = {}
        for i in ids:
            d = docs[i]
            fields = {n: (f.value, f.page, f.valid) for n, f in cat.fields(i).items()}
            sightings = sorted((s.path.rsplit("/", 1)[-1], s.outcome) for s in cat.sightings(i))
            out[i] = (d.doc_type, d.language, d.page_count, d.original_name, fields, sightings)
        return out


def search_ids(home: Path, query: str) -> list[str]:
    data = json.loads(run("search", query, "--json", home=home))
    return sorted(r["id"] for r in data["results"])


def ingest(home: Path, inbox: Path, workers: int, expect: int = 1) -> dict[str, dict]:
    run("init", "--languages", "ita+eng", home=home)
    out = run("ingest", str(inbox), "--workers", str(workers), "--json", home=home, expect=expect)
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return {Path(o["path"]).name: o for o in lines if "path" in o}


def test_two_workers_give_the_same_archive_as_one(tmp_path):
    inbox = make_inbox(tmp_path / "inbox")
    one = ingest(tmp_path / "one", inbox, 1)
    two = ingest(tmp_path / "two", inbox, 2)

    assert {n: o["status"] for n, o in one.items()} == {n: o["status"] for n, o in two.items()}
    assert len(two) == len(list(inbox.iterdir())), "one line per file"
    for bad in ("empty.pdf", "notes.pdf", "truncated.pdf"):
        assert two[bad]["status"] == "failed" and two[bad]["reason"] == one[bad]["reason"]
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    for query in ("raccomandata", "invoice", "fattura", "total"):
        assert search_ids(tmp_path / "one", query) == search_ids(tmp_path / "two", query)
    quarantined = {e["file_name"] for e in json.loads(run("quarantine", "list", "--json", home=tmp_path / "two"))}
    assert quarantined == {e["file_name"] for e in json.loads(run("quarantine", "list", "--json",
                                                                  home=tmp_path / "one"))}
    assert {"notes.pdf", "truncated.pdf"} <= quarantined
    run("verify", home=tmp_path / "two")


def test_a_worker_that_dies_fails_only_its_file(tmp_path, monkeypatch):
    inbox = make_inbox(tmp_path / "inbox")
    for bad in ("empty.pdf", "notes.pdf", "truncated.pdf"):
        (inbox / bad).unlink()
    victim = sorted(p.name for p in inbox.glob("*.pdf"))[1]
    monkeypatch.setenv(CRASH_ENV, victim)  # read by the worker process (forkserver/spawn inherit the environment)
    home = tmp_path / "home"
    outcomes = ingest(home, inbox, 2)
    assert outcomes[victim]["status"] == "failed" and outcomes[victim]["reason"] == WORKER_DIED
    others = {n: o["status"] for n, o in outcomes.items() if n != victim}
    assert set(others.values()) <= {"new", "duplicate"} and len(others) == len(list(inbox.iterdir())) - 1
    with Archive.open(home) as archive:
        assert outcomes[victim]["id"] not in archive.catalog.all_ids()
        assert not archive.store.path(outcomes[victim]["id"]).exists(), "no orphan blob left behind"
    run("verify", home=home)


@pytest.fixture(autouse=True)
def _no_crash_env(monkeypatch):
    monkeypatch.delenv(CRASH_ENV, raising=False)


SPLIT = ("contract-it-03.pdf", "contract-en-02.tiff")  # an image-only PDF and a TIFF, two pages each


@pytest.mark.ocr
def test_pages_of_one_scanned_document_are_spread_over_workers(tmp_path):
    """Each page of a multi-page scan is its own job; the catalogued document is the same as with one worker."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in SPLIT:
        shutil.copy2(CORPUS / name, inbox / name)
    one = ingest(tmp_path / "one", inbox, 1, expect=0)
    two = ingest(tmp_path / "two", inbox, 2, expect=0)
    assert {n: (o["status"], o["pages"]) for n, o in two.items()} == {n: ("new", 2) for n in SPLIT}
    assert {n: o["pages"] for n, o in one.items()} == {n: o["pages"] for n, o in two.items()}
    assert snapshot(tmp_path / "one") == snapshot(tmp_path / "two")
    with Archive.open(tmp_path / "one") as a1, Archive.open(tmp_path / "two") as a2:
        for o in two.values():
            first, second = a1.catalog.pages(o["id"]), a2.catalog.pages(o["id"])
            assert [(p.number, p.method, p.text) for p in first] == [(p.number, p.method, p.text) for p in second]
    run("verify", home=tmp_path / "two")


@pytest.mark.ocr
def test_a_worker_that_dies_on_a_page_fails_only_that_document(tmp_path, monkeypatch):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in (*SPLIT, SCANS[0]):
        shutil.copy2(CORPUS / name, inbox / name)
    monkeypatch.setenv(CRASH_ENV, SPLIT[1])
    home = tmp_path / "home"
    outcomes = ingest(home, inbox, 2)
    assert outcomes[SPLIT[1]]["status"] == "failed" and outcomes[SPLIT[1]]["reason"] == WORKER_DIED
    assert outcomes[SPLIT[0]]["status"] == outcomes[SCANS[0]]["status"] == "new"
    with Archive.open(home) as archive:
        assert not archive.store.path(outcomes[SPLIT[1]]["id"]).exists(), "no orphan blob left behind"
    run("verify", home=home)
