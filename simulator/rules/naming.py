"""Names: the archive's file name (Z1, Q3) and the names of the entries inside it (Q23, Z3).

The archive's name is `[login]_[YYYYMMDDhhmmss].zip`. The login may itself
contain `_`, so the name is split at the *last* `_` (Q3). The timestamp is kept
naive, exactly as written: the document does not say in which time zone it is,
and the poller only uses it to order archives (Q1).

Entry names are bytes in the zip; which encoding they are in, whether they are
safe to extract or junk that archivers add, and which named files make the
campaign (``assign_roles``) is decided here from the names alone, so that
``archive.py`` only deals with the container's bytes.
"""

from __future__ import annotations

import re
import struct
import unicodedata
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_DATA_FILE_NAME_CASE,
    ARCHIVE_MIXED_MODES,
    ARCHIVE_MODE_NOT_ALLOWED,
    ARCHIVE_NAME_LOGIN_CASE,
    ARCHIVE_NAME_LOGIN_MISMATCH,
    ARCHIVE_NAME_PATTERN,
    ARCHIVE_NAME_TIMESTAMP_INVALID,
    ARCHIVE_NO_DATA_FILE,
    ARCHIVE_NO_SMS_FOLDER,
    ARCHIVE_SEVERAL_PLAIN_FILES,
    ARCHIVE_TEMPLATE_PAIR_INCOMPLETE,
    ARCHIVE_UNEXPECTED_ENTRY,
    Check,
    Diagnostic,
    diagnostic,
)
from smsftp.simulator.rules.outcome import ArchiveMode

EXTENSION = ".zip"
SMS_FOLDER = "sms/"
CONTACTS = "contacts.csv"
TEMPLATE = "template.csv"
PLAIN_EXTENSIONS = (".csv", ".txt")
_FLAG_UTF8 = 0x0800  # general-purpose bit 11: the entry name is UTF-8
_EXTRA_UNICODE_PATH = 0x7075  # Info-ZIP: the name in UTF-8 beside a legacy-encoded one
_STAMP = re.compile(r"[0-9]{14}")
_STAMP_LENGTH = 14
# Browsers and file managers name a second copy `name (1).zip` or `name - Copy.zip`.
_COPY_SUFFIX = re.compile(r"(\s*\(\d+\)|\s*-\s*(copy|копия).*|\s+copy.*)$", re.IGNORECASE)
_EXAMPLE = "guest_20120207231932.zip"


@dataclass(frozen=True)
class ArchiveName:
    """A well-formed archive name: the login and the timestamp written in it."""

    login: str
    stamp: datetime  # naive, as written in the name

    @property
    def filename(self) -> str:
        return f"{self.login}_{self.stamp:%Y%m%d%H%M%S}{EXTENSION}"


def _basename(filename: str) -> str:
    # The linter is handed paths; only the last component is the archive's name.
    return filename.replace("\\", "/").rsplit("/", 1)[-1]


def _instant(stamp: str) -> datetime | None:
    # Fixed-width slices, not strptime: its patterns accept one-digit fields and could split differently.
    try:
        return datetime(
            int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8]), int(stamp[8:10]), int(stamp[10:12]), int(stamp[12:14])
        )
    except ValueError:
        return None


def parse_archive_name(filename: str) -> ArchiveName | None:
    """The login and timestamp of a well-formed name; None for any other name.

    Strict: the extension is `.zip` in lower case, the login is not empty, the
    timestamp is 14 digits naming a real calendar instant.
    """
    name = _basename(filename)
    if not name.endswith(EXTENSION):
        return None
    login, sep, stamp = name[: -len(EXTENSION)].rpartition("_")
    if not sep or not login or not _STAMP.fullmatch(stamp):
        return None
    instant = _instant(stamp)
    return ArchiveName(login, instant) if instant is not None else None


def _why_not_a_date(stamp: str) -> str:
    """Which field of a 14-digit timestamp names no real date or time."""
    year, month, day = int(stamp[0:4]), int(stamp[4:6]), int(stamp[6:8])
    hour, minute, second = int(stamp[8:10]), int(stamp[10:12]), int(stamp[12:14])
    if year < 1:
        return "year 0000 does not exist"
    if not 1 <= month <= 12:
        if 1 <= day <= 12:
            return f"month {month:02d} does not exist (day and month swapped?)"
        return f"month {month:02d} does not exist"
    if day < 1 or _instant(stamp[:8] + "000000") is None:
        return f"day {day:02d} does not exist in {year:04d}-{month:02d}"
    if hour > 23:
        return f"hour {hour:02d} is past 23"
    if minute > 59:
        return f"minute {minute:02d} is past 59"
    if second > 59:
        return f"second {second:02d} is past 59 (leap seconds are not written in names)"
    return "it is not a calendar instant"


def _shape_problems(name: str, stem: str) -> Check[bool]:
    """SMS101 for everything about the stem's shape; returns whether it is fine."""
    login, sep, stamp = stem.rpartition("_")
    if not sep:
        yield diagnostic(
            ARCHIVE_NAME_PATTERN,
            f"The name {name!r} has no `_` between a login and a timestamp.",
            hint=f"Name the file `<login>_<YYYYMMDDhhmmss>.zip`, for example `{_EXAMPLE}`.",
        )
        return False
    if not login:
        yield diagnostic(
            ARCHIVE_NAME_PATTERN,
            f"The name {name!r} has no login before the `_`.",
            hint=f"Put your FTP login before the timestamp, for example `{_EXAMPLE}`.",
        )
    if _STAMP.fullmatch(stamp):
        return bool(login)
    hint = f"The timestamp is 14 digits, `YYYYMMDDhhmmss`, for example `{_EXAMPLE}`."
    copy = _COPY_SUFFIX.search(stamp)
    if copy and _STAMP.fullmatch(stamp[: copy.start()]):
        hint = (
            f"{stamp[copy.start() :].strip()!r} after the timestamp looks like a copy made by a browser or "
            "file manager; rename the file to drop it."
        )
    elif stamp.isdigit() and len(stamp) == _STAMP_LENGTH - 2:
        hint = "The timestamp has 12 digits; the seconds are missing (`YYYYMMDDhhmmss`)."
    elif stamp.isdigit() and len(stamp) == 6 and re.fullmatch(r"[0-9]{8}", login.rsplit("_", 1)[-1]):
        hint = "Date and time are separated by `_`; write them together: `YYYYMMDDhhmmss`."
    elif re.fullmatch(r"[0-9]{4}[-.][0-9]{2}[-.][0-9]{2}[T _-]?[0-9]{2}[-:.]?[0-9]{2}[-:.]?[0-9]{2}", stamp):
        hint = "Write the timestamp as digits only, without separators: `YYYYMMDDhhmmss`."
    elif stamp.lower().endswith(EXTENSION):
        hint = "The name ends in `.zip` twice; a file manager may hide the first extension."
    yield diagnostic(
        ARCHIVE_NAME_PATTERN, f"The timestamp {stamp!r} in {name!r} is not 14 digits `YYYYMMDDhhmmss`.", hint=hint
    )
    return False


def _login_problems(name: str, written: str, login: str) -> Iterator[Diagnostic]:
    if written == login:
        return
    if written.casefold() == login.casefold():
        yield diagnostic(
            ARCHIVE_NAME_LOGIN_CASE,
            f"The name {name!r} is for login {written!r}; the account's login is {login!r}.",
            hint=f"Logins are compared exactly: write `{login}` in the same case.",
        )
        return
    hint = f"Put exactly your FTP login `{login}` before the last `_` of the name."
    if "_" in login and written == login.rsplit("_", 1)[-1]:
        hint = f"Your login `{login}` contains `_`; write all of it before the timestamp."
    yield diagnostic(
        ARCHIVE_NAME_LOGIN_MISMATCH,
        f"The name {name!r} is for login {written!r}, but it was uploaded by {login!r}.",
        hint=hint,
    )


def check_archive_name(filename: str, login: str | None) -> Check[ArchiveName | None]:
    """Judge an archive's name; report every problem, not only the first.

    ``login`` is the account's login, or None when unknown (the linter without
    ``--login``): then only the shape is checked. The parsed name is returned
    whenever the shape and the timestamp are right, even when the login does
    not match (SMS103/SMS104 are in the diagnostics), so that callers can still
    order archives by their timestamp.
    """
    name = _basename(filename)
    shape_ok = True  # no SMS101 or SMS102 so far
    stem = name
    if name.endswith(EXTENSION):
        stem = name[: -len(EXTENSION)]
    elif name.lower().endswith(EXTENSION):
        ext = name[-len(EXTENSION) :]
        stem = name[: -len(EXTENSION)]
        shape_ok = False
        yield diagnostic(
            ARCHIVE_NAME_PATTERN,
            f"The extension of {name!r} is {ext!r}, not `.zip`.",
            hint=f"The extension must be `.zip` in lower case: rename to `{stem}.zip`.",
        )
    else:
        ext = "." + name.rsplit(".", 1)[-1] if "." in name else ""
        hint = f"Name the archive `<login>_<YYYYMMDDhhmmss>.zip`, for example `{_EXAMPLE}`."
        if ext.lower() in (".csv", ".txt"):
            hint = "Upload the data inside a zip archive: zip the `sms` folder and name the archive `.zip`."
        elif ext.lower() in (".rar", ".7z", ".gz", ".tgz", ".tar"):
            hint = "Only zip archives are processed: pack the `sms` folder with a zip tool."
        what = f"ends in {ext!r}" if ext else "has no extension"
        shape_ok = False
        yield diagnostic(ARCHIVE_NAME_PATTERN, f"The name {name!r} {what}, not `.zip`.", hint=hint)
        stem = name.rsplit(".", 1)[0] if ext else name
    shape_ok &= yield from _shape_problems(name, stem)
    written, _, stamp = stem.rpartition("_")
    instant: datetime | None = None
    if _STAMP.fullmatch(stamp):
        instant = _instant(stamp)
        if instant is None:
            yield diagnostic(
                ARCHIVE_NAME_TIMESTAMP_INVALID,
                f"The timestamp {stamp!r} in {name!r} names no real instant: {_why_not_a_date(stamp)}.",
            )
    # A login read from a malformed name is a guess; judge it only when the timestamp has its shape.
    if login is not None and written and _STAMP.fullmatch(stamp):
        yield from _login_problems(name, written, login)
    if shape_ok and instant is not None:
        return ArchiveName(written, instant)
    return None


# --- names of the entries inside the archive (Q23, Z3) ------------------------------


def _plausible_name_char(c: str) -> bool:
    # Latin, Greek, Cyrillic, combining marks (macOS writes NFD), punctuation, `№`.
    o = ord(c)
    return o < 0x80 or 0xA0 <= o <= 0x52F or 0x2000 <= o <= 0x206F or 0x20A0 <= o <= 0x214F


def _unicode_path(extra: bytes, raw: bytes) -> str | None:
    """The Info-ZIP Unicode Path extra field, when it vouches for this raw name."""
    pos = 0
    while pos + 4 <= len(extra):
        tag, length = struct.unpack_from("<HH", extra, pos)
        body = extra[pos + 4 : pos + 4 + length]
        pos += 4 + length
        if tag == _EXTRA_UNICODE_PATH and len(body) >= 5 and body[0] == 1:
            (crc,) = struct.unpack_from("<I", body, 1)
            if crc == zlib.crc32(raw):
                try:
                    return body[5:].decode("utf-8")
                except UnicodeDecodeError:
                    return None
    return None


def decode_entry_name(info: zipfile.ZipInfo) -> tuple[str, str]:
    """The entry's real name and how it was decoded: 'ascii', 'utf-8' or 'cp866'.

    With the UTF-8 flag (bit 11) zipfile already decoded the name. Without it
    zipfile decoded the raw bytes as cp437; encoding back to cp437 recovers them.
    Windows tools write the DOS code page (cp866 in Russia), but Info-ZIP and
    macOS write UTF-8 without setting the flag, so valid UTF-8 that reads as
    plausible text is taken as UTF-8 first: cp866 Cyrillic never is valid UTF-8
    of that kind (its lead bytes would be box-drawing characters).
    """
    if info.flag_bits & _FLAG_UTF8:
        return unicodedata.normalize("NFC", info.orig_filename), "utf-8"
    raw = info.orig_filename.encode("cp437")
    if raw.isascii():
        return raw.decode("ascii"), "ascii"
    unicode_path = _unicode_path(info.extra, raw)
    if unicode_path is not None:
        return unicodedata.normalize("NFC", unicode_path), "utf-8"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        if all(_plausible_name_char(c) for c in text):
            return unicodedata.normalize("NFC", text), "utf-8"
    return raw.decode("cp866"), "cp866"


def unsafe_entry_name(name: str) -> tuple[str, str | None] | None:
    """Why a name is unsafe to extract (zip-slip), with a specific hint; None when safe."""
    if not name:
        return "is empty", None
    if "\x00" in name:
        return "holds a NUL byte, which hides the rest of the name from some tools", None
    if "\\" in name:
        return (
            "uses `\\` as a path separator; zip names use `/`",
            "Re-create the archive with a zip tool that writes `/` (7-Zip, Windows 'Compressed folder', `zip`).",
        )
    if name.startswith("/"):
        return "is an absolute path", None
    if re.match(r"[A-Za-z]:", name):
        return "names a drive (`C:`)", None
    if ".." in name.split("/"):
        return "climbs out of the archive with `..`", None
    return None


def junk_kind(name: str) -> str | None:
    """Which kind of archiver-added junk an entry is, or None for a real entry."""
    base = name.rstrip("/").rsplit("/", 1)[-1]
    if name.startswith("__MACOSX/"):
        return "macOS Finder metadata under `__MACOSX/`"
    if base == ".DS_Store":
        return "macOS Finder folder settings (`.DS_Store`)"
    if base.startswith("._"):
        return "macOS resource forks (`._*`)"
    if base.lower() in ("thumbs.db", "ehthumbs.db"):
        return "Windows Explorer thumbnail caches (`Thumbs.db`)"
    if base.lower() == "desktop.ini":
        return "Windows folder settings (`desktop.ini`)"
    return None


# --- which named files make the campaign (Q4, N1, C1, M1, Q21, Q24) -------------------------------


@dataclass(frozen=True)
class Roles:
    """The entry names that play each part; which ones are set follows from ``mode``."""

    mode: ArchiveMode
    contacts: str | None = None
    template: str | None = None
    plain: str | None = None


def _unexpected(name: str) -> Diagnostic:
    hint = None
    if name.lower().endswith((".xlsx", ".xls", ".ods")):
        hint = "Save the spreadsheet as CSV (`;`-separated, UTF-8) and zip the CSV instead."
    elif name.startswith(SMS_FOLDER) and "/" in name[len(SMS_FOLDER) :]:
        hint = "Data files sit directly in `sms/`, not in a subfolder; remove the subfolder."
    return diagnostic(ARCHIVE_UNEXPECTED_ENTRY, f"{name} is not a data file of this archive.", hint=hint, file=name)


def _misplaced(name: str, data_in_sms: bool) -> Diagnostic:
    """SMS207 for a data file outside `sms/` (Q4); SMS209 for anything else out of place."""
    if data_in_sms or not name.lower().endswith(PLAIN_EXTENSIONS):
        return _unexpected(name)
    folders = name.split("/")[:-1]
    if not folders:
        return diagnostic(
            ARCHIVE_NO_SMS_FOLDER,
            f"{name} is at the archive's root, not in the folder `sms`.",
            file=name,
            hint="Zip the folder, not its content: `zip -r archive.zip sms` (Windows: right-click the "
            "`sms` folder itself > Send to > Compressed (zipped) folder).",
        )
    if folders[0].lower() == "sms" and folders[0] != "sms":
        return diagnostic(
            ARCHIVE_NO_SMS_FOLDER,
            f"{name} is in the folder `{folders[0]}/`; the folder must be named `sms` in lower case.",
            hint="Rename the folder to `sms` and zip it again.",
            file=name,
        )
    if "sms" in folders:
        outer = "/".join(folders[: folders.index("sms")])
        return diagnostic(
            ARCHIVE_NO_SMS_FOLDER,
            f"{name} is in `{outer}/sms/`; the folder `sms` must be at the archive's root.",
            hint=f"Zip the `sms` folder itself, not the folder `{outer}` that contains it.",
            file=name,
        )
    return diagnostic(
        ARCHIVE_NO_SMS_FOLDER,
        f"{name} is in `{'/'.join(folders)}/`, not in the folder `sms`.",
        hint="Put the data files into a folder named `sms` and zip that folder.",
        file=name,
    )


def _mode_problem(mode: ArchiveMode, names: str, account: Account) -> Iterator[Diagnostic]:
    if account.mode in ("auto", mode):
        return
    what = "a template archive (contacts.csv + template.csv)" if mode == "template" else f"a plain archive ({names})"
    hint = (
        "Your account takes template archives: `sms/contacts.csv` + `sms/template.csv`; "
        "or ask support to allow plain mode."
        if account.mode == "template"
        else "Your account takes plain archives: one `sms/*.csv` or `sms/*.txt` file (TELRN_LONG;TEXT); "
        "or ask support to allow template mode."
    )
    yield diagnostic(
        ARCHIVE_MODE_NOT_ALLOWED,
        f"This is {what}, but the account {account.login!r} is set up for {account.mode} mode.",
        hint=hint,
    )


def assign_roles(names: Sequence[str], account: Account, *, sms_folder: bool = False) -> Check[Roles | None]:
    """Which of the archive's files make the campaign, judged by their names alone.

    ``names`` are the real files (junk, unsafe, linked and duplicate entries
    already set aside); ``sms_folder`` says whether any entry, directories
    included, sits under `sms/`. Roles are returned whenever the mode can be
    told, even when a diagnostic is an error (a name in the wrong case, a mode
    the account does not take); None when it cannot.
    """
    in_sms = [n for n in names if n.startswith(SMS_FOLDER) and "/" not in n[len(SMS_FOLDER) :]]
    pair: dict[str, str] = {}
    plain: list[str] = []
    for name in in_sms:
        base = name[len(SMS_FOLDER) :]
        if base.lower() in (CONTACTS, TEMPLATE):
            if base != base.lower():
                yield diagnostic(
                    ARCHIVE_DATA_FILE_NAME_CASE,
                    f"{name} is named {base!r}; the document names it exactly {base.lower()!r}.",
                    hint=f"Rename it to `{base.lower()}`, lower case.",
                    file=name,
                )
            if base.lower() not in pair or base == base.lower():
                pair[base.lower()] = name
        elif base.lower().endswith(PLAIN_EXTENSIONS):
            plain.append(name)
        else:
            yield _unexpected(name)
    inside = set(in_sms)  # a set: an archive may hold many entries, and each is looked up once
    no_folder = False  # SMS201 said the files are not in `sms/`: then no SMS202 as well
    for n in names:
        if n not in inside:
            misplaced = _misplaced(n, bool(pair or plain))
            no_folder |= misplaced.code == ARCHIVE_NO_SMS_FOLDER.code
            yield misplaced
    listed = [*pair.values(), *plain]
    shown = ", ".join(listed[:5]) + (f" and {len(listed) - 5:,} more" if len(listed) > 5 else "")
    if pair and plain:
        yield diagnostic(ARCHIVE_MIXED_MODES, f"The archive holds both template and plain files: {shown}.")
    if len(pair) == 1:
        ((present, name),) = pair.items()
        missing = TEMPLATE if present == CONTACTS else CONTACTS
        hint = None
        if account.mode == "plain" and not plain:
            hint = (
                f"Your account is in plain mode: `{present}` is reserved for template archives; "
                "name the one data file otherwise, e.g. `sms/list.csv`."
            )
        yield diagnostic(
            ARCHIVE_TEMPLATE_PAIR_INCOMPLETE,
            f"The archive holds sms/{present} but no sms/{missing}.",
            hint=hint,
            file=name,
        )
    if len(plain) > 1 and not pair:
        yield diagnostic(ARCHIVE_SEVERAL_PLAIN_FILES, f"The folder `sms` holds {len(plain)} plain files: {shown}.")
    if not pair and not plain:
        if not no_folder:
            yield diagnostic(
                ARCHIVE_NO_DATA_FILE,
                "The folder `sms` holds no `.csv` or `.txt` file."
                if sms_folder or in_sms
                else "The archive has no folder `sms` with a `.csv` or `.txt` file.",
            )
        return None
    if pair and plain:
        return None
    if pair:
        yield from _mode_problem("template", shown, account)
        return Roles("template", contacts=pair.get(CONTACTS), template=pair.get(TEMPLATE))
    yield from _mode_problem("plain", shown, account)
    return Roles("plain", plain=plain[0])
