"""Judging whole archives (Z1-Z5, C1-C4, M1-M6, N1-N6, Q2-Q27): simulator/processing.py.

Every archive here is built by the test with zipfile; the processing instant is fixed.
"""

from __future__ import annotations

import io
import random
import zipfile
from datetime import UTC, datetime, timedelta

import pytest

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.outcome import ArchiveResult, Message, UploadFacts
from smsftp.simulator.rules.processing import PER_CODE_CAP, check_archive, process_archive

AT = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NAME = "guest_20261125120000.zip"
GUEST = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS")


def zip_bytes(files: dict[str, str | bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", method) as z:
        for name, data in files.items():
            z.writestr(name, data.encode() if isinstance(data, str) else data)
    return out.getvalue()


def template_zip(
    contacts: str | bytes,
    template: str | bytes = "message;sourceaddress\nHello;TESTSMS\n",
    method: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    return zip_bytes({"sms/contacts.csv": contacts, "sms/template.csv": template}, method)


def check(data: bytes, account: Account = GUEST, name: str = NAME, **kw: object) -> ArchiveResult:
    return check_archive(name, data, account, AT, keep_messages=True, **kw)  # type: ignore[arg-type]


def codes(result: ArchiveResult) -> list[str]:
    return [d.code for d in result.diagnostics]


def msg(
    phone: str,
    text: str,
    row: int,
    *,
    send: datetime = AT,
    minutes: int = 1440,
    encoding: str = "UCS-2",
    segments: int = 1,
    sender: str = "TESTSMS",
) -> Message:
    return Message(
        phone,
        text,
        sender,
        send,
        send + timedelta(minutes=minutes),
        encoding,  # type: ignore[arg-type]
        segments,
        row,
    )


class Zones:
    def __init__(self, table: dict[str, tuple[str, ...]]) -> None:
        self.table = table

    def zones_for(self, phone: str) -> tuple[str, ...]:
        return self.table.get(phone, ())


# --- template mode -------------------------------------------------------------------


def test_z4_z5_q5_excel_csv_with_bom_crlf_and_quoted_fields() -> None:
    contacts = (
        "\ufeffphone;attr1;attr2;senddate\r\n"
        '79031234567;"Иванов; Иван";"строка 1\r\nстрока 2";\r\n'
        "\r\n"
        "79161234567;Petrov;Hi;2026-11-26T10:00:00\r\n"
    )
    template = '\ufeffmessage;sourceaddress;validity\r\n"Уважаемый #attr1#! #attr2#";TESTSMS;180\r\n'
    result = check(template_zip(contacts, template))
    assert result.status == "accepted", result.diagnostics
    assert (result.mode, result.message_count, result.rejected_rows) == ("template", 2, 0)
    assert codes(result) == ["SMS301", "SMS312", "SMS301", "SMS312"]  # Q29: quoting noted once per file
    assert [d.file for d in result.diagnostics] == ["sms/template.csv"] * 2 + ["sms/contacts.csv"] * 2
    assert result.messages == [
        msg("79031234567", "Уважаемый Иванов; Иван! строка 1\r\nстрока 2", 2, minutes=180),
        msg("79161234567", "Уважаемый Petrov! Hi", 5, send=datetime(2026, 11, 26, 7, 0, tzinfo=UTC), minutes=180),
    ]


def test_c2_m2_gsm_message_and_parts() -> None:
    long_text = "x" * 161
    result = check(
        template_zip(
            f"phone;attr1\n79031234567;{long_text}\n79031234568;ok\n", "message;sourceaddress\n#attr1#;TESTSMS\n"
        )
    )
    assert result.messages == [
        msg("79031234567", long_text, 2, encoding="GSM-7", segments=2),
        msg("79031234568", "ok", 3, encoding="GSM-7"),
    ]


def test_z4_cp1251_account_accepts_cp1251_files() -> None:
    account = Account(login="guest", senders=("TESTSMS",), encoding="cp1251")
    data = template_zip(
        "phone;attr1\r\n79031234567;Иван\r\n".encode("cp1251"),
        "message;sourceaddress\r\nПривет, #attr1#!;TESTSMS\r\n".encode("cp1251"),
    )
    result = check(data, account)
    assert result.status == "accepted" and codes(result) == []
    assert result.messages == [msg("79031234567", "Привет, Иван!", 2)]


def test_z4_cp1251_file_for_utf8_account_rejected_with_hint() -> None:
    data = template_zip("phone;attr1\r\n79031234567;Ok\r\n79031234568;Иван\r\n".encode("cp1251"))
    result = check(data)
    assert result.status == "rejected" and result.message_count == 0 and result.messages == []
    bad = result.diagnostics[-1]
    assert (bad.code, bad.file, bad.line, bad.column) == ("SMS302", "sms/contacts.csv", 3, 13)
    assert "cp1251" in bad.hint


def test_c3_m5_senddate_override_template_default_and_past() -> None:
    contacts = (
        "phone;senddate\n79031234567;\n79031234568;20261127T09:30:00\n"
        "79031234569;2020-01-01T00:00:00\n79031234560;завтра\n"
    )
    template = "message;sourceaddress;senddate;validity\nHi;TESTSMS;2026-11-26T09:00:00;60\n"
    result = check(template_zip(contacts, template))
    assert result.status == "accepted"
    assert result.messages == [
        msg("79031234567", "Hi", 2, send=datetime(2026, 11, 26, 6, 0, tzinfo=UTC), minutes=60, encoding="GSM-7"),
        msg("79031234568", "Hi", 3, send=datetime(2026, 11, 27, 6, 30, tzinfo=UTC), minutes=60, encoding="GSM-7"),
        msg("79031234569", "Hi", 4, minutes=60, encoding="GSM-7"),
    ]
    assert codes(result) == ["SMS602", "SMS601"]
    assert (result.diagnostics[1].line, result.diagnostics[1].column) == (5, 13)
    assert result.rejected_rows == 1


def test_m5_invalid_template_senddate_rejects_archive() -> None:
    result = check(template_zip("phone\n79031234567\n", "message;sourceaddress;senddate\nHi;TESTSMS;завтра\n"))
    assert result.status == "rejected" and codes(result) == ["SMS603"] and result.messages == []


def test_m6_localtime_uses_recipient_zone_q13_falls_back() -> None:
    contacts = "phone\n73432000000\n79031234567\n"
    template = "message;sourceaddress;senddate;localtime\nHi;TESTSMS;2026-11-26T10:00:00;1\n"
    zones = Zones({"73432000000": ("Asia/Yekaterinburg",)})
    result = check(template_zip(contacts, template), resolver=zones)
    assert result.status == "accepted"
    assert result.messages is not None
    assert [m.send_at for m in result.messages] == [
        datetime(2026, 11, 26, 5, 0, tzinfo=UTC),
        datetime(2026, 11, 26, 7, 0, tzinfo=UTC),
    ]
    assert codes(result) == ["SMS509"] and result.diagnostics[0].line == 3


def test_m6_localtime_without_any_date_is_sms409() -> None:
    result = check(
        template_zip("phone;senddate\n79031234567;\n", "message;sourceaddress;localtime\nHi;TESTSMS;1\n"),
        resolver=Zones({}),
    )
    # Q28: the senddate column is empty in every row (SMS313), so localtime has nothing to apply to
    assert result.status == "accepted" and codes(result) == ["SMS313", "SMS409"]


def test_m3_q10_sender_errors_reject_archive_but_rows_are_still_checked() -> None:
    result = check(template_zip("phone\n89031234567\n79031234567\n", "message;sourceaddress\nHi;TestSms\n"))
    assert result.status == "rejected" and result.message_count == 0
    assert codes(result) == ["SMS706", "SMS503"]
    assert result.rejected_rows == 1


def test_m3_unknown_senders_warn_sms705() -> None:
    result = check(template_zip("phone;attr1\n79031234567;a\n"), Account(login="guest", senders_known=False))
    assert result.status == "accepted" and codes(result) == ["SMS705"]


@pytest.mark.parametrize(
    "template,code",
    [
        ("message;sourceaddress;validity\nHi;TESTSMS;-1\n", "SMS406"),
        ("message;sourceaddress;validity\nHi;TESTSMS;5000\n", "SMS407"),
        ("message;sourceaddress;localtime\nHi;TESTSMS;да\n", "SMS408"),
        ("message;sourceaddress\n;TESTSMS\n", "SMS402"),
        ("message;sourceaddress\nA;TESTSMS\nB;TESTSMS\n", "SMS401"),
        ("message\nHi\n", "SMS305"),
        ("", "SMS310"),
    ],
)
def test_m1_m2_q11_template_problems_reject(template: str, code: str) -> None:
    result = check(template_zip("phone\n79031234567\n", template))
    assert result.status == "rejected" and result.messages == []
    assert code in codes(result)


@pytest.mark.parametrize(
    "phone,code",
    [
        ("", "SMS501"),
        ("+79031234567", "SMS502"),
        ("89031234567", "SMS503"),
        ("7.9031234567E+10", "SMS504"),
        ("7 (903) 123-45-67", "SMS505"),
        ("7903123456", "SMS506"),
        ("Иванов", "SMS507"),
    ],
)
def test_q8_bad_phone_rejects_only_its_row(phone: str, code: str) -> None:
    result = check(template_zip(f'phone;attr1\n79031234567;a\n"{phone}";b\n79031234568;c\n'))
    assert result.status == "accepted"
    assert (result.message_count, result.rejected_rows) == (2, 1)
    assert codes(result) == [code, "SMS312"]  # the quoted cell is noted once (Q29)
    d = result.diagnostics[0]
    assert (d.line, d.column, d.file) == (3, 1, "sms/contacts.csv")
    assert d.hint  # each with its own hint


def test_q20_empty_and_too_long_messages_reject_rows() -> None:
    account = Account(login="guest", senders=("TESTSMS",), max_parts=2)
    contacts = f"phone;attr1\n79031234567;\n79031234568;{'я' * 135}\n79031234569;{'я' * 134}\n"
    result = check(template_zip(contacts, "message;sourceaddress\n#attr1#;TESTSMS\n"), account)
    assert codes(result) == ["SMS404", "SMS405"]
    assert result.messages == [msg("79031234569", "я" * 134, 4, segments=2)]
    assert result.rejected_rows == 2


def test_q25_no_recipients_sms410() -> None:
    result = check(template_zip("phone;attr1\r\n\r\n"))
    assert result.status == "rejected" and codes(result) == ["SMS410"]


def test_q6_contacts_header_problems() -> None:
    result = check(template_zip("Phone;attr1\n79031234567;a\n"))
    assert result.status == "rejected" and codes(result) == ["SMS305"]
    result = check(
        template_zip(
            "phone;attr1;city\n79031234567;a;Тверь\n", "message;sourceaddress\n#attr1# #city# #nope#;TESTSMS\n"
        )
    )
    assert result.status == "accepted" and codes(result) == ["SMS307", "SMS403"]
    assert result.messages == [msg("79031234567", "a Тверь ", 2)]


def test_z5_field_count_and_wrong_delimiter() -> None:
    result = check(template_zip("phone;attr1;attr2\n79031234567;a\n"))
    assert result.status == "accepted" and codes(result) == ["SMS309"]
    result = check(template_zip("phone,attr1\n79031234567,a\n"))
    assert result.status == "rejected" and codes(result) == ["SMS304"]


def test_q26_duplicates_warned_and_q26_limit_noted_once() -> None:
    result = check(template_zip("phone\n79031234567\n79031234568\n79031234567\n79031234569\n79031234568\n"))
    assert result.message_count == 5 and codes(result) == ["SMS414", "SMS414"]
    assert "line 2" in result.diagnostics[0].message and result.diagnostics[0].line == 4
    limited = Account(login="guest", senders=("TESTSMS",), duplicate_check_limit=2)
    result = check(
        template_zip("phone\n79031234567\n79031234568\n79031234569\n79031234567\n79031234569\n79031234560\n"), limited
    )
    assert result.message_count == 6 and codes(result) == ["SMS415", "SMS414"]


def test_q9_bad_row_can_reject_the_archive_sms416() -> None:
    strict = Account(login="guest", senders=("TESTSMS",), reject_archive_on_bad_row=True)
    run = process_archive(NAME, template_zip("phone\n79031234567\n89031234567\n79031234568\n"), strict, AT)
    taken = list(run)
    assert [m.phone for m in taken] == ["79031234567"]  # yielded before the bad row: the consumer rolls back
    assert run.status == "rejected" and run.message_count == 0
    assert [d.code for d in run.diagnostics] == ["SMS503", "SMS416"]


def test_q8_q9_many_bad_rows_capped_per_code_with_a_summary() -> None:
    rows = "".join(f"7903123{i:04d}5\n" for i in range(PER_CODE_CAP + 150))
    result = check(template_zip("phone\n" + rows + "79031234567\n"))
    assert result.rejected_rows == PER_CODE_CAP + 150 and result.message_count == 1
    found = codes(result)
    assert found.count("SMS506") == PER_CODE_CAP + 1
    assert "150 more" in result.diagnostics[-1].message


# --- plain mode -------------------------------------------------------------------------


def plain(text: str | bytes, name: str = "sms/list.txt") -> bytes:
    return zip_bytes({name: text})


def test_n1_n6_plain_mode_messages() -> None:
    result = check(plain('TELRN_LONG;TEXT\r\n79031234567;Hello\r\n79031234568;"Привет; мир"\r\n'))
    assert (result.status, result.mode) == ("accepted", "plain") and codes(result) == ["SMS312"]
    assert result.messages == [msg("79031234567", "Hello", 2, encoding="GSM-7"), msg("79031234568", "Привет; мир", 3)]
    assert result.diagnostics[0].line == 3  # the first line where a field starts with `"`


def test_n5_account_validity_applies_in_plain_mode() -> None:
    account = Account(login="guest", default_sender="SHOP", validity=30)
    result = check(plain("telrn_long ; text\n79031234567;Hi\n"), account)
    assert result.messages == [msg("79031234567", "Hi", 2, minutes=30, encoding="GSM-7", sender="SHOP")]


def test_q18_unexpected_first_line_is_skipped_with_warning() -> None:
    result = check(plain("79031234567;Lost\n79031234568;Kept\n"))
    assert codes(result) == ["SMS411"] and [m.phone for m in result.messages or []] == ["79031234568"]


def test_q19_unquoted_separator_joined_back() -> None:
    result = check(plain("TELRN_LONG;TEXT\n79031234567;a;b;c\n"))
    assert codes(result) == ["SMS412"] and result.messages == [msg("79031234567", "a;b;c", 2, encoding="GSM-7")]


def test_n3_missing_text_rejects_row() -> None:
    result = check(plain("TELRN_LONG;TEXT\n79031234567\n79031234568;ok\n"))
    assert codes(result) == ["SMS413"] and result.rejected_rows == 1 and result.message_count == 1


def test_n6_extra_columns_warned_and_ignored() -> None:
    result = check(plain("TELRN_LONG;TEXT;senddate\n79031234567;Hi;2026-11-30T10:00:00\n"))
    assert codes(result) == ["SMS417"]
    assert result.messages == [msg("79031234567", "Hi", 2, encoding="GSM-7")]


def test_n4_plain_without_default_sender_rejected() -> None:
    result = check(plain("TELRN_LONG;TEXT\n79031234567;Hi\n"), Account(login="guest"))
    assert result.status == "rejected" and codes(result) == ["SMS707"] and result.messages == []


def test_n2_plain_header_only_is_sms410_and_comma_header_sms304() -> None:
    assert codes(check(plain("TELRN_LONG;TEXT\n"))) == ["SMS410"]
    result = check(plain("TELRN_LONG,TEXT\n79031234567,Hi\n"))
    assert result.status == "rejected" and codes(result) == ["SMS304"]


# --- the archive and the upload ---------------------------------------------------------


def test_z1_q3_bad_name_rejects() -> None:
    result = check(template_zip("phone\n79031234567\n"), name="other_20261125120000.zip")
    assert result.status == "rejected" and "SMS103" in codes(result) and result.messages == []
    result = check(template_zip("phone\n79031234567\n"), name="campaign.zip")
    assert result.status == "rejected" and "SMS101" in codes(result)


def test_q16_corrupt_entry_while_streaming_rejects_with_no_messages() -> None:
    data = bytearray(template_zip("phone\n" + "79031234567\n" * 2000, method=zipfile.ZIP_STORED))
    at = data.find(b"79031234567\n" * 3) + 12 * 1500
    data[at] = ord("8")  # the CRC check fails only at the end of the entry
    run = process_archive(NAME, bytes(data), GUEST, AT)
    taken = sum(1 for _ in run)
    assert run.status == "rejected" and run.message_count == 0
    assert "SMS206" in [d.code for d in run.diagnostics]
    assert taken >= 0  # yielded messages, if any, are rolled back by the consumer


def test_q27_ascii_mode_upload_is_named_first() -> None:
    mangled = template_zip("phone\n79031234567\n" * 50).replace(b"\n", b"\r\n")
    result = check(mangled, upload=UploadFacts(transfer_type="A"))
    assert result.status == "rejected" and codes(result)[0] == "SMS801"
    clean = check(mangled, upload=UploadFacts(transfer_type="I"))
    assert "SMS801" not in codes(clean)


def test_q22_incomplete_upload_is_named() -> None:
    data = template_zip("phone\n" + "79031234567\n" * 100)
    result = check(data[: len(data) // 2], upload=UploadFacts(complete=False))
    assert result.status == "rejected" and codes(result)[0] == "SMS802"
    accepted = check(data, upload=UploadFacts(transfer_type="A", complete=False))
    assert accepted.status == "accepted" and "SMS802" not in codes(accepted)


def test_q9_run_streams_messages_and_verdict_comes_after() -> None:
    """Q9: messages stream out as rendered; the verdict is final only after iteration."""
    run = process_archive(NAME, template_zip("phone\n79031234567\n79031234568\n"), GUEST, AT)
    assert run.status == "rejected"  # nothing judged yet
    first = next(iter(run))
    assert first.phone == "79031234567" and run.message_count == 0
    rest = list(run)
    assert [m.phone for m in rest] == ["79031234568"]
    assert (run.status, run.mode, run.message_count) == ("accepted", "template", 2)
    assert run.result().message_count == 2


# --- never crash ---------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.mark.parametrize("data", [b"", b"PK", PNG, b"phone;attr1\n79031234567;a\n", bytes(range(256)) * 64])
def test_q16_garbage_is_a_diagnostic_not_a_crash(data: bytes) -> None:
    result = check(data)
    assert result.status == "rejected" and any(d.is_error for d in result.diagnostics)


@pytest.mark.parametrize(
    "content",
    [
        b"phone\x00;attr1\n7903\x00\n",
        b"\x00" * 1000,
        b"\xff\xfe\x00\x00" * 100,
        b'phone;attr1\n"' + b"\n" * 5000,
        b"phone;" * 100_000,
    ],
)
def test_z4_z5_hostile_csv_content_is_a_diagnostic(content: bytes) -> None:
    cases: list[dict[str, str | bytes]] = [
        {"sms/contacts.csv": content, "sms/template.csv": "message;sourceaddress\nHi;TESTSMS\n"},
        {"sms/contacts.csv": "phone\n79031234567\n", "sms/template.csv": content},
        {"sms/list.txt": content},
    ]
    for files in cases:
        result = check(zip_bytes(files))
        assert result.status in ("accepted", "rejected") and result.diagnostics


def test_q16_fuzz_random_and_mutated_archives_never_raise() -> None:
    rng = random.Random(1125)
    base = [
        template_zip(
            '\ufeffphone;attr1;senddate\r\n79031234567;"a;b";2026-11-26T10:00:00\r\n89031234567;x;\r\n',
            "message;sourceaddress;validity;localtime\r\nHi #attr1# #x#;TESTSMS;60;1\r\n",
        ),
        plain("TELRN_LONG;TEXT\n79031234567;Hello; there\n7903\n"),
    ]
    accounts = [
        GUEST,
        Account(
            login="guest",
            senders_known=False,
            encoding="cp1251",
            reject_archive_on_bad_row=True,
            duplicate_check_limit=1,
        ),
    ]
    texts = [
        '\ufeffphone;attr1;senddate\r\n79031234567;"a;b";2026-11-26T10:00:00\r\n89031234567;x;\r\n',
        "message;sourceaddress;validity;localtime;senddate\r\nHi #attr1# #x#;TESTSMS;60;1;20261126T10:00:00\r\n",
        'TELRN_LONG;TEXT\n79031234567;Hello; there\n7903\n"79031234568";"x""y"\n',
    ]
    for i in range(400):
        source = bytearray(rng.choice(base))
        kind = i % 4
        if kind == 0:
            for _ in range(rng.randint(1, 8)):
                source[rng.randrange(len(source))] = rng.randrange(256)
        elif kind == 1:
            source = source[: rng.randrange(len(source))]
        elif kind == 2:
            source = bytearray(rng.randbytes(rng.randint(0, 400)))
        else:  # a sound container around mutated text: the content rules get the noise
            files = [bytearray(t.encode()) for t in texts]
            for f in files:
                for _ in range(rng.randint(0, 6)):
                    at = rng.randrange(len(f) + 1)
                    f[at : at + rng.randint(0, 3)] = rng.choice(
                        [b";", b'"', b"\r", b"\n", b"#", b"\xd0", b"\x00", rng.randbytes(2), b"", b"\xef\xbb\xbf"]
                    )
            source = bytearray(
                zip_bytes({"sms/contacts.csv": bytes(files[0]), "sms/template.csv": bytes(files[1])})
                if rng.random() < 0.6
                else zip_bytes({"sms/x.txt": bytes(files[2])})
            )
        for account in accounts:
            result = check(
                bytes(source),
                account,
                resolver=Zones({}),
                upload=UploadFacts(transfer_type="A" if i % 2 else "I", complete=rng.random() < 0.5),
            )
            assert result.status in ("accepted", "rejected")
            if result.status == "rejected":
                assert result.message_count == 0 and any(d.is_error for d in result.diagnostics)


# --- the batch path: the same messages as plain rows for the store ---------------------------------


def _as_messages(run_rows: list[tuple[int | str, str, int, int, int, int, int]], sender: str) -> list[Message]:
    from smsftp.simulator.rules.schedule import instant
    from smsftp.simulator.rules.segments import ENCODING_OF_BITS

    return [
        Message(str(phone), text, sender, instant(send), instant(expires), ENCODING_OF_BITS[bits], parts, row)
        for phone, text, send, expires, bits, parts, row in run_rows
    ]


@pytest.mark.parametrize(
    "data",
    [
        template_zip(
            "phone;attr1;senddate\n79031234567;Иван;\n79161234567;x{y};2026-11-27T10:00:00\n"
            "89031234567;bad;\n79261234567;\U0001f600 " + "я" * 70 + ";\n",
            "message;sourceaddress;validity\nПривет, #attr1#!;TESTSMS;60\n",
        ),
        template_zip("phone;attr1\n79031234567;Hello\n79031234568;€uro\n", "message;sourceaddress\n#attr1#;TESTSMS\n"),
        zip_bytes({"sms/list.txt": "TELRN_LONG;TEXT\n79031234567;Hi\n79031234568;Привет\n7903;x\n"}),
    ],
)
def test_q9_batches_hand_on_exactly_the_messages_iteration_gives(data: bytes) -> None:
    """The store's path (ArchiveRun.batches: plain tuples) and Message iteration are the same messages."""
    by_iteration = process_archive(NAME, data, GUEST, AT)
    messages = list(by_iteration)
    run = process_archive(NAME, data, GUEST, AT)
    rows = [row for batch in run.batches(2) for row in batch]
    assert messages and _as_messages(rows, run.sender or "") == messages
    assert all(isinstance(row[0], int) and row[4] in (7, 16) for row in rows)
    assert (run.status, run.message_count, run.rejected_rows, [d.code for d in run.diagnostics]) == (
        by_iteration.status,
        by_iteration.message_count,
        by_iteration.rejected_rows,
        [d.code for d in by_iteration.diagnostics],
    )
    assert check_archive(NAME, data, GUEST, AT).to_json() == by_iteration.result().to_json()


def test_q20_emoji_in_a_field_of_a_ucs2_template_counts_two_units() -> None:
    """Q20: a surrogate pair read from contacts.csv counts two units, also on the fast path for UCS-2 templates."""
    contacts = "phone;attr1\n" + "".join(f"7903123{i:04d};{'я' * 68}\n" for i in range(3))
    contacts += "79031234567;" + "я" * 67 + "\U0001f600\n"  # 70 characters, 71 UTF-16 units
    result = check(template_zip(contacts, "message;sourceaddress\nЩ #attr1#;TESTSMS\n"))
    assert result.messages is not None
    assert [(len(m.text), m.segments) for m in result.messages] == [(70, 1), (70, 1), (70, 1), (70, 2)]


def test_q26_repeat_names_the_first_line_far_back() -> None:
    """Q26: the warning names the line where the number was first seen, also thousands of rows back."""
    rows = "".join(f"7903{i:07d}\n" for i in range(3000)) + "79030000007\n79030002999\n"
    result = check(template_zip("phone\n" + rows))
    repeats = [d for d in result.diagnostics if d.code == "SMS414"]
    assert [d.line for d in repeats] == [3002, 3003]
    assert "line 9;" in repeats[0].message and "line 3001;" in repeats[1].message


def test_q26_repeats_keeps_numbers_and_lines_aligned() -> None:
    from smsftp.simulator.rules.processing import Repeats

    repeats = Repeats()
    for number, line in ((79031234567, 2), (1 << 64, 3), (79031234568, 1 << 33), (79031234569, 5)):
        repeats.add(number, line)
    assert repeats.known == {79031234567, 1 << 64, 79031234568, 79031234569}
    assert len(repeats.numbers) == len(repeats.lines) == 2
    assert [repeats.first_line(n) for n in (79031234567, 1 << 64, 79031234568, 79031234569, 7)] == [
        2,
        3,
        1 << 33,
        5,
        None,
    ]


def test_m6_localtime_with_a_register_reads_the_date_in_each_recipients_zone() -> None:
    """M6 through the register's fast path: the send date in each recipient's zone, Q13 for the rest."""
    from smsftp.simulator.rules.timezones import ZoneResolver, parse_register

    register = parse_register(
        (
            "АВС/ DEF;От;До;Емкость;Оператор;Регион;ИНН\n"
            "903;0;999999;1;x;г. Москва;1\n904;0;999999;1;x;Омская область;1\n"
        ).encode()
    )
    contacts = "phone\n" + "".join(f"{p}\n" for p in ("79030000001", "79040000001", "79030000002", "79050000001"))
    template = "message;sourceaddress;senddate;localtime\nHi;TESTSMS;2026-11-26T10:00:00;1\n"
    result = check(template_zip(contacts, template), resolver=ZoneResolver(register))
    assert result.messages is not None
    assert [m.send_at.hour for m in result.messages] == [7, 4, 7, 7]  # Moscow, Omsk, Moscow, client's (Moscow)
    assert [d.code for d in result.diagnostics] == ["SMS508"]


# --- Q20: parts through the pipeline, characters of two units from the template, the contacts, both ---------
_DOUBLE = {"GSM-7": ("a", "€"), "UCS-2": ("Ж", "\U0001f600")}  # (one unit, two units that stay together)


def _split_text(encoding: str, units: int, where: str, doubles: int = 6) -> tuple[str, str]:
    """(template message, attr1) whose rendered text is ``units`` units long, ``doubles`` of its characters
    two units each, placed where no part boundary splits them, in the template, the contact, or both."""
    one, two = _DOUBLE[encoding]
    lead = one if encoding == "UCS-2" else ""  # a UCS-2 template's own text is not GSM: the fast path
    fill = one * (units - 2 * doubles - 1 - len(lead))
    if where == "template":
        return lead + two * doubles + fill + "#attr1#", one
    if where == "contacts":
        return lead + fill + "#attr1#", two * doubles + one
    half = doubles // 2
    return lead + two * half + fill + "#attr1#", two * (doubles - half) + one


@pytest.mark.parametrize("where", ["template", "contacts", "both"])
@pytest.mark.parametrize(
    ("encoding", "units", "parts"),
    [
        ("GSM-7", 160, 1),
        ("GSM-7", 161, 2),
        ("GSM-7", 306, 2),
        ("GSM-7", 307, 3),
        ("UCS-2", 70, 1),
        ("UCS-2", 71, 2),
        ("UCS-2", 134, 2),
        ("UCS-2", 135, 3),
    ],
)
def test_q20_pipeline_counts_two_unit_characters_from_anywhere(
    encoding: str, units: int, parts: int, where: str
) -> None:
    message, attr = _split_text(encoding, units, where)
    contacts = f"phone;attr1\n79031234567;{attr}\n79031234568;{attr}\n"
    result = check(template_zip(contacts, f"message;sourceaddress\n{message};TESTSMS\n"))
    assert result.status == "accepted", codes(result)
    assert result.messages is not None
    texts = [m.text for m in result.messages]
    assert len(texts[0].encode("utf-16-le")) // 2 == units if encoding == "UCS-2" else True
    assert [(m.encoding, m.segments) for m in result.messages] == [(encoding, parts)] * 2


@pytest.mark.parametrize("where", ["template", "contacts", "both"])
@pytest.mark.parametrize(
    ("encoding", "units", "accepted"),
    [("GSM-7", 306, True), ("GSM-7", 307, False), ("UCS-2", 134, True), ("UCS-2", 135, False)],
)
def test_q20_part_cap_counts_two_unit_characters_from_anywhere(
    encoding: str, units: int, accepted: bool, where: str
) -> None:
    message, attr = _split_text(encoding, units, where)
    account = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS", max_parts=2)
    contacts = f"phone;attr1\n79031234567;{attr}\n"
    result = check(template_zip(contacts, f"message;sourceaddress\n{message};TESTSMS\n"), account)
    assert (result.message_count, result.rejected_rows) == ((1, 0) if accepted else (0, 1))
    assert ("SMS405" in codes(result)) is not accepted


def test_q20_emoji_in_the_template_with_none_in_the_contacts() -> None:
    """Issue 9's example: `Привет` + 40 emoji + ` #attr1#`, attr1 `Ж`: 88 UTF-16 units, two parts."""
    message = "Привет" + "\U0001f600" * 40 + " #attr1#"
    result = check(template_zip("phone;attr1\n79031234567;Ж\n", f"message;sourceaddress\n{message};TESTSMS\n"))
    assert result.messages is not None
    [sent] = result.messages
    assert (len(sent.text.encode("utf-16-le")) // 2, sent.encoding, sent.segments) == (88, "UCS-2", 2)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("Ж" * 70, 1),
        ("Ж" * 71, 2),
        ("Ж" + "\U0001f600" * 34 + "Ж", 1),
        ("\U0001f600" * 36, 2),
    ],
    ids=["gsm-160", "gsm-161", "ucs2-70", "ucs2-71", "emoji-70-units", "emoji-72-units"],
)
def test_q20_plain_mode_counts_parts_in_the_shared_loop(text: str, parts: int) -> None:
    result = check(plain(f"TELRN_LONG;TEXT\n79031234567;{text}\n"))
    assert result.messages is not None and [m.segments for m in result.messages] == [parts]


# --- issue 10: amplification under the zip caps ------------------------------------------------------------
@pytest.mark.parametrize("mode", ["template", "plain"])
def test_q16_rows_over_the_cap_reject_the_archive_without_reading_on(mode: str) -> None:
    """A 1,000,000-row file compresses to a few kB; past `max_rows` the archive is rejected, the rest unread."""
    rows = "79031234567\n" * 1_000_000
    data = (
        template_zip("phone\n" + rows)
        if mode == "template"
        else plain("TELRN_LONG;TEXT\n" + rows.replace("\n", ";Hi\n"))
    )
    assert len(data) < 100_000
    account = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS", max_rows=10_000)
    run = process_archive(NAME, data, account, AT)
    taken = sum(len(batch) for batch in run.batches())
    assert run.status == "rejected" and run.message_count == 0
    assert taken <= 10_000 and run.data_rows == 10_000  # reading stopped at the cap
    [d] = [d for d in run.diagnostics if d.code == "SMS225"]
    assert "more than 10,000 rows" in d.message and d.line == 10_002


def test_q16_rows_at_the_cap_are_accepted() -> None:
    account = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS", max_rows=3)
    result = check(template_zip("phone\n79031234567\n79031234568\n79031234569\n"), account)
    assert (result.status, result.message_count) == ("accepted", 3)
    result = check(template_zip("phone\n79031234567\n79031234568\n79031234569\n79031234560\n"), account)
    assert (result.status, codes(result)) == ("rejected", ["SMS225"])


# --- the public document and the revisited questions ------------------------------------


@pytest.mark.parametrize("header", ["TELRN_LONG;TEXT", "TELNR_LONG;TEXT", "telnr_long;text"])
def test_n3_both_header_spellings_are_accepted_without_a_warning(header: str) -> None:
    """The seed writes TELRN_LONG, the platform's public copy TELNR_LONG: neither gets SMS411."""
    result = check(plain(f"{header}\r\n79031234567;Hello\r\n"))
    assert (result.status, codes(result), result.message_count) == ("accepted", [], 1)


def test_n3_other_header_still_warns() -> None:
    result = check(plain("TELNUM;TEXT\r\n79031234567;Hello\r\n"))
    assert codes(result) == ["SMS411"] and "TELNR_LONG" in result.diagnostics[0].message


def test_q28_contacts_senddate_column_empty_in_every_row() -> None:
    contacts = "phone;senddate\n79031234567;\n79031234568; \n"
    result = check(template_zip(contacts))
    assert (result.status, result.message_count, codes(result)) == ("accepted", 2, ["SMS313"])
    assert (result.diagnostics[0].file, result.diagnostics[0].line, result.diagnostics[0].column) == (
        "sms/contacts.csv",
        1,
        7,
    )
    rejecting = Account(login="guest", senders=("TESTSMS",), unfilled_columns="reject")
    result = check(template_zip(contacts), rejecting)
    assert (result.status, result.messages, codes(result)) == ("rejected", [], ["SMS314"])
    # One dated row fills the column: the empty ones are the seed's "send at once".
    result = check(template_zip("phone;senddate\n79031234567;\n79031234568;2026-11-26T10:00:00\n"), rejecting)
    assert (result.status, result.message_count, codes(result)) == ("accepted", 2, [])


def test_m4_template_validity_is_1440_when_the_accounts_plain_validity_differs() -> None:
    account = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS", validity=60)
    result = check(template_zip("phone\n79031234567\n"), account)
    assert result.messages == [msg("79031234567", "Hello", 2, encoding="GSM-7")]  # 1440 minutes (M4)
    result = check(plain("TELRN_LONG;TEXT\n79031234567;Hello\n"), account)
    assert result.messages == [msg("79031234567", "Hello", 2, encoding="GSM-7", minutes=60)]  # N5


def test_q2_senddate_without_seconds_schedules_and_the_setting_refuses_it() -> None:
    contacts = "phone;senddate\n79031234567;2026-11-26T10:00\n"
    result = check(template_zip(contacts))
    assert codes(result) == [] and result.messages == [
        msg("79031234567", "Hello", 2, encoding="GSM-7", send=datetime(2026, 11, 26, 7, tzinfo=UTC))
    ]
    strict = Account(login="guest", senders=("TESTSMS",), accept_senddate_without_seconds=False)
    result = check(template_zip(contacts), strict)
    assert codes(result) == ["SMS601"] and result.message_count == 0


def test_q20_text_over_max_chars_rejects_its_row_in_both_modes() -> None:
    """2000 characters, the integrationapi.net HTTP API's limit; 2001 is refused (SMS418)."""
    contacts = f"phone;attr1\n79031234567;{'a' * 1997}\n79031234568;{'a' * 1998}\n"
    result = check(template_zip(contacts, "message;sourceaddress\nHi #attr1#;TESTSMS\n"))
    assert (result.message_count, result.rejected_rows, codes(result)) == (1, 1, ["SMS418"])
    assert result.diagnostics[0].line == 3 and "2,001" in result.diagnostics[0].message
    result = check(plain(f"TELRN_LONG;TEXT\n79031234567;{'b' * 2000}\n79031234568;{'b' * 2001}\n"))
    assert (result.message_count, result.rejected_rows, codes(result)) == (1, 1, ["SMS418"])
    roomy = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS", max_chars=5000)
    assert check(plain(f"TELRN_LONG;TEXT\n79031234568;{'b' * 2001}\n"), roomy).message_count == 1


@pytest.mark.parametrize("phone", ["+79031234567", "89031234567"])
def test_q8_plus_and_8_are_normalized_when_the_account_accepts_them(phone: str) -> None:
    lenient = Account(login="guest", senders=("TESTSMS",), default_sender="TESTSMS", accept_plus_and_8=True)
    result = check(template_zip(f"phone\n{phone}\n79031234567\n"), lenient)
    assert [m.phone for m in result.messages or []] == ["79031234567", "79031234567"]
    assert codes(result) == ["SMS419", "SMS414"]  # normalized, then the same number twice (Q26)
    result = check(plain(f"TELNR_LONG;TEXT\n{phone};Hi\n"), lenient)
    assert [m.phone for m in result.messages or []] == ["79031234567"] and codes(result) == ["SMS419"]
    # Other forms stay refused, with their own codes.
    result = check(template_zip("phone\n+7903\n8 (903) 123-45-67\n"), lenient)
    assert result.message_count == 0 and codes(result) == ["SMS502", "SMS505"]


@pytest.mark.parametrize("fault", [b"\xff\xfe", b"\x00"])
def test_z4_the_record_cut_off_where_the_file_stops_is_never_judged(fault: bytes) -> None:
    # A quoted field opens on line 3; the text fails on line 5. Judged, the cut-off record would repeat
    # line 2's number (SMS414); it is not, and no open quote (SMS303) is claimed for a file that stopped.
    contacts = b'phone;attr1\n79031234567;ok\n79031234567;"open\nstill open\n' + fault + b'"\n'
    result = check(template_zip(contacts))
    assert result.status == "rejected" and result.message_count == 0
    assert codes(result) == ["SMS302"] and (result.diagnostics[0].line, result.diagnostics[0].column) == (5, 1)
