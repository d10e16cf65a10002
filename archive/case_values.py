"""How case files read a field's text: a date, an amount, a document's own date. Shared by the case file
(``cases.py``) and the debtor table that the list of debtors is read from (``debtor_table.py``), so that both read
every value the same way."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation

__all__ = ["CENT", "WHEN_FIELDS", "doc_date", "parse_amount", "parse_date"]

CENT = Decimal("0.01")
# a document's own date: the first of these it has
WHEN_FIELDS = ("issue_date", "letter_date", "signing_date", "effective_date")


def parse_date(text: str | None) -> date | None:
    """A field's ISO date, None when absent or not a date."""
    try:
        return date.fromisoformat(text) if text else None
    except ValueError:
        return None


def parse_amount(text: str | None) -> Decimal | None:
    """A field's amount to the cent, None when absent or not a number."""
    try:
        return Decimal(text).quantize(CENT) if text else None
    except InvalidOperation:
        return None


def doc_date(get: Callable[[str], str | None]) -> date | None:
    """A document's own date (issue, letter, signing or effective date) from ``get`` (field name -> its text)."""
    for name in WHEN_FIELDS:
        found = parse_date(get(name))
        if found is not None:
            return found
    return None
