"""Every private pyftpdlib name the FTP server relies on, in one place.

pyftpdlib's hooks (``on_login_failed``, ``ftp_STOR``, ``pre_process_command``, ...) are public,
but knowing *how* a transfer ended, which channel runs TLS, or which reply a data channel
will send takes a few of its private names.  They are all read or written here and nowhere
else, so that a pyftpdlib release that renames one breaks this module's tests
(``tests/test_service_ftpadapter.py``, one test per name in ``PRIVATE_NAMES``) instead of
an upload in production.  ``pyproject.toml`` bounds pyftpdlib below its next major version.

Time: pyftpdlib's scheduler reads its module-global ``timer`` (``time.monotonic``), which
freezegun's ``freeze_time`` replaces in every loaded module, so that idle timeouts and the
delayed ``530`` would never fire inside a frozen test.  Rather than overwrite that global
(it would change every pyftpdlib server in the process), ``RealTimeIOLoop`` is an IOLoop
whose scheduled calls are timed by ``real_monotonic``, which freezegun does not patch.
"""

from __future__ import annotations

import heapq
import logging
import traceback
from typing import Any

from pyftpdlib import ioloop as _ioloop
from pyftpdlib.exceptions import _FileReadWriteError, _RetryError

from smsftp.simulator.service.clock import real_monotonic

#: (owner, name) of each private pyftpdlib name used below; each has a test.
PRIVATE_NAMES: tuple[tuple[str, str], ...] = (
    ("pyftpdlib.exceptions", "_RetryError"),
    ("pyftpdlib.exceptions", "_FileReadWriteError"),
    ("pyftpdlib.ioloop", "_ERRNOS_DISCONNECTED"),
    ("pyftpdlib.ioloop", "_ERRNOS_RETRY"),
    ("pyftpdlib.ioloop", "_Scheduler"),
    ("pyftpdlib.ioloop", "_CallLater"),
    ("pyftpdlib.ioloop", "_CallEvery"),
    ("_Scheduler", "_tasks"),
    ("_Scheduler", "_cancellations"),
    ("_CallLater", "_repush"),
    ("_CallLater", "_delay"),
    ("_CallLater", "_sched"),
    ("FTPHandler", "_current_type"),
    ("FTPHandler", "_in_dtp_queue"),
    ("FTPHandler", "_closed"),
    ("FTPHandler", "_restart_position"),
    ("TLS_FTPHandler", "_ssl_established"),
    ("TLS_FTPHandler", "_prot"),
    ("DTPHandler", "_resp"),
    ("TLS_DTPHandler", "_ssl_requested"),
)

RetryError = _RetryError
ERRNOS_DISCONNECTED: frozenset[int] = frozenset(_ioloop._ERRNOS_DISCONNECTED)
ERRNOS_RETRY: frozenset[int] = frozenset(_ioloop._ERRNOS_RETRY)
_log = logging.getLogger("pyftpdlib")


# --- time ------------------------------------------------------------------------------------------


class _RealTimeScheduler(_ioloop._Scheduler):  # type: ignore[misc]
    """pyftpdlib's scheduler, due times read from ``real_monotonic`` (its ``poll`` with one change)."""

    def poll(self) -> float | None:
        now = real_monotonic()
        calls = []
        while self._tasks:
            if now < self._tasks[0].timeout:
                break
            call = heapq.heappop(self._tasks)
            if call.cancelled:
                self._cancellations -= 1
            else:
                calls.append(call)
        for call in calls:
            if call._repush:
                heapq.heappush(self._tasks, call)
                call._repush = False
                continue
            try:
                call.call()
            except Exception:
                _log.error(traceback.format_exc())
        if self._cancellations > 512 and self._cancellations > (len(self._tasks) >> 1):
            self.reheapify()
        return max(0.0, self._tasks[0].timeout - now) if self._tasks else None


class _Unregistered:
    """A scheduler that files nothing: the call is filed once its due time is on the right clock."""

    def register(self, call: Any) -> None:
        pass


_UNREGISTERED = _Unregistered()


def _due(seconds: float) -> float:
    return real_monotonic() + seconds if seconds else 0


class _RealTimeCallLater(_ioloop._CallLater):  # type: ignore[misc]
    def __init__(self, seconds: float, target: Any, *args: Any, **kwargs: Any) -> None:
        scheduler = kwargs.pop("_scheduler")
        super().__init__(seconds, target, *args, _scheduler=_UNREGISTERED, **kwargs)
        self._sched = scheduler
        self.timeout = _due(seconds)
        scheduler.register(self)

    def reset(self) -> None:
        super().reset()
        self.timeout = _due(self._delay)  # re-filed by the scheduler's poll (``_repush``)


class _RealTimeCallEvery(_ioloop._CallEvery):  # type: ignore[misc]
    def __init__(self, seconds: float, target: Any, *args: Any, **kwargs: Any) -> None:
        scheduler = kwargs.pop("_scheduler")
        super().__init__(seconds, target, *args, _scheduler=_UNREGISTERED, **kwargs)
        self._sched = scheduler
        self.timeout = _due(seconds)
        scheduler.register(self)

    def reset(self) -> None:
        super().reset()
        self.timeout = _due(self._delay)

    def _post_call(self, exc: BaseException | None) -> None:
        if not self.cancelled:
            if exc:
                self.cancel()
            else:
                self.timeout = _due(self._delay)
                self._sched.register(self)


class RealTimeIOLoop(_ioloop.IOLoop):  # type: ignore[misc]
    """pyftpdlib's IOLoop for this platform, with its timers on ``real_monotonic`` (see above)."""

    def __init__(self) -> None:
        super().__init__()
        self.sched = _RealTimeScheduler()

    def call_later(self, seconds: float, target: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["_scheduler"] = self.sched
        return _RealTimeCallLater(seconds, target, *args, **kwargs)

    def call_every(self, seconds: float, target: Any, *args: Any, **kwargs: Any) -> Any:
        kwargs["_scheduler"] = self.sched
        return _RealTimeCallEvery(seconds, target, *args, **kwargs)


# --- handler state ---------------------------------------------------------------------------------


def is_closed(channel: Any) -> bool:
    """Whether a control or data channel was closed (pyftpdlib's ``_closed``)."""
    return bool(channel._closed)


def ascii_type(handler: Any) -> bool:
    """Whether the session's transfer type is ASCII (``TYPE A``)."""
    return bool(handler._current_type == "a")


def set_ascii_type(handler: Any, ascii: bool) -> None:
    """Set the session's transfer type: ASCII (``TYPE A``) or binary (``TYPE I``)."""
    handler._current_type = "a" if ascii else "i"


def control_tls(handler: Any) -> bool:
    """Whether the control connection runs TLS (after ``AUTH TLS``)."""
    return bool(getattr(handler, "_ssl_established", False))


def data_protected(handler: Any) -> bool:
    """Whether data connections are to be encrypted (``PROT P``)."""
    return bool(getattr(handler, "_prot", False))


def data_tls(dtp: Any) -> bool:
    """Whether a data channel runs (or is starting) TLS."""
    return bool(getattr(dtp, "_ssl_requested", False))


def restart_position(handler: Any) -> int:
    """The offset of a pending ``REST`` (0: none); ``STOR`` after it writes into the existing file."""
    return int(handler._restart_position or 0)


def queued_upload_file(handler: Any) -> Any:
    """The file object of an upload whose data connection is not open yet (after the 150 reply)."""
    queued = handler._in_dtp_queue
    return queued[0] if queued is not None else None


def set_data_reply(dtp: Any, reply: str) -> None:
    """The reply the control channel sends when this data channel closes (instead of 226/426)."""
    dtp._resp = (reply, _log.warning)


def storage_error(error: BaseException | None) -> OSError | None:
    """The file system's error behind a failed write of an upload, if that is what ``error`` is."""
    if isinstance(error, _FileReadWriteError) and isinstance(error.__cause__, OSError):
        return error.__cause__
    return None
