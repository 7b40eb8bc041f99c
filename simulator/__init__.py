"""smsftp's simulator: the SMS platform's rules and a fake platform that applies them.

The rules (``check_archive``, ``process_archive``) and the service (``Simulator``) load on
first use: ``smsftp serve`` must accept a login within a fraction of a second of its start,
and ``smsftp check`` needs no FTP server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .accounts import Account, AccountsFileError, demo_account, load_accounts
from .clock import Clock, FrozenClock, SystemClock
from .diagnostics import REGISTRY, Diagnostic, Rule, Severity, diagnostic
from .outcome import ArchiveResult, Message, UploadFacts

if TYPE_CHECKING:
    from .processing import ArchiveRun, check_archive, process_archive
    from .service import Simulator

_LAZY = {
    "ArchiveRun": "processing",
    "Simulator": "service",
    "check_archive": "processing",
    "process_archive": "processing",
}

__all__ = [
    "REGISTRY",
    "Account",
    "AccountsFileError",
    "ArchiveResult",
    "ArchiveRun",
    "Clock",
    "Diagnostic",
    "FrozenClock",
    "Message",
    "Rule",
    "Severity",
    "Simulator",
    "SystemClock",
    "UploadFacts",
    "check_archive",
    "demo_account",
    "diagnostic",
    "load_accounts",
    "process_archive",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
