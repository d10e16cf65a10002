"""Both engines give the same hits for the same query.

A few hundred synthetic records (seeded, so every run sees the same ones) are indexed by Whoosh and by Tantivy;
each query is parsed once and run on both, and the sets of hit ids and the totals must be identical. The
queries cover every node of our tree: words (stemmed and exact), phrases with and without slop, prefixes,
fuzzy terms, typed ranges with their boundaries, exact fields written with odd spacing, groups, AND/OR/NOT,
and the tolerant fallback.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from search.engine import Engine, create_engine
from search.query import parse
from search.record import IndexRecord

ENGINES = ("whoosh", "tantivy")
SEED = 20261123
N_DOCS = 300

# fmt: off
WORDS = (
    "fattura", "fatture", "pagamento", "pagamenti", "sollecito", "solleciti", "scadenza", "scadenze",
    "importo", "importi", "consegna", "contratto", "contratti", "fornitura", "forniture", "cliente",
    "clienti", "saldo", "residuo", "interessi", "mora", "diffida", "ricevuta", "ricevute", "invoice",
    "invoices", "payment", "payments", "reminder", "reminders", "amount", "due", "overdue", "harbour",
    "services", "città", "perché", "qualità", "società", "attività", "über", "naïve", "façade", "straße",
    "garanzia", "servizi", "trasporto", "magazzino", "ordine", "ordini", "preventivo", "perizia", "deposito",
    "iva", "totale", "netto", "banca", "bonifico", "entro", "giorni", "presente",
)
# fmt: on
SURNAMES = ["Rossi", "Bianchi", "Verdi", "Gialli", "Esposito", "Romano", "Colombo", "Ricci", "Marino", "Greco"]
SECTORS = ["Costruzioni", "Forniture", "Impianti", "Logistica", "Trasporti", "Servizi"]
FORMS = ["S.r.l.", "S.p.A.", "S.n.c.", "& Figli", "Ltd"]
DOC_TYPES = ["invoice", "credit_note", "contract", "dunning_letter", "receipt", "other"]
CURRENCIES = ["EUR", "EUR", "EUR", "CHF", "GBP", "USD"]
# Amounts on and around the range boundaries queried below.
EDGE_AMOUNTS = ["1000.00", "999.99", "1000.01", "5000.00", "5000.01", "4999.99", "1220.00", "0.01", "0.00"]


def _id(n: int) -> str:
    return hashlib.sha256(f"parity-{n}".encode()).hexdigest()


def _company(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(SECTORS)} {rng.choice(FORMS)}"


def _vat(rng: random.Random) -> str:
    return "IT" + "".join(rng.choice("0123456789") for _ in range(11))


def _day(rng: random.Random) -> str:
    start = datetime(2022, 1, 1)
    return (start + timedelta(days=rng.randrange(0, 3 * 365 + 1))).date().isoformat()


def _text(rng: random.Random, n: int) -> str:
    words = [rng.choice(WORDS) for _ in range(rng.randint(15, 60))]
    # Sequences for the phrase and slop queries: "x y y q z" matches "x y z"~1 only through the second y.
    extras = [
        "amount due",
        "due amount",
        "pagamento entro la scadenza",
        "fattura n. FT-2024/0153",
        "saldo saldo residuo mora",
        "interessi di mora residuo",
        "interessi interessi di di mora",
        "Città di Milano",
        "perché la qualità",
        "ricevuta del bonifico bancario",
    ]
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(len(words) + 1)
        words[at:at] = rng.choice(extras).split()
    if n % 37 == 0:
        words.append("zafferano")
    return " ".join(words).capitalize() + "."


def make_record(n: int, rng: random.Random) -> IndexRecord:
    doc_type = rng.choice(DOC_TYPES)
    fields: dict[str, str | list[str]] = {}
    if doc_type in ("invoice", "credit_note", "receipt"):
        fields["seller_name"] = _company(rng)
        fields["issue_date"] = _day(rng)
        total = rng.choice(EDGE_AMOUNTS) if n % 5 == 0 else f"{rng.lognormvariate(7.5, 1.2):.2f}"
        fields["total_amount"] = total
        fields["currency"] = rng.choice(CURRENCIES)
    if doc_type in ("invoice", "credit_note"):
        fields["buyer_name"] = _company(rng)
        fields["due_date"] = _day(rng)
        fields["invoice_number"] = rng.choice(["FT-", "FT ", "INV-", "n.", ""]) + f"{rng.randint(2022, 2024)}/{n:04d}"
        vat = _vat(rng)
        # odd spacing and case in the record, normalised on the way in
        fields["seller_vat_id"] = vat if n % 3 else f"{vat[:2].lower()} {vat[2:6]} {vat[6:]}"
        fields["buyer_vat_id"] = _vat(rng)
        if n % 4 == 0:
            fields["iban"] = "IT60 X054 2811 1010 0000 0" + f"{n:05d}"
            fields["buyer_tax_code"] = "RSSMRA85T10A" + f"{n:03d}"[-3:] + "S"
        if n % 2:
            fields["net_amount"] = f"{rng.randint(1, 9000)}.{rng.randint(0, 99):02d}"
    if doc_type == "contract":
        fields["contract_number"] = f"CTR {rng.randint(2020, 2024)}/{n}"
        fields["parties"] = [_company(rng), _company(rng)]
        fields["signing_date"] = _day(rng)
        fields["contract_value"] = rng.choice(["50000", "120000.00", "5000", "1000"])
        fields["governing_law"] = rng.choice(["Legge italiana", "England and Wales", "Diritto svizzero"])
    if doc_type == "dunning_letter":
        fields["creditor_name"] = _company(rng)
        fields["debtor_name"] = _company(rng)
        fields["letter_date"] = _day(rng)
        fields["amount_due"] = rng.choice(["1.220,00", "980.50", "5000", "1000.00", "4999.99"])
        fields["invoice_refs"] = [f"FT-2024/{rng.randint(1, 300):04d}" for _ in range(rng.randint(1, 3))]
        if n % 2:
            fields["payment_deadline"] = _day(rng)
    return IndexRecord(
        id=_id(n),
        text=_text(rng, n),
        filename=f"{doc_type}-{n}.pdf",
        media_type=rng.choice(["application/pdf", "image/png"]),
        ingested_at=datetime(2026, 1, 1, 9, tzinfo=UTC) + timedelta(days=n % 300, hours=n % 24),
        page_count=1 + n % 7,
        doc_type=doc_type if n % 11 else doc_type.replace("_", " ").upper(),
        language=rng.choice(["it", "en"]),
        fields=fields,
    )


def records() -> list[IndexRecord]:
    rng = random.Random(SEED)
    return [make_record(n, rng) for n in range(N_DOCS)]


RECORDS = records()


def _first(field: str, start: str = "") -> str:
    """The first record's value of ``field`` (the first item of a list) that starts with ``start``."""
    for record in RECORDS:
        value = record.fields.get(field)
        value = value[0] if isinstance(value, list) else value
        if value and value.startswith(start):
            return value
    raise AssertionError(f"no record has {field} starting with {start!r}")


def _spaced(value: str) -> str:
    """``value`` as someone might type it: lower case, a space every four characters."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4)).lower()


# Exact values of real records, typed with odd spacing and case.
DERIVED = [
    f'invoice_number:"{_first("invoice_number", "FT-").replace("-", " - ").replace("/", " / ")}"',
    f"invoice_number:{_first('invoice_number', 'INV-').lower()}",
    f"invoice_refs:{_first('invoice_refs').lower()}",
    f"invoice:{_first('invoice_refs')}",
    f'iban:"{_spaced(_first("iban"))}"',
    f"iban:{_first('iban').replace(' ', '')}",
    f'seller_vat_id:"{_spaced(_first("seller_vat_id"))}"',
    f"vat_id:{_first('buyer_vat_id').lower()}",
    f"buyer_tax_code:{_first('buyer_tax_code').lower()}",
    f'contract_number:"{_first("contract_number").replace(" ", "")}"',
]

QUERIES = [
    # words: stemmed, exact, accents and case folded, several
    "fattura",
    "fatture",
    '"fattura"',
    "pagamenti",
    "CITTÀ",
    "citta",
    "perche qualita",
    "uber",
    "naive facade",
    "strasse",
    "zafferano",
    "invoice reminder",
    "sollecito mora",
    "iva",
    "due",
    "FT-2024/0153",
    "ft 0153",
    # phrases
    '"amount due"',
    '"due amount"',
    '"pagamento entro la scadenza"',
    '"interessi di mora"',
    '"di mora residuo"',
    '"saldo residuo"',
    '"saldo residuo"~1',
    '"saldo mora"~2',
    '"interessi mora"~1',
    '"interessi di mora"~1',
    '"interessi mora residuo"~2',
    '"saldo residuo mora"~1',
    '"mora saldo"~3',
    '"amount due"~4',
    # prefix and fuzzy
    "fatt*",
    "pag*",
    "sollecit*",
    "harb*",
    "z*",
    "pagamneto~",
    "pagamneto~2",
    "fatura~",
    "zaferano~",
    "ricevuta~2",
    "xfattura~",
    "buyer_name:ross~",
    "seller_name:bianch*",
    # exact fields, odd spacing and case
    "doc_type:invoice",
    'doc_type:"credit note"',
    "doc_type:CREDIT-NOTE",
    "type:dunning_letter",
    "doc_type:(contract OR receipt)",
    "currency:chf",
    "currency:eur -doc_type:receipt",
    "media_type:image/png",
    "language:en fattura",
    "invoice_number:FT-2024*",
    "invoice_number:inv*",
    'invoice_number:"FT - 2024 / 0005"',
    "invoice_number:[2023 TO 2024]",
    "invoice_number:{ft TO inv}",
    "invoice_number:[n. TO *]",
    "invoice_number:[TO ft-2023/0100]",
    "invoice_refs:ft-2024/0100",
    "invoice_refs:FT-2024/01*",
    "invoice:ft-2024*",
    "contract_number:ctr*",
    "iban:it60*",
    "iban:IT60X054281110100000000020",
    'iban:"it60 x054 2811 1010 0000 0000 20"',
    "buyer_tax_code:rssmra85t10a*",
    "vat_id:IT*",
    "seller_vat_id:it0*",
    "parties:rossi",
    'parties:"rossi costruzioni"',
    "parties:ros*",
    "name:bianchi",
    "debtor:verdi",
    "creditor:greco",
    'buyer_name:"rossi costruzioni"',
    'seller_name:"s p a"',
    "governing_law:england",
    "filename:contract",
    "filename:credit*",
    # amounts, boundaries included and excluded
    "total_amount:[1000 TO 5000]",
    "total_amount:{1000 TO 5000}",
    "total_amount:[1000 TO 5000}",
    "total_amount:{999.99 TO 1000.01]",
    "total_amount:>=5000",
    "total_amount:>5000",
    "total_amount:<1000",
    "total_amount:<=1000",
    "total_amount:1000",
    "total_amount:1.000,00",
    "total_amount:0",
    "total_amount:[* TO 0.01]",
    "amount:1220",
    "amount:[4999.99 TO 5000]",
    "amount_due:>1000",
    "contract_value:>=50.000",
    "net_amount:* -total_amount:<100",
    # dates and other numbers
    "issue_date:2023",
    "issue_date:2023-02",
    "issue_date:[2022-06-01 TO 2022-06-30]",
    "issue_date:{2022-06-01 TO 2022-06-30}",
    "issue_date:[2022-06 TO 2022-08]",
    "due_date:>2024",
    "due_date:>=2024-12",
    "due_date:<2022-03-15",
    "due_date:<=2022-03",
    "date:2024",
    "date:[TO 2022-02]",
    "letter_date:2023 payment_deadline:*",
    "signing_date:>=2024-01-01",
    "ingested:2026-03",
    "ingested:>=2026-10-01",
    "pages:3",
    "pages:[2 TO 4}",
    "pages:>5 fattura",
    # AND / OR / NOT, everything and nothing
    "fattura AND pagamento",
    "fattura OR sollecito",
    "(fattura OR invoice) AND (mora OR overdue)",
    "fattura -pagamento",
    "fattura NOT pagamento NOT mora",
    "NOT fattura",
    "-doc_type:invoice",
    "zafferano OR NOT fattura",
    "(NOT fattura) OR (NOT pagamento)",
    "doc_type:invoice total_amount:[1000 TO 5000] due_date:[TO 2023-12-31]",
    "buyer_name:rossi OR seller_name:rossi",
    "*",
    "governing_law:*",
    "iban:*",
    "id:*",
    f"id:{_id(7)[:6]}",
    f"id:{_id(8).upper()}",
    "",
    # the tolerant fallback: unknown fields, bad values, broken syntax
    "foo:fattura",
    "foo:(fattura OR mora)",
    "total_amount:abc",
    "due_date:2024-13",
    "pages:[1 2]",
    '"fattura pagamento',
    "(fattura OR mora",
    "fattura AND",
    "OR mora",
    "fattura ) mora",
    "buyer_name:[a TO b]",
    "total_amount:>=99999999999999999999",
    "mora:saldo",
    "total_amount:mora",
    "due_date:2024-13 OR saldo",
    "pages:[1 2] OR saldo",
    "buyer_name:[mora TO saldo]",
    *DERIVED,
]


@pytest.fixture(scope="module")
def engines(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Engine]]:
    root = tmp_path_factory.mktemp("parity")
    opened = {name: create_engine(name, root / name) for name in ENGINES}
    for engine in opened.values():
        assert engine.add(RECORDS) == N_DOCS
    yield opened
    for engine in opened.values():
        engine.close()


def hits(engine: Engine, query: str) -> tuple[set[str], int]:
    result = engine.search(parse(query), limit=N_DOCS + 10)
    ids = [h.id for h in result.hits]
    assert len(ids) == len(set(ids)) == result.total
    return set(ids), result.total


@pytest.mark.parametrize("query", QUERIES)
def test_same_hits(engines: dict[str, Engine], query: str) -> None:
    whoosh, tantivy = (hits(engines[name], query) for name in ENGINES)
    assert tantivy == whoosh


def test_the_queries_find_something(engines: dict[str, Engine]) -> None:
    """The corpus is built so that most queries match: equal empty sets would prove nothing."""
    empty = [q for q in QUERIES if not engines["whoosh"].search(q, limit=1).total]
    assert len(empty) <= len(QUERIES) // 6, empty


def test_slop_edge_case_is_in_the_corpus(engines: dict[str, Engine]) -> None:
    """'interessi interessi di di mora' matches "interessi di mora"~1 only through its second words."""
    exact = engines["tantivy"].search('"interessi di mora"', limit=N_DOCS).total
    sloppy = engines["tantivy"].search('"interessi di mora"~1', limit=N_DOCS).total
    assert sloppy > exact


def test_a_phrase_with_too_many_spacings_finds_at_least_whoosh_s_hits(engines: dict[str, Engine]) -> None:
    """Past MAX_PHRASE_VARIANTS spacings, Tantivy runs its own slop with the largest budget: a superset."""
    from search.tantivy_engine import MAX_PHRASE_VARIANTS

    query = '"interessi di mora residuo"~5'
    assert MAX_PHRASE_VARIANTS < 6**3
    whoosh, tantivy = (hits(engines[name], query)[0] for name in ENGINES)
    assert whoosh and whoosh <= tantivy


@pytest.mark.parametrize("seed", range(4))
def test_random_word_queries(engines: dict[str, Engine], seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(40):
        a, b, c = (rng.choice(WORDS) for _ in range(3))
        slop = rng.randint(0, 3)
        for query in (f"{a} {b}", f"{a} OR -{b}", f'"{a} {b}"~{slop}', f'"{a} {b} {c}"~{slop}', f"{a[:3]}* -{c}"):
            whoosh, tantivy = (hits(engines[name], query) for name in ENGINES)
            assert tantivy == whoosh, query


def test_same_hits_after_replacing_and_deleting(tmp_path: Path) -> None:
    rng = random.Random(SEED + 1)
    changed = [make_record(n, rng) for n in range(0, N_DOCS, 3)]  # same ids, new content
    gone = [_id(n) for n in range(1, N_DOCS, 10)]
    opened = {name: create_engine(name, tmp_path / name) for name in ENGINES}
    try:
        for engine in opened.values():
            engine.add(RECORDS)
            assert engine.add(changed) == len(changed)
            assert engine.delete(gone) == len(gone)
            assert engine.count() == N_DOCS - len(gone)
        assert opened["whoosh"].ids() == opened["tantivy"].ids()
        for query in QUERIES[::3]:
            whoosh, tantivy = (hits(opened[name], query) for name in ENGINES)
            assert tantivy == whoosh, query
    finally:
        for engine in opened.values():
            engine.close()


def test_totals_do_not_depend_on_the_limit(tmp_path):
    """Whoosh's collector undercounts once its top list is full (pruned OR branches): totals must be exact."""
    from search.engine import create_engine

    records = [record_for_total_test(i) for i in range(400)]
    for name in ("whoosh", "tantivy"):
        with create_engine(name, tmp_path / name) as engine:
            engine.add(records)
            for query in ("invoice", "invoic*", "fattura OR invoice", "invoice -fattura"):
                totals = {engine.search(query, limit=k).total for k in (1, 10, 50, 1000)}
                full = len(engine.search(query, limit=1000).hits)
                assert totals == {full}, (name, query, totals, full)


def record_for_total_test(i: int):
    from datetime import UTC, datetime

    from search.record import IndexRecord

    words = ["invoice", "invoices", "invoiced", "fattura", "fatture", "payment", "reminder"]
    text = " ".join(words[(i * k) % len(words)] for k in range(1, 4 + i % 5)) + f" filler{i % 17} numero {i}"
    return IndexRecord(id=f"{i:064x}", text=text, filename=f"d{i}.pdf", media_type="application/pdf",
                       ingested_at=datetime(2025, 1, 1, tzinfo=UTC), page_count=1, doc_type="invoice")


UNICODE_TEXTS = {
    "ligature": "La ﬁrma del contratto",
    "decomposed": "Consegna a Citta\u0300 di Castello",
    "nordic": "Øresund Æther Łódź fornitura",
    "dotted": "Filiale di İstanbul",
    "gap": "saldo " + "x" * 101 + " mora",
    "plain": "saldo mora firma",
}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("firma", {"ligature", "plain"}),
        ("citta", {"decomposed"}),
        ('"città di castello"', {"decomposed"}),
        ("oresund", {"nordic"}),
        ("lodz", {"nordic"}),
        ("istanbul", {"dotted"}),
        ('"saldo mora"', {"plain"}),  # a dropped long token leaves a gap: no phrase across it
        ('"saldo mora"~1', {"plain", "gap"}),
        ("saldo mora", {"plain", "gap"}),
    ],
)
def test_both_engines_tokenise_text_the_way_the_analysis_does(tmp_path: Path, query: str, expected: set[str]) -> None:
    """The Tantivy engine tokenises full text natively (its registered analyzer); the Whoosh engine, the query
    parser and the highlighter call the same analyzer from Python. Ligatures, decomposed accents, letters folded
    without a decomposition and the gap of a dropped long token must read the same on every side."""
    base = make_record(0, random.Random(SEED))
    records = [
        IndexRecord(**{**base.__dict__, "id": _id(10_000 + k), "text": text, "fields": {}})
        for k, text in enumerate(UNICODE_TEXTS.values())
    ]
    names = dict(zip((r.id for r in records), UNICODE_TEXTS, strict=True))
    for name in ENGINES:
        with create_engine(name, tmp_path / name) as engine:
            engine.add(records)
            found = {names[h.id] for h in engine.search(query, limit=50).hits}
            assert found == expected, (name, query)
