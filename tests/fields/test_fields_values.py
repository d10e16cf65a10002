"""Parsers and normalisers of ingest.fields.values, in Italian and English, with hostile input."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ingest.fields.values import (
    currencies_in,
    currency_of,
    date_order,
    format_amount,
    guess_language,
    normalize_iban,
    normalize_name,
    normalize_vat_id,
    parse_amount,
    parse_date,
)


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("1.234,56 €", "it", "1234.56"),
        ("€1,234.56", "en", "1234.56"),
        ("EUR 1 234,56", "it", "1234.56"),
        ("1'234.56", None, "1234.56"),
        ("(1.234,56)", "it", "-1234.56"),
        ("-5.00", "en", "-5.00"),
        ("27,80", "en", "27.80"),  # two decimals decide, whatever the language
        ("27.80", "it", "27.80"),
        ("1.234", "it", "1234"),
        ("1.234", "en", "1.234"),
        ("1,234", "en", "1234"),
        ("1,234", "it", "1.234"),
        ("£10,303.80", "en", "10303.80"),
        ("1.2O0,00", "it", "1200.00"),  # letter O read as zero between digits
        ("96,00", "it", "96.00"),
    ],
)
def test_parse_amount(text, language, expected):
    assert parse_amount(text, language) == Decimal(expected)


@pytest.mark.parametrize(
    "text", ["", "   ", "-", "abc", "12.34.56", "1,23,4", "9" * 14, "1.234.567.890.123,00", "€", "x12"]
)
def test_parse_amount_refuses_garbage_and_absurd_values(text):
    assert parse_amount(text, "it") is None
    assert parse_amount(text, "en") is None


def test_format_amount():
    assert format_amount(Decimal("1234.5")) == "1234.50"
    assert format_amount(Decimal("0")) == "0.00"


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("15 marzo 2024", "it", date(2024, 3, 15)),
        ("1° marzo 2024", "it", date(2024, 3, 1)),
        ("March 15, 2024", "en", date(2024, 3, 15)),
        ("15th March 2024", "en", date(2024, 3, 15)),
        ("15. März 2024", "de", date(2024, 3, 15)),
        ("1er mars 2024", "fr", date(2024, 3, 1)),
        ("15 de marzo de 2024", "es", date(2024, 3, 15)),
        ("2024-03-15", None, date(2024, 3, 15)),
        ("15.03.2024", "de", date(2024, 3, 15)),
        ("15-03-24", "it", date(2024, 3, 15)),
        ("Data: 19/04/2024", "it", date(2024, 4, 19)),
        ("80101911/26.06.2025", "de", date(2025, 6, 26)),  # a number glued to a date does not shift it
    ],
)
def test_parse_date(text, language, expected):
    assert parse_date(text, language) == expected


def test_ambiguous_date_follows_the_document_order():
    assert parse_date("03/04/2024", "it") == date(2024, 4, 3)
    assert parse_date("03/04/2024", "en") == date(2024, 3, 4)
    assert parse_date("03/04/2024", "en", order="DMY") == date(2024, 4, 3)
    assert parse_date("13/04/2024", "en") == date(2024, 4, 13)  # unambiguous whatever the order


@pytest.mark.parametrize("text", ["", "garbage", "31/02/2024", "32.01.2024", "01.01.1907", "01/01/2150", "2024-13-01"])
def test_parse_date_rejects_impossible_and_implausible(text):
    assert parse_date(text, "it") is None


def test_date_order_is_decided_per_document():
    assert date_order("Invoice date 03/04/2024", "en")[0] == "MDY"
    assert date_order("Issued 25/03/2024, due 03/04/2024", "en")[0] == "DMY"
    assert date_order("Date 12 June 2024; due 03/04/2024", "en")[0] == "DMY"
    assert date_order("Data 03/04/2024", "it")[0] == "DMY"
    order, reason = date_order("03/04/2024", "de")
    assert order == "DMY" and "de" in reason


def test_normalisers():
    assert normalize_vat_id("04827310154", "it") == "IT04827310154"
    assert normalize_vat_id("04827310154", "en") == "04827310154"
    assert normalize_vat_id("GB 441 8203 74") == "GB441820374"
    assert normalize_iban("it47 k030 6901 7831 0000 0004 723") == "IT47K0306901783100000004723"
    assert normalize_name("  Rossi   Costruzioni\nS.r.l. ") == "Rossi Costruzioni S.r.l."


def test_currency_detection():
    assert currency_of("€ 1.234,56") == "EUR"
    assert currency_of("Total (GBP)") == "GBP"
    assert currency_of("US$ 12") == "USD"
    assert currency_of("no money here") is None
    assert currencies_in("€ 10, EUR 20, £ 5") == {"EUR": 2, "GBP": 1}


def test_guess_language():
    assert guess_language("Fattura n. 12 del 3 marzo: il totale della fattura e l'IVA per il cliente") == "it"
    assert guess_language("This invoice is for the amount due by the date of the order and the total") == "en"
    assert guess_language("") is None
