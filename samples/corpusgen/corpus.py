"""The corpus plan: which documents exist, how each is laid out and in which format it is stored.

Case files by debtor (creditor in brackets):
  Rossi Costruzioni (Bellini)   contract CQ-2024/007, 3 invoices, 1 credit note, sollecito, then diffida
  Ferretti & Figli (Bellini)    contract CS-2024/003, 2 invoices, sollecito
  Ristorante Da Gino (Adriatica) 1 invoice (buyer with a personal codice fiscale), 1 retail receipt it issued
  Lombardi Impianti (Adriatica) contract ASD-C-2024-012, 2 invoices, sollecito (PEC, digital)
  Kessler Maschinenbau (Adriatica) agreement MSA-2023-041, 2 English invoices, reminder
  Harbour Logistics (Northgate) agreement NS/SA/2024/003, 2 GBP invoices, 1 credit note, final notice
  Moreau Distribution (Northgate) 1 zero-rated EUR invoice, reminder
  Greenfield Retail (Northgate) agreement NS/FA/2024/009, 1 GBP invoice, payment receipt
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .world import (
    ADRIATICA,
    BELLINI,
    ESPOSITO,
    FERRETTI,
    GREENFIELD,
    HARBOUR,
    KESSLER,
    LOMBARDI,
    MOREAU,
    NORTHGATE,
    ROSSI,
    Contract,
    Dunning,
    Invoice,
    Receipt,
    Sample,
    Scan,
    item,
)

D = date
VAT22, VAT20, VAT10, VAT0 = Decimal(22), Decimal(20), Decimal(10), Decimal(0)

# --- Contracts ---------------------------------------------------------------------------------------------------

K_ROSSI = Contract(
    "CQ-2024/007", "Contratto quadro di fornitura", BELLINI, ROSSI,
    signing=D(2024, 1, 22), place="Milano", effective=D(2024, 2, 1), end=D(2025, 1, 31),
    value=Decimal("180000.00"), currency="EUR", governing_law="legge italiana", jurisdiction="Italy", language="it",
    subject="materiali edili, tubazioni, bulloneria e dispositivi di protezione individuale", kind="supply",
    price_list=(
        ('Tubo acciaio zincato 1" - barra 6 m', "pz", Decimal("23.40")),
        ('Raccordo a T zincato 1"', "pz", Decimal("2.85")),
        ("Bulloneria M12 classe 8.8 (conf. 100 pz)", "conf", Decimal("38.90")),
        ("Cemento Portland 42,5 R - sacco 25 kg", "sacco", Decimal("6.95")),
        ("Rete elettrosaldata 6 mm 2x3 m", "pz", Decimal("18.70")),
        ("Casco di protezione EN 397", "pz", Decimal("14.20")),
        ("Guanti da lavoro in nitrile (conf. 12 paia)", "conf", Decimal("27.50")),
        ("Trasporto e consegna in cantiere", "a corpo", Decimal("180.00")),
    ),
)  # fmt: skip
K_LOMBARDI = Contract(
    "ASD-C-2024-012", "Contratto di assistenza e manutenzione software", ADRIATICA, LOMBARDI,
    signing=D(2024, 1, 15), place="Bologna", effective=D(2024, 2, 1), end=D(2026, 1, 31),
    value=Decimal("28800.00"), currency="EUR", governing_law="legge italiana", jurisdiction="Italy", language="it",
    subject="assistenza, manutenzione correttiva ed evolutiva del gestionale Cloud ERP e consulenza sistemistica",
    kind="services",
)  # fmt: skip
K_FERRETTI = Contract(
    "CS-2024/003", "Contratto di somministrazione di materiali", BELLINI, FERRETTI,
    signing=D(2024, 2, 12), place="Milano", effective=D(2024, 3, 1), end=D(2024, 12, 31),
    value=Decimal("45000.00"), currency="EUR", governing_law="legge italiana", jurisdiction="Italy", language="it",
    subject="utensileria, ferramenta e materiali di consumo per officina", kind="supply",
)  # fmt: skip
K_KESSLER = Contract(
    "MSA-2023-041", "Master Services Agreement", ADRIATICA, KESSLER,
    signing=D(2023, 11, 20), place="Bologna", effective=D(2024, 1, 1), end=D(2025, 12, 31),
    value=Decimal("96000.00"), currency="EUR", governing_law="laws of Italy", jurisdiction="Italy", language="en",
    subject="software maintenance, remote support, cloud hosting and integration development services",
    kind="services",
    price_list=(
        ("Software maintenance fee", "quarter", Decimal("3150.00")),
        ("Cloud hosting, production environment", "quarter", Decimal("1290.00")),
        ("Remote support", "hour", Decimal("85.00")),
        ("Custom integration development", "day", Decimal("640.00")),
        ("On-site workshop (incl. travel)", "day", Decimal("980.00")),
    ),
)  # fmt: skip
K_HARBOUR = Contract(
    "NS/SA/2024/003", "Supply Agreement", NORTHGATE, HARBOUR,
    signing=D(2024, 3, 4), place="London", effective=D(2024, 3, 18), end=D(2026, 3, 17),
    value=Decimal("250000.00"), currency="GBP", governing_law="laws of England and Wales",
    jurisdiction="England and Wales", language="en",
    subject="packaging materials, pallets, labels and related consumables", kind="supply",
)  # fmt: skip
K_GREENFIELD = Contract(
    "NS/FA/2024/009", "Framework Purchase Agreement", NORTHGATE, GREENFIELD,
    signing=D(2024, 4, 26), place="London", effective=D(2024, 5, 1), end=D(2025, 4, 30),
    value=Decimal("60000.00"), currency="GBP", governing_law="laws of England and Wales",
    jurisdiction="England and Wales", language="en",
    subject="retail packaging, shelf labels and store consumables", kind="supply",
)  # fmt: skip

# --- Invoices: Bellini Forniture Industriali (Italian, classic and ERP layouts) ------------------------------------

FT_0153 = Invoice(
    "FT-2024/0153", D(2024, 3, 15), BELLINI, ROSSI,
    (
        item('Tubo acciaio zincato 1" - barra 6 m', 84, "pz", "23.40"),
        item('Raccordo a T zincato 1"', 120, "pz", "2.85"),
        item("Bulloneria M12 classe 8.8 (conf. 100 pz)", 15, "conf", "38.90"),
        item("Trasporto e consegna in cantiere", 1, "a corpo", "180.00"),
    ),
    VAT22, "it", due=D(2024, 4, 14), contract_ref="CQ-2024/007", show_buyer_tax_code=True,
    note="Pagamento: bonifico bancario a 30 giorni data fattura.",
)  # fmt: skip
FT_0198 = Invoice(
    "FT-2024/0198", D(2024, 4, 2), BELLINI, FERRETTI,
    (
        item("Disco diamantato diam. 230 mm", 12, "pz", "44.90"),
        item("Tassello chimico M10 (conf. 10)", 30, "conf", "21.60"),
        item("Casco di protezione EN 397", 25, "pz", "14.20"),
        item("Guanti da lavoro in nitrile (conf. 12 paia)", 20, "conf", "27.50"),
        item("Chiave dinamometrica 40-200 Nm", 4, "pz", "129.00"),
    ),
    VAT22, "it", due=D(2024, 5, 31), contract_ref="CS-2024/003", show_iban=True,
    note="Pagamento: bonifico 30 gg fine mese.",
)  # fmt: skip
FT_0231 = Invoice(
    "FT-2024/0231", D(2024, 4, 19), BELLINI, ROSSI,
    (
        item("Cemento Portland 42,5 R - sacco 25 kg", 150, "sacco", "6.95"),
        item("Rete elettrosaldata 6 mm 2x3 m", 60, "pz", "18.70"),
        item("Casco di protezione EN 397", 20, "pz", "14.20"),
        item("Trasporto e consegna in cantiere", 1, "a corpo", "180.00"),
    ),
    VAT22, "it", due=D(2024, 5, 19), contract_ref="CQ-2024/007",
    note="Pagamento: bonifico bancario a 30 giorni data fattura.",
)  # fmt: skip
NC_0012 = Invoice(
    "NC-2024/0012", D(2024, 5, 6), BELLINI, ROSSI,
    (item("Reso rete elettrosaldata 6 mm 2x3 m non conforme", 10, "pz", "18.70"),),
    VAT22, "it", credit_note=True, show_iban=False,
    note="Storno parziale della fattura n. FT-2024/0231 del 19/04/2024 per reso di merce non conforme.",
)  # fmt: skip
FT_0276 = Invoice(
    "FT-2024/0276", D(2024, 5, 10), BELLINI, FERRETTI,
    (
        item("Mola abrasiva per acciaio 125 mm (conf. 25)", 8, "conf", "34.50"),
        item("Elettrodi rutilici 3,2 mm (conf. 5 kg)", 14, "conf", "31.80"),
        item("Maschera per saldatura autoscurante", 3, "pz", "89.00"),
        item("Nastro americano 50 mm x 50 m", 48, "pz", "4.60"),
    ),
    VAT22, "it", due=D(2024, 6, 30), contract_ref="CS-2024/003",
    note="Pagamento: bonifico 30 gg fine mese.",
)  # fmt: skip
FT_0302 = Invoice(
    "FT-2024/0302", D(2024, 5, 24), BELLINI, ROSSI,
    (
        item('Tubo acciaio zincato 1" - barra 6 m', 40, "pz", "23.40"),
        item("Rete elettrosaldata 6 mm 2x3 m", 45, "pz", "18.70"),
        item("Guanti da lavoro in nitrile (conf. 12 paia)", 10, "conf", "27.50"),
    ),
    VAT22, "it", due=D(2024, 6, 23), contract_ref="CQ-2024/007", show_iban=True,
    note="Pagamento: bonifico bancario a 30 giorni data fattura.",
)  # fmt: skip

# --- Invoices: Adriatica Servizi Digitali (Italian grid layout, English modern layout) ----------------------------

ASD_045 = Invoice(
    "ASD/2024/045", D(2024, 2, 29), ADRIATICA, LOMBARDI,
    (
        item("Canone assistenza Cloud ERP - febbraio 2024", 1, "mese", "1200.00"),
        item("Migrazione dati e configurazione iniziale", 1, "a corpo", "1850.00"),
        item("Licenza utente aggiuntiva Cloud ERP (12 mesi)", 5, "n.", "180.00"),
    ),
    VAT22, "it", due=D(2024, 3, 31), contract_ref="ASD-C-2024-012",
)  # fmt: skip
ASD_061 = Invoice(
    "ASD/2024/061", D(2024, 3, 20), ADRIATICA, ESPOSITO,
    (
        item("Software cassa e prenotazioni - canone annuale", 1, "anno", "780.00"),
        item("Installazione e configurazione tablet comande", 3, "n.", "80.00"),
        item("Corso di formazione personale di sala (mezza giornata)", 1, "n.", "390.00"),
    ),
    VAT22, "it", due=D(2024, 4, 19), show_buyer_tax_code=True,
)  # fmt: skip
ASD_072 = Invoice(
    "ASD/2024/072", D(2024, 4, 5), ADRIATICA, LOMBARDI,
    (
        item("Canone assistenza Cloud ERP - marzo 2024", 1, "mese", "1200.00"),
        item("Giornate di consulenza sistemistica", 6, "gg", "520.00"),
    ),
    VAT22, "it", due=D(2024, 5, 5), contract_ref="ASD-C-2024-012",
)  # fmt: skip
ASD_E018 = Invoice(
    "ASD/2024/E018", D(2024, 3, 28), ADRIATICA, KESSLER,
    (
        item("Software maintenance fee, Q1 2024", 1, "quarter", "3150.00"),
        item("Remote support hours", 14, "h", "85.00"),
        item("Custom integration development (SAP connector)", 9, "days", "640.00"),
    ),
    VAT0, "en", due=D(2024, 4, 27), contract_ref="MSA-2023-041",
    note="Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC).",
)  # fmt: skip
ASD_E024 = Invoice(
    "ASD/2024/E024", D(2024, 4, 30), ADRIATICA, KESSLER,
    (
        item("Cloud hosting, production environment (Q2 2024)", 1, "quarter", "1290.00"),
        item("Remote support hours", 22, "h", "85.00"),
        item("On-site workshop, Stuttgart (incl. travel)", 2, "days", "980.00"),
    ),
    VAT0, "en", due=D(2024, 5, 30), show_iban=True,
    note="Reverse charge: VAT to be accounted for by the recipient (Art. 196 Directive 2006/112/EC).",
)  # fmt: skip

# --- Invoices: Northgate Supplies (English dense and letter layouts) ---------------------------------------------

INV_10482 = Invoice(
    "INV-10482", D(2024, 4, 8), NORTHGATE, HARBOUR,
    (
        item("Stretch wrap film 500 mm x 300 m", 240, "rolls", "9.85"),
        item("Double-wall cardboard boxes 600x400x400", 1500, "units", "1.42"),
        item("Pallet labels A5, thermal (roll of 500)", 40, "rolls", "12.30"),
        item("Delivery charge - Southampton", 1, "", "95.00"),
    ),
    VAT20, "en", due=D(2024, 5, 8), currency="GBP", contract_ref="NS/SA/2024/003",
)  # fmt: skip
INV_10517 = Invoice(
    "INV-10517", D(2024, 4, 22), NORTHGATE, MOREAU,
    (
        item("Euro pallets EPAL 1200x800 (new)", 200, "units", "16.40"),
        item("Strapping kit PET 12 mm", 18, "kits", "51.00"),
        item("Packing tape, brown, 48 mm x 66 m (box of 36)", 30, "boxes", "58.00"),
    ),
    VAT0, "en", due=D(2024, 5, 22), currency="EUR",
    note="Zero-rated: export of goods outside the United Kingdom.",
)  # fmt: skip
INV_10533 = Invoice(
    "INV-10533", D(2024, 5, 3), NORTHGATE, HARBOUR,
    (
        item("Euro pallets EPAL 1200x800 (new)", 320, "units", "14.75"),
        item("Stretch wrap film 500 mm x 300 m", 180, "rolls", "9.85"),
        item("Strapping kit PET 12 mm", 12, "kits", "46.00"),
        item("Pallet labels A5, thermal (roll of 500)", 25, "rolls", "12.30"),
        item("Packing tape, brown, 48 mm x 66 m (box of 36)", 20, "boxes", "52.20"),
        item("Delivery charge - Southampton", 2, "", "95.00"),
    ),
    VAT20, "en", due=D(2024, 6, 2), currency="GBP", contract_ref="NS/SA/2024/003",
)  # fmt: skip
CN_00231 = Invoice(
    "CN-00231", D(2024, 5, 14), NORTHGATE, HARBOUR,
    (item("Credit: damaged Euro pallets returned, INV-10398", 24, "units", "14.75"),),
    VAT20, "en", currency="GBP", credit_note=True, show_iban=False,
    note="This credit will be offset against your next payment.",
)  # fmt: skip
INV_10561 = Invoice(
    "INV-10561", D(2024, 5, 17), NORTHGATE, GREENFIELD,
    (
        item("Shelf edge labels 39 x 21 mm (box of 5,000)", 12, "boxes", "38.50"),
        item("Paper carrier bags, recycled, medium", 4000, "units", "0.21"),
        item("Till rolls 57 x 40 mm (box of 20)", 30, "boxes", "11.90"),
    ),
    VAT20, "en", due=D(2024, 6, 16), currency="GBP", contract_ref="NS/FA/2024/009",
)  # fmt: skip

# --- Dunning letters ---------------------------------------------------------------------------------------------

SOLL_ROSSI = Dunning(
    "sollecito", BELLINI, ROSSI, D(2024, 5, 20), "Milano", (FT_0153,), D(2024, 5, 31), "it",
    reference="Prot. AMM/2024/118",
)  # fmt: skip
DIFF_ROSSI = Dunning(
    "diffida", BELLINI, ROSSI, D(2024, 7, 8), "Milano", (FT_0153, FT_0302), D(2024, 7, 23), "it",
    reference="Prot. AMM/2024/163", previous_letter=D(2024, 5, 20), contract=K_ROSSI, registered_mail=True,
)  # fmt: skip
SOLL_FERRETTI = Dunning(
    "sollecito", BELLINI, FERRETTI, D(2024, 7, 10), "Milano", (FT_0198, FT_0276), D(2024, 7, 25), "it",
    reference="Prot. AMM/2024/171",
)  # fmt: skip
SOLL_LOMBARDI = Dunning(
    "sollecito", ADRIATICA, LOMBARDI, D(2024, 5, 27), "Bologna", (ASD_045, ASD_072), D(2024, 6, 10), "it",
    reference="Rif. CR-2024-031", contract=K_LOMBARDI,
)  # fmt: skip
REM_KESSLER = Dunning(
    "reminder", ADRIATICA, KESSLER, D(2024, 5, 13), "Bologna", (ASD_E018,), D(2024, 5, 27), "en",
    reference="Ref. CR-2024-027",
)  # fmt: skip
FINAL_HARBOUR = Dunning(
    "final", NORTHGATE, HARBOUR, D(2024, 6, 24), "London", (INV_10482, INV_10533), D(2024, 7, 5), "en",
    reference="Our ref. CC/HL/0624", previous_letter=D(2024, 6, 7), contract=K_HARBOUR,
)  # fmt: skip
REM_MOREAU = Dunning(
    "reminder", NORTHGATE, MOREAU, D(2024, 6, 5), "London", (INV_10517,), D(2024, 6, 19), "en",
    reference="Our ref. CC/MD/0605",
)  # fmt: skip

# --- Receipts ----------------------------------------------------------------------------------------------------

RCPT_GINO = Receipt(
    ESPOSITO, D(2024, 6, 14), "it", "EUR",
    items=(
        item("COPERTO", 4, "", "2.50"),
        item("SPAGHETTI ALLE VONGOLE", 2, "", "14.00"),
        item("PIZZA MARGHERITA", 2, "", "8.00"),
        item("FRITTURA DI PARANZA", 1, "", "16.00"),
        item("ACQUA MINERALE 1 L", 2, "", "3.00"),
        item("VINO DELLA CASA 1/2 L", 2, "", "7.00"),
        item("CAFFE'", 4, "", "1.50"),
    ),
    vat_rate=VAT10, number="0412-0087", time="21:47",
)  # fmt: skip
RCPT_GREENFIELD = Receipt(
    NORTHGATE, D(2024, 6, 12), "en", "GBP", number="R-2024-0117", paid_invoice=INV_10561, payer=GREENFIELD,
)  # fmt: skip

# --- The corpus --------------------------------------------------------------------------------------------------


def _s(dpi=200, angle=0.6, blur=0.6, **kw) -> Scan:
    return Scan(dpi=dpi, angle=angle, blur=blur, **kw)


SAMPLES: tuple[Sample, ...] = (
    # invoices, Italian
    Sample("invoice-it-01", FT_0153, "classic", "png", _s(angle=0.7)),
    Sample("invoice-it-02", FT_0198, "erp", "jpg", _s(angle=-0.9, jpeg_quality=55)),
    Sample("invoice-it-03", FT_0231, "classic", "pdf"),
    Sample("invoice-it-04", FT_0276, "erp", "pdf-scan-jpeg", _s(angle=0.4, jpeg_quality=60)),
    Sample("invoice-it-05", FT_0302, "classic", "jpg", _s(angle=-0.9, blur=0.7, jpeg_quality=58)),
    Sample("invoice-it-06", ASD_045, "grid", "tiff-gray", _s(angle=-0.5, blur=0.5)),
    Sample("invoice-it-07", ASD_061, "grid", "png", _s(angle=1.1)),
    Sample("invoice-it-08", ASD_072, "grid", "jpg", _s(angle=0.3, jpeg_quality=62)),
    Sample("credit-note-it-01", NC_0012, "classic", "pdf"),
    # invoices, English
    Sample("invoice-en-01", ASD_E018, "modern", "pdf"),
    Sample("invoice-en-02", ASD_E024, "modern", "png", _s(angle=-0.8, blur=0.4)),
    Sample("invoice-en-03", INV_10482, "dense", "png", _s(angle=0.5, blur=0.5)),
    Sample("invoice-en-04", INV_10517, "letter", "jpg", _s(angle=1.4, jpeg_quality=60)),
    Sample("invoice-en-05", INV_10533, "dense", "pdf"),
    Sample("invoice-en-06", INV_10561, "letter", "pdf-scan-fpdf", _s(angle=-0.6, jpeg_quality=55)),
    Sample("credit-note-en-01", CN_00231, "dense", "jpg", _s(angle=-0.4, jpeg_quality=60)),
    # contracts
    Sample("contract-it-01", K_ROSSI, "contract", "tiff-g4", _s(dpi=300, angle=0.5, blur=0.8, threshold=145)),
    Sample("contract-it-02", K_LOMBARDI, "contract", "pdf", date_style="it_num"),
    Sample("contract-it-03", K_FERRETTI, "contract", "pdf-scan-g4", _s(dpi=300, angle=-0.7, blur=0.8)),
    Sample("contract-en-01", K_KESSLER, "contract", "pdf"),
    Sample("contract-en-02", K_HARBOUR, "contract", "tiff-g4", _s(dpi=300, angle=-0.4, blur=0.8, speckles=120)),
    Sample("contract-en-03", K_GREENFIELD, "contract-short", "png", _s(angle=0.9), "en_us"),
    # dunning letters
    # dunning-it-01 is the one document of the corpus holding the word "raccomandata" (the demo searches it)
    Sample("dunning-it-01", DIFF_ROSSI, "letter-it", "png", _s(angle=-0.7)),
    Sample("dunning-it-02", SOLL_ROSSI, "letter-it", "tiff-g4", _s(dpi=300, angle=1.0, blur=0.8)),
    Sample("dunning-it-03", SOLL_FERRETTI, "letter-it", "jpg", _s(angle=0.5, jpeg_quality=58), "it_num"),
    Sample("dunning-it-04", SOLL_LOMBARDI, "letter-pec", "pdf", date_style="it_num"),
    Sample("dunning-en-01", REM_KESSLER, "letter-en", "jpg", _s(angle=-1.1, jpeg_quality=60)),
    Sample("dunning-en-02", FINAL_HARBOUR, "letter-en", "png", _s(angle=0.35)),
    Sample("dunning-en-03", REM_MOREAU, "letter-en", "pdf", date_style="en_us"),
    # receipts
    Sample("receipt-it-01", RCPT_GINO, "till", "jpg", _s(angle=-1.5, blur=0.7, jpeg_quality=65), "it_dash"),
    Sample("receipt-en-01", RCPT_GREENFIELD, "payment", "png", _s(angle=0.6)),
)
