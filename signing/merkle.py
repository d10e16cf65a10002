"""RFC 9162 (Certificate Transparency v2) Merkle tree: batch roots, inclusion proofs, and a text proof format.

One RFC 3161 time-stamp covers a whole ingest batch: its leaves are the verbatim bytes of each document's seal
record, its root goes into the timestamped checkpoint, and each document gets an inclusion proof of about
log2(n) hashes. Hashing is RFC 9162 §2.1 (unchanged from RFC 6962): SHA-256 with a 0x00 prefix for leaves and
0x01 for interior nodes, so an interior node can never be passed off as a leaf.

This file is shipped as readable source inside evidence bundles, so it uses the Python standard library only
(3.8 or later) and runs on its own::

    python3 merkle.py verify SEAL_RECORD_FILE PROOF_FILE [--root HEX] [--tree-size N]

prints ``OK: ...`` and exits 0, or prints ``FAIL: <reason>`` and exits 1 on anything else (fails closed).

Proof text format (UTF-8, one item per line)::

    sigillo-inclusion-proof v1
    leaf-index 2
    tree-size 5
    root <64 hex>
    L <64 hex>          one line per level, leaf to root: the side the sibling sits on.
    R <64 hex>          L: r = SHA-256(0x01 || sibling || r)    R: r = SHA-256(0x01 || r || sibling)

starting from r = SHA-256(0x00 || seal record bytes); the final r must equal the root. The sides are redundant
(they follow from leaf-index and tree-size, RFC 9162 §2.1.3.2) but let a shell verifier merely concatenate and
hash; the parser rejects sides that disagree with the index and size.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "FORMAT",
    "Proof",
    "all_inclusion_paths",
    "format_proof",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "parse_proof",
    "root_from_leaf_hashes",
    "verify_inclusion",
]

FORMAT = "sigillo-inclusion-proof v1"
HASH_SIZE = 32
TREE_SIZE_LIMIT = 2**64  # RFC 9162 sizes are uint64


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the hash of one leaf."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _levels(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first. A lone last node is carried up unchanged, which yields exactly
    RFC 9162's split at the largest power of two below n (the left subtree is always complete)."""
    levels = [list(hashes)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        above = [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
        if len(below) % 2:
            above.append(below[-1])
        levels.append(above)
    return levels


def root_from_leaf_hashes(hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) from the leaf hashes; the empty tree's root is SHA-256 of the empty string."""
    if not hashes:
        return hashlib.sha256(b"").digest()
    return _levels(hashes)[-1][0]


def _path(levels: list[list[bytes]], index: int) -> list[tuple[str, bytes]]:
    """(side, sibling) pairs from the leaf up, read off the tree itself (independent of ``_sides``)."""
    path = []
    for level in levels[:-1]:
        sibling = index ^ 1
        if sibling < len(level):  # no sibling: this node is carried up as is, nothing to hash
            path.append(("L" if sibling < index else "R", level[sibling]))
        index >>= 1
    return path


def inclusion_path(hashes: Sequence[bytes], index: int) -> list[bytes]:
    """RFC 9162 §2.1.3.1 PATH(index, D[n]): the sibling hashes from the leaf up to (not including) the root."""
    if not 0 <= index < len(hashes):
        raise ValueError(f"leaf index {index} is outside a tree of size {len(hashes)}")
    return [h for _, h in _path(_levels(hashes), index)]


def all_inclusion_paths(hashes: Sequence[bytes]) -> list[list[bytes]]:
    """The inclusion path of every leaf, in leaf order: the tree is hashed once, so O(n log n) in all."""
    levels = _levels(hashes)
    return [[h for _, h in _path(levels, i)] for i in range(len(hashes))]


def _sides(index: int, size: int) -> list[str]:
    """The side of each sibling, leaf to root, as RFC 9162 §2.1.3.2 derives it from the index and size alone.

    This is the RFC's verification loop with the hashing left out; its length is the path length. Raises
    ValueError when the index is not inside the tree.
    """
    if not 0 <= index < size < TREE_SIZE_LIMIT:
        raise ValueError(f"leaf-index {index} is not inside a tree of size {size}")
    fn, sn, sides = index, size - 1, []
    while sn > 0:
        if fn & 1 or fn == sn:
            sides.append("L")
            while not (fn & 1 or fn == 0):
                fn, sn = fn >> 1, sn >> 1
        else:
            sides.append("R")
        fn, sn = fn >> 1, sn >> 1
    return sides


def _is_hash(value: object) -> bool:
    return isinstance(value, bytes) and len(value) == HASH_SIZE


def verify_inclusion(index: int, size: int, leaf_hash: bytes, path: Sequence[bytes], root: bytes) -> bool:
    """RFC 9162 §2.1.3.2: True if ``leaf_hash`` is leaf ``index`` of the tree of ``size`` leaves with ``root``.

    Never raises: any malformed argument (wrong types, index outside the tree, hashes not 32 bytes, a path of
    the wrong length) simply gives False.

    The root authenticates the leaf and its index, but ``size`` only through the shape of the path: leaf 0 of a
    tree of 3 has the same sides as leaf 0 of a tree of 4, so one proof fits both sizes. The trusted tree size is
    the one in the timestamped checkpoint, next to the root.
    """
    if not all(type(n) is int for n in (index, size)) or not (_is_hash(leaf_hash) and _is_hash(root)):
        return False
    try:
        sides = _sides(index, size)
        path = list(path)
    except (ValueError, TypeError):
        return False
    if len(path) != len(sides) or not all(_is_hash(p) for p in path):
        return False
    r = leaf_hash
    for n, side in enumerate(sides):  # (no zip(strict=True): this file must run on Python 3.8)
        r = node_hash(path[n], r) if side == "L" else node_hash(r, path[n])
    return hmac.compare_digest(r, root)


@dataclass(frozen=True)
class Proof:
    """A parsed inclusion proof."""

    leaf_index: int
    tree_size: int
    root: bytes
    path: list[bytes]

    def verify(self, leaf_hash: bytes) -> bool:
        """True if ``leaf_hash`` is included under this proof's root."""
        return verify_inclusion(self.leaf_index, self.tree_size, leaf_hash, self.path, self.root)


def format_proof(index: int, size: int, root: bytes, path: Sequence[bytes]) -> str:
    """The proof text for leaf ``index`` (see the module docstring); ValueError if the parts do not fit."""
    sides = _sides(index, size)
    if len(path) != len(sides) or not _is_hash(root) or not all(_is_hash(p) for p in path):
        raise ValueError(f"a proof for leaf {index} of {size} needs a 32-byte root and {len(sides)} 32-byte hashes")
    lines = [FORMAT, f"leaf-index {index}", f"tree-size {size}", f"root {root.hex()}"]
    lines += [f"{side} {path[n].hex()}" for n, side in enumerate(sides)]
    return "\n".join(lines) + "\n"


_NUMBER = re.compile(r"0|[1-9][0-9]{0,19}")
_HEX = re.compile(r"[0-9a-fA-F]{64}")


def _field(lines: list[str], n: int, key: str) -> str:
    if n >= len(lines):
        raise ValueError(f"line {n + 1}: expected '{key} ...', the proof ends early")
    found_key, _, value = lines[n].partition(" ")
    if found_key != key:
        raise ValueError(f"line {n + 1}: expected '{key} ...', found {lines[n][:40]!r}")
    return value


def _number(lines: list[str], n: int, key: str) -> int:
    value = _field(lines, n, key)
    if not _NUMBER.fullmatch(value):
        raise ValueError(f"line {n + 1}: {key} must be a decimal number without sign or leading zeros")
    return int(value)


def _hex(value: str, where: str) -> bytes:
    if not _HEX.fullmatch(value):
        raise ValueError(f"{where}: expected a SHA-256 hash as 64 hex digits, found {len(value)} characters")
    return bytes.fromhex(value)


def parse_proof(text: str) -> Proof:
    """Parse proof text strictly; ValueError with the line number and the problem for anything malformed.

    Line ends may be LF or CRLF; blank lines, unknown lines, and sides or path lengths that do not fit the
    leaf-index and tree-size are all rejected.
    """
    lines = text.splitlines()
    if not lines or lines[0] != FORMAT:
        raise ValueError(f"line 1: expected {FORMAT!r}: not a Sigillo inclusion proof, or another version")
    index, size = _number(lines, 1, "leaf-index"), _number(lines, 2, "tree-size")
    root = _hex(_field(lines, 3, "root"), "line 4")
    try:
        sides = _sides(index, size)
    except ValueError as exc:
        raise ValueError(f"lines 2-3: {exc}") from None
    steps = lines[4:]
    if len(steps) != len(sides):
        raise ValueError(f"leaf {index} of a tree of size {size} needs {len(sides)} sibling lines, found {len(steps)}")
    path = []
    for n, side in enumerate(sides, start=4):
        line = lines[n]
        found_side, _, value = line.partition(" ")
        if found_side not in ("L", "R"):
            raise ValueError(f"line {n + 1}: expected 'L <hex>' or 'R <hex>', found {line[:40]!r}")
        if found_side != side:
            raise ValueError(f"line {n + 1}: the sibling must be on side {side} for leaf {index} of {size}")
        path.append(_hex(value, f"line {n + 1}"))
    return Proof(index, size, root, path)


def _fail(reason: object) -> int:
    print(f"FAIL: {reason}")
    return 1


def _main(argv: Sequence[str] | None = None) -> int:
    """``verify SEAL_RECORD_FILE PROOF_FILE [--root HEX] [--tree-size N]``: 0 and OK, or 1 and FAIL: why."""
    parser = argparse.ArgumentParser(prog="merkle.py", description="Check a Sigillo RFC 9162 inclusion proof.")
    parser.add_argument("command", choices=["verify"])
    parser.add_argument("seal_record", help="the seal record file, hashed as is (the leaf)")
    parser.add_argument("proof", help="the inclusion proof text file")
    parser.add_argument("--root", help="the root the proof must reach (hex, from the timestamped checkpoint)")
    parser.add_argument("--tree-size", type=int, help="the tree size the proof must state (from the checkpoint)")
    parser.error = lambda message: sys.exit(f"FAIL: {message}")  # usage errors fail closed too (exit 1)
    args = parser.parse_args(argv)
    try:
        with open(args.seal_record, "rb") as fh:
            leaf = leaf_hash(fh.read())
        with open(args.proof, "rb") as fh:
            proof = parse_proof(fh.read().decode("utf-8"))
        expected = _hex(args.root.strip(), "--root") if args.root is not None else None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return _fail(exc)
    if expected is not None and not hmac.compare_digest(expected, proof.root):
        return _fail(f"the proof's root {proof.root.hex()} is not the expected root {expected.hex()}")
    if args.tree_size is not None and args.tree_size != proof.tree_size:
        return _fail(f"the proof's tree-size {proof.tree_size} is not the expected {args.tree_size}")
    if not proof.verify(leaf):
        return _fail(f"the seal record is not leaf {proof.leaf_index} of the tree with root {proof.root.hex()}")
    print(f"OK: the seal record is leaf {proof.leaf_index} of {proof.tree_size} under root {proof.root.hex()}")
    if expected is None or args.tree_size is None:
        print("note: compare the root and tree size with the timestamped checkpoint (or pass --root, --tree-size)")
    return 0


if __name__ == "__main__":
    sys.exit(_main())
