"""Check-digit algorithms for the identifiers printed on the sample documents.

Everything here is computed, never hard-coded, so that every Partita IVA, codice fiscale, IBAN and foreign VAT
number in the corpus passes the official validation algorithm.
"""

from __future__ import annotations

import string
from datetime import date

# Conversion tables shared by the codice fiscale check character and the Italian BBAN "CIN".
_CF_ODD = {
    **dict(zip("0123456789", [1, 0, 5, 7, 9, 13, 15, 17, 19, 21], strict=True)),
    **dict(
        zip(
            string.ascii_uppercase,
            [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23],
            strict=True,
        )
    ),
}
_CF_EVEN = {**{d: int(d) for d in string.digits}, **{c: i for i, c in enumerate(string.ascii_uppercase)}}
_CF_MONTHS = "ABCDEHLMPRST"
_VOWELS = set("AEIOU")


def _odd_even_check_char(text: str) -> str:
    """Check letter of the codice fiscale / Italian BBAN: odd positions (1-based) use the odd table."""
    total = sum(_CF_ODD[c] if i % 2 == 0 else _CF_EVEN[c] for i, c in enumerate(text))
    return string.ascii_uppercase[total % 26]


# --- Italy -----------------------------------------------------------------------------------------------------


def partita_iva(base10: str) -> str:
    """Return the 11-digit Partita IVA for a 10-digit base (7-digit number + 3-digit province office code)."""
    if len(base10) != 10 or not base10.isdigit():
        raise ValueError(base10)
    total = 0
    for i, ch in enumerate(base10):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base10 + str((10 - total % 10) % 10)


def _cf_letters(word: str) -> list[str]:
    letters = [c for c in word.upper() if c.isalpha()]
    return letters


def _cf_surname(surname: str) -> str:
    letters = _cf_letters(surname)
    cons = [c for c in letters if c not in _VOWELS]
    vows = [c for c in letters if c in _VOWELS]
    return "".join(cons + vows + ["X"] * 3)[:3]


def _cf_name(name: str) -> str:
    letters = _cf_letters(name)
    cons = [c for c in letters if c not in _VOWELS]
    if len(cons) >= 4:
        return cons[0] + cons[2] + cons[3]
    vows = [c for c in letters if c in _VOWELS]
    return "".join(cons + vows + ["X"] * 3)[:3]


def codice_fiscale(surname: str, name: str, birth: date, female: bool, belfiore: str) -> str:
    """Codice fiscale of a natural person (DM 23/12/1976), including the check character (CIN)."""
    day = birth.day + (40 if female else 0)
    body = (
        _cf_surname(surname)
        + _cf_name(name)
        + f"{birth.year % 100:02d}"
        + _CF_MONTHS[birth.month - 1]
        + f"{day:02d}"
        + belfiore.upper()
    )
    return body + _odd_even_check_char(body)


def italian_bban(abi: str, cab: str, account: str) -> str:
    """Italian BBAN: CIN letter + ABI (5) + CAB (5) + account (12, zero padded)."""
    rest = abi.zfill(5) + cab.zfill(5) + account.zfill(12)
    return _odd_even_check_char(rest) + rest


# --- IBAN (ISO 13616) --------------------------------------------------------------------------------------------


def _iban_int(text: str) -> int:
    return int("".join(str(int(c, 36)) for c in text))


def iban(country: str, bban: str) -> str:
    """Full IBAN with the two mod-97 check digits computed for the given BBAN."""
    check = 98 - _iban_int(bban + country + "00") % 97
    return f"{country}{check:02d}{bban}"


# --- Other EU / UK VAT numbers ----------------------------------------------------------------------------------


def gb_vat(base7: str) -> str:
    """GB VAT registration number: 7 digits + 2 check digits (weights 8..2, sum + check divisible by 97)."""
    total = sum(int(d) * w for d, w in zip(base7, range(8, 1, -1), strict=True))
    return f"GB{base7}{(-total) % 97:02d}"


def de_vat(base8: str) -> str:
    """German USt-IdNr.: 8 digits + check digit (ISO 7064 MOD 11,10)."""
    product = 10
    for ch in base8:
        s = (int(ch) + product) % 10 or 10
        product = (2 * s) % 11
    check = 11 - product
    return f"DE{base8}{0 if check == 10 else check}"


def luhn_complete(digits: str) -> str:
    """Append the Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return digits + str((10 - total % 10) % 10)


def fr_vat(siren8: str) -> str:
    """French TVA intracommunautaire: FR + 2-digit key + Luhn-valid SIREN."""
    siren = luhn_complete(siren8)
    key = (12 + 3 * (int(siren) % 97)) % 97
    return f"FR{key:02d}{siren}"
