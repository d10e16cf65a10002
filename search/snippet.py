"""Highlighted snippets of a document's text for a query, independent of the engine.

The matching mirrors the engines' because it uses the same analysis (``search.analysis``): a query word marks
the words that fold or stem like it (``fattura`` marks ``Fatture``, ``citta`` marks ``Città``), a prefix marks the
words it starts, a fuzzy term the words within its edit distance, and a phrase its words at consecutive positions.
The marks are placed on the text as the analysis reads it (``analysis.normalise``: NFKC, so a ligature shows as
its letters), with its casing and accents. Only the default full-text field's terms are marked, and none under
NOT.

Output: up to ``max_fragments`` fragments in text order, each a list of ``(text, is_match)`` runs, whitespace
(newlines, form feeds) collapsed to single spaces and ``…`` where a fragment cuts the text. The fragments chosen
are those with the most distinct query terms in them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from . import analysis
from .fields import DEFAULT_FIELD
from .query import FUZZY_PREFIX, Fuzzy, ParsedQuery, Phrase, Prefix, Term, parse, positive_terms

__all__ = ["Fragment", "snippets"]

Fragment = list[tuple[str, bool]]

ELLIPSIS = "…"
MAX_SPANS = 1000  # matches considered when choosing fragments (a long document may have thousands)
MAX_SCAN = 1_000_000  # characters searched for matches (~300 pages); past them a match is not highlighted
_SPACES = re.compile(r"\s+")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    key: object  # which query term matched (fragments are ranked by distinct keys)


def snippets(
    text: str, query: ParsedQuery | str, *, max_fragments: int = 2, width: int = 160, language: str | None = None
) -> list[Fragment]:
    """The best ``max_fragments`` fragments of about ``width`` characters of ``text`` for ``query``.

    ``language``: the document's, which chooses the stemmer a query word is compared with, as the engines index
    the document with it (``analysis.stem_languages``; every stemmer when unknown).

    When no query term occurs in the text (e.g. a query on fields only), the beginning of the text is returned
    as one plain fragment. An empty text gives no fragment.
    """
    flat = _SPACES.sub(" ", analysis.normalise(text)).strip()
    if not flat or max_fragments < 1:
        return []
    width = max(width, 20)
    parsed = parse(query) if isinstance(query, str) else query
    spans = _find(flat[:MAX_SCAN], parsed, analysis.stem_languages(language))
    if not spans:
        end = _cut_end(flat, width, 0)
        return [[(flat[:end] + (ELLIPSIS if end < len(flat) else ""), False)]]
    return [_runs(flat, start, end, spans) for start, end in _choose(flat, spans, max_fragments, width)]


# -- finding the matches ----------------------------------------------------------------------------------------


def _word_test(leaf: Term | Prefix | Fuzzy | Phrase, languages: tuple[str, ...]) -> Callable[[str], bool]:
    """A test on one folded token for a one-word leaf."""
    if isinstance(leaf, Term):
        word = leaf.text
        stemmed = [(code, s) for code in languages if (s := analysis.matching_stem(word, code)) is not None]
        return lambda t: t == word or (t[:1] == word[:1] and any(analysis.stem(t, c) == s for c, s in stemmed))
    if isinstance(leaf, Prefix):
        return lambda t: t.startswith(leaf.text)
    if isinstance(leaf, Fuzzy):
        head = leaf.text[:FUZZY_PREFIX]
        return lambda t: t.startswith(head) and analysis.within_edits(t, leaf.text, leaf.distance)
    words = set(leaf.words)  # a one-word phrase, or the words of a phrase with slop: exact words
    return lambda t: t in words


def _find(flat: str, parsed: ParsedQuery, languages: tuple[str, ...]) -> list[_Span]:
    leaves = [leaf for leaf in positive_terms(parsed.tree) if leaf.field == DEFAULT_FIELD]
    if not leaves:
        return []
    sequences = [leaf for leaf in leaves if isinstance(leaf, Phrase) and leaf.slop == 0 and len(leaf.words) > 1]
    singles = [(leaf, _word_test(leaf, languages)) for leaf in leaves if leaf not in sequences]
    # Every match starts with the first letter of its query word (stems and fuzzy matches keep it): a cheap gate.
    initials = {leaf.text[:1] for leaf, _ in singles if not isinstance(leaf, Phrase)}
    initials |= {w[:1] for leaf, _ in singles if isinstance(leaf, Phrase) for w in leaf.words}
    initials |= {leaf.words[0][:1] for leaf in sequences}
    spans: list[_Span] = []
    found = analysis.Tokens(flat)  # spans are read only for the matches
    words = found.words
    next_free = 0  # the first word not inside a match already
    for i, word in enumerate(words):
        if i < next_free or word[:1] not in initials:
            continue
        if len(spans) >= MAX_SPANS:
            break
        for phrase in sequences:
            n = len(phrase.words)
            if word == phrase.words[0] and tuple(words[i : i + n]) == phrase.words:
                first, last = found.at(i), found.at(i + n - 1)
                if last.position - first.position == n - 1:  # no dropped long token in between
                    spans.append(_Span(first.start, last.end, phrase))
                    next_free = i + n
                    break
        else:
            for leaf, test in singles:
                if test(word):
                    tok = found.at(i)
                    spans.append(_Span(tok.start, tok.end, leaf))
                    next_free = i + 1
                    break
    return spans


# -- choosing and cutting the fragments -------------------------------------------------------------------------


def _choose(flat: str, spans: list[_Span], max_fragments: int, width: int) -> list[tuple[int, int]]:
    """Windows (start, end) of ``flat``: the most distinct terms first, then the most matches, then the earliest."""
    candidates: list[tuple[tuple[int, int, int], int, int]] = []
    lead = width // 4
    starts = [s.start for s in spans]
    ends = [s.end for s in spans]  # spans do not overlap, so their ends are sorted too
    for anchor in spans:
        start = _cut_start(flat, max(0, anchor.start - lead), anchor.start)
        end = _cut_end(flat, start + width, anchor.end)
        inside = spans[bisect_left(starts, start) : bisect_right(ends, end)]
        keys = {s.key for s in inside}
        candidates.append(((len(keys), len(inside), -start), start, end))
    candidates.sort(key=lambda c: c[0], reverse=True)
    chosen: list[tuple[int, int]] = []
    for _, start, end in candidates:
        if all(end <= s or start >= e for s, e in chosen):
            chosen.append((start, end))
            if len(chosen) == max_fragments:
                break
    return sorted(chosen)


def _cut_start(flat: str, start: int, limit: int) -> int:
    """Move ``start`` to the beginning of a word, not past ``limit``."""
    if start <= 0:
        return 0
    if flat[start - 1] == " ":
        return start
    space = flat.find(" ", start, limit)
    return space + 1 if space >= 0 else flat.rfind(" ", 0, start) + 1


def _cut_end(flat: str, end: int, minimum: int) -> int:
    """Move ``end`` back to the end of a word, not before ``minimum``."""
    if end >= len(flat):
        return len(flat)
    if flat[end] == " ":
        return end
    space = flat.rfind(" ", minimum, end)
    if space > 0:
        return space
    space = flat.find(" ", end)
    return space if space >= 0 else len(flat)


def _runs(flat: str, start: int, end: int, spans: list[_Span]) -> Fragment:
    runs: Fragment = []
    if start > 0:
        runs.append((ELLIPSIS, False))
    pos = start
    for span in spans:
        if span.start < start or span.end > end:
            continue
        if span.start > pos:
            runs.append((flat[pos : span.start], False))
        runs.append((flat[span.start : span.end], True))
        pos = span.end
    if pos < end:
        runs.append((flat[pos:end], False))
    if end < len(flat):
        runs.append((ELLIPSIS, False))
    merged: Fragment = []
    for text, is_match in runs:
        if merged and not is_match and not merged[-1][1]:
            merged[-1] = (merged[-1][0] + text, False)
        else:
            merged.append((text, is_match))
    return merged
