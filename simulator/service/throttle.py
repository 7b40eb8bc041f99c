"""Password guessing slowed to a crawl: failed logins counted per address and per login.

One ``LoginThrottle`` serves the FTP server and the cabinet's sign-in form, so that a
guesser cannot switch doors.  After ``failures`` failed logins from one client address,
or for one login, within ``backoff`` seconds, every further attempt from that address or
for that login is refused for ``backoff`` seconds *without the password being checked*:
a right guess during the back-off is worth nothing.  Without it, 40 threads tried 78
passwords a second over FTP (pyftpdlib's 0.5 s delay is per connection) and 899 a second
on the cabinet.

Time is real (``real_monotonic``), not the simulator's clock: a frozen clock must not
hold a client locked out forever, nor a test's ``advance(3600)`` unlock a guesser.
Memory is bounded: at most ``MAX_KEYS`` addresses and logins are remembered, the
oldest forgotten first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass

from smsftp.simulator.service.clock import real_monotonic

DEFAULT_FAILURES = 10
DEFAULT_BACKOFF = 60.0
MAX_KEYS = 10_000


@dataclass(frozen=True)
class ThrottlePolicy:
    """``failures`` failed logins within ``backoff`` seconds lock the address or login for ``backoff``
    seconds; ``failures=0`` turns throttling off."""

    failures: int = DEFAULT_FAILURES
    backoff: float = DEFAULT_BACKOFF

    def __post_init__(self) -> None:
        if self.failures < 0:
            raise ValueError("login failures must be 0 (no throttling) or more")
        if self.backoff <= 0:
            raise ValueError("login back-off must be positive")


class LoginThrottle:
    """Counts failed logins and says how long an address or a login must wait; thread-safe."""

    def __init__(self, policy: ThrottlePolicy | None = None, *, now: Callable[[], float] = real_monotonic) -> None:
        self.policy = policy or ThrottlePolicy()
        self._now = now
        self._lock = threading.Lock()
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._locked_until: OrderedDict[tuple[str, str], float] = OrderedDict()

    @staticmethod
    def _keys(address: str, login: str) -> tuple[tuple[str, str], tuple[str, str]]:
        return ("address", address), ("login", login)

    def retry_after(self, address: str, login: str) -> float:
        """Seconds until ``login`` may be tried from ``address`` again; 0.0 when it may be now."""
        if not self.policy.failures:
            return 0.0
        now = self._now()
        with self._lock:
            wait = 0.0
            for key in self._keys(address, login):
                until = self._locked_until.get(key)
                if until is None:
                    continue
                if until <= now:
                    del self._locked_until[key]
                else:
                    wait = max(wait, until - now)
            return wait

    def failed(self, address: str, login: str) -> None:
        """Count a failed login; the one that reaches the limit starts the back-off."""
        policy = self.policy
        if not policy.failures:
            return
        now = self._now()
        with self._lock:
            for key in self._keys(address, login):
                times = self._failures.pop(key, None) or deque()
                while times and times[0] <= now - policy.backoff:
                    times.popleft()
                times.append(now)
                if len(times) >= policy.failures:
                    self._locked_until.pop(key, None)
                    self._locked_until[key] = now + policy.backoff
                    times.clear()
                else:
                    self._failures[key] = times  # re-inserted last: the oldest key is forgotten first
            for table in (self._failures, self._locked_until):
                while len(table) > MAX_KEYS:
                    table.popitem(last=False)

    def reset(self) -> None:
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()
