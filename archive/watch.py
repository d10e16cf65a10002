"""Watch a hot folder: ingest files as scanners and people drop them, once each, after they stop growing.

Stdlib only: the folder is polled (no inotify). A file is *ready* when its size and modification time have not
changed for ``settle`` seconds and it can be opened. Ready files are ingested a few at a time with
:func:`archive.pipeline.ingest_paths` (each batch sealed as usual, its extraction in ``workers`` processes), the
write lock taken per batch so that other commands can run in between.

A file handled once (new, duplicate or failed) is remembered by (path, size, mtime) and not offered again unless
it changes. Across restarts the catalog remembers: a file whose bytes were already seen at the same path (a
sighting, or a failure with the same SHA-256) is skipped silently. With ``done`` set, ingested files are moved
there instead (keeping their path relative to the watched folder, never overwriting: a suffix is added).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from signing.digest import sha256_file

from .core import Archive
from .errors import BusyError
from .pipeline import BatchSummary, FileOutcome, Tally, Workers, display_path, ingest_paths

__all__ = ["TEMP_PATTERNS", "WatchSummary", "Watcher", "move_to_done"]

TEMP_PATTERNS = (".*", "*.part", "*.partial", "*.tmp", "*.temp", "*.crdownload", "*.download", "~$*", "*~")
BATCH_FILES = 10  # files per batch (one lock, one seal)


@dataclass
class WatchSummary(Tally):
    moved: int = 0
    batches: int = 0
    started: float = field(default_factory=time.monotonic)
    warnings: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


def _unique_target(target: Path) -> Path:
    if not os.path.lexists(target):
        return target
    stem, suffix = target.stem, target.suffix
    n = 1
    while True:
        candidate = target.with_name(f"{stem}-{n}{suffix}")
        if not os.path.lexists(candidate):
            return candidate
        n += 1


def move_to_done(path: Path, root: Path, done: Path) -> Path:
    """Move ``path`` (under ``root``) to the same relative place under ``done``; never overwrite (adds -1, -2 …)."""
    rel = path.relative_to(root)
    target = done / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:
        target = _unique_target(target)
        try:
            os.link(path, target)  # fails if target exists: no race can overwrite
        except FileExistsError:
            continue
        except OSError:  # another file system, or no hard links: copy into a file created exclusively
            try:
                with open(path, "rb") as src, open(target, "xb") as dst:
                    shutil.copyfileobj(src, dst, 1024 * 1024)
            except FileExistsError:
                continue
            shutil.copystat(path, target)
        os.unlink(path)
        return target


class Watcher:
    """Polls ``folder``; :meth:`poll` handles what is ready; :meth:`run` loops until :meth:`stop` is called."""

    def __init__(
        self,
        home: str | os.PathLike[str] | None,
        folder: Path,
        *,
        done: Path | None = None,
        interval: float = 2.0,
        settle: float = 3.0,
        exclude: Iterable[str] = (),
        wait: float | None = None,
        command: str = "sigillo watch",
        on_outcome: Callable[[FileOutcome, Path | None], None] = lambda o, moved: None,
        on_batch: Callable[[BatchSummary], None] = lambda s: None,
        on_warning: Callable[[str], None] = lambda text: None,
        workers: int | None = None,
    ) -> None:
        self.home = home
        self.folder = folder.resolve()
        self.done = done.resolve() if done is not None else None
        self.interval = interval
        self.settle = settle
        self.exclude = tuple(exclude) + TEMP_PATTERNS
        self.wait = wait
        self.command = command
        self.on_outcome = on_outcome
        self.on_batch = on_batch
        self.on_warning = on_warning
        self.workers = workers  # extraction processes (see ingest_paths); None or 1: in this process
        # with several, one set of processes for every batch (started with the first, stopped by close())
        self._workers = Workers(workers) if workers is not None and workers > 1 else None
        self.summary = WatchSummary()
        self.stopping = False
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> (size, mtime_ns, unchanged since)
        self._handled: dict[Path, tuple[int, int]] = {}  # path -> (size, mtime_ns) when handled
        self._warned: set[str] = set()

    # -- control ---------------------------------------------------------------------------------------------
    def stop(self) -> None:
        """Finish the current file and batch, then return from :meth:`run`."""
        self.stopping = True

    def run(self) -> WatchSummary:
        try:
            while not self.stopping:
                self.poll()
                deadline = time.monotonic() + self.interval
                while not self.stopping and time.monotonic() < deadline:
                    time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        finally:
            self.close()
        return self.summary

    def close(self) -> None:
        """Stop the extraction processes kept between batches (after ``poll`` used on its own)."""
        if self._workers is not None:
            self._workers.shutdown()

    @property
    def waiting(self) -> int:
        """Files seen but not ready yet (still changing, or changed too recently)."""
        return len(self._seen)

    # -- scanning --------------------------------------------------------------------------------------------
    def _skipped(self, name: str) -> bool:
        return any(fnmatch.fnmatch(name, p) for p in self.exclude)

    def files(self) -> Iterator[tuple[Path, os.stat_result]]:
        """Every candidate file under the folder with its stat (not the done folder, temp names or dotfiles)."""
        for top, dirs, names in os.walk(self.folder, followlinks=False):
            here = Path(top)
            dirs[:] = sorted(d for d in dirs if not self._skipped(d) and (self.done is None or here / d != self.done))
            for name in sorted(names):
                if self._skipped(name):
                    continue
                path = here / name
                try:
                    st = os.stat(path)
                except OSError:
                    continue  # gone, or a dangling link
                if stat.S_ISREG(st.st_mode):
                    yield path, st

    def ready(self, *, by_mtime: bool = False) -> list[Path]:
        """Files unchanged for ``settle`` seconds (by our own observation; or, with ``by_mtime``, by their
        modification time, for a single pass) that can be opened and have not been handled in this state."""
        now = time.monotonic()
        wall = time.time()
        present: set[Path] = set()
        out: list[Path] = []
        for path, st in self.files():
            present.add(path)
            state = (st.st_size, st.st_mtime_ns)
            if self._handled.get(path) == state:
                continue
            self._handled.pop(path, None)
            seen = self._seen.get(path)
            if seen is None or seen[:2] != state:
                since = now - max(0.0, wall - st.st_mtime) if by_mtime else now
                self._seen[path] = (*state, since)
                seen = self._seen[path]
            if now - seen[2] >= self.settle and _can_open(path):
                out.append(path)
        for gone in set(self._seen) - present:
            del self._seen[gone]
        for gone in set(self._handled) - present:
            del self._handled[gone]
        return out

    # -- handling --------------------------------------------------------------------------------------------
    def poll(self, *, by_mtime: bool = False) -> int:
        """Ingest what is ready now, in batches. Returns the number of files handled."""
        candidates = self.ready(by_mtime=by_mtime)
        if not candidates:
            return 0
        handled = 0
        archive = Archive.open(self.home, command=self.command)
        try:
            todo = [p for p in candidates if not self._already_seen(archive, p)]
            for start in range(0, len(todo), BATCH_FILES):
                if self.stopping:
                    break
                handled += self._batch(archive, todo[start : start + BATCH_FILES])
        finally:
            archive.close()
        return handled

    def _already_seen(self, archive: Archive, path: Path) -> bool:
        """True (and remembered) when the catalog already holds these bytes from this path, or their failure."""
        try:
            st = os.stat(path)
            sha256, _ = sha256_file(path)
        except OSError:
            return False  # the batch will report it
        shown = display_path(path)
        db = archive.catalog.db
        row = None
        if self.done is None:  # moved files cannot be here: a file at a done path is a new arrival
            row = db.execute("SELECT 1 FROM sightings WHERE doc_id = ? AND path = ? LIMIT 1",
                             (sha256, shown)).fetchone()
        if row is None:
            row = db.execute("SELECT 1 FROM failures WHERE sha256 = ? AND path = ? LIMIT 1", (sha256, shown)).fetchone()
        if row is None:
            return False
        self._handled[path] = (st.st_size, st.st_mtime_ns)
        self._seen.pop(path, None)
        return True

    def _batch(self, archive: Archive, paths: list[Path]) -> int:
        states = {}
        for p in paths:
            try:
                st = os.stat(p)
                states[display_path(p)] = (p, (st.st_size, st.st_mtime_ns))
            except OSError:
                states[display_path(p)] = (p, None)
        count = 0

        def outcome(o: FileOutcome) -> None:
            nonlocal count
            count += 1
            self.summary.add(o)
            path, state = states.get(o.path, (None, None))
            moved: Path | None = None
            if path is not None:
                try:
                    st = os.stat(path)
                    now_state = (st.st_size, st.st_mtime_ns)
                except OSError:
                    now_state = None
                if now_state is not None and now_state == state:
                    if self.done is not None and o.status != "failed":
                        try:
                            moved = move_to_done(path, self.folder, self.done)
                            self.summary.moved += 1
                        except OSError as exc:
                            self.on_warning(f"{o.path} was archived but could not be moved to {self.done}: "
                                            f"{exc.strerror or exc}; it stays where it is")
                            self._handled[path] = now_state
                    else:
                        self._handled[path] = now_state
                self._seen.pop(path, None)
            self.on_outcome(o, moved)

        def offered() -> Iterator[Path]:
            for p in paths:
                if self.stopping:  # finish the current file and this batch, nothing more
                    return
                yield p

        try:
            lock = archive.write_lock("watch", self.wait)
            lock.acquire()
        except BusyError as exc:
            if str(exc) not in self._warned:
                self._warned.add(str(exc))
                self.on_warning(f"{exc}; trying again at the next poll")
            return 0
        try:
            batch = ingest_paths(archive, offered(), command="watch", on_outcome=outcome,
                                 workers=self._workers or self.workers)
        finally:
            lock.release()
            if archive._engine is not None:  # another writer may rebuild the index between our batches
                archive._engine.close()
                archive._engine = None
        self.summary.batches += 1
        if batch.index_warning:
            self.summary.warnings.append(batch.index_warning)
        if batch.seal_warning:
            self.summary.warnings.append(batch.seal_warning)
        self.on_batch(batch)
        return count


def _can_open(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            fh.read(1)
        return True
    except OSError:
        return False
