"""Multilingual label vocabularies (it, en, de, fr, es): the words that announce a field's value.

Each entry is (regular expression, strength 0..1): how surely a value next to that label is the field.
Generic vocabulary only; nothing here is specific to one issuer.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["LABELS", "LEGAL_FORM", "NOT_TAX", "NOT_TOTAL", "label_pattern"]

_NO = r"(?:n(?:o|r|um|umber|umero|úmero|uméro)?\.?|n[°º]|#|nummer)"

LABELS: dict[str, list[tuple[str, float]]] = {
    "invoice_number": [
        (rf"(?:fattura|ft\.?|nota\s+(?:di\s+)?credito|documento)\s*{_NO}", 0.95),
        (r"numero\s+(?:della\s+)?(?:fattura|documento|nota(?:\s+di\s+credito)?)", 0.95),
        (r"n(?:r|um)?\.?\s+(?:fattura|documento|doc\.)|numero\s+doc\.?", 0.9),
        (rf"(?:tax\s+)?invoice\s*{_NO}|invoice\s+(?:id|ref(?:erence)?)", 0.95),
        (rf"credit\s+(?:note|memo)\s*{_NO}", 0.95),
        (rf"(?:bill|document|receipt)\s*{_NO}", 0.75),
        (r"rechnungs?[\s-]*(?:nummer|nr\.?|no\.?)|gutschrifts?[\s-]*(?:nummer|nr\.?)|beleg[\s-]*(?:nummer|"
         r"nr\.?)", 0.95),
        (r"[a-zäöü]*rechnung(?:\s*\(\d+\))?\s*(?:nr\.?|#|no\.?)", 0.95),
        (rf"(?:facture|avoir)\s*{_NO}|num[ée]ro\s+de\s+(?:la\s+)?facture|n°\s*de\s+facture", 0.95),
        (rf"factura\s*{_NO}|n[úu]mero\s+de\s+(?:la\s+)?factura", 0.95),
        (r"invoice|fattura|rechnung|facture|factura", 0.45),
        (r"nr\.|no\.|n[°º]", 0.4),
    ],
    "issue_date": [
        (r"data\s+(?:della\s+)?(?:fattura|documento|emissione|doc\.?)", 0.95),
        (r"(?:invoice|issue|billing|document)\s+date|date\s+of\s+(?:issue|invoice)|tax\s+point(?:\s+date)?", 0.95),
        (r"rechnungsdatum|belegdatum|ausstellungsdatum|rechnungs-datum", 0.95),
        (r"date\s+(?:de\s+(?:la\s+)?)?(?:facture|facturation|d['’]émission)", 0.95),
        (r"fecha\s+(?:de\s+(?:la\s+)?)?(?:factura|emisi[oó]n|expedici[oó]n)", 0.95),
        (r"data|date|datum|fecha|issued(?:\s+on)?", 0.7),
        (r"dated", 0.6),
        (r"\bdel|\bdu|\bvom|\bof", 0.5),
    ],
    "due_date": [
        (r"data\s+(?:di\s+)?scadenza|scadenz[ae](?:\s+pagamento)?|scad\.|da\s+pagare\s+entro|pagamento\s+entro", 0.95),
        (r"due\s+date|payment\s+due(?:\s+date)?|date\s+due|due\s+(?:on|by)|pay(?:able)?\s+by|payment\s+date", 0.95),
        (r"f[äa]llig(?:keitsdatum|keit|\s+am|\s+bis)?|zahlbar\s+bis|zahlungsziel|zahlungstermin", 0.95),
        (r"date\s+d['’]?[ée]ch[ée]ance|[ée]ch[ée]ance|(?:à\s+)?payer\s+avant\s+le|payable\s+le", 0.95),
        (r"fecha\s+de\s+vencimiento|vencimiento", 0.95),
        (r"due", 0.6),
        (r"(?:remit|pay|paid|payment)\b[^\n\d]{0,25}?\bby", 0.75),
    ],
    "total_amount": [
        (r"totale\s+(?:documento|fattura|da\s+pagare|dovuto|complessivo|generale|ivato|"
         r"nota(?:\s+di\s+credito)?)", 0.97),
        (r"importo\s+(?:totale|da\s+pagare)|netto\s+a\s+pagare|tot\.\s*documento", 0.95),
        (r"total\s+(?:amount\s+)?(?:due|payable|to\s+pay)|amount\s+(?:due|payable)|balance\s+due|grand\s+total", 0.97),
        (r"(?:invoice|credit(?:\s+note)?)\s+total|total\s+(?:incl(?:uding|\.)?|inc\.?)\s+(?:vat|tax)", 0.95),
        (r"total\s*\(\s*[a-z]{3}\s*\)|total\s+(?:eur|gbp|usd|chf)", 0.95),
        (r"bruttosumme|[a-zäöü]*(?:summe|betrag)\s+(?:inkl\.?|incl\.?|mit)\s*(?:ust|mwst|steuern?)\.?", 0.95),
        (r"gesamtbetrag|rechnungsbetrag|endbetrag|zahlbetrag|bruttobetrag|gesamtsumme|summe\s+brutto|"
         r"zu\s+zahlen(?:der\s+betrag)?", 0.95),
        (r"total\s+ttc|montant\s+ttc|net\s+à\s+payer|total\s+à\s+payer|montant\s+total", 0.95),
        (r"total\s+(?:factura|a\s+pagar)|importe\s+total", 0.95),
        (r"totale|total|gesamt|brutto|summe|importe", 0.7),
        (r"amount|importo|betrag|montant", 0.4),
    ],
    "net_amount": [
        (r"(?:totale\s+)?imponibile|totale\s+netto|netto\s+merce", 0.95),
        (r"sub-?\s?total|net\s+(?:total|amount|value)|total\s+net|total\s+(?:excl(?:uding|\.)?|before|"
         r"ex\.?)\s+(?:vat|tax)", 0.95),
        (r"amount\s+(?:excl(?:uding|\.)?|before)\s+(?:vat|tax)", 0.95),
        (r"[a-zäöü]*(?:summe|betrag)\s+(?:ohne|exkl\.?|excl\.?|zzgl\.?)\s*(?:ust|mwst|steuern?|vat|tax)\.?", 0.95),
        (r"nettobetrag|netto(?:summe|betrag|wert)|summe\s+netto|gesamt\s*netto|zwischensumme|warenwert|"
         r"rechnungsbetrag\s+netto", 0.95),
        (r"total\s+ht|montant\s+ht|sous-total|total\s+hors\s+taxes?", 0.95),
        (r"base\s+imponible|subtotal", 0.95),
        (r"net|netto|neto", 0.6),
    ],
    "tax_amount": [
        (r"totale\s+iva|importo\s+iva|imposta(?:\s+iva)?", 0.95),
        (r"(?:total\s+)?(?:vat|tax|gst|sales\s+tax)\s+(?:amount|total)|total\s+(?:vat|tax)", 0.95),
        (r"(?:mwst|ust|umsatzsteuer|mehrwertsteuer)(?:\.|-?betrag)?|steuerbetrag|summe\s+(?:ust|mwst)", 0.9),
        (r"(?:total|montant)\s+tva|tva", 0.9),
        (r"cuota\s+(?:de\s+)?iva|total\s+iva", 0.9),
        (r"iva|vat|tax|gst|steuer|impuestos?", 0.7),
    ],
    "contract_ref": [
        (rf"rif(?:erimento|\.)?\s*(?:al\s+)?contratto(?:\s*{_NO})?|contratto\s*{_NO}", 0.95),
        (rf"contract\s*(?:ref(?:erence)?\.?|{_NO})|agreement\s*(?:ref(?:erence)?\.?|{_NO})|(?:po|"
         rf"purchase\s+order)\s*{_NO}", 0.95),
        (r"(?:under|per|ai\s+sensi\s+del|in\s+esecuzione\s+del)\s+(?:the\s+|our\s+)?(?:\w+\s+)?(?:agreement|"
         r"contract|contratto)", 0.8),
        (r"vertrag(?:s)?[\s-]*(?:nummer|nr\.?)|rahmenvertrag\s*(?:nr\.?)?", 0.9),
        (rf"contrat\s*{_NO}|r[ée]f[ée]rence\s+du\s+contrat|contrato\s*{_NO}", 0.9),
    ],
    # the bare word in a cell of its own ("Agreement  MSA-12"): only with a check that the cell holds nothing else
    "contract_word": [
        (r"agreement|contract|contratto|vertrag|contrat|contrato", 0.75),
    ],
    "buyer": [
        (r"spett(?:\.le|abile)|destinatario|cessionario(?:\s*/\s*committente)?|committente|intestatario", 0.9),
        (r"cliente|client|customer", 0.7),
        (r"(?:bill(?:ed)?|invoice(?:d)?|sold|ship(?:ped)?)\s+to|buyer|customer\s+details", 0.9),
        (r"rechnungsempf[äa]nger|kunde|leistungsempf[äa]nger|an|empf[äa]nger|k[äa]ufer", 0.7),
        (r"factur[ée]\s+[àa]|adress[ée]\s+[àa]|destinataire|acheteur", 0.85),
        (r"facturar\s+a|comprador", 0.85),
    ],
    "seller": [
        (r"cedente(?:\s*/\s*prestatore)?|fornitore|prestatore|emittente", 0.9),
        (r"seller|supplier|vendor|from|issued\s+by", 0.8),
        (r"verk[äa]ufer|lieferant|rechnungssteller|leistungserbringer", 0.85),
        (r"vendeur|fournisseur|[ée]metteur|vendedor|proveedor|emisor", 0.85),
    ],
    "vat_id": [
        (r"p\.?\s?iva|partita\s+iva|p\.?\s?i\.|vat\s*(?:reg(?:istration)?\.?\s*)?(?:no\.?|number|n°|#|id)|vat", 0.95),
        (r"ust[\s.-]*id(?:[\s.-]*nr\.?)?|ust\.?[\s-]*id\.?[\s-]*nr\.?|"
         r"umsatzsteuer[\s-]*id(?:entifikationsnummer)?|vat[\s-]*id", 0.95),
        (r"tva\s+intra(?:communautaire|com\.?)?|n°\s*tva|num[ée]ro\s+de\s+tva|nif|cif|n\.?i\.?f\.?", 0.9),
        (r"steuer[\s-]*nr\.?|steuernummer|tax\s+id", 0.6),
    ],
    "tax_code": [
        (r"c\.?\s?f\.?|cod(?:ice|\.)?\s*fisc(?:ale|\.)?", 0.95),
    ],
}

# words that, right after "total", make it something other than the grand total
NOT_TOTAL = re.compile(
    r"(?:sub|zwischen)[\s-]?$|^\s*(?:net|netto|excl|ht\b|hors|imponibile|iva|vat|tax|mwst|ust|before|tva|items?)",
    re.IGNORECASE,
)
# "VAT No.", "P.IVA", "USt-IdNr.": identifiers, not tax amounts
NOT_TAX = re.compile(r"^\s*(?:no\b|n[°º.]|number|nr|id|reg|registration|ident|intra)", re.IGNORECASE)

LEGAL_FORM = re.compile(
    r"(?<![\w])(?:S\.?\s?p\.?\s?A\.?|S\.?\s?r\.?\s?l\.?s?|S\.?\s?n\.?\s?c\.?|S\.a\.s\.|Ltd\.?|Limited|PLC|plc|LLP|LLC|L\.L\.C\.|"
    r"Inc\.?|Incorporated|Corp\.?|Corporation|Company|Co\.|GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|KG|OHG|e\.\s?K\.|UG|e\.V\.|"
    r"SAS|SARL|S\.A\.R\.L\.|S\.A\.S\.|S\.A\.|SA|SL|S\.L\.|BV|B\.V\.|NV|N\.V\.|SE|Oy|AB|ApS|A/S|Srl|SpA|Snc|Sagl)(?![\w])"
)


@cache
def label_pattern(field: str) -> list[tuple[re.Pattern[str], float]]:
    """The compiled labels of a field, each anchored so that it does not start or end inside a word."""
    return [
        (re.compile(rf"(?<![\w.])(?:{rx})(?![a-zà-ÿ])", re.IGNORECASE), strength) for rx, strength in LABELS[field]
    ]
