"""The Whoosh engine (pure Python; whoosh-reloaded).

Schema, built from ``search.fields.FIELDS``:

* ``id``: ID, stored, unique. The only stored field: the archive has the text, the index stays small.
* ``text``: the folded terms of the full text, with positions (words, phrases, prefixes, fuzzy terms), as
  ``search.analysis.ANALYZER`` gives them (``_Terms``); ``stem_it``, ``stem_en``: the same text stemmed by the
  analyzer of that language (``_Stems``), without positions, in the field of the document's language (all of
  them when it has no stemmer). A word matches its exact term (boosted) or its stem in any stem field (a stem of
  ``analysis.MIN_STEM`` letters or more: ``analysis.matching_stem``).
* TEXT fields (filename, names, governing law): folded terms with positions, the same way.
* KEYWORD / CODE / IDENTIFIER fields: ID, holding the value normalised by ``search.fields.normalise``.
* IDENTIFIERS (invoice_refs): KEYWORD(commas) of normalised values; NAMES (parties): KEYWORD(commas) of the
  folded words of every name.
* AMOUNT: NUMERIC int64 in cents (exact at the cent, no float); INTEGER: NUMERIC int64; DATE: NUMERIC
  int64 ``YYYYMMDD`` (a year or month query is a range over it). All signed: Whoosh gets open-ended ranges
  wrong on unsigned fields.
* ``has``: KEYWORD(commas) naming the fields a document has (``field:*`` is one term lookup), the sort keys
  included.
* Derived (``search.fields.derived_values``): ``doc_date`` / ``doc_amount``, NUMERIC int64 columns to sort by;
  ``facet_<name>``, an ID column holding the whole value, counted over the matches. ``id`` has a column too.

Sorting by a field reads the value and id columns of every match and sorts them here: value (descending or
not), then id; documents without the value (no ``has`` term) last, by id. Facets count the facet column over
every match.

All analysis is ``search.analysis``'s: the text fields are tokenised by its ``ANALYZER`` (the Rust analyzer the
Tantivy engine registers), positions included, so the index, the query translation, the highlighter and the other
engine agree by construction; the stems arrive pre-computed, separated by spaces.
Queries are translated from our tree into Whoosh query objects directly (Whoosh's own parser is never used).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Self, TypeVar

from whoosh import fields as wf
from whoosh import index as windex
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.matching import AndNotMatcher
from whoosh.writing import IndexWriter

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
    stem_field,
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

__all__ = ["SCHEMA_VERSION", "WhooshEngine", "build_schema", "to_whoosh"]

T = TypeVar("T")

ENGINE = "whoosh"
SCHEMA_VERSION = 3  # bump whenever the schema or the document mapping below changes
HAS_FIELD = "has"
EXACT_BOOST = 2.0
WRITER_MB = 128

# -- schema and documents ---------------------------------------------------------------------------------------


class _Terms(Tokenizer):  # type: ignore[misc]
    """Whoosh's view of ``search.analysis``: the folded terms of a text with the positions Tantivy gives them
    (a dropped long token leaves a gap, as it does there)."""

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for tok in analysis.tokens(analysis.normalise(value)) if tokenize else ():
            t.text, t.boost, t.stopped = tok.text, 1.0, False
            if keeporiginal:
                t.original = tok.text
            if positions:
                t.pos = start_pos + tok.position
            if chars:
                t.startchar, t.endchar = start_char + tok.start, start_char + tok.end
            yield t


class _Stems(Tokenizer):  # type: ignore[misc]
    """Whoosh's view of ``search.analysis.STEMMERS[language]``: the stemmed terms of a text (no positions: a stem
    field only answers which documents have a stem, and how often)."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        t = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, term in enumerate(analysis.stems(value, self.language) if tokenize else ()):
            t.text, t.boost, t.stopped = term, 1.0, False
            if keeporiginal:
                t.original = term
            if positions:
                t.pos = start_pos + pos
            if chars:
                t.startchar = t.endchar = start_char
            yield t


def build_schema() -> wf.Schema:
    """The Whoosh schema for the field registry."""
    terms = _Terms()
    spec: dict[str, wf.FieldType] = {}
    for f in FIELDS.values():
        kind = f.kind
        if kind is Kind.DOC_ID:
            spec[f.name] = wf.ID(stored=True, unique=True, sortable=True)
        elif kind is Kind.FULLTEXT:
            spec[f.name] = wf.TEXT(analyzer=terms, phrase=True)
            for code in analysis.STEM_LANGUAGES:
                spec[stem_field(code)] = wf.TEXT(analyzer=_Stems(code), phrase=False)
        elif kind is Kind.TEXT:
            spec[f.name] = wf.TEXT(analyzer=terms, phrase=True)
        elif kind in (Kind.KEYWORD, Kind.CODE, Kind.IDENTIFIER):
            spec[f.name] = wf.ID()
        elif kind in (Kind.IDENTIFIERS, Kind.NAMES):
            spec[f.name] = wf.KEYWORD(commas=True, lowercase=False, scorable=False)
        elif kind.ordered:
            # Signed 64-bit for every number: Whoosh mishandles open-ended ranges on unsigned fields
            # (``NumericRange(f, None, x)`` matched everything on a ``bits=32, signed=False`` field).
            spec[f.name] = wf.NUMERIC(numtype=int, bits=64, signed=True)
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(kind)
    spec[HAS_FIELD] = wf.KEYWORD(commas=True, lowercase=False, scorable=False)
    for key in SORTS.values():
        spec[key.field] = wf.NUMERIC(numtype=int, bits=64, signed=True, sortable=True)
    for name in FACETS:
        spec[facet_field(name)] = wf.ID(sortable=True)
    return wf.Schema(**spec)


def _number(kind: Kind, value: object) -> int:
    return ordinal(kind, value)


def to_document(record: IndexRecord) -> dict[str, Any]:
    """The Whoosh document for one record."""
    doc: dict[str, Any] = {"id": record.id}
    present: list[str] = []
    values = record_values(record)
    for name, value in values.items():
        kind = FIELDS[name].kind
        if kind is Kind.DOC_ID:
            continue
        if kind is Kind.FULLTEXT:
            doc[name] = value
            for code in analysis.stem_languages(record.language):
                doc[stem_field(code)] = value
        elif kind is Kind.TEXT:
            doc[name] = value
        elif kind is Kind.IDENTIFIERS:
            doc[name] = ",".join(value)  # type: ignore[arg-type]
        elif kind is Kind.NAMES:
            doc[name] = ",".join(analysis.name_words(value))  # type: ignore[arg-type]
        elif kind.ordered:
            doc[name] = _number(kind, value)
        else:
            doc[name] = value
        present.append(name)
    for name, value in derived_values(values).items():
        doc[name] = value
        if isinstance(value, int):
            present.append(name)
    doc[HAS_FIELD] = ",".join(present)
    return doc


# -- query translation ------------------------------------------------------------------------------------------


class _AndNotMatcher(AndNotMatcher):
    """Whoosh's AndNotMatcher, with its first document checked too.

    whoosh-reloaded 2.7.5 only compares the two matchers' current documents when it starts: if the excluded
    matcher starts on an earlier document, the first match is kept even when it is excluded (``sollecito
    -fattura`` found the letter that says "fatture"). Skipping the excluded matcher forward first fixes that.
    """

    def _find_first(self) -> None:
        if self.a.is_active() and self.b.is_active():
            self._find_next()


class _AndNot(wq.AndNot):
    """``a ANDNOT b`` matched by ``_AndNotMatcher``."""

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        return _AndNotMatcher(self.a.matcher(searcher, context), self.b.matcher(searcher, searcher.boolean_context()))


def to_whoosh(node: Node) -> wq.Query:
    """Translate our query tree into a Whoosh query."""
    if isinstance(node, Term):
        if FIELDS[node.field].kind is Kind.FULLTEXT:
            exact = wq.Term(node.field, node.text, boost=EXACT_BOOST)
            stemmed = [
                wq.Term(stem_field(code), stemmed)
                for code in analysis.STEM_LANGUAGES
                if (stemmed := analysis.matching_stem(node.text, code)) is not None
            ]
            return wq.Or([exact, *stemmed]) if stemmed else exact
        return wq.Term(node.field, node.text)
    if isinstance(node, Phrase):
        if len(node.words) == 1:
            return wq.Term(node.field, node.words[0], boost=EXACT_BOOST)
        return wq.Phrase(node.field, list(node.words), slop=node.slop + 1)
    if isinstance(node, Prefix):
        return wq.Prefix(node.field, node.text)
    if isinstance(node, Fuzzy):
        return wq.FuzzyTerm(node.field, node.text, maxdist=node.distance, prefixlength=FUZZY_PREFIX)
    if isinstance(node, Range):
        return _range(node)
    if isinstance(node, Exists):
        return wq.Term(HAS_FIELD, node.field)
    if isinstance(node, Everything):
        return wq.Every()
    if isinstance(node, Nothing):
        return wq.NullQuery
    if isinstance(node, And):
        positive = [to_whoosh(c) for c in node.children if not isinstance(c, Not)]
        negative = [to_whoosh(c.child) for c in node.children if isinstance(c, Not)]
        base: wq.Query = wq.And(positive) if len(positive) > 1 else positive[0] if positive else wq.Every()
        if not negative:
            return base
        return _AndNot(base, wq.Or(negative) if len(negative) > 1 else negative[0])
    if isinstance(node, Or):
        return wq.Or([wq.Not(to_whoosh(c.child)) if isinstance(c, Not) else to_whoosh(c) for c in node.children])
    if isinstance(node, Not):
        return _AndNot(wq.Every(), to_whoosh(node.child))
    raise QueryError(f"the Whoosh engine cannot search {type(node).__name__} nodes")


def _range(node: Range) -> wq.Query:
    kind = FIELDS[node.field].kind
    if kind.ordered:
        low = None if node.low is None else _number(kind, node.low)
        high = None if node.high is None else _number(kind, node.high)
        return wq.NumericRange(
            node.field, low, high, startexcl=not node.include_low, endexcl=not node.include_high, constantscore=True
        )
    return wq.TermRange(node.field, node.low, node.high, startexcl=not node.include_low, endexcl=not node.include_high)


# -- the engine -------------------------------------------------------------------------------------------------


@contextlib.contextmanager
def _damage(action: str) -> Iterator[None]:
    """Turn Whoosh's errors into ours, keeping the cause."""
    try:
        yield
    except SearchError:
        raise
    except windex.LockError as exc:
        raise IndexLockedError("another writer holds the search index's lock") from exc
    except windex.IndexVersionError as exc:
        raise IndexOutdatedError(
            "the search index was written by another Whoosh version; run `sigillo reindex`"
        ) from exc
    except windex.EmptyIndexError as exc:
        raise IndexCorruptError(f"{action}: its files are missing") from exc
    except Exception as exc:
        # A damaged file surfaces as anything from EOFError, struct.error or UnpicklingError to a MemoryError
        # (a garbage length) or an AssertionError inside Whoosh: only Whoosh's own calls are guarded by this.
        raise IndexCorruptError(f"{action}: {type(exc).__name__}: {exc}") from exc


def _abandon(writer: IndexWriter) -> None:
    """Cancel a writer after an error, and make sure its lock is gone even if cancelling fails."""
    try:
        writer.cancel()
    except Exception:
        lock = getattr(writer, "writelock", None)
        if lock is not None:
            with contextlib.suppress(Exception):
                lock.release()


@contextlib.contextmanager
def _writing(ix: windex.Index) -> Iterator[IndexWriter]:
    """A writer that commits on success and is cancelled (lock released) on any error."""
    with _damage("cannot open a writer"):
        writer = ix.writer(limitmb=WRITER_MB)
    try:
        yield writer
    except BaseException:
        _abandon(writer)
        raise
    try:
        writer.commit()
    except BaseException as exc:
        _abandon(writer)
        if isinstance(exc, Exception) and not isinstance(exc, SearchError):
            raise SearchError(f"could not save the search index: {exc}") from exc
        raise


def _write(writer: IndexWriter, records: Iterable[IndexRecord], *, replace: bool) -> tuple[int, list[IndexRecord]]:
    """Add ``records`` to ``writer``; returns (documents added, later duplicates of ids already in this batch).

    A Whoosh writer cannot replace a document it has not committed yet, so a repeated id is set aside and
    written by a second writer (the last one wins, as the archive would expect).
    """
    seen: set[str] = set()
    later: dict[str, IndexRecord] = {}
    for record in records:  # not guarded by _damage: an error of the records' source is its own
        if record.id in seen:
            later[record.id] = record
            continue
        seen.add(record.id)
        document = to_document(record)
        with _damage("cannot write to the search index"):
            if replace:
                writer.delete_by_term("id", record.id)
            writer.add_document(**document)
    return len(seen), list(later.values())


class WhooshEngine(Engine):
    """A Whoosh index in one generation folder of ``path`` (see ``search._layout``)."""

    name = ENGINE
    schema_version = SCHEMA_VERSION

    def __init__(self, path: Path, ix: windex.Index, stamp: object) -> None:
        super().__init__(path)
        self._ix: windex.Index | None = ix
        self._stamp = stamp
        self._searcher: Any = None

    # -- opening and building ------------------------------------------------------------------------------------
    @classmethod
    def _open_ix(cls, path: Path) -> tuple[windex.Index, object]:
        live, stamp = cls._live(path)
        with _damage("cannot open the search index"):
            return windex.open_dir(str(live), schema=build_schema()), stamp

    @classmethod
    def open(cls, path: Path) -> Self:
        ix, stamp = cls._open_ix(Path(path))
        return cls(Path(path), ix, stamp)

    @classmethod
    def _fill(cls, generation: Path, records: Iterable[IndexRecord]) -> int:
        ix = windex.create_in(str(generation), build_schema())
        try:
            with _writing(ix) as writer:
                count, later = _write(writer, records, replace=False)
            if later:
                with _writing(ix) as writer:
                    _write(writer, later, replace=True)
        finally:
            ix.close()
        return count

    def reopen(self) -> None:
        self._close_searcher()
        if self._ix is not None:
            self._ix.close()
            self._ix = None
        self._ix, self._stamp = self._open_ix(self.path)

    # -- writing -------------------------------------------------------------------------------------------------
    def add(self, records: Iterable[IndexRecord]) -> int:
        ix = self._index()
        with _damage("cannot read the search index"):
            replace = ix.doc_count_all() > 0
        with _writing(ix) as writer:
            count, later = _write(writer, records, replace=replace)
        if later:
            with _writing(ix) as writer:
                _write(writer, later, replace=True)
        return count

    def delete(self, ids: Iterable[str]) -> int:
        with _writing(self._index()) as writer:
            return sum(writer.delete_by_term("id", doc_id) for doc_id in dict.fromkeys(ids))

    # -- reading -------------------------------------------------------------------------------------------------
    def _searching(self) -> Any:
        ix = self._index()
        with _damage("cannot read the search index"):
            # Not Searcher.refresh(): it reuses segment readers whose deletions are stale.
            if self._searcher is not None and ix.latest_generation() != self._searcher.reader().generation():
                self._close_searcher()
            if self._searcher is None:
                self._searcher = ix.searcher()
        return self._searcher

    def search(
        self, query: str | ParsedQuery, *, limit: int = 10, offset: int = 0, sort: str | None = None
    ) -> SearchResult:
        if limit < 0 or offset < 0:
            raise QueryError(f"limit and offset must not be negative (got {limit}, {offset})")
        key, descending = sort_order(sort)
        parsed = parse(query) if isinstance(query, str) else query
        wquery = to_whoosh(parsed.tree)
        if key is not None:
            field = key.field

            def ordered(searcher: Any) -> tuple[tuple[Hit, ...], int]:
                docnums = list(searcher.docs_for_query(wquery))
                reader = searcher.reader()
                ids, values = reader.column_reader("id"), reader.column_reader(field)
                has = set(searcher.docs_for_query(wq.Term(HAS_FIELD, field)))
                valued = sorted(
                    (-values[d] if descending else values[d], ids[d]) for d in docnums if d in has
                )
                missing = sorted(ids[d] for d in docnums if d not in has)
                order = [doc_id for _, doc_id in valued] + missing
                return tuple(Hit(doc_id, 0.0) for doc_id in order[offset : offset + limit]), len(docnums)

            hits, total = self._read("cannot search the index", ordered)
            return SearchResult(hits=hits, total=total, notes=parsed.notes)

        def run(searcher: Any) -> tuple[tuple[Hit, ...], int]:
            # Whoosh's collector prunes sub-queries that can no longer reach the top ``limit`` (even with
            # optimize=False), so its own count falls short, and differently for each limit. When the top list is
            # not full, it holds every match; otherwise the matches are counted in a second, unscored pass.
            wanted = max(1, offset + limit)
            results = searcher.search(wquery, limit=wanted)
            scored = results.scored_length()
            total = scored if scored < wanted else sum(1 for _ in searcher.docs_for_query(wquery))
            end = min(offset + limit, scored)
            return tuple(Hit(results[i]["id"], float(results.score(i))) for i in range(offset, end)), total

        hits, total = self._read("cannot search the index", run)
        return SearchResult(hits=hits, total=total, notes=parsed.notes)

    def facets(self, query: str | ParsedQuery, field: str, *, top: int = 10) -> list[tuple[str, int]]:
        column = facet_field(facet_name(field))
        top_values((), top)  # QueryError for a negative top, before any work
        parsed = parse(query) if isinstance(query, str) else query
        wquery = to_whoosh(parsed.tree)

        def run(searcher: Any) -> list[tuple[str, int]]:
            values = searcher.reader().column_reader(column)
            counts: dict[str, int] = {}
            for docnum in searcher.docs_for_query(wquery):
                value = values[docnum]
                if value:  # a document without the field reads as the column's empty default
                    counts[value] = counts.get(value, 0) + 1
            return list(counts.items())

        return top_values(self._read("cannot count the index's values", run), top)

    def ids(self) -> set[str]:
        return self._read("cannot read the search index", lambda s: {f["id"] for _, f in s.reader().iter_docs()})

    def count(self) -> int:
        return self._read("cannot read the search index", lambda s: int(s.doc_count()))

    def _read(self, action: str, work: Callable[[Any], T]) -> T:
        """Run ``work(searcher)``; if it fails as damage, once more on freshly opened files.

        A writer's commit (or another process's rebuild) may delete files a reader was about to open: that race
        looks like damage once, not twice.
        """
        try:
            searcher = self._searching()
            with _damage(action):
                return work(searcher)
        except IndexCorruptError:
            self.reopen()
            searcher = self._searching()
            with _damage(action):
                return work(searcher)

    def _close_searcher(self) -> None:
        if self._searcher is not None:
            with contextlib.suppress(Exception):
                self._searcher.close()
            self._searcher = None

    def close(self) -> None:
        self._close_searcher()
        if self._ix is not None:
            with contextlib.suppress(Exception):
                self._ix.close()
            self._ix = None
