"""Contracts: number, parties, signing/effective/end dates, value, currency, governing law."""

from __future__ import annotations

import re

from ingest.fields import values as v
from ingest.fields._common import Candidate, Context, best, find_labelled, to_field
from ingest.fields.dunning import place_dates
from ingest.fields.invoice import find_currency
from ingest.fields.labels import LEGAL_FORM
from ingest.fields.parties import clean_name
from ingest.model import FieldValue

__all__ = ["extract_contract"]

_SIGNING = re.compile(
    r"(?<![\w])(?:made\s+(?:and\s+entered\s+into\s+)?(?:on|as\s+of|this)|entered\s+into\s+(?:on|as\s+of|this)|dated(?:\s+as\s+of)?|"
    r"executed\s+(?:on|as\s+of)|signed\s+on|date\s+of\s+(?:this\s+)?agreement:?|agreement\s+date:?|"
    r"stipulat[oa]\s+(?:in\s+\w+\s+)?(?:il|in\s+data)|sottoscritt[oa]\s+(?:il|in\s+data)|in\s+data|"
    r"geschlossen\s+am|unterzeichnet\s+am|fait\s+(?:à\s+\w+\s*,?\s*)?le|firmado\s+el)(?![\w])",
    re.IGNORECASE,
)
_EFFECTIVE = re.compile(
    r"(?<![\w])(?:effective\s+(?:as\s+of|from|on)?|come\s+into\s+(?:force|effect)\s+on|commenc(?:e|ing)\s+on|"
    r"entr[ae]\s+in\s+vigore\s+(?:il|dal)|(?:con\s+)?decorrenza\s+(?:dal(?:l')?|il)?|con\s+effetto\s+(?:dal|a\s+partire\s+dal)|"
    r"a\s+decorrere\s+dal|efficace\s+dal|(?:ha\s+)?efficacia\s+dal|in\s+kraft\s+ab|wirksam\s+ab|prend\s+effet\s+le|entre\s+en\s+vigueur\s+le)(?![\w])",
    re.IGNORECASE,
)
_EFFECTIVE_AFTER = re.compile(r"^\s*\(?\s*(?:the|hereinafter)?\s*[\"“”']*\s*effective\s+date", re.IGNORECASE)
_END = re.compile(
    r"(?<![\w])(?:until|through|expir(?:e|es|ing)\s+on|terminat(?:e|es)\s+on|ending\s+on|"
    r"fino\s+al(?:l')?|sino\s+al(?:l')?|scadenza\s+(?:il|al)|scadrà\s+il|scade\s+il|termine\s+(?:il|del)|al(?=\s+\d)|"
    r"bis\s+(?:zum|einschließlich)|jusqu['’]au|hasta\s+el)(?![\w])",
    re.IGNORECASE,
)
_VALUE = re.compile(
    r"(?<![\w])(?:(?:total|contract|aggregate|estimated)\s+(?:contract\s+)?(?:value|price|amount|fee)|"
    r"valore\s+(?:complessivo|totale|stimato|del\s+contratto)|corrispettivo\s+(?:complessivo|totale|annuo)?|importo\s+complessivo|"
    r"(?:gesamt)?vertragswert|auftragswert|valeur\s+(?:totale\s+)?du\s+contrat|montant\s+total|valor\s+(?:total\s+)?del\s+contrato)(?![\w])",
    re.IGNORECASE,
)
# governing_law is normalised to the jurisdiction whose law governs ("Italy", "England and Wales", "Delaware"), the
# way contract-review datasets label it, whatever the clause's wording or language.
_LAW_EN = re.compile(  # keywords in any case; the place itself must be capitalised
    r"(?i:govern\w*|construed|interpreted|subject\s+to)\b[^.;]{0,80}?\b(?i:the\s+)?"
    r"(?i:substantive\s+|internal\s+|domestic\s+)?(?i:laws?\s+(?:in\s+force\s+in|of))\s+(?i:the\s+)?"
    r"(?P<place>[A-Z]\w*(?:\s+(?:of|and|the|[A-Z]\w*))*)",
)
_LAW_EN_ADJ = re.compile(r"govern\w*\s+(?:\w+\s+){0,3}?by\s+(?:the\s+)?(?P<place>[A-Z]\w*(?:\s+[A-Z]\w*)?)\s+laws?\b")
# "legge italiana", "diritto italiano", "deutschem Recht", "droit français", "ley española", "Swiss law" ...
_NATIONAL = {
    "Italy": r"italian[oa]?|italien(?:ne)?|italienische[mn]?|italiana?",
    "Germany": r"tedesc[oa]|deutsche[mn]?|allemand|alemana?|german",
    "France": r"frances[ea]|französische[mn]?|fran[çc]ais|francesa?|french",
    "Spain": r"spagnol[oa]|spanische[mn]?|espagnol|español(?:a|as)?|spanish",
    "Switzerland": r"svizzer[oa]|schweizerische[mn]?|suisse|suiza|swiss",
    "Austria": r"austriac[oa]|österreichische[mn]?|autrichien|austriaca?|austrian",
    "Belgium": r"belga|belgische[mn]?|belge|belgian",
    "Netherlands": r"olandese|niederländische[mn]?|néerlandais|holandesa|dutch",
}
_LAW_WORD = r"(?:legge|leggi|diritto|law|laws|recht|droit|ley|leyes|derecho|legislaci[oó]n)"
_LAW_NATIONAL = (
    re.compile(
        r"(?<![\w])" + _LAW_WORD + r"\s+(?:della\s+repubblica\s+|dello\s+stato\s+)?(?P<nation>\w+)", re.IGNORECASE
    ),
    re.compile(r"(?P<nation>\w+)\s+" + _LAW_WORD + r"(?![\w])", re.IGNORECASE),
)
_COUNTRY_OF = {
    re.compile(r"^(?:" + pattern + r")$", re.IGNORECASE): country for country, pattern in _NATIONAL.items()
}
_STATE_PREFIX = re.compile(
    r"^(?:the\s+)?(?:State|Commonwealth|Province|Federal\s+Republic|Republic|Kingdom|Principality|Grand\s+Duchy)"
    r"\s+of\s+(?:the\s+)?",
    re.IGNORECASE,
)
_PLACE_END = re.compile(
    r"\s+(?:and\s+(?:the|construed|any|each|all|shall|will|its)|without|excluding|applicable|as\s+(?:applied|in\s+effect)|"
    r"including|in\s+(?:all|each|any)|except|which|that|for|to|shall|will)\b.*$",
    re.IGNORECASE | re.DOTALL,
)


def jurisdiction(place: str) -> str | None:
    """The jurisdiction named by the tail of a "laws of …" phrase: "the State of New York, without" -> "New York"."""
    place = _PLACE_END.sub("", " ".join(place.split())).rstrip(".,;:)")
    place = _STATE_PREFIX.sub("", place).strip()
    if not place or not place[0].isupper() or len(place.split()) > 6:
        return None
    return v.normalize_name(place)


def _country(adjective: str | None) -> str | None:
    if not adjective:
        return None
    return next((country for pattern, country in _COUNTRY_OF.items() if pattern.match(adjective)), None)


_BETWEEN = re.compile(r"(?<![\w])(?:by\s+and\s+between|between|tra|fra|zwischen|entre)(?![\w])\s*:?", re.IGNORECASE)
_RECITALS = re.compile(
    r"(?<![\w])(?:premesso|premesse|whereas|background|recitals|it\s+is\s+(?:hereby\s+)?agreed|si\s+conviene|"
    r"now,?\s+therefore|vorbemerkung|préambule|considerando)",
    re.IGNORECASE,
)


def _dates_after(ctx: Context, pattern: re.Pattern[str], score: float, reach: int = 30) -> list[Candidate]:
    text, out = ctx.doc.text, []
    for m in pattern.finditer(text):
        got = ctx.read_date(m.end(), min(m.end() + reach, len(text)))
        if got is not None and got[1] - m.end() <= reach - 10:
            out.append(Candidate(got[0], got[1], got[2], score, "text", [f"after {m.group(0).strip()!r}"]))
        # "this 14th day of December, 1997"
        dm = re.match(r"\s*(?:the\s+)?(\d{1,2})(?:st|nd|rd|"
        r"th)?\s+day\s+of\s+(\w+),?\s+(\d{4})", text[m.end():m.end() + 40])
        if dm is not None:
            d = v.parse_date(f"{dm.group(1)} {dm.group(2)} {dm.group(3)}", ctx.language, ctx.order)
            if d is not None:
                out.append(Candidate(d, m.end() + dm.start(1), m.end() + dm.end(3), score, "text",
                                     [f"after {m.group(0).strip()!r}"]))
    return out


def _parties(ctx: Context) -> Candidate | None:
    text = ctx.doc.text
    m = _BETWEEN.search(text, 0, min(len(text), 6000))
    if m is None:
        return None
    stop = _RECITALS.search(text, m.end(), m.end() + 3000)
    end = stop.start() if stop else min(m.end() + 1500, len(text))
    names: list[tuple[str, int, int]] = []
    for f in LEGAL_FORM.finditer(text, m.end(), end):
        seg_start = max(text.rfind(sep, m.end(), f.start()) for sep in ("\n", ";", "(1)", "(2)", "(3)", ":", "“", "\""))
        seg_start = max(seg_start, m.end(), names[-1][2] if names else 0)
        # skip a leading "e", "and", "(2)" and the like
        segment = text[seg_start:f.end()]
        lead = re.match(r"[\s;:,\"“(]*(?:\(?\d\)|\d\.)?\s*(?:e|and|und|et|y)?\s+", segment)
        if lead:
            seg_start += lead.end()
        if "," in text[seg_start:f.start()] and not re.search(r"&|\bdi\b", text[seg_start:f.start()]):
            seg_start = text.rfind(",", seg_start, f.start()) + 1
        name = clean_name(text[seg_start:f.end()])
        if name and all(name.lower() != n[0].lower() for n in names) and len(name.split()) <= 8:
            names.append((name, seg_start, f.end()))
    if len(names) < 2:
        return None
    names = names[:4]
    cand = Candidate(tuple(n[0] for n in names), names[0][1], names[0][2], 0.85, "text", ["names after 'between'"])
    return cand


def _law(ctx: Context) -> Candidate | None:
    text = ctx.doc.text
    cands = []
    for m in _LAW_EN.finditer(text):
        place = jurisdiction(m.group("place"))
        if place:
            cands.append(Candidate(place, m.start("place"), m.end("place"), 0.85, "text", ["governing-law clause"]))
    for m in _LAW_EN_ADJ.finditer(text):
        place = _country(m.group("place")) or jurisdiction(m.group("place"))
        if place:
            cands.append(Candidate(place, m.start("place"), m.end("place"), 0.75, "text", ["governing-law clause"]))
    for m in (m for pattern in _LAW_NATIONAL for m in pattern.finditer(text)):
        country = _country(m.group("nation"))
        if country:
            cands.append(Candidate(country, m.start(), m.end(), 0.8, "text", ["national-law phrase"]))
    return best(cands)


_NUMBER_LABEL = re.compile(r"(?<![\w])(?:n[or]\.|n[°º]|nr|no|#|num(?:ber|ero)?)\s*:?\s*$", re.IGNORECASE)


def _headed_number(ctx: Context) -> list[Candidate]:
    """A number announced by "No."/"Nr."/"N°" in the head of the first page, when the words before that were
    unreadable: only a structured identifier (digits with letters or separators), and with less confidence."""
    doc, text, found = ctx.doc, ctx.doc.text, []
    for cell in doc.cells[:40]:
        if cell.page != doc.cells[0].page or doc.locate(cell.start, cell.end).rel_y > 0.15:
            continue
        for m in re.finditer(r"\S+", text[cell.start:cell.end]):
            start = cell.start + m.start()
            token = v.normalize_identifier(m.group(0))
            if not (_NUMBER_LABEL.search(text[cell.start:start]) and re.search(r"\d", token)
                    and re.search(r"[A-Za-z]|[-/.]\d", token) and not v.DATE_RE.fullmatch(token) and len(token) >= 4):
                continue
            found.append(Candidate(token, start, start + len(token), 0.5, "position",
                                   ["number after 'No.' at the head of the document; the words before it unreadable"]))
            break
        if found:
            break
    return found


def extract_contract(ctx: Context) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}

    def put(name: str, cand: Candidate | None, value: object = None) -> None:
        if cand is not None:
            out[name] = to_field(ctx, name, cand, value)  # type: ignore[arg-type]

    number = find_labelled(ctx, "contract_ref", ctx.read_identifier, max_below=1)
    for c in number:
        c.score *= 1.0 - 0.3 * ctx.doc.locate(c.start, c.end).rel_y * (ctx.doc.locate(c.start, c.end).page or 1)
    if not number:
        number = _headed_number(ctx)
    put("contract_number", best(number))
    parties = _parties(ctx)
    put("parties", parties, parties.value if parties else None)
    signing = _dates_after(ctx, _SIGNING, 0.9)
    signing += place_dates(ctx, 0.7)
    if not signing:  # the first date of the document
        for m in v.DATE_RE.finditer(ctx.doc.text):
            d = v.parse_date(m.group(0), ctx.language, ctx.order)
            if d is not None:
                signing.append(Candidate(d, m.start(), m.end(), 0.4, "position", ["first date in the document"]))
                break
    sign = best(signing)
    put("signing_date", sign)
    effective = _dates_after(ctx, _EFFECTIVE, 0.9)
    text = ctx.doc.text
    for m in v.DATE_RE.finditer(text):  # "as of June 21, 1999 (the "Effective Date")"
        if _EFFECTIVE_AFTER.match(text[m.end():m.end() + 40]):
            d = v.parse_date(m.group(0), ctx.language, ctx.order)
            if d is not None:
                effective.append(Candidate(d, m.start(), m.end(), 0.95, "text", ["date defined as the Effective Date"]))
    eff = best(effective)
    put("effective_date", eff)
    ends = _dates_after(ctx, _END, 0.85, reach=25)
    start_date = eff.value if eff else (sign.value if sign else None)
    if start_date is not None:
        ends = [c for c in ends if c.value > start_date]
    end = best(sorted(ends, key=lambda c: c.start)[:3])
    put("end_date", end)
    values = []
    for m in _VALUE.finditer(text):
        for a in ctx.amounts(m.end(), min(m.end() + 120, len(text))):
            if a[0] > 0:
                has_cur = v.currency_of(text[max(a[1] - 4, 0):a[2] + 4]) is not None
                values.append(Candidate(a[0], a[1], a[2], 0.9 if has_cur else 0.6, "text", [f"after {m.group(0)!r}"]))
                break
    value = best(values)
    put("contract_value", value)
    put("currency", find_currency(ctx, value))
    put("governing_law", _law(ctx))
    return out
