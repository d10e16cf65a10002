"""`sigillo reindex --engine`: switching an archive between Tantivy and Whoosh from the catalog (real engines)."""

from __future__ import annotations

import json
import re

from tests.cli_runner import inbox, run

DIGITAL = ("invoice-en-01.pdf", "invoice-it-03.pdf", "dunning-en-03.pdf", "credit-note-it-01.pdf",
           "contract-en-01.pdf")
QUERIES = ("invoice", "total_amount:>100", "doc_type:dunning_letter", "fattura OR invoice", "issue_date:2024")


def hits(home, query: str) -> set[str]:
    return {r["id"] for r in json.loads(run(home, "search", query, "--limit", "50", "--json").output)["results"]}


def engine_in_settings(home) -> str:
    return re.search(r'(?m)^search_engine = "(\w+)"', (home / "sigillo.toml").read_text()).group(1)


def test_switching_engines_keeps_results_and_settings(tmp_path):
    home = tmp_path / "home"
    run(home, "init")
    run(home, "ingest", str(inbox(tmp_path / "in", DIGITAL)), "--workers", "1")
    first = engine_in_settings(home)
    other = "whoosh" if first == "tantivy" else "tantivy"
    before = {q: hits(home, q) for q in QUERIES}
    assert all(before.values()), before

    assert f"Indexed {len(DIGITAL)} documents with {other}." in run(home, "reindex", "--engine", other).output
    assert engine_in_settings(home) == other
    assert not (home / "index" / first).exists() and (home / "index" / other).is_dir()
    assert {q: hits(home, q) for q in QUERIES} == before

    run(home, "reindex", "--engine", first)
    assert engine_in_settings(home) == first and not (home / "index" / other).exists()
    assert {q: hits(home, q) for q in QUERIES} == before
    run(home, "reindex", "--engine", "lucene", expect=2)
    assert engine_in_settings(home) == first


def test_an_engine_chosen_by_hand_is_built_on_the_next_write(tmp_path):
    """Editing sigillo.toml by hand: reading commands say to reindex; the next write builds the index."""
    home = tmp_path / "home"
    run(home, "init")
    run(home, "ingest", str(inbox(tmp_path / "in", DIGITAL[:2])), "--workers", "1")
    first = engine_in_settings(home)
    other = "whoosh" if first == "tantivy" else "tantivy"
    settings = home / "sigillo.toml"
    settings.write_text(settings.read_text().replace(f'search_engine = "{first}"', f'search_engine = "{other}"'))
    out = run(home, "search", "invoice", expect=9).output
    assert "reindex" in out
    run(home, "ingest", str(inbox(tmp_path / "in2", DIGITAL[2:3])), "--workers", "1")
    assert len(hits(home, "*")) == 3
    # and back: the first engine's old index (two documents) is stale, so it is rebuilt rather than read
    settings.write_text(settings.read_text().replace(f'search_engine = "{other}"', f'search_engine = "{first}"'))
    run(home, "search", "invoice", expect=9)
    run(home, "reindex")
    assert len(hits(home, "*")) == 3


def test_unknown_engine_in_settings_is_a_clear_error(tmp_path):
    home = tmp_path / "home"
    run(home, "init")
    settings = home / "sigillo.toml"
    settings.write_text(re.sub(r'(?m)^search_engine = .*$', 'search_engine = "lucene"', settings.read_text()))
    out = run(home, "search", "x", expect=3).output
    assert "search_engine must be" in out and "tantivy" in out
