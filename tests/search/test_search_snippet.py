"""Highlighted snippets: matches marked in the original text, fragments chosen and cut."""

from __future__ import annotations

from search.query import parse
from search.snippet import snippets

LETTER = (
    "Spett.le Rossi Costruzioni S.r.l.\nVia Roma 1, 20100 Milano\n\n\f"
    "Oggetto: sollecito di pagamento delle Fatture n. FT-2024/0153 e FT-2024/0154.\n"
    "Con la presente vi ricordiamo che le fatture indicate risultano scadute. La Città di Milano "
    + "parole di riempimento " * 40
    + "Vi invitiamo a provvedere al pagamento entro 15 giorni. Amount due: EUR 1.220,00. Über alles."
)


def marked(fragments: list[list[tuple[str, bool]]]) -> list[str]:
    return ["".join(f"[{text}]" if hit else text for text, hit in fragment) for fragment in fragments]


def matches(fragments: list[list[tuple[str, bool]]]) -> list[str]:
    return [text for fragment in fragments for text, hit in fragment if hit]


def test_stemmed_match_keeps_original_casing() -> None:
    frags = snippets(LETTER, parse("fattura"))
    assert matches(frags) == ["Fatture", "fatture"]


def test_accent_folded_match_keeps_original_accents() -> None:
    assert matches(snippets(LETTER, parse("citta"))) == ["Città"]
    assert matches(snippets(LETTER, parse("UBER"))) == ["Über"]


def test_prefix_fuzzy_and_phrase_matches() -> None:
    assert matches(snippets(LETTER, parse("ross*"))) == ["Rossi"]
    assert matches(snippets(LETTER, parse("rosi~"))) == ["Rossi"]
    assert matches(snippets(LETTER, parse('"amount due"'))) == ["Amount due"]
    assert matches(snippets(LETTER, parse("FT-2024/0153"))) == ["FT-2024/0153"]  # not FT-2024/0154


def test_one_quoted_word_is_exact() -> None:
    assert matches(snippets(LETTER, parse('"fatture"'))) == ["Fatture", "fatture"]
    assert matches(snippets(LETTER, parse('"fattura"'))) == []  # no stemming inside quotes


def test_negated_and_field_terms_are_not_marked() -> None:
    frags = snippets(LETTER, parse("pagamento -milano buyer_name:rossi"))
    assert set(matches(frags)) == {"pagamento"}


def test_fragments_prefer_distinct_terms_and_come_in_text_order() -> None:
    frags = snippets(LETTER, parse("pagamento giorni"), max_fragments=2, width=80)
    texts = marked(frags)
    assert len(texts) == 2
    assert "[pagamento] entro 15 [giorni]" in texts[1]  # the window with both terms is chosen
    assert "[pagamento] delle Fatture" in texts[0]


def test_whitespace_is_collapsed_and_cuts_are_marked() -> None:
    frags = snippets(LETTER, parse("sollecito"), width=60)
    (text,) = marked(frags)
    assert "\n" not in text and "\f" not in text and "  " not in text
    assert text.startswith("…") and text.endswith("…")
    assert "[sollecito]" in text
    assert len(text) < 60 + 30


def test_no_match_gives_the_beginning_as_one_plain_fragment() -> None:
    frags = snippets(LETTER, parse("total_amount:>1000"), width=40)
    assert len(frags) == 1 and len(frags[0]) == 1
    text, hit = frags[0][0]
    assert not hit
    assert text.startswith("Spett.le Rossi") and text.endswith("…") and len(text) <= 41


def test_short_text_and_empty_text() -> None:
    assert snippets("Una fattura.", parse("fattura")) == [[("Una ", False), ("fattura", True), (".", False)]]
    assert snippets("", parse("fattura")) == []
    assert snippets(" \n\f ", parse("fattura")) == []


def test_accepts_query_text() -> None:
    assert matches(snippets(LETTER, "Rossi")) == ["Rossi"]


def test_marks_the_text_as_the_analysis_reads_it() -> None:
    """A ligature shows as its letters and a decomposed accent composed (NFKC), so the marks fall on whole words."""
    frags = snippets("La ﬁrma del contratto, Citta\u0300 di Castello", parse('firma "città di castello"'))
    assert frags == [[("La ", False), ("firma", True), (" del contratto, ", False), ("Città di Castello", True)]]


def test_a_phrase_is_not_marked_across_a_dropped_long_token() -> None:
    """The engines do not match a phrase across a token too long to index; neither does the highlighter."""
    frags = snippets("saldo " + "x" * 101 + " mora e poi saldo mora", parse('"saldo mora"'))
    assert matches(frags) == ["saldo mora"]
