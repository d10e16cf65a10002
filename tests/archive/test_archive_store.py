"""The blob store: content addressing, atomic read-only writes, integrity checks."""

from __future__ import annotations

import hashlib
import io
import os
import stat

import pytest

from archive.errors import IntegrityError
from archive.store import BlobStore, ChangedWhileReadingError


@pytest.fixture
def store(tmp_path):
    return BlobStore(tmp_path / "objects", tmp_path / "tmp")


def test_put_names_object_by_sha256_and_makes_it_read_only(store, tmp_path):
    data = os.urandom(3 * 1024 * 1024 + 7)
    src = tmp_path / "in.bin"
    src.write_bytes(data)
    blob = store.put(src)
    digest = hashlib.sha256(data).hexdigest()
    assert blob.sha256 == digest and blob.size == len(data) and blob.created
    assert blob.path == tmp_path / "objects" / digest[:2] / digest[2:]
    assert blob.path.read_bytes() == data
    assert stat.S_IMODE(blob.path.stat().st_mode) == 0o400
    assert list(store) == [digest]
    assert not any((tmp_path / "tmp").iterdir()), "no temporary file is left behind"


def test_second_put_of_same_bytes_is_not_stored_twice(store, tmp_path):
    (tmp_path / "a").write_bytes(b"same bytes")
    (tmp_path / "b").write_bytes(b"same bytes")
    first = store.put(tmp_path / "a")
    second = store.put(tmp_path / "b")
    assert first.created and not second.created and first.sha256 == second.sha256
    assert len(list(store)) == 1


def test_put_refuses_bytes_that_changed_since_hashing(store, tmp_path):
    src = tmp_path / "growing.pdf"
    src.write_bytes(b"%PDF-1.7 partial")
    with pytest.raises(ChangedWhileReadingError, match="changed while it was being read"):
        store.put(src, expected_sha256=hashlib.sha256(b"something else").hexdigest())
    assert list(store) == []


def test_copy_to_checks_the_hash_on_the_way_out(store, tmp_path):
    src = tmp_path / "x"
    src.write_bytes(b"original evidence")
    blob = store.put(src)
    out = io.BytesIO()
    assert store.copy_to(blob.sha256, out) == len(b"original evidence")
    assert out.getvalue() == b"original evidence"
    assert store.verify(blob.sha256)
    os.chmod(blob.path, 0o600)  # simulate damage behind the archive's back
    blob.path.write_bytes(b"tampered evidence")
    assert not store.verify(blob.sha256)
    with pytest.raises(IntegrityError, match="damaged"):
        store.copy_to(blob.sha256, io.BytesIO())


def test_sweep_removes_leftovers_of_an_interrupted_write(store, tmp_path):
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp" / "put-123.tmp").write_bytes(b"half")
    assert store.sweep_tmp() == 1
    assert not any((tmp_path / "tmp").iterdir())


def test_path_rejects_anything_but_a_digest(store):
    with pytest.raises(ValueError):
        store.path("../../etc/passwd")
