"""Checks of ingest.fields.validate: python-stdnum for identifiers, plausibility and arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ingest.fields.validate import check_amounts, check_dates, check_iban, check_tax_code, check_vat_id


def test_iban():
    assert check_iban("IT60X0542811101000000123456")[0] is True
    assert check_iban("IT60X0542811101000000123457")[0] is False
    assert check_iban("GB82WEST12345698765432")[0] is True
    assert check_iban("")[0] is False


def test_vat_ids():
    assert check_vat_id("IT00743110157")[0] is True
    assert check_vat_id("IT00743110158")[0] is False
    assert check_vat_id("DE136695976")[0] is True
    assert check_vat_id("GB980780684")[0] is True
    assert check_vat_id("01234567897")[0] is None  # no country prefix: nothing to check


def test_tax_codes():
    assert check_tax_code("RSSMRA85T10A562S")[0] is True
    assert check_tax_code("RSSMRA85T10A562X")[0] is False
    assert check_tax_code("00743110157")[0] is True  # a company's codice fiscale is its partita IVA
    assert check_tax_code("01234567890")[0] is False
    assert check_tax_code("ABC")[0] is None


def test_dates_and_amounts():
    assert check_dates(date(2024, 3, 15), date(2024, 4, 14))[0] is True
    assert check_dates(date(2024, 3, 15), date(2024, 3, 1))[0] is False
    assert check_dates(date(2024, 3, 15), date(2031, 1, 1))[0] is False
    assert check_dates(None, date(2024, 3, 1))[0] is None
    assert check_amounts(Decimal("1000.00"), Decimal("220.00"), Decimal("1220.00"))[0] is True
    assert check_amounts(Decimal("1000.00"), Decimal("220.00"), Decimal("1220.01"))[0] is True
    assert check_amounts(Decimal("1000.00"), Decimal("220.00"), Decimal("1221.00"))[0] is False
