"""The audit chain and its excerpt checker (signing/chain.py), which also ships in evidence bundles."""

from __future__ import annotations

import ast
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from signing.chain import GENESIS, chain_step, check_excerpt, entry_hash, parse_chain_file

ROOT = Path(__file__).resolve().parents[2]


def entries(n: int) -> dict[int, bytes]:
    def one(k: int) -> str:
        return json.dumps({"seq": k, "event": "show", "docs": [f"{k:064x}"]}, sort_keys=True, separators=(",", ":"))

    return {k: one(k).encode() for k in range(1, n + 1)}


def chains(log: dict[int, bytes]) -> dict[int, bytes]:
    out, value = {}, GENESIS
    for k in sorted(log):
        value = hashlib.sha256(value + hashlib.sha256(log[k]).digest()).digest()
        out[k] = value
    return out


def test_chain_step_is_the_documented_formula():
    a, b = bytes(range(32)), bytes(range(32, 64))
    assert chain_step(a, b) == hashlib.sha256(a + b).digest()
    assert entry_hash(b"x") == hashlib.sha256(b"x").digest()


@pytest.mark.parametrize("n", [1, 2, 7, 30])
def test_an_excerpt_reaches_the_head_from_any_start(n):
    log = entries(n)
    values = chains(log)
    for start in range(1, n + 1):
        before = values.get(start - 1, GENESIS)
        links = [(k, entry_hash(log[k])) for k in range(start, n + 1)]
        shown = {start: log[start]}
        assert check_excerpt(start, before, links, shown, (n, values[n])) is None


def test_every_kind_of_tampering_is_named():
    log = entries(6)
    values = chains(log)
    head = (6, values[6])
    links = [(k, entry_hash(log[k])) for k in range(1, 7)]
    assert check_excerpt(1, GENESIS, links, {3: log[3]}, head) is None
    changed = log[3].replace(b"show", b"shoW")
    assert "was changed" in check_excerpt(1, GENESIS, links, {3: changed}, head)
    assert "not in the chain" in check_excerpt(2, values[1], links[1:], {1: log[1]}, head)
    assert "ends at entry 5" in check_excerpt(1, GENESIS, links[:5], {3: log[3]}, head)
    swapped = [links[1], links[0], *links[2:]]
    assert "does not lead" in check_excerpt(1, GENESIS, swapped, {}, head)
    assert "does not lead" in check_excerpt(1, bytes([1]) * 32, links, {}, head)
    lying = json.dumps({"seq": 4, "event": "show"}, sort_keys=True, separators=(",", ":")).encode()
    relinked = [(k, entry_hash(lying) if k == 3 else h) for k, h in links]
    assert "another position" in check_excerpt(1, GENESIS, relinked, {3: lying}, (6, chains({**log, 3: lying})[6]))


def test_chain_file_parsing_refuses_gaps_and_garbage():
    good = "start 3 " + "00" * 32 + "\n3 " + "11" * 32 + "\n4 " + "22" * 32 + "\n"
    start, before, links = parse_chain_file(good)
    assert (start, before, [k for k, _ in links]) == (3, bytes(32), [3, 4])
    for bad in ["", "3 " + "11" * 32, "start 3 zz", good.replace("\n4 ", "\n5 "), good + "6 " + "33" * 31 + "\n"]:
        with pytest.raises(ValueError):
            parse_chain_file(bad)


def test_the_cli_runs_alone_and_fails_closed(tmp_path):
    tool = tmp_path / "chain.py"
    shutil.copy(ROOT / "signing" / "chain.py", tool)
    log = entries(5)
    values = chains(log)
    chain_file = tmp_path / "chain.txt"
    chain_file.write_text("start 2 " + values[1].hex() + "\n" + "".join(
        f"{k} {entry_hash(log[k]).hex()}\n" for k in range(2, 6)), encoding="utf-8")
    excerpt = tmp_path / "entries.jsonl"
    excerpt.write_text(json.dumps({"seq": 4, "entry": log[4].decode()}) + "\n", encoding="utf-8")

    def run(*head: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-I", "-S", str(tool), "verify", str(chain_file), str(excerpt),
                               "--head", *head], capture_output=True, text=True, check=False)

    ok = run("5", values[5].hex())
    assert ok.returncode == 0 and ok.stdout.startswith("OK:"), ok.stdout
    bad = run("5", values[4].hex())
    assert bad.returncode == 1 and bad.stdout.startswith("FAIL:")
    excerpt.write_text(json.dumps({"seq": 4, "entry": log[4].decode().replace("show", "get")}) + "\n")
    assert run("5", values[5].hex()).stdout.startswith("FAIL: audit entry 4 was changed")
    assert run("x", "y").returncode == 1


def test_it_imports_only_the_standard_library():
    tree = ast.parse((ROOT / "signing" / "chain.py").read_text(encoding="utf-8"))
    names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    names |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert names <= set(sys.stdlib_module_names) | {"__future__"}
