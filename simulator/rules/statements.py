"""The platform's document, statement by statement, as data.

Every rule, diagnostic and conformance case names the statement it enforces by
its id (``Z1``, ``C3``, ``Q8``).  This module holds the English text of each
statement and each open question with the spec's default, so that the reference
pages (``tools/gen_docs.py``) are generated from the repository alone.

Two layers, kept apart:

* the shared spec, restated verbatim: every statement and question of
  ``statements.md`` with its text and stated default (``tests/test_docs.py``
  compares them when the spec is at hand);
* the project's own additions: statements and questions the spec does not have
  (``PROJECT_ADDED``, found in the platform's public copy of the document and in
  its other interfaces' documentation), the defaults the simulator takes where the
  public evidence moved it away from the spec's (``CHOICES``), and notes beside a
  statement (``NOTES``).  ``simulator_default`` is what the simulator does.
"""

from __future__ import annotations

from dataclasses import dataclass

STATEMENTS: dict[str, str] = {
    "T1": (
        "A client integrates by placing a file into its own folder on the platform's FTP server. "
        'The document\'s title is "FTP/FTPS protocol": plain FTP and FTP over TLS.'
    ),
    "T2": (
        "The folder is protected by a password that is handed to the client by a secure route. One "
        "login and password per client; a client sees only its own folder."
    ),
    "T3": (
        "Endpoints: the template integration names `ftp1.integrationapi.net`, its command-line "
        "walkthrough and the no-template integration name `ftp.integrationapi.net`."
    ),
    "T4": (
        "Clients use GUI clients (Windows Explorer is the example) or the command-line `ftp` "
        "client: USER, PASS, CWD, CDUP, QUIT; data connections by PORT (active) or PASV (passive, "
        "the reply's port is p1*256+p2); TYPE A (ASCII, the default of the Windows command-line "
        "client) or TYPE I (binary); put/mput, get/mget, dir, mdel, close/quit."
    ),
    "P1": "The platform checks the folder for an archive file once every 10 seconds.",
    "P2": "A found file is processed and then deleted from the FTP server.",
    "P3": "When the folder holds several archives, the earliest file is processed first.",
    "P4": "Files are processed one after another, never two at once.",
    "R1": "The client sees statistics of its broadcasts in its personal cabinet (a web page).",
    "Z1": ("Archive name: `[client_login]_[YYYYMMDDhhmmss].zip`, for example `guest_20120207231932.zip`."),
    "Z2": "A `.zip` archive without a password.",
    "Z3": "Files sit inside a folder `sms` in the archive.",
    "Z4": ("All files are UTF-8 unless another encoding is arranged with support (so: a per-account setting)."),
    "Z5": "CSV data is separated by `;`.",
    "C1": ("The first file is named exactly `contacts.csv`; one row per recipient; its first row names the columns."),
    "C2": (
        "`phone`, required: the recipient in international format, country code + network code + "
        "number, for example `79031234567`."
    ),
    "C3": (
        "`senddate`, optional: send date and time `YYYYMMDDThh:mm:ss` in the client's local time "
        "(the document's own example is `2010-06-01T19:14:00`). Empty: send as soon as the file is "
        "received. It takes priority over `senddate` in `template.csv`; when empty, the template's "
        "value applies. It may be read in the recipient's time zone when `localtime` is set in "
        "`template.csv`."
    ),
    "C4": "`attr1` ... `attrN`, optional: text fields for substitution into the template.",
    "M1": ("The second file is named exactly `template.csv` and holds exactly one data row under its header."),
    "M2": (
        "`message`, required: the message template. A substitution field is a column name enclosed "
        "in `#`, for example `Уважаемый #attr1# #attr2# #attr3#!`; its value comes from that column"
        " of `contacts.csv`; when no value is found the field is replaced by an empty string."
    ),
    "M3": (
        "`sourceaddress`, required: the sender, up to 11 Latin characters or up to 15 digits, "
        "requested beforehand in the cabinet and approved by support; case matters (`TESTSMS`)."
    ),
    "M4": ("`validity`, optional: the message's lifetime in minutes, for example `180`; default `1440` (24 hours)."),
    "M5": "`senddate`, optional: as C3; a contact's own `senddate` overrides it.",
    "M6": (
        "`localtime`, optional: `1` to send by the recipient's time zone, `0` not to. It applies "
        "only when a send date is given, in `template.csv` or at the contact. The time zone is "
        "determined automatically from the recipient's number."
    ),
    "M7": (
        "No file may contain unfilled columns: a column that is not needed is left out of the file "
        "(the public copy of the document, `ftps.rst`, only)."
    ),
    "N1": ("The archive holds one `.txt` or `.csv` file, in folder `sms`, `;`-separated, UTF-8 by default."),
    "N2": "Lines from the second on hold the data, one line one message (the first line is a header).",
    "N3": (
        "`TELRN_LONG`, required: the recipient in international format (`79031234567`). `TEXT`, "
        "required: the message text."
    ),
    "N4": "The sender is the account's default, arranged with support beforehand.",
    "N5": "Validity is 24 hours by default; support can change it (a per-account setting).",
    "N6": "Scheduled sending and sending by time zone are not available in this mode.",
}

OPEN_QUESTIONS: dict[str, tuple[str, str]] = {
    "Q1": (
        '"Earliest" file (P3): by the timestamp in the name, or by upload time?',
        "Name timestamp, then upload completion time, then name.",
    ),
    "Q2": (
        "`senddate` format: `YYYYMMDDThh:mm:ss` (text) or `YYYY-MM-DDThh:mm:ss` (example)?",
        "Accept both; anything else rejects the row.",
    ),
    "Q3": (
        "Must the login in the archive name equal the FTP login? Case?",
        ("Must equal it exactly, else the archive is rejected. A login may itself contain `_`: split at the last `_`."),
    ),
    "Q4": (
        "Files at the archive's root, without `sms/`?",
        "Rejected (Z3), with a diagnostic that says so.",
    ),
    "Q5": (
        'UTF-8 byte-order mark (Excel\'s "CSV UTF-8")?',
        "Accepted and stripped, with a warning.",
    ),
    "Q6": (
        "Column names: case, surrounding spaces, unknown columns?",
        ("Exact names after trimming spaces; unknown columns are kept and may be used as `#name#` fields."),
    ),
    "Q7": (
        "A `#name#` field naming a column that does not exist?",
        ("Empty string (M2), plus a warning: it is almost always a client bug. A lone `#` is literal text."),
    ),
    "Q8": (
        ("Phone forms `+79031234567`, `89031234567`, `8 (903) 123-45-67`, `7.9031234567E+10`, empty?"),
        (
            "Only digits in international form are valid; others reject that row (not the archive), "
            "each with its own diagnostic naming the likely cause (leading 8, Excel scientific "
            "notation, formatting). Evidence, checked 2026-12: the platform's REST API accepts "
            "`79031234567`, `+79031234567` and `89031234567` for a recipient. Revisit."
        ),
    ),
    "Q9": (
        "A bad row: reject the row or the whole archive?",
        "The row; the rest is sent. A setting can make any bad row reject the archive.",
    ),
    "Q10": (
        ("`sourceaddress` not approved for the account, or too long, or mixed letters and digits?"),
        ("Archive rejected. Letters (with digits, `-`, `.`, space) up to 11, or digits only up to 15."),
    ),
    "Q11": (
        ("`validity` not a whole number, zero, negative, very large?"),
        (
            "Archive rejected for non-numbers and values below 1, and above a cap (setting; default "
            "4320 minutes). Evidence, checked 2026-12: the platform's newer API documents 0..259200 s "
            "(3 days); the integrationapi.net HTTP API's own example sends `Validity=0` and gives no "
            "range. Revisit the lower bound."
        ),
    ),
    "Q12": (
        "Send date already in the past?",
        "Sent at once, with a warning.",
    ),
    "Q13": (
        "`localtime=1` but the number's time zone is unknown or not unique?",
        ("The client's own time zone, with an info diagnostic naming the zones that were possible."),
    ),
    "Q14": (
        "`template.csv` with zero or several data rows?",
        "Archive rejected.",
    ),
    "Q15": (
        "Files in the folder that are not `.zip`?",
        "Left alone and reported, never deleted.",
    ),
    "Q16": (
        "Corrupt, encrypted, empty or truncated archive?",
        "Rejected with a diagnostic, and deleted (P2).",
    ),
    "Q17": (
        "The same archive name uploaded again after it was processed?",
        "Processed again, with a warning (a retried upload sends the campaign twice).",
    ),
    "Q18": (
        "Plain mode: the first line is skipped whatever it holds (N2)?",
        ("Skipped; a warning when it does not look like `TELRN_LONG;TEXT`, because a real row may have been lost."),
    ),
    "Q19": (
        "Plain mode: `TEXT` with unquoted `;`?",
        "Standard CSV quoting; surplus fields are joined back with `;` and warned about.",
    ),
    "Q20": (
        ("Message empty after substitution; very long messages?"),
        (
            "Empty rejects the row; the part count (GSM-7 160/153, UCS-2 70/67) is logged; more than "
            "255 parts rejects the row; a setting lowers the cap. Evidence, checked 2026-12: the "
            "platform's newer API takes at most 17,085 Cyrillic / 34,170 Latin characters (255 "
            "parts); the integrationapi.net HTTP API limits `Data` to 2,000 characters. Revisit."
        ),
    ),
    "Q21": (
        "One server for both modes (T3)?",
        "One server; each account is `template`, `plain` or `auto` (by the archive's content).",
    ),
    "Q22": (
        "A file still being uploaded when the poller looks?",
        (
            'The simulator processes only completed uploads. A "naive poller" setting reproduces a '
            "file-system poller that can grab a half-written file, so clients can prove that they "
            "upload under a temporary name and rename."
        ),
    ),
    "Q23": (
        ("Zip entry names in the legacy DOS encoding (cp866, no UTF-8 flag), `__MACOSX/`, `Thumbs.db`?"),
        ("Decoded correctly; known junk ignored with a warning; any other extra file rejects the archive."),
    ),
    "Q24": (
        "Both a template pair and a plain file in one archive?",
        "Rejected.",
    ),
    "Q25": (
        "`contacts.csv` with no data rows?",
        "Rejected: no recipients.",
    ),
    "Q26": (
        "The same phone twice in one archive?",
        "Both sent, with a warning.",
    ),
    "Q27": (
        "A zip uploaded in ASCII mode (TYPE A)?",
        (
            "The server stores what it received, so the archive is corrupt and rejected; the "
            "diagnostic says that the upload used ASCII mode and that binary mode (TYPE I) is "
            "needed."
        ),
    ),
    "Q28": (
        (
            "An optional column that is present but empty: the seed says an empty `senddate` means "
            '"send at once" (C3, M5) and an empty `validity` the default (M4); the public copy says no '
            "file may contain unfilled columns (M7)?"
        ),
        (
            "Accepted as the seed says (empty means the default), with a warning for each empty "
            "optional cell of `template.csv` (`validity`, `senddate`, `localtime`) and for a `senddate` "
            "column of `contacts.csv` that is empty in every row; a setting rejects instead."
        ),
    ),
    "Q29": (
        (
            'CSV quoting: the document says only "separated by `;`". Is a field that starts with `"` '
            "quoted (the quotes removed, `;` inside kept), or are quotes literal text?"
        ),
        (
            'Standard CSV quoting with `;`: `"a;b"` is one field `a;b` and `""` inside it is one `"`, with '
            "an info diagnostic once per file that uses quotes; a setting reads quotes as literal text."
        ),
    ),
    "Q30": (
        ("One archive per 10-second check (P1, P4), or every archive waiting in the folder in one check?"),
        (
            "Every waiting archive in one check, one after another in P3's order; a setting takes only "
            "the earliest archive per check."
        ),
    ),
}

# Statements and questions that the shared spec does not have: the project found them in the
# platform's public copy of the document and in its other interfaces' documentation.
PROJECT_ADDED: frozenset[str] = frozenset({"M7", "Q28", "Q29", "Q30"})

# The public sources that the notes and choices cite (Devino Telecom's `docs` repository).
PUBLIC_COPY = "https://github.com/devinotelecom/docs/blob/master/ftps.rst"
HTTP_API = "https://github.com/devinotelecom/docs/blob/master/httpapi.rst"
HTTP_API_V2 = "https://github.com/devinotelecom/docs/blob/master/httpapiv2.rst"
XML_API = "https://github.com/devinotelecom/docs/blob/master/xml.rst"
SOURCES: dict[str, str] = {
    "the public copy of the FTP/FTPS document (`ftps.rst`)": PUBLIC_COPY,
    "the integrationapi.net HTTP API (`httpapi.rst`)": HTTP_API,
    "the integrationapi.net HTTP API v2 (`httpapiv2.rst`)": HTTP_API_V2,
    "the XML API (`xml.rst`)": XML_API,
}


@dataclass(frozen=True)
class Choice:
    """The simulator's default where public evidence moved it away from the spec's stated default."""

    default: str
    evidence: str


CHOICES: dict[str, Choice] = {
    "Q2": Choice(
        "Accept both forms, and both without seconds (`2008-12-27T15:55`, read as `:00`); anything "
        "else rejects the row. Setting `accept_senddate_without_seconds = false` requires the seconds.",
        f"The platform's [XML API]({XML_API}) writes its dates without seconds "
        f'(`date_beg="2008-12-27T15:55"`), its [HTTP API]({HTTP_API}) with them '
        "(`SendDate=2011-01-28T16:00:00`): the platform's date reader most likely takes ISO 8601 with "
        "or without seconds. A client that writes seconds is safe either way.",
    ),
    "Q8": Choice(
        "Kept: only digits in international form are valid; others reject that row (not the archive), "
        "each with its own diagnostic naming the likely cause. Setting `accept_plus_and_8 = true` "
        "accepts `+79031234567` and `89031234567` as `79031234567`, with a warning.",
        f"The [HTTP API]({HTTP_API}) and [HTTP API v2]({HTTP_API_V2}) document `79031234567`, "
        f"`+79031234567` and `89031234567` for `DestinationAddress`, the [XML API]({XML_API}) "
        f"`79031234567` and `+79031234567`; but the [FTP document]({PUBLIC_COPY}) names only "
        "`79031234567` for `phone` and `TELNR_LONG`, and describes that field as country code + network "
        "code + number. The default stays with the FTP document: the number's spelling is read by "
        "each interface's own front end (the CSV reader here, the HTTP parameters there), whereas a "
        "text limit (Q20) belongs to the back end that every interface feeds. An exporter that "
        "writes digits passes on both readings; the probes `Q8-leading-plus` and `Q8-leading-8` "
        "record the live answer.",
    ),
    "Q11": Choice(
        "Archive rejected for non-numbers, negative values and values above the cap (setting "
        "`validity_cap`, default 4320 minutes, the newer API's 259,200 s); `0` is accepted and read as "
        "the default lifetime (1440 minutes), with an info diagnostic. Setting "
        "`accept_zero_validity = false` rejects `0`.",
        f"The [HTTP API]({HTTP_API})'s own example request sends `Validity=0` (so does "
        f"[v2]({HTTP_API_V2})'s), in minutes and with no range given; the newer API documents "
        "0..259,200 seconds (3 days). Both take 0, and a lifetime of nothing would never deliver, so 0 "
        "most likely stands for the default.",
    ),
    "Q20": Choice(
        "Empty rejects the row; the part count (GSM-7 160/153, UCS-2 70/67) is logged; a text longer "
        "than 2000 characters rejects the row (setting `max_chars`), and so do more than 255 parts "
        "(setting `max_parts`).",
        f"The integrationapi.net [HTTP API]({HTTP_API}) (and [v2]({HTTP_API_V2})) limits `Data` to 2000 "
        "characters; the FTP servers are on the same integrationapi.net domain (T3), most likely in "
        "front of the same back end. The 255-part figure (17,085 Cyrillic characters) comes from the "
        "platform's newer API, a later generation.",
    ),
}

# Notes beside a statement or question: what the public material adds that the spec does not say.
NOTES: dict[str, str] = {
    "T3": (
        f"The [public copy]({PUBLIC_COPY}) has the same difference: its template section names "
        "`ftp1.integrationapi.net`, its command-line walkthrough and its no-template section "
        "`ftp.integrationapi.net`. The simulator serves both modes on one server (Q21)."
    ),
    "N3": (
        f"The [public copy]({PUBLIC_COPY}) spells the column `TELNR_LONG`; the seed `TELRN_LONG`. Both "
        "header spellings are accepted without a warning."
    ),
    "M7": (
        f"From the [public copy]({PUBLIC_COPY}), a warning below `template.csv`'s table. It conflicts "
        'with C3 and M5 (an empty `senddate` means "send at once"): see Q28.'
    ),
    "Q13": (
        "Number portability does not move a number's time zone: under Russian law (Federal Law "
        "No. 126-FZ, art. 44) a mobile number keeps its region when it moves to another operator, "
        "because porting is allowed only within one subject of the Federation. The zone found from the "
        "numbering-plan range stays right for ported numbers."
    ),
}

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Transport and access",
        ("T1", "T2", "T3", "T4"),
    ),
    (
        "Polling and processing",
        ("P1", "P2", "P3", "P4", "R1"),
    ),
    (
        "The archive",
        ("Z1", "Z2", "Z3", "Z4", "Z5"),
    ),
    (
        "Integration with a template (two files: `sms/contacts.csv`, `sms/template.csv`)",
        ("C1", "C2", "C3", "C4", "M1", "M2", "M3", "M4", "M5", "M6", "M7"),
    ),
    (
        "Integration without a template (one file: `sms/name.csv` or `sms/name.txt`)",
        ("N1", "N2", "N3", "N4", "N5", "N6"),
    ),
)

# Where the simulator lets a deployment differ from its default.  A bare name is
# a key of an account in the accounts TOML file; ``--name`` is an option of
# ``smsftp serve``; ``$NAME`` is an environment variable.
SETTINGS: dict[str, tuple[str, ...]] = {
    "T1": ("--tls",),
    "P1": ("--poll-interval",),
    "Z4": ("encoding",),
    "C3": ("timezone",),
    "M3": ("senders",),
    "N4": ("default_sender",),
    "N5": ("validity",),
    "Q9": ("reject_archive_on_bad_row",),
    "Q11": ("validity_cap", "accept_zero_validity"),
    "Q13": ("timezone", "$SMSFTP_NUMBERING_REGISTER"),
    "Q16": ("max_uncompressed_bytes", "max_compression_ratio", "max_entries", "max_rows"),
    "Q20": ("max_chars", "max_parts"),
    "Q21": ("mode",),
    "Q22": ("--naive-poller",),
    "Q26": ("duplicate_check_limit",),
    "Q2": ("accept_senddate_without_seconds",),
    "Q8": ("accept_plus_and_8",),
    "Q28": ("unfilled_columns",),
    "Q29": ("csv_quoting",),
    "Q30": ("one_archive_per_check",),
}


def simulator_default(question_id: str) -> str:
    """What the simulator does by default for an open question: the project's choice, else the spec's."""
    choice = CHOICES.get(question_id)
    return choice.default if choice is not None else OPEN_QUESTIONS[question_id][1]


def title(statement_id: str) -> str:
    """The statement's or question's text, for one-line mentions."""
    if statement_id in STATEMENTS:
        return STATEMENTS[statement_id]
    return OPEN_QUESTIONS[statement_id][0]
