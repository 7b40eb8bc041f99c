"""Safety on the live platform: real SMS cost money and reach people.

The live target refuses to start without three things (``live_problems``): an
explicit confirmation, an allow-list of the tester's own numbers and a message
budget.  Then every archive passes ``ArchiveGuard`` *in the upload layer*
(the uploader's ``guard`` hook), whatever the test that asked for the upload:

* the archive is read as a lenient platform might read it, never as the
  simulator's strict rules do: through the central directory *and* the local
  headers (a truncated zip still yields its first entries), with CRC errors
  ignored, any text encoding, any delimiter mistake;
* every value in a phone column (``phone``/``TELRN_LONG`` by name, any case,
  and the first column of a plain file, header line included) is turned into
  every destination a lenient platform could derive from it: the digits as
  written, ``8...`` read as ``7...``, a 10-digit national number with ``7``
  prepended, ``00``/``810`` prefixes dropped, Excel's ``7.9031234567E+10``
  expanded, lists split at ``,`` ``/`` ``|`` and spaces.  Digits in ``TEXT``,
  ``attrN`` and the template do not count;
* a destination outside the allow-list refuses the archive.  A part that cannot
  be read (an unknown compression method, content past the inspection cap) is
  searched for digit runs instead, and refused if it holds one that could be a
  number outside the list; encrypted entries are unreadable to the platform too;
* the rows that could become messages are counted against the budget.

A refusal is a ``SafetyRefusal``; the suite reports the case as SKIPPED-SAFETY.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

import phonenumbers

from smsftp.conformance.errors import ConformanceError

MAX_INSPECT_BYTES = 64 * 1024 * 1024  # all entries of one archive together
_MIN_DIGITS = 7  # shorter digit strings are no international number anywhere
_PHONE_COLUMN = re.compile(r"phone|telrn|msisdn", re.IGNORECASE)
_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+]?\d+")
_LIST_SEPARATORS = re.compile(r"[,;/|\s]+")
_DIGIT_RUN = re.compile(r"\+?\d[\d ()\-.]{5,}\d")
_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIGNATURE = b"PK\x03\x04"
_READABLE_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}


class SafetyRefusal(ConformanceError):
    """The guard will not let this archive reach the live platform; ``reason`` says why."""

    def __init__(self, reason: str, *, numbers: Iterable[str] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.numbers = tuple(sorted(set(numbers)))


def normalize_number(raw: str) -> str:
    """An allow-list entry as digits in international form: ``+7 (903) 123-45-67`` -> ``79031234567``."""
    digits = re.sub(r"\D", "", raw)
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


def parse_numbers(values: str | Iterable[str]) -> tuple[str, ...]:
    """Numbers separated by commas, semicolons or line breaks (or given one by one), in any spelling.

    Normalized, in the order given, each once.
    """
    items = re.split(r"[,;\n]+", values) if isinstance(values, str) else list(values)
    numbers = tuple(dict.fromkeys(normalize_number(item) for item in items if item.strip()))
    bad = [n for n in numbers if len(n) < _MIN_DIGITS]
    if bad:
        raise ValueError(f"not phone numbers: {', '.join(bad)}")
    return numbers


def parse_allow_list(values: str | Iterable[str]) -> frozenset[str]:
    """The allow-list as a set: ``parse_numbers`` without the order."""
    try:
        return frozenset(parse_numbers(values))
    except ValueError as exc:
        raise ValueError(f"{exc} in the allow-list") from None


def live_problems(*, confirmed: bool, allow: frozenset[str], budget: int | None) -> list[str]:
    """Why the live target must not start; empty when it may."""
    problems = []
    if not confirmed:
        problems.append("--live-confirm is missing: the live target sends real SMS that cost money")
    if not allow:
        problems.append("--live-allow is empty: list the tester's own numbers, the only ones that may be sent to")
    if budget is None or budget < 1:
        problems.append("--live-budget is missing: the most messages this run may send (at least 1)")
    return problems


def _possible(digits: str) -> bool:
    try:
        return bool(phonenumbers.is_possible_number(phonenumbers.parse("+" + digits)))
    except phonenumbers.NumberParseException:
        return False


def _forms(digits: str) -> set[str]:
    """Every destination a lenient platform could make of one digit string."""
    forms = {digits}
    for prefix in ("00", "810"):
        if digits.startswith(prefix):
            forms.add(digits[len(prefix) :])
    if len(digits) == 11 and digits.startswith("8"):
        forms.add("7" + digits[1:])
    if len(digits) == 10:
        forms.add("7" + digits)
    return {f for f in forms if len(f) >= _MIN_DIGITS and _possible(f)}


def destinations(value: str) -> set[str]:
    """The numbers a lenient platform could send to for one phone-column value."""
    text = value.strip()
    candidates: set[str] = set()
    compact = text.replace(" ", "")
    if _SCIENTIFIC.fullmatch(compact):
        try:
            number = Decimal(compact.replace(",", "."))
            if number == number.to_integral_value() and number > 0:
                candidates.add(str(int(number)))
        except (InvalidOperation, ValueError, OverflowError):
            pass
    candidates.add(re.sub(r"\D", "", text))
    candidates.update(re.sub(r"\D", "", part) for part in _LIST_SEPARATORS.split(text))
    found: set[str] = set()
    for digits in candidates:
        if len(digits) >= _MIN_DIGITS:
            found |= _forms(digits)
    return found


@dataclass
class Inspection:
    """What the guard found in one archive."""

    numbers: set[str] = field(default_factory=set)  # every possible destination
    messages: int = 0  # rows that could become messages (an upper bound)
    unreadable: list[str] = field(default_factory=list)  # parts searched for digit runs only
    notes: list[str] = field(default_factory=list)
    too_large: bool = False  # content past the inspection cap: what it holds is unknown

    def violations(self, allow: frozenset[str]) -> set[str]:
        return {n for n in self.numbers if n not in allow}


@dataclass
class _Part:
    name: str
    data: bytes
    capped: bool = False  # content went on past the inspection cap
    raw: bool = False  # compressed bytes nobody here can decode: searched for digit runs only


class _Cap:
    """What is left of the inspection cap, shared by every entry of one archive."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def take(self, name: str, content: bytes, more: bool) -> _Part:
        kept = content[: self.left]
        self.left -= len(kept)
        return _Part(name, kept, capped=more or len(kept) < len(content))


_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


def _read_entry(archive: zipfile.ZipFile, info: zipfile.ZipInfo, cap: _Cap) -> _Part | None:
    chunks: list[bytes] = []
    total = 0
    try:
        with archive.open(info) as stream:
            while total <= cap.left:
                try:
                    chunk = stream.read(1 << 20)
                except _READ_ERRORS:
                    break  # CRC mismatch, truncation: keep what was read, as a lenient reader would
                if not chunk:
                    break
                chunks.append(chunk)
                total += len(chunk)
    except _READ_ERRORS:
        return None  # the local-header pass still looks at this entry
    return cap.take(info.filename, b"".join(chunks), more=False)


def _central_parts(data: bytes, inspection: Inspection, cap: _Cap) -> Iterator[_Part]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except _READ_ERRORS:
        return
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                inspection.notes.append(f"{info.filename}: encrypted; unreadable without the password")
            elif info.compress_type not in _READABLE_METHODS:
                inspection.unreadable.append(f"{info.filename}: compression method {info.compress_type}")
            else:
                part = _read_entry(archive, info, cap)
                if part is not None:
                    yield part


def _inflate(raw: bytes, limit: int) -> tuple[bytes, bool, bool]:
    """Inflate as much as possible: (content, went past ``limit``, the stream was broken).

    A broken stream yields what came before the damage, byte by byte if need be,
    as a lenient reader would have used it.
    """
    inflater = zlib.decompressobj(-15)
    out: list[bytes] = []
    size = 0
    step = 1 << 16
    position = 0
    while position < len(raw) and size <= limit and not inflater.eof:
        saved = inflater.copy()
        try:
            chunk = inflater.decompress(raw[position : position + step], limit + 1 - size)
        except zlib.error:
            if step == 1:
                return b"".join(out), False, True
            inflater, step = saved, 1
            continue
        out.append(chunk)
        size += len(chunk)
        position += step
    return b"".join(out), size > limit, False


def _local_parts(data: bytes, inspection: Inspection, cap: _Cap) -> Iterator[_Part]:
    """Entries found by their local headers, as a streaming reader (or a salvage tool) finds them."""
    start = data.find(_LOCAL_SIGNATURE)
    while start != -1 and start + _LOCAL_HEADER.size <= len(data):
        (_, _, flags, method, _, _, _, csize, _, name_len, extra_len) = _LOCAL_HEADER.unpack_from(data, start)
        name = data[start + 30 : start + 30 + name_len].decode("cp437", "replace")
        body = start + 30 + name_len + extra_len
        following = data.find(_LOCAL_SIGNATURE, body)
        end = len(data) if following == -1 else following
        if csize and not flags & 0x8:
            end = min(len(data), body + csize)
        raw = data[body:end]
        if name.endswith("/") or not raw:
            pass
        elif flags & 0x1:
            inspection.notes.append(f"{name}: encrypted; unreadable without the password")
        elif method == zipfile.ZIP_STORED:
            yield cap.take(name, raw, more=False)
        elif method == zipfile.ZIP_DEFLATED:
            content, more, broken = _inflate(raw, cap.left)
            if content:
                yield cap.take(name, content, more)
            if broken:
                inspection.unreadable.append(f"{name}: deflate data that stops inflating")
                yield _Part(name, raw, raw=True)
        else:
            # Deflate64 (9) mostly reads as plain deflate; whatever else, search the bytes.
            content, more, broken = _inflate(raw, cap.left) if method == 9 else (b"", False, True)
            if content:
                yield cap.take(name, content, more)
            inspection.unreadable.append(f"{name}: compression method {method}")
            yield _Part(name, raw, raw=True)
        start = data.find(_LOCAL_SIGNATURE, start + 4)


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (data and data.count(0) * 4 > len(data)):
        return data.decode("utf-16", "replace").replace("\x00", "")
    # Digits, ';' and the ASCII column names read the same in every ASCII-compatible encoding.
    return data.decode("latin-1").removeprefix("\xef\xbb\xbf")


def _digit_runs(text: str) -> set[str]:
    found: set[str] = set()
    for run in _DIGIT_RUN.findall(text):
        found |= destinations(run)
    return found


def _scan_csv(part: _Part, inspection: Inspection) -> None:
    text = _decode(part.data)
    plain = not part.name.lower().endswith("contacts.csv")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    except csv.Error:
        inspection.unreadable.append(f"{part.name}: not readable as CSV")
        inspection.numbers |= _digit_runs(text)
        inspection.messages += max(1, text.count("\n"))
        return
    if not rows:
        return
    header = [name.strip().strip('"').lstrip("\ufeff") for name in rows[0]]
    columns = {i for i, name in enumerate(header) if _PHONE_COLUMN.search(name)}
    if plain or not columns:
        columns.add(0)
    for row in rows:
        found: set[str] = set()
        for column in columns:
            if column < len(row):
                found |= destinations(row[column])
        inspection.numbers |= found
        if found:  # the header line too: a platform that does not skip it sends it
            inspection.messages += 1


def inspect_archive(filename: str, data: bytes, *, limit: int = MAX_INSPECT_BYTES) -> Inspection:
    """Every number the archive could make a lenient platform send to, and how many messages."""
    inspection = Inspection()
    cap = _Cap(limit)
    parts = list(_central_parts(data, inspection, cap))
    seen = {part.data for part in parts}
    parts += [p for p in _local_parts(data, inspection, cap) if p.data not in seen]
    is_zip = bool(parts) or bool(inspection.notes) or data.startswith(_LOCAL_SIGNATURE)
    if not is_zip:
        # Not a zip at all (a CSV renamed to .zip, a note): read it as the text it may be.
        parts = [cap.take(filename, data, more=False)]
    if any(part.capped for part in parts):
        # Whatever lies past the cap is unknown: the guard refuses, no need to read the rest.
        inspection.too_large = True
        return inspection
    for part in parts:
        if part.raw:
            inspection.numbers |= _digit_runs(_decode(part.data))
        elif not part.name.lower().endswith("template.csv"):  # the message and sender, never a recipient
            _scan_csv(part, inspection)
    if not is_zip or inspection.unreadable:
        inspection.numbers |= _digit_runs(_decode(data[:limit]))
    inspection.unreadable = list(dict.fromkeys(inspection.unreadable))
    inspection.notes = list(dict.fromkeys(inspection.notes))
    return inspection


class ArchiveGuard:
    """The uploader's ``guard``: refuses unsafe archives and keeps the message budget."""

    def __init__(self, allow: frozenset[str], budget: int, *, limit: int = MAX_INSPECT_BYTES) -> None:
        self.allow = allow
        self.budget = budget
        self.spent = 0
        self.limit = limit
        self.refusals: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int:
        return self.budget - self.spent

    def check(self, filename: str, data: bytes) -> Inspection:
        """Inspect without spending: raises ``SafetyRefusal`` when the archive must not be uploaded."""
        inspection = inspect_archive(filename, data, limit=self.limit)
        outside = inspection.violations(self.allow)
        if outside:
            raise SafetyRefusal(
                f"{filename}: numbers outside the allow-list: {', '.join(sorted(outside)[:5])}"
                + (f" and {len(outside) - 5} more" if len(outside) > 5 else ""),
                numbers=outside,
            )
        if inspection.too_large:
            raise SafetyRefusal(f"{filename}: more than {self.limit} bytes of content, too large to inspect")
        if inspection.messages > self.remaining:
            raise SafetyRefusal(
                f"{filename}: up to {inspection.messages} message(s), but only {self.remaining} of the "
                f"budget of {self.budget} remain"
            )
        return inspection

    def __call__(self, filename: str, data: bytes) -> None:
        with self._lock:
            try:
                inspection = self.check(filename, data)
            except SafetyRefusal as refusal:
                self.refusals.append((filename, refusal.reason))
                raise
            self.spent += inspection.messages
