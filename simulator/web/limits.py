"""The HTTP side's limits, each a setting of ``smsftp serve`` with a documented default.

Kept apart from the app so that the command line can show the defaults without importing
FastAPI.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_BODY = 1024 * 1024  # bytes (1 MiB); an account's JSON is a few hundred
DEFAULT_WAITS_PER_CLIENT = 64  # ?wait= calls one client address holds at once (loopback clients share one)
MAX_WAIT = 600.0  # seconds one ?wait= may last


@dataclass(frozen=True)
class ApiSettings:
    """``serve --api-max-body`` and ``--api-waits-per-client``."""

    max_body: int = DEFAULT_MAX_BODY
    waits_per_client: int = DEFAULT_WAITS_PER_CLIENT
    # What one ?wait= lasts at most, whatever it asks (the schema's bound is MAX_WAIT); tests lower it.
    max_wait: float = MAX_WAIT
