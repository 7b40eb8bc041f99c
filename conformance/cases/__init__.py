"""The conformance cases: one catalogue for the suite, the corpus and ``smsftp fixture``.

Contract (the suite, the corpus builder and the docs rely on exactly this)
-------------------------------------------------------------------------
``all_cases()`` returns every ``Case`` in a stable order (by module, then as
written).  A ``Case`` has:

``id``
    Permanent, explicit, never derived from a position: ``<statement>-<slug>``
    such as ``Q8-leading-8``.  An id whose case is dropped goes to
    ``RETIRED_IDS`` and is never used again (a test keeps both rules).
``description``
    One line, what happens, in the present tense.
``statements``
    Tuple of statement ids (``T1``...``N6``, ``Q1``...``Q30``) that the case checks.
``archives(login=None)``
    ``[(filename, bytes), ...]``: every file the case uploads, in upload order;
    the same bytes on every call and every machine.  Archive names use
    ``login`` (default: ``case.login``, ``guest`` unless the case needs its own
    account).  ``recipes`` holds the ``ArchiveSpec`` (or ``RawFile``) of each.
``expected``
    An ``Expected``: ``.archives`` holds one ``ExpectedArchive`` per file, in
    upload order, each with ``.status`` (``accepted`` | ``rejected`` |
    ``ignored``: not an archive, left in the folder), ``.codes`` (diagnostic
    codes that must all appear; ``"SMS212|SMS213"`` means either),
    ``.messages`` (the exact ``ExpectedMessage`` s: phone, text, sender,
    send_at, expires_at, segments, encoding; ``None`` when only ``.count``
    is checked).  ``send_at``/``expires_at`` are aware UTC datetimes, or
    ``AfterProcessing(minutes)`` for "that many minutes after the platform
    processed the archive" (sent at once: ``AfterProcessing(0)``; its JSON is
    ``"processing+0m"``), or ``ClientTime(naive)`` for a wall-clock time in
    the account's own zone (C3, M5: resolved with the target's account zone).
    ``expected.status``, ``.codes`` and ``.messages`` give the same per archive
    as tuples.  ``.order``: the processing order as
    indices into ``.archives``, or ``None``.  ``case.folder_after(login)``: the
    names left in the folder afterwards (usually none: P2).
``upload``
    ``UploadOptions``: ``binary`` (TYPE I, else TYPE A), ``temp_name`` (None,
    ``"auto"`` = name + ``.part`` then rename), ``tls`` (None = the target's
    default), ``passive``.
``informational``
    True for a probe of an open question: the target's behaviour is recorded;
    on the live platform a difference is INFORMATIONAL, not FAILED.
``needs_clock``
    The outcome depends on time (P1 timing, send dates, validity): the
    simulator runs it under its frozen clock.
``scenario``
    How the files are uploaded and observed (``model.SCENARIOS``).
``account``
    Account settings beyond the demo account (``guest``/``guest``, sender
    ``TESTSMS``) as (key, value) pairs; ``sim_only`` says why a case cannot run
    against the live platform (another account, R1's web page).
    ``case.account_for(login)`` is the ``Account`` the case runs on: the demo
    account approving ``case.sender`` with those settings (the simulator target
    and the corpus both use it).
``sender``
    The approved sender the case assumes (``TESTSMS``); a live run puts the
    tester's own in its place, and the tester's numbers in place of the sample
    numbers (``smsftp.conformance.live.localize``).  Numbers in odd spellings are written
    with ``spellings`` (``domestic(PHONE_B)``, never ``"8916..."``), and raw
    text with numbers as ``RawRows``, so that the rewrite keeps the spelling.

Expected outcomes are written by hand from ``statements.md`` and its
documented defaults, never recorded from the simulator.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from smsftp.conformance.cases.container import CASES as _CONTAINER
from smsftp.conformance.cases.model import (
    AT_ONCE,
    SCENARIOS,
    AfterProcessing,
    Case,
    ClientTime,
    Expected,
    ExpectedArchive,
    ExpectedMessage,
    RawFile,
    RawRows,
    UploadOptions,
    sms,
)
from smsftp.conformance.cases.plain import CASES as _PLAIN
from smsftp.conformance.cases.recipients import CASES as _RECIPIENTS
from smsftp.conformance.cases.template import CASES as _TEMPLATE
from smsftp.conformance.cases.transport import CASES as _TRANSPORT

__all__ = [
    "AT_ONCE",
    "OPEN_QUESTIONS",
    "RETIRED_IDS",
    "SCENARIOS",
    "STATEMENT_IDS",
    "AfterProcessing",
    "Case",
    "ClientTime",
    "Expected",
    "ExpectedArchive",
    "ExpectedMessage",
    "RawFile",
    "RawRows",
    "UploadOptions",
    "all_cases",
    "get_case",
    "select_cases",
    "sms",
]

# The statement ids of ../shared/spec/statements.md, and the project's own (M7, Q28-Q30:
# statements.PROJECT_ADDED); tests/test_cases.py keeps this list equal to both.
STATEMENT_IDS: tuple[str, ...] = (
    "T1",
    "T2",
    "T3",
    "T4",
    "P1",
    "P2",
    "P3",
    "P4",
    "R1",
    "Z1",
    "Z2",
    "Z3",
    "Z4",
    "Z5",
    "C1",
    "C2",
    "C3",
    "C4",
    "M1",
    "M2",
    "M3",
    "M4",
    "M5",
    "M6",
    "M7",
    "N1",
    "N2",
    "N3",
    "N4",
    "N5",
    "N6",
)
OPEN_QUESTIONS: tuple[str, ...] = tuple(f"Q{n}" for n in range(1, 31))

# Ids of cases that were dropped. Never reuse one: reports and tickets that cite it must stay unambiguous.
RETIRED_IDS: frozenset[str] = frozenset(
    {
        "Q20-too-long",  # 17,085 characters: now beyond the 2000-character cap (Q20); see Q20-255-parts
    }
)

_ALL: tuple[Case, ...] = (*_TRANSPORT, *_CONTAINER, *_TEMPLATE, *_RECIPIENTS, *_PLAIN)
_BY_ID = {case.id: case for case in _ALL}


def all_cases() -> tuple[Case, ...]:
    return _ALL


def get_case(case_id: str) -> Case:
    """The case with this id; ``KeyError`` names the nearest ids when there is none."""
    try:
        return _BY_ID[case_id]
    except KeyError:
        near = [i for i in _BY_ID if i.split("-")[0] == case_id.split("-")[0]]
        raise KeyError(
            f"no case {case_id!r}" + (f"; cases of {case_id.split('-')[0]}: {', '.join(near)}" if near else "")
        ) from None


def _globs(patterns: Iterable[str]) -> list[str]:
    return [p.strip() for item in patterns for p in item.split(",") if p.strip()]


def select_cases(include: Iterable[str] = (), exclude: Iterable[str] = ()) -> list[Case]:
    """Cases whose id matches any ``include`` glob (all when none) and no ``exclude`` glob.

    Globs may be comma-separated; matching is case-sensitive, as ids are.
    """
    wanted, unwanted = _globs(include), _globs(exclude)
    return [
        c
        for c in _ALL
        if (not wanted or any(fnmatch.fnmatchcase(c.id, g) for g in wanted))
        and not any(fnmatch.fnmatchcase(c.id, g) for g in unwanted)
    ]
