"""archive.safezip: hostile zips are refused, naming member and reason, with nothing written outside the folder.

Each hostile zip is crafted here, by ``zipfile`` or byte by byte with ``raw_zip`` (which writes exactly what it
is told, lies included). Every refusal is checked three ways: the message names the member and the reason, the
error is an ``UnsafeBundleError`` (exit 12), and the files around the extraction folder, among them the targets
the names aim at (``../outside``), are exactly as before.
"""

from __future__ import annotations

import io
import os
import random
import stat
import struct
import time
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from archive.errors import ExitCode, SigilloError, UnsafeBundleError
from archive.safezip import CHUNK, RATIO_MIN_BYTES, extract_zip

# -- crafting zips --------------------------------------------------------------------------------------------

DOS_DATE_1980 = (0 << 9) | (1 << 5) | 1


@dataclass
class M:
    """One member, as ``raw_zip`` writes it. Unset fields take the honest value; set ones may lie."""

    name: str | bytes
    data: bytes = b""
    method: int = zipfile.ZIP_STORED
    payload: bytes | None = None  # the compressed bytes, if not derived from data
    crc: int | None = None
    usize: int | None = None
    csize: int | None = None
    flags: int = 0
    external_attr: int | None = None  # None: a Unix folder or regular file, as its name says
    extra: bytes = b""
    needed: int = 20  # "version needed to extract"
    local: dict = field(default_factory=dict)  # overrides for the local header: name, crc, flags
    descriptor: bool = False  # CRC and sizes in a data descriptor after the data (flag bit 3)
    descriptor_crc: int | None = None
    shares_header_of: str | None = None  # no local header of its own: point at that member's
    hidden: bool = False  # local header and data, but no central directory entry


def deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


def raw_zip(members: list[M], comment: bytes = b"") -> bytes:
    out = bytearray()
    central = bytearray()
    offsets: dict[str, int] = {}
    count = 0
    for m in members:
        raw = m.name.encode("utf-8") if isinstance(m.name, str) else m.name
        flags = m.flags | (0x800 if isinstance(m.name, str) and not m.name.isascii() else 0)
        payload = m.payload if m.payload is not None else deflate(m.data) if m.method == 8 else m.data
        crc = zlib.crc32(m.data) if m.crc is None else m.crc
        usize = len(m.data) if m.usize is None else m.usize
        csize = len(payload) if m.csize is None else m.csize
        if m.descriptor:
            flags |= 0x08
        external_attr = m.external_attr
        if external_attr is None:
            external_attr = (0o40755 << 16 | 0x10) if raw.endswith(b"/") else 0o100644 << 16
        if m.shares_header_of is not None:
            offset = offsets[m.shares_header_of]
        else:
            offset = offsets[str(m.name)] = len(out)
            lname = m.local.get("name", raw)
            lflags = m.local.get("flags", flags)
            lcrc, lcsize, lusize = (0, 0, 0) if m.descriptor else (m.local.get("crc", crc), csize, usize)
            out += struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", m.needed, lflags, m.method, 0, DOS_DATE_1980, lcrc, lcsize, lusize,
                len(lname), len(m.extra),
            )  # fmt: skip
            out += lname + m.extra + payload
            if m.descriptor:
                dcrc = crc if m.descriptor_crc is None else m.descriptor_crc
                out += struct.pack("<4s3L", b"PK\x07\x08", dcrc, csize, usize)
        if m.hidden:
            continue
        count += 1
        central += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", (3 << 8) | 20, m.needed, flags, m.method, 0, DOS_DATE_1980, crc, csize,
            usize, len(raw), len(m.extra), 0, 0, 0, external_attr, offset,
        )  # fmt: skip
        central += raw + m.extra
    eocd = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(out), len(comment))
    return bytes(out + central + eocd + comment)


def zipfile_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buf.getvalue()


ZERO_MIB = bytes(1 << 20)


def zeros_deflated(mib: int) -> bytes:
    """``mib`` MiB of zeros as one raw deflate stream, in milliseconds: after a full flush every MiB is alike."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = c.compress(ZERO_MIB) + c.flush(zlib.Z_FULL_FLUSH)
    return block * mib + c.flush()


CRC_OF_1_GIB_OF_ZEROS = 0x5B64C2B0  # zlib.crc32(bytes(2**30)), precomputed: it takes half a second


# -- the extraction box -----------------------------------------------------------------------------------------


class Box:
    """tmp_path/outside (the targets a hostile name aims at), tmp_path/dest (the extraction folder), the zip."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.dest = root / "dest"
        self.dest.mkdir()
        outside = root / "outside"
        outside.mkdir()
        (outside / "sentinel.txt").write_text("untouched")
        self.zip = root / "bundle.zip"

    def snapshot(self) -> dict[str, tuple[int, int, bytes]]:
        """Every path under root except dest/ (and the zip), with mode, size and content."""
        seen = {}
        for path in sorted(self.root.rglob("*")):
            if path == self.zip or path == self.dest or self.dest in path.parents:
                continue
            st = path.lstat()
            content = path.read_bytes() if stat.S_ISREG(st.st_mode) else b""
            seen[str(path.relative_to(self.root))] = (st.st_mode, st.st_size, content)
        return seen

    def extract(self, data: bytes, **limits: int | float) -> list[str]:
        self.zip.write_bytes(data)
        return extract_zip(self.zip, self.dest, **limits)

    def refuse(self, data: bytes, *fragments: str, wrote_nothing: bool = True, **limits: int | float):
        """Extract ``data``, expect a refusal whose message holds every fragment, and check nothing escaped."""
        before = self.snapshot()
        with pytest.raises(UnsafeBundleError) as caught:
            self.extract(data, **limits)
        message = str(caught.value)
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in {message!r}"
        assert "\n" not in message
        assert self.snapshot() == before, "something was written outside the extraction folder"
        if wrote_nothing:
            assert list(self.dest.iterdir()) == [], "refused before extraction, yet something was written"
        return caught.value


@pytest.fixture
def box(tmp_path: Path) -> Box:
    return Box(tmp_path)


def tree(folder: Path) -> dict[str, bytes | None]:
    """Relative path -> bytes (None for a folder), as os.walk sees it (no link followed)."""
    found: dict[str, bytes | None] = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for d in dirnames:
            found[os.path.relpath(os.path.join(dirpath, d), folder)] = None
        for f in filenames:
            found[os.path.relpath(os.path.join(dirpath, f), folder)] = Path(dirpath, f).read_bytes()
    return found


# -- what must extract --------------------------------------------------------------------------------------------


def test_good_zip_extracts_byte_exactly_with_private_modes_and_no_archive_metadata(box: Box) -> None:
    rng = random.Random(5)
    big = rng.randbytes(2 * (1 << 20) + 12345)  # several chunks, incompressible
    inner = zipfile_zip({"../../evil.txt": b"never opened"})  # a nested zip is just a file
    files = {
        "bag/": None,
        "bag/bagit.txt": b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n",
        "bag/data/documents/001-ab/original/Fattura n\u00b0 12 \u2013 Caf\u00e9 \u00dcml\u00e4ut.pdf": big,
        "bag/data/documents/001-ab/original/\u5951\u7d04\u66f8 \U0001f4c4.txt": "\u5951\u7d04".encode() * 500,
        "bag/data/documents/001-ab/empty.txt": b"",
        "bag/data/empty folder/": None,
        "bag/data/nested.zip": inner,
        "bag/data/lines.txt": b"line\n" * 20_000,
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=(1999, 12, 31, 23, 59, 58))
            info.external_attr = (0o40777 if data is None else 0o104777) << 16  # setuid, world-writable: ignored
            info.compress_type = zipfile.ZIP_STORED if name.endswith(".zip") else zipfile.ZIP_DEFLATED
            zf.writestr(info, data or b"")
    started = time.time() - 2

    names = box.extract(buf.getvalue())

    assert names == list(files)
    expected: dict[str, bytes | None] = {}
    for name, data in files.items():
        parts = name.rstrip("/").split("/")
        for depth in range(1, len(parts)):
            expected.setdefault("/".join(parts[:depth]), None)
        expected["/".join(parts)] = data
    assert tree(box.dest) == expected
    for dirpath, dirnames, filenames in os.walk(box.dest):
        for d in dirnames:
            st = os.lstat(os.path.join(dirpath, d))
            assert stat.S_IMODE(st.st_mode) == 0o700 and st.st_mtime >= started
        for f in filenames:
            st = os.lstat(os.path.join(dirpath, f))
            assert stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) == 0o600 and st.st_mtime >= started
    assert not (box.root / "evil.txt").exists()


def test_data_descriptors_zip64_records_and_legacy_utf8_names_extract(box: Box, monkeypatch) -> None:
    class Unseekable(io.RawIOBase):  # zipfile then writes data descriptors (flag bit 3)
        def __init__(self) -> None:
            self.buf = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b) -> int:
            self.buf += b
            return len(b)

    stream = Unseekable()
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # so that zipfile writes zip64 end records
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a/plain.txt", b"descriptor " * 100)
        with zf.open("a/zip64.txt", "w", force_zip64=True) as out:  # zip64 local header and descriptor
            out.write(b"sixty-four " * 100)
    monkeypatch.undo()
    data = bytes(stream.buf)
    assert b"PK\x07\x08" in data and b"PK\x06\x06" in data
    assert box.extract(data) == ["a/plain.txt", "a/zip64.txt"]
    assert (box.dest / "a/zip64.txt").read_bytes() == b"sixty-four " * 100

    # A UTF-8 name without the UTF-8 flag, as macOS Archive Utility writes it, is read as UTF-8.
    other = box.root / "other"
    other.mkdir()
    box.zip.write_bytes(raw_zip([M("caf\u00e9.txt".encode(), b"x")]))
    assert extract_zip(box.zip, other) == ["caf\u00e9.txt"]
    assert (other / "caf\u00e9.txt").read_bytes() == b"x"


def test_an_empty_zip_extracts_to_nothing(box: Box) -> None:
    assert box.extract(zipfile_zip({})) == []


# -- names ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("../outside/pwned.txt", "has a '..' path component, which would climb out of the extraction folder"),
        ("bag/../../outside/pwned.txt", "has a '..' path component"),
        ("bag/data/..", "has a '..' path component"),
        ("/tmp/absolute.txt", "is an absolute path"),
        ("//server/share/x.txt", "is an absolute path"),
        ("\\\\server\\share\\x.txt", "is an absolute path"),
        ("C:\\Windows\\x.txt", "is an absolute path"),
        ("C:x.txt", "is an absolute path"),
        ("..\\outside\\pwned.txt", "has a backslash in its name, which Windows reads as a folder separator"),
        ("bag\\data\\x.txt", "has a backslash"),
        ("bag//x.txt", "has an empty path component"),
        ("./x.txt", "has a '.' path component"),
        ("bag/./x.txt", "has a '.' path component"),
        ("bag/x\x1b[31m.txt", "has a control character in its name"),
        ("bag/line\nbreak.txt", "has a control character in its name"),
        ("bag/x.txt:hidden", "has a character Windows does not allow in file names (':')"),
        ("bag/what?.txt", "has a character Windows does not allow"),
        ("bag/trailing.", "has a path component ending in a dot or a space, which Windows drops"),
        ("bag/trailing ", "has a path component ending in a dot or a space"),
        ("bag/NUL.txt", "uses the Windows device name 'NUL.txt'"),
        ("bag/com1", "uses the Windows device name"),
        ("bag/\u200c\u200d", "has a path component of dots and characters macOS ignores"),
        ("a/" * 40 + "deep.txt", "is nested deeper than 32 levels"),
        ("bag/" + "x" * 256, "has a path component longer than 255 bytes"),
        ("bag/" + "x/" * 600, "has a name longer than 1,024 bytes"),
    ],
)
def test_unsafe_names_are_refused(box: Box, name: str, reason: str) -> None:
    data = raw_zip([M("bag/ok.txt", b"fine"), M(name, b"payload")])
    error = box.refuse(data, f"member {name!r} of 'bundle.zip' {reason}")
    assert error.member == name


def test_zipfile_writes_traversal_names_as_given_and_they_are_refused(box: Box) -> None:
    box.refuse(zipfile_zip({"../outside/sentinel.txt": b"overwritten"}), "'../outside/sentinel.txt'", "'..'")


@pytest.mark.parametrize(
    ("raw", "flags", "reason"),
    [
        (b"", 0, "member '' of 'bundle.zip' has an empty name"),
        (b"ok.txt\x00../../outside/x", 0, "member 'ok.txt\\x00../../outside/x' of 'bundle.zip' has a NUL byte in"),
        (b"caf\x82.txt", 0, "member b'caf\\x82.txt' of 'bundle.zip' has a name that is neither ASCII nor UTF-8"),
        (b"\xff\xfe.txt", 0x800, "member b'\\xff\\xfe.txt' of 'bundle.zip' has a name flagged as UTF-8 that is not"),
    ],
)
def test_unreadable_names_are_refused_and_cp437_is_never_guessed(box: Box, raw: bytes, flags: int, reason: str) -> None:
    box.refuse(raw_zip([M(raw, b"x", flags=flags)]), reason)


def test_a_second_name_in_a_unicode_path_field_is_refused(box: Box) -> None:
    other = b"../outside/x.txt"
    extra = struct.pack("<HHB", 0x7075, 5 + len(other), 1) + struct.pack("<L", zlib.crc32(b"a.txt")) + other
    box.refuse(raw_zip([M("a.txt", b"x", extra=extra)]), "'a.txt'", "second name in its Unicode path field")


def test_a_local_header_naming_another_file_is_refused(box: Box) -> None:
    data = raw_zip([M("a.txt", b"x", local={"name": b"../evil.sh"})])
    box.refuse(data, "member 'a.txt'", "has a local header that gives it another name, b'../evil.sh'")


# -- types --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_type", "kind"),
    [
        (stat.S_IFLNK, "is a symbolic link, not a regular file or folder"),
        (stat.S_IFCHR, "is a character device"),
        (stat.S_IFBLK, "is a block device"),
        (stat.S_IFIFO, "is a FIFO (named pipe)"),
        (stat.S_IFSOCK, "is a socket"),
    ],
)
def test_links_and_special_files_are_refused(box: Box, file_type: int, kind: str) -> None:
    members = [M("link", b"../outside", external_attr=(file_type | 0o777) << 16), M("link/sentinel.txt", b"pwned")]
    box.refuse(raw_zip(members), f"member 'link' of 'bundle.zip' {kind}")


def test_symlink_written_by_zipfile_is_refused(box: Box) -> None:
    info = zipfile.ZipInfo("bag/data/link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(info, "../../../outside")
        zf.writestr("bag/data/link/sentinel.txt", "pwned")
    box.refuse(buf.getvalue(), "'bag/data/link'", "symbolic link")


def test_folder_and_file_attributes_must_agree_and_folders_hold_no_data(box: Box) -> None:
    box.refuse(raw_zip([M("a", external_attr=0x10)]), "'a'", "is a file by its name but a folder by its attributes")
    box.refuse(raw_zip([M("a", external_attr=stat.S_IFDIR << 16)]), "'a'", "a folder by its attributes")
    box.refuse(raw_zip([M("d/", external_attr=stat.S_IFREG << 16)]), "'d/'", "a regular file by its attributes")
    box.refuse(raw_zip([M("d/", b"data", external_attr=stat.S_IFDIR << 16)]), "'d/'", "is a folder but holds data")


# -- collisions -------------------------------------------------------------------------------------------------

NFC = unicodedata.normalize("NFC", "caf\u00e9.txt")
NFD = unicodedata.normalize("NFD", "caf\u00e9.txt")


@pytest.mark.parametrize(
    ("first", "second", "reason"),
    [
        ("bag/a.txt", "bag/a.txt", "appears twice in the zip"),
        ("bag/d/", "bag/d/", "appears twice in the zip"),
        (f"bag/{NFC}", f"bag/{NFD}", "collides with member 'bag/caf\u00e9.txt' once case and Unicode normalisation"),
        ("bag/README.txt", "bag/readme.TXT", "collides with member 'bag/README.txt'"),
        ("Data/a.txt", "data/b.txt", "collides with member 'Data/a.txt'"),
        ("bag/stra\u00dfe.txt", "bag/STRASSE.txt", "collides with"),
        ("bag/ab.txt", "bag/a\u200cb.txt", "collides with"),
        ("bag/a", "bag/a/", "is both a file and a folder (see member 'bag/a')"),
        ("bag/a/b.txt", "bag/a", "is both a file and a folder (see member 'bag/a/b.txt')"),
        ("bag/a", "bag/a/b.txt", "is under 'bag/a', which is a file"),
    ],
)
def test_duplicates_and_collisions_are_refused(box: Box, first: str, second: str, reason: str) -> None:
    box.refuse(raw_zip([M(first), M(second)]), f"member {second!r} of 'bundle.zip' {reason}")


def test_a_duplicate_written_by_zipfile_is_refused(box: Box) -> None:
    buf = io.BytesIO()
    with pytest.warns(UserWarning, match="Duplicate name"), zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("bag/manifest-sha256.txt", "the one that was checked")
        zf.writestr("bag/manifest-sha256.txt", "the one a tool that keeps the first shows")
    box.refuse(buf.getvalue(), "member 'bag/manifest-sha256.txt'", "appears twice")


# -- content: encryption, methods, sizes, bombs ---------------------------------------------------------------


def test_encrypted_members_are_refused(box: Box) -> None:
    box.refuse(raw_zip([M("secret.txt", b"x", flags=0x1)]), "member 'secret.txt' of 'bundle.zip' is encrypted")
    box.refuse(raw_zip([M("aes.txt", b"x", method=99)]), "member 'aes.txt' of 'bundle.zip' is encrypted")


@pytest.mark.parametrize(
    ("compression", "described"), [(zipfile.ZIP_BZIP2, "12 (bzip2)"), (zipfile.ZIP_LZMA, "14 (lzma)")]
)
def test_compression_other_than_stored_and_deflate_is_refused(box: Box, compression: int, described: str) -> None:
    data = zipfile_zip({"doc.txt": b"text " * 100}, compression)
    box.refuse(
        data, f"member 'doc.txt' of 'bundle.zip' uses compression method {described}; only stored (0) and deflate (8)"
    )


def test_too_many_members_too_large_a_member_or_total_are_refused(box: Box) -> None:
    five = zipfile_zip({f"f{i}.txt": b"x" * 100 for i in range(5)})
    box.refuse(five, "'bundle.zip' holds 5 members, over the limit of 4", max_files=4)
    total = "member 'f2.txt' of 'bundle.zip' brings the declared total to 300 bytes, over the limit of 250"
    box.refuse(five, total, max_total_bytes=250)
    member = "member 'f0.txt' of 'bundle.zip' declares 100 bytes, over the limit of 99 bytes per member"
    box.refuse(five, member, max_member_bytes=99)
    assert len(box.extract(five, max_files=5, max_total_bytes=500, max_member_bytes=100)) == 5


def test_a_gigabyte_deflate_bomb_is_refused_by_its_ratio_before_a_byte_is_inflated(box: Box) -> None:
    started = time.monotonic()
    bomb = M("bag/data/bomb.bin", method=8, payload=zeros_deflated(1024), usize=2**30, crc=CRC_OF_1_GIB_OF_ZEROS)
    reason = "declares a compression ratio of 1,011:1, over the limit of 200:1 (a zip bomb?)"
    box.refuse(raw_zip([bomb]), f"member 'bag/data/bomb.bin' of 'bundle.zip' {reason}")
    assert time.monotonic() - started < 2


def test_the_ratio_limit_spares_small_members_and_can_be_raised(box: Box) -> None:
    small = RATIO_MIN_BYTES - 1
    assert box.extract(raw_zip([M("blank.txt", bytes(small), method=8)])) == ["blank.txt"]
    other = box.root / "other"
    other.mkdir()
    box.zip.write_bytes(raw_zip([M("scan.bmp", bytes(4 << 20), method=8)]))
    with pytest.raises(UnsafeBundleError, match="compression ratio"):
        extract_zip(box.zip, other)
    assert extract_zip(box.zip, other, max_ratio=2000) == ["scan.bmp"]


@pytest.mark.parametrize("extra", [1, 8, 15, 57, 100, 200, 257])
@pytest.mark.parametrize("pattern", [b"\0", b"abc"])
def test_output_zlib_still_holds_after_the_last_input_is_drained(box: Box, pattern: bytes, extra: int) -> None:
    # Just over one CHUNK of output from input read in one go: zlib consumes all the input, stops at max_length in
    # the middle of a match and keeps the rest of it, with nothing left in unconsumed_tail. A correct member.
    data = (pattern * (CHUNK + extra))[: CHUNK + extra]
    assert box.extract(zipfile_zip({"m.bin": data}), max_ratio=10_000) == ["m.bin"]
    assert (box.dest / "m.bin").read_bytes() == data


def test_a_member_lying_about_its_size_is_stopped_one_byte_past_what_it_declared(box: Box) -> None:
    # A gigabyte of zeros whose headers (central and local, consistently) declare one mebibyte: every declared
    # check passes, so only the streaming check stands between it and the disk.
    started = time.monotonic()
    liar = M("bag/data/liar.bin", method=8, payload=zeros_deflated(1024), usize=1 << 20, crc=zlib.crc32(ZERO_MIB))
    reason = "holds more data than the 1,048,576 bytes it declares (a zip bomb?)"
    box.refuse(raw_zip([liar]), f"member 'bag/data/liar.bin' of 'bundle.zip' {reason}", wrote_nothing=False)
    assert (box.dest / "bag/data/liar.bin").stat().st_size <= 1 << 20
    assert time.monotonic() - started < 2


def test_a_member_holding_less_than_it_declares_is_refused(box: Box) -> None:
    short = raw_zip([M("short.txt", b"x" * 100, method=8, usize=200)])
    reason = "holds 100 bytes, not the 200 it declares"
    box.refuse(short, f"member 'short.txt' of 'bundle.zip' {reason}", wrote_nothing=False)


def test_a_stored_member_declaring_two_sizes_is_refused(box: Box) -> None:
    box.refuse(raw_zip([M("s.txt", b"x" * 10, usize=5)]), "'s.txt'", "is stored uncompressed but declares two")


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (deflate(b"x" * 1000) + b"smuggled", "has bytes after the end of its deflate stream"),
        (deflate(b"x" * 1000)[:-3], "is truncated (its compressed data ends before its deflate stream does)"),
        (b"\xff" * 32, "has corrupt compressed data (Error -3 while decompressing data: invalid block type)"),
    ],
)
def test_deflate_streams_must_end_exactly_where_declared(box: Box, payload: bytes, reason: str) -> None:
    member = M("d.txt", b"x" * 1000, method=8, payload=payload)
    box.refuse(raw_zip([member]), f"member 'd.txt' of 'bundle.zip' {reason}", wrote_nothing=False)


def test_a_crc_mismatch_is_refused_naming_the_member_and_nothing_escapes(box: Box) -> None:
    good = zipfile_zip({"bag/first.txt": b"first", "bag/second.txt": b"the original text"}, zipfile.ZIP_STORED)
    tampered = good.replace(b"the original text", b"the 0riginal text")
    reason = "fails its CRC-32 check (its data is damaged or was altered)"
    error = box.refuse(tampered, f"member 'bag/second.txt' of 'bundle.zip' {reason}", wrote_nothing=False)
    assert error.member == "bag/second.txt"
    assert (box.dest / "bag/first.txt").read_bytes() == b"first"  # left for the caller to delete, as documented


def test_a_deflated_member_with_a_wrong_crc_is_refused(box: Box) -> None:
    wrong = raw_zip([M("c.txt", b"x" * 5000, method=8, crc=1234)])
    box.refuse(wrong, "member 'c.txt' of 'bundle.zip' fails its CRC-32 check", wrote_nothing=False)


# -- structure ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "'bundle.zip' is not a zip file (it is too short to be one)"),
        (b"%PDF-1.7\n" + bytes(500), "'bundle.zip' is not a zip file (it has no end-of-central-directory record"),
        (
            zipfile_zip({"a.txt": b"a" * 500}, zipfile.ZIP_STORED)[:300],
            "is not a zip file (it has no end-of-central-directory record: trunc",
        ),
        (zipfile_zip({"a.txt": b"a"})[:-5], "is truncated or damaged (its end record is cut short)"),
        (b"MZ\x90\x00 self-extractor " * 10 + zipfile_zip({"a.txt": b"a"}), "bytes its end record does not account"),
        (zipfile_zip({"a.txt": b"a"}) + b"appended", "'bundle.zip' has 8 bytes after its end record (data appended"),
        (
            raw_zip([M("a.txt", b"a")], comment=b"PK\x05\x06 a second end record"),
            "has a damaged or ambiguous end record",
        ),
    ],
)
def test_not_a_zip_truncated_or_with_foreign_data_is_refused(box: Box, content: bytes, reason: str) -> None:
    box.refuse(content, reason)


def test_overlapping_members_are_refused(box: Box) -> None:
    data = raw_zip([M("a.txt", b"a" * 100), M("b.txt", b"a" * 100, shares_header_of="a.txt")])
    box.refuse(data, "member 'b.txt' of 'bundle.zip' overlaps member 'a.txt' (overlapping members are a zip-bomb")


def test_bytes_no_member_owns_are_refused(box: Box) -> None:
    hidden = raw_zip([M("a.txt", b"a"), M("invisible.sh", b"rm -rf /", hidden=True), M("b.txt", b"b")])
    box.refuse(hidden, "member 'a.txt' of 'bundle.zip' is followed by 50 bytes belonging to no member (hidden data?)")
    first = raw_zip([M("invisible.sh", b"rm -rf /", hidden=True), M("b.txt", b"b")])
    box.refuse(first, "'bundle.zip' has 50 bytes before its first member")


def test_local_headers_and_descriptors_must_agree_with_the_central_directory(box: Box) -> None:
    box.refuse(raw_zip([M("a.txt", b"a", local={"crc": 0})]), "'a.txt'", "local header whose sizes or CRC-32 differ")
    box.refuse(raw_zip([M("a.txt", b"a", local={"flags": 0x1})]), "'a.txt'", "local header whose flags")
    box.refuse(raw_zip([M("a.txt", b"a", descriptor=True, descriptor_crc=7)]), "'a.txt'", "data descriptor that differ")
    assert box.extract(raw_zip([M("a.txt", b"a", descriptor=True)])) == ["a.txt"]


def test_end_records_must_agree_and_name_one_disk(box: Box, monkeypatch) -> None:
    monkeypatch.setattr(zipfile, "ZIP_FILECOUNT_LIMIT", 1)  # zip64 end records, with the classic one after them
    data = zipfile_zip({"a.txt": b"a", "b.txt": b"b"})
    monkeypatch.undo()
    eocd = data.rindex(b"PK\x05\x06")
    assert data[eocd + 8 : eocd + 10] == b"\x02\x00"  # total entries, classic: 2 (zip64 says 2 as well)
    three = data[: eocd + 8] + b"\x03\x00" + data[eocd + 10 :]
    box.refuse(three, "'bundle.zip' has two end records that disagree (zip64 and classic)")
    z64 = data.rindex(b"PK\x06\x06")
    box.refuse(data[:z64] + b"XX" + data[z64 + 2 :], "'bundle.zip' has a damaged zip64 end record")
    plain = zipfile_zip({"a.txt": b"a"})
    eocd = plain.rindex(b"PK\x05\x06")
    box.refuse(plain[: eocd + 4] + b"\x01\x00" + plain[eocd + 6 :], "'bundle.zip' spans several disks")


def test_a_zip_pythons_zipfile_reads_differently_is_refused(box: Box) -> None:
    box.refuse(raw_zip([M("a.txt", b"a", needed=64)]), "'bundle.zip' is read differently by Python's zipfile")


def test_malformed_extra_fields_are_refused(box: Box) -> None:
    box.refuse(raw_zip([M("a.txt", b"a", extra=b"\x01\x00\x10\x00short")]), "'a.txt'", "malformed extra field")
    zip64_missing = M("a.txt", b"a", usize=0xFFFFFFFF, extra=struct.pack("<HH", 1, 0))
    box.refuse(raw_zip([zip64_missing]), "'a.txt'", "malformed extra field")
    huge = struct.pack("<HH", 0xCAFE, 5000) + bytes(5000)
    box.refuse(raw_zip([M("a.txt", b"a", extra=huge)]), "'a.txt'", "has an oversized extra field or comment")


def test_damaged_zips_are_refused_with_an_unsafe_bundle_error_and_never_anything_else(box: Box) -> None:
    """Seeded mutations of good zips: every outcome is a clean extraction or an UnsafeBundleError."""
    rng = random.Random(12)
    files = {"bag/a.txt": b"alpha " * 300, "bag/\u00fc/b.bin": rng.randbytes(700), "bag/empty": b"", "bag/d/": b""}
    originals = [zipfile_zip(files), zipfile_zip(files, zipfile.ZIP_STORED)]
    before = box.snapshot()
    refused = 0
    for attempt in range(300):
        data = bytearray(rng.choice(originals))
        for _ in range(rng.randint(1, 3)):
            at = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[at] = rng.randrange(256)
            else:
                del data[at]
        box.zip.write_bytes(bytes(data))
        dest = box.dest / str(attempt)  # box.dest itself is left out of the snapshot
        dest.mkdir()
        try:
            extract_zip(box.zip, dest)
        except UnsafeBundleError as error:
            assert str(error) and "\n" not in str(error)
            refused += 1
    assert refused > 250
    assert box.snapshot() == before


# -- the files around it ----------------------------------------------------------------------------------------


def test_path_must_be_a_regular_file(box: Box) -> None:
    fifo = box.root / "fifo.zip"
    os.mkfifo(fifo)
    with pytest.raises(UnsafeBundleError, match=r"'fifo\.zip' is not a regular file"):
        extract_zip(fifo, box.dest)
    with pytest.raises(UnsafeBundleError, match=r"'missing\.zip' cannot be read"):
        extract_zip(box.root / "missing.zip", box.dest)


def test_destination_must_be_an_empty_real_folder(box: Box) -> None:
    box.zip.write_bytes(zipfile_zip({"a.txt": b"a"}))
    (box.dest / "existing").write_text("x")
    with pytest.raises(ValueError, match="must be an empty folder"):
        extract_zip(box.zip, box.dest)
    link = box.root / "link"
    link.symlink_to(box.root / "outside")
    with pytest.raises(ValueError, match="not a folder"):
        extract_zip(box.zip, link)


def test_unsafe_bundle_error_is_a_sigillo_error_with_exit_code_12(box: Box) -> None:
    error = box.refuse(zipfile_zip({"../x": b"x"}), "'../x'")
    assert isinstance(error, SigilloError)
    assert error.exit_code == ExitCode.BUNDLE == 12
    assert error.hint
