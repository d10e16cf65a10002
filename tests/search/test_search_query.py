"""Our query language: the tree each input parses to, precedence, typed values, and the tolerant fallback."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from search.query import (
    And,
    Everything,
    Exists,
    Fuzzy,
    Not,
    Nothing,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Range,
    Term,
    parse,
    positive_terms,
)


def T(text: str, field: str = "text") -> Term:
    return Term(field, text)


D = date
A = Decimal

CASES = [
    # words, implicit AND, folding
    ("fattura", T("fattura")),
    ("Fattura ROSSI", And((T("fattura"), T("rossi")))),
    ("Città", T("citta")),
    ("and or not", And((T("and"), T("or"), T("not")))),
    # phrases; a word with inner punctuation is the phrase of its parts; one quoted word is exact
    ('"amount due"', Phrase("text", ("amount", "due"))),
    ('"amount due"~2', Phrase("text", ("amount", "due"), 2)),
    ('"Fattura"', Phrase("text", ("fattura",))),
    ("FT-2024/0153", Phrase("text", ("ft", "2024", "0153"))),
    ("“amount due”", Phrase("text", ("amount", "due"))),  # typographic quotes
    # prefix, fuzzy, everything
    ("ross*", Prefix("text", "ross")),
    ("rossi~", Fuzzy("text", "rossi", 1)),
    ("rossi~2", Fuzzy("text", "rossi", 2)),
    ("rossi~0", T("rossi")),
    ("*", Everything()),
    # boolean operators and precedence: NOT > AND > OR
    ("a AND b", And((T("a"), T("b")))),
    ("a OR b", Or((T("a"), T("b")))),
    ("a OR b c", Or((T("a"), And((T("b"), T("c")))))),
    ("a b OR c", Or((And((T("a"), T("b"))), T("c")))),
    ("NOT a b", And((Not(T("a")), T("b")))),
    ("a AND NOT b OR c", Or((And((T("a"), Not(T("b")))), T("c")))),
    ("-a b", And((Not(T("a")), T("b")))),
    ("NOT NOT a", T("a")),
    ("(a OR b) c", And((Or((T("a"), T("b"))), T("c")))),
    ("a (b OR (c d))", And((T("a"), Or((T("b"), And((T("c"), T("d")))))))),
    ("+a +b", And((T("a"), T("b")))),
    ("a a", T("a")),
    # fields
    ("buyer_name:Rossi", T("rossi", "buyer_name")),
    ('buyer_name:"Rossi Costruzioni"', Phrase("buyer_name", ("rossi", "costruzioni"))),
    ("filename:sollecito*", Prefix("filename", "sollecito")),
    ("Doc_Type:Invoice", T("invoice", "doc_type")),
    ('doc_type:"credit note"', T("credit_note", "doc_type")),
    ("type:receipt", T("receipt", "doc_type")),
    ("doc_type:(invoice OR receipt)", Or((T("invoice", "doc_type"), T("receipt", "doc_type")))),
    ("-doc_type:contract", Not(T("contract", "doc_type"))),
    ("media_type:application/pdf", T("application/pdf", "media_type")),
    ("currency:eur", T("EUR", "currency")),
    ('seller_vat_id:"IT 0123 4567 897"', T("IT01234567897", "seller_vat_id")),
    ("iban:it60-x054-2811", T("IT60X0542811", "iban")),
    ("buyer_tax_code:rssmra85t10a562s", T("RSSMRA85T10A562S", "buyer_tax_code")),
    ('invoice_number:"FT 2024/0153"', T("ft2024/0153", "invoice_number")),
    ("invoice_number:FT-2024/0153", T("ft-2024/0153", "invoice_number")),
    ("invoice_number:FT-2024*", Prefix("invoice_number", "ft-2024")),
    ("invoice_refs:ft-2024/0153", T("ft-2024/0153", "invoice_refs")),
    ('parties:"Rossi Costruzioni"', And((T("rossi", "parties"), T("costruzioni", "parties")))),
    ("id:4E1F0C", Prefix("id", "4e1f0c")),
    ("total_amount:*", Exists("total_amount")),
    ("vat_id:IT01234567897", Or((T("IT01234567897", "seller_vat_id"), T("IT01234567897", "buyer_vat_id")))),
    # numbers, amounts, comparisons
    ("pages:3", Range("pages", 3, 3)),
    ("pages:>=3", Range("pages", 3, None)),
    ("pages:<3", Range("pages", None, 3, include_high=False)),
    ("total_amount:1220", Range("total_amount", A("1220"), A("1220"))),
    ("total_amount:>1000", Range("total_amount", A("1000"), None, include_low=False)),
    ("total_amount:<=1.234,56", Range("total_amount", None, A("1234.56"))),
    ("total_amount:[1000 TO 5000]", Range("total_amount", A("1000"), A("5000"))),
    ("total_amount:{1000 TO 5000}", Range("total_amount", A("1000"), A("5000"), False, False)),
    ("total_amount:[1.000,50 TO *]", Range("total_amount", A("1000.50"), None)),
    ("total_amount:[* TO *]", Exists("total_amount")),
    # dates: a year or a month is the whole period, also as a range bound
    ("issue_date:2024", Range("issue_date", D(2024, 1, 1), D(2024, 12, 31))),
    ("due_date:2024-02", Range("due_date", D(2024, 2, 1), D(2024, 2, 29))),
    ("due_date:2025-02", Range("due_date", D(2025, 2, 1), D(2025, 2, 28))),
    ("due_date:2024-12", Range("due_date", D(2024, 12, 1), D(2024, 12, 31))),
    ("due_date:2024-03-15", Range("due_date", D(2024, 3, 15), D(2024, 3, 15))),
    ("issue_date:2024*", Range("issue_date", D(2024, 1, 1), D(2024, 12, 31))),
    ("due_date:[TO 2025-03-01]", Range("due_date", None, D(2025, 3, 1))),
    ("due_date:[2024-03 TO 2024-05]", Range("due_date", D(2024, 3, 1), D(2024, 5, 31))),
    ("due_date:{2024-03 TO 2024-05}", Range("due_date", D(2024, 3, 31), D(2024, 5, 1), False, False)),
    ("due_date:[2024-01-01 TO]", Range("due_date", D(2024, 1, 1), None)),
    ("issue_date:>2024", Range("issue_date", D(2024, 12, 31), None, include_low=False)),
    ("issue_date:>=2024", Range("issue_date", D(2024, 1, 1), None)),
    ("issue_date:<2024-03", Range("issue_date", None, D(2024, 3, 1), include_high=False)),
    ("issue_date:<=2024-03", Range("issue_date", None, D(2024, 3, 31))),
    ("ingested:2026-11", Range("ingested", D(2026, 11, 1), D(2026, 11, 30))),
    # the brief's example
    (
        "buyer_name:rossi total_amount:[1000 TO 5000] due_date:[TO 2025-03-01]",
        And(
            (
                T("rossi", "buyer_name"),
                Range("total_amount", A("1000"), A("5000")),
                Range("due_date", None, D(2025, 3, 1)),
            )
        ),
    ),
]


@pytest.mark.parametrize(("text", "tree"), CASES, ids=[c[0] for c in CASES])
def test_parses_to_tree(text: str, tree: object) -> None:
    parsed = parse(text)
    assert parsed.tree == tree
    assert parsed.notes == ()


def test_trees_are_frozen_and_hashable() -> None:
    parsed = parse("a OR (b -c) total_amount:>5")
    assert hash(parsed.tree) == hash(parse("a OR (b -c) total_amount:>5").tree)
    with pytest.raises(AttributeError):
        parsed.tree.children = ()  # type: ignore[misc,union-attr]


MALFORMED = [
    ('"amount due', And((T("amount"), T("due")))),
    ("rossi AND", T("rossi")),
    ("AND rossi", T("rossi")),
    ("rossi OR", T("rossi")),
    ("rossi OR OR bianchi", And((T("rossi"), T("bianchi")))),
    ("rossi NOT", T("rossi")),
    ("rossi -", T("rossi")),
    ("(rossi bianchi", And((T("rossi"), T("bianchi")))),
    ("rossi) bianchi", And((T("rossi"), T("bianchi")))),
    ("()", Nothing()),
    ("total_amount:[1000 TO", T("1000")),
    ("due_date:>", Nothing()),
    ("fattura (" + "(" * 600 + "x" + ")" * 600, And((T("fattura"), T("x")))),
    ("AND OR NOT", Nothing()),
    ('"', Nothing()),
]


@pytest.mark.parametrize(("text", "tree"), MALFORMED, ids=[c[0][:30] for c in MALFORMED])
def test_malformed_input_falls_back_to_its_words_with_a_note(text: str, tree: object) -> None:
    parsed = parse(text)  # never raises
    assert parsed.tree == tree
    assert parsed.notes
    assert parsed.notes[0].startswith("could not parse the query")


BAD_VALUES = [
    ("total_amount:abc", T("abc"), "'abc' is not an amount for total_amount"),
    ("total_amount:12.345,678", Phrase("text", ("12", "345", "678")), "is not an amount"),
    ("due_date:2024-13", Phrase("text", ("2024", "13")), "is not a date"),
    ("due_date:2024-02-30", Phrase("text", ("2024", "02", "30")), "is not a date"),
    ("issue_date:[2024 2025]", And((T("2024"), T("2025"))), "is not a range"),
    ("buyer_name:[a TO b]", And((T("a"), T("b"))), "a range needs a field of numbers"),
    ("filename:>3", T("3"), "compares numbers and dates"),
    ("id:xyz", T("xyz"), "is not a document id"),
    ("pages:many", T("many"), "is not a whole number"),
    ("amount:lots", T("lots"), "for amount;"),
]


@pytest.mark.parametrize(("text", "tree", "note"), BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_a_value_that_does_not_fit_its_field_is_searched_as_words(text: str, tree: object, note: str) -> None:
    parsed = parse(text)
    assert parsed.tree == tree
    assert len(parsed.notes) == 1
    assert note in parsed.notes[0] and parsed.notes[0].endswith("searched as words")


def test_bad_value_stays_local_to_its_clause() -> None:
    parsed = parse("rossi total_amount:abc doc_type:invoice")
    assert parsed.tree == And((T("rossi"), T("abc"), T("invoice", "doc_type")))


def test_unknown_field_is_searched_as_words_with_a_note() -> None:
    parsed = parse("foo:bar rossi")
    assert parsed.tree == And((T("foo"), T("bar"), T("rossi")))
    assert parsed.notes == ("unknown field 'foo'; searched as words",)
    assert parse('foo:"a b"').tree == And((T("foo"), Phrase("text", ("a", "b"))))
    assert parse("foo:(a OR b)").tree == And((T("foo"), Or((T("a"), T("b")))))
    assert parse("10:30").tree == Phrase("text", ("10", "30"))  # not a field name: a word
    assert parse("Nota: pagare").tree == And((T("nota"), T("pagare")))


def test_fuzzy_distance_is_capped() -> None:
    parsed = parse("rossi~7")
    assert parsed.tree == Fuzzy("text", "rossi", 2)
    assert "at most 2" in parsed.notes[0]


def test_empty_query() -> None:
    assert parse("") == ParsedQuery(Nothing(), ("the query is empty",))
    assert parse("   ").tree == Nothing()
    assert parse("— …").tree == Nothing()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1220", "1220"),
        ("1220.5", "1220.5"),
        ("1220,50", "1220.50"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("1.234", "1234"),
        ("1,234", "1234"),
        ("1.234.567,89", "1234567.89"),
        ("1,234,567.89", "1234567.89"),
        ("€1.220,00", "1220.00"),
        ("-50,5", "-50.5"),
    ],
)
def test_amounts_in_both_locales(text: str, value: str) -> None:
    assert parse(f"total_amount:{text}").tree == Range("total_amount", Decimal(value), Decimal(value))


def test_positive_terms_skip_negations_and_keep_fields() -> None:
    tree = parse('fattura -bozza ("amount due" OR ross*) buyer_name:rossi').tree
    assert positive_terms(tree) == [
        T("fattura"),
        Phrase("text", ("amount", "due")),
        Prefix("text", "ross"),
        T("rossi", "buyer_name"),
    ]
