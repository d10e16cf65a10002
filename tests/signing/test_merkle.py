"""signing.merkle: RFC 6962/9162 reference vectors, exhaustive self-checks, the proof text format and the CLI."""

from __future__ import annotations

import ast
import hashlib
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from signing import merkle
from signing.merkle import (
    FORMAT,
    Proof,
    all_inclusion_paths,
    format_proof,
    inclusion_path,
    leaf_hash,
    node_hash,
    parse_proof,
    root_from_leaf_hashes,
    verify_inclusion,
)

# Reference vectors of the Certificate Transparency C++ code (cpp/merkletree/merkletree_test.cc), as carried by
# google/trillian: merkle/testonly/constants.go (LeafInputs, RootHashes) and merkle/logverifier/log_verifier_test.go
# (inclusionProofs, where leaf numbers are 1-based: {1, 8, ...} is leaf index 0 of a tree of 8). The same hashes
# appear in RFC 6962 test suites of sigsum, pyca and others.
CT_LEAVES = [bytes.fromhex(h) for h in (
    "", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f",
)]
CT_ROOTS = [  # index = tree size
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
CT_PATHS = [  # (0-based leaf index, tree size, path, sides read off the tree by hand)
    (0, 1, [], ""),
    (0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"], "RRR"),
    (5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"], "LRL"),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"], "L"),
    (1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"], "LRR"),
]
CT_HASHES = [leaf_hash(d) for d in CT_LEAVES]
MERKLE_PY = Path(merkle.__file__)


def test_leaf_and_node_hashes_use_the_rfc_prefixes():
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert node_hash(b"L" * 32, b"R" * 32) == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()


@pytest.mark.parametrize("size", range(9))
def test_reference_roots(size):
    assert root_from_leaf_hashes(CT_HASHES[:size]).hex() == CT_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "path", "sides"), CT_PATHS)
def test_reference_inclusion_paths(index, size, path, sides):
    expected = [bytes.fromhex(h) for h in path]
    assert inclusion_path(CT_HASHES[:size], index) == expected
    root = bytes.fromhex(CT_ROOTS[size])
    assert verify_inclusion(index, size, CT_HASHES[index], expected, root)
    text = format_proof(index, size, root, expected)
    assert [line[0] for line in text.splitlines()[4:]] == list(sides)


def _reference_root(hashes):
    """MTH straight from the RFC's recursive definition."""
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << (len(hashes) - 1).bit_length() - 1  # largest power of two below n
    return node_hash(_reference_root(hashes[:k]), _reference_root(hashes[k:]))


def _reference_path(hashes, m):
    """PATH(m, D[n]) straight from RFC 9162 §2.1.3.1."""
    if len(hashes) == 1:
        return []
    k = 1 << (len(hashes) - 1).bit_length() - 1
    if m < k:
        return [*_reference_path(hashes[:k], m), _reference_root(hashes[k:])]
    return [*_reference_path(hashes[k:], m - k), _reference_root(hashes[:k])]


@pytest.mark.parametrize("size", range(1, 41))
def test_every_leaf_of_every_small_tree(size):
    """n = 1..40: roots and paths equal the RFC's recursive definitions; every leaf verifies; any change fails."""
    hashes = [leaf_hash(f"seal record {i}".encode()) for i in range(size)]
    root = root_from_leaf_hashes(hashes)
    assert root == _reference_root(hashes)
    paths = all_inclusion_paths(hashes)
    for i, path in enumerate(paths):
        assert path == inclusion_path(hashes, i) == _reference_path(hashes, i)
        assert verify_inclusion(i, size, hashes[i], path, root)
        assert not verify_inclusion(i, size, leaf_hash(b"changed"), path, root)
        assert not verify_inclusion(i, size, hashes[i], path, leaf_hash(b"other root"))
        for j in range(size):
            if j != i:
                assert not verify_inclusion(j, size, hashes[i], path, root), f"leaf {i} verified as leaf {j}"
        for wrong_size in (size * 2, size // 2):  # as in Trillian's corruptInclusionProof
            assert not verify_inclusion(i, wrong_size, hashes[i], path, root)
        for wrong_size in (size - 1, size + 1):  # fails unless the path has the same shape (see the next test)
            if i >= wrong_size or merkle._sides(i, wrong_size) != merkle._sides(i, size):
                assert not verify_inclusion(i, wrong_size, hashes[i], path, root)
        if path:
            assert not verify_inclusion(i, size, hashes[i], path[:-1], root)
            assert not verify_inclusion(i, size, hashes[i], path[1:], root)
            for k in range(len(path)):
                flipped = [*path[:k], bytes([path[k][0] ^ 1]) + path[k][1:], *path[k + 1 :]]
                assert not verify_inclusion(i, size, hashes[i], flipped, root)
        assert not verify_inclusion(i, size, hashes[i], [*path, root], root)
        assert parse_proof(format_proof(i, size, root, path)) == Proof(i, size, root, path)


def test_many_leaves_are_proved_in_one_pass():
    hashes = [leaf_hash(str(i).encode()) for i in range(10_000)]
    started = time.perf_counter()
    paths = all_inclusion_paths(hashes)
    elapsed = time.perf_counter() - started
    root = root_from_leaf_hashes(hashes)
    assert len(paths) == 10_000 and max(len(p) for p in paths) == 14  # ceil(log2(10,000))
    for i in (0, 1, 4095, 8191, 8192, 9998, 9999):
        assert paths[i] == inclusion_path(hashes, i)
        assert verify_inclusion(i, len(hashes), hashes[i], paths[i], root)
    assert elapsed < 2.0, f"all_inclusion_paths took {elapsed:.2f} s for 10,000 leaves"


def test_empty_tree_and_bad_indexes():
    assert root_from_leaf_hashes([]) == hashlib.sha256(b"").digest()
    assert all_inclusion_paths([]) == []
    with pytest.raises(ValueError, match="outside"):
        inclusion_path(CT_HASHES, 8)
    with pytest.raises(ValueError, match="outside"):
        inclusion_path(CT_HASHES, -1)


@pytest.mark.parametrize(
    "args",
    [
        (0, 0, CT_HASHES[0], [], CT_HASHES[0]),  # empty tree
        (-1, 8, CT_HASHES[0], [], CT_HASHES[0]),
        (8, 8, CT_HASHES[0], [], CT_HASHES[0]),
        (0, 2**64, CT_HASHES[0], [], CT_HASHES[0]),
        ("0", 1, CT_HASHES[0], [], CT_HASHES[0]),
        (0.0, 1, CT_HASHES[0], [], CT_HASHES[0]),
        (True, 2, CT_HASHES[0], [CT_HASHES[1]], CT_HASHES[0]),
        (0, 1, CT_HASHES[0][:31], [], CT_HASHES[0][:31]),
        (0, 1, CT_HASHES[0].hex(), [], CT_HASHES[0].hex()),
        (0, 1, CT_HASHES[0], None, CT_HASHES[0]),
        (0, 2, CT_HASHES[0], [b"short"], CT_HASHES[0]),
        (0, 2, CT_HASHES[0], [None], CT_HASHES[0]),
        (0, 2, CT_HASHES[0], 42, CT_HASHES[0]),
        (0, 1, None, [], None),
    ],
)
def test_verify_inclusion_never_raises(args):
    assert verify_inclusion(*args) is False


def test_single_leaf_tree_root_is_the_leaf_hash():
    assert verify_inclusion(0, 1, CT_HASHES[0], [], CT_HASHES[0])


# -- proof text -------------------------------------------------------------------------------------------------


def _ct_proof(index=5, size=8):
    return format_proof(index, size, root_from_leaf_hashes(CT_HASHES[:size]), inclusion_path(CT_HASHES[:size], index))


def test_proof_text_layout_and_round_trip():
    text = _ct_proof()
    assert text.splitlines() == [
        FORMAT,
        "leaf-index 5",
        "tree-size 8",
        f"root {CT_ROOTS[8]}",
        f"L {CT_PATHS[2][2][0]}",
        f"R {CT_PATHS[2][2][1]}",
        f"L {CT_PATHS[2][2][2]}",
    ]
    proof = parse_proof(text)
    assert (proof.leaf_index, proof.tree_size, proof.root.hex()) == (5, 8, CT_ROOTS[8])
    assert proof.verify(CT_HASHES[5]) and not proof.verify(CT_HASHES[4])
    assert parse_proof(text.replace("\n", "\r\n")) == proof  # edited on Windows
    assert parse_proof(text.replace(CT_ROOTS[8], CT_ROOTS[8].upper())) == proof  # hex in either case
    assert parse_proof(text.rstrip("\n")) == proof


def test_a_shell_style_fold_over_the_sides_reaches_the_root():
    """What verify.sh does: only concatenate and hash, guided by L/R."""
    proof_lines = _ct_proof(2, 7).splitlines()
    r = CT_HASHES[2]
    for line in proof_lines[4:]:
        side, sibling = line.split()
        r = node_hash(bytes.fromhex(sibling), r) if side == "L" else node_hash(r, bytes.fromhex(sibling))
    assert r.hex() == CT_ROOTS[7] == proof_lines[3].split()[1]


def test_format_proof_rejects_parts_that_do_not_fit():
    root = bytes.fromhex(CT_ROOTS[8])
    path = inclusion_path(CT_HASHES, 0)
    with pytest.raises(ValueError, match="needs a 32-byte root and 3"):
        format_proof(0, 8, root, path[:2])
    with pytest.raises(ValueError, match="needs a 32-byte root"):
        format_proof(0, 8, root[:16], path)
    with pytest.raises(ValueError, match="not inside"):
        format_proof(8, 8, root, path)


def _replace_line(text, n, new):
    lines = text.splitlines()
    lines[n] = new
    return "\n".join(lines) + "\n"


GOOD = _ct_proof()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "line 1: expected 'sigillo-inclusion-proof v1'"),
        (GOOD.replace(FORMAT, "sigillo-inclusion-proof v2"), "line 1: expected"),
        ("\n".join(GOOD.splitlines()[:2]), "line 3: expected 'tree-size ...', the proof ends early"),
        (_replace_line(GOOD, 1, "leaf-index five"), "line 2: leaf-index must be a decimal number"),
        (_replace_line(GOOD, 1, "leaf-index 05"), "line 2: leaf-index must be a decimal number"),
        (_replace_line(GOOD, 1, "leaf-index -5"), "line 2: leaf-index must be a decimal number"),
        (_replace_line(GOOD, 2, "tree-size  8"), "line 3: tree-size must be a decimal number"),
        (_replace_line(GOOD, 2, "size 8"), "line 3: expected 'tree-size ...'"),
        (_replace_line(GOOD, 2, "tree-size 0"), "not inside a tree of size 0"),
        (_replace_line(GOOD, 1, "leaf-index 8"), "leaf-index 8 is not inside a tree of size 8"),
        (_replace_line(GOOD, 3, "root " + CT_ROOTS[8][:62]),
         "line 4: expected a SHA-256 hash as 64 hex digits, found 62"),
        (_replace_line(GOOD, 3, "root " + CT_ROOTS[8] + "00"), "line 4: expected a SHA-256 hash as 64 hex digits"),
        (_replace_line(GOOD, 3, "root " + "g" * 64), "line 4: expected a SHA-256 hash"),
        (_replace_line(GOOD, 4, "R " + CT_PATHS[2][2][0]), "line 5: the sibling must be on side L for leaf 5 of 8"),
        (_replace_line(GOOD, 5, "X " + CT_PATHS[2][2][1]), "line 6: expected 'L <hex>' or 'R <hex>'"),
        (_replace_line(GOOD, 6, "L " + CT_PATHS[2][2][2][:-1]), "line 7: expected a SHA-256 hash"),
        (_replace_line(GOOD, 6, "L  " + CT_PATHS[2][2][2]), "line 7: expected a SHA-256 hash"),
        ("\n".join(GOOD.splitlines()[:-1]), "needs 3 sibling lines, found 2"),
        (GOOD + "R " + CT_ROOTS[8] + "\n", "needs 3 sibling lines, found 4"),
        (GOOD + "\n", "needs 3 sibling lines, found 4"),
        (_replace_line(GOOD, 2, "tree-size 99999999999999999999999"), "line 3: tree-size must be a decimal"),
    ],
)
def test_malformed_proof_text_is_rejected_with_a_clear_message(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_proof(text)


def test_the_tree_size_is_bound_by_the_checkpoint_not_by_the_hashes():
    """RFC 9162 property: leaf 5 of 7 has the same path shape as leaf 5 of 8 (L R L), so leaf 5's proof in the
    tree of 8 also 'verifies' with tree-size 7. The size must be compared with the checkpoint (CLI --tree-size)."""
    with pytest.raises(ValueError, match="needs 2 sibling lines"):
        parse_proof(GOOD.replace("tree-size 8", "tree-size 6"))
    assert parse_proof(GOOD.replace("tree-size 8", "tree-size 7")).verify(CT_HASHES[5])


# -- the standalone CLI ---------------------------------------------------------------------------------------------


@pytest.fixture
def bundle(tmp_path):
    """A copy of merkle.py alone in a folder, a batch of seal records, and leaf 2's proof."""
    shutil.copy(MERKLE_PY, tmp_path / "merkle.py")
    records = [b'{"doc_id":"INV-%04d","v":1}\n' % i for i in range(5)]
    hashes = [leaf_hash(r) for r in records]
    root = root_from_leaf_hashes(hashes)
    (tmp_path / "seal.json").write_bytes(records[2])
    (tmp_path / "proof.txt").write_text(format_proof(2, 5, root, inclusion_path(hashes, 2)), encoding="utf-8")
    return tmp_path, root


def _cli(folder, *args):
    """Run the copied merkle.py with no site-packages (-S) and isolated from the environment (-I)."""
    return subprocess.run(
        [sys.executable, "-I", "-S", "merkle.py", *map(str, args)], cwd=folder, capture_output=True, text=True,
        timeout=30,
    )


def test_cli_ok_without_sigillo_installed(bundle):
    folder, root = bundle
    done = _cli(folder, "verify", "seal.json", "proof.txt")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("OK: the seal record is leaf 2 of 5 under root " + root.hex())
    assert "compare the root and tree size with the timestamped checkpoint" in done.stdout
    done = _cli(folder, "verify", "seal.json", "proof.txt", "--root", root.hex().upper(), "--tree-size", "5")
    assert done.returncode == 0 and "note:" not in done.stdout


def test_cli_fails_closed(bundle):
    folder, _ = bundle
    seal = (folder / "seal.json").read_bytes()
    (folder / "tampered.json").write_bytes(seal.replace(b"INV-0002", b"INV-0003"))
    done = _cli(folder, "verify", "tampered.json", "proof.txt")
    assert done.returncode == 1 and done.stdout.startswith("FAIL: the seal record is not leaf 2")

    done = _cli(folder, "verify", "seal.json", "proof.txt", "--root", "00" * 32)
    assert done.returncode == 1 and "is not the expected root" in done.stdout

    done = _cli(folder, "verify", "seal.json", "proof.txt", "--tree-size", "4")
    assert done.returncode == 1 and "tree-size 5 is not the expected 4" in done.stdout

    done = _cli(folder, "verify", "seal.json", "proof.txt", "--root", "abc")
    assert done.returncode == 1 and "--root: expected a SHA-256 hash" in done.stdout

    proof = (folder / "proof.txt").read_text(encoding="utf-8")
    (folder / "bad.txt").write_text(proof.replace("leaf-index 2", "leaf-index 3"), encoding="utf-8")
    done = _cli(folder, "verify", "seal.json", "bad.txt")
    assert done.returncode == 1 and done.stdout.startswith("FAIL:")

    (folder / "binary.txt").write_bytes(b"\xff\xfe")
    done = _cli(folder, "verify", "seal.json", "binary.txt")
    assert done.returncode == 1 and done.stdout.startswith("FAIL:")

    done = _cli(folder, "verify", "missing.json", "proof.txt")
    assert done.returncode == 1 and "FAIL:" in done.stdout and "missing.json" in done.stdout

    done = _cli(folder, "check", "seal.json", "proof.txt")
    assert done.returncode == 1 and "FAIL:" in done.stderr

    done = _cli(folder, "verify", "seal.json")
    assert done.returncode == 1 and "FAIL:" in done.stderr


def test_module_imports_only_the_standard_library():
    tree = ast.parse(MERKLE_PY.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "relative import in merkle.py"
            imported.add(node.module.split(".")[0])
    assert imported, "no imports found: the AST walk is broken"
    assert imported <= sys.stdlib_module_names, f"not in the standard library: {imported - sys.stdlib_module_names}"
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not calls & {"__import__", "exec", "eval"}
