"""Content-addressed store of originals: ``objects/ab/cdef…`` named by the SHA-256 of their bytes.

Writing is atomic and durable: bytes go to a temporary file in the archive's ``tmp/`` (same file system), are
hashed as they are copied, fsync'd, made read-only, then renamed into place and the folder is fsync'd. A crash at
any point leaves either no object or a complete one; stray temporary files are swept by the next writer.
Objects are never rewritten.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from signing.digest import sha256_file, sha256_stream

from .errors import IntegrityError

__all__ = ["BlobStore", "ChangedWhileReadingError", "StoredBlob"]

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
DIR_MODE = 0o700
FILE_MODE = 0o400


class ChangedWhileReadingError(Exception):
    """The source file's bytes changed between hashing and storing (still being written?)."""


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path
    created: bool  # False when the object was already in the store


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class BlobStore:
    """The originals of one archive."""

    def __init__(self, objects: Path, tmp: Path) -> None:
        self.objects = objects
        self.tmp = tmp

    def path(self, sha256: str) -> Path:
        """Where the object named ``sha256`` lives (whether or not it exists)."""
        if not _HEX64.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.objects / sha256[:2] / sha256[2:]

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()

    def put(self, source: Path, expected_sha256: str | None = None) -> StoredBlob:
        """Copy ``source`` into the store.

        Args:
            source: the file to store.
            expected_sha256: the digest the caller measured earlier; if the bytes copied now differ, the file
                changed in between and nothing is stored.

        Raises:
            ChangedWhileReadingError: the bytes differ from ``expected_sha256``.
            OSError: the source cannot be read or the archive cannot be written.
        """
        self.tmp.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=self.tmp, prefix="put-", suffix=".tmp")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as sink, open(source, "rb") as src:
                sha256, size = sha256_stream(src, sink)
                sink.flush()
                os.fsync(sink.fileno())
            if expected_sha256 is not None and sha256 != expected_sha256:
                raise ChangedWhileReadingError(
                    "the file changed while it was being read (still being written?); try again once it is complete"
                )
            final = self.path(sha256)
            if final.is_file():
                return StoredBlob(sha256, size, final, created=False)
            final.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
            os.chmod(tmp_path, FILE_MODE)
            os.replace(tmp_path, final)
            _fsync_dir(final.parent)
            return StoredBlob(sha256, size, final, created=True)
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()

    def discard(self, sha256: str) -> None:
        """Remove an object that never entered the catalog (ingest failed right after storing it)."""
        path = self.path(sha256)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            _fsync_dir(path.parent)

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def copy_to(self, sha256: str, sink: BinaryIO) -> int:
        """Write the object to ``sink``, checking its hash on the way. Raises IntegrityError on a mismatch."""
        with self.open(sha256) as src:
            actual, size = sha256_stream(src, sink)
        if actual != sha256:
            raise IntegrityError(
                f"stored object {sha256[:12]} is damaged: its bytes now hash to {actual[:12]}",
                hint="restore the archive's objects/ folder from a backup",
            )
        return size

    def verify(self, sha256: str) -> bool:
        """Whether the object's bytes still hash to its name."""
        return sha256_file(self.path(sha256))[0] == sha256

    def __iter__(self) -> Iterator[str]:
        """The names of all objects in the store."""
        if not self.objects.is_dir():
            return
        for sub in sorted(self.objects.iterdir()):
            if sub.is_dir() and len(sub.name) == 2:
                for obj in sorted(sub.iterdir()):
                    name = sub.name + obj.name
                    if _HEX64.match(name):
                        yield name

    def sweep_tmp(self) -> int:
        """Remove temporary files left by an interrupted write. Call only while holding the write lock."""
        removed = 0
        if self.tmp.is_dir():
            for entry in self.tmp.iterdir():
                if entry.is_dir():
                    shutil.rmtree(entry, ignore_errors=True)
                else:
                    entry.unlink(missing_ok=True)
                removed += 1
        return removed
