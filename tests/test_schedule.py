"""Send and expiry times (C3, M4-M6, Q2, Q11-Q13): simulator/schedule.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import collect
from smsftp.simulator.rules.schedule import Schedule, parse_localtime, parse_senddate, parse_validity

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
MOSCOW = ZoneInfo("Europe/Moscow")


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None, int | None, int | None]] = []

    def __call__(
        self,
        code: str,
        message: str | None = None,
        *,
        hint: str | None = None,
        line: int | None = None,
        field: int | None = None,
    ) -> None:
        self.seen.append((code, message, line, field))

    @property
    def codes(self) -> list[str]:
        return [c for c, *_ in self.seen]


class Zones:
    """A resolver stub: fixed answers per number."""

    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self.table = table

    def zones_for(self, phone: str) -> tuple[str, ...]:
        return self.table.get(phone, ())


@pytest.mark.parametrize("text", ["20261126T19:14:00", "2026-11-26T19:14:00", " 2026-11-26T19:14:00 "])
def test_q2_both_senddate_forms(text: str) -> None:
    assert parse_senddate(text) == datetime(2026, 11, 26, 19, 14, 0)


@pytest.mark.parametrize(
    "text",
    [
        "26.11.2026 19:14",
        "2026-11-26 19:14:00",
        "2026-11-26t19:14:00",
        "20261126T191400",
        "2026-11-26T19:1",
        "2026-11-26T19",
        "2026-11-26T19:14:00Z",
        "2026-02-30T10:00:00",
        "2026-11-26T24:00:00",
        "２０２６1126T19:14:00",
        "2026-11-26T19:14:00+03:00",
        "tomorrow",
        "",
    ],
)
def test_q2_other_senddate_forms_are_invalid(text: str) -> None:
    assert parse_senddate(text) is None


@pytest.mark.parametrize(
    "text,expected",
    [("2008-12-27T15:55", datetime(2008, 12, 27, 15, 55)), ("20081227T15:55", datetime(2008, 12, 27, 15, 55))],
)
def test_q2_senddate_without_seconds_as_the_xml_api_writes_it(text: str, expected: datetime) -> None:
    """Q2's choice: the minutes-only form reads as `:00`; the setting's other value refuses it."""
    assert parse_senddate(text) == expected
    assert parse_senddate(text, seconds_optional=False) is None
    assert parse_senddate("2008-12-27T25:55") is None and parse_senddate("20081227T15:60") is None


def test_m4_q11_validity_default_bounds_and_cap() -> None:
    """M4: empty is the document's 1440 whatever the account's plain-mode validity (600 here)."""
    account = Account(login="guest", validity=600, validity_cap=4320)
    assert collect(parse_validity("", account)) == (1440, [])
    assert collect(parse_validity("", account, default=600)) == (600, [])
    assert collect(parse_validity(" 180 ", account)) == (180, [])
    assert collect(parse_validity("4320", account)) == (4320, [])
    for bad in ("-5", "1.5", "3h", "1e3", "١٢", "-0"):
        value, found = collect(parse_validity(bad, account, file="sms/template.csv", line=2, column=9))
        assert value is None and [d.code for d in found] == ["SMS406"]
        assert (found[0].line, found[0].column) == (2, 9)
    value, found = collect(parse_validity("4321", account))
    assert value is None and [d.code for d in found] == ["SMS407"]


def test_q11_validity_zero_is_the_default_unless_the_account_refuses_it() -> None:
    """Q11's choice: `0` (the HTTP API's own example) means the default lifetime, with an info."""
    value, found = collect(parse_validity("0", Account(login="guest"), line=2, column=9))
    assert value == 1440 and [(d.code, d.severity.value, d.line) for d in found] == [("SMS420", "info", 2)]
    assert collect(parse_validity("00", Account(login="guest")))[0] == 1440
    value, found = collect(parse_validity("0", Account(login="guest", accept_zero_validity=False)))
    assert value is None and [d.code for d in found] == ["SMS406"] and "at least 1" in found[0].message


def test_m6_localtime_values() -> None:
    assert parse_localtime("1") is True
    assert parse_localtime("0") is False
    assert parse_localtime(" ") is False
    assert parse_localtime("yes") is None
    assert parse_localtime("2") is None


def test_c3_empty_senddate_sends_at_processing_time() -> None:
    schedule = Schedule(at=AT, zone=MOSCOW, validity=180)
    assert schedule.default == (AT, AT + timedelta(minutes=180))
    assert schedule.template_times("79031234567") == schedule.default


def test_c3_row_senddate_read_in_clients_zone() -> None:
    report = Recorder()
    schedule = Schedule(at=AT, zone=MOSCOW, validity=60, report=report)
    send, expires = schedule.times("2026-11-26T10:00:00", "79031234567", 2, 1) or (AT, AT)
    assert send == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert expires == send + timedelta(minutes=60)
    assert send.tzinfo is UTC and report.seen == []


def test_m5_template_senddate_applies_and_row_overrides_it() -> None:
    schedule = Schedule(at=AT, zone=MOSCOW, validity=1440, senddate=datetime(2026, 11, 27, 9, 0))
    assert schedule.default[0] == datetime(2026, 11, 27, 6, 0, tzinfo=UTC)
    row = schedule.times("20261128T09:00:00", "79031234567")
    assert row is not None and row[0] == datetime(2026, 11, 28, 6, 0, tzinfo=UTC)


def test_q12_past_row_date_is_sent_at_once_with_warning() -> None:
    report = Recorder()
    schedule = Schedule(at=AT, zone=MOSCOW, validity=30, report=report)
    assert schedule.times("2020-01-01T10:00:00", "79031234567", 7, 2) == (AT, AT + timedelta(minutes=30))
    assert report.codes == ["SMS602"] and report.seen[0][2:] == (7, 2)


def test_q12_past_template_date_warns_once() -> None:
    template = Recorder()
    schedule = Schedule(at=AT, zone=MOSCOW, validity=30, senddate=datetime(2020, 1, 1), template_report=template)
    assert schedule.default[0] == AT
    assert template.codes == ["SMS602"]


def test_q2_invalid_row_date_rejects_row_with_sms601() -> None:
    report = Recorder()
    schedule = Schedule(at=AT, zone=MOSCOW, validity=30, report=report)
    assert schedule.times("26.11.2026", "79031234567", 3, 1) is None
    assert schedule.times("26.11.2026", "79031234568", 4, 1) is None  # cached, still reported
    assert report.codes == ["SMS601", "SMS601"]


def test_m6_localtime_reads_date_in_recipients_zone() -> None:
    zones = Zones({"73432000000": ("Asia/Yekaterinburg",)})
    schedule = Schedule(
        at=AT, zone=MOSCOW, validity=60, senddate=datetime(2026, 11, 26, 10, 0), localtime=True, resolver=zones
    )
    assert schedule.per_recipient
    send, _ = schedule.template_times("73432000000")
    assert send == datetime(2026, 11, 26, 5, 0, tzinfo=UTC)  # 10:00 at UTC+5
    row = schedule.times("2026-11-26T12:00:00", "73432000000")
    assert row is not None and row[0] == datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def test_q13_unknown_or_ambiguous_zone_falls_back_to_clients_with_info() -> None:
    report = Recorder()
    zones = Zones({"79031234567": ("Europe/Moscow", "Asia/Omsk", "Asia/Yekaterinburg")})
    schedule = Schedule(
        at=AT,
        zone=MOSCOW,
        validity=60,
        senddate=datetime(2026, 11, 26, 10, 0),
        localtime=True,
        resolver=zones,
        report=report,
    )
    moscow_ten = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)
    assert schedule.template_times("79031234567", 2)[0] == moscow_ten
    assert schedule.template_times("12025550123", 3)[0] == moscow_ten
    assert report.codes == ["SMS508", "SMS509"]
    assert "Asia/Omsk" in (report.seen[0][1] or "") and report.seen[1][2] == 3


def test_m6_localtime_without_date_changes_nothing() -> None:
    schedule = Schedule(at=AT, zone=MOSCOW, validity=60, localtime=True, resolver=Zones({}))
    assert not schedule.per_recipient
    assert schedule.template_times("79031234567") == (AT, AT + timedelta(hours=1))


# --- windows as integers, the register's fast path, capped reports -----------------------------------


def test_q2_instants_as_microseconds_round_trip_exactly() -> None:
    from smsftp.simulator.rules.schedule import instant, micros

    for moment in (
        AT,
        datetime(2026, 11, 25, 12, 0, 0, 123456, tzinfo=UTC),
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2099, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ):
        assert instant(micros(moment)) == moment and instant(micros(moment)).tzinfo is UTC
    schedule = Schedule(at=AT, zone=MOSCOW, validity=90)
    assert schedule.default_window == (micros(AT), micros(AT + timedelta(minutes=90)))


def test_q13_capped_reports_are_counted_without_their_message() -> None:
    """Q13: past the per-code cap (``room`` says no) the reporter is still called, but no text is written."""
    report = Recorder()
    zones = Zones({"79031234567": ("Europe/Moscow", "Asia/Omsk")})
    schedule = Schedule(
        at=AT,
        zone=MOSCOW,
        validity=60,
        senddate=datetime(2026, 11, 26, 10, 0),
        localtime=True,
        resolver=zones,
        report=report,
        room=lambda code: False,
    )
    schedule.template_times("79031234567", 2)
    schedule.template_times("12025550123", 3)
    assert report.seen == [("SMS508", None, 2, None), ("SMS509", None, 3, None)]


def _register_schedule(
    report: Recorder, at: datetime = AT, template: Recorder | None = None
) -> tuple[Schedule, Schedule]:
    from smsftp.simulator.rules.timezones import ZoneResolver, parse_register

    text = (
        "АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН\n"
        "903;0;1999999;1;x;г. Москва;1\n"
        "903;2000000;2049999;1;x;Омская область;1\n"  # a zone boundary inside a block
        "914;1000000;1999999;1;x;Республика Саха /Якутия/;1\n"  # several zones
        "958;0;999999;1;x;Атлантида;1\n"
    )  # no zone known
    resolver = ZoneResolver(parse_register(text.encode("utf-8")))

    class Plain:  # the same answers without the register's index
        def zones_for(self, phone: str) -> tuple[str, ...]:
            return resolver.zones_for(phone)

    senddate = datetime(2026, 11, 26, 10, 0)
    fast = Schedule(
        at=at,
        zone=MOSCOW,
        validity=60,
        senddate=senddate,
        localtime=True,
        resolver=resolver,
        report=report,
        template_report=template,
    )
    plain = Schedule(
        at=at, zone=MOSCOW, validity=60, senddate=senddate, localtime=True, resolver=Plain(), report=Recorder()
    )
    return fast, plain


def test_m6_number_window_agrees_with_recipient_window() -> None:
    """M6: the register's fast path gives every number the window zones_for would; blocks get filled."""
    fast, plain = _register_schedule(Recorder())
    phones = [f"7903{n:07d}" for n in (0, 1, 1999999, 2000000, 2049999, 2050000, 5000000)]
    phones += [f"7914{n:07d}" for n in (999999, 1000000, 1500000)] + ["79580000001", "74951234567"]
    for phone in phones * 2:
        assert fast.number_window(phone, int(phone), 2) == plain.recipient_window(phone, 2), phone
    filled = [w for w in fast.block_windows if w is not None]
    assert filled and set(filled) <= set(fast.by_zones.values())


def test_q12_template_date_past_in_a_zone_is_told_only_when_a_recipient_is_there() -> None:
    """Q12: SMS602 for the template's date comes with the first recipient whose zone makes it past."""
    report = Recorder()
    template = Recorder()
    at = datetime(2026, 11, 26, 5, 30, tzinfo=UTC)  # 10:00 is past in Omsk (04:00 UTC), not in Moscow (07:00)
    fast, _ = _register_schedule(report, at, template)
    fast.number_window("79030000001", 79030000001, 2)
    assert template.codes == []
    assert fast.number_window("79032000001", 79032000001, 3)[0] == fast.default_window[0]
    assert template.codes == ["SMS602"]
