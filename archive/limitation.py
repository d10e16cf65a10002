"""When a claim would be time-barred: limitation periods by jurisdiction, computed by the calendar.

Italian defaults (codice civile): ordinary limitation 10 years (art. 2946); 5 years for what is payable
periodically, yearly or more often — rent, fees, subscriptions (art. 2948 n. 4). An instalment plan of one debt is
not periodic (it stays under the ordinary period). The period runs from the day the right can be enforced, the due
date (art. 2935); a formal demand for payment — a dunning letter — interrupts it and a new period starts on its
date (arts. 2943, 2945).

Counting (art. 2963): a period of years ends on the same day and month of the final year, and when that month has
no such day (29 February) on the month's last day; an end that falls on a public holiday moves to the next working
day. Saturdays are not holidays for this purpose (only Sundays and public holidays are); the holidays are Italy's
national ones unless settings give another list.

Everything here is pure and computed on dates: the caller says which letters interrupt which claim.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

__all__ = [
    "DEFAULT_PERIODS",
    "Period",
    "add_years",
    "easter_sunday",
    "is_public_holiday",
    "italian_holidays",
    "limitation_end",
]


@dataclass(frozen=True)
class Period:
    """The limitation periods of one jurisdiction, in years."""

    ordinary: int
    periodic: int
    holidays: str = "IT"  # whose public holidays move an end date forward: "IT", or "" for Sundays only


DEFAULT_PERIODS: Mapping[str, Period] = {"Italy": Period(ordinary=10, periodic=5, holidays="IT")}


def add_years(start: date, years: int) -> date:
    """``start`` plus ``years`` calendar years; 29 February becomes 28 February in a common year."""
    year = start.year + years
    day = min(start.day, calendar.monthrange(year, start.month)[1])
    return date(year, start.month, day)


def easter_sunday(year: int) -> date:
    """Gregorian Easter Sunday (the anonymous Gregorian algorithm, "Meeus/Jones/Butcher")."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month = (h + el - 7 * m + 114) // 31
    day = (h + el - 7 * m + 114) % 31 + 1
    return date(year, month, day)


@lru_cache(maxsize=512)
def italian_holidays(year: int) -> frozenset[date]:
    """Italy's national public holidays in ``year`` (law 260/1949 as amended; 4 October again from 2026)."""
    fixed = [(1, 1), (1, 6), (4, 25), (5, 1), (6, 2), (8, 15), (11, 1), (12, 8), (12, 25), (12, 26)]
    days = {date(year, m, d) for m, d in fixed}
    days.add(easter_sunday(year) + timedelta(days=1))  # Easter Monday
    if year >= 2026:
        days.add(date(year, 10, 4))  # St Francis of Assisi, a national holiday again from 2026 (law 151/2025)
    return frozenset(days)


def is_public_holiday(day: date, calendar_name: str = "IT") -> bool:
    """Sundays always; the national holidays of ``calendar_name`` ("IT"; "" for Sundays only)."""
    if day.weekday() == 6:
        return True
    return calendar_name == "IT" and day in italian_holidays(day.year)


def limitation_end(
    start: date, years: int, holidays: str = "IT", interruptions: Iterable[date] = ()
) -> tuple[date, date | None]:
    """The last day on which the claim can still be enforced, and the interruption that set it (or None).

    The period runs ``years`` from ``start`` and is moved past holidays. Each interruption (in date order) that
    falls within the running period starts a new one on its own date; one dated before ``start`` (the claim was
    not yet enforceable) or after the end (the claim was already time-barred) changes nothing.
    """
    end, interrupted_by = _end(start, years, holidays), None
    for day in sorted(set(interruptions)):
        if start <= day <= end:
            end, interrupted_by = _end(day, years, holidays), day
    return end, interrupted_by


def _end(start: date, years: int, holidays: str) -> date:
    end = add_years(start, years)
    while is_public_holiday(end, holidays):
        end += timedelta(days=1)
    return end
