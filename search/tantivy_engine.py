"""The Tantivy engine (Rust, through the ``tantivy`` Python package).

Same fields, same analysis and the same query semantics as the Whoosh engine (``search.whoosh_engine``): for one
``ParsedQuery`` both engines return the same set of documents (``tests/search/test_engine_parity.py``). Only
the scores differ (both are BM25, computed differently).

Schema, built from ``search.fields.FIELDS``:

* ``id``: raw (one term), stored. The only stored field: the archive has the text, the index stays small.
* ``text``: the full text (normalised), tokenised natively by ``search.analysis.ANALYZER`` registered as
  ``analysis.TOKENIZER``: folded terms with positions (words, phrases, prefixes, fuzzy terms). Words are indexed
  unstemmed: stemming is done at query time (below). ``stem_lang`` (raw) names the stemmers a document's words are
  matched with (``analysis.stem_languages``: its language's, or all when its language has none).
* TEXT fields (filename, names, governing law): tokenised natively the same way, with positions.
* KEYWORD / CODE / IDENTIFIER fields: raw, holding the value normalised by ``search.fields.normalise``.
* IDENTIFIERS (invoice_refs): raw, one value per identifier; NAMES (parties): raw, one value per folded word of
  every name.
* AMOUNT: i64 cents (exact at the cent, no float); INTEGER: i64; DATE: i64 ``YYYYMMDD`` (a year or month query
  is a range over it). Fast fields, so ranges are read from the columns.
* ``has``: the names of the fields a document has, one space-separated value split by Tantivy's whitespace
  tokenizer (one value converts faster than twenty), so ``field:*`` is one term lookup; the sort keys included.
* Derived (``search.fields.derived_values``): ``doc_date`` / ``doc_amount``, i64 fast fields to sort by;
  ``facet_<name>``, raw fast text holding the whole value, counted by Tantivy's terms aggregation. ``id`` is a fast
  field too: equal sort values are ordered by it, and it is read from the column, not the stored document.

Sorting by a field (``search(..., sort="date")``) must give the order Whoosh gives: value, then id, documents
without the value last. Tantivy orders by one fast field and breaks ties arbitrarily, so a page is read as: the
page by value from Tantivy (which fixes which values it holds), then, for each of those values, its documents
in id order (a fast-field sort on ``id``), at the right offset inside the value's group; then, past the documents
that have the value, those that lack it, in id order.

All analysis is ``search.analysis``'s: its analyzer is the very object this engine registers with every index it
opens (tokenizers are not saved in the index), and the one the query parser, the highlighter and the Whoosh engine
call from Python, so they all agree by construction, while indexing tokenises in Tantivy's threads (the Python
side of a 2 KB document is ~80 µs of CPU).
Queries are translated from our tree into Tantivy query objects directly; Tantivy's own query parser is never used.

Where Tantivy has no query with Whoosh's exact semantics, the translation expands terms itself:

* A full-text ``Term`` (a word): Whoosh indexes every document's words stemmed (``stem_<lang>`` fields) and looks
  the query word's stem up. Here the word's own term (boosted) is OR-ed, for each stemmer L, with "one of the
  indexed words whose L stem is the query word's L stem (if long enough to match by: ``analysis.matching_stem``),
  in a document stemmed with L". Those words are listed from the term dictionary: every word of a stem starts with
  one of ``analysis.stem_prefixes(stem)``; the words listed there are stemmed (cached) and those with the same stem
  kept. The same documents match as with stem fields, and indexing does no stemming: the stem fields took ~60 % of
  the index's CPU (Snowball on every token; ~0.5 µs per Italian word), while a query stems the few words listed
  (a 2.4-million-word dictionary: ≤ 2 ms).

* ``Fuzzy``: Whoosh matches plain Levenshtein distance (no transpositions) with the first ``FUZZY_PREFIX``
  characters fixed; Tantivy's fuzzy query has no fixed prefix. The terms starting with that prefix are listed from
  the term dictionary and the ones within the distance kept (a term set query).
* ``Range`` over exact (string) fields: the Python binding refuses text ranges, so the terms between the bounds
  are listed the same way.
* ``Phrase`` with slop: Whoosh lets each next word stand 1 to slop + 1 positions after the previous one; Tantivy's
  slop is one budget for the whole phrase, lets words swap places (``"saldo mora"~2`` matches "mora saldo") and
  its matcher is greedy (it can miss a match when a word repeats inside the window). The phrase is run as the
  union of exact phrases at every allowed spacing instead, unless that would take more than
  ``MAX_PHRASE_VARIANTS`` phrases ((slop + 1) ** (words - 1): e.g. 4 words with slop 4); then Tantivy's own slop
  with budget slop * (words - 1), which finds every Whoosh match and possibly a few more.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Self, TypeVar

import tantivy

from . import analysis
from .engine import Engine, facet_name, sort_order, top_values
from .errors import IndexCorruptError, IndexLockedError, IndexOutdatedError, QueryError, SearchError
from .fields import (
    FACETS,
    FIELDS,
    SORTS,
    Kind,
    derived_values,
    facet_field,
    ordinal,
    record_values,
)
from .query import (
    FUZZY_PREFIX,
    And,
    Everything,
    Exists,
    Fuzzy,
    Node,
    Not,
    Nothing,
    Or,
    ParsedQuery,
    Phrase,
    Prefix,
    Range,
    Term,
    parse,
)
from .record import Hit, IndexRecord, SearchResult

__all__ = ["SCHEMA_VERSION", "TantivyEngine", "build_schema", "to_document", "to_tantivy"]

T = TypeVar("T")

ENGINE = "tantivy"
SCHEMA_VERSION = 5  # bump whenever the schema or the document mapping below changes
HAS_FIELD = "has"
STEMMED_FIELD = "stem_lang"  # the stemmers a document's words are matched with (analysis.stem_languages)
MAX_SCORED_FORMS = 64  # a word's forms scored one by one up to this many; past it, one term set (constant score)
EXACT_BOOST = 2.0
TERMS = analysis.TOKENIZER  # search.analysis.ANALYZER, registered with every index opened (_register)
RAW = "raw"  # Tantivy's built-in tokenizer: the whole value is one term
# Writers: the archive runs one at a time. Tantivy needs at least 15 MB per indexing thread.
# A rebuild (the whole catalog): with 256 MB, 100,000 documents fit in two segments and need no merge (96 MB: 30 %
# more CPU, most of it merging).
BUILD_HEAP, BUILD_THREADS = 256_000_000, 2
ADD_HEAP, ADD_THREADS = 20_000_000, 1  # an ingest batch (tantivy's floor is 15 MB a thread)
MAX_PHRASE_VARIANTS = 128
FACET_BUCKETS = 65_000  # Tantivy's bucket limit; counts are exact up to this many distinct values

_Q = tantivy.Query
_MUST, _SHOULD, _MUST_NOT = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot
_ASC, _DESC = tantivy.Order.Asc, tantivy.Order.Desc

# -- schema and documents ---------------------------------------------------------------------------------------


def build_schema() -> tantivy.Schema:
    """The Tantivy schema for the field registry."""
    sb = tantivy.SchemaBuilder()
    for f in FIELDS.values():
        kind = f.kind
        if kind is Kind.DOC_ID:
            sb.add_text_field(f.name, stored=True, fast=True, tokenizer_name=RAW, index_option="basic")
        elif kind is Kind.FULLTEXT or kind is Kind.TEXT:
            sb.add_text_field(f.name, tokenizer_name=TERMS, index_option="position")
        elif kind.exact or kind is Kind.NAMES:
            sb.add_text_field(f.name, tokenizer_name=RAW, index_option="basic")
        elif kind.ordered:
            sb.add_integer_field(f.name, indexed=True, fast=True)
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(kind)
    sb.add_text_field(HAS_FIELD, tokenizer_name="whitespace", index_option="basic")  # field names, space-separated
    sb.add_text_field(STEMMED_FIELD, tokenizer_name=RAW, index_option="basic")
    for key in SORTS.values():
        sb.add_integer_field(key.field, indexed=True, fast=True)
    for name in FACETS:
        sb.add_text_field(facet_field(name), fast=True, tokenizer_name=RAW, index_option="basic")
    return sb.build()


def _register(ix: tantivy.Index) -> tantivy.Index:
    """``ix`` with our analyzers registered (Tantivy keeps tokenizers per open index, not in the files)."""
    ix.register_tokenizer(TERMS, analysis.ANALYZER)
    return ix


@functools.cache
def _schema() -> tantivy.Schema:
    return build_schema()


def to_document(record: IndexRecord) -> tantivy.Document:
    """The Tantivy document for one record.

    The ingest and rebuild hot path: full text and TEXT fields go to Tantivy as they are (normalised) and are
    tokenised by its indexing threads. Python maps each typed field to its indexed values, with the mapper its
    kind has (``_MAPPERS``, looked up once per field), and hands the whole document over in one call
    (``Document.from_dict``; ~5 % less Python time than a call per value).
    """
    values = record_values(record)
    fields: dict[str, list[object]] = {"id": [record.id]}
    has: list[str] = []
    for name, value in values.items():
        mapped = _MAPPERS[name](value)
        if mapped is not None:
            fields[name] = mapped
            has.append(name)
    if not _FULLTEXT.isdisjoint(fields):
        fields[STEMMED_FIELD] = list(analysis.stem_languages(record.language))
    for name, value in derived_values(values).items():
        fields[name] = [value]
        if isinstance(value, int):
            has.append(name)
    fields[HAS_FIELD] = [" ".join(has)]  # one value, split by the whitespace tokenizer: fewer values to convert
    return tantivy.Document.from_dict(fields, _schema())


def _text(value: str) -> list[object]:
    return [analysis.normalise(value)]


def _exact(value: str) -> list[object]:
    return [value]


def _identifiers(value: list[str]) -> list[object]:
    return [item for item in dict.fromkeys(value) if item]


def _names(value: list[str]) -> list[object]:
    return analysis.name_words(value)  # type: ignore[return-value]


def _skip(value: object) -> None:
    return None  # the id: added first, and not a "has" field


def _mapper(kind: Kind) -> Callable[[object], list[object] | None]:
    if kind is Kind.DOC_ID:
        return _skip
    if kind is Kind.FULLTEXT or kind is Kind.TEXT:
        return _text  # type: ignore[return-value]
    if kind is Kind.IDENTIFIERS:
        return _identifiers  # type: ignore[return-value]
    if kind is Kind.NAMES:
        return _names  # type: ignore[return-value]
    if kind.ordered:

        def ordered(value: object) -> list[object]:
            return [ordinal(kind, value)]

        return ordered
    return _exact  # type: ignore[return-value]


_MAPPERS = {name: _mapper(spec.kind) for name, spec in FIELDS.items()}
_FULLTEXT = frozenset(name for name, spec in FIELDS.items() if spec.kind is Kind.FULLTEXT)


# -- query translation ------------------------------------------------------------------------------------------


def to_tantivy(node: Node, searcher: tantivy.Searcher, schema: tantivy.Schema) -> tantivy.Query:
    """Translate our query tree into a Tantivy query (``searcher`` lists terms for fuzzy and string ranges)."""
    return _Translator(searcher, schema).query(node)


def _all_but(query: tantivy.Query) -> tantivy.Query:
    return _Q.boolean_query([(_MUST, _Q.all_query()), (_MUST_NOT, query)])


def _regex_literal(text: str) -> str:
    """``text`` as a regular expression matching itself (every character but ASCII letters and digits escaped)."""
    return "".join(c if c.isascii() and c.isalnum() else f"\\x{{{ord(c):x}}}" for c in text)


def _common_prefix(a: str, b: str) -> str:
    n = 0
    while n < min(len(a), len(b)) and a[n] == b[n]:
        n += 1
    return a[:n]


class _Translator:
    def __init__(self, searcher: tantivy.Searcher, schema: tantivy.Schema) -> None:
        self.searcher = searcher
        self.schema = schema
        self._lists: dict[tuple[str, str], list[str]] = {}

    def query(self, node: Node) -> tantivy.Query:
        if isinstance(node, Term):
            kind = self._kind(node.field, node)
            if kind is Kind.FULLTEXT:
                return self._word(node.field, node.text)
            return self._term(node.field, node.text)
        if isinstance(node, Phrase):
            return self._phrase(node)
        if isinstance(node, Prefix):
            self._kind(node.field, node)
            return _Q.regex_query(self.schema, node.field, _regex_literal(node.text) + "(?s:.)*")
        if isinstance(node, Fuzzy):
            self._kind(node.field, node)
            return self._fuzzy(node)
        if isinstance(node, Range):
            return self._range(node)
        if isinstance(node, Exists):
            return self._term(HAS_FIELD, node.field)
        if isinstance(node, Everything):
            return _Q.all_query()
        if isinstance(node, Nothing):
            return _Q.empty_query()
        if isinstance(node, And):
            positive = [(_MUST, self.query(c)) for c in node.children if not isinstance(c, Not)]
            negative = [(_MUST_NOT, self.query(c.child)) for c in node.children if isinstance(c, Not)]
            if not positive:
                positive = [(_MUST, _Q.all_query())]
            if len(positive) == 1 and not negative:
                return positive[0][1]
            return _Q.boolean_query(positive + negative)
        if isinstance(node, Or):
            clauses = [
                (_SHOULD, _all_but(self.query(c.child)) if isinstance(c, Not) else self.query(c)) for c in node.children
            ]
            return _Q.boolean_query(clauses)
        if isinstance(node, Not):
            return _all_but(self.query(node.child))
        raise QueryError(f"the Tantivy engine cannot search {type(node).__name__} nodes")

    @staticmethod
    def _kind(field: str, node: Node) -> Kind:
        spec = FIELDS.get(field)
        if spec is None:
            raise QueryError(f"there is no field {field!r}")
        if spec.kind.ordered:
            raise QueryError(f"{type(node).__name__} on {field}, a field of numbers or dates")
        return spec.kind

    def _term(self, field: str, text: str) -> tantivy.Query:
        return _Q.term_query(self.schema, field, text)

    def _terms(self, field: str, terms: list[str]) -> tantivy.Query:
        if not terms:
            return _Q.empty_query()
        return _Q.term_set_query(self.schema, field, terms)

    def _listed(self, field: str, prefix: str) -> list[str]:
        """Every term of ``field`` starting with ``prefix`` (including terms only deleted documents have)."""
        key = (field, prefix)
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = [term for term, _ in self.searcher.terms_with_prefix(field, prefix)]
        return found

    def _word(self, field: str, word: str) -> tantivy.Query:
        """A full-text word: its own term (boosted), or, in a document stemmed with stemmer L, another indexed
        word with the same L stem (see the module's notes). A form every stemmer relates to the word matches in
        any document, without the language condition."""
        clauses = [(_SHOULD, _Q.boost_query(self._term(field, word), EXACT_BOOST))]
        forms = {code: self._same_stem(field, word, code) for code in analysis.STEM_LANGUAGES}
        everywhere = set.intersection(*forms.values())
        if everywhere:
            clauses.append((_SHOULD, self._any_form(field, everywhere)))
        for code, found in forms.items():
            if found - everywhere:
                stemmed_so = _Q.const_score_query(self._term(STEMMED_FIELD, code), 0.0)
                clauses.append((_SHOULD, _Q.boolean_query(
                    [(_MUST, self._any_form(field, found - everywhere)), (_MUST, stemmed_so)]
                )))
        return clauses[0][1] if len(clauses) == 1 else _Q.boolean_query(clauses)

    def _any_form(self, field: str, forms: set[str]) -> tantivy.Query:
        ordered = sorted(forms)
        if len(ordered) == 1:
            return self._term(field, ordered[0])
        if len(ordered) <= MAX_SCORED_FORMS:
            return _Q.boolean_query([(_SHOULD, self._term(field, form)) for form in ordered])
        return self._terms(field, ordered)

    def _same_stem(self, field: str, word: str, code: str) -> set[str]:
        """The indexed words of ``field``, other than ``word``, that stemmer ``code`` stems as it stems ``word``
        (none when its stem is too short to match by: ``analysis.matching_stem``)."""
        stemmed = analysis.matching_stem(word, code)
        if stemmed is None:
            return set()
        return {
            term
            for prefix in analysis.stem_prefixes(stemmed, code)
            for term in self._listed(field, prefix)
            if term != word and analysis.stem(term, code) == stemmed
        }

    def _phrase(self, node: Phrase) -> tantivy.Query:
        kind = self._kind(node.field, node)
        if len(node.words) == 1:
            return _Q.boost_query(self._term(node.field, node.words[0]), EXACT_BOOST)
        if kind not in (Kind.FULLTEXT, Kind.TEXT):
            raise QueryError(f"a phrase cannot be searched in {node.field}, a field without positions")
        words = list(node.words)
        if node.slop == 0:
            return _Q.phrase_query(self.schema, node.field, words)
        # Whoosh's reading: each next word 1 to slop + 1 positions after the previous one. Tantivy's slop is a
        # budget for the whole phrase that also allows swapped words, so the allowed spacings are spelled out,
        # each an exact phrase at fixed offsets. Past MAX_PHRASE_VARIANTS, Tantivy's own slop with the largest
        # budget Whoosh allows: it finds everything Whoosh finds, and a few more.
        variants = (node.slop + 1) ** (len(words) - 1)
        if variants > MAX_PHRASE_VARIANTS:
            return _Q.phrase_query(self.schema, node.field, words, slop=node.slop * (len(words) - 1))
        phrases = []
        for gaps in itertools.product(range(1, node.slop + 2), repeat=len(words) - 1):
            offsets = itertools.accumulate(gaps, initial=0)
            phrases.append((_SHOULD, _Q.phrase_query(self.schema, node.field, list(zip(offsets, words, strict=True)))))
        return _Q.boolean_query(phrases)

    def _fuzzy(self, node: Fuzzy) -> tantivy.Query:
        # Whoosh: Levenshtein distance with the first FUZZY_PREFIX characters fixed. A shared prefix does not
        # change the distance, so that is: terms starting with the prefix, within the distance of the text.
        prefix = node.text[:FUZZY_PREFIX]
        matches = [t for t in self._listed(node.field, prefix) if analysis.within_edits(node.text, t, node.distance)]
        return self._terms(node.field, matches)

    def _range(self, node: Range) -> tantivy.Query:
        spec = FIELDS.get(node.field)
        if spec is None:
            raise QueryError(f"there is no field {node.field!r}")
        kind = spec.kind
        low, high = node.low, node.high
        if kind.ordered:
            return _Q.range_query(
                self.schema,
                node.field,
                tantivy.FieldType.Integer,
                None if low is None else ordinal(kind, low),
                None if high is None else ordinal(kind, high),
                include_lower=node.include_low,
                include_upper=node.include_high,
            )
        if (low is not None and not isinstance(low, str)) or (high is not None and not isinstance(high, str)):
            raise QueryError(f"a range over {node.field} needs text bounds")
        # Terms between the bounds share the bounds' common prefix: list those, compare as Whoosh does (code
        # point order, which is the order of the UTF-8 bytes).
        prefix = _common_prefix(low, high) if low is not None and high is not None else ""
        matches = [
            t
            for t in self._listed(node.field, prefix)
            if (low is None or (t > low if not node.include_low else t >= low))
            and (high is None or (t < high if not node.include_high else t <= high))
        ]
        return self._terms(node.field, matches)


# -- the engine -------------------------------------------------------------------------------------------------


def _is_panic(exc: BaseException) -> bool:
    """A Rust panic inside Tantivy (pyo3's PanicException derives from BaseException, not Exception)."""
    return type(exc).__name__ == "PanicException"


@contextlib.contextmanager
def _damage(action: str) -> Iterator[None]:
    """Turn Tantivy's errors (ValueError with a message, or a Rust panic) into ours, keeping the cause."""
    try:
        yield
    except SearchError:
        raise
    except BaseException as exc:
        if not isinstance(exc, Exception) and not _is_panic(exc):
            raise  # KeyboardInterrupt, SystemExit
        message = str(exc)
        if "LockBusy" in message:
            raise IndexLockedError("another writer holds the search index's lock") from exc
        if "Incompatible" in message:
            raise IndexOutdatedError(
                "the search index was written by another Tantivy version; run `sigillo reindex`"
            ) from exc
        raise IndexCorruptError(f"{action}: {type(exc).__name__}: {message}") from exc


def _release(writer: tantivy.IndexWriter) -> None:
    """Let the writer finish its merges and release the index's lock (the writer cannot be used afterwards)."""
    try:
        writer.wait_merging_threads()
    except BaseException as exc:  # a merge that failed leaves the committed segments as they were
        if not isinstance(exc, Exception) and not _is_panic(exc):
            raise


@contextlib.contextmanager
def _writing(ix: tantivy.Index, heap: int, threads: int) -> Iterator[tantivy.IndexWriter]:
    """A writer that commits on success and rolls back on any error; either way its lock is released."""
    with _damage("cannot open a writer"):
        writer = ix.writer(heap_size=heap, num_threads=threads)
    try:
        try:
            yield writer
        except BaseException:
            with contextlib.suppress(Exception):
                writer.rollback()
            raise
        try:
            writer.commit()
        except BaseException as exc:
            with contextlib.suppress(Exception):
                writer.rollback()
            if isinstance(exc, Exception) or _is_panic(exc):
                raise SearchError(f"could not save the search index: {exc}") from exc
            raise
    finally:
        _release(writer)


def _write(writer: tantivy.IndexWriter, records: Iterable[IndexRecord], *, replace: bool) -> int:
    """Add ``records`` to ``writer``; returns the number of distinct ids.

    A delete by id is applied to every document added before it, including the uncommitted ones of this batch,
    so deleting before adding replaces an older version and a repeated id keeps the last one.
    """
    seen: set[str] = set()
    for record in records:  # not guarded by _damage: an error of the records' source is its own
        document = to_document(record)
        with _damage("cannot write to the search index"):
            if replace or record.id in seen:
                writer.delete_documents_by_term("id", record.id)
            writer.add_document(document)
        seen.add(record.id)
    return len(seen)


def _count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    return int(searcher.search(query, limit=1, count=True).count)


def _by_id(searcher: tantivy.Searcher, query: tantivy.Query, offset: int, limit: int) -> tuple[list[str], int]:
    """Ids of ``query``'s matches in id order, ``limit`` of them after skipping ``offset`` (read from the id
    column, not the stored documents); and the number of matches."""
    result = searcher.search(query, limit=max(1, limit), count=True, offset=offset, order_by_field="id", order=_ASC)
    return [str(doc_id) for doc_id, _ in result.hits[: max(0, limit)]], int(result.count)


def _sorted_page(
    searcher: tantivy.Searcher, schema: tantivy.Schema, query: tantivy.Query, field: str, descending: bool,
    limit: int, offset: int,
) -> tuple[list[str], int]:
    """The ids at ``[offset, offset + limit)`` of ``query``'s matches ordered by ``field`` (descending or not),
    equal values by id, documents without a value last (by id); and the number of matches."""
    total = _count(searcher, query)
    end = min(offset + limit, total)
    if offset >= end:
        return [], total
    has = _Q.term_query(schema, HAS_FIELD, field)
    valued = _Q.boolean_query([(_MUST, query), (_MUST, has)])
    n_valued = _count(searcher, valued)
    ids: list[str] = []
    stop = min(end, n_valued)
    if offset < stop:
        order = _DESC if descending else _ASC
        page = searcher.search(valued, limit=stop - offset, count=False, offset=offset, order_by_field=field,
                               order=order)
        values = list(dict.fromkeys(int(value) for value, _ in page.hits))  # the value groups the page spans

        def equal(value: int) -> tantivy.Query:
            return _Q.range_query(schema, field, tantivy.FieldType.Integer, value, value)

        # Where the first group starts: after every document with a better value.
        first = values[0]
        if descending:
            better = _Q.range_query(schema, field, tantivy.FieldType.Integer, first, None, include_lower=False)
        else:
            better = _Q.range_query(schema, field, tantivy.FieldType.Integer, None, first, include_upper=False)
        start = _count(searcher, _Q.boolean_query([(_MUST, valued), (_MUST, better)]))
        for value in values:
            group = _Q.boolean_query([(_MUST, query), (_MUST, equal(value))])
            skip = max(0, offset - start)
            members, size = _by_id(searcher, group, skip, stop - (start + skip))
            ids.extend(members)
            start += size
            if start >= stop:
                break
    if end > n_valued:
        missing = _Q.boolean_query([(_MUST, query), (_MUST_NOT, has)])
        skip = max(0, offset - n_valued)
        ids.extend(_by_id(searcher, missing, skip, end - max(offset, n_valued))[0])
    return ids, total


def _stat(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns, st.st_size


class TantivyEngine(Engine):
    """A Tantivy index in one generation folder of ``path`` (see ``search._layout``)."""

    name = ENGINE
    schema_version = SCHEMA_VERSION

    def __init__(self, path: Path, ix: tantivy.Index, stamp: object, live: Path) -> None:
        super().__init__(path)
        self._ix: tantivy.Index | None = ix
        self._stamp = stamp
        self._live_dir = live
        self._meta = _stat(live / "meta.json")  # the reader was opened after this stat

    # -- opening and building ------------------------------------------------------------------------------------
    @classmethod
    def _open_ix(cls, path: Path) -> tuple[tantivy.Index, object, Path]:
        live, stamp = cls._live(path)
        with _damage("cannot open the search index"):
            ix = _register(tantivy.Index.open(str(live)))
            ix.config_reader("manual")  # reloaded by _searcher() when meta.json changes: no watcher thread
        return ix, stamp, live

    @classmethod
    def open(cls, path: Path) -> Self:
        ix, stamp, live = cls._open_ix(Path(path))
        return cls(Path(path), ix, stamp, live)

    @classmethod
    def _fill(cls, generation: Path, records: Iterable[IndexRecord]) -> int:
        with _damage("cannot create the search index"):
            ix = _register(tantivy.Index(build_schema(), path=str(generation), reuse=False))
        with _writing(ix, BUILD_HEAP, BUILD_THREADS) as writer:
            count = _write(writer, records, replace=False)
        del ix
        return count

    def reopen(self) -> None:
        self._ix = None
        self._ix, self._stamp, self._live_dir = self._open_ix(self.path)
        self._meta = _stat(self._live_dir / "meta.json")

    # -- writing -------------------------------------------------------------------------------------------------
    def add(self, records: Iterable[IndexRecord]) -> int:
        with _writing(self._index(), ADD_HEAP, ADD_THREADS) as writer:
            count = _write(writer, records, replace=True)
        self._reload()
        return count

    def delete(self, ids: Iterable[str]) -> int:
        unique = list(dict.fromkeys(ids))
        if not unique:
            return 0

        def present(searcher: tantivy.Searcher, schema: tantivy.Schema) -> int:
            query = _Q.term_set_query(schema, "id", unique)
            return int(searcher.search(query, limit=1, count=True).count)

        count = self._read("cannot read the search index", present)
        with _writing(self._index(), ADD_HEAP, ADD_THREADS) as writer, _damage("cannot write to the search index"):
            for doc_id in unique:
                writer.delete_documents_by_term("id", doc_id)
        self._reload()
        return count

    def _reload(self) -> None:
        """Make this engine's reader see its own commit."""
        if self._ix is not None:
            meta = _stat(self._live_dir / "meta.json")
            with _damage("cannot read the search index"):
                self._ix.reload()
            self._meta = meta

    # -- reading -------------------------------------------------------------------------------------------------
    def _searcher(self) -> tuple[tantivy.Searcher, tantivy.Schema]:
        ix = self._index()
        meta = _stat(self._live_dir / "meta.json")
        with _damage("cannot read the search index"):
            if meta != self._meta:  # another writer (this process or another) has committed
                ix.reload()
                self._meta = meta
            return ix.searcher(), ix.schema

    def search(
        self, query: str | ParsedQuery, *, limit: int = 10, offset: int = 0, sort: str | None = None
    ) -> SearchResult:
        if limit < 0 or offset < 0:
            raise QueryError(f"limit and offset must not be negative (got {limit}, {offset})")
        key, descending = sort_order(sort)
        parsed = parse(query) if isinstance(query, str) else query

        def run(searcher: tantivy.Searcher, schema: tantivy.Schema) -> tuple[tuple[Hit, ...], int]:
            tquery = to_tantivy(parsed.tree, searcher, schema)
            if key is not None:
                ids, total = _sorted_page(searcher, schema, tquery, key.field, descending, limit, offset)
                return tuple(Hit(doc_id, 0.0) for doc_id in ids), total
            # Tantivy wants a limit of at least 1, and sizes its heap by it: ask for no more than there is.
            wanted = min(limit, max(0, searcher.num_docs - offset))
            result = searcher.search(tquery, limit=max(1, wanted), count=True, offset=offset)
            hits = tuple(
                Hit(searcher.doc(address).get_first("id"), float(score)) for score, address in result.hits[:wanted]
            )
            return hits, int(result.count)

        hits, total = self._read("cannot search the index", run)
        return SearchResult(hits=hits, total=total, notes=parsed.notes)

    def facets(self, query: str | ParsedQuery, field: str, *, top: int = 10) -> list[tuple[str, int]]:
        name = facet_name(field)
        top_values((), top)  # QueryError for a negative top, before any work
        parsed = parse(query) if isinstance(query, str) else query

        def run(searcher: tantivy.Searcher, schema: tantivy.Schema) -> list[tuple[str, int]]:
            tquery = to_tantivy(parsed.tree, searcher, schema)
            agg = {"f": {"terms": {"field": facet_field(name), "size": FACET_BUCKETS}}}
            buckets = searcher.aggregate(tquery, agg)["f"]["buckets"]
            return [(str(b["key"]), int(b["doc_count"])) for b in buckets]

        return top_values(self._read("cannot count the index's values", run), top)

    def ids(self) -> set[str]:
        def work(searcher: tantivy.Searcher, schema: tantivy.Schema) -> set[str]:
            alive = searcher.num_docs
            if not alive:
                return set()
            terms = searcher.terms_with_prefix("id", "")
            # Every document has one id term; term frequencies count deleted documents too. If they add up to
            # the live documents, nothing is deleted and the term list is the answer (no stored field read).
            if sum(freq for _, freq in terms) == alive:
                return {term for term, _ in terms}
            result = searcher.search(_Q.all_query(), limit=alive, count=False)
            return {searcher.doc(address).get_first("id") for _, address in result.hits}

        return self._read("cannot read the search index", work)

    def count(self) -> int:
        return self._read("cannot read the search index", lambda s, _: int(s.num_docs))

    def _read(self, action: str, work: Callable[[tantivy.Searcher, tantivy.Schema], T]) -> T:
        """Run ``work(searcher, schema)``; if it fails as damage, once more on freshly opened files.

        A writer's commit (or another process's rebuild) may delete files a reader was about to open: that race
        looks like damage once, not twice.
        """
        try:
            searcher, schema = self._searcher()
            with _damage(action):
                return work(searcher, schema)
        except IndexCorruptError:
            self.reopen()
            searcher, schema = self._searcher()
            with _damage(action):
                return work(searcher, schema)

    def close(self) -> None:
        self._ix = None  # Tantivy releases its files when the index object goes away
