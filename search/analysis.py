"""Text analysis shared by every engine and by the highlighter.

One pipeline, applied the same way at index time and at query time (that sameness is what makes matching work):

1. **Tokenise**: runs of Unicode letters and digits (combining marks stay inside their word). Everything else
   separates tokens, so ``FT-2024/0153`` gives ``ft``, ``2024``, ``0153`` and ``dell'importo`` gives ``dell``,
   ``importo``. Tokens longer than ``MAX_TOKEN`` characters (OCR noise, base64) are dropped.
2. **Fold**: compatibility-decompose (NFKD), drop the combining marks, then case-fold: ``Città`` -> ``citta``,
   ``Über`` -> ``uber``, ``ﬁne`` -> ``fine``, ``Straße`` -> ``strasse``. A token that folds into several
   (``½`` -> ``1⁄2``) is split again, each part keeping the original span.
3. **Stem** (only for the ``stem`` index field and stem-aware highlighting): the Snowball Italian stemmer, then
   the English one, both as shipped with Whoosh. Tokens shorter than ``MIN_STEM`` characters or containing a
   digit are left alone, so ``iva``, ``due``, ``2024`` and ``0153`` stay as they are. Conflated pairs include
   fattura/fatture, pagamento/pagamenti, sollecito/solleciti, invoice/invoices, reminder/reminders.

Change anything here and bump ``ANALYSIS_VERSION``: indexes built with another version are then refused
(schema sentinel) and rebuilt.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Iterator
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

from whoosh.lang import stemmer_for_language

__all__ = [
    "ANALYSIS_VERSION",
    "Token",
    "fold",
    "stem",
    "stem_all",
    "stems",
    "terms",
    "tokens",
    "within_edits",
]

ANALYSIS_VERSION = 1
MAX_TOKEN = 100
MIN_STEM = 4

# A letter or digit, followed by letters, digits and combining marks (decomposed accents stay in their word).
_COMBINING = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"
_WORD = re.compile(rf"[^\W_](?:[^\W_]|[{_COMBINING}])*")
_HAS_DIGIT = re.compile(r"\d")

_stem_it = stemmer_for_language("it")
_stem_en = stemmer_for_language("en")


class Token(NamedTuple):
    """One token of a text: its folded form and where it stands in the original string."""

    text: str  # folded
    start: int
    end: int


def fold(word: str) -> str:
    """Fold case, accents and compatibility forms: ``"Città"`` -> ``"citta"``. Works on any string."""
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def tokens(text: str, pos: int = 0, initials: Collection[str] | None = None) -> Iterator[Token]:
    """The folded tokens of ``text`` from ``pos`` on, with their spans in ``text`` (for highlighting).

    ``initials``: only the tokens whose first (folded) character is one of these, a fast filter for a
    highlighter that knows which letters its matches can start with.
    """
    for m in _WORD.finditer(text, pos):
        raw = m.group()
        if raw.isascii():
            if len(raw) <= MAX_TOKEN and (initials is None or raw[0].lower() in initials):
                yield Token(raw.lower(), m.start(), m.end())
            continue
        for part in _fold_word(raw):
            if initials is None or part[:1] in initials:
                yield Token(part, m.start(), m.end())


def terms(text: str) -> list[str]:
    """The folded tokens of ``text``, in order (what an engine indexes; positions are list indexes).

    The same tokens as ``tokens(text)``, faster: no spans, and each distinct word folded once per process (a
    dictionary lookup per word, in C, for the words seen before: invoices repeat a small vocabulary).
    """
    return list(chain.from_iterable(map(_RUN_TERMS.__getitem__, _RUN.findall(text))))


class _Cache(dict[str, object]):
    """A dictionary that computes a missing value with ``make`` and keeps it, emptied when it grows past ``size``
    (OCR noise and numbers make the set of words open-ended)."""

    def __init__(self, make: Callable[[str], object], size: int) -> None:
        super().__init__()
        self.make, self.size = make, size

    def __missing__(self, key: str) -> object:
        if len(self) >= self.size:
            self.clear()
        value = self[key] = self.make(key)
        return value


def _run_terms(run: str) -> tuple[str, ...]:
    """The terms of one run of word characters and combining marks: exactly the tokens ``_WORD`` finds in it
    (no token spans two runs, since what separates runs separates tokens), folded."""
    if run.isascii():
        return tuple(t for t in run.lower().split("_") if t and len(t) <= MAX_TOKEN)
    out: list[str] = []
    for raw in _WORD.findall(run):
        if raw.isascii():
            if len(raw) <= MAX_TOKEN:
                out.append(raw.lower())
        else:
            out.extend(_fold_word(raw))
    return tuple(out)


# Runs of word characters (underscore included) and combining marks: a simpler pattern than _WORD, so ~2.5x
# faster to scan; each distinct run is then split exactly as _WORD would, once per process.
_RUN = re.compile(rf"[\w{_COMBINING}]+")
_RUN_TERMS = _Cache(_run_terms, 500_000)


@lru_cache(maxsize=50_000)
def _fold_word(raw: str) -> tuple[str, ...]:
    return tuple(part for part in _WORD.findall(fold(raw)) if len(part) <= MAX_TOKEN)


def _stem(term: str) -> str:
    if len(term) < MIN_STEM or _HAS_DIGIT.search(term):
        return term
    return _stem_en(_stem_it(term))


_STEMS = _Cache(_stem, 500_000)


def stem(term: str) -> str:
    """Stem one folded term (Italian, then English). Short terms and terms with digits are returned as is."""
    return _STEMS[term]  # type: ignore[return-value]


def stem_all(terms: Iterable[str]) -> list[str]:
    """``[stem(t) for t in terms]``, at the speed of a dictionary lookup per term seen before."""
    return list(map(_STEMS.__getitem__, terms))  # type: ignore[arg-type]


def stems(text: str) -> list[str]:
    """The stemmed terms of ``text``, in order."""
    return stem_all(terms(text))


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
