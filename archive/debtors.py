"""Who a document is about: debtor names and identifiers, normalised so that one debtor is found however printed.

A name key ignores case, accents, punctuation, spacing and the legal form ("Rossi Costruzioni S.r.l.",
"ROSSI COSTRUZIONI SRL" and "Rossi Costruzioni srl." share the key ``rossi costruzioni``). Identifiers (VAT ids,
tax codes) are compared upper case without spaces, dots or dashes, with or without their VAT country prefix.
Near-duplicate keys ("rossi costruzione", a typo or OCR slip) are never merged silently: :func:`similar_keys`
finds them so that the user can confirm.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["id_key", "looks_like_identifier", "name_key", "similar_keys"]

# Legal forms, written as their key (lower case, no punctuation): Italian, English, German, French, Spanish, Dutch.
_LEGAL_FORMS = [
    "s r l s", "srls", "s r l", "srl", "s p a", "spa", "s a s", "sas", "s n c", "snc", "soc coop",
    "societa cooperativa", "societa a responsabilita limitata", "societa per azioni", "scarl", "s c a r l",
    "ltd", "limited", "plc", "llp", "llc", "l l c", "inc", "incorporated", "corp", "corporation", "co", "company",
    "gmbh", "gmbh co kg", "kg", "ag", "ug", "e k", "sarl", "s a r l", "sas", "sa", "s a", "sl", "s l", "bv", "b v",
    "nv", "n v", "& c", "e c",
]
_FORMS = sorted({f for f in _LEGAL_FORMS}, key=len, reverse=True)
_TRAILING_FORM = re.compile(r"(?:\s+(?:" + "|".join(re.escape(f) for f in _FORMS) + r"))+$")
_NOT_WORD = re.compile(r"[^\w&]+")
_ID_NOISE = re.compile(r"[\s.\-/]+")
_LOOKS_LIKE_ID = re.compile(r"^(?:[A-Z]{2})?[0-9A-Z]{8,16}$")


@lru_cache(maxsize=100_000)
def name_key(name: str) -> str:
    """The comparison key of a company or person name; "" when nothing is left."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = _NOT_WORD.sub(" ", text.replace("'", " ")).strip()
    text = " ".join(text.split())
    stripped = _TRAILING_FORM.sub("", " " + text).strip()
    return stripped or text


def id_key(value: str) -> str:
    """A VAT id or tax code without spacing or punctuation, upper case (``IT 012 345 678 97`` -> ``IT01234567897``)."""
    return _ID_NOISE.sub("", value).upper()


# The prefixes a VAT number is printed with: the EU's (EL for Greece, XI for Northern Ireland) and the neighbours'
# an Italian creditor meets most.
VAT_PREFIXES = frozenset({
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "HR", "HU", "IE", "IT", "LT", "LU", "LV",
    "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK", "XI", "GB", "CH", "NO", "SM",
})
# An Italian personal tax code (codice fiscale): 6 letters, then digits that may be replaced by letters when two
# people would share a code (omocodia). Its first two letters are part of the code, not a country.
_CODICE_FISCALE = re.compile(r"^[A-Z]{6}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}[A-Z][0-9LMNPQRSTUV]{3}[A-Z]$")


@lru_cache(maxsize=100_000)
def _id_variants(value: str) -> frozenset[str]:
    key = id_key(value)
    out = {key}
    if (len(key) > 4 and key[:2] in VAT_PREFIXES and any(ch.isdigit() for ch in key[2:])
            and not _CODICE_FISCALE.match(key)):
        out.add(key[2:])
    return frozenset(out)


def id_variants(value: str) -> set[str]:
    """The key of an identifier with and without its country prefix (an Italian partita IVA is printed both as
    ``IT01234567897`` and ``01234567897``). Only a VAT country prefix is taken off, and never from a personal
    tax code: ``RSSMRA85T10A562S`` and ``ROSMRA85T10A562S`` must not both become ``SMRA85T10A562S``."""
    return set(_id_variants(value))


def looks_like_identifier(text: str) -> bool:
    """Whether a user's DEBTOR argument is a VAT id or tax code rather than a name: one token of 8–16 letters and
    digits with at least five digits."""
    key = id_key(text)
    return bool(_LOOKS_LIKE_ID.match(key)) and sum(ch.isdigit() for ch in key) >= 5


def similar_keys(key: str, candidates: Iterable[str], cutoff: float = 0.85) -> list[str]:
    """Keys of ``candidates`` close to ``key`` but not equal to it, closest first."""
    pool = [c for c in set(candidates) if c and c != key]
    scored = []
    for c in pool:
        # the ratio is at most 2·min(len)/(sum of len), and at most quick_ratio(): cheap bounds first
        if 2.0 * min(len(key), len(c)) / (len(key) + len(c)) < cutoff:
            continue
        matcher = difflib.SequenceMatcher(None, key, c)
        if matcher.quick_ratio() >= cutoff:
            scored.append((matcher.ratio(), c))
    # one name contained in the other, word for word ("rossi" / "rossi costruzioni") is close too
    words = set(key.split())
    for c in pool:
        other = set(c.split())
        if words and other and (words < other or other < words):
            scored.append((cutoff, c))
    best: dict[str, float] = {}
    for score, c in scored:
        if score >= cutoff:
            best[c] = max(score, best.get(c, 0.0))
    return [c for c, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))]
