"""The simulator's clock: time is a parameter, never read behind the rules' back.

``SystemClock`` reads the wall clock through ``datetime.now`` so that freezegun
can freeze it; ``FrozenClock`` holds an instant that only moves when told to.

A frozen clock that moves does not jump to the end at once: it walks there,
stopping at every instant a listener asked for (``ClockListener.due``, the
poller's next poll), so that whatever runs at a stop (a poll, an upload
journalled meanwhile) reads ``now()`` equal to that stop.  Every listener is
told at every stop, and ``set``/``advance`` return after the last one.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

from smsftp.simulator.rules.instants import utc

Listener = Callable[[datetime, datetime], None]


@runtime_checkable
class Clock(Protocol):
    def now(self) -> datetime: ...

    @property
    def frozen(self) -> bool: ...


@runtime_checkable
class ClockListener(Protocol):
    """Something that acts at instants of a frozen clock (the poller)."""

    def due(self) -> datetime | None:
        """The next instant the clock must stop at for this listener; None: none."""
        ...

    def clock_moved(self, before: datetime, now: datetime, horizon: datetime) -> None:
        """The clock went from ``before`` to ``now`` (earlier when set back) and shows ``now``.

        Until ``horizon`` no other listener is due and the move does not go further, so
        work that would find nothing to do may be skipped up to there.
        """
        ...


class _Callback:
    """A plain ``(before, after)`` callable as a listener without appointments."""

    def __init__(self, callback: Listener) -> None:
        self._callback = callback

    def due(self) -> datetime | None:
        return None

    def clock_moved(self, before: datetime, now: datetime, horizon: datetime) -> None:
        self._callback(before, now)


class SystemClock:
    """The wall clock, which a user may push forward (``skip``) but never freeze or turn back.

    Skipping lets ``POST /api/clock/advance`` work on a simulator that runs on real time:
    the poll that falls due in the skipped span runs at once, instead of after a real wait.
    """

    frozen = False

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        # datetime.now, not time.time: freezegun patches the former for in-process users.
        return datetime.now(UTC) + self._offset

    def skip(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock only moves forward")
        self._offset += timedelta(seconds=seconds)
        return self.now()


class FrozenClock:
    """A clock that stands still until ``set`` or ``advance`` moves it."""

    frozen = True

    def __init__(self, at: datetime | None = None) -> None:
        self._now = utc(at) if at is not None else datetime.now(UTC).replace(microsecond=0)
        # One move at a time; re-entrant so that a listener may read or even move the clock.
        self._lock = threading.RLock()
        self._listeners: list[ClockListener] = []

    def now(self) -> datetime:
        return self._now

    def subscribe(self, listener: ClockListener | Listener) -> None:
        """Tell ``listener`` of every stop: a ``ClockListener``, or a callable taking (before, after)."""
        with self._lock:
            self._listeners.append(listener if isinstance(listener, ClockListener) else _Callback(listener))

    def unsubscribe(self, listener: ClockListener) -> None:
        with self._lock:
            self._listeners = [known for known in self._listeners if known is not listener]

    def set(self, instant: datetime) -> None:
        """Move to ``instant``, stopping at every due instant on the way (none when moving back)."""
        target = utc(instant)
        with self._lock:
            landed = False
            if target >= self._now:
                while (stop := self._next_stop(target)) is not None:
                    self._stop_at(stop, target)
                    landed = stop == target
            if not landed:
                self._stop_at(target, target)

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("a clock only moves forward; use set() to jump back")
        with self._lock:
            self.set(self._now + timedelta(seconds=seconds))
            return self._now

    def _next_stop(self, target: datetime) -> datetime | None:
        """The earliest instant in (now, target] that a listener is due at."""
        dues = [
            d for d in (listener.due() for listener in self._listeners) if d is not None and self._now < d <= target
        ]
        return min(dues, default=None)

    def _stop_at(self, stop: datetime, target: datetime) -> None:
        before, self._now = self._now, stop
        for listener in list(self._listeners):
            others = [
                d
                for d in (other.due() for other in self._listeners if other is not listener)
                if d is not None and d >= stop
            ]
            listener.clock_moved(before, stop, min([target, *others]))


def real_monotonic() -> float:
    """Seconds on a monotonic clock that freezegun leaves alone, for deadlines and server timers.

    freezegun replaces ``time.monotonic`` (on the ``time`` module and wherever it was imported
    by name) but not ``clock_gettime``, so a wait with a deadline still ends inside ``freeze_time``.
    Reading it through the module at call time is what matters; a module-level ``import time``
    is safe because freezegun replaces functions, never the module.
    """
    if hasattr(time, "clock_gettime"):
        return time.clock_gettime(time.CLOCK_MONOTONIC)
    return time.monotonic()  # pragma: no cover - Windows has no clock_gettime
