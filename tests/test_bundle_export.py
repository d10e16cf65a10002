"""`sigillo export`: a case exported from samples/ as a BagIt bag (folder and zip), checked with the stock tools.

Real parts only: our code, SQLite, the built-in local TSA, and the real `sh`, `sha256sum`, `openssl` and `python3`
running verify.sh and every command of VERIFY.txt. One archive is built per module (a handful of text-layer PDFs
and one scan, so one OCR run) and exported once; tests that export again work on a copy of the archive.

The helpers at the top (``build_archive``, ``rewrite_manifests``, ``run_verify_sh``…) are shared with
tests/test_bundle_verify.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from archive.bundle import export_bundle, safe_file_name, select_documents
from archive.core import Archive
from tests.cli_runner import inbox, run
from tests.conftest import CORPUS
from tests.tsa_server import OPENSSL, closed_port_url

pytestmark = pytest.mark.skipif(
    OPENSSL is None or shutil.which("sha256sum") is None, reason="needs the openssl and sha256sum CLIs"
)

CASE = "Lombardi Impianti S.r.l."
CASE_DOCS = ("dunning-it-04.pdf", "invoice-it-08.jpg")  # buyer/debtor Lombardi: a text-layer PDF and a scan (OCR)
BATCH_1 = (*CASE_DOCS, "invoice-en-01.pdf")  # a batch mixing the case with another debtor's invoice
BATCH_2 = ("contract-it-02.pdf", "credit-note-it-01.pdf")  # Lombardi's contract (a party, not a buyer) and Rossi's
OTHERS = ("invoice-en-01.pdf", "contract-it-02.pdf", "credit-note-it-01.pdf")
PASSPHRASE = "correct horse battery staple"
# python3 for verify.sh: the interpreter running the tests (a pyenv shim would add ~0.1 s per call)
TOOL_PATH = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"


def doc_id(name: str) -> str:
    return hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()








def build_archive(base: Path) -> Path:
    """An archive with a history: batch 1 (the case and another invoice), a show of the other invoice and a get
    of a case document, batch 2 (the case's contract and another debtor's credit note), `sigillo seal`."""
    home = base / "archive"
    run(home, "init", "--organization", "Adriatica Servizi Digitali S.r.l.")
    run(home, "ingest", str(inbox(base / "batch-1", BATCH_1)))
    run(home, "show", doc_id("invoice-en-01.pdf")[:12])
    run(home, "get", doc_id("dunning-it-04.pdf")[:12], "-o", str(base / "copy.pdf"))
    run(home, "ingest", str(inbox(base / "batch-2", BATCH_2)))
    run(home, "seal")
    return home


def export_case(home: Path, output: Path, *extra: str) -> dict:
    out = run(home, "export", "--case", CASE, "-o", str(output), "--reason", "Tribunale di Bologna, R.G. 77/2026",
              "--json", *extra).stdout
    return json.loads(out)


def bag_files(bag: Path) -> list[str]:
    return sorted(p.relative_to(bag).as_posix() for p in bag.rglob("*") if p.is_file())


def rewrite_manifests(bag: Path) -> None:
    """What an attacker who tampered with a bag does next: recompute both manifests and Payload-Oxum."""
    data = [f for f in bag_files(bag) if f.startswith("data/")]
    sha = {f: hashlib.sha256((bag / f).read_bytes()).hexdigest() for f in bag_files(bag)}
    info = bag / "bag-info.txt"
    if info.exists():
        oxum = f"{sum((bag / f).stat().st_size for f in data)}.{len(data)}"
        info.write_text(re.sub(r"(?m)^Payload-Oxum: .*$", f"Payload-Oxum: {oxum}", info.read_text("utf-8")), "utf-8")
        sha["bag-info.txt"] = hashlib.sha256(info.read_bytes()).hexdigest()
    (bag / "manifest-sha256.txt").write_text("".join(f"{sha[f]}  {f}\n" for f in data), "utf-8")
    sha["manifest-sha256.txt"] = hashlib.sha256((bag / "manifest-sha256.txt").read_bytes()).hexdigest()
    skip = {"tagmanifest-sha256.txt", "tagmanifest-sha256.txt.p7s", "tagmanifest-sha256.txt.tsr"}
    tags = [f for f in bag_files(bag) if not f.startswith("data/") and f not in skip]
    (bag / "tagmanifest-sha256.txt").write_text("".join(f"{sha[f]}  {f}\n" for f in tags), "utf-8")


def run_verify_sh(script: Path, bag: Path | None = None, env: dict[str, str] | None = None,
                  cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    args = ["sh", str(script)] + ([str(bag)] if bag is not None else [])
    return subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=cwd,
                          env={**os.environ, "PATH": TOOL_PATH, **(env or {})})


def verify_txt_commands(text: str) -> list[str]:
    """Every command of VERIFY.txt: lines '    $ …', with their '\\'-continued lines."""
    commands: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if lines[i].startswith("    $ "):
            command = [lines[i][6:]]
            while command[-1].endswith("\\"):
                i += 1
                command.append(lines[i])
            commands.append("\n".join(command))
        i += 1
    return commands


# -- one archive and one exported case for the module -------------------------------------------------------------


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("bundle-export")


@pytest.fixture(scope="module")
def sealed(base) -> Path:
    return build_archive(base)


@pytest.fixture(scope="module")
def pristine(base, sealed) -> Path:
    """A copy of the archive before any export (for the tests that export again)."""
    copy = base / "pristine"
    shutil.copytree(sealed, copy)
    return copy


@pytest.fixture(scope="module")
def exported(base, sealed, pristine) -> tuple[Path, dict]:
    bag = base / "out" / "lombardi-bundle"
    bag.parent.mkdir()
    return bag, export_case(sealed, bag)


@pytest.fixture
def archive_copy(pristine, tmp_path) -> Path:
    home = tmp_path / "archive"
    shutil.copytree(pristine, home)
    return home


# -- what the bag holds ---------------------------------------------------------------------------------------------


def test_the_case_exports_its_documents_with_their_evidence(exported, sealed):
    bag, result = exported
    assert result["documents"] == 2 and result["format"] == "folder"
    assert result["signed"] is True and result["timestamped"] is True and result["problems"] == []
    folders = sorted(p.name for p in (bag / "data" / "documents").iterdir())
    ids = {json.loads((bag / "data/documents" / f / "document.json").read_text())["id"] for f in folders}
    assert ids == {doc_id(n) for n in CASE_DOCS}
    assert all(re.fullmatch(r"00[12]-[0-9a-f]{12}", f) for f in folders)
    for folder in folders:
        d = bag / "data/documents" / folder
        meta = json.loads((d / "document.json").read_text())
        original = d / meta["file"]
        assert original.read_bytes() == (CORPUS / meta["original_name"]).read_bytes()  # bit-exact
        assert sorted(p.name for p in d.iterdir()) == [
            "document.json", "fields.json", "inclusion-proof.txt", "original", "seal-record.json", "text.txt"]
        record = json.loads((d / "seal-record.json").read_bytes())
        assert record["sha256"] == meta["id"] and record["file_name"] == meta["original_name"]
        assert meta["checkpoint"] == 1 and meta["timestamp"] == "timestamped" and "NOT qualified" in meta["tsa"]
        assert (d / "inclusion-proof.txt").read_text().startswith("sigillo-inclusion-proof v1\n")
        assert "=== page 1 (" in (d / "text.txt").read_text()
        fields = json.loads((d / "fields.json").read_text())
        assert fields["id"] == meta["id"] and fields["fields"]
    # the seal records are the archive's bytes, verbatim
    db = Archive.open(sealed)
    try:
        for folder in folders:
            d = bag / "data/documents" / folder
            meta = json.loads((d / "document.json").read_text())
            assert (d / "seal-record.json").read_bytes() == db.seal_of(meta["id"]).record
    finally:
        db.close()
    # the checkpoint of the case's batch, and the newest one (batch 2's), which commits to the audit log
    assert sorted(p.name for p in (bag / "data/checkpoints").iterdir()) == ["000001", "000002"]
    head = (bag / "data/audit/head.txt").read_text().split()
    assert head[0] == "2"
    info = dict(line.split(": ", 1) for line in (bag / "bag-info.txt").read_text().splitlines())
    assert info["Bundle-Format-Version"] == "1" and info["Document-Count"] == "2"
    assert info["External-Identifier"] == result["bundle_id"]
    assert info["Export-Reason"] == "Tribunale di Bologna, R.G. 77/2026"
    assert CASE in info["External-Description"]
    assert (bag / "bagit.txt").read_bytes() == b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    root = Path(__file__).resolve().parent.parent
    assert (bag / "tools/merkle.py").read_bytes() == (root / "signing/merkle.py").read_bytes()
    assert (bag / "tools/chain.py").read_bytes() == (root / "signing/chain.py").read_bytes()
    assert stat.S_IMODE((bag / "verify.sh").stat().st_mode) & 0o111


def test_the_case_is_matched_on_buyer_and_debtor_only(exported):
    bag, _ = exported
    names = {json.loads(p.read_text())["original_name"] for p in bag.glob("data/documents/*/document.json")}
    assert names == set(CASE_DOCS)  # the contract names Lombardi as a party: it waits for `sigillo case`


def test_verify_sh_passes_and_says_to_pin_the_anchors_first(exported):
    bag, _ = exported
    done = run_verify_sh(bag / "verify.sh", cwd=bag.parent)  # its own folder by default
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Pin the trust anchors independently")
    certs = sorted(p.name for p in (bag / "data/certificates").iterdir())
    assert len(certs) == 2 and certs[0].startswith("seal-") and certs[1].startswith("tsa-root-")
    for cert in certs:
        hex_digest = cert.split("-")[-1][:-4]
        fingerprint = ":".join(hex_digest[i : i + 2] for i in range(0, 64, 2)).upper()
        assert fingerprint in "\n".join(lines[1:3])
    assert lines[-1].startswith("ALL CHECKS PASSED: 2 document(s), 2 checkpoint(s)")
    assert "FAIL" not in done.stdout
    again = run_verify_sh(bag / "verify.sh", bag, cwd=Path("/"))  # with the bag as argument, from anywhere
    assert again.returncode == 0 and again.stdout == done.stdout


def test_verify_sh_trusts_anchors_given_instead_of_the_copies(exported, sealed, tmp_path):
    bag, _ = exported
    keys = sealed / "keys"
    done = run_verify_sh(bag / "verify.sh", bag, env={"SEAL_CA": str(keys / "seal.crt"),
                                                      "TSA_CA": str(keys / "tsa/root.crt")})
    assert done.returncode == 0, done.stdout
    assert "trusting the seal certificate(s) in" in done.stdout
    # someone else's seal certificate: nothing verifies
    other = tmp_path / "other"
    run(other, "init")
    done = run_verify_sh(bag / "verify.sh", bag, env={"SEAL_CA": str(other / "keys/seal.crt")})
    assert done.returncode == 1
    assert "FAIL: data/checkpoints/000001/checkpoint.txt.p7s: the archive's signature" in done.stdout
    assert "ALL CHECKS PASSED" not in done.stdout
    result = run(None, "verify-bundle", str(bag), "--seal-cert", str(other / "keys/seal.crt"), expect=1)
    assert "FAIL  data/checkpoints/000001/checkpoint.txt.p7s: signature" in result.output


def test_every_command_of_verify_txt_passes(exported):
    bag, _ = exported
    text = (bag / "VERIFY.txt").read_text("utf-8")
    commands = verify_txt_commands(text)
    # every step, every document and checkpoint of the bag has its commands
    assert sum("openssl cms -verify" in c for c in commands) == 3  # 2 checkpoints and the bundle
    assert sum("openssl ts -verify" in c for c in commands) == 3
    assert sum("tools/merkle.py verify" in c for c in commands) == 2
    assert sum("tools/chain.py verify" in c for c in commands) == 1
    assert sum("sha256sum -c" in c for c in commands) == 2
    outputs = []
    for command in commands:
        done = subprocess.run(["sh", "-c", command], cwd=bag, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PATH": TOOL_PATH})
        assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
        outputs.append(done.stdout + done.stderr)
    out = "\n".join(outputs)
    assert out.count("CMS Verification successful") == 3
    assert out.count("Verification: OK") == 3
    assert out.count("OK: the original has the SHA-256 and size its seal record names") == 2
    assert out.count("OK: the seal record is leaf") == 2
    assert re.search(r"OK: \d+ audit entries are in the log, unchanged, under the head of entry \d+", out)
    assert "NOT IN ANY MANIFEST" not in out and "FAILED" not in out
    assert (bag / "data").exists() and not [f for f in bag_files(bag) if f.endswith((".tmp", ".pem.tmp"))]


def test_verify_txt_commands_fail_on_a_changed_original(exported, tmp_path):
    bag = tmp_path / "bag"
    shutil.copytree(exported[0], bag)
    original = next(bag.glob("data/documents/001-*/original/*"))
    data = bytearray(original.read_bytes())
    data[len(data) // 2] ^= 1
    original.write_bytes(bytes(data))
    failed = 0
    for command in verify_txt_commands((bag / "VERIFY.txt").read_text("utf-8")):
        done = subprocess.run(["sh", "-c", command], cwd=bag, capture_output=True, text=True, timeout=60,
                              env={**os.environ, "PATH": TOOL_PATH})
        failed += done.returncode != 0
    assert failed == 2  # sha256sum -c manifest-sha256.txt, and the document's own check


def test_verify_bundle_passes_on_the_folder(exported):
    bag, _ = exported
    out = run(None, "verify-bundle", str(bag)).output
    assert out.startswith("Pin the trust anchors independently")
    assert "All checks passed: 2 documents, 2 checkpoints" in out and "FAIL" not in out
    report = json.loads(run(None, "verify-bundle", str(bag), "--json").stdout)
    assert report["ok"] is True and report["documents"] == 2 and report["checkpoints"] == 2
    assert report["warnings"] == [] and report["bundle_timestamp"]


def test_the_audit_excerpt_reveals_nothing_about_other_documents(exported, sealed):
    bag, _ = exported
    exported_ids = {doc_id(n) for n in CASE_DOCS}
    lines = (bag / "data/audit/entries.jsonl").read_text("utf-8").splitlines()
    entries = [json.loads(json.loads(line)["entry"]) for line in lines]
    assert {e["event"] for e in entries} >= {"ingest", "get", "seal"}
    assert all(exported_ids & set(e["docs"]) for e in entries)
    ingested = {d for e in entries if e["event"] == "ingest" for d in e["docs"]}
    assert ingested == exported_ids
    # nothing about the other documents: not their names, not their entries' contents
    everything = b"".join((bag / f).read_bytes() for f in bag_files(bag) if not f.endswith((".pdf", ".jpg")))
    for name in OTHERS:
        assert name.encode() not in everything
    db = Archive.open(sealed)
    try:
        others = [e for e in db.audit.iter_all() if not exported_ids & set(e.data["docs"])]
        assert any(e.data["event"] == "show" for e in others)  # the show of another debtor's invoice
        chain = (bag / "data/audit/chain.txt").read_text()
        for e in others:
            if e.seq >= int(chain.split()[1]) and e.seq <= int((bag / "data/audit/head.txt").read_text().split()[1]):
                assert f"{e.seq} {e.hash}\n" in chain  # only its hash
            assert e.raw not in everything
    finally:
        db.close()


def test_the_export_is_in_the_audit_log(exported, sealed):
    bag, result = exported
    entries = json.loads(run(sealed, "log", "--json").stdout)
    export = [e["entry"] for e in entries if e["entry"]["event"] == "export"]
    assert len(export) == 1
    entry = export[0]
    assert set(entry["docs"]) == {doc_id(n) for n in CASE_DOCS}
    assert entry["bundle_id"] == result["bundle_id"] and entry["path"] == str(bag.resolve())
    assert entry["reason"] == "Tribunale di Bologna, R.G. 77/2026" and entry["format"] == "folder"
    assert entry["tagmanifest_sha256"] == hashlib.sha256((bag / "tagmanifest-sha256.txt").read_bytes()).hexdigest()
    text = run(sealed, "log", "--doc", doc_id("dunning-it-04.pdf")[:12]).output
    assert "export" in text


def test_the_report_renders_and_holds_every_hash(exported, tmp_path):
    bag, _ = exported
    ids = [doc_id(n) for n in CASE_DOCS]
    html = (bag / "REPORT.html").read_text("utf-8")
    assert all(i in html for i in ids)
    if shutil.which("pdftoppm"):
        done = subprocess.run(["pdftoppm", "-r", "40", "-png", str(bag / "REPORT.pdf"), str(tmp_path / "page")],
                              capture_output=True, timeout=60)
        assert done.returncode == 0 and list(tmp_path.glob("page*.png"))
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(bag / "REPORT.pdf"), "-"], capture_output=True, text=True,
                              timeout=60).stdout
        flat = re.sub(r"\s+", "", text)
        assert all(i in flat for i in ids)


# -- zip, query, ids ----------------------------------------------------------------------------------------------


def test_a_zip_export_is_the_folder_export_zipped(archive_copy, tmp_path):
    """The same export (same id and clock) as a folder from one copy of the archive and as a zip from another:
    after unzip, every file is the same but the bundle's own signature and token (fresh each time)."""
    other = tmp_path / "archive-2"
    shutil.copytree(archive_copy, other)
    when = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    results = []
    for home, output, as_zip in ((archive_copy, tmp_path / "case", False), (other, tmp_path / "case.zip", True)):
        archive = Archive.open(home, command="sigillo export")
        try:
            selection = select_documents(archive, case=CASE)
            results.append(export_bundle(archive, selection, output, as_zip=as_zip, reason="same",
                                         bundle_id="0123456789abcdef", now=lambda: when))
        finally:
            archive.close()
    with zipfile.ZipFile(tmp_path / "case.zip") as zf:
        names = zf.namelist()
        assert all(n.startswith("case/") for n in names) and len(names) == len(set(names))
        assert (zf.getinfo("case/verify.sh").external_attr >> 16) & 0o777 == 0o755
        zf.extractall(tmp_path / "unzipped")
    folder, unzipped = tmp_path / "case", tmp_path / "unzipped" / "case"
    assert bag_files(folder) == bag_files(unzipped)
    differ = [f for f in bag_files(folder) if (folder / f).read_bytes() != (unzipped / f).read_bytes()]
    assert differ == ["tagmanifest-sha256.txt.p7s", "tagmanifest-sha256.txt.tsr"]
    assert results[0].tagmanifest_sha256 == results[1].tagmanifest_sha256
    # and the zip, as such and unzipped by the stock tool, passes both verifiers
    assert "All checks passed" in run(None, "verify-bundle", str(tmp_path / "case.zip")).output
    if shutil.which("unzip"):
        subprocess.run(["unzip", "-q", str(tmp_path / "case.zip"), "-d", str(tmp_path / "by-unzip")], check=True)
        done = run_verify_sh(tmp_path / "by-unzip/case/verify.sh")
        assert done.returncode == 0, done.stdout


def test_export_by_query_and_by_ids(archive_copy, tmp_path):
    result = json.loads(run(archive_copy, "export", "--query", "doc_type:invoice", "-o",
                            str(tmp_path / "invoices.zip"), "--json").stdout)
    assert result["format"] == "zip" and result["documents"] == 2  # invoice-it-08 and invoice-en-01
    report = json.loads(run(None, "verify-bundle", str(tmp_path / "invoices.zip"), "--json").stdout)
    assert report["ok"] and report["documents"] == 2
    ids = [doc_id("credit-note-it-01.pdf")[:8], doc_id("contract-it-02.pdf")[:10]]
    out = run(archive_copy, "export", *ids, "-o", str(tmp_path / "two"), "--zip").output
    assert "Exported 2 documents to" in out and "zip" in out
    report = json.loads(run(None, "verify-bundle", str(tmp_path / "two"), "--json").stdout)
    assert report["ok"] and report["documents"] == 2
    with zipfile.ZipFile(tmp_path / "two") as zf:
        assert all(n.startswith("two/") for n in zf.namelist())
        names = [n for n in zf.namelist() if "/original/" in n]
    assert [n.split("/")[3] for n in names] == ["001-" + doc_id("credit-note-it-01.pdf")[:12],
                                                  "002-" + doc_id("contract-it-02.pdf")[:12]]
    events = [e["entry"] for e in json.loads(run(archive_copy, "log", "--json").stdout)
              if e["entry"]["event"] == "export"]
    assert [e["selection"] for e in events] == ["search query: doc_type:invoice",
                                                "documents chosen by id: " + " ".join(doc_id(n) for n in (
                                                    "credit-note-it-01.pdf", "contract-it-02.pdf"))]


def test_export_by_vat_id(archive_copy, tmp_path):
    out = json.loads(run(archive_copy, "fields", doc_id("invoice-it-08.jpg")[:12], "--json").stdout)
    vat = out["fields"].get("buyer_vat_id", {}).get("value")
    if not vat:
        pytest.skip("the scan's buyer VAT id was not read")
    result = json.loads(run(archive_copy, "export", "--case", vat, "-o", str(tmp_path / "by-vat"), "--json").stdout)
    assert result["documents"] >= 1


def test_export_refuses_to_overwrite_and_wrong_usage(archive_copy, tmp_path):
    existing = tmp_path / "exists"
    existing.mkdir()
    (existing / "keep.txt").write_text("mine")
    result = run(archive_copy, "export", "--case", CASE, "-o", str(existing), expect=1)
    assert f"Error: {existing} already exists" in result.output
    assert bag_files(existing) == ["keep.txt"]
    (tmp_path / "exists.zip").write_bytes(b"mine")
    run(archive_copy, "export", "--case", CASE, "-o", str(tmp_path / "exists.zip"), expect=1)
    assert (tmp_path / "exists.zip").read_bytes() == b"mine"
    assert "exactly one" in run(archive_copy, "export", "-o", str(tmp_path / "x"), expect=2).output
    assert "exactly one" in run(archive_copy, "export", "abcd", "--case", CASE, "-o", str(tmp_path / "x"),
                                expect=2).output
    result = run(archive_copy, "export", "--case", "Nobody Such S.p.A.", "-o", str(tmp_path / "x"), expect=6)
    assert "no document names 'Nobody Such S.p.A.'" in result.output
    run(archive_copy, "export", "--case", CASE, "-o", str(tmp_path / "missing-folder" / "x"), expect=1)
    assert not [p for p in tmp_path.iterdir() if "sigillo-tmp" in p.name]  # no temporary left behind
    assert not [e for e in json.loads(run(archive_copy, "log", "--json").stdout) if e["entry"]["event"] == "export"]


def test_help_has_examples():
    out = run(None, "export", "--help").output
    assert "Examples:" in out and "sigillo case" in out and "--reason" in out
    out = run(None, "verify-bundle", "--help").output
    assert "Examples:" in out and "--seal-cert" in out


def test_safe_file_names():
    assert safe_file_name("fattura 12.pdf") == "fattura 12.pdf"
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("a:b*c?.pdf") == "a_b_c_.pdf"
    assert safe_file_name("100% paid.pdf") == "100_ paid.pdf"
    assert safe_file_name("line\nbreak.pdf") == "line_break.pdf"
    assert safe_file_name("CON.txt") == "_CON.txt"
    assert safe_file_name(" .hidden. ") == "hidden"
    assert safe_file_name("...") == "original"
    long = safe_file_name("é" * 200 + ".pdf")
    assert long.endswith(".pdf") and len(long.encode()) <= 150


# -- a bundle made while the evidence is incomplete -------------------------------------------------------------


def set_tsa(home: Path, url: str) -> None:
    """An external TSA at ``url`` (its pinned root: any certificate will do, it is never reached)."""
    toml = home / "sigillo.toml"
    text = toml.read_text(encoding="utf-8")
    trust = home / "keys/tsa/root.crt"
    for key, value in (("tsa_url", f'"{url}"'), ("tsa_trust", f'"{trust}"'), ("tsa_retries", "0")):
        text, count = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.MULTILINE)
        assert count == 1, key
    toml.write_text(text, encoding="utf-8")


def test_a_pending_timestamp_is_exported_but_fails_verification(tmp_path):
    home = tmp_path / "archive"
    run(home, "init")
    run(home, "ingest", str(inbox(tmp_path / "in-1", ("dunning-it-04.pdf",))))
    set_tsa(home, closed_port_url())
    run(home, "ingest", str(inbox(tmp_path / "in-2", ("contract-it-02.pdf",))))  # sealed, timestamp pending
    result = run(home, "export", doc_id("dunning-it-04.pdf")[:8], doc_id("contract-it-02.pdf")[:8], "-o",
                 str(tmp_path / "bag"), expect=11)
    assert "Warning: Checkpoint 2 has NO timestamp" in result.output
    assert "the bundle was written to" in result.output
    bag = tmp_path / "bag"
    assert not (bag / "data/checkpoints/000002/checkpoint.txt.tsr").exists()
    assert not (bag / "tagmanifest-sha256.txt.tsr").exists()  # the TSA is down for the bundle too
    assert "Checkpoint 2 had NO time-stamp" in (bag / "VERIFY.txt").read_text()
    done = run_verify_sh(bag / "verify.sh")
    assert done.returncode == 1
    assert "FAIL: data/checkpoints/000002/checkpoint.txt.tsr is missing" in done.stdout
    out = run(None, "verify-bundle", str(bag), expect=1).output
    assert "FAIL  data/checkpoints/000002/checkpoint.txt.tsr: timestamp: missing" in out
    assert "FAIL  tagmanifest-sha256.txt.tsr: bundle seal: missing" in out
    assert "pending" in (bag / "REPORT.html").read_text()


def test_an_unsealed_document_is_exported_but_fails_verification(tmp_path):
    home = tmp_path / "archive"
    secret = {"SIGILLO_KEY_PASSPHRASE": PASSPHRASE}
    run(home, "init", env=secret)
    run(home, "ingest", str(inbox(tmp_path / "in-1", ("dunning-it-04.pdf",))), env=secret)
    run(home, "ingest", str(inbox(tmp_path / "in-2", ("contract-it-02.pdf",))))  # no passphrase: not sealed
    result = run(home, "export", doc_id("dunning-it-04.pdf")[:8], doc_id("contract-it-02.pdf")[:8], "-o",
                 str(tmp_path / "bag"), expect=10)
    assert f"Document {doc_id('contract-it-02.pdf')[:12]} (contract-it-02.pdf) is NOT sealed" in result.output
    bag = tmp_path / "bag"
    folder = f"data/documents/002-{doc_id('contract-it-02.pdf')[:12]}"
    assert json.loads((bag / folder / "document.json").read_text())["checkpoint"] is None
    assert not (bag / "tagmanifest-sha256.txt.p7s").exists()
    assert "NOT sealed" in (bag / "VERIFY.txt").read_text()
    done = run_verify_sh(bag / "verify.sh")
    assert done.returncode == 1
    assert f"FAIL: {folder}/document.json: it names no checkpoint" in done.stdout
    out = run(None, "verify-bundle", str(bag), expect=1).output
    assert f"FAIL  {folder}/document.json: seal: names no checkpoint" in out
    assert "FAIL  tagmanifest-sha256.txt.p7s: bundle seal: missing" in out
    # with the passphrase the same export is complete
    run(home, "export", doc_id("dunning-it-04.pdf")[:8], doc_id("contract-it-02.pdf")[:8], "-o",
        str(tmp_path / "bag-2"), env=secret)
    assert run_verify_sh(bag / "verify.sh", tmp_path / "bag-2").returncode == 0
