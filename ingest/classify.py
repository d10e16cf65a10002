"""Pages -> Classification: what kind of credit document this is, how sure we are, and its language.

Pure and fast (a few regular-expression passes over the text; no model, no I/O). Three kinds of evidence:

* **cues**: multilingual words and phrases (it, en, de, fr, es) that name or typify a document type, each with a
  weight. Repetition counts with diminishing returns, so a dunning letter citing "fattura" ten times does not
  turn into an invoice.
* **the title area**: cues in a heading of page 1 weigh several times more. A line is a heading in proportion to
  how high on page 1 it sits, how large its words are (bbox heights against the page's median word height) and
  how short it is; pages without word boxes fall back to their first lines of text.
* **structure**: billing (amounts, tax and total labels, item tables), contract clauses (numbered articles and
  sections, long paragraphs, many pages), letter form (salutation and closing), and shortness (receipts).

The raw points become probabilities by a softmax against a fixed "other" level, then are scaled down when there
is little text: low evidence gives ``other`` with a low score. Text is compared after case folding and removal of
accents, so "Società", "SOCIETA'" and an OCR'd "Societa" look alike.
"""

from __future__ import annotations

import bisect
import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Sequence

from ingest.model import DOC_TYPES, Classification, Page

__all__ = ["classify", "detect_language"]

# --- cues: (type, regex on normalised text, weight), most specific first -----------------------------------------
# All cues run as one alternation, so a phrase hides the words inside it: "not yet paid" is a dunning cue and
# not also a receipt's "paid"; "invoice no." is an invoice label and not also the word "invoice".

_CUES: tuple[tuple[str, str, float], ...] = (
    ("credit_note", r"not[ae] di credito|nota credito|credit (?:note|memo(?:randum)?)|[a-z]*gutschrift[a-z]*", 3.0),
    ("credit_note", r"rechnungskorrektur|stornorechnung|note de credit|facture d'?avoir|nota de credito", 3.0),
    ("credit_note", r"factura rectificativa|(?:avoir|abono) (?:n|no|nr|num|numero)\b", 3.0),
    (
        "dunning_letter",
        r"sollecit[a-z]*|diffid[a-z]*|(?:messa|costituzione) in mora|mise en demeure|[a-z]*mahnung",
        2.5,
    ),
    (
        "dunning_letter",
        r"zahlungserinnerung|payment reminder|final (?:notice|demand|reminder)|letter before action",
        2.5,
    ),
    ("dunning_letter", r"reminder|overdue|past due|relance|recordatorio|requerimiento de pago|uberfallig", 2.0),
    ("dunning_letter", r"insolut[aeio]|unpaid|impaye[es]*|impagad[ao]s?|arrears|moros[a-z]*|[a-z]*verzug", 1.5),
    ("dunning_letter", r"mancato pagamento|recupero (?:del )?credit[oi]|(?:azioni|vie) legali|decreto ingiuntivo", 1.5),
    (
        "dunning_letter",
        r"legal (?:action|proceedings)|debt collection|collection agency|inkasso[a-z]*|recouvrement",
        1.5,
    ),
    ("dunning_letter", r"injonction de payer|burofax|disregard|considerare null[ao]|non tenere conto", 1.2),
    ("dunning_letter", r"gegenstandslos|ne pas tenir compte|caso omiso", 1.2),
    ("dunning_letter", r"non (?:[a-z]+ ){0,3}(?:pervenut|pagat|saldat|ricevut)[a-z]*", 1.2),
    (
        "dunning_letter",
        r"not (?:yet |been |yet been )?(?:received|paid|settled)|noch nicht (?:[a-z]+ )?(?:bezahlt|"
        r"beglichen|eingegangen)|pas encore (?:ete )?(?:regle|paye|recu)[es]*|(?:aun|todavia) no (?:[a-z]+ )?pagad[ao]",
        1.2,
    ),
    (
        "dunning_letter",
        r"(?:gia|already|bereits|deja|ya) (?:[a-z]+ ){0,3}(?:effettuat|dispost|eseguit|paid|made|sent|"
        r"settled|remitted|bezahlt|uberwiesen|beglichen|regle|paye|effectue|realizado|efectuado|pagado)[a-z]*",
        1.0,
    ),
    (
        "dunning_letter",
        r"scadut[aeio]|vencid[ao]s?|en retard|late payment|pendientes? de pago|reste (?:a payer|du)",
        1.0,
    ),
    ("dunning_letter", r"outstanding|amount (?:now )?due|dovut[oa]|da saldare|adeudad[oa]|rappel|erinnerung", 0.6),
    ("dunning_letter", r"offene[nr]? posten", 0.6),
    ("contract", r"letto,? confermato e sottoscritto|in witness whereof|en foi de quoi|en prueba de conformidad", 3.0),
    (
        "contract",
        r"premesso(?: che)?|whereas|recitals?|by and between|entered into|hereinafter|di seguito denominat[ao]",
        1.5,
    ),
    ("contract", r"governing law|legge applicabile|foro competente|gerichtsstand|loi applicable|ley aplicable", 1.5),
    (
        "contract",
        r"(?:tra|fra) le parti|le parti (?:convengono|stipulano)|si conviene|the parties|vertragsparteien",
        1.2,
    ),
    ("contract", r"les parties|ci-apres|entre les soussignes|las partes|reunidos|intervienen|exponen|en adelante", 1.2),
    (
        "contract",
        r"force majeure|forza maggiore|hohere gewalt|fuerza mayor|riservatezza|confidentiality|indemnif[a-z]*",
        0.8,
    ),
    (
        "contract",
        r"recesso|termination|kundigung|resiliation|rescision|durata del contratto|term of this agreement",
        0.6,
    ),
    ("contract", r"hereby|hereto|herein|thereof|shall|obbliga|si impegna|verpflichtet|s'engage|se compromete", 0.4),
    ("contract", r"clausol[ae]|clauses?|clausulas?|articolo|article|artikel|articulo|schlussbestimmungen", 0.5),
    (
        "invoice",
        r"(?:invoice|fattura|rechnungs?|facture|factura) ?(?:no|nr|n|num(?:ber|ero)?|#|date|data|datum)\b\.?",
        1.2,
    ),
    (
        "invoice",
        r"we (?:hereby )?invoice you|vi fatturiamo|(?:berechnen|stellen) (?:wir )?ihnen|in rechnung (?:gestellt|"
        r"stellen)|nous vous facturons|les? facturamos",
        2.0,
    ),
    ("invoice", r"(?:numero|data|n\.?) (?:della )?fattura|rechnungs(?:nummer|datum|-?nr)", 1.2),
    ("invoice", r"(?:numero|date) de (?:la )?factur[ae]|fecha (?:de )?(?:la )?factura", 1.2),
    ("invoice", r"bill(?:ed)? to|sold to|invoice to|fatturare a|[a-z]*empfanger|factur(?:e|ar) a", 0.6),
    ("invoice", r"payment terms|condizioni di pagamento|zahlungsbedingungen|conditions de (?:paiement|reglement)", 0.5),
    ("invoice", r"due date|data (?:di )?scadenza|scadenza|fallig(?:keit)?|echeance|vencimiento", 0.5),
    (
        "receipt",
        r"ricevuta(?! di ritorno)(?! la)|scontrino|documento commerciale|quittung|kassen(?:bon|beleg|zettel)",
        2.5,
    ),
    (
        "receipt",
        r"(?<!upon )(?<!on )(?<!of )(?<!after )receipt(?! of)|ticket de caisse|quittance|recibo|justificante",
        2.0,
    ),
    ("receipt", r"recu|ticket|beleg|payment received|received (?:from|with thanks)|importo pagato|amount paid", 1.0),
    (
        "receipt",
        r"paid|pagato|bezahlt|dankend erhalten|acquitte|paye|pagado|cash|contanti|bargeld|especes|efectivo",
        0.6,
    ),
    ("receipt", r"change|resto|ruckgeld|rendu|cambio|thank you|grazie|vielen dank|merci|gracias|arrivederci", 0.3),
    ("credit_note", r"avoir|abono|storno|stornierung|credited|accredit(?:o|iamo)", 1.0),
    ("invoice", r"(?:tax |commercial |vat )?invoice|fattura|fatture|factura|facture|fatura|[a-z]*rechnung[a-z]*", 1.0),
    (
        "contract",
        r"contratt[oi]|contracts?|[a-z]*vertrag|contrat|contrato|agreements?|accordo|vereinbarung|convenio",
        0.8,
    ),
    # documents that are none of ours; they count only in the title area
    ("other", r"documento di trasporto|ddt|bolla di consegna|delivery note|packing (?:list|slip)|lieferschein", 2.0),
    ("other", r"bon de livraison|albaran|preventivo|offerta|quotation|estimate|angebot|kostenvoranschlag|devis", 2.0),
    (
        "other",
        r"presupuesto|purchase order|ordine d'acquisto|auftragsbestatigung|bon de commande|pedido|pro ?forma",
        2.0,
    ),
    ("other", r"estratto conto|bank statement|kontoauszug|releve de compte|extracto", 2.0),
)
_CUE_RE = re.compile(r"\b(?:" + "|".join(f"(?P<c{i}>{p})" for i, (_, p, _) in enumerate(_CUES)) + r")\b")
_TYPED = tuple(t for t in DOC_TYPES if t != "other")

# --- structure ---------------------------------------------------------------------------------------------------

_AMOUNT = re.compile(r"(?<![\d.,])\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}(?![\d.,])")
_NEGATIVE = re.compile(r"(?<![\w.,])-\s?\d{1,3}(?:[.,' ]\d{3})*[.,]\d{2}(?![\d.,])")
_TAX = re.compile(r"\b(?:iva|vat|mwst|ust|tva|gst|igst|cgst|sales tax|umsatzsteuer|mehrwertsteuer|impuesto|imposta)\b")
_TOTAL = re.compile(
    r"\b(?:totale?|totals?|gesamt\w*|summe|\w*betrag|montant|importe|imponibile|subtotal|netto|amount due|ttc|ht)\b"
)
_ITEMS = re.compile(
    r"\b(?:qty|quantity|q\.? ?ta|quantita|menge|anzahl|quantite|qte|cantidad|unit price|prezzo|einzelpreis|"
    r"prix unitaire|precio|descrizione|description|beschreibung|designation|descripcion|rate|pos)\b"
)
_CLAUSE = re.compile(
    r"^\s*(?:(?:art(?:\.|icol[oi]|icle|ikel|iculo)?|section|sezione|clause|clausola|cl\.|§)\s*\d+|"
    r"\d{1,2}\.\d{1,2}(?:\.\d{1,2})?\.?\s+[a-z(]|\d{1,2}\.\s+[a-z]{3,}|\([a-z]\)\s+[a-z]{3,})",
    re.MULTILINE,
)
_SALUTATION = re.compile(
    r"^(?:dear|gentil[ie]|egregi[oa]|sehr geehrte|madame|monsieur|messieurs|estimad[oa]s?|"
    r"muy senor|distinguid[oa]s?)\b|\b(?:distinti saluti|cordiali saluti|yours (?:faithfully|sincerely)|"
    r"sincerely|kind regards|mit freundlichen grussen|cordialement|salutations distinguees|atentamente)\b",
    re.MULTILINE,
)
_SUBJECT = re.compile(r"^(?:oggetto|subject|re|betreff|objet|asunto)\s*:", re.MULTILINE)
_SPACED = re.compile(r"\b(?:[a-z] ){3,}[a-z]\b")
_WORD = re.compile(r"[a-z]+")

# --- languages: function words and common document words, accents removed --------------------------------------

_LANG_WORDS = {
    "it": "il lo gli della delle dei del degli nella nel alla alle ai dal dalla che per con non sono una e ed di "
    "da al questo questa presente anche come si sul sulla entro vostro nostro vi ci tra fra sensi essere stato gia "
    "fattura importo totale pagamento data gentile saluti iva imponibile scadenza prezzo descrizione quantita "
    "cliente fornitore ricevuta contanti giorni",
    "en": "the and of to is for on with this that by be are as at from or we you your our shall will has have "
    "not any please which been into its such under amount date invoice payment tax due paid thank goods customer "
    "receipt credit",
    "de": "der die das und ist mit von zu den dem des ein eine einer nicht fur auf im sie wir ihr ihre ihren bei "
    "oder auch aus nach bis zur zum uber wird werden rechnung betrag datum summe gesamt bitte mwst netto brutto "
    "kunde menge dank vielen",
    "fr": "le les des du et est un une pour dans sur par au aux avec ce cette qui que pas nous vous votre sont "
    "ou leur en la de facture montant tva ttc ht merci client prix quantite caisse especes",
    "es": "el los las del y es en un una por para con que al su sus se lo como este esta usted nuestro la de "
    "factura importe fecha pago iva cantidad concepto hemos recibido pagado efectivo precio cliente gracias",
}
_LANG_INDEX: dict[str, list[str]] = {}
for _lang, _words in _LANG_WORDS.items():
    for _w in _words.split():
        _LANG_INDEX.setdefault(_w, []).append(_lang)

_OTHER_LEVEL = 2.5  # raw points at which a real type is as likely as "other"
_TEMPERATURE = 1.6
_TITLE_GAIN = 2.5  # a cue in a full heading weighs 1 + this much more than in the body
_MAX_CHARS = 60_000  # body text read per document: long contracts are typed well before the end


def normalise(text: str) -> str:
    """Lower case, accents removed, ``ß`` as ``ss``, letter-spaced words joined ("R E C H N U N G")."""
    text = unicodedata.normalize("NFKD", text.casefold()).replace("\u2019", "'").replace("`", "'")
    text = text.encode("ascii", "ignore").decode("ascii")  # accents are combining marks after NFKD
    return _SPACED.sub(lambda m: m.group(0).replace(" ", ""), text)


def detect_language(text: str) -> tuple[str | None, dict[str, float]]:
    """The language of ``text`` among it, en, de, fr, es by function-word frequencies, or None when unclear.

    Words shared by several languages ("la", "de", "in") count for each of them in part. Returns the language
    and every language's share of the evidence.
    """
    votes: Counter[str] = Counter()
    for word in _WORD.findall(normalise(text)[:_MAX_CHARS]):
        langs = _LANG_INDEX.get(word)
        if langs:
            for lang in langs:
                votes[lang] += 1.0 / len(langs)
    total = sum(votes.values())
    shares = {lang: votes[lang] / total for lang in _LANG_WORDS} if total else dict.fromkeys(_LANG_WORDS, 0.0)
    if total < 3:
        return None, shares
    (best, first), (_, second) = [*votes.most_common(2), ("", 0.0)][:2]
    if first < 1.3 * second:
        return None, shares
    return best, shares


def _cue_points(text: str) -> dict[str, float]:
    """Body points per type: each cue's weight times 1, 1.5 or 2 for one, two, three or more occurrences."""
    counts = Counter(m.lastgroup for m in _CUE_RE.finditer(text))
    points = dict.fromkeys(DOC_TYPES, 0.0)
    for group, count in counts.items():
        doc_type, _, weight = _CUES[int(group[1:])]
        if doc_type != "other":
            points[doc_type] += weight * (1 + 0.5 * min(count - 1, 2))
    return points


def _heading_lines(page: Page) -> list[tuple[str, float]]:
    """The lines of a first page that may be its title, each with how much it looks like one (0..1).

    With word boxes: lines in the top 45 % of the page, weighted by height on the page, word size against the
    page's median word height, and being short with white space above and below. Without: the first lines.
    """
    if not page.words:
        raw = [line.strip() for line in page.text.splitlines()]
        out = []
        for i, line in enumerate(raw[:40]):
            if line:
                alone = (i == 0 or not raw[i - 1]) and (i + 1 >= len(raw) or not raw[i + 1])
                short = len(line.split()) <= 5
                out.append((line, (0.1 + 0.3 * short + 0.3 * alone + 0.3 * line.isupper()) * (1 - len(out) / 20)))
        return out[:15]
    heights = [w.bbox[3] - w.bbox[1] for w in page.words]
    median = statistics.median(heights) or 1.0
    grouped: dict[int, list] = {}
    for word in page.words:
        grouped.setdefault(word.line, []).append(word)
    boxes = [
        (min(w.bbox[0] for w in ws), min(w.bbox[1] for w in ws), max(w.bbox[2] for w in ws), max(w.bbox[3] for w in ws))
        for ws in grouped.values()
    ]
    limit = 0.45 * page.height if page.height > 0 else max(b[3] for b in boxes) + 1
    out = []
    for words, (x0, y0, x1, y1) in zip(grouped.values(), boxes, strict=True):
        if y0 > limit:
            continue
        size = min(max((statistics.median(w.bbox[3] - w.bbox[1] for w in words) / median - 1.15) / 0.4, 0.0), 1.0)
        gap = min(
            (
                max(oy0 - y1, y0 - oy1)
                for ox0, oy0, ox1, oy1 in boxes
                if ox0 < x1 and ox1 > x0 and (oy0, oy1) != (y0, y1)
            ),
            default=median * 3,
        )
        alone = 1.0 if len(words) <= 5 and gap >= 0.9 * median else 0.0
        out.append(
            (" ".join(w.text for w in words), (1.0 - 0.4 * y0 / limit) * min(1.0, 0.1 + 0.6 * size + 0.4 * alone))
        )
    return out


def _title_points(page: Page) -> dict[str, float]:
    """Extra points for cues in the title area of page 1: each cue counts once, at its best heading weight."""
    points = dict.fromkeys(DOC_TYPES, 0.0)
    lines = [(line, weight) for line, weight in _heading_lines(page) if weight > 0.05]
    joined = normalise("\n".join(line.replace("\n", " ") for line, _ in lines))
    if not lines or joined.count("\n") != len(lines) - 1:
        return points
    lines = list(zip(joined.split("\n"), (w for _, w in lines), strict=True))
    starts = [0]
    for line, _ in lines:
        starts.append(starts[-1] + len(line) + 1)
    weights = [w * (0.5 if _SUBJECT.match(line) else 1.0) for line, w in lines]  # a letter's subject: its topic
    best: dict[str, float] = {}
    for m in _CUE_RE.finditer(joined):
        weight = weights[bisect.bisect_right(starts, m.start()) - 1]
        best[m.lastgroup] = max(best.get(m.lastgroup, 0.0), weight)
    for group, weight in best.items():
        doc_type, _, cue_weight = _CUES[int(group[1:])]
        points[doc_type] += _TITLE_GAIN * weight * cue_weight
    return points


def _structure_points(text: str, pages: Sequence[Page], n_words: int, credit_cues: float) -> dict[str, float]:
    """Points from layout and structure; a credit note (named as such) shares an invoice's billing structure."""
    amounts = len(_AMOUNT.findall(text))
    negative = len(_NEGATIVE.findall(text))
    billing = min(amounts, 8) / 8 * 1.5
    billing += 0.8 if _TAX.search(text) else 0.0
    billing += 0.6 if _TOTAL.search(text) else 0.0
    billing += 0.5 if len(set(_ITEMS.findall(text))) >= 2 else 0.0
    clauses = len(_CLAUSE.findall(text))
    lines = [ln for ln in text.splitlines() if ln.strip()]
    long_lines = sum(1 for ln in lines if len(ln.split()) >= 9)
    prose = long_lines / len(lines) if lines else 0.0  # share of lines that are running text
    letter = 1.0 if _SALUTATION.search(text) else 0.0
    letter += 0.5 if _SUBJECT.search(text) else 0.0
    short = 1.0 if n_words < 220 and len(pages) == 1 else 0.0
    return {
        "invoice": billing * (1.0 - 0.6 * prose) - 0.8 * letter,
        "credit_note": min(1.0, 0.3 + credit_cues / 4) * billing + (1.0 if negative >= 2 else 0.0),
        "dunning_letter": 0.8 * letter * min(1.0, amounts / 2),
        "contract": min(clauses, 12) * 0.25 + 2.0 * max(prose - 0.35, 0.0) + 0.4 * min(len(pages) - 1, 5),
        "receipt": short * (0.4 + 0.3 * billing) - 0.5 * letter,
    }


def _raw_points(text: str, pages: Sequence[Page], n_words: int) -> dict[str, float]:
    """Every type's points: body cues, title cues and structure; "other" starts at a fixed level."""
    raw = _cue_points(text.replace("\n", " "))
    if pages:
        for doc_type, value in _title_points(pages[0]).items():
            raw[doc_type] += value
    for doc_type, value in _structure_points(text, pages, n_words, raw["credit_note"]).items():
        raw[doc_type] = max(raw[doc_type] + value, 0.0)
    raw["other"] += _OTHER_LEVEL
    return raw


def classify(pages: Sequence[Page]) -> Classification:
    """Classify a document from the text (and word boxes) of its pages.

    Args:
        pages: the pages, in order, as returned by :func:`ingest.extract`; word boxes are optional.

    Returns:
        The best of ``DOC_TYPES`` with its score in [0, 1], every type's score best first, and the language
        (``it``, ``en``, ``de``, ``fr``, ``es``) or None when there is too little text to tell.
    """
    full = "\n".join(p.text for p in pages)
    if len(full) > _MAX_CHARS:  # the beginning and the end (where signatures and formulas are)
        full = full[: _MAX_CHARS - 10_000] + "\n" + full[-10_000:]
    text = normalise(full)
    n_words = len(_WORD.findall(text))
    raw = _raw_points(text, pages, n_words)
    top = max(raw.values())
    exp = {t: math.exp((raw[t] - top) / _TEMPERATURE) for t in DOC_TYPES}
    norm = sum(exp.values())
    sufficiency = 0.25 + 0.75 * (1.0 - math.exp(-n_words / 15))  # little text: little confidence in anything
    scores = {t: round(exp[t] / norm * sufficiency, 4) for t in DOC_TYPES}
    ranked = tuple(sorted(scores.items(), key=lambda kv: (-kv[1], DOC_TYPES.index(kv[0]))))
    language, _ = detect_language(full)
    return Classification(doc_type=ranked[0][0], score=ranked[0][1], scores=ranked, language=language)
