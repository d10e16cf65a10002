"""``sigillo eval``: how well classification and field extraction do on documents with a known truth.

Each document ``NAME.ext`` in the folder has its truth in ``NAME.json`` beside it (the format of samples/:
``{"doc_type": …, "language": …, "fields": {…}}``). The folder is ingested into a throwaway archive, exactly as
a user's files would be, and every field is compared after normalisation: amounts as decimals, dates and
identifiers exactly, names (and other free text) case- and whitespace-insensitively, lists as sets.

Per field: a right value is a true positive; a wrong value counts against both precision and recall; a missed
value against recall; a value the truth does not have against precision.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

from search.fields import Kind, field_spec

from .config import Settings
from .core import Archive
from .fields import effective_fields
from .pipeline import FileOutcome, ingest_paths

__all__ = ["DocumentResult", "EvalReport", "FieldScore", "evaluate", "same_value"]

_SPACES = re.compile(r"\s+")


def _norm_text(value: str) -> str:
    return _SPACES.sub(" ", value).strip().casefold()


def _norm(name: str, value: object) -> object:
    spec = field_spec(name)
    kind = spec.kind if spec else Kind.TEXT
    if isinstance(value, list | tuple):
        return frozenset(_norm_text(str(v)) if kind is Kind.NAMES else str(v).strip() for v in value)
    text = str(value)
    if kind is Kind.AMOUNT:
        try:
            return Decimal(text)
        except InvalidOperation:
            return text
    if kind in (Kind.TEXT, Kind.NAMES):
        return _norm_text(text)
    return text.strip()


def same_value(name: str, got: object, expected: object) -> bool:
    """Whether an extracted value matches the truth, after the normalisation of FIELDS.md."""
    return _norm(name, got) == _norm(name, expected)


@dataclass
class FieldScore:
    name: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def support(self) -> int:
        """How many documents' truths have this field."""
        return self.tp + self.fn

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class DocumentResult:
    file: str
    expected_type: str
    got_type: str | None
    mistakes: list[str] = field(default_factory=list)
    failed: str | None = None  # the ingest error, when the document could not be ingested


@dataclass
class EvalReport:
    folder: str
    fields: dict[str, FieldScore] = field(default_factory=dict)
    documents: list[DocumentResult] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def doc_type_accuracy(self) -> float:
        if not self.documents:
            return 0.0
        return sum(d.expected_type == d.got_type for d in self.documents) / len(self.documents)

    @property
    def scored(self) -> dict[str, FieldScore]:
        """Fields the truth files label at least once. A set labelled by others may label only some fields
        (e.g. the devset): values of a field no truth file has cannot be judged, so they are not scored."""
        return {name: s for name, s in sorted(self.fields.items()) if s.support}

    @property
    def unlabelled(self) -> dict[str, int]:
        """Fields extracted but labelled in no truth file: how many values were extracted."""
        return {name: s.fp for name, s in sorted(self.fields.items()) if not s.support}

    def as_json(self) -> dict[str, object]:
        return {
            "folder": self.folder,
            "documents": len(self.documents),
            "doc_type_accuracy": round(self.doc_type_accuracy, 4),
            "fields": {
                name: {"support": s.support, "tp": s.tp, "fp": s.fp, "fn": s.fn, "precision": round(s.precision, 4),
                       "recall": round(s.recall, 4), "f1": round(s.f1, 4)}
                for name, s in self.scored.items()
            },
            "unlabelled_fields": self.unlabelled,
            "mistakes": {d.file: self.mistakes_of(d) for d in self.documents if self.mistakes_of(d)},
            "seconds": round(self.seconds, 2),
        }


    def _judged(self, mistakes: list[str]) -> list[str]:
        unlabelled = self.unlabelled
        return [m for m in mistakes if m.split(":", 1)[0] not in unlabelled]

    def mistakes_of(self, result: DocumentResult) -> list[str]:
        """The document's mistakes on the fields this set labels."""
        return ([f"failed: {result.failed}"] if result.failed else []) + self._judged(result.mistakes)


def _truth_files(folder: Path) -> list[tuple[Path, Path]]:
    pairs = []
    for truth in sorted(folder.rglob("*.json")):
        docs = [p for p in truth.parent.glob(glob_escape(truth.stem) + ".*") if p.suffix.lower() != ".json"]
        if len(docs) == 1:
            pairs.append((docs[0], truth))
    return pairs


def glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def _score(report: EvalReport, result: DocumentResult, expected: dict[str, object], got: dict[str, object]) -> None:
    for name in sorted(set(expected) | set(got)):
        score = report.fields.setdefault(name, FieldScore(name))
        if name in expected and name in got:
            if same_value(name, got[name], expected[name]):
                score.tp += 1
            else:
                score.fp += 1
                score.fn += 1
                result.mistakes.append(f"{name}: got {got[name]!r}, expected {expected[name]!r}")
        elif name in expected:
            score.fn += 1
            result.mistakes.append(f"{name}: missed (expected {expected[name]!r})")
        else:
            score.fp += 1
            result.mistakes.append(f"{name}: got {got[name]!r}, which the document does not have")


def evaluate(
    folder: Path, *, settings: Settings | None = None, on_outcome: Callable[[FileOutcome], None] = lambda o: None
) -> EvalReport:
    """Ingest every document of ``folder`` that has a truth file into a throwaway archive, and score it."""
    pairs = _truth_files(folder)
    report = EvalReport(folder=str(folder))
    with tempfile.TemporaryDirectory(prefix="sigillo-eval-") as tmp:
        archive = Archive.init(Path(tmp) / "archive", settings)
        try:
            summary = ingest_paths(archive, [doc for doc, _ in pairs], command="eval", on_outcome=on_outcome)
            report.seconds = summary.seconds
            outcomes = {o.path: o for o in summary.outcomes}
            for doc, truth_file in pairs:
                truth = json.loads(truth_file.read_text(encoding="utf-8"))
                expected = dict(truth.get("fields", {}))
                outcome = outcomes.get(str(doc))
                result = DocumentResult(file=str(doc.relative_to(folder)), expected_type=truth.get("doc_type", ""),
                                        got_type=None)
                got: dict[str, object] = {}
                if outcome is None or outcome.status == "failed" or not outcome.sha256:
                    result.failed = outcome.reason if outcome else "not ingested"
                else:
                    row = archive.catalog.document(outcome.sha256)
                    result.got_type = row.doc_type
                    got = {n: f.value for n, f in effective_fields(archive.catalog, row.id).items()}
                if result.got_type != result.expected_type:
                    result.mistakes.insert(0, f"doc_type: got {result.got_type!r}, expected {result.expected_type!r}")
                _score(report, result, expected, got)
                report.documents.append(result)
        finally:
            archive.close()
    return report


def below_targets(report: EvalReport, min_f1: float | None, min_doc_type: float | None) -> Iterable[str]:
    """The targets the report misses, in words."""
    if min_doc_type is not None and report.doc_type_accuracy < min_doc_type:
        yield f"doc_type accuracy {report.doc_type_accuracy:.3f} < {min_doc_type}"
    if min_f1 is not None:
        for name, score in report.scored.items():
            if score.f1 < min_f1:
                yield f"{name} F1 {score.f1:.3f} < {min_f1}"
