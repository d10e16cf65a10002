"""The archive as one object: open or create it, find documents, keep the search index in step, search."""

from __future__ import annotations

import contextlib
import getpass
import os
import shutil
import socket
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from search import engine as search_engine
from search import errors as search_errors
from search.fields import SORTS
from search.query import ParsedQuery, parse
from search.record import IndexRecord
from search.snippet import snippets

from .audit import AuditLog
from .catalog import Catalog, DocumentRow
from .config import PASSPHRASE_ENV, Layout, Settings, resolve_home, set_search_engine, write_settings
from .errors import ArchiveExistsError, SearchIndexError
from .fields import effective_fields
from .lock import WriteLock
from .store import DIR_MODE, BlobStore

__all__ = ["Archive", "SearchRow", "now_utc", "os_user"]

INDEX_ENGINE_KEY = "index_engine"  # catalog meta: the engine the index marks refer to

if TYPE_CHECKING:
    from .identity import KeyFiles
    from .sealing import CheckpointRow, SealOutcome, SealRow


def now_utc() -> str:
    """Our clock, UTC, to the microsecond: ``2024-03-15T10:02:11.123456Z``."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def host() -> str:
    return socket.gethostname()


# The fields shown beside each search hit (read for the whole page at once, corrections applied).
PARTY_FIELDS = ("buyer_name", "debtor_name")
REFERENCE_FIELDS = ("invoice_number", "contract_number")
KEY_FIELDS = tuple(
    dict.fromkeys((*SORTS["date"].sources, *SORTS["amount"].sources, "currency", *PARTY_FIELDS, *REFERENCE_FIELDS))
)


@dataclass(frozen=True)
class SearchRow:
    """One search hit, with what a person needs to recognise the document."""

    rank: int
    score: float
    document: DocumentRow
    fragments: list[list[tuple[str, bool]]]
    fields: Mapping[str, str | tuple[str, ...]] = field(default_factory=dict)  # KEY_FIELDS it has

    def _first(self, names: Sequence[str]) -> str | None:
        for name in names:
            value = self.fields.get(name)
            if value:
                return value if isinstance(value, str) else "; ".join(value)
        return None

    @property
    def date(self) -> str | None:
        """The document's own date, as the ``date`` sort reads it (issue, letter, signing, effective date)."""
        return self._first(SORTS["date"].sources)

    @property
    def amount(self) -> str | None:
        """The document's amount, as the ``amount`` sort reads it (total, amount due, contract value)."""
        return self._first(SORTS["amount"].sources)

    @property
    def currency(self) -> str | None:
        return self._first(("currency",))

    @property
    def party(self) -> str | None:
        """The other side: the buyer of an invoice, the debtor of a letter."""
        return self._first(PARTY_FIELDS)

    @property
    def reference(self) -> str | None:
        """The invoice or contract number."""
        return self._first(REFERENCE_FIELDS)


class Archive:
    """One archive folder. Use ``Archive.open(home)`` or ``Archive.init(home)``; close it when done."""

    def __init__(self, layout: Layout, settings: Settings, command: str = "sigillo") -> None:
        self.layout = layout
        self.settings = settings
        self.catalog = Catalog(layout.catalog)
        self.store = BlobStore(layout.objects, layout.tmp)
        self._engine: search_engine.Engine | None = None
        self.command = command  # the command line, as recorded in the audit log
        self.passphrase: bytes | None = _passphrase_from_env()

    @property
    def keys(self) -> KeyFiles:
        from .identity import KeyFiles  # cryptography: only for commands that touch keys (not `search`)

        return KeyFiles.of(self.layout)

    @property
    def audit(self) -> AuditLog:
        """The audit log, appending on behalf of this command, this OS user, this host, with our clock."""
        return AuditLog(self.catalog, command=self.command, user=os_user(), host=host(), clock=now_utc)

    # -- lifecycle -------------------------------------------------------------------------------------------
    @classmethod
    def open(cls, home: str | os.PathLike[str] | None = None, command: str = "sigillo") -> Archive:
        layout = Layout(resolve_home(home))
        layout.require()
        return cls(layout, Settings.load(layout.settings), command)

    @classmethod
    def init(
        cls,
        home: str | os.PathLike[str] | None = None,
        settings: Settings | None = None,
        *,
        passphrase: bytes | None = None,
        command: str = "sigillo init",
    ) -> Archive:
        """Create a new archive: folders (owner-only), settings, the seal key and certificate, the local TSA, an
        empty catalog whose audit log opens with the ``init`` entry, and an empty index."""
        layout = Layout(resolve_home(home))
        if layout.exists():
            raise ArchiveExistsError(f"there is already an archive at {layout.home}")
        if layout.home.exists() and any(layout.home.iterdir()):
            raise ArchiveExistsError(
                f"{layout.home} is not empty and holds no archive",
                hint="choose an empty or new folder with --home",
            )
        settings = settings or Settings(name=layout.home.name)
        layout.home.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
        os.chmod(layout.home, DIR_MODE)
        for folder in (layout.objects, layout.tmp, layout.index(settings.search_engine).parent):
            folder.mkdir(mode=DIR_MODE, exist_ok=True)
        write_settings(layout.settings, settings)
        os.chmod(layout.settings, 0o600)
        Catalog(layout.catalog, create=True).close()
        os.chmod(layout.catalog, 0o600)
        from .identity import create_identity

        seal = create_identity(layout, settings, passphrase)
        with _wrap_index_errors():
            search_engine.create_engine(settings.search_engine, layout.index(settings.search_engine)).close()
        archive = cls(layout, settings, command)
        archive.passphrase = passphrase
        archive.catalog.set_meta(INDEX_ENGINE_KEY, settings.search_engine)
        archive.audit.append(
            "init",
            archive_id=archive.catalog.archive_id,
            name=settings.name,
            seal_certificate_sha256=seal.sha256_hex,
            seal_subject=seal.subject,
            key_encrypted=passphrase is not None,
        )
        return archive

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        self.catalog.close()

    def __enter__(self) -> Archive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def write_lock(self, command: str, wait: float | None = None) -> WriteLock:
        return WriteLock(self.layout.lock, command, self.settings.lock_wait if wait is None else wait)

    # -- the search index ------------------------------------------------------------------------------------
    @property
    def index_path(self) -> Path:
        return self.layout.index(self.settings.search_engine)

    def engine(self, *, create: bool = False) -> search_engine.Engine:
        """The search engine, opened once. With ``create`` (writers only, under the write lock), a missing or
        outdated index is rebuilt from the catalog — never replaced by an empty one, which would silently lose
        every document already marked as indexed."""
        if self._engine is None:
            name = self.settings.search_engine
            with _wrap_index_errors():
                try:
                    built_for = self.catalog.meta(INDEX_ENGINE_KEY)
                    if built_for is not None and built_for != name:  # the settings name another engine now
                        raise search_errors.IndexMissingError(
                            f"the search index was built with {built_for}, and the settings now choose {name}"
                        )
                    self._engine = search_engine.open_engine(name, self.index_path)
                except search_errors.IndexMissingError:  # includes IndexOutdatedError
                    if not create:
                        raise
                    self.reindex()
                    self._engine = search_engine.open_engine(name, self.index_path)
        return self._engine

    def switch_engine(self, name: str) -> int:
        """Make ``name`` the archive's search engine (call with the write lock held): build its index from the
        catalog, then record it in the settings file; the other engines' indexes are removed, so that no stale
        copy is ever read. Returns the number of documents indexed."""
        search_engine.engine_class(name)  # UnknownEngineError before anything changes
        previous = self.settings
        self.settings = replace(previous, search_engine=name)
        try:
            count = self.reindex()
            set_search_engine(self.layout.settings, name)
        except BaseException:
            self.settings = previous
            raise
        for other in search_engine.ENGINES:
            folder = self.layout.index(other)
            if other != name and folder.exists():
                shutil.rmtree(folder, ignore_errors=True)
        return count

    def index_record(self, doc: DocumentRow) -> IndexRecord:
        return IndexRecord(
            id=doc.id,
            text=self.catalog.text(doc.id),
            filename=doc.original_name,
            media_type=doc.media_type,
            ingested_at=datetime.fromisoformat(doc.ingested_at.replace("Z", "+00:00")),
            page_count=doc.page_count,
            doc_type=doc.doc_type,
            language=doc.language,
            fields={name: f.value if isinstance(f.value, str) else list(f.value)
                    for name, f in effective_fields(self.catalog, doc.id).items()},
        )

    def _records(self, ids: Sequence[str]) -> Iterator[IndexRecord]:
        for start in range(0, len(ids), 200):
            chunk = ids[start : start + 200]
            docs = self.catalog.documents(chunk)
            for doc_id in chunk:
                yield self.index_record(docs[doc_id])

    def sync_index(self) -> int:
        """Index every catalogued document the index does not have yet. Call with the write lock held."""
        pending = self.catalog.unindexed_ids()
        if not pending:
            return 0
        engine = self.engine(create=True)
        with _wrap_index_errors():
            engine.add(self._records(pending))
        self.catalog.set_indexed(pending)
        _release_freed_memory()
        return len(pending)

    def reindex(self) -> int:
        """Rebuild the index from the catalog (call with the write lock held). Returns the number indexed."""
        ids = self.catalog.all_ids()
        if self._engine is not None:
            self._engine.close()
            self._engine = None
        with _wrap_index_errors():
            count = search_engine.rebuild_engine(self.settings.search_engine, self.index_path, self._records(ids))
        self.catalog.set_indexed(ids)
        self.catalog.set_meta(INDEX_ENGINE_KEY, self.settings.search_engine)
        return count

    def search(
        self, query: str, *, limit: int = 10, offset: int = 0, sort: str | None = None
    ) -> tuple[list[SearchRow], int, ParsedQuery]:
        """Run ``query``; returns the rows of this page of results, the total number of matches, the parse.

        ``sort``: None or ``relevance`` (best first), ``date`` / ``amount`` (newest / largest first),
        ``date:asc`` / ``amount:asc`` (see ``search.fields.parse_sort``). Each row carries its ``KEY_FIELDS``,
        read from the catalog for the whole page at once (corrections applied).

        Raises:
            SearchIndexError: the index cannot be used. ``QueryError`` (a ``SearchError``) for an unknown sort
                surfaces as ``SearchIndexError`` too: callers check the sort first (``parse_sort``).
        """
        parsed = parse(query)
        with _wrap_index_errors():
            result = self.engine().search(parsed, limit=limit, offset=offset, sort=sort)
        ids = [h.id for h in result.hits]
        docs = self.catalog.documents(ids)
        values = self.catalog.fields_of(ids, KEY_FIELDS)
        rows = []
        for rank, hit in enumerate(result.hits, start=offset + 1):
            doc = docs.get(hit.id)
            if doc is None:  # in the index but not the catalog: the index is stale; the catalog wins
                continue
            fragments = snippets(self.catalog.text(hit.id), parsed, language=doc.language)
            rows.append(SearchRow(rank, hit.score, doc, fragments, values.get(hit.id, {})))
        parsed = ParsedQuery(parsed.tree, tuple(parsed.notes) + tuple(n for n in result.notes if n not in parsed.notes))
        return rows, result.total, parsed

    def facets(self, query: str, names: Sequence[str], *, top: int = 10) -> dict[str, list[tuple[str, int]]]:
        """For each field of ``names`` (members of ``search.fields.FACETS``), its ``top`` values over every match
        of ``query`` with their counts, most frequent first."""
        parsed = parse(query)
        with _wrap_index_errors():
            engine = self.engine()
            return {name: engine.facets(parsed, name, top=top) for name in dict.fromkeys(names)}

    # -- documents -------------------------------------------------------------------------------------------
    def resolve(self, prefix: str) -> DocumentRow:
        return self.catalog.document(self.catalog.resolve(prefix))

    def copy_original(self, doc_id: str, sink: BinaryIO) -> int:
        return self.store.copy_to(doc_id, sink)

    # -- sealing ---------------------------------------------------------------------------------------------
    def seal(self, *, batch_id: str | None = None, anchor_audit: bool = False) -> SealOutcome:
        """Seal what waits for it (a new checkpoint, signed) and ask the TSA for every pending timestamp.

        Call with the write lock held. A seal key that cannot be used raises KeyProblemError (nothing is lost:
        the documents stay unsealed until the next run); a TSA that cannot be reached leaves checkpoints pending.
        """
        from .sealing import SealOutcome, make_checkpoint, timestamp_pending


        checkpoint, sealed = make_checkpoint(
            self.layout,
            self.catalog,
            self.audit,
            archive_id=self.catalog.archive_id,
            name=self.settings.name,
            batch_id=batch_id,
            passphrase=self.passphrase,
            clock=now_utc,
            anchor_audit=anchor_audit,
        )
        done, pending = timestamp_pending(self.layout, self.catalog, self.audit, self.settings, self.passphrase)
        return SealOutcome(checkpoint, sealed, done, pending)

    def checkpoint(self, number: int) -> CheckpointRow:
        from .sealing import checkpoint_row

        return checkpoint_row(self.catalog, number)

    def seal_of(self, doc_id: str) -> SealRow | None:
        from .sealing import seal_row

        return seal_row(self.catalog, doc_id)


@contextlib.contextmanager
def _wrap_index_errors() -> Iterator[None]:
    """Turn the search package's errors into ours, keeping the cause."""
    try:
        yield
    except search_errors.IndexMissingError as exc:
        raise SearchIndexError(f"the search index is missing or out of date: {exc}") from exc
    except search_errors.SearchError as exc:
        raise SearchIndexError(f"the search index cannot be used: {exc}") from exc


def _release_freed_memory() -> None:
    """Give the memory an index writer freed back to the system (glibc only; elsewhere nothing).

    Each Tantivy writer runs in threads of its own, and glibc keeps a pool per thread holding what they freed:
    without this, a long batch's parent process grew by ~30 MB per thousand documents (bench/ingest_memory.py).
    """
    global _malloc_trim
    if _malloc_trim is None:
        try:
            import ctypes

            _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
        except (OSError, AttributeError):
            _malloc_trim = False
    if _malloc_trim:
        _malloc_trim(0)


_malloc_trim: Any = None


def _passphrase_from_env() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode("utf-8") if value else None
