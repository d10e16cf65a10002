"""`sigillo verify-bundle` and verify.sh against a tampered bag, and against hostile zips.

The tamper matrix: for EVERY file of an exported bag, change one byte, add a file beside it, remove it, rename it;
each once as is and once with the BagIt manifests (and Payload-Oxum) rewritten to match, as an attacker who
recomputes them would. Both verifiers must fail and name the cause: the file (or the name it was given), or, when
the manifests were rewritten, the bundle's own seal (the archive's signature over tagmanifest-sha256.txt), which is
what catches a change to a file that is not evidence in itself (text.txt, the report…).

The bag is built once for the module (tests/test_bundle_export.py's archive) and copied for each case; verify.sh is
a pristine copy kept outside the bag and given the bag as its argument (a tampered bag's own script proves
nothing). Real sh, sha256sum, openssl and python3.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path

import pytest

from archive.bundle_verify import verify_bundle_folder
from tests.test_bundle_export import (
    CASE_DOCS,
    bag_files,
    build_archive,
    doc_id,
    export_case,
    rewrite_manifests,
    run,
    run_verify_sh,
)
from tests.tsa_server import OPENSSL

pytestmark = pytest.mark.skipif(
    OPENSSL is None or shutil.which("sha256sum") is None, reason="needs the openssl and sha256sum CLIs"
)

# Every file of the exported bag, as a pattern that matches exactly one file (documents are found by their id, the
# certificates by their kind); test_the_matrix_covers_every_file checks that the list is the whole bag.
DOC_PARTS = ("original/*", "seal-record.json", "inclusion-proof.txt", "document.json", "fields.json", "text.txt")
FILES = [
    "bagit.txt", "bag-info.txt", "manifest-sha256.txt", "tagmanifest-sha256.txt", "tagmanifest-sha256.txt.p7s",
    "tagmanifest-sha256.txt.tsr", "REPORT.pdf", "REPORT.html", "VERIFY.txt", "verify.sh", "tools/merkle.py",
    "tools/chain.py",
    *[f"data/documents/*-{doc_id(name)[:12]}/{part}" for name in CASE_DOCS for part in DOC_PARTS],
    *[f"data/checkpoints/{n:06d}/checkpoint.txt{ext}" for n in (1, 2) for ext in ("", ".p7s", ".tsr")],
    "data/certificates/seal-*.pem", "data/certificates/tsa-root-*.pem",
    "data/audit/head.txt", "data/audit/chain.txt", "data/audit/entries.jsonl",
]
OPERATIONS = ("change", "add", "remove", "rename")
MANIFESTS = ("manifest-sha256.txt", "tagmanifest-sha256.txt")


def cases() -> list[pytest.param]:
    out = []
    for pattern in FILES:
        for operation in OPERATIONS:
            for rewrite in (False, True):
                if rewrite and pattern in MANIFESTS and operation in ("change", "remove"):
                    continue  # rewriting the manifests would undo the change: the genuine bag again
                label = f"{operation}{'+manifests' if rewrite else ''}:{pattern}"
                out.append(pytest.param(pattern, operation, rewrite, id=label))
    return out


def resolve(bag: Path, pattern: str) -> str:
    found = sorted(p.relative_to(bag).as_posix() for p in bag.glob(pattern) if p.is_file())
    assert len(found) == 1, f"{pattern} matches {found}"
    return found[0]


def flip_offset(rel: str, data: bytes) -> int:
    """Where to change a byte: the middle, except in bag-info.txt, where the middle may be Payload-Oxum, which a
    rewrite of the manifests recomputes (that change would be undone)."""
    if rel == "bag-info.txt":
        return data.index(b"Export-Reason: ") + len(b"Export-Reason: ")
    return len(data) // 2


def tamper(bag: Path, rel: str, operation: str) -> list[str]:
    """Do ``operation`` to ``rel``; returns the paths that a failure may name (the file, and its new name)."""
    path = bag / rel
    os.chmod(path, 0o644)
    if operation == "change":
        data = bytearray(path.read_bytes())
        data[flip_offset(rel, data)] ^= 0x01
        path.write_bytes(bytes(data))
        return [rel]
    if operation == "add":
        new = path.with_name(path.name + ".added")
        new.write_bytes(b"added by someone\n")
        return [rel, new.relative_to(bag).as_posix()]
    if operation == "remove":
        path.unlink()
        return [rel]
    stem, dot, ext = path.name.partition(".")
    new = path.with_name(f"{stem}-renamed{dot}{ext}")
    path.rename(new)
    return [rel, new.relative_to(bag).as_posix()]


@pytest.fixture(scope="module")
def genuine(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bundle-verify")
    home = build_archive(base)
    bag = base / "bag"
    export_case(home, bag)
    return bag


@pytest.fixture(scope="module")
def script(genuine, tmp_path_factory) -> Path:
    """A pristine verify.sh, outside any bag."""
    copy = tmp_path_factory.mktemp("script") / "verify.sh"
    shutil.copy2(genuine / "verify.sh", copy)
    return copy


def test_the_genuine_bag_passes_both(genuine, script):
    assert verify_bundle_folder(genuine).ok
    done = run_verify_sh(script, genuine)
    assert done.returncode == 0 and done.stdout.splitlines()[-1].startswith("ALL CHECKS PASSED"), done.stdout


def test_the_matrix_covers_every_file(genuine):
    assert sorted(resolve(genuine, p) for p in FILES) == bag_files(genuine)


@pytest.mark.parametrize(("pattern", "operation", "rewrite"), cases())
def test_tampering_is_caught_and_named(genuine, script, tmp_path, pattern, operation, rewrite):
    bag = tmp_path / "bag"
    shutil.copytree(genuine, bag)
    rel = resolve(bag, pattern)
    named = tamper(bag, rel, operation)
    if rewrite:
        rewrite_manifests(bag)
    causes = [*named, *(["tagmanifest-sha256.txt.p7s"] if rewrite else [])]
    if rewrite and operation in ("remove", "rename") and pattern.startswith("data/certificates/"):
        # removed, and the manifests no longer name it: what is missing is said, the file name cannot be
        causes.append("data/certificates/ holds no seal certificate" if "seal-" in pattern else
                      "data/certificates/ holds no TSA root")

    report = verify_bundle_folder(bag)
    assert not report.ok, f"verify-bundle passed a bag after {operation} {rel}"
    said = "\n".join(f"{f.subject} {f.detail}" for f in report.failures)
    assert any(c in said for c in causes), f"verify-bundle does not name {causes}:\n{said}"

    done = run_verify_sh(script, bag)
    assert done.returncode == 1, f"verify.sh passed a bag after {operation} {rel}:\n{done.stdout}"
    assert "ALL CHECKS PASSED" not in done.stdout
    fail = [line for line in done.stdout.splitlines() if line.startswith("FAIL: ")]
    assert len(fail) == 1, done.stdout
    assert any(c in done.stdout for c in causes), f"verify.sh does not name {causes}:\n{done.stdout}"


def test_verify_bundle_names_every_file_at_fault(genuine, tmp_path):
    """Unlike verify.sh, verify-bundle goes on after a failure: two changed originals are both named."""
    bag = tmp_path / "bag"
    shutil.copytree(genuine, bag)
    originals = sorted(bag.glob("data/documents/*/original/*"))
    for original in originals:
        data = bytearray(original.read_bytes())
        data[100] ^= 0x20
        original.write_bytes(bytes(data))
    rewrite_manifests(bag)
    result = run(None, "verify-bundle", str(bag), expect=1)
    for original in originals:
        rel = original.relative_to(bag).as_posix()
        assert f"FAIL  {rel}: bytes: its SHA-256 is" in result.output
    assert "FAIL  tagmanifest-sha256.txt.p7s: signature: the archive's signature over the tag manifest" in result.output
    assert "FAIL  tagmanifest-sha256.txt.tsr: timestamp: the timestamp over the tag manifest" in result.output
    assert "4 check(s) FAILED: the bundle must not be relied on" in result.output
    report = json.loads(run(None, "verify-bundle", str(bag), "--json", expect=1).stdout)
    assert report["ok"] is False and len(report["failures"]) == 4


def test_a_seal_record_rewritten_with_its_manifests_is_caught(genuine, tmp_path):
    bag = tmp_path / "bag"
    shutil.copytree(genuine, bag)
    record = next(bag.glob("data/documents/*/seal-record.json"))
    record.write_text(record.read_text().replace('"archive":"', '"archive":"0', 1))
    rewrite_manifests(bag)
    said = "\n".join(f"{f.subject}: {f.detail}" for f in verify_bundle_folder(bag).failures)
    assert "names another archive" in said and "is not leaf" in said


@pytest.mark.parametrize("sidecar", ["tagmanifest-sha256.txt.p7s", "tagmanifest-sha256.txt.tsr"])
def test_a_changed_certificate_copy_inside_the_bundles_seal_is_caught(genuine, script, tmp_path, sidecar):
    """The certificates inside a signature or token are not covered by it, and the bundle's seal files are in no
    manifest: a changed byte in the copy of the trusted certificate they carry must still be caught."""
    from asn1crypto import cms as asn1_cms
    from asn1crypto import tsp as asn1_tsp

    bag = tmp_path / "bag"
    shutil.copytree(genuine, bag)
    path = bag / sidecar
    data = bytearray(path.read_bytes())
    if sidecar.endswith(".p7s"):
        signed = asn1_cms.ContentInfo.load(bytes(data))["content"]
    else:
        signed = asn1_tsp.TimeStampResp.load(bytes(data))["time_stamp_token"]["content"]
    trusted = [c.chosen.dump() for c in signed["certificates"]
               if c.chosen.subject == c.chosen.issuer]  # the self-signed one: the seal cert, or the TSA root
    assert len(trusted) == 1
    at = bytes(data).index(trusted[0]) + len(trusted[0]) - 10  # inside its signature: name and key unchanged
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    said = "\n".join(f"{f.subject}: {f.detail}" for f in verify_bundle_folder(bag).failures)
    assert f"{sidecar}: " in said, said
    done = run_verify_sh(script, bag)
    assert done.returncode == 1 and f"FAIL: {sidecar}" in done.stdout, done.stdout


# -- zips ------------------------------------------------------------------------------------------------------------


def zip_of(folder: Path, path: Path, top: str = "bag") -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in bag_files(folder):
            zf.write(folder / rel, f"{top}/{rel}")


def test_a_zip_of_the_bag_passes_and_tampered_zips_fail(genuine, tmp_path):
    zip_of(genuine, tmp_path / "bag.zip")
    assert "All checks passed" in run(None, "verify-bundle", str(tmp_path / "bag.zip")).output
    changed = tmp_path / "changed"
    shutil.copytree(genuine, changed)
    (changed / "REPORT.html").write_text("<p>all fine</p>")
    rewrite_manifests(changed)
    zip_of(changed, tmp_path / "changed.zip")
    out = run(None, "verify-bundle", str(tmp_path / "changed.zip"), expect=1).output
    assert "FAIL  tagmanifest-sha256.txt.p7s: signature" in out


def hostile(kind: str, path: Path, genuine: Path) -> None:
    """A zip holding the genuine bag plus one hostile member of ``kind``."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in bag_files(genuine):
            zf.write(genuine / rel, f"bag/{rel}")
        if kind == "absolute":
            zf.writestr("/tmp/sigillo-escaped.txt", b"x")
        elif kind == "dotdot":
            zf.writestr("bag/../../escaped.txt", b"x")
        elif kind == "symlink":
            info = zipfile.ZipInfo("bag/data/link")
            info.create_system = 3
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
        elif kind == "duplicate":
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                zf.writestr("bag/VERIFY.txt", b"read me instead")
        elif kind == "bomb":
            info = zipfile.ZipInfo("bag/data/zeros.bin")
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as sink:
                block = bytes(1 << 20)
                for _ in range(64):
                    sink.write(block)


@pytest.mark.parametrize("kind", ["absolute", "dotdot", "symlink", "duplicate", "bomb"])
def test_unsafe_zips_are_refused(genuine, tmp_path, monkeypatch, kind):
    hostile(kind, tmp_path / "hostile.zip", genuine)
    temp = tmp_path / "temp"
    temp.mkdir()
    monkeypatch.setenv("TMPDIR", str(temp))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    result = run(None, "verify-bundle", str(tmp_path / "hostile.zip"), expect=12)
    first = result.output.splitlines()[0]
    assert first.startswith("Error: ") and "hostile.zip" in first, result.output
    expected = {"absolute": "absolute path", "dotdot": "'..'", "symlink": "symbolic link",
                "duplicate": "twice", "bomb": "ratio"}[kind]
    assert expected in result.output, result.output
    assert list(temp.iterdir()) == []  # the temporary folder is gone
    assert not (tmp_path / "escaped.txt").exists() and not Path("/tmp/sigillo-escaped.txt").exists()


def test_not_a_zip_and_not_a_bag(tmp_path):
    (tmp_path / "note.zip").write_bytes(b"not a zip at all")
    result = run(None, "verify-bundle", str(tmp_path / "note.zip"), expect=12)
    assert "is not a zip file" in result.output
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run(None, "verify-bundle", str(empty), expect=1).output
    assert "FAIL  bagit.txt: bagit: missing" in out
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a/bagit.txt", b"x")
        zf.writestr("b/bagit.txt", b"x")
    (tmp_path / "two.zip").write_bytes(buffer.getvalue())
    out = run(None, "verify-bundle", str(tmp_path / "two.zip"), expect=1).output
    assert "the zip does not hold exactly one bag folder" in out
