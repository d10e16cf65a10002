"""Case files: debtor matching, totals, aging and limitation dates on a hand-checked example (real SQLite catalog;
documents are catalogued directly, with the fields extraction would have given, so that every figure is known)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from archive.case_list import list_debtors
from archive.cases import bucket_of, build_case
from archive.catalog import Catalog, DocumentRow, FieldRow, PageRow, SightingRow
from archive.config import Settings
from archive.debtors import id_key, id_variants, looks_like_identifier, name_key, similar_keys
from archive.limitation import add_years, easter_sunday, is_public_holiday, limitation_end
from tests.cli_runner import run

AS_OF = date(2025, 3, 1)


def add(cat: Catalog, n: int, doc_type: str, text: str = "", **fields: str | list[str]) -> str:
    doc_id = f"{n:064x}"
    row = DocumentRow(id=doc_id, size=1, kind="pdf", media_type="application/pdf", original_name=f"doc{n}.pdf",
                      source_path=f"in/doc{n}.pdf", page_count=1, doc_type=doc_type, language="it",
                      ingested_at="2025-03-01T00:00:00Z", batch_id="b1", warnings=(), indexed=False)
    page = PageRow(number=1, method="text", text=text, width=595.0, height=842.0, unit="pt", dpi=None,
                   confidence=None, words=(), warnings=(), seconds=0.0)
    rows = [FieldRow(name=k, value=tuple(v) if isinstance(v, list) else v, confidence=0.9) for k, v in fields.items()]
    cat.add_document(row, [page], SightingRow("b1", f"in/doc{n}.pdf", "new", "2025-03-01T00:00:00Z"), rows)
    return doc_id


@pytest.fixture
def catalog(tmp_path: Path):
    cat = Catalog(tmp_path / "catalog.sqlite", create=True)
    cat.begin_batch("b1", "test", "me", "host", "2025-03-01T00:00:00Z")
    ids = {
        "contract": add(cat, 1, "contract", "Contratto di locazione: canone mensile di 1000 euro.",
                        contract_number="CT-2023/01", parties=["Nostra Impresa S.p.A.", "Rossi Costruzioni SRL"],
                        signing_date="2023-01-10", governing_law="Italy", currency="EUR"),
        # rent under the contract: periodic, 5 years; due on a leap day
        "a": add(cat, 2, "invoice", "Fattura canone mensile gennaio 2024", invoice_number="FT-1",
                 issue_date="2024-01-31", due_date="2024-02-29", total_amount="1000.00", currency="EUR",
                 buyer_name="Rossi Costruzioni S.r.l.", buyer_vat_id="IT01234567897", contract_ref="CT 2023/01"),
        # no due date: issue + 30 days; the VAT id as printed with spaces, the name in capitals
        "b": add(cat, 3, "invoice", "Fattura lavori edili", invoice_number="FT-2", issue_date="2024-12-01",
                 total_amount="500.00", currency="EUR", buyer_name="ROSSI COSTRUZIONI SRL",
                 buyer_vat_id="IT 01234567897"),
        "c": add(cat, 4, "invoice", "Fattura materiali", invoice_number="FT-3", issue_date="2025-02-10",
                 due_date="2025-03-10", total_amount="200.00", currency="EUR", buyer_vat_id="01234567897"),
        "credit": add(cat, 5, "credit_note", "Nota di credito", invoice_number="NC-1", issue_date="2024-03-05",
                      total_amount="100.00", currency="EUR", buyer_name="Rossi Costruzioni srl."),
        "l1": add(cat, 6, "dunning_letter", "Sollecito", debtor_name="Rossi Costruzioni", letter_date="2024-06-15",
                  invoice_refs=["FT-1"], amount_due="1000.00", currency="EUR"),
        "l2": add(cat, 7, "dunning_letter", "Diffida", debtor_name="Rossi Costruzioni S.r.l.",
                  letter_date="2025-01-20", invoice_refs=["FT 2"], amount_due="500.00", currency="EUR"),
        "later": add(cat, 8, "invoice", "Fattura", invoice_number="FT-9", issue_date="2025-04-01",
                     due_date="2025-05-01", total_amount="999.00", currency="EUR", buyer_vat_id="IT01234567897"),
        "typo": add(cat, 9, "invoice", "Fattura", invoice_number="X-1", issue_date="2024-11-01",
                    due_date="2024-12-01", total_amount="300.00", currency="EUR", buyer_name="Rossi Costruzione Srl"),
        "bianchi": add(cat, 10, "invoice", "Fattura", invoice_number="B-1", issue_date="2023-01-01",
                       due_date="2023-01-31", total_amount="7000.00", currency="EUR", buyer_name="Bianchi SpA"),
        "gbp": add(cat, 11, "invoice", "Invoice", invoice_number="G-1", issue_date="2025-01-15",
                   due_date="2025-02-14", total_amount="50.00", currency="GBP", buyer_name="Rossi Costruzioni"),
    }
    yield cat, ids
    cat.close()


SETTINGS = Settings(organization="Nostra Impresa S.p.A.")


def test_case_totals_aging_and_links_hand_checked(catalog):
    cat, ids = catalog
    case = build_case(cat, SETTINGS, "rossi costruzioni", as_of=AS_OF)
    got = {d.id for d in case.documents}
    assert got == {ids[k] for k in ("contract", "a", "b", "c", "credit", "l1", "l2", "gbp")}
    assert case.documents[0].id == ids["contract"], "date order: the 2023 contract first"
    assert case.debtor == "Rossi Costruzioni S.r.l."  # the most printed name (ties: the longest)
    assert case.identifiers == ["IT01234567897"]
    eur = case.totals["EUR"]
    # invoiced 1000 + 500 + 200; credited 100; overdue: A (366 days) and B (60 days); C is not due yet
    assert (str(eur.invoiced), str(eur.credited), str(eur.outstanding), str(eur.overdue)) == (
        "1700.00", "100.00", "1600.00", "1500.00")
    assert {k: str(v) for k, v in eur.buckets.items()} == {
        "not due": "200.00", "1-30": "0.00", "31-60": "500.00", "61-90": "0.00", "91-180": "0.00", ">180": "1000.00"}
    assert str(case.totals["GBP"].invoiced) == "50.00" and case.totals["GBP"].counts["1-30"] == 1  # 15 days
    by_number = {i.doc.get("invoice_number"): i for i in case.invoices}
    a, b, c = by_number["FT-1"], by_number["FT-2"], by_number["FT-3"]
    assert (a.days_past_due, b.days_past_due, c.days_past_due) == (366, 60, -9)
    assert b.due == date(2024, 12, 31) and b.due_assumed and not a.due_assumed
    assert a.contract == ids["contract"] and b.contract is None  # "CT 2023/01" finds "CT-2023/01"
    # limitation: A is rent (5 years, periodic), interrupted by L1 on 2024-06-15 -> 2029-06-15 (a Friday)
    assert (a.limitation.years, a.limitation.interrupted_by, a.limitation.expires) == (5, ids["l1"], date(2029, 6, 15))
    assert a.limitation.basis.startswith("periodic")
    # B: ordinary 10 years, interrupted by L2 ("FT 2" refers to FT-2) -> 2035-01-20 (a Saturday: not a holiday)
    assert (b.limitation.years, b.limitation.interrupted_on, b.limitation.expires) == (10, date(2025, 1, 20),
                                                                                       date(2035, 1, 20))
    # C: L2 names another invoice; due 2025-03-10 + 10 years = 2035-03-10 (Saturday)
    assert c.limitation.interrupted_by is None and c.limitation.expires == date(2035, 3, 10)
    assert any("after 2025-03-01" in n for n in case.notes), "the invoice dated after --as-of is left out"
    assert ("Rossi Costruzione Srl", 1) in case.similar, "the near-duplicate is offered, not merged"


def test_case_found_by_vat_id_in_any_spelling_and_also_merges(catalog):
    cat, ids = catalog
    by_id = build_case(cat, SETTINGS, "01234567897", as_of=AS_OF)
    by_name = build_case(cat, SETTINGS, "ROSSI COSTRUZIONI s.r.l", as_of=AS_OF)
    assert {d.id for d in by_id.documents} == {d.id for d in by_name.documents}
    merged = build_case(cat, SETTINGS, "IT 012 345 678 97", as_of=AS_OF, also=["Rossi Costruzione Srl"])
    assert ids["typo"] in {d.id for d in merged.documents}
    assert str(merged.totals["EUR"].invoiced) == "2000.00"


def test_debtor_list_ranks_by_outstanding(catalog):
    cat, _ = catalog
    ranked = list_debtors(cat, SETTINGS, as_of=AS_OF)
    assert [s.debtor for s in ranked] == ["Bianchi SpA", "Rossi Costruzioni S.r.l.", "Rossi Costruzione Srl"]
    assert ranked[0].oldest_days_past_due == (AS_OF - date(2023, 1, 31)).days
    assert all(s.debtor != "Nostra Impresa S.p.A." for s in ranked), "the archive's own organisation is no debtor"


def test_case_cli_json_and_errors(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--organization", "Nostra Impresa S.p.A.")
    assert json.loads(run(home, "case", "--list", "--json").output)["debtors"] == []
    result = run(home, "case", "Rossi", expect=6)
    assert "no document of the archive names the debtor" in result.output
    assert "--as-of" in run(home, "case", "Rossi", "--as-of", "2025-02-30", expect=2).output
    run(home, "case", expect=2)


def test_case_cli_on_a_catalogued_archive(tmp_path):
    home = tmp_path / "home"
    run(home, "init", "--organization", "Nostra Impresa S.p.A.")
    cat = Catalog(home / "catalog.sqlite3")
    cat.begin_batch("b1", "test", "me", "host", "2025-03-01T00:00:00Z")
    add(cat, 2, "invoice", "Fattura", invoice_number="FT-1", issue_date="2024-01-31", due_date="2024-02-29",
        total_amount="1000.00", currency="EUR", buyer_name="Rossi Costruzioni S.r.l.", buyer_vat_id="IT01234567897")
    add(cat, 6, "dunning_letter", "Sollecito", debtor_name="Rossi Costruzioni", letter_date="2024-06-15",
        invoice_refs=["FT-1"])
    cat.close()
    data = json.loads(run(home, "case", "IT01234567897", "--as-of", "2025-03-01", "--json").output)
    assert data["totals"]["EUR"]["outstanding"] == "1000.00"
    assert data["totals"]["EUR"]["aging"][">180"] == {"amount": "1000.00", "invoices": 1}
    (inv,) = data["invoices"]
    assert inv["days_past_due"] == 366 and inv["limitation"]["expires"] == "2034-06-15"
    text = run(home, "case", "rossi costruzioni", "--as-of", "2025-03-01").output
    assert "FT-1" in text and "2034-06-15" in text and "outstanding 1000.00" in text
    listing = run(home, "case", "--list", "--as-of", "2025-03-01").output
    assert "Rossi Costruzioni S.r.l." in listing
    log = run(home, "log", "--json").output
    assert '"case"' in log, "viewing a case file is recorded in the audit log"


@pytest.mark.parametrize(("start", "years", "expected"), [
    (date(2024, 2, 29), 5, date(2029, 2, 28)),  # leap day into a common year: the month's last day
    (date(2024, 2, 29), 4, date(2028, 2, 29)),  # leap year to leap year
    (date(2024, 1, 31), 10, date(2034, 1, 31)),
    (date(2023, 11, 30), 1, date(2024, 11, 30)),
    (date(2023, 12, 31), 1, date(2024, 12, 31)),
])
def test_add_years_by_the_calendar(start, years, expected):
    assert add_years(start, years) == expected


@pytest.mark.parametrize(("start", "years", "expected"), [
    (date(2024, 12, 31), 10, date(2035, 1, 2)),  # 2034-12-31 is a Sunday, 1 January a holiday
    (date(2025, 4, 22), 5, date(2030, 4, 23)),  # Easter Monday 2030 is 22 April
    (date(2022, 8, 15), 5, date(2027, 8, 16)),  # Ferragosto on a Sunday
    (date(2024, 2, 29), 5, date(2029, 2, 28)),  # a Wednesday: unchanged
    (date(2021, 10, 4), 10, date(2031, 10, 6)),  # St Francis 2031 falls on a Saturday, then a Sunday
    (date(2020, 10, 4), 10, date(2030, 10, 5)),  # a Friday holiday: Saturday is a working day here
    (date(2015, 10, 4), 10, date(2025, 10, 4)),  # 2025: 4 October was not yet a holiday (a Saturday)
])
def test_limitation_end_moves_past_sundays_and_italian_holidays(start, years, expected):
    assert limitation_end(start, years)[0] == expected


def test_sundays_only_calendar_and_interruptions():
    assert limitation_end(date(2024, 12, 31), 10, holidays="")[0] == date(2035, 1, 1)
    # a letter before the due date does not interrupt; one within the period restarts it; one after the end is late
    end, by = limitation_end(date(2020, 1, 31), 5, "", [date(2019, 12, 1), date(2022, 3, 1), date(2040, 1, 1)])
    assert (end, by) == (date(2027, 3, 1), date(2022, 3, 1))
    # chained: each letter within the running period restarts it
    end, by = limitation_end(date(2010, 1, 1), 5, "", [date(2014, 12, 31), date(2019, 12, 30)])
    assert (end, by) == (date(2024, 12, 30), date(2019, 12, 30))


def test_easter_and_holidays():
    assert [easter_sunday(y) for y in (2024, 2025, 2030, 2038)] == [
        date(2024, 3, 31), date(2025, 4, 20), date(2030, 4, 21), date(2038, 4, 25)]
    assert is_public_holiday(date(2025, 6, 2)) and not is_public_holiday(date(2025, 6, 3))
    assert is_public_holiday(date(2025, 6, 3), "") is False and is_public_holiday(date(2025, 6, 8), "")


def test_buckets_edges():
    assert [bucket_of(d) for d in (-5, 0, 1, 30, 31, 60, 61, 90, 91, 180, 181)] == [
        "not due", "not due", "1-30", "1-30", "31-60", "31-60", "61-90", "61-90", "91-180", "91-180", ">180"]


def test_name_and_id_keys():
    assert name_key("Rossi Costruzioni S.r.l.") == name_key("ROSSI COSTRUZIONI SRL") == "rossi costruzioni"
    assert name_key("Société Générale S.A.") == "societe generale"
    assert name_key("Ferretti & Figli S.n.c.") == "ferretti & figli"
    assert name_key("Harbour Logistics Ltd.") == name_key("harbour logistics limited") == "harbour logistics"
    assert name_key("S.r.l.") == "s r l", "a name that is only a legal form keeps it"
    assert id_key("IT 012.345.678-97") == "IT01234567897"
    assert looks_like_identifier("IT01234567897") and looks_like_identifier("RSSMRA85T10A562S")
    assert not looks_like_identifier("Rossi") and not looks_like_identifier("Rossi Costruzioni")
    assert similar_keys("rossi costruzioni", ["rossi costruzione", "bianchi", "rossi costruzioni"]) == [
        "rossi costruzione"]


@pytest.mark.parametrize(
    ("value", "variants"),
    [
        ("IT 012 345 678 97", {"IT01234567897", "01234567897"}),  # a partita IVA, with or without its prefix
        ("ATU12345678", {"ATU12345678", "U12345678"}),  # Austria's numbers start with U after the prefix
        ("RSSMRA85T10A562S", {"RSSMRA85T10A562S"}),  # a codice fiscale: "RS" is part of it, not a country
        ("RSSMRA85T1LA562S", {"RSSMRA85T1LA562S"}),  # the same with a digit replaced (omocodia)
        ("01234567897", {"01234567897"}),
        ("ZZ12345678", {"ZZ12345678"}),  # not a VAT prefix
    ],
)
def test_id_variants_take_off_only_a_vat_country_prefix(value: str, variants: set[str]) -> None:
    assert id_variants(value) == variants


def test_two_tax_codes_differing_in_their_first_letters_are_two_debtors() -> None:
    assert not id_variants("RSSMRA85T10A562S") & id_variants("ROSMRA85T10A562S")
