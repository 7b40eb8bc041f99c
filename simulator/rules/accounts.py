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

The file is read strictly: an unknown key (``pasword``, ``sender``) is an error
with a "did you mean", as are a missing password and a value of the wrong type,
each with the file and line, so a typo never starts a server where every login
or every archive fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
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


@dataclass(frozen=True)
class AccountsProblem:
    """One thing wrong in an accounts file: where (file, line, table, key) apart from what."""

    source: str
    message: str
    login: str | None = None
    key: str | None = None
    line: int | None = None

    def __str__(self) -> str:
        where = self.source if self.line is None else f"{self.source}:{self.line}"
        table = f" [accounts.{self.login}]" if self.login is not None else ""
        key = f" {self.key}" if self.key is not None else ""
        return f"{where}:{table}{key}: {self.message}"


class AccountsFileError(SimulatorError, ValueError):
    """The accounts file cannot be used; one line per problem, each naming the file, line and key."""

    def __init__(self, problems: str | list[AccountsProblem]) -> None:
        self.problems = [AccountsProblem("<accounts>", problems)] if isinstance(problems, str) else problems
        super().__init__(str(problems) if isinstance(problems, str) else "\n".join(map(str, problems)))


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


DEMO_LOGIN = "guest"


def demo_account() -> Account:
    """The account that ``smsftp serve`` offers when no accounts file is given.

    Login, password and sender are the platform document's own examples.
    """
    return Account(login=DEMO_LOGIN, password="guest", senders=("TESTSMS",), default_sender="TESTSMS")


def unknown_account(login: str) -> Account:
    """Settings for linting without an accounts file: defaults, approval unknown."""
    return Account(login=login, senders_known=False)


_FIELDS = {f.name: f for f in fields(Account)}
# Keys kept in ``Account.extra`` for the service to read (the faults an account's uploads meet).
EXTRA_KEYS = ("faults",)
SETTINGS = tuple(name for name in _FIELDS if name not in ("login", "extra", "senders_known")) + EXTRA_KEYS
_INTS: tuple[str, ...] = (
    "validity",
    "validity_cap",
    "max_parts",
    "max_uncompressed_bytes",
    "max_compression_ratio",
    "duplicate_check_limit",
    "max_entries",
    "max_rows",
    "max_chars",
)
_BOOLS: tuple[str, ...] = (
    "reject_archive_on_bad_row",
    "accept_senddate_without_seconds",
    "accept_plus_and_8",
    "accept_zero_validity",
    "one_archive_per_check",
)
_TYPES: dict[str, type] = {
    **dict.fromkeys(_INTS, int),
    **dict.fromkeys(_BOOLS, bool),
    "password": str,
    "default_sender": str,
}


def _did_you_mean(word: str, known: tuple[str, ...]) -> str:
    import difflib

    close = difflib.get_close_matches(word, known, n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else f"; known keys: {', '.join(known)}"


def _value_problem(key: str, value: Any) -> str | None:
    """Why ``value`` cannot be ``key``'s, or None when it can."""
    if key == "mode":
        return None if value in MODES else f"must be one of {', '.join(MODES)}, not {value!r}"
    if key == "unfilled_columns":
        return None if value in UNFILLED_COLUMNS else f"must be one of {', '.join(UNFILLED_COLUMNS)}, not {value!r}"
    if key == "csv_quoting":
        return None if value in CSV_QUOTING else f"must be one of {', '.join(CSV_QUOTING)}, not {value!r}"
    if key == "faults":  # checked in full by smsftp.simulator.service.faults, which reads them
        return None if isinstance(value, list) else f"must be a list of tables or strings, not {value!r}"
    if key == "senders":
        if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
            return f"must be a list of strings, not {value!r}"
        return None
    if key == "encoding":
        return text_encoding_problem(value)
    if key == "timezone":
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            return f"unknown IANA time zone {value!r}"
        return None
    expected = _TYPES.get(key)
    if expected is not None and (not isinstance(value, expected) or (expected is int and isinstance(value, bool))):
        return f"must be {expected.__name__}, not {value!r}"
    if expected is int and value < 1:
        return f"must be at least 1, not {value!r}"
    return None


def login_ok(login: object) -> bool:
    """Whether ``login`` follows ``LOGIN_RULE``."""
    return isinstance(login, str) and re.fullmatch(LOGIN_PATTERN, login) is not None


class _Lines:
    """Line numbers of tables and keys in the TOML text (tomllib gives none): best effort, None if unseen."""

    def __init__(self, text: str | None) -> None:
        self.lines = text.splitlines() if text is not None else []

    def table(self, login: str) -> int | None:
        header = re.compile(r"^\s*\[\s*accounts\s*\.\s*[\"']?" + re.escape(login) + r"[\"']?\s*\]")
        return next((i for i, line in enumerate(self.lines, 1) if header.match(line)), None)

    def key(self, login: str | None, key: str) -> int | None:
        pattern = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
        start = (self.table(login) if login is not None else None) or 0
        for number in range(start + 1, len(self.lines) + 1):
            line = self.lines[number - 1]
            if start and number > start and line.lstrip().startswith("["):
                break  # the next table: the key is not in this one
            if pattern.match(line):
                return number
        return start or None


def _problems(data: Mapping[str, Any], source: str, lines: _Lines, require_password: bool) -> Iterator[AccountsProblem]:
    """Every problem in the parsed file, in the file's order; never stops at the first."""
    for key in data:
        if key != "accounts":
            yield AccountsProblem(
                source, "unknown table" + _did_you_mean(key, ("accounts",)), key=key, line=lines.key(None, key)
            )
    table = data.get("accounts")
    if not isinstance(table, Mapping) or not table:
        yield AccountsProblem(source, "no [accounts.LOGIN] tables")
        return
    for login, settings in table.items():
        line = lines.table(login)
        if not isinstance(settings, Mapping):
            yield AccountsProblem(source, "must be a table", login=login, line=line)
            continue
        if not login_ok(login):
            yield AccountsProblem(source, f"{login!r} is not a usable login: {LOGIN_RULE}", login=login, line=line)
        for key, value in settings.items():
            if key not in SETTINGS:
                yield AccountsProblem(
                    source,
                    "unknown key" + _did_you_mean(key, SETTINGS),
                    login=login,
                    key=key,
                    line=lines.key(login, key),
                )
            elif (problem := _value_problem(key, value)) is not None:
                yield AccountsProblem(source, problem, login=login, key=key, line=lines.key(login, key))
        if require_password and "password" not in settings:
            yield AccountsProblem(
                source, "missing: every login to this account would fail", login=login, key="password", line=line
            )


def parse_accounts(
    data: Mapping[str, Any], source: str = "<accounts>", text: str | None = None, *, require_password: bool = False
) -> dict[str, Account]:
    """Accounts from a parsed TOML document; ``text``, when given, lets errors name their line.

    A file must give every account a password (``load_accounts`` requires it); ``POST /api/accounts``
    makes one up when none is given.
    """
    problems = list(_problems(data, source, _Lines(text), require_password))
    if problems:
        raise AccountsFileError(problems)
    accounts: dict[str, Account] = {}
    for login, settings in data["accounts"].items():
        known: dict[str, Any] = {
            k: tuple(v) if k == "senders" else v for k, v in settings.items() if k not in EXTRA_KEYS
        }
        extra = {k: v for k, v in settings.items() if k in EXTRA_KEYS}
        accounts[login] = Account(login=login, extra=extra, **known)
    return accounts


def load_accounts(path: str | Path) -> dict[str, Account]:
    """Read an accounts TOML file; every problem is reported with the file, line, account and key."""
    import tomllib  # only when a file is read: serve's start-up without one stays lean

    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AccountsFileError(f"{p}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountsFileError(f"{p}: cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AccountsFileError(f"{p}: {exc}") from None
    return parse_accounts(data, str(p), text, require_password=True)
