"""Checks that raise or lower confidence: check digits (python-stdnum), date plausibility, arithmetic.

Each check returns ``(ok, words)``: ``ok`` is True/False, or None when the check does not apply.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from stdnum import iban as _iban
from stdnum import vatin as _vatin
from stdnum.exceptions import ValidationError
from stdnum.it import codicefiscale as _cf
from stdnum.it import iva as _iva

__all__ = ["check_amounts", "check_dates", "check_iban", "check_tax_code", "check_vat_id", "recover_partita_iva"]

Check = tuple[bool | None, str]


def check_iban(value: str) -> Check:
    """IBAN mod-97 and the country's length and BBAN format."""
    try:
        _iban.validate(value)
    except ValidationError:
        return False, "IBAN check digits or format invalid"
    return True, "IBAN check digits valid"


def check_vat_id(value: str) -> Check:
    """An EU (or GB, CH, ...) VAT id with its country prefix, by the country's own check-digit rule."""
    if len(value) < 4 or not value[:2].isalpha():
        return None, "VAT id has no country prefix"
    try:
        _vatin.validate(value)
    except ValidationError:
        return False, f"{value[:2]} VAT id check digits invalid"
    except Exception:  # a country stdnum does not know: nothing to check
        return None, f"no check for {value[:2]} VAT ids"
    return True, f"{value[:2]} VAT id check digits valid"


def check_tax_code(value: str) -> Check:
    """An Italian codice fiscale: 16 characters for a person, 11 digits (the partita IVA) for a company."""
    if len(value) == 16:
        try:
            _cf.validate(value)
        except ValidationError:
            return False, "codice fiscale check character invalid"
        return True, "codice fiscale check character valid"
    if len(value) == 11 and value.isdigit():
        try:
            _iva.validate(value)
        except ValidationError:
            return False, "company tax code (partita IVA) check digit invalid"
        return True, "company tax code (partita IVA) check digit valid"
    return None, "tax code format not recognised"


def recover_partita_iva(digits: str) -> str | None:
    """The 11-digit partita IVA inside a slightly longer run of digits (an OCR-garbled "IT" or a stray digit).

    Only when exactly one 11-digit window of a 12- or 13-digit run passes the check digit; None otherwise.
    """
    if not digits.isdigit() or not 12 <= len(digits) <= 13:
        return None
    hits = {digits[i:i + 11] for i in range(len(digits) - 10) if _iva.is_valid(digits[i:i + 11])}
    return hits.pop() if len(hits) == 1 else None


def check_dates(issue: date | None, due: date | None) -> Check:
    """A due date on or after the issue date, and not more than five years after it."""
    if issue is None or due is None:
        return None, ""
    if due < issue:
        return False, "due date before issue date"
    if (due - issue).days > 5 * 366:
        return False, "due date more than 5 years after issue date"
    return True, "due date on or after issue date"


def check_amounts(net: Decimal | None, tax: Decimal | None, total: Decimal | None) -> Check:
    """net + tax = total within a cent."""
    if net is None or tax is None or total is None:
        return None, ""
    if abs(net + tax - total) <= Decimal("0.01"):
        return True, "net + tax = total"
    return False, "net + tax differs from total"


def far_future(value: date, reference: date, years: int = 5) -> bool:
    """Whether a date lies more than ``years`` after a reference date."""
    return (value - reference).days > years * 366
