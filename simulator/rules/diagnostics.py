"""Diagnostics: what is wrong with an input, as values, never as exceptions.

Every code is registered once in ``REGISTRY``; the linter, the simulator's
poller, the conformance suite and ``docs/reference/diagnostics.md`` all read this table.
Codes are grouped by hundreds per area and are never reused once published:
retire a code by setting ``retired=True``, never by deleting or renumbering it.

    SMS1xx naming      the archive's file name (Z1, Q3)
    SMS2xx archive     the zip container and its entries (Z2, Z3, Q16, Q23, Q24)
    SMS3xx csv         text decoding and CSV structure (Z4, Z5, Q5, Q6)
    SMS4xx template    template and plain-mode content, rendering (C1, M1-M6, N1-N6)
    SMS5xx phone       recipient numbers and their time zones (C2, N3, Q8, Q13)
    SMS6xx schedule    send dates (C3, M5, Q2, Q12)
    SMS7xx sender      the sender name (M3, N4, Q10)
    SMS8xx upload      how the archive reached the folder (T1, T4, Q15, Q17, Q22, Q27)

How the rules report (one way, as python-jsonschema's ``iter_errors``): a check
is a generator that yields every ``Diagnostic`` it finds, never stopping at the
first.  A check that also works out a value returns it from the generator: its
type is ``Check[T]`` (``Generator[Diagnostic, None, T]``), and a check inside a
check reads it with ``value = yield from other(...)``, which passes the other's
diagnostics on in order.  A check with no value is an ``Iterator[Diagnostic]``.
At the edge, ``collect(check)`` gives ``(value, diagnostics)``.  *Where* (file,
line, column) is given by the caller as keywords; *which rule* is the ``Rule``
object named at the call site.  A fault of the input is never an exception:
exceptions mean our own program failed.  A data file read as a stream ends
early at a fault instead, and its reader yields why (``CsvFile.stop_reasons``,
``ZipArchive.defects``).  The one exception to the shape is the per-row path of
``processing``: a row's problems go to ``Reporter`` (``textio``), a callable the
archive's log hands out, so that the hot loop builds no generator per row and
a diagnostic past the per-code cap is counted without being built.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")
Check: TypeAlias = Generator["Diagnostic", None, T]


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Rule:
    """One registered diagnostic code and its documentation."""

    code: str
    name: str
    severity: Severity
    statement: str
    summary: str
    why: str
    fix: str
    example: str = ""
    retired: bool = False


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One problem found in one place of one input.

    *Where* (``file``, ``line``, ``column``) is kept apart from *which rule*
    (``code`` and the registry entry behind it).  ``line`` and ``column`` are
    1-based; ``None`` where the problem has no position (the archive as a whole).
    """

    code: str
    name: str
    severity: Severity
    statement: str
    message: str
    hint: str
    file: str | None = None
    line: int | None = None
    column: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def to_json(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "statement": self.statement,
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "message": self.message,
            "hint": self.hint,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Diagnostic:
        return cls(
            code=data["code"],
            name=data["name"],
            severity=Severity(data["severity"]),
            statement=data["statement"],
            message=data["message"],
            hint=data["hint"],
            file=data.get("file"),
            line=data.get("line"),
            column=data.get("column"),
        )


E, W, N = Severity.ERROR, Severity.WARNING, Severity.INFO  # N: a note (info)

# --- SMS1xx naming -------------------------------------------------------------
ARCHIVE_NAME_PATTERN = Rule(
    "SMS101",
    "archive-name-pattern",
    E,
    "Z1",
    "The archive's name is not `[login]_[YYYYMMDDhhmmss].zip`.",
    "The platform finds the account and the campaign's timestamp in the name; a name of any other "
    "shape is not processed as a campaign.",
    "Name the file `<your login>_<YYYYMMDDhhmmss>.zip`, for example `guest_20120207231932.zip`.",
    "campaign.zip",
)

ARCHIVE_NAME_TIMESTAMP_INVALID = Rule(
    "SMS102",
    "archive-name-timestamp-invalid",
    E,
    "Z1",
    "The timestamp in the archive's name is not a real calendar instant.",
    "`20261331250000` has the right digits but names no real date; exporters that build the name by hand "
    "often swap month and day or use a 12-hour clock.",
    "Format the time with a real date formatter: `%Y%m%d%H%M%S` (strftime), `yyyyMMddHHmmss` (Java).",
    "guest_20261341250000.zip",
)

ARCHIVE_NAME_LOGIN_MISMATCH = Rule(
    "SMS103",
    "archive-name-login-mismatch",
    E,
    "Q3",
    "The login in the archive's name is not the FTP account's login.",
    "The platform ties the archive to an account by the login in its name; an archive named for "
    "another login is not processed for this one.",
    "Put exactly your FTP login before the last `_` of the name.",
    "other_20261125120000.zip uploaded by guest",
)

ARCHIVE_NAME_LOGIN_CASE = Rule(
    "SMS104",
    "archive-name-login-case",
    E,
    "Q3",
    "The login in the archive's name differs from the FTP login only by letter case.",
    "Logins are compared exactly; `Guest` is not `guest`.",
    "Use the login exactly as support gave it, in the same case.",
    "Guest_20261125120000.zip uploaded by guest",
)

# --- SMS2xx archive -----------------------------------------------------------
ARCHIVE_NOT_ZIP = Rule(
    "SMS201",
    "archive-not-zip",
    E,
    "Z2",
    "The file is not a zip archive.",
    "Only `.zip` archives are processed; other containers (rar, 7z, gzip) or a bare CSV renamed to "
    "`.zip` cannot be read.",
    "Pack the `sms` folder with a zip tool (`zip -r`, Windows 'Send to > Compressed folder').",
    "a CSV file renamed to guest_20261125120000.zip",
)

ARCHIVE_EMPTY = Rule(
    "SMS202",
    "archive-empty",
    E,
    "Q16",
    "The archive is empty: zero bytes, or a zip with no entries.",
    "An empty file usually means the exporter crashed or the upload was cut off before any data.",
    "Check that the exporter wrote the files before zipping, and that the upload completed.",
    "a 0-byte guest_20261125120000.zip",
)

ARCHIVE_TRUNCATED = Rule(
    "SMS203",
    "archive-truncated",
    E,
    "Q16",
    "The archive ends before its central directory or in the middle of an entry.",
    "A truncated zip comes from an upload that was cut off, or from a poller that picked the file up "
    "while it was still being written.",
    "Upload under a temporary name and rename to `.zip` when the transfer has completed.",
    "the first 60% of a valid archive",
)

ARCHIVE_ENCRYPTED = Rule(
    "SMS204",
    "archive-encrypted",
    E,
    "Z2",
    "An entry of the archive is password-protected.",
    "The document requires a zip without a password; the platform cannot read encrypted entries.",
    "Create the archive without a password (no `zip -P`, no 'Encrypt' in the GUI).",
    "zip -P secret guest_20261125120000.zip sms/*",
)

ARCHIVE_UNSUPPORTED_COMPRESSION = Rule(
    "SMS205",
    "archive-unsupported-compression",
    E,
    "Q16",
    "An entry uses a compression method the platform cannot read (Deflate64, LZMA, bzip2, ...).",
    "Windows Explorer writes Deflate64 for large files and 7-Zip can write LZMA; only Stored and Deflate are portable.",
    "Use plain Deflate: `zip`, Python's zipfile with ZIP_DEFLATED, 7-Zip with `-mm=Deflate`.",
    "an entry compressed with Deflate64 (method 9)",
)

ARCHIVE_ENTRY_CORRUPT = Rule(
    "SMS206",
    "archive-entry-corrupt",
    E,
    "Q16",
    "An entry's data does not match its checksum or cannot be decompressed.",
    "The archive was damaged after it was written: most often an upload in ASCII mode or a broken copy.",
    "Re-create the archive and upload it in binary mode (TYPE I).",
    "an archive with a flipped byte inside contacts.csv's data",
)

ARCHIVE_NO_SMS_FOLDER = Rule(
    "SMS207",
    "archive-no-sms-folder",
    E,
    "Z3",
    "The data files are not inside a folder `sms` in the archive.",
    "The platform looks for its files under `sms/`; zipping the files themselves instead of the folder "
    "puts them at the archive's root.",
    "Zip the folder, not its content: `zip -r archive.zip sms`.",
    "contacts.csv and template.csv at the archive's root",
)

ARCHIVE_JUNK_ENTRY = Rule(
    "SMS208",
    "archive-junk-entry",
    W,
    "Q23",
    "An entry that archivers add on their own (`__MACOSX/`, `.DS_Store`, `Thumbs.db`) was ignored.",
    "macOS Finder and Windows Explorer add these files; they are harmless, but show that the archive was made by hand.",
    "Nothing is required; to silence the warning zip with `zip -r -X archive.zip sms -x '*.DS_Store'`.",
    "__MACOSX/sms/._contacts.csv",
)

ARCHIVE_UNEXPECTED_ENTRY = Rule(
    "SMS209",
    "archive-unexpected-entry",
    E,
    "Q23",
    "The archive holds a file that is neither a data file of its mode nor known junk.",
    "An extra file means the platform cannot tell which file holds the campaign.",
    "Leave only `sms/contacts.csv` + `sms/template.csv`, or one plain `sms/*.csv`/`sms/*.txt` file.",
    "sms/contacts.csv, sms/template.csv and sms/readme.docx",
)

ARCHIVE_UNSAFE_ENTRY_NAME = Rule(
    "SMS210",
    "archive-unsafe-entry-name",
    E,
    "Z3",
    "An entry's name is absolute or climbs out of the archive (`../`).",
    "Such names (zip-slip) can overwrite files outside the target folder when extracted; they are never "
    "produced by honest exporters.",
    "Build the archive with relative names under `sms/`.",
    "../../etc/passwd",
)

ARCHIVE_SYMLINK_ENTRY = Rule(
    "SMS211",
    "archive-symlink-entry",
    E,
    "Z3",
    "An entry is a symbolic link.",
    "A link is not a data file and may point outside the archive.",
    "Zip the files themselves (`zip` without `-y`).",
    "sms/contacts.csv -> /etc/passwd",
)

ARCHIVE_TOO_LARGE = Rule(
    "SMS212",
    "archive-too-large",
    E,
    "Q16",
    "The archive's entries uncompress to more than the size cap.",
    "A cap on the total uncompressed size keeps a zip bomb from filling memory or disk.",
    "Split the campaign into several archives, or ask support for a larger cap (setting `max_uncompressed_bytes`).",
    "a 42 KB archive that claims 4 GB",
)

ARCHIVE_COMPRESSION_RATIO = Rule(
    "SMS213",
    "archive-compression-ratio",
    E,
    "Q16",
    "An entry compresses better than any real CSV does (compression ratio above the cap).",
    "An extreme ratio is the signature of a zip bomb.",
    "If the data is real, split it or ask support to raise `max_compression_ratio`.",
    "1 GB of zeros compressed to 1 MB",
)

ARCHIVE_MIXED_MODES = Rule(
    "SMS214",
    "archive-mixed-modes",
    E,
    "Q24",
    "The archive holds both a template pair and a plain file.",
    "The platform cannot tell whether to send the template campaign or the plain list.",
    "Send the two campaigns in two archives.",
    "sms/contacts.csv, sms/template.csv and sms/list.txt",
)

ARCHIVE_NO_DATA_FILE = Rule(
    "SMS215",
    "archive-no-data-file",
    E,
    "N1",
    "The `sms` folder holds no data file.",
    "Without `contacts.csv` + `template.csv` or one `.csv`/`.txt` file there is nothing to send.",
    "Put the campaign's files into `sms/` before zipping.",
    "an archive with only an empty sms/ folder",
)

ARCHIVE_ENTRY_NAMES_CP866 = Rule(
    "SMS216",
    "archive-entry-names-cp866",
    N,
    "Q23",
    "Entry names carry no UTF-8 flag and were decoded as cp866, as Windows tools write them.",
    "Windows Explorer and old archivers store names in the DOS code page; this is legal and was read correctly.",
    "Nothing is required.",
    "an entry named sms/контакты.txt written by Windows Explorer",
)

ARCHIVE_SEVERAL_PLAIN_FILES = Rule(
    "SMS217",
    "archive-several-plain-files",
    E,
    "N1",
    "The `sms` folder holds more than one plain data file.",
    "Plain mode takes exactly one `.csv` or `.txt` file; with several, which one to send is a guess.",
    "Merge the files, or send one archive per file.",
    "sms/part1.txt and sms/part2.txt",
)

ARCHIVE_TEMPLATE_PAIR_INCOMPLETE = Rule(
    "SMS218",
    "archive-template-pair-incomplete",
    E,
    "C1",
    "`contacts.csv` or `template.csv` is missing from a template archive.",
    "Template mode needs both files: recipients and the message.",
    "Put both `sms/contacts.csv` and `sms/template.csv` into the archive, named exactly so.",
    "sms/contacts.csv without sms/template.csv",
)

ARCHIVE_MODE_NOT_ALLOWED = Rule(
    "SMS219",
    "archive-mode-not-allowed",
    E,
    "Q21",
    "The archive's mode (template or plain) is not the one arranged for the account.",
    "Each account is set up with support for template integration, plain integration or both.",
    "Send the kind of archive arranged for your account, or ask support to change its mode.",
    "a plain sms/list.txt for an account in template mode",
)

ARCHIVE_DUPLICATE_ENTRY = Rule(
    "SMS220",
    "archive-duplicate-entry",
    E,
    "Q16",
    "The archive holds two entries with the same name.",
    "Which of the two copies is read depends on the tool; the result is unpredictable.",
    "Re-create the archive from a clean folder.",
    "sms/contacts.csv twice",
)

ARCHIVE_DATA_FILE_NAME_CASE = Rule(
    "SMS221",
    "archive-data-file-name-case",
    E,
    "C1",
    "A data file's name differs from `contacts.csv` / `template.csv` only by letter case.",
    "The document names the files exactly; `Contacts.CSV` is not `contacts.csv`.",
    "Rename the files to `contacts.csv` and `template.csv`, lower case.",
    "sms/Contacts.csv",
)

ARCHIVE_INTERNAL_ERROR = Rule(
    "SMS222",
    "archive-internal-error",
    E,
    "P2",
    "The simulator failed while judging this archive; it was rejected and deleted so that nothing is processed twice.",
    "This is a bug in smsftp, not in the archive.",
    "Report it with the archive attached.",
    "The simulator failed while judging guest_20261125120000.zip: KeyError: 'phone'",
)

ARCHIVE_TOO_MANY_ENTRIES = Rule(
    "SMS223",
    "archive-too-many-entries",
    E,
    "Q16",
    "The archive holds more entries than the account's cap (`max_entries`, default 1000).",
    "A campaign is two files (or one in plain mode); tens of thousands of entries are no export but an "
    "attack on the time a reader spends on names. The entries are counted in the central directory "
    "before any of them is read.",
    "Zip only the `sms` folder with its data files.",
    "100,000 empty entries next to sms/contacts.csv",
)

ARCHIVE_LOCAL_HEADER_MISMATCH = Rule(
    "SMS224",
    "archive-local-header-mismatch",
    E,
    "Q16",
    "A data file's local header declares other sizes or another checksum than the central directory.",
    "A zip names each entry's sizes twice. Readers that go by the central directory (zipfile, unzip) and "
    "readers that stream from the local headers would read different data; the archive was damaged or "
    "made to mislead one of them.",
    "Re-create the archive with a standard zip tool.",
    "a local header claiming 10 bytes for an entry the central directory says holds 10,000",
)

ARCHIVE_TOO_MANY_ROWS = Rule(
    "SMS225",
    "archive-too-many-rows",
    E,
    "Q16",
    "A data file holds more rows than the account's cap (`max_rows`, default 5,000,000).",
    "No real campaign reaches the cap; a few megabytes of zip can hold a hundred million short rows, "
    "which would fill the message log. Reading stops at the cap and the archive is rejected.",
    "Split the recipients over several archives, each under the cap.",
    "a 3 MB zip of 115,000,000 rows",
)

# --- SMS3xx csv -----------------------------------------------------------------
ENCODING_BOM_STRIPPED = Rule(
    "SMS301",
    "encoding-bom-stripped",
    W,
    "Q5",
    "The file starts with a UTF-8 byte-order mark; it was stripped.",
    "Excel's 'CSV UTF-8' adds a BOM; a platform that does not strip it sees the first column as "
    "`\\ufeffphone` and misses it.",
    "Save as UTF-8 without BOM, or keep it if the platform accepts it (see the conformance report).",
    "EF BB BF before 'phone;attr1'",
)

ENCODING_INVALID_BYTES = Rule(
    "SMS302",
    "encoding-invalid-bytes",
    E,
    "Z4",
    "The file is not valid text in the account's encoding.",
    "All files must be UTF-8 unless another encoding is arranged with support; Windows programs often write cp1251.",
    "Save the file as UTF-8 (Excel: 'CSV UTF-8'), or ask support to set your account's encoding.",
    "'Иван' written in cp1251: C8 E2 E0 ED",
)

CSV_UNTERMINATED_QUOTE = Rule(
    "SMS303",
    "csv-unterminated-quote",
    E,
    "Z5",
    "A quoted field is never closed.",
    'Everything after an unbalanced `"` is read as one field, swallowing the following rows.',
    'Double the quotes inside quoted fields (`""`), or quote the whole field.',
    '79031234567;"Hello',
)

CSV_WRONG_DELIMITER = Rule(
    "SMS304",
    "csv-wrong-delimiter",
    E,
    "Z5",
    "The header is not `;`-separated; it looks separated by another character.",
    "CSV data must be separated by `;`; Excel in an English locale writes `,`, some tools write tabs.",
    "Export with `;` as the separator.",
    "phone,attr1,attr2",
)

CSV_MISSING_COLUMN = Rule(
    "SMS305",
    "csv-missing-column",
    E,
    "C2",
    "A required column is missing from the header.",
    "Columns are found by their exact names: `phone` in contacts.csv, `message` and `sourceaddress` in "
    "template.csv, `TELRN_LONG` (or `TELNR_LONG`) and `TEXT` in plain mode.",
    "Name the header's columns exactly as the document does (lower case where it uses lower case).",
    "Phone;attr1",
)

CSV_DUPLICATE_COLUMN = Rule(
    "SMS306",
    "csv-duplicate-column",
    E,
    "Q6",
    "The header names the same column twice.",
    "With two `phone` columns it is unknown which one holds the number.",
    "Give each column its own name.",
    "phone;attr1;attr1",
)

CSV_UNKNOWN_COLUMN = Rule(
    "SMS307",
    "csv-unknown-column",
    N,
    "Q6",
    "The header has a column the document does not name; it is kept and may be used as a `#name#` field.",
    "Unknown columns are legal; the note helps to spot a misspelled standard column.",
    "Nothing is required; rename it if it was meant to be a standard column.",
    "phone;city",
)

CSV_COLUMN_NAME_SPACES = Rule(
    "SMS308",
    "csv-column-name-spaces",
    W,
    "Q6",
    "A column name has surrounding spaces; they were trimmed.",
    "A platform that compares names exactly may not find ` phone`.",
    "Remove the spaces from the header.",
    "phone ; attr1",
)

CSV_ROW_FIELD_COUNT = Rule(
    "SMS309",
    "csv-row-field-count",
    W,
    "Z5",
    "A row has a different number of fields than the header.",
    "Missing trailing fields are read as empty and surplus fields are ignored; usually a `;` inside an "
    "unquoted value or a lost column.",
    "Quote values that contain `;`, and write every column in every row.",
    "79031234567;Ivan;Petrov;extra",
)

CSV_EMPTY_FILE = Rule(
    "SMS310",
    "csv-empty-file",
    E,
    "C1",
    "A data file is empty: it has no header line.",
    "Without a header the columns cannot be found.",
    "Write the header line first.",
    "a 0-byte sms/contacts.csv",
)

CSV_LINE_TOO_LONG = Rule(
    "SMS311",
    "csv-line-too-long",
    E,
    "Z5",
    "A line or field is longer than any real CSV row; the file was not read further.",
    "A line of a megabyte, or an unquoted field over 131,072 characters, means a binary file, a "
    "missing line break or a broken export; reading on would make memory grow with the input.",
    "Check that the file is a CSV export with one recipient per line.",
    "a 5 MB sms/contacts.csv with no line breaks",
)

CSV_QUOTED_FIELD = Rule(
    "SMS312",
    "csv-quoted-field",
    N,
    "Q29",
    'The file uses `"` quoting; quoted fields were read as standard CSV (quotes removed, `;` inside kept).',
    "The document says only that fields are separated by `;`; a platform that does not read CSV quoting "
    "keeps the quotes in the message and cuts a quoted value at its `;`.",
    'Nothing is required; avoid `"` around values (and `;` inside them) if the live platform keeps quotes.',
    '79031234567;"Hello; world"',
)

COLUMN_UNFILLED = Rule(
    "SMS313",
    "column-unfilled",
    W,
    "Q28",
    "An optional column is present but empty; it was read as its default.",
    "The public copy of the document forbids unfilled columns in any file (M7), while the seed reads "
    'an empty `senddate` as "send at once" and an empty `validity` as the default.',
    "Leave out the columns you do not fill.",
    "message;sourceaddress;validity / Hello;TESTSMS;",
)

COLUMN_UNFILLED_REJECTED = Rule(
    "SMS314",
    "column-unfilled-rejected",
    E,
    "Q28",
    "An optional column is present but empty, and the account rejects unfilled columns; the archive is rejected.",
    "The account follows the public copy of the document: no file may contain unfilled columns (M7).",
    "Leave out the columns you do not fill.",
    "unfilled_columns = reject and an empty `localtime` in template.csv",
)

# --- SMS4xx template and content ---------------------------------------------
TEMPLATE_ROW_COUNT = Rule(
    "SMS401",
    "template-row-count",
    E,
    "M1",
    "`template.csv` does not hold exactly one data row under its header.",
    "The template file describes one message; zero or several rows leave the campaign undefined.",
    "Write the header and exactly one data row.",
    "template.csv with two message rows",
)

TEMPLATE_MESSAGE_MISSING = Rule(
    "SMS402",
    "template-message-missing",
    E,
    "M2",
    "The template's `message` is empty.",
    "There is no text to send.",
    "Fill the `message` column.",
    "message;sourceaddress / ;TESTSMS",
)

TEMPLATE_UNKNOWN_FIELD = Rule(
    "SMS403",
    "template-unknown-field",
    W,
    "Q7",
    "A `#name#` field names a column that `contacts.csv` does not have; it is replaced by an empty string.",
    "The document replaces missing values with an empty string, so the message goes out with a hole; "
    "it is almost always a misspelled column name.",
    "Spell the field as the column is named in contacts.csv (`#attr1#`), or add the column.",
    "Dear #name#! with no column `name`",
)

MESSAGE_EMPTY = Rule(
    "SMS404",
    "message-empty",
    E,
    "Q20",
    "The message is empty after substitution; the row is not sent.",
    "An empty SMS cannot be sent.",
    "Fill the fields the template uses, or the TEXT column.",
    "#attr1# with an empty attr1",
)

MESSAGE_TOO_LONG = Rule(
    "SMS405",
    "message-too-long",
    E,
    "Q20",
    "The message needs more SMS parts than the cap; the row is not sent.",
    "The platform sends at most 255 parts (17,085 Cyrillic characters); the account may have a lower cap.",
    "Shorten the message.",
    "a 20,000-character message",
)

VALIDITY_INVALID = Rule(
    "SMS406",
    "validity-invalid",
    E,
    "Q11",
    "`validity` is not a whole number of minutes (0 only where the account reads it as the default).",
    "The message's lifetime is a whole number of minutes.",
    "Write minutes as digits, for example `180`, or leave it empty for the default 1440.",
    "validity = 1.5 or 0 or 3h",
)

VALIDITY_OUT_OF_RANGE = Rule(
    "SMS407",
    "validity-out-of-range",
    E,
    "Q11",
    "`validity` is above the cap (default 4320 minutes, 3 days).",
    "The platform keeps a message for at most 3 days.",
    "Use at most 4320 minutes.",
    "validity = 10080",
)

LOCALTIME_INVALID = Rule(
    "SMS408",
    "localtime-invalid",
    E,
    "M6",
    "`localtime` is neither `0`, `1` nor empty.",
    "Only 1 (send by the recipient's time zone) and 0 are defined.",
    "Write `1`, `0`, or leave it empty.",
    "localtime = yes",
)

LOCALTIME_WITHOUT_SENDDATE = Rule(
    "SMS409",
    "localtime-without-senddate",
    N,
    "M6",
    "`localtime=1` has no effect: no send date is given, so messages go out at once.",
    "The recipient's time zone applies only to a scheduled send date.",
    "Give a `senddate` in template.csv or per contact, or drop `localtime`.",
    "localtime=1 with empty senddate everywhere",
)

CONTACTS_NO_ROWS = Rule(
    "SMS410",
    "contacts-no-rows",
    E,
    "Q25",
    "`contacts.csv` (or the plain file) has a header but no recipients.",
    "A campaign with no recipients is almost always an export that went wrong.",
    "Check the exporter's query; the file must hold one row per recipient.",
    "contacts.csv with only 'phone;attr1'",
)

PLAIN_HEADER_UNEXPECTED = Rule(
    "SMS411",
    "plain-header-unexpected",
    W,
    "Q18",
    "The plain file's first line does not look like `TELRN_LONG;TEXT` or `TELNR_LONG;TEXT`; it was skipped all "
    "the same.",
    "The first line is always skipped as a header; if it held a real recipient, that message is lost.",
    "Start the file with the header line `TELRN_LONG;TEXT`.",
    "79031234567;Hello as the first line",
)

PLAIN_TEXT_UNQUOTED_SEPARATOR = Rule(
    "SMS412",
    "plain-text-unquoted-separator",
    W,
    "Q19",
    "The TEXT of a plain row holds unquoted `;`; the surplus fields were joined back with `;`.",
    "A platform that splits at every `;` would cut the message.",
    'Quote TEXT values that contain `;` (`"Hello; world"`).',
    "79031234567;Hello; world",
)

PLAIN_TEXT_MISSING = Rule(
    "SMS413",
    "plain-text-missing",
    E,
    "N3",
    "A plain row has no TEXT field; the row is not sent.",
    "Each line is `TELRN_LONG;TEXT`.",
    "Write the message after the number, separated by `;`.",
    "79031234567",
)

DUPLICATE_PHONE = Rule(
    "SMS414",
    "duplicate-phone",
    W,
    "Q26",
    "The same phone number appears more than once; each row is sent.",
    "The recipient gets the message twice and you pay twice; usually an export join that went wrong.",
    "Deduplicate the recipients, unless two messages are intended.",
    "79031234567 in rows 2 and 10",
)

DUPLICATE_CHECK_LIMIT = Rule(
    "SMS415",
    "duplicate-check-limit",
    N,
    "Q26",
    "The check for repeated phone numbers stopped after its limit of distinct numbers.",
    "Duplicates are tracked exactly with bounded memory; past the limit (setting "
    "`duplicate_check_limit`) further repeats are not reported.",
    "Nothing is required; raise the limit to check very large archives completely.",
    "an archive with 1,000,000 recipients",
)

ROW_REJECTS_ARCHIVE = Rule(
    "SMS416",
    "row-rejects-archive",
    E,
    "Q9",
    "The account rejects the whole archive when any row is bad, and a row was bad.",
    "By default a bad row is skipped and the rest is sent; this account is set to reject the archive.",
    "Fix the rows reported above.",
    "reject_archive_on_bad_row = true and one bad phone",
)

PLAIN_EXTRA_COLUMNS = Rule(
    "SMS417",
    "plain-extra-columns",
    W,
    "N6",
    "The plain file has more columns than `TELRN_LONG;TEXT`; scheduling and other columns are not "
    "available in plain mode.",
    "Plain mode ignores send dates and time zones; a `senddate` column there is silently lost.",
    "Use template mode for scheduled sending.",
    "TELRN_LONG;TEXT;senddate",
)

MESSAGE_TOO_MANY_CHARACTERS = Rule(
    "SMS418",
    "message-too-many-characters",
    E,
    "Q20",
    "The message is longer than the character cap (default 2000); the row is not sent.",
    "The platform's integrationapi.net HTTP API takes at most 2000 characters of text; the FTP service most "
    "likely shares that back end.",
    "Shorten the message to at most 2000 characters.",
    "a 2,500-character message",
)

PHONE_FORM_NORMALIZED = Rule(
    "SMS419",
    "phone-form-normalized",
    W,
    "Q8",
    "The number was written with `+` or the Russian trunk prefix 8; the account accepts it and sends to the "
    "international form.",
    "The document's form is digits only (`79031234567`); the platform's HTTP API also takes `+7` and `8`, "
    "and this account is set to do so (`accept_plus_and_8`).",
    "Write the number as `79031234567` to be safe on every reading.",
    "+79031234567 or 89031234567",
)

VALIDITY_ZERO_DEFAULT = Rule(
    "SMS420",
    "validity-zero-default",
    N,
    "Q11",
    "`validity` 0 was read as the default lifetime of 1440 minutes.",
    "The platform's HTTP API example sends `Validity=0`; a lifetime of nothing would never deliver, so 0 "
    "stands for the default.",
    "Nothing is required; leave the column out, or write the minutes you want.",
    "validity = 0",
)

# --- SMS5xx phone ------------------------------------------------------------
PHONE_EMPTY = Rule(
    "SMS501",
    "phone-empty",
    E,
    "C2",
    "The phone number is empty; the row is not sent.",
    "Every message needs a recipient.",
    "Fill the phone column, or drop the row.",
    ";Ivan",
)

PHONE_LEADING_PLUS = Rule(
    "SMS502",
    "phone-leading-plus",
    E,
    "Q8",
    "The phone number starts with `+`; only digits are accepted; the row is not sent.",
    "The document's international format is digits only: country code, network code, number.",
    "Drop the `+`: `79031234567`.",
    "+79031234567",
)

PHONE_LEADING_8 = Rule(
    "SMS503",
    "phone-leading-8",
    E,
    "Q8",
    "The number looks like a Russian domestic number with a leading 8; the row is not sent.",
    "Russian users write 8 for the trunk prefix; internationally the number starts with 7.",
    "Replace the leading 8 with the country code 7: `79031234567`.",
    "89031234567",
)

PHONE_SCIENTIFIC_NOTATION = Rule(
    "SMS504",
    "phone-scientific-notation",
    E,
    "Q8",
    "The phone number is in scientific notation; the row is not sent.",
    "Excel shows long numbers as `7.9031234567E+10` and saves them so when the column is not text.",
    "Format the column as Text in Excel before saving, or export numbers as strings.",
    "7.9031234567E+10",
)

PHONE_FORMATTING = Rule(
    "SMS505",
    "phone-formatting",
    E,
    "Q8",
    "The phone number contains spaces, brackets or dashes; the row is not sent.",
    "Only digits are accepted; formatting for people is not stripped.",
    "Write the number as digits only: `79031234567`.",
    "7 (903) 123-45-67",
)

PHONE_INVALID = Rule(
    "SMS506",
    "phone-invalid",
    E,
    "C2",
    "The phone number is not a valid number in international format; the row is not sent.",
    "Validated against libphonenumber's numbering plans: the country code, the network code or the length is wrong.",
    "Check the number: country code + network code + number, for example `79031234567`.",
    "7903123456 (one digit short)",
)

PHONE_NOT_DIGITS = Rule(
    "SMS507",
    "phone-not-digits",
    E,
    "C2",
    "The phone number contains letters or other characters; the row is not sent.",
    "Usually a column shift: a name or a date ended up in the phone column.",
    "Check that the phone column holds numbers only and that the header matches the data.",
    "Ivanov",
)

TIMEZONE_AMBIGUOUS = Rule(
    "SMS508",
    "timezone-ambiguous",
    N,
    "Q13",
    "The recipient's number maps to several time zones; the client's time zone was used.",
    "With `localtime=1` the send time is read in the recipient's zone, which this number does not determine uniquely.",
    "Nothing is required; give an explicit `senddate` per contact if the hour matters.",
    "a Russian mobile number in a range the numbering table does not know, or of a range for the whole country",
)

TIMEZONE_UNKNOWN = Rule(
    "SMS509",
    "timezone-unknown",
    N,
    "Q13",
    "No time zone is known for the recipient's number; the client's time zone was used.",
    "With `localtime=1` the send time is read in the recipient's zone, which is unknown for this number.",
    "Nothing is required; give an explicit `senddate` per contact if the hour matters.",
    "a valid number whose prefix has no zone in phonenumbers' data",
)

TIMEZONE_REGION_CHOICE = Rule(
    "SMS510",
    "timezone-region-choice",
    N,
    "Q13",
    "The recipient's region keeps several time zones; its most populous one was used.",
    "With `localtime=1` the send time is read in the recipient's zone. The numbering register names "
    "the region of a mobile number, not its town, and a few regions keep several clocks (Yakutia: "
    "UTC+9, +10 and +11); the region's most populous zone is used and named, with the others.",
    "Nothing is required; give an explicit `senddate` per contact if the hour matters there.",
    "a mobile number of Yakutia (Asia/Yakutsk used; Asia/Ust-Nera and Asia/Srednekolymsk not)",
)

# --- SMS6xx schedule ---------------------------------------------------------
SENDDATE_INVALID = Rule(
    "SMS601",
    "senddate-invalid",
    E,
    "Q2",
    "`senddate` is not `YYYYMMDDThh:mm:ss` or `YYYY-MM-DDThh:mm:ss` with a real date and time.",
    "The document gives the two forms; anything else cannot be scheduled. Without seconds "
    "(`2026-11-25T19:14`) is read as `:00` unless the account requires them (Q2).",
    "Write the date as `20261125T19:14:00` or `2026-11-25T19:14:00`.",
    "25.11.2026 19:14",
)

SENDDATE_PAST = Rule(
    "SMS602",
    "senddate-past",
    W,
    "Q12",
    "The send date is already in the past; the message is sent at once.",
    "A past date usually means a stale export or a time zone mix-up.",
    "Check the exporter's clock and time zone; leave `senddate` empty to send at once.",
    "senddate 2020-01-01T10:00:00",
)

SENDDATE_IN_TEMPLATE_INVALID = Rule(
    "SMS603",
    "senddate-in-template-invalid",
    E,
    "M5",
    "The template's `senddate` is invalid, so no message of the archive can be scheduled.",
    "The template's send date applies to every contact without its own date.",
    "Write the date as `20261125T19:14:00` or `2026-11-25T19:14:00`, or leave it empty.",
    "senddate = tomorrow",
)

# --- SMS7xx sender -----------------------------------------------------------
SENDER_MISSING = Rule(
    "SMS701",
    "sender-missing",
    E,
    "M3",
    "`sourceaddress` is empty or missing.",
    "Every template campaign names its approved sender.",
    "Write the sender name approved for your account, for example `TESTSMS`.",
    "message;sourceaddress / Hello;",
)

SENDER_TOO_LONG = Rule(
    "SMS702",
    "sender-too-long",
    E,
    "Q10",
    "The sender is longer than 11 characters (letters) or 15 digits (digits only).",
    "Operators truncate or refuse longer alphanumeric senders.",
    "Shorten the sender to at most 11 Latin characters or 15 digits.",
    "MYCOMPANYNAME",
)

SENDER_INVALID_CHARACTERS = Rule(
    "SMS703",
    "sender-invalid-characters",
    E,
    "Q10",
    "The sender has characters other than Latin letters, digits, `-`, `.` and space.",
    "Cyrillic and punctuation cannot be shown as a sender by operators.",
    "Use Latin letters and digits only.",
    "МАГАЗИН",
)

SENDER_NOT_APPROVED = Rule(
    "SMS704",
    "sender-not-approved",
    E,
    "M3",
    "The sender is not among the senders approved for the account.",
    "Senders are requested in the cabinet and approved by support beforehand.",
    "Use an approved sender, or request this one in the cabinet.",
    "NEWSENDER for an account with TESTSMS approved",
)

SENDER_APPROVAL_UNCHECKED = Rule(
    "SMS705",
    "sender-approval-unchecked",
    W,
    "M3",
    "No account settings were given, so the sender's approval could not be checked.",
    "The linter runs without the platform's list of approved senders.",
    "Pass `--accounts accounts.toml` with your account's `senders` to check approval.",
    "smsftp check archive.zip without --accounts",
)

SENDER_CASE_MISMATCH = Rule(
    "SMS706",
    "sender-case-mismatch",
    E,
    "M3",
    "The sender differs from an approved sender only by letter case.",
    "Case matters in sender names (`TESTSMS` is not `TestSms`).",
    "Write the sender exactly as approved.",
    "TestSms for approved TESTSMS",
)

SENDER_NO_DEFAULT = Rule(
    "SMS707",
    "sender-no-default",
    E,
    "N4",
    "The account has no default sender, which plain mode needs.",
    "Plain archives carry no sender; the account's default, arranged with support, is used.",
    "Ask support to set a default sender (setting `default_sender`).",
    "a plain archive for an account without default_sender",
)

# --- SMS8xx upload -----------------------------------------------------------
UPLOAD_ASCII_MODE = Rule(
    "SMS801",
    "upload-ascii-mode",
    E,
    "Q27",
    "The archive was uploaded in ASCII mode (TYPE A) and is corrupt.",
    "ASCII mode rewrites line endings inside the binary zip; Windows' command-line ftp uses it by default.",
    "Switch to binary mode before the upload (`binary` / `TYPE I`; curl and most libraries do so).",
    "ftp> put guest_20261125120000.zip without 'binary'",
)

UPLOAD_INCOMPLETE = Rule(
    "SMS802",
    "upload-incomplete",
    E,
    "Q22",
    "The archive was taken while its upload was still in progress.",
    "A poller that sees the final name before the transfer ends reads a half-written file.",
    "Upload under a temporary name (`.part`, `.tmp`) and rename to `.zip` when the transfer is complete.",
    "STOR guest_20261125120000.zip held open across a poll",
)

UPLOAD_NOT_ZIP = Rule(
    "SMS803",
    "upload-not-zip",
    N,
    "Q15",
    "A file in the folder is not a `.zip` archive; it was left alone.",
    "The platform only takes `.zip` archives; anything else stays in the folder and is never deleted.",
    "Remove the file, or rename it to `.zip` if it is an archive.",
    "notes.txt in the folder",
)

UPLOAD_REPEATED_NAME = Rule(
    "SMS804",
    "upload-repeated-name",
    W,
    "Q17",
    "An archive with this name was processed before; it is processed again.",
    "A retried upload sends the campaign twice.",
    "Give every campaign a new timestamp in its name; do not retry an upload that completed.",
    "guest_20261125120000.zip uploaded twice",
)

UPLOAD_NO_TEMPORARY_NAME = Rule(
    "SMS805",
    "upload-no-temporary-name",
    W,
    "Q22",
    "The archive was written directly under its final `.zip` name.",
    "A poller may pick up the file before the upload completes.",
    "Upload under a temporary name and rename (`RNFR`/`RNTO`) when complete.",
    "STOR guest_20261125120000.zip",
)

UPLOAD_NOT_ENCRYPTED = Rule(
    "SMS806",
    "upload-not-encrypted",
    W,
    "T1",
    "The upload used plain FTP; the password and the recipients crossed the network in clear text.",
    "The platform offers FTP over TLS; personal data should not travel unencrypted.",
    "Use explicit FTPS: `AUTH TLS`, then `PROT P` (curl `--ssl-reqd`, Python `FTP_TLS.prot_p()`).",
    "curl -T archive.zip ftp://...",
)

UPLOAD_ABORTED = Rule(
    "SMS807",
    "upload-aborted",
    W,
    "Q22",
    "An upload was aborted or cut off before it completed.",
    "The partial file is not a campaign; with a temporary name it never reaches the poller.",
    "Retry the upload; upload under a temporary name so that partial files are never picked up.",
    "the data connection dropped mid-transfer",
)

UPLOAD_STORE_FULL = Rule(
    "SMS830",
    "upload-store-full",
    W,
    "P2",
    "The simulator's store was full (disk or --max-store-mb) while this archive was processed; "
    "the processing was rolled back and the archive waits in the folder for the next poll.",
    "Nothing of a half-stored archive is ever sent or counted; it is processed once there is room again.",
    "Free space on the state folder's disk, raise --max-store-mb, or POST /api/reset; the next poll retries.",
    "guest_20261125120000.zip: the store is full (database or disk is full); it waits for the next poll",
)

# Faults on demand (``smsftp serve --fault``): how the client met a fault the simulator injected.
FAULT_NOT_RETRIED = Rule(
    "SMS820",
    "fault-not-retried",
    E,
    "T1",
    "After a transient FTP error the client gave up: no later upload completed.",
    "A 4xx reply, a dropped connection or a cut transfer is temporary on a real server; an exporter that "
    "gives up loses the campaign without anyone noticing.",
    "Retry after a transient error (4xx, a lost connection, a cut data connection) with a back-off, "
    "a few times, then alert a person.",
    "452 on STOR, and no second STOR",
)

FAULT_RESUMED_UPLOAD = Rule(
    "SMS821",
    "fault-resumed-upload",
    E,
    "T4",
    "After a cut transfer the client appended the rest (APPE or REST) instead of uploading the whole archive again.",
    "The half file on the server is not the client's: a poller may have taken it, and a tail appended to it "
    "makes a zip whose bytes do not match what the client built.",
    "After a cut upload start again from the first byte (STOR under a temporary name, then rename); never "
    "APPE or REST onto a half file (curl: do not use -C -).",
    "STOR cut after 1000 bytes, then APPE of the remaining bytes",
)

FAULT_DUPLICATE_CAMPAIGN = Rule(
    "SMS822",
    "fault-duplicate-campaign",
    E,
    "Q17",
    "After a fault the platform received two archives for one campaign.",
    "Each accepted archive is sent: a retry that repeats a campaign which had already arrived sends every SMS twice.",
    "Before retrying, check whether the archive arrived (the temporary name is gone or the rename "
    "succeeded); retry the same upload under the same name, never build a second archive.",
    "RNTO answered 451 after the rename happened, and the client uploads a new archive",
)

FAULT_PERMANENT_RETRIED = Rule(
    "SMS823",
    "fault-permanent-retried",
    W,
    "T1",
    "After a permanent FTP error (5xx) the client tried the same thing again.",
    "A 5xx reply will not change by itself (a wrong password, a refused name): retrying hammers the "
    "server and may lock the account.",
    "Stop on 5xx replies and report the error to a person; retry only 4xx replies and lost connections.",
    "530 on PASS, then the same login again and again",
)

FAULT_HANDLED = Rule(
    "SMS824",
    "fault-handled",
    N,
    "T1",
    "The client met an injected fault and handled it: retried after a transient error, stopped after a permanent one.",
    "Shows in the report which faults the client met and that its reaction was the right one.",
    "Nothing to fix.",
    "452 on the first STOR, then a second STOR that completed",
)

CLIENT_NOTHING_UPLOADED = Rule(
    "SMS808",
    "client-nothing-uploaded",
    E,
    "T1",
    "No upload arrived from the client in the judged scope: there was nothing to judge.",
    "A client judge that passes on nothing lets a CI job that exported nothing, or uploaded elsewhere, go green.",
    "Check that the client ran, used this simulator's address and port, and the login given to `--login`.",
    "smsftp report --fail-on error on a fresh simulator",
)

UPLOAD_UNPROCESSED = Rule(
    "SMS809",
    "upload-unprocessed",
    E,
    "P1",
    "An upload had not been processed by the platform when the client was judged.",
    "Its content was never judged, so a pass would say nothing about it.",
    "Let the simulator poll first: `smsftp report --advance` on a frozen clock "
    "(or POST /api/clock/advance), `--wait SECONDS` on the system clock.",
    "curl -T guest_20261125120000.zip ... then smsftp report at once",
)

UPLOAD_NEVER_PROCESSED = Rule(
    "SMS810",
    "upload-never-processed",
    E,
    "Q15",
    "The client left a file in the folder that the platform will never process.",
    "The platform only takes `[login]_[YYYYMMDDhhmmss].zip`; a `.csv`, a `.part` never renamed or "
    "any other file stays in the folder forever and no message is sent.",
    "Upload the campaign as a zip archive (`sms/contacts.csv` + `sms/template.csv`, or one plain file) "
    "and rename a temporary name to the final `.zip` name.",
    "contacts.csv uploaded on its own",
)

CLIENT_LOGIN_FAILED = Rule(
    "SMS811",
    "client-login-failed",
    E,
    "T2",
    "A login to the FTP server failed for the account in scope.",
    "A client that cannot log in delivers nothing; later uploads may hide that it tried with a wrong password.",
    "Check the login and password the client uses (no stray spaces or quotes from the CI secret).",
    "curl ftp://guest:wrong@127.0.0.1:2121/",
)

UPLOAD_REPLY_UNREAD = Rule(
    "SMS812",
    "upload-reply-unread",
    E,
    "T4",
    "The client closed the control connection after its transfer without reading the server's reply.",
    "Only the reply to STOR (226) says the server has the whole file; a client that hangs up before it "
    "(a timeout such as curl `--max-time`, a killed process) cannot know whether the upload worked.",
    "Wait for the 226 reply after the data connection closes, then send QUIT; raise the client's timeout "
    "rather than cutting the transfer.",
    "curl --max-time 2 -T big.zip ftp://...",
)

_RULES: tuple[Rule, ...] = (
    ARCHIVE_NAME_PATTERN,
    ARCHIVE_NAME_TIMESTAMP_INVALID,
    ARCHIVE_NAME_LOGIN_MISMATCH,
    ARCHIVE_NAME_LOGIN_CASE,
    ARCHIVE_NOT_ZIP,
    ARCHIVE_EMPTY,
    ARCHIVE_TRUNCATED,
    ARCHIVE_ENCRYPTED,
    ARCHIVE_UNSUPPORTED_COMPRESSION,
    ARCHIVE_ENTRY_CORRUPT,
    ARCHIVE_NO_SMS_FOLDER,
    ARCHIVE_JUNK_ENTRY,
    ARCHIVE_UNEXPECTED_ENTRY,
    ARCHIVE_UNSAFE_ENTRY_NAME,
    ARCHIVE_SYMLINK_ENTRY,
    ARCHIVE_TOO_LARGE,
    ARCHIVE_COMPRESSION_RATIO,
    ARCHIVE_MIXED_MODES,
    ARCHIVE_NO_DATA_FILE,
    ARCHIVE_ENTRY_NAMES_CP866,
    ARCHIVE_SEVERAL_PLAIN_FILES,
    ARCHIVE_TEMPLATE_PAIR_INCOMPLETE,
    ARCHIVE_MODE_NOT_ALLOWED,
    ARCHIVE_DUPLICATE_ENTRY,
    ARCHIVE_DATA_FILE_NAME_CASE,
    ARCHIVE_INTERNAL_ERROR,
    ARCHIVE_TOO_MANY_ENTRIES,
    ARCHIVE_LOCAL_HEADER_MISMATCH,
    ARCHIVE_TOO_MANY_ROWS,
    ENCODING_BOM_STRIPPED,
    ENCODING_INVALID_BYTES,
    CSV_UNTERMINATED_QUOTE,
    CSV_WRONG_DELIMITER,
    CSV_MISSING_COLUMN,
    CSV_DUPLICATE_COLUMN,
    CSV_UNKNOWN_COLUMN,
    CSV_COLUMN_NAME_SPACES,
    CSV_ROW_FIELD_COUNT,
    CSV_EMPTY_FILE,
    CSV_LINE_TOO_LONG,
    CSV_QUOTED_FIELD,
    COLUMN_UNFILLED,
    COLUMN_UNFILLED_REJECTED,
    TEMPLATE_ROW_COUNT,
    TEMPLATE_MESSAGE_MISSING,
    TEMPLATE_UNKNOWN_FIELD,
    MESSAGE_EMPTY,
    MESSAGE_TOO_LONG,
    VALIDITY_INVALID,
    VALIDITY_OUT_OF_RANGE,
    LOCALTIME_INVALID,
    LOCALTIME_WITHOUT_SENDDATE,
    CONTACTS_NO_ROWS,
    PLAIN_HEADER_UNEXPECTED,
    PLAIN_TEXT_UNQUOTED_SEPARATOR,
    PLAIN_TEXT_MISSING,
    DUPLICATE_PHONE,
    DUPLICATE_CHECK_LIMIT,
    ROW_REJECTS_ARCHIVE,
    PLAIN_EXTRA_COLUMNS,
    MESSAGE_TOO_MANY_CHARACTERS,
    PHONE_FORM_NORMALIZED,
    VALIDITY_ZERO_DEFAULT,
    PHONE_EMPTY,
    PHONE_LEADING_PLUS,
    PHONE_LEADING_8,
    PHONE_SCIENTIFIC_NOTATION,
    PHONE_FORMATTING,
    PHONE_INVALID,
    PHONE_NOT_DIGITS,
    TIMEZONE_AMBIGUOUS,
    TIMEZONE_UNKNOWN,
    TIMEZONE_REGION_CHOICE,
    SENDDATE_INVALID,
    SENDDATE_PAST,
    SENDDATE_IN_TEMPLATE_INVALID,
    SENDER_MISSING,
    SENDER_TOO_LONG,
    SENDER_INVALID_CHARACTERS,
    SENDER_NOT_APPROVED,
    SENDER_APPROVAL_UNCHECKED,
    SENDER_CASE_MISMATCH,
    SENDER_NO_DEFAULT,
    UPLOAD_ASCII_MODE,
    UPLOAD_INCOMPLETE,
    UPLOAD_NOT_ZIP,
    UPLOAD_REPEATED_NAME,
    UPLOAD_NO_TEMPORARY_NAME,
    UPLOAD_NOT_ENCRYPTED,
    UPLOAD_ABORTED,
    UPLOAD_STORE_FULL,
    FAULT_NOT_RETRIED,
    FAULT_RESUMED_UPLOAD,
    FAULT_DUPLICATE_CAMPAIGN,
    FAULT_PERMANENT_RETRIED,
    FAULT_HANDLED,
    CLIENT_NOTHING_UPLOADED,
    UPLOAD_UNPROCESSED,
    UPLOAD_NEVER_PROCESSED,
    CLIENT_LOGIN_FAILED,
    UPLOAD_REPLY_UNREAD,
)

del E, W, N

REGISTRY: dict[str, Rule] = {rule.code: rule for rule in _RULES}


def diagnostic(
    rule: Rule,
    message: str | None = None,
    *,
    hint: str | None = None,
    file: str | None = None,
    line: int | None = None,
    column: int | None = None,
) -> Diagnostic:
    """Build a ``Diagnostic`` for a registered code.

    ``message`` defaults to the rule's summary and ``hint`` to its fix; pass
    specific text when the input tells more (the value seen, the likely cause).
    """
    r = rule
    return Diagnostic(
        code=r.code,
        name=r.name,
        severity=r.severity,
        statement=r.statement,
        message=message if message is not None else r.summary,
        hint=hint if hint is not None else r.fix,
        file=file,
        line=line,
        column=column,
    )


def collect(check: Check[T]) -> tuple[T, list[Diagnostic]]:
    """Run a check to its end: the value it returns and every diagnostic it yielded, in order."""
    found: list[Diagnostic] = []
    while True:
        try:
            found.append(next(check))
        except StopIteration as done:
            return done.value, found
