"""Extract an untrusted zip (an evidence bundle received from the other side) without letting it escape or flood.

``extract_zip(path, dest)`` checks the whole zip first and writes nothing until every check of its structure
has passed; then it streams each member into ``dest``, checking the actual bytes as they come. Any problem
raises ``UnsafeBundleError`` (exit 12), one sentence that names the member and the reason.

Why not ``zipfile.ZipFile.extractall``: it is lenient by design, and Python 3.11's reader has known gaps for
hostile input. It cuts names at a NUL byte; decodes every name without the UTF-8 flag as CP437; silently
accepts data prepended to the zip; keeps only the last of two members with the same name in ``NameToInfo``;
does not detect overlapping members (the "quoted overlap" zip bomb, fixed only in 3.11.8 / 3.12.2); clips a
member to its declared size instead of refusing it; and decompresses bzip2 and LZMA without an output bound
(cpython gh-156002), so one 4 KiB read can allocate gigabytes. So this module parses the end record and the
central directory itself, and decompresses with ``zlib`` itself; it accepts only what a plain, well-formed zip
holds, and then asks ``zipfile`` to read the same zip and refuses it if the two readings differ.

What is refused (see ``tests/test_safezip.py`` for one case of each):

* **Not a zip**, truncated, spanning disks, data before the first member, between members or after the end
  record (every byte of the file must belong to a member, the central directory or the end record: hidden
  data is what a streaming unzipper could read as a member the central directory does not list), members that
  overlap each other or the central directory, a local header that disagrees with the central directory (name,
  flags, method, sizes, CRC, data descriptor), an end record or an extra field that is malformed or ambiguous,
  an extra field over 4 KiB or a member comment over 1 KiB (they would only bloat the central directory, which
  ``zipfile`` holds in memory), a zip that Python's ``zipfile`` reads differently.
* **Names**: empty; a NUL byte; longer than ``MAX_NAME_BYTES`` or deeper than ``MAX_DEPTH``; a control
  character; absolute (``/x``, ``\\\\server\\x``, ``C:\\x``, ``C:x``); a backslash (a separator on Windows);
  empty, ``.`` or ``..`` components; a component longer than 255 bytes, holding a character Windows forbids
  (``<>:"|?*``, ``:`` being an NTFS alternate data stream), ending in a dot or a space (Windows drops them), a
  Windows device name (``nul``, ``com1.txt``...), or made only of dots and characters macOS ignores.
* **Encodings**: with the UTF-8 flag (bit 11) the name must be valid UTF-8. Without it, an ASCII name is read
  as is, a valid UTF-8 name as UTF-8 (what macOS Archive Utility and Info-ZIP write and read), and anything
  else is refused: CP437, the zip specification's default, is never guessed, because unzip tools disagree on
  such names (CP437, the OEM code page, or UTF-8) and a bag's manifest names files in UTF-8 anyway. An Info-ZIP
  Unicode path field (0x7075) giving a different name is refused too.
* **Types**: symbolic links and every other non-regular type in the Unix mode (devices, FIFOs, sockets); a
  name and an attribute that disagree on folder or file; a folder that holds data.
* **Collisions**: the same name twice; names equal once Unicode-normalised and case-folded, or differing only
  by characters macOS ignores (a bag extracted on macOS or Windows must not differ from what was checked); a
  file and a folder with the same name; a member under a path that is a file.
* **Content**: encrypted members; compression other than stored (0) and deflate (8); a declared size over
  ``max_member_bytes``; a declared ratio over ``max_ratio`` (for members of ``RATIO_MIN_BYTES`` or more: a
  small member cannot be a bomb, and a few KiB of one repeated byte legitimately compress 500:1); a declared
  total over ``max_total_bytes``; more than ``max_files`` members. Declared sizes can lie, so while streaming
  the actual bytes are held to them: reading stops as soon as a member yields one byte more than it declared,
  and a member that yields fewer, whose deflate stream does not end exactly where its compressed size says, or
  whose CRC-32 differs, is refused. Nested zips are files like any other: they are never opened.

Writing: every folder is created by this module (``mkdir`` 0o700) and every file with
``O_CREAT | O_EXCL | O_NOFOLLOW`` (0o600), each relative to a descriptor of its parent folder opened with
``O_NOFOLLOW``, so no symbolic link, pre-existing or planted meanwhile, is ever followed. Permission bits and
timestamps from the zip are never applied. Memory stays flat: members are streamed in ``CHUNK`` pieces.

The caller owns ``dest``: it must be an existing, empty folder (``tempfile.mkdtemp()``), and when
``extract_zip`` raises, whatever it had already written there (at most the members before the failing one,
and part of that one) is left for the caller to delete, e.g. with ``shutil.rmtree``. POSIX only (``dir_fd``).
"""

from __future__ import annotations

import operator
import os
import re
import stat
import struct
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NoReturn

from .errors import UnsafeBundleError

__all__ = ["CHUNK", "MAX_DEPTH", "MAX_NAME_BYTES", "RATIO_MIN_BYTES", "extract_zip"]

CHUNK = 1 << 20  # bytes read, decompressed and written at a time
MAX_NAME_BYTES = 1024  # a bag's longest path is ~100 bytes plus an original's file name (at most 255)
MAX_DEPTH = 32  # path components; a bag is ~6 deep
RATIO_MIN_BYTES = 1 << 20  # the compression ratio limit applies to members that declare at least this size
_MAX_COMPONENT_BYTES = 255
_MAX_EXTRA_BYTES, _MAX_COMMENT_BYTES = 4096, 1024  # per member; they bound the central directory's size

# APPNOTE.TXT 4.3: the records this module reads.
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record (22 bytes)
_EOCD64_LOCATOR = struct.Struct("<4sLQL")  # zip64 end of central directory locator (20 bytes)
_EOCD64 = struct.Struct("<4sQ2H2L4Q")  # zip64 end of central directory record, without extensible data (56)
_CENTRAL = struct.Struct("<4s6H3L5H2L")  # central directory file header (46 bytes)
_LOCAL = struct.Struct("<4s5H3L2H")  # local file header (30 bytes)
_SIG_EOCD, _SIG_EOCD64_LOCATOR, _SIG_EOCD64 = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06"
_SIG_CENTRAL, _SIG_LOCAL, _SIG_DESCRIPTOR = b"PK\x01\x02", b"PK\x03\x04", b"PK\x07\x08"

_FLAG_ENCRYPTED, _FLAG_DESCRIPTOR, _FLAG_PATCHED = 0x0001, 0x0008, 0x0020
_FLAG_STRONG_ENCRYPTION, _FLAG_UTF8, _FLAG_MASKED_HEADERS = 0x0040, 0x0800, 0x2000
_FLAGS_THAT_MATTER = (  # a local header must agree with the central directory on these
    _FLAG_ENCRYPTED | _FLAG_DESCRIPTOR | _FLAG_PATCHED | _FLAG_STRONG_ENCRYPTION | _FLAG_UTF8 | _FLAG_MASKED_HEADERS
)
_STORED, _DEFLATED, _AES = 0, 8, 99
_EXTRA_ZIP64, _EXTRA_UNICODE_PATH = 0x0001, 0x7075
_DOS_DIRECTORY = 0x10

_ZIPFILE_FIELDS = operator.attrgetter(  # compared with ours: name, where, what
    "orig_filename", "header_offset", "CRC", "compress_size", "file_size", "compress_type", "flag_bits"
)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc
_DRIVE = re.compile(r"[A-Za-z]:")
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*')
_WINDOWS_DEVICE = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?", re.IGNORECASE)
# Code points HFS+ ignores when it compares names (the list git checks since CVE-2014-9390).
_HFS_IGNORED = dict.fromkeys([*range(0x200C, 0x2010), *range(0x202A, 0x202F), *range(0x206A, 0x2070), 0xFEFF])
_FILE_TYPES = {
    stat.S_IFLNK: "a symbolic link",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}

_O_DIR = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_O_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def extract_zip(
    path: Path,
    dest: Path,
    *,
    max_total_bytes: int = 20 * 2**30,
    max_files: int = 100_000,
    max_ratio: float = 200.0,
    max_member_bytes: int = 8 * 2**30,
) -> list[str]:
    """Extract the untrusted zip ``path`` into ``dest`` and return its member names, in central directory order.

    Names are as in the zip, decoded (folders end with ``/``). ``dest`` must be an existing, empty folder that
    is not a symbolic link (else ``ValueError``: a caller's mistake). Raises ``UnsafeBundleError`` for every
    refusal listed in the module's docstring, having written nothing outside ``dest``; what it wrote inside
    ``dest`` before refusing is the caller's to delete.
    """
    if min(max_total_bytes, max_files, max_member_bytes) < 0 or not max_ratio > 0:
        raise ValueError("the limits must not be negative, and max_ratio must be positive")
    root = _open_destination(dest)
    try:
        with _open_zip(path) as fh:
            reader = _Reader(fh, _show(Path(path).name), max_total_bytes, max_files, max_ratio, max_member_bytes)
            entries = reader.check()
            reader.extract(entries, root)
            return [e.name for e in entries]
    finally:
        os.close(root)


@dataclass(slots=True)
class _Entry:
    raw: bytes  # the name's bytes
    name: str  # decoded; a folder's ends with "/"
    parts: tuple[str, ...]  # path components, without the folder's trailing ""
    is_dir: bool
    flags: int
    method: int
    crc: int
    csize: int
    usize: int
    offset: int  # of the local header
    data_offset: int = 0
    end: int = 0  # first byte after its data (and data descriptor)


class _Reader:
    def __init__(
        self, fh: BinaryIO, label: str, max_total: int, max_files: int, max_ratio: float, max_member: int
    ) -> None:
        self.fh = fh
        self.size = os.fstat(fh.fileno()).st_size
        self.label = label
        self.max_total, self.max_files, self.max_ratio, self.max_member = max_total, max_files, max_ratio, max_member
        self.cd_offset = 0

    # -- refusing ---------------------------------------------------------------------------------------------

    def refuse(self, reason: str) -> NoReturn:
        raise UnsafeBundleError(f"{self.label} {reason}")

    def refuse_member(self, entry: _Entry | str | bytes, reason: str) -> NoReturn:
        name = entry.name if isinstance(entry, _Entry) else entry
        if isinstance(name, bytes):  # a name that could not be decoded is shown as bytes
            shown, name = repr(name), name.decode("utf-8", "backslashreplace")
        else:
            shown = _show(name)
        raise UnsafeBundleError(f"member {shown} of {self.label} {reason}", member=name)

    # -- structure ----------------------------------------------------------------------------------------------

    def check(self) -> list[_Entry]:
        """Every check that needs no decompression, in the order the zip is read; nothing is written yet."""
        n_total, cd_size = self._end_record()
        entries = self._central_directory(n_total, cd_size)
        self._layout(entries)
        self._compare_with_zipfile(entries)
        return entries

    def _read_at(self, offset: int, n: int) -> bytes:
        self.fh.seek(offset)
        return self.fh.read(n)

    def _end_record(self) -> tuple[int, int]:
        if self.size < _EOCD.size:
            self.refuse("is not a zip file (it is too short to be one)")
        tail_start = max(0, self.size - _EOCD.size - 0xFFFF)
        tail = self._read_at(tail_start, self.size - tail_start)
        pos = tail.rfind(_SIG_EOCD)  # the last one: a comment holding the signature is refused below
        if pos < 0:
            self.refuse("is not a zip file (it has no end-of-central-directory record: truncated?)")
        if len(tail) - pos < _EOCD.size:
            self.refuse("is truncated or damaged (its end record is cut short)")
        _, disk, cd_disk, n_this, n_total, cd_size, cd_offset, comment_len = _EOCD.unpack_from(tail, pos)
        stray = len(tail) - pos - _EOCD.size - comment_len
        if stray > 0:
            self.refuse(f"has {_bytes(stray)} after its end record (data appended to the zip?)")
        if stray < 0:
            self.refuse("has a damaged or ambiguous end record (truncated?)")
        cd_end = tail_start + pos
        locator_at = cd_end - _EOCD64_LOCATOR.size
        if locator_at >= 0 and self._read_at(locator_at, 4) == _SIG_EOCD64_LOCATOR:
            _, z_disk, z_offset, z_disks = _EOCD64_LOCATOR.unpack(self._read_at(locator_at, _EOCD64_LOCATOR.size))
            if z_disk != 0 or z_disks > 1:
                self.refuse("spans several disks, which is not supported")
            record = self._read_at(z_offset, _EOCD64.size) if z_offset + _EOCD64.size == locator_at else b""
            if len(record) != _EOCD64.size or record[:4] != _SIG_EOCD64 or _EOCD64.unpack(record)[1] != 44:
                self.refuse("has a damaged zip64 end record")
            wide = _EOCD64.unpack(record)[4:]  # disk, cd_disk, n_this, n_total, cd_size, cd_offset
            classic = (disk, cd_disk, n_this, n_total, cd_size, cd_offset)
            for short, long, placeholder in zip(classic, wide, (0xFFFF,) * 4 + (0xFFFFFFFF,) * 2, strict=True):
                if short not in (placeholder, long):
                    self.refuse("has two end records that disagree (zip64 and classic)")
            disk, cd_disk, n_this, n_total, cd_size, cd_offset = wide
            cd_end = z_offset
        if disk != 0 or cd_disk != 0 or n_this != n_total:
            self.refuse("spans several disks, which is not supported")
        if n_total > self.max_files:
            self.refuse(f"holds {n_total:,} members, over the limit of {self.max_files:,}")
        unaccounted = cd_end - (cd_offset + cd_size)
        if unaccounted > 0:
            self.refuse(f"has {_bytes(unaccounted)} its end record does not account for (data prepended to the zip?)")
        if unaccounted < 0:
            self.refuse("is damaged or truncated (its central directory would extend past its end record)")
        self.cd_offset = cd_offset
        return n_total, cd_size

    def _central_directory(self, n_total: int, cd_size: int) -> list[_Entry]:
        self.fh.seek(self.cd_offset)
        entries: list[_Entry] = []
        tree: dict[tuple[str, ...], _Node] = {}
        consumed = total = 0
        for index in range(1, n_total + 1):
            header = self.fh.read(_CENTRAL.size)
            if len(header) != _CENTRAL.size or header[:4] != _SIG_CENTRAL:
                self.refuse(f"has a damaged central directory (entry {index} of {n_total:,})")
            (_, _made_by, _needed, flags, method, _time, _date, crc, csize, usize, name_len, extra_len, comment_len,
             disk, _internal, external, offset) = _CENTRAL.unpack(header)  # fmt: skip
            raw = self.fh.read(name_len)
            extra = self.fh.read(extra_len)
            self.fh.seek(comment_len, os.SEEK_CUR)  # member comments are ignored
            consumed += _CENTRAL.size + name_len + extra_len + comment_len
            if len(raw) != name_len or len(extra) != extra_len or consumed > cd_size:
                self.refuse(f"has a damaged central directory (entry {index} of {n_total:,})")
            name, parts, is_dir = self._name(raw, flags)
            if extra_len > _MAX_EXTRA_BYTES or comment_len > _MAX_COMMENT_BYTES:
                self.refuse_member(name, "has an oversized extra field or comment")
            entry = _Entry(raw, name, parts, is_dir, flags, method, crc, csize, usize, offset)
            fields = self._extra(entry, extra)
            try:
                entry.usize, entry.csize, entry.offset, disk = _zip64(
                    fields.get(_EXTRA_ZIP64), usize, csize, offset, disk
                )
            except ValueError:
                self._malformed_extra(entry)
            if disk != 0:
                self.refuse("spans several disks, which is not supported")
            self._kind(entry, external)
            self._content(entry)
            total += entry.usize
            if total > self.max_total:
                self.refuse_member(
                    entry, f"brings the declared total to {_bytes(total)}, over the limit of {self.max_total:,}"
                )
            self._place(entry, tree)
            entries.append(entry)
        if consumed != cd_size:
            self.refuse("has a central directory holding more entries than its end record says")
        return entries

    def _name(self, raw: bytes, flags: int) -> tuple[str, tuple[str, ...], bool]:
        try:
            name = raw.decode("utf-8")  # ASCII, or UTF-8 (flagged or not); CP437 is never guessed
        except UnicodeDecodeError:
            if flags & _FLAG_UTF8:
                self.refuse_member(raw, "has a name flagged as UTF-8 that is not valid UTF-8")
            self.refuse_member(
                raw,
                "has a name that is neither ASCII nor UTF-8 (legacy CP437 names are refused: tools disagree on them)",
            )
        if not name:
            self.refuse_member(name, "has an empty name")
        if "\x00" in name:
            self.refuse_member(name, "has a NUL byte in its name")
        if len(raw) > MAX_NAME_BYTES:
            self.refuse_member(name, f"has a name longer than {MAX_NAME_BYTES:,} bytes")
        problem, parts = _path_problem(name)
        if problem:
            self.refuse_member(name, problem)
        return name, parts, name.endswith("/")

    def _malformed_extra(self, entry: _Entry) -> NoReturn:
        self.refuse_member(entry, "has a malformed extra field")

    def _extra(self, entry: _Entry, extra: bytes) -> dict[int, bytes]:
        """The extra fields by id; a malformed one, a repeated id or a second, different name is refused."""
        fields: dict[int, bytes] = {}
        at = 0
        while at < len(extra):
            if at + 4 > len(extra):
                self._malformed_extra(entry)
            tag, length = struct.unpack_from("<HH", extra, at)
            body = extra[at + 4 : at + 4 + length]
            if len(body) != length or tag in fields:
                self._malformed_extra(entry)
            fields[tag] = body
            at += 4 + length
        unicode_path = fields.get(_EXTRA_UNICODE_PATH)
        if unicode_path is not None:
            try:
                other = unicode_path[5:].decode("utf-8") if unicode_path[:1] == b"\x01" else None
            except UnicodeDecodeError:
                other = None
            if other != entry.name:
                shown = _show(other) if other is not None else "an unreadable one"
                self.refuse_member(entry, f"has a second name in its Unicode path field, {shown}")
        return fields

    def _kind(self, entry: _Entry, external: int) -> None:
        # The Unix mode is checked whichever system the zip says made it: Unix unzippers obey it regardless.
        file_type = stat.S_IFMT(external >> 16)
        if file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
            kind = _FILE_TYPES.get(file_type, f"of unknown file type {file_type:#o}")
            self.refuse_member(entry, f"is {kind}, not a regular file or folder")
        if entry.is_dir and file_type == stat.S_IFREG:
            self.refuse_member(entry, "is a folder by its name but a regular file by its attributes")
        if not entry.is_dir and (file_type == stat.S_IFDIR or external & _DOS_DIRECTORY):
            self.refuse_member(entry, "is a file by its name but a folder by its attributes")

    def _content(self, entry: _Entry) -> None:
        flags, method = entry.flags, entry.method
        if flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION | _FLAG_MASKED_HEADERS) or method == _AES:
            self.refuse_member(entry, "is encrypted")
        if flags & _FLAG_PATCHED:
            self.refuse_member(entry, "uses patched data (flag bit 5), which is not supported")
        if method not in (_STORED, _DEFLATED):
            described = zipfile.compressor_names.get(method, "unknown")
            self.refuse_member(
                entry, f"uses compression method {method} ({described}); only stored (0) and deflate (8) are accepted"
            )
        if method == _STORED and entry.csize != entry.usize:
            self.refuse_member(entry, "is stored uncompressed but declares two different sizes")
        if entry.is_dir and entry.usize:
            self.refuse_member(entry, "is a folder but holds data")
        if entry.usize > self.max_member:
            self.refuse_member(
                entry, f"declares {_bytes(entry.usize)}, over the limit of {self.max_member:,} bytes per member"
            )
        if entry.usize >= RATIO_MIN_BYTES and entry.usize > self.max_ratio * entry.csize:
            ratio = entry.usize / max(entry.csize, 1)
            self.refuse_member(
                entry,
                f"declares a compression ratio of {ratio:,.0f}:1, over the limit of {self.max_ratio:g}:1 (a zip bomb?)",
            )

    def _place(self, entry: _Entry, tree: dict[tuple[str, ...], _Node]) -> None:
        """Refuse duplicates, case or normalisation collisions, a file that is also a folder, a path under a file."""
        key: tuple[str, ...] = ()
        last = len(entry.parts)
        for depth, part in enumerate(entry.parts, start=1):
            key += (_fold(part),)
            spelled = "/".join(entry.parts[:depth])
            is_dir = depth < last or entry.is_dir
            node = tree.get(key)
            if node is None:
                tree[key] = _Node(spelled, is_dir, entry.name, explicit=depth == last)
                continue
            if node.spelled != spelled:
                self.refuse_member(
                    entry,
                    f"collides with member {_show(node.member)} once case and Unicode normalisation are ignored, "
                    "as on macOS and Windows",
                )
            if depth < last:  # a folder this member is in
                if not node.is_dir:
                    self.refuse_member(entry, f"is under {_show(spelled)}, which is a file")
                continue
            if node.is_dir != is_dir:
                self.refuse_member(entry, f"is both a file and a folder (see member {_show(node.member)})")
            if node.explicit:
                self.refuse_member(entry, "appears twice in the zip")
            node.explicit = True  # a folder entry after members inside it

    def _layout(self, entries: list[_Entry]) -> None:
        """Each local header agrees with the central directory; members tile the file up to it, no gap, no overlap."""
        expected, previous = 0, None
        for entry in sorted(entries, key=lambda e: e.offset):
            if previous is not None and entry.offset < expected:
                self.refuse_member(
                    entry, f"overlaps member {_show(previous.name)} (overlapping members are a zip-bomb construction)"
                )
            if entry.offset > expected:
                gap = entry.offset - expected
                if previous is None:
                    self.refuse(f"has {_bytes(gap)} before its first member (data prepended to the zip?)")
                self.refuse_member(previous, f"is followed by {_bytes(gap)} belonging to no member (hidden data?)")
            self._local_header(entry)
            expected, previous = entry.end, entry
        if previous is not None and expected > self.cd_offset:
            self.refuse_member(previous, "overlaps the central directory (damaged, truncated or a zip bomb)")
        if expected < self.cd_offset:
            gap = self.cd_offset - expected
            if previous is None:
                self.refuse(f"has {_bytes(gap)} before its central directory belonging to no member (hidden data?)")
            self.refuse_member(previous, f"is followed by {_bytes(gap)} belonging to no member (hidden data?)")

    def _local_header(self, entry: _Entry) -> None:
        header = self._read_at(entry.offset, _LOCAL.size)
        if len(header) != _LOCAL.size or header[:4] != _SIG_LOCAL:
            self.refuse_member(entry, f"has no local header where the central directory says ({entry.offset:,})")
        _, _needed, flags, method, _time, _date, crc, csize, usize, name_len, extra_len = _LOCAL.unpack(header)
        raw = self.fh.read(name_len)
        extra = self.fh.read(extra_len)
        if len(raw) != name_len or len(extra) != extra_len:
            self.refuse_member(entry, "is truncated (the zip ends inside its local header)")
        if raw != entry.raw:
            self.refuse_member(entry, f"has a local header that gives it another name, {raw!r}")
        if (flags ^ entry.flags) & _FLAGS_THAT_MATTER or method != entry.method:
            self.refuse_member(
                entry, "has a local header whose flags or compression method differ from the directory's"
            )
        zip64 = self._extra(entry, extra).get(_EXTRA_ZIP64)
        entry.data_offset = entry.offset + _LOCAL.size + name_len + extra_len
        entry.end = entry.data_offset + entry.csize
        if not flags & _FLAG_DESCRIPTOR:
            try:
                usize, csize, _, _ = _zip64(zip64, usize, csize, None, None)
            except ValueError:
                self._malformed_extra(entry)
            if (crc, csize, usize) != (entry.crc, entry.csize, entry.usize):
                self.refuse_member(entry, "has a local header whose sizes or CRC-32 differ from the directory's")
            return
        # Data descriptor (flag bit 3): CRC and sizes follow the data, 8-byte sizes when the local header is zip64.
        layout = struct.Struct("<LQQ" if zip64 is not None else "<LLL")
        start = self._read_at(entry.end, 4)
        signature = 4 if start == _SIG_DESCRIPTOR else 0
        descriptor = self._read_at(entry.end + signature, layout.size)
        if len(descriptor) != layout.size or layout.unpack(descriptor) != (entry.crc, entry.csize, entry.usize):
            self.refuse_member(entry, "has a data descriptor that differs from the central directory")
        entry.end += signature + layout.size

    def _compare_with_zipfile(self, entries: list[_Entry]) -> None:
        """Python's zipfile (what a verifier written in Python from bundle-format.md would use) reads the same."""
        try:
            with zipfile.ZipFile(self.fh) as zf:
                theirs = [_ZIPFILE_FIELDS(info) for info in zf.infolist()]
        except Exception as exc:  # any failure at all means the two readings differ
            self.refuse(f"is read differently by Python's zipfile ({type(exc).__name__}: {exc})")
        if len(theirs) != len(entries):
            self.refuse("is read differently by Python's zipfile (another number of members)")
        for entry, their in zip(entries, theirs, strict=True):
            name = entry.raw.decode("utf-8" if entry.flags & _FLAG_UTF8 else "cp437")
            ours = (name, entry.offset, entry.crc, entry.csize, entry.usize, entry.method, entry.flags)
            if ours != their:
                self.refuse_member(entry, "is read differently by Python's zipfile")

    # -- extraction ---------------------------------------------------------------------------------------------

    def extract(self, entries: list[_Entry], root: int) -> None:
        folders = _Folders(root)
        written = 0
        try:
            for entry in sorted(entries, key=lambda e: e.offset):  # in file order: sequential reads
                try:
                    if entry.is_dir:
                        folders.open(entry.parts)
                        written += self._stream(entry, None, written)
                        continue
                    parent = folders.open(entry.parts[:-1])
                    fd = os.open(entry.parts[-1], _O_NEW_FILE, 0o600, dir_fd=parent)
                    with os.fdopen(fd, "wb") as out:
                        os.fchmod(fd, 0o600)  # exactly, whatever the umask
                        written += self._stream(entry, out, written)
                except OSError as exc:
                    self.refuse_member(entry, f"could not be written to the extraction folder ({exc.strerror})")
        finally:
            folders.close()

    def _stream(self, entry: _Entry, out: BinaryIO | None, written_before: int) -> int:
        """Copy the member's data to ``out``, holding the actual bytes to the declared size, limits and CRC-32."""
        self.fh.seek(entry.data_offset)
        left = entry.csize  # compressed bytes not read yet
        produced = crc = 0
        inflater = zlib.decompressobj(-15) if entry.method == _DEFLATED else None
        while True:
            if inflater is not None and inflater.unconsumed_tail:
                data = inflater.unconsumed_tail
            elif left:
                data = self.fh.read(min(CHUNK, left))
                if not data:
                    self.refuse_member(entry, "is truncated (the zip ends inside its data)")
                left -= len(data)
            elif inflater is None or inflater.eof:
                break
            else:  # all input given, but zlib may still hold output (a match cut short by max_length): drain it
                data = b""
            if inflater is not None:
                drained = not data
                try:  # never more than one byte past the declared size
                    data = inflater.decompress(data, min(CHUNK, entry.usize - produced + 1))
                except zlib.error as exc:
                    self.refuse_member(entry, f"has corrupt compressed data ({exc})")
                if drained and not data and not inflater.eof:
                    self.refuse_member(entry, "is truncated (its compressed data ends before its deflate stream does)")
                if inflater.eof and (left or inflater.unused_data):
                    self.refuse_member(entry, "has bytes after the end of its deflate stream")
            produced += len(data)
            if produced > entry.usize:
                self.refuse_member(entry, f"holds more data than the {_bytes(entry.usize)} it declares (a zip bomb?)")
            if written_before + produced > self.max_total:  # implied by the declared checks; kept as a backstop
                self.refuse_member(entry, f"takes the extracted total over the limit of {self.max_total:,} bytes")
            crc = zlib.crc32(data, crc)
            if out is not None and data:
                out.write(data)
        if produced != entry.usize:
            self.refuse_member(entry, f"holds {_bytes(produced)}, not the {entry.usize:,} it declares")
        if crc != entry.crc:
            self.refuse_member(entry, "fails its CRC-32 check (its data is damaged or was altered)")
        return produced


@dataclass(slots=True)
class _Node:
    spelled: str  # the path as first spelled in the zip
    is_dir: bool
    member: str  # the member that first named it
    explicit: bool = False  # a member of its own (not only a parent folder of one)


class _Folders:
    """Folders under the extraction root, each created here and entered through descriptors with O_NOFOLLOW."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.created: set[tuple[str, ...]] = set()
        self.cached: tuple[tuple[str, ...], int] = ((), root)

    def open(self, parts: tuple[str, ...]) -> int:
        """A descriptor of the folder ``parts`` (made if need be); valid until the next call."""
        if self.cached[0] == parts:
            return self.cached[1]
        self.close()
        fd = self.root
        try:
            for depth, part in enumerate(parts, start=1):
                made = parts[:depth] not in self.created
                if made:
                    os.mkdir(part, 0o700, dir_fd=fd)  # FileExistsError if anything else put it there
                    self.created.add(parts[:depth])
                child = os.open(part, _O_DIR, dir_fd=fd)
                if fd != self.root:
                    os.close(fd)
                fd = child
                if made:
                    os.fchmod(fd, 0o700)  # exactly, whatever the umask
        except BaseException:
            if fd != self.root:
                os.close(fd)
            raise
        self.cached = (parts, fd)
        return fd

    def close(self) -> None:
        if self.cached[1] != self.root:
            os.close(self.cached[1])
        self.cached = ((), self.root)


def _path_problem(name: str) -> tuple[str | None, tuple[str, ...]]:
    """Why ``name`` cannot be extracted as is, on any system, or None; and its path components."""
    if _CONTROL.search(name):
        return "has a control character in its name", ()
    if name.startswith(("/", "\\")) or _DRIVE.match(name):
        return "is an absolute path", ()
    if "\\" in name:
        return "has a backslash in its name, which Windows reads as a folder separator", ()
    parts = tuple((name[:-1] if name.endswith("/") else name).split("/"))
    if ".." in parts:
        return "has a '..' path component, which would climb out of the extraction folder", ()
    if len(parts) > MAX_DEPTH:
        return f"is nested deeper than {MAX_DEPTH} levels", ()
    for part in parts:
        if part == "":
            return "has an empty path component", ()
        if part == ".":
            return "has a '.' path component", ()
        if len(part.encode("utf-8")) > _MAX_COMPONENT_BYTES:
            return f"has a path component longer than {_MAX_COMPONENT_BYTES} bytes", ()
        forbidden = sorted(_WINDOWS_FORBIDDEN.intersection(part))
        if forbidden:
            return f"has a character Windows does not allow in file names ({forbidden[0]!r})", ()
        if part[-1] in ". ":
            return "has a path component ending in a dot or a space, which Windows drops", ()
        if _WINDOWS_DEVICE.fullmatch(part):
            return f"uses the Windows device name {part!r}", ()
        if _fold(part).strip(".") == "":
            return "has a path component of dots and characters macOS ignores", ()
    return None, parts


def _fold(part: str) -> str:
    """The component as a case-insensitive, normalisation-insensitive file system (APFS, HFS+, NTFS) may see it."""
    return unicodedata.normalize("NFD", unicodedata.normalize("NFD", part).casefold()).translate(_HFS_IGNORED)


def _zip64(field: bytes | None, usize: int, csize: int, offset: Any, disk: Any) -> tuple[int, int, Any, Any]:
    """Replace the 0xFFFFFFFF (0xFFFF) placeholders by the zip64 extra field's values, in APPNOTE's order.

    ``offset`` and ``disk`` are None for a local header, which has neither. ValueError if a value is missing.
    """
    data = field or b""
    values = [usize, csize, offset, disk]
    at = 0
    for i, (placeholder, width) in enumerate(((0xFFFFFFFF, 8), (0xFFFFFFFF, 8), (0xFFFFFFFF, 8), (0xFFFF, 4))):
        if values[i] == placeholder:
            if len(data) < at + width:
                raise ValueError("zip64 extra field too short")
            values[i] = int.from_bytes(data[at : at + width], "little")
            at += width
    return values[0], values[1], values[2], values[3]


def _bytes(n: int) -> str:
    return "1 byte" if n == 1 else f"{n:,} bytes"


def _show(name: str) -> str:
    """``name`` quoted, with control and invisible characters escaped (a hostile name must not drive a terminal)."""
    return repr(name)


def _open_destination(dest: Path) -> int:
    try:
        st = os.lstat(dest)
    except OSError as exc:
        raise ValueError(f"extraction folder {dest} cannot be used: {exc.strerror}") from exc
    if not stat.S_ISDIR(st.st_mode):
        raise ValueError(f"extraction folder {dest} is not a folder (or is a symbolic link)")
    fd = os.open(dest, _O_DIR)
    after = os.fstat(fd)
    if (after.st_dev, after.st_ino) != (st.st_dev, st.st_ino) or os.listdir(fd):
        os.close(fd)
        raise ValueError(f"extraction folder {dest} must be an empty folder made for this extraction")
    return fd


def _open_zip(path: Path) -> BinaryIO:
    label = _show(Path(path).name)
    try:  # O_NONBLOCK: opening a FIFO must not hang; it is refused just below
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise UnsafeBundleError(f"{label} cannot be read ({exc.strerror})") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise UnsafeBundleError(f"{label} is not a regular file")
    return os.fdopen(fd, "rb", buffering=CHUNK)
