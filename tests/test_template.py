"""The message template and `template.csv` (M1-M6, C4, Q7, Q11, Q14): simulator/template.py."""

from __future__ import annotations

import io
from datetime import datetime

import pytest

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import Diagnostic, collect
from smsftp.simulator.rules.template import (
    TemplateSettings,
    check_columns,
    compile_template,
    read_template,
    split_template,
)
from smsftp.simulator.rules.textio import CsvFile, TextSource

COLUMNS = ["phone", "attr1", "attr2", "attr3", "город", "first name"]
ROW = ["79031234567", "Иван", "Иванович", "Петров", "Тверь", "Ivan"]
ACCOUNT = Account(login="guest", senders=("TESTSMS",))
FILE = "sms/contacts.csv"


def render(message: str, columns: list[str] = COLUMNS, row: list[str] = ROW) -> str:
    compiled, _ = collect(compile_template(message, columns))
    return compiled.render(row)


def test_m2_fields_substituted_from_columns() -> None:
    assert render("Уважаемый #attr1# #attr2# #attr3#!") == "Уважаемый Иван Иванович Петров!"


def test_q6_any_column_is_a_field_including_unknown_and_spaced_names() -> None:
    assert render("#город#, #first name#, #phone#") == "Тверь, Ivan, 79031234567"


@pytest.mark.parametrize(
    "message,expected",
    [
        ("Скидка 10% #", "Скидка 10% #"),  # a lone #
        ("#1 и #attr1#", "#1 и Иван"),  # '#1 и #' is no field: the second # opens one
        ("Заказ #123# готов", "Заказ #123# готов"),  # digits are not a name
        ("## #attr1#", "## Иван"),  # ## is literal, not an escape
        ("##attr1#", "#Иван"),
        ("# attr1 #", "# attr1 #"),  # spaces: not a name
        ("{0} {attr1} }{", "{0} {attr1} }{"),  # format braces are text
        ("#attr1##attr3#", "ИванПетров"),
        ("", ""),
    ],
)
def test_q7_hash_rules(message: str, expected: str) -> None:
    assert render(message) == expected


def test_q7_missing_column_is_empty_with_one_warning_per_field() -> None:
    compiled, found = collect(compile_template("Hi #name#, #name#! #Attr1# #attr1#", COLUMNS, line=2, column=1))
    assert compiled.render(ROW) == "Hi , !  Иван"
    assert [d.code for d in found] == ["SMS403", "SMS403"]
    assert "#name#" in found[0].message and (found[0].file, found[0].line) == ("sms/template.csv", 2)
    assert "#attr1#" in found[1].hint  # a case slip is named
    assert compiled.missing == ("name", "Attr1")


def test_m2_template_compiles_to_positional_format() -> None:
    compiled, _ = collect(compile_template("#attr3#, #attr1#{}", COLUMNS))
    assert compiled.pattern == "{3}, {1}{{}}"
    assert compiled.fields == ("attr3", "attr1")
    assert compiled.constant is None


def test_m2_constant_template_needs_no_formatting() -> None:
    compiled, _ = collect(compile_template("Акция {сегодня}! #nothing#", COLUMNS))
    assert compiled.constant == "Акция {сегодня}! "
    assert compiled.render(["whatever"]) == "Акция {сегодня}! "


def test_m2_split_template_pieces() -> None:
    assert split_template("a #attr1# b", COLUMNS) == [(False, "a "), (True, "attr1"), (False, " b")]


# --- template.csv ------------------------------------------------------------------


def template(text: str, account: Account = ACCOUNT) -> tuple[TemplateSettings | None, list[Diagnostic]]:
    table = CsvFile(TextSource(io.BytesIO(text.encode()), "utf-8", "sms/template.csv"))
    return collect(read_template(table, account))


def codes(found: list[Diagnostic]) -> list[str]:
    return [d.code for d in found]


def test_m1_m4_one_row_with_defaults() -> None:
    settings, found = template("message;sourceaddress\r\nПривет, #attr1#!;TESTSMS\r\n")
    assert found == []
    assert settings is not None
    assert (
        settings.message,
        settings.sender,
        settings.validity,
        settings.senddate,
        settings.localtime,
        settings.line,
    ) == ("Привет, #attr1#!", "TESTSMS", 1440, None, False, 2)


def test_m4_m5_m6_all_columns_read() -> None:
    settings, found = template(
        "message;sourceaddress;validity;senddate;localtime\nHi;TESTSMS;180;20261126T10:00:00;1\n"
    )
    assert found == []
    assert settings is not None
    assert (settings.validity, settings.senddate, settings.localtime) == (180, datetime(2026, 11, 26, 10), True)


@pytest.mark.parametrize(
    "text", ["message;sourceaddress\nHi;TESTSMS\n", "message;sourceaddress;validity\nHi;TESTSMS;\n"]
)
def test_m4_template_default_is_1440_whatever_the_accounts_plain_validity(text: str) -> None:
    """M4 says 1440; the account's `validity` is plain mode's (N5) and must not leak into templates."""
    settings, _ = template(text, Account(login="g", senders=("TESTSMS",), validity=720))
    assert settings is not None and settings.validity == 1440


@pytest.mark.parametrize("column", ["validity", "senddate", "localtime"])
def test_m7_q28_unfilled_template_column_warns_at_its_cell(column: str) -> None:
    """An optional column present but empty: read as its default, SMS313 at the cell (Q28's default)."""
    values = {"message": "Hi", "sourceaddress": "TESTSMS", column: ""}
    settings, found = template(";".join(values) + "\n" + ";".join(values.values()) + "\n")
    assert settings is not None and settings.validity == 1440 and settings.senddate is None
    assert [(d.code, d.severity.value, d.line, d.column) for d in found] == [("SMS313", "warning", 2, 12)]
    assert column in found[0].message and "unfilled" in found[0].message


def test_m7_q28_unfilled_column_rejects_when_the_account_says_so() -> None:
    account = Account(login="g", senders=("TESTSMS",), unfilled_columns="reject")
    _, found = template("message;sourceaddress;validity;localtime\nHi;TESTSMS; ;1\n", account)
    assert [d.code for d in found] == ["SMS314"] and found[0].is_error and "rejected" in found[0].message
    filled, none = template("message;sourceaddress;validity\nHi;TESTSMS;60\n", account)
    assert filled is not None and filled.validity == 60 and none == []


@pytest.mark.parametrize("body,what", [("", "no data row"), ("a;TESTSMS\nb;TESTSMS\n", "2 data rows")])
def test_m1_q14_not_exactly_one_row_sms401(body: str, what: str) -> None:
    settings, found = template("message;sourceaddress\n" + body)
    assert settings is None and codes(found) == ["SMS401"] and what in found[0].message


def test_m1_blank_lines_are_not_rows() -> None:
    settings, found = template("message;sourceaddress\n\nHi;TESTSMS\n\n")
    assert settings is not None and found == []


def test_m2_empty_message_sms402_and_missing_columns_sms305() -> None:
    settings, found = template("message;sourceaddress\n  ;TESTSMS\n")
    assert settings is not None and codes(found) == ["SMS402"]
    assert (found[0].line, found[0].column) == (2, 1)
    settings, found = template("Message;sourceaddress\nHi;TESTSMS\n")
    assert settings is None and codes(found) == ["SMS305"] and "case" in found[0].message


@pytest.mark.parametrize(
    "column,value,code",
    [
        ("validity", "-1", "SMS406"),
        ("validity", "1.5", "SMS406"),
        ("validity", "10080", "SMS407"),
        ("senddate", "завтра", "SMS603"),
        ("localtime", "yes", "SMS408"),
        ("sourceaddress", "NOPE", "SMS704"),
    ],
)
def test_m3_m5_m6_q11_bad_values_are_reported_at_their_column(column: str, value: str, code: str) -> None:
    values = {"message": "Hi", "sourceaddress": "TESTSMS", "validity": "", "senddate": "", "localtime": ""}
    values[column] = value
    settings, found = template(";".join(values) + "\n" + ";".join(values.values()) + "\n")
    found = [d for d in found if d.code != "SMS313"]  # the other optional columns are left empty (Q28)
    assert codes(found) == [code]
    assert found[0].is_error and found[0].line == 2
    assert found[0].column == 1 + sum(
        len(v) + 1 for k, v in values.items() if list(values).index(k) < list(values).index(column)
    )
    assert settings is not None  # still returned, so contacts can be checked


def test_q6_unknown_template_column_sms307() -> None:
    settings, found = template("message;sourceaddress;priority\nHi;TESTSMS;high\n")
    assert settings is not None and codes(found) == ["SMS307"]


# --- columns ---------------------------------------------------------------------------


def test_q6_required_column_case_only_sms305_with_hint() -> None:
    t = CsvFile(TextSource(io.BytesIO(b"Phone;attr1;SendDate;city\n"), "utf-8", FILE))
    header, _ = collect(t.read_header())
    assert header is not None
    found = list(check_columns(header, ("phone",), ("senddate",), FILE, numbered="attr"))
    assert codes(found) == ["SMS305", "SMS307", "SMS307"]
    assert "case" in found[0].message and "'Phone'" in found[0].hint
    assert "not read as 'senddate'" in found[1].message
    assert "#city#" in found[2].message and found[2].column == 22


def test_q6_missing_required_column_sms305() -> None:
    t = CsvFile(TextSource(io.BytesIO(b"tel;attr1\n"), "utf-8", FILE))
    header, _ = collect(t.read_header())
    assert header is not None
    found = list(check_columns(header, ("phone",), ("senddate",), FILE, numbered="attr"))
    assert codes(found) == ["SMS305", "SMS307"]
    assert "'phone'" in found[0].message


# --- the compiled renderer: an f-string function, the template's text passed in as data ------------------


@pytest.mark.parametrize(
    "message",
    [
        "Уважаемый #attr1# #attr2#!",
        "#attr1##attr2#",
        "{0} {attr1} {{}} } { #attr1#",
        "\"\"\" ''' \" ' #attr1# \\ \\n \\N{BULLET} {row[0]}",
        "line one\nline two\r\n#attr3#\t#nope#",
        "#attr1#",
        "no fields at all",
        "",
        "# #attr1 #attr2# ## #",
    ],
)
def test_m2_renderer_equals_str_format_of_the_pattern(message: str) -> None:
    """M2: the generated renderer gives exactly what str.format of the compiled pattern gives."""
    compiled, _ = collect(compile_template(message, COLUMNS))
    row = [*ROW, "extra"]
    assert compiled.renderer(row) == compiled.pattern.format(*row)
    assert compiled.render(row) == (
        compiled.constant if compiled.constant is not None else compiled.pattern.format(*row)
    )


def test_m2_template_text_is_never_code() -> None:
    """A template that looks like Python stays literal text in the message."""
    message = '"); import os; os.system("echo hi") #attr1# {__import__("os")}'
    compiled, _ = collect(compile_template(message, COLUMNS))
    assert compiled.renderer(ROW) == message.replace("#attr1#", "Иван")


def test_m2_literal_is_the_text_around_the_fields() -> None:
    compiled, _ = collect(compile_template("Привет, #attr1#! Код #attr2#.", COLUMNS))
    assert compiled.literal == "Привет, ! Код ."
    assert compiled.constant is None
