"""The simulator's clock: time is a parameter, never read behind the rules' back.

``SystemClock`` reads the wall clock through ``datetime.now`` so that freezegun
can freeze it; ``FrozenClock`` holds an instant that only moves when told to.
Advancing a frozen clock notifies listeners (the poller) with the interval that
passed, so polls that fell due run synchronously before ``advance`` returns.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

Listener = Callable[[datetime, datetime], None]


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
    return utc(instant).strftime("%Y-%m-%dT%H:%M:%SZ")


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...

    @property
    def frozen(self) -> bool: ...


class SystemClock:
    frozen = False

    def now(self) -> datetime:
        # datetime.now, not time.time: freezegun patches the former for in-process users.
        return datetime.now(UTC)


class FrozenClock:
    """A clock that stands still until ``set`` or ``advance`` moves it."""

    frozen = True

    def __init__(self, at: datetime | None = None) -> None:
        self._now = utc(at) if at is not None else datetime.now(UTC).replace(microsecond=0)
        self._lock = threading.RLock()
        self._listeners: list[Listener] = []

    def now(self) -> datetime:
        return self._now

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def set(self, instant: datetime) -> None:
        with self._lock:
            before, self._now = self._now, utc(instant)
            for listener in self._listeners:
                listener(before, self._now)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock only moves forward; use set() to jump back")
        with self._lock:
            self.set(self._now + timedelta(seconds=seconds))
            return self._now


def real_monotonic() -> float:
    """Seconds on a monotonic clock that freezegun leaves alone, for deadlines and server timers.

    freezegun replaces ``time.monotonic`` in every loaded module but not ``clock_gettime``,
    so a wait with a deadline still ends inside ``freeze_time``.
    """
    import time  # local: keeps this helper self-contained below the clock classes

    if hasattr(time, "clock_gettime"):
        return time.clock_gettime(time.CLOCK_MONOTONIC)
    return time.monotonic()  # pragma: no cover - Windows has no clock_gettime
