"""Text-heavy layouts: contracts (Italian / English, 1-3 pages), dunning letters and receipts."""

from __future__ import annotations

from .formats import amount, date_text, group4, vat_text
from .pdfkit import BLACK, GREY, Col, Doc, draw_table
from .world import Company, Contract, Dunning, Receipt

# --- Contracts ---------------------------------------------------------------------------------------------------


def _it_party(c: Company, role: str) -> str:
    ids = f"codice fiscale e partita IVA {vat_text(c.vat_id, 'bare')}"
    return (
        f"{c.name}, con sede legale in {c.street}, {c.city}, {ids}, in persona di {c.signatory}, "
        f"in qualità di {c.role} (di seguito, il \u201c{role}\u201d)"
    )


def _en_party(c: Company, role: str) -> str:
    country = f"the {c.country_name}" if c.country == "GB" else c.country_name
    return (
        f"{c.name}, a company incorporated in {country}, whose registered office is at {c.street}, "
        f"{c.city}, {c.country_name}, VAT No. {vat_text(c.vat_id, 'spaced')} (the \u201c{role}\u201d)"
    )


def contract_it_articles(k: Contract, dstyle: str) -> list[tuple[str, list[str]]]:
    val = amount(k.value, "it_prefix", k.currency)
    supply = k.kind == "supply"
    roles = ("Fornitore", "Cliente")
    return [
        ("Art. 1 - Premesse e allegati", [
            "Le premesse e gli allegati costituiscono parte integrante e sostanziale del presente contratto. "
            "In caso di contrasto tra il contratto e gli allegati prevalgono le disposizioni del contratto."
        ]),
        ("Art. 2 - Oggetto", [
            f"Il {roles[0]} si impegna a fornire al {roles[1]} {k.subject}, alle condizioni tecniche ed "
            "economiche indicate nel presente contratto e nei relativi allegati.",
            "Le singole forniture saranno richieste mediante ordini scritti trasmessi via posta elettronica; "
            f"ciascun ordine si intende accettato se il {roles[0]} non lo rifiuta entro due giorni lavorativi."
            if supply else
            "I servizi sono erogati da remoto e, ove necessario, presso le sedi del Cliente, secondo il piano "
            "di intervento concordato tra i referenti tecnici delle Parti.",
        ]),
        ("Art. 3 - Durata", [
            f"Il presente contratto ha efficacia dal {date_text(k.effective, 'it_long')} e scade il "
            f"{date_text(k.end, 'it_long')}, senza tacito rinnovo. Le Parti potranno concordarne per iscritto "
            "la proroga almeno sessanta giorni prima della scadenza."
        ]),
        ("Art. 4 - Corrispettivo", [
            f"Il valore complessivo del contratto è stimato in {val}, oltre IVA nella misura di legge. "
            "I prezzi unitari indicati nell'Allegato B restano fissi e invariabili per tutta la durata del "
            "contratto, salvo quanto previsto dall'art. 1664 c.c."
        ]),
        ("Art. 5 - Fatturazione e pagamenti", [
            f"Il {roles[0]} emetterà fattura " + ("per ciascuna consegna" if supply else "con cadenza mensile")
            + ", indicando il numero del presente contratto. Il pagamento avverrà mediante bonifico bancario "
            "entro trenta giorni dalla data della fattura.",
            "In caso di ritardato pagamento decorrono, senza necessità di costituzione in mora, gli interessi "
            "moratori di cui al D.Lgs. 9 ottobre 2002, n. 231.",
        ]),
        ("Art. 6 - Consegne e livelli di servizio" if supply else "Art. 6 - Livelli di servizio", [
            "Le consegne sono effettuate franco cantiere entro cinque giorni lavorativi dall'ordine. Per ogni "
            f"giorno di ritardo imputabile al {roles[0]} è dovuta una penale di {amount(150, 'it_prefix')}, "
            "fino a un massimo del dieci per cento del valore dell'ordine."
            if supply else
            "Le richieste di assistenza bloccanti sono prese in carico entro quattro ore lavorative. Per ogni "
            f"giorno di mancato rispetto dei livelli di servizio è dovuta una penale di {amount(100, 'it_prefix')}."
        ]),
        ("Art. 7 - Garanzia", [
            "Il Fornitore garantisce che quanto fornito è conforme alle specifiche concordate e alla normativa "
            "vigente. I vizi devono essere denunciati per iscritto entro otto giorni dalla scoperta."
        ]),
        ("Art. 8 - Riservatezza e dati personali", [
            "Ciascuna Parte si impegna a mantenere riservate le informazioni ricevute dall'altra Parte e a "
            "trattare i dati personali nel rispetto del Regolamento (UE) 2016/679 e del D.Lgs. 196/2003."
        ]),
        ("Art. 9 - Risoluzione e recesso", [
            "Il contratto si risolve di diritto, ai sensi dell'art. 1456 c.c., in caso di mancato pagamento di "
            "due fatture consecutive o di grave inadempimento delle obbligazioni di cui agli articoli 5 e 6.",
            "Ciascuna Parte può recedere con preavviso scritto di novanta giorni, fermo il pagamento delle "
            "prestazioni già eseguite.",
        ]),
        ("Art. 10 - Comunicazioni", [
            "Tutte le comunicazioni relative al presente contratto devono essere inviate per iscritto agli "
            "indirizzi di posta elettronica certificata indicati in epigrafe."
        ]),
        ("Art. 11 - Legge applicabile e foro competente", [
            f"Il presente contratto è regolato dalla {k.governing_law}. Per ogni controversia relativa alla sua "
            f"interpretazione o esecuzione è competente in via esclusiva il Foro di {k.place}."
        ]),
    ]  # fmt: skip


def contract_en_clauses(k: Contract, dstyle: str, short: bool) -> list[tuple[str, list[str]]]:
    val = amount(k.value, "en_code" if k.currency == "EUR" else "en_symbol", k.currency)
    supply = k.kind == "supply"
    clauses = [
        ("1. Subject matter", [
            f"The Supplier shall supply to the Customer {k.subject} in accordance with the orders placed by the "
            "Customer from time to time and the specifications set out in Schedule 1."
        ]),
        ("2. Term", [
            f"This Agreement shall come into force on {date_text(k.effective, dstyle)} (the \u201cEffective "
            f"Date\u201d) and shall continue until {date_text(k.end, dstyle)}, unless terminated earlier in "
            "accordance with its terms."
        ]),
        ("3. Contract value", [
            f"The total value of this Agreement is estimated at {val}, exclusive of VAT. The estimate does not "
            "oblige the Customer to place orders up to that value."
        ]),
        ("4. Invoicing and payment", [
            "The Supplier shall invoice " + ("each delivery" if supply else "monthly in arrears")
            + " quoting the number of this Agreement. Invoices are payable within 30 days of the invoice date "
            "by bank transfer. Interest on late payments accrues at 8% per annum above the Bank of England base "
            "rate."
        ]),
    ]  # fmt: skip
    if not short:
        clauses += [
            ("5. Delivery and service levels" if supply else "5. Service levels", [
                "Goods shall be delivered within five working days of each order. If the Supplier misses a "
                "delivery date, the Customer may claim a service credit of "
                f"{amount(250, 'en_code' if k.currency == 'EUR' else 'en_symbol', k.currency)} per late "
                "delivery."
                if supply else
                "Critical incidents shall be acknowledged within four business hours and resolved within two "
                "business days. Repeated failures entitle the Customer to service credits as set out in "
                "Schedule 2."
            ]),
            ("6. Warranties", [
                "The Supplier warrants that the goods and services will conform to the specifications, be of "
                "satisfactory quality and be fit for the purpose made known to the Supplier in writing."
            ]),
            ("7. Limitation of liability", [
                "Neither party excludes liability for death or personal injury caused by negligence or for "
                "fraud. Subject to that, each party's aggregate liability under this Agreement shall not exceed "
                "the charges paid in the twelve months preceding the claim."
            ]),
            ("8. Confidentiality and data protection", [
                "Each party shall keep confidential all information received from the other party and shall "
                "process personal data only in accordance with applicable data protection legislation, "
                "including the GDPR and, where relevant, the UK GDPR."
            ]),
            ("9. Termination", [
                "Either party may terminate this Agreement with immediate effect by written notice if the other "
                "party commits a material breach which is not remedied within 30 days of being notified, or if "
                "the other party becomes insolvent.",
                "The Supplier may suspend deliveries while any undisputed invoice remains unpaid after its due "
                "date.",
            ]),
            ("10. Notices", [
                "Notices shall be in writing and delivered by hand, sent by recorded delivery, or sent by email "
                "to the addresses notified by each party, with a confirmation copy by post."
            ]),
        ]  # fmt: skip
    n = len(clauses) + 1
    court = "courts of England" if "England" in k.governing_law else f"courts of {k.place}"
    clauses.append((f"{n}. Governing law and jurisdiction", [
        "This Agreement and any dispute or claim arising out of or in connection with it shall be governed by "
        f"and construed in accordance with the {k.governing_law}. The {court} shall have exclusive "
        "jurisdiction."
    ]))  # fmt: skip
    return clauses


def _signature_block(doc: Doc, k: Contract, labels: tuple[str, str], size: float) -> None:
    y = doc.get_y() + 6
    if y > 250:
        doc.add_page()
        y = doc.t_margin
    for x, who, label in ((doc.l_margin, k.supplier, labels[0]), (110.0, k.customer, labels[1])):
        doc.font("serif", size, "B").put(x, y, label)
        doc.font("serif", size).put(x, y + 6, who.name)
        doc.line(x, y + 22, x + 70, y + 22)
        role = who.role if k.language == "it" else who.role_en
        doc.lines(x, y + 23.5, [who.signatory, role], h=5)
    doc.set_y(y + 36)


def contract(k: Contract, dstyle: str, short: bool = False) -> bytes:
    size = 10 if short else 11
    h = 4.8 if short else 5.4
    doc = Doc(title=f"{k.title} {k.number}", author=k.supplier.name, when=k.signing, lang=k.language, margin=22)
    doc.set_auto_page_break(True, margin=20)
    doc.footer_text = f"{k.number} - pagina {{page}}" if k.language == "it" else f"Agreement {k.number} - page {{page}}"
    doc.add_page()
    doc.font("serif", 10).put(22, 14, f"{'Contratto n.' if k.language == 'it' else 'Agreement No.'} {k.number}",
                              w=166, align="R")  # fmt: skip
    doc.font("serif", 15, "B").put(22, 24, k.title.upper(), w=166, h=8, align="C")
    doc.set_y(38)
    doc.font("serif", size)
    if k.language == "it":
        doc.para("tra", h=h, align="C")
        doc.para(_it_party(k.supplier, "Fornitore") + ";", h=h)
        doc.para("e", h=h, align="C")
        doc.para(_it_party(k.customer, "Cliente") + ";", h=h)
        doc.para("di seguito congiuntamente denominate le \u201cParti\u201d.", h=h)
        doc.font("serif", size, "B").para("Premesso che", h=h, align="C")
        doc.font("serif", size)
        doc.para(
            f"a) il Cliente necessita, per lo svolgimento della propria attività, di {k.subject}; b) il Fornitore "
            "dispone dell'organizzazione e dei mezzi necessari; c) le Parti intendono disciplinare con il presente "
            "contratto i termini e le condizioni dei loro rapporti;",
            h=h,
        )
        doc.font("serif", size, "B").para("si conviene e si stipula quanto segue", h=h, align="C")
        for heading, paragraphs in contract_it_articles(k, dstyle):
            doc.font("serif", size, "B").para(heading, h=h, align="L")
            doc.font("serif", size)
            for p in paragraphs:
                doc.para(p, h=h)
        doc.para(
            "Ai sensi e per gli effetti degli artt. 1341 e 1342 c.c. il Cliente dichiara di approvare "
            "specificamente gli articoli 5, 6, 9 e 11.",
            h=h,
        )
        doc.para(f"Letto, confermato e sottoscritto.\n{k.place}, {date_text(k.signing, dstyle)}", h=h, align="L")
        _signature_block(doc, k, ("Per il Fornitore", "Per il Cliente"), size)
    else:
        doc.para(f"THIS AGREEMENT is made on {date_text(k.signing, dstyle)}", h=h, align="L")
        doc.font("serif", size, "B").para("BETWEEN:", h=h, align="L")
        doc.font("serif", size)
        doc.para("(1) " + _en_party(k.supplier, "Supplier") + "; and", h=h)
        doc.para("(2) " + _en_party(k.customer, "Customer") + ".", h=h)
        if not short:
            doc.font("serif", size, "B").para("BACKGROUND", h=h, align="L")
            doc.font("serif", size)
            doc.para(
                f"(A) The Customer wishes to purchase {k.subject}. (B) The Supplier has agreed to provide them on "
                "the terms of this Agreement, which supersedes any previous arrangement between the parties.",
                h=h,
            )
        doc.font("serif", size, "B").para("IT IS AGREED as follows:", h=h, align="L")
        for heading, paragraphs in contract_en_clauses(k, dstyle, short):
            doc.font("serif", size, "B").para(heading, h=h, align="L")
            doc.font("serif", size)
            for p in paragraphs:
                doc.para(p, h=h)
        doc.para("Signed by the duly authorised representatives of the parties on the date stated above.", h=h)
        _signature_block(doc, k, ("For the Supplier", "For the Customer"), size)
    if k.price_list:
        _price_annex(doc, k, size)
    return doc.to_bytes()


def _price_annex(doc: Doc, k: Contract, size: float) -> None:
    """A last page with the agreed unit prices (amounts that are *not* the contract value)."""
    it = k.language == "it"
    style = "it_plain" if it else "en_plain"
    doc.add_page()
    title = "Allegato A - Listino prezzi unitari" if it else "Schedule 1 - Charges"
    doc.font("serif", 13, "B").put(doc.l_margin, 24, title, w=166, h=7, align="C")
    doc.set_xy(doc.l_margin, 36)
    doc.font("serif", size)
    doc.para(
        f"Prezzi validi per tutta la durata del contratto n. {k.number}, IVA esclusa, in euro."
        if it else
        f"Rates applicable for the whole term of Agreement {k.number}, exclusive of VAT, in {k.currency}.",
        h=5.4,
    )  # fmt: skip
    rows = [[desc, unit, amount(price, style, k.currency)] for desc, unit, price in k.price_list]
    headers = ("Descrizione", "Unità", "Prezzo unitario") if it else ("Item", "Unit", "Rate")
    y = draw_table(
        doc, doc.l_margin, doc.get_y() + 2,
        [Col(headers[0], 106, "L"), Col(headers[1], 26, "C"), Col(headers[2], 34, "R")],
        rows, style="grid", size=10, row_h=7, family="serif",
    )  # fmt: skip
    doc.set_xy(doc.l_margin, y + 12)
    doc.para("Sigla delle Parti: ____________   ____________" if it else "Initials: ____________   ____________",
             h=5.4, align="L")  # fmt: skip


# --- Dunning letters ---------------------------------------------------------------------------------------------


def _invoice_rows(d: Dunning, dstyle: str, money_style: str) -> list[list[str]]:
    return [
        [
            inv.number,
            date_text(inv.issue, dstyle),
            date_text(inv.due, dstyle),
            amount(inv.total, money_style, d.currency),
        ]
        for inv in d.invoices
    ]


def letter_it(d: Dunning, dstyle: str) -> bytes:
    """Bellini's letter template: letterhead top-left, window address right, invoice table."""
    c, r = d.creditor, d.debtor
    doc = Doc(title=f"Sollecito {r.name}", author=c.name, when=d.letter_date, lang="it", margin=22)
    doc.add_page()
    L = 22.0
    doc.font("sans", 14, "B").put(L, 16, c.name, h=7)
    doc.font("sans", 9.5).lines(L, 24, [f"{c.street} - {c.city}", f"P.IVA {vat_text(c.vat_id, 'bare')} - "
                                        f"Tel. {c.phone}", f"PEC {c.pec}"], h=4.5)  # fmt: skip
    doc.set_line_width(0.5)
    doc.line(L, 39, 188, 39)

    y = 50
    if d.registered_mail:
        doc.font("sans", 10, "B").put(110, 46, "Raccomandata A/R anticipata via PEC")
        y = 53
    doc.font("sans", 10.5).put(110, y, "Spett.le")
    doc.font("sans", 11, "B").put(110, y + 5.5, r.name)
    doc.font("sans", 10.5).lines(110, y + 11, [r.street, r.city, f"PEC: {r.pec}"], h=5.2)

    doc.font("sans", 10.5)
    doc.put(L, 86, f"{d.place}, {date_text(d.letter_date, dstyle)}")
    doc.put(L, 91.5, d.reference)
    doc.set_xy(L, 102)
    diffida = d.kind == "diffida"
    refs = ", ".join(inv.number for inv in d.invoices)
    if diffida:
        subject = (
            "Oggetto: Diffida ad adempiere ai sensi dell'art. 1454 c.c. e costituzione in mora - "
            f"Contratto n. {d.contract.number}"
        )
    else:
        subject = f"Oggetto: Sollecito di pagamento - {'fattura' if len(d.invoices) == 1 else 'fatture'} {refs}"
    doc.font("sans", 10.5, "B").para(subject, h=5.5, align="L")
    doc.font("sans", 10.5)
    due = amount(d.amount_due, "it_prefix", d.currency)
    doc.para("Spettabile Società," if diffida else "Gentili Signori,", h=5.5, align="L")
    if diffida:
        doc.para(
            f"facciamo seguito al nostro sollecito del {date_text(d.previous_letter, 'it_long')}, rimasto senza "
            "riscontro, per rilevare che risultano tuttora insolute le seguenti fatture, emesse in esecuzione "
            "del contratto in oggetto:",
            h=5.5,
        )
    else:
        doc.para(
            "da un controllo della nostra contabilità risulta che, alla data odierna, non è ancora pervenuto il "
            "pagamento dei seguenti documenti, già scaduti:",
            h=5.5,
        )
    y = draw_table(
        doc, L + 8, doc.get_y() + 1,
        [Col("Fattura n.", 38), Col("Data", 30, "C"), Col("Scadenza", 30, "C"), Col("Importo", 38, "R")],
        _invoice_rows(d, "it_num", "it_prefix"), style="grid", size=10, row_h=7.5,
    )  # fmt: skip
    doc.set_xy(L, y + 3)
    doc.font("sans", 10.5, "B").para(f"Importo complessivo dovuto: {due}", h=5.5, align="L")
    doc.font("sans", 10.5)
    deadline = date_text(d.deadline, "it_long")
    if diffida:
        doc.para(
            "Con la presente, pertanto, Vi diffidiamo formalmente ad adempiere, ai sensi e per gli effetti "
            f"dell'art. 1454 c.c., provvedendo al pagamento dell'intero importo di {due} entro e non oltre il "
            f"{deadline}, mediante bonifico sul conto IBAN {group4(c.iban)}.",
            h=5.5,
        )
        doc.para(
            "Decorso inutilmente tale termine, il contratto si intenderà risolto di diritto e la scrivente "
            "società agirà senza ulteriore avviso per il recupero del credito in sede giudiziale, con aggravio "
            "di spese a Vostro carico, oltre agli interessi moratori ai sensi del D.Lgs. 231/2002. La presente "
            "vale anche quale atto interruttivo della prescrizione.",
            h=5.5,
        )
        doc.para("Distinti saluti.", h=5.5, align="L")
    else:
        doc.para(
            f"Vi invitiamo pertanto a provvedere al saldo entro il {deadline} mediante bonifico bancario sul "
            f"conto IBAN {group4(c.iban)} intestato a {c.name}, indicando nella causale il numero delle fatture.",
            h=5.5,
        )
        doc.para(
            "Qualora il pagamento fosse già stato effettuato, Vi preghiamo di considerare nulla la presente e di "
            "inviarci copia della contabile di bonifico. Restando a disposizione per ogni chiarimento, porgiamo "
            "distinti saluti.",
            h=5.5,
        )
    doc.ln(4)
    sign = [c.name, f"{c.signatory} - {c.role}"] if diffida else [f"{c.name} - Ufficio Amministrazione"]
    doc.font("sans", 10.5).lines(110, doc.get_y(), sign, h=5.5)
    return doc.to_bytes()


def letter_pec(d: Dunning, dstyle: str) -> bytes:
    """Adriatica's reminder sent by certified e-mail (digital only): brand header, grid table."""
    c, r = d.creditor, d.debtor
    doc = Doc(title=f"Sollecito di pagamento {r.name}", author=c.name, when=d.letter_date, lang="it", margin=15)
    doc.add_page()
    L = 15.0
    doc.font("cond", 17, "B").put(L, 14, c.name, h=8)
    doc.font("cond", 10).put(L, 23, f"{c.street} - {c.city} - Partita IVA {vat_text(c.vat_id, 'bare')}")
    doc.put(L, 28, f"Tel. {c.phone} - {c.email} - PEC {c.pec}")
    doc.set_line_width(0.8)
    doc.line(L, 35, 195, 35)

    doc.font("sans", 10).put(L, 44, f"{d.place}, {date_text(d.letter_date, dstyle)}")
    doc.put(L, 49.5, d.reference)
    doc.font("sans", 10).put(115, 44, "Spett.le")
    doc.font("sans", 11, "B").put(115, 49.5, r.name)
    doc.font("sans", 10).lines(115, 55, [r.street, r.city, f"Trasmessa via PEC a: {r.pec}"], h=5.2)

    doc.set_xy(L, 80)
    doc.font("sans", 11, "B").para(
        f"Oggetto: sollecito di pagamento - contratto n. {d.contract.number}", h=6, align="L"
    )
    doc.font("sans", 10.5)
    doc.para("Gentile Cliente,", h=5.5, align="L")
    doc.para(
        "Vi ricordiamo che le fatture sotto elencate, emesse per i servizi di assistenza e manutenzione previsti "
        "dal contratto in oggetto, risultano scadute e non ancora pagate:",
        h=5.5,
    )
    y = draw_table(
        doc, L, doc.get_y() + 1,
        [Col("Numero documento", 50), Col("Data documento", 40, "C"), Col("Data scadenza", 40, "C"),
         Col("Importo", 50, "R")],
        _invoice_rows(d, "it_num", "it_suffix"), style="grid", size=10, row_h=7,
    )  # fmt: skip
    doc.set_xy(L + 90, y)
    doc.font("sans", 10.5, "B").cell(40, 8, "Totale da saldare", border=1)
    doc.cell(50, 8, amount(d.amount_due, "it_suffix", d.currency), border=1, align="R")
    doc.set_xy(L, y + 14)
    doc.font("sans", 10.5)
    doc.para(
        f"Vi preghiamo di effettuare il pagamento entro il {date_text(d.deadline, dstyle)} sul conto corrente "
        f"IBAN {c.iban} presso {c.bank}. In mancanza di riscontro entro tale data saremo costretti a sospendere "
        "l'erogazione dei servizi, come previsto dall'art. 9 del contratto.",
        h=5.5,
    )
    doc.para("Se il pagamento è già stato disposto, Vi preghiamo di non tenere conto della presente.", h=5.5)
    doc.para("Cordiali saluti.", h=5.5, align="L")
    doc.ln(3)
    doc.lines(115, doc.get_y(), ["Ufficio Amministrazione", f"{c.signatory} - {c.role}"], h=5.5)
    doc.footer_text = f"{c.name} - {c.registry}"
    return doc.to_bytes()


def letter_en(d: Dunning, dstyle: str) -> bytes:
    """English reminder / final notice: right-aligned letterhead, address left, invoice table."""
    c, r = d.creditor, d.debtor
    family = "serif" if c.country == "GB" else "cond"
    money_style = "en_code" if c.country == "IT" else "en_symbol"
    doc = Doc(title=f"Payment reminder {r.name}", author=c.name, when=d.letter_date, lang="en", margin=22)
    doc.add_page()
    L = 22.0
    doc.font(family, 15, "B").put(L, 16, c.name, w=166, h=7, align="R")
    city = f"{c.city}, {c.country_name}" if c.country != "GB" else c.city
    doc.font(family, 9.5).lines(
        L, 24, [c.street, city, f"VAT No. {vat_text(c.vat_id, 'spaced')} · {c.email}"], h=4.5, w=166, align="R"
    )
    doc.set_line_width(0.3)
    doc.line(L, 40, 188, 40)

    doc.font(family, 11, "B").put(L, 50, r.name)
    doc.font(family, 11).lines(L, 55.5, [r.street, r.city, r.country_name], h=5.5)
    doc.put(L, 80, date_text(d.letter_date, dstyle))
    doc.put(L, 85.5, d.reference)

    final = d.kind == "final"
    refs = ", ".join(inv.number for inv in d.invoices)
    subject = "FINAL NOTICE - overdue account" if final else f"Payment reminder - invoice {refs}"
    doc.set_xy(L, 97)
    doc.font(family, 12, "B").para(subject, h=6, align="L")
    doc.font(family, 11)
    doc.para(f"Dear {'Mr ' + r.signatory.split()[-1] if final else 'Sir or Madam'},", h=5.8, align="L")
    due = amount(d.amount_due, money_style, d.currency)
    if final:
        doc.para(
            f"Despite our reminder of {date_text(d.previous_letter, dstyle)}, the following invoices issued under "
            f"Supply Agreement {d.contract.number} remain unpaid:",
            h=5.8,
        )
    else:
        doc.para(
            "We notice from our records that the following invoice remains unpaid, although the agreed payment "
            "term has expired:" if len(d.invoices) == 1 else
            "We notice from our records that the following invoices remain unpaid, although the agreed payment "
            "terms have expired:",
            h=5.8,
        )  # fmt: skip
    y = draw_table(
        doc, L, doc.get_y() + 1,
        [Col("Invoice", 40), Col("Date", 38, "C"), Col("Due date", 38, "C"), Col("Amount", 44, "R")],
        _invoice_rows(d, "iso" if final else dstyle, money_style), style="rules", size=10, row_h=6.5,
        family=family,
    )  # fmt: skip
    doc.set_xy(L, y + 3)
    doc.font(family, 11, "B").para(f"Total amount due: {due}", h=6, align="L")
    doc.font(family, 11)
    deadline = date_text(d.deadline, dstyle)
    if final:
        doc.para(
            f"Unless payment in full is received by {deadline}, we will refer the debt to our solicitors for "
            "recovery without further notice and will claim interest and compensation under the Late Payment of "
            "Commercial Debts (Interest) Act 1998. Further deliveries are suspended until the account is settled.",
            h=5.8,
        )
        doc.para(f"Payment should be made to IBAN {group4(c.iban)}, quoting the invoice numbers.", h=5.8)
        doc.para("Yours sincerely,", h=5.8, align="L")
        signer = ["Sarah Okafor", "Credit Controller"]
    else:
        doc.para(
            f"We would be grateful if you could arrange payment by {deadline} to our account "
            f"IBAN {group4(c.iban)}. If you have already paid, please disregard this letter and accept our "
            "thanks.",
            h=5.8,
        )
        doc.para("Kind regards,", h=5.8, align="L")
        signer = ["Credit Control", c.name]
    doc.ln(8)
    doc.lines(L, doc.get_y(), signer, h=5.5)
    if c.registry:
        doc.footer_text = c.registry
    return doc.to_bytes()


# --- Receipts ----------------------------------------------------------------------------------------------------


def till(rc: Receipt, dstyle: str) -> bytes:
    """An Italian 'documento commerciale' from a cash register: 80 mm thermal paper, monospaced."""
    s = rc.seller
    doc = Doc(title="Documento commerciale", author=s.name, when=rc.issue, lang="it", fmt=(80, 160), margin=3)
    doc.set_auto_page_break(False)
    doc.add_page()
    W = 36

    def out(text: str = "", bold: bool = False, align: str = "L") -> None:
        if len(text) > W:
            raise ValueError(f"till line too long: {text!r}")
        if doc.get_y() + 4.4 > doc.h - doc.b_margin:
            raise ValueError(f"till receipt too short for {text!r}")
        doc.font("mono", 9.5, "B" if bold else "")
        doc.cell(0, 4.4, text, align=align, new_x="LMARGIN", new_y="NEXT")

    def lr(left: str, right: str, bold: bool = False) -> None:
        out(left + right.rjust(W - len(left)), bold)

    doc.set_xy(3, 6)
    out(s.name, bold=True, align="C")
    out(s.street, align="C")
    out(s.city, align="C")
    out(f"P.IVA {vat_text(s.vat_id, 'bare')}", align="C")
    out(f"Tel. {s.phone}", align="C")
    out()
    out("DOCUMENTO COMMERCIALE", bold=True, align="C")
    out("di vendita o prestazione", align="C")
    out()
    lr("DESCRIZIONE", "IVA  Prezzo(€)")
    for i in rc.items:
        lr(i.description, f"{int(rc.vat_rate)}%  {amount(i.amount, 'it_plain'):>8}")
        if i.quantity != 1:
            out(f"  {int(i.quantity)} x {amount(i.unit_price, 'it_plain')}")
    out("-" * W)
    lr("TOTALE COMPLESSIVO", amount(rc.total, "it_plain"), bold=True)
    lr("di cui IVA", amount(rc.vat_included, "it_plain"))
    lr("Pagamento elettronico", amount(rc.total, "it_plain"))
    lr("Importo pagato", amount(rc.total, "it_plain"))
    out("-" * W)
    lr(date_text(rc.issue, dstyle), rc.time)
    out(f"DOCUMENTO N. {rc.number}")
    out("RT 96MEY041233")
    out()
    out("GRAZIE E ARRIVEDERCI", align="C")
    return doc.to_bytes()


def payment_receipt(rc: Receipt, dstyle: str) -> bytes:
    """A supplier's receipt for a paid invoice, A5, serif."""
    s, inv = rc.seller, rc.paid_invoice
    doc = Doc(title=f"Receipt {rc.number}", author=s.name, when=rc.issue, lang="en", fmt=(148, 210), margin=14)
    doc.set_auto_page_break(False)
    doc.add_page()
    L = 14.0
    doc.font("serif", 14, "B").put(L, 14, s.name, h=7)
    doc.font("serif", 9.5).lines(L, 21.5, [f"{s.street}, {s.city}", f"VAT No. {vat_text(s.vat_id, 'spaced')}"], h=4.5)
    doc.set_line_width(0.4)
    doc.line(L, 32, 134, 32)
    doc.font("serif", 16, "B").put(L, 38, "PAYMENT RECEIPT", w=120, h=8, align="C")
    money_style = "en_symbol"
    rows = [
        ("Receipt No.", rc.number),
        ("Date", date_text(rc.issue, dstyle)),
        ("Received from", rc.payer.name),
        ("The sum of", f"{amount(rc.total, money_style, rc.currency)} ({rc.currency})"),
        ("In payment of", f"Invoice {inv.number} dated {date_text(inv.issue, dstyle)}"),
        ("Payment method", "BACS bank transfer"),
    ]
    y = 54.0
    for label, value in rows:
        doc.font("serif", 10.5, "B").put(L, y, label, w=36, h=7)
        doc.font("serif", 10.5).put(L + 36, y, value, w=84, h=7)
        doc.set_draw_color(*GREY)
        doc.line(L + 36, y + 6.5, L + 120, y + 6.5)
        y += 9.5
    doc.set_draw_color(*BLACK)
    doc.font("serif", 10.5).put(L, y + 4, "With thanks. This receipt is valid without signature.", h=6)
    doc.put(L, y + 18, f"For {s.name}", h=6)
    doc.put(L, y + 24, "Accounts Receivable", h=6)
    doc.set_text_color(*GREY)
    doc.font("serif", 9).put(L, 195, s.registry, w=120, align="C")
    doc.set_text_color(*BLACK)
    return doc.to_bytes()


LAYOUTS = {
    "contract": contract,
    "contract-short": lambda k, dstyle: contract(k, dstyle, short=True),
    "letter-it": letter_it,
    "letter-pec": letter_pec,
    "letter-en": letter_en,
    "till": till,
    "payment": payment_receipt,
}
