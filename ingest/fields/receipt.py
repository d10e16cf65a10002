"""Receipts: who issued it, when, how much, in which currency."""

from __future__ import annotations

from ingest.fields._common import Context, to_field
from ingest.fields.invoice import find_currency, find_dates, find_totals
from ingest.fields.parties import find_parties
from ingest.model import FieldValue

__all__ = ["extract_receipt"]


def extract_receipt(ctx: Context) -> dict[str, FieldValue]:
    out: dict[str, FieldValue] = {}
    parties = find_parties(ctx)
    if parties.seller is not None:
        out["seller_name"] = to_field(ctx, "seller_name", parties.seller)
    issue, _ = find_dates(ctx)
    if issue is not None:
        out["issue_date"] = to_field(ctx, "issue_date", issue)
    total = find_totals(ctx).get("total_amount")
    if total is not None:
        out["total_amount"] = to_field(ctx, "total_amount", total)
    currency = find_currency(ctx, total)
    if currency is not None:
        out["currency"] = to_field(ctx, "currency", currency)
    return out
