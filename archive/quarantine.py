"""The quarantine: a copy of every file a batch could not ingest, with the reason, for a later retry.

``quarantine/<sha256>/<name>`` holds the bytes (copied, never moved: the source is left exactly as it was) and
``quarantine/<sha256>/reason.json`` says why::

    {"path": "inbox/scan 3.pdf", "file_name": "scan 3.pdf", "sha256": "…", "size": 1234,
     "reason": "…", "batch_id": "…", "time": "2024-…Z", "first_time": "2024-…Z", "attempts": 1}

The folder is named by the SHA-256 of the bytes actually copied, so the same bytes failing again (from any path)
update ``attempts`` instead of being copied twice. Files with no bytes to copy (unreadable, a symlink loop, a
device) are reported as failed but not quarantined. `sigillo quarantine retry` ingests the copies again; those
that succeed leave the quarantine.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from signing.digest import sha256_stream

from .store import DIR_MODE

__all__ = ["QuarantineEntry", "entries", "quarantine_file", "remove", "safe_name"]

log = logging.getLogger(__name__)

REASON_FILE = "reason.json"
_UNSAFE = re.compile(r"[^\w.\-+() ]", re.UNICODE)
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class QuarantineEntry:
    id: str  # the SHA-256 of the bytes (the folder's name)
    folder: Path
    file: Path  # the copy
    info: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "copy": str(self.file), **self.info}


def safe_name(name: str) -> str:
    """A file name that is valid UTF-8, has no separators or control characters, and is not hidden or empty."""
    cleaned = _UNSAFE.sub("_", _text(name)).strip(" .")
    if cleaned == REASON_FILE:
        cleaned = "_" + cleaned
    return cleaned[:200] or "file"


def _text(value: str) -> str:
    """Text that can be written as UTF-8 (an undecodable file name's surrogates become backslash escapes)."""
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    data = {k: _text(v) if isinstance(v, str) else v for k, v in data.items()}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def quarantine_file(
    root: Path, tmp: Path, source: Path, *, shown: str, file_name: str, reason: str, batch_id: str, when: str
) -> tuple[str, dict[str, Any]] | None:
    """Copy ``source`` into the quarantine under ``root`` (streamed and hashed; the source is only read).

    Returns (id, the record written), or None when the file cannot be read (nothing to keep). A file already in
    quarantine (same bytes) has its record updated (``attempts`` + 1, latest reason); it is not copied again.
    """
    tmp.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=tmp, prefix="quarantine-", suffix=".tmp")
    tmp_path = Path(tmp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as sink, open(source, "rb") as src:
                sha256, size = sha256_stream(src, sink)
                sink.flush()
                os.fsync(sink.fileno())
        except OSError as exc:
            log.warning("cannot quarantine %s: %s", shown, exc)
            return None
        folder = root / sha256
        record_path = folder / REASON_FILE
        if record_path.is_file():
            info = _read_json(record_path)
            info.update(reason=reason, batch_id=batch_id, time=when, attempts=int(info.get("attempts", 0)) + 1)
            info.setdefault("sha256", sha256)
            info.setdefault("size", size)
            _write_json(record_path, info)
            return sha256, info
        folder.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        name = safe_name(file_name)
        os.chmod(tmp_path, 0o400)
        os.replace(tmp_path, folder / name)
        info = {"path": shown, "file_name": file_name, "copy_name": name, "sha256": sha256, "size": size,
                "reason": reason, "batch_id": batch_id, "time": when, "first_time": when, "attempts": 1}
        _write_json(record_path, info)
        return sha256, info
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def entries(root: Path) -> Iterator[QuarantineEntry]:
    """Every quarantined file, oldest first."""
    if not root.is_dir():
        return
    found = []
    for folder in root.iterdir():
        if not (folder.is_dir() and _HEX64.match(folder.name)):
            continue
        info = _read_json(folder / REASON_FILE)
        copy = folder / str(info.get("copy_name") or "")
        if not info.get("copy_name") or not copy.is_file():
            others = [p for p in folder.iterdir() if p.name != REASON_FILE and not p.name.endswith(".tmp")]
            if not others:
                continue
            copy = others[0]
        found.append(QuarantineEntry(folder.name, folder, copy, info))
    yield from sorted(found, key=lambda e: (str(e.info.get("first_time", "")), e.id))


def remove(entry: QuarantineEntry) -> None:
    """Take a file out of the quarantine (after it was catalogued)."""
    for path in entry.folder.iterdir():
        with contextlib.suppress(OSError):
            os.chmod(path, 0o600)
    shutil.rmtree(entry.folder)
