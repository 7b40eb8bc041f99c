"""smsftp's simulator: the SMS platform's rules and a fake platform that applies them."""

from .accounts import Account, AccountsFileError, demo_account, load_accounts
from .clock import Clock, FrozenClock, SystemClock
from .diagnostics import REGISTRY, Diagnostic, Rule, Severity, diagnostic
from .outcome import ArchiveResult, Message, UploadFacts

__all__ = [
    "REGISTRY",
    "Account",
    "AccountsFileError",
    "ArchiveResult",
    "Clock",
    "Diagnostic",
    "FrozenClock",
    "Message",
    "Rule",
    "Severity",
    "SystemClock",
    "UploadFacts",
    "demo_account",
    "diagnostic",
    "load_accounts",
]
