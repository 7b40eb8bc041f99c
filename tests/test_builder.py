"""The reference client's archive builder, zip writer, ZipCrypto and fake data.

Statements: Z1-Z5, C1, M1, N1, Q5, Q8, Q16, Q23, Q27.
"""

from __future__ import annotations

import csv
import hashlib
import io
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from smsftp.conformance.client import fakedata
from smsftp.conformance.client.builder import (
    FAULTS,
    ArchiveSpec,
    ascii_mangle,
    build_archive,
    build_archive_to,
    write_csv,
)
from smsftp.conformance.client.zipcrypto import ZipCrypto, decrypt, encryption_header
from smsftp.conformance.client.zipwriter import FLAG_UTF8

ROWS = (("79031234567", "Иван", "Петрович"), ("79161234567", "Анна", "Сергеевна"))
SPEC = ArchiveSpec(contacts=ROWS)
UNZIP = shutil.which("unzip")


def _zip(data: bytes) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(data))


def test_z1_default_name_from_login_and_stamp() -> None:
    assert build_archive(SPEC)[0] == "guest_20261125120000.zip"
    assert build_archive(SPEC.with_(login="acme_shop", stamp="20270101000000"))[0] == "acme_shop_20270101000000.zip"
    assert build_archive(SPEC.with_(filename="campaign.zip"))[0] == "campaign.zip"


def test_same_spec_same_bytes_and_fixed_metadata() -> None:
    first = build_archive(SPEC)[1]
    assert build_archive(ArchiveSpec(contacts=tuple(list(r) for r in ROWS)))[1] == first  # type: ignore[misc]
    assert build_archive(SPEC.with_(contacts=ROWS[:1]))[1] != first
    infos = _zip(first).infolist()
    assert [i.filename for i in infos] == ["sms/contacts.csv", "sms/template.csv"]
    assert {i.date_time for i in infos} == {(2026, 1, 1, 0, 0, 0)}
    assert {i.compress_type for i in infos} == {zipfile.ZIP_DEFLATED}
    assert {(i.create_system, i.external_attr >> 16) for i in infos} == {(3, 0o100644)}
    assert _zip(first).testzip() is None


def test_z3_c1_m1_template_layout_and_content() -> None:
    archive = _zip(build_archive(SPEC)[1])
    assert archive.read("sms/contacts.csv").decode() == (
        "phone;attr1;attr2\r\n79031234567;Иван;Петрович\r\n79161234567;Анна;Сергеевна\r\n"
    )
    template = list(csv.reader(io.StringIO(archive.read("sms/template.csv").decode()), delimiter=";"))
    assert template[0] == ["message", "sourceaddress"] and len(template) == 2
    assert template[1][1] == "TESTSMS"


def test_m1_template_rows_zero_or_two() -> None:
    for count in (0, 2):
        text = _zip(build_archive(SPEC.with_(template_rows=count))[1]).read("sms/template.csv").decode()
        assert text.count("\r\n") == 1 + count


def test_template_accepts_a_mapping() -> None:
    spec = SPEC.with_(template={"message": "Привет", "sourceaddress": "SHOP", "validity": "180"})
    assert spec.template_items == (("message", "Привет"), ("sourceaddress", "SHOP"), ("validity", "180"))
    assert hash(spec)
    text = _zip(build_archive(spec)[1]).read("sms/template.csv").decode()
    assert text == "message;sourceaddress;validity\r\nПривет;SHOP;180\r\n"


def test_n1_plain_layout_header_verbatim() -> None:
    spec = ArchiveSpec(mode="plain", plain_rows=(("79031234567", "Привет; мир"),))
    archive = _zip(build_archive(spec)[1])
    assert archive.namelist() == ["sms/list.txt"]
    assert archive.read("sms/list.txt").decode() == 'TELRN_LONG;TEXT\r\n79031234567;"Привет; мир"\r\n'
    no_header = _zip(build_archive(spec.with_(plain_header=None))[1]).read("sms/list.txt")
    assert no_header.decode() == '79031234567;"Привет; мир"\r\n'


def test_z4_z5_q5_encoding_bom_newline() -> None:
    data = write_csv([("phone", "attr1"), ("79031234567", "Иван")], encoding="cp1251", newline="\n")
    assert data == "phone;attr1\n79031234567;Иван\n".encode("cp1251")
    assert write_csv([("a",)], bom=True).startswith(b"\xef\xbb\xbfa")
    assert write_csv([("a", "b")], newline="\r") == b"a;b\r"
    assert write_csv([('say "hi"', "x;y", "line\nbreak")]) == b'"say ""hi""";"x;y";"line\nbreak"\r\n'
    archive = _zip(build_archive(SPEC.with_(encoding="cp1251", bom=False, newline="\n"))[1])
    assert archive.read("sms/contacts.csv").decode("cp1251").splitlines()[1] == "79031234567;Иван;Петрович"


def test_q4_root_files() -> None:
    assert _zip(build_archive(SPEC.with_(folder=""))[1]).namelist() == ["contacts.csv", "template.csv"]


def test_q23_cp866_names_without_utf8_flag() -> None:
    spec = ArchiveSpec(
        mode="plain", plain_name="контакты.txt", plain_rows=(("79031234567", "x"),), name_encoding="cp866"
    )
    data = build_archive(spec)[1]
    assert "sms/контакты.txt".encode("cp866") in data
    info = _zip(data).infolist()[0]
    assert not info.flag_bits & FLAG_UTF8
    assert info.create_system == 0  # written as Windows tools write it
    assert info.filename.encode("cp437").decode("cp866") == "sms/контакты.txt"
    utf8 = _zip(build_archive(spec.with_(name_encoding="utf-8"))[1]).infolist()[0]
    assert utf8.flag_bits & FLAG_UTF8 and utf8.filename == "sms/контакты.txt"


def test_extra_entries_and_raw_files() -> None:
    spec = SPEC.with_(extra_entries=(("sms/readme.docx", b"doc"),), contacts_raw=b'phone\r\n"79031234567\r\n')
    archive = _zip(build_archive(spec)[1])
    assert archive.namelist() == ["sms/contacts.csv", "sms/template.csv", "sms/readme.docx"]
    assert archive.read("sms/contacts.csv") == b'phone\r\n"79031234567\r\n'


def test_zipcrypto_roundtrip_and_check_byte() -> None:
    plain = bytes(range(256)) * 4
    header = encryption_header(b"pw", b"name", 0xAB)
    assert len(header) == 12 and header[-1] == 0xAB
    assert header == encryption_header(b"pw", b"name", 0xAB)
    encrypted = ZipCrypto(b"pw").encrypt(header + plain)
    assert decrypt(b"pw", encrypted, 0xAB) == plain
    with pytest.raises(ValueError):
        decrypt(b"wrong", encrypted, 0xAB)


def test_z2_encrypted_archive_is_real_zipcrypto_for_zipfile() -> None:
    data = build_archive(SPEC.with_(password="s3cret"))[1]
    assert data == build_archive(SPEC.with_(password="s3cret"))[1]  # seeded header: deterministic
    archive = _zip(data)
    assert all(i.flag_bits & 1 for i in archive.infolist())
    with pytest.raises(RuntimeError, match="password required"):
        archive.read("sms/contacts.csv")
    archive.setpassword(b"s3cret")
    assert archive.read("sms/contacts.csv") == _zip(build_archive(SPEC)[1]).read("sms/contacts.csv")
    wrong = _zip(data)
    wrong.setpassword(b"nope")
    with pytest.raises(RuntimeError, match="Bad password"):
        wrong.read("sms/contacts.csv")


@pytest.mark.skipif(UNZIP is None, reason="Info-ZIP unzip is not installed")
def test_z2_encrypted_archive_opens_with_unzip_p(tmp_path: Path) -> None:
    built = build_archive_to(SPEC.with_(faults=("encrypted",)), tmp_path)
    assert UNZIP is not None
    ok = subprocess.run(
        [UNZIP, "-P", "secret", "-o", "-d", str(tmp_path / "out"), str(built.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert (tmp_path / "out/sms/contacts.csv").read_bytes().startswith(b"phone;attr1;attr2\r\n79031234567")
    bad = subprocess.run(
        [UNZIP, "-P", "wrong", "-o", "-d", str(tmp_path / "bad"), str(built.path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0 and "incorrect password" in bad.stdout + bad.stderr


@pytest.mark.skipif(UNZIP is None, reason="Info-ZIP unzip is not installed")
def test_plain_archive_tests_clean_with_unzip(tmp_path: Path) -> None:
    built = build_archive_to(SPEC.with_(faults=("macos-junk", "dir-entries")), tmp_path)
    assert UNZIP is not None
    result = subprocess.run([UNZIP, "-t", str(built.path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0 and "No errors detected" in result.stdout


def _read_error(data: bytes) -> str:
    try:
        archive = _zip(data)
        bad = archive.testzip()
        return f"bad entry {bad}" if bad else "ok"
    except Exception as exc:  # the point: which exception
        return type(exc).__name__


@pytest.mark.parametrize(
    ("fault", "check"),
    [
        ("truncate", lambda d, good: len(d) == len(good) * 6 // 10 and _read_error(d) == "BadZipFile"),
        ("corrupt-crc", lambda d, good: _read_error(d) == "bad entry sms/contacts.csv"),
        ("corrupt-data", lambda d, good: _read_error(d) in ("bad entry sms/contacts.csv", "error")),
        ("deflate64", lambda d, good: {i.compress_type for i in _zip(d).infolist()} == {9}),
        ("not-zip", lambda d, good: d.startswith(b"phone;attr1;attr2\r\n")),
        ("empty", lambda d, good: d == b""),
        ("empty-zip", lambda d, good: _zip(d).namelist() == [] and len(d) == 22),
        ("encrypted", lambda d, good: all(i.flag_bits & 1 for i in _zip(d).infolist())),
        ("zip-slip", lambda d, good: "sms/../../evil.csv" in _zip(d).namelist()),
        ("absolute-name", lambda d, good: "/tmp/evil.csv" in _zip(d).namelist()),
        ("symlink", lambda d, good: _zip(d).getinfo("sms/contacts.csv").external_attr >> 16 == 0o120777),
        (
            "bomb",
            lambda d, good: (
                _zip(d).getinfo("sms/contacts.csv").file_size > 1000 * _zip(d).getinfo("sms/contacts.csv").compress_size
            ),
        ),
        ("bomb-lying-size", lambda d, good: _zip(d).getinfo("sms/contacts.csv").file_size == 0xFFFFFFF0),
        ("macos-junk", lambda d, good: _zip(d).namelist()[2:] == ["__MACOSX/sms/._contacts.csv", "sms/.DS_Store"]),
        ("thumbs-db", lambda d, good: _zip(d).namelist()[2:] == ["sms/Thumbs.db"]),
        ("extra-file", lambda d, good: _zip(d).namelist()[2:] == ["sms/readme.docx"]),
        ("mixed", lambda d, good: _zip(d).namelist() == ["sms/contacts.csv", "sms/template.csv", "sms/list.txt"]),
        ("missing-contacts", lambda d, good: _zip(d).namelist() == ["sms/template.csv"]),
        ("missing-template", lambda d, good: _zip(d).namelist() == ["sms/contacts.csv"]),
        ("name-case", lambda d, good: _zip(d).namelist() == ["sms/Contacts.csv", "sms/Template.csv"]),
        ("duplicate-entry", lambda d, good: _zip(d).namelist().count("sms/contacts.csv") == 2),
        ("dir-entries", lambda d, good: _zip(d).namelist()[0] == "sms/"),
        ("ascii-mangled", lambda d, good: b"\r\n" not in d and _read_error(d) != "ok"),
    ],
)
def test_q16_q23_q24_faults(fault: str, check: object) -> None:
    good = build_archive(SPEC)[1]
    data = build_archive(SPEC.with_(faults=(fault,)))[1]
    assert data == build_archive(SPEC.with_(faults=(fault,)))[1]
    assert callable(check) and check(data, good)


def test_every_fault_is_tested_and_unknown_faults_refused() -> None:
    tested = {p[0] for p in test_q16_q23_q24_faults.pytestmark[0].args[1]}  # type: ignore[attr-defined]
    assert tested == set(FAULTS)
    with pytest.raises(ValueError, match="unknown fault"):
        ArchiveSpec(faults=("no-such-fault",))


def test_q27_ascii_mangle_matches_pyftpdlib_rules() -> None:
    assert ascii_mangle(b"a\r\nb\r\r\nc\n\r") == b"a\nb\r\nc\n"
    assert ascii_mangle(b"\r") == b""


def test_streamed_build_equals_in_memory_build(tmp_path: Path) -> None:
    rows = tuple(fakedata.contacts(3000, seed=5))
    for faults in ((), ("encrypted",), ("ascii-mangled",), ("truncate", "macos-junk")):
        spec = ArchiveSpec(contacts=rows, faults=faults)
        seen: list[int] = []
        built = build_archive_to(ArchiveSpec(faults=faults), tmp_path, rows_iter=iter(rows), progress=seen.append)
        expected = build_archive(spec)[1]
        assert built.path.read_bytes() == expected
        assert built.sha256 == hashlib.sha256(expected).hexdigest() and built.size == len(expected)
        assert seen and seen[-1] == 3000
    assert sorted(p.name for p in tmp_path.iterdir()) == ["guest_20261125120000.zip"]  # no leftovers


def test_streamed_plain_rows(tmp_path: Path) -> None:
    built = build_archive_to(ArchiveSpec(mode="plain"), tmp_path / "x.zip", rows_iter=fakedata.plain_rows(10, seed=1))
    lines = _zip(built.path.read_bytes()).read("sms/list.txt").decode().splitlines()
    assert lines[0] == "TELRN_LONG;TEXT" and len(lines) == 11
    assert lines[1].split(";")[1].endswith(", ваш заказ готов.")


def test_c2_fake_phones_are_distinct_and_valid_for_phonenumbers() -> None:
    numbers = list(fakedata.phones(20_000, seed=3))
    assert len(set(numbers)) == len(numbers)
    assert all(fakedata.is_valid_mobile(n) for n in numbers[:3000])
    assert numbers == list(fakedata.phones(20_000, seed=3))
    assert numbers[:50] != list(fakedata.phones(50, seed=4))


def test_fake_contacts_are_russian_and_reproducible() -> None:
    rows = list(fakedata.contacts(200, seed=9, columns=("phone", "attr1", "attr2", "attr3", "city", "code")))
    assert rows == list(fakedata.contacts(200, seed=9, columns=("phone", "attr1", "attr2", "attr3", "city", "code")))
    assert all(len(r) == 6 for r in rows)
    assert all(any("а" <= ch.lower() <= "я" for ch in r[1]) for r in rows)
    assert any(r[2].endswith(("ич", "на")) for r in rows)  # patronymics
    assert all(r[5].isdigit() for r in rows)
    allowed = list(fakedata.contacts(5, numbers=["79990000001"]))
    assert {r[0] for r in allowed} == {"79990000001"}


@pytest.mark.parametrize(
    ("how", "expected"),
    [
        ("leading-8", "89031234567"),
        ("plus-prefix", "+79031234567"),
        ("excel-sci", "7.9031234567E+10"),
        ("formatting", "7 (903) 123-45-67"),
        ("bad-phone", "7903123456"),
        ("empty-phone", ""),
    ],
)
def test_q8_misspellings(how: str, expected: str) -> None:
    assert fakedata.misspell("79031234567", how) == expected
