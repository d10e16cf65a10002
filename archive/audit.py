"""The audit log: every action on the archive, in a hash chain that shows any edit, deletion or reordering.

Each entry is canonical JSON (sorted keys, no spaces, UTF-8) stored as the exact bytes that were hashed::

    {"command":"sigillo get","docs":["3fa1…"],"event":"get","host":"scan-01","prev":"<hash of entry seq-1>",
     "seq":42,"time":"2026-11-23T09:14:03.120044Z","user":"anna", …details}

``prev`` chains each entry to the one before (64 zeros for the first), so changing, deleting or reordering an
entry breaks the chain at the next one. Cutting the log short leaves an intact chain, which is why every
checkpoint commits to the log's head (seq and hash) and is itself signed and timestamped: a log shorter than, or
different from, what a checkpoint names is detected by ``sigillo verify``. Entries after the newest checkpoint are
protected by the chain only until the next checkpoint; ``sigillo seal`` makes one at any time.

The log lives in the catalog, so an entry commits in the same SQLite transaction as the change it records: there
is never a document without its ``ingest`` entry, or an entry for a change that was rolled back. Triggers refuse
UPDATE and DELETE on the table (a guard against mistakes; against a deliberate attacker the chain and the
checkpoints are the protection).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .catalog import Catalog

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "Problem", "canonical_json", "check_chain"]

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no trailing newline: the one serialisation that is ever hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class AuditEntry:
    """One entry: its position, its verbatim bytes and their SHA-256."""

    seq: int
    raw: bytes
    hash: str

    @property
    def data(self) -> dict[str, Any]:
        """The parsed entry ({} when the bytes are not a JSON object: that is reported by ``check_chain``)."""
        try:
            value = json.loads(self.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "entry": self.data}


@dataclass(frozen=True)
class Problem:
    """Something wrong with the log, named for a person: which entry, and what."""

    seq: int | None
    message: str


class AuditLog:
    """Appends to and reads the audit log of one catalog, on behalf of one command run by one person."""

    def __init__(self, catalog: Catalog, *, command: str, user: str, host: str, clock: Any) -> None:
        self.catalog = catalog
        self.command = command
        self.user = user
        self.host = host
        self.clock = clock

    def append(self, event: str, docs: Sequence[str] = (), **details: Any) -> AuditEntry:
        """Add one entry. Joins the caller's transaction when there is one, so it commits with the change."""
        with self.catalog.transaction() as db:
            last = db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last["seq"] + 1, last["hash"]) if last else (1, GENESIS)
            entry = {
                **details,
                "seq": seq,
                "prev": prev,
                "time": self.clock(),
                "user": self.user,
                "host": self.host,
                "command": self.command,
                "event": event,
                "docs": list(docs),
            }
            raw = canonical_json(entry)
            digest = hashlib.sha256(raw).hexdigest()
            db.execute("INSERT INTO audit (seq, entry, hash) VALUES (?, ?, ?)", (seq, raw, digest))
            db.executemany(
                "INSERT INTO audit_docs (seq, doc_id) VALUES (?, ?)", [(seq, d) for d in dict.fromkeys(docs)]
            )
        return AuditEntry(seq, raw, digest)

    def head(self) -> tuple[int, str]:
        """(seq, hash) of the newest entry; (0, GENESIS) for an empty log."""
        row = self.catalog.db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row["seq"], row["hash"]) if row else (0, GENESIS)

    def unanchored(self, since_seq: int) -> int:
        """Entries after ``since_seq`` other than the sealing's own bookkeeping ("seal", "timestamp")."""
        row = self.catalog.db.execute(
            "SELECT count(*) FROM audit WHERE seq > ? AND json_extract(entry, '$.event') NOT IN ('seal', 'timestamp')",
            (since_seq,),
        ).fetchone()
        return int(row[0])

    def entries(self, *, doc: str | None = None, last: int | None = None) -> list[AuditEntry]:
        """Entries in order: all, those about ``doc``, or the ``last`` n."""
        db = self.catalog.db
        if doc is not None:
            rows = db.execute(
                "SELECT a.seq, a.entry, a.hash FROM audit a JOIN audit_docs d ON d.seq = a.seq"
                " WHERE d.doc_id = ? ORDER BY a.seq",
                (doc,),
            ).fetchall()
        else:
            rows = db.execute("SELECT seq, entry, hash FROM audit ORDER BY seq").fetchall()
        found = [AuditEntry(r["seq"], bytes(r["entry"]), r["hash"]) for r in rows]
        return found[-last:] if last else found

    def iter_all(self) -> Iterator[AuditEntry]:
        for r in self.catalog.db.execute("SELECT seq, entry, hash FROM audit ORDER BY seq"):
            yield AuditEntry(r["seq"], bytes(r["entry"]), r["hash"])


def check_chain(entries: Iterable[AuditEntry]) -> tuple[list[Problem], tuple[int, str], dict[int, str]]:
    """Check a whole log from its first entry: hashes, ``prev`` links, ``seq`` numbering.

    Returns the problems found, the head as recomputed ((0, GENESIS) when empty), and seq -> recomputed hash for
    every entry (so that checkpoints can be compared with what the log really holds).
    """
    problems: list[Problem] = []
    hashes: dict[int, str] = {}
    prev, expected_seq = GENESIS, 1
    head = (0, GENESIS)
    for entry in entries:
        actual = hashlib.sha256(entry.raw).hexdigest()
        data = entry.data
        if entry.seq != expected_seq:
            problems.append(Problem(entry.seq, f"entry {expected_seq} is missing (the next one is {entry.seq})"))
        if actual != entry.hash:
            problems.append(Problem(entry.seq, f"entry {entry.seq} was changed: its bytes no longer match its hash"))
        if not data:
            problems.append(Problem(entry.seq, f"entry {entry.seq} is not a JSON object"))
        else:
            if data.get("seq") != entry.seq:
                problems.append(Problem(entry.seq, f"entry {entry.seq} says it is entry {data.get('seq')}"))
            if data.get("prev") != prev:
                problems.append(
                    Problem(entry.seq, f"the chain is broken at entry {entry.seq}: it does not follow the entry before")
                )
        hashes[entry.seq] = actual
        prev = actual
        expected_seq = entry.seq + 1
        head = (entry.seq, actual)
    return problems, head, hashes
