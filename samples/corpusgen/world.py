"""The fictitious world of the corpus: creditors, debtors, and the documents exchanged between them.

Every document is a small dataclass holding *values* (dates, Decimals, companies); layouts print them and
`ground_truth()` normalises them, so the printed document and its JSON can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from .checkdigits import codice_fiscale, de_vat, fr_vat, gb_vat, iban, italian_bban, partita_iva
from .formats import money, norm_amount


@dataclass(frozen=True)
class Company:
    name: str
    street: str
    city: str  # postcode + town (+ province) as printed
    country: str  # ISO 3166 alpha-2
    country_name: str
    vat_id: str  # normalised: country prefix, no spaces
    tax_code: str | None = None  # Italian codice fiscale (16 chars for people, 11 digits for companies)
    iban: str | None = None
    bank: str | None = None
    phone: str = ""
    email: str = ""
    pec: str = ""
    registry: str = ""  # REA / company number line
    signatory: str = ""
    role: str = ""
    role_en: str = ""

    @property
    def is_italian(self) -> bool:
        return self.country == "IT"


def _it_company(name: str, street: str, city: str, base10: str, **kw) -> Company:
    piva = partita_iva(base10)
    return Company(name, street, city, "IT", "Italy", "IT" + piva, tax_code=kw.pop("tax_code", piva), **kw)


# --- Creditors ---------------------------------------------------------------------------------------------------

BELLINI = _it_company(
    "Bellini Forniture Industriali S.p.A.", "Via Giambattista Vico 12", "20123 Milano (MI)", "0482731015",
    iban=iban("IT", italian_bban("03069", "01783", "100000004723")), bank="Banca del Lario - Filiale Milano Centro",
    phone="+39 02 8735 4410", email="amministrazione@bellini-forniture.it", pec="bellini.forniture@pec-mail.it",
    registry="REA MI-1784523 - Cap. soc. € 500.000,00 i.v.",
    signatory="Marco Bellini", role="Amministratore Delegato", role_en="Managing Director",
)  # fmt: skip
ADRIATICA = _it_company(
    "Adriatica Servizi Digitali S.r.l.", "Via dell'Indipendenza 44", "40121 Bologna (BO)", "0391855037",
    iban=iban("IT", italian_bban("05387", "02400", "000003128841")), bank="Banca Emiliana di Credito",
    phone="+39 051 640 2281", email="amministrazione@adriaticadigitale.it", pec="adriatica.digitale@pec-mail.it",
    registry="REA BO-511298 - Cap. soc. € 50.000,00 i.v.",
    signatory="Laura Fabbri", role="Amministratrice Unica", role_en="Sole Director",
)  # fmt: skip
NORTHGATE = Company(
    "Northgate Supplies Ltd", "18 Cannon Street", "London EC4M 6XH", "GB", "United Kingdom", gb_vat("4418203"),
    iban=iban("GB", "NGTB" + "401276" + "51839204"), bank="Thames Mercantile Bank plc, sort code 40-12-76",
    phone="+44 20 7946 0318", email="accounts@northgate-supplies.co.uk",
    registry="Registered in England and Wales No. 08817342",
    signatory="James Whitfield", role_en="Finance Director",
)  # fmt: skip

# --- Debtors -----------------------------------------------------------------------------------------------------

ROSSI = _it_company(
    "Rossi Costruzioni S.r.l.", "Via Giuseppe Mazzini 8", "37122 Verona (VR)", "0275619023",
    pec="rossicostruzioni@pec-mail.it", signatory="Paolo Rossi", role="Legale rappresentante",
)  # fmt: skip
FERRETTI = _it_company(
    "Ferretti & Figli S.n.c.", "Via Borgo Palazzo 131", "24125 Bergamo (BG)", "0318842016",
    pec="ferrettiefigli@pec-mail.it", signatory="Luca Ferretti", role="Socio amministratore",
)  # fmt: skip
ESPOSITO = _it_company(
    "Ristorante Da Gino di Gino Esposito", "Via Partenope 27", "80121 Napoli (NA)", "0712338063",
    tax_code=codice_fiscale("Esposito", "Gino", date(1968, 7, 12), female=False, belfiore="F839"),
    phone="081 764 3390", signatory="Gino Esposito", role="Titolare",
)  # fmt: skip
LOMBARDI = _it_company(
    "Lombardi Impianti S.r.l.", "Corso Vittorio Emanuele II 96", "10121 Torino (TO)", "1120457001",
    pec="lombardi.impianti@pec-mail.it", signatory="Giulia Lombardi", role="Amministratrice",
)  # fmt: skip
KESSLER = Company(
    "Kessler Maschinenbau GmbH", "Industriestraße 14", "70565 Stuttgart", "DE", "Germany", de_vat("81247730"),
    signatory="Dr. Anna Kessler", role_en="Managing Director (Geschäftsführerin)",
)  # fmt: skip
HARBOUR = Company(
    "Harbour Logistics Ltd", "Unit 4, Western Docks", "Southampton SO15 1DA", "GB", "United Kingdom",
    gb_vat("2871406"), signatory="Michael Turner", role_en="Operations Director",
)  # fmt: skip
MOREAU = Company(
    "Moreau Distribution SAS", "27 rue de la République", "69002 Lyon", "FR", "France", fr_vat("51298774"),
    signatory="Claire Moreau", role_en="Présidente",
)  # fmt: skip
GREENFIELD = Company(
    "Greenfield Retail Ltd", "42 Briggate", "Leeds LS1 6HD", "GB", "United Kingdom", gb_vat("6630952"),
    signatory="Hannah Price", role_en="Director",
)  # fmt: skip


# --- Documents ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    description: str
    quantity: Decimal
    unit: str
    unit_price: Decimal

    @property
    def amount(self) -> Decimal:
        return money(self.quantity * self.unit_price)


def item(description: str, quantity: str | int, unit: str, unit_price: str) -> Item:
    return Item(description, Decimal(quantity), unit, Decimal(unit_price))


@dataclass(frozen=True)
class Invoice:
    """An invoice or credit note. The `show_*` flags say which optional fields the document prints."""

    number: str
    issue: date
    seller: Company
    buyer: Company
    items: tuple[Item, ...]
    vat_rate: Decimal
    language: str
    due: date | None = None
    currency: str = "EUR"
    contract_ref: str | None = None
    credit_note: bool = False
    show_iban: bool = True
    show_buyer_vat: bool = True
    show_buyer_tax_code: bool = False
    note: str = ""  # free text (payment terms, reverse charge, reference to the credited invoice)

    @property
    def net(self) -> Decimal:
        return money(sum((i.amount for i in self.items), Decimal(0)))

    @property
    def tax(self) -> Decimal:
        return money(self.net * self.vat_rate / 100)

    @property
    def total(self) -> Decimal:
        return self.net + self.tax

    @property
    def doc_type(self) -> str:
        return "credit_note" if self.credit_note else "invoice"

    @property
    def dated(self) -> date:
        return self.issue

    def ground_truth(self) -> dict:
        f: dict = {"invoice_number": self.number, "issue_date": self.issue.isoformat()}
        if self.due:
            f["due_date"] = self.due.isoformat()
        f |= {
            "currency": self.currency,
            "net_amount": norm_amount(self.net),
            "tax_amount": norm_amount(self.tax),
            "total_amount": norm_amount(self.total),
            "seller_name": self.seller.name,
            "seller_vat_id": self.seller.vat_id,
            "buyer_name": self.buyer.name,
        }
        if self.show_buyer_vat:
            f["buyer_vat_id"] = self.buyer.vat_id
        if self.show_buyer_tax_code:
            f["buyer_tax_code"] = self.buyer.tax_code
        if self.show_iban:
            f["iban"] = self.seller.iban
        if self.contract_ref:
            f["contract_ref"] = self.contract_ref
        return f


@dataclass(frozen=True)
class Contract:
    number: str
    title: str
    supplier: Company
    customer: Company
    signing: date
    place: str
    effective: date
    end: date
    value: Decimal
    currency: str
    governing_law: str  # as printed in the governing-law clause
    jurisdiction: str  # whose law governs: the normalised governing_law of FIELDS.md ("Italy", "England and Wales")
    language: str
    subject: str  # what is supplied, one sentence fragment
    kind: str  # "supply" | "services"
    price_list: tuple[tuple[str, str, Decimal], ...] = ()  # annex: description, unit, unit price

    @property
    def parties(self) -> list[str]:
        return [self.supplier.name, self.customer.name]

    doc_type = "contract"

    @property
    def dated(self) -> date:
        return self.signing

    def ground_truth(self) -> dict:
        return {
            "contract_number": self.number,
            "parties": self.parties,
            "signing_date": self.signing.isoformat(),
            "effective_date": self.effective.isoformat(),
            "end_date": self.end.isoformat(),
            "contract_value": norm_amount(self.value),
            "currency": self.currency,
            "governing_law": self.jurisdiction,
        }


@dataclass(frozen=True)
class Dunning:
    """A payment reminder ("sollecito", "reminder") or formal notice ("diffida", "final notice")."""

    kind: str  # "sollecito" | "diffida" | "reminder" | "final"
    creditor: Company
    debtor: Company
    letter_date: date
    place: str
    invoices: tuple[Invoice, ...]
    deadline: date
    language: str
    reference: str = ""  # creditor's own letter reference ("Prot. n.")
    previous_letter: date | None = None
    contract: Contract | None = None
    registered_mail: bool = False  # prints the one "raccomandata" of the corpus

    doc_type = "dunning_letter"

    @property
    def dated(self) -> date:
        return self.letter_date

    @property
    def currency(self) -> str:
        return self.invoices[0].currency

    @property
    def amount_due(self) -> Decimal:
        return sum((inv.total for inv in self.invoices), Decimal(0))

    def ground_truth(self) -> dict:
        return {
            "creditor_name": self.creditor.name,
            "debtor_name": self.debtor.name,
            "letter_date": self.letter_date.isoformat(),
            "amount_due": norm_amount(self.amount_due),
            "currency": self.currency,
            "invoice_refs": [inv.number for inv in self.invoices],
            "payment_deadline": self.deadline.isoformat(),
        }


@dataclass(frozen=True)
class Receipt:
    seller: Company
    issue: date
    language: str
    currency: str
    items: tuple[Item, ...] = ()
    vat_rate: Decimal = Decimal(0)  # VAT included in the prices (retail receipt)
    number: str = ""
    time: str = ""
    paid_invoice: Invoice | None = None  # payment receipt for an invoice
    payer: Company | None = None

    doc_type = "receipt"

    @property
    def dated(self) -> date:
        return self.issue

    @property
    def total(self) -> Decimal:
        if self.paid_invoice:
            return self.paid_invoice.total
        return money(sum((i.amount for i in self.items), Decimal(0)))

    @property
    def vat_included(self) -> Decimal:
        return money(self.total * self.vat_rate / (100 + self.vat_rate))

    def ground_truth(self) -> dict:
        return {
            "seller_name": self.seller.name,
            "issue_date": self.issue.isoformat(),
            "total_amount": norm_amount(self.total),
            "currency": self.currency,
        }


Document = Invoice | Contract | Dunning | Receipt


# --- Output plan -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scan:
    """How a paper document was scanned: resolution, skew and noise."""

    dpi: int = 200
    angle: float = 0.6  # degrees, counter-clockwise
    blur: float = 0.6  # Gaussian radius in pixels
    speckles: int = 140  # dust specks per A4 page area
    paper: tuple[int, int] = (236, 250)  # background grey range
    ink: int = 38  # darkest grey the toner reaches
    jpeg_quality: int = 60
    threshold: int = 150  # for bilevel output
    seed: int = 0  # re-roll the noise (when a speck happens to land on a key value)


@dataclass(frozen=True)
class Sample:
    """One file of the corpus: a document, its layout family and its output format."""

    name: str  # file stem, e.g. "invoice-it-01"
    doc: Document
    layout: str
    fmt: str  # pdf | pdf-scan-jpeg | pdf-scan-g4 | pdf-scan-fpdf | png | jpg | tiff-g4 | tiff-gray
    scan: Scan = field(default_factory=Scan)
    date_style: str = ""  # for contracts and letters; invoice layouts have their house style

    @property
    def ext(self) -> str:
        return {"png": "png", "jpg": "jpg", "tiff-g4": "tiff", "tiff-gray": "tiff"}.get(self.fmt, "pdf")

    @property
    def filename(self) -> str:
        return f"{self.name}.{self.ext}"

    @property
    def is_scan(self) -> bool:
        return self.fmt != "pdf"
