"""Findings in the formats CI systems read: JUnit XML, SARIF 2.1.0, GitHub annotations, GitLab Code Quality.

``smsftp check`` (one subject per archive) and ``smsftp report`` (one subject per
upload) hand their findings here as ``Subject`` values; ``--select``/``--ignore``
keep or drop findings by code prefix, as ruff does (``SMS5`` is every phone code),
and ``--statistics`` counts them per code.

Where a finding points: ``path`` is the archive as named on the command line (or
the upload's name), so that GitHub and GitLab can attach it to a file in the
repository; the file *inside* the archive and its line and column are kept in
the message and, for SARIF, in the region and the result's properties.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from smsftp.simulator.rules.diagnostics import REGISTRY, Diagnostic, Severity

FORMATS = ("text", "json", "junit", "sarif", "github", "gitlab")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.ERROR: 2}
_SARIF_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}
_GITHUB_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}
_GITLAB_SEVERITY = {Severity.ERROR: "major", Severity.WARNING: "minor", Severity.INFO: "info"}


class SelectorError(ValueError):
    """A --select/--ignore value that names no registered code; the message suggests one."""


@dataclass(frozen=True)
class Subject:
    """One thing judged: an archive (check) or an upload (report), with its findings."""

    name: str
    path: str
    failed: bool
    summary: str
    findings: tuple[Diagnostic, ...] = field(default=())


def parse_selectors(values: Iterable[str]) -> tuple[str, ...]:
    """Codes or code prefixes, comma-separated and repeatable; each must match a registered code."""
    import difflib

    out: list[str] = []
    for value in values:
        for item in value.split(","):
            prefix = item.strip().upper()
            if not prefix:
                continue
            if not any(code.startswith(prefix) for code in REGISTRY):
                close = difflib.get_close_matches(prefix, list(REGISTRY), n=1)
                hint = f"; did you mean {close[0]}?" if close else "; codes look like SMS503 (prefixes: SMS5)"
                raise SelectorError(f"{item.strip()!r} matches no diagnostic code{hint}")
            out.append(prefix)
    return tuple(out)


def keep(diagnostic: Diagnostic, select: Sequence[str], ignore: Sequence[str]) -> bool:
    """Kept when selected (nothing selected: all) and not ignored; the longer prefix wins, as in ruff."""
    chosen = max((len(p) for p in select if diagnostic.code.startswith(p)), default=None)
    if select and chosen is None:
        return False
    dropped = max((len(p) for p in ignore if diagnostic.code.startswith(p)), default=None)
    return dropped is None or (chosen is not None and chosen > dropped)


def filtered(subjects: Iterable[Subject], select: Sequence[str], ignore: Sequence[str]) -> list[Subject]:
    return [replace(s, findings=tuple(d for d in s.findings if keep(d, select, ignore))) for s in subjects]


def at_least(diagnostic: Diagnostic, level: Severity) -> bool:
    return _RANK[diagnostic.severity] >= _RANK[level]


def where(subject: Subject, d: Diagnostic) -> str:
    """``archive.zip!sms/contacts.csv:12:1``: the compiler-style location the text output uses."""
    out = subject.name if d.file is None else f"{subject.name}!{d.file}"
    if d.line is not None:
        out += f":{d.line}" + (f":{d.column}" if d.column is not None else "")
    return out


# --- statistics ----------------------------------------------------------------------------------------
def statistics(subjects: Iterable[Subject]) -> list[dict[str, Any]]:
    """Findings per code, most frequent first (ties by code), as ruff's ``--statistics``."""
    counts = Counter(d.code for s in subjects for d in s.findings)
    rows = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [
        {"code": code, "name": REGISTRY[code].name, "severity": REGISTRY[code].severity.value, "count": n}
        for code, n in rows
    ]


def statistics_text(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return "no findings"
    width = max(len(str(r["count"])) for r in rows)
    return "\n".join(f"{r['count']:>{width}}  {r['code']}  {r['name']}  [{r['severity']}]" for r in rows)


# --- the CI formats ----------------------------------------------------------------------------------
def render(fmt: str, subjects: Sequence[Subject], *, tool: str, fail_on: Severity = Severity.ERROR) -> str:
    """``subjects`` as ``fmt`` (junit, sarif, github or gitlab); ``fail_on``: the severity that fails."""
    if fmt == "junit":
        return junit(subjects, tool=tool, fail_on=fail_on)
    if fmt == "sarif":
        return json.dumps(sarif(subjects, tool=tool), ensure_ascii=False, indent=2)
    if fmt == "github":
        return "\n".join(github(subjects))
    if fmt == "gitlab":
        return json.dumps(gitlab(subjects), ensure_ascii=False, indent=2)
    raise ValueError(f"not a CI format: {fmt!r}")


def junit(subjects: Sequence[Subject], *, tool: str, fail_on: Severity) -> str:
    """JUnit XML as GitHub's and GitLab's test reports read it: testsuites > testsuite > testcase > failure.

    One test case per subject (failed when rejected) and one per finding, carrying
    ``file`` and ``line``; a finding below ``fail_on`` passes and shows in system-out.
    """
    from xml.etree import ElementTree

    suites = ElementTree.Element("testsuites", name=tool)
    suite = ElementTree.SubElement(suites, "testsuite", name=tool)
    tests = failures = 0
    for subject in subjects:
        tests += 1
        case = ElementTree.SubElement(suite, "testcase", classname=subject.name, name=subject.summary)
        case.set("file", subject.path)
        if subject.failed:
            failures += 1
            failure = ElementTree.SubElement(case, "failure", message=subject.summary, type="rejected")
            failure.text = "\n".join(f"{where(subject, d)}: {d.code} {d.message}" for d in subject.findings)
        for d in subject.findings:
            tests += 1
            case = ElementTree.SubElement(
                suite, "testcase", classname=subject.name, name=f"{d.code} {d.name} at {where(subject, d)}"
            )
            case.set("file", subject.path)
            if d.line is not None:
                case.set("line", str(d.line))
            body = f"{where(subject, d)}: {d.code} [{d.severity}] {d.message} ({d.statement})\nhint: {d.hint}"
            if at_least(d, fail_on):
                failures += 1
                failure = ElementTree.SubElement(case, "failure", message=d.message, type=d.code)
                failure.text = body
            else:
                ElementTree.SubElement(case, "system-out").text = body
    for element in (suites, suite):
        element.set("tests", str(tests))
        element.set("failures", str(failures))
        element.set("errors", "0")
    ElementTree.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(suites, encoding="unicode")


def sarif(subjects: Sequence[Subject], *, tool: str) -> dict[str, Any]:
    """A SARIF 2.1.0 log (GitHub code scanning's input): the rules used, then one result per finding."""
    from importlib.metadata import PackageNotFoundError, version
    from urllib.parse import quote

    used = sorted({d.code for s in subjects for d in s.findings})
    index = {code: i for i, code in enumerate(used)}
    rules = []
    for code in used:
        rule = REGISTRY[code]
        text = f"{rule.summary}\n\nWhy: {rule.why}\n\nFix: {rule.fix}"
        rules.append(
            {
                "id": code,
                "name": rule.name,
                "shortDescription": {"text": rule.summary},
                "fullDescription": {"text": rule.why},
                "help": {"text": text, "markdown": text},
                "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
                "properties": {"statement": rule.statement},
            }
        )
    results = []
    for subject in subjects:
        for d in subject.findings:
            region: dict[str, int] = {}
            if d.line is not None:
                region["startLine"] = d.line
                if d.column is not None:
                    region["startColumn"] = d.column
            location: dict[str, Any] = {"artifactLocation": {"uri": quote(subject.path.replace("\\", "/"))}}
            if region:
                location["region"] = region
            results.append(
                {
                    "ruleId": d.code,
                    "ruleIndex": index[d.code],
                    "level": _SARIF_LEVEL[d.severity],
                    "message": {"text": f"{where(subject, d)}: {d.message}"},
                    "locations": [{"physicalLocation": location}],
                    "partialFingerprints": {"smsftp/v1": _fingerprint(subject, d)},
                    "properties": {"file": d.file, "statement": d.statement, "hint": d.hint},
                }
            )
    try:
        tool_version = version("smsftp")
    except PackageNotFoundError:  # pragma: no cover - a source tree without metadata
        tool_version = "0"
    driver = {"name": "smsftp", "fullName": tool, "version": tool_version, "rules": rules}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [{"tool": {"driver": driver}, "results": results}]}


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github(subjects: Sequence[Subject]) -> list[str]:
    """GitHub Actions workflow commands: ``::error file=...,line=...,col=...,title=...::message``."""
    lines = []
    for subject in subjects:
        for d in subject.findings:
            props = [f"file={_escape_property(subject.path)}"]
            if d.line is not None:
                props.append(f"line={d.line}")
                if d.column is not None:
                    props.append(f"col={d.column}")
            props.append(f"title={_escape_property(f'{d.code} {d.name}')}")
            message = f"{where(subject, d)}: {d.message} ({d.statement})\nhint: {d.hint}"
            lines.append(f"::{_GITHUB_LEVEL[d.severity]} {','.join(props)}::{_escape_data(message)}")
    return lines


def gitlab(subjects: Sequence[Subject]) -> list[dict[str, Any]]:
    """GitLab Code Quality (a CodeClimate subset): description, check_name, fingerprint, severity, location."""
    return [
        {
            "description": f"{d.code} {where(subject, d)}: {d.message}",
            "check_name": d.code,
            "fingerprint": _fingerprint(subject, d),
            "severity": _GITLAB_SEVERITY[d.severity],
            "location": {"path": subject.path, "lines": {"begin": d.line or 1}},
        }
        for subject in subjects
        for d in subject.findings
    ]


def _fingerprint(subject: Subject, d: Diagnostic) -> str:
    """Stable across runs for the same finding in the same place, so CI can tell new from old."""
    import hashlib

    key = "\0".join((subject.path, d.code, d.file or "", str(d.line or ""), str(d.column or ""), d.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()
