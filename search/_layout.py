"""The index folder: generations, a sentinel naming the live one, and the atomic swap.

Engine-independent. The path an engine is given holds::

    index.json          the sentinel: engine, schema version, field fingerprint, and the live generation
    gen-<time>-<rand>/  one complete index per generation (the engine's own files)

A rebuild writes a new generation beside the live one and then replaces ``index.json`` in one ``os.replace``:
readers see the old index or the new one, never half of either, and a crash before the swap leaves the old
index live (the orphan generation is removed by the next successful swap). The sentinel doubles as the
schema-version check: an index written by another version is refused with ``IndexOutdatedError``.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import IndexCorruptError, IndexMissingError, IndexOutdatedError

__all__ = ["IndexDir", "Sentinel"]

SENTINEL = "index.json"
FORMAT = "sigillo-search-index"
_GEN_PREFIX = "gen-"


@dataclass(frozen=True)
class Sentinel:
    """What ``index.json`` says."""

    engine: str
    schema: int
    fields: str  # search.fields.fingerprint(): the registry and the analysis version
    generation: str
    format: str = FORMAT


class IndexDir:
    """One engine's index folder."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.sentinel_path = self.path / SENTINEL

    # -- reading -------------------------------------------------------------------------------------------------
    def stamp(self) -> tuple[int, int, int] | None:
        """Changes whenever a new generation is published (cheap: one stat)."""
        try:
            st = self.sentinel_path.stat()
        except OSError:
            return None
        return st.st_ino, st.st_mtime_ns, st.st_size

    def read(self) -> Sentinel:
        """The sentinel. Raises IndexMissingError, IndexOutdatedError or IndexCorruptError."""
        try:
            raw = self.sentinel_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            if self.path.is_dir() and any(self.path.iterdir()):
                raise IndexOutdatedError(
                    f"the search index at {self.path} has no {SENTINEL} (made by an older version?); "
                    "run `sigillo reindex`"
                ) from None
            raise IndexMissingError(f"there is no search index at {self.path}") from None
        except OSError as exc:
            raise IndexCorruptError(f"cannot read {self.sentinel_path}: {exc.strerror}") from exc
        try:
            data = json.loads(raw)
            sentinel = Sentinel(**data)
        except (ValueError, TypeError) as exc:
            raise IndexCorruptError(f"{self.sentinel_path} is unreadable") from exc
        if sentinel.format != FORMAT or not sentinel.generation.startswith(_GEN_PREFIX):
            raise IndexCorruptError(f"{self.sentinel_path} is not a Sigillo index sentinel")
        return sentinel

    def live(self, engine: str, schema: int, fields: str) -> Path:
        """The live generation's folder, after checking that this code can read it."""
        sentinel = self.read()
        if (sentinel.engine, sentinel.schema, sentinel.fields) != (engine, schema, fields):
            raise IndexOutdatedError(
                f"the search index at {self.path} was built by another version ({sentinel.engine} schema "
                f"{sentinel.schema}/{sentinel.fields}; this one needs {engine} schema {schema}/{fields}); "
                "run `sigillo reindex`"
            )
        folder = self.path / sentinel.generation
        if not folder.is_dir():
            raise IndexCorruptError(f"its folder {sentinel.generation} is missing")
        return folder

    # -- writing -------------------------------------------------------------------------------------------------
    def new_generation(self) -> Path:
        """A new, empty generation folder beside the live one (not live until ``publish``)."""
        self.path.mkdir(parents=True, exist_ok=True)
        folder = self.path / f"{_GEN_PREFIX}{time.time_ns():x}-{secrets.token_hex(4)}"
        folder.mkdir(mode=0o700)
        return folder

    def publish(self, folder: Path, engine: str, schema: int, fields: str) -> None:
        """Make ``folder`` the live generation in one atomic rename, then remove the other generations."""
        _fsync_tree(folder)
        sentinel = Sentinel(engine=engine, schema=schema, fields=fields, generation=folder.name)
        tmp = self.path / f".{SENTINEL}.{secrets.token_hex(4)}.tmp"
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(asdict(sentinel), fh, indent=2)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.sentinel_path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        _fsync_dir(self.path)
        self.remove_stale(keep=folder.name)

    def discard(self, folder: Path) -> None:
        """Remove a generation that was never published (best effort)."""
        shutil.rmtree(folder, ignore_errors=True)

    def remove_stale(self, keep: str) -> None:
        """Remove every generation but ``keep``, and leftover temporary sentinels (best effort: a reader in
        another process may still hold an old generation's files; on POSIX it keeps reading them)."""
        for child in self.path.iterdir():
            if child.name.startswith(_GEN_PREFIX) and child.name != keep:
                shutil.rmtree(child, ignore_errors=True)
            elif child.name.startswith(f".{SENTINEL}.") and child.name.endswith(".tmp"):
                child.unlink(missing_ok=True)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform lets a directory be opened
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _fsync_tree(folder: Path) -> None:
    """Flush a generation's files to disk before it is published (a crash then leaves it whole or unpublished)."""
    for child in folder.iterdir():
        if child.is_file():
            with open(child, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)
