"""Cases about template integration: contacts.csv and template.csv, their fields, dates and senders.

Statements C1, C3, C4, M1-M6 and the open questions Q2, Q5-Q7, Q10-Q14, Q20, Q25, Q26.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from smsftp.conformance.cases.model import Case, ClientTime, RawRows, one, sms
from smsftp.conformance.cases.samples import (
    COUNTRYWIDE,
    IVAN,
    MARIA,
    NOVOSIBIRSK,
    PHONE_A,
    PHONE_B,
    PHONE_C,
    SENDDATE,
    SENDDATE_LOCAL,
    SENDER,
    SENDER_OTHER_CASE,
    TEMPLATE,
    TEMPLATE_TWO,
    TEXT_IVAN,
    UNAPPROVED_SENDER,
    YEKATERINBURG,
    ivan,
    maria,
    template,
    utc,
)
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_DATA_FILE_NAME_CASE,
    ARCHIVE_TEMPLATE_PAIR_INCOMPLETE,
    COLUMN_UNFILLED,
    COLUMN_UNFILLED_REJECTED,
    CONTACTS_NO_ROWS,
    CSV_COLUMN_NAME_SPACES,
    CSV_MISSING_COLUMN,
    CSV_QUOTED_FIELD,
    CSV_UNKNOWN_COLUMN,
    DUPLICATE_PHONE,
    ENCODING_BOM_STRIPPED,
    LOCALTIME_WITHOUT_SENDDATE,
    MESSAGE_EMPTY,
    MESSAGE_TOO_LONG,
    MESSAGE_TOO_MANY_CHARACTERS,
    SENDDATE_INVALID,
    SENDDATE_PAST,
    SENDER_CASE_MISMATCH,
    SENDER_INVALID_CHARACTERS,
    SENDER_MISSING,
    SENDER_NOT_APPROVED,
    SENDER_TOO_LONG,
    TEMPLATE_MESSAGE_MISSING,
    TEMPLATE_ROW_COUNT,
    TEMPLATE_UNKNOWN_FIELD,
    VALIDITY_INVALID,
    VALIDITY_OUT_OF_RANGE,
    VALIDITY_ZERO_DEFAULT,
)

DEFAULT_MESSAGE = "Уважаемый #attr1# #attr2#! Ваш заказ готов к выдаче."
WITH_SENDDATE = ("phone", "attr1", "attr2", "senddate")
FIELD_ONLY = template("#attr1#")
NUMERIC_SENDER = "123456789012345"  # M3: up to 15 digits
_VIP = RawRows((("phone", "attr1", "attr2"), (PHONE_A, '"VIP" Иван', "Петров")))  # a value that starts with `"`
_TEXT_VIP = "Уважаемый VIP Иван Петров! Ваш заказ готов к выдаче."


def _tpl(**more: str) -> tuple[tuple[str, str], ...]:
    return template(DEFAULT_MESSAGE, **more)


def _rejected(
    case_id: str,
    description: str,
    statements: tuple[str, ...],
    *codes: str,
    informational: bool = True,
    **changes: object,
) -> Case:
    spec = replace(TEMPLATE, **changes)  # type: ignore[arg-type]
    return Case(case_id, description, statements, (spec,), one("rejected", *codes), informational=informational)


def _lengths(
    case_id: str,
    description: str,
    rows: tuple[tuple[str, str], ...],
    *expected: tuple[int, str],
    codes: tuple[str, ...] = (),
    **more: object,
) -> Case:
    """A ``#attr1#`` template filled with long values: the part count of each (Q20)."""
    spec = replace(TEMPLATE, template=FIELD_ONLY, contacts_header=("phone", "attr1"), contacts=rows)
    messages = tuple(
        sms(phone, text, parts, enc)  # type: ignore[arg-type]
        for (phone, text), (parts, enc) in zip(rows, expected, strict=False)
        if parts
    )
    return Case(
        case_id,
        description,
        ("Q20",),
        (spec,),
        one("accepted", *codes, messages=messages),
        informational=True,
        **more,  # type: ignore[arg-type]
    )


CASES: tuple[Case, ...] = (
    _rejected(
        "C1-name-case",
        "Data files named Contacts.csv and Template.csv are not the document's names",
        ("C1", "M1"),
        ARCHIVE_DATA_FILE_NAME_CASE.code,
        informational=False,
        faults=("name-case",),
    ),
    _rejected(
        "C1-contacts-missing",
        "A template.csv without contacts.csv is rejected",
        ("C1",),
        ARCHIVE_TEMPLATE_PAIR_INCOMPLETE.code,
        informational=False,
        faults=("missing-contacts",),
    ),
    _rejected(
        "M1-template-missing",
        "A contacts.csv without template.csv is rejected",
        ("M1", "C1"),
        ARCHIVE_TEMPLATE_PAIR_INCOMPLETE.code,
        informational=False,
        faults=("missing-template",),
    ),
    Case(
        "C3-senddate-contact",
        "A contact's senddate schedules its message in the client's time zone",
        ("C3",),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, SENDDATE),)),),
        one("accepted", messages=(ivan(at=SENDDATE_LOCAL),)),
        needs_clock=True,
    ),
    Case(
        "C3-M5-contact-overrides-template",
        "A contact's own senddate wins over the template's; an empty one takes the template's",
        ("C3", "M5"),
        (
            replace(
                TEMPLATE,
                template=_tpl(senddate=SENDDATE),
                contacts_header=WITH_SENDDATE,
                contacts=((*IVAN, "20301202T12:30:00"), (*MARIA, "")),
            ),
        ),
        one("accepted", messages=(ivan(at=ClientTime(datetime(2030, 12, 2, 12, 30))), maria(at=SENDDATE_LOCAL))),
        needs_clock=True,
    ),
    Case(
        "C3-senddate-empty",
        "An empty senddate (and none in the template) sends at once",
        ("C3",),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, ""),)),),
        one("accepted", messages=(ivan(),)),
        needs_clock=True,
    ),
    Case(
        "C4-document-example",
        "The document's own template `Уважаемый #attr1# #attr2# #attr3#!`",
        ("C4", "M2"),
        (
            replace(
                TEMPLATE,
                template=template("Уважаемый #attr1# #attr2# #attr3#!"),
                contacts_header=("phone", "attr1", "attr2", "attr3"),
                contacts=((PHONE_A, "Иван", "Иванович", "Петров"),),
            ),
        ),
        one("accepted", messages=(sms(PHONE_A, "Уважаемый Иван Иванович Петров!", 1, "UCS-2"),)),
    ),
    Case(
        "C4-attr10-not-attr1",
        "#attr10# and #attr11# are their own fields, not #attr1# followed by digits",
        ("C4",),
        (
            replace(
                TEMPLATE,
                template=template("#attr1#-#attr10#-#attr11#"),
                contacts_header=("phone", *(f"attr{i}" for i in range(1, 12))),
                contacts=((PHONE_A, "A", *"bcdefghi", "J", "K"),),
            ),
        ),
        one("accepted", messages=(sms(PHONE_A, "A-J-K", 1, "GSM-7"),)),
    ),
    _rejected(
        "M1-Q14-two-template-rows",
        "A template.csv with two data rows is rejected",
        ("M1", "Q14"),
        TEMPLATE_ROW_COUNT.code,
        template_rows=2,
    ),
    _rejected(
        "M1-Q14-no-template-row",
        "A template.csv with only its header is rejected",
        ("M1", "Q14"),
        TEMPLATE_ROW_COUNT.code,
        template_rows=0,
    ),
    Case(
        "M2-empty-value",
        "A field whose value is empty is replaced by an empty string",
        ("M2",),
        (replace(TEMPLATE, contacts=((PHONE_A, "Иван", ""),)),),
        one("accepted", messages=(sms(PHONE_A, "Уважаемый Иван ! Ваш заказ готов к выдаче.", 1, "UCS-2"),)),
    ),
    _rejected(
        "M2-message-empty",
        "An empty message in template.csv is rejected",
        ("M2",),
        TEMPLATE_MESSAGE_MISSING.code,
        informational=False,
        template=template(""),
    ),
    Case(
        "M2-Q7-unknown-field",
        "A #field# naming no column becomes an empty string (and is warned about)",
        ("M2", "Q7"),
        (replace(TEMPLATE, template=template("Здравствуйте, #name#!")),),
        one("accepted", TEMPLATE_UNKNOWN_FIELD.code, messages=(sms(PHONE_A, "Здравствуйте, !", 1, "UCS-2"),)),
        informational=True,
    ),
    Case(
        "Q7-lone-hash",
        "A lone # is literal text",
        ("Q7",),
        (replace(TEMPLATE, template=template("Скидка 10% по купону #5 до конца недели")),),
        one("accepted", messages=(sms(PHONE_A, "Скидка 10% по купону #5 до конца недели", 1, "UCS-2"),)),
        informational=True,
    ),
    _rejected(
        "M3-sender-not-approved",
        "A sender not approved for the account is rejected",
        ("M3", "Q10"),
        SENDER_NOT_APPROVED.code,
        informational=False,
        template=_tpl(sourceaddress=UNAPPROVED_SENDER),
    ),
    _rejected(
        "M3-sender-case",
        "A sender differing from the approved one only in case is rejected",
        ("M3",),
        SENDER_CASE_MISMATCH.code,
        informational=False,
        template=_tpl(sourceaddress=SENDER_OTHER_CASE),
    ),
    _rejected(
        "M3-sender-missing",
        "An empty sourceaddress is rejected",
        ("M3",),
        SENDER_MISSING.code,
        informational=False,
        template=_tpl(sourceaddress=""),
    ),
    Case(
        "M3-sender-15-digits",
        "A numeric sender of 15 digits, the most M3 allows, is accepted",
        ("M3", "Q10"),
        (replace(TEMPLATE, template=_tpl(sourceaddress=NUMERIC_SENDER)),),
        one("accepted", messages=(ivan(sender=NUMERIC_SENDER),)),
        sender=NUMERIC_SENDER,
        account=(("login", "digits"),),  # its own account: the sender it approves is no other case's
        sim_only="needs a 15-digit numeric sender approved for the account",
    ),
    _rejected(
        "Q10-sender-16-digits",
        "A numeric sender of 16 digits is rejected",
        ("Q10", "M3"),
        SENDER_TOO_LONG.code,
        template=_tpl(sourceaddress=NUMERIC_SENDER + "6"),
    ),
    Case(
        "M2-standard-columns",
        "#phone# and #senddate# are substituted like any column of contacts.csv",
        ("M2", "C2", "C3"),
        (
            replace(
                TEMPLATE,
                template=template("#attr1#, номер #phone#, отправка #senddate#"),
                contacts_header=WITH_SENDDATE,
                contacts=((*IVAN, SENDDATE),),
            ),
        ),
        one(
            "accepted",
            messages=(sms(PHONE_A, f"Иван, номер {PHONE_A}, отправка {SENDDATE}", 1, "UCS-2", at=SENDDATE_LOCAL),),
        ),
        needs_clock=True,
    ),
    _rejected(
        "Q10-sender-too-long",
        "A 12-character sender is rejected",
        ("Q10",),
        SENDER_TOO_LONG.code,
        template=_tpl(sourceaddress="TESTSMSLONG1"),
    ),
    _rejected(
        "Q10-sender-cyrillic",
        "A Cyrillic sender is rejected",
        ("Q10",),
        SENDER_INVALID_CHARACTERS.code,
        template=_tpl(sourceaddress="ТЕСТСМС"),
    ),
    Case(
        "M4-validity-180",
        "validity 180 gives messages a lifetime of 180 minutes",
        ("M4",),
        (replace(TEMPLATE, template=_tpl(validity="180")),),
        one("accepted", messages=(ivan(validity=180),)),
    ),
    Case(
        "M4-default-1440-not-account-validity",
        "Without validity in template.csv messages live 1440 minutes, whatever the account's plain-mode validity",
        ("M4", "N5"),
        (TEMPLATE,),
        one("accepted", messages=(ivan(),)),
        account=(("login", "short"), ("validity", 60)),
        sim_only="needs an account whose plain-mode validity support set to 60 minutes",
    ),
    Case(
        "M7-Q28-empty-validity-cell",
        "An empty validity cell (the public copy forbids unfilled columns) is read as 1440 minutes",
        ("M7", "Q28", "M4"),
        (replace(TEMPLATE, template=_tpl(validity="")),),
        one("accepted", COLUMN_UNFILLED.code, messages=(ivan(),)),
        informational=True,
    ),
    Case(
        "Q28-unfilled-column-rejected",
        "An account that follows the public copy rejects an archive with an empty localtime cell",
        ("Q28", "M7"),
        (replace(TEMPLATE, template=_tpl(localtime="")),),
        one("rejected", COLUMN_UNFILLED_REJECTED.code),
        account=(("login", "nounfilled"), ("unfilled_columns", "reject")),
        sim_only="needs an account set to reject unfilled columns",
    ),
    Case(
        "Q11-validity-zero",
        "validity 0, as in the HTTP API's own example, is read as the default 1440 minutes",
        ("Q11", "M4"),
        (replace(TEMPLATE, template=_tpl(validity="0")),),
        one("accepted", VALIDITY_ZERO_DEFAULT.code, messages=(ivan(),)),
        informational=True,
    ),
    Case(
        "Q11-validity-zero-refused",
        "An account that refuses validity 0 rejects the archive",
        ("Q11",),
        (replace(TEMPLATE, template=_tpl(validity="0")),),
        one("rejected", VALIDITY_INVALID.code),
        account=(("login", "nozero"), ("accept_zero_validity", False)),
        sim_only="needs an account set to refuse validity 0",
    ),
    _rejected(
        "Q11-validity-not-number",
        "validity `3h` is rejected",
        ("Q11",),
        VALIDITY_INVALID.code,
        template=_tpl(validity="3h"),
    ),
    _rejected(
        "Q11-validity-above-cap",
        "validity 10080 (a week) is rejected",
        ("Q11",),
        VALIDITY_OUT_OF_RANGE.code,
        template=_tpl(validity="10080"),
    ),
    Case(
        "Q11-validity-at-cap",
        "validity 4320 (three days) is accepted",
        ("Q11", "M4"),
        (replace(TEMPLATE, template=_tpl(validity="4320")),),
        one("accepted", messages=(ivan(validity=4320),)),
        informational=True,
    ),
    Case(
        "M5-template-senddate",
        "The template's senddate schedules every contact without its own",
        ("M5",),
        (replace(TEMPLATE_TWO, template=_tpl(senddate=SENDDATE)),),
        one("accepted", messages=(ivan(at=SENDDATE_LOCAL), maria(at=SENDDATE_LOCAL))),
        needs_clock=True,
    ),
    Case(
        "M6-localtime",
        "localtime=1 reads the send date in each recipient's time zone (Novosibirsk, Yekaterinburg)",
        ("M6",),
        (
            replace(
                TEMPLATE,
                template=_tpl(senddate=SENDDATE, localtime="1"),
                contacts=((NOVOSIBIRSK, "Иван", "Петров"), (YEKATERINBURG, "Мария", "Сидорова")),
            ),
        ),
        one(
            "accepted",
            messages=(
                sms(
                    NOVOSIBIRSK, "Уважаемый Иван Петров! Ваш заказ готов к выдаче.", 1, "UCS-2", at=utc(2030, 12, 1, 3)
                ),
                sms(
                    YEKATERINBURG,
                    "Уважаемый Мария Сидорова! Ваш заказ готов к выдаче.",
                    1,
                    "UCS-2",
                    at=utc(2030, 12, 1, 5),
                ),
            ),
        ),
        needs_clock=True,
    ),
    Case(
        "M6-localtime-zero",
        "localtime=0 reads the send date in the client's time zone",
        ("M6",),
        (
            replace(
                TEMPLATE, template=_tpl(senddate=SENDDATE, localtime="0"), contacts=((NOVOSIBIRSK, "Иван", "Петров"),)
            ),
        ),
        one(
            "accepted",
            messages=(
                sms(NOVOSIBIRSK, "Уважаемый Иван Петров! Ваш заказ готов к выдаче.", 1, "UCS-2", at=SENDDATE_LOCAL),
            ),
        ),
        needs_clock=True,
    ),
    Case(
        "M6-localtime-contact-senddate",
        "localtime=1 applies to a send date given only at the contact",
        ("M6", "C3"),
        (
            replace(
                TEMPLATE,
                template=_tpl(localtime="1"),
                contacts_header=WITH_SENDDATE,
                contacts=((NOVOSIBIRSK, "Иван", "Петров", SENDDATE),),
            ),
        ),
        one(
            "accepted",
            messages=(
                sms(
                    NOVOSIBIRSK, "Уважаемый Иван Петров! Ваш заказ готов к выдаче.", 1, "UCS-2", at=utc(2030, 12, 1, 3)
                ),
            ),
        ),
        needs_clock=True,
    ),
    Case(
        "M6-localtime-without-senddate",
        "localtime=1 without any send date sends at once",
        ("M6",),
        (replace(TEMPLATE, template=_tpl(localtime="1")),),
        one("accepted", LOCALTIME_WITHOUT_SENDDATE.code, messages=(ivan(),)),
        needs_clock=True,
    ),
    Case(
        "Q2-senddate-dashed",
        "The document's example form 2030-12-01T10:00:00 is a valid senddate",
        ("Q2", "C3"),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, "2030-12-01T10:00:00"),)),),
        one("accepted", messages=(ivan(at=SENDDATE_LOCAL),)),
        informational=True,
        needs_clock=True,
    ),
    Case(
        "Q2-senddate-other-format",
        "A senddate in another format (01.12.2030 10:00) rejects its row",
        ("Q2",),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, "01.12.2030 10:00"), (*MARIA, ""))),),
        one("accepted", SENDDATE_INVALID.code, messages=(maria(),)),
        informational=True,
        needs_clock=True,
    ),
    Case(
        "Q2-senddate-without-seconds",
        "A senddate without seconds (2030-12-01T10:00, as the XML API writes dates) is read as :00",
        ("Q2", "C3"),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, "2030-12-01T10:00"),)),),
        one("accepted", messages=(ivan(at=SENDDATE_LOCAL),)),
        informational=True,
        needs_clock=True,
    ),
    Case(
        "Q29-quoted-value-loses-quotes",
        'A contact value that starts with a quote ("VIP" Иван) is read as CSV quoting: the quotes go',
        ("Q29", "Z5", "C4"),
        (replace(TEMPLATE, contacts_raw=_VIP),),
        one("accepted", CSV_QUOTED_FIELD.code, messages=(sms(PHONE_A, _TEXT_VIP, 1, "UCS-2"),)),
        informational=True,
    ),
    Case(
        "Q29-literal-quotes-by-setting",
        "An account set to literal quoting keeps the quotes as text",
        ("Q29",),
        (replace(TEMPLATE, contacts_raw=_VIP),),
        one("accepted", messages=(sms(PHONE_A, _TEXT_VIP.replace("VIP", '"VIP"'), 1, "UCS-2"),)),
        account=(("login", "literal"), ("csv_quoting", "literal")),
        sim_only="needs an account set to read quotes as text",
    ),
    Case(
        "Q5-utf8-bom",
        "A UTF-8 byte-order mark (Excel's CSV UTF-8) is stripped",
        ("Q5", "Z4"),
        (replace(TEMPLATE, bom=True),),
        one("accepted", ENCODING_BOM_STRIPPED.code, messages=(ivan(),)),
        informational=True,
    ),
    Case(
        "Q6-column-spaces",
        "Spaces around column names are trimmed",
        ("Q6",),
        (replace(TEMPLATE, contacts_header=(" phone ", "attr1", "attr2")),),
        one("accepted", CSV_COLUMN_NAME_SPACES.code, messages=(ivan(),)),
        informational=True,
    ),
    _rejected(
        "Q6-column-case",
        "A column named Phone is not phone",
        ("Q6", "C2"),
        CSV_MISSING_COLUMN.code,
        contacts_header=("Phone", "attr1", "attr2"),
    ),
    Case(
        "Q6-unknown-column-as-field",
        "An unknown column is kept and usable as a #field#",
        ("Q6", "C4"),
        (
            replace(
                TEMPLATE,
                template=template("Ждём вас в #city#!"),
                contacts_header=("phone", "city"),
                contacts=((PHONE_A, "Москве"),),
            ),
        ),
        one("accepted", CSV_UNKNOWN_COLUMN.code, messages=(sms(PHONE_A, "Ждём вас в Москве!", 1, "UCS-2"),)),
        informational=True,
    ),
    Case(
        "Q12-senddate-past",
        "A send date in the past sends at once",
        ("Q12", "C3"),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, "20200101T10:00:00"),)),),
        one("accepted", SENDDATE_PAST.code, messages=(ivan(),)),
        informational=True,
        needs_clock=True,
    ),
    Case(
        "Q13-localtime-zone-ambiguous",
        "localtime=1 for a mobile number of many possible zones uses the client's zone",
        ("Q13", "M6"),
        (replace(TEMPLATE, template=_tpl(senddate=SENDDATE, localtime="1"), contacts=((COUNTRYWIDE, *IVAN[1:]),)),),
        one("accepted", "SMS508|SMS509", messages=(sms(COUNTRYWIDE, TEXT_IVAN, 1, "UCS-2", at=SENDDATE_LOCAL),)),
        informational=True,
        needs_clock=True,
    ),
    Case(
        "Q20-empty-after-substitution",
        "A message empty after substitution rejects its row",
        ("Q20", "M2"),
        (replace(TEMPLATE, template=FIELD_ONLY, contacts=((PHONE_A, "", ""), (PHONE_B, "Код 1234", ""))),),
        one("accepted", MESSAGE_EMPTY.code, messages=(sms(PHONE_B, "Код 1234", 1, "UCS-2"),)),
        informational=True,
    ),
    _lengths(
        "Q20-gsm7-parts",
        "160 GSM-7 characters are one part, 161 are two, 307 three (153 a part once split)",
        ((PHONE_A, "a" * 160), (PHONE_B, "b" * 161), (PHONE_C, "c" * 307)),
        (1, "GSM-7"),
        (2, "GSM-7"),
        (3, "GSM-7"),
    ),
    _lengths(
        "Q20-ucs2-parts",
        "70 Cyrillic characters are one part, 71 two, 135 three",
        ((PHONE_A, "Ж" * 70), (PHONE_B, "Ж" * 71), (PHONE_C, "Ж" * 135)),
        (1, "UCS-2"),
        (2, "UCS-2"),
        (3, "UCS-2"),
    ),
    _lengths(
        "Q20-gsm7-extension",
        "80 euro signs (two septets each) are one part, 81 are two",
        ((PHONE_A, "€" * 80), (PHONE_B, "€" * 81)),
        (1, "GSM-7"),
        (2, "GSM-7"),
    ),
    _lengths(
        "Q20-2000-characters",
        "2000 characters (the HTTP API's limit) are sent; 2001 reject the row",
        ((PHONE_A, "Ж" * 2000), (PHONE_B, "Ж" * 2001)),
        (30, "UCS-2"),
        (0, ""),
        codes=(MESSAGE_TOO_MANY_CHARACTERS.code,),
    ),
    _lengths(
        "Q20-255-parts",
        "With the character cap raised, 17,085 Cyrillic characters (255 parts) are sent; 17,086 reject the row",
        ((PHONE_A, "Ж" * 17085), (PHONE_B, "Ж" * 17086)),
        (255, "UCS-2"),
        (0, ""),
        codes=(MESSAGE_TOO_LONG.code,),
        account=(("login", "long"), ("max_chars", 40000)),
        sim_only="needs an account whose character cap is raised above 17,086",
    ),
    _rejected(
        "Q25-no-contacts",
        "A contacts.csv with a header and no rows is rejected",
        ("Q25", "C1"),
        CONTACTS_NO_ROWS.code,
        contacts=(),
    ),
    Case(
        "Q26-duplicate-phone",
        "The same phone twice in one archive gets both messages",
        ("Q26",),
        (replace(TEMPLATE, contacts=(IVAN, IVAN)),),
        one("accepted", DUPLICATE_PHONE.code, messages=(ivan(), ivan())),
        informational=True,
    ),
    Case(
        "M3-template-sender-carried",
        "The template's approved sender is the messages' sender, not the account's default",
        ("M3",),
        (replace(TEMPLATE, template=_tpl(sourceaddress="SHOPNEWS")),),
        one("accepted", messages=(ivan(sender="SHOPNEWS"),)),
        account=(("login", "shop"), ("senders", (SENDER, "SHOPNEWS")), ("default_sender", SENDER)),
        sim_only="needs an account with two approved senders",
    ),
    Case(
        "C3-senddate-account-zone",
        "A contact's senddate is read in the account's own time zone (Yekaterinburg, UTC+5 here)",
        ("C3",),
        (replace(TEMPLATE, contacts_header=WITH_SENDDATE, contacts=((*IVAN, SENDDATE),)),),
        one("accepted", messages=(ivan(at=SENDDATE_LOCAL),)),  # 10:00 in Yekaterinburg is 05:00 UTC
        account=(("login", "yekat"), ("timezone", "Asia/Yekaterinburg")),
        needs_clock=True,
        sim_only="needs an account in another time zone",
    ),
)
