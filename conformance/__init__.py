"""smsftp conformance: the suite, the pytest plugin and the reference client.

Everything here loads on first use, so that pytest's start (which imports this package for the
plugin) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smsftp.conformance.cases import Case, all_cases, get_case, select_cases
    from smsftp.conformance.client.builder import ArchiveSpec, build_archive, build_archive_to, write_csv
    from smsftp.conformance.client.uploader import HeldUpload, Uploader, UploadError, UploadTranscript
    from smsftp.conformance.judge.clientcheck import ClientReport, Finding, client_report, judge_uploads
    from smsftp.conformance.judge.targets import ClientNotConformant, Platform, SimTarget
    from smsftp.conformance.judge.verdicts import Outcome, Verdict

_LAZY = {
    "ArchiveSpec": "client.builder",
    "Case": "cases",
    "ClientNotConformant": "judge.targets",
    "ClientReport": "judge.clientcheck",
    "Finding": "judge.clientcheck",
    "HeldUpload": "client.uploader",
    "Outcome": "judge.verdicts",
    "Platform": "judge.targets",
    "SimTarget": "judge.targets",
    "UploadError": "client.uploader",
    "UploadTranscript": "client.uploader",
    "Uploader": "client.uploader",
    "Verdict": "judge.verdicts",
    "all_cases": "cases",
    "build_archive": "client.builder",
    "build_archive_to": "client.builder",
    "client_report": "judge.clientcheck",
    "get_case": "cases",
    "judge_uploads": "judge.clientcheck",
    "select_cases": "cases",
    "write_csv": "client.builder",
}

__all__ = [
    "ArchiveSpec",
    "Case",
    "ClientNotConformant",
    "ClientReport",
    "Finding",
    "HeldUpload",
    "Outcome",
    "Platform",
    "SimTarget",
    "UploadError",
    "UploadTranscript",
    "Uploader",
    "Verdict",
    "all_cases",
    "build_archive",
    "build_archive_to",
    "client_report",
    "get_case",
    "judge_uploads",
    "select_cases",
    "write_csv",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
