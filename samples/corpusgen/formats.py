"""How amounts, dates and identifiers are printed (per language and per house style).

Ground truth is always normalised (ISO dates, "1234.56" amounts); these helpers produce the printed variants.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")

MESI = [
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
    "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
]  # fmt: skip
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def money(value: Decimal | int | str) -> Decimal:
    """Round half-up to cents."""
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def norm_amount(value: Decimal) -> str:
    """Ground-truth amount: dot decimal separator, two decimals, no grouping."""
    return f"{money(value):.2f}"


def group_number(value: Decimal, thousands: str, decimal: str) -> str:
    text = f"{money(value):,.2f}"  # 1,234.56
    return text.replace(",", "\0").replace(".", decimal).replace("\0", thousands)


def number_it(value: Decimal) -> str:
    return group_number(value, ".", ",")


def number_en(value: Decimal) -> str:
    return group_number(value, ",", ".")


# Amount styles: how the currency is attached to the number.
AMOUNT_STYLES = {
    "it_suffix": lambda v, sym, code: f"{number_it(v)} {sym}",  # 1.234,56 €
    "it_prefix": lambda v, sym, code: f"{sym} {number_it(v)}",  # € 1.234,56
    "it_code": lambda v, sym, code: f"{code} {number_it(v)}",  # EUR 1.234,56
    "it_plain": lambda v, sym, code: number_it(v),  # 1.234,56 (currency in a column header)
    "en_symbol": lambda v, sym, code: f"{sym}{number_en(v)}",  # €1,234.56 / £1,234.56
    "en_code": lambda v, sym, code: f"{code} {number_en(v)}",  # EUR 1,234.56
    "en_plain": lambda v, sym, code: number_en(v),  # 1,234.56
}
SYMBOLS = {"EUR": "€", "GBP": "£"}


def amount(value: Decimal, style: str, currency: str = "EUR") -> str:
    return AMOUNT_STYLES[style](money(value), SYMBOLS[currency], currency)


def plain(style: str) -> str:
    """The currency-less variant of an amount style (for table cells under a currency header)."""
    return "it_plain" if style.startswith("it") else "en_plain"


# Date styles.
def date_text(d: date, style: str) -> str:
    match style:
        case "it_num":
            return f"{d.day:02d}/{d.month:02d}/{d.year}"
        case "it_dash":
            return f"{d.day:02d}-{d.month:02d}-{d.year}"
        case "it_dot":
            return f"{d.day:02d}.{d.month:02d}.{d.year}"
        case "it_long":
            day = "1°" if d.day == 1 else str(d.day)
            return f"{day} {MESI[d.month - 1]} {d.year}"
        case "en_us":
            return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"
        case "en_uk":
            return f"{d.day} {MONTHS[d.month - 1]} {d.year}"
        case "en_short":
            return f"{d.day:02d} {MONTHS[d.month - 1][:3]} {d.year}"
        case "iso":
            return d.isoformat()
    raise ValueError(style)


def group4(text: str) -> str:
    """IBANs as usually printed: blocks of four characters."""
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))


def vat_text(vat_id: str, style: str) -> str:
    """Printed VAT number: 'bare' drops the IT prefix, 'prefixed' keeps it, 'spaced' uses national grouping."""
    country, number = vat_id[:2], vat_id[2:]
    if style == "bare":
        return number
    if style == "prefixed":
        return vat_id
    if country == "GB":
        return f"GB {number[:3]} {number[3:7]} {number[7:]}"
    if country == "FR":
        return f"FR {number[:2]} {number[2:]}"
    return f"{country} {number}"
