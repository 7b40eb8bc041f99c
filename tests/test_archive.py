"""The zip container (Z2, Z3, Q4, Q16, Q21, Q23, Q24, N1, C1, M1).

Archives are built at test time: by real tools (Info-ZIP `zip`, 7-Zip) where they
are installed, and by zipfile with raw bytes where a tool we cannot run here
(macOS Finder, Windows Explorer) writes something particular.
"""

from __future__ import annotations

import csv
import io
import os
import random
import shutil
import stat
import struct
import subprocess
import time
import tracemalloc
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.archive import DataFile, Layout, ZipArchive
from smsftp.simulator.rules.diagnostics import Diagnostic, Severity, collect

CONTACTS = "phone;attr1\r\n79031234567;Иван\r\n79037654321;Пётр\r\n".encode()
TEMPLATE = b"message;sourceaddress\r\nHello #attr1#;TESTSMS\r\n"
PLAIN = "TELRN_LONG;TEXT\n79031234567;Привет\n".encode()
PAIR = {"sms/contacts.csv": CONTACTS, "sms/template.csv": TEMPLATE}
MiB = 1 << 20

needs_zip = pytest.mark.skipif(shutil.which("zip") is None, reason="Info-ZIP zip is not installed")
needs_7z = pytest.mark.skipif(shutil.which("7z") is None, reason="7-Zip is not installed")


def account(mode: str = "auto", **settings: int) -> Account:
    return Account(login="guest", mode=mode, senders=("TESTSMS",), **settings)  # type: ignore[arg-type]


def build(entries: dict[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w", method) as zf:
        warnings.simplefilter("ignore")  # duplicate names are a case we build on purpose
        for name, data in entries.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def inspect(source: bytes | str | Path, acc: Account | None = None) -> tuple[Layout | None, list[Diagnostic]]:
    with ZipArchive(source, acc or account()) as archive:
        return collect(archive.inspect())


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def errors(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics if d.severity is Severity.ERROR]


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, [(d.code, d.message) for d in diagnostics]
    return found[0]


def read_all(source: bytes | str | Path, acc: Account | None = None) -> dict[str, bytes]:
    with ZipArchive(source, acc or account()) as archive:
        layout, problems = collect(archive.inspect())
        assert layout is not None, [(d.code, d.message) for d in problems]
        out = {}
        for f in layout.files:
            with archive.open(f) as stream:
                out[f.name] = stream.read()
        return out


def run(tmp_path: Path, *argv: str, cwd: Path | None = None) -> None:
    subprocess.run(argv, cwd=cwd or tmp_path, check=True, capture_output=True, timeout=60)


def folder(tmp_path: Path, files: dict[str, bytes]) -> Path:
    for name, data in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return tmp_path


def entries_of(data: bytes) -> Iterator[tuple[int, int, str]]:
    """(central directory offset, local header offset, name) of every entry."""
    eocd = data.rindex(b"PK\x05\x06")
    count, _, cd_offset = struct.unpack_from("<HII", data, eocd + 10)
    pos = cd_offset
    for _ in range(count):
        name_len, extra_len, comment_len = struct.unpack_from("<HHH", data, pos + 28)
        (local,) = struct.unpack_from("<I", data, pos + 42)
        yield pos, local, data[pos + 46 : pos + 46 + name_len].decode("cp437")
        pos += 46 + name_len + extra_len + comment_len


def patch(
    data: bytes, name: str, *, method: int | None = None, compressed: int | None = None, size: int | None = None
) -> bytes:
    """Rewrite header fields of one entry in both the local header and the central directory."""
    out = bytearray(data)
    for cd, local, entry in entries_of(data):
        if entry != name:
            continue
        for base, m, c, u in ((cd, 10, 20, 24), (local, 8, 18, 22)):
            if method is not None:
                struct.pack_into("<H", out, base + m, method)
            if compressed is not None:
                struct.pack_into("<I", out, base + c, compressed)
            if size is not None:
                struct.pack_into("<I", out, base + u, size)
    return bytes(out)


# --- good archives, by real tools and by zipfile ---------------------------------------------


@needs_zip
def test_z3_c1_m1_zip_r_of_the_sms_folder_is_a_template_archive(tmp_path: Path) -> None:
    folder(tmp_path, PAIR)
    run(tmp_path, "zip", "-r", "a.zip", "sms")
    layout, problems = inspect(tmp_path / "a.zip")
    assert problems == []
    assert layout is not None and layout.mode == "template"
    assert layout.contacts is not None and layout.contacts.name == "sms/contacts.csv"
    assert layout.template is not None and layout.template.size == len(TEMPLATE)
    assert read_all(tmp_path / "a.zip") == PAIR


@needs_7z
def test_z2_7z_default_deflate_is_read(tmp_path: Path) -> None:
    folder(tmp_path, PAIR)
    run(tmp_path, "7z", "a", "-tzip", "a.zip", "sms")
    assert read_all(tmp_path / "a.zip") == PAIR


def test_n1_one_plain_file_is_a_plain_archive() -> None:
    for name in ("sms/list.txt", "sms/list.csv", "sms/LIST.CSV", "sms/contacts_2026.csv"):
        layout, problems = inspect(build({name: PLAIN}))
        assert problems == [], name
        assert layout is not None and layout.mode == "plain"
        assert layout.plain is not None and layout.plain.name == name
        assert layout.contacts is None and layout.template is None


def test_z2_stored_and_deflated_entries_stream_the_same_bytes() -> None:
    for method in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        assert read_all(build(PAIR, method)) == PAIR


def test_z2_sources_bytes_path_and_file_objects(tmp_path: Path) -> None:
    data = build(PAIR)
    (tmp_path / "a.zip").write_bytes(data)

    class Pipe(io.RawIOBase):  # a stream that cannot seek, like a socket
        def __init__(self) -> None:
            self._inner = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b: memoryview) -> int:  # type: ignore[override]
            chunk = self._inner.read(min(len(b), 1000))
            b[: len(chunk)] = chunk
            return len(chunk)

    for source in (
        data,
        bytearray(data),
        str(tmp_path / "a.zip"),
        tmp_path / "a.zip",
        io.BytesIO(data),
        open(tmp_path / "a.zip", "rb"),  # noqa: SIM115 - ZipArchive closes what it is given
        Pipe(),
    ):
        with ZipArchive(source, account()) as archive:  # type: ignore[arg-type]
            layout, problems = collect(archive.inspect())
            assert layout is not None and problems == []
            assert layout.contacts is not None
            assert archive.open(layout.contacts).read() == CONTACTS
        if isinstance(source, io.IOBase):
            source.close()


def test_z2_stream_works_with_text_and_csv_readers() -> None:
    with ZipArchive(build(PAIR), account()) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.contacts is not None
        text = io.TextIOWrapper(archive.open(layout.contacts), encoding="utf-8", newline="")
        rows = list(csv.reader(text, delimiter=";"))
    assert rows == [["phone", "attr1"], ["79031234567", "Иван"], ["79037654321", "Пётр"]]


def test_z2_inspect_is_repeatable_and_open_needs_inspect() -> None:
    archive = ZipArchive(build(PAIR), account())
    f = DataFile("sms/contacts.csv", 1, 1, zipfile.ZipInfo("sms/contacts.csv"))
    with pytest.raises(RuntimeError, match="inspect"):
        archive.open(f)
    first = collect(archive.inspect())
    assert collect(archive.inspect()) == first
    archive.close()
    archive.close()


# --- Q16: not a zip, empty, truncated, encrypted, methods, corrupt ------------------------------


def test_q16_zero_bytes_is_sms202() -> None:
    layout, problems = inspect(b"")
    assert layout is None and codes(problems) == ["SMS202"]
    assert "0 bytes" in problems[0].message


def test_q16_zip_without_entries_is_sms202() -> None:
    layout, problems = inspect(build({}))
    assert layout is None and codes(problems) == ["SMS202"]
    assert "no entries" in problems[0].message


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (CONTACTS, "CSV text file"),
        (b"Rar!\x1a\x07\x01\x00" + b"\x00" * 40, "RAR archive"),
        (b"7z\xbc\xaf\x27\x1c" + b"\x00" * 40, "7z archive"),
        (b"\x1f\x8b\x08\x00" + b"\x00" * 40, "gzip"),
        (b"\x00\x01\x02\x03\xff\xfe" * 10, "00 01 02 03"),
    ],
)
def test_q16_not_a_zip_is_sms201_naming_what_it_is(data: bytes, what: str) -> None:
    layout, problems = inspect(data)
    assert layout is None
    assert what in only(problems, "SMS201").message


@needs_zip
def test_q16_renamed_csv_is_sms201(tmp_path: Path) -> None:
    shutil.copy(folder(tmp_path, PAIR) / "sms" / "contacts.csv", tmp_path / "guest_20261125120000.zip")
    _, problems = inspect(tmp_path / "guest_20261125120000.zip")
    assert codes(problems) == ["SMS201"] and "renamed" in problems[0].message


@needs_zip
@pytest.mark.parametrize("fraction", [0.6, 0.95])
def test_q16_truncated_real_zip_is_sms203(tmp_path: Path, fraction: float) -> None:
    folder(tmp_path, PAIR)
    run(tmp_path, "zip", "-r", "a.zip", "sms")
    data = (tmp_path / "a.zip").read_bytes()
    cut = data[: int(len(data) * fraction)]
    layout, problems = inspect(cut)
    assert layout is None and codes(problems) == ["SMS203"]
    assert f"after {len(cut)} bytes" in problems[0].message


def test_q16_truncated_to_a_few_bytes_is_sms203() -> None:
    assert codes(inspect(b"PK\x03")[1]) == ["SMS203"]


@needs_zip
def test_z2_zip_p_password_is_sms204(tmp_path: Path) -> None:
    folder(tmp_path, PAIR)
    run(tmp_path, "zip", "-r", "-P", "secret", "a.zip", "sms")
    layout, problems = inspect(tmp_path / "a.zip")
    assert layout is None
    assert errors(problems) == ["SMS204", "SMS204"]
    assert {d.file for d in problems} == {"sms/contacts.csv", "sms/template.csv"}
    assert all("password" in d.message and "zip -P" in d.hint for d in problems)


@needs_7z
def test_q16_7z_deflate64_is_sms205(tmp_path: Path) -> None:
    big = b"phone;attr1\n" + b"".join(b"7903%07d;name %d\n" % (i, i) for i in range(3000))
    folder(tmp_path, {"sms/contacts.csv": big, "sms/template.csv": TEMPLATE})
    run(tmp_path, "7z", "a", "-tzip", "-mm=Deflate64", "a.zip", "sms")
    layout, problems = inspect(tmp_path / "a.zip")
    assert layout is None
    d = only(problems, "SMS205")
    assert d.file == "sms/contacts.csv" and "method 9 (Deflate64)" in d.message
    assert "Deflate64" in d.hint


@pytest.mark.parametrize(("method", "label"), [(9, "Deflate64"), (14, "LZMA"), (12, "bzip2"), (93, "Zstandard")])
def test_q16_unsupported_methods_are_sms205(method: int, label: str) -> None:
    data = patch(build(PAIR), "sms/template.csv", method=method)
    layout, problems = inspect(data)
    assert layout is None
    d = only(problems, "SMS205")
    assert d.file == "sms/template.csv" and f"method {method} ({label})" in d.message


def test_q16_python_lzma_entry_is_sms205_although_zipfile_could_read_it() -> None:
    _, problems = inspect(build(PAIR, zipfile.ZIP_LZMA))
    assert errors(problems) == ["SMS205", "SMS205"]


def test_q16_crc_mismatch_ends_the_stream_with_a_defect() -> None:
    data = bytearray(build(PAIR, zipfile.ZIP_STORED))
    data[data.index(b"79037654321")] ^= 0x01  # one flipped bit inside contacts.csv's data
    with ZipArchive(bytes(data), account()) as archive:
        layout, problems = collect(archive.inspect())
        assert layout is not None and layout.contacts is not None and problems == []
        stream = archive.open(layout.contacts)
        assert not archive.halted()
        stream.read()
        assert archive.halted()
        assert stream.read() == b""  # it stays broken, and is reported once
        [d] = archive.defects()
    assert d.code == "SMS206" and d.file == "sms/contacts.csv" and "CRC-32" in d.message
    assert "TYPE I" in d.hint


def test_q16_damaged_deflate_data_raises_sms206() -> None:
    big = b"".join(b"7903%07d;%d\n" % (i, i * 7919 % 1000) for i in range(5000))
    data = bytearray(build({"sms/list.csv": big}))
    _, local, _ = next(entries_of(bytes(data)))
    for i in range(local + 60, local + 400):
        data[i] ^= 0x5A
    with ZipArchive(bytes(data), account()) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        archive.open(layout.plain).read()
        assert [d.code for d in archive.defects()] == ["SMS206"]


def test_q16_defect_reaches_past_a_text_reader() -> None:
    data = bytearray(build({"sms/list.txt": PLAIN}, zipfile.ZIP_STORED))
    data[data.index(b"79031234567")] ^= 0x02
    with ZipArchive(bytes(data), account()) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        text = io.TextIOWrapper(archive.open(layout.plain), encoding="utf-8")
        text.read()
        assert archive.halted() and [d.code for d in archive.defects()] == ["SMS206"]


def test_q16_compressed_size_running_past_the_end_of_the_file_is_sms206() -> None:
    data = build({"sms/list.txt": PLAIN}, zipfile.ZIP_STORED)
    lying = patch(data, "sms/list.txt", compressed=len(data) + 500, size=len(data) + 500)
    layout, problems = inspect(lying)
    assert layout is None
    d = only(problems, "SMS206")
    assert d.file == "sms/list.txt" and "the next entry starts" in d.message


def test_q16_local_header_not_where_directory_says_is_sms206_at_inspect() -> None:
    data = bytearray(build(PAIR))
    _, local, _ = next(entries_of(bytes(data)))
    data[local : local + 4] = b"XXXX"
    layout, problems = inspect(bytes(data))
    assert layout is None
    assert only(problems, "SMS206").file == "sms/contacts.csv"


def test_q16_damaged_central_directory_is_sms206() -> None:
    data = bytearray(build(PAIR))
    cd, _, _ = next(entries_of(bytes(data)))
    data[cd : cd + 4] = b"XXXX"
    layout, problems = inspect(bytes(data))
    assert layout is None and codes(problems) == ["SMS206"]
    assert "central directory" in problems[0].message


@needs_zip
def test_q27_ascii_mode_upload_is_rejected_not_crashed(tmp_path: Path) -> None:
    big = b"".join(b"7903%07d;%d\n" % (i, i * 7919 % 1000) for i in range(3000))
    folder(tmp_path, {"sms/contacts.csv": big, "sms/template.csv": TEMPLATE})
    run(tmp_path, "zip", "-r", "a.zip", "sms")
    data = (tmp_path / "a.zip").read_bytes()
    for mangled in (data.replace(b"\r\n", b"\n"), data.replace(b"\n", b"\r\n")):
        assert mangled != data
        with ZipArchive(mangled, account()) as archive:
            layout, problems = collect(archive.inspect())
            if layout is not None:  # the directory survived: the damage shows in the data
                for f in layout.files:
                    archive.open(f).read()
                assert archive.halted() and list(archive.defects())
            else:
                assert set(errors(problems)) == {"SMS206"}
                assert any("shifted" in d.message or "central directory" in d.message for d in problems)


# --- Q23: names, junk, extra files --------------------------------------------------------------


def finder_zip() -> bytes:
    """The entries macOS Finder's 'Compress "sms"' writes: AppleDouble files under __MACOSX/."""
    apple_double = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + b"\x00" * 60
    return build(
        {
            "sms/": b"",
            "sms/contacts.csv": CONTACTS,
            "sms/.DS_Store": b"\x00\x00\x00\x01Bud1" * 100,
            "__MACOSX/": b"",
            "__MACOSX/sms/": b"",
            "__MACOSX/sms/._contacts.csv": apple_double,
            "sms/template.csv": TEMPLATE,
            "__MACOSX/sms/._template.csv": apple_double,
        }
    )


def test_q23_macos_finder_zip_ignores_junk_with_sms208() -> None:
    layout, problems = inspect(finder_zip())
    assert layout is not None and layout.mode == "template"
    assert errors(problems) == []
    assert codes(problems) == ["SMS208", "SMS208"]
    macosx = next(d for d in problems if "__MACOSX" in d.message)
    assert "2 entries" in macosx.message and macosx.file == "__MACOSX/sms/._contacts.csv"
    assert set(layout.ignored) == {"sms/.DS_Store", "__MACOSX/sms/._contacts.csv", "__MACOSX/sms/._template.csv"}
    assert read_all(finder_zip()) == PAIR


@needs_zip
def test_q23_zip_r_of_a_folder_with_ds_store_and_thumbs_db(tmp_path: Path) -> None:
    folder(tmp_path, {**PAIR, "sms/.DS_Store": b"Bud1", "sms/Thumbs.db": b"\xd0\xcf\x11\xe0"})
    run(tmp_path, "zip", "-r", "a.zip", "sms")
    layout, problems = inspect(tmp_path / "a.zip")
    assert layout is not None and errors(problems) == []
    assert sorted(d.file or "" for d in problems) == ["sms/.DS_Store", "sms/Thumbs.db"]
    assert codes(problems) == ["SMS208", "SMS208"]


def cp866_zip(entries: dict[str, bytes]) -> bytes:
    """Names as Windows tools write them: cp866 bytes, no UTF-8 flag.

    zipfile flags every non-ASCII name as UTF-8 when writing, so each entry is
    written under an ASCII placeholder of the same length and the name bytes
    are then replaced in the local header and the central directory.
    """
    buffer = io.BytesIO()
    raw_names = {}
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, (name, data) in enumerate(entries.items()):
            raw = name.encode("cp866")
            placeholder = f"{i:04d}".encode().ljust(len(raw), b"#")
            raw_names[placeholder] = raw
            zf.writestr(placeholder.decode(), data)
    data = buffer.getvalue()
    for placeholder, raw in raw_names.items():
        assert data.count(placeholder) == 2
        data = data.replace(placeholder, raw)
    return data


def test_q23_windows_cp866_names_are_decoded_with_sms216() -> None:
    data = cp866_zip({"sms/": b"", "sms/рассылка.txt": PLAIN})
    assert all(not i.flag_bits & 0x800 for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    layout, problems = inspect(data)
    assert layout is not None and layout.plain is not None
    assert layout.plain.name == "sms/рассылка.txt"
    d = only(problems, "SMS216")
    assert d.severity is Severity.INFO and d.file == "sms/рассылка.txt" and "cp866" in d.message
    assert read_all(data) == {"sms/рассылка.txt": PLAIN}


def test_q23_windows_cp866_folder_name_is_decoded_for_the_diagnostic() -> None:
    _, problems = inspect(cp866_zip({"Рассылка/sms/contacts.csv": CONTACTS, "Рассылка/sms/template.csv": TEMPLATE}))
    misplaced = [d for d in problems if d.code == "SMS207"]
    assert len(misplaced) == 2 and all("`Рассылка/sms/`" in d.message for d in misplaced)


@needs_zip
def test_q23_info_zip_utf8_names_without_flag(tmp_path: Path) -> None:
    folder(tmp_path, {"sms/рассылка.txt": PLAIN})
    subprocess.run(
        ["zip", "-r", "a.zip", "sms"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={**os.environ, "LC_ALL": "C.UTF-8"},
    )
    layout, problems = inspect(tmp_path / "a.zip")
    assert problems == []
    assert layout is not None and layout.plain is not None and layout.plain.name == "sms/рассылка.txt"


def test_q23_utf8_flagged_names() -> None:
    layout, problems = inspect(build({"sms/рассылка.csv": PLAIN}))
    assert problems == [] and layout is not None and layout.plain is not None
    assert layout.plain.name == "sms/рассылка.csv"


@pytest.mark.parametrize(
    ("extra", "in_hint"),
    [
        ("sms/readme.docx", None),
        ("sms/list.xlsx", "Save the spreadsheet"),
        ("sms/old/list.csv", "subfolder"),
        ("notes.txt", None),
    ],
)
def test_q23_extra_file_is_sms209(extra: str, in_hint: str | None) -> None:
    layout, problems = inspect(build({**PAIR, extra: b"x"}))
    assert layout is None
    d = only(problems, "SMS209")
    assert d.file == extra and extra in d.message
    if in_hint:
        assert in_hint in d.hint


def test_z3_directory_entries_are_silent() -> None:
    layout, problems = inspect(build({"sms/": b"", **PAIR}))
    assert layout is not None and problems == []


# --- Q4 / Z3: placement -----------------------------------------------------------------------


@needs_zip
def test_q4_zip_of_the_folders_content_is_sms207(tmp_path: Path) -> None:
    folder(tmp_path, PAIR)
    run(tmp_path, "zip", str(tmp_path / "a.zip"), "contacts.csv", "template.csv", cwd=tmp_path / "sms")
    layout, problems = inspect(tmp_path / "a.zip")
    assert layout is None
    assert codes(problems) == ["SMS207", "SMS207"]  # and no SMS215 on top: one cause, one code
    assert all("Zip the folder, not its content" in d.hint for d in problems)
    assert {d.file for d in problems} == {"contacts.csv", "template.csv"}


@pytest.mark.parametrize(
    ("name", "in_message", "in_hint"),
    [
        ("export/sms/list.csv", "`export/sms/`", "`export`"),
        ("SMS/list.csv", "`SMS/`", "Rename the folder"),
        ("data/list.csv", "`data/`", "named `sms`"),
    ],
)
def test_q4_data_outside_sms_is_sms207(name: str, in_message: str, in_hint: str) -> None:
    layout, problems = inspect(build({name: PLAIN}))
    assert layout is None
    d = only(problems, "SMS207")
    assert in_message in d.message and in_hint in d.hint and d.file == name


# --- Z3: zip-slip, links, duplicates --------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["../evil.csv", "/etc/cron.d/x", "C:\\Windows\\x.csv", "sms\\contacts.csv", "sms/../../x.csv"]
)
def test_z3_zip_slip_names_are_sms210(name: str) -> None:
    layout, problems = inspect(build({**PAIR, name: b"x"}))
    assert layout is None
    d = only(problems, "SMS210")
    assert d.file == name and repr(name) in d.message


@needs_zip
def test_z3_zip_y_symlink_is_sms211(tmp_path: Path) -> None:
    folder(tmp_path, {"sms/template.csv": TEMPLATE})
    (tmp_path / "sms" / "contacts.csv").symlink_to("/etc/passwd")
    run(tmp_path, "zip", "-r", "-y", "a.zip", "sms")
    layout, problems = inspect(tmp_path / "a.zip")
    assert layout is None
    d = only(problems, "SMS211")
    assert d.file == "sms/contacts.csv" and "'/etc/passwd'" in d.message


def test_z3_symlink_by_external_attributes_is_sms211() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("sms/template.csv", TEMPLATE)
        link = zipfile.ZipInfo("sms/contacts.csv")
        link.create_system = 3
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, "../../etc/passwd")
    _, problems = inspect(buffer.getvalue())
    assert "SMS211" in codes(problems)


def test_q16_duplicate_entries_are_sms220() -> None:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as zf:
        warnings.simplefilter("ignore")
        zf.writestr("sms/contacts.csv", CONTACTS)
        zf.writestr("sms/template.csv", TEMPLATE)
        zf.writestr("sms/contacts.csv", b"phone\n70000000000\n")
    layout, problems = inspect(buffer.getvalue())
    assert layout is None
    assert only(problems, "SMS220").file == "sms/contacts.csv"


# --- C1, M1, N1, Q24, Q21: which files make the campaign ----------------------------------------------


def test_q24_template_pair_and_plain_file_is_sms214() -> None:
    layout, problems = inspect(build({**PAIR, "sms/list.txt": PLAIN}))
    assert layout is None and errors(problems) == ["SMS214"]
    assert "sms/list.txt" in problems[0].message and "sms/contacts.csv" in problems[0].message


def test_n1_several_plain_files_is_sms217() -> None:
    layout, problems = inspect(build({"sms/part1.txt": PLAIN, "sms/part2.csv": PLAIN}))
    assert layout is None and errors(problems) == ["SMS217"]
    assert "2 plain files" in problems[0].message and "sms/part2.csv" in problems[0].message


@pytest.mark.parametrize(("present", "missing"), [("contacts.csv", "template.csv"), ("template.csv", "contacts.csv")])
def test_c1_m1_half_a_pair_is_sms218(present: str, missing: str) -> None:
    layout, problems = inspect(build({f"sms/{present}": CONTACTS}))
    assert layout is None
    d = only(problems, "SMS218")
    assert f"sms/{missing}" in d.message and d.file == f"sms/{present}"


def test_c1_lone_contacts_for_a_plain_account_hints_at_renaming() -> None:
    _, problems = inspect(build({"sms/contacts.csv": PLAIN}), account("plain"))
    assert "sms/list.csv" in only(problems, "SMS218").hint


def test_n1_empty_sms_folder_is_sms215() -> None:
    layout, problems = inspect(build({"sms/": b""}))
    assert layout is None and codes(problems) == ["SMS215"]
    assert "The folder `sms` holds no" in problems[0].message
    layout, problems = inspect(build({"readme/": b""}))
    assert layout is None and codes(problems) == ["SMS215"]
    assert "no folder `sms`" in problems[0].message
    layout, problems = inspect(build({"sms/photo.jpg": b"\xff\xd8"}))
    assert layout is None and sorted(codes(problems)) == ["SMS209", "SMS215"]


@pytest.mark.parametrize("names", [("sms/Contacts.csv", "sms/template.csv"), ("sms/contacts.csv", "sms/TEMPLATE.CSV")])
def test_c1_m1_data_file_name_case_is_sms221(names: tuple[str, str]) -> None:
    layout, problems = inspect(build(dict(zip(names, (CONTACTS, TEMPLATE), strict=True))))
    assert layout is None
    d = only(problems, "SMS221")
    wrong = next(n for n in names if n != n.lower())
    assert d.file == wrong and wrong.split("/")[1] in d.message and wrong.split("/")[1].lower() in d.hint


@pytest.mark.parametrize(
    ("entries", "mode", "ok"),
    [
        (PAIR, "template", True),
        (PAIR, "plain", False),
        (PAIR, "auto", True),
        ({"sms/list.txt": PLAIN}, "plain", True),
        ({"sms/list.txt": PLAIN}, "template", False),
        ({"sms/list.txt": PLAIN}, "auto", True),
    ],
)
def test_q21_account_mode(entries: dict[str, bytes], mode: str, ok: bool) -> None:
    layout, problems = inspect(build(entries), account(mode))
    if ok:
        assert layout is not None and problems == []
    else:
        assert layout is None
        d = only(problems, "SMS219")
        assert f"{mode} mode" in d.message and "'guest'" in d.message
        assert f"Your account takes {mode} archives" in d.hint


# --- Q16: zip bombs ------------------------------------------------------------------------------

ZEROS = b"\x00" * (10 * MiB)


def test_q16_ten_mib_of_zeros_with_a_small_size_cap_is_rejected_fast() -> None:
    data = build({"sms/list.csv": ZEROS})
    assert len(data) < 64 * 1024
    started = time.perf_counter()
    layout, problems = inspect(data, account(max_uncompressed_bytes=MiB))
    assert time.perf_counter() - started < 0.5
    assert layout is None
    d = only(problems, "SMS212")
    assert d.file == "sms/list.csv" and "10.0 MiB" in d.message and "1.0 MiB" in d.message


def test_q16_extreme_ratio_is_sms213_up_front() -> None:
    layout, problems = inspect(build({"sms/list.csv": ZEROS}), account(max_compression_ratio=100))
    assert layout is None
    d = only(problems, "SMS213")
    assert "the cap is 100:1" in d.message and d.file == "sms/list.csv"


def test_q16_high_ratio_of_a_small_file_is_not_a_bomb() -> None:
    layout, problems = inspect(build({"sms/list.csv": b"\x00" * (MiB - 1)}), account(max_compression_ratio=10))
    assert layout is not None and problems == []


def test_q16_total_of_several_entries_is_capped() -> None:
    half = b"7" * (600 * 1024)
    _, problems = inspect(
        build({**PAIR, "__MACOSX/sms/._x": half, "sms/._y": half}), account(max_uncompressed_bytes=MiB)
    )
    d = only(problems, "SMS212")
    assert d.file is None and "in total" in d.message


@pytest.mark.parametrize("trailing", [False, True])
def test_q16_header_lying_about_compressed_size_is_rejected_up_front(trailing: bool) -> None:
    # Claim as many compressed bytes as uncompressed: a ratio of 1:1 as far as the directory tells.
    # With `trailing`, a junk entry after it would give a reader real bytes to run on into.
    entries = {"sms/list.csv": ZEROS, **({"__MACOSX/sms/._list.csv": os.urandom(MiB)} if trailing else {})}
    honest = build(entries)
    lying = patch(honest, "sms/list.csv", compressed=len(ZEROS))
    acc = account(max_compression_ratio=100, max_uncompressed_bytes=20 * MiB)
    assert "SMS213" in codes(inspect(honest, acc)[1])
    started = time.perf_counter()
    layout, problems = inspect(lying, acc)
    assert time.perf_counter() - started < 0.5
    assert layout is None
    d = only(problems, "SMS206")
    assert d.file == "sms/list.csv" and f"declares {len(ZEROS)} compressed bytes" in d.message
    assert "zip-bomb" in d.message


def test_q16_overlapping_entries_sharing_one_stream_are_rejected() -> None:
    # Two directory entries whose data overlap: the first one's compressed size covers the second.
    data = build({"sms/contacts.csv": CONTACTS, "sms/template.csv": TEMPLATE})
    (_, _, _), (_, second, _) = list(entries_of(data))
    first_start = 30 + len("sms/contacts.csv")
    lying = patch(data, "sms/contacts.csv", compressed=second - first_start + 10)
    layout, problems = inspect(lying)
    assert layout is None and only(problems, "SMS206").file == "sms/contacts.csv"


def test_q16_header_lying_about_uncompressed_size_is_caught_while_streaming() -> None:
    # 10 MiB of zeros declared as 1000 bytes: the caps up front see nothing to object to.
    lying = patch(build({"sms/list.csv": ZEROS}), "sms/list.csv", size=1000)
    with ZipArchive(lying, account(max_uncompressed_bytes=MiB, max_compression_ratio=10)) as archive:
        layout, problems = collect(archive.inspect())
        assert layout is not None and layout.plain is not None and problems == []
        stream = archive.open(layout.plain)
        produced = 0
        while chunk := stream.read(64 * 1024):
            produced += len(chunk)
        [d] = archive.defects()
    assert d.code == "SMS206" and d.file == "sms/list.csv" and "CRC-32" in d.message
    assert produced <= 1000  # never more than declared, whatever the data holds


def test_q16_archive_cut_while_being_read_is_sms203(tmp_path: Path) -> None:
    # A naive poller's case (Q22): the file shrinks under the reader after the directory was read.
    path = tmp_path / "guest_20261125120000.zip"
    path.write_bytes(build({"sms/list.txt": PLAIN * 5000}, zipfile.ZIP_STORED))  # past any read buffer
    with ZipArchive(path, account()) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        os.truncate(path, 30 + len("sms/list.txt") + 100)
        archive.open(layout.plain).read()
        [d] = archive.defects()
    assert d.code == "SMS203" and d.file == "sms/list.txt" and "cut off" in d.message


def test_q16_size_cap_is_enforced_while_streaming() -> None:
    with ZipArchive(build({"sms/list.csv": ZEROS}), account(max_compression_ratio=10**6)) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        # As if the directory had declared less than the data holds: only the stream can tell.
        archive.account = replace(archive.account, max_uncompressed_bytes=3 * MiB)
        stream = archive.open(layout.plain)
        while stream.read(64 * 1024):
            pass
        [d] = archive.defects()
    assert d.code == "SMS212" and "3.0 MiB" in d.message


def test_q16_ratio_cap_is_enforced_while_streaming() -> None:
    with ZipArchive(build({"sms/list.csv": ZEROS}), account(max_compression_ratio=10**6)) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        archive.account = replace(archive.account, max_compression_ratio=100)
        stream = archive.open(layout.plain)
        produced = 0
        while chunk := stream.read(64 * 1024):
            produced += len(chunk)
        [d] = archive.defects()
    assert d.code == "SMS213" and "more than 100:1" in d.message
    assert produced < 2 * MiB  # stopped right after the 1 MiB threshold, not at 10 MiB


def test_q16_reading_twice_does_not_count_twice() -> None:
    data = build({"sms/list.csv": b"7" * (2 * MiB)})
    with ZipArchive(data, account(max_uncompressed_bytes=3 * MiB, max_compression_ratio=10**6)) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        for _ in range(3):
            assert len(archive.open(layout.plain).read()) == 2 * MiB


def test_q16_streaming_memory_is_bounded() -> None:
    data = build({"sms/list.csv": ZEROS})
    with ZipArchive(data, account(max_compression_ratio=10**6)) as archive:
        layout, _ = collect(archive.inspect())
        assert layout is not None and layout.plain is not None
        stream = archive.open(layout.plain)
        tracemalloc.start()
        total = 0
        try:
            while chunk := stream.read(64 * 1024):
                total += len(chunk)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert total == len(ZEROS)
    assert peak < 2 * MiB


# --- Q16: nothing an archive holds makes the reader crash ---------------------------------------------


def test_q16_fuzzed_archives_give_diagnostics_or_defects_never_crashes() -> None:
    rng = random.Random(20261125)
    seeds = [
        build(PAIR),
        build({"sms/list.txt": PLAIN}, zipfile.ZIP_STORED),
        finder_zip(),
        cp866_zip({"sms/рассылка.txt": PLAIN}),
    ]
    for _ in range(600):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            kind = rng.randrange(4) if data else 3
            if kind == 0:
                data[rng.randrange(len(data))] = rng.randrange(256)
            elif kind == 1:
                del data[rng.randrange(len(data)) :]
            elif kind == 2 and len(data) > 4:  # a 32-bit header field: sizes, offsets, CRCs
                struct.pack_into("<I", data, rng.randrange(len(data) - 4), rng.choice([0, 1, 2**31, 2**32 - 1]))
            else:
                data[rng.randrange(len(data) + 1) : 0] = rng.randbytes(rng.randint(1, 8))
        with ZipArchive(bytes(data), account()) as archive:
            layout, problems = collect(archive.inspect())
            assert (layout is None) == any(d.is_error for d in problems)
            assert all(d.message.endswith(".") and d.hint for d in problems)
            for f in layout.files if layout else ():
                with archive.open(f) as stream:
                    while stream.read(4096):
                        pass
            for d in archive.defects():
                assert d.code in {"SMS203", "SMS204", "SMS205", "SMS206", "SMS212", "SMS213"}


# --- issue 10: many entries, local headers ------------------------------------------------------------
def _with_entries(count: int) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        z.writestr("sms/contacts.csv", "phone\n79031234567\n")
        z.writestr("sms/template.csv", "message;sourceaddress\nHi;TESTSMS\n")
        for i in range(count):
            z.writestr(f"__MACOSX/sms/._{i}", b"")  # junk, ignored with a warning: only their number matters
    return out.getvalue()


def test_q16_entries_over_the_cap_are_refused_before_zipfile_reads_them() -> None:
    """Issue 10: 100,000 empty entries took 70 s in `smsftp check`; counted in the directory, rejected at once."""
    data = _with_entries(70_000)  # more than 65,535: the counts are in the Zip64 record
    started = time.perf_counter()
    layout, found = inspect(data)
    took = time.perf_counter() - started
    assert layout is None and errors(found) == ["SMS223"]
    assert "the cap is 1,000" in only(found, "SMS223").message
    assert took < 1.0, took
    assert errors(inspect(_with_entries(998))[1]) == []  # 1,000 entries: at the cap, judged as usual
    assert errors(inspect(_with_entries(999))[1]) == ["SMS223"]


def test_q16_a_directory_that_understates_its_count_is_walked() -> None:
    """The end record's entry count is a claim: the directory is counted as zipfile would read it."""
    data = bytearray(_with_entries(5_000))
    eocd = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, eocd + 8, 2, 2)  # "2 entries"
    layout, found = inspect(bytes(data))
    assert layout is None and errors(found) == ["SMS223"]


def test_q16_name_checks_are_linear_in_the_number_of_entries() -> None:
    """With the cap lifted, 50,000 entries are judged in seconds (quadratic name checks took minutes)."""
    data = _with_entries(50_000)
    started = time.perf_counter()
    layout, found = inspect(data, account(max_entries=1_000_000))
    assert time.perf_counter() - started < 15
    assert layout is not None and layout.mode == "template"
    assert errors(found) == [] and "Ignored 50000 entries" in only(found, "SMS208").message


def test_q16_local_header_sizes_that_contradict_the_directory_are_flagged() -> None:
    data = bytearray(build({"sms/contacts.csv": b"phone\n79031234567\n", "sms/template.csv": b"message\nHi\n"}))
    at = data.find(b"PK\x03\x04")  # the first entry's local header: sms/contacts.csv
    struct.pack_into("<L", data, at + 22, 10)  # its uncompressed size
    layout, found = inspect(bytes(data))
    assert layout is None and errors(found) == ["SMS224"]
    d = only(found, "SMS224")
    assert d.file == "sms/contacts.csv" and "size 10 there, 18 in the directory" in d.message
    struct.pack_into("<L", data, at + 22, 18)
    assert errors(inspect(bytes(data))[1]) == []
