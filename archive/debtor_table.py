"""The debtor table: who each case document is about, kept in the catalog beside the fields it is derived from.

For every invoice, credit note, contract and dunning letter, with its fields as they stand now (corrections
applied), the catalog holds:

* ``debtor_docs``: one row with its debtor keys ("n:<name key>", "i:<identifier key>", see ``debtors.py``) and the
  few values ``case --list`` needs, read as a case file reads them (``case_values.py``): the names printed, the
  document's own date, issue and due dates, currency, total; all of it in one query;
* ``debtor_keys``: one row per debtor key of the document, for finding one debtor's documents, with the name as
  the document first prints it, and whether the document is a contract (whose parties are distinct debtors: a
  contract does not tie its keys together).

Nothing here is evidence: every row is recomputed from documents, fields and corrections (:func:`rebuild`, run by
the v4 migration and by ``sigillo doctor --repair``, which also checks the table against a recomputation).
``Catalog.add_document`` and ``Catalog.add_correction`` keep it in the transaction of the change itself, so it
never disagrees with the catalog after a crash. The archive's own organisation is a setting and may change: its
key is stored like any other, and readers leave it out.

A change to how keys are made (``debtors.name_key``, ``debtors.id_variants``) or to what is derived here needs a
catalog migration that calls :func:`rebuild`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date

from .case_values import WHEN_FIELDS, doc_date, parse_amount, parse_date
from .debtors import id_variants, name_key

__all__ = ["CASE_TYPES", "SOURCE_FIELDS", "all_rows", "derive", "expand", "first_printed", "name_keys", "present",
           "rebuild", "stale_documents", "stored_rows", "write"]

CASE_TYPES = ("invoice", "credit_note", "contract", "dunning_letter")
# where each type of document names its debtor(s); identifiers are read from invoices and credit notes only
NAME_FIELD = {"invoice": "buyer_name", "credit_note": "buyer_name", "dunning_letter": "debtor_name",
              "contract": "parties"}
ID_FIELDS = ("buyer_vat_id", "buyer_tax_code")
# the fields the table is derived from
SOURCE_FIELDS = ("buyer_name", "debtor_name", "parties", *ID_FIELDS, *WHEN_FIELDS, "due_date", "currency",
                 "total_amount")

SCHEMA = """
CREATE TABLE debtor_docs (                         -- derived (archive/debtor_table.py): one per case document
    doc_id         TEXT PRIMARY KEY REFERENCES documents(id),
    doc_type       TEXT NOT NULL,
    keys           TEXT NOT NULL,                    -- its debtor keys, sorted, joined by U+001F (in no key)
    names          TEXT NOT NULL,                    -- JSON list: buyer_name, debtor_name or parties, as printed
    doc_date       TEXT,                             -- YYYY-MM-DD: the first of issue, letter, signing, effective
    issue_date     TEXT,                             -- YYYY-MM-DD, NULL when absent or not a date
    due_date       TEXT,                             -- YYYY-MM-DD, NULL when absent or not a date
    currency       TEXT,                             -- as printed, NULL when absent
    total_amount   TEXT                              -- to the cent ("1234.50"), NULL when absent or not a number
);
CREATE TABLE debtor_keys (                         -- derived (archive/debtor_table.py): who a document is about
    key            TEXT NOT NULL,                    -- "n:<name key>" | "i:<identifier key>"
    doc_id         TEXT NOT NULL REFERENCES documents(id),
    contract       INTEGER NOT NULL,                 -- 1: a contract's party, which ties no key to another
    name           TEXT,                             -- a name key: the name as the document first prints it
    PRIMARY KEY (key, doc_id)
) WITHOUT ROWID;
CREATE INDEX debtor_keys_doc ON debtor_keys(doc_id);
"""

Fields = Mapping[str, str | tuple[str, ...]]
DocRow = tuple[str | None, ...]  # DOC_COLUMNS
SEP = "\x1f"  # between the keys of a document: name and identifier keys never hold it (it is a space to them)
DOC_COLUMNS = ("doc_id", "doc_type", "keys", "names", "doc_date", "issue_date", "due_date", "currency",
               "total_amount")
KeyRow = tuple[str, str, int, str | None]  # (key, doc_id, contract, name)


def _values(fields: Fields, name: str) -> tuple[str, ...]:
    value = fields.get(name)
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def names_of(doc_type: str, fields: Fields) -> tuple[str, ...]:
    """The names a document gives its debtor (a contract: all its parties), as printed."""
    return _values(fields, NAME_FIELD[doc_type]) if doc_type in NAME_FIELD else ()


def keys_of(doc_type: str, fields: Fields) -> dict[str, str | None]:
    """The debtor keys of a document, each with the name that gave it (None for an identifier)."""
    keys: dict[str, str | None] = {}
    for name in names_of(doc_type, fields):
        k = name_key(name) if isinstance(name, str) else ""
        if k:
            keys.setdefault("n:" + k, name)
    if doc_type in ("invoice", "credit_note"):
        for field in ID_FIELDS:
            for value in _values(fields, field):
                for k in sorted(id_variants(value)) if isinstance(value, str) else ():
                    keys.setdefault("i:" + k, None)
    return keys


def derive(doc_id: str, doc_type: str, fields: Fields) -> tuple[DocRow, list[KeyRow]]:
    """The rows of one document, from its fields as they stand now."""
    def get(name: str) -> str | None:
        value = fields.get(name)
        return value if isinstance(value, str) else None

    def iso(day: date | None) -> str | None:
        return day.isoformat() if day is not None else None

    keys = keys_of(doc_type, fields)
    total = parse_amount(get("total_amount"))
    doc = (doc_id, doc_type, SEP.join(sorted(keys)), json.dumps(list(names_of(doc_type, fields)), ensure_ascii=False),
           iso(doc_date(get)), iso(parse_date(get("issue_date"))), iso(parse_date(get("due_date"))), get("currency"),
           None if total is None else str(total))
    contract = int(doc_type == "contract")
    return doc, [(k, doc_id, contract, name) for k, name in keys.items()]


_INSERT_DOC = f"INSERT INTO debtor_docs ({', '.join(DOC_COLUMNS)}) VALUES ({', '.join('?' * len(DOC_COLUMNS))})"
# a rewritten document keeps its place (rowid): the table stays in catalog order
_UPSERT_DOC = _INSERT_DOC + " ON CONFLICT(doc_id) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in DOC_COLUMNS[1:])
_INSERT_KEY = "INSERT INTO debtor_keys (key, doc_id, contract, name) VALUES (?, ?, ?, ?)"


def write(db: sqlite3.Connection, doc_id: str, doc_type: str | None, fields: Fields) -> None:
    """(Re)write one document's rows from its fields as they stand now. Call inside the transaction that changes
    them."""
    db.execute("DELETE FROM debtor_keys WHERE doc_id = ?", (doc_id,))
    if doc_type not in CASE_TYPES:
        db.execute("DELETE FROM debtor_docs WHERE doc_id = ?", (doc_id,))
        return
    doc, keys = derive(doc_id, doc_type, fields)
    db.execute(_UPSERT_DOC, doc)
    db.executemany(_INSERT_KEY, keys)


def derive_all(values: Mapping[str, tuple[str, str, Fields]]) -> tuple[list[DocRow], list[KeyRow]]:
    """The rows of every document of ``values`` (doc id -> (doc_type, original name, fields)), in its order."""
    docs: list[DocRow] = []
    keys: list[KeyRow] = []
    for doc_id, (doc_type, _, fields) in values.items():
        if doc_type in CASE_TYPES:
            doc, more = derive(doc_id, doc_type, fields)
            docs.append(doc)
            keys.extend(more)
    return docs, keys


def rebuild(db: sqlite3.Connection, values: Mapping[str, tuple[str, str, Fields]]) -> int:
    """Empty the table and fill it from ``values`` (every case document in catalog order, see
    ``Catalog.field_values``); the number of documents. Call inside a transaction."""
    docs, keys = derive_all(values)
    db.execute("DELETE FROM debtor_docs")
    db.execute("DELETE FROM debtor_keys")
    db.executemany(_INSERT_DOC, docs)
    db.executemany(_INSERT_KEY, keys)
    return len(docs)


def stored_rows(db: sqlite3.Connection) -> tuple[list[DocRow], list[KeyRow]]:
    """The table as it is, in the shape of :func:`derive_all`."""
    docs = [tuple(r) for r in db.execute(f"SELECT {', '.join(DOC_COLUMNS)} FROM debtor_docs ORDER BY rowid")]
    keys = [(r[0], r[1], r[2], r[3]) for r in db.execute("SELECT key, doc_id, contract, name FROM debtor_keys")]
    return docs, keys


def stale_documents(db: sqlite3.Connection, values: Mapping[str, tuple[str, str, Fields]]) -> list[str]:
    """Ids of the documents whose rows are missing, extra or differ from a recomputation from ``values`` (see
    :func:`rebuild`)."""
    want_docs, want_keys = derive_all(values)
    got_docs, got_keys = stored_rows(db)
    bad = {r[0] for r in set(want_docs) ^ set(got_docs)} | {r[1] for r in set(want_keys) ^ set(got_keys)}
    return sorted(str(d) for d in bad)


# -- reading ---------------------------------------------------------------------------------------------------------
def _chunks(items: Iterable[str], size: int = 500) -> Iterable[list[str]]:
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start : start + size]


def present(db: sqlite3.Connection, key: str) -> bool:
    return db.execute("SELECT 1 FROM debtor_keys WHERE key = ? LIMIT 1", (key,)).fetchone() is not None


def expand(db: sqlite3.Connection, keys: Iterable[str], own: str | None) -> tuple[set[str], set[str]]:
    """The debtor group of ``keys``: every key tied to them, key to document to key, through documents other than
    contracts; and every document (contracts included) with one of those keys. ``own`` (the archive's organisation)
    is no key of anyone's."""
    group = {k for k in keys if k != own}
    docs: set[str] = set()
    frontier = set(group)
    while frontier:
        tying: set[str] = set()
        for chunk in _chunks(sorted(frontier)):
            marks = ",".join("?" * len(chunk))
            for doc_id, contract in db.execute(
                f"SELECT doc_id, contract FROM debtor_keys WHERE key IN ({marks})", chunk
            ):
                if doc_id not in docs:
                    docs.add(doc_id)
                    if not contract:
                        tying.add(doc_id)
        frontier = set()
        for chunk in _chunks(sorted(tying)):
            marks = ",".join("?" * len(chunk))
            for (key,) in db.execute(f"SELECT key FROM debtor_keys WHERE doc_id IN ({marks})", chunk):
                if key != own and key not in group:
                    group.add(key)
                    frontier.add(key)
    return group, docs


def name_keys(db: sqlite3.Connection) -> set[str]:
    """Every name key (without its "n:") of the archive."""
    return {r[0][2:] for r in db.execute("SELECT DISTINCT key FROM debtor_keys WHERE key >= 'n:' AND key < 'n;'")}


def first_printed(db: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
    """Name key (without "n:") -> the name as printed by the earliest catalogued document with that key."""
    out: dict[str, str] = {}
    for k in keys:
        row = db.execute("SELECT k.name FROM debtor_keys k JOIN documents d ON d.id = k.doc_id WHERE k.key = ?"
                         " ORDER BY d.rowid LIMIT 1", ("n:" + k,)).fetchone()
        if row is not None and row[0] is not None:
            out[k] = row[0]
    return out


def all_rows(db: sqlite3.Connection, columns: Sequence[str] = DOC_COLUMNS) -> list[DocRow]:
    """Every document's ``columns`` as plain tuples, in catalog order."""
    cursor = db.cursor()
    cursor.row_factory = None
    return cursor.execute(f"SELECT {', '.join(columns)} FROM debtor_docs ORDER BY rowid").fetchall()


def decode_names(text: str) -> tuple[str, ...]:
    """The ``names`` column (``json.dumps`` of a list of strings), sliced when nothing in it is escaped."""
    if "\\" not in text and text.startswith('["') and text.endswith('"]'):
        parts = text[2:-2].split('", "')
        if not any('"' in p for p in parts):
            return tuple(parts)
    return tuple(json.loads(text))
