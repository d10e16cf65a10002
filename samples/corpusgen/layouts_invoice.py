"""Six invoice layout families. Each takes an Invoice and returns the bytes of a digital (text-layer) PDF.

classic  seller top-left, buyer box top-right, grid table, totals bottom-right with labels left of values
grid     labels above values in boxes (Numero documento / Data / Scadenza ...), zebra table, totals in boxes
modern   colour band, "Billed to" / meta list, rules-only table, big "Amount due" box
dense    compact condensed type, seller only in the footer, meta table, payment details box with the IBAN
letter   plain business letter, fields in running text ("Invoice no. ... dated ...")
erp      monospaced legacy-ERP print-out with dashed separators and fixed columns
"""

from __future__ import annotations

from decimal import Decimal

from .formats import amount, date_text, group4, number_en, number_it, plain, vat_text
from .pdfkit import BLACK, GREY, LIGHT, Col, Doc, draw_table
from .world import Invoice


def new_doc(inv: Invoice, margin: float = 18) -> Doc:
    kind = {("it", False): "Fattura", ("it", True): "Nota di credito", ("en", False): "Invoice"}
    title = f"{kind.get((inv.language, inv.credit_note), 'Credit note')} {inv.number}"
    return Doc(title=title, author=inv.seller.name, when=inv.issue, lang=inv.language, margin=margin)


def qty(q: Decimal, lang: str) -> str:
    """Quantities: whole numbers without decimals, grouped per language (1.500 / 1,500)."""
    if q == q.to_integral_value():
        text = f"{int(q):,}"
        return text.replace(",", ".") if lang == "it" else text
    return number_it(q) if lang == "it" else number_en(q)


def money_formatter(inv: Invoice):
    """fmt(value, style): an amount of this invoice printed in the given style and the invoice's currency."""
    return lambda value, style: amount(value, style, inv.currency)


def money_cells(inv: Invoice, style: str) -> list[list[str]]:
    """Description, quantity, unit, unit price and line amount of each item, amounts without currency."""
    cell, fmt = plain(style), money_formatter(inv)
    return [
        [i.description, qty(i.quantity, inv.language), i.unit, fmt(i.unit_price, cell), fmt(i.amount, cell)]
        for i in inv.items
    ]


def vat_rate_text(inv: Invoice) -> str:
    return f"{int(inv.vat_rate)}%"


# --- (a) classic -------------------------------------------------------------------------------------------------


def classic(inv: Invoice) -> bytes:
    fmt = money_formatter(inv)
    doc = new_doc(inv)
    doc.add_page()
    s, b, L = inv.seller, inv.buyer, doc.l_margin
    style, dstyle = "it_suffix", "it_num"

    doc.font("sans", 15, "B").put(L, 16, s.name, h=7)
    doc.font("sans", 10)
    doc.lines(L, 25, [s.street, s.city, f"P.IVA e C.F. {vat_text(s.vat_id, 'bare')}", f"Tel. {s.phone}"])
    doc.lines(L, 44.2, [s.email, f"PEC: {s.pec}"])

    bx, by = 112.0, 58.0
    doc.set_line_width(0.3)
    doc.rect(bx, by, 80, 34)
    doc.font("sans", 9).put(bx + 3, by + 2, "Spett.le")
    doc.font("sans", 11, "B").put(bx + 3, by + 7, b.name)
    rows = [b.street, b.city]
    if inv.show_buyer_vat:
        rows.append(f"P.IVA {vat_text(b.vat_id, 'bare')}")
    if inv.show_buyer_tax_code:
        rows.append(f"C.F. {b.tax_code}")
    doc.font("sans", 10).lines(bx + 3, by + 13, rows)

    title = f"{'NOTA DI CREDITO' if inv.credit_note else 'FATTURA'} N. {inv.number}"
    doc.font("sans", 14, "B")
    if doc.get_string_width(title) < 90:
        doc.put(L, 62, title, h=7)
    else:  # too wide next to the buyer box: number on its own line
        kind, number = title.split(" N. ", 1)
        doc.lines(L, 56, [kind, f"N. {number}"], h=6.5)
    meta = [("Data:", date_text(inv.issue, dstyle))]
    if inv.due:
        meta.append(("Scadenza:", date_text(inv.due, dstyle)))
    if inv.contract_ref:
        meta.append(("Rif. contratto:", inv.contract_ref))
    doc.font("sans", 10)
    for n, (label, value) in enumerate(meta):
        doc.kv(L, 72 + n * 5.5, label, value, label_w=28)

    y = draw_table(
        doc, L, 102,
        [Col("Descrizione", 86), Col("Q.tà", 18, "R"), Col("U.M.", 18, "C"), Col("Prezzo unit. €", 26, "R"),
         Col("Importo €", 26, "R")],
        money_cells(inv, style), style="grid", size=9.5, family="cond",
    )  # fmt: skip

    ty = y + 10
    tx = 112.0
    doc.font("sans", 10)
    doc.kv(tx, ty, "Imponibile", fmt(inv.net, style), 45, w=35, align="R")
    doc.kv(tx, ty + 6, f"IVA {vat_rate_text(inv)}", fmt(inv.tax, style), 45, w=35, align="R")
    doc.set_line_width(0.4)
    doc.line(tx, ty + 13, tx + 80, ty + 13)
    doc.font("sans", 11, "B")
    label = "Totale nota di credito" if inv.credit_note else "Totale documento"
    doc.kv(tx, ty + 14.5, label, fmt(inv.total, style), 45, h=6, w=35, align="R")

    doc.font("sans", 10, "B").put(L, ty, "Note" if inv.credit_note else "Modalità di pagamento")
    doc.font("sans", 10)
    doc.set_xy(L, ty + 5.5)
    doc.multi_cell(85, 4.8, inv.note if inv.credit_note else "Bonifico bancario")
    if inv.show_iban:
        doc.put(L, ty + 11, f"IBAN: {group4(s.iban)}")
        doc.put(L, ty + 16, s.bank)
    if not inv.credit_note and inv.note:
        doc.set_xy(L, ty + 24)
        doc.multi_cell(85, 4.8, inv.note)

    doc.footer_text = f"{s.name} - {s.registry}"
    return doc.to_bytes()


# --- (b) grid: labels above values ------------------------------------------------------------------------------


def _box(doc: Doc, x: float, y: float, w: float, h: float, label: str, value: str, size: float = 11) -> None:
    doc.set_line_width(0.3)
    doc.rect(x, y, w, h)
    doc.set_text_color(*GREY)
    doc.font("sans", 9).put(x + 1.5, y + 1.2, label, h=4)
    doc.set_text_color(*BLACK)
    doc.font("sans", size, "B").put(x + 1.5, y + h - 6.8, value, h=6)


def grid(inv: Invoice) -> bytes:
    fmt = money_formatter(inv)
    doc = new_doc(inv, margin=15)
    doc.add_page()
    s, b, L = inv.seller, inv.buyer, 15.0
    style, dstyle = "it_prefix", "it_long"

    doc.font("cond", 17, "B").put(L, 14, s.name, h=8)
    doc.font("cond", 10)
    doc.put(L, 23, f"{s.street} - {s.city} - Partita IVA {vat_text(s.vat_id, 'bare')}")
    doc.put(L, 28, f"Tel. {s.phone} - {s.email} - PEC {s.pec}")
    doc.set_line_width(0.8)
    doc.line(L, 35, 195, 35)
    doc.font("sans", 22, "B").put(120, 12, "FATTURA", w=75, h=10, align="R")

    w4 = 180 / 4
    boxes = [
        ("Numero documento", inv.number),
        ("Data documento", date_text(inv.issue, dstyle)),
        ("Data scadenza", date_text(inv.due, dstyle) if inv.due else "-"),
        ("Rif. contratto", inv.contract_ref) if inv.contract_ref else ("Pagamento", "Bonifico 30 gg"),
    ]
    for n, (label, value) in enumerate(boxes):
        _box(doc, L + n * w4, 42, w4, 15, label, value)

    doc.set_line_width(0.3)
    doc.rect(L, 62, 110, 30)
    doc.set_text_color(*GREY)
    doc.font("sans", 9).put(L + 1.5, 63.2, "Cliente", h=4)
    doc.set_text_color(*BLACK)
    doc.font("sans", 11, "B").put(L + 1.5, 68, b.name)
    doc.font("sans", 10).lines(L + 1.5, 74, [b.street, b.city])
    ids = []
    if inv.show_buyer_vat:
        ids.append(("Partita IVA cliente", vat_text(b.vat_id, "prefixed")))
    if inv.show_buyer_tax_code:
        ids.append(("Codice fiscale cliente", b.tax_code))
    for n, (label, value) in enumerate(ids):
        _box(doc, L + 115, 62 + n * 15, 65, 15, label, value, size=10.5)

    cell = plain(style)
    rows = [[i.description, qty(i.quantity, "it"), fmt(i.unit_price, cell), fmt(i.amount, cell)] for i in inv.items]
    y = draw_table(
        doc, L, 102,
        [Col("Descrizione", 106), Col("Quantità", 20, "R"), Col("Prezzo (€)", 26, "R"), Col("Importo (€)", 28, "R")],
        rows, style="zebra", size=10, row_h=7,
    )  # fmt: skip

    y += 8
    totals = [
        ("Imponibile", fmt(inv.net, style)),
        (f"IVA {vat_rate_text(inv)}", fmt(inv.tax, style)),
        ("Totale da pagare", fmt(inv.total, style)),
    ]
    for n, (label, value) in enumerate(totals):
        _box(doc, 75 + n * 40, y, 40, 16, label, value, size=12 if n == 2 else 11)

    if inv.show_iban:
        doc.set_line_width(0.3)
        doc.rect(L, y + 24, 180, 17)
        doc.font("sans", 9, "B").put(L + 1.5, y + 25.2, "Coordinate bancarie per il pagamento", h=4)
        doc.font("sans", 10)
        doc.put(L + 1.5, y + 30.5, f"IBAN {s.iban}")
        doc.put(L + 1.5, y + 35.5, f"{s.bank} - Causale: fattura {inv.number}")
    doc.footer_text = f"{s.name} - {s.registry}"
    return doc.to_bytes()


# --- (c) modern: colour band and "Amount due" box -----------------------------------------------------------------

TEAL = (0, 92, 112)
TEAL_LIGHT = (214, 234, 238)


def modern(inv: Invoice) -> bytes:
    fmt = money_formatter(inv)
    doc = new_doc(inv, margin=20)
    doc.add_page()
    s, b, L = inv.seller, inv.buyer, 20.0
    style, dstyle = "en_symbol", "en_us"

    doc.set_fill_color(*TEAL)
    doc.rect(0, 0, 210, 30, "F")
    doc.set_text_color(255, 255, 255)
    doc.font("sans", 24, "B").put(L, 9, "INVOICE", h=12)
    doc.set_text_color(*BLACK)

    doc.set_text_color(*GREY)
    doc.font("sans", 9, "B").put(L, 40, "FROM")
    doc.put(110, 40, "BILLED TO")
    doc.set_text_color(*BLACK)
    doc.font("sans", 11, "B").put(L, 45.5, s.name)
    doc.font("sans", 10).lines(L, 51.5, [s.street, f"{s.city}, {s.country_name}", f"VAT No. {s.vat_id}"])
    doc.font("sans", 11, "B").put(110, 45.5, b.name)
    rows = [b.street, f"{b.city}, {b.country_name}"]
    if inv.show_buyer_vat:
        rows.append(f"VAT ID: {vat_text(b.vat_id, 'prefixed')}")
    doc.font("sans", 10).lines(110, 51.5, rows)

    meta = [("Invoice #", inv.number), ("Issue date", date_text(inv.issue, dstyle))]
    if inv.due:
        meta.append(("Due date", date_text(inv.due, dstyle)))
    if inv.contract_ref:
        meta.append(("Agreement", inv.contract_ref))
    for n, (label, value) in enumerate(meta):
        doc.set_text_color(*GREY)
        doc.font("sans", 10).put(L, 74 + n * 6, label)
        doc.set_text_color(*BLACK)
        doc.font("sans", 10, "B").put(L + 28, 74 + n * 6, value)

    y = draw_table(
        doc, L, 104,
        [Col("Description", 92), Col("Qty", 16, "R"), Col("Unit", 16, "C"), Col("Rate", 22, "R"),
         Col("Amount", 24, "R")],
        [[i.description, qty(i.quantity, "en"), i.unit, fmt(i.unit_price, style), fmt(i.amount, style)]
         for i in inv.items],
        style="rules", size=9.5, row_h=8, header_fill=None, header_color=TEAL,
    )  # fmt: skip

    y += 6
    doc.font("sans", 10)
    doc.kv(120, y, "Subtotal", fmt(inv.net, style), 40, w=30, align="R")
    vat_label = f"VAT {vat_rate_text(inv)}" + (" (reverse charge)" if inv.vat_rate == 0 else "")
    doc.kv(100, y + 6, vat_label, fmt(inv.tax, style), 60, w=30, align="R")
    doc.font("sans", 10, "B")
    doc.kv(120, y + 12, "Total", fmt(inv.total, style), 40, w=30, align="R")

    doc.set_fill_color(*TEAL_LIGHT)
    doc.rect(110, y + 22, 80, 24, "F")
    doc.font("sans", 11).put(114, y + 25, "Amount due")
    doc.font("sans", 20, "B").put(114, y + 32, fmt(inv.total, style), w=72, h=10, align="R")

    if inv.show_iban:
        doc.font("sans", 10, "B").put(L, y + 24, "Payment")
        doc.font("sans", 10).lines(L, y + 29.5, ["Bank transfer to", f"IBAN {s.iban}", s.bank], h=5)
    if inv.note:
        doc.set_xy(L, y + 56)
        doc.font("sans", 9.5, "I").multi_cell(170, 4.6, inv.note)
    doc.footer_text = f"{s.name} - {s.street}, {s.city} - {s.email}"
    return doc.to_bytes()


# --- (d) dense: seller in the footer, payment box -----------------------------------------------------------------


def dense(inv: Invoice) -> bytes:
    fmt = money_formatter(inv)
    doc = new_doc(inv, margin=14)
    doc.add_page()
    s, b, L = inv.seller, inv.buyer, 14.0
    style, dstyle = "en_symbol", "en_short"
    doc.set_auto_page_break(False)

    doc.font("serif", 20, "B").put(L, 12, "NORTHGATE", h=9)
    doc.font("cond", 15, "B").put(L, 32, "CREDIT NOTE" if inv.credit_note else "TAX INVOICE", h=7)

    label = "Credit note No." if inv.credit_note else "Invoice No."
    meta = [(label, inv.number), ("Date" if inv.credit_note else "Invoice date", date_text(inv.issue, dstyle))]
    if inv.due:
        meta.append(("Payment due", date_text(inv.due, dstyle)))
    if inv.contract_ref:
        meta.append(("Contract ref.", inv.contract_ref))
    meta.append(("Account", "C-" + b.name[:3].upper() + "-0042"))
    doc.set_line_width(0.25)
    for n, (k, v) in enumerate(meta):
        yy = 12 + n * 6
        doc.set_fill_color(*LIGHT)
        doc.font("cond", 9.5, "B").put(120, yy, k, w=30, h=6, border=1, fill=True)
        doc.font("cond", 10).put(150, yy, v, w=46, h=6, border=1)

    doc.font("cond", 9.5, "B").put(L, 48, "Invoice to")
    doc.put(110, 48, "Deliver to")
    rows = [b.street, b.city, b.country_name]
    if inv.show_buyer_vat:
        rows.append(f"VAT No. {vat_text(b.vat_id, 'spaced')}")
    doc.font("cond", 10.5, "B").put(L, 53, b.name)
    doc.font("cond", 10).lines(L, 58, rows, h=4.6)
    doc.font("cond", 10).lines(110, 53, ["Goods-in, Warehouse 2", b.street, b.city], h=4.6)

    cell = plain(style)
    rows = [
        [f"NG-{1040 + 7 * n}", i.description, qty(i.quantity, "en"), i.unit, fmt(i.unit_price, cell),
         vat_rate_text(inv), fmt(i.amount, cell)]
        for n, i in enumerate(inv.items)
    ]  # fmt: skip
    cur = "£" if inv.currency == "GBP" else "€"
    y = draw_table(
        doc, L, 82,
        [Col("Code", 16), Col("Description", 82), Col("Qty", 14, "R"), Col("Unit", 14, "C"),
         Col(f"Price {cur}", 18, "R"), Col("VAT", 12, "R"), Col(f"Net {cur}", 26, "R")],
        rows, style="grid", size=9, row_h=5.6, family="cond",
    )  # fmt: skip

    y += 6
    doc.font("cond", 10)
    doc.kv(130, y, "Net total", fmt(inv.net, style), 36, w=30, align="R")
    doc.kv(130, y + 5.5, f"VAT {vat_rate_text(inv)}", fmt(inv.tax, style), 36, w=30, align="R")
    doc.font("cond", 11, "B")
    doc.kv(130, y + 11.5, f"Total ({inv.currency})", fmt(inv.total, style), 36, h=6, w=30, align="R")

    doc.set_line_width(0.35)
    doc.rect(L, y, 105, 30)
    if inv.show_iban:
        doc.font("cond", 10, "B").put(L + 2, y + 1.5, "Payment details")
        doc.font("cond", 10).lines(
            L + 2, y + 7,
            [f"Bank: {s.bank}", f"IBAN: {group4(s.iban)}", f"Please quote {inv.number} as payment reference."],
            h=5,
        )  # fmt: skip
    else:
        doc.font("cond", 10, "B").put(L + 2, y + 1.5, "Notes")
        doc.set_xy(L + 2, y + 7)
        doc.font("cond", 10).multi_cell(100, 5, inv.note)

    doc.font("cond", 9)
    doc.set_text_color(*GREY)
    doc.put(L, 265, "Packaging & warehouse supplies since 1998", w=182, align="C")
    doc.put(L, 270, "Terms: strictly net, payment within 30 days of invoice date. Goods remain our property "
            "until paid in full.", w=182, align="C")  # fmt: skip
    doc.set_text_color(*BLACK)
    doc.set_line_width(0.3)
    doc.line(L, 276, 196, 276)
    doc.font("cond", 9.5, "B").put(L, 277.5, s.name, w=182, align="C")
    doc.font("cond", 9).put(
        L, 282, f"{s.street}, {s.city} - VAT No. {vat_text(s.vat_id, 'spaced')} - {s.registry}", w=182, align="C"
    )
    return doc.to_bytes()


# --- (e) letter: fields in running text ----------------------------------------------------------------------------


def letter(inv: Invoice) -> bytes:
    fmt = money_formatter(inv)
    doc = new_doc(inv, margin=25)
    doc.add_page()
    s, b, L = inv.seller, inv.buyer, 25.0
    style = "en_code" if inv.currency == "EUR" else "en_symbol"

    doc.font("serif", 16, "B").put(L, 18, s.name, w=160, h=8, align="C")
    doc.font("serif", 10).put(L, 27, f"{s.street} · {s.city} · {s.country_name}", w=160, align="C")
    doc.put(L, 32, f"VAT No. {vat_text(s.vat_id, 'spaced')} · {s.email}", w=160, align="C")
    doc.set_line_width(0.2)
    doc.line(L, 39, 185, 39)

    rows = [b.street, b.city, b.country_name]
    if inv.show_buyer_vat:
        rows.append(f"VAT: {vat_text(b.vat_id, 'spaced')}")
    doc.font("serif", 11).put(L, 50, b.name)
    doc.lines(L, 55.5, rows, h=5.5)

    doc.set_xy(L, 90)
    doc.font("serif", 11)
    doc.para("Dear Sirs,", h=6, align="L")
    doc.font("serif", 12, "B")
    doc.para(f"Invoice no. {inv.number} dated {date_text(inv.issue, 'en_uk')}", h=6.5, align="L")
    doc.font("serif", 11)
    intro = "We hereby invoice you for the following goods, delivered"
    intro += f" under agreement {inv.contract_ref}:" if inv.contract_ref else " as per your purchase order:"
    doc.para(intro, h=6)
    for i in inv.items:
        doc.set_x(L + 6)
        line = f"{qty(i.quantity, 'en')} {i.unit} - {i.description}"
        doc.cell(115, 6, line)
        doc.cell(39, 6, fmt(i.amount, style), align="R", new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)
    rate = vat_rate_text(inv)
    vat_clause = f"VAT at {rate} amounts to {fmt(inv.tax, style)}"
    if inv.note:
        vat_clause += f" ({inv.note[0].lower()}{inv.note[1:].rstrip('.')})"
    doc.para(
        f"The net amount is {fmt(inv.net, style)}; {vat_clause}. The total payable is {fmt(inv.total, style)}.",
        h=6,
    )
    pay = f"Please remit the total by {date_text(inv.due, 'en_uk')}" if inv.due else "Please remit the total"
    if inv.show_iban:
        pay += f" to our account IBAN {group4(s.iban)}, {s.bank}"
    doc.para(pay + f", quoting {inv.number} as reference.", h=6)
    doc.para("Thank you for your business.", h=6)
    doc.ln(4)
    doc.para("Yours faithfully,", h=6, align="L")
    doc.ln(10)
    doc.font("serif", 11).para(f"{s.signatory}\n{s.role_en}, {s.name}", h=5.5, align="L")
    doc.footer_text = s.registry
    return doc.to_bytes()


# --- (f) erp: monospaced legacy print-out -------------------------------------------------------------------------


def erp(inv: Invoice) -> bytes:
    fmt = money_formatter(inv)
    doc = new_doc(inv, margin=14)
    doc.add_page()
    s, b = inv.seller, inv.buyer
    W = 86  # characters per line at 9.5 pt DejaVu Sans Mono (2 mm per character) in 182 mm
    dstyle = "it_dot"

    def out(text: str = "", bold: bool = False) -> None:
        if len(text) > W:
            raise ValueError(f"erp line too long: {text!r}")
        doc.font("mono", 9.5, "B" if bold else "")
        doc.cell(0, 4.6, text, new_x="LMARGIN", new_y="NEXT")

    def two(left: str, right: str, bold: bool = False) -> None:
        out(left.ljust(44) + right, bold)

    doc.set_xy(14, 16)
    two(s.name, "DOCUMENTO: FATTURA DIFFERITA", bold=True)
    two(s.street, f"NUMERO DOC. : {inv.number}")
    two(s.city, f"DATA DOC.   : {date_text(inv.issue, dstyle)}")
    two(f"Partita IVA {s.vat_id}", "PAGINA      : 1/1")
    two(f"Tel. {s.phone}", f"COD. CLIENTE: C{sum(map(ord, b.name)) % 900 + 100:05d}")
    out("-" * W)
    out(f"DESTINATARIO: {b.name}", bold=True)
    out(f"              {b.street}, {b.city}")
    ids = f"P.IVA: {b.vat_id}" if inv.show_buyer_vat else ""
    if inv.show_buyer_tax_code:
        ids += f"   C.F.: {b.tax_code}"
    out(f"              {ids}")
    if inv.contract_ref:
        out(f"RIF. CONTRATTO: {inv.contract_ref}")
    out("-" * W)
    out(f"{'COD.ART.':<9}{'DESCRIZIONE':<44}{'QTA':>5} {'UM':<5}{'PREZZO':>10}{'IMPORTO':>12}")
    out("-" * W)
    for n, i in enumerate(inv.items):
        code = f"A{31207 + 113 * n}"
        out(
            f"{code:<9}{i.description[:43]:<44}{qty(i.quantity, 'it'):>5} {i.unit:<5}"
            f"{fmt(i.unit_price, 'it_plain'):>10}{fmt(i.amount, 'it_plain'):>12}"
        )
    out("-" * W)
    out()
    pad = " " * 38
    out(f"{pad}{'TOTALE IMPONIBILE':<24}{fmt(inv.net, 'it_code'):>24}")
    out(f"{pad}{'TOTALE IVA ' + vat_rate_text(inv):<24}{fmt(inv.tax, 'it_code'):>24}")
    out(f"{pad}{'TOTALE FATTURA':<24}{fmt(inv.total, 'it_code'):>24}", bold=True)
    out()
    out("-" * W)
    if inv.due:
        out(f"SCADENZE: {date_text(inv.due, dstyle)}  {fmt(inv.total, 'it_code')}  BONIFICO BANCARIO")
    if inv.show_iban:
        out(f"APPOGGIO: IBAN {s.iban}")
        out(f"          {s.bank}")
    out("-" * W)
    out(inv.note)
    out("Contributo CONAI assolto ove dovuto.")
    doc.footer_text = f"{s.name} - {s.registry}"
    return doc.to_bytes()


LAYOUTS = {"classic": classic, "grid": grid, "modern": modern, "dense": dense, "letter": letter, "erp": erp}
