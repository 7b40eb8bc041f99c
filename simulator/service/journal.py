"""The upload journal: what the FTP server saw of every upload, for the poller and the API.

The FTP handler reports here and nowhere else: an upload starts at STOR/APPE
(``in_progress`` from that moment, recorded before the server opens the file and
answers 150, because pyftpdlib writes under the final name while the transfer
runs), ends ``complete``, ``aborted`` or ``cut_off``, and may be renamed
afterwards (a temporary name, Q22).  The poller asks the journal whether a file
is still being written and how it was sent (TYPE A, Q27).  "Still being written"
is answered from memory (uploads whose end the handler has not reported) as well
as from the store.

Checksums are computed on a background thread after the transfer: hashing in
pyftpdlib's loop would slow every upload down by a third.  ``flush`` waits for
them.  Every event is also one structured log line (logfmt) on logger ``smsftp``.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from datetime import datetime
from typing import Any

from smsftp.simulator.rules.instants import format_instant
from smsftp.simulator.service.clock import Clock
from smsftp.simulator.service.store import Store, UploadRecord, UploadState

log = logging.getLogger("smsftp")

_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.:/@+,")


def logfmt(event: str, **fields: Any) -> str:
    """``event=upload login=guest file=x.zip ...``: one line, greppable, quoted only when needed."""
    parts = [f"event={event}"]
    for key, value in fields.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "yes" if value else "no"
        elif isinstance(value, datetime):
            text = format_instant(value)
        elif isinstance(value, float):
            text = f"{value:.3f}"
        else:
            text = str(value)
        if not text or not set(text) <= _SAFE:
            text = '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        parts.append(f"{key}={text}")
    return " ".join(parts)


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    if log.isEnabledFor(level):
        log.log(level, logfmt(event, **fields))


def recover(store: Store, now: datetime) -> None:
    """Start-up, before the FTP server opens: undo what a crash left half-done.

    Claims without a verdict are dropped with their messages (their files are
    processed again) and transfers that were running are marked cut off.
    """
    for login, name in store.forget_pending():
        log_event("recover", logging.WARNING, login=login, archive=name, action="reprocess")
    cut = store.abandon_in_progress(now)
    if cut:
        log_event("recover", logging.WARNING, uploads_cut_off=cut)


class Journal:
    """Upload facts in the store, plus a checksum worker."""

    def __init__(self, store: Store, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._jobs: queue.Queue[tuple[int, int] | None] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._open: dict[int, tuple[str, str]] = {}  # upload id -> (login, name) while the transfer runs
        self._open_lock = threading.Lock()

    def start(self) -> None:
        if self._worker is None:
            self._worker = threading.Thread(target=self._hash_forever, name="smsftp-checksums", daemon=True)
            self._worker.start()

    def close(self) -> None:
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout=30)
            self._worker = None

    def flush(self) -> None:
        """Wait until every finished upload has its checksum."""
        if self._worker is not None:
            self._jobs.join()

    # --- reported by the FTP handler (pyftpdlib's thread) -------------------------------------------
    def upload_started(
        self,
        *,
        login: str,
        filename: str,
        command: str,
        transfer_type: str,
        control_tls: bool,
        data_tls: bool,
        passive: bool,
        client: str,
    ) -> int:
        upload_id = self.store.upload_started(
            login=login,
            filename=filename,
            command=command,
            transfer_type=transfer_type,
            control_tls=control_tls,
            data_tls=data_tls,
            passive=passive,
            client=client,
            at=self.clock.now(),
        )
        with self._open_lock:
            self._open[upload_id] = (login, filename)
        log_event(
            "upload-start",
            login=login,
            file=filename,
            command=command,
            type=transfer_type,
            control_tls=control_tls,
            data_tls=data_tls,
            passive=passive,
            client=client,
            upload=upload_id,
        )
        return upload_id

    def upload_ended(
        self,
        upload_id: int,
        *,
        login: str,
        filename: str,
        state: UploadState,
        ending: str,
        path: str,
        size: int | None,
        data_tls: bool,
    ) -> None:
        self.store.upload_ended(
            upload_id, state=state, ending=ending, size=size, data_tls=data_tls, at=self.clock.now()
        )
        with self._open_lock:
            self._open.pop(upload_id, None)
        level = logging.INFO if state == "complete" else logging.WARNING
        log_event(
            "upload",
            level,
            login=login,
            file=filename,
            state=state,
            ending=ending,
            size=size,
            data_tls=data_tls,
            upload=upload_id,
        )
        if self._worker is None:
            return
        try:
            # Opened now, in order: a rename or the poller's delete must not lose the bytes to hash.
            fd = os.open(path, os.O_RDONLY)
        except OSError:
            return
        self._jobs.put((upload_id, fd))

    def reply_seen(self, upload_id: int, read: bool) -> None:
        """After a complete transfer: did the client go on (read) or hang up (unread) after the 226?"""
        reply = "read" if read else "unread"
        self.store.upload_reply(upload_id, reply)
        if not read:
            log_event("reply-unread", logging.WARNING, upload=upload_id)

    def upload_refused(self, upload_id: int) -> None:
        """The server could not open the file after all: no upload happened."""
        with self._open_lock:
            self._open.pop(upload_id, None)
        self.store.upload_discarded(upload_id)

    def renamed(self, login: str, src: str, dst: str) -> None:
        with self._open_lock:  # renamed while still being written: the transfer goes on under the new name
            for key, (lg, name) in list(self._open.items()):
                if (lg, name) == (login, src):
                    self._open[key] = (login, dst)
        upload_id = self.store.upload_renamed(login, src, dst)
        log_event("rename", login=login, source=src, target=dst, upload=upload_id)

    def login_failed(self, login: str, client: str, tls: bool) -> None:
        self.store.login_failed(login, client, tls, self.clock.now())
        log_event("login-failed", logging.WARNING, login=login, client=client, tls=tls)

    # --- asked by the poller ---------------------------------------------------------------------------
    def in_progress(self, login: str, name: str) -> bool:
        with self._open_lock:
            if (login, name) in self._open.values():
                return True
        return self.store.upload_in_progress(login, name)

    def current(self, login: str, name: str) -> UploadRecord | None:
        return self.store.current_upload(login, name)

    def uploads(self, login: str | None = None) -> list[UploadRecord]:
        self.flush()
        return self.store.uploads(login)

    def _hash_forever(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is None:
                    return
                upload_id, fd = job
                self.store.upload_hashed(upload_id, file_sha256(fd))
            except Exception:  # a checksum is a courtesy: never let it take the worker down
                log.exception("checksum failed")
            finally:
                if job is not None:
                    os.close(job[1])
                self._jobs.task_done()


def file_sha256(fd: int) -> str:
    """SHA-256 of an open file from its start, in 1 MiB reads (hashlib releases the GIL)."""
    import hashlib  # here: the service's start-up does not need it

    digest = hashlib.sha256()
    os.lseek(fd, 0, os.SEEK_SET)
    while chunk := os.read(fd, 1 << 20):
        digest.update(chunk)
    return digest.hexdigest()
