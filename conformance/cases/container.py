"""Cases about the archive as a container: its name, the zip, the folder inside, encodings, separators.

Statements Z1-Z5 and the open questions Q3, Q4, Q16, Q23, Q24.
"""

from __future__ import annotations

from dataclasses import replace

from smsftp.conformance.cases.model import Case, RawRows, one, sms
from smsftp.conformance.cases.samples import IVAN, PHONE_A, PHONE_B, TEMPLATE, ivan, maria
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_DUPLICATE_ENTRY,
    ARCHIVE_EMPTY,
    ARCHIVE_ENCRYPTED,
    ARCHIVE_ENTRY_CORRUPT,
    ARCHIVE_ENTRY_NAMES_CP866,
    ARCHIVE_JUNK_ENTRY,
    ARCHIVE_MIXED_MODES,
    ARCHIVE_NAME_LOGIN_CASE,
    ARCHIVE_NAME_LOGIN_MISMATCH,
    ARCHIVE_NAME_PATTERN,
    ARCHIVE_NAME_TIMESTAMP_INVALID,
    ARCHIVE_NO_SMS_FOLDER,
    ARCHIVE_NOT_ZIP,
    ARCHIVE_SEVERAL_PLAIN_FILES,
    ARCHIVE_TRUNCATED,
    ARCHIVE_UNEXPECTED_ENTRY,
    ARCHIVE_UNSAFE_ENTRY_NAME,
    ARCHIVE_UNSUPPORTED_COMPRESSION,
    CSV_WRONG_DELIMITER,
    ENCODING_INVALID_BYTES,
)

_CSV_COMMAS = RawRows((("phone", "attr1", "attr2"), IVAN), separator=",")
_SECOND_PLAIN = ("sms/second.txt", RawRows((("TELRN_LONG", "TEXT"), (PHONE_B, "Hi"))))


def _rejected(
    case_id: str,
    description: str,
    statements: tuple[str, ...],
    *codes: str,
    informational: bool = True,
    **changes: object,
) -> Case:
    """A case whose archive is the one-contact template archive with ``changes``, rejected and deleted."""
    spec = replace(TEMPLATE, **changes)  # type: ignore[arg-type]
    return Case(case_id, description, statements, (spec,), one("rejected", *codes), informational=informational)


CASES: tuple[Case, ...] = (
    Case(
        "Z1-name-example",
        "An archive named like the document's example (login_YYYYMMDDhhmmss.zip, 2012-02-07 23:19:32) is processed",
        ("Z1",),
        (replace(TEMPLATE, stamp="20120207231932"),),
        one("accepted", messages=(ivan(),)),
    ),
    _rejected(
        "Z1-name-not-pattern",
        "An archive named campaign.zip is rejected and deleted",
        ("Z1",),
        ARCHIVE_NAME_PATTERN.code,
        informational=False,
        filename="campaign.zip",
    ),
    _rejected(
        "Z1-name-short-stamp",
        "An archive whose timestamp has 12 digits is rejected",
        ("Z1",),
        ARCHIVE_NAME_PATTERN.code,
        informational=False,
        filename="{login}_202611251200.zip",
    ),
    _rejected(
        "Z1-name-impossible-date",
        "An archive whose timestamp names no real date (month 13) is rejected",
        ("Z1",),
        ARCHIVE_NAME_TIMESTAMP_INVALID.code,
        informational=False,
        filename="{login}_20261341120000.zip",
    ),
    _rejected(
        "Z2-encrypted",
        "A password-protected zip is rejected",
        ("Z2", "Q16"),
        ARCHIVE_ENCRYPTED.code,
        informational=False,
        faults=("encrypted",),
    ),
    _rejected(
        "Z2-not-a-zip",
        "A bare CSV named .zip is rejected",
        ("Z2",),
        ARCHIVE_NOT_ZIP.code,
        informational=False,
        faults=("not-zip",),
    ),
    Case(
        "Z3-zip-r-directory-entries",
        "An archive made with `zip -r` (a directory entry sms/ first) is processed",
        ("Z3",),
        (replace(TEMPLATE, faults=("dir-entries",)),),
        one("accepted", messages=(ivan(),)),
    ),
    _rejected(
        "Z3-Q4-files-at-root",
        "Files at the archive's root, without the sms/ folder, are rejected",
        ("Z3", "Q4"),
        ARCHIVE_NO_SMS_FOLDER.code,
        folder="",
    ),
    _rejected(
        "Z3-zip-slip",
        "An entry whose name climbs out of the archive (sms/../../evil.csv) rejects it",
        ("Z3",),
        ARCHIVE_UNSAFE_ENTRY_NAME.code,
        faults=("zip-slip",),
    ),
    _rejected(
        "Z3-symlink",
        "A data file stored as a symbolic link rejects the archive",
        ("Z3",),
        "SMS211|SMS206",
        faults=("symlink",),
    ),
    Case(
        "Z4-utf8",
        "UTF-8 text with Cyrillic names is rendered exactly",
        ("Z4", "C4"),
        (replace(TEMPLATE, contacts=(IVAN, (PHONE_B, "Мария", "Сидорова"))),),
        one("accepted", messages=(ivan(), maria())),
    ),
    _rejected(
        "Z4-cp1251-not-arranged",
        "cp1251 text for an account without an arranged encoding is rejected",
        ("Z4",),
        ENCODING_INVALID_BYTES.code,
        informational=False,
        encoding="cp1251",
    ),
    Case(
        "Z4-cp1251-arranged",
        "cp1251 text is read right for an account whose encoding is cp1251",
        ("Z4",),
        (replace(TEMPLATE, encoding="cp1251"),),
        one("accepted", messages=(ivan(),)),
        account=(("login", "win1251"), ("encoding", "cp1251")),
        sim_only="needs an account whose encoding support set to cp1251",
    ),
    Case(
        "Z5-comma-separated",
        "A contacts file separated by commas instead of ; is rejected",
        ("Z5",),
        (replace(TEMPLATE, contacts_raw=_CSV_COMMAS),),
        one("rejected", CSV_WRONG_DELIMITER.code),
    ),
    Case(
        "Z5-quoted-separator",
        "A value holding ; in CSV quotes is one field",
        ("Z5",),
        (replace(TEMPLATE, contacts=((PHONE_A, "Иван;Иванович", "Петров"),)),),
        one(
            "accepted",
            messages=(sms(PHONE_A, "Уважаемый Иван;Иванович Петров! Ваш заказ готов к выдаче.", 1, "UCS-2"),),
        ),
    ),
    Case(
        "Z5-lf-line-endings",
        "Unix line endings (LF) read the same as CRLF",
        ("Z5",),
        (replace(TEMPLATE, newline="\n"),),
        one("accepted", messages=(ivan(),)),
    ),
    Case(
        "Z5-cr-line-endings",
        "Old Mac line endings (CR) read the same as CRLF",
        ("Z5",),
        (replace(TEMPLATE, newline="\r"),),
        one("accepted", messages=(ivan(),)),
        informational=True,
    ),
    _rejected(
        "Q3-login-mismatch",
        "An archive named for another login is rejected",
        ("Q3", "Z1"),
        ARCHIVE_NAME_LOGIN_MISMATCH.code,
        filename="someoneelse_20261125120000.zip",
    ),
    _rejected(
        "Q3-login-case",
        "An archive named for the login in other letter case is rejected",
        ("Q3",),
        ARCHIVE_NAME_LOGIN_CASE.code,
        filename="{login_swapcase}_20261125120000.zip",
    ),
    Case(
        "Q3-login-with-underscore",
        "A login that holds _ itself: the name is split at the last _",
        ("Q3", "Z1"),
        (replace(TEMPLATE, login="sms_client"),),
        one("accepted", messages=(ivan(),)),
        account=(("login", "sms_client"),),
        informational=True,
        sim_only="needs an account whose login contains _",
    ),
    _rejected(
        "Q16-empty-file", "A 0-byte .zip is rejected and deleted", ("Q16",), ARCHIVE_EMPTY.code, faults=("empty",)
    ),
    _rejected(
        "Q16-empty-zip", "A zip with no entries is rejected", ("Q16",), ARCHIVE_EMPTY.code, faults=("empty-zip",)
    ),
    _rejected(
        "Q16-truncated",
        "A zip cut at 60% of its length is rejected",
        ("Q16",),
        ARCHIVE_TRUNCATED.code,
        faults=("truncate",),
    ),
    _rejected(
        "Q16-bad-crc",
        "A zip whose checksum does not match its data is rejected",
        ("Q16",),
        ARCHIVE_ENTRY_CORRUPT.code,
        faults=("corrupt-crc",),
    ),
    _rejected(
        "Q16-corrupt-data",
        "A zip with a damaged byte in its compressed data is rejected",
        ("Q16",),
        ARCHIVE_ENTRY_CORRUPT.code,
        faults=("corrupt-data",),
    ),
    _rejected(
        "Q16-deflate64",
        "A zip compressed with Deflate64 is rejected",
        ("Q16",),
        ARCHIVE_UNSUPPORTED_COMPRESSION.code,
        faults=("deflate64",),
    ),
    _rejected(
        "Q16-zip-bomb",
        "A zip bomb (64 MiB of zeros, ratio about 1000:1) is rejected quickly",
        ("Q16",),
        "SMS212|SMS213",
        faults=("bomb",),
    ),
    _rejected(
        "Q16-lying-size",
        "A zip whose headers claim 4 GiB of content is rejected",
        ("Q16",),
        "SMS206|SMS212|SMS213",
        faults=("bomb-lying-size",),
    ),
    _rejected(
        "Q16-duplicate-entry",
        "A zip holding sms/contacts.csv twice is rejected",
        ("Q16",),
        ARCHIVE_DUPLICATE_ENTRY.code,
        faults=("duplicate-entry",),
    ),
    Case(
        "Q23-cp866-names",
        "Entry names in cp866 without the UTF-8 flag (Windows) are read right",
        ("Q23", "N1"),
        (
            replace(
                TEMPLATE,
                mode="plain",
                plain_name="рассылка.txt",
                name_encoding="cp866",
                plain_rows=((PHONE_A, "Hello, Ivan!"),),
            ),
        ),
        one("accepted", ARCHIVE_ENTRY_NAMES_CP866.code, messages=(sms(PHONE_A, "Hello, Ivan!", 1, "GSM-7"),)),
        informational=True,
    ),
    Case(
        "Q23-macos-junk",
        "macOS Finder's __MACOSX/ and .DS_Store entries are ignored",
        ("Q23",),
        (replace(TEMPLATE, faults=("macos-junk",)),),
        one("accepted", ARCHIVE_JUNK_ENTRY.code, messages=(ivan(),)),
        informational=True,
    ),
    Case(
        "Q23-thumbs-db",
        "A Windows Thumbs.db entry is ignored",
        ("Q23",),
        (replace(TEMPLATE, faults=("thumbs-db",)),),
        one("accepted", ARCHIVE_JUNK_ENTRY.code, messages=(ivan(),)),
        informational=True,
    ),
    _rejected(
        "Q23-extra-file",
        "An extra sms/readme.docx rejects the archive",
        ("Q23",),
        ARCHIVE_UNEXPECTED_ENTRY.code,
        faults=("extra-file",),
    ),
    _rejected(
        "Q24-template-and-plain",
        "A template pair and a plain file in one archive are rejected",
        ("Q24",),
        ARCHIVE_MIXED_MODES.code,
        faults=("mixed",),
    ),
    _rejected(
        "N1-two-plain-files",
        "Two plain files in sms/ are rejected",
        ("N1",),
        ARCHIVE_SEVERAL_PLAIN_FILES.code,
        informational=False,
        mode="plain",
        plain_rows=((PHONE_A, "Hello, Ivan!"),),
        extra_entries=(_SECOND_PLAIN,),
    ),
)
