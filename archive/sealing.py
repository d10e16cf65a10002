"""Sealing: seal records, Merkle checkpoints signed by the archive and timestamped by a TSA.

At the end of every ingest (and on `sigillo seal`), the documents not yet sealed get one **seal record** each:
canonical JSON bytes, stored verbatim and never re-serialised::

    {"archive":"<archive id>","batch_id":"…","doc_id":"<sha256>","file_name":"invoice.pdf",
     "ingested_at_archive_clock":"2026-11-23T09:14:03.120044Z","media_type":"application/pdf",
     "sha256":"<sha256>","size":48211,"v":1}

The records are the leaves of an RFC 9162 Merkle tree; its root goes into a small text **checkpoint**
(``seals/<n>/checkpoint.txt``), which names the previous checkpoint's hash and the audit log's head, is signed by
the archive's key (detached CMS, ``checkpoint.txt.p7s``) and timestamped by a TSA (RFC 3161, one request per
checkpoint whatever its size: ``checkpoint.txt.tsq`` and ``.tsr``). Each document keeps its inclusion proof.

Checkpoint text (UTF-8, LF; the first three lines are a C2SP-style tree head)::

    sigillo/<archive id>
    <tree size>
    <root, base64>
    archive-name <name>
    checkpoint <n>
    batch <ingest batch id, or "-" when made by `sigillo seal`>
    prev-checkpoint-sha256 <hex of checkpoint n-1's checkpoint.txt; 64 zeros for the first>
    audit-head <seq> <hex chain value after that audit entry (see audit.py)>
    created <UTC time> (archive clock)

Order of work, so that a crash at any point leaves nothing half-done: the files are written first (atomically,
read-only), then one catalog transaction records the checkpoint, every document's seal and the audit entry. Files
of a checkpoint with no catalog row are leftovers of a crash and are rewritten by the next run. The timestamp comes
after: a TSA that cannot be reached leaves the checkpoint "pending" — every document is already stored, indexed
and signed — and `sigillo seal` asks again later.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from signing import cms, merkle
from signing import timestamp as ts
from signing.errors import TimestampError, TSAUnavailableError

from .audit import GENESIS, AuditLog, canonical_json
from .catalog import Catalog, DocumentRow
from .config import Layout, Settings
from .errors import NotFoundError
from .identity import KeyFiles, tsa_trust_roots

__all__ = [
    "CHECKPOINT_FILE",
    "CheckpointRow",
    "SealOutcome",
    "SealRow",
    "checkpoint_files",
    "make_checkpoint",
    "parse_checkpoint",
    "seal_record",
    "timestamp_pending",
]

CHECKPOINT_FILE = "checkpoint.txt"
FILE_MODE = 0o400
RECORD_VERSION = 1


@dataclass(frozen=True)
class CheckpointRow:
    number: int
    batch_id: str | None
    created_at: str
    tree_size: int
    root: str
    sha256: str
    audit_seq: int
    audit_hash: str
    signer_sha256: str
    status: str
    tsa: str | None
    tsa_name: str | None
    gen_time: str | None
    qualified: bool | None
    last_error: str | None


@dataclass(frozen=True)
class SealRow:
    """One document's seal: its record (verbatim bytes), where it sits in which checkpoint, and its proof."""

    doc_id: str
    checkpoint: int
    leaf_index: int
    record: bytes
    proof: str


def seal_row(catalog: Catalog, doc_id: str) -> SealRow | None:
    row = catalog.db.execute("SELECT * FROM seals WHERE doc_id = ?", (doc_id,)).fetchone()
    if row is None:
        return None
    return SealRow(row["doc_id"], row["checkpoint"], row["leaf_index"], bytes(row["record"]), row["proof"])


def checkpoint_row(catalog: Catalog, number: int) -> CheckpointRow:
    row = catalog.db.execute("SELECT * FROM checkpoints WHERE number = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"there is no checkpoint {number}", hint="list them with `sigillo seal --list`")
    return _row(row)


@dataclass(frozen=True)
class SealOutcome:
    """What one sealing run did."""

    checkpoint: CheckpointRow | None  # the checkpoint made now, if any
    sealed: int  # documents it seals
    timestamped: list[int]  # checkpoints that received their timestamp now
    pending: list[tuple[int, str]]  # checkpoints still without one, and why


def checkpoint_files(layout: Layout, number: int) -> dict[str, Path]:
    folder = layout.seals / f"{number:06d}"
    body = folder / CHECKPOINT_FILE
    return {
        "folder": folder,
        "body": body,
        "p7s": body.with_name(CHECKPOINT_FILE + ".p7s"),
        "tsq": body.with_name(CHECKPOINT_FILE + ".tsq"),
        "tsr": body.with_name(CHECKPOINT_FILE + ".tsr"),
    }


def seal_record(archive_id: str, doc: DocumentRow) -> bytes:
    """The seal record of ``doc``: the exact bytes that become its Merkle leaf."""
    return canonical_json(
        {
            "v": RECORD_VERSION,
            "archive": archive_id,
            "doc_id": doc.id,
            "sha256": doc.id,
            "size": doc.size,
            "file_name": doc.original_name,
            "media_type": doc.media_type,
            "ingested_at_archive_clock": doc.ingested_at,
            "batch_id": doc.batch_id,
        }
    )


def checkpoint_body(
    *,
    archive_id: str,
    name: str,
    number: int,
    batch_id: str | None,
    tree_size: int,
    root: bytes,
    prev_sha256: str,
    audit_head: tuple[int, str],
    created: str,
) -> bytes:
    lines = [
        f"sigillo/{archive_id}",
        str(tree_size),
        base64.b64encode(root).decode("ascii"),
        f"archive-name {' '.join(name.split()) or '-'}",
        f"checkpoint {number}",
        f"batch {batch_id or '-'}",
        f"prev-checkpoint-sha256 {prev_sha256}",
        f"audit-head {audit_head[0]} {audit_head[1]}",
        f"created {created} (archive clock)",
    ]
    return ("\n".join(lines) + "\n").encode("utf-8")


@dataclass(frozen=True)
class ParsedCheckpoint:
    origin: str
    tree_size: int
    root: bytes
    number: int
    prev_sha256: str
    audit_seq: int
    audit_hash: str


def parse_checkpoint(body: bytes) -> ParsedCheckpoint:
    """Read a checkpoint's text. Raises ValueError naming what is malformed."""
    try:
        lines = body.decode("utf-8").split("\n")
    except UnicodeDecodeError as exc:
        raise ValueError("it is not UTF-8 text") from exc
    if len(lines) < 9 or lines[-1] != "":
        raise ValueError("it does not have the nine lines of a checkpoint")
    ext = {}
    for line in lines[3:-1]:
        key, _, value = line.partition(" ")
        ext[key] = value
    try:
        root = base64.b64decode(lines[2], validate=True)
        audit_seq, audit_hash = ext["audit-head"].split(" ")
        parsed = ParsedCheckpoint(
            origin=lines[0],
            tree_size=int(lines[1]),
            root=root,
            number=int(ext["checkpoint"]),
            prev_sha256=ext["prev-checkpoint-sha256"],
            audit_seq=int(audit_seq),
            audit_hash=audit_hash,
        )
    except (KeyError, ValueError) as exc:
        raise ValueError(f"a line is missing or malformed ({exc})") from exc
    if len(parsed.root) != 32:
        raise ValueError("its root is not a SHA-256 hash")
    return parsed


def _write_once(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp, fsync, rename) and make it read-only."""
    tmp = path.with_name(path.name + ".tmp")
    # A run killed between the chmod and the rename below leaves a read-only temp file (in a folder whose checkpoint
    # row may exist: the timestamp files come after it). Opening it for writing would fail for anyone but root, and
    # every later timestamp attempt with it: remove it first.
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, FILE_MODE)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def last_checkpoint(catalog: Catalog) -> CheckpointRow | None:
    row = catalog.db.execute("SELECT * FROM checkpoints ORDER BY number DESC LIMIT 1").fetchone()
    return _row(row) if row else None


def checkpoints(catalog: Catalog, status: str | None = None) -> list[CheckpointRow]:
    if status:
        rows = catalog.db.execute("SELECT * FROM checkpoints WHERE status = ? ORDER BY number", (status,))
    else:
        rows = catalog.db.execute("SELECT * FROM checkpoints ORDER BY number")
    return [_row(r) for r in rows]


def _row(row: object) -> CheckpointRow:
    data = dict(row)  # type: ignore[call-overload]
    data["qualified"] = None if data["qualified"] is None else bool(data["qualified"])
    return CheckpointRow(**data)


def make_checkpoint(
    layout: Layout,
    catalog: Catalog,
    audit: AuditLog,
    *,
    archive_id: str,
    name: str,
    batch_id: str | None,
    passphrase: bytes | None,
    clock: Callable[[], str],
    anchor_audit: bool = False,
) -> tuple[CheckpointRow | None, int]:
    """Seal every document that has no seal yet into a new checkpoint, signed by the archive key.

    A checkpoint is made when documents wait for their seal, or, with ``anchor_audit``, when the audit log has
    entries since the last checkpoint other than the sealing's own: a checkpoint of no documents then commits the
    log's head, so that those entries are protected too. Returns the new checkpoint (or None) and the number of
    documents it seals. Raises KeyProblemError when the seal key cannot be used (the documents then stay
    unsealed, not lost).
    """
    docs = catalog.unsealed_documents()
    previous = last_checkpoint(catalog)
    head = audit.head()
    if not docs and not (anchor_audit and audit.unanchored(previous.audit_seq if previous else 0)):
        return None, 0
    identity = KeyFiles.of(layout).seal(passphrase)
    records = [seal_record(archive_id, d) for d in docs]
    leaves = [merkle.leaf_hash(r) for r in records]
    root = merkle.root_from_leaf_hashes(leaves)
    paths = merkle.all_inclusion_paths(leaves) if leaves else []
    number = (previous.number if previous else 0) + 1
    created = clock()
    body = checkpoint_body(
        archive_id=archive_id,
        name=name,
        number=number,
        batch_id=batch_id,
        tree_size=len(records),
        root=root,
        prev_sha256=previous.sha256 if previous else GENESIS,
        audit_head=head,
        created=created,
    )
    signature = cms.sign_detached(body, identity.key, identity.cert, identity.chain)
    files = checkpoint_files(layout, number)
    if files["folder"].exists():  # left by a run that died before its catalog row: never referenced, rewrite
        shutil.rmtree(files["folder"])
    layout.seals.mkdir(mode=0o700, exist_ok=True)
    files["folder"].mkdir(mode=0o700)
    _write_once(files["body"], body)
    _write_once(files["p7s"], signature)
    from signing.keys import describe_certificate

    signer = describe_certificate(identity.cert).sha256_hex
    digest = hashlib.sha256(body).hexdigest()
    with catalog.transaction() as db:
        db.execute(
            "INSERT INTO checkpoints (number, batch_id, created_at, tree_size, root, sha256, audit_seq, audit_hash,"
            " signer_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (number, batch_id, created, len(records), root.hex(), digest, head[0], head[1], signer),
        )
        db.executemany(
            "INSERT INTO seals (doc_id, checkpoint, leaf_index, record, proof) VALUES (?, ?, ?, ?, ?)",
            [
                (doc.id, number, i, records[i], merkle.format_proof(i, len(records), root, paths[i]))
                for i, doc in enumerate(docs)
            ],
        )
        audit.append(
            "seal",
            [d.id for d in docs],
            checkpoint=number,
            tree_size=len(records),
            root=root.hex(),
            checkpoint_sha256=digest,
        )
    return last_checkpoint(catalog), len(records)


def tsa_client(layout: Layout, settings: Settings, passphrase: bytes | None) -> tuple[str, ts.TSAClient]:
    """The TSA to ask: ("local", LocalTSA) by default, or (url, HttpTSA) when ``tsa_url`` is set."""
    if not settings.tsa_url:
        return "local", KeyFiles.of(layout).local_tsa(passphrase)  # type: ignore[return-value]
    return settings.tsa_url, ts.HttpTSA(
        settings.tsa_url,
        ca_bundle=settings.tsa_ca_bundle or None,
        username=settings.tsa_username or None,
        password=os.environ.get("SIGILLO_TSA_PASSWORD") or None,
        timeout=settings.tsa_timeout,
        retries=settings.tsa_retries,
    )


def timestamp_pending(
    layout: Layout, catalog: Catalog, audit: AuditLog, settings: Settings, passphrase: bytes | None
) -> tuple[list[int], list[tuple[int, str]]]:
    """Ask the TSA for a timestamp on every pending checkpoint. Returns (timestamped now, still pending + why).

    Every token is checked before it is stored (status, imprint, nonce, signer certificate and its EKU, signature,
    chain to a pinned root); a token that fails is not stored, and the checkpoint stays pending with the reason.
    """
    pending = checkpoints(catalog, "pending")
    if not pending:
        return [], []
    files = KeyFiles.of(layout)
    done: list[int] = []
    failed: list[tuple[int, str]] = []
    try:
        label, client = tsa_client(layout, settings, passphrase)
        roots = tsa_trust_roots(files, settings)
    except Exception as exc:  # a locked TSA key or an unreadable trust file: say why, keep everything pending
        reason = str(exc)
        _note_errors(catalog, pending, reason)
        return [], [(c.number, reason) for c in pending]
    for row in pending:
        paths = checkpoint_files(layout, row.number)
        body = paths["body"].read_bytes()
        request = ts.build_request(hashlib.sha256(body).digest())
        try:
            response = client.stamp(request)
            info = ts.check_response(response, request, roots)
        except (TSAUnavailableError, TimestampError) as exc:
            reason = str(exc)
            _note_errors(catalog, [row], reason)
            failed.append((row.number, reason))
            if isinstance(exc, TSAUnavailableError):  # the next ones would wait for the same dead TSA
                rest = [c for c in pending if c.number > row.number]
                _note_errors(catalog, rest, reason)
                failed += [(c.number, reason) for c in rest]
                break
            continue
        _write_once(paths["tsq"], request.der)
        _write_once(paths["tsr"], response)
        gen_time = info.gen_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        with catalog.transaction() as db:
            db.execute(
                "UPDATE checkpoints SET status = 'timestamped', tsa = ?, tsa_name = ?, gen_time = ?, qualified = ?,"
                " last_error = NULL WHERE number = ?",
                (label, info.tsa_name or info.signer_subject, gen_time, int(info.qualified), row.number),
            )
            audit.append(
                "timestamp",
                checkpoint=row.number,
                tsa=label,
                tsa_name=info.tsa_name or info.signer_subject,
                gen_time=gen_time,
                qualified_claim=info.qualified,
            )
        done.append(row.number)
    return done, failed


def _note_errors(catalog: Catalog, rows: Sequence[CheckpointRow], reason: str) -> None:
    with catalog.transaction() as db:
        db.executemany("UPDATE checkpoints SET last_error = ? WHERE number = ?", [(reason, r.number) for r in rows])


def seal_cert_pem(layout: Layout) -> bytes:
    return KeyFiles.of(layout).seal_certificate().public_bytes(serialization.Encoding.PEM)
