"""Template mode's files: their columns, `template.csv` and the message template (C1-C4, M1-M6, Q6, Q7, Q14).

A substitution field is a name between two `#` (M2).  The rules, in order:

* `#name#` where ``name`` is a column of `contacts.csv` (exactly, Q6) is
  replaced by that column's value in the contact's row;
* `#name#` where ``name`` looks like a column name (a letter or `_`, then
  letters, digits, `_`, `-` or `.`) but no such column exists is replaced by an
  empty string, as the document says, with one SMS403 warning per name (Q7);
* anything else is literal text: a lone `#`, a `#` with no closing one, a
  pair around text that is no name (`#1 and #`, `# 5 #`), and `##`.  `##` is
  not an escape: both characters stay, and the second `#` may still open a
  field (`##attr1#` is `#` followed by the value of attr1).

A template is compiled once per archive into a ``str.format`` pattern with
positional indices into the contact's fields, and into a ``renderer``: a function
whose body is one f-string that joins the literal pieces and the fields, about a
third of the cost of ``str.format`` per row.  Its generated source holds only
names and field indices; the literal text is passed in as values, never parsed as
code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    COLUMN_UNFILLED,
    COLUMN_UNFILLED_REJECTED,
    CSV_MISSING_COLUMN,
    CSV_UNKNOWN_COLUMN,
    LOCALTIME_INVALID,
    SENDDATE_IN_TEMPLATE_INVALID,
    TEMPLATE_MESSAGE_MISSING,
    TEMPLATE_ROW_COUNT,
    TEMPLATE_UNKNOWN_FIELD,
    Check,
    Diagnostic,
    diagnostic,
)
from smsftp.simulator.rules.schedule import (
    TEMPLATE_VALIDITY,
    parse_localtime,
    parse_senddate,
    parse_validity,
    senddate_message,
)
from smsftp.simulator.rules.sender import sender_problems
from smsftp.simulator.rules.textio import CsvFile, Header, Where

FILE = "sms/template.csv"
REQUIRED = ("message", "sourceaddress")
OPTIONAL = ("validity", "senddate", "localtime")
_NAME = re.compile(r"[^\W\d]\w*(?:[.-]\w+)*")
_SHOWN_ROWS = 3
Renderer = Callable[[Sequence[str]], str]


@dataclass(frozen=True, slots=True)
class CompiledTemplate:
    """A message template bound to the columns of one contacts file."""

    source: str
    pattern: str  # str.format pattern: `{3}` is the contact's fourth field
    fields: tuple[str, ...]  # column names substituted, in order of appearance
    missing: tuple[str, ...]  # names with no column: replaced by ""
    constant: str | None  # the whole text when no column is substituted
    literal: str  # the text around the fields, joined: what every message contains
    renderer: Renderer = field(repr=False, compare=False)  # the row's text, at the speed of an f-string

    def render(self, row: Sequence[str]) -> str:
        if self.constant is not None:
            return self.constant
        return self.renderer(row)


def make_renderer(pieces: Sequence[str | int]) -> Renderer:
    """A function of a row that joins ``pieces``: literal text, and the indices of the row's fields.

    The body is one f-string (a single BUILD_STRING in CPython).  The generated
    source names the literal pieces ``_0``, ``_1``, ... and receives them as
    arguments, so whatever a template holds is data, never code.
    """
    values: list[str] = []
    body: list[str] = []
    for piece in pieces:
        if isinstance(piece, int):
            body.append(f"{{row[{int(piece)}]}}")
        else:
            body.append(f"{{_{len(values)}}}")
            values.append(piece)
    names = ", ".join(f"_{i}" for i in range(len(values)))
    source = f'def make({names}):\n    def render(row):\n        return f"{"".join(body)}"\n    return render\n'
    namespace: dict[str, Callable[..., Renderer]] = {}
    exec(compile(source, "<template>", "exec"), namespace)
    return namespace["make"](*values)


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def split_template(message: str, columns: Sequence[str]) -> list[tuple[bool, str]]:
    """The template as (is_field, text) pieces, by the rules in the module's docstring."""
    known = set(columns)
    pieces: list[tuple[bool, str]] = []
    literal: list[str] = []
    i = 0
    while True:
        j = message.find("#", i)
        k = message.find("#", j + 1) if j >= 0 else -1
        if k < 0:
            literal.append(message[i:])
            break
        name = message[j + 1 : k]
        if name and (name in known or _NAME.fullmatch(name)):
            literal.append(message[i:j])
            if any(literal):
                pieces.append((False, "".join(literal)))
            literal = []
            pieces.append((True, name))
            i = k + 1
        else:
            literal.append(message[i : j + 1])
            i = j + 1
    if any(literal):
        pieces.append((False, "".join(literal)))
    return pieces


def compile_template(
    message: str, columns: Sequence[str], *, file: str | None = FILE, line: int | None = None, column: int | None = None
) -> Check[CompiledTemplate]:
    """Bind ``message`` to the contacts' ``columns``; SMS403 once per field that names no column."""
    index: dict[str, int] = {}
    for i, name in enumerate(columns):
        index.setdefault(name, i)
    folded = {name.casefold(): name for name in reversed(columns)}
    pattern: list[str] = []
    pieces: list[str | int] = []
    used: list[str] = []
    missing: list[str] = []
    for is_field, text in split_template(message, columns):
        if not is_field:
            pattern.append(_escape(text))
            pieces.append(text)
            continue
        at = index.get(text)
        if at is not None:
            pattern.append(f"{{{at}}}")
            pieces.append(at)
            used.append(text)
            continue
        if text not in missing:
            missing.append(text)
            twin = folded.get(text.casefold())
            hint = (
                f"Column names are case-sensitive: contacts.csv has {twin!r}; write #{twin}#."
                if twin
                else f"contacts.csv has the columns {'; '.join(columns)}; spell the field as one of them "
                "or add the column."
            )
            yield (
                diagnostic(
                    TEMPLATE_UNKNOWN_FIELD,
                    f"The field #{text}# names no column of contacts.csv; it is replaced by an empty string.",
                    hint=hint,
                    file=file,
                    line=line,
                    column=column,
                )
            )
    source = "".join(pattern)
    literal = "".join(p for p in pieces if isinstance(p, str))
    constant = literal if not used else None
    return CompiledTemplate(message, source, tuple(used), tuple(missing), constant, literal, make_renderer(pieces))


def check_columns(
    header: Header, required: Sequence[str], optional: Sequence[str], file: str, numbered: str = ""
) -> Iterator[Diagnostic]:
    """SMS305 for a missing required column (hint when only the case differs), SMS307 for unknown ones.

    ``optional`` lists the other standard names; ``numbered`` followed by digits
    (``attr1``, ``attr27``) is standard too.  Names are exact (Q6): ``SendDate``
    is an unknown column, kept, and not read as ``senddate``.
    """
    names = header.names
    by_fold = {n.casefold(): n for n in reversed(names)}
    for want in required:
        if want in names:
            continue
        near = by_fold.get(want.casefold())
        if near is not None:
            yield (
                diagnostic(
                    CSV_MISSING_COLUMN,
                    f"The required column {want!r} is missing; the header has {near!r}, which differs "
                    "only by letter case.",
                    hint=f"Column names are case-sensitive: rename {near!r} to {want!r}.",
                    file=file,
                    line=header.line,
                )
            )
        else:
            listed = "; ".join(names) or "no names"
            yield (
                diagnostic(
                    CSV_MISSING_COLUMN,
                    f"The required column {want!r} is missing (the header is {listed!r}).",
                    file=file,
                    line=header.line,
                )
            )
    standard = {*required, *optional}
    folded = {s.casefold(): s for s in standard}
    for i, name in enumerate(names):
        if name in standard or (numbered and name.startswith(numbered) and name[len(numbered) :].isdigit()):
            continue
        twin = folded.get(name.casefold())
        if twin is not None and twin in required:
            continue  # already reported as SMS305 with its hint
        if twin is not None:
            message = (
                f"The column {name!r} differs from the standard column {twin!r} only by letter case; "
                f"it is not read as {twin!r}, only kept as #{name}#."
            )
        else:
            message = f"The column {name!r} is not a standard column; it is kept and may be used as #{name}#."
        yield (diagnostic(CSV_UNKNOWN_COLUMN, message, file=file, line=header.line, column=header.columns[i] or None))


def unfilled_column(account: Account, name: str, what: str, *, file: str, line: int, column: int | None) -> Diagnostic:
    """SMS313, or SMS314 when the account rejects unfilled columns (Q28): ``name`` is present but empty.

    The seed reads an empty optional value as its default; the public copy of the
    document says such a column must not be in the file at all (M7).
    """
    rule = COLUMN_UNFILLED_REJECTED if account.unfilled_columns == "reject" else COLUMN_UNFILLED
    outcome = "the archive is rejected" if rule is COLUMN_UNFILLED_REJECTED else f"read as {what}"
    return diagnostic(
        rule,
        f"The column {name!r} is present but empty; {outcome}. The platform's public document says that no "
        "file may contain unfilled columns.",
        hint=f"Leave the column {name!r} out of the file when you do not fill it.",
        file=file,
        line=line,
        column=column,
    )


_DEFAULT_READING = {
    "validity": f"the default lifetime of {TEMPLATE_VALIDITY} minutes",
    "senddate": "no send date (sent at once, or at the contacts' own dates)",
    "localtime": "`0`",
}


@dataclass(frozen=True)
class TemplateSettings:
    """The one data row of `template.csv`, checked."""

    message: str
    sender: str
    validity: int
    senddate: datetime | None  # naive, local
    localtime: bool
    line: int
    message_column: int | None


def read_template(csv: CsvFile, account: Account) -> Check[TemplateSettings | None]:
    """Read and judge `template.csv` (M1-M7, Q11, Q14, Q28); reports every problem, not only the first.

    None when the file cannot describe a campaign at all (no header, no
    required columns, not exactly one row).  Settings with errors beside them
    are still returned, so that contacts can be checked; the errors reject the
    archive.  None when the text cannot be read to its end: the file's
    ``stop_reasons`` say why (and what was yielded before is better not shown).
    """
    file = csv.file
    header = yield from csv.read_header()
    if header is None or csv.stopped:
        return None
    yield from check_columns(header, REQUIRED, OPTIONAL, file)
    index = header.index()
    if any(name not in index for name in REQUIRED):
        return None
    rows: list[tuple[int, list[str]]] = []
    extra = 0
    for record in csv.records(len(header.names)):
        if len(rows) < _SHOWN_ROWS:
            rows.append(record)
        else:
            extra += 1  # counted, not kept: template.csv may be anything
    if csv.stopped:
        return None
    if len(rows) != 1:
        count = len(rows) + extra
        lines = ", ".join(str(line) for line, _ in rows) + (", …" if extra else "")
        what = "no data row" if not count else f"{count} data rows (lines {lines})"
        yield diagnostic(
            TEMPLATE_ROW_COUNT,
            f"template.csv holds {what}; it must hold exactly one.",
            file=file,
            line=rows[1][0] if count > 1 else header.line,
        )
        return None
    line, fields = rows[0]

    def value(name: str) -> str:
        at = index.get(name)
        return fields[at] if at is not None else ""

    def where(name: str) -> Where:
        found_line, column = csv.locate(line, index[name])
        return Where(file=file, line=found_line, column=column)

    message = value("message")
    if not message.strip():
        yield diagnostic(TEMPLATE_MESSAGE_MISSING, "The template's `message` is empty.", **where("message"))
    sender = value("sourceaddress")
    yield from sender_problems(sender, account, **where("sourceaddress"))
    for name in OPTIONAL:
        if name in index and not value(name).strip():
            found_where = where(name)
            yield (
                unfilled_column(
                    account,
                    name,
                    _DEFAULT_READING[name],
                    file=file,
                    line=found_where.get("line") or line,
                    column=found_where.get("column"),
                )
            )
    # M4: the document's 1440 when `validity` is empty or absent, whatever the account's plain-mode lifetime.
    validity: int | None = TEMPLATE_VALIDITY
    if "validity" in index:
        validity = yield from parse_validity(value("validity"), account, **where("validity"))
    senddate = None
    raw_date = value("senddate")
    if raw_date.strip():
        senddate = parse_senddate(raw_date, seconds_optional=account.accept_senddate_without_seconds)
        if senddate is None:
            yield (
                diagnostic(
                    SENDDATE_IN_TEMPLATE_INVALID,
                    senddate_message(raw_date) + " No message can be scheduled.",
                    **where("senddate"),
                )
            )
    localtime = parse_localtime(value("localtime"))
    if localtime is None:
        yield (
            diagnostic(
                LOCALTIME_INVALID,
                f"localtime {value('localtime')!r} is neither `1`, `0` nor empty.",
                **where("localtime"),
            )
        )
    yield from csv.quoting_note()
    settings = TemplateSettings(
        message, sender, validity or TEMPLATE_VALIDITY, senddate, bool(localtime), line, where("message").get("column")
    )
    return settings
