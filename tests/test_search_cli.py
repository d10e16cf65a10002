"""`sigillo search` results: --sort, --facet, --csv, --json and the key fields of each hit (real CLI, digital PDFs)."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter
from pathlib import Path

import pytest

from tests.cli_runner import inbox, run
from tests.conftest import CORPUS

DIGITAL = (
    "invoice-en-01.pdf", "invoice-en-05.pdf", "invoice-en-06.pdf", "invoice-it-03.pdf", "invoice-it-04.pdf",
    "credit-note-it-01.pdf", "dunning-en-03.pdf", "dunning-it-04.pdf", "contract-en-01.pdf", "contract-it-02.pdf",
)
DATE_FIELDS = ("issue_date", "letter_date", "signing_date", "effective_date")
AMOUNT_FIELDS = ("total_amount", "amount_due", "contract_value")


def truth(name: str) -> dict:
    return json.loads((CORPUS / name).with_suffix(".json").read_text())


def first(fields: dict, names: tuple[str, ...]) -> str | None:
    return next((fields[n] for n in names if fields.get(n)), None)


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("search-cli")
    home = root / "home"
    run(home, "init")
    run(home, "ingest", str(inbox(root / "in", DIGITAL)), "--workers", "1")
    return home


def search_json(home: Path, *args: str) -> dict:
    return json.loads(run(home, "search", *args, "--json").output)


def test_sort_by_date_is_newest_first_and_asc_reverses(home: Path) -> None:
    out = search_json(home, "*", "--sort", "date", "-n", "50")
    assert out["sort"] == "date" and out["total"] == len(DIGITAL) == len(out["results"])
    dates = [r["date"] for r in out["results"]]
    assert all(dates), "every sample has a date"
    assert dates == sorted(dates, reverse=True)
    want = sorted((first(truth(n)["fields"], DATE_FIELDS) for n in DIGITAL), reverse=True)
    assert dates == want, "the document's own date, as extracted"
    oldest = search_json(home, "*", "--sort", "date:asc", "-n", "50")
    assert [r["date"] for r in oldest["results"]] == sorted(dates)
    assert [r["rank"] for r in oldest["results"]] == list(range(1, len(DIGITAL) + 1))


def test_sort_by_amount_is_largest_first_and_paging_follows_it(home: Path) -> None:
    out = search_json(home, "*", "--sort", "amount", "-n", "50")
    amounts = [float(r["amount"]) for r in out["results"]]
    assert amounts == sorted(amounts, reverse=True)
    assert sorted(amounts) == sorted(float(first(truth(n)["fields"], AMOUNT_FIELDS)) for n in DIGITAL)
    smallest = search_json(home, "*", "--sort", "amount:asc", "-n", "3")
    assert [float(r["amount"]) for r in smallest["results"]] == sorted(amounts)[:3]
    page = search_json(home, "*", "--sort", "amount", "-n", "3", "--offset", "3")
    assert [r["id"] for r in page["results"]] == [r["id"] for r in out["results"][3:6]]
    assert page["total"] == out["total"]


def test_sort_does_not_change_what_matches(home: Path) -> None:
    for query in ("invoice", "doc_type:invoice", "fattura OR invoice"):
        ranked = search_json(home, query, "-n", "50")
        for sort in ("date", "amount:asc"):
            ordered = search_json(home, query, "--sort", sort, "-n", "50")
            assert ordered["total"] == ranked["total"]
            assert {r["id"] for r in ordered["results"]} == {r["id"] for r in ranked["results"]}


@pytest.mark.parametrize("bad", ("size", "date:up", "-relevance", "amount:"))
def test_a_bad_sort_is_a_usage_error(home: Path, bad: str) -> None:
    out = run(home, "search", "*", "--sort", bad, expect=2).output
    assert "--sort" in out


def test_facets_count_every_match_not_the_page(home: Path) -> None:
    out = search_json(home, "*", "--facet", "doc_type", "--facet", "currency", "-n", "1")
    assert len(out["results"]) == 1
    want = Counter(truth(n)["doc_type"] for n in DIGITAL)
    got = {f["value"]: f["count"] for f in out["facets"]["doc_type"]}
    assert got == dict(want)
    counts = [f["count"] for f in out["facets"]["doc_type"]]
    assert counts == sorted(counts, reverse=True)
    currencies = {f["value"]: f["count"] for f in out["facets"]["currency"]}
    assert currencies == dict(Counter(truth(n)["fields"]["currency"] for n in DIGITAL))


def test_facets_of_names_are_whole_names_in_text_output(home: Path) -> None:
    text = run(home, "search", "doc_type:invoice OR doc_type:credit_note", "--facet", "buyer_name").output
    line = next(line for line in text.splitlines() if line.startswith("buyer_name: "))
    buyers = Counter(truth(n)["fields"]["buyer_name"] for n in DIGITAL if truth(n)["doc_type"] != "contract"
                     and "buyer_name" in truth(n)["fields"])
    top, count = buyers.most_common(1)[0]
    assert line.startswith(f"buyer_name: {top} {count}, ") or line == f"buyer_name: {top} {count}"
    assert "Rossi Costruzioni S.r.l. 2" in line
    top1 = run(home, "search", "*", "--facet", "doc_type", "--facet-top", "1").output
    assert next(line for line in top1.splitlines() if line.startswith("doc_type: ")).endswith(", …")


def test_unknown_facet_is_a_usage_error(home: Path) -> None:
    out = run(home, "search", "*", "--facet", "iban", expect=2).output
    assert "doc_type" in out


def test_csv_has_a_header_and_one_row_per_hit(home: Path) -> None:
    out = run(home, "search", "*", "--sort", "date", "--csv", "-n", "50").output
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["rank", "id", "score", "doc_type", "date", "amount", "currency", "party", "reference",
                             "filename"]
    as_json = search_json(home, "*", "--sort", "date", "-n", "50")["results"]
    assert [r["id"] for r in rows] == [r["id"] for r in as_json]
    assert [int(r["rank"]) for r in rows] == list(range(1, len(DIGITAL) + 1))
    by_name = {r["filename"]: r for r in rows}
    assert set(by_name) == set(DIGITAL)
    invoice = truth("invoice-it-03.pdf")["fields"]
    row = by_name["invoice-it-03.pdf"]
    assert (row["doc_type"], row["date"], row["amount"], row["currency"], row["party"], row["reference"]) == (
        "invoice", invoice["issue_date"], invoice["total_amount"], "EUR", invoice["buyer_name"],
        invoice["invoice_number"])
    letter = truth("dunning-it-04.pdf")["fields"]
    row = by_name["dunning-it-04.pdf"]
    assert (row["date"], row["amount"], row["party"]) == (letter["letter_date"], letter["amount_due"],
                                                          letter["debtor_name"])
    contract = truth("contract-en-01.pdf")["fields"]
    assert by_name["contract-en-01.pdf"]["reference"] == contract["contract_number"]


def test_csv_and_json_together_are_a_usage_error(home: Path) -> None:
    run(home, "search", "*", "--csv", "--json", expect=2)
    run(home, "search", "*", "--csv", "--facet", "doc_type", expect=2)


def test_text_output_shows_key_fields_and_snippets(home: Path) -> None:
    out = run(home, "search", "invoice_number:FT-2024/0231").output
    invoice = truth("invoice-it-03.pdf")["fields"]
    key = (f"invoice · {invoice['issue_date']} · {invoice['total_amount']} EUR · {invoice['buyer_name']} · "
           f"{invoice['invoice_number']}")
    assert key in out
    ranked = run(home, "search", "fattura", "--sort", "amount").output
    assert "by amount:" in ranked.splitlines()[0]
    assert "**" in ranked, "highlighted snippets"


def test_json_without_facets_has_no_facets_key(home: Path) -> None:
    out = search_json(home, "invoice")
    assert "facets" not in out and out["sort"] == "relevance"


def test_help_shows_sort_facet_and_csv(home: Path) -> None:
    out = run(None, "search", "--help").output
    for text in ("--sort", "--facet", "--csv", "date:asc", "--facet doc_type"):
        assert text in out


def test_corrections_win_in_key_fields_and_sort(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "init")
    run(home, "ingest", str(inbox(tmp_path / "in", DIGITAL[:3])), "--workers", "1")
    results = search_json(home, "*", "--sort", "date")["results"]
    oldest = results[-1]
    run(home, "fields", oldest["id"][:12], "--set", "issue_date=2099-01-31", "--set", "buyer_name=Zeta Nuova S.p.A.")
    after = search_json(home, "*", "--sort", "date", "--facet", "buyer_name")
    assert after["results"][0]["id"] == oldest["id"]
    assert after["results"][0]["date"] == "2099-01-31" and after["results"][0]["party"] == "Zeta Nuova S.p.A."
    assert {"value": "Zeta Nuova S.p.A.", "count": 1} in after["facets"]["buyer_name"]


def test_both_engines_give_the_same_order_and_facets(tmp_path: Path) -> None:
    home = tmp_path / "home"
    run(home, "init")
    run(home, "ingest", str(inbox(tmp_path / "in", DIGITAL)), "--workers", "1")
    queries = [("*", "--sort", "date"), ("*", "--sort", "amount:asc"), ("invoice OR fattura", "--sort", "amount")]

    def snapshot() -> list:
        return [([r["id"] for r in search_json(home, *q, "-n", "50", "--facet", "doc_type", "--facet",
                                               "debtor_name")["results"]],
                 search_json(home, *q, "--facet", "doc_type", "--facet", "debtor_name")["facets"]) for q in queries]

    before = snapshot()
    run(home, "reindex", "--engine", "whoosh")
    whoosh = snapshot()
    run(home, "reindex", "--engine", "tantivy")
    assert whoosh == before == snapshot()
