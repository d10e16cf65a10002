"""The catalog: one SQLite database (WAL) holding what the archive knows about each document.

The catalog is the source of truth; the search index is rebuilt from it. Its schema changes only through the
numbered migrations below (``PRAGMA user_version`` records the last one applied); a catalog written by a newer
Sigillo is refused rather than damaged.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import AmbiguousIdError, CatalogError, NotFoundError

__all__ = ["Catalog", "DocumentRow", "PageRow", "SightingRow"]


def _run_script(db: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction (``executescript`` would commit first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"incomplete SQL statement: {statement!r}")


def _v1(db: sqlite3.Connection) -> None:
    _run_script(
        db,
        """
        CREATE TABLE batches (
            id            TEXT PRIMARY KEY,
            command       TEXT NOT NULL,
            os_user       TEXT NOT NULL,
            host          TEXT NOT NULL,
            started_at    TEXT NOT NULL,
            finished_at   TEXT,
            status        TEXT NOT NULL DEFAULT 'running',  -- running | done | interrupted
            new           INTEGER NOT NULL DEFAULT 0,
            duplicates    INTEGER NOT NULL DEFAULT 0,
            failed        INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE documents (
            id            TEXT PRIMARY KEY,                 -- SHA-256 of the original bytes (hex)
            size          INTEGER NOT NULL,
            kind          TEXT NOT NULL,                    -- pdf | png | jpeg | tiff
            media_type    TEXT NOT NULL,
            original_name TEXT NOT NULL,
            source_path   TEXT NOT NULL,
            page_count    INTEGER NOT NULL,
            doc_type      TEXT,
            language      TEXT,
            ingested_at   TEXT NOT NULL,                    -- UTC, ISO 8601, our clock
            batch_id      TEXT NOT NULL REFERENCES batches(id),
            warnings      TEXT NOT NULL DEFAULT '[]',       -- JSON list
            indexed       INTEGER NOT NULL DEFAULT 0        -- 1 once the search index has it
        );
        CREATE INDEX documents_unindexed ON documents(indexed) WHERE indexed = 0;
        CREATE TABLE pages (
            doc_id        TEXT NOT NULL REFERENCES documents(id),
            number        INTEGER NOT NULL,
            method        TEXT NOT NULL,                    -- text | ocr | empty
            text          TEXT NOT NULL,
            width         REAL NOT NULL,
            height        REAL NOT NULL,
            unit          TEXT NOT NULL,                    -- pt | px
            dpi           INTEGER,
            confidence    REAL,
            words         TEXT NOT NULL,                    -- JSON [[text, x0, y0, x1, y1, confidence, line], …]
            warnings      TEXT NOT NULL DEFAULT '[]',
            seconds       REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (doc_id, number)
        );
        CREATE TABLE sightings (                           -- every time these bytes were offered to the archive
            doc_id        TEXT NOT NULL REFERENCES documents(id),
            batch_id      TEXT NOT NULL REFERENCES batches(id),
            path          TEXT NOT NULL,
            outcome       TEXT NOT NULL,                    -- new | duplicate
            seen_at       TEXT NOT NULL
        );
        CREATE INDEX sightings_doc ON sightings(doc_id);
        CREATE TABLE failures (
            batch_id      TEXT NOT NULL REFERENCES batches(id),
            path          TEXT NOT NULL,
            sha256        TEXT,
            reason        TEXT NOT NULL,
            seen_at       TEXT NOT NULL
        );
        """
    )


MIGRATIONS: Sequence[Callable[[sqlite3.Connection], None]] = (_v1,)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class DocumentRow:
    id: str
    size: int
    kind: str
    media_type: str
    original_name: str
    source_path: str
    page_count: int
    doc_type: str | None
    language: str | None
    ingested_at: str
    batch_id: str
    warnings: tuple[str, ...]
    indexed: bool


@dataclass(frozen=True)
class PageRow:
    number: int
    method: str
    text: str
    width: float
    height: float
    unit: str
    dpi: int | None
    confidence: float | None
    words: tuple[tuple[Any, ...], ...]
    warnings: tuple[str, ...]
    seconds: float


@dataclass(frozen=True)
class SightingRow:
    batch_id: str
    path: str
    outcome: str
    seen_at: str


def _document(row: sqlite3.Row) -> DocumentRow:
    data = dict(row)
    data["warnings"] = tuple(json.loads(data["warnings"]))
    data["indexed"] = bool(data["indexed"])
    return DocumentRow(**data)


class Catalog:
    """A connection to one archive's catalog. Close it, or use it as a context manager."""

    def __init__(self, path: Path, *, create: bool = False) -> None:
        if not create and not path.is_file():
            raise NotFoundError(f"no catalog at {path}")
        self.path = path
        try:
            self.db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
            self.db.row_factory = sqlite3.Row
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=FULL")
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise CatalogError(
                f"the catalog {path} cannot be read: {exc}", hint="restore catalog.sqlite3 from a backup"
            ) from exc

    # -- plumbing --------------------------------------------------------------------------------------------
    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise CatalogError(
                f"the catalog {self.path} has schema version {version}, newer than this Sigillo knows "
                f"({SCHEMA_VERSION})",
                hint="upgrade Sigillo before using this archive",
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def transaction(self) -> _Transaction:
        """``with catalog.transaction():`` — everything inside commits together or not at all."""
        return _Transaction(self.db)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- batches ---------------------------------------------------------------------------------------------
    def begin_batch(self, batch_id: str, command: str, os_user: str, host: str, started_at: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO batches (id, command, os_user, host, started_at) VALUES (?, ?, ?, ?, ?)",
                (batch_id, command, os_user, host, started_at),
            )

    def finish_batch(
        self, batch_id: str, *, finished_at: str, status: str, new: int, duplicates: int, failed: int
    ) -> None:
        with self.transaction():
            self.db.execute(
                "UPDATE batches SET finished_at = ?, status = ?, new = ?, duplicates = ?, failed = ? WHERE id = ?",
                (finished_at, status, new, duplicates, failed, batch_id),
            )

    # -- documents -------------------------------------------------------------------------------------------
    def has_document(self, doc_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM documents WHERE id = ?", (doc_id,)).fetchone() is not None

    def add_document(self, doc: DocumentRow, pages: Iterable[PageRow], sighting: SightingRow) -> None:
        """Record a new document with its pages and first sighting, in one transaction."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO documents (id, size, kind, media_type, original_name, source_path, page_count,"
                " doc_type, language, ingested_at, batch_id, warnings, indexed)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.id, doc.size, doc.kind, doc.media_type, doc.original_name, doc.source_path,
                    doc.page_count, doc.doc_type, doc.language, doc.ingested_at, doc.batch_id,
                    json.dumps(list(doc.warnings), ensure_ascii=False), int(doc.indexed),
                ),
            )
            self.db.executemany(
                "INSERT INTO pages (doc_id, number, method, text, width, height, unit, dpi, confidence, words,"
                " warnings, seconds) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        doc.id, p.number, p.method, p.text, p.width, p.height, p.unit, p.dpi, p.confidence,
                        json.dumps([list(w) for w in p.words], ensure_ascii=False, separators=(",", ":")),
                        json.dumps(list(p.warnings), ensure_ascii=False), p.seconds,
                    )
                    for p in pages
                ],
            )
            self._insert_sighting(doc.id, sighting)

    def add_sighting(self, doc_id: str, sighting: SightingRow) -> None:
        with self.transaction():
            self._insert_sighting(doc_id, sighting)

    def _insert_sighting(self, doc_id: str, s: SightingRow) -> None:
        self.db.execute(
            "INSERT INTO sightings (doc_id, batch_id, path, outcome, seen_at) VALUES (?, ?, ?, ?, ?)",
            (doc_id, s.batch_id, s.path, s.outcome, s.seen_at),
        )

    def record_failure(self, batch_id: str, path: str, sha256: str | None, reason: str, seen_at: str) -> None:
        with self.transaction():
            self.db.execute(
                "INSERT INTO failures (batch_id, path, sha256, reason, seen_at) VALUES (?, ?, ?, ?, ?)",
                (batch_id, path, sha256, reason, seen_at),
            )

    def resolve(self, prefix: str) -> str:
        """The full id of the one document whose id starts with ``prefix`` (at least 4 hex digits)."""
        prefix = prefix.strip().lower()
        if len(prefix) < 4 or any(c not in "0123456789abcdef" for c in prefix):
            raise NotFoundError(
                f"'{prefix}' is not a document id: give at least 4 hex digits of its SHA-256",
            )
        rows = self.db.execute(
            "SELECT id FROM documents WHERE id >= ? AND id < ? ORDER BY id LIMIT 6",
            (prefix, prefix + "g"),
        ).fetchall()
        if not rows:
            raise NotFoundError(f"no document with an id starting '{prefix}'")
        if len(rows) > 1:
            shown = ", ".join(r["id"][:16] for r in rows[:5])
            raise AmbiguousIdError(f"'{prefix}' matches several documents: {shown}{', …' if len(rows) > 5 else ''}")
        return str(rows[0]["id"])

    def document(self, doc_id: str) -> DocumentRow:
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no document {doc_id}")
        return _document(row)

    def documents(self, ids: Sequence[str]) -> dict[str, DocumentRow]:
        out: dict[str, DocumentRow] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.execute(f"SELECT * FROM documents WHERE id IN ({marks})", chunk):
                out[row["id"]] = _document(row)
        return out

    def pages(self, doc_id: str) -> list[PageRow]:
        rows = self.db.execute(
            "SELECT number, method, text, width, height, unit, dpi, confidence, words, warnings, seconds"
            " FROM pages WHERE doc_id = ? ORDER BY number",
            (doc_id,),
        ).fetchall()
        return [
            PageRow(
                number=r["number"], method=r["method"], text=r["text"], width=r["width"], height=r["height"],
                unit=r["unit"], dpi=r["dpi"], confidence=r["confidence"],
                words=tuple(tuple(w) for w in json.loads(r["words"])),
                warnings=tuple(json.loads(r["warnings"])), seconds=r["seconds"],
            )
            for r in rows
        ]

    def text(self, doc_id: str) -> str:
        rows = self.db.execute("SELECT text FROM pages WHERE doc_id = ? ORDER BY number", (doc_id,)).fetchall()
        return "\f".join(r["text"] for r in rows)

    def sightings(self, doc_id: str) -> list[SightingRow]:
        rows = self.db.execute(
            "SELECT batch_id, path, outcome, seen_at FROM sightings WHERE doc_id = ? ORDER BY rowid", (doc_id,)
        ).fetchall()
        return [SightingRow(**dict(r)) for r in rows]

    def all_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents ORDER BY id")]

    def unindexed_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents WHERE indexed = 0 ORDER BY rowid")]

    def set_indexed(self, ids: Iterable[str], indexed: bool = True) -> None:
        with self.transaction():
            self.db.executemany("UPDATE documents SET indexed = ? WHERE id = ?", [(int(indexed), i) for i in ids])

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def iter_documents(self) -> Iterator[DocumentRow]:
        for row in self.db.execute("SELECT * FROM documents ORDER BY rowid"):
            yield _document(row)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db

    def __enter__(self) -> sqlite3.Connection:
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if exc_type is None:
            self.db.execute("COMMIT")
        else:
            self.db.execute("ROLLBACK")
