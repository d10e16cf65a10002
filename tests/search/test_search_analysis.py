"""Text analysis: tokens, folding, and the Italian-then-English stemming chain."""

from __future__ import annotations

import itertools
import random

import pytest

from search.analysis import (
    MAX_TOKEN,
    MIN_STEM,
    STEMMERS,
    Token,
    fold,
    matching_stem,
    normalise,
    stem,
    stem_languages,
    stem_prefixes,
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


# Endings both stemmers take off or rewrite (inflections, derivations, attached pronouns, Porter2's step 2 and 3
# replacements), to build words around random roots.
_ENDINGS = (
    "a", "e", "i", "o", "are", "ere", "ire", "ando", "endo", "ato", "ata", "ati", "ate", "ito", "uto", "iti",
    "enza", "enze", "ente", "enti", "amente", "mente", "azione", "azioni", "uzione", "usione", "logia", "logie",
    "ismo", "ista", "iche", "ichi", "ghe", "ghi", "abile", "ibile", "ante", "anza", "ezza", "ita", "ivo", "iva",
    "oso", "osa", "issimo", "ammo", "emmo", "irono", "arono", "erebbe", "erebbero", "gliela", "gliele", "sene",
    "mi", "ti", "ci", "si", "lo", "la", "ne", "li", "vi", "s", "es", "ies", "ied", "ed", "ing", "ingly", "edly",
    "ly", "ness", "ful", "fulness", "iveness", "ization", "izer", "ational", "tional", "ation", "ator", "alism",
    "aliti", "iviti", "biliti", "bility", "bli", "ably", "ibly", "ence", "ance", "enci", "anci", "abli", "alli",
    "entli", "eli", "ousli", "ousness", "ement", "ment", "ent", "ism", "ate", "iti", "ive", "ize", "ous", "al",
    "er", "ic", "able", "ible", "ant", "y", "eed", "eedly", "icate", "iciti", "ical", "ative", "alize", "lessli",
    "fulli", "ogi",
)
_IRREGULAR_FORMS = ("dying", "lying", "tying", "vying", "dyings", "skies", "skis", "idly", "gently", "ugly", "early",
                    "only", "singly")


def _built_words(rng: random.Random, count: int) -> list[str]:
    """Words of one to four syllables (so that the stemmers' regions R1, R2, RV fall as in real words) followed by
    up to three endings."""
    consonants, vowels = "bcdfghjklmnpqrstvwxyz", "aeiou"

    def syllable() -> str:
        head = rng.choice(consonants) if rng.random() < 0.8 else ""
        return head + rng.choice(vowels) + (rng.choice(consonants) if rng.random() < 0.3 else "")

    return [
        "".join(syllable() for _ in range(rng.randint(1, 4)))
        + "".join(rng.sample(_ENDINGS, rng.choice((0, 1, 1, 2, 3))))
        for _ in range(count)
    ]


@pytest.mark.parametrize("language", ["it", "en"])
def test_every_word_starts_where_stem_prefixes_says(language: str) -> None:
    """The Tantivy engine finds a query word's forms by listing the dictionary under ``stem_prefixes`` of its stem:
    a word that did not start there would be missed. Held against every word of up to three letters or digits,
    Porter2's irregular forms, and 80,000 built words."""
    analyze = STEMMERS[language].analyze
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    words = ["".join(t) for n in (1, 2, 3) for t in itertools.product(alphabet, repeat=n)]
    words += [*_IRREGULAR_FORMS] + [c + "ying" + end for c in alphabet for end in ("", "s", "ly")]
    words += _built_words(random.Random(3161), 80_000)
    missed = []
    for word in words:
        [stemmed] = analyze(word)
        if len(stemmed) >= MIN_STEM and not word.startswith(stem_prefixes(stemmed, language)):
            missed.append((word, stemmed))
    assert missed == []


def test_stem_prefixes_are_the_stem_or_the_stem_with_its_last_letter_put_back() -> None:
    assert stem_prefixes("fattur", "it") == ("fattur",)
    assert stem_prefixes("different", "it") == ("different", "differenz")  # differenza
    assert stem_prefixes("happi", "en") == ("happi", "happy")  # happy
    assert stem_prefixes("hope", "en") == ("hope", "hopi")  # hoping
    assert stem_prefixes("abl", "en") == ("abl", "abi")  # ability
    assert stem_prefixes("invoic", "en") == ("invoic",)
    assert stem_prefixes("die", "en") == ("die", "dii", "dying")
    assert stem_prefixes("die", "it") == ("die",)


def test_short_stems_are_not_matched_by() -> None:
    assert matching_stem("fatture", "it") == "fattur"
    assert matching_stem("ads", "en") is None  # "ad": too short to relate words by
    assert matching_stem("di", "it") is None
    assert matching_stem("iva", "it") == "iva"
    shortened = [w for w in _built_words(random.Random(5), 5_000) if len(stem(w, "it")) < min(len(w), MIN_STEM)]
    assert shortened == []  # Italian never stems a word below three letters


def test_terms_tokens_and_fixed_points_on_random_text() -> None:
    """On any text: ``terms`` are the texts of ``tokens`` (what the index holds is what the highlighter marks),
    each term analyses to itself (a folded word given back as a query finds itself), and spans are in bounds."""
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
