"""extract_fields on the real text of a few samples (text layer and one OCR'd scan); a few seconds."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest import extract
from ingest.fields import extract_fields

CORPUS = Path(__file__).resolve().parents[2] / "samples" / "corpus"
CASES = ["invoice-it-03.pdf", "invoice-en-05.pdf", "contract-it-02.pdf", "dunning-it-04.pdf", "invoice-it-01.png"]
KEY_FIELDS = {
    "invoice": ("invoice_number", "issue_date", "due_date", "total_amount", "iban", "seller_vat_id"),
    "contract": ("contract_number", "parties", "effective_date", "contract_value", "governing_law"),
    "dunning_letter": ("creditor_name", "amount_due", "invoice_refs", "payment_deadline"),
}


@pytest.mark.parametrize("name", CASES)
def test_key_fields_on_samples(name):
    path = CORPUS / name
    if not path.exists():
        pytest.skip("sample corpus not generated")
    truth = json.loads(path.with_suffix(".json").read_text())
    got = extract_fields(extract(path).pages, truth["doc_type"], truth["language"])
    for field in KEY_FIELDS[truth["doc_type"]]:
        want = truth["fields"][field]
        value = got[field].value
        assert (list(value) if isinstance(value, tuple) else value) == want, field
        assert got[field].page is not None and got[field].bbox is not None
