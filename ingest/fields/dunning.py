"""Dunning letters (reminders, formal notices): creditor, debtor, date, amount due, invoices cited, deadline."""

from __future__ import annotations

import re
from datetime import timedelta

from ingest.fields import values as v
from ingest.fields._common import Candidate, Context, best, find_labelled, to_field
from ingest.fields.invoice import find_currency
from ingest.fields.labels import label_pattern
from ingest.fields.parties import find_parties, starts_iban
from ingest.model import FieldValue

__all__ = ["extract_dunning"]

_AMOUNT_DUE = re.compile(
    r"(?<![\w])(?:(?:importo|totale|saldo)\s+(?:complessivo\s+)?(?:dovuto|da\s+saldare|scaduto|insoluto|da\s+pagare)|"
    r"(?:total\s+)?amount\s+(?:due|outstanding|owed|overdue)|total\s+(?:due|outstanding|overdue)|outstanding\s+(?:balance|amount)|"
    r"balance\s+(?:due|outstanding)|offene[rn]?\s+(?:betrag|summe)|gesamtbetrag|montant\s+(?:dû|total\s+dû|impayé)|"
    r"importe\s+(?:adeudado|pendiente|total)|totale|total|(?:sum|somma|importo|amount)\s+(?:complessiv[oa]\s+)?(?:of|di|de))(?![\w])",
    re.IGNORECASE,
)
_DEADLINE = re.compile(
    r"(?<![\w])(?:entro\s+(?:e\s+non\s+oltre\s+)?(?:il\s+)?(?:giorno\s+)?|no\s+later\s+than|(?:received\s+)?by|before|"
    r"bis\s+(?:zum|spätestens)?|spätestens\s+(?:am|bis)|avant\s+le|au\s+plus\s+tard\s+le|antes\s+del?|deadline:?|"
    r"scadenza:?|termine\s+ultimo:?)(?![a-z])",
    re.IGNORECASE,
)
_WITHIN = re.compile(
    r"(?:entro|within|innerhalb\s+von|dans\s+un\s+d[ée]lai\s+de|sous|en\s+un\s+plazo\s+de)\s+(\d{1,3})\s+"
    r"(?:giorni|days|tagen|jours|d[ií]as)",
    re.IGNORECASE,
)
_REF_TOKEN = re.compile(r"(?<![\w/.-])([A-Z0-9]{1,10}(?:[-/.][A-Z0-9]{1,10}){0,4})(?![\w/])")
_INVOICE_WORD = re.compile(
    r"(?<![\w])(?:fattur[ae]|invoices?|rechnung(?:en)?|factures?|facturas?)(?:\s+(?:n(?:r|o|um)?\.?|n[°º]|nos?\.|numbers?|#))?",
    re.IGNORECASE,
)


def place_dates(ctx: Context, score: float) -> list[Candidate]:
    """ "Milano, 8 luglio 2024": a place and a date at the start of a line."""
    text, cands = ctx.doc.text, []
    for m in re.finditer(r"(?m)^[^\n\d,]{2,30},[ \t]*(?:(?:il|le|den|am|the)\s+)?", text):
        got = ctx.read_date(m.end(), min(m.end() + 30, len(text)))
        if got is not None and got[1] - m.end() < 3:
            cands.append(Candidate(got[0], got[1], got[2], score, "text", ["place and date"]))
    return cands


def _letter_date(ctx: Context) -> Candidate | None:
    text = ctx.doc.text
    cands = place_dates(ctx, 0.9)
    cands += find_labelled(ctx, "issue_date", ctx.read_date, max_below=0, hows=("same cell", "right"))
    for c in cands:
        if ctx.doc.locate(c.start, c.end).rel_y > 0.5:
            c.score *= 0.5
    if True:
        for m in v.DATE_RE.finditer(text):
            d = v.parse_date(m.group(0), ctx.language, ctx.order)
            line_start = text.rfind("\n", 0, m.start()) + 1
            if d is not None and re.fullmatch(r"[\s\W]*", text[line_start:m.start()]):
                cands.append(Candidate(d, m.start(), m.end(), 0.85, "position", ["date alone on a line"]))
                break
    return best(cands)


def _amount_due(ctx: Context) -> Candidate | None:
    cands = []
    for m in _AMOUNT_DUE.finditer(ctx.doc.text):
        strength = 0.6 if m.group(0).lower() in {"totale", "total"} else 0.9
        for start, end, how in ctx.doc.values_after(m.end(), 1):
            got = ctx.read_amount(start, min(end, start + 40))
            if got is not None:
                checks = [f"label {m.group(0)!r}"]
                joined = ctx.rejoined_amount(got[1])
                if joined is not None and joined[0] != got[0] and joined[0] in ctx.run_sums((joined[1], joined[2])):
                    # an OCR space inside the amount: the joined reading is the sum of the invoices listed
                    got = joined
                    strength *= 0.9
                    checks.append("re-joined across an OCR space; equals the sum of the amounts listed")
                cands.append(Candidate(got[0], got[1], got[2], strength * (0.85 if how == "below" else 1.0), how,
                                       checks))
                break
    if not cands:
        return None
    top = max(c.score for c in cands)
    good = [c for c in cands if c.score >= top - 0.3 and c.value > 0]
    biggest = max(c.value for c in good)
    for c in good:
        if c.value == biggest:
            c.score = min(1.0, c.score + 0.05)
    return best(good)


def _deadline(ctx: Context, letter: Candidate | None) -> Candidate | None:
    text = ctx.doc.text
    cands = []
    for m in _DEADLINE.finditer(text):
        got = ctx.read_date(m.end(), min(m.end() + 25, len(text)))
        if got is not None and got[1] - m.end() <= 6:
            cands.append(Candidate(got[0], got[1], got[2], 0.85, "text", [f"after {m.group(0).strip()!r}"]))
    cands += find_labelled(ctx, "due_date", ctx.read_date, max_below=0, hows=("same cell",))
    if letter is not None:
        cands = [c for c in cands if c.value > letter.value]
        if not cands:
            m = _WITHIN.search(text)
            if m is not None:
                days = int(m.group(1))
                cands.append(Candidate(letter.value + timedelta(days=days), m.start(), m.end(), 0.7, "text",
                                       [f"{days} days from the letter date"]))
    # a table of overdue invoices lists their own due dates: the deadline is the latest date announced as one
    if cands:
        latest = max(c.value for c in cands)
        for c in cands:
            if c.value == latest:
                c.score += 0.05
    return best(cands)


def _invoice_refs(ctx: Context, exclude: set[str]) -> list[Candidate]:
    doc, text = ctx.doc, ctx.doc.text
    found: dict[str, Candidate] = {}

    def add(token: str, s: int, e: int, score: float, why: str) -> None:
        if starts_iban(text, s):  # the first group of an IBAN printed in groups, not a reference
            return
        token = v.normalize_identifier(token)
        if (not any(c.isdigit() for c in token) or len(token) < 4 or token in exclude or v.DATE_RE.fullmatch(token)
                or (v.parse_amount(token, ctx.language) is not None and not re.search(r"[A-Za-z/-]", token))):
            return
        if token not in found or found[token].score < score:
            found[token] = Candidate(token, s, e, score, "text", [why])

    # a table column under an invoice-number header
    for pattern, _strength in label_pattern("invoice_number"):
        for m in pattern.finditer(text):
            ci = doc.cell_at(m.start())
            if ci is None or (doc.cell_text(ci).strip() != m.group(0).strip() and len(doc.cell_text(ci)) > 25):
                continue
            for j in doc._below(ci, 8):
                cell_text = doc.cell_text(j)
                r = _REF_TOKEN.match(cell_text.strip())
                if r:
                    s = doc.cells[j].start + cell_text.find(r.group(1))
                    add(r.group(1), s, s + len(r.group(1)), 0.85, "invoice table")
    # running text: "fattura n. X", "invoices INV-1 and INV-2"
    for m in _INVOICE_WORD.finditer(text):
        window_end = min(m.end() + 60, len(text))
        for r in _REF_TOKEN.finditer(text, m.end(), window_end):
            between = text[m.end():r.start()]
            if not re.fullmatch(r"[\s,;:#]*(?:(?:and|e|und|et|y|,|&)[\s]*)*", between.replace(r.group(0), "")) and \
                    len(between) > 30:
                break
            add(r.group(1), r.start(1), r.end(1), 0.75, f"after {m.group(0)!r}")
            m_end = r.end()
            if not re.match(r"\s*(?:,|and|e|und|et|y|&)\s*", text[m_end:m_end + 6]):
                break
    return list(found.values())


def extract_dunning(ctx: Context) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    parties = find_parties(ctx)
    if parties.seller is not None:
        out["creditor_name"] = to_field(ctx, "creditor_name", parties.seller)
    if parties.buyer is not None:
        out["debtor_name"] = to_field(ctx, "debtor_name", parties.buyer)
    letter = _letter_date(ctx)
    if letter is not None:
        out["letter_date"] = to_field(ctx, "letter_date", letter)
    amount = _amount_due(ctx)
    if amount is not None:
        out["amount_due"] = to_field(ctx, "amount_due", amount)
    currency = find_currency(ctx, amount)
    if currency is not None:
        out["currency"] = to_field(ctx, "currency", currency)
    deadline = _deadline(ctx, letter)
    if deadline is not None:
        out["payment_deadline"] = to_field(ctx, "payment_deadline", deadline)
    exclude = set()
    for key in ("contract_ref",):
        for c in find_labelled(ctx, key, ctx.read_identifier, max_below=0):
            exclude.add(c.value)
    for m in re.finditer(r"(?<![\w])(?:rif\.|ref\.|our\s+ref\.?|prot\.|ns\.\s*rif\.|unser\s+zeichen|"
    r"n/r[ée]f)\s*:?\s*(\S+)",
                         ctx.doc.text, re.I):
        exclude.add(m.group(1).strip(".,;:"))
    refs = _invoice_refs(ctx, exclude)
    if refs:
        refs.sort(key=lambda c: c.start)
        first = refs[0]
        merged = Candidate(tuple(c.value for c in refs), first.start, first.end,
                           sum(c.score for c in refs) / len(refs), "text", [c.checks[0] for c in refs])
        out["invoice_refs"] = to_field(ctx, "invoice_refs", merged, value=tuple(c.value for c in refs))
    return out
