"""The archive's file name (Z1, Q3) and the names of entries inside it (Q23, Z3)."""

from __future__ import annotations

import struct
import zipfile
import zlib
from datetime import datetime

import pytest

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import Diagnostic, collect
from smsftp.simulator.rules.naming import (
    ArchiveName,
    Roles,
    assign_roles,
    check_archive_name,
    decode_entry_name,
    junk_kind,
    parse_archive_name,
    unsafe_entry_name,
)


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]


def only(diagnostics: list[Diagnostic], code: str) -> Diagnostic:
    found = [d for d in diagnostics if d.code == code]
    assert len(found) == 1, codes(diagnostics)
    return found[0]


# --- Z1: the shape ---------------------------------------------------------------------


def test_z1_documents_example_name_parses() -> None:
    name, problems = collect(check_archive_name("guest_20120207231932.zip", "guest"))
    assert problems == []
    assert name == ArchiveName("guest", datetime(2012, 2, 7, 23, 19, 32))
    assert name.stamp.tzinfo is None
    assert name.filename == "guest_20120207231932.zip"


def test_z1_parse_archive_name_good_and_bad() -> None:
    assert parse_archive_name("guest_20261125120000.zip") == ArchiveName("guest", datetime(2026, 11, 25, 12))
    for bad in (
        "guest_20261125120000.ZIP",
        "guest_20261325120000.zip",
        "_20261125120000.zip",
        "guest20261125120000.zip",
        "guest_2026112512000.zip",
        "guest_20261125120000.zip.part",
        "",
    ):
        assert parse_archive_name(bad) is None, bad


def test_z1_a_path_is_judged_by_its_last_component() -> None:
    name, problems = collect(check_archive_name("/tmp/out/guest_20261125120000.zip", "guest"))
    assert problems == [] and name is not None and name.login == "guest"
    assert parse_archive_name("C:\\out\\guest_20261125120000.zip") is not None


@pytest.mark.parametrize(
    ("filename", "in_message", "in_hint"),
    [
        ("campaign.zip", "no `_`", "guest_20120207231932.zip"),
        ("guest20261125120000.zip", "no `_`", "<login>_<YYYYMMDDhhmmss>"),
        ("_20261125120000.zip", "no login", "login"),
        ("guest_202611251200.zip", "'202611251200'", "seconds are missing"),
        ("guest_20261125_120000.zip", "'120000'", "separated by `_`"),
        ("guest_2026-11-25T12-00-00.zip", "'2026-11-25T12-00-00'", "without separators"),
        ("guest_20261125120000 (1).zip", "'20261125120000 (1)'", "copy"),
        ("guest_20261125120000.zip.zip", "'20261125120000.zip'", "twice"),
        ("guest_now.zip", "'now'", "14 digits"),
    ],
)
def test_z1_bad_shape_is_sms101_naming_the_value(filename: str, in_message: str, in_hint: str) -> None:
    name, problems = collect(check_archive_name(filename, "guest"))
    assert name is None
    d = only(problems, "SMS101")
    assert in_message in d.message and filename in d.message
    assert in_hint in d.hint
    assert d.file is None and d.statement == "Z1"


def test_z1_upper_case_extension_is_sms101_with_hint() -> None:
    name, problems = collect(check_archive_name("guest_20261125120000.ZIP", "guest"))
    assert name is None
    assert codes(problems) == ["SMS101"]
    assert "'.ZIP'" in problems[0].message
    assert "`.zip` in lower case" in problems[0].hint
    assert "guest_20261125120000.zip" in problems[0].hint


@pytest.mark.parametrize(
    ("filename", "in_hint"),
    [
        ("guest_20261125120000.csv", "inside a zip archive"),
        ("guest_20261125120000.rar", "Only zip archives"),
        ("guest_20261125120000", "<login>_<YYYYMMDDhhmmss>.zip"),
    ],
)
def test_z1_other_extensions_are_sms101(filename: str, in_hint: str) -> None:
    name, problems = collect(check_archive_name(filename, "guest"))
    assert name is None
    d = only(problems, "SMS101")
    assert in_hint in d.hint


@pytest.mark.parametrize(
    ("stamp", "why"),
    [
        ("20261341250000", "month 13 does not exist"),
        ("20262511120000", "month 25 does not exist (day and month swapped?)"),
        ("20260230120000", "day 30 does not exist in 2026-02"),
        ("20250229120000", "day 29 does not exist in 2025-02"),
        ("20261125240000", "hour 24"),
        ("20261125126000", "minute 60"),
        ("20261125120060", "second 60"),
        ("00001125120000", "year 0000"),
    ],
)
def test_z1_fourteen_digits_that_name_no_instant_are_sms102(stamp: str, why: str) -> None:
    name, problems = collect(check_archive_name(f"guest_{stamp}.zip", "guest"))
    assert name is None
    d = only(problems, "SMS102")
    assert stamp in d.message and why in d.message
    assert d.hint


def test_z1_leap_day_is_a_real_instant() -> None:
    name, problems = collect(check_archive_name("guest_20240229235959.zip", "guest"))
    assert problems == [] and name is not None and name.stamp == datetime(2024, 2, 29, 23, 59, 59)


# --- Q3: the login -----------------------------------------------------------------------


def test_q3_login_with_underscore_splits_at_last_underscore() -> None:
    name, problems = collect(check_archive_name("my_shop_20261125120000.zip", "my_shop"))
    assert problems == []
    assert name == ArchiveName("my_shop", datetime(2026, 11, 25, 12))


def test_q3_other_login_is_sms103() -> None:
    name, problems = collect(check_archive_name("other_20261125120000.zip", "guest"))
    d = only(problems, "SMS103")
    assert "'other'" in d.message and "'guest'" in d.message
    assert "guest" in d.hint
    # The shape is right, so the caller can still order by the timestamp.
    assert name == ArchiveName("other", datetime(2026, 11, 25, 12))


def test_q3_partial_login_with_underscore_hint() -> None:
    _, problems = collect(check_archive_name("shop_20261125120000.zip", "my_shop"))
    d = only(problems, "SMS103")
    assert "contains `_`" in d.hint


def test_q3_case_only_difference_is_sms104_not_sms103() -> None:
    _, problems = collect(check_archive_name("Guest_20261125120000.zip", "guest"))
    assert codes(problems) == ["SMS104"]
    assert "'Guest'" in problems[0].message and "`guest`" in problems[0].hint


def test_q3_unknown_login_checks_only_the_shape() -> None:
    name, problems = collect(check_archive_name("anyone_20261125120000.zip", None))
    assert problems == [] and name is not None and name.login == "anyone"


def test_q3_login_is_not_judged_when_timestamp_is_malformed() -> None:
    # `guest_20261125` before the last `_` is not a login anyone meant; only SMS101 is useful.
    _, problems = collect(check_archive_name("guest_20261125_120000.zip", "guest"))
    assert codes(problems) == ["SMS101"]


def test_z1_q3_every_problem_is_reported() -> None:
    _, problems = collect(check_archive_name("Guest_20261341250000.ZIP", "guest"))
    assert sorted(codes(problems)) == ["SMS101", "SMS102", "SMS104"]
    assert all(d.hint and d.message for d in problems)


# --- Q23: entry-name encodings -----------------------------------------------------------


def _info(raw: bytes, flag_bits: int = 0, extra: bytes = b"") -> zipfile.ZipInfo:
    """A ZipInfo as zipfile builds it when reading: raw bytes decoded as cp437 unless flagged UTF-8."""
    info = zipfile.ZipInfo(raw.decode("utf-8") if flag_bits & 0x800 else raw.decode("cp437"))
    info.flag_bits = flag_bits
    info.extra = extra
    return info


def test_q23_ascii_name() -> None:
    assert decode_entry_name(_info(b"sms/contacts.csv")) == ("sms/contacts.csv", "ascii")


def test_q23_cp866_name_without_flag_as_windows_writes_it() -> None:
    raw = "sms/контакты.txt".encode("cp866")
    assert decode_entry_name(_info(raw)) == ("sms/контакты.txt", "cp866")


def test_q23_cp866_that_happens_to_be_valid_utf8_is_still_cp866() -> None:
    # `рак` in cp866 is E0 A0 AA, a valid UTF-8 sequence for U+082A: implausible, so cp866 wins.
    raw = "sms/рак.txt".encode("cp866")
    raw.decode("utf-8")
    assert decode_entry_name(_info(raw)) == ("sms/рак.txt", "cp866")


def test_q23_utf8_flag() -> None:
    assert decode_entry_name(_info("sms/список.csv".encode(), 0x800)) == ("sms/список.csv", "utf-8")


def test_q23_utf8_without_flag_as_info_zip_and_macos_write_it() -> None:
    # macOS also writes decomposed (NFD) names: `й` as `и` + U+0306.
    raw = "sms/список_й.csv".replace("й", "и\u0306").encode()
    assert decode_entry_name(_info(raw)) == ("sms/список_й.csv", "utf-8")


def test_q23_info_zip_unicode_path_extra_field() -> None:
    raw = "sms/список.csv".encode("cp866")
    utf8 = "sms/список.csv".encode()
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + utf8
    extra = struct.pack("<HH", 0x7075, len(body)) + body
    assert decode_entry_name(_info(raw, extra=extra)) == ("sms/список.csv", "utf-8")
    # A stale extra field (its CRC is not of this raw name) is not trusted.
    stale = struct.pack("<HH", 0x7075, len(body)) + b"\x01" + struct.pack("<I", 0) + utf8
    assert decode_entry_name(_info(raw, extra=stale))[1] == "cp866"


# --- Z3: unsafe names, Q23: junk ------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../evil.csv", "`..`"),
        ("sms/../../etc/passwd", "`..`"),
        ("/etc/passwd", "absolute"),
        ("C:/Windows/x.csv", "drive"),
        ("c:evil.csv", "drive"),
        ("sms\\contacts.csv", "`\\`"),
        ("sms/contacts.csv\x00.txt", "NUL"),
    ],
)
def test_z3_unsafe_entry_names(name: str, why: str) -> None:
    result = unsafe_entry_name(name)
    assert result is not None and why in result[0]


@pytest.mark.parametrize("name", ["sms/contacts.csv", "sms/", "sms/a..b.csv", "sms/..txt"])
def test_z3_safe_entry_names(name: str) -> None:
    assert unsafe_entry_name(name) is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("__MACOSX/sms/._contacts.csv", "__MACOSX"),
        ("sms/.DS_Store", ".DS_Store"),
        ("sms/._contacts.csv", "resource forks"),
        ("sms/Thumbs.db", "Thumbs.db"),
        ("thumbs.db", "Thumbs.db"),
        ("sms/desktop.ini", "desktop.ini"),
    ],
)
def test_q23_junk_kinds(name: str, kind: str) -> None:
    found = junk_kind(name)
    assert found is not None and kind in found


@pytest.mark.parametrize("name", ["sms/contacts.csv", "sms/macosx.csv", "sms/DS_Store.txt"])
def test_q23_real_files_are_not_junk(name: str) -> None:
    assert junk_kind(name) is None


# --- Q4, N1, C1, M1, Q21, Q24: roles by name -------------------------------------------------

GUEST = Account(login="guest")


def test_c1_m1_pair_is_template_mode() -> None:
    assert collect(assign_roles(["sms/template.csv", "sms/contacts.csv"], GUEST)) == (
        Roles("template", contacts="sms/contacts.csv", template="sms/template.csv"),
        [],
    )


def test_n1_single_plain_file_is_plain_mode() -> None:
    assert collect(assign_roles(["sms/рассылка.txt"], GUEST)) == (Roles("plain", plain="sms/рассылка.txt"), [])


@pytest.mark.parametrize(
    ("names", "expected"),
    [
        (["sms/contacts.csv", "sms/template.csv", "sms/list.txt"], ["SMS214"]),
        (["sms/a.txt", "sms/b.txt"], ["SMS217"]),
        (["sms/template.csv"], ["SMS218"]),
        ([], ["SMS215"]),
        (["contacts.csv", "template.csv"], ["SMS207", "SMS207"]),
        (["sms/contacts.csv", "sms/template.csv", "readme.md"], ["SMS209"]),
        (["sms/contacts.csv", "sms/Template.csv"], ["SMS221"]),
    ],
)
def test_q4_q24_n1_c1_bad_layouts(names: list[str], expected: list[str]) -> None:
    _, problems = collect(assign_roles(names, GUEST))
    assert codes(problems) == expected
    assert all(d.message.endswith(".") and d.hint for d in problems)


def test_q21_roles_survive_a_mode_the_account_does_not_take() -> None:
    roles, problems = collect(assign_roles(["sms/list.csv"], Account(login="guest", mode="template")))
    assert roles == Roles("plain", plain="sms/list.csv")
    assert codes(problems) == ["SMS219"]
