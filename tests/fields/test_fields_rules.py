"""The generic rules for OCR damage and cited numbers, on synthetic pages whose layouts are not those of samples/."""

from __future__ import annotations

from functools import partial

from ingest.fields import extract_fields
from ingest.fields import validate as chk
from ingest.fields.invoice import cited
from ingest.fields.layout import Doc
from ingest.fields.parties import starts_iban
from tests.fields.pages import make_page as _make_page
from tests.fields.pages import values

make_page = partial(_make_page, ocr=True)  # these rules are about OCR damage


def test_value_column_read_as_a_separate_block_pairs_with_its_row():
    page = make_page([
        (60, [(40, "Acme Widgets Ltd")]),
        (500, [(60, "Subtotal")]),
        (515, [(60, "Sales tax")]),
        (530, [(60, "Amount payable")]),
        (700, [(60, "Thank you for your business")]),
        (500, [(420, "USD 1,000.00")]),  # the value column comes last in reading order
        (515, [(420, "USD 80.00")]),
        (530, [(420, "USD 1,080.00")]),
    ])
    doc = Doc.build([page])
    label_end = doc.text.index("Amount payable") + len("Amount payable")
    start, end, how = next(doc.values_after(label_end))
    assert doc.text[start:end] == "USD 1,080.00" and how == "right"
    got = values(extract_fields([page], "invoice", "en"))
    assert got["total_amount"] == "1080.00" and got["tax_amount"] == "80.00"


def test_credit_note_own_number_not_the_reversed_invoice():
    page = make_page([
        (50, [(40, "Ditta Verdi S.r.l.")]),
        (120, [(300, "Nota di credito n. 7/NC del 03/02/2025")]),
        (300, [(40, "A fronte della fattura n. 2025-0044 del 10/01/2025")]),
        (320, [(40, "Rettifica relativa alla fattura n. 2025-0044")]),
    ])
    assert values(extract_fields([page], "credit_note", "it"))["invoice_number"] == "7/NC"
    page = make_page([
        (50, [(40, "CREDIT NOTE")]),
        (70, [(40, "Credit note no. CN-88")]),
        (200, [(40, "This credit is issued against invoice no. INV-501 for damaged goods.")]),
    ], ocr=False)
    assert values(extract_fields([page], "credit_note", "en"))["invoice_number"] == "CN-88"
    # a reference in the cell before is another field, not a citing word
    page = make_page([(50, [(40, "Customer ref: KL"), (300, "Invoice no. 5521")])], ocr=False)
    assert values(extract_fields([page], "invoice", "en"))["invoice_number"] == "5521"
    text = "Customer ref: KL\tInvoice no. 5521\nStorno della fattura n. 77"
    assert not cited(text, text.index("Invoice")) and cited(text, text.index("fattura"))


def test_first_group_of_an_iban_is_not_an_invoice_reference():
    text = "Remit to DE89 3704 0044 0532 0130 00 now"
    assert starts_iban(text, text.index("DE89"))
    assert not starts_iban("Invoice DE-4411 is due", len("Invoice "))
    page = make_page([
        (50, [(40, "Helios Energie GmbH")]),
        (100, [(40, "Zahlungserinnerung")]),
        (140, [(40, "Rechnung Nr."), (200, "Datum"), (300, "Betrag")]),
        (155, [(40, "RE-7781"), (200, "01.02.2025"), (300, "500,00 EUR")]),
        (175, [(40, "DE89 3704 0044 0532 0130 00")]),
    ])
    got = extract_fields([page], "dunning_letter", "de")
    assert got["invoice_refs"].value == ("RE-7781",)


def test_partita_iva_recovered_from_one_checked_window():
    assert chk.recover_partita_iva("1700743110157") == "00743110157"  # "IT" read as "17"
    assert chk.recover_partita_iva("00743110157") is None  # already 11 digits: nothing to recover
    assert chk.recover_partita_iva("12345678901234") is None and chk.recover_partita_iva("") is None
    page = make_page([
        (40, [(40, "Officina Neri S.a.s.")]),
        (55, [(40, "P.IVA 1700743110157")]),
        (200, [(40, "Fattura n. 12/B")]),
    ])
    got = extract_fields([page], "invoice", "it")
    vat = got["seller_vat_id"]
    assert vat.value == "IT00743110157" and vat.confidence < 0.7
    assert any("window" in c for c in vat.checks)


def test_amount_split_by_an_ocr_space_rejoined_when_the_invoices_add_up():
    page = make_page([
        (50, [(40, "Kestrel Tools Ltd")]),
        (90, [(40, "Second reminder")]),
        (150, [(40, "Ref"), (150, "Amount")]),
        (165, [(40, "K-0091"), (150, "$2,500.00")]),
        (180, [(40, "K-0102"), (150, "$1,250.50")]),
        (230, [(40, "Outstanding balance $3,75 0.50 to be paid now")]),
    ])
    due = extract_fields([page], "dunning_letter", "en")["amount_due"]
    assert due.value == "3750.50" and any("re-joined" in c for c in due.checks)
    # the same split with nothing to agree with stays as read
    page = make_page([(50, [(40, "Kestrel Tools Ltd")]), (230, [(40, "Outstanding balance $3,75 0.50")])])
    assert extract_fields([page], "dunning_letter", "en")["amount_due"].value != "3750.50"


def test_invoice_total_split_by_an_ocr_space_rejoined_when_net_plus_tax_agree():
    page = make_page([
        (40, [(40, "Studio Gallo S.r.l.")]),
        (600, [(300, "Imponibile"), (450, "1.000,00")]),
        (615, [(300, "IVA 22%"), (450, "220,00")]),
        (630, [(300, "Totale documento"), (450, "1. 220,00")]),
    ])
    got = extract_fields([page], "invoice", "it")
    assert got["total_amount"].value == "1220.00" and got["total_amount"].valid is True


def test_vat_id_label_that_names_the_customer_goes_to_the_buyer():
    page = make_page([
        (40, [(40, "Fabbro Marco S.r.l."), (380, "P.IVA 00743110157")]),
        (150, [(40, "Intestata a"), (300, "Customer VAT number")]),
        (165, [(40, "Albergo Sole S.n.c."), (300, "IT01114601006")]),
    ])
    got = values(extract_fields([page], "invoice", "it"))
    assert got["buyer_vat_id"] == "IT01114601006" and got["seller_vat_id"] == "IT00743110157"


def test_personal_codice_fiscale_without_label_near_the_buyer_block():
    page = make_page([
        (40, [(40, "Tecnoservizi Bruni S.p.A.")]),
        (140, [(330, "Spett.le")]),
        (155, [(330, "Mario Rossi")]),
        (170, [(330, "Via Roma 1, 10100 Torino")]),
        (185, [(40, "RSSMRA85T10A562S"), (330, "Ordine 55")]),  # outside the block's column
        (400, [(40, "Fattura n. 9/2025")]),
    ])
    got = extract_fields([page], "invoice", "it")["buyer_tax_code"]
    assert got.value == "RSSMRA85T10A562S" and "codice fiscale pattern near the buyer block" in got.checks
    # a codice fiscale that fails its check character is not picked up without a label
    page = make_page([
        (40, [(40, "Tecnoservizi Bruni S.p.A.")]),
        (140, [(330, "Spett.le")]),
        (155, [(330, "Mario Rossi")]),
        (185, [(40, "RSSMRA85T10A562X")]),
    ])
    assert "buyer_tax_code" not in extract_fields([page], "invoice", "it")


def test_seller_name_is_not_a_code_ending_in_a_legal_form():
    from ingest.fields.parties import clean_name

    assert clean_name("KX/SA") is None and clean_name("REF-AG") is None and clean_name("ist") is None
    assert clean_name("Orbis Trading SA") == "Orbis Trading SA"
    assert clean_name("Fratelli Costa & C. S.n.c.") is not None
    page = make_page([
        (40, [(40, "Purchase order"), (300, "PO/AG/77")]),
        (60, [(40, "Order ref."), (300, "KX/SA/2025/4")]),
        (760, [(40, "Orbis Trading SA, 4 Quai du Rhone, Geneve")]),
    ])
    assert values(extract_fields([page], "invoice", "en"))["seller_name"] == "Orbis Trading SA"


def test_contract_number_after_no_at_the_head_when_its_label_is_unreadable():
    page = make_page([
        (20, [(300, "Xq vlr No. LS-2025/17")]),
        (60, [(200, "LEASE AGREEMENT")]),
        (100, [(40, "This lease is made on 3 March 2025 between Alpha Ltd and Beta Ltd.")]),
    ])
    got = extract_fields([page], "contract", "en")["contract_number"]
    assert got.value == "LS-2025/17" and got.confidence < 0.6
    page = make_page([(20, [(300, "Page No. 1")]), (60, [(200, "LEASE AGREEMENT")])])
    assert "contract_number" not in extract_fields([page], "contract", "en")


def test_contract_ref_announced_by_the_bare_word_in_its_own_cell():
    page = make_page([
        (40, [(40, "Vireo Labs Inc.")]),
        (200, [(40, "Contract"), (250, "VL-MSA-0042")]),
        (400, [(40, "Services rendered under the contract signed in 2023.")]),
    ], ocr=False)
    assert values(extract_fields([page], "invoice", "en"))["contract_ref"] == "VL-MSA-0042"
    page = make_page([(40, [(40, "Vireo Labs Inc.")]), (400, [(40, "As per contract 2023 terms.")])], ocr=False)
    assert "contract_ref" not in extract_fields([page], "invoice", "en")


def test_buyer_name_that_begins_in_lower_case_is_shown_with_less_confidence():
    rows = [(40, [(40, "Ottica Fabbri S.r.l.")]), (150, [(40, "Destinatario")])]
    whole = extract_fields([make_page([*rows[:2], (165, [(40, "Pasticceria Moretti di Anna Moretti")])])],
                           "invoice", "it")["buyer_name"]
    cut = extract_fields([make_page([*rows[:2], (165, [(40, "ceria Moretti di Anna Moretti")])])],
                         "invoice", "it")["buyer_name"]
    assert whole.value == "Pasticceria Moretti di Anna Moretti"
    assert cut.confidence < whole.confidence and any("lower case" in c for c in cut.checks)


def test_party_blocks_under_role_headings_name_line_and_first_plain_line():
    page = make_page([
        (40, [(40, "Supplier")]),
        (55, [(40, "Account no.: 7781")]),
        (70, [(40, "Harbour Tools Ltd North")]),
        (85, [(40, "12 Quay Road")]),
        (120, [(40, "Customer")]),
        (135, [(40, "Ref: K-55")]),
        (150, [(40, "Name: Pinewood Crafts Limited")]),
        (165, [(40, "Address: 3 Elm Lane")]),
        (300, [(40, "Invoice no. H-204")]),
        (320, [(40, "Total due GBP 120.00")]),
    ])
    got = values(extract_fields([page], "invoice", "en"))
    assert got["seller_name"] == "Harbour Tools Ltd North"
    assert got["buyer_name"] == "Pinewood Crafts Limited"


def test_party_heading_in_another_language_with_labelled_lines_skipped():
    page = make_page([
        (40, [(40, "Proveedor:")]),
        (55, [(40, "Código"), (130, ": 4410")]),
        (70, [(40, "Nombre: Talleres Ibéricos S.L.")]),
        (100, [(40, "Comprador:")]),
        (115, [(40, "Taxonomía Digital SA")]),
        (130, [(40, "Calle Mayor 5")]),
        (300, [(40, "Factura nº F-77")]),
    ])
    got = values(extract_fields([page], "invoice", "es"))
    assert got["seller_name"] == "Talleres Ibéricos S.L."
    assert got["buyer_name"] == "Taxonomía Digital SA"


def test_german_sum_excluding_and_including_tax_and_part_totals_skipped():
    page = make_page([
        (40, [(40, "Werkstatt Ostwind GmbH")]),
        (60, [(40, "Rechnung Nr. W-3190")]),
        (500, [(40, "Gesamtbetrag der Rabatte"), (400, "-5,00")]),
        (515, [(40, "Endsumme ohne MwSt."), (400, "95,00")]),
        (530, [(40, "MwSt 19 %"), (400, "18,05")]),
        (545, [(40, "Endsumme inkl. MwSt."), (400, "113,05")]),
        (560, [(40, "Bereits bezahlt"), (400, "-13,05")]),
    ], ocr=False)
    got = values(extract_fields([page], "invoice", "de"))
    assert got["net_amount"] == "95.00" and got["tax_amount"] == "18.05" and got["total_amount"] == "113.05"


def test_total_of_discounts_is_not_the_document_total():
    page = make_page([
        (40, [(40, "Lakeside Paper Co.")]),
        (500, [(40, "Total of discounts"), (400, "USD 40.00")]),
        (520, [(40, "Total"), (400, "USD 360.00")]),
    ], ocr=False)
    assert values(extract_fields([page], "invoice", "en"))["total_amount"] == "360.00"


def test_month_name_date_with_space_before_comma_and_amount_after_it():
    page = make_page([
        (40, [(40, "Cobalt Ridge Hosting LLC")]),
        (80, [(40, "Statement date:"), (200, "March 9 , 2023")]),
        (120, [(40, "BALANCE DUE BY March 9 , 2023"), (400, "$57.25")]),
    ], ocr=False)
    got = values(extract_fields([page], "invoice", "en"))
    assert got["issue_date"] == "2023-03-09" and got["total_amount"] == "57.25"
