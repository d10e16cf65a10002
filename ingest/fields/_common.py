"""What every extractor shares: the document context, candidates, label -> value search and the final FieldValue."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from ingest.fields import values as v
from ingest.fields.labels import label_pattern
from ingest.fields.layout import Doc
from ingest.model import FieldValue

__all__ = ["Candidate", "Context", "best", "find_labelled", "to_field"]

_HOW_FACTOR = {"same cell": 1.0, "right": 0.95, "below": 0.85, "text": 0.9, "pattern": 0.7, "position": 0.6}
_SPLIT_AMOUNT = re.compile(rf"(?:{v.CURRENCY_PATTERN}\s?)?(\d[\d.,']*)[ \u00a0](\d[\d.,']*)(?![\d.,]?\d)")
_ID_RE = re.compile(r"(?<![\w/-])#?([A-Z0-9][A-Za-z0-9]*(?:[-/._][A-Za-z0-9]+)*)", re.IGNORECASE)


@dataclass
class Candidate:
    value: object  # Decimal, date or str
    start: int
    end: int
    score: float
    how: str = "text"
    checks: list[str] = field(default_factory=list)
    valid: bool | None = None
    label_at: int | None = None  # where the label that announced the value starts, when one did


@dataclass
class Context:
    doc: Doc
    language: str | None
    order: str  # "DMY" or "MDY"
    order_reason: str

    @classmethod
    def build(cls, doc: Doc, language: str | None) -> Context:
        order, reason = v.date_order(doc.text, language)
        return cls(doc, language, order, reason)

    # value readers over a piece of the text: (value, start, end) of the first value found, or None
    def read_date(self, start: int, end: int) -> tuple[date, int, int] | None:
        for m in v.DATE_RE.finditer(self.doc.text, start, end):
            d = v.parse_date(m.group(0), self.language, self.order)
            if d is not None:
                return d, m.start(), m.end()
        return None

    def read_amount(self, start: int, end: int) -> tuple[Decimal, int, int] | None:
        for m in self.amounts(start, end):
            return m
        return None

    def amounts(self, start: int, end: int) -> Iterator[tuple[Decimal, int, int]]:
        text = self.doc.text
        for m in v.AMOUNT_RE.finditer(text, start, end):
            after = text[m.end():m.end() + 2]
            if after.strip().startswith("%") or text[max(m.start() - 1, 0)] in "%x×":
                continue
            if v.DATE_RE.match(text, m.start()) or self._inside_date(m.start()):
                continue
            amount = v.parse_amount(m.group(0), self.language)
            if amount is not None:
                yield amount, m.start(), m.end()

    def _inside_date(self, pos: int) -> bool:
        """Whether a number is the day or year of a date that starts before it ("August 3, 2014")."""
        lo = max(pos - 12, 0)
        return any(d.start() < pos < d.end() for d in v.DATE_RE.finditer(self.doc.text, lo, pos + 12))

    def rejoined_amount(self, start: int) -> tuple[Decimal, int, int] | None:
        """The amount at ``start`` read again across one stray OCR space ("16,40 1.00" -> 16401.00).

        Only when the joined digits form a well-grouped amount with two decimals; the caller must still check
        it against the arithmetic of the document before trusting it.
        """
        m = _SPLIT_AMOUNT.match(self.doc.text, start)
        if m is None:
            return None
        joined = m.group(1) + m.group(2)
        if not re.fullmatch(r"\d{1,3}(?:([.,'])\d{3})?(?:\1\d{3})*[.,]\d{2}|\d+[.,]\d{2}", joined):
            return None
        value = v.parse_amount(joined, self.language)
        if value is None or value != value.quantize(Decimal("0.01")):
            return None
        return value, m.start(), m.end()

    def run_sums(self, skip: tuple[int, int]) -> set[Decimal]:
        """The sums of every run of two or more consecutive amounts of the document (a table's column total)."""
        amounts = [a for a, s, e in self.amounts(0, len(self.doc.text)) if e <= skip[0] or s >= skip[1]]
        amounts = amounts[:200]
        sums: set[Decimal] = set()
        # signed, and unsigned too: OCR noise before an amount ("«- £6,097.20") reads as a minus sign
        for seq in (amounts, [abs(a) for a in amounts]):
            for i in range(len(seq)):
                total = seq[i]
                for j in range(i + 1, len(seq)):
                    total += seq[j]
                    sums.add(total)
        return sums

    def read_identifier(self, start: int, end: int) -> tuple[str, int, int] | None:
        text = self.doc.text
        for m in _ID_RE.finditer(text, start, min(end, start + 60)):
            token = m.group(1)
            if not any(c.isdigit() for c in token) or len(token) > 30:
                if token.lower() in {"n", "no", "nr", "num", "del", "of", "dated"}:
                    continue
                if any(c.isdigit() for c in token):
                    return None
                continue
            if v.DATE_RE.fullmatch(token):
                return None
            return token, m.start(1), m.end(1)
        return None


def find_labelled(
    ctx: Context,
    label_key: str,
    reader: Callable[[int, int], tuple[object, int, int] | None],
    *,
    max_below: int = 2,
    accept: Callable[[re.Match[str]], bool] | None = None,
    hows: tuple[str, ...] = ("same cell", "right", "below"),
) -> list[Candidate]:
    """Candidates for a value announced by one of a field's labels, searched to the right of and below each label."""
    doc = ctx.doc
    found: list[Candidate] = []
    for pattern, strength in label_pattern(label_key):
        for m in pattern.finditer(doc.text):
            if accept is not None and not accept(m):
                continue
            for start, end, how in doc.values_after(m.end(), max_below):
                if how not in hows:
                    continue
                got = reader(start, end)
                if got is None:
                    continue
                value, s, e = got
                found.append(Candidate(value, s, e, strength * _HOW_FACTOR[how], how, [f"label {m.group(0)!r}"],
                                       label_at=m.start()))
                break
    return found


def best(cands: list[Candidate]) -> Candidate | None:
    """The best candidate; agreement between several candidates on the same value raises its score."""
    if not cands:
        return None
    totals: dict[object, float] = {}
    for c in cands:
        totals[c.value] = totals.get(c.value, 0.0) + c.score
    top = max(cands, key=lambda c: (c.score + 0.1 * (totals[c.value] - c.score), -c.start))
    agreeing = sum(1 for c in cands if c.value == top.value)
    if agreeing > 1:
        top.score = min(1.0, top.score + 0.05 * (agreeing - 1))
        top.checks.append(f"{agreeing} readings agree")
    disagreeing = {c.value for c in cands if c.value != top.value and c.score >= top.score - 0.05}
    if disagreeing:
        top.score *= 0.85
        top.checks.append("another reading scores about as well")
    return top


def to_field(ctx: Context, name: str, cand: Candidate, value: str | tuple[str, ...] | None = None) -> FieldValue:
    """The FieldValue of a candidate: its box, raw text and a confidence from label, OCR and check."""
    loc = ctx.doc.locate(cand.start, cand.end)
    conf = cand.score
    if loc.confidence is not None:
        conf *= 0.6 + 0.4 * loc.confidence
    if cand.valid is True:
        conf = min(1.0, conf + 0.05)
    elif cand.valid is False:
        conf *= 0.5
    if value is None:
        value = _format(cand.value)
    raw = ctx.doc.text[cand.start:cand.end].replace("\t", " ").replace("\n", " ")
    return FieldValue(
        name=name,
        value=value,
        confidence=round(max(0.0, min(conf, 1.0)), 3),
        page=loc.page,
        bbox=loc.bbox,
        valid=cand.valid,
        raw=raw,
        checks=tuple(dict.fromkeys(cand.checks)),
    )


def _format(value: object) -> str:
    if isinstance(value, Decimal):
        return v.format_amount(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
