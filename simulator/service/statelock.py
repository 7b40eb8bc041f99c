"""One owner per state folder: an exclusive lock taken before anything touches the folder.

Two servers on one ``--state-dir`` would both run start-up recovery against the
same database (erasing the other's archive in flight) and both poll the same
folders (processing archives twice).  The first to start holds an ``flock`` on
``STATE_DIR/smsftp.lock`` for as long as it runs; the lock file names its pid.
The kernel drops the lock when the process ends however it ends (``kill -9``
included), so a stale file never keeps a folder locked.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from smsftp.simulator.service.store import StoreError

LOCK_FILE = "smsftp.lock"


class StateFolderBusy(StoreError):
    """Another process (or another simulator in this one) runs on the state folder."""

    def __init__(self, folder: Path, holder: str) -> None:
        self.folder, self.holder = folder, holder
        super().__init__(
            f"{folder} is in use by another smsftp (pid {holder}); stop it or give this one another --state-dir"
        )


class StateLock:
    """Held from ``acquire`` to ``release``; ``acquire`` raises ``StateFolderBusy`` at once, never waits."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> StateLock:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            # flock, not lockf: it is held by this open file, so a second simulator in the same process
            # is refused too.
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StateFolderBusy(self.folder, holder) from None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.close(self._fd)  # closing the only descriptor drops the lock
            self._fd = None
