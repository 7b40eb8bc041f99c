"""Calibration: the INFORMATIONAL probes' observations turned into a profile, and a profile followed.

A probe is a case that runs on the account as it is and whose observation tells which way the
target answers one open question (``PROBES``).  Each reads the verdict's JSON (the form the
report's ``index.json`` keeps) and says the value it saw, or ``None`` when the observation does
not tell (the content was not observable, the upload failed, the guard refused it).  A question
whose probes disagree is left unset: a profile holds only what was seen unambiguously.

On the simulator with ``--profile``, the simulator is set up as the profile says, so the cases
that name a question the profile answers differently are expected to differ from the documented
default: they are INFORMATIONAL, and each probe must observe the profile's value, or it fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from smsftp.conformance.judge.verdicts import Outcome, Verdict
from smsftp.simulator.rules.profile import CALIBRATABLE, Evidence, Profile

Reading = tuple[Any, str]  # (value seen or None, what was observed, in words)


def _first(verdict: Mapping[str, Any]) -> Mapping[str, Any] | None:
    archives = verdict.get("observed", {}).get("archives") or []
    first = archives[0] if archives else None
    if first is None or first.get("refused") or first.get("upload_error") or first.get("status") is None:
        return None
    return dict(first)


def _said(archive: Mapping[str, Any]) -> str:
    messages = archive.get("messages")
    count = "messages not observable" if messages is None else f"{len(messages)} message(s)"
    return f"archive {archive['status']}, {count}"


def _by_status(accepted: Any, rejected: Any) -> Callable[[Mapping[str, Any]], Reading]:
    def read(verdict: Mapping[str, Any]) -> Reading:
        archive = _first(verdict)
        if archive is None:
            return None, "the archive's status was not observed"
        return (accepted if archive["status"] == "accepted" else rejected), _said(archive)

    return read


def _by_count(few: Any, many: Any, threshold: int) -> Callable[[Mapping[str, Any]], Reading]:
    """``many`` when at least ``threshold`` messages were sent, ``few`` when fewer."""

    def read(verdict: Mapping[str, Any]) -> Reading:
        archive = _first(verdict)
        if archive is None or (archive["status"] == "accepted" and archive.get("messages") is None):
            return None, "the messages were not observed"
        sent = len(archive.get("messages") or ())
        return (many if sent >= threshold else few), _said(archive)

    return read


def _bad_row(verdict: Mapping[str, Any]) -> Reading:
    """Q9 by a case with a leading-8 row between two good ones: the row must be refused to tell."""
    archive = _first(verdict)
    if archive is None:
        return None, "the archive's status was not observed"
    if archive["status"] == "rejected":
        return True, _said(archive)
    messages = archive.get("messages")
    if messages is None or len(messages) > 2:  # every row was sent: the leading 8 was no bad row (Q8)
        return None, f"{_said(archive)}: no row was refused, so Q9 did not show"
    return False, _said(archive)


def _quotes(verdict: Mapping[str, Any]) -> Reading:
    archive = _first(verdict)
    messages = archive.get("messages") if archive else None
    if not messages:
        return None, "no message text observed"
    text = str(messages[0].get("text", ""))
    return ("literal" if '"VIP"' in text else "standard"), f"{_said(archive or {})}: {text!r}"


def _by_check(aspect: str, matched: str, mismatched: str) -> Callable[[Mapping[str, Any]], Reading]:
    """The scenario's own comparison: a match is the default (False), a mismatch the other value (True)."""

    def read(verdict: Mapping[str, Any]) -> Reading:
        for finding in verdict.get("findings", ()):
            if finding.get("aspect") == aspect and finding.get("kind") in ("match", "mismatch"):
                other = finding["kind"] == "mismatch"
                return other, f"{mismatched if other else matched} ({aspect}: observed {finding.get('observed')})"
        return None, f"{aspect}: not observed"

    return read


@dataclass(frozen=True)
class Probe:
    case: str
    question: str
    read: Callable[[Mapping[str, Any]], Reading]


PROBES: dict[str, Probe] = {
    p.case: p
    for p in (
        Probe("Q2-senddate-without-seconds", "Q2", _by_count(False, True, 1)),
        Probe("Q8-leading-plus", "Q8", _by_count(False, True, 2)),
        Probe("Q8-leading-8", "Q8", _by_count(False, True, 2)),
        Probe("Q9-bad-row-skipped", "Q9", _bad_row),
        Probe("Q11-validity-zero", "Q11", _by_status(True, False)),
        Probe(
            "Q22-upload-held-open",
            "Q22",
            _by_check(
                "not processed while the upload was open (Q22)",
                "left alone while its upload was open",
                "taken while its upload was still open",
            ),
        ),
        Probe("M7-Q28-empty-validity-cell", "Q28", _by_status("warn", "reject")),
        Probe("Q29-quoted-value-loses-quotes", "Q29", _quotes),
        Probe(
            "Q30-all-waiting-in-one-check",
            "Q30",
            _by_check("archives per check (Q30)", "both archives in one check", "one archive per check"),
        ),
    )
}


def read_probe(verdict: Mapping[str, Any]) -> tuple[Probe, Any, str] | None:
    """(probe, value seen or None, observation) when the verdict is a probe's, else None."""
    probe = PROBES.get(str(verdict.get("case")))
    if probe is None or verdict.get("outcome") in (Outcome.SKIPPED.value, Outcome.SKIPPED_SAFETY.value):
        return None
    value, said = probe.read(verdict)
    return probe, value, said


def calibrate(verdicts: Iterable[tuple[Mapping[str, Any], str]], *, target: str, made: str) -> Profile:
    """The profile of a run from its (verdict JSON, date) pairs; ambiguous questions stay unset."""
    seen: dict[str, list[tuple[Any, Evidence]]] = {}
    for verdict, date in verdicts:
        read = read_probe(verdict)
        if read is None:
            continue
        probe, value, said = read
        if value is not None:
            seen.setdefault(probe.question, []).append((value, Evidence(probe.case, date, said)))
    values: dict[str, Any] = {}
    evidence: dict[str, tuple[Evidence, ...]] = {}
    for question, readings in seen.items():
        if len({repr(v) for v, _ in readings}) == 1:  # the probes agree
            values[question] = readings[0][0]
            evidence[question] = tuple(sorted((e for _, e in readings), key=lambda e: e.case))
    return Profile(values, evidence, target, made)


# What a question's setting changes in cases that do not name it: (question, aspect text).  One
# archive per check (Q30) makes every second archive wait for the next check, past P1's interval.
SIDE_EFFECTS: tuple[tuple[str, str], ...] = (("Q30", "processed within one poll interval (P1)"),)


def _explained(verdict: Verdict, differing: Mapping[str, Any]) -> list[str]:
    """The differing questions that explain every mismatch of ``verdict``."""
    named = [q for q in verdict.case.statements if q in differing]
    if named:
        return named
    mismatches = [f.aspect for f in verdict.findings if f.kind == "mismatch"]
    side = sorted({q for q, text in SIDE_EFFECTS if q in differing and any(text in a for a in mismatches)})
    if side and all(any(text in a for q, text in SIDE_EFFECTS if q in side) for a in mismatches):
        return side
    return []


def follow_profile(verdict: Verdict, profile: Profile) -> Verdict:
    """The simulator's verdict judged against the profile it was set up with (module docstring)."""
    read = read_probe(verdict.to_json())
    if read is not None:
        probe, value, said = read
        wanted = profile.value(probe.question)
        if value is not None and value != wanted:
            setting = CALIBRATABLE[probe.question].setting
            return replace(
                verdict,
                outcome=Outcome.FAILED,
                reason=f"the profile sets {probe.question} {setting} = {wanted!r}, the probe observed {value!r} "
                f"({said})",
            )
    differing = _explained(verdict, profile.differing()) if verdict.outcome is Outcome.FAILED else []
    if differing:
        shown = ", ".join(f"{q} {CALIBRATABLE[q].setting} = {profile.value(q)!r}" for q in differing)
        return replace(
            verdict,
            outcome=Outcome.INFORMATIONAL,
            reason=f"the profile sets {shown}: {verdict.reason}",
        )
    return verdict
