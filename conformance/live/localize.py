"""Putting a case onto the tester's own numbers and sender, for a run on a real account.

The catalogue's archives send to the document's example numbers
(``samples.SAMPLE_NUMBERS``) from the document's sender ``TESTSMS``.  On a real
platform the allow-list holds the tester's own phones and the account has its
own approved sender, so before a case is built the run rewrites it
(``Localization.apply``):

numbers
    Sample number *i* becomes the tester's number *i mod n*, the same in every
    case of the run, in the very spelling the case wrote it: every value of the
    recipe (contact cells, plain rows and header, the template's message, the
    rows of a ``RawRows``) is searched for the spellings that
    ``cases.spellings.SPELLINGS`` makes of the samples, and each is replaced by
    the same spelling of the tester's number.  The expected messages' phones
    and texts are rewritten the same way.
sender
    ``TESTSMS`` becomes the tester's approved sender in the templates, the
    expected messages and the case's account; the approved sender in other
    letter case (M3) becomes the tester's in other letter case; the unapproved
    one stays ``NOTAPPROVED``.
login
    Archive names take the run's login anyway (``Case.archives(login)``).

Values that spell no sample (the deliberately invalid ``7903123456``,
``Sidorova``, an empty phone) are left as written.  That is safe because the
rewrite is not the safety guard: the live target's guard (``safety``) reads
every archive *after* the rewrite as a lenient platform would, and refuses
one that could reach any number outside the allow-list.  An invalid value
that a lenient platform could complete into somebody's number (``7903123456``
read as ``77903123456``) therefore makes its case SKIPPED-SAFETY; only values
that reach nobody in any reading (no digits, too few digits) let it run.

A case that cannot be put onto the tester's numbers is SKIPPED-SAFETY, with
the reason: it needs more distinct numbers than the tester gave ("needs 3
distinct numbers, have 2"), or two of its numbers would fall on one of the
tester's, or it uses a spelling the tester's number does not have (``8...``
for a number outside +7), or its outcome depends on the recipient's time zone
(``localtime=1`` with a send date: M6, Q13) and the tester's number is not in
the sample's zone by phonenumbers' data, or its sender or login cannot be
varied as the case needs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

import phonenumbers
from phonenumbers.timezone import UNKNOWN_TIMEZONE, time_zones_for_number

from smsftp.conformance.cases import Case, Expected, ExpectedMessage
from smsftp.conformance.cases.model import DEMO_SENDER, RawRows
from smsftp.conformance.cases.samples import SAMPLE_NUMBERS, SENDER_OTHER_CASE, UNAPPROVED_SENDER
from smsftp.conformance.cases.spellings import SPELLINGS, other_case
from smsftp.conformance.client.builder import ArchiveSpec
from smsftp.conformance.live.safety import parse_numbers
from smsftp.simulator.rules.naming import parse_archive_name
from smsftp.simulator.rules.sender import sender_shape_problem

# Every spelling of every sample number: the text as written -> (sample index, spelling name).
_SPELT: dict[str, tuple[int, str]] = {}
for _index, _number in enumerate(SAMPLE_NUMBERS):
    for _name, _spelling in SPELLINGS.items():
        _shown = _spelling(_number)
        if _shown is not None:
            _SPELT.setdefault(_shown, (_index, _name))
# Longest first, and never inside a longer run of digits: 79031234567 is not found in 779031234567.
_FIND = re.compile(
    "(?<![0-9])(?:" + "|".join(re.escape(s) for s in sorted(_SPELT, key=len, reverse=True)) + ")(?![0-9])"
)
_DIGIT = re.compile(r"\d")


def valid_number(number: str) -> bool:
    try:
        return bool(phonenumbers.is_valid_number(phonenumbers.parse("+" + number)))
    except phonenumbers.NumberParseException:
        return False


def parse_tester_numbers(value: str) -> tuple[str, ...]:
    """``--live-numbers``: the tester's own numbers, in order, any spelling; each must be valid."""
    numbers = parse_numbers(value)
    bad = [n for n in numbers if not valid_number(n)]
    if bad:
        raise ValueError(f"not valid phone numbers (digits in international form expected): {', '.join(bad)}")
    return numbers


def parse_sender(value: str) -> str:
    """``--live-sender``: the account's approved sender, which must have a valid shape (Q10)."""
    sender = value.strip()
    problem = sender_shape_problem(sender) if sender else None
    if problem is not None:
        raise ValueError(f"{sender!r} is not a valid sender: {problem[1]}")
    return sender


def _zones(number: str) -> frozenset[str]:
    try:
        parsed = phonenumbers.parse("+" + number)
    except phonenumbers.NumberParseException:
        return frozenset()
    return frozenset(z for z in time_zones_for_number(parsed) if z != UNKNOWN_TIMEZONE)


def _zone_matters(spec: ArchiveSpec) -> bool:
    """localtime=1 and a send date: the expected send instant follows from the recipient's zone (M6)."""
    items = dict(spec.template_items)
    if items.get("localtime", "").strip() != "1":
        return False
    if items.get("senddate", "").strip():
        return True
    header = [h.strip().lower() for h in spec.contacts_header]
    if "senddate" not in header:
        return False
    column = header.index("senddate")
    return any(column < len(row) and row[column].strip() for row in spec.contacts)


@dataclass(frozen=True)
class Localized:
    """A case ready for the run (``case``), or why it cannot be (``reason``); ``notes`` go in the evidence."""

    case: Case | None
    reason: str | None = None
    notes: tuple[str, ...] = ()


@dataclass
class _Rewrite:
    """One case's rewrite: what it changed, and every reason the case cannot be run this way."""

    numbers: tuple[str, ...]
    sender: str | None
    used: dict[int, set[str]] = field(default_factory=dict)  # sample index -> spellings met
    problems: list[str] = field(default_factory=list)
    as_written: list[str] = field(default_factory=list)

    def number(self, index: int) -> str:
        return self.numbers[index % len(self.numbers)] if self.numbers else SAMPLE_NUMBERS[index]

    def _swap(self, match: re.Match[str]) -> str:
        index, name = _SPELT[match.group(0)]
        self.used.setdefault(index, set()).add(name)
        shown = SPELLINGS[name](self.number(index))
        if shown is None:
            self.problems.append(
                f"it writes a number in the {name} spelling, which your number {self.number(index)} does not have"
            )
            return match.group(0)
        return shown

    def text(self, value: str) -> str:
        return _FIND.sub(self._swap, value) if _DIGIT.search(value) else value

    def phone(self, value: str) -> str:
        """A recipient's cell: a sample's spelling is rewritten; anything else is kept and noted."""
        changed = self.text(value)
        if changed == value and _DIGIT.search(value) and _FIND.search(value) is None:
            self.as_written.append(value)
        return changed

    def sender_value(self, value: str) -> str:
        mine = self.sender
        if mine is None or mine == DEMO_SENDER:
            return value
        if value == DEMO_SENDER:
            return mine
        if value == SENDER_OTHER_CASE:
            varied = other_case(mine)
            if varied is None:
                self.problems.append(f"your sender {mine!r} has no letters whose case could differ (M3)")
                return value
            return varied
        if value == UNAPPROVED_SENDER and value.casefold() == mine.casefold():
            self.problems.append(f"your sender {mine!r} is the one the case uses as approved for nobody")
        return value

    # --- recipes --------------------------------------------------------------------------------
    def rows(self, rows: Iterable[tuple[str, ...]], phone_column: int | None) -> tuple[tuple[str, ...], ...]:
        return tuple(
            tuple(self.phone(v) if i == phone_column else self.text(v) for i, v in enumerate(row)) for row in rows
        )

    def raw(self, data: bytes) -> bytes:
        if isinstance(data, RawRows):
            return data.with_rows(self.rows(data.rows, None))
        return data  # other raw bytes are left as written; the guard reads them like everything else

    def raw_or_none(self, data: bytes | None) -> bytes | None:
        return self.raw(data) if data is not None else None

    def template_value(self, key: str, value: str) -> str:
        if key.strip().lower() == "sourceaddress":
            return self.sender_value(value)
        return self.text(value) if key.strip().lower() == "message" else value

    def spec(self, spec: ArchiveSpec) -> ArchiveSpec:
        header = [h.strip().lower() for h in spec.contacts_header]
        phone_column = header.index("phone") if "phone" in header else None
        return replace(
            spec,
            contacts=self.rows(spec.contacts, phone_column),
            plain_rows=self.rows(spec.plain_rows, 0),
            plain_header=self.text(spec.plain_header) if spec.plain_header is not None else None,
            template=tuple((k, self.template_value(k, v)) for k, v in spec.template_items),
            contacts_raw=self.raw_or_none(spec.contacts_raw),
            template_raw=self.raw_or_none(spec.template_raw),
            plain_raw=self.raw_or_none(spec.plain_raw),
            extra_entries=tuple((name, self.raw(data)) for name, data in spec.extra_entries),
        )

    # --- expectations -----------------------------------------------------------------------------
    def message(self, message: ExpectedMessage) -> ExpectedMessage:
        text = self.text(message.text)
        if len(text) != len(message.text):
            self.problems.append(
                "a message text embeds a number whose length differs from yours, which changes its part count (Q20)"
            )
        return replace(message, phone=self.text(message.phone), text=text, sender=self.sender_value(message.sender))

    def expected(self, expected: Expected) -> Expected:
        return replace(
            expected,
            archives=tuple(
                replace(a, messages=tuple(self.message(m) for m in a.messages) if a.messages is not None else None)
                for a in expected.archives
            ),
        )

    def account(self, settings: tuple[tuple[str, object], ...]) -> tuple[tuple[str, object], ...]:
        out: list[tuple[str, object]] = []
        for key, value in settings:
            if key == "senders" and isinstance(value, tuple | list):
                value = tuple(self.sender_value(v) if isinstance(v, str) else v for v in value)
            elif key == "default_sender" and isinstance(value, str):
                value = self.sender_value(value)
            out.append((key, value))
        return tuple(out)


@dataclass(frozen=True)
class Localization:
    """The run's map: sample number *i* -> ``numbers[i % n]`` (none: kept), ``TESTSMS`` -> ``sender``."""

    numbers: tuple[str, ...] = ()
    sender: str | None = None

    @property
    def identity(self) -> bool:
        numbers_kept = not self.numbers or all(
            self.numbers[i % len(self.numbers)] == n for i, n in enumerate(SAMPLE_NUMBERS)
        )
        return numbers_kept and self.sender in (None, DEMO_SENDER)

    def apply(self, case: Case, login: str) -> Localized:
        """``case`` on the tester's numbers and sender, or the reason it cannot run so (SKIPPED-SAFETY)."""
        problem = login_problem(case, login)
        if problem is not None:
            return Localized(None, problem)
        if self.identity:
            return Localized(case)
        rewrite = _Rewrite(self.numbers, self.sender)
        recipes = tuple(rewrite.spec(r) if isinstance(r, ArchiveSpec) else r for r in case.recipes)
        expected = rewrite.expected(case.expected)
        moved = replace(
            case,
            recipes=recipes,
            expected=expected,
            account=rewrite.account(case.account),
            sender=rewrite.sender_value(case.sender),
            _cache={},
        )
        reason = self._numbers_problem(case, rewrite) or (rewrite.problems[0] if rewrite.problems else None)
        if reason is not None:
            return Localized(None, reason)
        notes = [f"{n} -> {rewrite.number(i)}" for i, n in enumerate(SAMPLE_NUMBERS) if i in rewrite.used]
        out = [f"numbers: {', '.join(notes)}"] if notes else []
        if moved.sender != case.sender:
            out.append(f"sender: {case.sender} -> {moved.sender}")
        if rewrite.as_written:
            out.append(
                "left as written (no sample number's spelling): "
                + ", ".join(repr(v) for v in dict.fromkeys(rewrite.as_written))
            )
        return Localized(moved, None, tuple(out))

    def _numbers_problem(self, case: Case, rewrite: _Rewrite) -> str | None:
        used = sorted(rewrite.used)
        if not self.numbers or not used:
            return None
        have = len(self.numbers)
        if len(used) > have:
            return f"needs {len(used)} distinct numbers, have {have}"
        mine = [rewrite.number(i) for i in used]
        if len(set(mine)) < len(mine):
            return (
                f"needs {len(used)} distinct numbers: samples {', '.join(SAMPLE_NUMBERS[i] for i in used)} "
                f"would become {', '.join(mine)} (sample i -> your number i mod {have})"
            )
        if any(_zone_matters(r) for r in case.recipes if isinstance(r, ArchiveSpec)):
            for index, number in zip(used, mine, strict=True):
                sample = SAMPLE_NUMBERS[index]
                zones, yours = _zones(sample), _zones(number)
                if len(zones) == 1 and yours != zones:
                    return (
                        f"its outcome depends on the recipient's time zone (M6): sample {sample} is in "
                        f"{next(iter(zones))}, your number {number} is not (phonenumbers' data)"
                    )
                if len(zones) != 1 and len(yours) == 1:
                    return (
                        f"its outcome depends on the recipient's time zone (M6, Q13): sample {sample} has "
                        f"no single zone, your number {number} has one ({next(iter(yours))})"
                    )
        return None


def login_problem(case: Case, login: str) -> str | None:
    """Why the case's archive names cannot mean what the case needs under ``login`` (Q3)."""
    for recipe in case.recipes:
        if not isinstance(recipe, ArchiveSpec) or recipe.filename is None:
            continue
        if "{login_swapcase}" in recipe.filename and login.swapcase() == login:
            return f"the login {login!r} has no letters whose case could differ (Q3)"
        if "{login" not in recipe.filename:
            named = parse_archive_name(recipe.filename)
            if named is not None and named.login.casefold() == login.casefold():
                return f"the case names {named.login!r} as another login, but it is the login of this run (Q3)"
    return None
