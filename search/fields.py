"""The registry of searchable fields: their names, kinds and how their values are normalised.

Engine-independent: the query parser uses it to read ``field:value`` clauses into typed values, and each engine
uses it to build its schema and to turn an ``IndexRecord`` into indexable values. The field names are those of
FIELDS.md plus the archive's own (``id``, ``filename``, ``doc_type``, ``media_type``, ``language``,
``ingested``, ``pages``, ``text``).

Kinds and normalisation (the same function runs on indexed values and on query values):

=============  ============================================================  =====================================
kind           matched how                                                   fields
=============  ============================================================  =====================================
FULLTEXT       analysed (folded, plus stemmed twin), phrases, the default    text
TEXT           analysed (folded), phrases                                    filename, names, governing_law
KEYWORD        exact, case-folded (``credit note`` == ``credit_note``)       doc_type, media_type, language
CODE           exact, spaces and punctuation removed, upper-cased            vat ids, tax_code, iban, currency
IDENTIFIER     exact as printed, whitespace and commas removed, case-folded  invoice/contract numbers, refs
IDENTIFIERS    a list of IDENTIFIER values                                   invoice_refs
NAMES          a list of names; a value's words must all be in the names      parties
AMOUNT         a decimal amount, compared to the cent                        *_amount, amount_due, contract_value
INTEGER        a whole number                                                pages
DATE           a day; a year or a month in a query means that period         dates, ingested
DOC_ID         SHA-256 hex; a value matches as a prefix                      id
=============  ============================================================  =====================================

``GROUPS`` are query names that search several fields at once: ``vat_id`` (seller's or buyer's), ``amount``,
``date``, ``debtor``, ``creditor``, ``name``, ``invoice`` (the invoice's own number or a letter's references).
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from enum import Enum

from . import analysis

__all__ = [
    "ALIASES",
    "DEFAULT_FIELD",
    "FACETS",
    "FIELDS",
    "GROUPS",
    "SORTS",
    "FieldSpec",
    "Kind",
    "SortKey",
    "ValueProblem",
    "derived_values",
    "facet_field",
    "field_spec",
    "field_specs",
    "fingerprint",
    "normalise",
    "ordinal",
    "parse_amount",
    "parse_date_period",
    "parse_integer",
    "parse_sort",
    "record_values",
    "sort_field",
    "stem_field",
]

DEFAULT_FIELD = "text"


class Kind(Enum):
    FULLTEXT = "fulltext"
    TEXT = "text"
    KEYWORD = "keyword"
    CODE = "code"
    IDENTIFIER = "identifier"
    IDENTIFIERS = "identifiers"
    NAMES = "names"
    AMOUNT = "amount"
    INTEGER = "integer"
    DATE = "date"
    DOC_ID = "doc_id"

    @property
    def analysed(self) -> bool:
        """Values are split into words (matched word by word, phrases possible)."""
        return self in (Kind.FULLTEXT, Kind.TEXT, Kind.NAMES)

    @property
    def exact(self) -> bool:
        """Values are matched whole, after normalisation."""
        return self in (Kind.KEYWORD, Kind.CODE, Kind.IDENTIFIER, Kind.IDENTIFIERS)

    @property
    def ordered(self) -> bool:
        """Values compare as numbers or dates (ranges, ``>``, periods)."""
        return self in (Kind.AMOUNT, Kind.INTEGER, Kind.DATE)


@dataclass(frozen=True)
class FieldSpec:
    """One searchable field."""

    name: str
    kind: Kind
    description: str
    source: str = "fields"  # "fields" (IndexRecord.fields[name]) or "record" (an IndexRecord attribute)


class ValueProblem(ValueError):
    """A query value that does not fit its field's kind (the parser turns it into a note)."""


def _spec(name: str, kind: Kind, description: str, source: str = "fields") -> tuple[str, FieldSpec]:
    return name, FieldSpec(name, kind, description, source)


FIELDS: Mapping[str, FieldSpec] = dict(
    [
        # The archive's own fields.
        _spec("id", Kind.DOC_ID, "document id (SHA-256), any prefix", "record"),
        _spec("text", Kind.FULLTEXT, "the document's full text (the default field)", "record"),
        _spec("filename", Kind.TEXT, "the original file name", "record"),
        _spec("doc_type", Kind.KEYWORD, "invoice, credit_note, contract, dunning_letter, receipt, other", "record"),
        _spec("media_type", Kind.KEYWORD, "e.g. application/pdf, image/png", "record"),
        _spec("language", Kind.KEYWORD, "the document's language, e.g. it, en", "record"),
        _spec("ingested", Kind.DATE, "the day the archive received the document (UTC)", "record"),
        _spec("pages", Kind.INTEGER, "number of pages", "record"),
        # FIELDS.md: invoice and credit note.
        _spec("invoice_number", Kind.IDENTIFIER, "invoice number as printed"),
        _spec("issue_date", Kind.DATE, "date of issue"),
        _spec("due_date", Kind.DATE, "payment due date"),
        _spec("currency", Kind.CODE, "ISO 4217 code"),
        _spec("net_amount", Kind.AMOUNT, "taxable amount"),
        _spec("tax_amount", Kind.AMOUNT, "VAT amount"),
        _spec("total_amount", Kind.AMOUNT, "total amount"),
        _spec("seller_name", Kind.TEXT, "seller (or creditor) name"),
        _spec("seller_vat_id", Kind.CODE, "seller VAT id"),
        _spec("buyer_name", Kind.TEXT, "buyer (debtor) name"),
        _spec("buyer_vat_id", Kind.CODE, "buyer VAT id"),
        _spec("buyer_tax_code", Kind.CODE, "buyer tax code (codice fiscale)"),
        _spec("iban", Kind.CODE, "IBAN to pay to"),
        _spec("contract_ref", Kind.IDENTIFIER, "contract the invoice refers to"),
        # FIELDS.md: contract.
        _spec("contract_number", Kind.IDENTIFIER, "contract number as printed"),
        _spec("parties", Kind.NAMES, "names of the contract's parties"),
        _spec("signing_date", Kind.DATE, "date of signature"),
        _spec("effective_date", Kind.DATE, "date the contract takes effect"),
        _spec("end_date", Kind.DATE, "date the contract ends"),
        _spec("contract_value", Kind.AMOUNT, "value of the contract"),
        _spec("governing_law", Kind.TEXT, "governing law"),
        # FIELDS.md: dunning letter.
        _spec("creditor_name", Kind.TEXT, "creditor name"),
        _spec("debtor_name", Kind.TEXT, "debtor name"),
        _spec("letter_date", Kind.DATE, "date of the letter"),
        _spec("amount_due", Kind.AMOUNT, "amount claimed"),
        _spec("invoice_refs", Kind.IDENTIFIERS, "invoice numbers the letter claims"),
        _spec("payment_deadline", Kind.DATE, "deadline to pay"),
    ]
)

# Other names people type for a field.
ALIASES: Mapping[str, str] = {
    "content": "text",
    "type": "doc_type",
    "lang": "language",
    "ingested_at": "ingested",
    "page_count": "pages",
    "sha256": "id",
    "party": "parties",
    "invoice_ref": "invoice_refs",
}


# Names that search several fields at once (a document matches if any of them matches).
GROUPS: Mapping[str, tuple[str, ...]] = {
    "vat_id": ("seller_vat_id", "buyer_vat_id"),
    "tax_code": ("buyer_tax_code",),
    "amount": ("total_amount", "amount_due", "contract_value"),
    "date": ("issue_date", "letter_date", "signing_date"),
    "debtor": ("buyer_name", "debtor_name"),
    "creditor": ("seller_name", "creditor_name"),
    "name": ("seller_name", "buyer_name", "creditor_name", "debtor_name", "parties"),
    "invoice": ("invoice_number", "invoice_refs"),
}


def field_spec(name: str) -> FieldSpec | None:
    """The field called ``name`` (case-insensitive, aliases allowed), or None if there is none."""
    key = name.lower()
    return FIELDS.get(ALIASES.get(key, key))


def field_specs(name: str) -> tuple[FieldSpec, ...]:
    """The fields a query name searches: one field, the members of a group, or none (an unknown name)."""
    spec = field_spec(name)
    if spec is not None:
        return (spec,)
    return tuple(FIELDS[member] for member in GROUPS.get(name.lower(), ()))


def fingerprint() -> str:
    """A short digest of the registry and analysis version: part of every index's schema sentinel."""
    spec = ";".join(f"{f.name}:{f.kind.value}" for f in FIELDS.values())
    spec += "|sorts:" + ";".join(f"{s.field}={','.join(s.sources)}" for s in SORTS.values())
    spec += "|facets:" + ";".join(FACETS) + "|stems:" + ";".join(analysis.STEM_LANGUAGES)
    return hashlib.sha256(f"{analysis.ANALYSIS_VERSION}|{spec}".encode()).hexdigest()[:16]


# -- normalisation of exact values -------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[\W_]+")


# The normalisers run for every exact value of every document indexed, and the values repeat (document types,
# currencies, the same parties' VAT ids): each is cached.
@functools.lru_cache(maxsize=65_536)
def _keyword(value: str) -> str:
    return re.sub(r"[\s\-]+", "_", unicodedata.normalize("NFKC", value).strip().casefold())


@functools.lru_cache(maxsize=65_536)
def _code(value: str) -> str:
    return _NOT_ALNUM.sub("", analysis.fold(value)).upper()


@functools.lru_cache(maxsize=65_536)
def _identifier(value: str) -> str:
    return _SPACE.sub("", unicodedata.normalize("NFKC", value)).casefold().replace(",", "")


_NORMALISERS: Mapping[Kind, Callable[[str], str]] = {
    Kind.KEYWORD: _keyword,
    Kind.CODE: _code,
    Kind.IDENTIFIER: _identifier,
    Kind.IDENTIFIERS: _identifier,
    Kind.DOC_ID: lambda v: v.strip().lower(),
}


def normalise(spec: FieldSpec, value: str) -> str:
    """The comparison key of an exact value (KEYWORD, CODE, IDENTIFIER(S), DOC_ID): same at index and query."""
    return _NORMALISERS[spec.kind](value)


# -- typed values --------------------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"^[+-]?\d[\d.,' ]*$")
_CURRENCY = re.compile(r"^(?:€|\$|£|EUR|USD|GBP|CHF)\s*|\s*(?:€|\$|£|EUR|USD|GBP|CHF)$", re.IGNORECASE)


def parse_amount(text: str) -> Decimal:
    """Read an amount as people write it: ``1234.56``, ``1.234,56``, ``1,234.56``, ``1234,5``, ``€ 1.200``.

    With both ``.`` and ``,`` the last one is the decimal separator. With one kind only, used once and followed
    by exactly three digits, it separates thousands (``1.234`` is 1234: an amount has at most two decimals);
    otherwise it is the decimal separator. Raises ``ValueProblem`` for anything else.
    """
    raw = _CURRENCY.sub("", text.strip()).replace("'", "").replace(" ", "")
    if not _AMOUNT.match(raw):
        raise ValueProblem(f"{text!r} is not an amount")
    sign = ""
    if raw[0] in "+-":
        sign, raw = raw[0], raw[1:]
    last = max(raw.rfind("."), raw.rfind(","))
    if "." in raw and "," in raw:
        whole, decimals = raw[:last], raw[last + 1 :]
        whole = whole.replace(".", "").replace(",", "")
    elif last >= 0:
        sep = raw[last]
        if raw.count(sep) > 1 or len(raw) - last - 1 == 3:
            whole, decimals = raw.replace(sep, ""), ""
            if raw.count(sep) > 1 and not re.fullmatch(rf"\d{{1,3}}(?:{re.escape(sep)}\d{{3}})+", raw):
                raise ValueProblem(f"{text!r} is not an amount")
        else:
            whole, decimals = raw[:last], raw[last + 1 :]
    else:
        whole, decimals = raw, ""
    if not whole.isdigit() or (decimals and not decimals.isdigit()) or len(decimals) > 2:
        raise ValueProblem(f"{text!r} is not an amount")
    try:
        return _bounded(Decimal(f"{sign}{whole}.{decimals or '0'}"), text)
    except InvalidOperation as exc:  # pragma: no cover - the checks above make this unreachable
        raise ValueProblem(f"{text!r} is not an amount") from exc


MAX_AMOUNT = Decimal(10) ** 15  # engines store cents in 64 bits; nothing in a credit file comes close
MAX_INTEGER = 2**62


def _bounded(amount: Decimal, text: object) -> Decimal:
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueProblem(f"{text!r} is not an amount (or too large)")
    return amount


_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")


def parse_date_period(text: str) -> tuple[date, date]:
    """The first and last day of ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. Raises ``ValueProblem``."""
    m = _DATE.match(text.strip())
    if not m:
        raise ValueProblem(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)")
    year, month, day = int(m[1]), m[2], m[3]
    try:
        if month is None:
            return date(year, 1, 1), date(year, 12, 31)
        if day is None:
            first = date(year, int(month), 1)
            following = date(year + 1, 1, 1) if first.month == 12 else date(year, first.month + 1, 1)
            return first, date.fromordinal(following.toordinal() - 1)
        one = date(year, int(month), int(day))
        return one, one
    except ValueError as exc:
        raise ValueProblem(f"{text!r} is not a date (YYYY, YYYY-MM or YYYY-MM-DD)") from exc


def parse_integer(text: str) -> int:
    """A whole number. Raises ``ValueProblem``."""
    raw = text.strip()
    if not re.fullmatch(r"[+-]?\d{1,18}", raw):
        raise ValueProblem(f"{text!r} is not a whole number")
    return int(raw)


# -- values of a record ------------------------------------------------------------------------------------------


def record_values(record: object) -> dict[str, object]:
    """The typed, normalised values of a record, by field name; values that are absent or unreadable are left out.

    TEXT/FULLTEXT stay ``str``; KEYWORD/CODE/IDENTIFIER/DOC_ID become their normalised ``str``; IDENTIFIERS a
    ``list[str]`` of normalised values; NAMES a ``list[str]`` of names; AMOUNT a ``Decimal``; INTEGER an ``int``;
    DATE a ``date``. A value the record got wrong (a date that is not ISO, an amount that is not a number) is
    skipped rather than failing the whole document: the catalog still has it.

    On every indexing path (once per document at ingest and rebuild), so the field loop is precomputed
    (``_READERS``): one attribute or dictionary read and, for a present value, one typing function.
    """
    out: dict[str, object] = {}
    fields = getattr(record, "fields", None) or {}
    for name, attribute, typed in _READERS:
        value = fields.get(name) if attribute is None else getattr(record, attribute)
        if value is None or value == "" or value == []:
            continue
        try:
            out[name] = typed(value)
        except (TypeError, AttributeError, ValueError):  # ValueProblem is a ValueError
            continue
    return out


def _typed_list(normaliser: Callable[[str], str] | None) -> Callable[[object], list[str]]:
    def typed(value: object) -> list[str]:
        items = [value] if isinstance(value, str) else list(value)  # type: ignore[call-overload]
        items = [str(v) for v in items if str(v).strip()]
        if normaliser is not None:
            items = [normaliser(v) for v in items]
        if not items:
            raise ValueProblem("empty list")
        return items

    return typed


def _typed_date(value: object) -> date:
    if isinstance(value, datetime):  # its UTC day (a naive datetime is taken as UTC)
        return value.astimezone(UTC).date() if value.tzinfo else value.date()
    if isinstance(value, date):
        return value
    return _day(str(value))


@functools.lru_cache(maxsize=65_536)
def _day(text: str) -> date:  # the same days recur across documents
    first, last = parse_date_period(text)
    if first != last:
        raise ValueProblem("not a day")
    return first


def _typed_amount(value: object) -> Decimal:
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = parse_amount(str(value))
    return _bounded(amount, value)


def _typed_integer(value: object) -> int:
    number = int(value)  # type: ignore[call-overload]
    if abs(number) >= MAX_INTEGER:
        raise ValueProblem("too large")
    return number


def _typed_exact(normaliser: Callable[[str], str]) -> Callable[[object], str]:
    def typed(value: object) -> str:
        normalised = normaliser(str(value))
        if not normalised:
            raise ValueProblem("empty")
        return normalised

    return typed


def _typer(kind: Kind) -> Callable[[object], object]:
    if kind is Kind.IDENTIFIERS:
        return _typed_list(_NORMALISERS[kind])
    if kind is Kind.NAMES:
        return _typed_list(None)
    if kind is Kind.DATE:
        return _typed_date
    if kind is Kind.AMOUNT:
        return _typed_amount
    if kind is Kind.INTEGER:
        return _typed_integer
    if kind.exact or kind is Kind.DOC_ID:
        return _typed_exact(_NORMALISERS[kind])
    return str


# A record attribute for the fields whose source is the record itself (None: ``record.fields[name]``).
_ATTRIBUTES = {"ingested": "ingested_at", "pages": "page_count"}
_READERS: tuple[tuple[str, str | None, Callable[[object], object]], ...] = tuple(
    (spec.name, None if spec.source == "fields" else _ATTRIBUTES.get(spec.name, spec.name), _typer(spec.kind))
    for spec in FIELDS.values()
)


# -- derived values: sort keys and facets --------------------------------------------------------------------------
#
# Computed from ``record_values`` here, in one place, and indexed by every engine as extra fields that queries
# never name: ``doc_date`` and ``doc_amount`` (i64, as ``ordinal`` maps them) to sort by, and ``facet_<name>``
# (the whole value, one term) to count by.


@dataclass(frozen=True)
class SortKey:
    """A document-level value results can be sorted by: the first present (and readable) of ``sources``."""

    name: str  # as the user names it: "date", "amount"
    field: str  # the derived index field
    kind: Kind
    sources: tuple[str, ...]
    description: str


SORTS: Mapping[str, SortKey] = {
    "date": SortKey("date", "doc_date", Kind.DATE, ("issue_date", "letter_date", "signing_date", "effective_date"),
                    "the document's own date: issue_date, letter_date, signing_date or effective_date"),
    "amount": SortKey("amount", "doc_amount", Kind.AMOUNT, ("total_amount", "amount_due", "contract_value"),
                      "the document's amount: total_amount, amount_due or contract_value"),
}

# Fields whose values can be counted over a query's matches (``Engine.facets``).
FACETS: tuple[str, ...] = (
    "doc_type", "language", "media_type", "currency", "seller_name", "buyer_name", "creditor_name", "debtor_name",
)

RELEVANCE = "relevance"


def parse_sort(text: str | None) -> tuple[SortKey | None, bool]:
    """Read a sort order: ``None``/``relevance`` (best first), ``date``/``amount`` (newest or largest first),
    ``date:asc``/``amount:asc`` (oldest or smallest first); ``date:desc`` and ``-date`` are the default direction,
    ``+date`` is ascending. Returns (the sort key, or None for relevance; descending).

    Raises:
        ValueProblem: an unknown name or direction.
    """
    if text is None:
        return None, True
    raw = text.strip().lower()
    sign = raw[:1] if raw[:1] in ("+", "-") else ""
    name, colon, direction = raw[len(sign) :].partition(":")
    if (colon and direction not in ("asc", "desc")) or (sign and colon):
        raise ValueProblem(f"{text!r}: the direction is :asc or :desc")
    descending = direction == "desc" or (not direction and sign != "+")
    if name == RELEVANCE and not (sign or direction):
        return None, True
    if name == RELEVANCE:
        raise ValueProblem(f"{text!r}: relevance has no direction (best first)")
    key = SORTS.get(name)
    if key is None:
        raise ValueProblem(f"{text!r}: sort by relevance, {', '.join(SORTS)}")
    return key, descending


def sort_field(name: str) -> str:
    """The index field of a sort key's name (``date`` -> ``doc_date``)."""
    return SORTS[name].field


def stem_field(language: str) -> str:
    """The index field holding the full text stemmed with the stemmer of ``language`` (see
    ``search.analysis.STEM_LANGUAGES``)."""
    return f"stem_{language}"


def facet_field(name: str) -> str:
    """The index field holding the facet values of ``name`` (a member of ``FACETS``)."""
    return f"facet_{name}"


def ordinal(kind: Kind, value: object) -> int:
    """An ordered value as the i64 every engine indexes: cents for amounts, ``YYYYMMDD`` for days."""
    if kind is Kind.AMOUNT:
        return int((value * 100).to_integral_value(rounding=ROUND_HALF_EVEN))  # type: ignore[operator]
    if kind is Kind.DATE:
        return value.year * 10000 + value.month * 100 + value.day  # type: ignore[attr-defined]
    return int(value)  # type: ignore[call-overload]


def derived_values(values: Mapping[str, object]) -> dict[str, object]:
    """The derived fields of a record, from its ``record_values``: ``doc_date``/``doc_amount`` as i64 (see
    ``ordinal``), ``facet_<name>`` as the whole value (normalised for exact kinds, names with their whitespace
    collapsed). Absent values are left out."""
    out: dict[str, object] = {}
    for key in SORTS.values():
        for source in key.sources:
            if source in values:
                out[key.field] = ordinal(key.kind, values[source])
                break
    for name, field, exact in _FACET_FIELDS:
        value = values.get(name)
        if isinstance(value, str):
            text = value if exact else " ".join(value.split())
            if text:
                out[field] = text
    return out


# FACETS with their index field and whether the value is exact (read once per indexed document).
_FACET_FIELDS = tuple((name, facet_field(name), FIELDS[name].kind.exact) for name in FACETS)
