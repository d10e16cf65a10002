"""Layout pairing and the extractors on small synthetic pages (no OCR), with layouts not in samples/."""

from __future__ import annotations

import pytest

from ingest.fields import extract_fields
from ingest.fields.layout import Doc
from tests.fields.pages import make_page


def test_layout_label_left_and_above():
    page = make_page(
        [
            (100, [(50, "Invoice No."), (300, "A-77")]),
            (130, [(50, "Due date")]),
            (145, [(52, "2024-05-01")]),
        ]
    )
    doc = Doc.build([page])
    label = doc.text.index("Invoice No.") + len("Invoice No.")
    first = next(doc.values_after(label))
    assert doc.text[first[0] : first[1]] == "A-77" and first[2] == "right"
    label = doc.text.index("Due date") + len("Due date")
    first = next(doc.values_after(label))
    assert doc.text[first[0] : first[1]] == "2024-05-01" and first[2] == "below"


def test_locate_gives_page_and_union_box():
    doc = Doc.build([make_page([(100, [(50, "Total 12,00 EUR")])])])
    start = doc.text.index("12,00")
    loc = doc.locate(start, start + len("12,00 EUR"))
    assert loc.page == 1 and loc.bbox[0] == 50 + 6 * 5 + 4 and loc.bbox[2] > loc.bbox[0]


def test_german_invoice_grid_labels_above_values():
    page = make_page(
        [
            (40, [(40, "Muster Handel GmbH")]),
            (55, [(40, "USt-IdNr. DE136695976")]),
            (120, [(40, "Rechnungsempfänger")]),
            (135, [(40, "Beispiel AG")]),
            (200, [(40, "Rechnungsnummer"), (200, "Rechnungsdatum"), (360, "Fällig am")]),
            (215, [(40, "R-2020-17"), (200, "05.03.2020"), (360, "04.04.2020")]),
            (600, [(300, "Nettobetrag"), (450, "100,00 EUR")]),
            (615, [(300, "MwSt. 19%"), (450, "19,00 EUR")]),
            (630, [(300, "Gesamtbetrag"), (450, "119,00 EUR")]),
            (700, [(40, "IBAN DE02 1203 0000 0000 2020 51")]),
        ]
    )
    got = extract_fields([page], "invoice", "de")
    values = {k: f.value for k, f in got.items()}
    assert values["invoice_number"] == "R-2020-17"
    assert values["issue_date"] == "2020-03-05"
    assert values["due_date"] == "2020-04-04"
    assert values["net_amount"] == "100.00"
    assert values["tax_amount"] == "19.00"
    assert values["total_amount"] == "119.00"
    assert values["currency"] == "EUR"
    assert values["seller_name"] == "Muster Handel GmbH"
    assert values["seller_vat_id"] == "DE136695976"
    assert values["buyer_name"] == "Beispiel AG"
    assert values["iban"] == "DE02120300000000202051"
    total = got["total_amount"]
    assert total.valid is True and "net + tax = total" in total.checks
    assert 0 < total.confidence <= 1 and total.page == 1 and total.bbox is not None
    assert "buyer_vat_id" not in got  # absent, never empty


def test_inconsistent_totals_are_kept_but_flagged():
    page = make_page(
        [
            (40, [(40, "Alpha Trading Ltd")]),
            (100, [(40, "Invoice #"), (120, "9001")]),
            (115, [(40, "Date"), (120, "2024-02-01")]),
            (500, [(300, "Subtotal"), (450, "$100.00")]),
            (515, [(300, "Sales tax"), (450, "$8.00")]),
            (530, [(300, "Amount due"), (450, "$120.00")]),
        ]
    )
    got = extract_fields([page], "invoice", "en")
    assert got["total_amount"].value == "120.00"
    assert got["total_amount"].valid is False
    assert got["total_amount"].confidence < 0.7
    assert got["currency"].value == "USD"


def test_invalid_iban_is_kept_with_low_confidence():
    page = make_page([(40, [(40, "Beta S.r.l.")]), (100, [(40, "IBAN: IT60 X054 2811 1010 0000 0123 450")])])
    got = extract_fields([page], "invoice", "it")
    assert got["iban"].value == "IT60X0542811101000000123450"
    assert got["iban"].valid is False and got["iban"].confidence < 0.6


def test_contract_running_text():
    page = make_page(
        [
            (40, [(40, "Contract No. C-2021/5")]),
            (60, [(40, "This Agreement is made on 3 May 2021 between Orion Tools Ltd and Vega Parts Inc.")]),
            (80, [(40, "It shall come into force on 1 June 2021 and continue until 31 May 2023.")]),
            (100, [(40, "The total contract value is USD 12,500.00.")]),
            (120, [(40, "This Agreement is governed by the laws of the State of New York.")]),
        ]
    )
    got = extract_fields([page], "contract", "en")
    values = {k: f.value for k, f in got.items()}
    assert values["contract_number"] == "C-2021/5"
    assert values["parties"] == ("Orion Tools Ltd", "Vega Parts Inc.")
    assert values["signing_date"] == "2021-05-03"
    assert values["effective_date"] == "2021-06-01"
    assert values["end_date"] == "2023-05-31"
    assert values["contract_value"] == "12500.00"
    assert values["currency"] == "USD"
    assert values["governing_law"] == "New York"


def test_dunning_letter_within_days():
    page = make_page(
        [
            (40, [(40, "Gamma Servizi S.p.A.")]),
            (100, [(300, "Spett.le")]),
            (115, [(300, "Delta Costruzioni S.r.l.")]),
            (160, [(40, "Torino, 2 settembre 2024")]),
            (200, [(40, "la fattura n. GS-88/2024 risulta insoluta.")]),
            (220, [(40, "Importo dovuto: € 1.250,00")]),
            (240, [(40, "Vi invitiamo a pagare entro 15 giorni dalla presente.")]),
        ],
        ocr=True,
    )
    got = extract_fields([page], "dunning_letter", "it")
    values = {k: f.value for k, f in got.items()}
    assert values["creditor_name"] == "Gamma Servizi S.p.A."
    assert values["debtor_name"] == "Delta Costruzioni S.r.l."
    assert values["letter_date"] == "2024-09-02"
    assert values["amount_due"] == "1250.00"
    assert values["invoice_refs"] == ("GS-88/2024",)
    assert values["payment_deadline"] == "2024-09-17"
    assert values["currency"] == "EUR"


def test_us_receipt_reads_month_first():
    page = make_page(
        [
            (40, [(40, "Corner Deli LLC")]),
            (60, [(40, "Date: 03/04/2024")]),
            (300, [(40, "TOTAL"), (200, "$12.50")]),
        ]
    )
    got = extract_fields([page], "receipt", "en")
    assert got["issue_date"].value == "2024-03-04"
    assert any("month-first" in c for c in got["issue_date"].checks)
    assert got["total_amount"].value == "12.50"
    assert got["seller_name"].value == "Corner Deli LLC"


def test_hostile_input_yields_no_fields():
    assert extract_fields([], "invoice", "it") == {}
    assert extract_fields([make_page([])], "invoice", "it") == {}
    assert extract_fields([make_page([(40, [(40, "%%% ### !!!")])])], "contract", None) == {}
    assert extract_fields([make_page([(40, [(40, "Total 12,00")])])], "other", "en") == {}


@pytest.mark.parametrize(
    ("clause", "expected"),
    [
        ("This Agreement shall be governed by the laws of the State of Delaware, without regard to", "Delaware"),
        (
            "This Agreement will be governed in all respects by the laws of the Commonwealth of Massachusetts.",
            "Massachusetts",
        ),
        ("shall be governed and construed according to the laws of England and Wales.", "England and Wales"),
        ("is governed by the laws of the Federal Republic of Germany and the parties submit", "Germany"),
        ("This Agreement is governed by New York law.", "New York"),
        ("This Agreement is governed by Swiss law.", "Switzerland"),
        ("Il presente contratto è regolato dalla legge italiana.", "Italy"),
        ("Il contratto è soggetto alla legge della Repubblica Italiana.", "Italy"),
        ("Dieser Vertrag unterliegt deutschem Recht.", "Germany"),
        ("Le présent contrat est soumis au droit français.", "France"),
        ("El presente contrato se rige por la ley española.", "Spain"),
    ],
)
def test_governing_law_is_the_jurisdiction(clause, expected):
    page = make_page([(40, [(40, "CONTRACT")]), (100, [(40, clause)])])
    got = extract_fields([page], "contract", "en")
    assert got["governing_law"].value == expected


def test_no_governing_law_without_a_clause():
    page = make_page([(40, [(40, "CONTRACT")]), (100, [(40, "The laws of physics apply to every delivery.")])])
    assert "governing_law" not in extract_fields([page], "contract", "en")
