"""Parsers and normalisers for the value formats of FIELDS.md: amounts, dates, identifiers, names, currencies.

Every parser returns ``None`` for text it cannot read with confidence; none raises on hostile input.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = [
    "AMOUNT_RE",
    "CURRENCY_PATTERN",
    "DATE_RE",
    "DAY_FIRST_LANGUAGES",
    "MAX_AMOUNT",
    "currency_of",
    "date_order",
    "format_amount",
    "guess_language",
    "normalize_iban",
    "normalize_identifier",
    "normalize_name",
    "normalize_tax_code",
    "normalize_vat_id",
    "parse_amount",
    "parse_date",
]

MAX_AMOUNT = Decimal(10) ** 12
DAY_FIRST_LANGUAGES = frozenset({"it", "de", "fr", "es", "pt", "nl"})

# ---------------------------------------------------------------------------------------------------- amounts

_CURRENCY_TOKENS = {
    "€": "EUR", "EUR": "EUR", "EURO": "EUR", "EUROS": "EUR",
    "£": "GBP", "GBP": "GBP",
    "$": "USD", "USD": "USD", "US$": "USD",
    "CHF": "CHF", "SFR": "CHF", "FR.": "CHF",
    "¥": "JPY", "JPY": "JPY",
    "₹": "INR", "INR": "INR", "RS.": "INR", "RS": "INR",
    "SEK": "SEK", "NOK": "NOK", "DKK": "DKK", "PLN": "PLN", "CZK": "CZK", "CAD": "CAD", "AUD": "AUD",
}
_CUR_PATTERN = r"(?:€|£|\$|US\$|¥|₹|EUR|GBP|USD|CHF|INR|JPY|SEK|NOK|DKK|PLN|CZK|CAD|AUD)"
CURRENCY_PATTERN = _CUR_PATTERN
_SPACE = "[ \u00a0\u202f\u2009]"
# An amount as printed: optional sign/parenthesis and currency, digits with optional grouping and decimals.
_NUMBER = (
    rf"(?:\d{{1,3}}(?:{_SPACE}\d{{3}})+[.,]\d{{2}}"  # 1 234,56 (spaces only with decimals)
    r"|\d{1,3}(?:[.,'’]\d{3})+(?:[.,]\d{1,2})?"  # 1.234,56  1,234.56  1'234.56  1.234
    r"|\d+(?:[.,]\d{1,2})?)"  # 1234,56  1234.5  1234
)
AMOUNT_RE = re.compile(
    rf"(?<![\w.,/-])(?:\(\s*)?-?\s?(?:{_CUR_PATTERN}\s?)?-?{_NUMBER}(?:\s?{_CUR_PATTERN})?(?:\s*\))?(?![\w/]|[.,]\d)"
)


def _fix_ocr_digits(text: str) -> str:
    """Read a letter O (or o) as zero where it sits between digits or separators of a number."""
    return re.sub(r"(?<=[\d.,])[Oo](?=[\d.,Oo])|(?<=\d)[Oo](?=\b)", "0", text)


def parse_amount(text: str, language: str | None = None) -> Decimal | None:
    """Read an amount such as "1.234,56 €", "€1,234.56", "EUR 1 234,56", "1'234.56" or "(1.234,56)".

    Args:
        text: the amount as printed, with or without its currency.
        language: the document's language; it decides "1.234" (a thousand in it/de/fr/es, 1.234 in en)
            when nothing else does.

    Returns:
        The amount (negative for "-x" or "(x)"), or None for empty text, garbage, "-" and absurd values
        (10^12 or more).
    """
    if not text:
        return None
    s = text.strip()
    if len(s) > 40:
        return None
    s = _fix_ocr_digits(s)
    negative = False
    if s.startswith("(") and s.endswith(")"):
        negative, s = True, s[1:-1].strip()
    s = re.sub(_CUR_PATTERN, " ", s, flags=re.IGNORECASE).strip()
    if s.startswith("-") or s.startswith("−"):
        negative, s = True, s[1:].strip()
    elif s.endswith("-"):
        negative, s = True, s[:-1].strip()
    s = re.sub(rf"(?<=\d){_SPACE}(?=\d{{3}}\b)", "", s)
    s = s.replace("’", "'")
    if not s or not re.fullmatch(r"\d[\d.,']*", s) or not s[-1].isdigit():
        return None
    if "'" in s:
        if not re.fullmatch(r"\d{1,3}(?:'\d{3})+(?:[.,]\d{1,2})?", s):
            return None
        s = s.replace("'", "")
    seps = [c for c in s if c in ".,"]
    if seps:
        last = max(s.rfind("."), s.rfind(","))
        last_sep = s[last]
        tail = s[last + 1:]
        if len(set(seps)) == 2:
            decimal_sep = last_sep
        elif len(seps) > 1:
            decimal_sep = None  # the same separator repeated: thousands only
        elif len(tail) != 3:
            decimal_sep = last_sep
        elif language in DAY_FIRST_LANGUAGES:
            decimal_sep = ","
        elif language == "en":
            decimal_sep = "."
        else:
            decimal_sep = None  # "1.234" with no language: a thousands group is the likelier reading
        if decimal_sep == last_sep:
            integer, frac = s[:last], tail
        else:
            integer, frac = s, ""
        thousands = [c for c in integer if c in ".,"]
        if thousands:
            if len(set(thousands)) > 1 or not re.fullmatch(r"\d{1,3}(?:[.,]\d{3})+", integer):
                return None
            integer = integer.replace(".", "").replace(",", "")
        if len(frac) > 3:
            return None
        s = integer + ("." + frac if frac else "")
    try:
        value = Decimal(s)
    except InvalidOperation:
        return None
    if value >= MAX_AMOUNT:
        return None
    return -value if negative else value


def format_amount(value: Decimal) -> str:
    """The FIELDS.md form: a dot, two decimals, no grouping."""
    return str(value.quantize(Decimal("0.01")))


def currency_of(text: str) -> str | None:
    """The ISO 4217 code of the one currency named in a short text ("€", "EUR", "£", "US$"...), or None."""
    found = {_CURRENCY_TOKENS[m.group(0).upper()] for m in _CURRENCY_IN_TEXT.finditer(text)}
    return found.pop() if len(found) == 1 else None


_CURRENCY_IN_TEXT = re.compile(
    r"€|£|US\$|\$|¥|₹|(?<![A-Za-z])(?:EUR|EURO|GBP|USD|CHF|INR|JPY|SEK|NOK|DKK|PLN|CZK|CAD|AUD)(?![A-Za-z])",
    re.IGNORECASE,
)


def currencies_in(text: str) -> dict[str, int]:
    """How often each currency is named in a text (symbols and upper-case ISO codes only)."""
    counts: dict[str, int] = {}
    for m in _CURRENCY_IN_TEXT.finditer(text):
        token = m.group(0)
        if token.isalpha() and not token.isupper():
            continue
        code = _CURRENCY_TOKENS[token.upper()]
        counts[code] = counts.get(code, 0) + 1
    return counts


# ------------------------------------------------------------------------------------------------------ dates

_MONTHS = {
    # it
    "gennaio": 1, "febbraio": 2, "marzo": 3, "aprile": 4, "maggio": 5, "giugno": 6, "luglio": 7, "agosto": 8,
    "settembre": 9, "ottobre": 10, "novembre": 11, "dicembre": 12,
    "gen": 1, "feb": 2, "mar": 3, "apr": 4, "mag": 5, "giu": 6, "lug": 7, "ago": 8, "set": 9, "ott": 10,
    "nov": 11, "dic": 12,
    # en
    "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8,
    "september": 9, "october": 10, "november": 11, "december": 12,
    "jan": 1, "jun": 6, "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "dec": 12,
    # de
    "januar": 1, "jänner": 1, "februar": 2, "märz": 3, "maerz": 3, "mai": 5, "juni": 6, "juli": 7,
    "oktober": 10, "dezember": 12, "mär": 3, "okt": 10, "dez": 12,
    # fr
    "janvier": 1, "février": 2, "fevrier": 2, "mars": 3, "avril": 4, "juin": 6, "juillet": 7, "août": 8,
    "aout": 8, "septembre": 9, "octobre": 10, "décembre": 12, "decembre": 12,
    "janv": 1, "févr": 2, "fevr": 2, "avr": 4, "juil": 7, "déc": 12,
    # es
    "enero": 1, "febrero": 2, "abril": 4, "mayo": 5, "junio": 6, "julio": 7, "septiembre": 9,
    "setiembre": 9, "octubre": 10, "noviembre": 11, "diciembre": 12, "ene": 1, "abr": 4, "dic.": 12,
}
_MONTH_NAMES = "|".join(sorted((re.escape(k) for k in _MONTHS if not k.endswith(".")), key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th|er|°|º)?"
_DMY_NAME = (
    rf"(?P<d1>\d{{1,2}}){_ORD}\.?(?:\s+de)?[\s\-/.]*(?P<m1>{_MONTH_NAMES})\.?(?:\s+de)?[\s\-/.,]*"
    r"(?P<y1>\d{4}|'?\d{2})"
)
_MDY_NAME = rf"(?P<m2>{_MONTH_NAMES})\.?\s+(?P<d2>\d{{1,2}}){_ORD}\s?,?\s+(?P<y2>\d{{4}})"
_ISO = r"(?P<iy>\d{4})-(?P<im>\d{1,2})-(?P<id>\d{1,2})"
_NUMERIC = r"(?P<a>\d{1,2})(?P<sep>[./-])(?P<b>\d{1,2})(?P=sep)(?P<c>\d{4}|\d{2})"
DATE_RE = re.compile(
    rf"(?<![\w.,])(?:{_ISO}|{_NUMERIC}|{_DMY_NAME}|{_MDY_NAME})(?![\w]|[./-]\d)",
    re.IGNORECASE,
)


def _year(text: str) -> int:
    y = int(text.lstrip("'"))
    if len(text.lstrip("'")) == 2:
        y += 2000 if y < 70 else 1900
    return y


def _make_date(y: int, m: int, d: int) -> date | None:
    if not 1990 <= y <= 2100:
        return None
    try:
        return date(y, m, d)
    except ValueError:
        return None


def parse_date(text: str, language: str | None = None, order: str | None = None) -> date | None:
    """Read one date: ISO, d/m/y (/ . -, 2- or 4-digit years) or with a month name in it/en/de/fr/es.

    Args:
        text: the text holding the date (the first date found is read).
        language: the document's language, used when ``order`` is not given.
        order: "DMY" or "MDY" for ambiguous numeric dates such as 03/04/2024; decide it once per document
            with :func:`date_order`. Without it, day-first unless the language is English.

    Returns:
        The date, or None when there is none, it is impossible (31/02) or its year is outside 1990..2100.
    """
    if not text or len(text) > 200:
        return None
    for m in DATE_RE.finditer(text):
        result = _date_from_match(m, language, order)
        if result is not None:
            return result
    return None


def _date_from_match(m: re.Match[str], language: str | None, order: str | None) -> date | None:
    g = m.groupdict()
    if g["iy"]:
        return _make_date(int(g["iy"]), int(g["im"]), int(g["id"]))
    if g["a"]:
        a, b, y = int(g["a"]), int(g["b"]), _year(g["c"])
        if order is None:
            order = "MDY" if language == "en" else "DMY"
        if a > 12 >= b:
            return _make_date(y, b, a)
        if b > 12 >= a:
            return _make_date(y, a, b)
        return _make_date(y, a, b) if order == "MDY" else _make_date(y, b, a)
    if g["m1"]:
        return _make_date(_year(g["y1"]), _MONTHS[g["m1"].lower()], int(g["d1"]))
    return _make_date(int(g["y2"]), _MONTHS[g["m2"].lower()], int(g["d2"]))


def date_order(text: str, language: str | None) -> tuple[str, str]:
    """Decide, once per document, how to read ambiguous numeric dates; returns (order, reason in words).

    Day-first for it/de/fr/es. For English (or an unknown language) month-first only when nothing in the
    document shows day-first dates (a numeric date whose first part exceeds 12, or "15 March 2024").
    """
    if language in DAY_FIRST_LANGUAGES:
        return "DMY", f"day-first dates ({language} document)"
    day_first = month_first = 0
    for m in DATE_RE.finditer(text[:200_000]):
        g = m.groupdict()
        if g["a"]:
            a, b = int(g["a"]), int(g["b"])
            day_first += a > 12 >= b
            month_first += b > 12 >= a
        elif g["m1"]:
            day_first += 1
        elif g["m2"]:
            month_first += 1
    if day_first > month_first:
        return "DMY", "day-first dates (the document writes day-first dates elsewhere)"
    if month_first > day_first or language == "en":
        return "MDY", "month-first dates (English document, no day-first evidence)"
    return "DMY", "day-first dates (no evidence either way)"


# -------------------------------------------------------------------------------------------- identifiers, names

def normalize_vat_id(text: str, language: str | None = None) -> str:
    """Country prefix + number, no spaces or dots; a bare 11-digit Italian P.IVA gets "IT" in an Italian document."""
    s = re.sub(r"[\s.\-/]", "", text).upper()
    if re.fullmatch(r"\d{11}", s) and language == "it":
        s = "IT" + s
    return s


def normalize_tax_code(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text).upper()


def normalize_iban(text: str) -> str:
    return re.sub(r"[\s.\-]", "", text).upper()


def normalize_identifier(text: str) -> str:
    return text.strip().strip(".,;:")


def normalize_name(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip(" ,;:")


# --------------------------------------------------------------------------------------------------- language

_STOPWORDS = {
    "it": {"il", "della", "di", "del", "per", "che", "fattura", "totale", "data", "e", "con", "alla", "dei", "iva"},
    "en": {"the", "of", "and", "to", "invoice", "total", "date", "for", "with", "this", "by", "amount", "due"},
    "de": {"der", "die", "und", "das", "rechnung", "mit", "für", "von", "den", "zu", "betrag", "datum", "gesamt"},
    "fr": {"le", "la", "les", "des", "et", "facture", "du", "pour", "montant", "à", "en", "une", "date"},
    "es": {"el", "la", "los", "de", "y", "factura", "para", "del", "con", "importe", "fecha", "por", "una"},
}


def guess_language(text: str) -> str | None:
    """A rough guess from function words, for documents whose language nobody told us; None when unclear."""
    words = re.findall(r"[a-zàèéìòùäöüßç]+", text[:20_000].lower())
    if len(words) < 5:
        return None
    scores = {lang: sum(w in stop for w in words) for lang, stop in _STOPWORDS.items()}
    best = max(scores, key=lambda k: scores[k])
    ranked = sorted(scores.values(), reverse=True)
    if ranked[0] < 3 or ranked[0] < 1.3 * ranked[1]:
        return None
    return best
