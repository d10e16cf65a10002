"""Classification of the samples corpus, read by the real ingest (text layer, and OCR for a few scans)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ingest
from ingest.classify import classify
from tests.conftest import corpus_documents, ground_truth

# every PDF with a real text layer (fast), and one scan of several types and formats (a few seconds each)
SCANS = {
    "contract-en-03.png",
    "credit-note-en-01.jpg",
    "dunning-en-02.png",
    "dunning-it-02.tiff",
    "invoice-en-04.jpg",
    "invoice-it-06.tiff",
    "receipt-en-01.png",
    "receipt-it-01.jpg",
}


def _selected() -> list[Path]:
    chosen = []
    for doc in corpus_documents():
        source = ingest.sniff(doc)
        if doc.name in SCANS or (source.kind == "pdf" and source.has_text_layer):
            chosen.append(doc)
    return chosen


@pytest.mark.ocr
def test_samples_are_classified() -> None:
    docs = _selected()
    assert len(docs) >= 10
    wrong_type, wrong_language = [], []
    for doc in docs:
        truth = ground_truth(doc)
        result = classify(ingest.extract(doc).pages)
        if result.doc_type != truth["doc_type"]:
            wrong_type.append((doc.name, truth["doc_type"], result.scores[:2]))
        if result.language != truth["language"]:
            wrong_language.append((doc.name, truth["language"], result.language))
    assert 1 - len(wrong_type) / len(docs) >= 0.98, wrong_type
    assert not wrong_language
