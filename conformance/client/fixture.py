"""``smsftp fixture``'s recipe: command-line parameters in, an ``ArchiveSpec`` and its rows out.

A support engineer reproduces a customer's archive from a ticket ("Excel CSV
in cp1251 with 8-prefixed numbers, zipped on a Mac") with one command line,
and the same command line gives the same bytes on any machine: every value
that could vary (names, numbers, the name's timestamp) comes from ``--seed``
and ``--at``, never from the clock, unless ``--at now`` asks for it.

Faults are of two kinds: the builder's container faults (``builder.FAULTS``)
and content faults that rewrite the first data row (``CONTENT_FAULTS``) or
change the layout (``LAYOUT_FAULTS``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from smsftp.conformance.client import fakedata
from smsftp.conformance.client.builder import DEFAULT_TEMPLATE, FAULTS, ArchiveSpec
from smsftp.conformance.errors import ConformanceError

DEFAULT_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
DEFAULT_PLAIN_TEXT = "#attr1#, ваш заказ готов к выдаче."
NEWLINES = {"crlf": "\r\n", "lf": "\n", "cr": "\r"}

CONTENT_FAULTS: dict[str, str] = {
    "leading-8": "the first recipient written with a leading 8: 89031234567 (Q8)",
    "plus-prefix": "the first recipient written with a plus: +79031234567 (Q8)",
    "excel-sci": "the first recipient in Excel's scientific notation: 7.9031234567E+10 (Q8)",
    "formatting": "the first recipient formatted for people: 7 (903) 123-45-67 (Q8)",
    "bad-phone": "the first recipient one digit short (C2)",
    "empty-phone": "the first recipient's phone left empty (C2)",
    "letters-phone": "a surname in the first recipient's phone column (C2)",
    "duplicate-phone": "the second recipient has the first one's number (Q26)",
}
LAYOUT_FAULTS: dict[str, str] = {
    "root-files": "the files at the archive's root, not in the folder sms (Q4)",
    "cp866-names": "a Cyrillic plain file name (рассылка.txt) in cp866, no UTF-8 flag (Q23, plain mode)",
    "template-two-rows": "template.csv with two data rows (M1, Q14)",
    "template-no-rows": "template.csv with a header only (M1, Q14)",
    "no-contacts": "a header without any recipient (Q25)",
    "truncated": "same as truncate",
    "corrupt": "same as corrupt-crc",
}
ALIASES = {"truncated": "truncate", "corrupt": "corrupt-crc"}
ALL_FAULTS: dict[str, str] = {**CONTENT_FAULTS, **LAYOUT_FAULTS, **FAULTS}
_FIELD = re.compile(r"#attr(\d+)#")


class FixtureError(ConformanceError, ValueError):
    """The parameters contradict each other; the message says which."""


@dataclass(frozen=True)
class FixtureParams:
    mode: str = "template"
    contacts: int = 10
    message: str | None = None
    sender: str = "TESTSMS"
    template_fields: tuple[tuple[str, str], ...] = ()  # extra template.csv columns: validity, senddate, ...
    encoding: str = "utf-8"
    newline: str = "crlf"
    bom: bool = False
    faults: tuple[str, ...] = ()
    seed: int = 0
    at: datetime = DEFAULT_AT
    timezone: str = "Europe/Moscow"
    login: str = "guest"
    password: str | None = None


@dataclass(frozen=True)
class FixtureRecipe:
    params: FixtureParams
    spec: ArchiveSpec
    rows: int  # data rows the stream will yield

    def rows_iter(self) -> Iterator[tuple[str, ...]]:
        return _rows(self.params, self.spec)


def stamp_for(at: datetime, timezone: str) -> str:
    """The name's ``YYYYMMDDhhmmss``: the instant on the client's wall clock (Z1)."""
    return at.astimezone(ZoneInfo(timezone)).strftime("%Y%m%d%H%M%S")


def _columns(message: str) -> tuple[str, ...]:
    used = [int(n) for n in _FIELD.findall(message)]
    return ("phone", *(f"attr{i}" for i in range(1, max([2, *used]) + 1)))


def recipe(params: FixtureParams) -> FixtureRecipe:
    """The spec for ``params``; raises ``FixtureError`` for contradictions and unknown faults."""
    unknown = [f for f in params.faults if f not in ALL_FAULTS]
    if unknown:
        raise FixtureError(f"unknown fault(s): {', '.join(unknown)}; see --help for the list")
    if params.mode not in ("template", "plain"):
        raise FixtureError(f"--mode must be template or plain, not {params.mode!r}")
    if params.newline not in NEWLINES:
        raise FixtureError(f"--newline must be one of {', '.join(NEWLINES)}")
    faults = set(params.faults)
    if "cp866-names" in faults and params.mode != "plain":
        raise FixtureError("cp866-names needs --mode plain: template mode's file names are plain ASCII")
    if params.bom and params.encoding != "utf-8":
        raise FixtureError(f"--bom writes a UTF-8 byte-order mark; it cannot go with --encoding {params.encoding}")
    if params.contacts < 0:
        raise FixtureError("--contacts must be 0 or more")
    builder_faults = tuple(dict.fromkeys(ALIASES.get(f, f) for f in params.faults if ALIASES.get(f, f) in FAULTS))
    template_rows = 2 if "template-two-rows" in faults else 0 if "template-no-rows" in faults else 1
    message = (
        params.message
        if params.message is not None
        else (dict(DEFAULT_TEMPLATE)["message"] if params.mode == "template" else DEFAULT_PLAIN_TEXT)
    )
    count = 0 if "no-contacts" in faults else params.contacts
    spec = ArchiveSpec(
        login=params.login,
        stamp=stamp_for(params.at, params.timezone),
        mode="plain" if params.mode == "plain" else "template",
        contacts_header=_columns(message),
        template=(("message", message), ("sourceaddress", params.sender), *params.template_fields),
        template_rows=template_rows,
        plain_name="рассылка.txt" if "cp866-names" in faults else "list.txt",
        plain_header="TELRN_LONG;TEXT",
        encoding=params.encoding,
        bom=params.bom,
        newline=NEWLINES[params.newline],
        folder="" if "root-files" in faults else "sms",
        name_encoding="cp866" if "cp866-names" in faults else "utf-8",
        password=params.password,
        faults=builder_faults,
    )
    return FixtureRecipe(params, spec, count)


def _rows(params: FixtureParams, spec: ArchiveSpec) -> Iterator[tuple[str, ...]]:
    count = 0 if "no-contacts" in params.faults else params.contacts
    message = dict(spec.template_items)["message"]
    if spec.mode == "template":
        rows: Iterator[tuple[str, ...]] = fakedata.contacts(count, seed=params.seed, columns=spec.contacts_header)
    else:
        rows = fakedata.plain_rows(count, seed=params.seed, text=message)
    first: Sequence[str] | None = None
    for index, row in enumerate(rows):
        if index == 0:
            first = row
            row = _spoil_first(row, params.faults)
        elif index == 1 and "duplicate-phone" in params.faults and first is not None:
            row = (first[0], *row[1:])
        yield tuple(row)


def _spoil_first(row: Sequence[str], faults: Sequence[str]) -> tuple[str, ...]:
    phone = row[0]
    for fault in faults:
        if fault in fakedata.MISSPELLINGS:
            phone = fakedata.misspell(row[0], fault)
    return (phone, *row[1:])
