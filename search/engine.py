"""The engine interface every search engine implements, and the factory that picks one by name.

An engine keeps a rebuildable copy of the archive's documents (``IndexRecord``) and answers queries given as
text or as our own parsed tree (``search.query``). The archive guarantees one writer at a time; readers may
come and go. Typical use::

    with open_engine("whoosh", home / "index" / "whoosh", create=True) as engine:
        engine.add(records)                      # one commit for the whole batch
        result = engine.search("sollecito rossi", limit=10)

``rebuild`` builds a complete new index beside the live one and swaps it in atomically: the old index keeps
answering until the swap, and a rebuild that fails leaves it untouched.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any, ClassVar, Self

from ._layout import IndexDir
from .errors import IndexMissingError, QueryError, UnknownEngineError
from .fields import FACETS, SortKey, ValueProblem, field_spec, fingerprint, parse_sort
from .query import ParsedQuery
from .record import IndexRecord, SearchResult

__all__ = [
    "ENGINES",
    "Engine",
    "create_engine",
    "engine_class",
    "facet_name",
    "open_engine",
    "rebuild_engine",
    "sort_order",
    "top_values",
]

# name -> "module:Class", imported on first use (an engine's library is only needed when it is chosen).
ENGINES: dict[str, str] = {
    "whoosh": "search.whoosh_engine:WhooshEngine",
    "tantivy": "search.tantivy_engine:TantivyEngine",
}


class Engine(ABC):
    """A full-text and field index of the archive's documents.

    Every engine keeps its index in generation folders of ``path`` (``search._layout.IndexDir``): ``build`` fills
    a new one and publishes it atomically, and an open engine notices a generation published by another process
    through the folder's stamp (``_index``).
    """

    name: ClassVar[str]
    schema_version: ClassVar[int]  # bump whenever the engine's schema or document mapping changes

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._dir = IndexDir(self.path)
        self._ix: Any = None  # the engine library's open index
        self._stamp: object = None  # the folder's stamp when _ix was opened

    # -- opening and building ------------------------------------------------------------------------------------
    @classmethod
    @abstractmethod
    def open(cls, path: Path) -> Self:
        """Open the live index at ``path``.

        Raises:
            IndexMissingError: there is none. ``IndexOutdatedError`` (a subclass): it was built by another
                version and must be rebuilt.
            IndexCorruptError: its files are damaged.
        """

    @classmethod
    def build(cls, path: Path, records: Iterable[IndexRecord]) -> int:
        """Build a complete new index of ``records`` beside the live one, then swap it in atomically.

        Works whether or not a (usable) index is there. Returns the number of documents indexed. If
        ``records`` raises, the new index is thrown away, the live one is untouched, and the error propagates.
        """
        folder = IndexDir(path)
        generation = folder.new_generation()
        try:
            count = cls._fill(generation, records)
            folder.publish(generation, cls.name, cls.schema_version, fingerprint())
        except BaseException:
            folder.discard(generation)
            raise
        return count

    @classmethod
    @abstractmethod
    def _fill(cls, generation: Path, records: Iterable[IndexRecord]) -> int:
        """Create an index in the empty folder ``generation``, write ``records`` to it and close it; returns the
        number of distinct documents written (``build`` publishes the folder, or discards it on any error)."""

    @classmethod
    def _live(cls, path: Path) -> tuple[Path, object]:
        """The live generation's folder (checked readable by this code) and the folder's stamp, read first."""
        folder = IndexDir(path)
        stamp = folder.stamp()
        return folder.live(cls.name, cls.schema_version, fingerprint()), stamp

    @classmethod
    def create(cls, path: Path) -> Self:
        """A new, empty index at ``path`` (replacing whatever is there), opened."""
        cls.build(path, ())
        return cls.open(path)

    # -- writing -------------------------------------------------------------------------------------------------
    @abstractmethod
    def add(self, records: Iterable[IndexRecord]) -> int:
        """Add documents, replacing any with the same id, in one commit. Returns how many were written.

        If ``records`` raises midway, nothing of this batch is written and the error propagates.
        """

    @abstractmethod
    def delete(self, ids: Iterable[str]) -> int:
        """Remove documents by id, in one commit. Returns how many were in the index."""

    def rebuild(self, records: Iterable[IndexRecord]) -> int:
        """Replace this index by a new one built from ``records`` (see ``build``), and reopen on it."""
        count = type(self).build(self.path, records)
        self.reopen()
        return count

    @abstractmethod
    def reopen(self) -> None:
        """Drop open readers and open the live generation again (after a rebuild elsewhere)."""

    def _index(self) -> Any:
        """The open index, reopened first if another process has published a new generation."""
        if self._ix is None or self._dir.stamp() != self._stamp:
            self.reopen()
        assert self._ix is not None
        return self._ix

    # -- reading -------------------------------------------------------------------------------------------------
    @abstractmethod
    def search(
        self, query: str | ParsedQuery, *, limit: int = 10, offset: int = 0, sort: str | None = None
    ) -> SearchResult:
        """The ``limit`` best matches after skipping ``offset``, best first, with the total number of matches.

        A ``str`` is parsed with ``search.query.parse`` (never raises for its syntax; notes in the result).

        ``sort`` (read by ``search.fields.parse_sort``): ``None`` or ``"relevance"`` ranks by score; ``"date"`` /
        ``"amount"`` orders by the document's own date or amount (``search.fields.SORTS``), newest or largest
        first, and ``"date:asc"`` / ``"amount:asc"`` oldest or smallest first. Documents without that value come
        last in either direction; equal values are ordered by id, so every engine gives the same order. Hits
        sorted by a field have score 0.0 (their rank is their place).

        Raises:
            QueryError: a negative limit or offset, or an unknown sort.
            IndexCorruptError: the index cannot be read.
        """

    @abstractmethod
    def facets(self, query: str | ParsedQuery, field: str, *, top: int = 10) -> list[tuple[str, int]]:
        """How many of ALL the matches of ``query`` have each value of ``field`` (one of
        ``search.fields.FACETS``, or an alias of one): the ``top`` most frequent, most frequent first, equal
        counts by value. Values are whole (a name is counted as a name, not word by word), normalised as
        ``search.fields.derived_values`` does; documents without the field are not counted.

        Raises:
            QueryError: a field that has no facets, or a negative ``top``.
            IndexCorruptError: the index cannot be read.
        """

    @abstractmethod
    def ids(self) -> set[str]:
        """The ids of every document in the index."""

    @abstractmethod
    def count(self) -> int:
        """The number of documents in the index."""

    @abstractmethod
    def close(self) -> None:
        """Release files and readers. Idempotent."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def sort_order(sort: str | None) -> tuple[SortKey | None, bool]:
    """``search.fields.parse_sort``, raising ``QueryError`` for an unknown sort (for the engines)."""
    try:
        return parse_sort(sort)
    except ValueProblem as exc:
        raise QueryError(f"unknown sort {exc}") from exc


def facet_name(field: str) -> str:
    """The facet field a name stands for (aliases allowed). Raises ``QueryError`` if it has no facets."""
    spec = field_spec(field)
    if spec is None or spec.name not in FACETS:
        raise QueryError(f"no facets for {field!r} (facets: {', '.join(FACETS)})")
    return spec.name


def top_values(counts: Iterable[tuple[str, int]], top: int) -> list[tuple[str, int]]:
    """The ``top`` (value, count) pairs, most frequent first, equal counts by value: the same for every engine."""
    if top < 0:
        raise QueryError(f"top must not be negative (got {top})")
    return sorted(((v, c) for v, c in counts if c > 0), key=lambda vc: (-vc[1], vc[0]))[:top]


def engine_class(name: str) -> type[Engine]:
    """The engine class called ``name``.

    Raises:
        UnknownEngineError: no engine has that name.
    """
    target = ENGINES.get(name)
    if target is None:
        known = ", ".join(sorted(ENGINES))
        raise UnknownEngineError(f"unknown search engine {name!r} (known: {known})")
    module_name, _, class_name = target.partition(":")
    cls: type[Engine] = getattr(importlib.import_module(module_name), class_name)
    return cls


def open_engine(name: str, path: Path, *, create: bool = False) -> Engine:
    """Open the ``name`` index at ``path``; with ``create=True``, make an empty one if there is none.

    ``create`` does not hide an index that is outdated or damaged (``IndexOutdatedError``,
    ``IndexCorruptError``): that one must be rebuilt from the archive, not emptied.
    """
    cls = engine_class(name)
    try:
        return cls.open(Path(path))
    except IndexMissingError as exc:
        if not create or type(exc) is not IndexMissingError:
            raise
    return cls.create(Path(path))


def create_engine(name: str, path: Path) -> Engine:
    """A new, empty ``name`` index at ``path`` (replacing whatever is there), opened."""
    return engine_class(name).create(Path(path))


def rebuild_engine(name: str, path: Path, records: Iterable[IndexRecord]) -> int:
    """Build a new ``name`` index of ``records`` at ``path`` and swap it in. Returns the number indexed."""
    return engine_class(name).build(Path(path), records)
