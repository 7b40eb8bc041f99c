"""The client judge, faults part: how the client reacted to each fault the simulator injected.

Input is plain JSON, as for ``clientcheck``: the uploads, the archives and the
fault events (``GET /api/faults/events``, or ``FaultEvent.to_json()``).  An
event's ``after_upload`` is the newest upload journaled before it, so "what the
client did next" is every upload of the login with a higher id.  For each event:

* a transient fault (a 4xx reply, a dropped control connection, a refused TLS
  handshake, a cut or reset data connection) must be followed by an upload that
  completed (SMS820 otherwise);
* a cut or reset upload must be followed by a whole new upload, not ``APPE`` or
  ``REST`` onto the half file (SMS821);
* a permanent fault (a 5xx reply) must not be followed by the same attempt
  again: an upload of the same name, or any upload after a refused login (SMS823);
* after the account's first fault, no two accepted archives may carry one
  campaign: the same bytes or the same name (SMS822);
* every fault handled correctly is an info finding (SMS824), so that the report
  shows what the client met and that it coped.

Faults that fail nothing (latency, a slow data channel) and platform-side faults
(late polls, outages, stuck archives) ask nothing of the client and are only listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from smsftp.conformance.judge.clientcheck import Finding, final_name
from smsftp.simulator.rules.diagnostics import (
    FAULT_DUPLICATE_CAMPAIGN,
    FAULT_HANDLED,
    FAULT_NOT_RETRIED,
    FAULT_PERMANENT_RETRIED,
    FAULT_RESUMED_UPLOAD,
    Diagnostic,
    diagnostic,
)

Record = Mapping[str, Any]
_FAILING = frozenset({"reply", "cut_after", "reset_after", "drop", "refuse_tls"})
_CUT = frozenset({"cut_after", "reset_after"})
_RESUMING = frozenset({"APPE", "REST+STOR"})
_LOGIN_COMMANDS = frozenset({"CONNECT", "USER", "PASS", "AUTH"})
_JUDGED = (FAULT_NOT_RETRIED, FAULT_RESUMED_UPLOAD, FAULT_DUPLICATE_CAMPAIGN, FAULT_PERMANENT_RETRIED, FAULT_HANDLED)
FAULT_CODES = frozenset(rule.code for rule in _JUDGED)


def describe(event: Record) -> str:
    """One line: which fault, on what, for whom."""
    target = f"{event.get('command')} {event.get('argument') or ''}".strip()
    who = f" ({event.get('login')})" if event.get("login") else ""
    if event.get("kind") == "reply":
        return f"fault #{event.get('fault_id')}: {event.get('reply')} on {target}{who}"
    return f"fault #{event.get('fault_id')}: {event.get('kind')} on {target}{who}: {event.get('detail')}"


def fault_lines(events: list[dict[str, Any]], findings: list[Finding]) -> list[str]:
    """The report's fault section: faults that ask nothing of the client, then the judged reactions."""
    lines = ["  " + describe(e) for e in events if str(e.get("kind")) not in _FAILING]
    for f in findings:
        lines.append("  " + f.line())
        if f.diagnostic.hint and f.code != FAULT_HANDLED.code:
            lines.append(f"      hint: {f.diagnostic.hint}")
    return lines


def _basename(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def _names(upload: Record) -> set[str]:
    keys = ("filename", "final_name", "renamed_to", "temp_name")
    return {_basename(str(upload.get(k))) for k in keys if upload.get(k)}


def judge_faults(
    uploads: list[dict[str, Any]],
    archives: list[dict[str, Any]],
    events: list[dict[str, Any]],
    *,
    login: str | None = None,
) -> list[Finding]:
    """Findings about the client's reaction to each fault event, in event order."""
    ordered = sorted(uploads, key=lambda u: u.get("id") or 0)
    by_id = {int(u["id"]): u for u in ordered}
    findings: list[Finding] = []
    first_fault: dict[str, int] = {}
    for event in sorted(events, key=lambda e: e.get("id") or 0):
        who = event.get("login")
        if login is not None and who not in (login, None):
            continue
        kind = str(event.get("kind"))
        if kind not in _FAILING:
            continue
        after = int(event.get("after_upload") or 0)
        later = [u for u in ordered if int(u["id"]) > after and (who is None or u.get("login") == who)]
        if login is not None:
            later = [u for u in later if u.get("login") == login]
        if who is not None:
            first_fault.setdefault(str(who), after)
        hit = by_id.get(int(event["upload_id"])) if event.get("upload_id") is not None else None
        subject = final_name(hit) if hit else _basename(str(event.get("argument") or "")) or str(event.get("command"))
        findings.extend(
            Finding(subject, d, int(hit["id"]) if hit else None) for d in _reaction(event, hit, later, ordered)
        )
    for who, after in first_fault.items():
        findings.extend(_duplicates(archives, who, after))
    return findings


def _reaction(
    event: Record, hit: Record | None, later: Sequence[Record], everything: Sequence[Record]
) -> Iterable[Diagnostic]:
    kind, command = str(event.get("kind")), str(event.get("command"))
    line = describe(event)
    if kind == "reply" and int(event.get("reply") or 0) >= 500:
        name = _basename(str(event.get("argument") or ""))
        again = later if command in _LOGIN_COMMANDS or not name else [u for u in later if name in _names(u)]
        if again:
            yield diagnostic(
                FAULT_PERMANENT_RETRIED,
                f"{line}; then upload #{again[0]['id']} tried again after this permanent error",
            )
        else:
            yield diagnostic(FAULT_HANDLED, f"{line}; the client stopped, as it should after a permanent error")
        return
    if kind in _CUT and hit is not None:
        names = _names(hit)
        after_cut = [u for u in later if names & _names(u)] or later
        if after_cut and after_cut[0].get("command") in _RESUMING:
            yield diagnostic(
                FAULT_RESUMED_UPLOAD,
                f"{line}; then upload #{after_cut[0]['id']} used {after_cut[0]['command']} onto the half file",
            )
            return
    done = [u for u in later if u.get("state") == "complete"]
    if command in ("RNFR", "RNTO") and not done:
        # A rename retried on the same upload: the file that was written before the fault got its final name.
        after = int(event.get("after_upload") or 0)
        done = [u for u in everything if int(u["id"]) <= after and u.get("renamed_to") and u.get("state") == "complete"]
    if not done:
        yield diagnostic(FAULT_NOT_RETRIED, f"{line}; no upload completed after it")
        return
    yield diagnostic(
        FAULT_HANDLED, f"{line}; the client retried: upload #{done[0]['id']} of {final_name(done[0])} completed"
    )


def _duplicates(archives: list[dict[str, Any]], login: str, after_upload: int) -> list[Finding]:
    own = [
        a
        for a in sorted(archives, key=lambda a: a.get("id") or 0)
        if a.get("login") == login and a.get("status") == "accepted"
    ]
    accepted = [a for a in own if int(a.get("upload_id") or 0) > after_upload]
    earlier = [a for a in own if 0 < int(a.get("upload_id") or 0) <= after_upload]
    findings: list[Finding] = []
    seen: dict[str, Record] = {}
    for archive in earlier + accepted:
        keys = [f"sha256:{archive.get('sha256')}", f"name:{archive.get('name')}"]
        twin = next((seen[k] for k in keys if k in seen), None)
        if twin is not None and archive in accepted:
            findings.append(
                Finding(
                    str(archive.get("name")),
                    diagnostic(
                        FAULT_DUPLICATE_CAMPAIGN,
                        f"{archive.get('name')} (archive #{archive.get('id')}) repeats {twin.get('name')} "
                        f"(archive #{twin.get('id')}) after a fault: the campaign was sent twice",
                    ),
                    archive.get("upload_id"),
                    archive.get("id"),
                )
            )
        for k in keys:
            seen.setdefault(k, archive)
    return findings
