"""What an evidence bundle's report says: plain data, filled by ``bundle.py`` and rendered by ``report.py``."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["BundleReport", "ReportCheckpoint", "ReportDocument"]


@dataclass(frozen=True)
class ReportDocument:
    """One row of the report: one exported document."""

    number: int  # 1, 2, 3 … in export order
    folder: str  # its folder in the bag, e.g. "data/documents/001-3fa1c2d4e5f6"
    file_name: str  # the original file name as received
    doc_type: str | None  # invoice, credit_note, contract, dunning_letter, receipt, other
    key_fields: dict[str, str]  # e.g. {"invoice_number": "…", "total_amount": "1720.20 EUR", "due_date": "…"}
    sha256: str  # of the original
    size: int  # bytes
    ingested_at: str  # the archive's clock (not trusted time)
    checkpoint: int | None  # the checkpoint that seals it; None when not sealed
    timestamp_status: str  # "timestamped" | "pending" | "unsealed"
    tsa_time: str | None  # the TSA's genTime for that checkpoint (UTC), when timestamped
    tsa_label: str | None  # e.g. "local TSA of this archive (NOT qualified)" or "<TSA name> (claims qualified …)"


@dataclass(frozen=True)
class ReportCheckpoint:
    number: int
    tree_size: int
    sha256: str  # of checkpoint.txt
    status: str  # "timestamped" | "pending"
    gen_time: str | None
    tsa_label: str | None
    qualified_claim: bool | None  # the token's own qcStatement claim; only the EU Trusted List decides
    # Optional (added for report.py): True when the token came from the archive's built-in local TSA (the
    # checkpoints row's tsa == "local"). The report then never repeats a qualified claim, whatever the token says.
    # None: unknown; report.py then takes a tsa_label containing "local" as local.
    tsa_local: bool | None = None


@dataclass(frozen=True)
class BundleReport:
    bundle_id: str
    archive_name: str
    archive_id: str
    organization: str
    exported_by: str  # "user@host"
    exported_at: str  # UTC, ISO 8601
    reason: str  # --reason, or "" when none was given
    selection: str  # what was asked for: ids, a query, or a case
    seal_subject: str
    seal_fingerprint: str  # SHA-256, colon-separated upper case, as openssl prints it
    seal_self_signed: bool
    tsa_root_fingerprints: list[str]
    sigillo_version: str
    documents: list[ReportDocument] = field(default_factory=list)
    checkpoints: list[ReportCheckpoint] = field(default_factory=list)
