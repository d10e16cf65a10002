"""Checks on the committed sample corpus in samples/corpus (fast: no OCR).

Ground-truth schema and value formats (see /work/shared/FIELDS.md), check digits of every identifier,
arithmetic, cross-document consistency of the case files, file formats, text layers, size, and that
`samples/generate.py` reproduces the committed files byte for byte.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image
from pypdf import PdfReader

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
CORPUS = SAMPLES / "corpus"
DOC_SUFFIXES = {".pdf", ".png", ".jpg", ".tiff"}
MAX_BYTES = 12 * 1024 * 1024

INVOICE_FIELDS = {
    "invoice_number", "issue_date", "due_date", "currency", "net_amount", "tax_amount", "total_amount",
    "seller_name", "seller_vat_id", "buyer_name", "buyer_vat_id", "buyer_tax_code", "iban", "contract_ref",
}  # fmt: skip
FIELDS = {
    "invoice": INVOICE_FIELDS,
    "credit_note": INVOICE_FIELDS,
    "receipt": {"seller_name", "issue_date", "total_amount", "currency"},
    "contract": {
        "contract_number", "parties", "signing_date", "effective_date", "end_date", "contract_value", "currency",
        "governing_law",
    },
    "dunning_letter": {
        "creditor_name", "debtor_name", "letter_date", "amount_due", "currency", "invoice_refs", "payment_deadline",
    },
    "other": set(),
}  # fmt: skip
DATE_FIELDS = {
    "issue_date", "due_date", "signing_date", "effective_date", "end_date", "letter_date", "payment_deadline",
}  # fmt: skip
AMOUNT_FIELDS = {"net_amount", "tax_amount", "total_amount", "contract_value", "amount_due"}
LIST_FIELDS = {"parties", "invoice_refs"}
AMOUNT_RE = re.compile(r"^-?\d+\.\d{2}$")
MAGIC = {
    ".pdf": (b"%PDF-",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".tiff": (b"II*\x00", b"MM\x00*"),
}


def documents() -> list[Path]:
    return sorted(p for p in CORPUS.iterdir() if p.suffix in DOC_SUFFIXES)


def truth(doc: Path) -> dict:
    return json.loads(doc.with_suffix(".json").read_text(encoding="utf-8"))


def text_layer(pdf: Path) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in doc)
    finally:
        doc.close()


def digital_pdfs() -> list[Path]:
    return [d for d in documents() if d.suffix == ".pdf" and text_layer(d).strip()]


# --- check-digit algorithms ----------------------------------------------------------------------------------------

_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20, 11, 3, 6, 8,
                 12, 14, 16, 10, 22, 25, 24, 23], strict=True))  # fmt: skip
_EVEN = {c: int(c) if c.isdigit() else ord(c) - ord("A") for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}


def _odd_even_letter(text: str) -> str:
    return chr(ord("A") + sum(_ODD[c] if i % 2 == 0 else _EVEN[c] for i, c in enumerate(text)) % 26)


def partita_iva_ok(number: str) -> bool:
    if not re.fullmatch(r"\d{11}", number):
        return False
    total = 0
    for i, ch in enumerate(number[:10]):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return (10 - total % 10) % 10 == int(number[10])


def codice_fiscale_ok(code: str) -> bool:
    if re.fullmatch(r"\d{11}", code):  # companies: the codice fiscale is the Partita IVA number
        return partita_iva_ok(code)
    pattern = r"[A-Z]{6}\d{2}[ABCDEHLMPRST]\d{2}[A-Z]\d{3}[A-Z]"
    return bool(re.fullmatch(pattern, code)) and _odd_even_letter(code[:15]) == code[15]


def iban_ok(iban: str) -> bool:
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    digits = "".join(str(int(c, 36)) for c in iban[4:] + iban[:4])
    if int(digits) % 97 != 1:
        return False
    if iban.startswith("IT"):  # national check character (CIN) of the Italian BBAN
        return len(iban) == 27 and _odd_even_letter(iban[5:]) == iban[4]
    return True


def vat_id_ok(vat: str) -> bool:
    country, number = vat[:2], vat[2:]
    if country == "IT":
        return partita_iva_ok(number)
    if country == "GB":
        if not re.fullmatch(r"\d{9}", number):
            return False
        total = sum(int(d) * w for d, w in zip(number[:7], range(8, 1, -1), strict=True)) + int(number[7:])
        return total % 97 == 0 or (total + 55) % 97 == 0
    if country == "DE":
        if not re.fullmatch(r"[1-9]\d{8}", number):
            return False
        product = 10
        for ch in number[:8]:
            s = (int(ch) + product) % 10 or 10
            product = 2 * s % 11
        return (11 - product) % 10 == int(number[8])
    if country == "FR":
        if not re.fullmatch(r"\d{11}", number):
            return False
        siren = number[2:]
        luhn = sum(int(d) if i % 2 == 0 else sum(divmod(2 * int(d), 10)) for i, d in enumerate(reversed(siren)))
        return luhn % 10 == 0 and int(number[:2]) == (12 + 3 * (int(siren) % 97)) % 97
    return False


def test_check_digit_algorithms_on_known_values():
    assert partita_iva_ok("01234567897") and not partita_iva_ok("01234567898")
    assert codice_fiscale_ok("RSSMRA85T10A562S") and not codice_fiscale_ok("RSSMRA85T10A562T")
    assert iban_ok("IT60X0542811101000000123456") and not iban_ok("IT60Y0542811101000000123456")
    assert iban_ok("GB29NWBK60161331926819") and not iban_ok("GB29NWBK60161331926818")
    assert vat_id_ok("DE136695976") and vat_id_ok("FR83404833048") and vat_id_ok("GB980780684")
    assert not vat_id_ok("DE136695977") and not vat_id_ok("FR84404833048")


# --- printed forms of normalised values (to find them in text layers) ---------------------------------------------

MESI = [
    "gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno",
    "luglio", "agosto", "settembre", "ottobre", "novembre", "dicembre",
]  # fmt: skip
MONTHS = [
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
]  # fmt: skip


def printed_dates(d: date) -> set[str]:
    day = "1°" if d.day == 1 else str(d.day)
    return {
        f"{d.day:02d}/{d.month:02d}/{d.year}", f"{d.day:02d}.{d.month:02d}.{d.year}",
        f"{d.day:02d}-{d.month:02d}-{d.year}", f"{day} {MESI[d.month - 1]} {d.year}",
        f"{MONTHS[d.month - 1]} {d.day}, {d.year}", f"{d.day} {MONTHS[d.month - 1]} {d.year}",
        f"{d.day:02d} {MONTHS[d.month - 1][:3]} {d.year}", d.isoformat(),
    }  # fmt: skip


def printed_amounts(value: str) -> set[str]:
    en = f"{Decimal(value):,.2f}"
    return {en, en.replace(",", " ").replace(".", ",").replace(" ", ".")}


def appears(name: str, value: str, text: str) -> bool:
    flat = re.sub(r"\s+", " ", text)
    tight = re.sub(r"\s+", "", text)
    if name in DATE_FIELDS:
        return any(form in flat for form in printed_dates(date.fromisoformat(value)))
    if name in AMOUNT_FIELDS:
        return any(form in tight for form in printed_amounts(value))
    if name == "currency":
        return any(mark in text for mark in {"EUR": ("€", "EUR"), "GBP": ("£", "GBP")}[value])
    if name.endswith("vat_id"):
        return value in tight or value[2:] in tight
    if name in ("iban", "buyer_tax_code", "invoice_number", "contract_number", "contract_ref", "invoice_refs"):
        return value in tight
    if name == "governing_law":  # the jurisdiction, printed as its name or, in Italian, as "legge italiana"
        return value in flat or (value == "Italy" and "legge italiana" in flat)
    return value in flat


# --- the corpus as a whole -------------------------------------------------------------------------------------------


def test_every_document_has_its_json_and_every_json_its_document():
    stems = {p.stem for p in documents()}
    jsons = {p.stem for p in CORPUS.glob("*.json")}
    assert stems == jsons
    assert len(stems) == len(documents()), "two documents share a name"
    others = [p.name for p in CORPUS.iterdir() if p.suffix not in DOC_SUFFIXES | {".json"}]
    assert not others, f"unexpected files in the corpus: {others}"


def test_corpus_is_big_enough_and_small_enough():
    assert len(documents()) >= 24
    total = sum(p.stat().st_size for p in SAMPLES.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < MAX_BYTES, f"samples/ holds {total / 2**20:.1f} MB"


def test_readme_lists_every_document():
    readme = (SAMPLES / "README.md").read_text(encoding="utf-8")
    missing = [d.name for d in documents() if f"`{d.name}`" not in readme]
    assert not missing, f"samples/README.md does not list {missing} (python samples/generate.py --table)"


def test_document_types_and_languages_are_mixed():
    kinds = [(truth(d)["doc_type"], truth(d)["language"]) for d in documents()]
    for doc_type in ("invoice", "credit_note", "contract", "dunning_letter", "receipt"):
        assert any(k == doc_type for k, _ in kinds), doc_type
    for doc_type in ("invoice", "contract", "dunning_letter"):
        assert {lang for k, lang in kinds if k == doc_type} == {"it", "en"}, doc_type


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_ground_truth_follows_the_field_vocabulary(doc):
    record = truth(doc)
    assert list(record) == ["doc_type", "language", "fields"]
    assert record["doc_type"] in FIELDS
    assert record["language"] in ("it", "en")
    fields = record["fields"]
    assert fields and set(fields) <= FIELDS[record["doc_type"]], set(fields) - FIELDS[record["doc_type"]]
    for name, value in fields.items():
        if name in LIST_FIELDS:
            assert isinstance(value, list) and value and all(isinstance(v, str) and v.strip() == v for v in value)
            continue
        assert isinstance(value, str) and value and value.strip() == value, name
        if name in DATE_FIELDS:
            assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and date.fromisoformat(value), (name, value)
        elif name in AMOUNT_FIELDS:
            assert AMOUNT_RE.match(value), (name, value)
        elif name == "currency":
            assert value in ("EUR", "GBP")
        elif name.endswith("_name") or name == "governing_law":
            assert "  " not in value and "\n" not in value
    for party in fields.get("parties", []):
        assert "  " not in party


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_identifiers_have_valid_check_digits(doc):
    fields = truth(doc)["fields"]
    for name in ("seller_vat_id", "buyer_vat_id"):
        if name in fields:
            assert re.fullmatch(r"[A-Z]{2}[0-9A-Z]+", fields[name]) and vat_id_ok(fields[name]), fields[name]
    if "buyer_tax_code" in fields:
        assert codice_fiscale_ok(fields["buyer_tax_code"]), fields["buyer_tax_code"]
    if "iban" in fields:
        assert iban_ok(fields["iban"]), fields["iban"]


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_amounts_and_dates_are_consistent(doc):
    record = truth(doc)
    f = record["fields"]
    if record["doc_type"] in ("invoice", "credit_note"):
        assert Decimal(f["net_amount"]) + Decimal(f["tax_amount"]) == Decimal(f["total_amount"])
        if "due_date" in f:
            assert f["due_date"] >= f["issue_date"]
    if record["doc_type"] == "contract":
        assert f["signing_date"] <= f["effective_date"] < f["end_date"]
        assert len(f["parties"]) >= 2
    if record["doc_type"] == "dunning_letter":
        assert f["payment_deadline"] > f["letter_date"]


def test_case_files_are_consistent_across_documents():
    """Dunning letters cite real invoices of the same debtor; invoices cite real contracts of the same parties."""
    records = [truth(d)["fields"] | {"_type": truth(d)["doc_type"]} for d in documents()]
    invoices = {r["invoice_number"]: r for r in records if r["_type"] == "invoice"}
    contracts = {r["contract_number"]: r for r in records if r["_type"] == "contract"}
    letters = [r for r in records if r["_type"] == "dunning_letter"]
    assert len({r["debtor_name"] for r in letters}) >= 5
    for letter in letters:
        cited = [invoices[n] for n in letter["invoice_refs"]]
        assert all(inv["buyer_name"] == letter["debtor_name"] for inv in cited)
        assert all(inv["seller_name"] == letter["creditor_name"] for inv in cited)
        assert all(inv["currency"] == letter["currency"] for inv in cited)
        assert sum(Decimal(inv["total_amount"]) for inv in cited) == Decimal(letter["amount_due"])
        assert all(inv["due_date"] < letter["letter_date"] for inv in cited)
    refs = [inv for inv in invoices.values() if "contract_ref" in inv]
    assert len(refs) >= 4
    for inv in refs:
        contract = contracts[inv["contract_ref"]]
        assert contract["parties"] == [inv["seller_name"], inv["buyer_name"]]
        assert contract["effective_date"] <= inv["issue_date"] <= contract["end_date"]


# --- files ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", documents(), ids=lambda p: p.name)
def test_extension_matches_magic_bytes(doc):
    head = doc.read_bytes()[:16]
    assert head.startswith(MAGIC[doc.suffix]), f"{doc.name} starts with {head!r}"
    assert re.fullmatch(r"(invoice|credit-note|contract|dunning|receipt)-(it|en)-\d\d", doc.stem), doc.name


@pytest.mark.parametrize("doc", [d for d in documents() if d.suffix != ".pdf"], ids=lambda p: p.name)
def test_scans_are_greyscale_or_bilevel_with_a_resolution(doc):
    with Image.open(doc) as im:
        assert im.mode in ("L", "1"), im.mode
        dpi = im.info.get("dpi")
        assert dpi and all(199 <= round(v) <= 300 for v in dpi), dpi
        for frame in range(getattr(im, "n_frames", 1)):
            im.seek(frame)
            inches = im.size[1] / round(dpi[1])
            assert inches > 5, f"page {frame + 1} is only {inches:.1f} in tall"


def test_at_least_two_multipage_tiffs():
    multipage = []
    for doc in documents():
        if doc.suffix == ".tiff":
            with Image.open(doc) as im:
                if im.n_frames > 1:
                    multipage.append(doc.name)
    assert len(multipage) >= 2, multipage


def test_image_only_pdfs_have_no_text_layer():
    image_only = []
    for doc in documents():
        if doc.suffix != ".pdf":
            continue
        reader = PdfReader(doc)
        if all(not page.extract_text().strip() for page in reader.pages):
            assert all(page.images for page in reader.pages), f"{doc.name}: a page without text and without image"
            image_only.append(doc.name)
    assert image_only, "no image-only (scanned) PDF in the corpus"


def test_digital_pdfs_have_a_text_layer_with_every_ground_truth_value():
    pdfs = digital_pdfs()
    assert len(pdfs) >= 6
    assert any(len(PdfReader(p).pages) > 1 and truth(p)["doc_type"] == "contract" for p in pdfs)
    for pdf in pdfs:
        text = text_layer(pdf)
        record = truth(pdf)
        number = record["fields"].get("invoice_number") or record["fields"].get("contract_number")
        assert number is None or number in text, pdf.name
        missing = [
            f"{name}={v}"
            for name, value in record["fields"].items()
            for v in (value if isinstance(value, list) else [value])
            if not appears(name, v, text)
        ]
        assert not missing, f"{pdf.name}: ground-truth values not in the text layer: {missing}"
        if record["language"] == "it":
            assert re.search("[àèéìòù]", text), f"{pdf.name}: accented letters do not extract"


def test_distinctive_words_are_where_the_demo_expects_them():
    for doc in digital_pdfs():
        assert "raccomandata" not in text_layer(doc).lower(), doc.name
    for path in CORPUS.glob("*.json"):
        assert "raccomandata" not in path.read_text(encoding="utf-8").lower()
    # the one letter printing "raccomandata" is a scan (its OCR is checked by samples/ocr_check.py)
    assert (CORPUS / "dunning-it-01.png").exists() and truth(CORPUS / "dunning-it-01.png")["language"] == "it"


def test_generator_reproduces_the_corpus_byte_for_byte(tmp_path):
    """About 15 s: regenerates everything into a temporary folder and compares.

    Skipped where the generator cannot run (DejaVu fonts missing) or where the libraries and fonts differ from
    those recorded in samples/toolchain.json, since encoders and font subsetting may then emit other bytes.
    """
    script = str(SAMPLES / "generate.py")
    probe = subprocess.run([sys.executable, script, "--toolchain"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"samples/generate.py cannot run here: {probe.stderr.strip()}")
    current = json.loads(probe.stdout)
    recorded = json.loads((SAMPLES / "toolchain.json").read_text(encoding="utf-8"))
    if current != recorded:
        pytest.skip(f"corpus generated with {recorded}, this environment has {current}")
    subprocess.run([sys.executable, script, "--out", str(tmp_path), "-q"], check=True)
    fresh = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in CORPUS.iterdir()}
    assert sorted(fresh) == sorted(committed)
    differing = [name for name in committed if fresh[name] != committed[name]]
    assert not differing, f"regenerated files differ: {differing}"
