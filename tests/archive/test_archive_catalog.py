"""The catalog: migrations, one transaction per document, id prefixes."""

from __future__ import annotations

import sqlite3

import pytest

from archive.catalog import SCHEMA_VERSION, Catalog, DocumentRow, PageRow, SightingRow
from archive.errors import AmbiguousIdError, CatalogError, NotFoundError


def _doc(doc_id: str, batch: str = "b1") -> DocumentRow:
    return DocumentRow(
        id=doc_id, size=10, kind="png", media_type="image/png", original_name="x.png", source_path="in/x.png",
        page_count=1, doc_type=None, language=None, ingested_at="2026-01-01T00:00:00.000000Z", batch_id=batch,
        warnings=("page 1: no text",), indexed=False,
    )


def _page(n: int = 1) -> PageRow:
    return PageRow(number=n, method="ocr", text="Fattura n. 12", width=100, height=200, unit="px", dpi=300,
                   confidence=0.9, words=(("Fattura", 1.0, 2.0, 3.0, 4.0, 0.95, 0),), warnings=(), seconds=1.5)


@pytest.fixture
def catalog(tmp_path):
    c = Catalog(tmp_path / "c.sqlite3", create=True)
    c.begin_batch("b1", "ingest", "clerk", "host", "2026-01-01T00:00:00Z")
    yield c
    c.close()


def test_schema_is_migrated_and_wal(catalog):
    assert catalog.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert catalog.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_document_round_trip(catalog):
    doc_id = "ab" * 32
    catalog.add_document(_doc(doc_id), [_page(1), _page(2)], SightingRow("b1", "in/x.png", "new", "t"))
    assert catalog.has_document(doc_id)
    assert catalog.document(doc_id) == _doc(doc_id)
    pages = catalog.pages(doc_id)
    assert [p.number for p in pages] == [1, 2] and pages[0] == _page(1)
    assert catalog.text(doc_id) == "Fattura n. 12\fFattura n. 12"
    assert catalog.unindexed_ids() == [doc_id]
    catalog.set_indexed([doc_id])
    assert catalog.unindexed_ids() == []


def test_a_failing_document_leaves_nothing_half_written(catalog):
    doc_id = "cd" * 32
    bad_page = _page(1)
    with pytest.raises(sqlite3.IntegrityError):  # same page number twice violates the primary key
        catalog.add_document(_doc(doc_id), [bad_page, bad_page], SightingRow("b1", "p", "new", "t"))
    assert not catalog.has_document(doc_id)
    assert catalog.db.execute("SELECT count(*) FROM pages").fetchone()[0] == 0
    assert catalog.db.execute("SELECT count(*) FROM sightings").fetchone()[0] == 0


def test_resolve_prefixes_like_git(catalog):
    a, b = "abcd1" + "0" * 59, "abcd2" + "0" * 59
    for doc_id in (a, b):
        catalog.add_document(_doc(doc_id), [_page()], SightingRow("b1", "p", "new", "t"))
    assert catalog.resolve("abcd1") == a
    assert catalog.resolve(b.upper()) == b
    with pytest.raises(AmbiguousIdError, match="'abcd' matches several documents: abcd1"):
        catalog.resolve("abcd")
    with pytest.raises(NotFoundError, match="no document with an id starting 'ffff'"):
        catalog.resolve("ffff")
    with pytest.raises(NotFoundError, match="at least 4 hex digits"):
        catalog.resolve("abc")
    with pytest.raises(NotFoundError, match="not a document id"):
        catalog.resolve("xyz!")


def test_a_newer_catalog_is_refused_not_damaged(tmp_path):
    path = tmp_path / "c.sqlite3"
    Catalog(path, create=True).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(CatalogError, match="newer than this Sigillo"):
        Catalog(path)


def test_garbage_instead_of_a_catalog_is_a_clear_error(tmp_path):
    path = tmp_path / "c.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(CatalogError, match="cannot be read"):
        Catalog(path)
