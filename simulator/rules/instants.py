"""Instants as the rules read and write them: aware UTC datetimes and ISO 8601 text.

The rules never read a clock; the instant they judge at is an argument. These helpers only
normalise and format it, so the linter, the poller and the API agree to the second.
"""

from __future__ import annotations

from datetime import UTC, datetime


def utc(instant: datetime) -> datetime:
    """An aware UTC datetime; naive input is taken as UTC."""
    if instant.tzinfo is None:
        return instant.replace(tzinfo=UTC)
    return instant.astimezone(UTC)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant (``2026-11-25T12:00:00Z``); naive means UTC."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    return utc(datetime.fromisoformat(value))


def format_instant(instant: datetime) -> str:
    """ISO 8601 UTC with a ``Z``: ``2026-11-26T03:00:00Z``."""
    # Not strftime: glibc prints year 1 as "1", and ISO 8601 wants four digits.
    u = utc(instant)
    return f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}Z"
