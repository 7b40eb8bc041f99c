"""Cases about integration without a template: one plain `TELRN_LONG;TEXT` file.

Statements N1-N6 and the open questions Q18, Q19, Q21.
"""

from __future__ import annotations

from dataclasses import replace

from smsftp.conformance.cases.model import EITHER, Case, RawRows, one, sms
from smsftp.conformance.cases.samples import PHONE_A, PHONE_B, PHONE_C, PLAIN, SENDDATE, SENDER, hello_ivan
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_ENCRYPTED,
    ARCHIVE_MODE_NOT_ALLOWED,
    CSV_QUOTED_FIELD,
    ENCODING_INVALID_BYTES,
    MESSAGE_EMPTY,
    PLAIN_EXTRA_COLUMNS,
    PLAIN_HEADER_UNEXPECTED,
    PLAIN_TEXT_MISSING,
    PLAIN_TEXT_UNQUOTED_SEPARATOR,
    SENDER_NO_DEFAULT,
)

_EVERY_N = ("N1", "N2", "N3", "N4", "N5", "N6")
_PRIVET = replace(PLAIN, plain_rows=((PHONE_A, "Привет, Иван!"),))

CASES: tuple[Case, ...] = (
    Case(
        "N1-plain-txt",
        "One sms/list.txt: sent at once with the account's sender and validity",
        _EVERY_N,
        (PLAIN,),
        one("accepted", messages=(hello_ivan(),)),
    ),
    Case(
        "N1-plain-csv",
        "One sms/list.csv is a plain archive too",
        ("N1",),
        (replace(PLAIN, plain_name="list.csv"),),
        one("accepted", messages=(hello_ivan(),)),
    ),
    Case(
        "N2-several-lines",
        "Every line after the header is one message",
        ("N2", "N3"),
        (replace(PLAIN, plain_rows=((PHONE_A, "Hello, Ivan!"), (PHONE_B, "Привет, Мария!"), (PHONE_C, "Hi Olga"))),),
        one(
            "accepted",
            messages=(hello_ivan(), sms(PHONE_B, "Привет, Мария!", 1, "UCS-2"), sms(PHONE_C, "Hi Olga", 1, "GSM-7")),
        ),
    ),
    Case(
        "N3-text-missing",
        "A line without TEXT is not sent",
        ("N3",),
        (replace(PLAIN, plain_rows=((PHONE_A,), (PHONE_B, "Hi"))),),
        one("accepted", PLAIN_TEXT_MISSING.code, messages=(sms(PHONE_B, "Hi", 1, "GSM-7"),)),
        informational=True,  # that the other line is still sent is Q9
    ),
    Case(
        "N3-telnr-header",
        "The public copy's header spelling TELNR_LONG;TEXT is accepted without a warning",
        ("N3", "N2"),
        (replace(PLAIN, plain_header="TELNR_LONG;TEXT"),),
        one("accepted", messages=(hello_ivan(),)),
    ),
    Case(
        "Z2-plain-encrypted",
        "A password-protected plain archive is rejected like a template one",
        ("Z2", "N1", "Q16"),
        (replace(PLAIN, faults=("encrypted",)),),
        one("rejected", ARCHIVE_ENCRYPTED.code),
    ),
    Case(
        "Z4-plain-cp1251-not-arranged",
        "A plain file in cp1251 for an account without an arranged encoding is rejected",
        ("Z4", "N1"),
        (replace(_PRIVET, encoding="cp1251"),),
        one("rejected", ENCODING_INVALID_BYTES.code),
    ),
    Case(
        "Z4-plain-cp1251-arranged",
        "A plain file in cp1251 is read right for an account whose encoding is cp1251",
        ("Z4", "N1"),
        (replace(_PRIVET, encoding="cp1251"),),
        one("accepted", messages=(sms(PHONE_A, "Привет, Иван!", 1, "UCS-2"),)),
        account=(("login", "win1251"), ("encoding", "cp1251")),
        sim_only="needs an account whose encoding support set to cp1251",
    ),
    Case(
        "N4-account-sender",
        "The sender is the account's default (INFOSMS here)",
        ("N4",),
        (PLAIN,),
        one("accepted", messages=(hello_ivan(sender="INFOSMS"),)),
        account=(("login", "info"), ("senders", ("INFOSMS",)), ("default_sender", "INFOSMS")),
        sim_only="needs an account whose default sender is INFOSMS",
    ),
    Case(
        "N4-no-default-sender",
        "Without a default sender a plain archive cannot be sent",
        ("N4",),
        (PLAIN,),
        one("rejected", SENDER_NO_DEFAULT.code),
        account=(("login", "nosender"), ("senders", (SENDER,)), ("default_sender", None)),
        sim_only="needs an account without a default sender",
    ),
    Case(
        "N5-account-validity",
        "The lifetime is the account's validity (60 minutes here)",
        ("N5",),
        (PLAIN,),
        one("accepted", messages=(hello_ivan(validity=60),)),
        account=(("login", "short"), ("senders", (SENDER,)), ("default_sender", SENDER), ("validity", 60)),
        sim_only="needs an account whose validity support set to 60 minutes",
    ),
    Case(
        "N6-senddate-column-ignored",
        "A senddate column in a plain file does not schedule: sent at once",
        ("N6",),
        (replace(PLAIN, plain_header="TELRN_LONG;TEXT;senddate", plain_rows=((PHONE_A, "Hello, Ivan!", SENDDATE),)),),
        one("accepted", PLAIN_EXTRA_COLUMNS.code, messages=(hello_ivan(),)),
        needs_clock=True,
    ),
    Case(
        "Q18-first-line-is-data",
        "The first line is skipped even when it holds a recipient",
        ("Q18", "N2"),
        (replace(PLAIN, plain_header=None, plain_rows=((PHONE_A, "Hello, Ivan!"), (PHONE_B, "Hi"))),),
        one("accepted", PLAIN_HEADER_UNEXPECTED.code, messages=(sms(PHONE_B, "Hi", 1, "GSM-7"),)),
        informational=True,
    ),
    Case(
        "Q19-unquoted-semicolon",
        "TEXT with an unquoted ; keeps the whole text",
        ("Q19", "Z5"),
        (replace(PLAIN, plain_raw=RawRows((("TELRN_LONG", "TEXT"), (PHONE_A, "Hello; world")))),),
        one("accepted", PLAIN_TEXT_UNQUOTED_SEPARATOR.code, messages=(sms(PHONE_A, "Hello; world", 1, "GSM-7"),)),
        informational=True,
    ),
    Case(
        "Q29-plain-quoted-text",
        'A TEXT in CSV quotes loses its quotes and keeps its ";"',
        ("Q29", "Z5", "N3"),
        (replace(PLAIN, plain_raw=RawRows((("TELRN_LONG", "TEXT"), (PHONE_A, '"Hello; ""Ivan"""')))),),
        one("accepted", CSV_QUOTED_FIELD.code, messages=(sms(PHONE_A, 'Hello; "Ivan"', 1, "GSM-7"),)),
        informational=True,
    ),
    Case(
        "Q21-plain-for-template-account",
        "A plain archive for an account arranged for templates only is rejected",
        ("Q21",),
        (PLAIN,),
        one("rejected", ARCHIVE_MODE_NOT_ALLOWED.code),
        account=(("login", "tplonly"), ("mode", "template"), ("senders", (SENDER,)), ("default_sender", SENDER)),
        informational=True,
        sim_only="needs an account arranged for template integration only",
    ),
    Case(
        "N3-text-missing-not-sent",
        "A line without TEXT is never sent (whether its archive is rejected is Q9)",
        ("N3",),
        (replace(PLAIN, plain_rows=((PHONE_A,),)),),
        one(EITHER, PLAIN_TEXT_MISSING.code),
    ),
    Case(
        "N3-empty-text-not-sent",
        "A line whose TEXT is empty is never sent (whether its archive is rejected is Q9)",
        ("N3",),
        (replace(PLAIN, plain_rows=((PHONE_A, ""),)),),
        one(EITHER, MESSAGE_EMPTY.code),
    ),
    Case(
        "N4-default-not-first-approved",
        "The sender is the account's default even when another approved sender comes first",
        ("N4",),
        (PLAIN,),
        one("accepted", messages=(hello_ivan(sender="INFOSMS"),)),
        account=(("login", "info2"), ("senders", ("ALPHA", "INFOSMS")), ("default_sender", "INFOSMS")),
        sim_only="needs an account with two approved senders, the second its default",
    ),
)
