"""Judging one archive, start to end, as a stream: what the platform does once it has the file.

``process_archive`` returns an ``ArchiveRun``; iterating it yields the accepted
messages as they are rendered, and afterwards its ``status``, ``message_count``,
``rejected_rows`` and ``diagnostics`` hold the verdict.  Memory does not grow
with the number of rows: rows are read, judged and handed on one at a time;
diagnostics are capped per code (``PER_CODE_CAP`` kept, the rest counted and
summed up in one last diagnostic of the same code); repeated phones are tracked
up to the account's ``duplicate_check_limit`` (Q26).

An archive can turn out rejected after messages were yielded: a checksum error
at the end of the data, or a bad row with ``reject_archive_on_bad_row`` (Q9).
Consumers that store messages do so in a transaction and roll back when
``status`` is ``rejected`` after iteration; ``message_count`` is then 0.  Once an
archive-level error is known, no further messages are yielded, but the rows are
still checked, so that one run reports everything.  The per-row path is plain
code on local variables: no diagnostic object is built and no date parsed for a
good row without its own `senddate`.
"""

from __future__ import annotations

import csv
from collections.abc import Generator, Iterator
from datetime import datetime, timedelta
from typing import BinaryIO

from .accounts import Account
from .archive import ArchiveDefect, DataFile, Layout, Source, ZipArchive
from .clock import utc
from .diagnostics import REGISTRY, Diagnostic, Severity, diagnostic
from .naming import check_archive_name
from .outcome import ArchiveMode, ArchiveResult, Message, Status, UploadFacts
from .phones import phone_hint, phone_message, phone_problem
from .schedule import Schedule, ZoneLookup
from .segments import count_parts
from .sender import default_sender_problems
from .template import CompiledTemplate, TemplateSettings, check_columns, compile_template, read_template
from .textio import CsvFile, Reporter, TextError, TextSource

__all__ = ["PER_CODE_CAP", "ArchiveRun", "DiagnosticLog", "check_archive", "process_archive"]

PER_CODE_CAP = 100
CONTACTS_OPTIONAL = ("senddate",)
_CORRUPT = frozenset({"SMS201", "SMS203", "SMS206"})  # what an ASCII-mode upload does to a zip (Q27)
_CUT_OFF = frozenset({"SMS201", "SMS202", "SMS203", "SMS206"})  # what a half-written file looks like (Q22)


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

    def extend(self, diags: list[Diagnostic]) -> None:
        for d in diags:
            self.add(d)

    def room(self, code: str) -> bool:
        """Whether a diagnostic of ``code`` would still be kept (else only count it: ``skip``)."""
        return self.counts.get(code, 0) < self.cap

    def skip(self, code: str) -> None:
        self.counts[code] = self.counts.get(code, 0) + 1

    def reporter(self, file: str, table: CsvFile | None = None) -> Reporter:
        """A row-level ``Reporter`` for one file: problems there reject rows, not the archive."""

        def report(code: str, message: str | None = None, *, hint: str | None = None,
                   line: int | None = None, field: int | None = None) -> None:
            if not self.room(code):
                self.skip(code)
                return
            column = None
            if table is not None and line is not None and field is not None:
                line, column = table.locate(line, field)
            self.add(diagnostic(code, message, hint=hint, file=file, line=line, column=column),
                     archive_level=False)

        return report

    def summarize(self) -> None:
        """One closing diagnostic per code that went over the cap."""
        for code, n in self.counts.items():
            if n > self.cap:
                rule = REGISTRY[code]
                self.items.append(diagnostic(
                    code, f"{n - self.cap:,} more {code} ({rule.name}) like the above; only the first "
                    f"{self.cap} are listed ({n:,} in all)."))


class ArchiveRun:
    """Judging one archive as a stream: iterate to get messages; afterwards read the verdict."""

    def __init__(self, name: str, source: Source, account: Account, at: datetime, *,
                 upload: UploadFacts | None = None, resolver: ZoneLookup | None = None) -> None:
        self.name = name
        self.account = account
        self.at = utc(at)
        self.upload = upload
        self.status: Status = "rejected"  # until iteration has finished
        self.mode: ArchiveMode | None = None
        self.message_count = 0
        self.rejected_rows = 0
        self.data_rows = 0
        self._log = DiagnosticLog()
        self.diagnostics: list[Diagnostic] = self._log.items
        self._source = source
        self._resolver = resolver
        self._messages = self._run()

    def __iter__(self) -> Iterator[Message]:
        return self._messages

    def result(self, keep_messages: bool = False) -> ArchiveResult:
        """The verdict; exhausts the iterator (messages already taken are not in ``messages``)."""
        kept: list[Message] | None = [] if keep_messages else None
        for message in self._messages:
            if kept is not None:
                kept.append(message)
        if kept is not None and self.status == "rejected":
            kept = []
        return ArchiveResult(self.name, self.status, self.mode, self.message_count, self.rejected_rows,
                             list(self.diagnostics), kept)

    # -- the run ---------------------------------------------------------------------
    def _run(self) -> Iterator[Message]:
        log = self._log
        log.extend(check_archive_name(self.name, self.account.login)[1])
        with ZipArchive(self._source, self.account) as archive:
            layout, found = archive.inspect()
            log.extend(found)
            if layout is not None:
                self.mode = layout.mode
                try:
                    if layout.mode == "template":
                        yield from self._template(archive, layout)
                    else:
                        yield from self._plain(archive, layout)
                except ArchiveDefect as exc:
                    log.add(exc.diagnostic)
        self._finish(layout)

    def _finish(self, layout: Layout | None) -> None:
        log, account = self._log, self.account
        if layout is not None and self.rejected_rows and account.reject_archive_on_bad_row:
            log.add(diagnostic("SMS416", f"{self.rejected_rows:,} row(s) were rejected, and account "
                               f"{account.login!r} rejects the whole archive when any row is bad."))
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
            lead.append(diagnostic("SMS801", "The archive was uploaded in ASCII mode (TYPE A), which rewrote its "
                                   "line-end bytes; that is why it is corrupt."))
        if not upload.complete and codes & _CUT_OFF:
            lead.append(diagnostic("SMS802", "The archive was taken while its upload was still in progress; "
                                   "that is why it is incomplete."))
        for d in lead:  # first: they explain the container errors that follow
            self._log.counts[d.code] = self._log.counts.get(d.code, 0) + 1
            self._log.fatal = True
        items[:0] = lead

    def _open_csv(self, archive: ZipArchive, f: DataFile) -> tuple[BinaryIO, CsvFile]:
        stream = archive.open(f)
        return stream, CsvFile(TextSource(stream, self.account.encoding, f.name))

    # -- template mode -----------------------------------------------------------------
    def _template(self, archive: ZipArchive, layout: Layout) -> Iterator[Message]:
        log, account = self._log, self.account
        if layout.template is None or layout.contacts is None:  # inspect() reports this; belt and braces
            log.add(diagnostic("SMS218"))
            return
        settings = None
        stream, tcsv = self._open_csv(archive, layout.template)
        with stream:
            try:
                settings, found = read_template(tcsv, account)
                log.extend(tcsv.diagnostics)
                log.extend(found)
            except TextError as exc:
                log.extend(tcsv.diagnostics)
                log.add(exc.diagnostic)
        if settings is None:
            log.fatal = True
        stream, table = self._open_csv(archive, layout.contacts)
        with stream:
            try:
                yield from self._contacts(table, settings)
            except TextError as exc:
                log.add(exc.diagnostic)

    def _contacts(self, table: CsvFile, settings: TemplateSettings | None) -> Iterator[Message]:
        log, account, file = self._log, self.account, table.file
        header, found = table.read_header()
        log.extend(table.diagnostics)
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
            compiled, found = compile_template(settings.message, header.names, line=settings.line,
                                               column=settings.message_column)
            log.extend(found)
        resolver = self._resolver
        if settings is not None and settings.localtime and resolver is None:
            from .timezones import default_resolver

            resolver = default_resolver()
        schedule = Schedule(
            at=self.at, zone=account.zone,
            validity=settings.validity if settings is not None else account.validity,
            senddate=settings.senddate if settings is not None else None,
            localtime=settings.localtime if settings is not None else False,
            resolver=resolver, report=report, template_report=template_report)
        date_at = index.get("senddate", -1)
        sender = settings.sender if settings is not None else ""
        checks_text = settings is not None and bool(settings.message.strip())
        dated = yield from self._rows(table, len(header.names), index["phone"], date_at, schedule, compiled,
                                      sender, checks_text, report)
        if settings is not None and settings.localtime and settings.senddate is None and not dated:
            log.add(diagnostic("SMS409", "`localtime=1` has no effect: no send date is given in template.csv "
                               "or in any contact, so every message goes out at once.",
                               file="sms/template.csv", line=settings.line))
        if not self.data_rows:
            log.add(diagnostic("SMS410", "contacts.csv has a header but no recipients.", file=file,
                               line=header.line))

    def _rows(self, table: CsvFile, width: int, phone_at: int, date_at: int, schedule: Schedule,
              compiled: CompiledTemplate | None, sender: str, checks_text: bool,
              report: Reporter) -> Generator[Message, None, bool]:
        """The hot loop of template mode (``CsvFile.records`` inlined).  Returns whether any row had a date."""
        log, account = self._log, self.account
        render = compiled.pattern.format if compiled is not None and compiled.constant is None else None
        constant = (compiled.constant or "") if compiled is not None else ""
        constant_parts = count_parts(constant) if constant else ("GSM-7", 0)
        default = schedule.default
        per_recipient = schedule.per_recipient
        times_for = schedule.times
        template_times = schedule.template_times
        max_parts = account.max_parts
        live, strict = not log.fatal, account.reject_archive_on_bad_row
        seen: dict[str, int] = {}
        remember = seen.setdefault
        limit = account.duplicate_check_limit
        tracking = limit > 0
        dated = False
        rows = rejected = count = 0
        reader, fit = table.reader, table.fit
        check_phone, parts_of, new = phone_problem, count_parts, Message  # locals: the loop runs per row
        last = start = table.last_line
        try:
            for fields in reader:
                start, last = last + 1, reader.line_num
                if len(fields) != width:
                    fitted = fit(fields, width, start, report)
                    if fitted is None:
                        continue
                    fields = fitted
                rows += 1
                phone = fields[phone_at]
                problem = check_phone(phone)
                if problem is not None:
                    rejected += 1
                    self._bad_phone(problem, phone, table, start, phone_at)
                    continue
                if tracking:
                    first = remember(phone, start)
                    if first != start:
                        self._duplicate(report, phone, first, start, phone_at)
                    elif rows >= limit and len(seen) >= limit:
                        tracking = False
                else:
                    self._untracked(report, seen, phone, start, phone_at, table.file)
                if date_at >= 0 and fields[date_at] and not fields[date_at].isspace():
                    dated = True
                    times = times_for(fields[date_at], phone, start, date_at)
                    if times is None:
                        rejected += 1
                        continue
                elif per_recipient:
                    times = template_times(phone, start)
                else:
                    times = default
                if render is not None:
                    text = render(*fields)
                    encoding, parts = parts_of(text)
                else:
                    text = constant
                    encoding, parts = constant_parts
                if checks_text and (parts > max_parts or not text or text.isspace()):
                    rejected += 1
                    self._bad_text(report, text, parts, start)
                    continue
                count += 1
                if live and not (strict and rejected):
                    yield new(phone, text, sender, times[0], times[1], encoding, parts, start)
        except csv.Error as exc:
            raise table.error(exc, last) from None
        finally:
            self.data_rows, self.rejected_rows, self.message_count = rows, rejected, count
        table.done(last, start)
        return dated

    def _duplicate(self, report: Reporter, phone: str, first: int, line: int, field: int) -> None:
        if self._log.room("SMS414"):
            report("SMS414", f"Phone {phone} was already in the row on line {first}; both are sent.",
                   line=line, field=field)
        else:
            self._log.skip("SMS414")

    def _untracked(self, report: Reporter, seen: dict[str, int], phone: str, line: int, field: int,
                   file: str) -> None:
        """Past the duplicate-check limit (Q26): numbers already seen are still found, new ones not kept."""
        first = seen.get(phone)
        if first is not None:
            self._duplicate(report, phone, first, line, field)
        elif "SMS415" not in self._log.counts:
            limit = self.account.duplicate_check_limit
            self._log.add(diagnostic(
                "SMS415", f"The check for repeated phone numbers stopped at {limit:,} distinct numbers "
                f"(line {line}); repeats of later numbers are not reported.", file=file, line=line))

    def _bad_phone(self, code: str, phone: str, table: CsvFile, line: int, field: int) -> None:
        log = self._log
        if not log.room(code):
            log.skip(code)
            return
        line, column = table.locate(line, field)
        message = phone_message(phone, code)
        log.add(diagnostic(code, message[:1].upper() + message[1:] + ".", hint=phone_hint(phone, code),
                           file=table.file, line=line, column=column), archive_level=False)

    def _bad_text(self, report: Reporter, text: str, parts: int, line: int) -> None:
        if parts > self.account.max_parts:
            report("SMS405", f"The message takes {parts} SMS parts ({len(text):,} characters); the cap is "
                   f"{self.account.max_parts}. The row is not sent.", line=line)
        else:
            report("SMS404", "The message is empty after substitution; the row is not sent.", line=line)

    # -- plain mode ----------------------------------------------------------------------
    def _plain(self, archive: ZipArchive, layout: Layout) -> Iterator[Message]:
        log = self._log
        sender, found = default_sender_problems(self.account)
        log.extend(found)
        if layout.plain is None:  # inspect() reports this; belt and braces
            log.add(diagnostic("SMS215"))
            return
        stream, table = self._open_csv(archive, layout.plain)
        with stream:
            try:
                yield from self._plain_rows(table, sender or "")
            except TextError as exc:
                log.add(exc.diagnostic)

    def _plain_header(self, table: CsvFile) -> tuple[int, int] | None:
        """Read the first line (always skipped, N2/Q18); (its line, the width of a row) or None."""
        log, file = self._log, table.file
        first = table.next_record(skip_blank=False)
        log.extend(table.diagnostics)
        if first is None:
            log.add(diagnostic("SMS310", "The file is empty: it has no header line.", file=file))
            return None
        line, head = first
        names = [h.strip().casefold() for h in head]
        if names[:2] == ["telrn_long", "text"]:
            if len(names) > 2:
                log.add(diagnostic(
                    "SMS417", f"The header names {len(names)} columns ({';'.join(h.strip() for h in head)}); "
                    "plain mode reads only TELRN_LONG and TEXT, the other columns are ignored.",
                    file=file, line=line))
            return line, len(names)
        if len(head) == 1:
            for sep, label in ((",", "`,`"), ("\t", "tabs")):
                parts = [p.strip().casefold() for p in head[0].split(sep)]
                if parts[:2] == ["telrn_long", "text"]:
                    log.add(diagnostic("SMS304", f"The header {head[0].strip()!r} is separated by {label}, "
                                       "not `;`.", file=file, line=line, column=1))
                    return None
        shown = ";".join(head)
        shown = shown if len(shown) <= 60 else shown[:60] + "…"
        log.add(diagnostic("SMS411", f"The first line {shown!r} does not look like `TELRN_LONG;TEXT`; it was "
                           "skipped as the header all the same.", file=file, line=line))
        return line, 2

    def _plain_rows(self, table: CsvFile, sender: str) -> Iterator[Message]:
        """The hot loop of plain mode: `TELRN_LONG;TEXT`, the account's sender and validity, sent at once."""
        log, account = self._log, self.account
        head = self._plain_header(table)
        if head is None:
            return
        header_line, width = head
        report = log.reporter(table.file, table)
        send_at = self.at
        expires_at = send_at + timedelta(minutes=account.validity)
        max_parts = account.max_parts
        live, strict = not log.fatal, account.reject_archive_on_bad_row
        seen: dict[str, int] = {}
        remember = seen.setdefault
        limit = account.duplicate_check_limit
        tracking = limit > 0
        rows = rejected = count = 0
        reader = table.reader
        check_phone, parts_of, new = phone_problem, count_parts, Message
        last = start = table.last_line
        try:
            for fields in reader:
                start, last = last + 1, reader.line_num
                n = len(fields)
                if n == 2:
                    phone, text = fields
                elif n == 0 or (n == 1 and not fields[0].strip()):
                    continue
                elif n == 1:
                    rows += 1
                    rejected += 1
                    report("SMS413", "The line has no TEXT field; the row is not sent.", line=start)
                    continue
                elif width == 2:
                    phone, text = fields[0], ";".join(fields[1:])
                    report("SMS412", f"TEXT holds {n - 2} unquoted `;`; the {n - 1} fields after the number were "
                           "joined back with `;`.", line=start, field=2)
                else:
                    phone, text = fields[0], fields[1]
                    if n > width:
                        report("SMS309", f"The record has {n} fields; the header names {width}.", line=start,
                               field=width)
                rows += 1
                problem = check_phone(phone)
                if problem is not None:
                    rejected += 1
                    self._bad_phone(problem, phone, table, start, 0)
                    continue
                if tracking:
                    first = remember(phone, start)
                    if first != start:
                        self._duplicate(report, phone, first, start, 0)
                    elif rows >= limit and len(seen) >= limit:
                        tracking = False
                else:
                    self._untracked(report, seen, phone, start, 0, table.file)
                encoding, parts = parts_of(text)
                if parts > max_parts or not text or text.isspace():
                    rejected += 1
                    self._bad_text(report, text, parts, start)
                    continue
                count += 1
                if live and not (strict and rejected):
                    yield new(phone, text, sender, send_at, expires_at, encoding, parts, start)
        except csv.Error as exc:
            raise table.error(exc, last) from None
        finally:
            self.data_rows, self.rejected_rows, self.message_count = rows, rejected, count
        table.done(last, start)
        if not rows:
            log.add(diagnostic("SMS410", "The plain file has a header line but no recipients.", file=table.file,
                               line=header_line))


def process_archive(name: str, source: Source, account: Account, at: datetime, *,
                    upload: UploadFacts | None = None, resolver: ZoneLookup | None = None) -> ArchiveRun:
    """Start judging one archive; iterate the run for its messages, then read its verdict.

    ``name`` is the archive's file name (its login and timestamp are checked),
    ``source`` its bytes, path or a binary stream, ``at`` the processing instant
    (empty send dates mean "at ``at``").  ``upload`` adds what the FTP server saw
    (Q22, Q27); ``resolver`` finds recipients' time zones for ``localtime=1``
    (default: ``timezones.default_resolver()``, loaded only when needed).
    """
    return ArchiveRun(name, source, account, at, upload=upload, resolver=resolver)


def check_archive(name: str, source: Source, account: Account, at: datetime, *,
                  upload: UploadFacts | None = None, resolver: ZoneLookup | None = None,
                  keep_messages: bool = False) -> ArchiveResult:
    """The verdict on one archive at once: ``process_archive(...).result()``."""
    return process_archive(name, source, account, at, upload=upload, resolver=resolver).result(keep_messages)
