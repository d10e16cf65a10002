"""Case files: everything the archive holds about one debtor, and what is overdue, as of a date.

Who is the debtor of a document:
  - an invoice or credit note: its buyer (buyer_vat_id, buyer_tax_code, buyer_name);
  - a dunning letter: its debtor_name;
  - a contract: any of its parties other than the archive's own organisation.
Documents are grouped into debtors by identifier first: an invoice that prints both a VAT id and a name ties them
together, so that a letter naming the debtor only is found from the VAT id and the other way round. Names are
compared by their key (see ``debtors.py``); near-duplicates are offered, never merged silently.

Amounts are summed per currency; payments are not in the archive, so outstanding = invoiced − credited. Aging
buckets hold invoice totals by days past due; credit notes are not allocated to invoices and are shown apart.
The limitation period of each invoice runs from its due date and restarts at the latest dunning letter that
concerns it (one listing its number, or one listing no invoice at all); see ``limitation.py``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from .catalog import Catalog
from .config import Settings
from .debtors import id_key, id_variants, looks_like_identifier, name_key, similar_keys
from .limitation import Period, limitation_end

__all__ = ["BUCKETS", "Case", "CaseDocument", "DebtorSummary", "InvoiceStatus", "build_case", "list_debtors"]

CASE_TYPES = ("invoice", "credit_note", "contract", "dunning_letter")
CASE_FIELDS = (
    "invoice_number", "issue_date", "due_date", "currency", "total_amount", "buyer_name", "buyer_vat_id",
    "buyer_tax_code", "contract_ref", "contract_number", "parties", "signing_date", "effective_date", "end_date",
    "governing_law", "debtor_name", "creditor_name", "letter_date", "amount_due", "invoice_refs", "payment_deadline",
    "seller_name", "contract_value",
)
# who a document is about: enough to group every document of the archive into debtors
IDENTITY_FIELDS = ("buyer_name", "buyer_vat_id", "buyer_tax_code", "debtor_name", "parties")
# what `case --list` needs besides: totals, days past due and aging, not links or limitation dates
LIST_FIELDS = (*IDENTITY_FIELDS, "issue_date", "due_date", "letter_date", "signing_date", "effective_date",
               "currency", "total_amount", "invoice_number")
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
        text = self.get(name)
        try:
            return date.fromisoformat(text) if text else None
        except ValueError:
            return None

    @property
    def when(self) -> date | None:
        """The document's own date: issue, letter, signing or effective date."""
        for name in ("issue_date", "letter_date", "signing_date", "effective_date"):
            found = self.date_of(name)
            if found is not None:
                return found
        return None

    def amount(self, name: str) -> Decimal | None:
        text = self.get(name)
        try:
            return Decimal(text).quantize(Decimal("0.01")) if text else None
        except InvalidOperation:
            return None

    @property
    def currency(self) -> str:
        return self.get("currency") or "EUR"

    # who the document is about
    def name_keys(self, own: frozenset[str]) -> set[str]:
        if self.doc_type in ("invoice", "credit_note"):
            names = self.values("buyer_name")
        elif self.doc_type == "dunning_letter":
            names = self.values("debtor_name")
        elif self.doc_type == "contract":
            names = self.values("parties")
        else:
            names = ()
        return {k for k in (name_key(n) for n in names) if k and k not in own}

    def id_keys(self) -> set[str]:
        if self.doc_type not in ("invoice", "credit_note"):
            return set()
        keys: set[str] = set()
        for name in ("buyer_vat_id", "buyer_tax_code"):
            for value in self.values(name):
                keys |= id_variants(value)
        return keys

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


# -- grouping documents into debtors ---------------------------------------------------------------------------------
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


class CaseIndex:
    """Every case document of the archive, grouped by debtor."""

    def __init__(self, catalog: Catalog, settings: Settings, names: Sequence[str] = CASE_FIELDS) -> None:
        self.settings = settings
        own = {name_key(settings.organization)} if settings.organization.strip() else set()
        self.own = frozenset(own)
        loaded = catalog.field_values(CASE_TYPES, names)
        self.docs = [CaseDocument(doc_id, doc_type or "other", name, values)
                     for doc_id, (doc_type, name, values) in loaded.items()]
        self.groups = _Groups()
        self._by_root: dict[str, set[str]] | None = None
        self.keys: dict[str, set[str]] = {}  # doc id -> its debtor keys
        for d in self.docs:
            keys = {f"n:{k}" for k in d.name_keys(self.own)} | {f"i:{k}" for k in d.id_keys()}
            self.keys[d.id] = keys
            for k in keys:
                self.groups.find(k)
            if d.doc_type != "contract":  # one buyer per invoice or letter; a contract's parties are distinct people
                self.groups.union(keys)

    def group_of(self, key: str) -> str | None:
        return self.groups.find(key) if key in self.groups.parent else None

    def members(self, roots: set[str]) -> set[str]:
        by_root = self.members_by_root()
        return set().union(*(by_root.get(r, set()) for r in roots))

    def members_by_root(self) -> dict[str, set[str]]:
        """Every key under its group's root, computed once (``--list`` asks for every group)."""
        if self._by_root is None:
            self._by_root = defaultdict(set)
            for k in self.groups.parent:
                self._by_root[self.groups.find(k)].add(k)
        return self._by_root

    def documents_of(self, roots: set[str]) -> list[CaseDocument]:
        """Invoices, credit notes and letters of these debtors, and contracts with one of them as a party."""
        keys = self.members(roots)
        return [d for d in self.docs if self.keys[d.id] & keys]

    def roots(self) -> set[str]:
        return {self.groups.find(k) for k in self.groups.parent}


def _display_name(docs: Sequence[CaseDocument], fallback: str) -> tuple[str, list[str]]:
    printed = Counter(n for d in docs for n in d.printed_names())
    if not printed:
        printed = Counter(n for d in docs if d.doc_type == "contract" for n in d.values("parties"))
    names = [n for n, _ in sorted(printed.items(), key=lambda kv: (-kv[1], -len(kv[0]), kv[0]))]
    return (names[0] if names else fallback), names


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
    index = CaseIndex(catalog, settings, IDENTITY_FIELDS)  # every document, by whom it is about
    roots: set[str] = set()
    for wanted in (debtor, *also):
        root = _find(index, wanted)
        if root is None:
            close = _similar_names(index, name_key(wanted), set())
            raise DebtorNotFound(f"no document of the archive names the debtor {wanted!r}", close)
        roots.add(root)
    docs = _with_fields(catalog, index.documents_of(roots))  # then everything, for this case's documents only
    names_in_case = {k[2:] for k in index.members(roots) if k.startswith("n:")}
    similar: list[tuple[str, int]] = []
    for name in _similar_names(index, "", names_in_case):
        root = index.group_of("n:" + name_key(name))
        similar.append((name, len(index.documents_of({root})) if root else 0))
    if texts is None:
        texts = {d.id: catalog.text(d.id) for d in docs if d.doc_type in ("invoice", "contract")}
    return _assemble(index, docs, roots, settings, as_of, similar, texts)


def _with_fields(catalog: Catalog, docs: list[CaseDocument]) -> list[CaseDocument]:
    full: dict[str, dict[str, str | tuple[str, ...]]] = {}
    ids = [d.id for d in docs]
    for start in range(0, len(ids), 500):
        full.update(catalog.fields_of(ids[start : start + 500], CASE_FIELDS))
    return [CaseDocument(d.id, d.doc_type, d.original_name, full.get(d.id, {})) for d in docs]


def _find(index: CaseIndex, wanted: str) -> str | None:
    if looks_like_identifier(wanted):
        for key in id_variants(wanted):
            root = index.group_of("i:" + key)
            if root is not None:
                return root
    return index.group_of("n:" + name_key(wanted))


def _similar_names(index: CaseIndex, key: str, in_case: set[str]) -> list[str]:
    """Printed names of other debtors whose keys are close to ``key`` (or to any key of ``in_case``)."""
    all_keys = {k[2:] for k in index.groups.parent if k.startswith("n:")}
    outside = all_keys - in_case
    close: set[str] = set()
    for k in ({key} if key else set()) | in_case:
        close.update(similar_keys(k, outside))
    printed: dict[str, str] = {}
    for d in index.docs:
        for n in (*d.printed_names(), *(d.values("parties") if d.doc_type == "contract" else ())):
            printed.setdefault(name_key(n), n)
    return sorted(printed.get(k, k) for k in close)


def _assemble(index: CaseIndex, docs: list[CaseDocument], roots: set[str], settings: Settings, as_of: date,
              similar: list[tuple[str, int]], texts: dict[str, str]) -> Case:
    notes: list[str] = []
    later = [d for d in docs if d.when is not None and d.when > as_of]
    if later:
        notes.append(f"{len(later)} document(s) dated after {as_of.isoformat()} are left out")
    docs = [d for d in docs if d not in later]
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
        t = totals[d.currency]
        total = status.total or ZERO
        t.invoiced += total
        if status.bucket is not None:
            t.buckets[status.bucket] += total
            t.counts[status.bucket] += 1
            if status.bucket != "not due":
                t.overdue += total
    if any(i.total is None for i in invoices):
        notes.append("some invoices have no total amount: they count as 0.00")
    display, names = _display_name(docs, next(iter(roots))[2:])
    identifiers = sorted({k[2:] for k in index.members(roots) if k.startswith("i:")}, key=lambda k: (len(k), k))
    identifiers = [k for k in identifiers if not any(o != k and o.endswith(k) and o[:2].isalpha()
                                                     for o in identifiers)]
    return Case(debtor=display, names=names, identifiers=identifiers, as_of=as_of, documents=docs,
                invoices=invoices, totals=dict(totals), similar=similar, notes=notes)


def _invoice_status(d: CaseDocument, as_of: date, contracts: dict[str, CaseDocument], letters: list[CaseDocument],
                    periods: dict[str, Period], settings: Settings, texts: dict[str, str],
                    notes: list[str]) -> InvoiceStatus:
    total = d.amount("total_amount")
    due, assumed = d.date_of("due_date"), False
    issued = d.date_of("issue_date")
    if due is None and issued is not None:
        due, assumed = issued + timedelta(days=settings.payment_terms_days), True
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


def list_debtors(catalog: Catalog, settings: Settings, *, as_of: date) -> list[DebtorSummary]:
    """Every debtor with at least one invoice, most outstanding first (the largest amount in any currency)."""
    index = CaseIndex(catalog, settings, LIST_FIELDS)
    by_root: dict[str, list[CaseDocument]] = defaultdict(list)
    for d in index.docs:
        keys = index.keys[d.id]
        for root in {index.groups.find(k) for k in keys}:
            by_root[root].append(d)
    out = []
    for root, docs in by_root.items():
        if not any(d.doc_type == "invoice" for d in docs):
            continue
        case = _assemble(index, docs, {root}, settings, as_of, [], {})
        oldest = max((i.days_past_due for i in case.invoices if i.days_past_due is not None), default=None)
        out.append(DebtorSummary(case.debtor, tuple(case.identifiers), len(case.documents), len(case.invoices),
                                 case.totals, oldest))
    out.sort(key=lambda s: (-max((t.outstanding for t in s.totals.values()), default=ZERO), s.debtor))
    return out
