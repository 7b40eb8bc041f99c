"""The recipient's time zone from the number (M6, Q13): register, region table, phonenumbers."""

from __future__ import annotations

import io
import json
import os
import random
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
import pytest
from phonenumbers import timezone as pn_timezone

from smsftp.simulator.rules import timezones
from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.areacodes import AREA_ZONES
from smsftp.simulator.rules.outcome import ArchiveResult
from smsftp.simulator.rules.phones import is_valid_international
from smsftp.simulator.rules.processing import check_archive
from smsftp.simulator.rules.regions import REGION_ZONES, region_choice, region_zones, unknown_places
from smsftp.simulator.rules.timezones import (
    RegisterError,
    RegisterIndex,
    ZoneResolver,
    default_resolver,
    library_zones,
    load_register,
    load_table,
    parse_register,
    parse_table,
    shipped_register,
    table_text,
    zone_for_send,
)

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
GUEST = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS")


def template_zip(contacts: str, template: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("sms/contacts.csv", contacts)
        z.writestr("sms/template.csv", template)
    return out.getvalue()


def check(data: bytes, resolver: ZoneResolver | None = None) -> ArchiveResult:
    return check_archive("guest_20261125120000.zip", data, GUEST, AT, resolver=resolver, keep_messages=True)


# The regulator's file is never committed; on the project's machines it is beside the checkouts.
REAL_REGISTER = next(
    (
        p
        for p in (Path(__file__).resolve().parents[n] / "shared" / "data" / "DEF-9xx.csv" for n in (2, 3))
        if p.exists()
    ),
    Path("shared/data/DEF-9xx.csv"),
)
TOOLS = Path(__file__).resolve().parents[1] / "tools"
MOSCOW = ZoneInfo("Europe/Moscow")
# The register lives beside the checkout in the workspace and in CI: there the data checks must run.
NEEDS_REAL_REGISTER = pytest.mark.skipif(
    not REAL_REGISTER.exists() and not os.environ.get("CI"), reason=f"data check: {REAL_REGISTER} is absent"
)

REGISTER_TEXT = '''\
АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН
903;0;1999999;2000000;"ПАО ""ВымпелКом""";г. Москва * Московская область;7713076301
914;0;999999;1000000;"ПАО ""Мобильные ТелеСистемы""";Забайкальский край;7740000076
914;1000000;1999999;1000000;"ПАО ""Мобильные ТелеСистемы""";Республика Саха /Якутия/;7740000076
924;0;99999;100000;"ООО ""Т2 Мобайл""";г. Сочи|Краснодарский край;7743895280
958;0;9999;10000;"ООО ""Т2 Мобайл""";Ямало-Ненецкий АО;7743895280
958;10000;19999;10000;"ООО ""Т2 Мобайл""";Ненецкий АО;7743895280
999;0;9999;10000;"ООО ""Где-то""";Атлантида;7700000000
'''


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    "encoded",
    [
        lambda text: text.encode("utf-8-sig"),
        lambda text: text.encode("utf-8"),
        lambda text: text.encode("cp1251"),
        lambda text: text.replace("\n", "\r\n").encode("cp1251"),
    ],
    ids=["utf-8-bom", "utf-8", "cp1251", "cp1251-crlf"],
)
def test_m6_register_in_every_published_encoding(tmp_path: Path, encoded: object) -> None:
    path = _write(tmp_path, "DEF-9xx.csv", encoded(REGISTER_TEXT))  # type: ignore[operator]
    register = load_register(path)
    assert len(register) == 7
    assert register.region_of("79031234567") == "г. Москва * Московская область"
    assert register.region_of("79140000001") == "Забайкальский край"
    assert register.unmapped == {"Атлантида": 1}


@pytest.fixture
def resolver() -> ZoneResolver:
    return ZoneResolver(parse_register(REGISTER_TEXT.encode("utf-8-sig")))


@pytest.mark.parametrize(
    ("phone", "zones"),
    [
        ("79030000000", ("Europe/Moscow",)),  # first number of a range
        ("79031999999", ("Europe/Moscow",)),  # last number of a range
        ("79140999999", ("Asia/Chita",)),
        ("79141000000", ("Asia/Yakutsk",)),  # Yakutia keeps three clocks: the most populous is chosen
        ("79240012345", ("Europe/Moscow",)),  # a row naming two places in one zone
        ("79580001234", ("Asia/Yekaterinburg",)),  # Yamalo-Nenets, not Nenets
        ("79580011234", ("Europe/Moscow",)),
    ],
)
def test_m6_register_settles_russian_mobile_numbers(resolver: ZoneResolver, phone: str, zones: tuple[str, ...]) -> None:
    assert is_valid_international(phone)
    assert resolver.zones_for(phone) == zones


def test_m6_numbers_outside_the_register_fall_back_to_phonenumbers(resolver: ZoneResolver) -> None:
    assert len(resolver.zones_for("79032000000")) > 10  # a gap between ranges: the whole country
    assert len(resolver.zones_for("79990001234")) > 10  # a range whose region is unknown
    assert resolver.zones_for("74951234567") == ("Europe/Moscow",)  # Moscow landline
    assert resolver.zones_for("12125551234") == ("America/New_York",)
    assert resolver.zones_for("7903") == ()  # not a valid number


def test_m6_region_of_several_clocks_names_its_choice(resolver: ZoneResolver) -> None:
    """A Yakutian number is read in Yakutsk time, and SMS510 says so and names the other zones."""
    assert resolver.choice_for("79141000000") == (
        "Республика Саха /Якутия/",
        ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk"),
    )
    assert resolver.choice_for("79140999999") is None  # Zabaykalsky: one clock
    chosen = zone_for_send("79141000000", MOSCOW, resolver)
    assert (chosen.zone.key, chosen.code) == ("Asia/Yakutsk", "SMS510")
    found = chosen.diagnostic(file="sms/contacts.csv", line=2)
    assert found is not None and (found.code, found.severity.value, found.line) == ("SMS510", "info", 2)
    assert "Asia/Yakutsk" in found.message and "Asia/Ust-Nera" in found.message and "Саха" in found.message


def test_m6_without_register_russian_mobiles_are_ambiguous() -> None:
    zones = ZoneResolver().zones_for("79031234567")
    assert len(zones) > 10
    assert "Europe/Moscow" in zones


def test_q13_unique_zone_is_used() -> None:
    chosen = zone_for_send("74951234567", ZoneInfo("Asia/Tokyo"), ZoneResolver())
    assert (chosen.zone.key, chosen.code, chosen.diagnostic()) == ("Europe/Moscow", None, None)


def test_q13_ambiguous_number_uses_client_zone_and_names_candidates() -> None:
    chosen = zone_for_send("79031234567", ZoneInfo("Asia/Omsk"), ZoneResolver())
    assert (chosen.zone.key, chosen.code) == ("Asia/Omsk", "SMS508")
    found = chosen.diagnostic(file="sms/contacts.csv", line=4)
    assert found is not None
    assert (found.code, found.severity.value, found.line) == ("SMS508", "info", 4)
    assert "Europe/Moscow" in found.message and "Asia/Omsk" in found.message


def test_q13_unknown_zone_uses_client_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    # A valid number whose prefix has no time zone in phonenumbers' data.
    monkeypatch.setattr(timezones, "TIMEZONE_DATA", {})
    timezones._prefix_zones.clear()
    try:
        chosen = zone_for_send("12125551234", MOSCOW, ZoneResolver())
        assert (chosen.zone, chosen.code, chosen.candidates) == (MOSCOW, "SMS509", ())
        found = chosen.diagnostic()
        assert found is not None and found.code == "SMS509"
    finally:
        timezones._prefix_zones.clear()


def test_m6_default_resolver_is_the_shipped_table_whatever_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 13: no register is read from the environment; the default is the table in the package."""
    monkeypatch.setenv("SMSFTP_NUMBERING_REGISTER", "/nonexistent/DEF-9xx.csv")
    resolver = default_resolver()
    assert resolver is default_resolver()
    assert resolver.register is shipped_register()
    assert resolver.zones_for("79141349999") == ("Asia/Chita",)  # Zabaykalsky, from the shipped table


def test_m6_shipped_table_records_its_source_and_date() -> None:
    register = shipped_register()
    assert (register.source, register.date) == ("DEF-9xx.csv", "2023")
    assert len(register) > 8000
    assert register.unmapped == {}
    assert set(register.choices) == {"Республика Саха /Якутия/"}
    known = available_timezones()
    assert {z for zones in register.zones for z in zones} <= known


def test_m6_table_round_trips_a_register(tmp_path: Path) -> None:
    """tools/build_numbering.py writes table_text; reading it back answers like the register itself."""
    register = parse_register(REGISTER_TEXT.encode("utf-8"), "DEF-test.csv", date="2026-01-01")
    text = table_text(register)
    assert "ВымпелКом" not in text and "7713076301" not in text  # no operators, no INN
    path = _write(tmp_path, "table.csv", text.encode("utf-8"))
    table = load_table(path)
    assert (table.source, table.date) == ("DEF-test.csv", "2026-01-01")
    assert (
        table.choices
        == register.choices
        == {"Республика Саха /Якутия/": ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk")}
    )
    ours, theirs = ZoneResolver(table), ZoneResolver(register)
    for start, end in zip(register.starts, register.ends, strict=True):
        for national in (start - 1, start, end, end + 1):
            phone = f"7{national:010d}"
            assert ours.zones_for(phone) == theirs.zones_for(phone), phone


@pytest.mark.parametrize(
    "text",
    ["", "first;last\n1;2\n", "region;1;Тверская обл.;Europe/Moscow;\n903;0;99;2\n", "903;0;99;1\n"],
    ids=["empty", "other-csv", "unknown-region-id", "range-before-region"],
)
def test_m6_a_file_that_is_no_table_is_refused(text: str) -> None:
    with pytest.raises(RegisterError, match="<table>"):
        parse_table(text)


def test_m6_a_second_resolver_with_another_register_takes_effect() -> None:
    """Issue 13: the numbering data is a parameter; nothing of the first call sticks to the second."""
    contacts = "phone\n79140000001\n"
    template = "message;sourceaddress;senddate;localtime\nHi;TESTSMS;2026-11-26T10:00:00;1\n"
    other = REGISTER_TEXT.replace("Забайкальский край", "Калининградская обл.")
    first = check(template_zip(contacts, template), resolver=ZoneResolver(parse_register(REGISTER_TEXT.encode())))
    second = check(template_zip(contacts, template), resolver=ZoneResolver(parse_register(other.encode())))
    shipped = check(template_zip(contacts, template))
    assert first.messages and second.messages and shipped.messages
    assert first.messages[0].send_at.isoformat() == "2026-11-26T01:00:00+00:00"  # 10:00 in Chita, UTC+9
    assert second.messages[0].send_at.isoformat() == "2026-11-26T08:00:00+00:00"  # 10:00 in Kaliningrad, UTC+2
    # The shipped table is the real register, where 914 000... is Irkutsk's (UTC+8).
    assert shipped.messages[0].send_at.isoformat() == "2026-11-26T02:00:00+00:00"


def test_m6_a_file_that_is_no_register_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RegisterError, match="not a numbering-plan register"):
        load_register(_write(tmp_path, "x.csv", b"phone;text\n79031234567;hi\n"))
    with pytest.raises(RegisterError, match="cannot read"):
        load_register(tmp_path / "missing.csv")


def test_m6_register_with_bom_that_is_not_utf8_is_refused() -> None:
    with pytest.raises(RegisterError, match="byte-order mark"):
        parse_register(b"\xef\xbb\xbf" + REGISTER_TEXT.encode("cp1251"))


def test_m6_register_rows_that_are_not_ranges_are_counted_and_skipped() -> None:
    text = REGISTER_TEXT + "abc;x;y;;;Тверская обл.;\n\n"
    register = parse_register(text.encode())
    assert (len(register), register.skipped) == (7, 1)


@pytest.mark.parametrize(
    ("region", "zones"),
    [
        ("Ростовская обл.", ("Europe/Moscow",)),
        ("Тюменская область", ("Asia/Yekaterinburg",)),
        ("Республика Удмуртская", ("Europe/Samara",)),
        ("Удмуртская Республика", ("Europe/Samara",)),
        ("Ханты - Мансийский - Югра АО", ("Asia/Yekaterinburg",)),
        ("Ямало-Ненецкий АО", ("Asia/Yekaterinburg",)),
        ("Ненецкий АО", ("Europe/Moscow",)),
        ("Кемеровская область - Кузбасс область", ("Asia/Novokuznetsk",)),
        ("г. Норильск|Красноярский край", ("Asia/Krasnoyarsk",)),
        ("Республика Крым * г. Севастополь", ("Europe/Simferopol",)),
        ("Калининградская обл., Псковская обл.", ("Europe/Kaliningrad", "Europe/Moscow")),
        ("Атлантида", ()),
    ],
)
def test_m6_region_names_as_the_register_writes_them(region: str, zones: tuple[str, ...]) -> None:
    assert region_zones(region) == zones


def test_m6_region_table_names_only_real_zones() -> None:
    known = available_timezones()
    for region, zones in REGION_ZONES.items():
        assert zones, region
        assert set(zones) <= known, region


def test_m6_library_zones_agree_with_phonenumbers() -> None:
    rnd = random.Random(7)
    numbers = [
        "79031234567",
        "74951234567",
        "77012345678",
        "12125551234",
        "4930123456",
        "8613912345678",
        "61212345678",
        "5511912345678",
        "88213912345",
    ]
    for cc in ("1", "7", "44", "49", "52", "55", "61", "62", "86", "380", "882"):
        numbers += [cc + "".join(rnd.choices("0123456789", k=rnd.randint(7, 11))) for _ in range(300)]
    assert sum(map(is_valid_international, numbers)) > 200
    for number in numbers:
        try:
            expected = pn_timezone.time_zones_for_number(phonenumbers.parse("+" + number))
        except phonenumbers.NumberParseException:
            expected = (pn_timezone.UNKNOWN_TIMEZONE,)
        assert library_zones(number) == tuple(z for z in expected if z != pn_timezone.UNKNOWN_TIMEZONE), number


@NEEDS_REAL_REGISTER
def test_m6_data_every_region_of_the_real_register_has_a_zone() -> None:
    """The regulator's 2023 register: every region it names maps to real IANA zones."""
    register = load_register(REAL_REGISTER)
    assert len(register) > 9000
    assert register.skipped == 0
    assert register.unmapped == {}
    known = available_timezones()
    for region in set(register.regions):
        zones = region_zones(region)
        assert zones and set(zones) <= known, region
        assert unknown_places(region) == [], region


def _raw_zones(register: timezones.NumberingRegister, national: int) -> tuple[str, ...] | None:
    """The register's zones for a national number by plain bisection over its own ranges; None outside."""
    at = register.find(national)
    return None if at is None else register.zones[at]


def _index_agrees(register: timezones.NumberingRegister, nationals: list[int]) -> None:
    index = RegisterIndex(register)
    for national in nationals:
        at = index.find(national)
        assert (None if at < 0 else index.zones[at]) == _raw_zones(register, national), national
    for at in range(len(index.starts)):  # whole blocks lie in their range, and the table says so
        first, stop = index.whole_blocks(at)
        for block in range(first, stop):
            assert index.starts[at] <= index.base + block * index.BLOCK
            assert index.base + (block + 1) * index.BLOCK - 1 <= index.ends[at]
            assert index.blocks[block] == at


def test_m6_register_index_merges_same_zone_neighbours_and_agrees_with_bisection() -> None:
    """M6: the block table and merged ranges answer exactly what bisecting the register's rows answers."""
    text = REGISTER_TEXT + "903;2000000;2999999;1;x;Московская область;1\n903;3000000;3099999;1;x;Тверская область;1\n"
    register = parse_register(text.encode("utf-8"))
    index = RegisterIndex(register)
    assert len(index.starts) < len(register)  # 903 0-3099999 is one Moscow-time range now
    edges = [e + d for s, t in zip(register.starts, register.ends, strict=True) for e in (s, t) for d in (-1, 0, 1)]
    rnd = random.Random(9)
    _index_agrees(register, edges + [rnd.randrange(9_000_000_000, 10_000_000_000) for _ in range(5000)])


@NEEDS_REAL_REGISTER
def test_m6_data_register_index_agrees_with_bisection_on_the_real_register() -> None:
    register = load_register(REAL_REGISTER)
    edges = [e + d for s, t in zip(register.starts, register.ends, strict=True) for e in (s, t) for d in (-1, 0, 1)]
    rnd = random.Random(10)
    _index_agrees(register, edges + [rnd.randrange(9_000_000_000, 10_000_000_000) for _ in range(20000)])


def test_m6_zones_for_through_the_index_is_unchanged(resolver: ZoneResolver) -> None:
    """zones_for looks ranges up through the index; every number of the test register gets the same answer."""
    register = resolver.register
    assert register is not None and resolver.register_index() is not None
    for start, end in zip(register.starts, register.ends, strict=True):
        for national in (start, (start + end) // 2, end, end + 1):
            phone = f"7{national:010d}"
            raw = _raw_zones(register, national)
            assert resolver.zones_for(phone) == (raw if raw else library_zones(phone)), phone
    assert ZoneResolver().register_index() is None


def test_m6_area_code_table_names_only_real_zones_and_corrects_phonenumbers() -> None:
    known = available_timezones()
    for code, zones in AREA_ZONES.items():
        assert len(code) == 3 and code[0] in "348" and zones and set(zones) <= known, code
    resolver = ZoneResolver()
    # phonenumbers is wrong for these two (Europe/Bucharest keeps summer time; Saratov is UTC+4 since 2016).
    assert library_zones("74012123456") != ("Europe/Kaliningrad",)
    assert library_zones("78452123456") == ("Europe/Moscow",)
    assert resolver.zones_for("74012123456") == ("Europe/Kaliningrad",)
    assert resolver.zones_for("78452123456") == ("Europe/Saratov",)
    assert resolver.zones_for("74112123456") == ("Asia/Yakutsk",)
    assert resolver.choice_for("74112123456") == ("area code 411", AREA_ZONES["411"])
    assert resolver.zones_for("78002000600") == library_zones("78002000600")  # toll-free: not an area
    assert resolver.zones_for("7401212345") == ()  # too short to be a number


def test_m6_build_numbering_script_writes_the_table_from_a_register(tmp_path: Path) -> None:
    register = _write(tmp_path, "DEF-9xx.csv", REGISTER_TEXT.replace("Атлантида", "Тверская обл.").encode("utf-8-sig"))
    out = tmp_path / "table.csv"
    command = [sys.executable, str(TOOLS / "build_numbering.py"), str(register), "--date", "2026-02-01", "-o", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    table = load_table(out)
    assert (len(table), table.date, table.source) == (7, "2026-02-01", "DEF-9xx.csv")
    assert ZoneResolver(table).zones_for("79140000001") == ("Asia/Chita",)
    # A region with no known zone stops the build: the table would silently lose its ranges.
    _write(tmp_path, "DEF-9xx.csv", REGISTER_TEXT.encode("utf-8"))
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1 and "Атлантида" in done.stderr


def test_m6_check_register_option_is_passed_not_put_in_the_environment(tmp_path: Path) -> None:
    """Issue 13: `smsftp check --register` reaches the rules as a parameter; the CLI leaves os.environ alone."""
    from click.testing import CliRunner

    from smsftp.simulator.cli import main

    archive = tmp_path / "guest_20261125120000.zip"
    template = "message;sourceaddress;senddate;localtime\nHi;TESTSMS;2026-11-26T10:00:00;1\n"
    archive.write_bytes(template_zip("phone\n79140000001\n", template))
    register = _write(tmp_path, "DEF-9xx.csv", REGISTER_TEXT.encode("cp1251"))
    before = dict(os.environ)
    runs = {}
    for name, extra in (("register", ["--register", str(register)]), ("shipped", [])):
        args = ["check", "--format", "json", "--messages", "--at", "2026-11-25T12:00:00Z", *extra, str(archive)]
        done = CliRunner().invoke(main, args, env={"SMSFTP_NUMBERING_REGISTER": None})
        assert done.exit_code == 0, done.output
        runs[name] = json.loads(done.output)["results"][0]["messages"][0]["send_at"]
    assert dict(os.environ) == before
    assert runs == {"register": "2026-11-26T01:00:00Z", "shipped": "2026-11-26T02:00:00Z"}  # Chita, then Irkutsk


def test_m6_a_register_option_that_is_no_register_is_a_usage_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from smsftp.simulator.cli import main

    archive = tmp_path / "guest_20261125120000.zip"
    archive.write_bytes(template_zip("phone\n79140000001\n", "message;sourceaddress\nHi;TESTSMS\n"))
    bad = _write(tmp_path, "x.csv", b"phone;text\n79031234567;hi\n")
    for command in (["check", "--register", str(bad), str(archive)], ["serve", "--register", str(bad)]):
        done = CliRunner().invoke(main, command)
        assert done.exit_code == 2 and "not a numbering-plan register" in done.output, done.output


@pytest.mark.parametrize(
    ("region", "choice"),
    [
        ("Республика Саха /Якутия/", ("Asia/Yakutsk", ("Asia/Ust-Nera", "Asia/Srednekolymsk"))),  # chosen, named
        ("Республика Саха /Якутия/ * Оймяконский улус", ("Asia/Ust-Nera", ())),  # the range's district settles it
        ("Среднеколымский улус", ("Asia/Srednekolymsk", ())),
        ("Республика Саха /Якутия/|Красноярский край", (None, REGION_ZONES["Республика Саха"] + ("Asia/Krasnoyarsk",))),
        ("Российская Федерация", (None, REGION_ZONES["Российская Федерация"])),  # the whole country: no choice
        ("Тверская обл.", ("Europe/Moscow", ())),
        ("Атлантида", (None, ())),
    ],
)
def test_m6_a_region_of_several_clocks_is_read_in_its_most_populous_unless_the_range_says_where(
    region: str, choice: tuple[str | None, tuple[str, ...]]
) -> None:
    assert tuple(region_choice(region)) == choice


def test_m6_a_yakutian_range_named_by_its_district_is_not_a_choice() -> None:
    text = REGISTER_TEXT + "914;2000000;2999999;1;x;Республика Саха /Якутия/ * Оймяконский улус;1\n"
    resolver = ZoneResolver(parse_register(text.encode()))
    assert resolver.zones_for("79142000001") == ("Asia/Ust-Nera",) and resolver.choice_for("79142000001") is None
    assert resolver.zones_for("79141000001") == ("Asia/Yakutsk",) and resolver.choice_for("79141000001") is not None
