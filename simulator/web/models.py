"""The HTTP API's bodies as pydantic models: what ``/openapi.json`` describes, field by field.

Responses are validated against these models on the way out, so the schema a client is
generated from is the one the server keeps: an instant that is not ISO 8601 with a
four-digit year, or a field the model does not name, cannot leave the server.
Requests carry their bounds here too (lengths, ranges, finite numbers).
"""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import available_timezones

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from smsftp.simulator.rules.accounts import (
    LOGIN_MAX_LENGTH,
    LOGIN_PATTERN,
    LOGIN_RULE,
    CsvQuoting,
    UnfilledColumns,
    login_ok,
)

# What POST /api/clock reads: a date, a time to the minute or finer, and an optional offset.
AT_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?(Z|z|[+-][0-9]{2}:[0-9]{2})?$"
INSTANT_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"
Instant = Annotated[
    str, Field(pattern=INSTANT_PATTERN, description="ISO 8601 UTC, four-digit year", examples=["2026-11-25T12:00:00Z"])
]


def _login_rule(login: str) -> str:
    if not login_ok(login):
        raise ValueError(LOGIN_RULE)
    return login


# The rule is checked by the validator, so that a 422 states it in words; the schema shows it too.
Login = Annotated[
    str,
    Field(json_schema_extra={"pattern": LOGIN_PATTERN, "minLength": 1, "maxLength": LOGIN_MAX_LENGTH}),
    AfterValidator(_login_rule),
]
# Bounds of free-text fields: generous for any real value, small enough that no request is a burden.
TEXT_MAX = 256
SENDERS_MAX = 100
# Four-digit years with a year to spare: send dates and validity are computed from the clock.
CLOCK_MIN_YEAR, CLOCK_MAX_YEAR = 1000, 9998
MAX_ADVANCE = 100 * 365 * 86400  # seconds: a century; the clock counts idle polls, it does not run them


# The API takes the text encodings clients are known to use; the accounts file takes any text codec.
Encoding = Literal[
    "utf-8",
    "utf-8-sig",
    "utf-16",
    "cp1251",
    "cp866",
    "koi8-r",
    "koi8-u",
    "iso8859-5",
    "mac-cyrillic",
    "latin-1",
    "ascii",
]
ZONES = sorted(available_timezones())


def _zone_rule(zone: str) -> str:
    if zone not in ZONES:
        raise ValueError("an IANA time zone such as Europe/Moscow")
    return zone


class _Out(BaseModel):
    model_config = ConfigDict(extra="ignore")


# --- requests ----------------------------------------------------------------------------------
class ClockSet(BaseModel):
    model_config = ConfigDict(extra="forbid")
    at: str = Field(
        min_length=1,
        max_length=64,
        pattern=AT_PATTERN,
        description=f"ISO 8601 instant, e.g. 2026-11-25T12:00:00Z (naive means UTC); "
        f"years {CLOCK_MIN_YEAR} to {CLOCK_MAX_YEAR}",
    )


class ClockAdvance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seconds: float = Field(
        ge=0,
        le=MAX_ADVANCE,
        allow_inf_nan=False,
        description="how far to move the clock (a frozen one, or the system clock pushed forward); "
        f"due polls run before the reply; at most {MAX_ADVANCE} (a century), and never past year {CLOCK_MAX_YEAR}",
    )


class AccountIn(BaseModel):
    """A throw-away account; omitted login and password are generated. Other keys as in the accounts file."""

    model_config = ConfigDict(extra="forbid")
    login: Login | None = None
    password: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)] | None = None
    mode: Literal["template", "plain", "auto"] = "auto"
    senders: Annotated[
        list[Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]], Field(max_length=SENDERS_MAX)
    ] = Field(default_factory=lambda: ["TESTSMS"])
    default_sender: Annotated[str, Field(min_length=1, max_length=TEXT_MAX)] | None = "TESTSMS"
    validity: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    encoding: Encoding | None = None
    timezone: Annotated[str, Field(json_schema_extra={"enum": ZONES}), AfterValidator(_zone_rule)] | None = None
    reject_archive_on_bad_row: bool | None = None
    validity_cap: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    max_parts: Annotated[int, Field(ge=1, le=255)] | None = None
    max_uncompressed_bytes: Annotated[int, Field(ge=1, le=2**62)] | None = None
    max_compression_ratio: Annotated[int, Field(ge=1, le=2**31)] | None = None
    duplicate_check_limit: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    max_entries: Annotated[int, Field(ge=1, le=10_000_000)] | None = None
    max_rows: Annotated[int, Field(ge=1, le=2**31)] | None = None
    accept_senddate_without_seconds: bool | None = None
    accept_plus_and_8: bool | None = None
    accept_zero_validity: bool | None = None
    max_chars: Annotated[int, Field(ge=1, le=1_000_000)] | None = None
    unfilled_columns: UnfilledColumns | None = None
    csv_quoting: CsvQuoting | None = None
    one_archive_per_check: bool | None = None


# --- responses ---------------------------------------------------------------------------------
class ClockState(_Out):
    now: Instant
    frozen: bool
    poll_interval: float
    next_poll: Instant | None = Field(description="the next poll on a frozen clock; null on the system clock")
    polls: int = Field(description="polls so far, empty ones included")


class FtpAddress(_Out):
    host: str
    port: int
    tls: Literal["off", "optional", "required"]


class Readiness(_Out):
    """Which parts are up; ``/readyz`` answers 200 only when all are."""

    ready: bool
    ftp: bool
    poller: bool
    store: bool


class PollerHealth(_Out):
    alive: bool
    polls: int
    deferred_store_full: int = Field(description="archives put back because the store was full (SMS830)")
    folder_failures: dict[str, int] = Field(description="login: polls whose folder failed")
    last_failure: str | None


class Health(_Out):
    status: Literal["ok", "degraded"]
    ready: dict[str, bool] = Field(description="ftp, poller, store: whether each is up")
    poller: PollerHealth
    ftp: FtpAddress
    clock: ClockState
    naive_poller: bool
    counts: dict[str, int] = Field(description="rows per table of the store")
    internal_errors: int = Field(description="exceptions caught in the FTP loop and the poller (our bugs)")
    cert_path: str | None


class AccountOut(_Out):
    """An account's settings; the password is never shown."""

    login: str
    mode: Literal["template", "plain", "auto"]
    senders: list[str]
    default_sender: str | None
    validity: int
    encoding: str
    timezone: str
    senders_known: bool
    reject_archive_on_bad_row: bool
    validity_cap: int
    max_parts: int
    max_uncompressed_bytes: int
    max_compression_ratio: int
    duplicate_check_limit: int
    max_entries: int
    max_rows: int
    accept_senddate_without_seconds: bool
    accept_plus_and_8: bool
    accept_zero_validity: bool
    max_chars: int
    unfilled_columns: UnfilledColumns
    csv_quoting: CsvQuoting
    one_archive_per_check: bool


class AccountCreated(AccountOut):
    """The new account, with its password: shown once, to whoever created it."""

    password: str


class DiagnosticOut(_Out):
    code: str = Field(examples=["SMS503"])
    name: str = Field(examples=["phone-leading-8"])
    severity: Literal["error", "warning", "info"]
    statement: str
    file: str | None
    line: int | None
    column: int | None
    message: str
    hint: str


class Upload(_Out):
    id: int
    login: str
    filename: str
    final_name: str
    command: str
    size: int | None
    sha256: str | None
    transfer_type: Literal["A", "I"]
    control_tls: bool
    data_tls: bool
    passive: bool
    temp_name: str | None
    renamed_to: str | None
    state: Literal["in_progress", "complete", "aborted", "cut_off"]
    ending: str | None
    client: str
    started_at: Instant
    ended_at: Instant | None
    reply: Literal["read", "unread"] | None = Field(
        default=None,
        description="after a complete transfer: read when the client sent another command after the 226 "
        "reply, unread when it closed the control connection without one (SMS812)",
    )


class Archive(_Out):
    id: int
    login: str
    name: str
    archive: str = Field(description="the same as name")
    status: Literal["pending", "accepted", "rejected"]
    mode: str | None
    received_at: Instant
    processed_at: Instant | None
    message_count: int
    rejected_rows: int
    diagnostics: list[DiagnosticOut]
    upload_id: int | None
    size: int
    sha256: str


class MessageOut(_Out):
    id: int
    archive: str
    login: str
    phone: str
    text: str
    sender: str
    send_at: Instant
    expires_at: Instant
    encoding: str
    segments: int
    row: int


class FailedLoginOut(_Out):
    id: int
    login: str
    client: str
    tls: bool
    at: Instant


class FolderNoteOut(_Out):
    login: str
    name: str
    code: str
    message: str
    first_seen: Instant


class PollOut(_Out):
    id: int
    at: Instant
    found: int
    processed: int
    skipped: int
    seconds: float


class Paged(_Out):
    """The paging fields every list answers with: ``next`` is the link to the following page, or null."""

    total: int
    limit: int
    offset: int
    next: str | None


class AccountList(Paged):
    accounts: list[AccountOut]


class UploadList(Paged):
    uploads: list[Upload]


class ArchiveList(Paged):
    archives: list[Archive]


class MessageList(Paged):
    messages: list[MessageOut]


class CabinetMessages(MessageList):
    archive: str
    matched: int = Field(description="messages that match the search (the same as total)")


class CabinetVersion(_Out):
    version: str = Field(description="changes whenever the viewer's archives or uploads change")


class FailedLoginList(Paged):
    failed_logins: list[FailedLoginOut]
    count: int = Field(description="the same as total (kept for older clients)")


class PollList(Paged):
    polls: list[PollOut]
    polls_run: int = Field(
        description="every poll so far, empty ones included (only polls that found something are listed)"
    )


class Folder(_Out):
    login: str
    files: list[str]
    notes: list[FolderNoteOut]


class PollResult(_Out):
    found: int
    processed: int
    in_progress: int


class ResetResult(_Out):
    status: Literal["reset"]
