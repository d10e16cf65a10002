"""Sealing end to end through the `sigillo` command: tampering caught by `sigillo verify`, a TSA that cannot be
reached, a real RFC 3161 exchange with openssl as the TSA, the keys, and the audit log.

Real parts only: our code, SQLite, the openssl CLI (as the TSA, as a CA, and as an independent verifier) behind a
loopback HTTP server. Text-layer PDFs only (no OCR), so the module runs in a few seconds.

One sealed archive is built per module; every test that writes (tampering, `verify`, which appends to the audit
log) works on its own copy. The tampering is done as an attacker with write access to the files would do it:
chmod the read-only files, edit the catalog with SQLite, drop the audit log's guard triggers.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import socket
import sqlite3
import stat
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from asn1crypto import cms, tsp
from cryptography.hazmat.primitives import serialization

from archive.core import os_user
from tests.cli_runner import inbox, invoke, run
from tests.conftest import CORPUS
from tests.tsa_server import (
    OPENSSL,
    closed_port_url,
    openssl,
    openssl_server_fixture,  # noqa: F401  (a pytest fixture: openssl_server)
    pki_fixture,  # noqa: F401  (a pytest fixture: pki)
)

pytestmark = pytest.mark.skipif(OPENSSL is None, reason="needs the openssl CLI")

PASSPHRASE = "correct horse battery staple"
BATCH_1 = ("contract-en-01.pdf", "dunning-en-03.pdf", "invoice-en-01.pdf")
BATCH_2 = ("credit-note-it-01.pdf", "invoice-it-03.pdf")
INVOICE = "invoice-en-01.pdf"
GENESIS = "0" * 64


def doc_id(name: str) -> str:
    return hashlib.sha256((CORPUS / name).read_bytes()).hexdigest()








@contextmanager
def catalog(home: Path) -> Iterator[sqlite3.Connection]:
    """The catalog opened directly with SQLite, autocommit: what an attacker with file access would use."""
    db = sqlite3.connect(home / "catalog.sqlite3", isolation_level=None)
    try:
        yield db
    finally:
        db.close()


def drop_audit_guards(db: sqlite3.Connection) -> None:
    """The triggers stop mistakes, not an attacker: drop them first, as one would."""
    db.execute("DROP TRIGGER audit_no_update")
    db.execute("DROP TRIGGER audit_no_delete")


def flip(path: Path, offset: int, mask: int = 0x01) -> None:
    """XOR one byte of a (read-only) file."""
    os.chmod(path, 0o600)
    data = bytearray(path.read_bytes())
    data[offset] ^= mask
    path.write_bytes(bytes(data))


def offset_of(data: bytes, part: bytes) -> int:
    assert data.count(part) == 1, "the part to tamper with must be unique in the file"
    return data.index(part)


def set_tsa(home: Path, url: str, trust: Path | str = "", retries: int = 0) -> None:
    """Edit sigillo.toml the way an administrator does: the TSA URL, its pinned root, no retries."""
    toml = home / "sigillo.toml"
    text = toml.read_text(encoding="utf-8")
    for key, value in (("tsa_url", f'"{url}"'), ("tsa_trust", f'"{trust}"'), ("tsa_retries", str(retries))):
        text, count = re.subn(rf"^{key} = .*$", f"{key} = {value}", text, flags=re.MULTILINE)
        assert count == 1, key
    toml.write_text(text, encoding="utf-8")


def checkpoint_list(home: Path) -> list[dict]:
    return json.loads(run(home, "seal", "--list", "--json").stdout)


def log_entries(home: Path, *args: str) -> list[dict]:
    return json.loads(run(home, "log", "--json", *args).stdout)


# -- one sealed archive for the module ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sealed(tmp_path_factory) -> Path:
    """Three checkpoints over a real history: batch 1 (3 PDFs); show, get, a field corrected; batch 2 (2 PDFs);
    a show; `sigillo seal` anchoring the log in a checkpoint of no documents."""
    base = tmp_path_factory.mktemp("sealed")
    home = base / "archive"
    run(home, "init")
    run(home, "ingest", str(inbox(base / "batch-1", BATCH_1)))
    invoice = doc_id(INVOICE)[:10]
    run(home, "show", invoice)
    run(home, "get", invoice, "-o", str(base / "copy.pdf"))
    run(home, "fields", invoice, "--set", "total_amount=123.45")
    run(home, "ingest", str(inbox(base / "batch-2", BATCH_2)))
    run(home, "show", invoice)
    assert "Checkpoint 3: 0 documents sealed, audit log anchored, signed." in run(home, "seal").stdout
    return home


@pytest.fixture
def copy(sealed, tmp_path) -> Path:
    """A copy of the sealed archive to damage."""
    home = tmp_path / "archive"
    shutil.copytree(sealed, home)
    return home


def audit_seq(home: Path, event: str, doc: str | None = None) -> int:
    """The seq of the first audit entry of ``event`` (about ``doc``)."""
    with catalog(home) as db:
        for seq, raw in db.execute("SELECT seq, entry FROM audit ORDER BY seq"):
            entry = json.loads(bytes(raw))
            if entry["event"] == event and (doc is None or doc in entry["docs"]):
                return seq
    raise AssertionError(f"no {event} entry")


def committed_head(home: Path, checkpoint: int) -> int:
    with catalog(home) as db:
        return db.execute("SELECT audit_seq FROM checkpoints WHERE number = ?", (checkpoint,)).fetchone()[0]


def verify_fails(home: Path, *expected: str) -> str:
    """`sigillo verify` exits 1 and prints every ``expected`` line (each "FAIL  <subject>: <check>: <detail…>")."""
    out = run(home, "verify", expect=1).output
    for line in expected:
        assert line in out, f"{line!r} not in:\n{out}"
    assert "check(s) FAILED" in out
    return out


def label(name: str) -> str:
    """How verify names a document: its id prefix and its file name."""
    return f"document {doc_id(name)[:12]} ({name})"


# -- the genuine archive ------------------------------------------------------------------------------------------


def test_the_genuine_archive_passes(copy):
    rows = checkpoint_list(copy)
    assert [(r["number"], r["tree_size"], r["status"]) for r in rows] == [
        (1, 3, "timestamped"), (2, 2, "timestamped"), (3, 0, "timestamped")]
    out = run(copy, "verify").output
    assert "All checks passed: 5 documents" in out and "3 checkpoints" in out
    assert "FAIL" not in out and "warn" not in out
    report = json.loads(run(copy, "verify", "--json").stdout)
    assert report["ok"] is True and report["failures"] == [] and report["warnings"] == []
    assert report["documents"] == 5 and report["checkpoints"] == 3
    assert report["checks_passed"] == 1 + 3 * 3 + 5 * 2  # the chain; signature, timestamp, tree; bytes, proof


# -- the tamper matrix: one change each, each caught and named ----------------------------------------------------


def tamper_original(home: Path) -> list[str]:
    digest = doc_id(INVOICE)
    flip(home / "objects" / digest[:2] / digest[2:], 1000)
    return [f"FAIL  {label(INVOICE)}: bytes: the stored original was changed"]


def tamper_record_name(home: Path) -> list[str]:
    """One byte of the file name inside a seal record: the record is no longer the leaf the checkpoint signed."""
    with catalog(home) as db:
        record = bytearray(db.execute("SELECT record FROM seals WHERE doc_id = ?", (doc_id(INVOICE),)).fetchone()[0])
        record[bytes(record).index(b"invoice-en-01") + 2] ^= 0x01
        db.execute("UPDATE seals SET record = ? WHERE doc_id = ?", (bytes(record), doc_id(INVOICE)))
    return [f"FAIL  {label(INVOICE)}: proof: its seal record is not in checkpoint 1's tree",
            "FAIL  checkpoint 1: tree: its root does not match its documents' seal records"]


def tamper_record_hash(home: Path) -> list[str]:
    """One hex digit of the sha256 inside a seal record: the record names other bytes."""
    digest = doc_id(INVOICE)
    with catalog(home) as db:
        record = bytes(db.execute("SELECT record FROM seals WHERE doc_id = ?", (digest,)).fetchone()[0])
        at = record.index(b'"sha256":"') + len(b'"sha256":"') + 5
        record = record[:at] + (b"0" if record[at : at + 1] != b"0" else b"1") + record[at + 1 :]
        db.execute("UPDATE seals SET record = ? WHERE doc_id = ?", (record, digest))
    return [f"FAIL  {label(INVOICE)}: seal record: its seal record names other bytes",
            f"FAIL  {label(INVOICE)}: proof: its seal record is not in checkpoint 1's tree"]


def _edit_proof(home: Path, name: str, line_prefix: str) -> None:
    digest = doc_id(name)
    with catalog(home) as db:
        lines = db.execute("SELECT proof FROM seals WHERE doc_id = ?", (digest,)).fetchone()[0].split("\n")
        n = next(i for i, line in enumerate(lines) if line.startswith(line_prefix))
        at = len(line_prefix) + 7
        lines[n] = lines[n][:at] + ("0" if lines[n][at] != "0" else "1") + lines[n][at + 1 :]
        db.execute("UPDATE seals SET proof = ? WHERE doc_id = ?", ("\n".join(lines), digest))


def tamper_proof_path(home: Path) -> list[str]:
    """One hex digit of a sibling hash in an inclusion proof."""
    _edit_proof(home, INVOICE, "L ")
    return [f"FAIL  {label(INVOICE)}: proof: its seal record is not in checkpoint 1's tree"]


def tamper_proof_root(home: Path) -> list[str]:
    """One hex digit of the root a proof names: it is no longer a proof for the checkpoint."""
    _edit_proof(home, "dunning-en-03.pdf", "root ")
    return [f"FAIL  {label('dunning-en-03.pdf')}: proof: its inclusion proof is not for its place in checkpoint 1"]


def tamper_checkpoint_text(home: Path) -> list[str]:
    """One digit of the creation time in checkpoint 1's text: the hash, the signature and the token all break."""
    body = home / "seals" / "000001" / "checkpoint.txt"
    flip(body, body.read_bytes().index(b"\ncreated ") + 20)  # a digit of the time: still a digit
    return ["FAIL  checkpoint 1: text: ",  # the path, then:
            "seals/000001/checkpoint.txt was changed: it no longer matches its recorded hash",
            "FAIL  checkpoint 1: signature: checkpoint.txt.p7s: the signed content has changed",
            "FAIL  checkpoint 1: timestamp: checkpoint.txt.tsr: The token's messageImprint",
            "FAIL  checkpoint 2: chain: it does not name the hash of the checkpoint before it"]


def tamper_signature(home: Path) -> list[str]:
    """One byte inside the ECDSA signature value of checkpoint 1's CMS signature."""
    p7s = home / "seals" / "000001" / "checkpoint.txt.p7s"
    data = p7s.read_bytes()
    value = cms.ContentInfo.load(data)["content"]["signer_infos"][0]["signature"].contents
    flip(p7s, offset_of(data, value) + len(value) // 2)
    return ["FAIL  checkpoint 1: signature: checkpoint.txt.p7s: the signature value does not verify"]


def tamper_token_signature(home: Path) -> list[str]:
    """One byte inside the TSA's signature value in checkpoint 2's RFC 3161 token."""
    tsr = home / "seals" / "000002" / "checkpoint.txt.tsr"
    data = tsr.read_bytes()
    value = tsp.TimeStampResp.load(data)["time_stamp_token"]["content"]["signer_infos"][0]["signature"].contents
    flip(tsr, offset_of(data, value) + len(value) // 2)
    return ["FAIL  checkpoint 2: timestamp: checkpoint.txt.tsr: "]


def tamper_token_time(home: Path) -> list[str]:
    """One digit of the genTime inside checkpoint 1's token (the TSTInfo the TSA signed)."""
    tsr = home / "seals" / "000001" / "checkpoint.txt.tsr"
    data = tsr.read_bytes()
    content = tsp.TimeStampResp.load(data)["time_stamp_token"]["content"]["encap_content_info"]["content"]
    gen_time = tsp.TSTInfo.load(content.contents)["gen_time"]
    flip(tsr, offset_of(data, gen_time.dump()) + 2 + 10)  # YYYYMMDDHHMMSSZ: the tens of minutes
    return ["FAIL  checkpoint 1: timestamp: checkpoint.txt.tsr: "]


def tamper_audit_byte(home: Path) -> list[str]:
    """One byte of the `correct` entry: the new value of the corrected field."""
    seq = audit_seq(home, "correct")
    with catalog(home) as db:
        drop_audit_guards(db)
        raw = bytes(db.execute("SELECT entry FROM audit WHERE seq = ?", (seq,)).fetchone()[0])
        raw = raw.replace(b'"new":"123.45"', b'"new":"123.44"')
        db.execute("UPDATE audit SET entry = ? WHERE seq = ?", (raw, seq))
    return [f"FAIL  audit log: chain: entry {seq} was changed: its bytes no longer match its hash"]


def tamper_audit_delete(home: Path) -> list[str]:
    """The `get` entry deleted: nobody fetched the original, says the log."""
    seq = audit_seq(home, "get")
    with catalog(home) as db:
        drop_audit_guards(db)
        db.execute("DELETE FROM audit WHERE seq = ?", (seq,))
    return [f"FAIL  audit log: chain: entry {seq} is missing (the next one is {seq + 1})"]


def tamper_audit_swap(home: Path) -> list[str]:
    """The `show` and `get` entries swapped (entry and hash together, so each still matches its hash)."""
    first, second = audit_seq(home, "show"), audit_seq(home, "get")
    with catalog(home) as db:
        drop_audit_guards(db)
        a = db.execute("SELECT entry, hash FROM audit WHERE seq = ?", (first,)).fetchone()
        b = db.execute("SELECT entry, hash FROM audit WHERE seq = ?", (second,)).fetchone()
        db.execute("UPDATE audit SET entry = ?, hash = ? WHERE seq = ?", (*b, first))
        db.execute("UPDATE audit SET entry = ?, hash = ? WHERE seq = ?", (*a, second))
    return [f"FAIL  audit log: chain: entry {first} says it is entry {second}",
            f"FAIL  audit log: chain: entry {second} says it is entry {first}"]


def tamper_audit_cut(home: Path) -> list[str]:
    """The log cut short: the last entries deleted, up to and including the head checkpoint 3 commits to. The
    chain that is left is intact: only the checkpoint shows what is missing."""
    head = committed_head(home, 3)
    with catalog(home) as db:
        drop_audit_guards(db)
        db.execute("DELETE FROM audit WHERE seq >= ?", (head,))
    return [f"FAIL  checkpoint 3: audit head: it commits to audit entry {head}, which is no longer in the log"]


def tamper_audit_rewrite(home: Path) -> list[str]:
    """The `get` entry rewritten to blame someone else, and every entry after it re-hashed and re-linked: a
    self-consistent chain. Checkpoints 2 and 3 committed to heads after that entry, and still name the old ones."""
    changed = audit_seq(home, "get")
    with catalog(home) as db:
        drop_audit_guards(db)
        chain = bytes(32)
        for seq, raw in db.execute("SELECT seq, entry FROM audit ORDER BY seq").fetchall():
            entry = json.loads(bytes(raw))
            if seq == changed:
                entry["user"] = "someone-else"
            raw = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
            digest = hashlib.sha256(raw).digest()
            chain = hashlib.sha256(chain + digest).digest()
            db.execute("UPDATE audit SET entry = ?, hash = ?, chain = ? WHERE seq = ?",
                       (raw, digest.hex(), chain.hex(), seq))
    assert committed_head(home, 1) < changed < committed_head(home, 2)
    return [f"FAIL  checkpoint {n}: audit head: audit entry {committed_head(home, n)} is not the one it commits to "
            "(the log was rewritten)" for n in (2, 3)]


TAMPERS: dict[str, Callable[[Path], list[str]]] = {
    "stored original": tamper_original,
    "seal record (file name)": tamper_record_name,
    "seal record (hash)": tamper_record_hash,
    "proof (sibling hash)": tamper_proof_path,
    "proof (root)": tamper_proof_root,
    "checkpoint text": tamper_checkpoint_text,
    "checkpoint signature": tamper_signature,
    "token signature": tamper_token_signature,
    "token genTime": tamper_token_time,
    "audit entry byte": tamper_audit_byte,
    "audit entry deleted": tamper_audit_delete,
    "audit entries reordered": tamper_audit_swap,
    "audit log cut short": tamper_audit_cut,
    "audit chain rewritten": tamper_audit_rewrite,
}


@pytest.mark.parametrize("what", list(TAMPERS))
def test_verify_catches_and_names_every_tampering(copy, what):
    expected = TAMPERS[what](copy)
    out = verify_fails(copy, *expected)
    if what in ("audit log cut short", "audit chain rewritten"):
        assert "audit log: chain" not in out, "the chain left is self-consistent: only the checkpoints can tell"
    if what == "audit chain rewritten":
        assert "FAIL  checkpoint 1: audit head" not in out, "checkpoint 1 committed to a head before the change"
    if what in ("stored original", "proof (sibling hash)", "proof (root)", "checkpoint signature"):
        assert out.count("FAIL  ") == 1, out  # only what was touched is named


def test_verify_json_lists_each_failure_with_subject_check_and_detail(copy):
    seq = audit_seq(copy, "get")
    tamper_original(copy)
    tamper_audit_delete(copy)
    result = run(copy, "verify", "--json", expect=1)
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["documents"] == 5 and report["checkpoints"] == 3
    assert {(f["subject"], f["check"]) for f in report["failures"]} >= {
        (label(INVOICE), "bytes"), ("audit log", "chain")}
    for failure in report["failures"]:
        assert failure["level"] == "fail" and failure["detail"]
    assert any(f["detail"] == f"entry {seq} is missing (the next one is {seq + 1})" for f in report["failures"])


def test_verify_of_one_document_names_only_its_damage(copy):
    tamper_original(copy)
    other = doc_id("contract-en-01.pdf")
    assert "All checks passed: 1 documents" in run(copy, "verify", other[:8]).output
    verify_fails(copy, f"FAIL  {label(INVOICE)}: bytes")


def _embedded_certificate(data: bytes, certificates) -> tuple[int, int]:
    """Where the signer's certificate (the first one not self-issued, else the only one) sits in ``data``."""
    chosen = [c.chosen for c in certificates]
    signer = next((c for c in chosen if c.subject != c.issuer), chosen[0])
    start = offset_of(data, signer.dump())
    return start, start + len(signer.dump())


def test_a_damaged_certificate_inside_the_signature_is_a_failure_not_a_crash(copy):
    p7s = copy / "seals" / "000001" / "checkpoint.txt.p7s"
    data = p7s.read_bytes()
    start, end = _embedded_certificate(data, cms.ContentInfo.load(data)["content"]["certificates"])
    # one byte: the OID of the certificate's second extension made the same as its first one's
    oids = [m.start() for m in re.finditer(rb"\x06\x03\x55\x1d", data[start:end])]
    assert len(oids) >= 2
    first, second = start + oids[0] + 4, start + oids[1] + 4
    flip(p7s, second, data[first] ^ data[second])
    result = invoke(copy, "verify")
    assert result.exit_code == 1, result.output
    assert "FAIL  checkpoint 1: signature: " in result.output


def test_a_damaged_certificate_inside_the_token_is_a_failure_not_a_crash(copy):
    tsr = copy / "seals" / "000001" / "checkpoint.txt.tsr"
    data = tsr.read_bytes()
    token = tsp.TimeStampResp.load(data)["time_stamp_token"]["content"]
    start, _ = _embedded_certificate(data, token["certificates"])
    version = data.index(b"\xa0\x03\x02\x01\x02", start) + 4  # X.509 v3 (2) -> "v4" (3): one byte
    flip(tsr, version)
    result = invoke(copy, "verify")
    assert result.exit_code == 1, result.output
    assert "FAIL  checkpoint 1: timestamp: " in result.output


# -- the TSA: unreachable, then openssl over HTTP -----------------------------------------------------------------


def test_with_the_tsa_unreachable_ingest_keeps_and_indexes_everything_and_seal_completes_later(
    tmp_path, pki, openssl_server
):
    home = tmp_path / "archive"
    run(home, "init")
    dead = closed_port_url()
    set_tsa(home, dead, pki.ca_file)
    ingest = run(home, "ingest", str(inbox(tmp_path / "in", BATCH_1)))
    assert ingest.stdout.count("new  ") == 3 and "3 files: 3 new" in ingest.stdout
    assert "Sealed 3 documents in checkpoint 1 (signed)." in ingest.stdout
    assert "timestamp is pending" in ingest.stderr and f"{dead} could not be reached" in ingest.stderr
    assert "sigillo seal" in ingest.stderr

    # every document is catalogued, searchable, and signed; only the timestamp waits
    found = json.loads(run(home, "search", "*", "--json", "--limit", "10").stdout)
    assert {r["id"] for r in found["results"]} == {doc_id(n) for n in BATCH_1}
    for name, word in zip(BATCH_1, ("confidentiality", "Northgate", "Emiliana"), strict=True):
        hits = json.loads(run(home, "search", word, "--json").stdout)["results"]
        assert [r["id"] for r in hits] == [doc_id(name)], word
    for name in BATCH_1:
        shown = json.loads(run(home, "show", doc_id(name)[:10], "--json", "--no-text").stdout)
        assert shown["indexed"] is True and shown["seal"]["checkpoint"] == 1 and shown["seal"]["status"] == "pending"
    (row,) = checkpoint_list(home)
    assert row["status"] == "pending" and row["gen_time"] is None and "could not be reached" in row["last_error"]
    pending = run(home, "verify")
    assert "warn  checkpoint 1: timestamp: pending" in pending.output and "All checks passed" in pending.output

    # the shows and the verify since are anchored in a checkpoint 2, which waits for its timestamp too
    failed = run(home, "seal", expect=11)
    assert "Checkpoint 2: 0 documents sealed, audit log anchored, signed." in failed.stdout
    assert re.search(r"^Error: checkpoints 1, 2 still have no timestamp: .* could not be reached", failed.stderr,
                     re.MULTILINE), failed.stderr
    assert [row["status"] for row in checkpoint_list(home)] == ["pending", "pending"]

    set_tsa(home, openssl_server.url, pki.ca_file)
    before = datetime.now(UTC).replace(microsecond=0)
    done = run(home, "seal")
    assert "Checkpoint 1: timestamped" in done.stdout and "Checkpoint 2: timestamped" in done.stdout
    assert "Test TSA (not qualified)" in done.stdout
    rows = checkpoint_list(home)
    assert len(rows) == 2 and openssl_server.requests == 2  # one RFC 3161 request per checkpoint
    for row in rows:
        assert row["status"] == "timestamped" and row["tsa"] == openssl_server.url and row["last_error"] is None
        assert "Test TSA" in row["tsa_name"] and row["qualified"] is False
        gen_time = datetime.strptime(row["gen_time"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        assert before - timedelta(seconds=2) <= gen_time <= datetime.now(UTC) + timedelta(seconds=2)
    report = json.loads(run(home, "verify", "--json").stdout)
    assert report["ok"] is True and report["warnings"] == [] and report["documents"] == 3
    assert "All checks passed" in run(home, "verify").output


def test_an_ingest_against_the_openssl_tsa_over_http_is_a_real_rfc3161_exchange(tmp_path, pki, openssl_server):
    home = tmp_path / "archive"
    run(home, "init")
    set_tsa(home, openssl_server.url, pki.ca_file)
    out = run(home, "ingest", str(inbox(tmp_path / "in", BATCH_2))).stdout
    assert "Sealed 2 documents in checkpoint 1 (signed, timestamped" in out and "Test TSA (not qualified)" in out
    assert openssl_server.requests == 1
    folder = home / "seals" / "000001"
    ca = str(pki.ca_file)
    # openssl checks the token over the checkpoint's bytes, and against the request we sent
    for args in (["-data", "checkpoint.txt"], ["-queryfile", "checkpoint.txt.tsq"]):
        done = openssl("ts", "-verify", *args, "-in", "checkpoint.txt.tsr", "-CAfile", ca, cwd=folder, check=False)
        assert done.returncode == 0 and "Verification: OK" in done.stdout, done.stdout + done.stderr
    text = openssl("ts", "-reply", "-in", "checkpoint.txt.tsr", "-text", cwd=folder).stdout
    assert "Status: Granted." in text and "1.3.6.1.4.1.99999.1.1" in text  # the openssl TSA's policy, not ours
    # and the archive's own signature over the same bytes, with the seal certificate as the trust anchor
    done = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", "checkpoint.txt.p7s", "-content",
                   "checkpoint.txt", "-CAfile", str(home / "keys" / "seal.crt"), "-purpose", "any", "-out",
                   os.devnull, cwd=folder, check=False)
    assert done.returncode == 0, done.stderr
    assert "All checks passed: 2 documents" in run(home, "verify").output
    (row,) = checkpoint_list(home)
    assert row["tsa"] == openssl_server.url and row["status"] == "timestamped"


# -- keys ---------------------------------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_encrypted_key_seals_with_its_passphrase_and_waits_without_it(tmp_path):
    home = tmp_path / "archive"
    with_it, without, wrong = ({"SIGILLO_KEY_PASSPHRASE": PASSPHRASE}, {"SIGILLO_KEY_PASSPHRASE": None},
                               {"SIGILLO_KEY_PASSPHRASE": "not the passphrase"})
    assert "encrypted with your passphrase" in run(home, "init", env=with_it).stdout
    for key in (home / "keys" / "seal.key", home / "keys" / "tsa" / "tsa.key"):
        assert key.read_bytes().startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
        assert _mode(key) == 0o600
    for folder in (home / "keys", home / "keys" / "tsa", home / "keys" / "history"):
        assert _mode(folder) == 0o700
    assert json.loads(run(home, "keys", "show", "--json", env=without).stdout)["key_encrypted"] is True

    first = run(home, "ingest", str(CORPUS / INVOICE), env=with_it)
    assert "Sealed 1 document in checkpoint 1 (signed, timestamped" in first.stdout

    # without the passphrase: stored and searchable, not sealed, and said so
    names = ("contract-en-01.pdf", "dunning-en-03.pdf")
    later = run(home, "ingest", str(inbox(tmp_path / "in", names)), env=without)
    assert "2 files: 2 new" in later.stdout and "Sealed" not in later.stdout
    assert "Warning: the batch is stored and searchable but not sealed yet" in later.stderr
    assert "encrypted" in later.stderr and "sigillo seal" in later.stderr
    hits = json.loads(run(home, "search", "*", "--json", env=without).stdout)
    assert {r["id"] for r in hits["results"]} == {doc_id(n) for n in (INVOICE, *names)}
    for name in names:
        assert json.loads(run(home, "show", doc_id(name)[:10], "--json", env=without).stdout)["seal"] is None

    # a wrong passphrase, or none: exit 10, one line saying why, no traceback, nothing sealed
    for env in (wrong, without):
        refused = run(home, "seal", env=env, expect=10)
        errors = [line for line in refused.stderr.splitlines() if line.startswith("Error:")]
        assert errors == ["Error: the archive's seal key is encrypted and no passphrase, or a wrong one, was given"]
        assert refused.stdout == ""
    assert len(checkpoint_list(home)) == 1

    done = run(home, "seal", env=with_it)
    assert "Checkpoint 2: 2 documents sealed" in done.stdout and "Checkpoint 2: timestamped" in done.stdout
    for name in names:
        seal = json.loads(run(home, "show", doc_id(name)[:10], "--json", env=without).stdout)["seal"]
        assert seal["checkpoint"] == 2 and seal["status"] == "timestamped"
    out = run(home, "verify", env=without).output  # verifying needs no key
    assert "All checks passed: 3 documents" in out and "warn" not in out


def test_the_unsealed_batch_warning_names_the_passphrase_variable_as_it_is_spelled(tmp_path):
    home = tmp_path / "archive"
    run(home, "init", env={"SIGILLO_KEY_PASSPHRASE": PASSPHRASE})
    later = run(home, "ingest", str(CORPUS / INVOICE), env={"SIGILLO_KEY_PASSPHRASE": None})
    assert "SIGILLO_KEY_PASSPHRASE" in later.stderr, later.stderr


def _secrets(key_file: Path, passphrase: bytes | None) -> list[str]:
    """What would betray a private key in output: the PEM label, every line of its base64 body, the body as one
    string, and the private scalar in hex."""
    pem = key_file.read_text(encoding="ascii")
    body = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    key = serialization.load_pem_private_key(pem.encode(), passphrase)
    return ["PRIVATE KEY", "".join(body), *(line for line in body if len(line) >= 16),
            f"{key.private_numbers().private_value:064x}"]


@pytest.mark.parametrize("passphrase", [None, PASSPHRASE], ids=["plain key", "encrypted key"])
def test_no_command_ever_prints_a_private_key(tmp_path, passphrase):
    home = tmp_path / "archive"
    env = {"SIGILLO_KEY_PASSPHRASE": passphrase}
    outputs = [run(home, "init", env=env).output]
    outputs.append(run(home, "ingest", str(CORPUS / INVOICE), env=env).output)
    for args in (("keys", "show"), ("keys", "show", "--json"), ("seal",), ("seal", "--list", "--json"),
                 ("show", doc_id(INVOICE)[:8], "--json"), ("verify",), ("verify", "--json"), ("log",),
                 ("log", "--json")):
        outputs.append(run(home, *args, env=env).output)
    secret = passphrase.encode() if passphrase else None
    for key_file in (home / "keys" / "seal.key", home / "keys" / "tsa" / "tsa.key"):
        for needle in _secrets(key_file, secret):
            for out in outputs:
                assert needle not in out
    if passphrase:
        assert all(passphrase not in out for out in outputs)


def test_keys_show_names_the_certificate_as_openssl_sees_it(tmp_path):
    home = tmp_path / "rossi"
    run(home, "init", "--organization", "Rossi Recupero Crediti S.r.l.")
    crt = home / "keys" / "seal.crt"
    fingerprint = openssl("x509", "-noout", "-fingerprint", "-sha256", "-in", str(crt)).stdout.strip()
    fingerprint = fingerprint.split("=", 1)[1]
    subject = openssl("x509", "-noout", "-subject", "-nameopt", "RFC2253", "-in", str(crt)).stdout
    assert "CN=rossi archive seal" in subject
    start = openssl("x509", "-noout", "-startdate", "-in", str(crt)).stdout.strip().split("=", 1)[1]
    end = openssl("x509", "-noout", "-enddate", "-in", str(crt)).stdout.strip().split("=", 1)[1]
    not_before = datetime.strptime(start, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)
    not_after = datetime.strptime(end, "%b %d %H:%M:%S %Y %Z").replace(tzinfo=UTC)

    text = run(home, "keys", "show").stdout
    assert "seal certificate  " in text and "CN=rossi archive seal" in text and "(self-signed)" in text
    assert f"SHA-256          {fingerprint}\n" in text
    assert f"valid            {not_before:%Y-%m-%d} to {not_after:%Y-%m-%d}" in text
    assert "ECDSA P-256, not encrypted" in text and "not a qualified certificate" in text
    assert "the built-in local TSA: NOT qualified" in text

    data = json.loads(run(home, "keys", "show", "--json").stdout)
    seal = data["seal"]
    assert seal["sha256_fingerprint"] == fingerprint
    assert "CN=rossi archive seal" in seal["subject"] and "O=Rossi Recupero Crediti S.r.l." in seal["subject"]
    assert datetime.fromisoformat(seal["not_before"]) == not_before
    assert datetime.fromisoformat(seal["not_after"]) == not_after
    assert seal["self_signed"] is True and seal["qualified_statement"] is False
    assert data["key_encrypted"] is False and data["tsa"] == "local"
    assert "(not qualified)" in data["local_tsa_root"]["subject"]
    assert data["local_tsa_root"]["qualified_statement"] is False


SEAL_EXT = """\
[ seal ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
"""


@pytest.fixture
def seal_ca(tmp_path) -> Path:
    """A test CA, a seal key and certificate it issued, and an unrelated key: made with the openssl CLI."""
    d = tmp_path / "ca"
    d.mkdir()
    (d / "seal.cnf").write_text(SEAL_EXT, encoding="utf-8")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key",
            "-out", "ca.crt", "-days", "3650", "-subj", "/CN=Test Seal CA/O=Throwaway Test", cwd=d)
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "seal.key",
            "-out", "seal.csr", "-subj", "/CN=Rossi Recupero Crediti seal/O=Throwaway Test", cwd=d)
    openssl("x509", "-req", "-in", "seal.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out",
            "seal.crt", "-days", "825", "-extfile", "seal.cnf", "-extensions", "seal", cwd=d)
    openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "other.key", cwd=d)
    return d


def _sha256_hex(fingerprint: str) -> str:
    return fingerprint.replace(":", "").lower()


def test_keys_import_signs_new_checkpoints_and_old_ones_still_verify(tmp_path, seal_ca):
    home = tmp_path / "archive"
    run(home, "init")
    run(home, "ingest", str(CORPUS / INVOICE))
    keys = home / "keys"
    old = json.loads(run(home, "keys", "show", "--json").stdout)["seal"]
    files_before = {p: p.read_bytes() for p in keys.rglob("*") if p.is_file()}
    entries_before = log_entries(home)

    # a key that is not the certificate's: refused, and nothing changes
    refused = run(home, "keys", "import", str(seal_ca / "other.key"), str(seal_ca / "seal.crt"),
                  str(seal_ca / "ca.crt"), expect=10)
    assert "does not belong to the certificate" in refused.stderr
    assert {p: p.read_bytes() for p in keys.rglob("*") if p.is_file()} == files_before
    assert log_entries(home) == entries_before

    out = run(home, "keys", "import", str(seal_ca / "seal.key"), str(seal_ca / "seal.crt"),
              str(seal_ca / "ca.crt")).stdout
    assert "Installed O=Throwaway Test,CN=Rossi Recupero Crediti seal, issued by" in out and "Test Seal CA" in out
    assert _mode(keys / "seal.key") == 0o600
    assert (keys / "history" / f"{_sha256_hex(old['sha256_fingerprint'])}.crt").is_file()
    new = json.loads(run(home, "keys", "show", "--json").stdout)
    assert "Test Seal CA" in new["seal"]["issuer"] and [c["subject"] for c in new["chain"]] == [
        "O=Throwaway Test,CN=Test Seal CA"]
    (change,) = [e["entry"] for e in log_entries(home) if e["entry"]["event"] == "key-change"]
    assert change["old_certificate_sha256"] == _sha256_hex(old["sha256_fingerprint"])
    assert change["new_certificate_sha256"] == _sha256_hex(new["seal"]["sha256_fingerprint"])

    run(home, "ingest", str(CORPUS / "dunning-en-03.pdf"))
    first, second = checkpoint_list(home)[:2]
    assert first["signer_sha256"] == _sha256_hex(old["sha256_fingerprint"])
    assert second["signer_sha256"] == _sha256_hex(new["seal"]["sha256_fingerprint"])
    assert "All checks passed: 2 documents" in run(home, "verify").output
    # openssl agrees: checkpoint 2 chains to the test CA; checkpoint 1 to the kept self-signed certificate
    for number, anchor in ((2, seal_ca / "ca.crt"), (1, keys / "history" / f"{first['signer_sha256']}.crt")):
        folder = home / "seals" / f"{number:06d}"
        done = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", "checkpoint.txt.p7s", "-content",
                       "checkpoint.txt", "-CAfile", str(anchor), "-purpose", "any", "-out", os.devnull, cwd=folder,
                       check=False)
        assert done.returncode == 0, (number, done.stderr)
    done = openssl("cms", "-verify", "-binary", "-inform", "DER", "-in", "checkpoint.txt.p7s", "-content",
                   "checkpoint.txt", "-CAfile", str(seal_ca / "ca.crt"), "-purpose", "any", "-out", os.devnull,
                   cwd=home / "seals" / "000001", check=False)
    assert done.returncode != 0, "checkpoint 1 was signed by the old key, not under the new CA"


# -- the audit log ------------------------------------------------------------------------------------------------


def test_the_audit_log_records_every_action_in_a_hash_chain(tmp_path):
    home = tmp_path / "archive"
    run(home, "init")
    run(home, "ingest", str(inbox(tmp_path / "in", BATCH_1)))
    invoice = doc_id(INVOICE)
    run(home, "show", invoice[:10])
    run(home, "get", invoice[:10], "-o", str(tmp_path / "copy.pdf"))
    run(home, "fields", invoice[:10], "--set", "total_amount=123.45")
    run(home, "verify", invoice[:10])
    entries = log_entries(home)

    events = [e["entry"]["event"] for e in entries]
    assert events[0] == "init"
    assert {"init", "ingest", "seal", "timestamp", "show", "get", "correct", "verify"} <= set(events)
    assert events.count("ingest") == 3
    commands = {e["entry"]["event"]: e["entry"]["command"] for e in entries}
    assert commands["init"] == "sigillo init" and commands["correct"] == "sigillo fields"
    assert commands["get"] == "sigillo get" and commands["timestamp"] == "sigillo ingest"
    for e in entries:
        entry = e["entry"]
        assert entry["user"] == os_user() and entry["host"] == socket.gethostname()
        assert datetime.strptime(entry["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
        assert entry["command"].startswith("sigillo ") and entry["seq"] == e["seq"]
    correct = next(e["entry"] for e in entries if e["entry"]["event"] == "correct")
    assert (correct["field"], correct["new"], correct["docs"]) == ("total_amount", "123.45", [invoice])

    # the chain, recomputed from the exact bytes in the catalog
    with catalog(home) as db:
        rows = [(seq, bytes(raw), digest, chain) for seq, raw, digest, chain in
                db.execute("SELECT seq, entry, hash, chain FROM audit ORDER BY seq")]
    assert [row[0] for row in rows] == list(range(1, len(rows) + 1)) == [e["seq"] for e in entries]
    value = bytes(32)  # chain[k] = SHA-256(chain[k-1] || SHA-256(entry k))
    for (seq, raw, digest, chain), shown in zip(rows, entries, strict=True):
        assert hashlib.sha256(raw).hexdigest() == digest == shown["hash"]
        value = hashlib.sha256(value + bytes.fromhex(digest)).digest()
        assert value.hex() == chain == shown["chain"], f"the chain is wrong at entry {seq}"
        assert json.loads(raw) == shown["entry"] and "prev" not in shown["entry"]

    # --doc: only the entries about that document
    about = log_entries(home, "--doc", invoice[:8])
    assert about == [e for e in entries if invoice in e["entry"]["docs"]]
    assert [e["entry"]["event"] for e in about] == ["ingest", "seal", "show", "get", "correct", "verify"]
    other = log_entries(home, "--doc", doc_id("contract-en-01.pdf")[:8])
    assert [e["entry"]["event"] for e in other] == ["ingest", "seal"]
    assert [e["seq"] for e in log_entries(home, "-n", "2")] == [len(rows) - 1, len(rows)]


def test_a_checkpoint_commits_to_the_audit_head_named_in_its_text(sealed):
    """What the cut-short and rewrite checks stand on: each checkpoint's text names (seq, chain value) of an entry."""
    with catalog(sealed) as db:
        hashes = dict(db.execute("SELECT seq, chain FROM audit"))
    for row in checkpoint_list(sealed):
        text = (sealed / "seals" / f"{row['number']:06d}" / "checkpoint.txt").read_text(encoding="utf-8")
        assert f"\naudit-head {row['audit_seq']} {row['audit_hash']}\n" in text
        assert hashes[row["audit_seq"]] == row["audit_hash"]
        assert base64.b64decode(text.split("\n")[2]).hex() == row["root"]
