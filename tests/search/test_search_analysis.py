"""Text analysis: tokens, folding, and the Italian-then-English stemming chain."""

from __future__ import annotations

import pytest

from search.analysis import Token, fold, stem, stems, terms, tokens


def test_tokens_keep_identifiers_findable_by_their_parts() -> None:
    assert terms("Fattura FT-2024/0153 del 15/03/2024") == ["fattura", "ft", "2024", "0153", "del", "15", "03", "2024"]
    assert terms("dell'importo: € 1.220,00") == ["dell", "importo", "1", "220", "00"]
    assert terms("IT60 X054 2811") == ["it60", "x054", "2811"]
    assert terms("snake_case") == ["snake", "case"]
    assert terms("— … !!") == []


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Città", "citta"),
        ("città", "citta"),
        ("Über", "uber"),
        ("PERCHÉ", "perche"),
        ("Straße", "strasse"),
        ("ﬁne", "fine"),  # ligature
        ("Ａｂｃ", "abc"),  # full-width
        ("citta\u0300", "citta"),  # decomposed accent
        ("ASCII", "ascii"),
    ],
)
def test_fold(raw: str, folded: str) -> None:
    assert fold(raw) == folded
    assert terms(raw) == [folded]


def test_tokens_map_to_original_spans_even_with_decomposed_accents() -> None:
    text = "La citta\u0300 di U\u0308ber"
    toks = list(tokens(text))
    assert [t.text for t in toks] == ["la", "citta", "di", "uber"]
    assert [text[t.start : t.end] for t in toks] == ["La", "citta\u0300", "di", "U\u0308ber"]
    assert list(tokens("½")) == [Token("1", 0, 1), Token("2", 0, 1)]  # one original span, two folded tokens


def test_ascii_fast_path_agrees_with_the_general_path() -> None:
    text = "Invoice INV-7781, payment due 2024-03-15; AMOUNT DUE: 980.50 EUR"
    assert terms(text) == [t.text for t in tokens(text + " é")][:-1]


CONFLATED = [
    ("fattura", "fatture"),
    ("pagamento", "pagamenti"),
    ("sollecito", "solleciti"),
    ("contratto", "contratti"),
    ("scadenza", "scadenze"),
    ("debitore", "debitori"),
    ("importo", "importi"),
    ("ricevuta", "ricevute"),
    ("città", "citta"),
    ("invoice", "invoices"),
    ("reminder", "reminders"),
    ("payment", "payments"),
    ("agreement", "agreements"),
    ("notice", "notices"),
    ("company", "companies"),
    ("delivery", "deliveries"),
    ("paying", "pays"),
]


@pytest.mark.parametrize(("a", "b"), CONFLATED)
def test_stemming_conflates_inflections(a: str, b: str) -> None:
    assert stem(fold(a)) == stem(fold(b))


@pytest.mark.parametrize(
    ("a", "b"),
    [("fattura", "fatto"), ("contratto", "contro"), ("rossi", "bianchi"), ("invoice", "involve"), ("2024", "2025")],
)
def test_stemming_keeps_different_words_apart(a: str, b: str) -> None:
    assert stem(fold(a)) != stem(fold(b))


@pytest.mark.parametrize("word", ["iva", "due", "ft", "2024", "0153", "it60", "x054", "a1b2c3d4"])
def test_short_words_and_words_with_digits_are_not_stemmed(word: str) -> None:
    assert stem(word) == word


def test_stems_of_a_text() -> None:
    assert stems("Fatture scadute FT-2024") == ["fattur", "scad", "ft", "2024"]


def test_terms_equal_the_tokens_of_the_reference_tokeniser_on_random_text():
    """``terms`` scans runs with a faster pattern and caches each run's split: it must give exactly the folded
    tokens of ``tokens`` (the reference, used by the highlighter) on any text."""
    import random

    from search import analysis

    rng = random.Random(20261123)
    alphabet = "abcXYZ019_ -/.,'àèéìòùÀÉçßøæœİıﬁ½²™℃\u0301\u0308\u00a0\t\n€$·ǅﬀ"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.02:
            text += "x" * 120 + "_" + "y" * 99 + " è" + "z" * 101
        assert analysis.terms(text) == [t.text for t in analysis.tokens(text)], repr(text)
