"""Judging one archive, start to end, as a stream: what the platform does once it has the file.

``process_archive`` returns an ``ArchiveRun``; iterating it yields the accepted
messages as they are rendered, and afterwards its ``status``, ``message_count``,
``rejected_rows`` and ``diagnostics`` hold the verdict.  ``ArchiveRun.batches``
hands the same messages on as lists of plain tuples (``MessageRow``), ready for
``executemany``: that is how the store takes them, without a ``Message`` object
or a datetime per message.  Both come from one row loop for both modes
(``ArchiveRun._rows``; a mode's differences are data in ``Rows``), which builds
the tuples; ``__iter__`` wraps them into ``Message``.  A file stops being read
past the account's ``max_rows`` (Q16, SMS225).

Memory does not grow with the number of rows: rows are read, judged and handed
on in small batches; diagnostics are capped per code (``PER_CODE_CAP`` kept, the
rest counted and summed up in one last diagnostic of the same code); repeated
phones are tracked up to the account's ``duplicate_check_limit`` (Q26), as
integers in a set, with the line of each first sighting in a flat array.

An archive can turn out rejected after messages were yielded: a checksum error
at the end of the data, or a bad row with ``reject_archive_on_bad_row`` (Q9).
Consumers that store messages do so in a transaction and roll back when
``status`` is ``rejected`` after iteration; ``message_count`` is then 0.  Once an
archive-level error is known, no further messages are yielded, but the rows are
still checked, so that one run reports everything.  The per-row path is plain
code on local variables: no diagnostic object is built and no date parsed for a
good row without its own `senddate`; the phone's quick pattern and the template's
f-string renderer are one call each; a recipient's send window (``localtime=1``)
is a list index by the number's block of the numbering register; a UCS-2
template's parts are arithmetic on the length until an astral character has
been read; and each message leaves as one tuple of integers and its text.
"""

from __future__ import annotations

import csv
import sys
from array import array
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from operator import itemgetter
from typing import BinaryIO, TypeVar

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.archive import DataFile, Layout, Source, ZipArchive
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_EMPTY,
    ARCHIVE_ENTRY_CORRUPT,
    ARCHIVE_NO_DATA_FILE,
    ARCHIVE_NOT_ZIP,
    ARCHIVE_TEMPLATE_PAIR_INCOMPLETE,
    ARCHIVE_TOO_MANY_ROWS,
    ARCHIVE_TRUNCATED,
    CONTACTS_NO_ROWS,
    CSV_EMPTY_FILE,
    CSV_ROW_FIELD_COUNT,
    CSV_WRONG_DELIMITER,
    DUPLICATE_CHECK_LIMIT,
    DUPLICATE_PHONE,
    LOCALTIME_WITHOUT_SENDDATE,
    MESSAGE_EMPTY,
    MESSAGE_TOO_LONG,
    MESSAGE_TOO_MANY_CHARACTERS,
    PHONE_FORM_NORMALIZED,
    PLAIN_EXTRA_COLUMNS,
    PLAIN_HEADER_UNEXPECTED,
    PLAIN_TEXT_MISSING,
    PLAIN_TEXT_UNQUOTED_SEPARATOR,
    REGISTRY,
    ROW_REJECTS_ARCHIVE,
    UPLOAD_ASCII_MODE,
    UPLOAD_INCOMPLETE,
    Check,
    Diagnostic,
    Severity,
    collect,
    diagnostic,
)
from smsftp.simulator.rules.instants import utc
from smsftp.simulator.rules.naming import check_archive_name
from smsftp.simulator.rules.outcome import ArchiveMode, ArchiveResult, Message, Status, UploadFacts
from smsftp.simulator.rules.phones import (
    QUICK,
    phone_hint,
    phone_message,
    phone_problem,
    plus_or_8_form,
    quick_match,
)
from smsftp.simulator.rules.schedule import Schedule, ZoneLookup, instant
from smsftp.simulator.rules.segments import (
    BITS,
    ENCODING_OF_BITS,
    UCS2_MULTI,
    UCS2_SINGLE,
    count_parts,
    forces_ucs2,
    ucs2_parts,
)
from smsftp.simulator.rules.sender import default_sender_problems
from smsftp.simulator.rules.template import (
    TemplateSettings,
    check_columns,
    compile_template,
    read_template,
    unfilled_column,
)
from smsftp.simulator.rules.textio import CsvFile, Reporter, TextSource

# N3: the seed spells the plain header `TELRN_LONG`, the platform's public copy `TELNR_LONG`; both are right.
T = TypeVar("T")
_PLAIN_HEADERS = (["telrn_long", "text"], ["telnr_long", "text"])

__all__ = [
    "PER_CODE_CAP",
    "ROWS_PER_BATCH",
    "ArchiveRun",
    "DiagnosticLog",
    "MessageRow",
    "check_archive",
    "process_archive",
    "stored_phone",
]

PER_CODE_CAP = 100
ROWS_PER_BATCH = 1000  # small enough that a batch is no memory to speak of, big enough to be no time
_ITER_BATCH = 64  # messages read ahead by __iter__
_UCS2 = BITS["UCS-2"]
_STORED = (1 << 63) - 1  # the largest integer SQLite stores
MessageRow = tuple[int | str, str, int, int, int, int, int]
"""One accepted message, as plain values for storage: (phone, text, send_at, expires_at, encoding,
segments, row).  The phone is the number as an ``int`` (a valid number is ASCII digits that start
with a calling code, never 0: ``str`` gives the text back; the text itself only past SQLite's 64
bits, which no calling plan reaches today); the instants are microseconds since the
epoch, UTC (``schedule.instant`` makes a datetime of one); the encoding is bits per character
(``segments.BITS``).  The sender is the run's, ``ArchiveRun.sender``."""


def stored_phone(phone: str) -> int | str:
    """A phone as ``MessageRow`` has it: the integer of a number in international form (ASCII digits,
    no leading zero, within SQLite's 64 bits), anything else its text."""
    if phone.isascii() and phone.isdigit() and phone[0] != "0" and len(phone) <= 19:
        number = int(phone)
        if number <= _STORED:
            return number
    return phone


CONTACTS_OPTIONAL = ("senddate",)
_CORRUPT = frozenset(
    {ARCHIVE_NOT_ZIP.code, ARCHIVE_TRUNCATED.code, ARCHIVE_ENTRY_CORRUPT.code}
)  # what an ASCII-mode upload does to a zip (Q27)
_CUT_OFF = frozenset(
    {ARCHIVE_NOT_ZIP.code, ARCHIVE_EMPTY.code, ARCHIVE_TRUNCATED.code, ARCHIVE_ENTRY_CORRUPT.code}
)  # what a half-written file looks like (Q22)


class DiagnosticLog:
    """Diagnostics of one archive, at most ``cap`` kept per code; every one counted."""

    def __init__(self, cap: int = PER_CODE_CAP) -> None:
        self.cap = cap
        self.items: list[Diagnostic] = []
        self.counts: dict[str, int] = {}
        self.fatal = False  # an archive-level error: the archive is rejected

    def add(self, d: Diagnostic, *, archive_level: bool = True) -> None:
        n = self.counts.get(d.code, 0) + 1
        self.counts[d.code] = n
        if n <= self.cap:
            self.items.append(d)
        if archive_level and d.severity is Severity.ERROR:
            self.fatal = True

    def extend(self, diags: Iterable[Diagnostic]) -> None:
        for d in diags:
            self.add(d)

    def take(self, check: Check[T]) -> T:
        """Run a check: keep what it yields, hand back what it returns."""
        value, found = collect(check)
        self.extend(found)
        return value

    def room(self, code: str) -> bool:
        """Whether a diagnostic of ``code`` would still be kept (else only count it: ``skip``)."""
        return self.counts.get(code, 0) < self.cap

    def skip(self, code: str) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1

    def reporter(self, file: str, table: CsvFile | None = None) -> Reporter:
        """A row-level ``Reporter`` for one file: problems there reject rows, not the archive."""

        def report(
            code: str,
            message: str | None = None,
            *,
            hint: str | None = None,
            line: int | None = None,
            field: int | None = None,
        ) -> None:
            if not self.room(code):
                self.skip(code)
                return
            column = None
            if table is not None and line is not None and field is not None:
                line, column = table.locate(line, field)
            self.add(
                diagnostic(REGISTRY[code], message, hint=hint, file=file, line=line, column=column), archive_level=False
            )

        return report

    def summarize(self) -> None:
        """One closing diagnostic per code that went over the cap."""
        for code, n in self.counts.items():
            if n > self.cap:
                rule = REGISTRY[code]
                self.items.append(
                    diagnostic(
                        rule,
                        f"{n - self.cap:,} more {code} ({rule.name}) like the above; only the first "
                        f"{self.cap} are listed ({n:,} in all).",
                    )
                )


class Repeats:
    """The numbers seen so far in one file, for Q26: a set of integers, and where each was first seen.

    The loops keep at most the account's ``duplicate_check_limit`` distinct numbers.
    A number is held as an ``int`` (half the memory of its text) and the line of its
    first row goes into a flat array beside a flat array of the numbers, searched
    only when a repeat is reported (at most ``PER_CODE_CAP`` times a file): about
    90 bytes a number where a dict of strings to lines takes about 150.  The hot
    loops test ``known`` directly and inline ``add``.
    """

    __slots__ = ("known", "lines", "numbers", "outsized")

    def __init__(self) -> None:
        self.known: set[int] = set()
        self.numbers = array("q")  # in the order first seen
        self.lines = array("I")  # the line of each, same order
        self.outsized: dict[int, int] = {}  # a number or a line beyond its array's type: none today

    def add(self, number: int, line: int) -> None:
        """Keep ``number``, first seen on ``line`` (the loops inline this)."""
        self.known.add(number)
        try:
            self.numbers.append(number)
            self.lines.append(line)
        except OverflowError:
            self.outsized_at(number, line)

    def outsized_at(self, number: int, line: int) -> None:
        """``add``'s arrays refused ``number`` or ``line``: keep the pair aside, the arrays aligned."""
        if len(self.numbers) > len(self.lines):
            self.numbers.pop()
        self.outsized[number] = line

    def first_line(self, number: int) -> int | None:
        """The line where ``number`` was first seen, if it was kept."""
        if number in self.outsized:
            return self.outsized[number]
        if not 0 <= number < 1 << 63:
            return None
        data = self.numbers.tobytes()
        needle = number.to_bytes(8, sys.byteorder, signed=True)
        at = data.find(needle)
        while at >= 0 and at % 8:  # a match across two numbers' bytes: look on
            at = data.find(needle, at + 1)
        return None if at < 0 else self.lines[at // 8]


Fit = Callable[[list[str], int, int, "Reporter | None"], "list[str] | None"]
"""A record not as wide as the header -> the row's fields; None for a blank line, [] for no row (reported)."""


@dataclass(frozen=True, slots=True)
class Rows:
    """What the shared row loop needs to know of a file: where the fields are, and how a text is made."""

    width: int  # fields in the header
    phone_at: int
    date_at: int  # -1: no senddate column
    fit: Fit  # called only for a record that is not ``width`` fields wide
    render: Callable[[list[str]], str] | None  # a row's text; None: ``constant`` is every row's text
    literal: str  # the text every message contains (a template's fixed text)
    constant: str
    checks_text: bool  # False: the template is already rejected, its texts are not judged again


class ArchiveRun:
    """Judging one archive as a stream: iterate to get messages; afterwards read the verdict."""

    def __init__(
        self,
        name: str,
        source: Source,
        account: Account,
        at: datetime,
        *,
        upload: UploadFacts | None = None,
        resolver: ZoneLookup | None = None,
    ) -> None:
        self.name = name
        self.account = account
        self.at = utc(at)
        self.upload = upload
        self.status: Status = "rejected"  # until iteration has finished
        self.mode: ArchiveMode | None = None
        self.message_count = 0
        self.rejected_rows = 0
        self.data_rows = 0
        self.sender: str | None = None  # every message's sender, known before the first one
        self._log = DiagnosticLog()
        self.diagnostics: list[Diagnostic] = self._log.items
        self._source = source
        self._resolver = resolver
        self._batches: Iterator[list[MessageRow]] | None = None
        self._messages: Iterator[Message] | None = None

    def batches(self, size: int = ROWS_PER_BATCH) -> Iterator[list[MessageRow]]:
        """The accepted messages as lists of at most ``size`` rows (``MessageRow``), each list new.

        The run is one stream: ``batches`` and ``__iter__`` hand on the same messages,
        so use one of them (``size`` counts only if this is the first).
        """
        if self._batches is None:
            self._batches = self._run(max(1, size))
        return self._batches

    def __iter__(self) -> Iterator[Message]:
        if self._messages is None:
            self._messages = self._as_messages(self.batches(_ITER_BATCH))
        return self._messages

    def _as_messages(self, batches: Iterator[list[MessageRow]]) -> Iterator[Message]:
        new = Message
        instants: dict[int, datetime] = {}  # a file has few distinct instants; bounded all the same
        encodings = ENCODING_OF_BITS
        for batch in batches:
            sender = self.sender or ""
            for phone, text, send_us, expires_us, bits, parts, row in batch:
                send_at = instants.get(send_us)
                if send_at is None:
                    if len(instants) >= 4096:
                        instants.clear()
                    send_at = instants[send_us] = instant(send_us)
                expires_at = instants.get(expires_us)
                if expires_at is None:
                    expires_at = instants[expires_us] = instant(expires_us)
                yield new(str(phone), text, sender, send_at, expires_at, encodings[bits], parts, row)

    def result(self, keep_messages: bool = False) -> ArchiveResult:
        """The verdict; exhausts the iterator (messages already taken are not in ``messages``)."""
        kept: list[Message] | None = [] if keep_messages else None
        if kept is not None or self._messages is not None:
            for message in self:
                if kept is not None:
                    kept.append(message)
        else:
            for _ in self.batches():
                pass
        if kept is not None and self.status == "rejected":
            kept = []
        return ArchiveResult(
            self.name, self.status, self.mode, self.message_count, self.rejected_rows, list(self.diagnostics), kept
        )

    # -- the run ---------------------------------------------------------------------
    def _run(self, size: int) -> Iterator[list[MessageRow]]:
        log = self._log
        log.extend(check_archive_name(self.name, self.account.login))
        with ZipArchive(self._source, self.account) as archive:
            layout = log.take(archive.inspect())
            if layout is not None:
                self.mode = layout.mode
                if layout.mode == "template":
                    yield from self._template(archive, layout, size)
                else:
                    yield from self._plain(archive, layout, size)
                log.extend(archive.defects())
        self._finish(layout)

    def _finish(self, layout: Layout | None) -> None:
        log, account = self._log, self.account
        if layout is not None and self.rejected_rows and account.reject_archive_on_bad_row:
            log.add(
                diagnostic(
                    ROW_REJECTS_ARCHIVE,
                    f"{self.rejected_rows:,} row(s) were rejected, and account "
                    f"{account.login!r} rejects the whole archive when any row is bad.",
                )
            )
        self._upload_facts()
        log.summarize()
        self.status = "rejected" if log.fatal else "accepted"
        if log.fatal:
            self.message_count = 0

    def _upload_facts(self) -> None:
        upload, items = self.upload, self._log.items
        if upload is None:
            return
        codes = set(self._log.counts)
        lead: list[Diagnostic] = []
        if upload.transfer_type == "A" and codes & _CORRUPT:
            lead.append(
                diagnostic(
                    UPLOAD_ASCII_MODE,
                    "The archive was uploaded in ASCII mode (TYPE A), which rewrote its "
                    "line-end bytes; that is why it is corrupt.",
                )
            )
        if not upload.complete and codes & _CUT_OFF:
            lead.append(
                diagnostic(
                    UPLOAD_INCOMPLETE,
                    "The archive was taken while its upload was still in progress; that is why it is incomplete.",
                )
            )
        for d in lead:  # first: they explain the container errors that follow
            self._log.counts[d.code] = self._log.counts.get(d.code, 0) + 1
            self._log.fatal = True
        items[:0] = lead

    def _open_csv(self, archive: ZipArchive, f: DataFile) -> tuple[BinaryIO, CsvFile]:
        stream = archive.open(f)
        source = TextSource(stream, self.account.encoding, f.name, halted=archive.halted)
        return stream, CsvFile(source, quoting=self.account.csv_quoting)

    # -- template mode -----------------------------------------------------------------
    def _template(self, archive: ZipArchive, layout: Layout, size: int) -> Iterator[list[MessageRow]]:
        log, account = self._log, self.account
        if layout.template is None or layout.contacts is None:  # inspect() reports this; belt and braces
            log.add(diagnostic(ARCHIVE_TEMPLATE_PAIR_INCOMPLETE))
            return
        settings = None
        stream, tcsv = self._open_csv(archive, layout.template)
        with stream:
            settings, found = collect(read_template(tcsv, account))
        if archive.halted():
            return  # the template's bytes are damaged: the contacts are not read (``_run`` says why)
        log.extend(tcsv.notes())
        if not tcsv.stopped:  # else what was found before the file stopped would mislead
            log.extend(found)
        log.extend(tcsv.stop_reasons())
        if settings is None:
            log.fatal = True
        stream, table = self._open_csv(archive, layout.contacts)
        with stream:
            yield from self._contacts(table, settings, size)
            log.extend(table.stop_reasons())

    def _contacts(self, table: CsvFile, settings: TemplateSettings | None, size: int) -> Iterator[list[MessageRow]]:
        log, account, file = self._log, self.account, table.file
        header, found = collect(table.read_header())
        if table.stopped:
            return  # before its header ended: ``stop_reasons`` says why
        log.extend(table.notes())
        log.extend(found)
        if header is None:
            return
        log.extend(check_columns(header, ("phone",), CONTACTS_OPTIONAL, file, numbered="attr"))
        index = header.index()
        if "phone" not in index:
            return
        report = log.reporter(file, table)
        template_report = log.reporter("sms/template.csv")
        compiled = None
        if settings is not None:
            compiled = log.take(
                compile_template(settings.message, header.names, line=settings.line, column=settings.message_column)
            )
        resolver = self._resolver
        if settings is not None and settings.localtime and resolver is None:
            from smsftp.simulator.rules.timezones import default_resolver

            resolver = default_resolver()
        schedule = Schedule(
            at=self.at,
            zone=account.zone,
            validity=settings.validity if settings is not None else account.validity,
            senddate=settings.senddate if settings is not None else None,
            localtime=settings.localtime if settings is not None else False,
            resolver=resolver,
            report=report,
            template_report=template_report,
            room=log.room,
            seconds_optional=account.accept_senddate_without_seconds,
        )
        self.sender = settings.sender if settings is not None else ""
        rows = Rows(
            width=len(header.names),
            phone_at=index["phone"],
            date_at=index.get("senddate", -1),
            fit=table.fit,
            render=compiled.renderer if compiled is not None and compiled.constant is None else None,
            literal=compiled.literal if compiled is not None else "",
            constant=(compiled.constant or "") if compiled is not None else "",
            checks_text=settings is not None and bool(settings.message.strip()),
        )
        dated = yield from self._rows(table, rows, schedule, report, size)
        if table.stopped:
            return  # what the rest would say about a file cut short would mislead: ``stop_reasons`` says why
        log.extend(table.quoting_note())
        if rows.date_at >= 0 and not dated and self.data_rows:
            line, column = header.line, header.columns[rows.date_at] or None
            log.add(
                unfilled_column(account, "senddate", "no send date of its own", file=file, line=line, column=column)
            )
        if settings is not None and settings.localtime and settings.senddate is None and not dated:
            log.add(
                diagnostic(
                    LOCALTIME_WITHOUT_SENDDATE,
                    "`localtime=1` has no effect: no send date is given in template.csv "
                    "or in any contact, so every message goes out at once.",
                    file="sms/template.csv",
                    line=settings.line,
                )
            )
        if not self.data_rows:
            log.add(
                diagnostic(
                    CONTACTS_NO_ROWS, "contacts.csv has a header but no recipients.", file=file, line=header.line
                )
            )

    def _rows(
        self, table: CsvFile, rows: Rows, schedule: Schedule, report: Reporter, size: int
    ) -> Generator[list[MessageRow], None, bool]:
        """The hot loop of both modes (``CsvFile.records`` inlined).  Returns whether any row had a date.

        Per row: the record's width, the phone (quick pattern, then the full check), repeats
        (Q26), the send window, the text and its parts, then the batch.  Everything that is
        the same for every row is decided here, once, from ``rows`` and ``schedule``.
        """
        log, account = self._log, self.account
        width, phone_at, date_at, fit = rows.width, rows.phone_at, rows.date_at, rows.fit
        render, literal, constant, checks_text = rows.render, rows.literal, rows.constant, rows.checks_text
        ucs2 = forces_ucs2(literal)  # then only the length in UTF-16 units is counted
        # An astral character in the fixed text is two units in every message (the contacts may have none).
        literal_astral = bool(literal) and max(literal) > "\uffff"
        constant_encoding, constant_parts = count_parts(constant) if constant else ("GSM-7", 0)
        constant_bits = BITS[constant_encoding]
        # A non-blank literal text is in every message: no message of this template can be blank.
        check_blank = checks_text and not literal.strip()
        cap = account.max_parts if checks_text else sys.maxsize
        default = schedule.default_window
        per_recipient = schedule.per_recipient
        row_window = schedule.row_window
        number_window = schedule.number_window
        block_windows, block_base, block_size = schedule.block_windows, schedule.block_base, schedule.block_size
        blocks = len(block_windows)
        # Messages are handed on while the archive is alive; a rejected row ends that when it rejects all (Q9).
        emit, strict = not log.fatal, account.reject_archive_on_bad_row
        repeats = Repeats()
        known, room = repeats.known, account.duplicate_check_limit
        remember, keep_number, keep_line = known.add, repeats.numbers.append, repeats.lines.append
        dated = False
        rejected = count = 0  # every data row is one or the other
        reader, source = table.reader, table.source
        stopped = source.stopped  # non-empty once the file ended early: the record read then is cut off
        quick, check_phone, bits_of = QUICK, phone_problem, BITS  # locals: the loop runs per row
        plus_and_8, max_chars = account.accept_plus_and_8, account.max_chars if checks_text else sys.maxsize
        out: list[MessageRow] = []
        append, left = out.append, size
        last = start = table.last_line
        try:
            # At most max_rows records (Q16): past them the archive is rejected without reading on.
            for fields in islice(reader, account.max_rows):
                if stopped:
                    return dated  # like any row read since the last batch, not handed on: ``stop_reasons``
                start, last = last + 1, reader.line_num
                if len(fields) != width:
                    fitted = fit(fields, width, start, report)
                    if fitted is None:  # a blank line
                        continue
                    if not fitted:  # a record that is no row (plain mode's missing TEXT): reported
                        rejected += 1
                        emit = emit and not strict
                        continue
                    fields = fitted
                phone = fields[phone_at]
                try:
                    matched = quick[phone[:3]](phone)
                except KeyError:  # a calling code not met yet
                    matched = quick_match(phone)
                if matched is None:
                    problem = check_phone(phone)
                    if problem is not None:
                        fixed = plus_or_8_form(phone, problem) if plus_and_8 else None
                        if fixed is None:
                            rejected += 1
                            emit = emit and not strict
                            self._bad_phone(problem, phone, table, start, phone_at)
                            continue
                        phone = self._normalized(report, phone, fixed, start, phone_at)
                number = int(phone)  # a valid number is ASCII digits
                if number in known:
                    self._duplicate(report, phone, repeats, number, start, phone_at)
                elif room > 0:
                    room -= 1
                    remember(number)  # Repeats.add, inlined
                    try:
                        keep_number(number)
                        keep_line(start)
                    except OverflowError:
                        repeats.outsized_at(number, start)
                elif room == 0:
                    room = -1
                    self._limit_reached(start, table.file)
                if date_at >= 0 and fields[date_at] and not fields[date_at].isspace():
                    dated = True
                    window = row_window(fields[date_at], phone, start, date_at)
                    if window is None:
                        rejected += 1
                        emit = emit and not strict
                        continue
                elif per_recipient:
                    block = (number - block_base) // block_size
                    window = block_windows[block] if 0 <= block < blocks else None
                    if window is None:
                        window = number_window(phone, number, start)
                else:
                    window = default
                if render is not None:
                    text = render(fields)
                    if ucs2:
                        bits = _UCS2
                        if literal_astral or source.astral:
                            parts = ucs2_parts(text)
                        else:  # nothing read so far is astral: ucs2_parts without the count of surrogate pairs
                            n = len(text)
                            parts = 1 if n <= UCS2_SINGLE else -(-n // UCS2_MULTI)
                    else:
                        encoding, parts = count_parts(text)
                        bits = bits_of[encoding]
                else:
                    text = constant
                    bits, parts = constant_bits, constant_parts
                if parts > cap or len(text) > max_chars or (check_blank and (not text or text.isspace())):
                    rejected += 1
                    emit = emit and not strict
                    self._bad_text(report, text, parts, start)
                    continue
                count += 1
                if emit:
                    send_at, expires_at = window
                    append((number if number <= _STORED else phone, text, send_at, expires_at, bits, parts, start))
                    left -= 1
                    if not left:
                        yield out
                        out = []
                        append, left = out.append, size
            if next(reader, None) is not None and not stopped:
                self._too_many_rows(table.file, reader.line_num)
                return dated
            if stopped:
                return dated
            if out:
                yield out
        except csv.Error as exc:
            table.error(exc, last)
            return dated
        finally:
            self.data_rows, self.rejected_rows, self.message_count = count + rejected, rejected, count
        table.done(last, start)
        return dated

    def _too_many_rows(self, file: str, line: int) -> None:
        cap = self.account.max_rows
        self._log.add(
            diagnostic(
                ARCHIVE_TOO_MANY_ROWS,
                f"{file} holds more than {cap:,} rows (`max_rows`), far more than any real campaign; "
                "the archive is rejected and the rest of the file was not read.",
                file=file,
                line=line,
            )
        )

    def _duplicate(self, report: Reporter, phone: str, repeats: Repeats, number: int, line: int, field: int) -> None:
        if self._log.room(DUPLICATE_PHONE.code):
            first = repeats.first_line(number)
            where = f"the row on line {first}" if first is not None else "an earlier row"
            report(
                DUPLICATE_PHONE.code, f"Phone {phone} was already in {where}; both are sent.", line=line, field=field
            )
        else:
            self._log.skip(DUPLICATE_PHONE.code)

    def _limit_reached(self, line: int, file: str) -> None:
        """Past the duplicate-check limit (Q26): numbers already seen are still found, new ones not kept."""
        limit = self.account.duplicate_check_limit
        self._log.add(
            diagnostic(
                DUPLICATE_CHECK_LIMIT,
                f"The check for repeated phone numbers stopped at {limit:,} distinct numbers "
                f"(line {line}); repeats of later numbers are not reported.",
                file=file,
                line=line,
            )
        )

    def _bad_phone(self, code: str, phone: str, table: CsvFile, line: int, field: int) -> None:
        log = self._log
        if not log.room(code):
            log.skip(code)
            return
        line, column = table.locate(line, field)
        message = phone_message(phone, code)
        log.add(
            diagnostic(
                REGISTRY[code],
                message[:1].upper() + message[1:] + ".",
                hint=phone_hint(phone, code),
                file=table.file,
                line=line,
                column=column,
            ),
            archive_level=False,
        )

    def _normalized(self, report: Reporter, phone: str, fixed: str, line: int, field: int) -> str:
        """Q8 with ``accept_plus_and_8``: the row goes to ``fixed``, with SMS419."""
        report(
            PHONE_FORM_NORMALIZED.code,
            f"Phone {phone!r} was read as {fixed} (the account accepts `+` and the trunk prefix 8).",
            line=line,
            field=field,
        )
        return fixed

    def _bad_text(self, report: Reporter, text: str, parts: int, line: int) -> None:
        if len(text) > self.account.max_chars:
            report(
                MESSAGE_TOO_MANY_CHARACTERS.code,
                f"The message has {len(text):,} characters; the cap is {self.account.max_chars:,}. "
                "The row is not sent.",
                line=line,
            )
        elif parts > self.account.max_parts:
            report(
                MESSAGE_TOO_LONG.code,
                f"The message takes {parts} SMS parts ({len(text):,} characters); the cap is "
                f"{self.account.max_parts}. The row is not sent.",
                line=line,
            )
        else:
            report(MESSAGE_EMPTY.code, "The message is empty after substitution; the row is not sent.", line=line)

    # -- plain mode ----------------------------------------------------------------------
    def _plain(self, archive: ZipArchive, layout: Layout, size: int) -> Iterator[list[MessageRow]]:
        log = self._log
        sender = log.take(default_sender_problems(self.account))
        if layout.plain is None:  # inspect() reports this; belt and braces
            log.add(diagnostic(ARCHIVE_NO_DATA_FILE))
            return
        self.sender = sender or ""
        stream, table = self._open_csv(archive, layout.plain)
        with stream:
            yield from self._plain_rows(table, size)
            log.extend(table.stop_reasons())

    def _plain_header(self, table: CsvFile) -> tuple[int, int] | None:
        """Read the first line (always skipped, N2/Q18); (its line, the width of a row) or None."""
        log, file = self._log, table.file
        first = table.next_record(skip_blank=False)
        if table.stopped:
            return None  # before its first line ended: ``stop_reasons`` says why
        log.extend(table.notes())
        if first is None:
            log.add(diagnostic(CSV_EMPTY_FILE, "The file is empty: it has no header line.", file=file))
            return None
        line, head = first
        names = [h.strip().casefold() for h in head]
        if names[:2] in _PLAIN_HEADERS:
            if len(names) > 2:
                log.add(
                    diagnostic(
                        PLAIN_EXTRA_COLUMNS,
                        f"The header names {len(names)} columns ({';'.join(h.strip() for h in head)}); "
                        "plain mode reads only the number and TEXT, the other columns are ignored.",
                        file=file,
                        line=line,
                    )
                )
            return line, len(names)
        if len(head) == 1:
            for sep, label in ((",", "`,`"), ("\t", "tabs")):
                parts = [p.strip().casefold() for p in head[0].split(sep)]
                if parts[:2] in _PLAIN_HEADERS:
                    log.add(
                        diagnostic(
                            CSV_WRONG_DELIMITER,
                            f"The header {head[0].strip()!r} is separated by {label}, not `;`.",
                            file=file,
                            line=line,
                            column=1,
                        )
                    )
                    return None
        shown = ";".join(head)
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        log.add(
            diagnostic(
                PLAIN_HEADER_UNEXPECTED,
                f"The first line {shown!r} does not look like `TELRN_LONG;TEXT` or `TELNR_LONG;TEXT`; it was "
                "skipped as the header all the same.",
                file=file,
                line=line,
            )
        )
        return line, 2

    def _plain_rows(self, table: CsvFile, size: int) -> Iterator[list[MessageRow]]:
        """Plain mode's rows: `TELRN_LONG;TEXT`, the account's sender and validity, sent at once."""
        log, account = self._log, self.account
        head = self._plain_header(table)
        if head is None:
            return
        header_line, width = head
        report = log.reporter(table.file, table)
        schedule = Schedule(at=self.at, zone=account.zone, validity=account.validity, report=report)
        rows = Rows(
            width=width,
            phone_at=0,
            date_at=-1,
            fit=self._plain_fit(report),
            render=itemgetter(1),
            literal="",
            constant="",
            checks_text=True,
        )
        yield from self._rows(table, rows, schedule, report, size)
        if table.stopped:
            return  # ``stop_reasons`` says why
        log.extend(table.quoting_note())
        if not self.data_rows:
            log.add(
                diagnostic(
                    CONTACTS_NO_ROWS,
                    "The plain file has a header line but no recipients.",
                    file=table.file,
                    line=header_line,
                )
            )

    @staticmethod
    def _plain_fit(report: Reporter) -> Fit:
        """Plain mode's answer to a record that is not as wide as its header: ``Rows.fit``."""

        def fit(fields: list[str], width: int, start: int, _: Reporter | None) -> list[str] | None:
            n = len(fields)
            if n == 0 or (n == 1 and not fields[0].strip()):
                return None
            if n == 1:
                report(PLAIN_TEXT_MISSING.code, "The line has no TEXT field; the row is not sent.", line=start)
                return []
            if width == 2:  # TEXT with an unquoted `;`: the document's own example has none, but exports do
                report(
                    PLAIN_TEXT_UNQUOTED_SEPARATOR.code,
                    f"TEXT holds {n - 2} unquoted `;`; the {n - 1} fields after the number were joined back with `;`.",
                    line=start,
                    field=2,
                )
                return [fields[0], ";".join(fields[1:])]
            if n > width:
                report(
                    CSV_ROW_FIELD_COUNT.code,
                    f"The record has {n} fields; the header names {width}.",
                    line=start,
                    field=width,
                )
            return fields

        return fit


def process_archive(
    name: str,
    source: Source,
    account: Account,
    at: datetime,
    *,
    upload: UploadFacts | None = None,
    resolver: ZoneLookup | None = None,
) -> ArchiveRun:
    """Start judging one archive; iterate the run for its messages, then read its verdict.

    ``name`` is the archive's file name (its login and timestamp are checked),
    ``source`` its bytes, path or a binary stream, ``at`` the processing instant
    (empty send dates mean "at ``at``").  ``upload`` adds what the FTP server saw
    (Q22, Q27); ``resolver`` finds recipients' time zones for ``localtime=1``
    (default: ``timezones.default_resolver()``, loaded only when needed).
    """
    return ArchiveRun(name, source, account, at, upload=upload, resolver=resolver)


def check_archive(
    name: str,
    source: Source,
    account: Account,
    at: datetime,
    *,
    upload: UploadFacts | None = None,
    resolver: ZoneLookup | None = None,
    keep_messages: bool = False,
) -> ArchiveResult:
    """The verdict on one archive at once: ``process_archive(...).result()``."""
    return process_archive(name, source, account, at, upload=upload, resolver=resolver).result(keep_messages)
