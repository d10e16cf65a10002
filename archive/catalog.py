"""The catalog: one SQLite database (WAL) holding what the archive knows about each document.

The catalog is the source of truth; the search index is rebuilt from it. The debtor table (``debtor_table.py``,
for case files) is derived from it too, but lives inside it: written in the same transaction as each document and
each correction. The schema changes only through the numbered migrations below (``PRAGMA user_version`` records
the last one applied); a catalog written by a newer Sigillo is refused rather than damaged.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import debtor_table
from .errors import AmbiguousIdError, CatalogError, NotFoundError

__all__ = ["Catalog", "CorrectionRow", "DocumentRow", "FieldRow", "PageRow", "SightingRow"]


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


def _v2(db: sqlite3.Connection) -> None:
    """Classification, extracted fields (with where they were read), and human corrections."""
    _run_script(
        db,
        """
        ALTER TABLE documents ADD COLUMN doc_type_score REAL;
        CREATE TABLE fields (
            doc_id        TEXT NOT NULL REFERENCES documents(id),
            name          TEXT NOT NULL,                    -- a FIELDS.md name
            value         TEXT NOT NULL,                    -- JSON: a string, or a list for list fields
            confidence    REAL NOT NULL,
            page          INTEGER,
            bbox          TEXT,                             -- JSON [x0, y0, x1, y1] in the page's unit
            valid         INTEGER,                          -- 1, 0, or NULL when no check applies
            raw           TEXT NOT NULL DEFAULT '',
            checks        TEXT NOT NULL DEFAULT '[]',       -- JSON list of what was checked
            PRIMARY KEY (doc_id, name)
        );
        CREATE TABLE corrections (                         -- append-only: the extracted value stays in fields
            seq           INTEGER PRIMARY KEY AUTOINCREMENT,
            doc_id        TEXT NOT NULL REFERENCES documents(id),
            name          TEXT NOT NULL,
            old_value     TEXT,                             -- JSON; NULL when the field was absent
            new_value     TEXT,                             -- JSON; NULL when the correction removes the field
            os_user       TEXT NOT NULL,
            host          TEXT NOT NULL,
            at            TEXT NOT NULL
        );
        CREATE INDEX corrections_doc ON corrections(doc_id, name);
        """,
    )


def _v3(db: sqlite3.Connection) -> None:
    """Sealing: the hash-chained audit log, signed and timestamped checkpoints, one seal per document."""
    _run_script(
        db,
        """
        CREATE TABLE audit (                               -- append-only; see archive/audit.py for the chain
            seq           INTEGER PRIMARY KEY,               -- 1, 2, 3 … with no gap
            entry         BLOB NOT NULL,                     -- canonical JSON bytes, verbatim, never re-serialised
            hash          TEXT NOT NULL,                     -- SHA-256 (hex) of entry
            chain         TEXT NOT NULL                      -- SHA-256(chain of seq-1 || hash), hex: the log's head
        );
        CREATE TABLE audit_docs (                          -- which entries concern which documents (for `log --doc`)
            seq           INTEGER NOT NULL REFERENCES audit(seq),
            doc_id        TEXT NOT NULL
        );
        CREATE INDEX audit_docs_doc ON audit_docs(doc_id, seq);
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
        CREATE TABLE checkpoints (                         -- the files themselves live in seals/<number>/
            number        INTEGER PRIMARY KEY,               -- 1, 2, 3 …; each names the hash of the one before
            batch_id      TEXT,                              -- the ingest batch that closed it (NULL: `sigillo seal`)
            created_at    TEXT NOT NULL,                     -- our clock
            tree_size     INTEGER NOT NULL,
            root          TEXT NOT NULL,                     -- hex
            sha256        TEXT NOT NULL,                     -- of checkpoint.txt
            audit_seq     INTEGER NOT NULL,                  -- the audit head it commits to (0: empty log)
            audit_hash    TEXT NOT NULL,
            signer_sha256 TEXT NOT NULL,                     -- fingerprint of the archive certificate that signed it
            status        TEXT NOT NULL DEFAULT 'pending',   -- pending (no timestamp yet) | timestamped
            tsa           TEXT,                              -- "local" or the TSA's URL
            tsa_name      TEXT,
            gen_time      TEXT,                              -- the TSA's time (UTC), the trusted one
            qualified     INTEGER,                           -- the token's own claim (qcStatements)
            last_error    TEXT                               -- why the timestamp is still pending
        );
        CREATE TABLE seals (
            doc_id        TEXT PRIMARY KEY REFERENCES documents(id),
            checkpoint    INTEGER NOT NULL REFERENCES checkpoints(number),
            leaf_index    INTEGER NOT NULL,
            record        BLOB NOT NULL,                     -- the seal record: canonical JSON bytes, verbatim
            proof         TEXT NOT NULL                      -- the inclusion proof, text (signing.merkle format)
        );
        CREATE INDEX seals_checkpoint ON seals(checkpoint, leaf_index);
        CREATE TABLE meta (
            key           TEXT PRIMARY KEY,
            value         TEXT NOT NULL
        );
        """,
    )
    db.execute("INSERT INTO meta (key, value) VALUES ('archive_id', ?)", (str(uuid.uuid4()),))


def _v4(db: sqlite3.Connection) -> None:
    """The debtor table (derived from fields and corrections, for case files), filled for the documents so far."""
    _run_script(db, debtor_table.SCHEMA)
    debtor_table.rebuild(db, _field_values(db, debtor_table.CASE_TYPES, debtor_table.SOURCE_FIELDS))


def _v5(db: sqlite3.Connection) -> None:
    """The debtor table again: identifier keys no longer take the first two letters off a personal tax code or off
    anything but a VAT country prefix (``debtors.id_variants``)."""
    debtor_table.rebuild(db, _field_values(db, debtor_table.CASE_TYPES, debtor_table.SOURCE_FIELDS))


MIGRATIONS: Sequence[Callable[[sqlite3.Connection], None]] = (_v1, _v2, _v3, _v4, _v5)
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
    doc_type_score: float | None = None


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
class FieldRow:
    """A field as extracted (never overwritten: corrections are kept beside it)."""

    name: str
    value: str | tuple[str, ...]
    confidence: float
    page: int | None = None
    bbox: tuple[float, float, float, float] | None = None
    valid: bool | None = None
    raw: str = ""
    checks: tuple[str, ...] = ()


@dataclass(frozen=True)
class CorrectionRow:
    seq: int
    name: str
    old_value: str | tuple[str, ...] | None
    new_value: str | tuple[str, ...] | None
    os_user: str
    host: str
    at: str


def _dump(value: str | tuple[str, ...] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value if isinstance(value, str) else list(value), ensure_ascii=False)


def _overlay(corrections: Iterable[Any], values: dict[str, dict[str, str | tuple[str, ...]]]) -> None:
    """Lay (doc_id, name, new_value) corrections, oldest first, over ``values`` (doc id -> fields): the latest
    wins, and a correction to nothing removes the field. Documents not in ``values`` are skipped."""
    for doc_id, name, text in corrections:
        fields = values.get(doc_id)
        if fields is None:
            continue
        new = _load(text)
        if new is None:
            fields.pop(name, None)
        else:
            fields[name] = new


def _load_fast(text: str) -> str | tuple[str, ...] | None:
    """``_load`` for a JSON string without escapes (most field values) by slicing, else the decoder."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"' and "\\" not in text and '"' not in text[1:-1]:
        return text[1:-1]
    return _load(text)


def _load(text: str | None) -> str | tuple[str, ...] | None:
    if text is None:
        return None
    value = json.loads(text)
    return tuple(value) if isinstance(value, list) else value


def _field_values(
    db: sqlite3.Connection, doc_types: Sequence[str], names: Sequence[str]
) -> dict[str, tuple[str, str, dict[str, str | tuple[str, ...]]]]:
    """See ``Catalog.field_values``."""
    types, wanted = list(doc_types), list(names)
    t_marks, n_marks = ",".join("?" * len(types)), ",".join("?" * len(wanted))
    out: dict[str, tuple[str, str, dict[str, str | tuple[str, ...]]]] = {}
    for doc_id, doc_type, name in db.execute(
        f"SELECT id, doc_type, original_name FROM documents WHERE doc_type IN ({t_marks}) ORDER BY rowid", types
    ):
        out[doc_id] = (doc_type, name, {})
    for doc_id, name, text in db.execute(f"SELECT doc_id, name, value FROM fields WHERE name IN ({n_marks})", wanted):
        found = out.get(doc_id)
        if found is not None:
            found[2][name] = _load_fast(text)  # type: ignore[assignment]
    _overlay(db.execute(
        f"SELECT doc_id, name, new_value FROM corrections WHERE name IN ({n_marks}) ORDER BY seq", wanted
    ), {doc_id: found[2] for doc_id, found in out.items()})
    return out


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
                if self.db.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue  # another process applied it while this one waited for the lock
                MIGRATIONS[number](self.db)
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    def transaction(self) -> _Transaction:
        """``with catalog.transaction():`` — everything inside commits together or not at all.

        Transactions nest: an inner one joins the outer one (so an audit entry commits with the change it records).
        """
        return _Transaction(self)

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """``with catalog.snapshot():`` — the reads inside see one state of the catalog, whatever another process
        commits meanwhile (a read transaction; inside a transaction, that one)."""
        if self.db.in_transaction:
            yield
            return
        self.db.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            if self.db.in_transaction:
                self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Catalog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def archive_id(self) -> str:
        """A random id given to the archive when it was created: the origin of its checkpoints."""
        return str(self.db.execute("SELECT value FROM meta WHERE key = 'archive_id'").fetchone()[0])

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = "
                            "excluded.value", (key, value))

    # -- batches ---------------------------------------------------------------------------------------------
    def begin_batch(self, batch_id: str, command: str, os_user: str, host: str, started_at: str) -> None:
        """Record a new batch as 'running'. The caller holds the archive's write lock, so a batch still marked
        'running' belongs to a process that died (kill -9, power loss): it is closed first, as 'interrupted', with
        the counts of what it did get done (otherwise it would stay 'running' for ever after the re-run)."""
        with self.transaction():
            self.db.execute(
                "UPDATE batches SET status = 'interrupted', finished_at = COALESCE(finished_at, ?),"
                " new = (SELECT count(*) FROM sightings s WHERE s.batch_id = batches.id AND s.outcome = 'new'),"
                " duplicates = (SELECT count(*) FROM sightings s"
                "               WHERE s.batch_id = batches.id AND s.outcome = 'duplicate'),"
                " failed = (SELECT count(*) FROM failures f WHERE f.batch_id = batches.id)"
                " WHERE status = 'running'",
                (started_at,),
            )
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

    def add_document(
        self, doc: DocumentRow, pages: Iterable[PageRow], sighting: SightingRow, fields: Iterable[FieldRow] = ()
    ) -> None:
        """Record a new document with its pages, fields and first sighting, and its rows of the debtor table, in one
        transaction."""
        fields = list(fields)
        with self.transaction():
            self.db.execute(
                "INSERT INTO documents (id, size, kind, media_type, original_name, source_path, page_count,"
                " doc_type, language, ingested_at, batch_id, warnings, indexed, doc_type_score)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    doc.id, doc.size, doc.kind, doc.media_type, doc.original_name, doc.source_path,
                    doc.page_count, doc.doc_type, doc.language, doc.ingested_at, doc.batch_id,
                    json.dumps(list(doc.warnings), ensure_ascii=False), int(doc.indexed), doc.doc_type_score,
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
            self.db.executemany(
                "INSERT INTO fields (doc_id, name, value, confidence, page, bbox, valid, raw, checks)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        doc.id, f.name, _dump(f.value), f.confidence, f.page,
                        None if f.bbox is None else json.dumps([round(c, 2) for c in f.bbox]),
                        None if f.valid is None else int(f.valid), f.raw,
                        json.dumps(list(f.checks), ensure_ascii=False),
                    )
                    for f in fields
                ],
            )
            if doc.doc_type in debtor_table.CASE_TYPES:
                debtor_table.write(self.db, doc.id, doc.doc_type, {f.name: f.value for f in fields})
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

    def find_document(self, doc_id: str) -> DocumentRow | None:
        row = self.db.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        return None if row is None else _document(row)

    def document(self, doc_id: str) -> DocumentRow:
        doc = self.find_document(doc_id)
        if doc is None:
            raise NotFoundError(f"no document {doc_id}")
        return doc

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

    def fields(self, doc_id: str) -> dict[str, FieldRow]:
        """The fields as extracted, by name."""
        out = {}
        for r in self.db.execute("SELECT * FROM fields WHERE doc_id = ? ORDER BY name", (doc_id,)):
            out[r["name"]] = FieldRow(
                name=r["name"], value=_load(r["value"]), confidence=r["confidence"], page=r["page"],
                bbox=None if r["bbox"] is None else tuple(json.loads(r["bbox"])),
                valid=None if r["valid"] is None else bool(r["valid"]), raw=r["raw"],
                checks=tuple(json.loads(r["checks"])),
            )
        return out

    def corrections(self, doc_id: str) -> list[CorrectionRow]:
        """Every correction of the document's fields, oldest first."""
        return [
            CorrectionRow(seq=r["seq"], name=r["name"], old_value=_load(r["old_value"]),
                          new_value=_load(r["new_value"]), os_user=r["os_user"], host=r["host"], at=r["at"])
            for r in self.db.execute("SELECT * FROM corrections WHERE doc_id = ? ORDER BY seq", (doc_id,))
        ]

    def add_correction(
        self, doc_id: str, name: str, old: str | tuple[str, ...] | None, new: str | tuple[str, ...] | None,
        os_user: str, host: str, at: str,
    ) -> None:
        """Record a correction, mark the document for re-indexing and rewrite its rows of the debtor table, in one
        transaction."""
        with self.transaction():
            self.db.execute(
                "INSERT INTO corrections (doc_id, name, old_value, new_value, os_user, host, at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (doc_id, name, _dump(old), _dump(new), os_user, host, at),
            )
            self.db.execute("UPDATE documents SET indexed = 0 WHERE id = ?", (doc_id,))
            if name in debtor_table.SOURCE_FIELDS:
                row = self.db.execute("SELECT doc_type FROM documents WHERE id = ?", (doc_id,)).fetchone()
                if row is not None and row[0] in debtor_table.CASE_TYPES:
                    current = self.fields_of([doc_id], debtor_table.SOURCE_FIELDS)[doc_id]
                    debtor_table.write(self.db, doc_id, row[0], current)

    def rebuild_debtor_table(self) -> int:
        """Recompute the debtor table from fields and corrections, in one transaction; the number of documents."""
        with self.transaction():
            return debtor_table.rebuild(
                self.db, self.field_values(debtor_table.CASE_TYPES, debtor_table.SOURCE_FIELDS))

    def field_values(
        self, doc_types: Sequence[str], names: Sequence[str]
    ) -> dict[str, tuple[str, str, dict[str, str | tuple[str, ...]]]]:
        """Every document of ``doc_types`` as (doc_type, original_name, the fields ``names`` as they stand now,
        corrections applied), in three queries whatever the archive's size: for views over many documents (case
        files). Plain string values, the usual case, are read without the JSON decoder."""
        return _field_values(self.db, doc_types, names)

    def fields_of(
        self, ids: Sequence[str], names: Sequence[str]
    ) -> dict[str, dict[str, str | tuple[str, ...]]]:
        """The fields ``names`` of the documents ``ids`` as they stand now (the latest correction wins over the
        extracted value; a correction to nothing removes it), in two queries: for a page of search results."""
        wanted_ids, wanted = list(dict.fromkeys(ids)), list(names)
        out: dict[str, dict[str, str | tuple[str, ...]]] = {doc_id: {} for doc_id in wanted_ids}
        if not wanted_ids or not wanted:
            return out
        i_marks, n_marks = ",".join("?" * len(wanted_ids)), ",".join("?" * len(wanted))
        for row in self.db.execute(
            f"SELECT doc_id, name, value FROM fields WHERE doc_id IN ({i_marks}) AND name IN ({n_marks})",
            [*wanted_ids, *wanted],
        ):
            value = _load(row["value"])
            if value is not None:
                out[row["doc_id"]][row["name"]] = value
        _overlay(self.db.execute(
            f"SELECT doc_id, name, new_value FROM corrections WHERE doc_id IN ({i_marks}) AND name IN ({n_marks})"
            " ORDER BY seq",
            [*wanted_ids, *wanted],
        ), out)
        return out

    def all_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents ORDER BY id")]

    def unindexed_ids(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT id FROM documents WHERE indexed = 0 ORDER BY rowid")]

    def set_indexed(self, ids: Iterable[str], indexed: bool = True) -> None:
        with self.transaction():
            self.db.executemany("UPDATE documents SET indexed = ? WHERE id = ?", [(int(indexed), i) for i in ids])

    def count(self) -> int:
        return int(self.db.execute("SELECT count(*) FROM documents").fetchone()[0])

    def unsealed_documents(self) -> list[DocumentRow]:
        """Documents without a seal yet, in the order they were catalogued."""
        rows = self.db.execute(
            "SELECT d.* FROM documents d LEFT JOIN seals s ON s.doc_id = d.id WHERE s.doc_id IS NULL ORDER BY d.rowid"
        ).fetchall()
        return [_document(r) for r in rows]

    def iter_documents(self) -> Iterator[DocumentRow]:
        for row in self.db.execute("SELECT * FROM documents ORDER BY rowid"):
            yield _document(row)


class _Transaction:
    """BEGIN IMMEDIATE … COMMIT, rolled back on any exception; nested ones join the outermost."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self.outer = False

    def __enter__(self) -> sqlite3.Connection:
        db = self.catalog.db
        if not db.in_transaction:
            db.execute("BEGIN IMMEDIATE")
            self.outer = True
        return db

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        if not self.outer:
            return
        if exc_type is None:
            self.catalog.db.execute("COMMIT")
        else:
            self.catalog.db.execute("ROLLBACK")
