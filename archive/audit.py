"""The audit log: every action on the archive, in a hash chain that shows any edit, deletion or reordering.

Each entry is canonical JSON (sorted keys, no spaces, UTF-8) stored as the exact bytes that were hashed::

    {"command":"sigillo get","docs":["3fa1…"],"event":"get","host":"scan-01","seq":42,
     "time":"2026-11-23T09:14:03.120044Z","user":"anna", …details}

The chain runs over the entries' hashes (``signing/chain.py``)::

    hash[k]  = SHA-256(entry k)
    chain[k] = SHA-256(chain[k-1] || hash[k])        chain[0] = 32 zero bytes

so changing, deleting or reordering an entry changes every chain value after it. Chaining hashes rather than
entries means an evidence bundle can prove that the entries about its documents are in the log, unchanged and in
order, while showing every other entry only as a hash: nothing about other debtors leaks. Cutting the log short
leaves an intact chain, which is why every checkpoint commits to the log's head (seq and chain value) and is itself
signed and timestamped: a log shorter than, or different from, what a checkpoint names is detected by
``sigillo verify``. Entries after the newest checkpoint are
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

from signing.chain import chain_step

from .catalog import Catalog

__all__ = ["GENESIS", "AuditEntry", "AuditLog", "Problem", "canonical_json", "check_chain"]

GENESIS = "0" * 64  # chain[0], hex


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no spaces, UTF-8, no trailing newline: the one serialisation that is ever hashed."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@dataclass(frozen=True)
class AuditEntry:
    """One entry: its position, its verbatim bytes and their SHA-256."""

    seq: int
    raw: bytes
    hash: str  # SHA-256 of raw, hex, as stored
    chain: str  # the chain value after this entry, hex, as stored

    @property
    def data(self) -> dict[str, Any]:
        """The parsed entry ({} when the bytes are not a JSON object: that is reported by ``check_chain``)."""
        try:
            value = json.loads(self.raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "hash": self.hash, "chain": self.chain, "entry": self.data}


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
            last = db.execute("SELECT seq, chain FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
            seq, prev = (last["seq"] + 1, last["chain"]) if last else (1, GENESIS)
            entry = {
                **details,
                "seq": seq,
                "time": self.clock(),
                "user": self.user,
                "host": self.host,
                "command": self.command,
                "event": event,
                "docs": list(docs),
            }
            raw = canonical_json(entry)
            digest = hashlib.sha256(raw).digest()
            chain = chain_step(bytes.fromhex(prev), digest).hex()
            db.execute(
                "INSERT INTO audit (seq, entry, hash, chain) VALUES (?, ?, ?, ?)", (seq, raw, digest.hex(), chain)
            )
            db.executemany(
                "INSERT INTO audit_docs (seq, doc_id) VALUES (?, ?)", [(seq, d) for d in dict.fromkeys(docs)]
            )
        return AuditEntry(seq, raw, digest.hex(), chain)

    def head(self) -> tuple[int, str]:
        """(seq, chain value) of the newest entry; (0, GENESIS) for an empty log."""
        row = self.catalog.db.execute("SELECT seq, chain FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        return (row["seq"], row["chain"]) if row else (0, GENESIS)

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
                "SELECT a.seq, a.entry, a.hash, a.chain FROM audit a JOIN audit_docs d ON d.seq = a.seq"
                " WHERE d.doc_id = ? ORDER BY a.seq",
                (doc,),
            ).fetchall()
        else:
            rows = db.execute("SELECT seq, entry, hash, chain FROM audit ORDER BY seq").fetchall()
        found = [AuditEntry(r["seq"], bytes(r["entry"]), r["hash"], r["chain"]) for r in rows]
        return found[-last:] if last else found

    def iter_all(self) -> Iterator[AuditEntry]:
        for r in self.catalog.db.execute("SELECT seq, entry, hash, chain FROM audit ORDER BY seq"):
            yield AuditEntry(r["seq"], bytes(r["entry"]), r["hash"], r["chain"])

    def range(self, first: int, last: int) -> list[AuditEntry]:
        """Entries first..last inclusive, in order."""
        rows = self.catalog.db.execute(
            "SELECT seq, entry, hash, chain FROM audit WHERE seq BETWEEN ? AND ? ORDER BY seq", (first, last)
        )
        return [AuditEntry(r["seq"], bytes(r["entry"]), r["hash"], r["chain"]) for r in rows]


def check_chain(entries: Iterable[AuditEntry]) -> tuple[list[Problem], tuple[int, str], dict[int, str]]:
    """Check a whole log from its first entry: hashes, chain values, ``seq`` numbering.

    Returns the problems found, the head as recomputed ((0, GENESIS) when empty), and seq -> recomputed chain value
    for every entry (so that checkpoints can be compared with what the log really holds).
    """
    problems: list[Problem] = []
    chains: dict[int, str] = {}
    chain, expected_seq = bytes(32), 1
    head = (0, GENESIS)
    broken = False
    for entry in entries:
        digest = hashlib.sha256(entry.raw).digest()
        data = entry.data
        if entry.seq != expected_seq:
            problems.append(Problem(entry.seq, f"entry {expected_seq} is missing (the next one is {entry.seq})"))
            broken = True
        if digest.hex() != entry.hash:
            problems.append(Problem(entry.seq, f"entry {entry.seq} was changed: its bytes no longer match its hash"))
            broken = True
        if not data:
            problems.append(Problem(entry.seq, f"entry {entry.seq} is not a JSON object"))
        elif data.get("seq") != entry.seq:
            problems.append(Problem(entry.seq, f"entry {entry.seq} says it is entry {data.get('seq')} (reordered)"))
        chain = chain_step(chain, digest)
        if chain.hex() != entry.chain and not broken:
            problems.append(Problem(entry.seq, f"the chain is broken at entry {entry.seq}"))
            broken = True
        chains[entry.seq] = chain.hex()
        expected_seq = entry.seq + 1
        head = (entry.seq, chain.hex())
    return problems, head, chains
