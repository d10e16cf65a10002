"""Field extraction: pages of words -> the FIELDS.md fields of one document, each with confidence and provenance.

Pure: no archive, no printing. Entry point :func:`extract_fields`; the parsers live in :mod:`ingest.fields.values`
and the checks in :mod:`ingest.fields.validate`.

    pages -> layout.Doc (cells, lines, text with word offsets)
          -> per-type extractor (invoice, receipt, contract, dunning): labels + patterns + positions -> candidates
          -> scoring, cross-checks (python-stdnum, dates, net + tax = total) -> FieldValue
"""

from __future__ import annotations

from collections.abc import Sequence

from ingest.fields._common import Context
from ingest.fields.contract import extract_contract
from ingest.fields.dunning import extract_dunning
from ingest.fields.invoice import extract_invoice
from ingest.fields.layout import Doc
from ingest.fields.receipt import extract_receipt
from ingest.fields.values import guess_language, parse_amount, parse_date
from ingest.model import FieldValue, Page

__all__ = ["FIELDS_BY_TYPE", "extract_fields", "parse_amount", "parse_date"]

FIELDS_BY_TYPE: dict[str, tuple[str, ...]] = {
    "invoice": (
        "invoice_number", "issue_date", "due_date", "currency", "net_amount", "tax_amount", "total_amount",
        "seller_name", "seller_vat_id", "buyer_name", "buyer_vat_id", "buyer_tax_code", "iban", "contract_ref",
    ),
    "receipt": ("seller_name", "issue_date", "total_amount", "currency"),
    "contract": (
        "contract_number", "parties", "signing_date", "effective_date", "end_date", "contract_value", "currency",
        "governing_law",
    ),
    "dunning_letter": (
        "creditor_name", "debtor_name", "letter_date", "amount_due", "currency", "invoice_refs", "payment_deadline",
    ),
}
FIELDS_BY_TYPE["credit_note"] = FIELDS_BY_TYPE["invoice"]

_EXTRACTORS = {
    "invoice": extract_invoice,
    "credit_note": extract_invoice,
    "receipt": extract_receipt,
    "contract": extract_contract,
    "dunning_letter": extract_dunning,
}


def extract_fields(pages: Sequence[Page], doc_type: str, language: str | None) -> dict[str, FieldValue]:
    """The fields of one document, by FIELDS.md name; a field that was not found is absent.

    Args:
        pages: the pages as read by :func:`ingest.extract` (words with boxes and line numbers).
        doc_type: one of the FIELDS.md document types; "other" (or an unknown type) yields no fields.
        language: ISO 639-1 code of the document's language, or None to guess it from the text.

    Returns:
        FieldValue per field found, each with a confidence in [0, 1], the page and box it was read from,
        the result of its check (``valid``) and what was checked (``checks``).
    """
    extractor = _EXTRACTORS.get(doc_type)
    if extractor is None or not pages:
        return {}
    doc = Doc.build(pages)
    if not doc.cells:
        return {}
    if language is None:
        language = guess_language(doc.text)
    fields = extractor(Context.build(doc, language))
    allowed = FIELDS_BY_TYPE[doc_type]
    return {k: fields[k] for k in allowed if k in fields}
