"""`sigillo export`: an evidence bundle (docs/bundle-format.md), a BagIt 1.0 bag as a folder or a zip.

What happens, in order:

1. Under the write lock, ``Archive.seal(anchor_audit=True)``: every document is sealed and the audit log is anchored
   under a signed checkpoint (a document still unsealed, or a timestamp still pending afterwards, does not stop the
   export: the report, VERIFY.txt and verify.sh say so, and verify.sh fails on it).
2. The payload (data/) is written: per document its original (copied in chunks straight into the folder or the
   zip, hash checked on the way, never held in memory), seal record (verbatim), inclusion proof, metadata, fields
   and text; the checkpoints involved with their signature and token; the certificates; the audit excerpt (the
   entries about these documents, and the chain to the audit head of the newest checkpoint, checked against it).
3. The tag files: bagit.txt, bag-info.txt, the manifests, REPORT.pdf/html (``archive.report``), VERIFY.txt,
   verify.sh, tools/merkle.py and tools/chain.py (``signing``'s own files, verbatim).
4. The bundle's own seal: the archive's detached CMS signature over tagmanifest-sha256.txt and an RFC 3161 token
   over it, so that nothing can be changed, added, removed or renamed after export, even with the manifests
   recomputed.
5. The bundle is written under a temporary name and renamed into place (never over an existing file); then the
   export is recorded in the audit log.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import shutil
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization

from signing import cms
from signing import timestamp as ts
from signing.errors import TimestampError, TSAUnavailableError
from signing.keys import describe_certificate

from .audit import GENESIS
from .bundle_scripts import VERIFY_SH, ScriptCheckpoint, ScriptDocument, VerifyTextInput, verify_txt
from .catalog import DocumentRow
from .core import Archive, host, os_user
from .errors import IntegrityError, KeyProblemError, NotFoundError, SigilloError
from .fields import effective_fields
from .report import render_html, render_pdf
from .report_model import BundleReport, ReportCheckpoint, ReportDocument
from .sealing import CheckpointRow, checkpoint_files, checkpoint_row, last_checkpoint, parse_checkpoint, seal_row

__all__ = ["FORMAT_VERSION", "ExportResult", "Selection", "export_bundle", "safe_file_name", "select_documents"]

FORMAT_VERSION = 1
CHUNK = 1 << 20
_CHUNK_IDS = 500
_VAT_LIKE = re.compile(r"(?:[A-Z]{2}[0-9A-Z]{8,13}|[0-9]{11})")
_UNSAFE_CHARS = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|%]')
_RESERVED = re.compile(r"(?i)(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?")
_MAX_NAME_BYTES = 150

# The key fields the report shows for each document type (archive.fields names; amounts get their currency).
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "invoice": ("invoice_number", "issue_date", "due_date", "total_amount", "buyer_name"),
    "credit_note": ("invoice_number", "issue_date", "total_amount", "buyer_name"),
    "contract": ("contract_number", "parties", "effective_date"),
    "dunning_letter": ("letter_date", "amount_due", "debtor_name"),
    "receipt": ("issue_date", "total_amount"),
}
_DATE_FIELDS = ("issue_date", "letter_date", "effective_date", "signing_date")


# -- what to export ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Selection:
    """The documents to export, in export order, and how they were chosen (for bag-info and the report)."""

    kind: str  # "documents" | "query" | "case"
    description: str
    doc_ids: list[str]


def _search_ids(archive: Archive, query: str) -> list[str]:
    """Every document matching ``query``, best first (all of them: the limit is the catalog's size)."""
    limit = max(1, archive.catalog.count())
    rows, _total, _parsed = archive.search(query, limit=limit)
    return [row.document.id for row in rows]


def _document_date(archive: Archive, doc: DocumentRow) -> str:
    fields = effective_fields(archive.catalog, doc.id)
    for name in _DATE_FIELDS:
        value = fields[name].value if name in fields else None
        if isinstance(value, str) and value:
            return value
    return doc.ingested_at[:10]


def select_documents(
    archive: Archive, docs: Sequence[str] = (), *, query: str | None = None, case: str | None = None
) -> Selection:
    """Resolve what ``sigillo export`` was asked for. Raises NotFoundError when it selects nothing."""
    if docs:
        ids = list(dict.fromkeys(archive.resolve(d).id for d in docs))
        if len(ids) <= 10:
            text = "documents chosen by id: " + " ".join(ids)
        else:
            text = f"{len(ids)} documents chosen by id (listed in REPORT.pdf)"
        return Selection("documents", text, ids)
    if query is not None:
        ids = _search_ids(archive, query)
        if not ids:
            raise NotFoundError(f"no document matches the query {query!r}",
                                hint="try the query with `sigillo search` first")
        return Selection("query", f"search query: {query}", ids)
    if case is not None:
        name = " ".join(case.replace('"', " ").split())
        if not name:
            raise NotFoundError("the case name is empty", hint="give the debtor's name or VAT id")
        found = dict.fromkeys(_search_ids(archive, f'debtor:"{name}"'))
        compact = re.sub(r"[\s.\-/]", "", name).upper()
        if _VAT_LIKE.fullmatch(compact):
            found.update(dict.fromkeys(_search_ids(archive, f'buyer_vat_id:"{compact}"')))
        if not found:
            raise NotFoundError(f"no document names {name!r} as its buyer or debtor",
                                hint=f"check with `sigillo search 'debtor:\"{name}\"'`")
        rows = archive.catalog.documents(list(found))
        order = sorted(rows.values(), key=lambda d: (_document_date(archive, d), d.ingested_at, d.id))
        what = "VAT id" if _VAT_LIKE.fullmatch(compact) else "name"
        return Selection("case", f'case of debtor "{name}" (documents whose buyer or debtor {what} matches)',
                         [d.id for d in order])
    raise NotFoundError("nothing to export", hint="give document ids, --query or --case")


# -- file names ----------------------------------------------------------------------------------------------------


def safe_file_name(name: str) -> str:
    """The original's name made safe for file systems, zips, manifests and shells' quoting.

    NFC; no path separators, control characters, characters Windows refuses, or '%' (BagIt percent-encodes it in
    manifests, sha256sum would not); no leading or trailing dots and spaces; no Windows device names; at most 150
    bytes of UTF-8 (the extension kept). What is left of nothing is "original".
    """
    text = unicodedata.normalize("NFC", name.replace("\\", "/").rsplit("/", 1)[-1])
    text = _UNSAFE_CHARS.sub("_", text).strip(" .")
    if _RESERVED.fullmatch(text):
        text = "_" + text
    if len(text.encode("utf-8")) > _MAX_NAME_BYTES:
        stem, dot, ext = text.rpartition(".")
        ext = ext if dot and len(ext.encode("utf-8")) <= 16 else ""
        stem = stem if ext else text
        budget = _MAX_NAME_BYTES - len(ext.encode("utf-8")) - (1 if ext else 0)
        stem = stem.encode("utf-8")[:budget].decode("utf-8", errors="ignore").rstrip(" .")
        text = f"{stem}.{ext}" if ext else stem
    return text or "original"


# -- writing a bag, as a folder or into a zip -----------------------------------------------------------------------


class _BagWriter:
    """Writes files of a bag and keeps (sha256, size) of each, payload (data/) and tag files apart."""

    def __init__(self) -> None:
        self.payload: dict[str, tuple[str, int]] = {}
        self.tags: dict[str, tuple[str, int]] = {}

    def _record(self, rel: str, digest: str, size: int) -> None:
        (self.payload if rel.startswith("data/") else self.tags)[rel] = (digest, size)

    def add(self, rel: str, data: bytes, *, mode: int = 0o644) -> str:
        return self.add_chunks(rel, [data], mode=mode, size=len(data))

    def add_chunks(self, rel: str, chunks: Iterable[bytes], *, mode: int = 0o644, size: int | None = None,
                   stored: bool = False) -> str:
        digest = hashlib.sha256()
        total = 0
        with self._open(rel, mode, size, stored) as sink:
            for chunk in chunks:
                digest.update(chunk)
                sink.write(chunk)
                total += len(chunk)
        hex_digest = digest.hexdigest()
        self._record(rel, hex_digest, total)
        return hex_digest

    def _open(self, rel: str, mode: int, size: int | None, stored: bool) -> contextlib.AbstractContextManager[Any]:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class _FolderWriter(_BagWriter):
    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root
        root.mkdir(mode=0o755)

    @contextlib.contextmanager
    def _open(self, rel: str, mode: int, size: int | None, stored: bool) -> Iterator[Any]:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
        with os.fdopen(fd, "wb") as fh:
            yield fh
        os.chmod(path, mode)  # whatever the umask

    def close(self) -> None:
        pass


class _ZipWriter(_BagWriter):
    """Streams each file into the zip as it is produced: nothing is held in memory but one chunk."""

    def __init__(self, path: Path, top: str, when: datetime) -> None:
        super().__init__()
        self.top = top
        self.date_time = when.timetuple()[:6]
        self.zip = zipfile.ZipFile(path, "x", compression=zipfile.ZIP_DEFLATED, allowZip64=True)

    @contextlib.contextmanager
    def _open(self, rel: str, mode: int, size: int | None, stored: bool) -> Iterator[Any]:
        info = zipfile.ZipInfo(f"{self.top}/{rel}", date_time=self.date_time)  # type: ignore[arg-type]
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = (0o100000 | mode) << 16
        info.create_system = 3  # Unix, so that unzip applies the mode (verify.sh stays executable)
        if size is not None:
            info.file_size = size
        with self.zip.open(info, "w", force_zip64=size is None or size > (1 << 31) - 1) as sink:
            yield sink

    def close(self) -> None:
        self.zip.close()


# -- gathering the evidence -----------------------------------------------------------------------------------------


@dataclass
class _Checkpoint:
    row: CheckpointRow
    body: bytes
    signature: bytes
    token: bytes | None
    audit_seq: int
    audit_hash: str
    seal_cert: str = ""  # bag path of the certificate that signed it
    tsa_root: str | None = None  # bag path of the root its token chains to


@dataclass
class _Certs:
    seal: dict[str, tuple[x509.Certificate, list[x509.Certificate]]]  # sha256 hex -> (cert, chain)
    tsa: dict[str, bytes]  # sha256 hex -> DER

    def seal_path(self, hex_digest: str) -> str:
        return f"data/certificates/seal-{hex_digest}.pem"

    def tsa_path(self, hex_digest: str) -> str:
        return f"data/certificates/tsa-root-{hex_digest}.pem"


def _tsa_label(row: CheckpointRow | None, tsa: str | None = None, name: str | None = None,
               qualified: bool | None = None) -> str | None:
    if row is not None:
        tsa, name, qualified = row.tsa, row.tsa_name, row.qualified
    if tsa is None:
        return None
    if tsa == "local":
        return "local TSA of this archive (NOT qualified: its time is the archive machine's clock)"
    claim = "claims qualified status: check the TSA on the EU Trusted List" if qualified else "not qualified"
    return f"{name or tsa} ({claim})"


def _root_of_token(body_digest: bytes, token: bytes, roots: dict[str, bytes]) -> tuple[str, ts.TokenInfo] | None:
    for hex_digest, der in roots.items():
        try:
            return hex_digest, ts.check_token_over(body_digest, token, [der])
        except TimestampError:
            continue
    return None


def _load_checkpoint(archive: Archive, number: int) -> _Checkpoint:
    row = checkpoint_row(archive.catalog, number)
    files = checkpoint_files(archive.layout, number)
    try:
        body = files["body"].read_bytes()
        signature = files["p7s"].read_bytes()
        token = files["tsr"].read_bytes() if row.status == "timestamped" else None
    except OSError as exc:
        raise IntegrityError(f"checkpoint {number}: {exc.filename} cannot be read ({exc.strerror})",
                             hint="run `sigillo verify` to see what is damaged") from exc
    if hashlib.sha256(body).hexdigest() != row.sha256:
        raise IntegrityError(f"checkpoint {number}: {files['body']} no longer matches its recorded hash",
                             hint="run `sigillo verify` to see what is damaged")
    try:
        parsed = parse_checkpoint(body)
    except ValueError as exc:
        raise IntegrityError(f"checkpoint {number}: {files['body']} is not a valid checkpoint: {exc}") from exc
    return _Checkpoint(row, body, signature, token, parsed.audit_seq, parsed.audit_hash)


def _certificates(archive: Archive, checkpoints: Sequence[_Checkpoint]) -> _Certs:
    """The seal certificates that signed these checkpoints (and the current one, which signs the bundle), and the
    TSA roots their tokens chain to (and the current TSA's, which stamps the bundle)."""
    from .identity import seal_certificates, tsa_trust_roots

    known = seal_certificates(archive.keys)
    current = archive.keys.seal_certificate()
    current_hex = describe_certificate(current).sha256_hex
    seal: dict[str, tuple[x509.Certificate, list[x509.Certificate]]] = {
        current_hex: (current, archive.keys.seal_chain_certs())
    }
    for cp in checkpoints:
        signer = cp.row.signer_sha256
        if signer not in known:
            raise IntegrityError(f"checkpoint {cp.row.number} was signed by a certificate the archive no longer has "
                                 f"(SHA-256 {signer})", hint="restore keys/history/ from a backup")
        seal.setdefault(signer, (known[signer], []))
        cp.seal_cert = f"data/certificates/seal-{signer}.pem"
    all_roots = {hashlib.sha256(der).hexdigest(): der for der in tsa_trust_roots(archive.keys, archive.settings)}
    local = {hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
             for c in archive.keys.local_tsa_roots()}
    # the roots the bundle's own token may chain to: the local TSA's, or (with tsa_url) the pinned external ones
    used = {h: d for h, d in all_roots.items() if (h in local) != bool(archive.settings.tsa_url)}
    for cp in checkpoints:
        if cp.token is None:
            continue
        found = _root_of_token(hashlib.sha256(cp.body).digest(), cp.token, all_roots)
        if found is None:
            raise IntegrityError(f"checkpoint {cp.row.number}'s timestamp does not verify against the archive's "
                                 "TSA roots", hint="run `sigillo verify` to see why")
        used[found[0]] = all_roots[found[0]]
        cp.tsa_root = f"data/certificates/tsa-root-{found[0]}.pem"
    return _Certs(seal, used)


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _der_to_pem(der: bytes) -> bytes:
    return _pem(x509.load_der_x509_certificate(der))


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode("utf-8")


def _text_of(archive: Archive, doc_id: str) -> bytes:
    rows = archive.catalog.db.execute(
        "SELECT number, method, text, confidence FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)
    ).fetchall()
    parts = []
    for r in rows:
        how = {"ocr": "OCR", "text": "text layer", "empty": "no text"}.get(r["method"], r["method"])
        if r["confidence"] is not None:
            how += f", confidence {r['confidence']:.2f}"
        parts.append(f"=== page {r['number']} ({how}) ===\n{r['text'].rstrip()}\n")
    return "\n".join(parts).encode("utf-8")


def _key_fields(doc_type: str | None, fields: dict[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in KEY_FIELDS.get(doc_type or "", ()):
        if name not in fields:
            continue
        value = fields[name].value
        text = value if isinstance(value, str) else "; ".join(value)
        if name in ("total_amount", "amount_due") and "currency" in fields:
            text = f"{text} {fields['currency'].value}"
        out[name] = text
    return out


def _audit_seqs(archive: Archive, doc_ids: Sequence[str]) -> list[int]:
    seqs: set[int] = set()
    for start in range(0, len(doc_ids), _CHUNK_IDS):
        chunk = list(doc_ids[start : start + _CHUNK_IDS])
        marks = ",".join("?" * len(chunk))
        seqs.update(r[0] for r in archive.catalog.db.execute(
            f"SELECT DISTINCT seq FROM audit_docs WHERE doc_id IN ({marks})", chunk))
    return sorted(seqs)


def _chain_lines(archive: Archive, first: int, head: _Checkpoint) -> Iterator[bytes]:
    """chain.txt, streamed from the catalog, checked on the way against the head the checkpoint commits to."""
    db = archive.catalog.db
    before = GENESIS
    if first > 1:
        row = db.execute("SELECT chain FROM audit WHERE seq = ?", (first - 1,)).fetchone()
        if row is None:
            raise IntegrityError(f"audit entry {first - 1} is missing from the log", hint="run `sigillo verify`")
        before = row["chain"]
    yield f"start {first} {before}\n".encode("ascii")
    value = bytes.fromhex(before)
    expected = first
    lines: list[str] = []
    rows = db.execute("SELECT seq, hash FROM audit WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, head.audit_seq))
    for row in rows:
        if row["seq"] != expected:
            raise IntegrityError(f"audit entry {expected} is missing from the log", hint="run `sigillo verify`")
        value = hashlib.sha256(value + bytes.fromhex(row["hash"])).digest()
        lines.append(f"{row['seq']} {row['hash']}\n")
        expected += 1
        if len(lines) >= 4096:
            yield "".join(lines).encode("ascii")
            lines = []
    if lines:
        yield "".join(lines).encode("ascii")
    if expected != head.audit_seq + 1 or value.hex() != head.audit_hash:
        raise IntegrityError(
            f"the audit log no longer leads to the head checkpoint {head.row.number} commits to (entry "
            f"{head.audit_seq})", hint="run `sigillo verify` to see what was changed")


def _entry_lines(archive: Archive, seqs: Sequence[int]) -> Iterator[bytes]:
    for start in range(0, len(seqs), _CHUNK_IDS):
        chunk = list(seqs[start : start + _CHUNK_IDS])
        marks = ",".join("?" * len(chunk))
        rows = archive.catalog.db.execute(
            f"SELECT seq, entry, hash FROM audit WHERE seq IN ({marks}) ORDER BY seq", chunk).fetchall()
        out = []
        for row in rows:
            raw = bytes(row["entry"])
            if hashlib.sha256(raw).hexdigest() != row["hash"]:
                raise IntegrityError(f"audit entry {row['seq']} was changed: it no longer matches its hash",
                                     hint="run `sigillo verify`")
            out.append(json.dumps({"seq": row["seq"], "entry": raw.decode("utf-8")}, ensure_ascii=False) + "\n")
        yield "".join(out).encode("utf-8")


def _original_chunks(path: Path, expected: str) -> Iterator[bytes]:
    """The stored original in chunks; raises IntegrityError at the end if its bytes do not hash to its id."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
            yield chunk
    if digest.hexdigest() != expected:
        raise IntegrityError(f"stored object {expected[:12]} is damaged: its bytes no longer match their hash",
                             hint="restore the archive's objects/ folder from a backup, then export again")


# -- the export ---------------------------------------------------------------------------------------------------


@dataclass
class ExportResult:
    path: Path
    bundle_id: str
    zip: bool
    documents: int
    checkpoints: list[int]
    audit_entries: int
    unproven_entries: int
    size: int  # bytes of the zip, or of all files of the folder
    tagmanifest_sha256: str
    signed: bool
    timestamped: bool
    gen_time: str | None
    tsa: str | None
    seconds: float
    key_problem: str | None = None  # the seal key could not be used: documents unsealed, bundle not signed
    pending: list[int] = field(default_factory=list)  # checkpoints without timestamp
    unsealed: list[str] = field(default_factory=list)  # documents without a seal
    problems: list[str] = field(default_factory=list)  # every one of the above, in words

    def as_json(self) -> dict[str, Any]:
        return {
            "path": str(self.path), "bundle_id": self.bundle_id, "format": "zip" if self.zip else "folder",
            "documents": self.documents, "checkpoints": self.checkpoints, "audit_entries": self.audit_entries,
            "unproven_audit_entries": self.unproven_entries, "bytes": self.size,
            "tagmanifest_sha256": self.tagmanifest_sha256, "signed": self.signed, "timestamped": self.timestamped,
            "gen_time": self.gen_time, "tsa": self.tsa, "seconds": round(self.seconds, 3),
            "pending_checkpoints": self.pending, "unsealed_documents": self.unsealed, "problems": self.problems,
        }


def _clean_value(text: str) -> str:
    return " ".join(str(text).split())


def _bag_info(values: list[tuple[str, str]]) -> bytes:
    return "".join(f"{label}: {_clean_value(value)}\n" for label, value in values).encode("utf-8")


def _manifest(files: dict[str, tuple[str, int]]) -> bytes:
    return "".join(f"{files[p][0]}  {p}\n" for p in sorted(files, key=lambda s: s.encode("utf-8"))).encode("utf-8")


def _sign_bag(archive: Archive, tagmanifest: bytes, tsa_roots: dict[str, bytes]
              ) -> tuple[bytes | None, bytes | None, ts.TokenInfo | None, str | None, list[str]]:
    """The bundle's seal: (signature, token, token info, TSA label, problems)."""
    from .sealing import tsa_client

    problems: list[str] = []
    try:
        identity = archive.keys.seal(archive.passphrase)
        signature = cms.sign_detached(tagmanifest, identity.key, identity.cert, identity.chain)
    except KeyProblemError as exc:
        problems.append(f"The bundle itself is NOT signed: the archive's seal key could not be used ({exc}).")
        return None, None, None, None, problems
    try:
        label, client = tsa_client(archive.layout, archive.settings, archive.passphrase)
        request = ts.build_request(hashlib.sha256(tagmanifest).digest())
        response = client.stamp(request)
        info = ts.check_response(response, request, list(tsa_roots.values()))
    except (TSAUnavailableError, TimestampError, KeyProblemError) as exc:
        problems.append(f"The bundle itself has NO timestamp: the TSA could not be used ({exc}).")
        return signature, None, None, None, problems
    qualified = bool(info.qualified)
    return signature, response, info, _tsa_label(None, label, info.tsa_name or info.signer_subject, qualified), problems


def export_bundle(
    archive: Archive,
    selection: Selection,
    output: Path,
    *,
    as_zip: bool = False,
    reason: str = "",
    wait: float | None = None,
    bundle_id: str | None = None,
    now: Callable[[], datetime] | None = None,
) -> ExportResult:
    """Write the evidence bundle of ``selection`` to ``output`` (a new folder, or a new zip) and record it.

    Raises SigilloError when ``output`` exists or its folder does not, IntegrityError when the archive's own
    evidence is damaged (nothing is written then), BusyError when the write lock cannot be had for the sealing.
    """
    started = time.perf_counter()
    output = Path(output)
    if output.exists() or output.is_symlink():
        raise SigilloError(f"{output} already exists", hint="choose a new name: an export never overwrites")
    if not output.parent.is_dir():
        raise SigilloError(f"the folder {output.parent} does not exist", hint="create it, or choose another -o")
    when = (now or (lambda: datetime.now(UTC)))().astimezone(UTC)
    bundle_id = bundle_id or secrets.token_hex(8)
    problems: list[str] = []
    key_problem: str | None = None

    with archive.write_lock("export", wait):
        try:
            outcome = archive.seal(anchor_audit=True)
            pending_reasons = dict(outcome.pending)
        except KeyProblemError as exc:
            key_problem = str(exc)
            pending_reasons = {}
            problems.append(f"The archive's seal key could not be used, so nothing new could be sealed ({exc}).")

    catalog = archive.catalog
    docs = catalog.documents(selection.doc_ids)
    missing = [d for d in selection.doc_ids if d not in docs]
    if missing:
        raise NotFoundError(f"document {missing[0][:12]} is not in the catalog")
    seals = {doc_id: seal_row(catalog, doc_id) for doc_id in selection.doc_ids}
    head = last_checkpoint(catalog)
    numbers = sorted({s.checkpoint for s in seals.values() if s is not None} | ({head.number} if head else set()))
    checkpoints = {n: _load_checkpoint(archive, n) for n in numbers}
    certs = _certificates(archive, list(checkpoints.values()))
    unsealed = [d for d in selection.doc_ids if seals[d] is None]
    pending = [n for n, cp in checkpoints.items() if cp.token is None]
    for doc_id in unsealed:
        problems.append(f"Document {doc_id[:12]} ({docs[doc_id].original_name}) is NOT sealed: nothing ties it to a "
                        "signed, timestamped checkpoint.")
    for n in pending:
        why = pending_reasons.get(n) or checkpoints[n].row.last_error or "the TSA could not be reached"
        problems.append(f"Checkpoint {n} has NO timestamp (pending: {why.rstrip('.')}): nothing proves when it "
                        "existed.")
    if head is None:
        problems.append("No checkpoint commits to the audit log: the audit excerpt cannot be proven.")

    seqs = _audit_seqs(archive, selection.doc_ids)
    head_cp = checkpoints[head.number] if head else None
    proven = [s for s in seqs if head_cp is not None and s <= head_cp.audit_seq]
    unproven = len(seqs) - len(proven)

    tmp = output.with_name(f".{output.name}.sigillo-tmp-{secrets.token_hex(4)}")
    writer: _BagWriter = (_ZipWriter(tmp, output.name[:-4] if output.name.lower().endswith(".zip") else output.name,
                                     when) if as_zip else _FolderWriter(tmp))
    try:
        width = max(3, len(str(len(selection.doc_ids))))
        report_docs: list[ReportDocument] = []
        script_docs = []
        # data/documents/
        for number, doc_id in enumerate(selection.doc_ids, start=1):
            doc = docs[doc_id]
            seal = seals[doc_id]
            folder = f"data/documents/{number:0{width}d}-{doc_id[:12]}"
            name = safe_file_name(doc.original_name)
            writer.add_chunks(f"{folder}/original/{name}", _original_chunks(archive.store.path(doc_id), doc_id),
                              size=doc.size, stored=True)
            cp = checkpoints.get(seal.checkpoint) if seal else None
            status = "unsealed" if cp is None else ("timestamped" if cp.token is not None else "pending")
            fields = effective_fields(catalog, doc_id)
            if seal is not None:
                writer.add(f"{folder}/seal-record.json", seal.record)
                writer.add(f"{folder}/inclusion-proof.txt", seal.proof.encode("utf-8"))
            writer.add(f"{folder}/document.json", _json_bytes({
                "format": "sigillo-document v1",
                "number": number,
                "id": doc_id,
                "sha256": doc_id,
                "size": doc.size,
                "original_name": doc.original_name,
                "file": f"original/{name}",
                "media_type": doc.media_type,
                "kind": doc.kind,
                "page_count": doc.page_count,
                "doc_type": doc.doc_type,
                "language": doc.language,
                "ingested_at_archive_clock": doc.ingested_at,
                "batch_id": doc.batch_id,
                "checkpoint": seal.checkpoint if seal else None,
                "leaf_index": seal.leaf_index if seal else None,
                "timestamp": status,
                "tsa_time": cp.row.gen_time if cp and cp.token is not None else None,
                "tsa": _tsa_label(cp.row) if cp and cp.token is not None else None,
                "warnings": list(doc.warnings),
            }))
            writer.add(f"{folder}/fields.json", _json_bytes({
                "id": doc_id,
                "doc_type": doc.doc_type,
                "doc_type_score": None if doc.doc_type_score is None else round(doc.doc_type_score, 3),
                "language": doc.language,
                "fields": {n: f.as_json() for n, f in fields.items()},
                "note": "extracted by the archive (text layer or OCR) and corrected by people where marked; "
                        "an aid, not evidence",
            }))
            writer.add(f"{folder}/text.txt", _text_of(archive, doc_id))
            report_docs.append(ReportDocument(
                number=number, folder=folder, file_name=doc.original_name, doc_type=doc.doc_type,
                key_fields=_key_fields(doc.doc_type, fields), sha256=doc_id, size=doc.size,
                ingested_at=doc.ingested_at, checkpoint=seal.checkpoint if seal else None, timestamp_status=status,
                tsa_time=cp.row.gen_time if cp and cp.token is not None else None,
                tsa_label=_tsa_label(cp.row) if cp and cp.token is not None else None,
            ))
            script_docs.append(ScriptDocument(folder, f"{folder}/original/{name}", doc.original_name,
                                              seal.checkpoint if seal else None))

        # data/checkpoints/
        for n, cp in checkpoints.items():
            folder = f"data/checkpoints/{n:06d}"
            writer.add(f"{folder}/checkpoint.txt", cp.body)
            writer.add(f"{folder}/checkpoint.txt.p7s", cp.signature)
            if cp.token is not None:
                writer.add(f"{folder}/checkpoint.txt.tsr", cp.token)

        # data/certificates/
        for hex_digest, (cert, chain) in certs.seal.items():
            writer.add(certs.seal_path(hex_digest), b"".join(_pem(c) for c in [cert, *chain]))
        for hex_digest, der in certs.tsa.items():
            writer.add(certs.tsa_path(hex_digest), _der_to_pem(der))

        # data/audit/
        if head_cp is not None:
            first = proven[0] if proven else head_cp.audit_seq
            writer.add(
                "data/audit/head.txt",
                f"{head_cp.row.number} {head_cp.audit_seq} {head_cp.audit_hash}\n".encode("ascii"))
            writer.add_chunks("data/audit/chain.txt", _chain_lines(archive, first, head_cp))
            writer.add_chunks("data/audit/entries.jsonl", _entry_lines(archive, proven))

        # the tag files
        current = archive.keys.seal_certificate()
        current_info = describe_certificate(current)
        version = _version()
        exported_by = f"{os_user()}@{host()}"
        exported_at = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        oxum = f"{sum(size for _, size in writer.payload.values())}.{len(writer.payload)}"
        writer.add("bagit.txt", b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n")
        writer.add("bag-info.txt", _bag_info([
            ("Bundle-Format-Version", str(FORMAT_VERSION)),
            ("Source-Organization", archive.settings.organization or archive.settings.name),
            ("Bagging-Date", when.strftime("%Y-%m-%d")),
            ("Bagging-Time", exported_at),
            ("Payload-Oxum", oxum),
            ("External-Identifier", bundle_id),
            ("External-Description", selection.description),
            ("Export-Reason", reason or "(none given)"),
            ("Exported-By", exported_by),
            ("Sigillo-Archive-Id", catalog.archive_id),
            ("Sigillo-Archive-Name", archive.settings.name),
            ("Sigillo-Version", version),
            ("Document-Count", str(len(selection.doc_ids))),
            ("Bag-Software-Agent", f"sigillo {version} (https://www.rfc-editor.org/rfc/rfc8493)"),
        ]))
        writer.add("manifest-sha256.txt", _manifest(writer.payload))
        report = BundleReport(
            bundle_id=bundle_id,
            archive_name=archive.settings.name,
            archive_id=catalog.archive_id,
            organization=archive.settings.organization,
            exported_by=exported_by,
            exported_at=exported_at,
            reason=reason,
            selection=selection.description,
            seal_subject=current_info.subject,
            seal_fingerprint=current_info.sha256_fingerprint,
            seal_self_signed=current_info.self_signed,
            tsa_root_fingerprints=[
                describe_certificate(x509.load_der_x509_certificate(der)).sha256_fingerprint
                for der in certs.tsa.values()
            ],
            sigillo_version=version,
            documents=report_docs,
            checkpoints=[
                ReportCheckpoint(
                    number=n, tree_size=cp.row.tree_size, sha256=cp.row.sha256,
                    status="timestamped" if cp.token is not None else "pending",
                    gen_time=cp.row.gen_time if cp.token is not None else None,
                    tsa_label=_tsa_label(cp.row) if cp.token is not None else None,
                    qualified_claim=cp.row.qualified if cp.token is not None else None,
                    tsa_local=(cp.row.tsa == "local") if cp.token is not None else None,
                )
                for n, cp in checkpoints.items()
            ],
        )
        writer.add("REPORT.html", render_html(report).encode("utf-8"))
        writer.add("REPORT.pdf", render_pdf(report))
        bag_tsa = None
        if not archive.settings.tsa_url:
            local = [h for h in certs.tsa if h in {
                hashlib.sha256(c.public_bytes(serialization.Encoding.DER)).hexdigest()
                for c in archive.keys.local_tsa_roots()}]
            bag_tsa = certs.tsa_path(local[0]) if local else None
        elif len(certs.tsa) == 1:
            bag_tsa = certs.tsa_path(next(iter(certs.tsa)))
        writer.add("VERIFY.txt", verify_txt(VerifyTextInput(
            bundle_id=bundle_id,
            archive_name=archive.settings.name,
            archive_id=catalog.archive_id,
            exported_at=exported_at,
            seal_cert=certs.seal_path(current_info.sha256_hex),
            tsa_root=bag_tsa,
            tsa_roots=[certs.tsa_path(h) for h in certs.tsa],
            certificates=[certs.seal_path(h) for h in certs.seal] + [certs.tsa_path(h) for h in certs.tsa],
            documents=script_docs,
            checkpoints=[ScriptCheckpoint(f"data/checkpoints/{n:06d}", n, cp.token is not None,
                                          cp.seal_cert, cp.tsa_root) for n, cp in checkpoints.items()],
            head_checkpoint=head_cp.row.number if head_cp else None,
            audit_entries=len(proven),
            unproven_entries=unproven,
            problems=list(problems),
        )).encode("utf-8"))
        writer.add("verify.sh", VERIFY_SH.encode("utf-8"), mode=0o755)
        signing_files = resources.files("signing")
        writer.add("tools/merkle.py", signing_files.joinpath("merkle.py").read_bytes())
        writer.add("tools/chain.py", signing_files.joinpath("chain.py").read_bytes())
        tagmanifest = _manifest(writer.tags)
        writer.add("tagmanifest-sha256.txt", tagmanifest)
        signature, token, token_info, token_tsa, seal_problems = _sign_bag(archive, tagmanifest, certs.tsa)
        problems += seal_problems
        if signature is not None:
            writer.add("tagmanifest-sha256.txt.p7s", signature)
        if token is not None:
            writer.add("tagmanifest-sha256.txt.tsr", token)
        writer.close()
        size = tmp.stat().st_size if as_zip else sum(s for _, s in [*writer.payload.values(), *writer.tags.values()])
        _rename_new(tmp, output)
    except BaseException:
        with contextlib.suppress(Exception):
            writer.close()
        _remove(tmp)
        raise

    tag_sha = hashlib.sha256(tagmanifest).hexdigest()
    try:
        archive.audit.append(
            "export",
            selection.doc_ids,
            path=str(output.resolve()),
            reason=reason,
            bundle_id=bundle_id,
            tagmanifest_sha256=tag_sha,
            format="zip" if as_zip else "folder",
            selection=selection.description,
            checkpoints=numbers,
            audit_head=head_cp.audit_seq if head_cp else None,
        )
    except BaseException:
        _remove(output)  # an export that is not in the audit log must not exist
        raise
    return ExportResult(
        path=output, bundle_id=bundle_id, zip=as_zip, documents=len(selection.doc_ids), checkpoints=numbers,
        audit_entries=len(proven), unproven_entries=unproven, size=size, tagmanifest_sha256=tag_sha,
        signed=signature is not None, timestamped=token is not None,
        gen_time=token_info.gen_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if token_info else None,
        tsa=token_tsa, seconds=time.perf_counter() - started, key_problem=key_problem, pending=pending,
        unsealed=unsealed, problems=problems,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("sigillo")
    except PackageNotFoundError:
        return "unknown"


def _rename_new(tmp: Path, output: Path) -> None:
    """Move the finished bundle into place, never over something that appeared meanwhile."""
    if tmp.is_dir():
        if output.exists() or output.is_symlink():
            raise SigilloError(f"{output} already exists", hint="choose a new name: an export never overwrites")
        os.rename(tmp, output)
        return
    try:
        os.link(tmp, output)  # fails if output exists: atomic, no overwrite
    except FileExistsError:
        raise SigilloError(f"{output} already exists", hint="choose a new name: an export never overwrites") from None
    except OSError:  # a file system without hard links
        if output.exists():
            raise SigilloError(f"{output} already exists", hint="choose a new name") from None
        os.rename(tmp, output)
        return
    tmp.unlink()


def _remove(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink()

