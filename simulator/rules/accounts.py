"""Account settings: who a client is and how the platform treats its archives.

The same TOML file feeds ``smsftp check --accounts`` and ``smsftp serve --accounts``::

    [accounts.guest]
    password = "guest"
    mode = "auto"  # template | plain | auto
    senders = ["TESTSMS"]  # approved sourceaddress values (M3)
    default_sender = "TESTSMS"  # plain mode's sender (N4)
    validity = 1440  # minutes, plain mode (N5); template mode's default is the document's 1440 (M4)
    encoding = "utf-8"  # Z4
    timezone = "Europe/Moscow"

Processing settings that answer the open questions (Q2, Q8, Q9, Q11, Q16, Q20,
Q26, Q28-Q30) may be set per account too; their defaults are the simulator's
documented ones.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from smsftp.simulator.errors import SimulatorError

Mode = Literal["template", "plain", "auto"]

# A login names the client's FTP folder and starts every archive name (Z1); it may hold `_`
# (Q3).  Letters, digits, `.`, `_` and `-` only, so that no folder name, FTP path or log line
# can be bent by it (NUL, `/`, spaces, control characters); at most 64 of them.
LOGIN_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$"
LOGIN_MAX_LENGTH = 64
LOGIN_RULE = "a login is 1 to 64 of the characters A-Z a-z 0-9 . _ - and does not start with `.` or `-`"
MODES: tuple[Mode, ...] = ("template", "plain", "auto")
UnfilledColumns = Literal["warn", "reject"]
UNFILLED_COLUMNS: tuple[UnfilledColumns, ...] = ("warn", "reject")
CsvQuoting = Literal["standard", "literal"]
CSV_QUOTING: tuple[CsvQuoting, ...] = ("standard", "literal")


class AccountsFileError(SimulatorError, ValueError):
    """The accounts file cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class Account:
    login: str
    password: str = ""
    mode: Mode = "auto"
    senders: tuple[str, ...] = ()
    default_sender: str | None = None
    validity: int = 1440
    encoding: str = "utf-8"
    timezone: str = "Europe/Moscow"
    # Whether the approved senders are known at all: the linter without an
    # accounts file cannot check approval and says so (SMS705).
    senders_known: bool = True
    reject_archive_on_bad_row: bool = False  # Q9
    validity_cap: int = 4320  # Q11, minutes
    max_parts: int = 255  # Q20
    max_uncompressed_bytes: int = 2 * 1024**3  # Q16, zip bombs
    max_compression_ratio: int = 1000  # Q16, zip bombs
    duplicate_check_limit: int = 50_000  # Q26: exact tracking with bounded memory (about 6 MB)
    max_entries: int = 1000  # Q16: entries of one archive; a campaign needs two
    max_rows: int = 5_000_000  # Q16: data rows of one archive, far above any real campaign
    accept_senddate_without_seconds: bool = True  # Q2: `2008-12-27T15:55`, as the XML API writes dates
    accept_plus_and_8: bool = False  # Q8: `+79031234567` and `89031234567`, as the HTTP API takes them
    accept_zero_validity: bool = True  # Q11: `validity=0` means the default lifetime, as the HTTP API's example
    max_chars: int = 2000  # Q20: the integrationapi.net HTTP API's limit on a message's text
    unfilled_columns: UnfilledColumns = "warn"  # Q28: an empty cell of an optional column
    csv_quoting: CsvQuoting = "standard"  # Q29: `"` opens a quoted field; "literal" keeps quotes as text
    one_archive_per_check: bool = False  # Q30: each 10-second check takes only the earliest archive
    extra: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def with_overrides(self, **changes: Any) -> Account:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})


def text_encoding_problem(name: object) -> str | None:
    """Why ``name`` is no text encoding Python can decode a file with; None when it is one.

    ``codecs.lookup`` also knows bytes-to-bytes codecs (``bz2_codec``, ``zlib_codec``,
    ``base64_codec``...): as a file's "encoding" they would decompress what they are given,
    a bomb behind the zip caps.  ``str.encode`` takes text encodings only.
    """
    if not isinstance(name, str):
        return f"must be a string, not {name!r}"
    try:
        "x".encode(name)
    except UnicodeError:  # a text encoding that cannot write "x" ("undefined"): decoding reports its errors
        return None
    except LookupError as exc:
        return f"unknown encoding {name!r}" if "unknown encoding" in str(exc) else f"{name!r} is not a text encoding"
    return None


def demo_account() -> Account:
    """The account that ``smsftp serve`` offers when no accounts file is given.

    Login, password and sender are the platform document's own examples.
    """
    return Account(login="guest", password="guest", senders=("TESTSMS",), default_sender="TESTSMS")


def unknown_account(login: str) -> Account:
    """Settings for linting without an accounts file: defaults, approval unknown."""
    return Account(login=login, senders_known=False)


_FIELDS = {f.name: f for f in fields(Account)}


def _check(path: str, login: str, key: str, value: Any) -> Any:
    where = f"{path}: [accounts.{login}] {key}"
    if key == "mode":
        if value not in MODES:
            raise AccountsFileError(f"{where}: must be one of {', '.join(MODES)}, not {value!r}")
        return value
    if key == "unfilled_columns":
        if value not in UNFILLED_COLUMNS:
            raise AccountsFileError(f"{where}: must be one of {', '.join(UNFILLED_COLUMNS)}, not {value!r}")
        return value
    if key == "csv_quoting":
        if value not in CSV_QUOTING:
            raise AccountsFileError(f"{where}: must be one of {', '.join(CSV_QUOTING)}, not {value!r}")
        return value
    if key == "senders":
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            raise AccountsFileError(f"{where}: must be a list of strings")
        return tuple(value)
    if key == "encoding":
        problem = text_encoding_problem(value)
        if problem is not None:
            raise AccountsFileError(f"{where}: {problem}")
        return value
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise AccountsFileError(f"{where}: unknown IANA time zone {value!r}") from None
        return value
    expected = {
        "validity": int,
        "validity_cap": int,
        "max_parts": int,
        "max_uncompressed_bytes": int,
        "max_compression_ratio": int,
        "duplicate_check_limit": int,
        "max_entries": int,
        "max_rows": int,
        "reject_archive_on_bad_row": bool,
        "max_chars": int,
        "accept_senddate_without_seconds": bool,
        "accept_plus_and_8": bool,
        "accept_zero_validity": bool,
        "one_archive_per_check": bool,
        "password": str,
        "default_sender": str,
    }.get(key)
    if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        raise AccountsFileError(f"{where}: must be {expected.__name__}, not {value!r}")
    if expected is int and value < 1:
        raise AccountsFileError(f"{where}: must be at least 1, not {value!r}")
    return value


def login_ok(login: object) -> bool:
    """Whether ``login`` follows ``LOGIN_RULE``."""
    return isinstance(login, str) and re.fullmatch(LOGIN_PATTERN, login) is not None


def parse_accounts(data: Mapping[str, Any], source: str = "<accounts>") -> dict[str, Account]:
    table = data.get("accounts")
    if not isinstance(table, Mapping) or not table:
        raise AccountsFileError(f"{source}: no [accounts.LOGIN] tables")
    accounts: dict[str, Account] = {}
    for login, settings in table.items():
        if not isinstance(settings, Mapping):
            raise AccountsFileError(f"{source}: [accounts.{login}] must be a table")
        if not login_ok(login):
            raise AccountsFileError(f"{source}: {login!r} is not a usable login: {LOGIN_RULE}")
        known: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in settings.items():
            if key in _FIELDS and key not in ("login", "extra", "senders_known"):
                known[key] = _check(source, login, key, value)
            else:
                extra[key] = value
        accounts[login] = Account(login=login, extra=extra, **known)
    return accounts


def load_accounts(path: str | Path) -> dict[str, Account]:
    """Read an accounts TOML file; errors name the file and the offending key."""
    import tomllib  # only when a file is read: serve's start-up without one stays lean

    p = Path(path)
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AccountsFileError(f"{p}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise AccountsFileError(f"{p}: {exc}") from None
    return parse_accounts(data, str(p))
