"""Client conformance: judge what an integrator's own client uploaded to the simulator.

The simulator journals every upload (transfer type, TLS on the control and the
data channel, temporary name and rename, aborts) and judges every archive with
the platform's rules.  ``judge_uploads`` turns both into findings, one list for
a whole CI run: the archive's name (Z1, Q3), binary transfer (Q27), upload
under a temporary name then rename (Q22), FTPS (T1), aborted uploads, and every
content diagnostic of the archives.  ``smsftp report`` and the pytest plugin's
``sms_platform.assert_client_conformant()`` both print ``ClientReport.text()``.

Input is plain JSON (the HTTP API's ``/api/uploads`` and ``/api/archives``, or
records' ``to_json()``), so a report can be made from a saved run as well.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from smsftp.simulator.rules.diagnostics import (
    UPLOAD_ABORTED,
    UPLOAD_ASCII_MODE,
    UPLOAD_NO_TEMPORARY_NAME,
    UPLOAD_NOT_ENCRYPTED,
    UPLOAD_NOT_ZIP,
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
    if not name.lower().endswith(".zip"):
        if upload.get("state") == "complete":
            yield diagnostic(UPLOAD_NOT_ZIP, f"{name} is not a `.zip` archive; the platform leaves it alone")
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


def judge_uploads(
    uploads: list[dict[str, Any]], archives: list[dict[str, Any]], *, login: str | None = None
) -> list[Finding]:
    """Every finding about ``uploads`` and the ``archives`` they delivered, in upload order.

    A code that the archive's own diagnostics carry (the poller's SMS801 for an
    ASCII upload, the name checks) is reported once, from the archive.
    Archives that no upload delivered (a restart, a file placed by hand) are judged too.
    """
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
    findings: list[Finding] = []
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
        findings.extend(archive_findings)
    for uid, delivered in by_upload.items():
        if uid not in seen_uploads:
            orphans.extend(delivered)
    for orphan in orphans:
        findings.extend(_archive_findings(orphan, None))
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

        loose = [f for f in self.findings if f.upload_id is None and f.code not in FAULT_CODES]
        if loose:
            lines.append("archives without a journaled upload:")
            lines.extend(_finding_lines(loose))
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
) -> ClientReport:
    """``faults``: the fault events the client met (``/api/faults/events``), judged by ``faultcheck``."""
    findings = judge_uploads(uploads, archives, login=login)
    if faults:
        from smsftp.conformance.judge.faultcheck import judge_faults

        findings += judge_faults(uploads, archives, faults, login=login)
    return ClientReport(uploads, archives, findings, login, list(faults or ()))


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
