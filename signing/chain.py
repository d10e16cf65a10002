"""The audit log's hash chain, and a check of an excerpt of it against a checkpoint. Standard library only.

Each audit entry is canonical JSON (sorted keys, no spaces, UTF-8). The chain runs over the entries' hashes::

    entry_hash[k] = SHA-256(entry bytes k)
    chain[0]      = 32 zero bytes
    chain[k]      = SHA-256(chain[k-1] || entry_hash[k])        (binary concatenation, 64 bytes hashed)

A checkpoint commits to ``chain[h]`` for the log's head h. Because each link needs only the *hash* of an entry,
an evidence bundle can prove that the entries about its documents are in the log, unchanged and in order, while
showing the other entries only as hashes: nothing about other debtors' documents is disclosed.

This file is shipped as readable source inside evidence bundles (Python 3.8+, no third-party modules)::

    python3 chain.py verify CHAIN_FILE ENTRIES_FILE --head SEQ HEX

``CHAIN_FILE`` lists, one per line, ``start <seq> <hex chain value before seq>`` and then ``<seq> <hex entry
hash>`` for every entry up to the head; ``ENTRIES_FILE`` is JSON Lines, each line an object whose ``"entry"`` is
the entry's exact text. Prints ``OK: …`` and exits 0, or ``FAIL: <reason>`` and exits 1 (fails closed).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence

__all__ = ["GENESIS", "chain_step", "check_excerpt", "entry_hash", "parse_chain_file"]

GENESIS = bytes(32)


def entry_hash(entry: bytes) -> bytes:
    return hashlib.sha256(entry).digest()


def chain_step(previous: bytes, entry_digest: bytes) -> bytes:
    """chain[k] = SHA-256(chain[k-1] || entry_hash[k])."""
    return hashlib.sha256(previous + entry_digest).digest()


def parse_chain_file(text: str) -> tuple[int, bytes, list[tuple[int, bytes]]]:
    """(first seq, chain value before it, [(seq, entry hash)…]) from a chain file. ValueError when malformed."""
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the chain file is empty")
    head = lines[0].split()
    if len(head) != 3 or head[0] != "start":
        raise ValueError("the chain file must begin with 'start <seq> <hex>'")
    start, before = int(head[1]), _hex32(head[2], "start")
    links: list[tuple[int, bytes]] = []
    for n, line in enumerate(lines[1:], start=2):
        parts = line.split()
        if len(parts) != 2:
            raise ValueError(f"line {n}: expected '<seq> <hex entry hash>'")
        seq = int(parts[0])
        if seq != start + len(links):
            raise ValueError(f"line {n}: entry {start + len(links)} expected, found {seq}: an entry is missing")
        links.append((seq, _hex32(parts[1], f"line {n}")))
    return start, before, links


def _hex32(value: str, where: str) -> bytes:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        raise ValueError(f"{where}: not hexadecimal") from None
    if len(raw) != 32:
        raise ValueError(f"{where}: not a SHA-256 value")
    return raw


def check_excerpt(
    start: int,
    before: bytes,
    links: Sequence[tuple[int, bytes]],
    entries: dict[int, bytes],
    head: tuple[int, bytes],
) -> str | None:
    """None if the excerpt is genuine, else the reason.

    Every full entry in ``entries`` (seq -> exact bytes) must hash to its link, and the links, chained from
    ``before``, must reach exactly ``head`` (seq, chain value) as committed in a checkpoint.
    """
    by_seq = dict(links)
    for seq, raw in sorted(entries.items()):
        if seq not in by_seq:
            return f"audit entry {seq} is not in the chain excerpt"
        if entry_hash(raw) != by_seq[seq]:
            return f"audit entry {seq} was changed: it does not match its hash in the chain"
        try:
            if json.loads(raw.decode("utf-8")).get("seq") != seq:
                return f"audit entry {seq} says it has another position in the log"
        except (UnicodeDecodeError, ValueError, AttributeError):
            return f"audit entry {seq} is not a JSON object"
    value = before
    reached = start - 1
    for seq, digest in links:
        value = chain_step(value, digest)
        reached = seq
        if seq == head[0]:
            break
    if reached != head[0]:
        return f"the chain excerpt ends at entry {reached}, not at the checkpoint's head {head[0]}"
    if value != head[1]:
        return f"the chain does not lead to the head the checkpoint commits to (entry {head[0]})"
    return None


def _main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="chain.py", description="Check an audit-log excerpt against a head.")
    sub = parser.add_subparsers(dest="command", required=True)
    v = sub.add_parser("verify")
    v.add_argument("chain_file")
    v.add_argument("entries_file")
    v.add_argument("--head", nargs=2, metavar=("SEQ", "HEX"), required=True)
    try:
        args = parser.parse_args(argv)
    except SystemExit:
        print("FAIL: usage: chain.py verify CHAIN_FILE ENTRIES_FILE --head SEQ HEX")
        return 1
    try:
        with open(args.chain_file, encoding="utf-8") as fh:
            start, before, links = parse_chain_file(fh.read())
        entries: dict[int, bytes] = {}
        with open(args.entries_file, encoding="utf-8") as fh:
            for line in fh:
                if line.strip():
                    item = json.loads(line)
                    raw = item["entry"].encode("utf-8")
                    entries[int(json.loads(raw)["seq"])] = raw
        head = (int(args.head[0]), _hex32(args.head[1], "--head"))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"FAIL: {exc}")
        return 1
    problem = check_excerpt(start, before, links, entries, head)
    if problem:
        print(f"FAIL: {problem}")
        return 1
    print(f"OK: {len(entries)} audit entries are in the log, unchanged, under the head of entry {head[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
