"""The search package's errors.

The index is a rebuildable copy of the archive's catalog, so almost every index problem has the same cure:
rebuild it (``sigillo reindex``). A query never raises for its syntax: the parser falls back to searching the
words of what it could not read and says so in ``ParsedQuery.notes``.

::

    SearchError                     root: anything the search package refuses to do
    ├── IndexMissingError           no index at that path
    │   └── IndexOutdatedError      an index built by another version (schema sentinel mismatch)
    ├── IndexCorruptError           the index files are damaged or unreadable
    ├── IndexLockedError            another writer holds the index's own lock
    ├── UnknownEngineError          no search engine has that name
    └── QueryError                  a request the tolerant parser cannot fix (a bad limit, an unknown node)
"""

from __future__ import annotations

__all__ = [
    "IndexCorruptError",
    "IndexLockedError",
    "IndexMissingError",
    "IndexOutdatedError",
    "QueryError",
    "SearchError",
    "UnknownEngineError",
]

REINDEX_HINT = "run `sigillo reindex`"


class SearchError(Exception):
    """Root of the search package's errors. ``str()`` is one sentence for a person."""

    hint: str = REINDEX_HINT


class IndexMissingError(SearchError):
    """There is no index at the path given (or only an unusable remnant of one)."""


class IndexOutdatedError(IndexMissingError):
    """The index was built by another version of the schema or analysis: it must be rebuilt."""


class IndexCorruptError(SearchError):
    """The index files are damaged: the index must be rebuilt from the catalog."""

    def __init__(self, detail: str = "") -> None:
        message = f"the search index is damaged; {REINDEX_HINT}"
        super().__init__(f"{message} ({detail})" if detail else message)


class IndexLockedError(SearchError):
    """Another writer holds the index's lock (the archive's own write lock should prevent this)."""

    hint = "wait for the other sigillo process to finish, then try again"


class UnknownEngineError(SearchError):
    """The settings name a search engine this version does not have."""

    hint = "set search_engine to one of the engines named"


class QueryError(SearchError):
    """A search request the tolerant fallback cannot fix (e.g. a negative limit)."""

    hint = ""
