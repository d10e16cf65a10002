"""Text analysis shared by every engine and by the highlighter.

One pipeline, applied the same way at index time and at query time (that sameness is what makes matching work).
Its steps are Tantivy ``TextAnalyzer`` objects (Rust): the Tantivy engine registers them and tokenises and stems
full text natively while indexing, and everything else (the Whoosh engine, the query parser, the highlighter)
calls the very same objects from Python. The two engines, the queries and the highlighter therefore agree by
construction, and the Tantivy engine indexes without per-word Python work.

0. **Normalise** (``normalise``): Unicode NFKC, so that ligatures, full-width forms and decomposed accents read
   as the plain letters they stand for: ``ﬁne`` -> ``fine``, ``Ａｂｃ`` -> ``Abc``, ``citta`` + U+0300 -> ``città``,
   ``½`` -> ``1⁄2``; and ``İ`` -> ``I``. ASCII text is returned as it is.
1. **Tokenise**: runs of letters and digits (Rust's ``char::is_alphanumeric``: Unicode alphabetic or numeric).
   Everything else separates tokens, so ``FT-2024/0153`` gives ``ft``, ``2024``, ``0153`` and ``dell'importo``
   gives ``dell``, ``importo``.
2. **Fold**: lower-case, then ASCII folding (Lucene's table): ``Città`` -> ``citta``, ``Über`` -> ``uber``,
   ``Straße`` -> ``strasse``, ``Øre`` -> ``ore``, ``Æther`` -> ``aether``. Scripts without an ASCII form (Greek,
   Cyrillic) keep their letters, lower-cased. Tokens longer than ``MAX_TOKEN`` bytes after folding (OCR noise,
   base64) are dropped, and leave a gap in the positions: a phrase does not match across one.
3. **Stem**, by language (``STEM_LANGUAGES``: Snowball Italian and English, as Tantivy ships them): the same
   analyzer plus one stemmer, in ``STEMMERS``. A word of a query matches a word of a document when the stemmer of
   the document's language gives both the same stem (every stemmer when the document's language has none:
   ``stem_languages``). So ``fatture`` finds ``fattura`` in an Italian letter and ``invoices`` finds ``invoice``
   in an English one, and neither stemmer mangles the other language's words. Short words and numbers come out as
   they went in (``iva``, ``due``, ``2024``, ``it60``). A stem shorter than ``MIN_STEM`` letters is not used:
   such a word (``e``, ``di``, English ``ads`` -> ``ad``) matches only as written (``matching_stem``). The
   Whoosh engine indexes each document's words stemmed,
   in the stem field of its language; the Tantivy engine indexes them unstemmed and finds the words of a query
   word's stem in its term dictionary, where ``stem_prefixes`` says they start.

``fold`` (NFKD, combining marks dropped, case-folded) is not part of this pipeline: it normalises the exact values
of identifier and keyword fields (``search.fields.normalise``).

Change anything here and bump ``ANALYSIS_VERSION``: indexes built with another version are then refused
(schema sentinel) and rebuilt.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import NamedTuple

import tantivy

__all__ = [
    "ANALYSIS_VERSION",
    "ANALYZER",
    "MIN_STEM",
    "STEMMERS",
    "STEM_LANGUAGES",
    "TOKENIZER",
    "Token",
    "Tokens",
    "fold",
    "matching_stem",
    "name_words",
    "normalise",
    "stem",
    "stem_languages",
    "stem_prefixes",
    "stems",
    "terms",
    "tokens",
    "within_edits",
]

ANALYSIS_VERSION = 2
MAX_TOKEN = 100  # bytes (UTF-8) of a folded token
TOKENIZER = "sigillo_terms"  # the name the Tantivy engine registers ANALYZER under
STEM_LANGUAGES: Mapping[str, str] = {"it": "italian", "en": "english"}  # language code -> Snowball stemmer
MIN_STEM = 3  # letters: a word whose stem is shorter matches only as written


def _analyzer(stemmer: str | None = None) -> tantivy.TextAnalyzer:
    builder = (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN + 1))  # drops tokens of MAX_TOKEN + 1 bytes and more
    )
    return (builder if stemmer is None else builder.filter(tantivy.Filter.stemmer(stemmer))).build()


ANALYZER = _analyzer()
STEMMERS: Mapping[str, tantivy.TextAnalyzer] = {code: _analyzer(name) for code, name in STEM_LANGUAGES.items()}
_analyze = ANALYZER.analyze


def stem_languages(language: str | None) -> tuple[str, ...]:
    """The stemmers a document written in ``language`` is indexed with: its own, or all when it has none."""
    code = (language or "").strip().lower()
    return (code,) if code in STEM_LANGUAGES else tuple(STEM_LANGUAGES)


class Token(NamedTuple):
    """One token of a (normalised) text: its folded form, where it stands in that text, and its position."""

    text: str  # folded
    start: int
    end: int
    position: int  # token positions, as the engines index them (a dropped long token leaves a gap)


def normalise(text: str) -> str:
    """The text as the analysis reads it: NFKC, and the capital dotted I as a plain I (ASCII text is returned
    unchanged, at no cost)."""
    if text.isascii():
        return text
    # Lower-casing "İ" gives "i" + U+0307 (a combining dot no folding removes): "İstanbul" would not match
    # "Istanbul", nor itself once folded. Replaced until none is left (an "I" freed of its dot may compose with a
    # following mark, and "I" + U+0307 composes into a new one), so that the result is NFKC and normalise is
    # idempotent: analysing a normalised text again changes nothing.
    text = unicodedata.normalize("NFKC", text)
    while "\u0130" in text:
        text = unicodedata.normalize("NFKC", text.replace("\u0130", "I"))
    return text


def fold(word: str) -> str:
    """Fold case, accents and compatibility forms: ``"Città"`` -> ``"citta"``. For exact values (identifiers,
    keywords); full text goes through ``terms``."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def terms(text: str) -> list[str]:
    """The folded tokens of ``text``, in order: what an engine indexes and what a query word becomes."""
    return _analyze(normalise(text))


def name_words(names: Iterable[str]) -> list[str]:
    """The distinct folded words of some names, in order: what a NAMES field (``parties``) holds, one term each."""
    return list(dict.fromkeys(w for name in names for w in _words_of_name(name)))


@lru_cache(maxsize=20_000)
def _words_of_name(name: str) -> tuple[str, ...]:
    # names repeat, document after document (the same debtors and suppliers): each is analysed once
    return tuple(terms(name))


def tokens(text: str) -> list[Token]:
    """The tokens of ``text`` with their spans and positions.

    ``text`` must already be normalised (``normalise``): the spans index into it.
    """
    return [_token(t) for t in ANALYZER.pre_tokenize(text).tokens]


def _token(t: tantivy.Token) -> Token:
    return Token(t.text, t.char_offset_from, t.char_offset_to, t.position)


class Tokens:
    """The tokens of a (normalised) text for a reader of few spans among many words, the highlighter: the words at
    once (``words``, what ``terms`` gives), a ``Token`` with its span and position only for the indexes asked for
    (``at``). On a 1,000,000-character text building every ``Token`` costs ~0.2 s; the words alone ~0.03."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words: list[str] = _analyze(text)
        self._located: list[tantivy.Token] | None = None

    def at(self, index: int) -> Token:
        if self._located is None:  # the same token stream as ``words``: index i is the same token
            self._located = ANALYZER.pre_tokenize(self.text).tokens
        return _token(self._located[index])


# Query words and highlighted words stemmed so far, per language (emptied when one grows past _STEMS_MAX: OCR noise
# and numbers make the set of words open-ended).
_STEMS: dict[str, dict[str, str]] = {code: {} for code in STEM_LANGUAGES}
_STEMS_MAX = 200_000


def stem(term: str, language: str) -> str:
    """Stem one folded term with the stemmer of ``language`` (a code of ``STEM_LANGUAGES``)."""
    cache = _STEMS[language]
    found = cache.get(term)
    if found is None:
        if len(cache) >= _STEMS_MAX:
            cache.clear()
        out = STEMMERS[language].analyze(term)
        found = cache[term] = out[0] if out else term
    return found


def matching_stem(term: str, language: str) -> str | None:
    """The stem by which the folded word ``term`` matches other words in a document stemmed with ``language``'s
    stemmer; None when that stem is shorter than ``MIN_STEM`` letters (the word then matches only as written).

    Short stems would relate little (``ads`` and ``ad``; Italian never shortens a word below three letters) and
    cost much: the Tantivy engine lists a stem's words from its term dictionary (``stem_prefixes``), and under a
    one- or two-letter prefix lie a good part of a large archive's words.
    """
    stemmed = stem(term, language)
    return stemmed if len(stemmed) >= MIN_STEM else None


# The last letters a stemmer may write in place of the word's own, and the letter the word has there (Snowball:
# Italian -enza -> -ent; English -y -> -i, -ing -> -e in "hoping", -bility -> -bl, and "skies" -> "sky").
_REWRITES: Mapping[str, Mapping[str, str]] = {"it": {"t": "z"}, "en": {"i": "y", "e": "i", "l": "i", "y": "i"}}


def stem_prefixes(stemmed: str, language: str) -> tuple[str, ...]:
    """Where every word that ``language``'s stemmer turns into ``stemmed`` (of ``MIN_STEM`` letters or more)
    starts: each such word starts with one of these (not every word starting so has that stem; the caller stems
    the candidates to keep those that do).

    Snowball's Italian and English stemmers take letters off the end of a word, and rewrite at most its last
    letter, in few ways (``_REWRITES``: English ``happy`` -> ``happi``, ``hoping`` -> ``hope``, ``ability`` ->
    ``abl``; Italian ``differenza`` -> ``different``). So a word starts with its stem, or with its stem whose last
    letter is put back. One English rule rewrites more: a letter then ``ying`` (``dying``, ``vying``, ``dyings``)
    stems to that letter then ``ie``. ``tests/search/test_search_analysis.py`` holds this against every word of up
    to three letters or digits and tens of thousands of built ones.
    """
    prefixes = [stemmed]
    was = _REWRITES.get(language, {}).get(stemmed[-1:])
    if was is not None:
        prefixes.append(stemmed[:-1] + was)
    if language == "en" and len(stemmed) == 3 and stemmed.endswith("ie"):
        prefixes.append(stemmed[0] + "ying")
    return tuple(prefixes)


def stems(text: str, language: str) -> list[str]:
    """The stemmed terms of ``text`` with the stemmer of ``language``, in order."""
    return STEMMERS[language].analyze(normalise(text))


def within_edits(a: str, b: str, limit: int) -> bool:
    """Whether the Levenshtein distance of ``a`` and ``b`` (insertions, deletions, substitutions; no transpositions,
    as Whoosh counts) is at most ``limit``: what a fuzzy term matches, in every engine and in the highlighter."""
    if abs(len(a) - len(b)) > limit:
        return False
    if a == b:
        return True
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > limit:
            return False
        previous = current
    return previous[-1] <= limit
