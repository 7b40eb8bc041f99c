"""Verdicts: what the target did compared with what the spec expects, with the evidence.

Six verdicts, after what a conformance report needs to say:

OK              the target did what the document says.
NON-STRICT      legal, but not what the document says best (an archive
                processed one poll late, a poll interval other than 10 s);
                fails only under ``--sms-strict``.
INFORMATIONAL   the document is silent (an open question) or the target does
                not show enough to judge (content on live without an outcome
                source): what happened is recorded, nothing is passed.
FAILED          the target contradicts the document (or, on the simulator, its
                own documented default for an open question).
SKIPPED-SAFETY  a live guard refused an upload (a number outside the
                allow-list, the budget): the case did not run.
ERROR           could not observe: the connection was refused, reset or
                timed out, or TLS failed, while the case ran.  Says nothing
                about the document; fails the run, never as FAILED.

(``SKIPPED`` marks a case that cannot run on this target at all, such as R1 on
live; it is not a verdict on the target.)

``judge`` compares aspect by aspect and keeps every ``Finding``: the status of
each archive, its diagnostic codes, its messages, the processing order, the
folder afterwards, and the scenario's own checks (timing, login refusal...).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from itertools import pairwise
from typing import Any, Literal
from zoneinfo import ZoneInfo

from smsftp.conformance.cases import AfterProcessing, Case, ClientTime, ExpectedArchive, ExpectedMessage
from smsftp.simulator.rules.instants import format_instant, parse_instant

Kind = Literal["match", "mismatch", "lenient", "unverifiable"]
_SECOND = timedelta(seconds=1)


class Outcome(StrEnum):
    OK = "OK"
    NON_STRICT = "NON-STRICT"
    INFORMATIONAL = "INFORMATIONAL"
    FAILED = "FAILED"
    SKIPPED_SAFETY = "SKIPPED-SAFETY"
    SKIPPED = "SKIPPED"
    ERROR = "ERROR"


@dataclass(frozen=True)
class Finding:
    """One aspect compared: what was expected, what was seen, and how they relate."""

    aspect: str  # "archive 1 status", "order", "folder", "timing", ...
    kind: Kind
    expected: Any = None
    observed: Any = None
    detail: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "aspect": self.aspect,
            "kind": self.kind,
            "expected": self.expected,
            "observed": self.observed,
            "detail": self.detail,
        }

    def line(self) -> str:
        text = f"[{self.kind}] {self.aspect}"
        if self.kind != "match":
            text += f": expected {self.expected!r}, observed {self.observed!r}"
        return text + (f" ({self.detail})" if self.detail else "")


@dataclass
class ArchiveObservation:
    """What the target showed of one uploaded file; ``None`` means "not observable here"."""

    name: str
    size: int
    sha256: str
    transcript: dict[str, Any] | None = None
    refused: str | None = None  # the safety guard's reason
    upload_error: str | None = None
    gone: bool | None = None  # left the folder (processed) before the deadline
    seconds: float | None = None  # from the end of the upload until it was gone
    status: str | None = None
    codes: tuple[str, ...] | None = None
    messages: list[dict[str, Any]] | None = None
    window: tuple[datetime, datetime] | None = None  # when it was processed, at the earliest and latest
    sequence: float | None = None  # orders the processing of the case's archives
    message_ids: list[int] | None = None

    @classmethod
    def of(cls, name: str, data: bytes) -> ArchiveObservation:
        return cls(name, len(data), hashlib.sha256(data).hexdigest())

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "size": self.size,
            "sha256": self.sha256,
            "refused": self.refused,
            "upload_error": self.upload_error,
            "gone": self.gone,
            "seconds": round(self.seconds, 3) if self.seconds is not None else None,
            "status": self.status,
            "codes": list(self.codes) if self.codes is not None else None,
            "messages": [_short(m) for m in self.messages] if self.messages is not None else None,
            "window": [format_instant(w) for w in self.window] if self.window else None,
            "transcript": self.transcript,
        }


@dataclass
class Observation:
    """Everything one run of a case showed."""

    target: str  # "sim" or "live"
    archives: list[ArchiveObservation] = field(default_factory=list)
    folder_after: list[str] | None = None
    checks: list[Finding] = field(default_factory=list)  # the scenario's own comparisons
    notes: list[str] = field(default_factory=list)
    poll_interval: float = 10.0
    zone: str = "Europe/Moscow"  # the account's own time zone: ``ClientTime`` expectations are read in it

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "archives": [a.to_json() for a in self.archives],
            "folder_after": self.folder_after,
            "notes": self.notes,
        }


@dataclass
class Verdict:
    case: Case
    outcome: Outcome
    reason: str
    findings: list[Finding]
    observation: Observation
    login: str = "guest"
    duration: float = 0.0

    def fails(self, strict: bool) -> bool:
        """FAILED and ERROR fail the run (a case that could not be observed was not passed)."""
        return self.outcome in (Outcome.FAILED, Outcome.ERROR) or (strict and self.outcome is Outcome.NON_STRICT)

    def text(self) -> str:
        """A readable account for the test's failure message and the terminal."""
        lines = [
            f"{self.case.id}: {self.outcome} - {self.reason}",
            f"  {self.case.description}",
            f"  statements: {', '.join(self.case.statements)}; target: {self.observation.target}",
        ]
        lines += [f"  {f.line()}" for f in self.findings if f.kind != "match"]
        for archive in self.observation.archives:
            lines.append(f"  archive {archive.name} ({archive.size} bytes, sha256 {archive.sha256[:16]}...)")
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {
            "case": self.case.id,
            "description": self.case.description,
            "statements": list(self.case.statements),
            "informational": self.case.informational,
            "target": self.observation.target,
            "outcome": self.outcome.value,
            "reason": self.reason,
            "duration": round(self.duration, 3),
            "findings": [f.to_json() for f in self.findings],
            "expected": _shortened(
                {
                    **self.case.expected.to_json(self.login, ZoneInfo(self.observation.zone)),
                    "folder_after": list(self.case.folder_after(self.login)),
                }
            ),
            "observed": self.observation.to_json(),
            "upload": self.case.upload.to_json(),
        }


def skipped(
    case: Case,
    target: str,
    reason: str,
    *,
    safety: bool = False,
    login: str = "guest",
    observation: Observation | None = None,
) -> Verdict:
    outcome = Outcome.SKIPPED_SAFETY if safety else Outcome.SKIPPED
    return Verdict(case, outcome, reason, [], observation or Observation(target), login)


def unobserved(
    case: Case, observation: Observation, reason: str, *, login: str = "guest", duration: float = 0.0
) -> Verdict:
    """ERROR: the harness lost sight of the target (transport, TLS); what was seen so far is kept."""
    return Verdict(case, Outcome.ERROR, f"could not observe: {reason}", [], observation, login, duration)


# --- comparisons ---------------------------------------------------------------------------------------
def _instant_matches(
    expected: datetime | AfterProcessing | ClientTime,
    observed: datetime,
    window: tuple[datetime, datetime] | None,
    zone: ZoneInfo,
) -> bool:
    if isinstance(expected, ClientTime):
        return observed == expected.resolve(zone)
    if not isinstance(expected, AfterProcessing):
        return observed == expected
    if window is None:
        return False
    # Instants are whole seconds on the wire: allow the second the processing instant was cut to.
    base = observed - timedelta(minutes=expected.minutes)
    return window[0] - _SECOND <= base <= window[1] + _SECOND


def _message_matches(
    e: ExpectedMessage, o: dict[str, Any], window: tuple[datetime, datetime] | None, zone: ZoneInfo
) -> bool:
    try:
        send_at, expires_at = parse_instant(str(o["send_at"])), parse_instant(str(o["expires_at"]))
        plain = (o["phone"], o["text"], o["sender"], int(o["segments"]))
    except (KeyError, ValueError, TypeError):
        return False
    if plain != (e.phone, e.text, e.sender, e.segments):
        return False
    if "encoding" in o and o["encoding"] != e.encoding:
        return False
    # Both relative: the lifetime between them is exact, whatever the window.
    if (
        isinstance(e.send_at, AfterProcessing)
        and isinstance(e.expires_at, AfterProcessing)
        and expires_at - send_at != timedelta(minutes=e.expires_at.minutes - e.send_at.minutes)
    ):
        return False
    return _instant_matches(e.send_at, send_at, window, zone) and _instant_matches(
        e.expires_at, expires_at, window, zone
    )


def _short(message: dict[str, Any]) -> dict[str, Any]:
    """A message as evidence: its fields, a very long text cut (the report stays readable)."""
    keep = ("phone", "text", "sender", "send_at", "expires_at", "segments", "encoding")
    out = {k: message.get(k) for k in keep}
    if isinstance(out["text"], str) and len(out["text"]) > 200:
        out["text"] = out["text"][:60] + f"... ({len(out['text'])} characters)"
    return out


def _shortened(expected: dict[str, Any]) -> dict[str, Any]:
    for archive in expected["archives"]:
        if archive["messages"] is not None:
            archive["messages"] = [_short(m) for m in archive["messages"]]
    return expected


def compare_messages(
    expected: Sequence[ExpectedMessage],
    observed: Sequence[dict[str, Any]],
    window: tuple[datetime, datetime] | None,
    zone: str = "Europe/Moscow",
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(expected messages not seen, seen messages not expected); both empty means an exact match.

    ``zone`` is the account's own time zone, in which ``ClientTime`` expectations are read.
    """
    where = ZoneInfo(zone)
    left = list(observed)
    missing: list[dict[str, Any]] = []
    for e in expected:
        hit = next((i for i, o in enumerate(left) if _message_matches(e, o, window, where)), None)
        if hit is None:
            missing.append(e.to_json())
        else:
            left.pop(hit)
    return missing, [_short(o) for o in left]


def _codes_missing(expected: Sequence[str], observed: Sequence[str]) -> list[str]:
    seen = set(observed)
    return [c for c in expected if not any(alt in seen for alt in c.split("|"))]


def _archive_findings(index: int, e: ExpectedArchive, o: ArchiveObservation, zone: str) -> list[Finding]:
    label = f"archive {index + 1} ({o.name})"
    found: list[Finding] = []
    if e.status == "ignored":
        kind: Kind = "match" if o.gone is False else "mismatch"
        return [Finding(f"{label} left in the folder", kind, True, not o.gone)]
    if o.gone is not None:
        found.append(Finding(f"{label} processed and deleted (P2)", "match" if o.gone else "mismatch", True, o.gone))
    if o.status is None:
        found.append(Finding(f"{label} status", "unverifiable", e.status, None, "not observable on this target"))
    else:
        ok = o.status in e.status.split("|")  # "accepted|rejected": the document leaves it open (Q9)
        found.append(Finding(f"{label} status", "match" if ok else "mismatch", e.status, o.status))
    if o.codes is not None and e.codes:
        missing = _codes_missing(e.codes, o.codes)
        found.append(
            Finding(
                f"{label} diagnostic codes",
                "mismatch" if missing else "match",
                list(e.codes),
                list(o.codes),
                f"missing {', '.join(missing)}" if missing else "",
            )
        )
    if o.messages is None:
        if e.status.startswith("accepted"):
            found.append(
                Finding(
                    f"{label} messages",
                    "unverifiable",
                    e.message_count,
                    None,
                    "content not verifiable on this target (no outcome source)",
                )
            )
        return found
    if e.messages is not None:
        missing_m, unexpected = compare_messages(e.messages, o.messages, o.window, zone)
        kind = "mismatch" if missing_m or unexpected else "match"
        found.append(
            Finding(
                f"{label} messages",
                kind,
                {"missing": missing_m} if missing_m else len(e.messages),
                {"unexpected": unexpected} if unexpected else len(o.messages),
            )
        )
    elif e.count is not None:
        kind = "match" if len(o.messages) == e.count else "mismatch"
        found.append(Finding(f"{label} message count", kind, e.count, len(o.messages)))
    return found


def _one_at_a_time_finding(case: Case, observation: Observation) -> Finding | None:
    """P4: every message of an archive was stored before any of the next one's (when ids are seen)."""
    order = case.expected.order
    if order is None or len(order) < 2:
        return None
    spans: list[tuple[int, int]] = []
    for index in order:
        messages = observation.archives[index].messages if index < len(observation.archives) else None
        ids = [m["id"] for m in messages or () if isinstance(m.get("id"), int)]
        if not ids or len(ids) != len(messages or ()):
            return None  # not observable: no message ids
        spans.append((min(ids), max(ids)))
    apart = all(earlier[1] < later[0] for earlier, later in pairwise(spans))
    return Finding(
        "one archive after the other, messages not interleaved (P4)",
        "match" if apart else "mismatch",
        "each archive's messages before the next one's",
        [list(span) for span in spans],
        "message id ranges in processing order",
    )


def _order_finding(case: Case, observation: Observation) -> Finding | None:
    order = case.expected.order
    if order is None:
        return None
    keys = [a.sequence for a in observation.archives]
    if any(k is None for k in keys):
        return Finding("processing order (P3)", "unverifiable", list(order), None, "order not observable")
    seen = sorted(range(len(keys)), key=lambda i: keys[i] or 0.0)
    if len(set(keys)) < len(keys):
        return Finding(
            "processing order (P3)",
            "unverifiable",
            list(order),
            seen,
            "the archives' processing could not be told apart",
        )
    return Finding("processing order (P3)", "match" if tuple(seen) == order else "mismatch", list(order), seen)


def _decide(case: Case, target: str, findings: Sequence[Finding]) -> tuple[Outcome, str]:
    def first(kind: Kind) -> Finding | None:
        return next((f for f in findings if f.kind == kind), None)

    mismatch, lenient, unverifiable = first("mismatch"), first("lenient"), first("unverifiable")
    if mismatch is not None:
        if case.informational and target != "sim":
            return Outcome.INFORMATIONAL, f"open question: the target went another way ({mismatch.aspect})"
        return Outcome.FAILED, mismatch.line()
    if lenient is not None:
        return Outcome.NON_STRICT, lenient.line()
    if case.informational:
        return Outcome.INFORMATIONAL, "open question: the target follows the simulator's documented default"
    if unverifiable is not None:
        return Outcome.INFORMATIONAL, f"not verifiable on {target}: {unverifiable.aspect}"
    return Outcome.OK, "as the document says"


def judge(case: Case, observation: Observation, *, login: str = "guest", duration: float = 0.0) -> Verdict:
    """Compare every aspect and decide the verdict; the evidence travels with it."""
    refused = [a for a in observation.archives if a.refused]
    if refused:
        return Verdict(case, Outcome.SKIPPED_SAFETY, refused[0].refused or "refused", [], observation, login, duration)
    findings: list[Finding] = []
    for index, (expected, observed) in enumerate(zip(case.expected.archives, observation.archives, strict=False)):
        if observed.upload_error:
            findings.append(Finding(f"archive {index + 1} upload", "mismatch", "uploaded", observed.upload_error))
            continue
        findings.extend(_archive_findings(index, expected, observed, observation.zone))
    order = _order_finding(case, observation)
    if order is not None:
        findings.append(order)
    apart = _one_at_a_time_finding(case, observation)
    if apart is not None:
        findings.append(apart)
    if observation.folder_after is not None:
        want = sorted(case.folder_after(login))
        got = sorted(observation.folder_after)
        findings.append(Finding("folder afterwards", "match" if want == got else "mismatch", want, got))
    findings.extend(observation.checks)
    outcome, reason = _decide(case, observation.target, findings)
    return Verdict(case, outcome, reason, findings, observation, login, duration)
