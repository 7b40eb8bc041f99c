"""Data files as text and as `;`-separated records, streamed (Z4, Z5, Q5, Q6).

Bytes are decoded with an incremental decoder in chunks, each cut after its last
line break, and split into physical lines (CRLF, LF or CR), so that ``csv.reader``
sees exactly one physical line per item and its ``line_num`` is the physical line
number.  A record's first line is then the previous record's ``line_num`` plus
one; no per-row bookkeeping beyond that.  The last three chunks of text are kept
so that a diagnostic can name the column of a field (``CsvFile.locate``); nothing
else of the file stays in memory.  ``TextSource.astral`` tells whether any
character outside the Basic Multilingual Plane has been read yet (one C pass
over each chunk's bytes), so that counting SMS parts can skip surrogate pairs.
``TextSource.quoted`` tells whether a field has started with ``"`` (Q29): looked
for only until found, one regex pass over a chunk that holds a quote at all.

Quoting (Q29): by default a field that starts with ``"`` is read as standard CSV
(quotes removed, ``""`` is one quote, ``;`` inside kept), and ``CsvFile.quoting_note``
says once per file that quotes were read so (SMS312).  An account with
``csv_quoting = "literal"`` reads every ``"`` as text and splits at every ``;``.

Problems that end a file (bytes that are not text in the account's encoding, a
NUL, a line or field longer than any real CSV row, a quote never closed, or the
stream's owner saying it halted) end the lines handed out, as if the file ended
there; nothing is raised, because the input's faults are values.  ``stopped`` is
truthy from then on (the hot loop tests it per record: a record ``csv.reader``
returns after that is the cut-off part of one, never judged), and ``problems``
yields every diagnostic of the file: the notes (SMS301), then what stopped it.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import chain
from typing import BinaryIO, Protocol, TypedDict

from smsftp.simulator.rules.diagnostics import (
    CSV_COLUMN_NAME_SPACES,
    CSV_DUPLICATE_COLUMN,
    CSV_EMPTY_FILE,
    CSV_LINE_TOO_LONG,
    CSV_QUOTED_FIELD,
    CSV_ROW_FIELD_COUNT,
    CSV_UNTERMINATED_QUOTE,
    CSV_WRONG_DELIMITER,
    ENCODING_BOM_STRIPPED,
    ENCODING_INVALID_BYTES,
    Check,
    Diagnostic,
    diagnostic,
)

# Small chunks keep the decoded text, its StringIO copy (4 bytes a character) and the three chunks
# kept for diagnostics to a few hundred kilobytes; 32 KiB reads as fast as 256 KiB did.
CHUNK_BYTES = 32 * 1024
# No real CSV line is a megabyte long; past this a file is binary or broken, and
# holding it would make memory grow with the input.
MAX_LINE_CHARS = 1024 * 1024
_LINE_ENDS = ("\n", "\r")
_ODD_BREAKS = "\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"  # str.splitlines splits there; CSV does not
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_BELOW_F0 = bytes(range(0xF0))  # UTF-8 bytes that start no 4-byte sequence (astral characters)
_QUOTE_OPENS = re.compile(r'(?:^|;)[ \t]*"', re.MULTILINE)  # a field that starts with a quote


class Where(TypedDict, total=False):
    """Where in the archive a diagnostic points: ``diagnostic(code, message, **where)``."""

    file: str | None
    line: int | None
    column: int | None


class Reporter(Protocol):
    """Where per-row problems go; the receiver decides whether to keep them (caps)."""

    def __call__(
        self,
        code: str,
        message: str | None = None,
        *,
        hint: str | None = None,
        line: int | None = None,
        field: int | None = None,
    ) -> None: ...


def canonical_encoding(name: str) -> str:
    """Python's canonical codec name (``UTF8`` -> ``utf-8``); unknown names stay as given."""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return name


def _is_utf8(encoding: str) -> bool:
    return encoding in ("utf-8", "utf-8-sig")


def _looks_cyrillic(text: str) -> bool:
    """Russian or Ukrainian words, not the odd symbols any byte soup turns into in cp1251."""
    others = [c for c in text if not c.isascii()]
    letters = sum(1 for c in others if "\u0410" <= c <= "\u044f" or c in "ЁёІіЇїЄєҐґ")
    return letters >= 2 and letters * 10 >= len(others) * 8


def _sample(raw: bytes) -> bytes:
    cut = len(raw)
    for end in (b"\n", b"\r"):
        at = raw.find(end)
        if 0 <= at < cut:
            cut = at
    return raw[:cut][:60]


@dataclass
class _Chunk:
    first: int  # physical line number of the chunk's first line
    text: str
    lines: list[str] | None = None  # split on demand, for diagnostics only

    def split(self) -> list[str]:
        if self.lines is None:
            self.lines = _split_csv_lines(self.text)
        return self.lines


class TextSource:
    """The physical lines of one data file, decoded as a stream.

    Chunks of decoded text, each cut after its last line break, are handed to
    ``csv.reader`` through ``io.StringIO(newline="")``, whose C ``readline`` splits
    at CRLF, LF and CR exactly as CSV wants and faster than anything in Python.
    ``consumed`` tells how many lines the consumer has taken (``CsvFile`` wires
    ``csv.reader.line_num``); when the next chunk is asked for, every earlier line
    has been taken, so the chunk's first line number is known without counting.
    """

    def __init__(
        self,
        stream: BinaryIO,
        encoding: str,
        file: str,
        *,
        chunk_bytes: int = CHUNK_BYTES,
        halted: Callable[[], bool] | None = None,
    ) -> None:
        self.file = file
        self.encoding = canonical_encoding(encoding)
        self._notes: list[Diagnostic] = []  # non-fatal (SMS301)
        # Empty while the file reads on; then what ended it early (None: the stream's owner halted it and
        # reports why).  A list, so that the hot loop can hold it in a local and test it for free.
        self.stopped: list[Diagnostic | None] = []
        # Whether the stream ended early for its owner's reasons (a damaged zip entry): then its end is no end
        # of the file, and the line cut there is not handed out.
        self._halted = halted
        self.consumed: Callable[[], int] | None = None
        # Whether a character outside the Basic Multilingual Plane (an emoji) has been read so far: until
        # one has, no text made of what was read needs its surrogate pairs counted (segments.ucs2_parts).
        self.astral = False
        self.quoted: int | None = None  # the physical line of the first field that starts with `"`
        self._stream = stream
        self._chunk = chunk_bytes
        self._counted = 0  # lines handed out, when nobody reports ``consumed``
        self._window: deque[_Chunk] = deque(maxlen=3)

    def lines(self) -> Iterator[str]:
        return chain.from_iterable(self._streams())

    def notes(self) -> Iterator[Diagnostic]:
        """The warnings about the file so far (SMS301); they end nothing."""
        yield from self._notes

    def stop_reasons(self) -> Iterator[Diagnostic]:
        """What ended the file early, if anything did and it was this reader's to say."""
        for stop in self.stopped:
            if stop is not None:
                yield stop

    def problems(self) -> Iterator[Diagnostic]:
        """Every diagnostic of the file so far: the notes, then what stopped it early."""
        yield from self.notes()
        yield from self.stop_reasons()

    def stop(self, d: Diagnostic | None) -> None:
        """The file ends here, for the reason ``d`` (None: the stream's owner reports it)."""
        if not self.stopped:
            self.stopped.append(d)

    def _streams(self) -> Iterator[io.StringIO]:
        for text in self._texts():
            yield io.StringIO(text, newline="")

    def _taken(self) -> int:
        return self.consumed() if self.consumed is not None else self._counted

    def window(self, first: int) -> list[str] | None:
        """Physical lines from ``first`` (1-based) to the end of the latest chunk, if still held."""
        if not self._window or first < self._window[0].first:
            return None
        out: list[str] = []
        for chunk in self._window:
            lines = chunk.split()
            if first < chunk.first + len(lines):
                out.extend(lines[max(first - chunk.first, 0) :])
        return out

    def _hand_out(self, text: str) -> Iterator[str]:
        first = self._taken() + 1
        self._window.append(_Chunk(first, text))
        if self.quoted is None and '"' in text and (found := _QUOTE_OPENS.search(text)) is not None:
            self.quoted = first + len(_split_csv_lines(text[: found.start() + 1])) - 1
        if self.consumed is None:
            self._counted += len(_split_csv_lines(text))
        yield text

    # -- decoding ------------------------------------------------------------------
    def _texts(self) -> Iterator[str]:
        read, size = self._stream.read, self._chunk
        data = read(size)
        while 0 < len(data) < 3 and (more := read(size)):  # the BOM may straddle tiny reads
            data += more
        encoding = self.encoding
        if data.startswith(codecs.BOM_UTF8) and not encoding.startswith(("utf-16", "utf-32")):
            data = data[3:] or read(size)
            note = (
                ""
                if _is_utf8(encoding)
                else (
                    f" The account's encoding is {encoding}, but a byte-order mark means UTF-8: "
                    "the file was read as UTF-8."
                )
            )
            self._notes.append(
                diagnostic(
                    ENCODING_BOM_STRIPPED,
                    "The file starts with a UTF-8 byte-order mark (EF BB BF); it was stripped." + note,
                    file=self.file,
                    line=1,
                    column=1,
                )
            )
            encoding = "utf-8"
        elif encoding == "utf-8-sig":
            encoding = "utf-8"
        try:
            decoder = codecs.getincrementaldecoder(encoding)("strict")
        except LookupError:
            self.stop(
                diagnostic(
                    ENCODING_INVALID_BYTES,
                    f"The account's encoding {encoding!r} is not known.",
                    hint="Set the account's encoding to a known codec such as utf-8 or cp1251.",
                    file=self.file,
                )
            )
            return
        decode = decoder.decode
        utf8 = _is_utf8(encoding)
        tail = ""
        halted = self._halted
        while True:
            final = not data
            if final and halted is not None and halted():
                self.stop(None)  # the bytes were cut short: the last line is not the file's
                return
            try:
                text = decode(data, final)
            except UnicodeDecodeError as exc:
                yield from self._fail_decoding(exc, tail, encoding)
                return
            if not self.astral and not text.isascii():
                # In UTF-8 only a 4-byte sequence is astral: deleting every other byte is one C pass.
                self.astral = bool(data.translate(None, _BELOW_F0)) if utf8 else _ASTRAL.search(text) is not None
            if tail:
                text = tail + text
            if "\x00" in text:
                yield from self._fail_nul(text)
                return
            if final:
                body, tail = text, ""
            else:
                # Cut after the last line break; a CR at the very end may be half of a CRLF.
                end = len(text) - 1 if text.endswith("\r") else len(text)
                cut = text.rfind("\n", 0, end)
                cut = max(cut, text.rfind("\r", cut + 1, end))
                body, tail = text[: cut + 1], text[cut + 1 :]
            if body:
                yield from self._hand_out(body)
            if len(tail) > MAX_LINE_CHARS:
                line = self._taken() + 1
                self.stop(
                    diagnostic(
                        CSV_LINE_TOO_LONG,
                        f"Line {line} is longer than {MAX_LINE_CHARS:,} characters; the file was not read further.",
                        file=self.file,
                        line=line,
                    )
                )
                return
            if final:
                return
            data = read(size)

    def _fail_at(self, before: str, code_message: str, hint: str | None) -> Iterator[str]:
        """Hand out the complete lines before a problem, then stop with SMS302 at the problem's position."""
        end = max(before.rfind("\n"), before.rfind("\r"))
        if end >= 0:
            yield from self._hand_out(before[: end + 1])
        line, column = self._taken() + 1, len(before) - end
        self.stop(
            diagnostic(
                ENCODING_INVALID_BYTES,
                code_message.format(line=line, column=column),
                hint=hint,
                file=self.file,
                line=line,
                column=column,
            )
        )

    def _fail_decoding(self, exc: UnicodeDecodeError, tail: str, encoding: str) -> Iterator[str]:
        raw: bytes = exc.object
        good = raw[: exc.start].decode(encoding, "replace")
        shown = " ".join(f"{b:02X}" for b in raw[exc.start : exc.end][:4])
        message = (
            f"Bytes {shown} at line {{line}}, column {{column}} are not valid {encoding}; "
            "the file was not read further."
        )
        hint = None
        sample = _sample(raw[exc.start : exc.start + 240])
        if not tail and not good and raw[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
            hint = (
                "The file starts with a UTF-16 byte-order mark (Excel's 'Unicode Text'). Save it as "
                "'CSV UTF-8' instead."
            )
        elif _is_utf8(encoding):
            try:
                as_cp1251 = sample.decode("cp1251")
            except UnicodeDecodeError:
                as_cp1251 = ""
            if _looks_cyrillic(as_cp1251):
                hint = (
                    f"The bytes read as Windows Cyrillic (cp1251): {as_cp1251.strip()!r}. The file looks "
                    "like cp1251: save it as UTF-8 (Excel: 'CSV UTF-8'; iconv -f cp1251 -t utf-8), or ask "
                    "support to set the account's encoding to cp1251."
                )
        yield from self._fail_at(tail + good, message, hint)

    def _fail_nul(self, text: str) -> Iterator[str]:
        at = text.index("\x00")
        near = text[max(at - 20, 0) : at + 20]
        utf16 = near.count("\x00") * 3 >= len(near)
        hint = (
            "The file looks like UTF-16 (NUL after every ASCII letter; Excel's 'Unicode Text'). Save it as 'CSV UTF-8'."
            if utf16
            else "A CSV file never holds NUL; check that the right file was packed."
        )
        yield from self._fail_at(
            text[:at], "A NUL character at line {line}, column {column}: the file is not text.", hint
        )


def _split_csv_lines(text: str) -> list[str]:
    """Split at CRLF, LF and CR only, keeping the ends (the slow path for rare characters)."""
    if not any(c in text for c in _ODD_BREAKS):
        return text.splitlines(True)
    out: list[str] = []
    start, n = 0, len(text)
    i = 0
    while i < n:
        c = text[i]
        if c == "\n" or c == "\r":
            end = i + 2 if c == "\r" and i + 1 < n and text[i + 1] == "\n" else i + 1
            out.append(text[start:end])
            start = i = end
        else:
            i += 1
    if start < n:
        out.append(text[start:])
    return out


def _scan(lines: Sequence[str]) -> tuple[list[tuple[int, int]], bool]:
    """Where each field of the record at ``lines[0]`` starts (line offset, column); whether a quote stays open.

    Mirrors ``csv.reader`` with ``strict=False``: a quote opens a quoted field only
    at the field's start; inside one, ``""`` is a quote and ``"`` closes it.
    """
    starts = [(0, 1)]
    at_start, quoted = True, False
    for offset, line in enumerate(lines):
        i, n = 0, len(line)
        while i < n:
            c = line[i]
            if quoted:
                if c == '"':
                    if i + 1 < n and line[i + 1] == '"':
                        i += 1
                    else:
                        quoted = False
            elif c == '"' and at_start:
                quoted = True
            elif c == ";":
                starts.append((offset, i + 2))
                at_start = True
                i += 1
                continue
            elif c in _LINE_ENDS:
                return starts, False
            at_start = False
            i += 1
        if not quoted:
            return starts, False
    return starts, quoted


@dataclass
class Header:
    """The names of a file's columns, trimmed, and where the header was."""

    names: list[str]
    line: int
    columns: list[int] = field(default_factory=list)  # 1-based column of each name

    def index(self) -> dict[str, int]:
        """First position of each name."""
        out: dict[str, int] = {}
        for i, name in enumerate(self.names):
            out.setdefault(name, i)
        return out


class CsvFile:
    """Records of one `;`-separated file with their physical line numbers."""

    def __init__(self, source: TextSource, *, quoting: str = "standard") -> None:
        self.source = source
        self.file = source.file
        self.literal = quoting == "literal"  # Q29: quotes are text
        if self.literal:
            lines = source.lines()
            self.reader = reader = csv.reader(lines, delimiter=";", quoting=csv.QUOTE_NONE, strict=False)
        else:
            self.reader = reader = csv.reader(
                source.lines(), delimiter=";", quotechar='"', doublequote=True, strict=False
            )
        source.consumed = lambda: reader.line_num
        self.last_line = 0  # the physical line where the latest record ended
        self.last_start = 0

    def problems(self) -> Iterator[Diagnostic]:
        """Every diagnostic of reading the file so far (``TextSource.problems``); at its end, an open quote."""
        yield from self.source.problems()

    def notes(self) -> Iterator[Diagnostic]:
        """The warnings about the file so far (``TextSource.notes``)."""
        yield from self.source.notes()

    def stop_reasons(self) -> Iterator[Diagnostic]:
        """What ended the file early: the text's fault, or a quote still open at its end (SMS303)."""
        yield from self.source.stop_reasons()

    @property
    def stopped(self) -> bool:
        """Whether the file ended early; its ``problems`` say why."""
        return bool(self.source.stopped)

    def next_record(self, *, skip_blank: bool = True) -> tuple[int, list[str]] | None:
        """The next record and its first line; None at the end of the file, or where it stopped."""
        reader, stopped = self.reader, self.source.stopped
        while True:
            try:
                fields = next(reader)
            except StopIteration:
                self.finish()
                return None
            except csv.Error as exc:
                self.error(exc, self.last_line)
                return None
            if stopped:  # the cut-off part of a record
                return None
            start, self.last_line = self.last_line + 1, reader.line_num
            self.last_start = start
            if fields or not skip_blank:
                return start, fields

    def records(
        self, width: int, report: Reporter | None = None, *, pad: bool = True
    ) -> Iterator[tuple[int, list[str]]]:
        """Data records, blank lines skipped; SMS309 to ``report`` for records not ``width`` fields wide.

        Short records are padded with empty fields (missing trailing values are
        empty) unless ``pad`` is false; surplus fields are kept, not cut.  The
        records end where the file stops early (``problems`` says why).  The
        loops in ``processing`` inline this generator (one Python frame less per
        row); they follow the same protocol: ``fit`` for odd widths, ``error`` for
        ``csv.Error``, ``stopped`` per record, ``done`` at the end.
        """
        reader, stopped = self.reader, self.source.stopped
        last = start = self.last_line
        try:
            for fields in reader:
                if stopped:
                    return
                start, last = last + 1, reader.line_num
                if len(fields) != width:
                    fitted = self.fit(fields, width, start, report, pad)
                    if fitted is None:
                        continue
                    fields = fitted
                yield start, fields
        except csv.Error as exc:
            self.error(exc, last)
            return
        self.done(last, start)

    def fit(
        self, fields: list[str], width: int, start: int, report: Reporter | None, pad: bool = True
    ) -> list[str] | None:
        """A record that is not ``width`` fields wide: None for a blank line, else SMS309 and padding."""
        n = len(fields)
        if n == 0 or (n == 1 and not fields[0].strip()):
            return None
        if report is not None:
            report(
                CSV_ROW_FIELD_COUNT.code,
                f"The record has {n} field{'s' if n != 1 else ''}; the header names {width}.",
                line=start,
                field=width if n > width else None,
            )
        if n < width and pad:
            fields.extend([""] * (width - n))
        return fields

    def error(self, exc: csv.Error, last: int) -> None:
        """Stop at a ``csv.Error`` raised after the record that ended on line ``last``."""
        self.last_line = last
        self.source.stop(self._csv_error(exc))

    def done(self, last: int, start: int) -> None:
        """The end of the file: remember where the last record was, and check for an open quote."""
        self.last_line, self.last_start = last, start
        self.finish()

    def quoting_note(self) -> Iterator[Diagnostic]:
        """SMS312 once, when a field of the file started with `"` and was read as CSV quoting (Q29)."""
        line = self.source.quoted
        if line is None or self.literal:
            return
        yield diagnostic(
            CSV_QUOTED_FIELD,
            f'A field on line {line} starts with `"`: quoted fields were read as standard CSV, the quotes '
            "removed and any `;` inside kept.",
            file=self.file,
            line=line,
        )

    def finish(self) -> None:
        """At the end of the file: a quote still open swallowed the rest of it (SMS303)."""
        if self.literal or self.source.stopped:
            return  # no quote opens anything; or the file did not end here
        lines = self.source.window(self.last_start) if self.last_start else None
        if not lines:
            return
        _, open_quote = _scan(lines)
        if open_quote:
            self.source.stop(
                diagnostic(
                    CSV_UNTERMINATED_QUOTE,
                    f"A quoted field that starts in the record on line {self.last_start} is never "
                    "closed; everything after it up to the end of the file was read as that field.",
                    file=self.file,
                    line=self.last_start,
                )
            )

    def _csv_error(self, exc: csv.Error) -> Diagnostic:
        start = self.last_line + 1
        lines = self.source.window(start)
        if lines and '"' in lines[0] and not self.literal:
            return diagnostic(
                CSV_UNTERMINATED_QUOTE,
                f"A quoted field that starts in the record on line {start} runs on for more than "
                f"{csv.field_size_limit():,} characters; its closing quote is most likely missing.",
                file=self.file,
                line=start,
            )
        return diagnostic(
            CSV_LINE_TOO_LONG,
            f"A field in the record on line {start} is longer than {csv.field_size_limit():,} characters ({exc}).",
            file=self.file,
            line=start,
        )

    def locate(self, line: int, index: int) -> tuple[int, int | None]:
        """The physical line and column where field ``index`` of the record at ``line`` starts."""
        lines = self.source.window(line)
        if not lines:
            return line, None
        starts, _ = _scan(lines)
        if index >= len(starts):
            return line, None
        offset, column = starts[index]
        return line + offset, column

    def read_header(self) -> Check[Header | None]:
        """The header: blank lines before it skipped, names trimmed (SMS308), duplicates (SMS306).

        None when the file has no header (SMS310), is not `;`-separated (SMS304) or
        stopped before its header ended (``problems`` says why).
        """
        found = self.next_record()
        if found is None:
            if self.source.stopped:
                return None  # ``stop_reasons`` says why
            yield diagnostic(CSV_EMPTY_FILE, "The file is empty: it has no header line.", file=self.file)
            return None
        line, raw = found
        if len(raw) == 1:
            for sep, label in ((",", "`,`"), ("\t", "tabs")):
                if sep in raw[0]:
                    yield diagnostic(
                        CSV_WRONG_DELIMITER,
                        f"The header {raw[0].strip()!r} has no `;` but is separated by {label}.",
                        file=self.file,
                        line=line,
                        column=1,
                    )
                    return None
        starts, _ = _scan(self.source.window(line) or [])
        names: list[str] = []
        columns: list[int] = []
        for i, value in enumerate(raw):
            name = unicodedata.normalize("NFC", value.strip())
            column = starts[i][1] if i < len(starts) and starts[i][0] == 0 else None
            if name != value:
                yield (
                    diagnostic(
                        CSV_COLUMN_NAME_SPACES,
                        f"The column name {value!r} has surrounding spaces; read as {name!r}.",
                        file=self.file,
                        line=line,
                        column=column,
                    )
                )
            if name in names:
                yield (
                    diagnostic(
                        CSV_DUPLICATE_COLUMN,
                        f"The header names the column {name!r} twice (columns {names.index(name) + 1} "
                        f"and {i + 1}); the first is used.",
                        file=self.file,
                        line=line,
                        column=column,
                    )
                )
            names.append(name)
            columns.append(column or 0)
        return Header(names, line, columns)
