"""smsftp's simulator: the SMS platform's rules and a fake platform that applies them.

The rules (``check_archive``, ``process_archive``) and the service (``Simulator``) load on
first use: ``smsftp serve`` must accept a login within a fraction of a second of its start,
and ``smsftp check`` needs no FTP server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from smsftp.simulator.rules.accounts import Account, AccountsFileError, demo_account, load_accounts
from smsftp.simulator.rules.diagnostics import REGISTRY, Diagnostic, Rule, Severity, diagnostic
from smsftp.simulator.rules.outcome import ArchiveResult, Message, UploadFacts
from smsftp.simulator.service.clock import Clock, FrozenClock, SystemClock

if TYPE_CHECKING:
    from smsftp.simulator.app import FaultHandle, Simulator
    from smsftp.simulator.rules.processing import ArchiveRun, check_archive, process_archive
    from smsftp.simulator.service.faults import FaultError

_LAZY = {
    "ArchiveRun": "rules.processing",
    "FaultError": "service.faults",
    "FaultHandle": "app",
    "Simulator": "app",
    "check_archive": "rules.processing",
    "process_archive": "rules.processing",
}

__all__ = [
    "REGISTRY",
    "Account",
    "AccountsFileError",
    "ArchiveResult",
    "ArchiveRun",
    "Clock",
    "Diagnostic",
    "FaultError",
    "FaultHandle",
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
