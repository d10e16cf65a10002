"""Case files: everything the archive holds about one debtor, and what is overdue, as of a date.

Who is the debtor of a document:
  - an invoice or credit note: its buyer (buyer_vat_id, buyer_tax_code, buyer_name);
  - a dunning letter: its debtor_name;
  - a contract: any of its parties other than the archive's own organisation.
Documents are grouped into debtors by identifier first: an invoice that prints both a VAT id and a name ties them
together, so that a letter naming the debtor only is found from the VAT id and the other way round. Names are
compared by their key (see ``debtors.py``); near-duplicates are offered, never merged silently.

Who is about whom is read from the catalog's debtor table (``debtor_table.py``), kept with every document and
correction: a case finds its debtor's keys there and reads in full only its own documents; the list of debtors
groups the whole archive from that table alone.

Amounts are summed per currency; payments are not in the archive, so outstanding = invoiced − credited. Aging
buckets hold invoice totals by days past due; credit notes are not allocated to invoices and are shown apart.
The limitation period of each invoice runs from its due date and restarts at the latest dunning letter that
concerns it (one listing its number, or one listing no invoice at all); see ``limitation.py``.
"""

from __future__ import annotations

import sqlite3
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

from . import debtor_table
from .case_values import doc_date, parse_amount, parse_date
from .catalog import Catalog
from .config import Settings
from .debtors import id_key, id_variants, looks_like_identifier, name_key, similar_keys
from .limitation import Period, limitation_end

__all__ = ["BUCKETS", "Case", "CaseDocument", "InvoiceStatus", "build_case"]

CASE_TYPES = debtor_table.CASE_TYPES
CASE_FIELDS = (
    "invoice_number", "issue_date", "due_date", "currency", "total_amount", "buyer_name", "buyer_vat_id",
    "buyer_tax_code", "contract_ref", "contract_number", "parties", "signing_date", "effective_date", "end_date",
    "governing_law", "debtor_name", "creditor_name", "letter_date", "amount_due", "invoice_refs", "payment_deadline",
    "seller_name", "contract_value",
)
# (label, lowest days past due, highest) — "not due" is 0 and below
BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("not due", -10**9, 0), ("1-30", 1, 30), ("31-60", 31, 60), ("61-90", 61, 90), ("91-180", 91, 180),
    (">180", 181, None),
)
ZERO = Decimal("0.00")


def bucket_of(days_past_due: int) -> str:
    for label, low, high in BUCKETS:
        if days_past_due >= low and (high is None or days_past_due <= high):
            return label
    raise AssertionError(days_past_due)



def due_of(due: date | None, issued: date | None, settings: Settings) -> tuple[date | None, bool]:
    """An invoice's due date, and whether it is assumed (none printed: issue date + payment terms)."""
    if due is None and issued is not None:
        return issued + timedelta(days=settings.payment_terms_days), True
    return due, False


@dataclass(frozen=True)
class CaseDocument:
    """One document of a case, with the fields a case file needs."""

    id: str
    doc_type: str
    original_name: str
    fields: dict[str, str | tuple[str, ...]]

    def get(self, name: str) -> str | None:
        value = self.fields.get(name)
        return value if isinstance(value, str) else None

    def values(self, name: str) -> tuple[str, ...]:
        value = self.fields.get(name)
        if value is None:
            return ()
        return (value,) if isinstance(value, str) else value

    def date_of(self, name: str) -> date | None:
        return parse_date(self.get(name))

    @cached_property
    def when(self) -> date | None:
        """The document's own date: issue, letter, signing or effective date."""
        return doc_date(self.get)

    def amount(self, name: str) -> Decimal | None:
        return parse_amount(self.get(name))

    @property
    def currency(self) -> str:
        return self.get("currency") or "EUR"

    def printed_names(self) -> tuple[str, ...]:
        if self.doc_type in ("invoice", "credit_note"):
            return self.values("buyer_name")
        if self.doc_type == "dunning_letter":
            return self.values("debtor_name")
        return ()


@dataclass(frozen=True)
class Limitation:
    years: int
    basis: str  # "ordinary" | "periodic payment (word)"
    jurisdiction: str
    runs_from: date
    interrupted_by: str | None  # the dunning letter's id
    interrupted_on: date | None
    expires: date

    def as_json(self) -> dict[str, object]:
        return {"years": self.years, "basis": self.basis, "jurisdiction": self.jurisdiction,
                "runs_from": self.runs_from.isoformat(), "interrupted_by": self.interrupted_by,
                "interrupted_on": self.interrupted_on.isoformat() if self.interrupted_on else None,
                "expires": self.expires.isoformat()}


@dataclass(frozen=True)
class InvoiceStatus:
    doc: CaseDocument
    total: Decimal | None
    due: date | None
    due_assumed: bool  # no due date printed: issue date + payment terms
    days_past_due: int | None
    bucket: str | None
    contract: str | None  # id of the contract it references, when in the case
    limitation: Limitation | None
    letters: tuple[str, ...]  # ids of the dunning letters that concern it

    def as_json(self, as_of: date) -> dict[str, object]:
        return {
            "id": self.doc.id, "invoice_number": self.doc.get("invoice_number"),
            "issue_date": self.doc.get("issue_date"),
            "due_date": self.due.isoformat() if self.due else None, "due_date_assumed": self.due_assumed,
            "total_amount": str(self.total) if self.total is not None else None, "currency": self.doc.currency,
            "days_past_due": self.days_past_due, "bucket": self.bucket, "contract": self.contract,
            "contract_ref": self.doc.get("contract_ref"), "dunning_letters": list(self.letters),
            "limitation": self.limitation.as_json() if self.limitation else None,
            "time_barred": bool(self.limitation and self.limitation.expires < as_of),
        }


@dataclass
class Totals:
    """Per currency."""

    invoiced: Decimal = ZERO
    credited: Decimal = ZERO
    overdue: Decimal = ZERO
    buckets: dict[str, Decimal] = field(default_factory=lambda: {label: ZERO for label, _, _ in BUCKETS})
    counts: dict[str, int] = field(default_factory=lambda: {label: 0 for label, _, _ in BUCKETS})

    @property
    def outstanding(self) -> Decimal:
        return self.invoiced - self.credited

    def add_invoice(self, total: Decimal | None, bucket: str | None) -> None:
        amount = total or ZERO
        self.invoiced += amount
        if bucket is not None:
            self.buckets[bucket] += amount
            self.counts[bucket] += 1
            if bucket != "not due":
                self.overdue += amount

    def as_json(self) -> dict[str, object]:
        return {"invoiced": str(self.invoiced), "credited": str(self.credited), "outstanding": str(self.outstanding),
                "overdue": str(self.overdue),
                "aging": {label: {"amount": str(self.buckets[label]), "invoices": self.counts[label]}
                          for label, _, _ in BUCKETS}}


@dataclass
class Case:
    """One debtor's case file as of a date."""

    debtor: str  # the name most often printed
    names: list[str]  # every printed name
    identifiers: list[str]  # VAT ids and tax codes
    as_of: date
    documents: list[CaseDocument]  # in date order
    invoices: list[InvoiceStatus]
    totals: dict[str, Totals]  # by currency
    similar: list[tuple[str, int]]  # names of other debtors close to this one, with their document counts
    notes: list[str]

    def as_json(self) -> dict[str, object]:
        return {
            "debtor": self.debtor, "names": self.names, "identifiers": self.identifiers,
            "as_of": self.as_of.isoformat(),
            "totals": {cur: t.as_json() for cur, t in sorted(self.totals.items())},
            "documents": [
                {"id": d.id, "doc_type": d.doc_type, "date": d.when.isoformat() if d.when else None,
                 "original_name": d.original_name,
                 "reference": d.get("invoice_number") or d.get("contract_number"),
                 "amount": d.get("total_amount") or d.get("amount_due") or d.get("contract_value"),
                 "currency": d.get("currency")}
                for d in self.documents
            ],
            "invoices": [i.as_json(self.as_of) for i in self.invoices],
            "similar_debtors": [{"name": n, "documents": c} for n, c in self.similar],
            "notes": self.notes,
        }


# -- grouping documents into debtors ---------------------------------------------------------------------------------
def own_key(settings: Settings) -> str | None:
    """The key of the archive's own organisation: a party to its contracts, never a debtor."""
    return "n:" + name_key(settings.organization) if settings.organization.strip() else None


def display_name(printed: Counter[str], parties: Counter[str], members: set[str],
                 identifiers: list[str]) -> tuple[str, list[str]]:
    """The name a debtor goes by (the most printed by its documents; ties: the longest), and every name printed.
    Nothing printed: the parties of its contracts; none either: its identifier, else its name key."""
    if not printed:
        printed = parties
    names = [n for n, _ in sorted(printed.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))]
    if names:
        return names[0], names
    return (identifiers[0] if identifiers else min(k[2:] for k in members)), names


def identifiers_of(members: Iterable[str]) -> list[str]:
    """The VAT ids and tax codes among debtor keys, shortest first, without the bare forms of prefixed ones."""
    found = sorted({k[2:] for k in members if k.startswith("i:")}, key=lambda k: (len(k), k))
    return [k for k in found if not any(o != k and o.endswith(k) and o[:2].isalpha() for o in found)]


# -- the case itself -------------------------------------------------------------------------------------------------
class DebtorNotFound(LookupError):
    def __init__(self, message: str, similar: list[str]) -> None:
        super().__init__(message)
        self.similar = similar


def build_case(catalog: Catalog, settings: Settings, debtor: str, *, as_of: date,
               also: Sequence[str] = (), texts: dict[str, str] | None = None) -> Case:
    """The case file of ``debtor`` (a name, VAT id or tax code), plus the debtors named in ``also``.

    ``texts``: document id -> text, for deciding which invoices are periodic payments (read from the catalog when
    not given).

    Raises:
        DebtorNotFound: no document names that debtor; ``similar`` lists close names.
    """
    db, own = catalog.db, own_key(settings)
    with catalog.snapshot():
        starts = []
        for wanted in (debtor, *also):
            key = _find(db, wanted, own)
            if key is None:
                close = _similar_names(db, own, name_key(wanted), set())
                raise DebtorNotFound(f"no document of the archive names the debtor {wanted!r}", close)
            starts.append(key)
        members, ids = debtor_table.expand(db, starts, own)  # the debtors' keys and documents
        docs = _with_fields(catalog, ids)  # then everything, for this case's documents only
        names_in_case = {k[2:] for k in members if k.startswith("n:")}
        similar = [(name, len(debtor_table.expand(db, ["n:" + name_key(name)], own)[1]))
                   for name in _similar_names(db, own, "", names_in_case)]
        if texts is None:
            texts = {d.id: catalog.text(d.id) for d in docs if d.doc_type in ("invoice", "contract")}
    return _assemble(members, docs, settings, as_of, similar, texts)


def _with_fields(catalog: Catalog, ids: set[str]) -> list[CaseDocument]:
    ordered = sorted(ids)
    heads = catalog.documents(ordered)
    full: dict[str, dict[str, str | tuple[str, ...]]] = {}
    for start in range(0, len(ordered), 500):
        full.update(catalog.fields_of(ordered[start : start + 500], CASE_FIELDS))
    return [CaseDocument(i, heads[i].doc_type or "other", heads[i].original_name, full.get(i, {})) for i in ordered]


def _find(db: sqlite3.Connection, wanted: str, own: str | None) -> str | None:
    """The debtor key of the archive that ``wanted`` names, if any."""
    if looks_like_identifier(wanted):
        for key in sorted(id_variants(wanted)):
            if debtor_table.present(db, "i:" + key):
                return "i:" + key
    key = "n:" + name_key(wanted)
    return key if key != own and debtor_table.present(db, key) else None


def _similar_names(db: sqlite3.Connection, own: str | None, key: str, in_case: set[str]) -> list[str]:
    """Printed names of other debtors whose keys are close to ``key`` (or to any key of ``in_case``)."""
    outside = debtor_table.name_keys(db) - in_case - ({own[2:]} if own else set())
    close: set[str] = set()
    for k in ({key} if key else set()) | in_case:
        close.update(similar_keys(k, outside))
    printed = debtor_table.first_printed(db, sorted(close))
    return sorted(printed.get(k, k) for k in close)


def _assemble(members: set[str], docs: list[CaseDocument], settings: Settings, as_of: date,
              similar: list[tuple[str, int]], texts: dict[str, str]) -> Case:
    """The case of the debtor keys ``members`` from their documents."""
    notes: list[str] = []
    later = {d.id for d in docs if d.when is not None and d.when > as_of}
    if later:
        notes.append(f"{len(later)} document(s) dated after {as_of.isoformat()} are left out")
    docs = [d for d in docs if d.id not in later]
    docs.sort(key=lambda d: (d.when or date.max, d.doc_type, d.id))
    contracts = {id_key(n): d for d in docs if d.doc_type == "contract" for n in d.values("contract_number")}
    letters = [d for d in docs if d.doc_type == "dunning_letter" and d.date_of("letter_date") is not None]
    periods = {name: Period(o, p, h) for name, o, p, h in settings.limitation}

    invoices: list[InvoiceStatus] = []
    totals: dict[str, Totals] = defaultdict(Totals)
    for d in docs:
        if d.doc_type == "credit_note":
            totals[d.currency].credited += d.amount("total_amount") or ZERO
        if d.doc_type != "invoice":
            continue
        status = _invoice_status(d, as_of, contracts, letters, periods, settings, texts, notes)
        invoices.append(status)
        totals[d.currency].add_invoice(status.total, status.bucket)
    if any(i.total is None for i in invoices):
        notes.append("some invoices have no total amount: they count as 0.00")
    identifiers = identifiers_of(members)
    display, names = display_name(Counter(n for d in docs for n in d.printed_names()),
                                  Counter(n for d in docs if d.doc_type == "contract" for n in d.values("parties")),
                                  members, identifiers)
    return Case(debtor=display, names=names, identifiers=identifiers, as_of=as_of, documents=docs,
                invoices=invoices, totals=dict(totals), similar=similar, notes=notes)


def _invoice_status(d: CaseDocument, as_of: date, contracts: dict[str, CaseDocument], letters: list[CaseDocument],
                    periods: dict[str, Period], settings: Settings, texts: dict[str, str],
                    notes: list[str]) -> InvoiceStatus:
    total = d.amount("total_amount")
    due, assumed = due_of(d.date_of("due_date"), d.date_of("issue_date"), settings)
    days = (as_of - due).days if due is not None else None
    contract = contracts.get(id_key(d.get("contract_ref") or "")) if d.get("contract_ref") else None

    number = id_key(d.get("invoice_number") or "")
    concerning = [
        letter for letter in letters
        if not letter.values("invoice_refs") or number in {id_key(r) for r in letter.values("invoice_refs")}
    ]
    limitation = None
    if due is not None:
        jurisdiction = settings.jurisdiction
        law = contract.get("governing_law") if contract else None
        if law and law in periods:
            jurisdiction = law
        elif law and law not in periods and f"no limitation periods configured for {law}" not in " ".join(notes):
            notes.append(f"no limitation periods configured for {law} (settings: [cases.limitation]); "
                         f"{settings.jurisdiction}'s were used")
        period = periods.get(jurisdiction) or Period(10, 5, "IT")
        word = _periodic_word(settings.periodic_words, texts.get(d.id, ""),
                              texts.get(contract.id, "") if contract else "")
        years = period.periodic if word else period.ordinary
        basis = f"periodic payment ({word!r})" if word else "ordinary"
        by_date = {letter.date_of("letter_date"): letter for letter in concerning}
        expires, on = limitation_end(due, years, period.holidays, [k for k in by_date if k is not None])
        limitation = Limitation(years=years, basis=basis, jurisdiction=jurisdiction, runs_from=due,
                                interrupted_by=by_date[on].id if on else None, interrupted_on=on, expires=expires)
    return InvoiceStatus(doc=d, total=total, due=due, due_assumed=assumed, days_past_due=days,
                         bucket=bucket_of(days) if days is not None else None,
                         contract=contract.id if contract else None, limitation=limitation,
                         letters=tuple(letter.id for letter in concerning))


def _periodic_word(words: Sequence[str], *texts: str) -> str | None:
    for text in texts:
        low = " ".join(text.lower().split())
        for word in words:
            w = word.lower()
            start = low.find(w)
            while start != -1:
                before = low[start - 1] if start else " "
                after = low[start + len(w)] if start + len(w) < len(low) else " "
                if not before.isalnum() and not after.isalnum():
                    return word
                start = low.find(w, start + 1)
    return None
