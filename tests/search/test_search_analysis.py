"""Text analysis: tokens, folding, and the Italian-then-English stemming chain."""

from __future__ import annotations

import pytest

from search.analysis import (
    MAX_TOKEN,
    Token,
    fold,
    normalise,
    stem,
    stem_languages,
    stems,
    terms,
    tokens,
)


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
    assert fold(raw) == folded  # exact values (identifiers, keywords)
    assert terms(raw) == [folded]  # full text


@pytest.mark.parametrize(
    ("raw", "folded"),
    [("Øre", "ore"), ("Æther", "aether"), ("Œuvre", "oeuvre"), ("Łódź", "lodz"), ("ǅ", "dz"), ("№5", "no5")],
)
def test_ascii_folding_of_letters_without_a_decomposition(raw: str, folded: str) -> None:
    assert terms(raw) == [folded]


def test_normalise_is_nfkc_and_free_on_ascii() -> None:
    ascii_text = "Invoice INV-7781"
    assert normalise(ascii_text) is ascii_text
    assert normalise("ﬁne citta\u0300 ½") == "fine città 1\u20442"


def test_tokens_give_spans_in_the_normalised_text_and_positions() -> None:
    text = normalise("La citta\u0300 di U\u0308ber ﬁne")
    toks = tokens(text)
    assert [t.text for t in toks] == ["la", "citta", "di", "uber", "fine"]
    assert [text[t.start : t.end] for t in toks] == ["La", "città", "di", "Über", "fine"]
    assert [t.position for t in toks] == [0, 1, 2, 3, 4]
    assert tokens(normalise("½")) == [Token("1", 0, 1, 0), Token("2", 2, 3, 1)]
    assert tokens("😀 abc") == [Token("abc", 2, 5, 0)]  # spans count code points, as Python does


def test_a_long_token_is_dropped_and_leaves_a_gap() -> None:
    long = "x" * (MAX_TOKEN + 1)
    assert terms(f"saldo {long} mora") == ["saldo", "mora"]
    assert [t.position for t in tokens(f"saldo {long} mora")] == [0, 2]
    assert terms("y" * MAX_TOKEN) == ["y" * MAX_TOKEN]
    assert terms("è" * 51) == ["e" * 51]  # the limit is on the folded token's bytes


CONFLATED = [
    ("it", "fattura", "fatture"),
    ("it", "pagamento", "pagamenti"),
    ("it", "sollecito", "solleciti"),
    ("it", "contratto", "contratti"),
    ("it", "scadenza", "scadenze"),
    ("it", "debitore", "debitori"),
    ("it", "importo", "importi"),
    ("it", "ricevuta", "ricevute"),
    ("it", "città", "citta"),
    ("en", "invoice", "invoices"),
    ("en", "reminder", "reminders"),
    ("en", "payment", "payments"),
    ("en", "agreement", "agreements"),
    ("en", "notice", "notices"),
    ("en", "company", "companies"),
    ("en", "delivery", "deliveries"),
    ("en", "paying", "pays"),
]


@pytest.mark.parametrize(("language", "a", "b"), CONFLATED)
def test_stemming_conflates_inflections(language: str, a: str, b: str) -> None:
    [ta], [tb] = terms(a), terms(b)
    assert stem(ta, language) == stem(tb, language)
    assert stems(a, language) == stems(b, language) == [stem(ta, language)]


@pytest.mark.parametrize(
    ("language", "a", "b"),
    [("it", "fattura", "fatto"), ("it", "contratto", "contro"), ("it", "rossi", "bianchi"),
     ("en", "invoice", "involve"),
     ("it", "2024", "2025"), ("en", "2024", "2025")],
)
def test_stemming_keeps_different_words_apart(language: str, a: str, b: str) -> None:
    assert stem(a, language) != stem(b, language)


@pytest.mark.parametrize("language", ["it", "en"])
@pytest.mark.parametrize("word", ["iva", "due", "ft", "2024", "0153", "it60", "x054", "a1b2c3d4"])
def test_short_words_and_words_with_digits_are_not_stemmed(language: str, word: str) -> None:
    assert stem(word, language) == word


def test_each_language_stems_its_own_words() -> None:
    assert stems("Fatture scadute FT-2024", "it") == ["fattur", "scad", "ft", "2024"]
    assert stems("Overdue invoices FT-2024", "en") == ["overdu", "invoic", "ft", "2024"]
    assert stem("fattura", "en") == "fattura"  # English rules leave Italian words alone (mostly)


@pytest.mark.parametrize(
    ("language", "expected"), [("it", ("it",)), ("EN", ("en",)), ("fr", ("it", "en")), (None, ("it", "en"))]
)
def test_a_document_is_stemmed_in_its_language_or_in_all(language: str | None, expected: tuple[str, ...]) -> None:
    assert stem_languages(language) == expected


def test_terms_tokens_and_fixed_points_on_random_text() -> None:
    """On any text: ``terms`` are the texts of ``tokens`` (what the index holds is what the highlighter marks),
    each term analyses to itself (a folded word given back as a query finds itself), and spans are in bounds."""
    import random

    rng = random.Random(20261123)
    alphabet = "abcIXYZ019_ -/.,'àèéìòùÀÉçßøæœİıﬁ½²™℃\u0301\u0307\u0308\u00a0\t\n€$·ǅﬀΣσςЖж😀"
    for _ in range(20_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40)))
        if rng.random() < 0.02:
            text += "x" * 120 + "_" + "y" * 99 + " è" + "z" * 101
        flat = normalise(text)
        assert normalise(flat) == flat, repr(text)
        toks = tokens(flat)
        assert terms(text) == [t.text for t in toks], repr(text)
        for t in toks:
            assert 0 <= t.start < t.end <= len(flat), repr(text)
            assert terms(t.text) == [t.text], (repr(text), t)
