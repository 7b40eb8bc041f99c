"""The zip container: what an archive holds and a bounded stream of each data file.

Container rules: Z2 (no password), Z3 (files in `sms/`, no unsafe names or
links), Q4 (files at the root), Q16 (not a zip, empty, truncated, encrypted,
unsupported method, corrupt, zip bombs), Q23 (entry-name encodings, junk, extra
files), Q24 (both modes at once), N1, C1, M1 (which files make a campaign) and
Q21 (the account's mode).

Nothing is ever extracted to disk: entries are streamed from the archive through
``ZipArchive.open``. Problems found by looking at the central directory are
diagnostics yielded by ``inspect``; problems that only show while the data is
read (a bad CRC at the end of an entry, data that ends early, output beyond the
caps) end the stream there, as if the entry ended, and are yielded by
``defects``; ``halted`` tells a reader that the end it met is no real end (the
consumer may already have used part of the stream, so it must ask).  Nothing is
raised for a fault of the input.

Zip bombs meet three walls. ``inspect`` rejects declared sizes over the caps
and declared compressed sizes that run into the next entry (overlapping
entries, or a header that understates its ratio). zipfile itself never yields
more than an entry's declared size. And the stream counts what it really
produces and consumes, in case a header lie gets past both.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, BinaryIO, cast

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_COMPRESSION_RATIO,
    ARCHIVE_DUPLICATE_ENTRY,
    ARCHIVE_EMPTY,
    ARCHIVE_ENCRYPTED,
    ARCHIVE_ENTRY_CORRUPT,
    ARCHIVE_ENTRY_NAMES_CP866,
    ARCHIVE_JUNK_ENTRY,
    ARCHIVE_LOCAL_HEADER_MISMATCH,
    ARCHIVE_NOT_ZIP,
    ARCHIVE_SYMLINK_ENTRY,
    ARCHIVE_TOO_LARGE,
    ARCHIVE_TOO_MANY_ENTRIES,
    ARCHIVE_TRUNCATED,
    ARCHIVE_UNSAFE_ENTRY_NAME,
    ARCHIVE_UNSUPPORTED_COMPRESSION,
    Check,
    Diagnostic,
    collect,
    diagnostic,
)
from smsftp.simulator.rules.naming import SMS_FOLDER, assign_roles, decode_entry_name, junk_kind, unsafe_entry_name
from smsftp.simulator.rules.outcome import ArchiveMode

# Below this much output a high ratio means nothing: a small CSV of repeated rows compresses very well.
RATIO_MIN_BYTES = 1 << 20
CHUNK = 64 * 1024
# zipfile reads compressed input ahead in proportion to the output asked for; small requests keep
# the count of compressed bytes consumed close to the truth, so the streaming ratio check bites early.
_READ = 16 * 1024

_FLAG_ENCRYPTED = 0x0001
_SUPPORTED_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_METHOD_NAMES = {
    1: "Shrink",
    6: "Implode",
    9: "Deflate64",
    10: "PKWARE Implode",
    12: "bzip2",
    14: "LZMA",
    19: "IBM LZ77",
    93: "Zstandard",
    95: "XZ",
    96: "JPEG",
    97: "WavPack",
    98: "PPMd",
    99: "AES",
}
_METHOD_AES = 99
_EOCD = b"PK\x05\x06"
_EOCD_SEARCH = 22 + 65535  # the record plus the longest possible comment
_EOCD_RECORD = struct.Struct("<4s4H2LH")  # signature, disks, entries here, entries, size, offset, comment
_ZIP64_RECORD = struct.Struct("<4sQ2H2L4Q")  # ... entries here, entries, size, offset
_ZIP64_LOCATOR = 20
_CENTRAL_HEADER = 46  # a central directory entry's fixed part; name, extra and comment lengths at 28
_LOCAL_HEADER = struct.Struct("<4s5H3L2H")  # signature, versions, flags, method, time, date, crc, sizes
_FLAG_DATA_DESCRIPTOR = 0x0008  # sizes and CRC follow the data; the local header holds zeros
_ZIP64_SIZE = 0xFFFFFFFF
_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    OSError,
    EOFError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    struct.error,
    zlib.error,
    IndexError,
    OverflowError,
)

Source = bytes | bytearray | memoryview | str | os.PathLike[str] | BinaryIO


@dataclass(frozen=True)
class DataFile:
    """One data file of the campaign, as named inside the archive."""

    name: str  # decoded, e.g. 'sms/contacts.csv'
    size: int  # uncompressed size declared by the central directory
    compressed_size: int
    info: zipfile.ZipInfo = field(compare=False, repr=False)


@dataclass
class Layout:
    """What the archive holds, once the container checks passed."""

    mode: ArchiveMode
    contacts: DataFile | None = None
    template: DataFile | None = None
    plain: DataFile | None = None
    ignored: tuple[str, ...] = ()  # junk entries that were skipped (SMS208)

    @property
    def files(self) -> tuple[DataFile, ...]:
        return tuple(f for f in (self.contacts, self.template, self.plain) if f is not None)


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    exponent = min(3, (n.bit_length() - 1) // 10)
    return f"{n / 1024**exponent:.1f} {('KiB', 'MiB', 'GiB')[exponent - 1]}"


# --- what kind of file a non-zip is -------------------------------------------------

_MAGIC = (
    (b"Rar!\x1a\x07", "a RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7z archive"),
    (b"\x1f\x8b", "a gzip file"),
    (b"BZh", "a bzip2 file"),
    (b"\xfd7zXZ\x00", "an xz file"),
    (b"%PDF", "a PDF document"),
    (b"\xd0\xcf\x11\xe0", "an old-format Office document (.xls/.doc)"),
    (b"ustar", "a tar archive"),
)


def _sniff(head: bytes) -> str:
    for magic, what in _MAGIC:
        if head.startswith(magic) or (magic == b"ustar" and head[257:262] == magic):
            return what
    sample = head[:512]
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = sample.decode(encoding)
        except UnicodeDecodeError:
            continue
        if all(c.isprintable() or c in "\r\n\t" for c in text[:-1]):
            first = text.splitlines()[0] if text.splitlines() else ""
            if ";" in first or "," in first:
                return f"a CSV text file (it starts {first[:40]!r}), renamed to `.zip`"
            return f"a text file (it starts {text[:40]!r})"
    return f"not a zip archive (it starts with the bytes {head[:4].hex(' ')})"


class _CountingFile(io.RawIOBase):
    """The archive file as zipfile sees it, counting the bytes it reads.

    The count is what an entry really consumed, so a compression ratio checked
    while streaming cannot be fooled by a compressed size that the header lies about.
    """

    def __init__(self, fp: BinaryIO) -> None:
        super().__init__()
        self._fp = fp
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._fp.seek(offset, whence)

    def tell(self) -> int:
        return self._fp.tell()

    def read(self, size: int | None = -1) -> bytes:
        data = self._fp.read(-1 if size is None else size)
        self.consumed += len(data)
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


def _defect(name: str, exc: BaseException) -> Diagnostic:
    """The diagnostic for an exception zipfile raised while opening or reading an entry."""
    text = str(exc)
    if isinstance(exc, EOFError) or "Truncated" in text:
        return diagnostic(
            ARCHIVE_TRUNCATED, f"The data of {name} ends before its declared end: the archive was cut off.", file=name
        )
    if isinstance(exc, RuntimeError) and "encrypted" in text:
        return diagnostic(ARCHIVE_ENCRYPTED, f"{name} is password-protected.", file=name)
    if isinstance(exc, NotImplementedError):
        return diagnostic(
            ARCHIVE_UNSUPPORTED_COMPRESSION,
            f"{name} needs a zip feature the platform does not read ({text}).",
            file=name,
        )
    if "CRC" in text:
        return diagnostic(ARCHIVE_ENTRY_CORRUPT, f"The data of {name} does not match its CRC-32 checksum.", file=name)
    if isinstance(exc, zlib.error):
        return diagnostic(ARCHIVE_ENTRY_CORRUPT, f"The compressed data of {name} is damaged ({text}).", file=name)
    if "Overlapped entries" in text:
        return diagnostic(
            ARCHIVE_ENTRY_CORRUPT,
            f"{name}'s compressed data runs into the next entry (overlapping entries are a zip-bomb technique).",
            file=name,
        )
    if "Bad magic number for file header" in text:
        return diagnostic(
            ARCHIVE_ENTRY_CORRUPT,
            f"{name}'s data is not where the central directory says: the archive's "
            "bytes were shifted (an ASCII-mode transfer or a broken copy).",
            file=name,
        )
    return diagnostic(ARCHIVE_ENTRY_CORRUPT, f"{name} cannot be read: {text or type(exc).__name__}.", file=name)


class _EntryReader(io.RawIOBase):
    """One entry's decompressed bytes, in bounded chunks, with the bomb caps enforced."""

    def __init__(self, archive: ZipArchive, f: DataFile, ext: IO[bytes], consumed: int) -> None:
        super().__init__()
        self._archive, self._f, self._ext = archive, f, ext
        self._consumed = consumed
        self._produced = 0
        self._broken = False

    def readable(self) -> bool:
        return True

    def _fail(self, d: Diagnostic) -> int:
        """The entry ends here: 0 bytes, now and on every later read; the archive keeps ``d``."""
        self._broken = True
        self._archive._defects.append(d)
        return 0

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._broken:
            return 0
        counter = self._archive._counter
        before = counter.consumed
        try:
            data = self._ext.read(min(len(buffer), _READ))
        except _ZIP_ERRORS as exc:
            return self._fail(_defect(self._f.name, exc))
        self._consumed += counter.consumed - before
        n = len(data)
        buffer[:n] = data
        self._produced += n
        name = self._f.name
        if n == 0 and self._produced != self._f.size:
            return self._fail(
                diagnostic(
                    ARCHIVE_ENTRY_CORRUPT,
                    f"{name} holds {self._produced} bytes, its header declares {self._f.size}.",
                    file=name,
                )
            )
        total = self._archive._record_output(self._f, self._produced)
        cap = self._archive.account.max_uncompressed_bytes
        if total > cap:
            return self._fail(
                diagnostic(
                    ARCHIVE_TOO_LARGE,
                    f"The data files uncompress to more than the cap of {_size(cap)} "
                    f"({_size(total)} so far, reading {name}), more than their headers declare.",
                    file=name,
                )
            )
        ratio = self._archive.account.max_compression_ratio
        if self._produced >= RATIO_MIN_BYTES and self._produced > ratio * max(self._consumed, 1):
            return self._fail(
                diagnostic(
                    ARCHIVE_COMPRESSION_RATIO,
                    f"{name} expanded {_size(self._consumed)} of compressed data into "
                    f"{_size(self._produced)} (more than {ratio}:1); its header claims "
                    f"{_size(self._f.compressed_size)} compressed.",
                    file=name,
                )
            )
        return n

    def close(self) -> None:
        if not self.closed:
            self._ext.close()
        super().close()


def _too_many_entries(count: int, cap: int) -> Diagnostic:
    return diagnostic(
        ARCHIVE_TOO_MANY_ENTRIES,
        f"The archive holds {'more than ' if count == cap + 1 else ''}{count:,} entries; the cap is {cap:,}.",
    )


def _link_target(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> str:
    """` to TARGET` for the message: a link entry's data is the path it points to."""
    if info.file_size > 1024 or info.flag_bits & _FLAG_ENCRYPTED or info.compress_type not in _SUPPORTED_METHODS:
        return ""
    try:
        return f" to {zf.read(info).decode('utf-8', 'replace')!r}"
    except _ZIP_ERRORS:
        return ""


@dataclass
class _Entry:
    name: str
    info: zipfile.ZipInfo

    @property
    def file(self) -> DataFile:
        return DataFile(self.name, self.info.file_size, self.info.compress_size, self.info)


class ZipArchive:
    """An archive opened for judging: ``inspect`` it, then ``open`` its data files as streams."""

    def __init__(self, source: Source, account: Account) -> None:
        self.account = account
        self._owned: IO[bytes] | None = None
        fp: BinaryIO
        if isinstance(source, (bytes, bytearray, memoryview)):
            fp = io.BytesIO(source)
        elif isinstance(source, (str, os.PathLike)):
            fp = self._owned = open(source, "rb")  # noqa: SIM115 - closed by close()
        elif not source.seekable():
            # zipfile needs to seek; a pipe or socket is spooled, never extracted entry by entry.
            spool = tempfile.SpooledTemporaryFile(max_size=8 << 20)  # noqa: SIM115 - closed by close()
            while chunk := source.read(CHUNK):
                spool.write(chunk)
            spool.seek(0)
            fp = self._owned = cast(BinaryIO, spool)
        else:
            fp = source
        self._fp = fp
        self._counter = _CountingFile(fp)
        self._zip: zipfile.ZipFile | None = None
        self._result: tuple[Layout | None, list[Diagnostic]] | None = None  # inspect()'s verdict, once
        self._output: dict[int, int] = {}
        self._defects: list[Diagnostic] = []  # what ended a stream early, in the order met
        self._sms_folder = False  # whether any entry, directories included, sits under `sms/`

    def __enter__(self) -> ZipArchive:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()
            self._zip = None
        if self._owned is not None:
            self._owned.close()
            self._owned = None

    def _record_output(self, f: DataFile, produced: int) -> int:
        # The most read from each entry, so that reading a file twice does not count twice.
        key = id(f.info)
        self._output[key] = max(self._output.get(key, 0), produced)
        return sum(self._output.values())

    def open(self, f: DataFile) -> BinaryIO:
        """A buffered binary stream of one data file; it ends early at a defect (``halted``, ``defects``)."""
        if self._zip is None:
            raise RuntimeError("inspect() the archive before opening its files")
        before = self._counter.consumed
        try:
            ext = self._zip.open(f.info)
        except _ZIP_ERRORS as exc:
            self._defects.append(_defect(f.name, exc))
            return io.BufferedReader(io.BytesIO(b""))
        raw = _EntryReader(self, f, ext, self._counter.consumed - before)
        return io.BufferedReader(raw, CHUNK)

    def halted(self) -> bool:
        """Whether a stream of this archive ended early at a defect: its end is no end of the file."""
        return bool(self._defects)

    def defects(self) -> Iterator[Diagnostic]:
        """Every defect met while streaming the data files (corrupt data, output beyond the caps), in the order met."""
        yield from self._defects

    # --- inspection ------------------------------------------------------------------

    def inspect(self) -> Check[Layout | None]:
        """What the archive holds; the layout is None when any error was found.

        Judged once: inspecting again yields the same diagnostics and returns the same layout.
        """
        if self._result is None:
            zf, problems = collect(self._open_zip())
            self._zip = zf
            layout = None
            if zf is not None:
                layout, found = collect(self._judge(zf))
                problems += found
            if any(p.is_error for p in problems):
                layout = None
            self._result = (layout, problems)
        yield from self._result[1]
        return self._result[0]

    def _read_at(self, offset: int, size: int) -> bytes:
        self._fp.seek(offset)
        return self._fp.read(size)

    def _open_zip(self) -> Check[zipfile.ZipFile | None]:
        size = self._fp.seek(0, io.SEEK_END)
        if size == 0:
            yield diagnostic(ARCHIVE_EMPTY, "The archive is 0 bytes long.")
            return None
        cap = self.account.max_entries
        counted = self._count_entries(size, cap)
        if counted is not None and counted > cap:
            # Counted before zipfile reads the directory: a million entries cost it seconds and a gigabyte.
            yield _too_many_entries(counted, cap)
            return None
        try:
            return zipfile.ZipFile(cast(IO[bytes], self._counter))
        except _ZIP_ERRORS as exc:
            yield self._unreadable(exc, size)
            return None

    def _count_entries(self, size: int, cap: int) -> int | None:
        """The central directory's entries, counted up to ``cap + 1`` (or as declared, when more);
        None when there is no directory to count (zipfile then says what is wrong)."""
        tail_start = max(0, size - _EOCD_SEARCH)
        tail = self._read_at(tail_start, size - tail_start)
        at = tail.rfind(_EOCD)
        if at < 0 or len(tail) - at < _EOCD_RECORD.size:
            return None
        end = tail_start + at
        total, length = (int(v) for v in _EOCD_RECORD.unpack_from(tail, at)[4:6])
        if total == 0xFFFF or length == _ZIP64_SIZE:  # Zip64: the real figures are in the record before
            end -= _ZIP64_LOCATOR + _ZIP64_RECORD.size
            record = self._read_at(end, _ZIP64_RECORD.size) if end >= 0 else b""
            if len(record) < _ZIP64_RECORD.size or not record.startswith(b"PK\x06\x06"):
                return None
            total, length = (int(v) for v in _ZIP64_RECORD.unpack(record)[7:9])
        if total > cap:
            return total
        # The declared count may lie: zipfile walks the directory by its size.  Walk it the same way.
        count, at = 0, end - length
        while count <= cap and at >= 0 and at + _CENTRAL_HEADER <= end:
            head = self._read_at(at, _CENTRAL_HEADER)
            if len(head) < _CENTRAL_HEADER or not head.startswith(b"PK\x01\x02"):
                break
            name, extra, comment = struct.unpack_from("<3H", head, 28)
            at += _CENTRAL_HEADER + name + extra + comment
            count += 1
        return count

    def _unreadable(self, exc: BaseException, size: int) -> Diagnostic:
        head = self._read_at(0, 512)
        has_eocd = _EOCD in self._read_at(max(0, size - _EOCD_SEARCH), _EOCD_SEARCH)
        if isinstance(exc, NotImplementedError):
            return diagnostic(
                ARCHIVE_UNSUPPORTED_COMPRESSION, f"The archive needs a zip feature the platform does not read ({exc})."
            )
        zip_like = head.startswith((b"PK\x03\x04", b"PK\x07\x08")) or (head.startswith(b"PK") and size < 30)
        if zip_like and not has_eocd:
            return diagnostic(
                ARCHIVE_TRUNCATED,
                f"The file starts like a zip archive but has no end-of-central-directory record: "
                f"it was cut off after {size} bytes.",
            )
        if zip_like or has_eocd:
            return diagnostic(ARCHIVE_ENTRY_CORRUPT, f"The archive's central directory is damaged ({exc}).")
        return diagnostic(ARCHIVE_NOT_ZIP, f"The file is {_sniff(head)}.")

    def _judge(self, zf: zipfile.ZipFile) -> Check[Layout | None]:
        infos = zf.infolist()
        if not infos:
            yield diagnostic(ARCHIVE_EMPTY, "The zip archive holds no entries.")
            return None
        if len(infos) > self.account.max_entries:  # a directory _count_entries could not walk
            yield _too_many_entries(len(infos), self.account.max_entries)
            return None
        # Each later step runs only while no error has been found: collected here to be looked at.
        (entries, junk), problems = collect(self._entries(zf, infos))
        problems += self._check_containers(entries, infos)
        layout, found = collect(self._layout(entries))
        problems += found
        if layout is not None:
            layout.ignored = tuple(junk)
            if not any(p.is_error for p in problems):
                problems += self._check_extents(zf, layout)
            if not any(p.is_error for p in problems):
                problems += self._check_headers(zf, layout)
        yield from problems
        return layout

    def _entries(self, zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> Check[tuple[list[_Entry], list[str]]]:
        """The archive's real files, after unsafe, linked, duplicate, junk and directory entries."""
        entries: list[_Entry] = []
        junk: dict[str, list[str]] = {}
        seen: set[str] = set()
        self._sms_folder = False
        for info in infos:
            name, how = decode_entry_name(info)
            self._sms_folder |= name.startswith(SMS_FOLDER)
            mode = info.external_attr >> 16
            unsafe = unsafe_entry_name(name)
            if unsafe is not None:
                why, hint = unsafe
                yield (diagnostic(ARCHIVE_UNSAFE_ENTRY_NAME, f"The entry name {name!r} {why}.", hint=hint, file=name))
                continue
            if stat.S_ISLNK(mode):
                yield (
                    diagnostic(ARCHIVE_SYMLINK_ENTRY, f"{name} is a symbolic link{_link_target(zf, info)}.", file=name)
                )
                continue
            if name.endswith("/") or stat.S_ISDIR(mode):
                continue
            if how == "cp866":
                yield (
                    diagnostic(
                        ARCHIVE_ENTRY_NAMES_CP866,
                        f"The entry name {name!r} has no UTF-8 flag; it was read as cp866 (DOS Cyrillic).",
                        file=name,
                    )
                )
            kind = junk_kind(name)
            if kind is not None:
                junk.setdefault(kind, []).append(name)
                continue
            if name in seen:
                yield (diagnostic(ARCHIVE_DUPLICATE_ENTRY, f"The archive holds {name} more than once.", file=name))
                continue
            seen.add(name)
            entries.append(_Entry(name, info))
        for kind, names in junk.items():
            shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            yield (
                diagnostic(
                    ARCHIVE_JUNK_ENTRY,
                    f"Ignored {len(names)} entr{'y' if len(names) == 1 else 'ies'} of {kind}: {shown}.",
                    file=names[0],
                )
            )
        return entries, [n for names in junk.values() for n in names]

    def _check_containers(self, entries: list[_Entry], infos: list[zipfile.ZipInfo]) -> Iterator[Diagnostic]:
        """Password, compression method and declared sizes: all known before any data is read."""
        cap, ratio = self.account.max_uncompressed_bytes, self.account.max_compression_ratio
        too_large = False  # an entry is over the size cap: the total need not be reported too
        for e in entries:
            info = e.info
            if info.flag_bits & _FLAG_ENCRYPTED or info.compress_type == _METHOD_AES:
                how = "AES" if info.compress_type == _METHOD_AES else "ZipCrypto"
                yield (diagnostic(ARCHIVE_ENCRYPTED, f"{e.name} is password-protected ({how}).", file=e.name))
            elif info.compress_type not in _SUPPORTED_METHODS:
                method = _METHOD_NAMES.get(info.compress_type, "unknown")
                hint = None
                if info.compress_type == 9:
                    hint = (
                        "Windows Explorer and 7-Zip write Deflate64 for large files; re-pack with plain "
                        "Deflate: `zip -r`, 7-Zip with `-mm=Deflate`, Python's ZIP_DEFLATED."
                    )
                yield (
                    diagnostic(
                        ARCHIVE_UNSUPPORTED_COMPRESSION,
                        f"{e.name} is compressed with method {info.compress_type} ({method}); "
                        "only Stored (0) and Deflate (8) are read.",
                        hint=hint,
                        file=e.name,
                    )
                )
            if info.file_size > cap:
                too_large = True
                yield (
                    diagnostic(
                        ARCHIVE_TOO_LARGE,
                        f"{e.name} declares {_size(info.file_size)} uncompressed; the cap is {_size(cap)}.",
                        file=e.name,
                    )
                )
            elif info.file_size >= RATIO_MIN_BYTES and info.file_size > ratio * max(info.compress_size, 1):
                yield (
                    diagnostic(
                        ARCHIVE_COMPRESSION_RATIO,
                        f"{e.name} declares {_size(info.file_size)} from {_size(info.compress_size)} "
                        f"compressed, a ratio of {info.file_size // max(info.compress_size, 1)}:1; "
                        f"the cap is {ratio}:1.",
                        file=e.name,
                    )
                )
        # Every entry counts, junk too: a bomb need not be named like data to fill a disk.
        total = sum(i.file_size for i in infos if not i.filename.endswith("/"))
        if total > cap and not too_large:
            yield (
                diagnostic(
                    ARCHIVE_TOO_LARGE,
                    f"The entries declare {_size(total)} uncompressed in total; the cap is {_size(cap)}.",
                )
            )

    def _layout(self, entries: list[_Entry]) -> Check[Layout | None]:
        by_name = {e.name: e.file for e in entries}
        roles = yield from assign_roles(list(by_name), self.account, sms_folder=self._sms_folder)
        if roles is None:
            return None

        def pick(name: str | None) -> DataFile | None:
            return by_name[name] if name is not None else None

        return Layout(roles.mode, pick(roles.contacts), pick(roles.template), pick(roles.plain))

    def _check_extents(self, zf: zipfile.ZipFile, layout: Layout) -> Iterator[Diagnostic]:
        """A data file's compressed bytes must end before the next entry starts.

        A compressed size that runs into the next entry is a lie: it is how overlapping zip bombs reuse
        one deflate stream, and how a header hides a ratio that the caps would reject. Newer Pythons'
        zipfile refuses such entries too; checking here gives every version the same verdict.
        """
        starts = sorted({i.header_offset for i in zf.infolist()} | {zf.start_dir})
        for f in layout.files:
            offset = f.info.header_offset
            header = self._read_at(offset, 30) if offset >= 0 else b""
            if len(header) < 30 or not header.startswith(b"PK\x03\x04"):
                continue  # opening the entry reports the missing header
            name_length, extra_length = struct.unpack_from("<HH", header, 26)
            data_start = offset + 30 + name_length + extra_length
            end = next((start for start in starts if start > offset), zf.start_dir)
            if data_start + f.compressed_size > end:
                yield (
                    diagnostic(
                        ARCHIVE_ENTRY_CORRUPT,
                        f"{f.name} declares {f.compressed_size} compressed bytes, but the next entry "
                        f"starts {end - data_start} bytes after its data begins: the sizes in its header are "
                        "false (overlapping entries are a zip-bomb technique).",
                        file=f.name,
                    )
                )

    def _check_headers(self, zf: zipfile.ZipFile, layout: Layout) -> Iterator[Diagnostic]:
        # zipfile reads by the central directory and never compares the local header's sizes; a
        # streaming reader goes by the local header.  Where they differ, the two read different data.
        mismatch = False  # SMS2xx errors: then the entries are not opened
        for f in layout.files:
            offset = f.info.header_offset
            header = self._read_at(offset, _LOCAL_HEADER.size) if offset >= 0 else b""
            if len(header) < _LOCAL_HEADER.size or not header.startswith(b"PK\x03\x04"):
                continue  # opening the entry reports the missing header
            flags, crc, compressed, size = (_LOCAL_HEADER.unpack(header)[i] for i in (2, 6, 7, 8))
            if flags & _FLAG_DATA_DESCRIPTOR:
                continue
            local = {"CRC-32": crc, "compressed size": compressed, "size": size}
            central = {"CRC-32": f.info.CRC, "compressed size": f.compressed_size, "size": f.size}
            differ = [k for k in local if local[k] != central[k] and not (k != "CRC-32" and local[k] == _ZIP64_SIZE)]
            if differ:
                mismatch = True
                shown = "; ".join(f"{k} {local[k]:,} there, {central[k]:,} in the directory" for k in differ)
                yield (
                    diagnostic(
                        ARCHIVE_LOCAL_HEADER_MISMATCH,
                        f"{f.name}'s local header contradicts the central directory: {shown}.",
                        file=f.name,
                    )
                )
        if mismatch:
            return
        # Opening reads the local header: a mismatch with the central directory shows now, not mid-stream.
        for f in layout.files:
            try:
                zf.open(f.info).close()
            except _ZIP_ERRORS as exc:
                yield _defect(f.name, exc)
