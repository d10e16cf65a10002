"""docs/sealing.md runs as written: every ```sh block, against a real archive, with bash -euo pipefail.

One archive is built for the module through the CLI (three text-layer PDFs: no OCR, about a second). Each runnable
block is run from the repository root (so `signing/merkle.py` resolves) with ARCHIVE and DOC set, and must exit 0,
print no FAIL line, and print every line of the "Expected output:" block that follows it in the page (``…``
there stands for any text). Blocks that walk an inclusion proof run once per document, so that proofs with
siblings on both sides, and of one and two steps, are walked. A block preceded by ``<!-- not run -->`` is an
illustration and is skipped; such blocks must stay few.

Then the same signature and timestamp checks run on a copy of the archive whose first checkpoint has one byte
changed: each must fail (non-zero exit, openssl's failure message), because the page promises commands that
fail closed.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from archive.cli import cli
from tests.conftest import CORPUS, ROOT

DOC_PAGE = ROOT / "docs" / "sealing.md"
# digital PDFs (their text layer is read: no OCR). Three, so that the tree is uneven and leaf 0's proof has two
# steps: the shell loops of the page must carry the hash from one step to the next.
SAMPLES = ("contract-en-01.pdf", "invoice-en-01.pdf", "dunning-en-03.pdf")
NOT_RUN = "<!-- not run -->"
MAX_NOT_RUN = 4
SHELL_LANGS = {"sh", "bash", "shell", "console", "zsh"}
# the variables the page lets a reader set; cleared so that the caller's environment cannot change the outcome
CLEARED = ("SIGILLO_HOME", "SIGILLO_KEY_PASSPHRASE", "SIGILLO_TSA_PASSWORD", "SEAL_ROOT", "TSA_ROOT")
FENCE = re.compile(r"^```([A-Za-z0-9_-]*)[ \t]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class Block:
    line: int
    lang: str
    code: str
    not_run: bool
    expected: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"line{self.line}"


def parse_blocks(text: str) -> list[Block]:
    """Every fenced block with its language, its marker, and, for sh blocks, the expected output after it."""
    fences = list(FENCE.finditer(text))
    blocks = []
    for n, m in enumerate(fences):
        before = text[fences[n - 1].end() if n else 0 : m.start()]
        expected: tuple[str, ...] = ()
        if m.group(1) == "sh" and n + 1 < len(fences):
            nxt = fences[n + 1]
            gap = text[m.end() : nxt.start()].strip()
            if nxt.group(1) == "text" and gap.startswith("Expected output") and "\n" not in gap:
                expected = tuple(line.strip() for line in nxt.group(2).splitlines() if line.strip())
        blocks.append(Block(
            line=text.count("\n", 0, m.start()) + 1,
            lang=m.group(1),
            code=m.group(2),
            not_run=before.rstrip().endswith(NOT_RUN),
            expected=expected,
        ))
    return blocks


BLOCKS = parse_blocks(DOC_PAGE.read_text(encoding="utf-8"))
RUNNABLE = [b for b in BLOCKS if b.lang == "sh" and not b.not_run]
SIGNATURE_OR_TOKEN = [b for b in RUNNABLE if "openssl cms -verify" in b.code or "openssl ts -verify" in b.code]


def pattern(expected_line: str) -> re.Pattern[str]:
    return re.compile(".*".join(re.escape(part) for part in expected_line.split("…")))


@dataclass(frozen=True)
class Built:
    home: Path
    docs: tuple[str, ...]  # full ids, in ingest order (leaf 0, 1, 2)


def cli_ok(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=dict.fromkeys(CLEARED))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    home = tmp_path_factory.mktemp("docs-sealing") / "archive"
    files = [CORPUS / name for name in SAMPLES]
    cli_ok("--home", str(home), "init", "--organization", "Docs Test S.r.l.")
    out = cli_ok("--home", str(home), "ingest", *map(str, files))
    assert f"Sealed {len(files)} documents in checkpoint 1" in out, out
    docs = tuple(hashlib.sha256(f.read_bytes()).hexdigest() for f in files)
    cli_ok("--home", str(home), "show", docs[0][:12], "--no-text")  # an audit entry for `sigillo seal` to anchor
    return Built(home, docs)


def run_block(block: Block, archive: Path, doc: str, scratch: Path) -> subprocess.CompletedProcess[str]:
    scratch.mkdir(parents=True, exist_ok=True)
    script = scratch / f"{block.id}.sh"
    script.write_text(block.code, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in CLEARED}
    env.update(
        ARCHIVE=str(archive),
        DOC=doc,
        TMPDIR=str(scratch),  # mktemp -d inside the test's own folder
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",  # this venv's `sigillo`
        LC_ALL="C",
    )
    return subprocess.run(
        ["bash", "-euo", "pipefail", str(script)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )


def test_page_has_the_checks_it_promises() -> None:
    codes = "\n".join(b.code for b in RUNNABLE)
    for needed in ("openssl cms -verify", "openssl ts -verify", "-attime", "signing/merkle.py verify",
                   "openssl dgst -sha256", "xxd", "od -An", "0607040081975e0101", "audit-head"):
        assert needed in codes, f"no runnable block uses {needed!r}"
    assert len(SIGNATURE_OR_TOKEN) >= 3


def test_illustrations_are_few_and_marked() -> None:
    not_run = [b for b in BLOCKS if b.not_run]
    assert 0 < len(not_run) <= MAX_NOT_RUN, [b.id for b in not_run]
    for b in BLOCKS:
        # shell in any other spelling would silently escape this test; other languages must say they do not run
        assert b.lang not in SHELL_LANGS - {"sh"} or b.not_run, f"{b.id}: write ```sh, or mark it {NOT_RUN}"
        assert b.lang in ("sh", "text") or b.not_run, f"{b.id}: a ```{b.lang} block must be marked {NOT_RUN}"


@pytest.mark.parametrize("block", RUNNABLE, ids=[b.id for b in RUNNABLE])
def test_block_runs_as_documented(block: Block, built: Built, tmp_path: Path) -> None:
    docs = built.docs if "proof" in block.code else built.docs[:1]
    for doc in docs:
        result = run_block(block, built.home, doc, tmp_path / doc[:8])
        output = result.stdout + result.stderr
        where = f"docs/sealing.md line {block.line}, DOC={doc[:12]}, exit {result.returncode}:\n{output}"
        assert result.returncode == 0, where
        assert not [line for line in output.splitlines() if line.startswith("FAIL")], where
        lines = [line.strip() for line in output.splitlines()]
        for expected in block.expected:
            assert any(pattern(expected).fullmatch(line) for line in lines), f"expected {expected!r} in {where}"
        if "openssl ts -verify" in block.code:
            assert "Verification: OK" in output, where
        if "openssl cms -verify" in block.code:
            assert "CMS Verification successful" in output, where
        if "merkle.py verify" in block.code:
            assert "OK: the seal record is leaf" in output, where


def test_signature_and_token_checks_fail_on_a_changed_checkpoint(built: Built, tmp_path: Path) -> None:
    copy = tmp_path / "tampered"
    shutil.copytree(built.home, copy)
    body = copy / "seals" / "000001" / "checkpoint.txt"
    body.chmod(0o600)  # written 0400
    data = bytearray(body.read_bytes())
    at = data.index(b"\ncreated ") + len(b"\ncreated ")  # a digit of the year: the text still parses
    data[at] ^= 0x01
    body.write_bytes(bytes(data))
    for block in SIGNATURE_OR_TOKEN:
        result = run_block(block, copy, built.docs[0], tmp_path / "scratch")
        output = result.stdout + result.stderr
        where = f"docs/sealing.md line {block.line}, exit {result.returncode}:\n{output}"
        assert result.returncode != 0, f"passed on a changed checkpoint: {where}"
        assert "CMS Verification failure" in output or "Verification: FAILED" in output, where
