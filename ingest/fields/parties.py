"""Who is who: seller and buyer names, their VAT ids and tax codes, and the IBAN.

The buyer is found from an addressee label ("Spett.le", "Bill to", "Rechnungsempfänger"...) and the block of
lines under it; the seller from a seller label, or the company name in the header or footer that is not the
buyer. An identifier belongs to the buyer when it lies in the buyer's block, else to the seller.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ingest.fields import validate as chk
from ingest.fields import values as v
from ingest.fields._common import Candidate, Context, best, find_labelled
from ingest.fields.labels import LEGAL_FORM, label_pattern

__all__ = ["Parties", "find_iban", "find_parties", "starts_iban"]

_ADDRESS = re.compile(
    r"^\s*(?:\d|via\b|viale\b|piazza\b|corso\b|p\.zza|strada\b|loc\.|c/o\b|unit\b|suite\b|p\.?o\.?\s*box|"
    r"rue\b|avenue\b|calle\b|tel\b|tel\.|fax\b|phone\b|e-?mail\b|pec\b|www\.|http|iban\b|bic\b|swift\b)"
    r"|\b(?:street|str\.|straße|strasse|road|avenue|lane|via)\b\s*\d|@|\b\d{5}\b|\b[A-Z]{1,2}\d{1,2}[A-Z]?\s\d[A-Z]{2}\b",
    re.IGNORECASE,
)
_NOT_NAME = re.compile(
    r"^\s*(?:(?:invoic\w*|fattur\w*|rechnung\w*|factur\w*|date|data|datum|page|pagina|seite|total|totale|vat|iva|"
    r"p\.?\s?iva|partita|c\.?f\.?|codice|ust|tax|description|descrizione|oggetto|subject|rif|ref|"
    r"bank|banca|conto|account\w*|payment\w*|pagament\w*|deliver\w*|ship\w*|qty)(?![a-zà-ÿ])|"
    r"re:|q\.tà|n\.|no\.|nr\.|#|name:?$|"
    r"(?:società|company|sirs|signori|cliente|customer|client|madam|sir|dear|gentile|egregi)\W*$)",
    re.IGNORECASE,
)
_LEADING = re.compile(r"^[\s.,;:'‘’\"“”|]*(?:\(\w{1,3}\)|\d{1,2}[.)])?\s*(?:name|nome|firma|"
r"ragione\s+sociale|company)?\s*:?\s*", re.I)
_VAT_VALUE = re.compile(r"(?<![A-Za-z0-9])((?:[A-Z]{2}[\s.]?)?\d[\d\s.]{6,16}\d|"
r"[A-Z]{2}\s?[0-9A-Z]{2,3}(?:[\s.]?[0-9A-Z]{2,4}){1,4})")
_VAT_ANY = re.compile(
    r"(?<![A-Za-z0-9])(?:AT\s?U|BE\s?0?|DE|DK|ES\s?[A-Z0-9]|FI|FR\s?[A-Z0-9]{2}|GB|IE|IT|LU|NL|PL|PT|SE|CH[E-]?|CZ|SK|SI|"
    r"HR|HU|RO|BG|EE|LV|LT|GR|EL|CY|MT)[\s.]?\d(?:[\s.-]?[0-9A-Z]){6,13}(?![A-Za-z0-9])"
)
_CF = re.compile(r"(?<![A-Za-z0-9])[A-Z]{6}\s?\d{2}[A-Z]\d{2}\s?[A-Z]\d{3}[A-Z](?![A-Za-z0-9])")
_IBAN = re.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\s?\d{2}(?:[\s-]?[A-Z0-9]){10,30}")


@dataclass
class Parties:
    seller: Candidate | None
    buyer: Candidate | None
    seller_vat: Candidate | None
    buyer_vat: Candidate | None
    buyer_tax_code: Candidate | None
    buyer_block: set[int]  # cell indices


def clean_name(text: str) -> str | None:
    """A party's name from a piece of text: leading labels and numbering off, cut after the legal form."""
    text = text.split("\t")[0].split("\n")[0]
    text = _LEADING.sub("", text)
    m = LEGAL_FORM.search(text)
    if m is not None and (m.start() == 0 or not (text[m.start() - 1].isspace() or text[m.start() - 1] in ",.&")
                          or not re.search(r"[^\W\d_]{2}", text[:m.start()])):
        return None  # "NS/SA", "REF-AG": a code that ends in letters shaped like a legal form, not a name
    text = text[: m.end()] if m else re.split(r",|\s[-–|]\s|\(", text)[0]
    text = v.normalize_name(text)
    if len(text) < 3 or len(text) > 90 or sum(c.isalpha() for c in text) < 3:
        return None
    if _ADDRESS.search(text) or _NOT_NAME.match(text) or len(text.split()) > 8:
        return None
    if m is None and re.search(r"\d|/", text):
        return None
    if not any(c.isupper() for c in text):  # names are printed capitalised; "ist" is OCR debris
        return None
    return text


def _name_reader(ctx: Context):
    def read(start: int, end: int):
        name = clean_name(ctx.doc.text[start:end])
        if name is None:
            return None
        s = ctx.doc.text.find(name[:8], start, end)
        s = start if s < 0 else s
        return name, s, s + len(name)

    return read


def _block(ctx: Context, cell_index: int, lines: int = 7) -> set[int]:
    """The cells of an address block: the anchor cell and the cells under it that share its column."""
    doc = ctx.doc
    anchor = doc.cells[cell_index]
    block = {cell_index}
    block.update(j for j in doc.line_cells[anchor.line] if doc.cells[j].x0 >= anchor.x0 - 2 and
                 doc.cells[j].x0 <= anchor.x1 + 4 * anchor.height)
    last_y = anchor.y1
    for line in range(anchor.line + 1, min(anchor.line + 1 + lines, len(doc.line_cells))):
        hit = False
        for j in doc.line_cells[line]:
            c = doc.cells[j]
            if c.page != anchor.page:
                continue
            if abs(c.x0 - anchor.x0) < 2.5 * anchor.height or (c.x0 >= anchor.x0 - 2 and c.x0 < anchor.x1):
                if c.y0 - last_y > 3 * anchor.height:
                    continue
                block.add(j)
                last_y = max(last_y, c.y1)
                hit = True
        if not hit and line > anchor.line + 1:
            break
    return block


_NAME_LABEL = re.compile(
    r"^\s*(?:name|nombre|nome|nom|firma|ragione\s+sociale|raison\s+sociale|raz[oó]n\s+social|company(?:\s+name)?|"
    r"denominazione)(?!\w)\s*:?\s*", re.IGNORECASE)
# a labelled line of a party block ("Number: 4711", "Kunden-Nr. : 339420", "Tel 030 1234"): not the name
_FIELD_LINE = re.compile(r"^[^\d:]{1,30}:|:\s*$|^\s*:")


def role_of_heading(text: str) -> str | None:
    """"buyer" or "seller" when a cell is nothing but a role heading ("Supplier:", "Käufer/Leistungsempfänger")."""
    parts = [p.strip() for p in re.split(r"\s*/\s*", text.strip().rstrip(":").strip())]
    for role in ("buyer", "seller"):
        if parts and all(p and any(pat.fullmatch(p) for pat, _ in label_pattern(role)) for p in parts):
            return role
    return None


def _whole_line_name(ctx: Context, got: tuple[str, int, int], end: int) -> tuple[str, int, int]:
    """A name read from a line of its own in a party block keeps the capitalised words after its legal form
    ("Nord AG Ost"): on such a line there is no address or other field for them to belong to."""
    name, s, e = got
    rest = ctx.doc.text[e:end].split("\t")[0].rstrip()
    if rest and re.fullmatch(r"(?:\s+[A-ZÀ-Ý][\w-]*){1,2}", rest) and not _ADDRESS.search(rest) \
            and LEGAL_FORM.search(name) and name.endswith(LEGAL_FORM.findall(name)[-1]):
        return v.normalize_name(name + rest), s, e + len(rest)
    return got


def _heading_blocks(ctx: Context) -> dict[str, list[Candidate]]:
    """Names from party blocks introduced by a heading of their own: the heading on its own line, then lines in
    its column; the name is on a "Name:" line, else the first line that reads as a name, skipping labelled lines
    (customer numbers, ids) and stopping at the address or at the next heading."""
    doc = ctx.doc
    read_name = _name_reader(ctx)
    found: dict[str, list[Candidate]] = {"buyer": [], "seller": []}
    for hi, head in enumerate(doc.cells):
        role = role_of_heading(doc.cell_text(hi))
        if role is None or len(doc.line_cells[head.line]) > 2:
            continue
        alone = len(doc.line_cells[head.line]) == 1  # side-by-side headings: the labelled search covers them
        plain: Candidate | None = None
        named: Candidate | None = None
        last_y = head.y1
        for line in range(head.line + 1, min(head.line + 9, len(doc.line_cells))):
            cells = [j for j in doc.line_cells[line] if doc.cells[j].page == head.page
                     and abs(doc.cells[j].x0 - head.x0) < 2.5 * head.height]
            if not cells:
                continue
            first = doc.cells[cells[0]]
            if first.y0 < head.y0 or first.y0 - last_y > 3 * head.height:
                break
            last_y = first.y1
            text = doc.cell_text(cells[0])
            if role_of_heading(text) is not None:
                break
            row = [j for j in doc.line_cells[line] if doc.cells[j].x0 >= first.x0]
            label = _NAME_LABEL.match(text)
            if label is not None:
                spans = [(first.start + label.end(), first.end)] if label.end() < len(text) else []
                spans += [(doc.cells[j].start, doc.cells[j].end) for j in row if j != cells[0]][:1]
                for s, e in spans:
                    got = read_name(s, e)
                    if got is not None:
                        got = _whole_line_name(ctx, got, e)
                        named = Candidate(got[0], got[1], got[2], 0.97, "below", [f"Name line under {role} heading"])
                        break
                if named is not None:
                    break
                continue
            nxt = [j for j in row if j != cells[0]][:1]
            if _FIELD_LINE.search(text) or (nxt and doc.cell_text(nxt[0]).lstrip().startswith(":")):
                continue
            if plain is None and alone:
                got = read_name(first.start, first.end)
                if got is not None:
                    got = _whole_line_name(ctx, got, first.end)
                    plain = Candidate(got[0], got[1], got[2], 0.93, "below", [f"first name line under {role} heading"])
                elif _ADDRESS.search(text):
                    break
        chosen = named or plain
        if chosen is not None:
            chosen.label_at = head.start
            found[role].append(chosen)
    return found


def find_parties(ctx: Context, *, want_buyer: bool = True) -> Parties:
    doc = ctx.doc
    read_name = _name_reader(ctx)
    headed = _heading_blocks(ctx)
    buyer_cands = find_labelled(ctx, "buyer", read_name, max_below=2) + headed["buyer"] if want_buyer else []
    for c in buyer_cands:
        if c.value[:1].islower():  # "a orante Da Gino": the start of the name lost to OCR; show it, doubtfully
            c.score *= 0.6
            c.checks.append("begins in lower case: the start of the name may be lost to OCR")
    buyer = best(buyer_cands)
    buyer_block: set[int] = set()
    if buyer is not None:
        ci = doc.cell_at(buyer.start)
        if ci is not None:
            buyer_block = _block(ctx, ci)
            # the label's own cell belongs to the block too
            buyer_block |= {j for j in range(max(ci - 3, 0), ci) if doc.cells[j].line >= doc.cells[ci].line - 2
                            and abs(doc.cells[j].x0 - doc.cells[ci].x0) < 2 * doc.cells[ci].height
                            and label_strength(doc.cell_text(j), "buyer") > 0}

    seller_cands = find_labelled(ctx, "seller", read_name, max_below=2)
    for c in seller_cands:
        c.score *= 0.95
    seller_cands += headed["seller"]
    buyer_key = buyer.value.lower() if buyer is not None else None
    for m in LEGAL_FORM.finditer(doc.text):
        ci = doc.cell_at(m.start())
        if ci is None or ci in buyer_block:
            continue
        cell = doc.cells[ci]
        line_text = doc.text[cell.start:cell.end]
        if re.search(r"\b(?:bank|banca|banque|banco|bic|iban)\b", line_text, re.I):
            continue
        name = clean_name(doc.text[cell.start:m.end()])
        if name is None or (buyer_key and name.lower() == buyer_key):
            continue
        loc = doc.locate(cell.start, cell.end)
        if cell.page == doc.cells[0].page and loc.rel_y < 0.2:
            score = 0.85
        elif loc.rel_y > 0.85:
            score = 0.75
        else:
            score = 0.45
        seller_cands.append(Candidate(name, cell.start, cell.start + len(name), score, "position", ["company name"]))
    if not seller_cands and doc.cells:
        name = clean_name(doc.cell_text(0))
        if name is not None and name.lower() != (buyer_key or ""):
            seller_cands.append(Candidate(name, doc.cells[0].start, doc.cells[0].start + len(name), 0.4, "position",
                                          ["first line of the document"]))
    seller_cands = [c for c in seller_cands if c.value.lower() != buyer_key]
    seller = best(_merge_names(seller_cands))
    if want_buyer and buyer is None and seller is not None:
        others = [c for c in seller_cands if c.how == "position" and c.value.lower() != seller.value.lower()
                  and doc.locate(c.start, c.end).rel_y < 0.45 and doc.locate(c.start, c.end).page == 1]
        if others:
            first = min(others, key=lambda c: c.start)
            buyer = Candidate(first.value, first.start, first.end, 0.6, "position", ["other company in the header"])
            ci = doc.cell_at(buyer.start)
            if ci is not None:
                buyer_block = _block(ctx, ci)

    seller_vat, buyer_vat = _vat_ids(ctx, buyer_block)
    tax_code = _tax_code(ctx, buyer_block)
    return Parties(seller, buyer, seller_vat, buyer_vat, tax_code, buyer_block)


def _merge_names(cands: list[Candidate]) -> list[Candidate]:
    """Case-insensitive agreement: "NORTHGATE SUPPLIES LTD" agrees with "Northgate Supplies Ltd"."""
    keys: dict[str, object] = {}
    for c in cands:
        c.value = keys.setdefault(c.value.lower(), c.value)
    return cands


_BUYER_WORD = re.compile(
    r"(?<![\w])(?:client[ei]?|customer|buyer|purchaser|committente|cessionario|destinatario|acquirente|kunden?|"
    r"leistungsempf[äa]nger|acheteur|comprador|destinataire)(?![\w])",
    re.IGNORECASE,
)
_SELLER_WORD = re.compile(
    r"(?<![\w])(?:fornitore|cedente|prestatore|supplier|seller|vendor|lieferant|verk[äa]ufer|fournisseur|"
    r"vendeur|proveedor|vendedor)(?![\w])",
    re.IGNORECASE,
)


def label_owner(ctx: Context, cand: Candidate) -> str | None:
    """"buyer" or "seller" when the label of an identifier names its owner ("Partita IVA cliente", "Supplier VAT")."""
    if cand.label_at is None:
        return None
    text = ctx.doc.text
    ci = ctx.doc.cell_at(cand.label_at)
    if ci is None:
        return None
    cell = ctx.doc.cells[ci]
    # the label's own cell only, up to the value when the value shares it
    around = text[cell.start:min(cell.end, cand.start) if cand.start > cell.start else cell.end]
    if _BUYER_WORD.search(around):
        return "buyer"
    if _SELLER_WORD.search(around):
        return "seller"
    return None


def _vat_ids(ctx: Context, buyer_block: set[int]) -> tuple[Candidate | None, Candidate | None]:
    doc = ctx.doc

    def read(start: int, end: int):
        m = _VAT_VALUE.search(doc.text, start, min(end, start + 40))
        if m is None or m.start() - start > 12:
            return None
        value = v.normalize_vat_id(m.group(1), ctx.language)
        if len(value) < 8 or not any(c.isdigit() for c in value):
            return None
        return value, m.start(1), m.end(1)

    cands = find_labelled(ctx, "vat_id", read, max_below=2)
    seen = {(c.start, c.end) for c in cands}
    for m in _VAT_ANY.finditer(doc.text):
        if any(s <= m.start() < e for s, e in seen):
            continue
        value = v.normalize_vat_id(m.group(0))
        ok, _ = chk.check_vat_id(value)
        if ok:
            cands.append(Candidate(value, m.start(), m.end(), 0.6, "pattern", ["VAT id pattern"]))
    seller: list[Candidate] = []
    buyer: list[Candidate] = []
    for c in cands:
        ok, words = chk.check_vat_id(c.value)
        if ok is None and re.fullmatch(r"\d{11}", c.value):
            ok, words = chk.check_tax_code(c.value)
        if ok is not True and ctx.language == "it" and (fixed := chk.recover_partita_iva(c.value)) is not None:
            # e.g. "IT" read as two digits: keep the one window that passes, and say how unsure that is
            c.value, c.score, ok = "IT" + fixed, c.score * 0.6, True
            words = f"read as {c.value}: the only 11-digit window of the OCR text that passes the check digit"
        c.valid, c.checks = ok, [*c.checks, words]
        if ok is False:
            c.score *= 0.6
        ci = doc.cell_at(c.start)
        owner = label_owner(ctx, c)
        if owner is not None:
            c.checks.append(f"label names the {owner}")
        (buyer if owner == "buyer" or (owner is None and ci in buyer_block) else seller).append(c)
    return best(seller), best(buyer)


def _tax_code(ctx: Context, buyer_block: set[int]) -> Candidate | None:
    doc = ctx.doc

    def read(start: int, end: int):
        m = re.search(r"[A-Z]{6}\s?\d{2}[A-Z]\d{2}\s?[A-Z]\d{3}[A-Z]|(?<![\dA-Z])\d{11}(?!\d)", doc.text[start:end])
        if m is None or m.start() > 40:
            return None
        return v.normalize_tax_code(m.group(0)), start + m.start(), start + m.end()

    cands = []
    for c in find_labelled(ctx, "tax_code", read, max_below=1):
        owner = label_owner(ctx, c)
        if owner == "buyer" or (owner is None and doc.cell_at(c.start) in buyer_block):
            cands.append(c)
    block_lines = {doc.cells[j].line for j in buyer_block}
    block_page = doc.cells[min(buyer_block)].page if buyer_block else None
    for m in _CF.finditer(doc.text):
        ci = doc.cell_at(m.start())
        value = v.normalize_tax_code(m.group(0))
        if ci in buyer_block:
            cands.append(Candidate(value, m.start(), m.end(), 0.7, "pattern", ["codice fiscale pattern"]))
        elif ci is not None and block_lines and doc.cells[ci].page == block_page and chk.check_tax_code(value)[0] \
                and min(block_lines) - 1 <= doc.cells[ci].line <= max(block_lines) + 3:
            # a personal codice fiscale with no label, on the rows of the buyer's block or just under it
            cands.append(Candidate(value, m.start(), m.end(), 0.6, "pattern",
                                   ["codice fiscale pattern near the buyer block"]))
    for c in cands:
        c.valid, words = chk.check_tax_code(c.value)
        c.checks.append(words)
        if c.valid is False:
            c.score *= 0.6
    return best(cands)


def find_iban(ctx: Context) -> Candidate | None:
    """The IBAN: the longest prefix of an IBAN-shaped run that passes mod-97, preferring labelled ones."""
    doc = ctx.doc
    cands: list[Candidate] = []
    labelled = [m.end() for m in re.finditer(r"\bIBAN\b", doc.text, re.I)]
    for m in _IBAN.finditer(doc.text):
        raw = m.group(0)
        compact = v.normalize_iban(raw)
        chosen, valid = None, False
        for length in range(min(len(compact), 34), 14, -1):
            if chk.check_iban(compact[:length])[0]:
                chosen, valid = compact[:length], True
                break
        if chosen is None:
            if not any(0 <= m.start() - e < 40 for e in labelled):
                continue
            chosen = compact[:27] if compact.startswith("IT") else compact[:22]
        # the raw span: as many characters of the match as it takes to hold the chosen IBAN
        count, end = 0, m.start()
        for i, ch in enumerate(raw):
            if ch.isalnum():
                count += 1
            if count == len(chosen):
                end = m.start() + i + 1
                break
        near_label = any(0 <= m.start() - e < 40 for e in labelled)
        score = (0.95 if near_label else 0.75) * (1.0 if valid else 0.6)
        cands.append(Candidate(chosen, m.start(), end, score, "pattern",
                               ["IBAN check digits valid" if valid else "IBAN check digits or format invalid"],
                               valid))
    return best(cands)


def starts_iban(text: str, start: int) -> bool:
    """Whether an IBAN begins at ``start`` (its check digits pass mod-97, or an "IBAN" label precedes it)."""
    m = _IBAN.match(text, start)
    if m is None:
        return False
    compact = v.normalize_iban(m.group(0))
    if any(chk.check_iban(compact[:n])[0] for n in range(min(len(compact), 34), 14, -1)):
        return True
    return re.search(r"\bIBAN\W{0,3}$", text[max(start - 12, 0):start], re.I) is not None


def label_strength(text: str, key: str) -> float:
    """How strongly a piece of text reads as one of a field's labels (0 when it is none)."""
    return max((s for p, s in label_pattern(key) if p.search(text)), default=0.0)
