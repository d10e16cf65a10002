"""What the archive hands the search package for each document, and what it gets back."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

__all__ = ["Hit", "IndexRecord", "SearchResult"]


@dataclass(frozen=True)
class IndexRecord:
    """One document as the index sees it. Built by the archive from its catalog (the source of truth)."""

    id: str  # SHA-256 of the original, 64 lower-case hex digits
    text: str  # full text, pages separated by form feeds
    filename: str  # original file name
    media_type: str
    ingested_at: datetime  # timezone-aware, UTC
    page_count: int
    doc_type: str | None = None
    language: str | None = None
    # Fields named and formatted as in FIELDS.md: str values, or lists of str for list fields
    # (parties, invoice_refs). Absent when not found.
    fields: Mapping[str, str | list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Hit:
    """One matching document."""

    id: str
    score: float


@dataclass(frozen=True)
class SearchResult:
    """The hits of one query, best first, with the total number of matches."""

    hits: tuple[Hit, ...]
    total: int
    notes: tuple[str, ...] = ()  # e.g. "could not parse the query; searched its words instead"
