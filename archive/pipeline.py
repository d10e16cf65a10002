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
import multiprocessing
import os
import signal
import stat
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
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

__all__ = ["BatchSummary", "FileOutcome", "Tally", "Workers", "discover", "display_path", "ingest_paths"]

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
class Tally:
    """Files counted by outcome, and the pages of the new ones (a batch, a watch, a progress bar)."""

    new: int = 0
    duplicates: int = 0
    failed: int = 0
    pages: int = 0

    @property
    def files(self) -> int:
        return self.new + self.duplicates + self.failed

    def add(self, outcome: FileOutcome) -> None:
        if outcome.status == "new":
            self.new += 1
            self.pages += outcome.pages
        elif outcome.status == "duplicate":
            self.duplicates += 1
        else:
            self.failed += 1


@dataclass(kw_only=True)
class BatchSummary(Tally):
    batch_id: str
    seconds: float = 0.0
    interrupted: bool = False
    index_warning: str | None = None
    seal: SealOutcome | None = None
    seal_warning: str | None = None  # why the batch could not be sealed now (its documents are safe)
    outcomes: list[FileOutcome] = field(default_factory=list)


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


def analyse(pages: tuple[ingest.Page, ...]) -> tuple[ingest.Classification | None, list[FieldRow], str | None]:
    """Classify the document and extract its fields. Never raises: a document is archived even when its
    fields cannot be read (the problem comes back as a warning, and the error is logged)."""
    try:
        classification = classify(pages)
        found = extract_fields(pages, classification.doc_type, classification.language)
    except Exception as exc:
        log.warning("field extraction failed", exc_info=True)
        return None, [], f"fields could not be extracted ({type(exc).__name__}: {exc})"
    rows = [
        FieldRow(name=f.name, value=f.value, confidence=f.confidence, page=f.page, bbox=f.bbox, valid=f.valid,
                 raw=f.raw, checks=f.checks)
        for f in found.values()
    ]
    return classification, rows, None


WORKER_DIED = "a worker process died while extracting this file (crash, out of memory or killed)"
CRASH_ENV = "SIGILLO_TEST_WORKER_CRASH"  # tests only: a worker exits abruptly on a file whose name contains this

# What extracting one stored file gives back (plain, picklable data):
#   ("ok", pages, warnings, classification, fields, problem) | ("input", reason) | ("error", reason)
#   | ("missing", message, hint)
JobResult = tuple


def _should_die(shown: str) -> bool:
    """Tests only: read in the main process (a forkserver keeps the environment of its first start)."""
    crash = os.environ.get(CRASH_ENV)
    return bool(crash) and crash in shown


def extract_job(blob_path: str, options: ingest.ExtractOptions, shown: str, catch_all: bool = True,
                die: bool = False) -> JobResult:
    """Read one stored original: text layer or OCR, then classification and fields.

    Module-level (and free of archive state) so that it runs in a worker process under any start method; the
    catalog is written by the main process alone from what this returns.
    """
    if die and multiprocessing.parent_process() is not None:
        os._exit(70)
    try:
        extraction = ingest.extract(Path(blob_path), options)
        classification, fields, problem = analyse(extraction.pages)
    except IngestMissingTool as exc:
        return ("missing", str(exc), exc.hint)
    except InputError as exc:
        return ("input", str(exc))
    except Exception as exc:
        if not catch_all:
            raise
        log.warning("extraction of %s failed", shown, exc_info=True)
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return ("error", f"extraction failed ({type(exc).__name__}: {first_line})")
    return ("ok", _page_rows(extraction.pages), tuple(extraction.warnings), classification, fields, problem)


def _page_rows(pages: Iterable[ingest.Page]) -> list[PageRow]:
    return [
        PageRow(
            number=p.number, method=p.method, text=p.text, width=p.width, height=p.height, unit=p.unit,
            dpi=p.dpi, confidence=p.confidence,
            words=tuple((w.text, *(round(c, 2) for c in w.bbox), w.confidence, w.line) for w in p.words),
            warnings=p.warnings, seconds=p.seconds,
        )
        for p in pages
    ]


def page_job(blob_path: str, number: int, options: ingest.ExtractOptions, shown: str, die: bool = False) -> JobResult:
    """Read one page of a stored original (for a document whose pages are spread over the workers):
    ``("page", Page)`` or a failure as for :func:`extract_job`."""
    if die and multiprocessing.parent_process() is not None:
        os._exit(70)
    try:
        return ("page", ingest.extract_page(Path(blob_path), number, options))
    except IngestMissingTool as exc:
        return ("missing", str(exc), exc.hint)
    except InputError as exc:
        return ("input", str(exc))
    except Exception as exc:
        log.warning("extraction of page %d of %s failed", number, shown, exc_info=True)
        first_line = (str(exc).strip().splitlines() or [""])[0]
        return ("error", f"extraction failed on page {number} ({type(exc).__name__}: {first_line})")


def analyse_job(pages: tuple[ingest.Page, ...]) -> JobResult:
    """Classification and fields of a document whose pages were read by :func:`page_job`."""
    classification, fields, problem = analyse(pages)
    return ("ok", _page_rows(pages), (), classification, fields, problem)


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's business: it stops the pool


@dataclass(frozen=True)
class _Pending:
    """A file stored and waiting for its extraction."""

    path: Path
    shown: str
    sha256: str
    size: int
    kind: str
    media_type: str
    created: bool
    started: float


@dataclass
class _Split:
    """A document whose pages are read by several workers, then classified as a whole."""

    pending: _Pending
    blob_path: str
    outstanding: int
    pages: dict[int, ingest.Page] = field(default_factory=dict)
    failure: JobResult | None = None  # of the lowest-numbered page that failed
    failed_page: int = 0


@dataclass(frozen=True)
class _Job:
    """One unit of work in a worker: a whole document, one page of a split document, or a split document's
    classification and fields once all its pages are read."""

    pending: _Pending
    blob_path: str
    stage: str  # "whole" | "page" | "analyse"
    split: _Split | None = None
    number: int = 0


class Workers:
    """Extraction processes that outlive one batch: ``sigillo watch`` keeps one set for all its batches instead of
    starting new ones (about a second each) for every few files it ingests. ``ingest_paths`` takes one in place of
    a number; a plain number gets a set of its own, stopped at the end of the batch.

    Use as a context manager; ``shutdown`` stops the processes. A set that breaks (a worker killed by a hostile
    file) is replaced by ``renew``.
    """

    def __init__(self, count: int) -> None:
        self.count = max(1, count)
        self._executor: ProcessPoolExecutor | None = None

    def executor(self) -> ProcessPoolExecutor:
        if self._executor is None:
            if "forkserver" in multiprocessing.get_all_start_methods():
                ctx = multiprocessing.get_context("forkserver")
                ctx.set_forkserver_preload(["ingest", "ingest.classify", "ingest.fields", "archive.pipeline"])
            else:
                ctx = multiprocessing.get_context("spawn")
            self._executor = ProcessPoolExecutor(max_workers=self.count, mp_context=ctx, initializer=_worker_init)
        return self._executor

    def renew(self) -> ProcessPoolExecutor:
        """Drop the current processes (broken, or busy with jobs nobody waits for any more) and start new ones."""
        self.shutdown(abort=True)
        return self.executor()

    def shutdown(self, abort: bool = False) -> None:
        """Stop the processes: after their current jobs, or (``abort``) at once, killing them."""
        executor, self._executor = self._executor, None
        if executor is None:
            return
        if abort:
            procs = list((getattr(executor, "_processes", None) or {}).values())
            executor.shutdown(wait=False, cancel_futures=True)
            for proc in procs:
                if proc.is_alive():
                    proc.terminate()
        else:
            executor.shutdown(wait=True)

    def __enter__(self) -> Workers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown(abort=exc[0] is not None)


class _Pool:
    """Extraction in worker processes, at most ``2 × workers`` jobs in flight; results are catalogued by the main
    process as they come back (so SQLite keeps one writer).

    A scanned document of several pages (a multi-page TIFF, an image-only PDF) is split: each page is a job of
    its own, so that one long document keeps every core busy instead of one; its classification and fields are
    one more job once all its pages are back. Other documents are one job each (a text layer reads in
    milliseconds: splitting it would cost more than it saves).
    """

    def __init__(self, batch: _Batch, workers: Workers, owned: bool) -> None:
        self.batch = batch
        self.workers = workers
        self.owned = owned  # a set of processes of this batch's own, stopped with it
        self.limit = 2 * workers.count
        self.inflight: dict[Future[JobResult], _Job] = {}
        self.executor = workers.executor()

    def submit(self, p: _Pending, blob_path: str, pages: int = 1, split: bool = False) -> None:
        """Extract one stored document: as one job, or (``split``) as one job per page."""
        if not split or pages < 2:
            self._queue(_Job(p, blob_path, "whole"))
            return
        state = _Split(p, blob_path, outstanding=pages)
        for number in range(1, pages + 1):
            self._queue(_Job(p, blob_path, "page", state, number))

    def _queue(self, job: _Job, wait_for_room: bool = True) -> None:
        while wait_for_room and len(self.inflight) >= self.limit:
            self.drain(block=True)
        try:
            fut = self._submit(job)
        except BrokenProcessPool:  # broke since the last look: recover, then submit to the new pool
            self.drain(block=True)
            fut = self._submit(job)
        self.inflight[fut] = job

    def _submit(self, job: _Job) -> Future[JobResult]:
        options, shown = self.batch.options, job.pending.shown
        if job.stage == "page":
            return self.executor.submit(page_job, job.blob_path, job.number, options, shown, _should_die(shown))
        if job.stage == "analyse":
            assert job.split is not None
            pages = tuple(job.split.pages[n] for n in sorted(job.split.pages))
            return self.executor.submit(analyse_job, pages)
        return self.executor.submit(extract_job, job.blob_path, options, shown, True, _should_die(shown))

    def busy_with(self, sha256: str) -> bool:
        return any(job.pending.sha256 == sha256 for job in self.inflight.values())

    def drain(self, block: bool) -> None:
        """Catalog every finished extraction (waiting for at least one when ``block``)."""
        if not self.inflight:
            return
        done, _ = wait(list(self.inflight), timeout=None if block else 0, return_when=FIRST_COMPLETED)
        broken: list[_Job] = []
        for fut in [f for f in self.inflight if f in done]:  # in submission order
            job = self.inflight.pop(fut, None)
            if job is None:  # already taken care of by a recovery below
                continue
            try:
                result = fut.result()
            except BrokenProcessPool:
                broken.append(job)
                continue
            except Exception as exc:  # e.g. a result that could not be sent back
                result = ("error", f"extraction failed ({type(exc).__name__}: {exc})")
            if job.stage == "page":
                self._page_done(job, result)
            else:
                self.batch.finish(job.pending, result)
        if broken:
            self.recover(broken)

    def _page_done(self, job: _Job, result: JobResult) -> None:
        state = job.split
        assert state is not None
        state.outstanding -= 1
        if result[0] == "page":
            state.pages[job.number] = result[1]
        elif state.failure is None or job.number < state.failed_page:
            state.failure, state.failed_page = result, job.number
        if state.outstanding:
            return
        if state.failure is not None:
            self.batch.finish(state.pending, state.failure)
        else:  # tiny next to OCR: queued without waiting for room
            self._queue(_Job(state.pending, state.blob_path, "analyse", state), wait_for_room=False)

    def recover(self, broken: list[_Job]) -> None:
        """A worker died: every job in flight was lost with the pool. Start a new pool and extract each document
        concerned again, whole and one at a time, so that only the file that kills a worker fails."""
        doomed: dict[str, _Job] = {}
        for job in broken + list(self.inflight.values()):
            doomed.setdefault(job.pending.sha256, job)
        self.inflight.clear()
        self.executor = self.workers.renew()
        for job in doomed.values():
            try:
                result = self._submit(_Job(job.pending, job.blob_path, "whole")).result()
            except BrokenProcessPool:
                result = ("error", WORKER_DIED)
                self.executor = self.workers.renew()
            except Exception as exc:
                result = ("error", f"extraction failed ({type(exc).__name__}: {exc})")
            self.batch.finish(job.pending, result)

    def finish_all(self) -> None:
        while self.inflight:
            self.drain(block=True)

    def close(self, abort: bool) -> None:
        """Stop the workers; on ``abort`` (Ctrl-C, a missing tool) without waiting for the documents in flight
        (their originals are stored but not catalogued: the next run of the same command catalogs them). Shared
        workers (``Workers`` given to ``ingest_paths``) are kept for the next batch, unless aborted."""
        if abort:
            self.workers.shutdown(abort=True)
            self.inflight.clear()
        elif self.owned:
            self.workers.shutdown()


class _Batch:
    """The state of one running ingest."""

    def __init__(self, archive: Archive, command: str, on_outcome: Callable[[FileOutcome], None],
                 workers: int | Workers = 1) -> None:
        self.archive = archive
        self.pool: _Pool | None = None
        self.catalog = archive.catalog
        self.options = extract_options(archive)
        self.on_outcome = on_outcome
        self.summary = BatchSummary(batch_id=uuid.uuid4().hex)
        self.catalog.begin_batch(self.summary.batch_id, command, os_user(), host(), now_utc())
        self.unflushed = 0
        self.current = Path()  # the file being ingested (for the quarantine)
        self.last_flush = time.monotonic()
        if isinstance(workers, Workers):
            self.pool = _Pool(self, workers, owned=False) if workers.count > 1 else None
        elif workers > 1:
            self.pool = _Pool(self, Workers(workers), owned=True)

    def report(self, outcome: FileOutcome) -> None:
        s = self.summary
        s.add(outcome)
        if outcome.status == "failed":
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

        if self.pool is not None:
            self.pool.drain(block=False)  # catalog what has come back meanwhile
            while self.pool.busy_with(sha256):  # the same bytes, met again before the first copy was catalogued
                self.pool.drain(block=True)
            self.current = item.path
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

        pending = _Pending(item.path, shown, sha256, size, info.kind, info.media_type, blob.created, started)
        if self.pool is None:
            self.finish(pending, extract_job(str(blob.path), self.options, shown, catch_all=False))
        else:
            scanned = info.kind == "tiff" or (info.kind == "pdf" and not info.has_text_layer)
            self.pool.submit(pending, str(blob.path), info.page_count, split=scanned)
        return None

    def finish(self, p: _Pending, result: JobResult) -> None:
        """Catalog (or fail) one stored file from what its extraction returned. Runs in the main process only."""
        self.current = p.path
        kind = result[0]
        if kind == "missing":
            raise MissingToolError(result[1], hint=result[2])
        if kind in ("input", "error"):
            # Never catalogued, so not yet evidence: do not leave an orphan object behind.
            if p.created:
                self.archive.store.discard(p.sha256)
            return self.fail(p.shown, result[1], p.started, p.sha256)
        _, pages, ext_warnings, classification, fields, problem = result
        warnings = tuple(ext_warnings) + tuple(
            f"page {pg.number}: {w}" for pg in pages for w in pg.warnings
        ) + ((problem,) if problem else ())
        when = now_utc()
        doc = DocumentRow(
            id=p.sha256, size=p.size, kind=p.kind, media_type=p.media_type,
            original_name=display_path(p.path.name), source_path=p.shown, page_count=len(pages),
            doc_type=classification.doc_type if classification else None,
            language=classification.language if classification else None,
            ingested_at=when, batch_id=self.summary.batch_id, warnings=warnings, indexed=False,
            doc_type_score=classification.score if classification else None,
        )
        with self.catalog.transaction():  # the document and its audit entry commit together
            self.catalog.add_document(doc, pages, SightingRow(self.summary.batch_id, p.shown, "new", when), fields)
            self.archive.audit.append(
                "ingest", [p.sha256], file=p.shown, size=p.size, media_type=p.media_type,
                batch_id=self.summary.batch_id,
            )
        self.unflushed += 1
        self.report(
            FileOutcome(p.shown, "new", p.sha256, p.size, p.media_type, pages=len(pages),
                        ocr_pages=sum(pg.method != "text" for pg in pages), warnings=warnings,
                        seconds=time.monotonic() - p.started)
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
    workers: int | Workers | None = None,
) -> BatchSummary:
    """Ingest every file under ``paths`` into ``archive``. Call with the archive's write lock held.

    ``workers`` > 1 extracts (text layer, OCR, classification, fields) in that many worker processes while this
    process discovers, hashes, stores and catalogs; outcomes may then come back out of order. ``None`` or 1:
    everything in this process, one file after the other. A ``Workers`` set: its processes, left running for the
    caller's next batch.

    Raises:
        MissingToolError: tesseract is needed and missing (the batch stops: nothing else could be OCR'd).
    """
    started = time.monotonic()
    archive.store.sweep_tmp()
    batch = _Batch(archive, command, on_outcome, workers or 1)
    status = "done"
    try:
        batch.flush()  # documents an interrupted run catalogued but did not index
        for item in discover(paths, exclude):
            batch.one(item)
        if batch.pool is not None:
            batch.pool.finish_all()
            batch.pool.close(abort=False)
    except BaseException as exc:  # Ctrl-C, a missing tool, a crash: what was done stays done
        status = "interrupted"
        batch.summary.interrupted = isinstance(exc, KeyboardInterrupt)
        if batch.pool is not None:
            batch.pool.close(abort=True)
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
