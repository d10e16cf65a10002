"""`sigillo doctor`: find, and with ``repair`` fix, what an interrupted run left behind.

Findings (each with its repair):

* ``batch``      a batch still marked 'running' while nobody holds the write lock: its process died -> 'interrupted'
* ``tmp``        temporary files in tmp/ -> removed
* ``seal-folder`` a seals/<n>/ folder with no checkpoint row (never referenced) -> removed
* ``object``     a stored original with no catalog row -> catalogued through the ingest pipeline (never deleted:
  it is evidence received)
* ``index``      catalogued documents not yet in the search index -> indexed
* ``index-stale`` the index itself disagrees with the catalog (documents marked indexed but absent, documents the
  catalog does not have), or cannot be read -> rebuilt from the catalog
* ``debtors-stale`` the catalog's debtor table (``debtor_table.py``, what ``case`` reads) disagrees with the
  documents' fields and corrections -> rebuilt from them
* ``unsealed``   documents in no checkpoint -> sealed (``Archive.seal``)
* ``pending``    checkpoints still without a timestamp -> asked again (a TSA failure is reported, not fatal)

Call with the archive's write lock held: then a 'running' batch cannot belong to a live process.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import Any

from . import debtor_table
from .core import Archive, now_utc
from .errors import SigilloError
from .sealing import checkpoints

__all__ = ["DoctorReport", "Finding", "diagnose", "repair"]


@dataclass
class Finding:
    kind: str
    subject: str
    detail: str
    repaired: str | None = None  # what was done
    problem: str | None = None  # why it could not be repaired

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "subject": self.subject, "detail": self.detail}
        if self.repaired is not None:
            out["repaired"] = self.repaired
        if self.problem is not None:
            out["problem"] = self.problem
        return out


@dataclass
class DoctorReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.findings

    @property
    def unrepaired(self) -> list[Finding]:
        return [f for f in self.findings if f.repaired is None]

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.findings if f.kind == kind]


def diagnose(archive: Archive) -> DoctorReport:
    """What is wrong, changing nothing."""
    report = DoctorReport()
    add = report.findings.append
    db = archive.catalog.db
    for row in db.execute("SELECT id, command, started_at FROM batches WHERE status = 'running' ORDER BY started_at"):
        add(Finding("batch", f"batch {row['id'][:12]}",
                    f"`{row['command']}` started {row['started_at']} is marked running but its process is gone"))
    tmp = archive.layout.tmp
    if tmp.is_dir():
        for entry in sorted(tmp.iterdir()):
            add(Finding("tmp", f"tmp/{entry.name}", "temporary file left by an interrupted write"))
    numbers = {c.number for c in checkpoints(archive.catalog)}
    seals = archive.layout.seals
    if seals.is_dir():
        for entry in sorted(seals.iterdir()):
            if entry.is_dir() and entry.name.isdigit() and int(entry.name) not in numbers:
                add(Finding("seal-folder", f"seals/{entry.name}",
                            "checkpoint folder with no checkpoint in the catalog (never referenced)"))
    known = set(archive.catalog.all_ids())
    for name in archive.store:
        if name not in known:
            add(Finding("object", f"object {name}", "stored original with no catalog row"))
    unindexed = archive.catalog.unindexed_ids()
    if unindexed:
        add(Finding("index", f"{len(unindexed)} document{'s' if len(unindexed) != 1 else ''}",
                    "catalogued but not in the search index: " + ", ".join(d[:12] for d in unindexed[:5])
                    + (" …" if len(unindexed) > 5 else "")))
    _check_index(archive, known, set(unindexed), add)
    _check_debtors(archive, add)
    unsealed = [d.id for d in archive.catalog.unsealed_documents()]
    if unsealed:
        add(Finding("unsealed", f"{len(unsealed)} document{'s' if len(unsealed) != 1 else ''}",
                    "not in any checkpoint: " + ", ".join(d[:12] for d in unsealed[:5])
                    + (" …" if len(unsealed) > 5 else "")))
    for c in checkpoints(archive.catalog, "pending"):
        add(Finding("pending", f"checkpoint {c.number}", f"no timestamp yet ({c.last_error or 'not asked yet'})"))
    return report


def _check_index(archive: Archive, known: set[str], unindexed: set[str], add: Any) -> None:
    """Compare the index's own document ids with the catalog (not the catalog's marks alone)."""
    try:
        in_index = archive.engine().ids()
    except SigilloError as exc:
        add(Finding("index-stale", "search index", f"cannot be read ({exc})"))
        return
    missing = (known - unindexed) - in_index
    extra = in_index - known
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} catalogued document{'s' if len(missing) != 1 else ''} marked indexed "
                         f"but absent ({', '.join(sorted(d[:12] for d in missing)[:5])})")
        if extra:
            parts.append(f"{len(extra)} indexed document{'s' if len(extra) != 1 else ''} not in the catalog")
        add(Finding("index-stale", "search index", "; ".join(parts)))


def _check_debtors(archive: Archive, add: Any) -> None:
    """Recompute the debtor table from fields and corrections, and compare."""
    catalog = archive.catalog
    stale = debtor_table.stale_documents(
        catalog.db, catalog.field_values(debtor_table.CASE_TYPES, debtor_table.SOURCE_FIELDS))
    if stale:
        add(Finding("debtors-stale", "debtor table",
                    f"{len(stale)} document{'s' if len(stale) != 1 else ''} whose rows differ from their fields and "
                    f"corrections: {', '.join(d[:12] for d in stale[:5])}{' …' if len(stale) > 5 else ''}"))


def repair(archive: Archive, command: str = "doctor --repair", workers: int | None = None) -> DoctorReport:
    """Diagnose, then fix every finding that can be fixed. Call with the write lock held.

    Orphan objects are read (text layer, OCR) and catalogued by :func:`archive.pipeline.ingest_paths` in
    ``workers`` processes (None or 1: in this process).
    """
    from .pipeline import ingest_paths

    report = diagnose(archive)
    catalog = archive.catalog
    for f in report.of("batch"):
        batch_prefix = f.subject.split()[-1]
        with catalog.transaction() as db:
            db.execute("UPDATE batches SET status = 'interrupted', finished_at = COALESCE(finished_at, ?) "
                       "WHERE status = 'running' AND id LIKE ?", (now_utc(), batch_prefix + "%"))
        f.repaired = "marked interrupted"
    removed = archive.store.sweep_tmp()
    for f in report.of("tmp"):
        f.repaired = "removed"
    for f in report.of("seal-folder"):
        shutil.rmtree(archive.layout.seals / f.subject.split("/", 1)[1])
        f.repaired = "removed"
    orphans = report.of("object")
    if orphans:
        ids = [f.subject.split()[-1] for f in orphans]
        summary = ingest_paths(archive, [archive.store.path(i) for i in ids], command=command, workers=workers)
        outcome_by_id = {o.sha256: o for o in summary.outcomes if o.sha256}
        for f, doc_id in zip(orphans, ids, strict=True):
            o = outcome_by_id.get(doc_id)
            if o is not None and o.status in ("new", "duplicate"):
                f.repaired = f"catalogued ({o.pages} page{'s' if o.pages != 1 else ''})"
            else:
                f.problem = f"could not be catalogued: {o.reason if o else 'not processed'} (the object is kept)"
    for f in report.of("debtors-stale"):
        f.repaired = f"rebuilt from fields and corrections ({catalog.rebuild_debtor_table()} documents)"
    if report.of("index-stale"):
        try:
            count = archive.reindex()
        except SigilloError as exc:
            for f in report.of("index-stale"):
                f.problem = str(exc)
        else:
            for f in report.of("index-stale") + report.of("index"):
                f.repaired = f"rebuilt from the catalog ({count} documents)"
    if (report.of("index") or orphans) and not report.of("index-stale"):
        try:
            archive.sync_index()
        except SigilloError as exc:
            for f in report.of("index"):
                f.problem = str(exc)
        else:
            for f in report.of("index"):
                f.repaired = "indexed"
    if report.of("unsealed") or report.of("pending") or orphans:
        try:
            outcome = archive.seal()
        except SigilloError as exc:
            for f in report.of("unsealed") + report.of("pending"):
                f.problem = f"{exc} ({exc.hint})" if exc.hint else str(exc)
        else:
            still = dict(outcome.pending)
            for f in report.of("unsealed"):
                number = outcome.checkpoint.number if outcome.checkpoint else None
                f.repaired = f"sealed in checkpoint {number}" if number else "sealed"
            for f in report.of("unsealed") + report.of("pending"):
                if f.kind == "pending" and int(f.subject.split()[-1]) not in still:
                    f.repaired = "timestamped"
            for f in report.of("pending"):
                if int(f.subject.split()[-1]) in still:
                    f.problem = f"timestamp still pending: {still[int(f.subject.split()[-1])]}"
            if outcome.pending and report.of("unsealed"):
                for f in report.of("unsealed"):
                    f.repaired = (f.repaired or "") + " (its timestamp is pending: run `sigillo seal` later)"
    archive.audit.append(
        "doctor", repaired=[f.as_json() for f in report.findings if f.repaired is not None],
        unrepaired=[f.as_json() for f in report.unrepaired], tmp_removed=removed,
    )
    return report
