"""smsftp conformance: the suite, the pytest plugin and the reference client.

Everything here loads on first use, so that pytest's start (which imports this package for the
plugin) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .builder import ArchiveSpec, build_archive, build_archive_to, write_csv
    from .cases import Case, all_cases, get_case, select_cases
    from .clientcheck import ClientReport, Finding, client_report, judge_uploads
    from .targets import ClientNotConformant, Platform, SimTarget
    from .uploader import HeldUpload, Uploader, UploadError, UploadTranscript
    from .verdicts import Outcome, Verdict

_LAZY = {
    "ArchiveSpec": "builder",
    "Case": "cases",
    "ClientNotConformant": "targets",
    "ClientReport": "clientcheck",
    "Finding": "clientcheck",
    "HeldUpload": "uploader",
    "Outcome": "verdicts",
    "Platform": "targets",
    "SimTarget": "targets",
    "UploadError": "uploader",
    "UploadTranscript": "uploader",
    "Uploader": "uploader",
    "Verdict": "verdicts",
    "all_cases": "cases",
    "build_archive": "builder",
    "build_archive_to": "builder",
    "client_report": "clientcheck",
    "get_case": "cases",
    "judge_uploads": "clientcheck",
    "select_cases": "cases",
    "write_csv": "builder",
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
