"""archive.sealing and archive.verify with real parts: one checkpoint per batch and its proofs checked by the
standalone merkle.py, every byte of the signature and the token checked, a checkpoint left by a process killed
with SIGKILL, and the key files.

No mocks: our code, SQLite, the openssl-free local TSA built into every archive, and real subprocesses. Text-layer
PDFs only (no OCR). One six-document archive is built for the module; tests that change it use a copy.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from click.testing import CliRunner, Result

from archive.audit import canonical_json
from archive.cli import cli
from archive.config import Layout
from archive.core import Archive
from archive.errors import KeyProblemError
from archive.identity import KeyFiles
from archive.sealing import checkpoint_files, parse_checkpoint, seal_record
from archive.verify import verify_archive
from tests.conftest import CORPUS, ROOT

SIX = ("contract-en-01.pdf", "contract-it-02.pdf", "credit-note-it-01.pdf", "dunning-en-03.pdf",
       "dunning-it-04.pdf", "invoice-en-01.pdf")
PASSPHRASE = "correct horse battery staple"
PYTHON3 = shutil.which("python3") or sys.executable


def run(home: Path, *args: str, expect: int = 0, env: dict[str, str | None] | None = None) -> Result:
    env = {"SIGILLO_KEY_PASSPHRASE": None, **(env or {})}  # no passphrase unless the test gives one
    result = CliRunner().invoke(cli, ["--home", str(home), *args], env=env, prog_name="sigillo",
                                catch_exceptions=False)
    assert result.exit_code == expect, f"exit {result.exit_code}, expected {expect}:\n{result.output}"
    return result


def sha256_of(name: str) -> str:
    return hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()


def inbox(folder: Path, names: tuple[str, ...]) -> Path:
    folder.mkdir(parents=True)
    for name in names:
        shutil.copy2(CORPUS / name, folder / name)
    return folder


@pytest.fixture(scope="module")
def six(tmp_path_factory) -> Path:
    """Six PDFs ingested in one batch, sealed and timestamped by the local TSA."""
    base = tmp_path_factory.mktemp("six")
    home = base / "archive"
    run(home, "init")
    out = run(home, "ingest", str(inbox(base / "in", SIX))).stdout
    assert "6 files: 6 new" in out and "Sealed 6 documents in checkpoint 1 (signed, timestamped" in out
    return home


@pytest.fixture
def six_copy(six, tmp_path) -> Path:
    home = tmp_path / "archive"
    shutil.copytree(six, home)
    return home


# -- one checkpoint per batch, and its proofs -------------------------------------------------------------------


def test_a_batch_of_six_documents_makes_one_checkpoint_and_one_timestamp_request(six):
    assert sorted(p.name for p in (six / "seals").iterdir()) == ["000001"]
    assert sorted(p.name for p in (six / "seals" / "000001").iterdir()) == [
        "checkpoint.txt", "checkpoint.txt.p7s", "checkpoint.txt.tsq", "checkpoint.txt.tsr"]
    for path in (six / "seals" / "000001").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o400, path  # written once, read-only
    (row,) = json.loads(run(six, "seal", "--list", "--json").stdout)
    assert (row["number"], row["tree_size"], row["status"], row["tsa"]) == (1, 6, "timestamped", "local")

    body = (six / "seals" / "000001" / "checkpoint.txt").read_bytes()
    assert hashlib.sha256(body).hexdigest() == row["sha256"]
    parsed = parse_checkpoint(body)
    assert (parsed.tree_size, parsed.root.hex(), parsed.number, parsed.prev_sha256) == (6, row["root"], 1, "0" * 64)
    assert (parsed.audit_seq, parsed.audit_hash) == (row["audit_seq"], row["audit_hash"])
    lines = body.decode("utf-8").split("\n")
    assert lines[5] == f"batch {row['batch_id']}" and lines[-1] == ""


def test_each_proof_verifies_with_the_standalone_merkle_script(six, tmp_path):
    """The seal record and proof of every document, written from the catalog to files, checked by signing/merkle.py
    run on its own (a copy outside the project, as it is shipped in evidence bundles) against the checkpoint's
    root and size."""
    script = tmp_path / "merkle.py"
    shutil.copy2(ROOT / "signing" / "merkle.py", script)
    lines = (six / "seals" / "000001" / "checkpoint.txt").read_text(encoding="utf-8").split("\n")
    size, root = lines[1], base64.b64decode(lines[2]).hex()
    with Archive.open(six) as archive:
        docs = archive.catalog.documents(archive.catalog.all_ids())
        seals = {doc_id: archive.seal_of(doc_id) for doc_id in docs}
        archive_id = archive.catalog.archive_id
    assert set(docs) == {sha256_of(n) for n in SIX}
    assert sorted(s.leaf_index for s in seals.values()) == list(range(6))

    def merkle(record: Path, proof: Path, *extra: str) -> subprocess.CompletedProcess:
        return subprocess.run([PYTHON3, str(script), "verify", str(record), str(proof), *extra], cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)

    for doc_id, seal in seals.items():
        assert seal.checkpoint == 1
        # the record is the canonical JSON of what the catalog says about the document, byte for byte
        assert seal.record == seal_record(archive_id, docs[doc_id])
        fields = json.loads(seal.record)
        assert seal.record == canonical_json(fields)
        assert (fields["doc_id"], fields["sha256"], fields["size"]) == (doc_id, doc_id, docs[doc_id].size)
        assert (fields["archive"], fields["v"]) == (archive_id, 1)
        assert fields["batch_id"] == lines[5].removeprefix("batch ")
        record, proof = tmp_path / f"{doc_id}.json", tmp_path / f"{doc_id}.proof"
        record.write_bytes(seal.record)
        proof.write_text(seal.proof, encoding="utf-8")
        done = merkle(record, proof, "--root", root, "--tree-size", size)
        assert done.returncode == 0, done.stdout + done.stderr
        assert done.stdout == f"OK: the seal record is leaf {seal.leaf_index} of 6 under root {root}\n"

    # and it fails closed: another record, another root, another size
    doc_id, seal = next(iter(seals.items()))
    record, proof = tmp_path / f"{doc_id}.json", tmp_path / f"{doc_id}.proof"
    record.write_bytes(seal.record.replace(b'"v":1', b'"v":2'))
    done = merkle(record, proof, "--root", root, "--tree-size", size)
    assert done.returncode == 1 and done.stdout.startswith("FAIL: the seal record is not leaf")
    record.write_bytes(seal.record)
    assert merkle(record, proof, "--root", "00" * 32, "--tree-size", size).returncode == 1
    assert merkle(record, proof, "--root", root, "--tree-size", "7").returncode == 1


# -- every byte that is signed or is a signature is checked -----------------------------------------------------


def _scan(home: Path, path: Path, regions: dict[str, bytes], check: str) -> None:
    """Flip each byte of each region of ``path`` in turn (restoring it after); each must fail ``check`` of
    checkpoint 1 in verify_archive, and nothing else may break."""
    data = path.read_bytes()
    os.chmod(path, 0o600)
    with Archive.open(home) as archive:
        assert verify_archive(archive, []).ok
        for name, part in regions.items():
            start = data.index(part)
            assert data.count(part) == 1 and len(part) > 30, name
            for at in range(start, start + len(part)):
                path.write_bytes(data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :])
                report = verify_archive(archive, [])
                failed = {(f.subject, f.check) for f in report.failures}
                assert failed == {("checkpoint 1", check)}, f"{name}: byte {at - start} of {len(part)}: {failed}"
    path.write_bytes(data)


def test_every_byte_of_the_checkpoint_signature_and_its_signed_attributes_is_checked(six_copy):
    p7s = six_copy / "seals" / "000001" / "checkpoint.txt.p7s"
    signer = cms.ContentInfo.load(p7s.read_bytes())["content"]["signer_infos"][0]
    _scan(six_copy, p7s, {"signature value": signer["signature"].contents,
                          "signed attributes": signer["signed_attrs"].dump()}, "signature")


def test_every_byte_of_the_token_signature_its_signed_attributes_and_tstinfo_is_checked(six_copy):
    tsr = six_copy / "seals" / "000001" / "checkpoint.txt.tsr"
    signed = tsp.TimeStampResp.load(tsr.read_bytes())["time_stamp_token"]["content"]
    signer = signed["signer_infos"][0]
    _scan(six_copy, tsr, {"signature value": signer["signature"].contents,
                          "signed attributes": signer["signed_attrs"].dump(),
                          "TSTInfo": signed["encap_content_info"]["content"].contents}, "timestamp")


# -- a crash between the files and the catalog ------------------------------------------------------------------


def test_a_checkpoint_left_by_a_killed_seal_is_rewritten_by_the_next_one(tmp_path):
    """`sigillo seal` is killed with SIGKILL after writing checkpoint.txt and its .p7s but before its catalog
    transaction commits (held back by a SQLite write lock taken here): the folder it leaves has no catalog row, and
    the next `sigillo seal` writes it anew."""
    home = tmp_path / "archive"
    with_it, without = {"SIGILLO_KEY_PASSPHRASE": PASSPHRASE}, {"SIGILLO_KEY_PASSPHRASE": None}
    run(home, "init", env=with_it)
    names = ("dunning-en-03.pdf", "invoice-en-01.pdf")
    later = run(home, "ingest", str(inbox(tmp_path / "in", names)), env=without)  # stored, not sealed
    assert "not sealed yet" in later.stderr
    folder = checkpoint_files(Layout(home), 1)["folder"]

    db = sqlite3.connect(home / "catalog.sqlite3", isolation_level=None)
    db.execute("BEGIN IMMEDIATE")  # the seal's own transaction waits behind this one
    env = {**os.environ, "SIGILLO_KEY_PASSPHRASE": PASSPHRASE}
    proc = subprocess.Popen([sys.executable, "-m", "archive", "--home", str(home), "seal"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while not (folder / "checkpoint.txt.p7s").exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the seal never wrote its files"
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        db.execute("ROLLBACK")
        db.close()

    assert sorted(p.name for p in folder.iterdir()) == ["checkpoint.txt", "checkpoint.txt.p7s"]
    leftover = (folder / "checkpoint.txt").read_bytes()
    with Archive.open(home) as archive:
        assert archive.catalog.db.execute("SELECT count(*) FROM checkpoints").fetchone()[0] == 0
        report = verify_archive(archive)
        assert report.ok and {f.check for f in report.warnings} == {"seal"}  # two documents wait for their seal

    out = run(home, "seal", env=with_it).stdout
    assert "Checkpoint 1: 2 documents sealed" in out and "Checkpoint 1: timestamped" in out
    body = (folder / "checkpoint.txt").read_bytes()
    assert body != leftover
    assert sorted(p.name for p in folder.iterdir()) == [
        "checkpoint.txt", "checkpoint.txt.p7s", "checkpoint.txt.tsq", "checkpoint.txt.tsr"]
    with Archive.open(home) as archive:
        assert archive.checkpoint(1).sha256 == hashlib.sha256(body).hexdigest()
        assert {archive.seal_of(sha256_of(n)).checkpoint for n in names} == {1}
        report = verify_archive(archive)
        assert report.ok and report.warnings == [], report.findings


# -- the key files ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE.encode()], ids=["plain", "encrypted"])
def test_key_files_are_owner_only_whatever_the_umask(tmp_path, passphrase):
    old = os.umask(0)  # a careless umask must not make a key readable by others
    try:
        archive = Archive.init(tmp_path / "archive", passphrase=passphrase)
    finally:
        os.umask(old)
    keys = archive.keys
    try:
        for key in (keys.seal_key, keys.tsa_key):
            assert stat.S_IMODE(key.stat().st_mode) == 0o600, key
            header = key.read_bytes().split(b"\n", 1)[0]
            expected = b"-----BEGIN ENCRYPTED PRIVATE KEY-----" if passphrase else b"-----BEGIN PRIVATE KEY-----"
            assert header == expected
        for folder in (keys.root, keys.root / "tsa", keys.history):
            assert stat.S_IMODE(folder.stat().st_mode) == 0o700, folder
        assert stat.S_IMODE(archive.layout.home.stat().st_mode) == 0o700
        init = json.loads(archive.audit.entries()[0].raw)
        assert init["event"] == "init" and init["key_encrypted"] is (passphrase is not None)
    finally:
        archive.close()


def test_an_encrypted_key_opens_with_its_passphrase_only(tmp_path):
    layout = Layout(tmp_path / "archive")
    Archive.init(layout.home, passphrase=PASSPHRASE.encode()).close()
    files = KeyFiles.of(layout)
    identity = files.seal(PASSPHRASE.encode())
    assert identity.cert == files.seal_certificate()
    assert files.local_tsa(PASSPHRASE.encode()) is not None
    for wrong in (None, b"not the passphrase"):
        with pytest.raises(KeyProblemError, match="encrypted and no passphrase, or a wrong one, was given"):
            files.seal(wrong)
        with pytest.raises(KeyProblemError, match="the local TSA's key is encrypted"):
            files.local_tsa(wrong)


def test_the_certificate_inside_a_signature_must_be_the_archives_own(six_copy):
    """A .p7s still carries a valid signature when only its embedded certificate copy is altered (here: one digit
    of its validity dates). verify judges the pinned certificate, and names a copy that is not byte-identical."""
    p7s = checkpoint_files(Layout(six_copy), 1)["p7s"]
    data = bytearray(p7s.read_bytes())
    cert_der = (six_copy / "keys" / "seal.crt").read_text().split("-----")[2]
    der = base64.b64decode("".join(cert_der.split()))
    start = bytes(data).find(der)
    assert start > 0
    # the notAfter UTCTime/GeneralizedTime: the second time value inside the certificate
    times = [i for i in range(start, start + len(der)) if data[i] in (0x17, 0x18) and data[i + 1] in (13, 15)]
    not_after = times[1] + 2
    data[not_after + 1] = ord("0") if data[not_after + 1] != ord("0") else ord("1")
    os.chmod(p7s, 0o600)
    p7s.write_bytes(bytes(data))
    result = run(six_copy, "verify", expect=1)
    assert "FAIL  checkpoint 1: signature" in result.output and "byte for byte" in result.output, result.output
