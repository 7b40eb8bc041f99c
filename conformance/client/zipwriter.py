"""A minimal, deterministic zip writer: every byte of the output is decided here.

``zipfile`` is a fine writer, but its output may change between Python
versions, it cannot encrypt, it always flags non-ASCII names as UTF-8 (a
Windows zip with cp866 names has no flag), and it gives no handle on where each
header sits, which fault injection needs.  This writer produces the classic
format (local headers, central directory, end record; no zip64, no extra
fields), with fixed times and attributes, so the same entries always give the
same bytes on any Python the project supports.

Data can be given as bytes or as an iterable of chunks.  Chunks are compressed
into a spooled temporary file first, so that the local header carries the real
CRC and sizes up front exactly as in the bytes case (no data descriptor), and
memory stays bounded for archives of a million rows.
"""

from __future__ import annotations

import shutil
import struct
import tempfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, BinaryIO, Literal

from smsftp.conformance.client.zipcrypto import HEADER_SIZE, encrypt_stream

STORED, DEFLATED = 0, 8
UNIX, DOS = 3, 0
FLAG_ENCRYPTED, FLAG_UTF8 = 0x1, 0x800
FILE_ATTR = 0o100644 << 16
DIR_ATTR = (0o040755 << 16) | 0x10  # the MS-DOS directory bit as well, as Info-ZIP writes it
SYMLINK_ATTR = 0o120777 << 16
DEFAULT_DATE_TIME = (2026, 1, 1, 0, 0, 0)
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_SPOOL_LIMIT = 8 * 1024 * 1024
_VERSION = 20  # 2.0: deflate and traditional encryption

NameEncoding = Literal["utf-8", "cp866"]


@dataclass
class EntryRecord:
    """Where one entry sits in the output, so faults can patch its headers afterwards."""

    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compressed_size: int  # including the 12-byte encryption header
    size: int
    header_offset: int
    external_attr: int
    create_system: int
    central_offset: int = -1  # known once the central directory is written

    @property
    def data_offset(self) -> int:
        return self.header_offset + _LOCAL.size + len(self.raw_name)


def dos_date_time(date_time: tuple[int, int, int, int, int, int]) -> tuple[int, int]:
    year, month, day, hour, minute, second = date_time
    return (year - 1980) << 9 | month << 5 | day, hour << 11 | minute << 5 | second // 2


def encode_name(name: str, encoding: NameEncoding) -> tuple[bytes, int]:
    """The name's bytes and flag bits: UTF-8 flagged only when non-ASCII, as zip and zipfile do."""
    if name.isascii():
        return name.encode("ascii"), 0
    if encoding == "cp866":
        return name.encode("cp866"), 0
    return name.encode("utf-8"), FLAG_UTF8


@dataclass
class ZipWriter:
    """Write entries to ``out`` in the order given; ``close()`` writes the central directory."""

    out: BinaryIO
    date_time: tuple[int, int, int, int, int, int] = DEFAULT_DATE_TIME
    level: int = 6
    records: list[EntryRecord] = field(default_factory=list)
    _offset: int = 0
    _closed: bool = False

    def _write(self, data: bytes) -> None:
        self.out.write(data)
        self._offset += len(data)

    def add(
        self,
        name: str,
        data: bytes | Iterable[bytes],
        *,
        method: int = DEFLATED,
        password: str | None = None,
        name_encoding: NameEncoding = "utf-8",
        external_attr: int | None = None,
        create_system: int = UNIX,
    ) -> EntryRecord:
        raw_name, flags = encode_name(name, name_encoding)
        if external_attr is None:
            external_attr = DIR_ATTR if name.endswith("/") else FILE_ATTR
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_LIMIT) as spool:
            crc, size = self._compress(data, method, spool)
            compressed = spool.tell()
            spool.seek(0)
            chunks: Iterable[bytes] = iter(lambda: spool.read(1 << 20), b"")
            if password is not None:
                flags |= FLAG_ENCRYPTED
                chunks = encrypt_stream(password.encode("utf-8"), raw_name, crc >> 24, chunks)
                compressed += HEADER_SIZE
            if max(size, compressed, self._offset) >= 0xFFFFFFFF:
                raise ValueError(f"{name}: 4 GiB or more needs zip64, which this writer does not write")
            record = EntryRecord(
                name, raw_name, flags, method, crc, compressed, size, self._offset, external_attr, create_system
            )
            date, time = dos_date_time(self.date_time)
            self._write(
                _LOCAL.pack(0x04034B50, _VERSION, flags, method, time, date, crc, compressed, size, len(raw_name), 0)
                + raw_name
            )
            for chunk in chunks:
                self._write(chunk)
        self.records.append(record)
        return record

    def _compress(self, data: bytes | Iterable[bytes], method: int, spool: IO[bytes]) -> tuple[int, int]:
        pieces: Iterable[bytes] = (data,) if isinstance(data, bytes | bytearray) else data
        crc, size = 0, 0
        compressor = zlib.compressobj(self.level, zlib.DEFLATED, -15) if method == DEFLATED else None
        for piece in pieces:
            crc = zlib.crc32(piece, crc)
            size += len(piece)
            spool.write(compressor.compress(piece) if compressor else piece)
        if compressor:
            spool.write(compressor.flush())
        return crc, size

    def close(self) -> list[EntryRecord]:
        if self._closed:
            return self.records
        start = self._offset
        date, time = dos_date_time(self.date_time)
        for r in self.records:
            r.central_offset = self._offset
            self._write(
                _CENTRAL.pack(
                    0x02014B50,
                    r.create_system << 8 | _VERSION,
                    _VERSION,
                    r.flags,
                    r.method,
                    time,
                    date,
                    r.crc,
                    r.compressed_size,
                    r.size,
                    len(r.raw_name),
                    0,
                    0,
                    0,
                    0,
                    r.external_attr,
                    r.header_offset,
                )
                + r.raw_name
            )
        count = len(self.records)
        self._write(_END.pack(0x06054B50, 0, 0, count, count, self._offset - start, start, 0))
        self._closed = True
        return self.records


# Offsets of header fields, for faults that patch a written archive in place.
LOCAL_FIELDS = {"method": 8, "crc": 14, "compressed_size": 18, "size": 22}
CENTRAL_FIELDS = {"method": 10, "crc": 16, "compressed_size": 20, "size": 24}


def patch_field(out: BinaryIO, record: EntryRecord, name: str, value: int) -> None:
    """Overwrite one header field of ``record`` in both its local and its central header."""
    width = "<H" if name == "method" else "<I"
    for base, fields in ((record.header_offset, LOCAL_FIELDS), (record.central_offset, CENTRAL_FIELDS)):
        out.seek(base + fields[name])
        out.write(struct.pack(width, value))
    out.seek(0, 2)


def copy_mangled(src: BinaryIO, dst: BinaryIO) -> None:
    """Copy ``src`` to ``dst`` as an FTP server in ASCII mode stores it (Q27).

    pyftpdlib on POSIX turns every CRLF into LF, also across chunk boundaries,
    and drops a CR that ends the transfer; real servers do the same or worse.
    """
    shutil.copyfileobj(_MangledReader(src), dst)


class _MangledReader:
    def __init__(self, src: BinaryIO) -> None:
        self._chunks: Iterator[bytes] = iter(lambda: src.read(1 << 20), b"")
        self._had_cr = False

    def read(self, size: int = -1) -> bytes:
        for chunk in self._chunks:
            if self._had_cr:
                chunk = b"\r" + chunk
            self._had_cr = chunk.endswith(b"\r")
            if self._had_cr:
                chunk = chunk[:-1]
            out = chunk.replace(b"\r\n", b"\n")
            if out:
                return out
        return b""
