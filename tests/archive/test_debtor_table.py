"""The catalog's debtor table (archive/debtor_table.py): written with each document and each correction, filled by
the v4 migration for an existing catalog, checked and rebuilt by `sigillo doctor`; and the case files read from it
agree with one another. Real SQLite catalogs, real ingest for the doctor."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest

from archive import debtor_table
from archive.case_list import list_debtors
from archive.cases import DebtorNotFound, build_case
from archive.catalog import SCHEMA_VERSION, Catalog, DocumentRow, FieldRow, PageRow, SightingRow
from archive.config import Settings
from tests.cli_runner import run
from tests.conftest import CORPUS

AS_OF = date(2025, 3, 1)
SETTINGS = Settings(organization="Nostra Impresa S.p.A.")


def add(cat: Catalog, n: int, doc_type: str | None, **fields: str | list[str]) -> str:
    doc_id = f"{n:064x}"
    row = DocumentRow(id=doc_id, size=1, kind="pdf", media_type="application/pdf", original_name=f"doc{n}.pdf",
                      source_path=f"in/doc{n}.pdf", page_count=1, doc_type=doc_type, language="it",
                      ingested_at="2025-03-01T00:00:00Z", batch_id="b1", warnings=(), indexed=False)
    page = PageRow(number=1, method="text", text="", width=595.0, height=842.0, unit="pt", dpi=None,
                   confidence=None, words=(), warnings=(), seconds=0.0)
    rows = [FieldRow(name=k, value=tuple(v) if isinstance(v, list) else v, confidence=0.9) for k, v in fields.items()]
    cat.add_document(row, [page], SightingRow("b1", f"in/doc{n}.pdf", "new", "2025-03-01T00:00:00Z"), rows)
    return doc_id


def correct(cat: Catalog, doc_id: str, name: str, new: str | None) -> None:
    cat.add_correction(doc_id, name, None, new, "clerk", "host", "2025-03-02T00:00:00Z")


def recomputed(cat: Catalog) -> tuple[set, set]:
    docs, keys = debtor_table.derive_all(cat.field_values(debtor_table.CASE_TYPES, debtor_table.SOURCE_FIELDS))
    return set(docs), set(keys)


def stored(cat: Catalog) -> tuple[set, set]:
    docs, keys = debtor_table.stored_rows(cat.db)
    return set(docs), set(keys)


@pytest.fixture
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite", create=True)
    cat.begin_batch("b1", "test", "me", "host", "2025-03-01T00:00:00Z")
    ids = {
        "rossi": add(cat, 1, "invoice", invoice_number="R-1", issue_date="2024-10-01", due_date="2024-11-01",
                     total_amount="1000.00", currency="EUR", buyer_name="Rossi Costruzioni S.r.l.",
                     buyer_vat_id="IT01234567897"),
        # printed with the VAT id only: Rossi's by its identifier
        "bare": add(cat, 2, "invoice", invoice_number="R-2", issue_date="2024-12-01", total_amount="250,00",
                    currency="EUR", buyer_vat_id="IT 0123 4567 897"),
        "bianchi": add(cat, 3, "invoice", invoice_number="B-1", issue_date="2024-06-01", due_date="2024-07-01",
                       total_amount="700.00", currency="EUR", buyer_name="Bianchi SpA", buyer_vat_id="IT09876543210"),
        "letter": add(cat, 4, "dunning_letter", debtor_name="ROSSI COSTRUZIONI", letter_date="2025-01-10",
                      invoice_refs=["R-1"]),
        "contract": add(cat, 5, "contract", parties=["Nostra Impresa S.p.A.", "Bianchi S.p.A.", "Verdi Srl"],
                        signing_date="2023-05-05", contract_number="C-1"),
        "credit": add(cat, 6, "credit_note", issue_date="2024-11-15", total_amount="100.00", currency="EUR",
                      buyer_name="Bianchi S.p.A."),
        "later": add(cat, 7, "invoice", issue_date="2025-06-01", total_amount="99.00", buyer_vat_id="01234567897"),
        "other": add(cat, 8, "other", buyer_name="Nobody Srl"),
        "unknown": add(cat, 9, None),
    }
    yield cat, ids
    cat.close()


def test_each_document_gets_its_rows_in_its_own_transaction(catalog):
    cat, ids = catalog
    assert stored(cat) == recomputed(cat)
    docs = {r[0]: dict(zip(debtor_table.DOC_COLUMNS, r, strict=True)) for r in debtor_table.stored_rows(cat.db)[0]}
    assert set(docs) == {ids[k] for k in ("rossi", "bare", "bianchi", "letter", "contract", "credit", "later")}, \
        "case documents only"
    rossi = docs[ids["rossi"]]
    assert rossi["keys"].split(debtor_table.SEP) == ["i:01234567897", "i:IT01234567897", "n:rossi costruzioni"]
    assert (rossi["doc_date"], rossi["due_date"], rossi["total_amount"]) == ("2024-10-01", "2024-11-01", "1000.00")
    assert docs[ids["bare"]]["total_amount"] is None, "not a number: read as a case file reads it"
    contract = docs[ids["contract"]]
    assert json.loads(contract["names"]) == ["Nostra Impresa S.p.A.", "Bianchi S.p.A.", "Verdi Srl"]
    assert "n:nostra impresa" in contract["keys"], "the own organisation is left out by readers, not stored apart"
    assert contract["doc_date"] == "2023-05-05"
    keys = {(k, d): (c, n) for k, d, c, n in debtor_table.stored_rows(cat.db)[1]}
    assert keys[("n:bianchi", ids["contract"])] == (1, "Bianchi S.p.A.")
    assert keys[("n:rossi costruzioni", ids["letter"])] == (0, "ROSSI COSTRUZIONI")

    # a failed insert leaves no rows behind: the table is written in the document's transaction
    with pytest.raises(sqlite3.IntegrityError):
        add(cat, 1, "invoice", buyer_name="Someone Else")
    assert stored(cat) == recomputed(cat)
    assert not cat.db.execute("SELECT 1 FROM debtor_keys WHERE key = 'n:someone else'").fetchall()


def test_a_corrected_vat_id_moves_the_document_to_another_debtor(catalog):
    cat, ids = catalog
    before = build_case(cat, SETTINGS, "Rossi Costruzioni", as_of=AS_OF)
    assert ids["bare"] in {d.id for d in before.documents}

    correct(cat, ids["bare"], "buyer_vat_id", "IT09876543210")  # it was Bianchi's all along
    assert stored(cat) == recomputed(cat)
    rossi = build_case(cat, SETTINGS, "IT01234567897", as_of=AS_OF)
    bianchi = build_case(cat, SETTINGS, "Bianchi", as_of=AS_OF)
    assert ids["bare"] not in {d.id for d in rossi.documents}
    assert ids["bare"] in {d.id for d in bianchi.documents}
    listed = {s.debtor: s for s in list_debtors(cat, SETTINGS, as_of=AS_OF)}
    assert (listed["Rossi Costruzioni S.r.l."].invoices, listed["Bianchi S.p.A."].invoices) == (1, 2)

    # a corrected total is what the list adds up; a correction to a field the table does not read changes nothing
    rows = stored(cat)
    correct(cat, ids["bare"], "invoice_number", "B-2")
    assert stored(cat) == rows
    correct(cat, ids["bare"], "total_amount", "250.00")
    assert stored(cat) == recomputed(cat)
    listed = {s.debtor: s for s in list_debtors(cat, SETTINGS, as_of=AS_OF)}
    assert str(listed["Bianchi S.p.A."].totals["EUR"].invoiced) == "950.00"

    # removing the only identifier and name leaves the document nobody's
    correct(cat, ids["bare"], "buyer_vat_id", None)
    assert stored(cat) == recomputed(cat)
    assert not cat.db.execute("SELECT 1 FROM debtor_keys WHERE doc_id = ?", (ids["bare"],)).fetchall()
    assert ids["bare"] not in {d.id for d in build_case(cat, SETTINGS, "Bianchi", as_of=AS_OF).documents}


def test_migration_v3_to_v4_fills_the_table_from_fields_and_corrections(catalog, tmp_path):
    cat, ids = catalog
    correct(cat, ids["letter"], "debtor_name", "Bianchi Spa")
    expected = stored(cat)
    case = build_case(cat, SETTINGS, "Bianchi", as_of=AS_OF).as_json()
    path = cat.path
    cat.close()
    # the same catalog as Sigillo before v4 wrote it
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE debtor_keys; DROP TABLE debtor_docs; PRAGMA user_version = 3;")
    db.close()

    with Catalog(path) as migrated:
        assert migrated.db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert stored(migrated) == expected
        assert build_case(migrated, SETTINGS, "Bianchi", as_of=AS_OF).as_json() == case
        assert ids["letter"] in {d["id"] for d in case["documents"]}, "the corrected name counts"


def test_own_organisation_contracts_and_lookups(catalog):
    cat, ids = catalog
    with pytest.raises(DebtorNotFound):
        build_case(cat, SETTINGS, "Nostra Impresa SpA", as_of=AS_OF)  # a party, never a debtor
    verdi = build_case(cat, SETTINGS, "verdi", as_of=AS_OF)
    # a contract's parties are distinct debtors: Verdi's case holds the contract, not Bianchi's invoices
    assert {d.id for d in verdi.documents} == {ids["contract"]}
    rossi = build_case(cat, SETTINGS, "01234567897", as_of=AS_OF)
    assert {d.id for d in rossi.documents} == {ids["rossi"], ids["bare"], ids["letter"]}
    assert any("after 2025-03-01" in n for n in rossi.notes), "the later invoice, found by its bare VAT id"
    bianchi = build_case(cat, SETTINGS, "09876543210", as_of=AS_OF)
    assert {d.id for d in bianchi.documents} == {ids["bianchi"], ids["contract"], ids["credit"]}
    # without an organisation set, it is a debtor like any other: its only document is the contract
    assert {d.id for d in build_case(cat, Settings(), "Nostra Impresa", as_of=AS_OF).documents} == {ids["contract"]}


def test_the_list_agrees_with_each_case_file(catalog):
    cat, ids = catalog
    correct(cat, ids["credit"], "currency", "GBP")
    summaries = list_debtors(cat, SETTINGS, as_of=AS_OF)
    assert [s.debtor for s in summaries] == ["Rossi Costruzioni S.r.l.", "Bianchi S.p.A."]
    for s in summaries:
        case = build_case(cat, SETTINGS, s.debtor, as_of=AS_OF)
        assert (case.debtor, tuple(case.identifiers), len(case.documents), len(case.invoices)) == (
            s.debtor, s.identifiers, s.documents, s.invoices)
        assert {c: t.as_json() for c, t in case.totals.items()} == {c: t.as_json() for c, t in s.totals.items()}
        days = [i.days_past_due for i in case.invoices if i.days_past_due is not None]
        assert s.oldest_days_past_due == (max(days) if days else None)


def test_doctor_finds_a_stale_debtor_table_and_rebuilds_it(tmp_path):
    home = tmp_path / "archive"
    run(home, "init", "--organization", "Nostra Impresa S.p.A.")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("invoice-it-03.pdf", "credit-note-it-01.pdf", "dunning-it-04.pdf", "contract-it-02.pdf"):
        (inbox / name).write_bytes((CORPUS / name).read_bytes())
    run(home, "ingest", str(inbox))
    with Catalog(home / "catalog.sqlite3") as cat:
        assert stored(cat) == recomputed(cat)
        assert cat.db.execute("SELECT count(*) FROM debtor_docs").fetchone()[0] == 4, "ingest writes the table"
    listing = json.loads(run(home, "case", "--list", "--json").output)["debtors"]
    assert listing, "the ingested invoice's buyer is a debtor"
    run(home, "doctor")

    db = sqlite3.connect(home / "catalog.sqlite3")
    with db:
        victim = db.execute("SELECT doc_id FROM debtor_keys ORDER BY key LIMIT 1").fetchone()[0]
        db.execute("DELETE FROM debtor_keys WHERE doc_id = ?", (victim,))
        db.execute("UPDATE debtor_docs SET total_amount = '1.00' WHERE doc_id != ?", (victim,))
    db.close()
    report = json.loads(run(home, "doctor", "--json", expect=1).output)
    (finding,) = [f for f in report["findings"] if f["kind"] == "debtors-stale"]
    assert victim[:12] in finding["detail"] and "4 documents" in finding["detail"], finding

    repaired = json.loads(run(home, "doctor", "--repair", "--json").output)
    assert repaired["unrepaired"] == 0, repaired
    run(home, "doctor")
    with Catalog(home / "catalog.sqlite3") as cat:
        assert stored(cat) == recomputed(cat)
    assert json.loads(run(home, "case", "--list", "--json").output)["debtors"] == listing
