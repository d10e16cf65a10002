"""A document's fields as people see them: extracted values with human corrections laid over them.

Extracted values are never overwritten. A correction is appended (who, when, old, new) and wins in search and in
output, while the extracted value stays beside it. Corrections are normalised to FIELDS.md's formats with the
same field registry the search index uses, so that a corrected value is found exactly like an extracted one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from search.fields import Kind, ValueProblem, field_spec, parse_amount

from .catalog import Catalog, CorrectionRow, FieldRow
from .errors import SigilloError

__all__ = ["EffectiveField", "FieldValueError", "effective_fields", "normalise_correction"]

LIST_SEPARATOR = ";"
_SPACES = re.compile(r"\s+")


class FieldValueError(SigilloError):
    """A corrected value that does not fit its field."""


@dataclass(frozen=True)
class EffectiveField:
    """What the archive holds for one field now: the extracted value, and the correction if any."""

    name: str
    value: str | tuple[str, ...]
    source: str  # "extracted" | "corrected"
    extracted: FieldRow | None
    correction: CorrectionRow | None

    def as_json(self) -> dict[str, object]:
        """FIELDS.md's shape: value, confidence, page, bbox, valid; plus where it came from."""
        e = self.extracted
        value = self.value if isinstance(self.value, str) else list(self.value)
        out: dict[str, object] = {"value": value}
        if self.correction is not None:
            out.update({"confidence": 1.0, "valid": check_value(self.name, self.value), "source": "corrected",
                        "corrected_by": self.correction.os_user, "corrected_at": self.correction.at})
            if e is not None:
                out["extracted"] = {"value": e.value if isinstance(e.value, str) else list(e.value),
                                    "confidence": e.confidence}
            return out
        assert e is not None
        out.update({"confidence": round(e.confidence, 3), "page": e.page,
                    "bbox": None if e.bbox is None else list(e.bbox), "valid": e.valid, "source": "extracted"})
        if e.raw:
            out["raw"] = e.raw
        if e.checks:
            out["checks"] = list(e.checks)
        return out


def effective_fields(catalog: Catalog, doc_id: str) -> dict[str, EffectiveField]:
    """The document's fields by name, corrections applied (a correction to nothing removes the field)."""
    extracted = catalog.fields(doc_id)
    latest: dict[str, CorrectionRow] = {}
    for correction in catalog.corrections(doc_id):
        latest[correction.name] = correction
    out: dict[str, EffectiveField] = {}
    for name in sorted(set(extracted) | set(latest)):
        correction = latest.get(name)
        if correction is not None:
            if correction.new_value is not None:
                out[name] = EffectiveField(name, correction.new_value, "corrected", extracted.get(name), correction)
        else:
            row = extracted[name]
            out[name] = EffectiveField(name, row.value, "extracted", row, None)
    return out


def _code(text: str) -> str:
    return re.sub(r"[\s.\-/]", "", text).upper()


def check_value(name: str, value: str | tuple[str, ...]) -> bool | None:
    """Whether a value passes its field's check (checksums for codes); None when no check applies."""
    if not isinstance(value, str):
        return None
    if name == "iban":
        from stdnum import iban as stdnum_iban

        return bool(stdnum_iban.is_valid(value))
    if name.endswith("vat_id"):
        from stdnum import vatin

        return bool(vatin.is_valid(value))
    if name == "buyer_tax_code":
        from stdnum.it import codicefiscale, iva

        return bool(codicefiscale.is_valid(value) or iva.is_valid(value))
    return None


def normalise_correction(name: str, text: str) -> tuple[str, str | tuple[str, ...] | None]:
    """Turn ``name=text`` from the command line into a FIELDS.md name and value (None removes the field).

    Raises:
        FieldValueError: unknown field, or a value that cannot be read as the field's kind.
    """
    spec = field_spec(name)
    if spec is None or spec.source != "fields":
        raise FieldValueError(f"'{name}' is not a field", hint="see FIELDS.md, or `sigillo fields --help`")
    text = _SPACES.sub(" ", text).strip()
    if not text:
        return spec.name, None
    kind = spec.kind
    try:
        if kind is Kind.AMOUNT:
            return spec.name, f"{parse_amount(text):.2f}"
        if kind is Kind.DATE:
            try:
                return spec.name, date.fromisoformat(text).isoformat()
            except ValueError:
                raise ValueProblem(f"'{text}' is not a date in the form YYYY-MM-DD") from None
        if kind is Kind.CODE:
            code = _code(text)
            if spec.name == "currency" and not re.fullmatch(r"[A-Z]{3}", code):
                raise ValueProblem(f"'{text}' is not an ISO 4217 currency code such as EUR")
            return spec.name, code
        if kind in (Kind.IDENTIFIERS, Kind.NAMES):
            items = tuple(part.strip() for part in text.split(LIST_SEPARATOR) if part.strip())
            return spec.name, items
    except ValueProblem as exc:
        raise FieldValueError(f"{spec.name}: {exc}") from exc
    return spec.name, text
