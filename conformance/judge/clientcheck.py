"""Client conformance: judge what an integrator's own client uploaded to the simulator.

The simulator journals every upload (transfer type, TLS on the control and the
data channel, temporary name and rename, aborts) and judges every archive with
the platform's rules.  ``judge_uploads`` turns both into findings, one list for
a whole CI run: the archive's name (Z1, Q3), binary transfer (Q27), upload
under a temporary name then rename (Q22), FTPS (T1), aborted uploads, and every
content diagnostic of the archives.  ``smsftp report`` and the pytest plugin's
``sms_platform.assert_client_conformant()`` both print ``ClientReport.text()``.

A judge that passes on nothing is worse than none, so the run itself is judged
too, each at error severity: nothing uploaded in scope (SMS808), an upload the
platform has not processed yet (SMS809: its content was never judged), a file the
platform will never process (SMS810), a failed login (SMS811) and a client that
hung up without reading the reply to its transfer (SMS812).

Input is plain JSON (the HTTP API's ``/api/uploads``, ``/api/archives`` and
``/api/failed-logins``, or records' ``to_json()``), so a report can be made from
a saved run as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smsftp.simulator.rules.diagnostics import (
    CLIENT_LOGIN_FAILED,
    CLIENT_NOTHING_UPLOADED,
    UPLOAD_ABORTED,
    UPLOAD_ASCII_MODE,
    UPLOAD_NEVER_PROCESSED,
    UPLOAD_NO_TEMPORARY_NAME,
    UPLOAD_NOT_ENCRYPTED,
    UPLOAD_REPLY_UNREAD,
    UPLOAD_UNPROCESSED,
    Diagnostic,
    Severity,
    diagnostic,
)
from smsftp.simulator.rules.naming import check_archive_name

_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
Record = Mapping[str, Any]


@dataclass(frozen=True)
class Finding:
    """One problem with one upload or the archive it delivered."""

    subject: str  # the archive's (final) name
    diagnostic: Diagnostic
    upload_id: int | None = None
    archive_id: int | None = None

    @property
    def code(self) -> str:
        return self.diagnostic.code

    @property
    def severity(self) -> Severity:
        return self.diagnostic.severity

    def at_least(self, level: Severity | str) -> bool:
        return _RANK[self.severity] >= _RANK[Severity(level)]

    def line(self) -> str:
        d = self.diagnostic
        where = self.subject if d.file is None else f"{self.subject}!{d.file}"
        if d.line is not None:
            where += f":{d.line}" + (f":{d.column}" if d.column is not None else "")
        return f"{where}: {d.code} [{d.severity}] {d.message} ({d.statement})"

    def to_json(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "upload_id": self.upload_id,
            "archive_id": self.archive_id,
            **self.diagnostic.to_json(),
        }


def final_name(upload: Record) -> str:
    """The name the upload ended under: after RNTO if it was renamed."""
    return str(upload.get("renamed_to") or upload.get("final_name") or upload.get("filename") or "")


def _upload_findings(upload: Record) -> Iterable[Diagnostic]:
    name = final_name(upload)
    if upload.get("reply") == "unread":
        yield diagnostic(
            UPLOAD_REPLY_UNREAD,
            f"after the transfer of {name} the client closed the control connection without another "
            "command: it did not wait for the server's 226 reply",
        )
    if not name.lower().endswith(".zip"):
        if upload.get("state") == "complete":
            yield diagnostic(
                UPLOAD_NEVER_PROCESSED,
                f"{name} is not a `.zip` archive: the platform leaves it in the folder and never sends it"
                + (f" (uploaded as {upload['temp_name']}, never renamed to .zip)" if upload.get("temp_name") else ""),
            )
        if upload.get("state") != "aborted":
            return
    else:
        yield from check_archive_name(name, upload.get("login"))
    if upload.get("transfer_type") == "A":
        yield diagnostic(UPLOAD_ASCII_MODE, f"{name} was uploaded in ASCII mode (TYPE A); a zip is binary data")
    if name.lower().endswith(".zip") and not upload.get("temp_name"):
        yield diagnostic(UPLOAD_NO_TEMPORARY_NAME, f"{name} was written directly under its final name (STOR {name})")
    if not upload.get("control_tls"):
        yield diagnostic(UPLOAD_NOT_ENCRYPTED)
    elif not upload.get("data_tls"):
        yield diagnostic(
            UPLOAD_NOT_ENCRYPTED,
            "The login was encrypted (AUTH TLS) but the data channel was not "
            "(no PROT P): the recipients crossed the network in clear text.",
        )
    if upload.get("state") == "aborted":
        ending = upload.get("ending")
        yield diagnostic(
            UPLOAD_ABORTED,
            f"the upload of {name} was aborted or cut off"
            + (f" ({ending})" if ending else "")
            + " before it completed",
        )


def unprocessed(upload: Record, delivered: list[Record]) -> bool:
    """A `.zip` upload whose verdict is not in yet: still being written, waiting for a poll, or being processed."""
    if upload.get("state") == "in_progress":
        return True
    if upload.get("state") != "complete" or not final_name(upload).lower().endswith(".zip"):
        return False
    return not delivered or any(a.get("status") == "pending" for a in delivered)


def pending_uploads(uploads: list[dict[str, Any]], archives: list[dict[str, Any]], login: str | None = None) -> int:
    """How many uploads in scope still wait for the platform (what ``smsftp report --wait`` waits for)."""
    delivered: dict[int, list[Record]] = {}
    for a in archives:
        if a.get("upload_id") is not None:
            delivered.setdefault(int(a["upload_id"]), []).append(a)
    return sum(
        unprocessed(u, delivered.get(int(u["id"]), [])) for u in uploads if login is None or u.get("login") == login
    )


def _unprocessed_hint(frozen: bool | None) -> str:
    if frozen is True:
        return (
            "The simulator's clock is frozen, so it polls only when told: run `smsftp report --advance` "
            "after the upload (in pytest `sms_platform.assert_client_conformant(advance=True)`, "
            "over HTTP POST /api/clock/advance with the poll interval)."
        )
    if frozen is False:
        return (
            "The simulator runs on the system clock and polls every poll interval: "
            "run `smsftp report --wait SECONDS` (at least the poll interval, 10 s by default)."
        )
    return UPLOAD_UNPROCESSED.fix


def judge_uploads(
    uploads: list[dict[str, Any]],
    archives: list[dict[str, Any]],
    *,
    login: str | None = None,
    failed_logins: list[dict[str, Any]] | None = None,
    frozen: bool | None = None,
) -> list[Finding]:
    """Every finding about ``uploads`` and the ``archives`` they delivered, in upload order.

    A code that the archive's own diagnostics carry (the poller's SMS801 for an
    ASCII upload, the name checks) is reported once, from the archive.
    Archives that no upload delivered (a restart, a file placed by hand) are judged too.
    Failed logins (``/api/failed-logins``) come first; an empty scope is itself a finding.
    ``frozen`` (the simulator's clock) only picks the hint of an unprocessed upload.
    """
    findings: list[Finding] = []
    for failed in failed_logins or ():
        if login is not None and failed.get("login") != login:
            continue
        who = failed.get("login")
        findings.append(
            Finding(
                f"login {who}",
                diagnostic(
                    CLIENT_LOGIN_FAILED,
                    f"the FTP login as {who!r} from {failed.get('client')} failed"
                    + (" (over TLS)" if failed.get("tls") else "")
                    + (f" at {failed['at']}" if failed.get("at") else ""),
                ),
            )
        )
    by_upload: dict[int, list[Record]] = {}
    orphans: list[Record] = []
    for archive in sorted(archives, key=lambda a: a.get("id") or 0):
        if login is not None and archive.get("login") != login:
            continue
        upload_id = archive.get("upload_id")
        if upload_id is None:
            orphans.append(archive)
        else:
            by_upload.setdefault(int(upload_id), []).append(archive)
    seen_uploads: set[int] = set()
    for upload in sorted(uploads, key=lambda u: u.get("id") or 0):
        if login is not None and upload.get("login") != login:
            continue
        uid = int(upload["id"])
        seen_uploads.add(uid)
        delivered = by_upload.get(uid, [])
        archive_findings = [f for a in delivered for f in _archive_findings(a, uid)]
        carried = {f.code for f in archive_findings}
        findings.extend(Finding(final_name(upload), d, uid) for d in _upload_findings(upload) if d.code not in carried)
        if unprocessed(upload, delivered):
            still = "is still being uploaded" if upload.get("state") == "in_progress" else "has no verdict yet"
            findings.append(
                Finding(
                    final_name(upload),
                    diagnostic(
                        UPLOAD_UNPROCESSED,
                        f"{final_name(upload)} {still}: the platform has not processed it, so its content "
                        "was not judged",
                        hint=_unprocessed_hint(frozen),
                    ),
                    uid,
                )
            )
        findings.extend(archive_findings)
    for uid, delivered in by_upload.items():
        if uid not in seen_uploads:
            orphans.extend(delivered)
    for orphan in orphans:
        findings.extend(_archive_findings(orphan, None))
    if not seen_uploads and not orphans:
        scope = f"account {login}" if login is not None else "any account"
        findings.append(
            Finding(
                login or "(no upload)",
                diagnostic(
                    CLIENT_NOTHING_UPLOADED, f"the simulator received no upload for {scope}: nothing was judged"
                ),
            )
        )
    return findings


def _archive_findings(archive: Record, upload_id: int | None) -> list[Finding]:
    return [
        Finding(
            str(archive.get("name") or archive.get("archive")), Diagnostic.from_json(d), upload_id, archive.get("id")
        )
        for d in archive.get("diagnostics") or ()
    ]


def failing(findings: Iterable[Finding], fail_on: Severity | str) -> list[Finding]:
    """The findings at or above ``fail_on`` (error > warning > info)."""
    return [f for f in findings if f.at_least(fail_on)]


@dataclass
class ClientReport:
    """Findings with the uploads and archives they were made from, ready to print."""

    uploads: list[dict[str, Any]]
    archives: list[dict[str, Any]]
    findings: list[Finding] = field(default_factory=list)
    login: str | None = None
    faults: list[dict[str, Any]] = field(default_factory=list)  # fault events (faultcheck)
    failed_logins: list[dict[str, Any]] = field(default_factory=list)

    def failing(self, fail_on: Severity | str) -> list[Finding]:
        return failing(self.findings, fail_on)

    def counts(self) -> dict[str, int]:
        counts = {s.value: 0 for s in Severity}
        for f in self.findings:
            counts[f.severity.value] += 1
        return counts

    def text(self, fail_on: Severity | str | None = None) -> str:
        lines: list[str] = []
        archives_of: dict[int, list[Record]] = {}
        for a in self.archives:
            if a.get("upload_id") is not None:
                archives_of.setdefault(int(a["upload_id"]), []).append(a)
        uploads = [u for u in self.uploads if self.login is None or u.get("login") == self.login]
        for upload in sorted(uploads, key=lambda u: u.get("id") or 0):
            uid = int(upload["id"])
            lines.append(_describe_upload(upload, archives_of.get(uid, [])))
            lines.extend(_finding_lines(f for f in self.findings if f.upload_id == uid))
        from smsftp.conformance.judge.faultcheck import FAULT_CODES, fault_lines

        loose = [
            f for f in self.findings if f.upload_id is None and f.archive_id is not None and f.code not in FAULT_CODES
        ]
        if loose:
            lines.append("archives without a journaled upload:")
            lines.extend(_finding_lines(loose))
        run = [f for f in self.findings if f.upload_id is None and f.archive_id is None and f.code not in FAULT_CODES]
        if run:
            lines.append("the run:")
            lines.extend(_finding_lines(run))
        if self.faults:
            lines.append("faults the client met:")
            lines.extend(fault_lines(self.faults, [f for f in self.findings if f.upload_id is None]))
        c = self.counts()
        accepted = sum(
            a.get("status") == "accepted" for a in self.archives if self.login is None or a.get("login") == self.login
        )
        summary = (
            f"{len(uploads)} upload(s), {accepted} archive(s) accepted; "
            f"{c['error']} error(s), {c['warning']} warning(s), {c['info']} info"
        )
        if fail_on is not None:
            bad = len(self.failing(fail_on))
            summary += f"; {'FAIL' if bad else 'PASS'} at --fail-on {Severity(fail_on).value}"
            summary += f" ({bad} finding(s) at or above it)" if bad else ""
        lines.append(summary)
        return "\n".join(lines)

    def to_json(self, fail_on: Severity | str | None = None) -> dict[str, Any]:
        data: dict[str, Any] = {
            "login": self.login,
            "counts": self.counts(),
            "uploads": len(self.uploads),
            "archives": len(self.archives),
            "faults": len(self.faults),
            "failed_logins": len(self.failed_logins),
            "findings": [f.to_json() for f in self.findings],
        }
        if fail_on is not None:
            data["fail_on"] = Severity(fail_on).value
            data["passed"] = not self.failing(fail_on)
        return data


def client_report(
    uploads: list[dict[str, Any]],
    archives: list[dict[str, Any]],
    *,
    login: str | None = None,
    faults: list[dict[str, Any]] | None = None,
    failed_logins: list[dict[str, Any]] | None = None,
    frozen: bool | None = None,
) -> ClientReport:
    """``faults``: the fault events the client met (``/api/faults/events``), judged by ``faultcheck``;
    ``failed_logins``: ``/api/failed-logins``; ``frozen``: whether the simulator's clock is frozen."""
    findings = judge_uploads(uploads, archives, login=login, failed_logins=failed_logins, frozen=frozen)
    if faults:
        from smsftp.conformance.judge.faultcheck import judge_faults

        findings += judge_faults(uploads, archives, faults, login=login)
    return ClientReport(
        uploads, archives, findings, login, faults=list(faults or ()), failed_logins=list(failed_logins or ())
    )


def _describe_upload(upload: Record, archives: list[Record]) -> str:
    name = final_name(upload)
    how = [
        f"TYPE {upload.get('transfer_type', '?')}",
        "FTPS"
        if upload.get("control_tls") and upload.get("data_tls")
        else "FTPS without PROT P"
        if upload.get("control_tls")
        else "plain FTP",
        "passive" if upload.get("passive") else "active",
    ]
    if upload.get("temp_name"):
        how.append(
            f"as {upload['temp_name']} then renamed"
            if upload.get("renamed_to")
            else f"as {upload['temp_name']}, never renamed"
        )
    how.append(str(upload.get("state", "?")))
    verdicts = [f"{a.get('status')} ({a.get('message_count', 0)} message(s))" for a in archives]
    tail = f" -> {', '.join(verdicts)}" if verdicts else ""
    return f"{name} (upload #{upload.get('id')}, {upload.get('login')}: {', '.join(how)}){tail}"


def _finding_lines(findings: Iterable[Finding]) -> list[str]:
    out: list[str] = []
    for f in findings:
        out.append("  " + f.line())
        if f.diagnostic.hint:
            out.append(f"      hint: {f.diagnostic.hint}")
    return out
