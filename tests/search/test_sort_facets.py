"""Sorting by date or amount, and facet counts: the same in both engines, and as the definitions say.

Uses the parity corpus (``test_engine_parity``): a few hundred seeded records, some without a date or an amount
(``other`` documents have no fields), many with equal amounts (contract values and amounts due come from short
lists), so ties and missing values are both exercised. Every order is checked against a reference computed here
from ``search.fields`` alone, and every page against a slice of the full order.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from search import engine as engine_module
from search import fields as search_fields
from search import tantivy_engine, whoosh_engine
from search.engine import Engine, create_engine, open_engine
from search.errors import IndexOutdatedError, QueryError
from search.fields import FACETS, SORTS, derived_values, facet_field, parse_sort, record_values
from search.query import parse
from search.record import IndexRecord
from tests.search.test_engine_parity import N_DOCS, RECORDS, SEED, _id, make_record

ENGINES = ("whoosh", "tantivy")
SORT_NAMES = ("date", "date:asc", "amount", "amount:asc", "-amount", "+date")
QUERIES = ("*", "fattura", "doc_type:invoice", "pagamento OR sollecito", "-fattura", "zafferano", "nessuno")


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    root = tmp_path_factory.mktemp("sort-facets")
    opened = {name: create_engine(name, root / name) for name in ENGINES}
    for engine in opened.values():
        engine.add(RECORDS)
    yield opened
    for engine in opened.values():
        engine.close()


def _matching(engine: Engine, query: str) -> set[str]:
    return {h.id for h in engine.search(parse(query), limit=N_DOCS + 10).hits}


def expected_order(records: list[IndexRecord], ids: set[str], sort: str) -> list[str]:
    """The reference: value (descending unless asked), then id; documents without the value last, by id."""
    key, descending = parse_sort(sort)
    assert key is not None
    valued, missing = [], []
    for record in records:
        if record.id not in ids:
            continue
        value = derived_values(record_values(record)).get(key.field)
        if value is None:
            missing.append(record.id)
        else:
            valued.append((-value if descending else value, record.id))  # type: ignore[operator]
    return [doc_id for _, doc_id in sorted(valued)] + sorted(missing)


def expected_facets(records: list[IndexRecord], ids: set[str], name: str) -> list[tuple[str, int]]:
    counts = Counter(
        derived_values(record_values(r)).get(facet_field(name)) for r in records if r.id in ids
    )
    counts.pop(None, None)
    return sorted(((str(v), c) for v, c in counts.items()), key=lambda vc: (-vc[1], vc[0]))


def test_the_corpus_has_ties_and_missing_values() -> None:
    amounts = Counter(derived_values(record_values(r)).get("doc_amount") for r in RECORDS)
    dates = Counter(derived_values(record_values(r)).get("doc_date") for r in RECORDS)
    assert amounts[None] > 10 and dates[None] > 10, "documents without a value"
    assert max(c for v, c in amounts.items() if v is not None) > 5, "equal amounts"
    assert max(c for v, c in dates.items() if v is not None) > 1, "equal dates"


@pytest.mark.parametrize("sort", SORT_NAMES)
@pytest.mark.parametrize("query", QUERIES)
def test_same_order_in_both_engines_as_defined(engines: dict[str, Engine], query: str, sort: str) -> None:
    relevance = {name: engines[name].search(query, limit=N_DOCS) for name in ENGINES}
    ids = _matching(engines["whoosh"], query)
    want = expected_order(RECORDS, ids, sort)
    for name in ENGINES:
        result = engines[name].search(query, limit=N_DOCS + 10, sort=sort)
        assert [h.id for h in result.hits] == want, (name, query, sort)
        assert result.total == relevance[name].total == len(want), "the sort does not change the total"
        assert all(h.score == 0.0 for h in result.hits)


@pytest.mark.parametrize("sort", ("date", "amount", "amount:asc"))
def test_pages_are_slices_of_the_full_order(engines: dict[str, Engine], sort: str) -> None:
    query = "*"
    full = expected_order(RECORDS, {r.id for r in RECORDS}, sort)
    rng = random.Random(sort)
    windows = [(0, 1), (0, 10), (N_DOCS - 3, 10), (N_DOCS + 5, 10), (0, 0)]
    windows += [(rng.randrange(N_DOCS), rng.randint(1, 40)) for _ in range(25)]
    for offset, limit in windows:
        for name in ENGINES:
            result = engines[name].search(query, limit=limit, offset=offset, sort=sort)
            assert [h.id for h in result.hits] == full[offset : offset + limit], (name, sort, offset, limit)
            assert result.total == N_DOCS


def test_relevance_is_the_default(engines: dict[str, Engine]) -> None:
    for name in ENGINES:
        default = engines[name].search("fattura", limit=20)
        named = engines[name].search("fattura", limit=20, sort="relevance")
        assert default == named


@pytest.mark.parametrize("sort", ("size", "date:up", "", "-relevance", "amount:", "-date:asc"))
def test_an_unknown_sort_is_a_query_error(engines: dict[str, Engine], sort: str) -> None:
    for name in ENGINES:
        with pytest.raises(QueryError):
            engines[name].search("fattura", sort=sort)


def test_parse_sort_conventions() -> None:
    assert parse_sort(None) == (None, True)
    assert parse_sort("relevance") == (None, True)
    assert parse_sort("date") == (SORTS["date"], True)
    assert parse_sort("DATE:asc") == (SORTS["date"], False)
    assert parse_sort("amount:desc") == (SORTS["amount"], True)
    assert parse_sort("+amount") == (SORTS["amount"], False)
    assert parse_sort("-amount") == (SORTS["amount"], True)


@pytest.mark.parametrize("name", FACETS)
@pytest.mark.parametrize("query", QUERIES)
def test_same_facets_in_both_engines_as_defined(engines: dict[str, Engine], query: str, name: str) -> None:
    ids = _matching(engines["whoosh"], query)
    want = expected_facets(RECORDS, ids, name)
    for engine_name in ENGINES:
        got = engines[engine_name].facets(query, name, top=1000)
        assert got == want, (engine_name, query, name)
        assert engines[engine_name].facets(query, name, top=3) == want[:3]
    if ids and name == "doc_type":
        assert sum(c for _, c in want) == len(ids), "every document has a type"


def test_facets_count_whole_values_normalised(engines: dict[str, Engine]) -> None:
    for name in ENGINES:
        types = dict(engines[name].facets("*", "doc_type", top=20))
        assert set(types) == {"invoice", "credit_note", "contract", "dunning_letter", "receipt", "other"}
        assert sum(types.values()) == N_DOCS
        buyers = [value for value, _ in engines[name].facets("*", "buyer_name", top=100)]
        assert any(" " in b and b[0].isupper() for b in buyers), "names as printed, not word by word"
        assert engines[name].facets("*", "type", top=2) == engines[name].facets("*", "doc_type", top=2)


@pytest.mark.parametrize("field", ("text", "issue_date", "nonsense"))
def test_facets_of_other_fields_are_a_query_error(engines: dict[str, Engine], field: str) -> None:
    for name in ENGINES:
        with pytest.raises(QueryError):
            engines[name].facets("*", field)


def test_same_order_and_facets_after_replacing_and_deleting(tmp_path: Path) -> None:
    rng = random.Random(SEED + 2)
    changed = [make_record(n, rng) for n in range(0, N_DOCS, 3)]
    gone = {_id(n) for n in range(1, N_DOCS, 10)}
    current = {r.id: r for r in RECORDS}
    current.update({r.id: r for r in changed})
    for doc_id in gone:
        del current[doc_id]
    records = list(current.values())
    opened = {name: create_engine(name, tmp_path / name) for name in ENGINES}
    try:
        for engine in opened.values():
            engine.add(RECORDS)
            engine.add(changed)
            engine.delete(gone)
        for query in ("*", "fattura"):
            ids = _matching(opened["whoosh"], query)
            for sort in ("date", "amount:asc"):
                want = expected_order(records, ids, sort)
                for name in ENGINES:
                    got = opened[name].search(query, limit=N_DOCS, sort=sort)
                    assert [h.id for h in got.hits] == want, (name, query, sort)
                    page = opened[name].search(query, limit=9, offset=20, sort=sort)
                    assert [h.id for h in page.hits] == want[20:29]
            for facet in ("doc_type", "currency", "debtor_name"):
                want_facets = expected_facets(records, ids, facet)
                for name in ENGINES:
                    assert opened[name].facets(query, facet, top=500) == want_facets, (name, query, facet)
    finally:
        for engine in opened.values():
            engine.close()


def test_the_fingerprint_covers_sorts_and_facets(monkeypatch: pytest.MonkeyPatch) -> None:
    before = search_fields.fingerprint()
    monkeypatch.setattr(search_fields, "FACETS", (*FACETS, "iban"))
    assert search_fields.fingerprint() != before
    monkeypatch.setattr(search_fields, "FACETS", FACETS)
    monkeypatch.setattr(search_fields, "SORTS", {"date": SORTS["date"]})
    assert search_fields.fingerprint() != before


@pytest.mark.parametrize("module", (whoosh_engine, tantivy_engine))
def test_an_index_without_the_sort_and_facet_fields_is_outdated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: object
) -> None:
    """An index built before these fields existed (another fingerprint) is refused: the archive rebuilds it."""
    name = module.ENGINE  # type: ignore[attr-defined]
    with monkeypatch.context() as patch:
        patch.setattr(engine_module, "fingerprint", lambda: "0123456789abcdef")
        create_engine(name, tmp_path / name).close()
    with pytest.raises(IndexOutdatedError):
        open_engine(name, tmp_path / name)
