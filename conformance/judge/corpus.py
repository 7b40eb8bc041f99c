"""The corpus: every case's archives with the outcome the document expects, as plain files.

``build_corpus(DIR)`` writes, for each case of ``smsftp.conformance.cases.all_cases()``::

    DIR/index.json              the cases, their archives (name, size, sha256) and where they are
    DIR/<case-id>/expected.json the case: statements, upload options, account, recipes, expected outcome
    DIR/<case-id>/<archive>     the bytes the reference client uploads

An integrator in any language reads ``index.json``, uploads each archive as
``expected.json`` says (binary or ASCII, temporary name or not) and compares
what the platform did with ``expected``.  The format is described by
``fixtures/schema.json`` (JSON Schema 2020-12) and ``fixtures/README.md``.

Expected outcomes come from the case definitions, written from the document's
statements, never from running the simulator.  ``verify_corpus`` checks both
directions: a fresh build gives the same bytes, and the simulator's rules
(``smsftp.simulator.rules.processing.check_archive``) give exactly the expected outcome for
every archive whose outcome is decided by its content alone.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from smsftp.conformance.cases.model import Case, ExpectedArchive, ExpectedMessage, resolve_instant
from smsftp.conformance.client.builder import ascii_mangle
from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    UPLOAD_ABORTED,
    UPLOAD_INCOMPLETE,
    UPLOAD_NO_TEMPORARY_NAME,
    UPLOAD_NOT_ENCRYPTED,
    UPLOAD_NOT_ZIP,
    UPLOAD_REPEATED_NAME,
)
from smsftp.simulator.rules.instants import format_instant
from smsftp.simulator.rules.outcome import ArchiveResult, UploadFacts

FORMAT = "smsftp-corpus"
VERSION = 1
# The instant the offline check processes every archive at: 12:00 in Moscow on the archives'
# default name stamp.  Messages "sent at once" are expected at this instant.
PROCESSING_AT = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MAX_STORED_BYTES = 256 * 1024  # a bigger archive is listed with its sha256 and recipe, not stored
OFFLINE_SCENARIOS = ("standard", "side-channel", "sequential", "p1-timing")
SERVICE_CODES = (
    UPLOAD_INCOMPLETE.code,
    UPLOAD_NOT_ZIP.code,
    UPLOAD_REPEATED_NAME.code,
    UPLOAD_NO_TEMPORARY_NAME.code,
    UPLOAD_NOT_ENCRYPTED.code,
    UPLOAD_ABORTED.code,
)  # only an FTP server sees them
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_ACCOUNT_FIELDS = {f.name for f in fields(Account)} - {"extra"}


def _dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def case_account(case: Case) -> tuple[Account, list[str]]:
    """The demo account with the case's settings, and the settings only a running service knows."""
    return case.account_for(), case.service_settings


def offline_reason(case: Case) -> str | None:
    """Why the rules alone cannot decide this case's outcome (None: they can)."""
    if case.scenario not in OFFLINE_SCENARIOS:
        return f"scenario {case.scenario!r} is about the FTP service, not the archive's content"
    unknown = case_account(case)[1]
    if unknown:
        return f"account settings of the service: {', '.join(unknown)}"
    return None


def _account_json(account: Account) -> dict[str, Any]:
    return {
        f: list(v) if isinstance(v := getattr(account, f), tuple) else v
        for f in sorted(_ACCOUNT_FIELDS - {"password", "senders_known"})
    }


def _recipe_json(recipe: Any) -> dict[str, Any]:
    data: dict[str, Any] = recipe.to_json()
    return data


def expected_document(case: Case, stored: Sequence[bool]) -> dict[str, Any]:
    account, _ = case_account(case)
    doc = case.to_json()
    for entry, keep in zip(doc["archives"], stored, strict=True):
        entry["file"] = entry["name"] if keep else None
    return {
        "$schema": "../schema.json",
        "format": FORMAT,
        "version": VERSION,
        **doc,
        "processing_at": format_instant(PROCESSING_AT),
        "offline": offline_reason(case) is None,
        "offline_note": offline_reason(case),
        "account_settings": _account_json(account),
        "recipes": [_recipe_json(r) for r in case.recipes],
    }


@dataclass
class BuildSummary:
    cases: int = 0
    stored: int = 0
    omitted: list[str] = field(default_factory=list)  # "case/archive (size)"
    total_bytes: int = 0


def build_corpus(
    directory: str | Path, cases: Iterable[Case] | None = None, *, max_stored: int = MAX_STORED_BYTES
) -> BuildSummary:
    """Write the corpus into ``directory`` (created; stale case folders removed)."""
    root = Path(directory)
    root.mkdir(parents=True, exist_ok=True)
    chosen = list(cases) if cases is not None else _all_cases()
    summary = BuildSummary()
    index_cases: list[dict[str, Any]] = []
    for case in chosen:
        if not _SAFE_ID.fullmatch(case.id):
            raise ValueError(f"case id {case.id!r} cannot be a folder name")
        folder = root / case.id
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir()
        built = case.archives()
        stored = [len(data) <= max_stored for _, data in built]
        for (name, data), keep in zip(built, stored, strict=True):
            if keep:
                (folder / name).write_bytes(data)
                summary.stored += 1
                summary.total_bytes += len(data)
            else:
                summary.omitted.append(f"{case.id}/{name} ({len(data):,} bytes)")
        doc = expected_document(case, stored)
        (folder / "expected.json").write_bytes(_dump(doc))
        index_cases.append(
            {
                "id": case.id,
                "description": case.description,
                "statements": list(case.statements),
                "path": case.id,
                "offline": doc["offline"],
                "archives": doc["archives"],
            }
        )
        summary.cases += 1
    known = {c["id"] for c in index_cases}
    for stale in root.iterdir():
        if stale.is_dir() and stale.name not in known and (stale / "expected.json").exists():
            shutil.rmtree(stale)
    index = {
        "$schema": "schema.json",
        "format": FORMAT,
        "version": VERSION,
        "processing_at": format_instant(PROCESSING_AT),
        "zlib": zlib.ZLIB_RUNTIME_VERSION,
        "faker": _faker_version(),  # the names in the archives come from it: another version, other bytes
        "cases": index_cases,
    }
    (root / "index.json").write_bytes(_dump(index))
    return summary


def _faker_version() -> str:
    from smsftp.conformance.client.fakedata import faker_version

    return faker_version()


def _all_cases() -> list[Case]:
    from smsftp.conformance.cases import all_cases

    return list(all_cases())


# --- verification ----------------------------------------------------------------------------------


@dataclass
class Problem:
    case: str
    archive: str | None
    what: str

    def __str__(self) -> str:
        return f"{self.case}{'/' + self.archive if self.archive else ''}: {self.what}"


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    checked: int = 0  # archives whose outcome was compared
    skipped: list[str] = field(default_factory=list)  # cases whose outcome needs the service
    zlib_differs: bool = False
    faker_differs: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems


def _resolve(value: Any, zone: ZoneInfo) -> str:
    at = resolve_instant(value, zone, PROCESSING_AT)
    assert at is not None  # the corpus knows its processing instant
    return format_instant(at)


def _expected_tuple(m: ExpectedMessage, zone: ZoneInfo) -> tuple[Any, ...]:
    return (m.phone, m.text, m.sender, _resolve(m.send_at, zone), _resolve(m.expires_at, zone), m.segments, m.encoding)


def compare_outcome(expected: ExpectedArchive, result: ArchiveResult, zone: ZoneInfo | None = None) -> list[str]:
    """Every way ``result`` differs from ``expected``; codes only the FTP service can add are not asked."""
    out: list[str] = []
    if result.status not in expected.status.split("|"):
        out.append(f"status {result.status}, expected {expected.status}")
    seen = {d.code for d in result.diagnostics}
    for wanted in expected.codes:
        options = [c for c in wanted.split("|") if c not in SERVICE_CODES]
        if options and not seen.intersection(options):
            out.append(f"diagnostic {wanted} expected; got {', '.join(sorted(seen)) or 'none'}")
    count = expected.message_count
    if count is not None and result.message_count != count:
        out.append(f"{result.message_count} message(s), expected {count}")
    if expected.messages is not None and result.messages is not None:
        got = [
            (m.phone, m.text, m.sender, format_instant(m.send_at), format_instant(m.expires_at), m.segments, m.encoding)
            for m in result.messages
        ]
        want = [_expected_tuple(m, zone or ZoneInfo(Account(login="").timezone)) for m in expected.messages]
        for i, (g, w) in enumerate(zip(got, want, strict=False)):
            if g != w:
                out.append(f"message {i + 1}: got {g}, expected {w}")
        if len(got) != len(want):
            out.append(f"{len(got)} message(s) rendered, expected {len(want)}")
    return out


def check_case_outcome(case: Case, archives: Sequence[tuple[str, bytes]]) -> list[Problem]:
    """Run the rules on each archive of ``case`` as the platform would receive it, and compare.

    An ASCII-mode upload (Q27) is judged on the bytes a server stores after TYPE A, with the
    upload facts the journal would record.
    """
    from smsftp.simulator.rules.processing import process_archive

    account, _ = case_account(case)
    facts = UploadFacts(transfer_type="I" if case.upload.binary else "A")
    problems: list[Problem] = []
    for (name, data), expected in zip(archives, case.expected.archives, strict=True):
        if expected.status == "ignored":
            continue  # not a .zip: the poller leaves it alone (Q15); nothing for the rules to judge
        received = data if case.upload.binary else ascii_mangle(data)
        try:
            result = process_archive(name, received, account, PROCESSING_AT, upload=facts).result(keep_messages=True)
        except Exception as exc:  # the rules must never crash on input: that is a finding, not our failure
            problems.append(Problem(case.id, name, f"the rules crashed: {exc!r}"))
            continue
        problems.extend(Problem(case.id, name, what) for what in compare_outcome(expected, result, account.zone))
    return problems


def verify_corpus(directory: str | Path, cases: Iterable[Case] | None = None, *, outcomes: bool = True) -> VerifyReport:
    """Rebuild every case and compare with ``directory``; then judge every archive with the rules."""
    root = Path(directory)
    report = VerifyReport()
    index_path = root / "index.json"
    if not index_path.exists():
        report.problems.append(Problem("index.json", None, f"missing in {root}"))
        return report
    index = json.loads(index_path.read_text("utf-8"))
    report.zlib_differs = index.get("zlib") != zlib.ZLIB_RUNTIME_VERSION
    report.faker_differs = index.get("faker") != _faker_version()
    chosen = list(cases) if cases is not None else _all_cases()
    listed = {c["id"]: c for c in index.get("cases", [])}
    for case in chosen:
        entry = listed.pop(case.id, None)
        if entry is None:
            report.problems.append(Problem(case.id, None, "not in the corpus: rebuild it"))
            continue
        built = case.archives()
        report.problems.extend(_compare_files(root / case.id, case, built))
        if not outcomes:
            continue
        reason = offline_reason(case)
        if reason is not None:
            report.skipped.append(f"{case.id}: {reason}")
            continue
        report.problems.extend(check_case_outcome(case, built))
        report.checked += len(built)
    for stale in listed:
        report.problems.append(Problem(stale, None, "in the corpus but no longer a case: rebuild it"))
    return report


def _compare_files(folder: Path, case: Case, built: Sequence[tuple[str, bytes]]) -> list[Problem]:
    problems: list[Problem] = []
    expected_path = folder / "expected.json"
    if not expected_path.exists():
        return [Problem(case.id, None, "expected.json is missing")]
    doc = json.loads(expected_path.read_text("utf-8"))
    stored = [entry.get("file") is not None for entry in doc.get("archives", [])]
    if len(stored) != len(built):
        return [Problem(case.id, None, f"{len(stored)} archive(s) listed, the case builds {len(built)}")]
    if expected_path.read_bytes() != _dump(expected_document(case, stored)):
        problems.append(Problem(case.id, None, "expected.json differs from a fresh build"))
    for (name, data), keep in zip(built, stored, strict=True):
        path = folder / name
        if keep and not path.exists():
            problems.append(Problem(case.id, name, "archive missing"))
        elif keep and path.read_bytes() != data:
            problems.append(
                Problem(
                    case.id,
                    name,
                    f"bytes differ from a fresh build (sha256 "
                    f"{hashlib.sha256(path.read_bytes()).hexdigest()[:12]} vs "
                    f"{hashlib.sha256(data).hexdigest()[:12]})",
                )
            )
    return problems
