"""One batch of files through the archive: discover -> hash -> check -> store -> extract -> catalog -> index.

The order is what makes the archive safe to interrupt. The original's bytes are stored (atomically) before any
extraction; the catalog row, with all its pages, is written in one transaction afterwards; the index is updated
last and is only a copy. A run killed at any moment leaves at worst a stored object with no catalog row (the next
run of the same command catalogs it, without storing it twice) or catalogued documents not yet indexed (indexed at
the start of the next write).
"""

from __future__ import annotations

import fnmatch
import logging
import os
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import ingest
from ingest.classify import classify
from ingest.errors import InputError
from ingest.errors import MissingToolError as IngestMissingTool
from ingest.fields import extract_fields
from signing.digest import sha256_file

from .catalog import DocumentRow, FieldRow, PageRow, SightingRow
from .core import Archive, host, now_utc, os_user
from .errors import MissingToolError, SigilloError
from .sealing import SealOutcome
from .store import ChangedWhileReadingError

__all__ = ["BatchSummary", "FileOutcome", "discover", "display_path", "ingest_paths"]

log = logging.getLogger(__name__)

INDEX_FLUSH_DOCS = 50  # write the index after this many new documents …
INDEX_FLUSH_SECONDS = 30.0  # … or this long since the last write, whichever comes first
NO_BYTES = ("cannot read", "cannot open", "not a regular file")  # failures with nothing to quarantine


def display_path(path: Path | str) -> str:
    """A path as text that can always be printed and stored, even when it is not valid UTF-8."""
    raw = os.fsencode(path)
    return raw.decode("utf-8", errors="backslashreplace")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one file."""

    path: str
    status: str  # new | duplicate | failed
    sha256: str | None = None
    size: int | None = None
    media_type: str | None = None
    pages: int = 0
    ocr_pages: int = 0
    reason: str | None = None
    duplicate_of: str | None = None  # the name the archive first received these bytes under
    warnings: tuple[str, ...] = ()
    seconds: float = 0.0

    def as_json(self) -> dict[str, object]:
        out: dict[str, object] = {"path": self.path, "status": self.status}
        if self.sha256:
            out["id"] = self.sha256
            out["sha256"] = self.sha256
        for key in ("size", "media_type", "reason", "duplicate_of"):
            value = getattr(self, key)
            if value is not None:
                out[key] = value
        if self.status == "new":
            out["pages"] = self.pages
            out["ocr_pages"] = self.ocr_pages
        if self.warnings:
            out["warnings"] = list(self.warnings)
        out["seconds"] = round(self.seconds, 3)
        return out


@dataclass
class BatchSummary:
    batch_id: str
    new: int = 0
    duplicates: int = 0
    failed: int = 0
    pages: int = 0
    seconds: float = 0.0
    interrupted: bool = False
    index_warning: str | None = None
    seal: SealOutcome | None = None
    seal_warning: str | None = None  # why the batch could not be sealed now (its documents are safe)
    outcomes: list[FileOutcome] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.new + self.duplicates + self.failed


@dataclass(frozen=True)
class Discovered:
    path: Path
    problem: str | None = None  # set when the path cannot be used at all


def discover(paths: Iterable[Path], exclude: Iterable[str] = ()) -> Iterator[Discovered]:
    """Every file under ``paths`` (recursively, sorted), skipping names that match ``exclude``.

    Files named explicitly are never excluded. Symbolic links to files are followed; links to folders are not
    (no loops). Unreadable folders and dangling links come back with a ``problem``.
    """
    patterns = tuple(exclude)

    def excluded(name: str) -> bool:
        return any(fnmatch.fnmatch(name, p) for p in patterns)

    for root in paths:
        try:
            st = os.stat(root)
        except OSError as exc:
            yield Discovered(root, f"cannot open: {exc.strerror or exc}")
            continue
        if not stat.S_ISDIR(st.st_mode):
            yield Discovered(root)
            continue
        errors: list[OSError] = []
        for folder, dirs, files in os.walk(root, onerror=errors.append, followlinks=False):
            dirs[:] = sorted(d for d in dirs if not excluded(d))
            for name in sorted(files):
                if not excluded(name):
                    yield Discovered(Path(folder) / name)
            for err in errors:
                yield Discovered(Path(err.filename or folder), f"cannot read folder: {err.strerror or err}")
            errors.clear()


def extract_options(archive: Archive) -> ingest.ExtractOptions:
    s = archive.settings
    return ingest.ExtractOptions(
        languages=s.languages,
        dpi=s.dpi,
        ocr_timeout=s.page_timeout,
        max_pages=s.max_pages,
        max_image_pixels=s.max_image_megapixels * 1_000_000,
        min_text_chars=s.min_text_chars,
        max_file_bytes=s.max_file_mb * 1024 * 1024,
    )


def analyse(extraction: ingest.Extraction) -> tuple[ingest.Classification | None, list[FieldRow], str | None]:
    """Classify the document and extract its fields. Never raises: a document is archived even when its
    fields cannot be read (the problem comes back as a warning, and the error is logged)."""
    try:
        classification = classify(extraction.pages)
        found = extract_fields(extraction.pages, classification.doc_type, classification.language)
    except Exception as exc:
        log.warning("field extraction failed", exc_info=True)
        return None, [], f"fields could not be extracted ({type(exc).__name__}: {exc})"
    rows = [
        FieldRow(name=f.name, value=f.value, confidence=f.confidence, page=f.page, bbox=f.bbox, valid=f.valid,
                 raw=f.raw, checks=f.checks)
        for f in found.values()
    ]
    return classification, rows, None


class _Batch:
    """The state of one running ingest."""

    def __init__(self, archive: Archive, command: str, on_outcome: Callable[[FileOutcome], None]) -> None:
        self.archive = archive
        self.catalog = archive.catalog
        self.options = extract_options(archive)
        self.on_outcome = on_outcome
        self.summary = BatchSummary(batch_id=uuid.uuid4().hex)
        self.catalog.begin_batch(self.summary.batch_id, command, os_user(), host(), now_utc())
        self.unflushed = 0
        self.current = Path()  # the file being ingested (for the quarantine)
        self.last_flush = time.monotonic()

    def report(self, outcome: FileOutcome) -> None:
        s = self.summary
        if outcome.status == "new":
            s.new += 1
            s.pages += outcome.pages
        elif outcome.status == "duplicate":
            s.duplicates += 1
        else:
            s.failed += 1
            with self.catalog.transaction():
                self.catalog.record_failure(s.batch_id, outcome.path, outcome.sha256, outcome.reason or "", now_utc())
                self.archive.audit.append(
                    "refused", file=outcome.path, sha256=outcome.sha256, reason=outcome.reason, batch_id=s.batch_id
                )
        s.outcomes.append(outcome)
        self.on_outcome(outcome)

    def fail(self, shown: str, reason: str, started: float, sha256: str | None = None) -> None:
        reason = reason.encode("utf-8", "backslashreplace").decode("utf-8")  # may quote a non-UTF-8 file name
        if not reason.startswith(NO_BYTES):
            self.quarantine(shown, reason)
        self.report(FileOutcome(shown, "failed", sha256=sha256, reason=reason, seconds=time.monotonic() - started))

    def quarantine(self, shown: str, reason: str) -> None:
        """Keep a copy of the failed file (see archive/quarantine.py); never stops the batch."""
        from .quarantine import quarantine_file

        layout, when = self.archive.layout, now_utc()
        try:
            kept = quarantine_file(layout.quarantine, layout.tmp, self.current, shown=shown,
                                   file_name=display_path(self.current.name), reason=reason,
                                   batch_id=self.summary.batch_id, when=when)
        except Exception as exc:  # the quarantine is a convenience: it never stops the batch
            log.warning("cannot quarantine %s: %s", shown, exc, exc_info=True)
            return
        if kept is not None:
            qid, info = kept
            self.archive.audit.append("quarantine", file=shown, sha256=qid, reason=reason,
                                      batch_id=self.summary.batch_id, attempts=info.get("attempts"))

    def one(self, item: Discovered) -> None:
        started = time.monotonic()
        shown = display_path(item.path)
        self.current = item.path
        if item.problem:
            return self.fail(shown, item.problem, started)
        path = item.path
        try:
            st = os.stat(path)
            if not stat.S_ISREG(st.st_mode):
                return self.fail(shown, "not a regular file (device, pipe or socket)", started)
            sha256, size = sha256_file(path)
        except OSError as exc:
            return self.fail(shown, f"cannot read: {exc.strerror or exc}", started)

        first = self.catalog.find_document(sha256)
        if first is not None:
            with self.catalog.transaction():
                self.catalog.add_sighting(sha256, SightingRow(self.summary.batch_id, shown, "duplicate", now_utc()))
                self.archive.audit.append("duplicate", [sha256], file=shown, batch_id=self.summary.batch_id)
            return self.report(
                FileOutcome(shown, "duplicate", sha256, size, first.media_type,
                            duplicate_of=first.original_name, seconds=time.monotonic() - started)
            )

        try:
            info = ingest.sniff(path, self.options)
        except InputError as exc:
            return self.fail(shown, str(exc), started, sha256)

        # The original goes into the store before anything else is done with it.
        try:
            blob = self.archive.store.put(path, expected_sha256=sha256)
        except ChangedWhileReadingError as exc:
            return self.fail(shown, str(exc), started, sha256)
        except OSError as exc:
            return self.fail(shown, f"cannot read: {exc.strerror or exc}", started, sha256)

        try:
            extraction = ingest.extract(blob.path, self.options)
        except IngestMissingTool as exc:
            raise MissingToolError(str(exc), hint=exc.hint) from exc
        except InputError as exc:
            # Never catalogued, so not yet evidence: do not leave an orphan object behind.
            if blob.created:
                self.archive.store.discard(sha256)
            return self.fail(shown, str(exc), started, sha256)

        classification, fields, problem = analyse(extraction)
        pages = [
            PageRow(
                number=p.number, method=p.method, text=p.text, width=p.width, height=p.height, unit=p.unit,
                dpi=p.dpi, confidence=p.confidence,
                words=tuple((w.text, *(round(c, 2) for c in w.bbox), w.confidence, w.line) for w in p.words),
                warnings=p.warnings, seconds=p.seconds,
            )
            for p in extraction.pages
        ]
        warnings = tuple(extraction.warnings) + tuple(
            f"page {p.number}: {w}" for p in extraction.pages for w in p.warnings
        ) + ((problem,) if problem else ())
        when = now_utc()
        doc = DocumentRow(
            id=sha256, size=size, kind=info.kind, media_type=info.media_type,
            original_name=display_path(path.name), source_path=shown, page_count=len(pages),
            doc_type=classification.doc_type if classification else None,
            language=classification.language if classification else None,
            ingested_at=when, batch_id=self.summary.batch_id, warnings=warnings, indexed=False,
            doc_type_score=classification.score if classification else None,
        )
        with self.catalog.transaction():  # the document and its audit entry commit together
            self.catalog.add_document(doc, pages, SightingRow(self.summary.batch_id, shown, "new", when), fields)
            self.archive.audit.append(
                "ingest", [sha256], file=shown, size=size, media_type=info.media_type, batch_id=self.summary.batch_id
            )
        self.unflushed += 1
        self.report(
            FileOutcome(shown, "new", sha256, size, info.media_type, pages=len(pages),
                        ocr_pages=sum(p.method != "text" for p in pages), warnings=warnings,
                        seconds=time.monotonic() - started)
        )
        self.maybe_flush()
        return None

    def maybe_flush(self, force: bool = False) -> None:
        due = self.unflushed >= INDEX_FLUSH_DOCS or time.monotonic() - self.last_flush >= INDEX_FLUSH_SECONDS
        if self.unflushed and (force or due):
            self.flush()

    def flush(self) -> None:
        try:
            self.archive.sync_index()
        except Exception as exc:  # the catalog has the documents; the index catches up on the next write
            log.debug("index update failed", exc_info=True)
            self.summary.index_warning = (
                f"the search index could not be updated ({exc}); the documents are safely catalogued: "
                "run `sigillo reindex`"
            )
        self.unflushed = 0
        self.last_flush = time.monotonic()


def ingest_paths(
    archive: Archive,
    paths: Iterable[Path],
    *,
    exclude: Iterable[str] = (),
    command: str = "ingest",
    on_outcome: Callable[[FileOutcome], None] = lambda o: None,
) -> BatchSummary:
    """Ingest every file under ``paths`` into ``archive``. Call with the archive's write lock held.

    Raises:
        MissingToolError: tesseract is needed and missing (the batch stops: nothing else could be OCR'd).
    """
    started = time.monotonic()
    archive.store.sweep_tmp()
    batch = _Batch(archive, command, on_outcome)
    status = "done"
    try:
        batch.flush()  # documents an interrupted run catalogued but did not index
        for item in discover(paths, exclude):
            batch.one(item)
    except BaseException as exc:  # Ctrl-C, a missing tool, a crash: what was done stays done
        status = "interrupted"
        batch.summary.interrupted = isinstance(exc, KeyboardInterrupt)
        raise
    finally:
        batch.maybe_flush(force=True)
        s = batch.summary
        s.seconds = time.monotonic() - started
        archive.catalog.finish_batch(
            s.batch_id, finished_at=now_utc(), status=status, new=s.new, duplicates=s.duplicates, failed=s.failed
        )
    seal_batch(archive, batch.summary)
    return batch.summary


def seal_batch(archive: Archive, summary: BatchSummary) -> None:
    """Seal the batch's new documents (and any an interrupted run left unsealed), then timestamp the checkpoint.

    Never raises for a sealing problem: the documents are stored, catalogued and indexed whatever happens here,
    and `sigillo seal` completes what could not be done now (the reason goes into ``summary.seal_warning``).
    """
    try:
        summary.seal = archive.seal(batch_id=summary.batch_id)
    except SigilloError as exc:
        summary.seal_warning = (
            f"the batch is stored and searchable but not sealed yet: {str(exc).rstrip('.')}. "
            f"{(exc.hint[:1].upper() + exc.hint[1:]).rstrip('.') if exc.hint else 'Fix that'}, then run `sigillo seal`"
        )
        return
    if summary.seal.pending:
        _, reason = summary.seal.pending[-1]
        summary.seal_warning = (
            f"the batch is stored and signed, but its timestamp is pending: {reason.rstrip('.')}. "
            "Run `sigillo seal` when the time-stamping authority can be reached"
        )
