"""`sigillo verify-bundle`: check an evidence bundle (docs/bundle-format.md) with no archive at hand.

The checks are verify.sh's, in our own code (``signing.cms``, ``signing.timestamp``, ``signing.merkle``,
``signing.chain``), with two differences: every check runs (a failure does not stop the others), so that each
file at fault is named; and the layout is checked strictly: any file the format does not define is a failure.

1. **Fixity** (BagIt): bagit.txt, bag-info.txt (format version, Payload-Oxum, Document-Count), every manifest
   line against its file, nothing missing, nothing unlisted, no links, no path outside the bag.
2. **Trust anchors**: each certificate file named after its SHA-256; the seal certificates and TSA roots used are
   the bundle's copies, or those given (``--seal-cert``, ``--tsa-root``), which is what pinning means.
3. **Checkpoints**: signature (CMS, detached) and RFC 3161 token over each checkpoint.txt; the chain of
   consecutive checkpoints.
4. **Documents**: each original against its seal record (SHA-256, size, id, archive); the inclusion proof from
   the seal record's exact bytes to the root and size of the checkpoint document.json names.
5. **Audit excerpt**: entries and chain against the audit head of the checkpoint head.txt names.
6. **The bundle's own seal**: signature and token over tagmanifest-sha256.txt.

A zip is extracted by ``archive.safezip`` into a temporary folder first (refused with UnsafeBundleError, exit 12,
when it is hostile or damaged), and the folder is deleted afterwards.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from asn1crypto import cms as asn1_cms
from asn1crypto import tsp as asn1_tsp
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization

from signing import chain as audit_chain
from signing import cms, merkle
from signing import timestamp as ts
from signing.errors import SignatureInvalidError, TimestampError
from signing.keys import why_not_issued_by

from .errors import SigilloError
from .sealing import parse_checkpoint
from .verify import FAIL, OK, WARN, VerifyReport

__all__ = ["Anchor", "BundleVerifyReport", "verify_bundle", "verify_bundle_folder"]

TAG_FILES = (
    "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "tagmanifest-sha256.txt.p7s",
    "tagmanifest-sha256.txt.tsr", "REPORT.pdf", "REPORT.html", "VERIFY.txt", "verify.sh", "tools/merkle.py",
    "tools/chain.py",
)
UNLISTED = ("tagmanifest-sha256.txt", "tagmanifest-sha256.txt.p7s", "tagmanifest-sha256.txt.tsr")
DOC_FILES = ("seal-record.json", "inclusion-proof.txt", "document.json", "fields.json", "text.txt")
BAGIT_TXT = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
_LINE = re.compile(r"([0-9a-f]{64})  (.+)")
_DOC_DIR = re.compile(r"([0-9]+)-([0-9a-f]{12})")
_DATA_FILE = re.compile(
    r"data/(?:documents/[^/]+/(?:seal-record\.json|inclusion-proof\.txt|document\.json|fields\.json|text\.txt"
    r"|original/[^/]+)|checkpoints/[0-9]{6}/checkpoint\.txt(?:\.p7s|\.tsr)?"
    r"|certificates/(?:seal|tsa-root)-[0-9a-f]{64}\.pem|audit/(?:head\.txt|chain\.txt|entries\.jsonl))"
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class Anchor:
    kind: str  # "seal" | "tsa"
    path: str  # in the bag, or the file given
    fingerprint: str  # AB:CD:…
    subject: str


@dataclass
class BundleVerifyReport(VerifyReport):
    """``sigillo verify``'s report, plus what a bundle says about itself."""

    bundle_id: str = ""
    exported_at: str = ""
    archive_id: str = ""
    archive_name: str = ""
    gen_time: str | None = None  # the bundle's own timestamp
    anchors: list[Anchor] = field(default_factory=list)
    pinned: bool = False  # trust anchors given on the command line

    def as_json(self) -> dict[str, Any]:
        out = super().as_json()
        out.update({
            "bundle_id": self.bundle_id, "exported_at": self.exported_at, "archive_id": self.archive_id,
            "archive_name": self.archive_name, "bundle_timestamp": self.gen_time, "pinned_anchors": self.pinned,
            "trust_anchors": [a.__dict__ for a in self.anchors],
        })
        return out


def verify_bundle(path: Path, *, seal_cert: Path | None = None, tsa_root: Path | None = None) -> BundleVerifyReport:
    """Check the bundle at ``path``: a bag folder, or a zip of one (extracted safely into a temporary folder)."""
    path = Path(path)
    if path.is_dir():
        return verify_bundle_folder(path, seal_cert=seal_cert, tsa_root=tsa_root)
    from .safezip import extract_zip

    tmp = Path(tempfile.mkdtemp(prefix="sigillo-bundle-"))
    try:
        extract_zip(path, tmp)
        entries = os.listdir(tmp)
        if "bagit.txt" in entries or len(entries) != 1 or not (tmp / entries[0]).is_dir():
            root = tmp  # not one folder: checked as is, and reported (RFC 8493 §4.2 wants one base folder)
            report = verify_bundle_folder(root, seal_cert=seal_cert, tsa_root=tsa_root)
            report.add(FAIL, path.name, "serialization", "the zip does not hold exactly one bag folder")
            return report
        return verify_bundle_folder(tmp / entries[0], seal_cert=seal_cert, tsa_root=tsa_root)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def verify_bundle_folder(
    root: Path, *, seal_cert: Path | None = None, tsa_root: Path | None = None
) -> BundleVerifyReport:
    started = time.perf_counter()
    report = BundleVerifyReport()
    _Check(Path(root), report, seal_cert, tsa_root).run()
    report.seconds = time.perf_counter() - started
    return report


def _sha256_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _load_pems(data: bytes) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(data)


def _fingerprint(cert: x509.Certificate) -> str:
    return ":".join(f"{b:02X}" for b in cert.fingerprint(hashes.SHA256()))


@dataclass
class _CheckpointState:
    root: bytes
    size: int
    sha256: str
    audit_seq: int
    audit_hash: str
    problem: str | None  # why it cannot be trusted, or None


class _Check:
    def __init__(self, root: Path, report: BundleVerifyReport, seal_cert: Path | None, tsa_root: Path | None) -> None:
        self.root = root
        self.report = report
        self.seal_cert = seal_cert
        self.tsa_root = tsa_root
        self.files: set[str] = set()
        self.hashed: dict[str, tuple[str, int]] = {}  # rel -> (sha256, size), each file read once
        self.seal_roots: list[x509.Certificate] = []
        self.tsa_roots: list[bytes] = []
        self.tsa_certs: list[x509.Certificate] = []
        self.checkpoints: dict[int, _CheckpointState] = {}
        self.info: dict[str, str] = {}

    # -- helpers -------------------------------------------------------------------------------------------------
    def fail(self, subject: str, check: str, detail: str) -> None:
        self.report.add(FAIL, subject, check, detail)

    def ok(self, subject: str, check: str, detail: str = "") -> None:
        self.report.add(OK, subject, check, detail)

    def read(self, rel: str, check: str) -> bytes | None:
        if rel not in self.files:
            self.fail(rel, check, "missing")
            return None
        try:
            return (self.root / rel).read_bytes()
        except OSError as exc:
            self.fail(rel, check, f"cannot be read ({exc.strerror})")
            return None

    def sha256(self, rel: str) -> tuple[str, int]:
        if rel not in self.hashed:
            self.hashed[rel] = _sha256_file(self.root / rel)
            self.report.bytes_hashed += self.hashed[rel][1]
        return self.hashed[rel]

    def run(self) -> None:
        self.walk()
        self.fixity()
        self.anchors()
        self.check_checkpoints()
        self.check_documents()
        self.check_audit()
        self.check_bundle_seal()
        self.check_tools()

    # -- 1. fixity and layout ------------------------------------------------------------------------------------
    def walk(self) -> None:
        """Every regular file under the bag, by its path relative to it; anything else is a failure."""
        for folder, dirs, names in os.walk(self.root):
            for name in sorted(dirs + names):
                path = Path(folder) / name
                rel = path.relative_to(self.root).as_posix()
                mode = os.lstat(path).st_mode
                if stat.S_ISDIR(mode):
                    continue
                if not stat.S_ISREG(mode):
                    kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
                    self.fail(rel, "layout", f"is {kind}: a bundle holds regular files only")
                    continue
                self.files.add(rel)

    def _manifest(self, name: str, payload: bool) -> dict[str, str]:
        data = self.read(name, "fixity")
        if data is None:
            return {}
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            self.fail(name, "fixity", "is not UTF-8 text")
            return {}
        entries: dict[str, str] = {}
        for n, line in enumerate(text.split("\n"), start=1):
            if line == "" and n == text.count("\n") + 1:
                continue
            match = _LINE.fullmatch(line)
            if not match:
                self.fail(name, "fixity", f"line {n} is not '<sha256>  <path>'")
                continue
            digest, rel = match.groups()
            parts = rel.split("/")
            if rel.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in rel or "%" in rel:
                self.fail(name, "fixity", f"line {n} names a path that is not plain: {rel!r}")
                continue
            if payload != rel.startswith("data/") or (not payload and rel in UNLISTED):
                self.fail(name, "fixity", f"line {n} lists {rel}, which this manifest must not list")
                continue
            if rel in entries:
                self.fail(name, "fixity", f"lists {rel} twice")
                continue
            entries[rel] = digest
        return entries

    def fixity(self) -> None:
        bagit = self.read("bagit.txt", "bagit")
        if bagit is not None and bagit != BAGIT_TXT:
            self.fail("bagit.txt", "bagit", "is not 'BagIt-Version: 1.0' / 'Tag-File-Character-Encoding: UTF-8'")
        info = self.read("bag-info.txt", "bag-info")
        if info is not None:
            for line in info.decode("utf-8", errors="replace").splitlines():
                label, sep, value = line.partition(":")
                if sep:
                    self.info.setdefault(label.strip(), value.strip())
            if self.info.get("Bundle-Format-Version") != "1":
                self.fail("bag-info.txt", "bag-info",
                          f"Bundle-Format-Version is {self.info.get('Bundle-Format-Version')!r}: this Sigillo checks "
                          "version 1")
        self.report.bundle_id = self.info.get("External-Identifier", "")
        self.report.exported_at = self.info.get("Bagging-Time", "")
        self.report.archive_id = self.info.get("Sigillo-Archive-Id", "")
        self.report.archive_name = self.info.get("Sigillo-Archive-Name", "")
        payload = self._manifest("manifest-sha256.txt", payload=True)
        tags = self._manifest("tagmanifest-sha256.txt", payload=False)
        changed = 0
        for rel, digest in [*payload.items(), *tags.items()]:
            if rel not in self.files:
                self.fail(rel, "fixity", "is listed in the manifest but missing (removed or renamed)")
                changed += 1
                continue
            actual = self.sha256(rel)[0]
            if actual != digest:
                self.fail(rel, "fixity", "does not match its manifest line: it was changed")
                changed += 1
        for rel in sorted(self.files):
            if rel not in payload and rel not in tags and rel not in UNLISTED:
                self.fail(rel, "fixity", "is in no manifest: it was added")
                changed += 1
            elif not _DATA_FILE.fullmatch(rel) and rel not in TAG_FILES:
                self.fail(rel, "layout", "is not a file of the bundle format (added or renamed?)")
        for rel in TAG_FILES:
            if rel not in self.files:
                self.fail(rel, "layout", "is missing")
        data_files = [rel for rel in self.files if rel.startswith("data/")]
        oxum = f"{sum((self.root / rel).stat().st_size for rel in data_files)}.{len(data_files)}"
        if self.info.get("Payload-Oxum") != oxum:
            self.fail("bag-info.txt", "fixity",
                      f"Payload-Oxum says {self.info.get('Payload-Oxum')}, data/ holds {oxum} (bytes.files)")
        if not changed and payload:
            self.ok("manifests", "fixity", f"{len(payload)} payload and {len(tags)} tag files")

    # -- 2. trust anchors ----------------------------------------------------------------------------------------
    def anchors(self) -> None:
        seal: list[x509.Certificate] = []
        tsa: list[x509.Certificate] = []
        for rel in sorted(r for r in self.files if r.startswith("data/certificates/")):
            name = rel.rsplit("/", 1)[1]
            match = re.fullmatch(r"(seal|tsa-root)-([0-9a-f]{64})\.pem", name)
            if not match:
                continue  # reported by fixity as not part of the format
            try:
                certs = _load_pems((self.root / rel).read_bytes())
            except (OSError, ValueError) as exc:
                self.fail(rel, "certificate", f"is not a PEM certificate ({exc})")
                continue
            if not certs or certs[0].fingerprint(hashes.SHA256()).hex() != match.group(2):
                self.fail(rel, "certificate", "its name does not match its SHA-256 fingerprint")
                continue
            kind = "seal" if match.group(1) == "seal" else "tsa"
            (seal if kind == "seal" else tsa).extend(certs if kind == "seal" else certs[:1])
            self.report.anchors.append(Anchor(kind, rel, _fingerprint(certs[0]), certs[0].subject.rfc4514_string()))
        for given, kind, bucket in ((self.seal_cert, "seal", seal), (self.tsa_root, "tsa", tsa)):
            if given is None:
                continue
            try:
                certs = _load_pems(Path(given).read_bytes())
            except (OSError, ValueError) as exc:
                raise SigilloError(f"{given} is not a PEM certificate ({exc})",
                                   hint="give the certificate you obtained independently, in PEM") from None
            if not certs:
                raise SigilloError(f"{given} holds no certificate")
            bucket[:] = certs
            self.report.pinned = True
            self.report.anchors.append(Anchor(kind, str(given), _fingerprint(certs[0]),
                                              certs[0].subject.rfc4514_string() + " (given, pinned)"))
        if not seal:
            self.fail("data/certificates/", "certificate", "holds no seal certificate (seal-<sha256>.pem)")
        if not tsa:
            self.fail("data/certificates/", "certificate", "holds no TSA root (tsa-root-<sha256>.pem)")
        self.seal_roots = seal
        self.tsa_certs = tsa
        self.tsa_roots = [c.public_bytes(serialization.Encoding.DER) for c in tsa]

    def _token(self, subject: str, data: bytes, rel: str, meaning: str = "") -> ts.TokenInfo | None:
        """The token in ``rel`` over ``data``, checked; None when it is absent (the caller says so) or fails."""
        if rel not in self.files:
            return None
        token = self.read(rel, "timestamp")
        if token is None or not self.tsa_roots:
            return None
        try:
            info = ts.check_token_over(hashlib.sha256(data).digest(), token, self.tsa_roots)
        except TimestampError as exc:
            self.fail(rel, "timestamp", f"{meaning}{exc}")
            return None
        problem = _unsigned_parts_problem(token, True, info.signer_sha256, self.tsa_certs)
        if problem:
            self.fail(rel, "timestamp", f"{meaning}{problem}")
            return None
        self.ok(subject, "timestamp", f"{_utc(info.gen_time)} by {info.tsa_name or info.signer_subject}")
        return info

    def _signature(self, subject: str, data: bytes, rel: str, moment: datetime | None, meaning: str = "") -> bool:
        signature = self.read(rel, "signature")
        if signature is None or not self.seal_roots:
            return False
        try:
            info = cms.verify_detached(data, signature, list(self.seal_roots), moment=moment)
        except SignatureInvalidError as exc:
            self.fail(rel, "signature", f"{meaning}{exc}")
            return False
        problem = _unsigned_parts_problem(signature, False, info.signer_sha256, self.seal_roots)
        if problem:
            self.fail(rel, "signature", f"{meaning}{problem}")
            return False
        self.ok(subject, "signature")
        return True

    # -- 3. checkpoints ------------------------------------------------------------------------------------------
    def check_checkpoints(self) -> None:
        folders = sorted({rel.split("/")[2] for rel in self.files if rel.startswith("data/checkpoints/")})
        archive = self.info.get("Sigillo-Archive-Id", "")
        previous: tuple[int, str] | None = None
        for name in folders:
            folder = f"data/checkpoints/{name}"
            rel = f"{folder}/checkpoint.txt"
            self.report.checkpoints += 1
            body = self.read(rel, "checkpoint")
            if body is None:
                continue
            sha = hashlib.sha256(body).hexdigest()
            try:
                parsed = parse_checkpoint(body)
            except ValueError as exc:
                self.fail(rel, "checkpoint", f"is not a valid checkpoint: {exc}")
                continue
            problem = None
            if name != f"{parsed.number:06d}":
                problem = f"the folder is not named after checkpoint {parsed.number}"
                self.fail(rel, "checkpoint", problem)
            if parsed.origin != f"sigillo/{archive}":
                problem = f"it is a checkpoint of {parsed.origin}, not of archive {archive}"
                self.fail(rel, "checkpoint", problem)
            info = self._token(rel, body, f"{rel}.tsr")
            if f"{rel}.tsr" not in self.files:
                problem = "it has no timestamp (it was pending when the bundle was exported)"
                self.fail(f"{rel}.tsr", "timestamp", f"missing: checkpoint {parsed.number} had no timestamp when the "
                          "bundle was exported (pending), so nothing proves when it existed")
            elif info is None:
                problem = "its timestamp does not verify"
            if not self._signature(rel, body, f"{rel}.p7s", info.gen_time if info else None):
                problem = problem or "its signature does not verify"
            if previous is not None and parsed.number == previous[0] + 1 and parsed.prev_sha256 != previous[1]:
                problem = problem or "it does not name the checkpoint before it"
                self.fail(rel, "chain", f"it does not name the SHA-256 of checkpoint {previous[0]}, the one before it")
            previous = (parsed.number, sha)
            self.checkpoints[parsed.number] = _CheckpointState(
                parsed.root, parsed.tree_size, sha, parsed.audit_seq, parsed.audit_hash, problem)
        if not folders:
            self.fail("data/checkpoints/", "checkpoint", "holds no checkpoint")

    # -- 4. documents --------------------------------------------------------------------------------------------
    def check_documents(self) -> None:
        folders = sorted({rel.split("/")[2] for rel in self.files if rel.startswith("data/documents/")})
        archive = self.info.get("Sigillo-Archive-Id", "")
        for name in folders:
            self.report.documents += 1
            self._document(f"data/documents/{name}", name, archive)
        count = self.info.get("Document-Count")
        if count != str(len(folders)):
            self.fail("bag-info.txt", "bag-info", f"Document-Count says {count}, data/documents/ holds {len(folders)}")
        if not folders:
            self.fail("data/documents/", "document", "holds no document")

    def _document(self, folder: str, name: str, archive: str) -> None:
        match = _DOC_DIR.fullmatch(name)
        originals = sorted(r for r in self.files if r.startswith(f"{folder}/original/"))
        missing = [part for part in DOC_FILES if f"{folder}/{part}" not in self.files]
        for part in missing:
            self.fail(f"{folder}/{part}", "document", "missing")
        if len(originals) != 1:
            self.fail(f"{folder}/original/", "document", f"must hold exactly one file, holds {len(originals)}")
        meta_raw = self.read(f"{folder}/document.json", "document") if "document.json" not in missing else None
        meta = _json_object(meta_raw)
        if meta_raw is not None and meta is None:
            self.fail(f"{folder}/document.json", "document", "is not a JSON object")
        number = meta.get("checkpoint") if meta else None
        named = meta.get("file") if meta else None
        if isinstance(named, str) and f"{folder}/{named}" not in self.files:
            self.fail(f"{folder}/{named}", "document", "missing (document.json names it): the original was removed "
                      "or renamed")
        if meta is not None and number is None:
            self.fail(f"{folder}/document.json", "seal",
                      "names no checkpoint: the document was not sealed when the bundle was exported")
        record = self.read(f"{folder}/seal-record.json", "seal record") if "seal-record.json" not in missing else None
        fields = _json_object(record)
        if record is not None and fields is None:
            self.fail(f"{folder}/seal-record.json", "seal record", "is not a JSON object")
        if len(originals) == 1:
            original = originals[0]
            actual, size = self.sha256(original)
            if fields is not None:
                if fields.get("sha256") != actual or fields.get("doc_id") != actual:
                    self.fail(original, "bytes", f"its SHA-256 is {actual}, its seal record names "
                              f"{fields.get('sha256')}: the original was changed or replaced")
                elif fields.get("size") != size:
                    self.fail(original, "bytes", f"it has {size} bytes, its seal record says {fields.get('size')}")
                else:
                    self.ok(folder, "bytes")
        claimed = fields.get("sha256") if fields is not None else None
        if isinstance(claimed, str):  # the metadata must agree with the seal record (the original is checked above)
            if not match or match.group(2) != claimed[:12]:
                self.fail(folder, "document", "the folder is not named <number>-<first 12 digits of the SHA-256 "
                          "its seal record names>")
            if meta is not None and (meta.get("sha256") != claimed or meta.get("size") != fields.get("size")):
                self.fail(f"{folder}/document.json", "document", "names another SHA-256 or size than its seal record")
        if fields is not None and fields.get("archive") != archive:
            self.fail(f"{folder}/seal-record.json", "seal record", f"names another archive than {archive}")
        proof_raw = None if "inclusion-proof.txt" in missing else self.read(f"{folder}/inclusion-proof.txt", "proof")
        if record is None or proof_raw is None or not isinstance(number, int):
            return
        try:
            proof = merkle.parse_proof(proof_raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            self.fail(f"{folder}/inclusion-proof.txt", "proof", f"is malformed: {exc}")
            return
        state = self.checkpoints.get(number)
        if state is None:
            self.fail(f"{folder}/document.json", "proof", f"names checkpoint {number}, which is not in the bundle")
            return
        if state.problem:
            self.fail(folder, "proof", f"its checkpoint {number} cannot be trusted: {state.problem}")
            return
        if (proof.root, proof.tree_size) != (state.root, state.size):
            self.fail(f"{folder}/inclusion-proof.txt", "proof",
                      f"its root and tree size are not those of checkpoint {number}")
        elif meta is not None and meta.get("leaf_index") != proof.leaf_index:
            self.fail(f"{folder}/document.json", "proof", "names another leaf index than its inclusion proof")
        elif not proof.verify(merkle.leaf_hash(record)):
            self.fail(f"{folder}/inclusion-proof.txt", "proof",
                      f"the seal record is not leaf {proof.leaf_index} of checkpoint {number}'s tree")
        else:
            self.ok(folder, "proof", f"checkpoint {number}")

    # -- 5. audit excerpt ----------------------------------------------------------------------------------------
    def check_audit(self) -> None:
        head_raw = self.read("data/audit/head.txt", "audit")
        chain_raw = self.read("data/audit/chain.txt", "audit")
        entries_raw = self.read("data/audit/entries.jsonl", "audit")
        if head_raw is None or chain_raw is None or entries_raw is None:
            return
        parts = head_raw.decode("utf-8", errors="replace").split()
        if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or head_raw.count(b"\n") > 1:
            self.fail("data/audit/head.txt", "audit", "is not '<checkpoint> <seq> <chain value>'")
            return
        number, seq, value = int(parts[0]), int(parts[1]), parts[2]
        state = self.checkpoints.get(number)
        if state is None:
            self.fail("data/audit/head.txt", "audit", f"names checkpoint {number}, which is not in the bundle")
            return
        if (state.audit_seq, state.audit_hash) != (seq, value):
            self.fail("data/audit/head.txt", "audit", f"checkpoint {number} does not commit to entry {seq} with that "
                      "chain value")
            return
        if state.problem:
            self.fail("data/audit/head.txt", "audit", f"its checkpoint {number} cannot be trusted: {state.problem}")
        try:
            start, before, links = audit_chain.parse_chain_file(chain_raw.decode("utf-8"))
            head = (seq, bytes.fromhex(value))
        except (UnicodeDecodeError, ValueError) as exc:
            self.fail("data/audit/chain.txt", "audit", f"is malformed: {exc}")
            return
        entries: dict[int, bytes] = {}
        for n, line in enumerate(entries_raw.decode("utf-8", errors="replace").split("\n"), start=1):
            if not line.strip():
                continue
            item = _json_object(line.encode("utf-8"))
            if item is None or not isinstance(item.get("entry"), str) or type(item.get("seq")) is not int:
                self.fail("data/audit/entries.jsonl", "audit", f"line {n} is not {{\"seq\": k, \"entry\": \"…\"}}")
                return
            if item["seq"] in entries:
                self.fail("data/audit/entries.jsonl", "audit", f"entry {item['seq']} appears twice")
                return
            entries[item["seq"]] = item["entry"].encode("utf-8")
        problem = audit_chain.check_excerpt(start, before, links, entries, head)
        self.report.audit_entries = len(entries)
        if problem:
            self.fail("data/audit/entries.jsonl", "audit", problem)
        else:
            self.ok("data/audit/", "audit", f"{len(entries)} entries under checkpoint {number}'s audit head {seq}")

    # -- 6. the bundle's own seal --------------------------------------------------------------------------------
    def check_bundle_seal(self) -> None:
        rel = "tagmanifest-sha256.txt"
        data = (self.root / rel).read_bytes() if rel in self.files else None
        if data is None:
            return  # reported by fixity
        if f"{rel}.p7s" not in self.files:
            self.fail(f"{rel}.p7s", "bundle seal", "missing: the bundle is not sealed by the archive")
        if f"{rel}.tsr" not in self.files:
            self.fail(f"{rel}.tsr", "bundle seal", "missing: the bundle was not timestamped when it was exported")
        info = self._token("the bundle", data, f"{rel}.tsr", "the timestamp over the tag manifest does not hold: ")
        if info is not None:
            self.report.gen_time = _utc(info.gen_time)
        if f"{rel}.p7s" in self.files:
            self._signature("the bundle", data, f"{rel}.p7s", info.gen_time if info else None,
                            "the archive's signature over the tag manifest does not hold: a file of the bundle was "
                            "changed, added, removed or renamed after export (and the manifests recomputed), or it "
                            "is not signed by the trusted seal certificate: ")

    def check_tools(self) -> None:
        ours = resources.files("signing")
        for rel, name in (("tools/merkle.py", "merkle.py"), ("tools/chain.py", "chain.py")):
            if rel in self.files and (self.root / rel).read_bytes() != ours.joinpath(name).read_bytes():
                self.report.add(WARN, rel, "tools", f"differs from this Sigillo's signing/{name}: read it before "
                                "relying on verify.sh (the checks here do not use it)")


def _signed_data(der: bytes, token: bool) -> Any | None:
    """The SignedData of a CMS signature (or of a TimeStampResp's token), or None when it cannot be read (its
    cryptographic check says why)."""
    try:
        if token:
            return asn1_tsp.TimeStampResp.load(der)["time_stamp_token"]["content"]
        return asn1_cms.ContentInfo.load(der)["content"]
    except (ValueError, TypeError, KeyError):
        return None


def _unsigned_parts_problem(der: bytes, token: bool, signer_sha256: str, trusted: list[x509.Certificate]) -> str | None:
    """Why the parts of a signature (or token) that its signature does not cover are not as the signer made them.

    A CMS SignedData carries, outside what is signed, a list of digest algorithms and certificates. They are the
    bytes an attacker can change without breaking the signature (and a bundle's own seal files are covered by no
    manifest). So: the digest algorithms must be exactly those of its signers; every certificate it carries must be
    a trusted one byte for byte, its signer's, or the issuer of one of those (its chain); and a certificate with
    the name and key of a trusted one must be that one, byte for byte.
    """
    signed = _signed_data(der, token)
    if signed is None:
        return None
    try:
        listed = {a["algorithm"].dotted for a in signed["digest_algorithms"]}
        used = {si["digest_algorithm"]["algorithm"].dotted for si in signed["signer_infos"]}
        carried = [c.chosen.dump() for c in (signed["certificates"] or [])]
    except (ValueError, TypeError, KeyError):
        return "it is not well-formed DER"
    if listed != used:
        return "its list of digest algorithms is not that of its signer (it was changed after signing)"
    ders = {t.public_bytes(serialization.Encoding.DER) for t in trusted}
    certs: list[tuple[bytes, x509.Certificate]] = []
    for raw in carried:
        try:
            certs.append((raw, x509.load_der_x509_certificate(raw)))
        except ValueError:
            return "it carries a damaged certificate"
    for raw, cert in certs:
        if raw not in ders and any(cert.subject == t.subject and cert.public_key() == t.public_key() for t in trusted):
            return ("it carries a copy of a trusted certificate that is not, byte for byte, the one in "
                    "data/certificates/ (the file was changed after it was made)")
    allowed = [cert for raw, cert in certs if raw in ders or hashlib.sha256(raw).hexdigest() == signer_sha256]
    rest = [cert for raw, cert in certs if cert not in allowed]
    grew = True
    while rest and grew:
        grew = False
        for cert in list(rest):
            if any(why_not_issued_by(child, cert) is None for child in allowed):
                allowed.append(cert)
                rest.remove(cert)
                grew = True
    if rest:
        return (f"it carries a certificate that is neither trusted nor on its signer's chain "
                f"({rest[0].subject.rfc4514_string()}): the file was changed after it was made")
    return None


def _json_object(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
