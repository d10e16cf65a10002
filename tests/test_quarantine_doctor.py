"""Bad input goes to the quarantine (copied, never altered) and can be retried; `sigillo doctor` finds and repairs
what an interrupted run leaves behind. Text-layer PDFs and tiny synthetic files only: no OCR, so this stays fast."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import struct
import sys
import zipfile
import zlib
from pathlib import Path

from click.testing import CliRunner
from PIL import Image
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ArrayObject, NameObject

from archive.cli import cli
from tests.conftest import CORPUS


def run(*args: str, home: Path, expect: int | None = 0) -> str:
    result = CliRunner().invoke(cli, ["--home", str(home), *args], catch_exceptions=False)
    if expect is not None:
        assert result.exit_code == expect, f"exit {result.exit_code}, expected {expect}:\n{result.output}"
    return result.output


def text_pdfs() -> list[Path]:
    return [p for p in sorted(CORPUS.glob("*.pdf")) if PdfReader(p).pages[0].extract_text().strip()]


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares its size and holds no pixels (a decompression bomb's header, or a zero-width image)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b"")


def make_inbox(folder: Path, good: list[Path], digital: Path, too_many: int) -> dict[str, str]:
    """Good files (copied from the corpus) and every bad kind we can make quickly; returns bad name -> reason word."""
    folder.mkdir()
    for i, doc in enumerate(good):
        name = f"good-{i}.pdf" if i else "bu\xf1o-good.pdf"
        (folder / name).write_bytes(doc.read_bytes())
    # a good file whose name is not valid UTF-8
    os.rename(folder / "bu\xf1o-good.pdf", os.path.join(os.fsencode(folder), b"caf\xe9-good.pdf"))
    data = digital.read_bytes()
    (folder / "empty.pdf").write_bytes(b"")
    (folder / "truncated.pdf").write_bytes(data[: len(data) // 2])
    writer = PdfWriter(clone_from=digital)
    writer.encrypt("secret")
    with open(folder / "encrypted.pdf", "wb") as fh:
        writer.write(fh)
    writer = PdfWriter(clone_from=digital)
    writer.encrypt(user_password="", owner_password="owner")
    with open(folder / "encrypted-nopw.pdf", "wb") as fh:
        writer.write(fh)
    writer = PdfWriter(clone_from=digital)
    pages = writer._root_object["/Pages"]
    # the page tree contains itself
    pages[NameObject("/Kids")] = ArrayObject([*pages["/Kids"], pages.indirect_reference])
    with open(folder / "loop.pdf", "wb") as fh:
        writer.write(fh)
    writer = PdfWriter()
    for _ in range(too_many):
        writer.add_page(PdfReader(digital).pages[0])
    with open(folder / "many-pages.pdf", "wb") as fh:
        writer.write(fh)
    (folder / "bomb.png").write_bytes(png_header_only(100_000, 100_000))
    (folder / "zero-width.png").write_bytes(png_header_only(0, 50))
    Image.new("RGB", (1, 1), "white").save(folder / "one-pixel.png")
    Image.new("RGB", (40, 40), "white").save(folder / "_tmp.png")
    png = (folder / "_tmp.png").read_bytes()
    (folder / "corrupt.png").write_bytes(png[:40] + b"\x00garbage" * 8)
    Image.new("RGB", (40, 40), "white").save(folder / "_tmp.jpg")
    (folder / "corrupt.jpg").write_bytes((folder / "_tmp.jpg").read_bytes()[:120])
    (folder / "corrupt.tif").write_bytes(b"II*\x00" + b"\xff" * 60)
    for tmp in ("_tmp.png", "_tmp.jpg"):
        (folder / tmp).unlink()
    with zipfile.ZipFile(folder / "report.docx", "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    with zipfile.ZipFile(folder / "archive.zip", "w") as z:
        z.writestr("a.txt", "hello")
    (folder / "program").write_bytes(Path(sys.executable).resolve().read_bytes()[:8192])
    os.symlink("loop-link", folder / "loop-link")  # a symlink to itself
    bad_name = os.path.join(os.fsencode(folder), b"bad-\xff.pdf")
    with open(bad_name, "wb") as fh:
        fh.write(b"%PDF-1.4\n% not really\n")
    return {
        "empty.pdf": "empty", "truncated.pdf": "truncated", "encrypted.pdf": "password",
        "many-pages.pdf": "too many pages", "bomb.png": "too large", "zero-width.png": "damaged PNG",
        "one-pixel.png": "too small", "corrupt.png": "damaged PNG", "corrupt.jpg": "damaged JPEG",
        "corrupt.tif": "damaged TIFF", "report.docx": "Word", "archive.zip": "ZIP", "program": "program",
        "bad-\\xff.pdf": "PDF",
    }


def tree_hashes(folder: Path) -> dict[bytes, tuple[str, int]]:
    out = {}
    for entry in os.scandir(os.fsencode(folder)):
        if entry.is_file(follow_symlinks=False):
            st = entry.stat(follow_symlinks=False)
            out[entry.name] = (hashlib.sha256(Path(os.fsdecode(entry.path)).read_bytes()).hexdigest(), st.st_mtime_ns)
    return out


def set_setting(home: Path, key: str, value: int) -> None:
    path = home / "sigillo.toml"
    lines = [f"{key} = {value}" if line.startswith(f"{key} =") else line
             for line in path.read_text().splitlines()]
    path.write_text("\n".join(lines) + "\n")


def fresh_archive(tmp_path: Path, max_pages: int) -> Path:
    home = tmp_path / "archive"
    run("init", home=home)
    set_setting(home, "max_pages", max_pages)
    return home


def quarantine_list(home: Path) -> dict[str, dict]:
    return {e["file_name"]: e for e in json.loads(run("quarantine", "list", "--json", home=home))}


def test_bad_inputs_are_quarantined_and_retried(tmp_path):
    pdfs = [p for p in text_pdfs() if len(PdfReader(p).pages) <= 2]
    good, digital = pdfs[:2], pdfs[2]
    max_pages = max(len(PdfReader(p).pages) for p in pdfs[:3])
    home = fresh_archive(tmp_path, max_pages)
    inbox = tmp_path / "inbox"
    bad = make_inbox(inbox, good, digital, too_many=max_pages + 1)
    no_bytes = {"loop-link"}
    if os.geteuid() != 0:  # root reads everything
        (inbox / "unreadable.pdf").write_bytes(b"%PDF-1.4 secret")
        (inbox / "unreadable.pdf").chmod(0)
        no_bytes.add("unreadable.pdf")
    before = tree_hashes(inbox)

    out = run("ingest", str(inbox), "--json", home=home, expect=1)
    outcomes = {o["path"].rsplit("/", 1)[-1]: o for o in map(json.loads, out.splitlines()) if "status" in o}
    assert tree_hashes(inbox) == before, "the sources must be left untouched"
    # good files, including one whose name is not UTF-8, an owner-password-only PDF and a looping page tree
    for name in ("caf\\xe9-good.pdf", "good-1.pdf", "encrypted-nopw.pdf", "loop.pdf"):
        assert outcomes[name]["status"] == "new", outcomes[name]
    for name, word in bad.items():
        assert outcomes[name]["status"] == "failed", outcomes[name]
        assert word.lower() in outcomes[name]["reason"].lower(), outcomes[name]
    for name in no_bytes:
        assert outcomes[name]["status"] == "failed" and outcomes[name]["reason"].startswith("cannot read")

    listed = quarantine_list(home)
    assert set(listed) == set(bad), "every bad file with bytes is quarantined, and only those"
    for name, entry in listed.items():
        assert entry["reason"] == outcomes[name]["reason"]
        assert entry["attempts"] == 1 and entry["path"] == outcomes[name]["path"]
        copy = Path(entry["copy"])
        assert copy.parent == home / "quarantine" / entry["id"]
        assert hashlib.sha256(copy.read_bytes()).hexdigest() == entry["id"] == outcomes[name]["sha256"]
        assert json.loads((copy.parent / "reason.json").read_text())["sha256"] == entry["id"]
    audit = json.loads(run("log", "--json", home=home))
    assert sum(e["entry"]["event"] == "quarantine" for e in audit) == len(bad)
    assert "many-pages.pdf" in run("quarantine", "list", home=home)

    # the same bytes failing again: attempts counted, no second copy
    run("ingest", str(inbox), home=home, expect=1)
    again = quarantine_list(home)
    assert {n: e["attempts"] for n, e in again.items()} == {n: 2 for n in bad}
    assert len(list((home / "quarantine").iterdir())) == len(bad)
    assert tree_hashes(inbox) == before

    # fix the setting, retry that one: it is ingested and leaves the quarantine
    set_setting(home, "max_pages", max_pages + 5)
    many = again["many-pages.pdf"]
    result = json.loads(run("quarantine", "retry", many["id"][:10], "--json", home=home))
    assert result["ingested"] == 1 and result["results"][0]["status"] == "new"
    assert not (home / "quarantine" / many["id"]).exists()
    assert "many-pages.pdf" not in quarantine_list(home)
    assert "many-pages.pdf" in run("show", many["id"], home=home)

    # the others still fail: they stay, one more attempt each
    result = json.loads(run("quarantine", "retry", "--all", "--json", home=home, expect=1))
    assert result["failed"] == len(bad) - 1 and result["ingested"] == 0
    final = quarantine_list(home)
    assert set(final) == set(bad) - {"many-pages.pdf"}
    assert all(e["attempts"] == 3 and e["path"] == outcomes[n]["path"] for n, e in final.items())
    run("quarantine", "retry", "ffff", home=home, expect=6)
    run("quarantine", "retry", home=home, expect=2)
    run("verify", "--quiet", home=home)
    assert tree_hashes(inbox) == before


def test_doctor_finds_and_repairs_leftovers(tmp_path):
    home = fresh_archive(tmp_path, 50)
    pdfs = text_pdfs()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for doc in pdfs[:2]:
        (inbox / doc.name).write_bytes(doc.read_bytes())
    run("ingest", str(inbox), home=home)
    run("doctor", home=home)  # a clean archive: exit 0

    # what an interrupted run can leave behind, made by hand
    orphan = pdfs[2].read_bytes()
    orphan_id = hashlib.sha256(orphan).hexdigest()
    obj = home / "objects" / orphan_id[:2] / orphan_id[2:]
    obj.parent.mkdir(exist_ok=True)
    obj.write_bytes(orphan)
    obj.chmod(0o400)
    (home / "tmp" / "put-abandoned.tmp").write_bytes(b"half a file")
    (home / "seals" / "000099").mkdir()
    (home / "seals" / "000099" / "checkpoint.txt").write_text("never committed")
    db = sqlite3.connect(home / "catalog.sqlite3")
    with db:
        db.execute("UPDATE documents SET indexed = 0 WHERE rowid = (SELECT MIN(rowid) FROM documents)")
        db.execute("INSERT INTO batches (id, command, os_user, host, started_at) "
                   "VALUES ('deadbeef' || hex(randomblob(12)), 'ingest', 'x', 'h', '2024-01-01T00:00:00Z')")
    db.close()

    report = json.loads(run("doctor", "--json", home=home, expect=1))
    kinds = {f["kind"] for f in report["findings"]}
    assert kinds >= {"batch", "tmp", "seal-folder", "object", "index"}, report
    text = run("doctor", home=home, expect=1)
    assert orphan_id in text and "tmp/put-abandoned.tmp" in text and "seals/000099" in text
    assert obj.exists() and (home / "seals" / "000099").exists(), "without --repair nothing changes"

    repaired = json.loads(run("doctor", "--repair", "--json", home=home))
    assert repaired["unrepaired"] == 0 and all("repaired" in f for f in repaired["findings"]), repaired
    run("doctor", home=home)
    assert obj.exists(), "the stored original is evidence: catalogued, never deleted"
    assert not (home / "seals" / "000099").exists() and not any((home / "tmp").iterdir())
    shown = json.loads(run("show", orphan_id, "--json", home=home))
    assert json.dumps(shown)  # catalogued
    db = sqlite3.connect(home / "catalog.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM batches WHERE status = 'running'").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM documents WHERE indexed = 0").fetchone()[0] == 0
    db.close()
    run("verify", "--quiet", home=home)
    assert "doctor" in {e["entry"]["event"] for e in json.loads(run("log", "--json", home=home))}


def test_doctor_compares_the_index_itself_with_the_catalog(tmp_path):
    """A document marked indexed but gone from the index (a lost or stale index folder) is found from the index's
    own ids, not the catalog's marks, and the index is rebuilt."""
    from archive.core import Archive

    home = fresh_archive(tmp_path, 50)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for doc in text_pdfs()[:3]:
        (inbox / doc.name).write_bytes(doc.read_bytes())
    run("ingest", str(inbox), home=home)
    with Archive.open(home) as archive:
        victim = archive.catalog.all_ids()[0]
        archive.engine().delete([victim])
    report = json.loads(run("doctor", "--json", home=home, expect=1))
    (stale,) = [f for f in report["findings"] if f["kind"] == "index-stale"]
    assert victim[:12] in stale["detail"], report
    repaired = json.loads(run("doctor", "--repair", "--json", home=home))
    assert repaired["unrepaired"] == 0, repaired
    run("doctor", home=home)
    found = json.loads(run("search", f"id:{victim[:16]}", "--json", home=home))
    assert [r["id"] for r in found["results"]] == [victim]
