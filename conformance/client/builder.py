"""The reference client's archive builder: the same ``ArchiveSpec`` always gives the same bytes.

An ``ArchiveSpec`` says what a client's exporter writes: the archive's name,
the mode (Z3, C1, M1 or N1), the CSV text (encoding, BOM, line endings: Z4,
Z5, Q5), the entries' names (UTF-8 or cp866 without the UTF-8 flag, Q23), a
password (Z2) and named faults (``FAULTS``) for everything that goes wrong in
the field.  ``build_archive`` returns the bytes; ``build_archive_to`` streams a
large one to disk with bounded memory and a progress callback.

Determinism comes from ``zipwriter``: fixed entry times (2026-01-01 00:00),
fixed attributes, entries in a fixed order, Deflate at level 6, ZipCrypto
headers from a seeded generator.  Only a different zlib (such as zlib-ng)
could change the compressed bytes; the corpus records the zlib version.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, BinaryIO, Literal

from smsftp.conformance.client.zipwriter import (
    DEFLATED,
    DOS,
    STORED,
    SYMLINK_ATTR,
    UNIX,
    EntryRecord,
    NameEncoding,
    ZipWriter,
    copy_mangled,
    patch_field,
)

Progress = Callable[[int], None]  # called with the number of data rows written so far

FAULTS: dict[str, str] = {
    "truncate": "cut the archive at 60% of its length, as an interrupted upload leaves it (Q16, Q22)",
    "corrupt-crc": "the first data file's stored CRC-32 does not match its data (Q16)",
    "corrupt-data": "one byte in the middle of the first data file's compressed data is flipped (Q16)",
    "deflate64": "the data files are marked as compressed with Deflate64, method 9 (Q16)",
    "not-zip": "the file is the bare CSV, not a zip archive, under a .zip name (Z2)",
    "empty": "a 0-byte file (Q16)",
    "empty-zip": "a valid zip archive with no entries (Q16)",
    "encrypted": "every entry is encrypted with ZipCrypto, password 'secret' unless one is given (Z2)",
    "zip-slip": "an extra entry named 'sms/../../evil.csv' that climbs out of the archive",
    "absolute-name": "an extra entry with an absolute name '/tmp/evil.csv'",
    "symlink": "the first data file is a symbolic link to /etc/passwd instead of a file",
    "bomb": "the first data file is padded with 64 MiB of '0' (compression ratio about 1000:1, Q16)",
    "bomb-lying-size": "the first data file's headers claim about 4 GiB uncompressed (Q16)",
    "ascii-mangled": "what an ASCII-mode (TYPE A) upload leaves: entries stored, every CRLF made LF (Q27)",
    "macos-junk": "macOS Finder's '__MACOSX/sms/._<file>' and 'sms/.DS_Store' entries (Q23)",
    "thumbs-db": "a Windows 'sms/Thumbs.db' entry (Q23)",
    "extra-file": "an extra 'sms/readme.docx' entry that is neither data nor junk (Q23)",
    "mixed": "a template pair and a plain file in one archive (Q24)",
    "missing-contacts": "template mode without sms/contacts.csv (C1)",
    "missing-template": "template mode without sms/template.csv (M1)",
    "name-case": "the data files named 'Contacts.csv' and 'Template.csv' (C1)",
    "duplicate-entry": "the first data file appears twice (Q16)",
    "dir-entries": "a directory entry 'sms/' before the files, as 'zip -r' writes it",
}

DEFAULT_TEMPLATE: tuple[tuple[str, str], ...] = (
    ("message", "Уважаемый #attr1# #attr2#! Ваш заказ готов к выдаче."),
    ("sourceaddress", "TESTSMS"),
)
DEFAULT_PASSWORD = "secret"
_APPLEDOUBLE = bytes.fromhex("00051607000200004d6163204f5320582020202020202020") + bytes(58)
_PROGRESS_EVERY = 10_000


@dataclass(frozen=True)
class ArchiveSpec:
    """What one archive holds and how it is damaged; every field has a documented default."""

    login: str = "guest"
    stamp: str = "20261125120000"
    filename: str | None = None  # default f"{login}_{stamp}.zip"
    mode: Literal["template", "plain"] = "template"
    contacts_header: tuple[str, ...] = ("phone", "attr1", "attr2")
    contacts: tuple[tuple[str, ...], ...] = ()  # written verbatim: bad phones stay bad
    template: tuple[tuple[str, str], ...] | Mapping[str, str] = DEFAULT_TEMPLATE
    template_rows: int = 1  # M1/Q14: 0 or 2 for the faults
    plain_name: str = "list.txt"
    plain_header: str | None = "TELRN_LONG;TEXT"  # written verbatim; None: no header line (Q18)
    plain_rows: tuple[tuple[str, ...], ...] = ()
    encoding: str = "utf-8"
    bom: bool = False
    newline: str = "\r\n"
    folder: str = "sms"  # "" puts the files at the archive's root (Q4)
    name_encoding: NameEncoding = "utf-8"  # cp866: raw DOS names without the UTF-8 flag (Q23)
    extra_entries: tuple[tuple[str, bytes], ...] = ()
    password: str | None = None  # real ZipCrypto
    faults: tuple[str, ...] = ()
    # Raw bytes that replace a rendered file, for text no CSV writer produces (broken quoting).
    contacts_raw: bytes | None = None
    template_raw: bytes | None = None
    plain_raw: bytes | None = None
    method: Literal["deflate", "stored"] = "deflate"
    bomb_bytes: int = 64 * 1024 * 1024

    def __post_init__(self) -> None:
        if isinstance(self.template, Mapping):
            object.__setattr__(self, "template", tuple(self.template.items()))
        for name in ("contacts", "plain_rows", "extra_entries", "contacts_header", "faults"):
            value = getattr(self, name)
            if not isinstance(value, tuple):
                object.__setattr__(self, name, tuple(tuple(v) if isinstance(v, list) else v for v in value))
        unknown = [f for f in self.faults if f not in FAULTS]
        if unknown:
            raise ValueError(f"unknown fault(s) {unknown}; known: {', '.join(FAULTS)}")

    @property
    def name(self) -> str:
        return self.filename or f"{self.login}_{self.stamp}.zip"

    @property
    def template_items(self) -> tuple[tuple[str, str], ...]:
        t = self.template
        return tuple(t.items()) if isinstance(t, Mapping) else t

    def with_(self, **changes: Any) -> ArchiveSpec:
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        """The recipe as plain JSON (bytes as ``{"base64": ...}``), for the corpus's readers."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"base64": base64.b64encode(value).decode("ascii")}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


@dataclass(frozen=True)
class BuiltArchive:
    path: Path
    filename: str
    size: int
    sha256: str


def _csv_text(rows: Iterable[Sequence[str]], newline: str) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";", lineterminator=newline, quoting=csv.QUOTE_MINIMAL).writerows(rows)
    return buffer.getvalue()


def iter_csv(
    rows: Iterable[Sequence[str]],
    *,
    encoding: str = "utf-8",
    bom: bool = False,
    newline: str = "\r\n",
    head: str | None = None,
    header: Sequence[str] | None = None,
    progress: Progress | None = None,
    batch: int = 2000,
) -> Iterator[bytes]:
    """``;``-separated CSV as encoded chunks, minimal quoting.

    ``head`` is a verbatim first line, ``header`` a first row; neither counts as a data row for
    ``progress``.
    """
    if bom:
        yield "\ufeff".encode(encoding)
    if head is not None:
        yield (head + newline).encode(encoding)
    if header is not None:
        yield _csv_text([header], newline).encode(encoding)
    pending: list[Sequence[str]] = []
    done = 0
    for row in rows:
        pending.append(row)
        if len(pending) >= batch:
            yield _csv_text(pending, newline).encode(encoding)
            done += len(pending)
            pending.clear()
            if progress is not None and done % _PROGRESS_EVERY < batch:
                progress(done)
    if pending:
        yield _csv_text(pending, newline).encode(encoding)
        done += len(pending)
    if progress is not None:
        progress(done)


def write_csv(
    rows: Iterable[Sequence[str]], *, encoding: str = "utf-8", bom: bool = False, newline: str = "\r\n"
) -> bytes:
    """``;``-separated CSV bytes with minimal quoting (``csv.QUOTE_MINIMAL``)."""
    return b"".join(iter_csv(rows, encoding=encoding, bom=bom, newline=newline))


@dataclass
class _Entry:
    name: str
    data: bytes | Iterable[bytes]
    is_data: bool = True
    attr: int | None = None


@dataclass
class _Plan:
    entries: list[_Entry] = field(default_factory=list)

    def first_data(self) -> _Entry | None:
        return next((e for e in self.entries if e.is_data), None)


def _path(spec: ArchiveSpec, name: str) -> str:
    return f"{spec.folder}/{name}" if spec.folder else name


def _csv(
    spec: ArchiveSpec,
    rows: Iterable[Sequence[str]],
    *,
    head: str | None = None,
    header: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> Iterator[bytes]:
    return iter_csv(
        rows, encoding=spec.encoding, bom=spec.bom, newline=spec.newline, head=head, header=header, progress=progress
    )


def _template_rows(spec: ArchiveSpec, count: int) -> list[tuple[str, ...]]:
    items = spec.template_items
    return [tuple(k for k, _ in items)] + [tuple(v for _, v in items)] * count


def _plan(spec: ArchiveSpec, rows: Iterable[Sequence[str]] | None, progress: Progress | None) -> _Plan:
    faults = set(spec.faults)
    plan = _Plan()
    if "dir-entries" in faults and spec.folder:
        plan.entries.append(_Entry(spec.folder + "/", b"", is_data=False))
    contacts_name, template_name = (
        ("Contacts.csv", "Template.csv") if "name-case" in faults else ("contacts.csv", "template.csv")
    )
    own_rows = rows if rows is not None and spec.mode == "plain" else spec.plain_rows
    plain = _Entry(
        _path(spec, spec.plain_name),
        spec.plain_raw
        if spec.plain_raw is not None
        else _csv(spec, own_rows, head=spec.plain_header, progress=progress if spec.mode == "plain" else None),
    )
    if spec.mode == "template":
        contacts = (
            spec.contacts_raw
            if spec.contacts_raw is not None
            else _csv(spec, rows if rows is not None else spec.contacts, header=spec.contacts_header, progress=progress)
        )
        template = (
            spec.template_raw
            if spec.template_raw is not None
            else b"".join(_csv(spec, _template_rows(spec, spec.template_rows)))
        )
        if "missing-contacts" not in faults:
            plan.entries.append(_Entry(_path(spec, contacts_name), contacts))
        if "missing-template" not in faults:
            plan.entries.append(_Entry(_path(spec, template_name), template))
        if "mixed" in faults:
            plan.entries.append(plain)
    else:
        plan.entries.append(plain)
        if "mixed" in faults:
            plan.entries.append(
                _Entry(_path(spec, "contacts.csv"), b"".join(_csv(spec, [spec.contacts_header, *spec.contacts])))
            )
            template_bytes = b"".join(_csv(spec, _template_rows(spec, 1)))
            plan.entries.append(_Entry(_path(spec, "template.csv"), template_bytes))
    _entry_faults(spec, plan, faults)
    plan.entries.extend(_Entry(name, data, is_data=False) for name, data in spec.extra_entries)
    return plan


def _entry_faults(spec: ArchiveSpec, plan: _Plan, faults: set[str]) -> None:
    first = plan.first_data()
    if first is not None and "bomb" in faults:
        first.data = _padded(first.data, spec.bomb_bytes)
    if first is not None and "symlink" in faults:
        first.data, first.attr = b"/etc/passwd", SYMLINK_ATTR
    if first is not None and "duplicate-entry" in faults:
        first.data = _materialize(first.data)
        plan.entries.append(_Entry(first.name, first.data))
    base = first.name.rsplit("/", 1)[-1] if first else "contacts.csv"
    if "macos-junk" in faults:
        plan.entries.append(_Entry(f"__MACOSX/{_path(spec, '._' + base)}", _APPLEDOUBLE, is_data=False))
        plan.entries.append(_Entry(_path(spec, ".DS_Store"), b"\0\0\0\1Bud1" + bytes(22), is_data=False))
    if "thumbs-db" in faults:
        plan.entries.append(
            _Entry(_path(spec, "Thumbs.db"), bytes.fromhex("d0cf11e0a1b11ae1") + bytes(24), is_data=False)
        )
    if "extra-file" in faults:
        plan.entries.append(_Entry(_path(spec, "readme.docx"), b"PK\3\4 not a campaign", is_data=False))
    if "zip-slip" in faults:
        plan.entries.append(_Entry(_path(spec, "../../evil.csv"), b"phone\r\n", is_data=False))
    if "absolute-name" in faults:
        plan.entries.append(_Entry("/tmp/evil.csv", b"phone\r\n", is_data=False))


def _materialize(data: bytes | Iterable[bytes]) -> bytes:
    return data if isinstance(data, bytes) else b"".join(data)


def _chunks(data: bytes | Iterable[bytes]) -> Iterable[bytes]:
    return (data,) if isinstance(data, bytes) else data


def _padded(data: bytes | Iterable[bytes], extra: int) -> Iterator[bytes]:
    yield from _chunks(data)
    block = b"0" * (1 << 20)
    for start in range(0, extra, len(block)):
        yield block[: min(len(block), extra - start)]


def _write_zip(
    spec: ArchiveSpec, out: BinaryIO, rows: Iterable[Sequence[str]] | None, progress: Progress | None
) -> None:
    """Write the archive of ``spec`` into the seekable ``out``, with every fault but ASCII mangling."""
    faults = set(spec.faults)
    plan = _plan(spec, rows, progress)
    if "empty" in faults:
        return
    if "not-zip" in faults:
        first = plan.first_data()
        if first is not None:
            for chunk in _chunks(first.data):
                out.write(chunk)
        return
    writer = ZipWriter(out)
    password = spec.password or (DEFAULT_PASSWORD if "encrypted" in faults else None)
    stored = spec.method == "stored" or "ascii-mangled" in faults
    if "empty-zip" not in faults:
        for entry in plan.entries:
            is_dir = entry.name.endswith("/")
            writer.add(
                entry.name,
                entry.data,
                method=STORED if stored or is_dir else DEFLATED,
                password=password if not is_dir else None,
                name_encoding=spec.name_encoding,
                create_system=_host(spec, entry)[0],
                external_attr=_host(spec, entry)[1],
            )
    records = writer.close()
    data_records = [r for r, e in zip(records, plan.entries, strict=False) if e.is_data]
    _byte_faults(out, faults, data_records if "empty-zip" not in faults else [])


def _host(spec: ArchiveSpec, entry: _Entry) -> tuple[int, int | None]:
    """Host system and attributes as the tool that writes such names: Windows (DOS) for cp866 names."""
    if spec.name_encoding == "cp866" and entry.attr is None:
        return DOS, 0x10 if entry.name.endswith("/") else 0x20
    return UNIX, entry.attr


def _byte_faults(out: BinaryIO, faults: set[str], data_records: list[EntryRecord]) -> None:
    first = data_records[0] if data_records else None
    if first is not None and "corrupt-crc" in faults:
        patch_field(out, first, "crc", first.crc ^ 0x00010001)
    if first is not None and "corrupt-data" in faults:
        out.seek(first.data_offset + first.compressed_size // 2)
        byte = out.read(1)
        out.seek(-1, 1)
        out.write(bytes([byte[0] ^ 0xFF]))
        out.seek(0, 2)
    if "deflate64" in faults:
        for record in data_records:
            patch_field(out, record, "method", 9)
    if first is not None and "bomb-lying-size" in faults:
        patch_field(out, first, "size", 0xFFFFFFF0)
    if "truncate" in faults:
        out.truncate(out.seek(0, 2) * 6 // 10)


def build_archive(spec: ArchiveSpec) -> tuple[str, bytes]:
    """The archive's file name and bytes; the same spec gives the same bytes."""
    buffer = io.BytesIO()
    _write_zip(spec, buffer, None, None)
    data = buffer.getvalue()
    if "ascii-mangled" in spec.faults:
        data = ascii_mangle(data)
    return spec.name, data


def build_archive_to(
    spec: ArchiveSpec,
    path: str | os.PathLike[str],
    *,
    rows_iter: Iterable[Sequence[str]] | None = None,
    progress: Progress | None = None,
) -> BuiltArchive:
    """Stream the archive to ``path`` (a file, or a directory to put ``spec.name`` in).

    ``rows_iter`` supplies the contacts (template mode) or the plain rows
    instead of the spec's tuples, lazily: memory stays flat for a million rows.
    The file appears complete or not at all (written aside, then renamed).
    """
    target = Path(path)
    if target.is_dir():
        target = target / spec.name
    partial = target.with_name(target.name + ".building")
    try:
        with open(partial, "w+b") as out:
            _write_zip(spec, out, rows_iter, progress)
        if "ascii-mangled" in spec.faults:
            with open(partial, "rb") as src, open(target, "wb") as dst:
                copy_mangled(src, dst)
            partial.unlink()
        else:
            os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    digest = hashlib.sha256()
    with open(target, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return BuiltArchive(target, target.name, target.stat().st_size, digest.hexdigest())


def ascii_mangle(data: bytes) -> bytes:
    """``data`` as an FTP server on POSIX stores it after a TYPE A upload (see ``zipwriter.copy_mangled``)."""
    mangled = data.replace(b"\r\n", b"\n")
    return mangled[:-1] if mangled.endswith(b"\r") else mangled
