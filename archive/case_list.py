"""`case --list`: every debtor with invoices, most outstanding first, from the catalog's debtor table alone.

The figures are a case file's (``cases.py``): documents dated after --as-of left out, totals per currency, aging
of invoice totals, the name most printed. What the list does not show (links to contracts and letters,
limitation dates) is not computed, and no document's fields are read: one query over ``debtor_docs``, one pass.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from itertools import chain

from . import debtor_table
from .cases import (
    ZERO,
    Totals,
    bucket_of,
    display_name,
    due_of,
    identifiers_of,
    own_key,
    parse_date,
)
from .catalog import Catalog
from .config import Settings

__all__ = ["DebtorSummary", "list_debtors"]


@dataclass(frozen=True)
class DebtorSummary:
    debtor: str
    identifiers: tuple[str, ...]
    documents: int
    invoices: int
    totals: dict[str, Totals]
    oldest_days_past_due: int | None

    def as_json(self) -> dict[str, object]:
        return {"debtor": self.debtor, "identifiers": list(self.identifiers), "documents": self.documents,
                "invoices": self.invoices, "oldest_days_past_due": self.oldest_days_past_due,
                "totals": {cur: t.as_json() for cur, t in sorted(self.totals.items())}}


class _Groups:
    """Union-find over debtor keys ("n:<name key>", "i:<identifier key>")."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        root = key
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[key] != root:
            self.parent[key], key = root, self.parent[key]
        return root

    def union(self, keys: Iterable[str]) -> None:
        keys = list(keys)
        for other in keys[1:]:
            a, b = self.find(keys[0]), self.find(other)
            if a != b:
                self.parent[b] = a


@dataclass
class _Tally:
    """One debtor's figures, added up document by document."""

    members: set[str] = field(default_factory=set)
    invoiced: bool = False  # any invoice at all, even one dated after --as-of: a debtor of the list
    documents: int = 0
    invoices: int = 0
    totals: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    printed: list[tuple[str, ...]] = field(default_factory=list)  # names printed by each document
    parties: list[tuple[str, ...]] = field(default_factory=list)  # names of each contract's parties
    oldest: int | None = None

    def summary(self) -> DebtorSummary:
        identifiers = identifiers_of(self.members)
        debtor, _ = display_name(Counter(chain.from_iterable(self.printed)), Counter(chain.from_iterable(self.parties)),
                                 self.members, identifiers)
        return DebtorSummary(debtor, tuple(identifiers), self.documents, self.invoices, dict(self.totals),
                             self.oldest)


def _groups(keysets: Iterable[str], tying: set[str], own: str | None) -> dict[str, str]:
    """Debtor key -> its group's root, from each distinct set of keys that documents print (``tying``: those of
    documents other than contracts, which tie their keys together)."""
    groups = _Groups()
    for joined in sorted(keysets):
        keys = [k for k in joined.split(debtor_table.SEP) if k and k != own]
        for k in keys:
            groups.find(k)
        if joined in tying:  # one buyer per invoice or letter; a contract's parties are distinct people
            groups.union(keys)
    return {k: groups.find(k) for k in groups.parent}


def list_debtors(catalog: Catalog, settings: Settings, *, as_of: date) -> list[DebtorSummary]:
    """Every debtor with at least one invoice, most outstanding first (the largest amount in any currency)."""
    with catalog.snapshot():
        rows = debtor_table.all_rows(catalog.db, ("doc_type", "keys", "names", "doc_date", "issue_date", "due_date",
                                                  "currency", "total_amount"))
    root_of = _groups({r[1] for r in rows}, {r[1] for r in rows if r[0] != "contract"}, own_key(settings))
    tallies: dict[str, _Tally] = {}
    for k, root in root_of.items():
        tallies.setdefault(root, _Tally()).members.add(k)
    order: dict[str, None] = {}  # the debtors in the order of their first document
    roots_of: dict[str, list[_Tally]] = {}
    names_of: dict[str, tuple[str, ...]] = {}
    days_from: dict[tuple[str | None, str | None], int | None] = {}  # (due date, issue date) -> days past due
    limit = as_of.isoformat()  # the dates of the table are YYYY-MM-DD: compared as text
    for doc_type, joined, names, when, issued, due, currency, total in rows:
        tally = roots_of.get(joined)
        if tally is None:
            roots = sorted({root_of[k] for k in joined.split(debtor_table.SEP) if k in root_of})
            order.update(dict.fromkeys(roots))
            tally = roots_of[joined] = [tallies[r] for r in roots]
        if doc_type == "invoice":
            for t in tally:
                t.invoiced = True
        if not tally or (when is not None and when > limit):
            continue
        printed = names_of.get(names)
        if printed is None:
            printed = names_of[names] = debtor_table.decode_names(names)
        if doc_type == "invoice":
            if (due, issued) not in days_from:
                day, _ = due_of(parse_date(due), parse_date(issued), settings)
                days_from[(due, issued)] = (as_of - day).days if day is not None else None
            days = days_from[(due, issued)]
            bucket = bucket_of(days) if days is not None else None
            amount = Decimal(total) if total is not None else None
            for t in tally:
                t.documents += 1
                t.printed.append(printed)
                t.invoices += 1
                t.totals[currency or "EUR"].add_invoice(amount, bucket)
                if days is not None and (t.oldest is None or days > t.oldest):
                    t.oldest = days
        elif doc_type == "credit_note":
            amount = (Decimal(total) if total is not None else None) or ZERO
            for t in tally:
                t.documents += 1
                t.printed.append(printed)
                t.totals[currency or "EUR"].credited += amount
        else:
            for t in tally:
                t.documents += 1
                (t.parties if doc_type == "contract" else t.printed).append(printed)
    out = [tallies[root].summary() for root in order if tallies[root].invoiced]
    out.sort(key=lambda s: (-max((t.outstanding for t in s.totals.values()), default=ZERO), s.debtor))
    return out
