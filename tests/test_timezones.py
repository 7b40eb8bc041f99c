"""The recipient's time zone from the number (M6, Q13): register, region table, phonenumbers."""

from __future__ import annotations

import os
import random
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import phonenumbers
import pytest
from phonenumbers import timezone as pn_timezone

from smsftp.simulator.rules import timezones
from smsftp.simulator.rules.phones import is_valid_international
from smsftp.simulator.rules.regions import REGION_ZONES, region_zones, unknown_places
from smsftp.simulator.rules.timezones import (
    REGISTER_ENV,
    RegisterError,
    RegisterIndex,
    ZoneResolver,
    default_resolver,
    library_zones,
    load_register,
    parse_register,
    zone_for_send,
)

REAL_REGISTER = Path(__file__).resolve().parents[2] / "shared" / "data" / "DEF-9xx.csv"
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
        ("79141000000", ("Asia/Yakutsk", "Asia/Ust-Nera", "Asia/Srednekolymsk")),
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
        chosen = zone_for_send("74951234567", MOSCOW, ZoneResolver())
        assert (chosen.zone, chosen.code, chosen.candidates) == (MOSCOW, "SMS509", ())
        found = chosen.diagnostic()
        assert found is not None and found.code == "SMS509"
    finally:
        timezones._prefix_zones.clear()


def test_m6_default_resolver_loads_register_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _write(tmp_path, "reg.csv", REGISTER_TEXT.encode("cp1251"))
    monkeypatch.setenv(REGISTER_ENV, os.fspath(path))
    default_resolver.cache_clear()
    try:
        assert default_resolver().zones_for("79140000001") == ("Asia/Chita",)
        assert default_resolver() is default_resolver()
        monkeypatch.delenv(REGISTER_ENV)
        default_resolver.cache_clear()
        assert default_resolver().register is None
    finally:
        default_resolver.cache_clear()


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
