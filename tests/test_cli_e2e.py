"""End to end through the `sigillo` command: init, ingest (real tesseract), search, show, get, reindex.

One archive is built once for the module (OCR costs seconds per page) and the tests read from it; tests that
write use their own archive.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader, PdfWriter

from archive.cli import cli
from archive.config import Settings
from tests.conftest import CORPUS, corpus_documents

SCAN_WITH_UNIQUE_WORD = "dunning-it-01.png"  # the only sample whose image holds the word "raccomandata"


def run(*args: str, home: Path, expect: int = 0) -> str:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    assert result.exit_code == expect, f"exit {result.exit_code}, expected {expect}:\n{result.output}"
    return result.output


def pick_samples() -> list[Path]:
    """Three scans of different formats (one of them the 'raccomandata' letter) and every digital PDF."""
    docs = corpus_documents()
    chosen = [CORPUS / SCAN_WITH_UNIQUE_WORD]
    for suffix in (".jpg", ".tif", ".tiff"):
        chosen += [d for d in docs if d.suffix == suffix and d not in chosen][:1]
    chosen += [d for d in docs if d.suffix == ".pdf" and PdfReader(d).pages[0].extract_text().strip()]
    return chosen


def make_bad_inputs(folder: Path, digital_pdf: Path) -> dict[str, str]:
    """Bad files, each with the words its error line must contain."""
    folder.mkdir()
    (folder / "empty.pdf").write_bytes(b"")
    data = digital_pdf.read_bytes()
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    writer = PdfWriter(clone_from=digital_pdf)
    writer.encrypt("secret")
    with open(folder / "encrypted.pdf", "wb") as fh:
        writer.write(fh)
    (folder / "notes.pdf").write_text("Just some notes, not a PDF at all.\n")
    Image.new("1", (30000, 30000), 1).save(folder / "bomb.png")
    with zipfile.ZipFile(folder / "report.docx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return {
        "empty.pdf": "empty",
        "truncated.pdf": "truncated",
        "encrypted.pdf": "password",
        "notes.pdf": "plain text",
        "bomb.png": "too large",
        "report.docx": "Word",
    }


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """An archive holding the picked samples plus a folder of bad inputs, ingested once."""
    base = tmp_path_factory.mktemp("e2e")
    inbox = base / "inbox"
    inbox.mkdir()
    samples = pick_samples()
    for doc in samples:
        shutil.copy2(doc, inbox / doc.name)
    digital = next(d for d in samples if d.suffix == ".pdf")
    expected_failures = make_bad_inputs(inbox / "bad", digital)
    home = base / "archive"
    run("init", home=home)
    result = CliRunner().invoke(cli, ["--home", str(home), "ingest", str(inbox), "--json"], catch_exceptions=False)
    lines = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    return {"home": home, "inbox": inbox, "samples": samples, "exit": result.exit_code, "lines": lines,
            "expected_failures": expected_failures, "output": result.output}


@pytest.mark.ocr
def test_ingest_reports_each_file_and_goes_on_after_bad_ones(built):
    files = [line for line in built["lines"] if "status" in line]
    by_name = {Path(line["path"]).name: line for line in files}
    assert built["exit"] == 1, "bad inputs make the exit code 1"
    for sample in built["samples"]:
        line = by_name[sample.name]
        assert line["status"] == "new", line
        assert line["sha256"] == hashlib.sha256(sample.read_bytes()).hexdigest()
        assert line["id"] == line["sha256"] and line["pages"] >= 1
    for name, words in built["expected_failures"].items():
        line = by_name[name]
        assert line["status"] == "failed", line
        assert words.lower() in line["reason"].lower(), line
    summary = built["lines"][-1]["summary"]
    assert summary["new"] == len(built["samples"]) and summary["failed"] == len(built["expected_failures"])


@pytest.mark.ocr
def test_failed_files_are_not_stored(built):
    objects = [p for p in (built["home"] / "objects").rglob("*") if p.is_file()]
    assert len(objects) == len(built["samples"])


@pytest.mark.ocr
def test_human_output_names_bad_file_and_reason(built, tmp_path):
    home = tmp_path / "a"
    run("init", home=home)
    out = run("ingest", str(built["inbox"] / "bad"), home=home, expect=1)
    assert "failed" in out and "empty.pdf: empty file" in out
    assert "6 files: 0 new, 0 duplicates, 6 failed" in out
    assert "Traceback" not in out


@pytest.mark.ocr
def test_a_word_only_in_a_scanned_image_is_found(built):
    doc = CORPUS / SCAN_WITH_UNIQUE_WORD
    out = json.loads(run("search", "raccomandata", "--json", home=built["home"]))
    assert [r["id"] for r in out["results"]] == [hashlib.sha256(doc.read_bytes()).hexdigest()]
    snippet = out["results"][0]["snippets"][0]
    start, end = snippet["matches"][0]
    assert snippet["text"][start:end].lower() == "raccomandata"


@pytest.mark.ocr
def test_search_folds_case_and_accents_and_inflections(built):
    upper = json.loads(run("search", "RACCOMANDATA", "--json", home=built["home"]))
    assert upper["total"] == 1
    human = run("search", "raccomandata", home=built["home"])
    assert "1 document match" in human and SCAN_WITH_UNIQUE_WORD in human and "**" in human


@pytest.mark.ocr
def test_search_matches_italian_and_english_inflections(built):
    """'fatture' finds 'Fattura', 'invoices' finds 'Invoice': the same stemming runs at index and query time."""
    names = lambda query: {r["filename"] for r in json.loads(  # noqa: E731
        run("search", query, "--json", "--limit", "50", home=built["home"]))["results"]}
    assert "invoice-it-03.pdf" in names("fatture")
    assert "invoice-en-01.pdf" in names("invoices")
    assert names("FATTURE") == names("fatture")


@pytest.mark.ocr
def test_get_returns_the_original_bit_exact(built, tmp_path):
    for sample in built["samples"]:
        digest = hashlib.sha256(sample.read_bytes()).hexdigest()
        out = tmp_path / sample.name
        run("get", digest[:10], "-o", str(out), home=built["home"])
        assert hashlib.sha256(out.read_bytes()).hexdigest() == digest
    again = run("get", digest[:10], "-o", str(out), home=built["home"], expect=1)
    assert "already exists" in again


@pytest.mark.ocr
def test_show_gives_metadata_pages_and_text(built):
    digital = next(s for s in built["samples"] if s.suffix == ".pdf")
    digest = hashlib.sha256(digital.read_bytes()).hexdigest()
    data = json.loads(run("show", digest[:8], "--json", "--words", home=built["home"]))
    assert data["id"] == data["sha256"] == digest
    assert data["original_name"] == digital.name and data["media_type"] == "application/pdf"
    assert data["pages"][0]["method"] == "text" and data["pages"][0]["words"]
    layer_text = PdfReader(digital).pages[0].extract_text().split()[0]
    assert layer_text in data["pages"][0]["text"]
    human = run("show", digest[:8], home=built["home"])
    assert digest in human and "text layer" in human
    scan = CORPUS / SCAN_WITH_UNIQUE_WORD
    scan_data = json.loads(run("show", hashlib.sha256(scan.read_bytes()).hexdigest()[:8], "--json",
                               home=built["home"]))
    assert scan_data["pages"][0]["method"] == "ocr" and 0 < scan_data["pages"][0]["confidence"] <= 1


@pytest.mark.ocr
def test_reingesting_reports_duplicates_and_stores_nothing_twice(built, tmp_path):
    copy = tmp_path / "renamed-copy.bin"
    shutil.copy2(built["samples"][0], copy)
    out = run("ingest", str(copy), home=built["home"])
    assert out.startswith("duplicate") and f"already archived as {built['samples'][0].name}" in out
    objects = [p for p in (built["home"] / "objects").rglob("*") if p.is_file()]
    assert len(objects) == len(built["samples"])


@pytest.mark.ocr
def test_unknown_and_ambiguous_ids(built):
    out = CliRunner().invoke(cli, ["--home", str(built["home"]), "show", "ffffffff"])
    assert out.exit_code == 6 and "no document with an id starting 'ffffffff'" in out.output
    out = CliRunner().invoke(cli, ["--home", str(built["home"]), "show", "zz"])
    assert out.exit_code == 6


@pytest.mark.ocr
def test_reindex_rebuilds_a_lost_index_from_the_catalog(built, tmp_path):
    home = tmp_path / "copy"
    shutil.copytree(built["home"], home)
    shutil.rmtree(home / "index" / Settings().search_engine)
    result = CliRunner().invoke(cli, ["--home", str(home), "search", "raccomandata"])
    assert result.exit_code == 9 and "sigillo reindex" in result.output
    assert f"Indexed {len(built['samples'])} documents with " in run("reindex", home=home)
    assert json.loads(run("search", "raccomandata", "--json", home=home))["total"] == 1


def test_commands_without_an_archive_say_so(tmp_path):
    result = CliRunner().invoke(cli, ["--home", str(tmp_path / "none"), "search", "x"])
    assert result.exit_code == 3
    assert f"Error: no Sigillo archive at {tmp_path / 'none'}" in result.output
    assert "sigillo init" in result.output and "Traceback" not in result.output


def test_init_creates_a_private_archive_and_refuses_twice(tmp_path):
    home = tmp_path / "arch"
    out = CliRunner().invoke(cli, ["init", "--home", str(home)], catch_exceptions=False)
    assert out.exit_code == 0 and f"Created an empty archive at {home}" in out.output
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    for name in ("sigillo.toml", "catalog.sqlite3", "objects", "index"):
        assert (home / name).exists()
    again = CliRunner().invoke(cli, ["init", "--home", str(home)])
    assert again.exit_code == 3 and "already an archive" in again.output


def test_sigillo_home_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv("SIGILLO_HOME", str(tmp_path / "env-home"))
    assert CliRunner().invoke(cli, ["init"], catch_exceptions=False).exit_code == 0
    assert (tmp_path / "env-home" / "sigillo.toml").is_file()


def test_busy_archive_is_reported_with_its_holder(tmp_path):
    home = tmp_path / "arch"
    run("init", home=home)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import time; from pathlib import Path; from archive.lock import WriteLock\n"
         f"with WriteLock(Path({str(home / 'lock')!r}), 'ingest'):\n    print('held', flush=True); time.sleep(30)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        (tmp_path / "x.txt").write_text("x")
        out = run("ingest", "--wait", "0", str(tmp_path / "x.txt"), home=home, expect=4)
        assert "the archive is busy: `sigillo ingest` (pid" in out
    finally:
        holder.kill()
        holder.wait()


def test_missing_ocr_language_stops_with_install_hint(tmp_path):
    home = tmp_path / "arch"
    run("init", "--languages", "xyz", home=home)
    scan = next(d for d in corpus_documents() if d.suffix == ".png")
    out = run("ingest", str(scan), home=home, expect=5)
    assert "xyz" in out and "apt-get install" in out


def test_interrupted_ingest_resumes_without_duplicates(tmp_path):
    """A blob stored and a document catalogued-but-unindexed (what kill -9 can leave) are finished by a re-run."""
    home = tmp_path / "arch"
    run("init", home=home)
    pdfs = [d for d in corpus_documents() if d.suffix == ".pdf" and PdfReader(d).pages[0].extract_text().strip()]
    first, second = pdfs[0], pdfs[1]
    # 1. a run that stopped right after storing `first`: object present, no catalog row
    from archive.core import Archive

    with Archive.open(home) as archive:
        archive.store.put(first)
    # 2. a run that catalogued `second` but died before indexing it
    run("ingest", str(second), home=home)
    with Archive.open(home) as archive:
        archive.catalog.set_indexed([hashlib.sha256(second.read_bytes()).hexdigest()], False)
        shutil.rmtree(archive.index_path)
    out = run("ingest", str(first), str(second), home=home)
    lines = out.splitlines()[:2]  # with several workers, outcomes may come back out of order
    assert sorted(line.split()[0] for line in lines) == ["duplicate", "new"]
    assert next(line for line in lines if line.startswith("new")).find(first.name) > 0
    with Archive.open(home) as archive:
        assert archive.catalog.count() == 2 and archive.catalog.unindexed_ids() == []
        assert sorted(archive.store) == sorted(hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second))
        assert archive.engine().ids() == set(archive.store)


def test_unreadable_and_oddly_named_files_do_not_stop_the_batch(tmp_path):
    home = tmp_path / "arch"
    run("init", home=home)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    pdf = next(d for d in corpus_documents() if d.suffix == ".pdf" and PdfReader(d).pages[0].extract_text().strip())
    odd = os.fsencode(inbox) + b"/fattura-\xff\xfe.pdf"
    shutil.copy2(pdf, odd)
    (inbox / "loop").symlink_to(inbox)  # a folder link back to its parent is not followed
    out = run("ingest", str(inbox), home=home)
    assert "new" in out and "fattura-\\xff\\xfe.pdf" in out and "1 file: 1 new" in out


def test_every_command_has_help_with_an_example():
    for name, command in cli.commands.items():
        assert command.help and "Example" in command.help, f"`sigillo {name}` needs a docstring with an example"
    out = CliRunner().invoke(cli, ["--help"]).output
    assert "Exit codes:" in out and "130" in out


@pytest.mark.ocr
def test_get_to_standard_output_is_bit_exact(built):
    sample = built["samples"][0]
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["--home", str(built["home"]), "get", digest[:12], "-o", "-"],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert hashlib.sha256(result.stdout_bytes).hexdigest() == digest


@pytest.mark.ocr
def test_fields_are_extracted_shown_and_corrections_round_trip_through_search(built, tmp_path):
    home = tmp_path / "copy"
    shutil.copytree(built["home"], home)
    invoice = CORPUS / "invoice-it-03.pdf"
    truth = json.loads(invoice.with_suffix(".json").read_text())
    digest = hashlib.sha256(invoice.read_bytes()).hexdigest()
    shown = json.loads(run("show", digest[:10], "--json", "--no-text", home=home))
    assert shown["doc_type"] == "invoice" and shown["language"] == "it"
    total = shown["fields"]["total_amount"]
    assert total["value"] == truth["fields"]["total_amount"] and 0 < total["confidence"] <= 1
    assert total["page"] == 1 and len(total["bbox"]) == 4 and total["source"] == "extracted"
    found = json.loads(run("search", f"total_amount:{truth['fields']['total_amount']}", "--json", home=home))
    assert digest in [r["id"] for r in found["results"]]

    out = run("fields", digest[:10], "--set", "total_amount=98.765,43", "--set", "buyer_name=Verdi Impianti S.p.A.",
              home=home)
    assert "total_amount: 98765.43" in out
    after = json.loads(run("fields", digest[:10], "--json", home=home))["fields"]
    assert after["total_amount"]["value"] == "98765.43" and after["total_amount"]["source"] == "corrected"
    assert after["total_amount"]["extracted"]["value"] == truth["fields"]["total_amount"]
    assert after["total_amount"]["corrected_by"]
    hits = json.loads(run("search", "total_amount:[98000 TO 99000] buyer_name:verdi", "--json", home=home))
    assert [r["id"] for r in hits["results"]] == [digest], "the corrected values win in search"
    old = json.loads(run("search", f"total_amount:{truth['fields']['total_amount']}", "--json", home=home))
    assert digest not in [r["id"] for r in old["results"]]
    bad = CliRunner().invoke(cli, ["--home", str(home), "fields", digest[:10], "--set", "due_date=soon"])
    assert bad.exit_code == 1 and "YYYY-MM-DD" in bad.output
    assert "total_amount" in run("fields", digest[:10], home=home)


def test_an_outdated_index_is_rebuilt_from_the_catalog_not_emptied(tmp_path):
    """After an upgrade changes the index schema, searching says to reindex, and the next write rebuilds it
    with every catalogued document (never an empty index while the catalog says all is indexed)."""
    home = tmp_path / "arch"
    run("init", home=home)
    pdfs = [d for d in corpus_documents() if d.suffix == ".pdf" and PdfReader(d).pages[0].extract_text().strip()]
    run("ingest", str(pdfs[0]), home=home)
    sentinel = home / "index" / Settings().search_engine / "index.json"
    data = json.loads(sentinel.read_text())
    data["fields"] = "0" * 16  # what an index built by another version of the field registry says
    sentinel.write_text(json.dumps(data))
    stale = CliRunner().invoke(cli, ["--home", str(home), "search", "*"])
    assert stale.exit_code == 9 and "sigillo reindex" in stale.output
    run("ingest", str(pdfs[1]), home=home)
    found = json.loads(run("search", "*", "--json", "--limit", "10", home=home))
    assert found["total"] == 2
