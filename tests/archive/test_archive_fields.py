"""Fields in the catalog: extracted values are kept, corrections are laid over them; eval's scoring rules."""

from __future__ import annotations

import pytest

from archive.catalog import Catalog, DocumentRow, FieldRow, PageRow, SightingRow
from archive.evaluate import DocumentResult, EvalReport, FieldScore, _score, same_value
from archive.fields import FieldValueError, check_value, effective_fields, normalise_correction

DOC = "ab" * 32


@pytest.fixture
def catalog(tmp_path):
    c = Catalog(tmp_path / "c.sqlite3", create=True)
    c.begin_batch("b1", "ingest", "clerk", "host", "t")
    doc = DocumentRow(id=DOC, size=1, kind="pdf", media_type="application/pdf", original_name="f.pdf",
                      source_path="f.pdf", page_count=1, doc_type="invoice", language="it", ingested_at="t",
                      batch_id="b1", warnings=(), indexed=True, doc_type_score=0.9)
    page = PageRow(1, "text", "x", 595, 842, "pt", None, None, (), (), 0.0)
    fields = [
        FieldRow("total_amount", "1220.00", 0.8, 1, (10.0, 20.0, 30.0, 40.0), True, "1.220,00 €",
                 ("net + tax = total",)),
        FieldRow("parties", ("Rossi S.r.l.", "Bianchi S.p.A."), 0.7, 1),
        FieldRow("iban", "IT60X0542811101000000123456", 0.9, 1, valid=True),
    ]
    c.add_document(doc, [page], SightingRow("b1", "f.pdf", "new", "t"), fields)
    yield c
    c.close()


def test_extracted_fields_round_trip(catalog):
    rows = catalog.fields(DOC)
    assert rows["total_amount"].bbox == (10.0, 20.0, 30.0, 40.0) and rows["total_amount"].valid is True
    assert rows["parties"].value == ("Rossi S.r.l.", "Bianchi S.p.A.")
    assert catalog.document(DOC).doc_type_score == 0.9


def test_corrections_win_and_keep_the_extracted_value(catalog):
    catalog.set_indexed([DOC])
    catalog.add_correction(DOC, "total_amount", "1220.00", "1234.56", "clerk", "host", "2026-01-02T00:00:00Z")
    catalog.add_correction(DOC, "iban", "IT60X0542811101000000123456", None, "clerk", "host", "2026-01-02T00:00:01Z")
    catalog.add_correction(DOC, "due_date", None, "2025-03-01", "clerk", "host", "2026-01-02T00:00:02Z")
    fields = effective_fields(catalog, DOC)
    assert fields["total_amount"].value == "1234.56" and fields["total_amount"].source == "corrected"
    assert fields["total_amount"].extracted.value == "1220.00", "the extracted value stays beside the correction"
    assert "iban" not in fields, "a correction to nothing removes the field"
    assert fields["due_date"].value == "2025-03-01" and fields["due_date"].extracted is None
    assert catalog.fields(DOC)["total_amount"].value == "1220.00"
    assert catalog.unindexed_ids() == [DOC], "a correction marks the document for re-indexing"
    out = fields["total_amount"].as_json()
    assert out["source"] == "corrected" and out["corrected_by"] == "clerk" and out["extracted"]["value"] == "1220.00"
    history = catalog.corrections(DOC)
    assert [(c.name, c.old_value, c.new_value) for c in history] == [
        ("total_amount", "1220.00", "1234.56"),
        ("iban", "IT60X0542811101000000123456", None),
        ("due_date", None, "2025-03-01"),
    ]


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("total_amount", "1.234,56", ("total_amount", "1234.56")),
        ("total_amount", "€1,234.56", ("total_amount", "1234.56")),
        ("due_date", "2025-03-01", ("due_date", "2025-03-01")),
        ("iban", "it60 x054 2811 1010 0000 0123 456", ("iban", "IT60X0542811101000000123456")),
        ("seller_vat_id", "IT 012.345.678-97", ("seller_vat_id", "IT01234567897")),
        ("currency", "eur", ("currency", "EUR")),
        ("buyer_name", "  Rossi   Costruzioni S.r.l. ", ("buyer_name", "Rossi Costruzioni S.r.l.")),
        ("parties", "A S.r.l.; B Ltd ;", ("parties", ("A S.r.l.", "B Ltd"))),
        ("invoice_refs", "FT-1/24;FT-2/24", ("invoice_refs", ("FT-1/24", "FT-2/24"))),
        ("due_date", "", ("due_date", None)),
    ],
)
def test_corrections_are_normalised_as_in_fields_md(name, text, expected):
    assert normalise_correction(name, text) == expected


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("colour", "red", "'colour' is not a field"),
        ("filename", "x", "'filename' is not a field"),
        ("due_date", "03/04/2024", "YYYY-MM-DD"),
        ("total_amount", "a lot", "total_amount"),
        ("currency", "euro", "ISO 4217"),
    ],
)
def test_bad_corrections_are_refused_with_a_reason(name, text, message):
    with pytest.raises(FieldValueError, match=message):
        normalise_correction(name, text)


def test_checks_use_real_checksums():
    assert check_value("iban", "IT60X0542811101000000123456") is True
    assert check_value("iban", "IT61X0542811101000000123456") is False
    assert check_value("seller_vat_id", "IT04827310154") is True
    assert check_value("buyer_vat_id", "IT04827310155") is False
    assert check_value("invoice_number", "FT-1") is None


def test_eval_matching_rules():
    assert same_value("buyer_name", "ROSSI  costruzioni s.r.l.", "Rossi Costruzioni S.r.l.")
    assert same_value("total_amount", "1220.00", "1220.0")
    assert not same_value("invoice_number", "ft-2024/0153", "FT-2024/0153"), "identifiers are exact"
    assert same_value("parties", ["b ltd", "A S.r.l."], ["A S.r.l.", "B Ltd"]), "lists compare as sets"
    assert not same_value("due_date", "2024-03-05", "2024-05-03")


def test_eval_scoring_counts_wrong_missed_and_extra_values():
    report = EvalReport(folder="x")
    result = DocumentResult(file="a.pdf", expected_type="invoice", got_type="invoice")
    expected = {"total_amount": "10.00", "due_date": "2024-01-01", "iban": "IT60X0542811101000000123456"}
    got = {"total_amount": "10.00", "due_date": "2024-01-02", "buyer_name": "X"}
    _score(report, result, expected, got)
    assert (report.fields["total_amount"].tp, report.fields["total_amount"].fp) == (1, 0)
    assert (report.fields["due_date"].fp, report.fields["due_date"].fn) == (1, 1)
    assert report.fields["iban"].fn == 1 and report.fields["buyer_name"].fp == 1
    assert len(result.mistakes) == 3
    score = FieldScore("f", tp=8, fp=2, fn=0)
    assert score.precision == 0.8 and score.recall == 1.0 and round(score.f1, 4) == 0.8889


def test_fields_no_truth_file_labels_are_reported_not_scored():
    """A set labelled by others (the devset) labels only some fields: others cannot be judged."""
    report = EvalReport(folder="x")
    result = DocumentResult(file="a.pdf", expected_type="invoice", got_type="invoice")
    _score(report, result, {"total_amount": "10.00"}, {"total_amount": "11.00", "seller_name": "ACME"})
    report.documents.append(result)
    assert list(report.scored) == ["total_amount"] and report.unlabelled == {"seller_name": 1}
    assert report.mistakes_of(result) == ["total_amount: got '11.00', expected '10.00'"]
    assert report.as_json()["unlabelled_fields"] == {"seller_name": 1}
