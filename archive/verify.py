"""`sigillo verify`: check every integrity claim the archive makes, and name whatever fails.

What is checked, in order:

1. **The audit log**: each entry's bytes against its hash, the chain value after each, numbering without gaps.
2. **Each checkpoint**: its file against the hash the catalog recorded; its text (origin, number, size, root);
   the link to the previous checkpoint; the audit head it commits to, against the log as it is now (so a log
   rewritten, or cut short, before that point is caught); the archive's CMS signature over it; its RFC 3161
   token (status, imprint, signer certificate and EKU, signature, chain to a pinned root); and its Merkle root,
   recomputed from the seal records of its documents.
3. **Each document**: its original's bytes against its SHA-256; its seal record against the catalog (id, hash,
   size); its inclusion proof against its checkpoint's root.

Each check gives a ``Finding``: what was checked, about what, whether it held, and in plain words why not.
A pending timestamp or an unsealed document is reported as a warning, not a failure: nothing is wrong with the
evidence, it is not complete yet.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from signing import cms, merkle
from signing import timestamp as ts
from signing.digest import sha256_file
from signing.errors import SignatureInvalidError, TimestampError

from .audit import GENESIS, check_chain
from .catalog import DocumentRow
from .core import Archive
from .identity import seal_certificates, tsa_trust_roots
from .sealing import CheckpointRow, checkpoint_files, checkpoints, parse_checkpoint

__all__ = ["Finding", "VerifyReport", "verify_archive"]

FAIL, WARN, OK = "fail", "warning", "ok"


@dataclass(frozen=True)
class Finding:
    level: str  # ok | warning | fail
    subject: str  # "audit log", "checkpoint 3", "document 3fa1… (invoice.pdf)"
    check: str  # what was checked: "chain", "signature", "timestamp", "bytes", "proof" …
    detail: str = ""

    def as_json(self) -> dict[str, str]:
        return {"level": self.level, "subject": self.subject, "check": self.check, "detail": self.detail}


@dataclass
class VerifyReport:
    findings: list[Finding] = field(default_factory=list)
    documents: int = 0
    checkpoints: int = 0
    audit_entries: int = 0
    bytes_hashed: int = 0
    seconds: float = 0.0

    def add(self, level: str, subject: str, check: str, detail: str = "") -> None:
        self.findings.append(Finding(level, subject, check, detail))

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.level == FAIL]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == WARN]

    @property
    def ok(self) -> bool:
        return not self.failures

    def by_subject(self) -> list[tuple[str, str, str]]:
        """One line per subject (the audit log, each checkpoint, each document): (subject, worst level, what held)."""
        order: dict[str, list[Finding]] = {}
        for f in self.findings:
            order.setdefault(f.subject, []).append(f)
        lines = []
        for subject, found in order.items():
            level = FAIL if any(f.level == FAIL for f in found) else WARN if any(f.level == WARN for f in found) else OK
            held = ", ".join(f.check + (f" ({f.detail})" if f.detail and f.level == OK else "")
                             for f in found if f.level == OK)
            lines.append((subject, level, held or "-"))
        return lines

    def as_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "documents": self.documents,
            "checkpoints": self.checkpoints,
            "audit_entries": self.audit_entries,
            "bytes_hashed": self.bytes_hashed,
            "seconds": round(self.seconds, 3),
            "failures": [f.as_json() for f in self.failures],
            "warnings": [f.as_json() for f in self.warnings],
            "checks_passed": sum(f.level == OK for f in self.findings),
            "subjects": [{"subject": s, "status": level, "held": held} for s, level, held in self.by_subject()],
        }


def _doc_label(doc: DocumentRow) -> str:
    return f"document {doc.id[:12]} ({doc.original_name})"


def verify_archive(
    archive: Archive, doc_ids: Iterable[str] | None = None, *, progress: Callable[[int], None] | None = None
) -> VerifyReport:
    """Check the audit log, the checkpoints, and the documents (all, or those named)."""
    started = time.perf_counter()
    report = VerifyReport()
    catalog = archive.catalog
    hashes = _check_audit(archive, report)
    rows = checkpoints(catalog)
    roots = _check_checkpoints(archive, rows, hashes, report)
    ids = list(doc_ids) if doc_ids is not None else catalog.all_ids()
    docs = catalog.documents(ids) if ids else {}
    for n, doc_id in enumerate(ids, start=1):
        _check_document(archive, docs[doc_id], roots, report)
        if progress:
            progress(n)
    if doc_ids is None:
        known = set(ids)
        for name in archive.store:
            if name not in known:
                report.add(WARN, f"object {name[:12]}", "catalogued",
                           "stored but not in the catalog (left by an interrupted ingest; the next ingest adopts it)")
    report.documents = len(ids)
    report.seconds = time.perf_counter() - started
    return report


def _check_audit(archive: Archive, report: VerifyReport) -> dict[int, str]:
    problems, head, hashes = check_chain(archive.audit.iter_all())
    report.audit_entries = len(hashes)
    for p in problems:
        report.add(FAIL, "audit log", "chain", p.message)
    if not problems:
        report.add(OK, "audit log", "chain", f"{len(hashes)} entries, head {head[0]}")
    return hashes


def _check_checkpoints(
    archive: Archive, rows: list[CheckpointRow], audit_hashes: dict[int, str], report: VerifyReport
) -> dict[int, tuple[bytes, int]]:
    """Check every checkpoint; returns number -> (root, tree size) for those whose root can be trusted."""
    layout, catalog = archive.layout, archive.catalog
    certs = seal_certificates(archive.keys)
    tsa_roots = tsa_trust_roots(archive.keys, archive.settings)
    roots: dict[int, tuple[bytes, int]] = {}
    prev_sha = GENESIS
    expected = 1
    for row in rows:
        report.checkpoints += 1
        subject = f"checkpoint {row.number}"
        if row.number != expected:
            report.add(FAIL, subject, "sequence", f"checkpoint {expected} is missing from the catalog")
        expected = row.number + 1
        files = checkpoint_files(layout, row.number)
        try:
            body = files["body"].read_bytes()
            signature = files["p7s"].read_bytes()
        except OSError as exc:
            report.add(FAIL, subject, "files", f"{exc.filename} cannot be read: {exc.strerror}")
            prev_sha = row.sha256
            continue
        actual_sha = hashlib.sha256(body).hexdigest()
        if actual_sha != row.sha256:
            report.add(FAIL, subject, "text", f"{files['body']} was changed: it no longer matches its recorded hash")
        try:
            parsed = parse_checkpoint(body)
        except ValueError as exc:
            report.add(FAIL, subject, "text", f"{files['body']} is not a valid checkpoint: {exc}")
            prev_sha = actual_sha
            continue
        if parsed.origin != f"sigillo/{catalog.archive_id}" or parsed.number != row.number:
            report.add(FAIL, subject, "text", "it names another archive or another checkpoint number")
        if parsed.prev_sha256 != prev_sha:
            report.add(FAIL, subject, "chain", "it does not name the hash of the checkpoint before it")
        prev_sha = actual_sha
        # the audit head it commits to must still be in the log, unchanged
        if parsed.audit_seq > 0:
            now = audit_hashes.get(parsed.audit_seq)
            if now is None:
                report.add(FAIL, subject, "audit head",
                           f"it commits to audit entry {parsed.audit_seq}, which is no longer in the log "
                           "(the log was cut short or entries were deleted)")
            elif now != parsed.audit_hash:
                report.add(FAIL, subject, "audit head",
                           f"audit entry {parsed.audit_seq} is not the one it commits to (the log was rewritten)")
        # the archive's signature
        cert = certs.get(row.signer_sha256)
        if cert is None:
            report.add(FAIL, subject, "signature", "the certificate that signed it is not among the archive's")
        else:
            try:
                info = cms.verify_detached(body, signature, [cert])
                if info.signer_sha256 != row.signer_sha256:
                    report.add(FAIL, subject, "signature", f"{files['p7s'].name}: the certificate inside it is not "
                               "byte for byte the archive's certificate that signed it")
                else:
                    report.add(OK, subject, "signature")
            except SignatureInvalidError as exc:
                report.add(FAIL, subject, "signature", f"{files['p7s'].name}: {exc}")
        # the timestamp
        if row.status == "timestamped":
            try:
                info = ts.check_token_over(hashlib.sha256(body).digest(), files["tsr"].read_bytes(), tsa_roots)
                report.add(OK, subject, "timestamp", f"{info.gen_time:%Y-%m-%dT%H:%M:%SZ} by {info.signer_subject}")
            except OSError as exc:
                report.add(FAIL, subject, "timestamp", f"{exc.filename} cannot be read: {exc.strerror}")
            except TimestampError as exc:
                report.add(FAIL, subject, "timestamp", f"{files['tsr'].name}: {exc}")
        else:
            report.add(WARN, subject, "timestamp", "pending: run `sigillo seal` when the TSA can be reached")
        # the Merkle root, from the documents' seal records
        records = catalog.db.execute(
            "SELECT leaf_index, record FROM seals WHERE checkpoint = ? ORDER BY leaf_index", (row.number,)
        ).fetchall()
        leaves = [merkle.leaf_hash(bytes(r["record"])) for r in records]
        indexes = [r["leaf_index"] for r in records]
        if indexes != list(range(len(records))) or len(records) != parsed.tree_size:
            report.add(FAIL, subject, "tree", f"it seals {parsed.tree_size} documents, the catalog lists "
                       f"{len(records)} seals for it")
        elif merkle.root_from_leaf_hashes(leaves) != parsed.root:
            report.add(FAIL, subject, "tree", "its root does not match its documents' seal records")
        else:
            report.add(OK, subject, "tree", f"{parsed.tree_size} documents")
        if parsed.root.hex() == row.root:
            roots[row.number] = (parsed.root, parsed.tree_size)
        else:
            report.add(FAIL, subject, "tree", "its root differs from the one recorded in the catalog")
    return roots


def _check_document(
    archive: Archive, doc: DocumentRow, roots: dict[int, tuple[bytes, int]], report: VerifyReport
) -> None:
    subject = _doc_label(doc)
    path = archive.store.path(doc.id)
    try:
        actual, size = sha256_file(path)
        report.bytes_hashed += size
        if actual != doc.id:
            report.add(FAIL, subject, "bytes", f"the stored original was changed: it now hashes to {actual[:12]}…")
        elif size != doc.size:
            report.add(FAIL, subject, "bytes", f"the stored original has {size} bytes, not {doc.size}")
        else:
            report.add(OK, subject, "bytes")
    except OSError as exc:
        report.add(FAIL, subject, "bytes", f"the stored original cannot be read: {exc.strerror or exc}")
    seal = archive.seal_of(doc.id)
    if seal is None:
        report.add(WARN, subject, "seal", "not sealed yet: run `sigillo seal`")
        return
    record = _record(seal.record)
    if record is None:
        report.add(FAIL, subject, "seal record", "its seal record is not valid JSON")
    elif (record.get("sha256"), record.get("doc_id"), record.get("size")) != (doc.id, doc.id, doc.size):
        report.add(FAIL, subject, "seal record", "its seal record names other bytes (hash, id or size differ)")
    try:
        proof = merkle.parse_proof(seal.proof)
    except ValueError as exc:
        report.add(FAIL, subject, "proof", f"its inclusion proof is malformed: {exc}")
        return
    # RFC 9162 hashing does not bind the tree size: a proof must name the checkpoint's root AND size.
    head = roots.get(seal.checkpoint)
    if head is None:
        report.add(FAIL, subject, "proof", f"its checkpoint {seal.checkpoint} is missing or failed its own checks")
        return
    if proof.leaf_index != seal.leaf_index or (proof.root, proof.tree_size) != head:
        report.add(FAIL, subject, "proof", f"its inclusion proof is not for its place in checkpoint {seal.checkpoint}")
    elif not merkle.verify_inclusion(
        proof.leaf_index, proof.tree_size, merkle.leaf_hash(seal.record), proof.path, proof.root
    ):
        report.add(FAIL, subject, "proof", f"its seal record is not in checkpoint {seal.checkpoint}'s tree")
    else:
        report.add(OK, subject, "proof", f"checkpoint {seal.checkpoint}")


def _record(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
