"""Invoices and credit notes: number, dates, amounts, currency, parties, IBAN, contract reference."""

from __future__ import annotations

import re
from itertools import product

from ingest.fields import validate as chk
from ingest.fields import values as v
from ingest.fields._common import Candidate, Context, best, find_labelled, to_field
from ingest.fields.labels import NOT_TAX, NOT_TOTAL
from ingest.fields.parties import find_iban, find_parties
from ingest.model import FieldValue

__all__ = ["extract_invoice", "find_currency", "find_dates", "find_totals"]

_DUE_WORDS = re.compile(r"due|scad|f[äa]llig|[ée]ch[ée]ance|vencim|limite|payable|zahlbar|entro|by|bis|avant", re.I)


# "Total of discounts", "Gesamtbetrag der Zuschläge", "totale degli sconti": the sum of a part, not of the document
_TOTAL_OF_PART = re.compile(
    r"\s*(?:of(?:\s+the)?|der|des|aller|dei|degli|delle|de(?:s|\s+las?|\s+los)?)\s+(?:zu|ab|rabatt|nachl|skont|"
    r"posit|artikel|allowance|charge|discount|item|line|sconti|abbuon|remise|ligne|article|descuento|l[ií]nea)",
    re.IGNORECASE,
)


def _not_due(ctx: Context):
    text = ctx.doc.text

    def accept(m: re.Match[str]) -> bool:
        before = text[max(m.start() - 14, 0):m.start()]
        after = text[m.end():m.end() + 16]
        if re.search(r"\b(?:due|payment|scadenza|limite|f[äa]llig|zahlungs?|leistungs?|liefer)\W*$", before, re.I):
            return False
        return not re.match(r"\s*(?:di\s+)?(?:scadenza|due|d['’]?[ée]ch|limite|de\s+vencim|of\s+(?:delivery|supply))",
                            after, re.I)

    return accept


def find_dates(ctx: Context) -> tuple[Candidate | None, Candidate | None]:
    """The issue date and the due date."""
    due = find_labelled(ctx, "due_date", ctx.read_date, max_below=2)
    issue = find_labelled(ctx, "issue_date", ctx.read_date, max_below=2, accept=_not_due(ctx))
    due_spans = {(c.start, c.end) for c in due if c.score >= 0.7}
    for c in issue:
        c.score *= 1.0 - 0.25 * ctx.doc.locate(c.start, c.end).rel_y
    issue = [c for c in issue if (c.start, c.end) not in due_spans]
    if not issue:  # the first date near the top of the first page
        for m in v.DATE_RE.finditer(ctx.doc.text):
            d = v.parse_date(m.group(0), ctx.language, ctx.order)
            loc = ctx.doc.locate(m.start(), m.end())
            if d is not None and (m.start(), m.end()) not in due_spans and loc.rel_y < 0.5:
                issue.append(Candidate(d, m.start(), m.end(), 0.4, "position", ["first date on the page"]))
                break
    if not issue:
        for m in v.DATE_RE.finditer(ctx.doc.text):
            d = v.parse_date(m.group(0), ctx.language, ctx.order)
            if d is not None and (m.start(), m.end()) not in due_spans:
                issue.append(Candidate(d, m.start(), m.end(), 0.3, "position", ["only date in the document"]))
                break
    i, d = best(issue), best(due)
    for c in (i, d):
        if c is not None:
            c.checks.append(ctx.order_reason)
    if i is not None and d is not None:
        ok, words = chk.check_dates(i.value, d.value)
        d.valid = ok
        d.checks.append(words)
        if ok is False:
            d.score *= 0.6
    return i, d


def _amount_cands(ctx: Context, key: str) -> list[Candidate]:
    text = ctx.doc.text

    def accept(m: re.Match[str]) -> bool:
        before = text[max(m.start() - 12, 0):m.start()]
        after = text[m.end():m.end() + 14]
        if key == "total_amount":
            return not (NOT_TOTAL.search(before) or NOT_TOTAL.match(after) or _TOTAL_OF_PART.match(after))
        if key == "tax_amount":
            if NOT_TAX.match(after) or re.search(r"(?:partita|p\.|n[°º.]?|ust|reg\.?)\s*$", before, re.I):
                return False
            return not re.search(r"(?:incl|excl|ex|before|senza|esclusa|ohne|inkl|hors|plus)[.\s]*$", before, re.I)
        if key == "net_amount":
            return not re.match(r"\s*(?:à\s+payer|a\s+pagare|weight|peso|gewicht)", after, re.I)
        return True

    cands = find_labelled(ctx, key, ctx.read_amount, max_below=1, accept=accept)
    for c in cands:
        loc = ctx.doc.locate(c.start, c.end)
        c.score *= 0.8 + 0.2 * loc.rel_y  # totals sit low on the page
        if c.how == "below":
            c.score *= 0.9
    return cands


def _top(cands: list[Candidate], k: int = 4) -> list[Candidate]:
    seen: dict[object, Candidate] = {}
    for c in sorted(cands, key=lambda c: -c.score):
        seen.setdefault(c.value, c)
    return list(seen.values())[:k]


def find_totals(ctx: Context) -> dict[str, Candidate]:
    """Net, tax and total: the best-scoring combination that adds up, else the best of each."""
    cands = {k: _amount_cands(ctx, k) for k in ("net_amount", "tax_amount", "total_amount")}
    if not cands["total_amount"]:
        amounts = list(ctx.amounts(0, len(ctx.doc.text)))
        with_currency = [a for a in amounts if v.currency_of(ctx.doc.text[a[1]:a[2]])]
        pool = with_currency or amounts
        if pool:
            value, s, e = max(pool, key=lambda a: a[0])
            cands["total_amount"].append(Candidate(value, s, e, 0.35, "position", ["largest amount"]))
    chosen: dict[str, Candidate] = {}
    tops = {k: _top(c) for k, c in cands.items()}
    # an amount split by an OCR space ("3. 181,52"): its joined reading competes only where the sums agree
    for k in tops:
        for c in list(tops[k]):
            joined = ctx.rejoined_amount(c.start)
            if joined is not None and joined[0] != c.value:
                tops[k].append(Candidate(joined[0], joined[1], joined[2], c.score * 0.85, c.how,
                                         [*c.checks, "re-joined across an OCR space"]))
    combos = []
    for n, t, g in product(tops["net_amount"] or [None], tops["tax_amount"] or [None], tops["total_amount"] or [None]):
        if n is None or t is None or g is None:
            continue
        if chk.check_amounts(n.value, t.value, g.value)[0] and g.value > 0:
            combos.append((n.score + t.score + g.score, n, t, g))
    if combos:
        _, n, t, g = max(combos, key=lambda x: x[0])
        for name, c in (("net_amount", n), ("tax_amount", t), ("total_amount", g)):
            c.score = min(1.0, c.score + 0.1)
            c.valid = True
            c.checks.append("net + tax = total")
            chosen[name] = c
        return chosen
    for k, cs in cands.items():
        b = best(cs)
        if b is not None:
            chosen[k] = b
    n, t, g = (chosen.get(k) for k in ("net_amount", "tax_amount", "total_amount"))
    if n and t and g:
        ok, words = chk.check_amounts(n.value, t.value, g.value)
        for c in (n, t, g):
            c.valid = ok
            c.checks.append(words)
            c.score *= 0.7
    return chosen


def find_currency(ctx: Context, near: Candidate | None) -> Candidate | None:
    """The document's currency: the one printed with the total, else the one named most often."""
    counts = v.currencies_in(ctx.doc.text)
    if not counts:
        return None
    text = ctx.doc.text
    code, start, end, score = None, 0, 0, 0.7
    if near is not None:
        ci = ctx.doc.cell_at(near.start)
        line = ctx.doc.cells[ci].line if ci is not None else None
        spans = [(ctx.doc.cells[j].start, ctx.doc.cells[j].end) for j in ctx.doc.line_cells[line]] if line is not None \
            else []
        for s, e in spans:
            found = v.currency_of(text[s:e])
            if found:
                code, start, end, score = found, s, e, 0.95
                break
    if code is None:
        code = max(counts, key=lambda k: counts[k])
        m = re.search(re.escape(code) if len(code) == 3 else code, text)
        start, end = (m.start(), m.end()) if m else (0, 0)
        for sym, iso in (("€", "EUR"), ("£", "GBP"), ("$", "USD")):
            if iso == code and sym in text:
                i = text.find(sym)
                start, end = i, i + 1
    cand = Candidate(code, start, end, score, "text", ["currency printed in the document"])
    others = {k for k in counts if k != code}
    if others and counts.get(code, 0) <= sum(counts[k] for k in others):
        cand.valid = False
        cand.checks.append("several currencies in the document: " + ", ".join(sorted({code, *others})))
    else:
        cand.valid = True
        cand.checks.append("one currency in the document")
    return cand


# words that make the invoice number after them one the document cites (the invoice a credit note reverses,
# the one a reminder or a correction refers to), not the document's own number
_CITING = re.compile(
    r"(?<![\w])(?:storn[oia]|stornata|a\s+fronte|rif(?:erimento|\.)?|relativ[oa]|riferit[oa]|rettific[ao]|"
    r"re:|ref(?:erence|\.)?|refers?\s+to|referring\s+to|regarding|against|cancel+(?:s|ing|ation\s+of)?|"
    r"correct(?:s|ing|ion\s+of)|in\s+respect\s+of|credit(?:ed)?\s+(?:for|against)|"
    r"bezug|bezüglich|zur|korrektur|sur|annul\w*|correspondant\s+à|anula\w*|rectifica\w*)"
    r"[^\n\d]{0,30}$",
    re.IGNORECASE,
)


def cited(text: str, label_start: int) -> bool:
    """Whether a number label is preceded, in its own cell, by a word that makes its number a cited one."""
    cell_start = max(text.rfind("\n", 0, label_start), text.rfind("\t", 0, label_start)) + 1
    before = text[max(cell_start, label_start - 45):label_start]
    return _CITING.search(before) is not None


def find_invoice_number(ctx: Context) -> Candidate | None:
    text = ctx.doc.text
    cands = find_labelled(ctx, "invoice_number", ctx.read_identifier, max_below=2,
                          accept=lambda m: not cited(text, m.start()))
    for c in cands:
        if re.fullmatch(r"\d{1,2}", c.value):
            c.score *= 0.4  # a page or line number more likely than an invoice number
        if v.parse_amount(c.value, ctx.language) is not None and re.search(r"[.,]\d{2}$", c.value):
            c.score *= 0.3
    return best(cands)


def find_contract_ref(ctx: Context) -> Candidate | None:
    cands = find_labelled(ctx, "contract_ref", ctx.read_identifier, max_below=1)
    # "under the contract signed in 2023": a year or a clause number is not a reference
    cands = [c for c in cands if not re.fullmatch(r"(?:19|20)\d\d|\d{1,2}", c.value)]
    if not cands:
        doc = ctx.doc

        def alone(m: re.Match[str]) -> bool:  # the word is the whole of its cell: a label, not prose
            ci = doc.cell_at(m.start())
            return ci is not None and doc.cell_text(ci).strip(" :.#\t").lower() == m.group(0).lower()

        cands = find_labelled(ctx, "contract_word", ctx.read_identifier, max_below=0, accept=alone,
                              hows=("right",))
        for c in cands:
            if not re.search(r"\d", c.value) or v.DATE_RE.fullmatch(c.value):
                c.score = 0.0
        cands = [c for c in cands if c.score > 0]
    return best(cands)


def extract_invoice(ctx: Context) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}

    def put(name: str, cand: Candidate | None) -> None:
        if cand is not None:
            out[name] = to_field(ctx, name, cand)

    put("invoice_number", find_invoice_number(ctx))
    issue, due = find_dates(ctx)
    put("issue_date", issue)
    put("due_date", due)
    totals = find_totals(ctx)
    for k, c in totals.items():
        put(k, c)
    put("currency", find_currency(ctx, totals.get("total_amount")))
    parties = find_parties(ctx)
    put("seller_name", parties.seller)
    put("buyer_name", parties.buyer)
    put("seller_vat_id", parties.seller_vat)
    put("buyer_vat_id", parties.buyer_vat)
    put("buyer_tax_code", parties.buyer_tax_code)
    put("iban", find_iban(ctx))
    ref = find_contract_ref(ctx)
    if ref is not None and "invoice_number" in out and ref.value == out["invoice_number"].value:
        ref = None
    put("contract_ref", ref)
    return out

