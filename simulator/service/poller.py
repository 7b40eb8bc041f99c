"""The poller (P1-P4, Q1, Q15, Q17, Q22): picks archives, orders them, hands them to the rules.

Every ``interval`` seconds of simulator time, for each account: list the folder's
``.zip`` files (exactly that lower-case extension), order them by the timestamp
in the name, then by upload completion time, then by name (Q1), and process them
one at a time (P4), each deleted afterwards whether accepted or rejected (P2).
Other files stay and are reported once each as SMS803 (Q15).  A file whose upload
is still running is never touched (Q22), unless ``naive`` is set: then the poller
takes whatever it finds, as a plain file-system poller would.  "Still running" is
asked twice: when listing, and again after the file was read and hashed, when an
upload that started meanwhile (the journal records it before the server opens
the file), a new upload of the name, or a size or mtime that moved while reading
puts the file back for the next poll.

Exactly once across a crash: the poller first *claims* a file in the store
(name, size, mtime, SHA-256), then stores the messages, then commits the verdict,
then deletes the file.  On restart, claims without a verdict are dropped and
their files processed again; a file whose claim has a verdict was only missing
its deletion and is deleted without processing.

The rules judge exactly the bytes claimed: the file is copied into an unnamed
file under ``work`` while it is hashed, and the copy is judged.  A client that
STORs the same name again meanwhile rewrites the folder's file, not the copy;
that file is then no longer the one claimed (inode, size, mtime), so it stays
and the next poll processes it as an upload of its own.

The poller adds what the journal knows to the rules' diagnostics: SMS804 for a
name processed before (Q17), SMS805 for an upload straight under the final name,
SMS806 for plain FTP, SMS807 for an upload that was aborted or cut off.

With a frozen clock, polls run synchronously inside ``FrozenClock.set``/``advance``:
the poller is a ``ClockListener`` whose ``due`` is its next poll, so the clock stops
at each poll's instant and shows it while the poll runs.  Polls that would find
nothing are only counted, up to the next instant anything else may happen, so a
jump of a year is instant.  With the system clock, a timer thread polls.

Exceptions in the poller are ours, never the client's: they go into ``errors``
(shared with the FTP server's, see ``Simulator.errors``) and the archive being
judged is rejected with SMS222 and deleted, so nothing is processed twice.  A
folder that cannot be polled at all (a login the file system refuses, a folder
gone unreadable) is counted in ``folder_failures`` and skipped; the other
accounts are polled as usual, and the timer thread survives any poll's error.

Test hook: the environment variable ``SMSFTP_CRASH_AT`` (``after-claim``,
``mid-messages``, ``before-commit``, ``after-commit``) kills the process with
SIGKILL at that point of the first archive, for the crash-recovery tests.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import signal
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import BinaryIO, Literal

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.rules.diagnostics import (
    ARCHIVE_INTERNAL_ERROR,
    UPLOAD_ABORTED,
    UPLOAD_NO_TEMPORARY_NAME,
    UPLOAD_NOT_ENCRYPTED,
    UPLOAD_NOT_ZIP,
    UPLOAD_REPEATED_NAME,
    UPLOAD_STORE_FULL,
    Diagnostic,
    diagnostic,
)
from smsftp.simulator.rules.outcome import Status, UploadFacts
from smsftp.simulator.rules.schedule import ZoneLookup
from smsftp.simulator.service.clock import Clock, FrozenClock, real_monotonic
from smsftp.simulator.service.faults import PollFaults
from smsftp.simulator.service.journal import Journal, log_event, recover
from smsftp.simulator.service.store import Store, UploadRecord, disk_full

CRASH_ENV = "SMSFTP_CRASH_AT"
CRASH_POINTS = ("after-claim", "mid-messages", "before-commit", "after-commit")
BATCH = 1000  # messages a transaction: small enough to hold no memory to speak of, big enough to cost no time
ARCHIVE_EXTENSION = ".zip"  # exactly: `.ZIP` is not an archive to this poller (Q15)
log = logging.getLogger("smsftp")


@dataclass(frozen=True)
class _Candidate:
    login: str
    name: str
    path: Path
    stamp: datetime | None
    completed: datetime
    upload: UploadRecord | None
    in_progress: bool

    def order(self) -> tuple[bool, datetime, datetime, str]:
        # Q1: the name's timestamp, then upload completion, then the name; unparsable names last.
        return (self.stamp is None, self.stamp or datetime.min, self.completed, self.name)


Handled = Literal["processed", "busy", "gone"]


@dataclass(frozen=True)
class PollOutcome:
    found: int
    processed: int
    skipped: int


class Poller:
    def __init__(
        self,
        *,
        store: Store,
        journal: Journal,
        root: Path,
        accounts: Callable[[], Mapping[str, Account]],
        clock: Clock,
        interval: float = 10.0,
        naive: bool = False,
        errors: list[BaseException] | None = None,
        work: Path | None = None,
        resolver: ZoneLookup | None = None,
        faults: PollFaults | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("the poll interval must be positive")
        self.store, self.journal, self.root = store, journal, root
        self._accounts, self.clock = accounts, clock
        self.interval = timedelta(seconds=interval)
        self.naive = naive
        self.work = work  # where claimed copies live while judged (None: the system's temporary folder)
        self.resolver = resolver  # recipients' time zones (localtime=1); None: the shipped numbering table
        self.faults = faults  # platform-side faults on demand: late polls, outages, stuck archives
        self.polls = 0
        self.errors: list[BaseException] = errors if errors is not None else []
        self._lock = threading.Lock()  # P4: one poll, one archive at a time
        self._stopping = threading.Event()
        self._next_due: datetime | None = None
        self._timer: threading.Thread | None = None
        self._tick_due = 0.0  # real_monotonic() of the next poll on the system clock
        self._subscribed = False
        self.deferred = 0  # archives put back because the store was full (SMS830)
        self._waiting_for_room: set[tuple[str, str]] = set()
        self.folder_failures: dict[str, int] = {}  # login -> polls whose folder failed, for health
        self.last_failure: str | None = None
        crash_at = os.environ.get(CRASH_ENV)
        self._crash_at = crash_at if crash_at in CRASH_POINTS else None

    # --- scheduling ------------------------------------------------------------------------------
    def recover(self) -> None:
        """Before the FTP server opens: undo what a crash left half-done (``journal.recover``)."""
        recover(self.store, self.clock.now())

    def start(self) -> None:
        """Poll every interval from now on."""
        self._stopping.clear()
        self._next_due = self.clock.now() + self.interval
        if isinstance(self.clock, FrozenClock):
            self.clock.subscribe(self)
            self._subscribed = True
        else:
            self._tick_due = real_monotonic() + self.interval.total_seconds()
            self._timer = threading.Thread(target=self._tick, name="smsftp-poller", daemon=True)
            self._timer.start()

    def stop(self) -> None:
        """Finish the archive in progress, then stop; no further poll starts."""
        self._stopping.set()
        with self._lock:
            pass
        if isinstance(self.clock, FrozenClock):
            self.clock.unsubscribe(self)
            self._subscribed = False
        if self._timer is not None:
            self._timer.join(timeout=30)
            self._timer = None

    @property
    def alive(self) -> bool:
        """Whether polls still happen: subscribed to the frozen clock, or its timer thread running."""
        if self._stopping.is_set():
            return False
        if isinstance(self.clock, FrozenClock):
            return self._subscribed
        return self._timer is not None and self._timer.is_alive()

    @property
    def next_due(self) -> datetime | None:
        """The next poll's instant on a frozen clock (None on the system clock: it polls by real time)."""
        return self._next_due if self.clock.frozen else None

    @contextmanager
    def paused(self) -> Iterator[None]:
        """No poll runs inside this block (the one running finishes first)."""
        with self._lock:
            yield

    # --- ClockListener: a frozen clock stops at each poll's instant -------------------------------
    def due(self) -> datetime | None:
        return None if self._stopping.is_set() else self._next_due

    def clock_moved(self, before: datetime, now: datetime, horizon: datetime) -> None:
        if self._stopping.is_set() or self._next_due is None:
            return
        if now < before:  # the clock was set back: the schedule starts again from there
            self._next_due = now + self.interval
            return
        while self._next_due <= now and not self._stopping.is_set():
            late = self.faults.late() if self.faults is not None else 0.0
            if late:
                self._next_due += timedelta(seconds=late)
                continue
            outcome = self.poll(self._next_due)
            self._next_due += self.interval
            if not outcome.found and not outcome.skipped and self._next_due <= horizon:
                # Nothing to do now means nothing to do until something else happens: count, don't run.
                idle = (horizon - self._next_due) // self.interval + 1
                self.polls += idle
                self._next_due += idle * self.interval

    def _tick(self) -> None:
        step = self.interval.total_seconds()
        self._tick_due = real_monotonic() + step
        # Short waits, not one long one: ``skipped`` may move the schedule meanwhile.
        while not self._stopping.wait(max(0.0, min(0.25, self._tick_due - real_monotonic()))):
            if real_monotonic() >= self._tick_due:
                try:
                    late = self.faults.late() if self.faults is not None else 0.0
                    if late:
                        self._tick_due += late
                        continue
                    self.poll(self.clock.now())
                except Exception as exc:  # our bug: surface it and poll again, never end the thread
                    self._failed("poll", exc)
                self._tick_due = max(self._tick_due + step, real_monotonic())

    def skipped(self, seconds: float) -> int:
        """The system clock was pushed ``seconds`` forward: if a poll fell due in that span, run it now.

        One poll takes every archive in the folder, so the further polls of a long skip would find
        nothing; the schedule restarts from now.  Returns the number of polls run (0 or 1).
        """
        if self._timer is None or seconds < self._tick_due - real_monotonic():
            self._tick_due -= seconds
            return 0
        self.poll(self.clock.now())
        self._tick_due = real_monotonic() + self.interval.total_seconds()
        return 1

    # --- one poll --------------------------------------------------------------------------------
    def poll(self, at: datetime | None = None) -> PollOutcome:
        at = at or self.clock.now()
        with self._lock:
            if self._stopping.is_set():
                return PollOutcome(0, 0, 0)
            started = real_monotonic()
            self.polls += 1
            found = processed = skipped = 0
            accounts = dict(self._accounts())
            if self.faults is not None:
                self.faults.polled()
            for login in sorted(accounts):
                try:
                    outage = self.faults.outage(login) if self.faults is not None else ""
                    if outage:
                        # Archives wait out an outage that ends: the polls until then must run, not be skipped
                        # as idle.  An open-ended outage (or an empty folder) lets a long advance skip them.
                        skipped += outage == "bounded" and self._holds_archives(login)
                        continue
                    candidates, waiting = self._candidates(login, at)
                    if self.faults is not None:  # a held archive counts as waiting: the next polls must run
                        held = [c for c in candidates if self.faults.hold(login, c.name)]
                        candidates = [c for c in candidates if c not in held]
                        waiting += len(held)
                    found += len(candidates)
                    skipped += waiting
                    for candidate in sorted(candidates, key=_Candidate.order):
                        if self._stopping.is_set():
                            break
                        handled = self._process(candidate, accounts[login], at)
                        if self.faults is not None and handled == "processed":
                            self.faults.taken(login, candidate.name)
                        processed += handled == "processed"
                        skipped += handled == "busy"
                        if handled == "processed" and accounts[login].one_archive_per_check:
                            break  # Q30: the next archive waits for the next check
                except Exception as exc:  # one folder's failure never stops the other accounts' polls
                    self.folder_failures[login] = self.folder_failures.get(login, 0) + 1
                    self._failed(f"folder {login!r}", exc)
            seconds = real_monotonic() - started
            if processed:
                self.store.checkpoint()
            if found or skipped:
                self.store.poll_recorded(at, found=found, processed=processed, skipped=skipped, seconds=seconds)
                log_event("poll", at=at, found=found, processed=processed, in_progress=skipped, seconds=seconds)
            return PollOutcome(found, processed, skipped)

    def _holds_archives(self, login: str) -> bool:
        try:
            with os.scandir(self.root / login) as entries:
                return any(e.name.endswith(ARCHIVE_EXTENSION) for e in entries)
        except FileNotFoundError:
            return False

    def _candidates(self, login: str, at: datetime) -> tuple[list[_Candidate], int]:
        folder = self.root / login
        try:
            entries = [e for e in os.scandir(folder) if e.is_file(follow_symlinks=False)]
        except FileNotFoundError:
            return [], 0
        from smsftp.simulator.rules.naming import parse_archive_name

        candidates: list[_Candidate] = []
        waiting = 0
        for entry in entries:
            in_progress = self.journal.in_progress(login, entry.name)
            if not entry.name.endswith(ARCHIVE_EXTENSION):
                if not in_progress and self.store.note(
                    login,
                    entry.name,
                    UPLOAD_NOT_ZIP.code,
                    f"{entry.name} is not a .zip archive; it was left alone.",
                    at,
                ):
                    log_event("not-zip", login=login, file=entry.name)
                continue
            if in_progress and not self.naive:
                waiting += 1
                continue
            upload = self.journal.current(login, entry.name)
            completed = upload.ended_at or upload.started_at if upload is not None else None
            if completed is None:
                completed = datetime.fromtimestamp(entry.stat(follow_symlinks=False).st_mtime, UTC)
            parsed = parse_archive_name(entry.name)
            candidates.append(
                _Candidate(
                    login,
                    entry.name,
                    Path(entry.path),
                    parsed.stamp if parsed else None,
                    completed,
                    upload,
                    in_progress,
                )
            )
        self.store.prune_notes(login, {e.name for e in entries})
        return candidates, waiting

    def _process(self, c: _Candidate, account: Account, at: datetime) -> Handled:
        try:
            source = open(c.path, "rb")  # noqa: SIM115 - closed below, after the verdict
        except FileNotFoundError:
            return "gone"  # the client deleted or renamed it since the listing
        # The rules judge a private copy made while hashing, never the folder's file: a client that
        # STORs the same name again meanwhile truncates and rewrites that file, not what was claimed.
        archive_id: int | None = None
        try:
            with source, tempfile.TemporaryFile(prefix="claimed-", dir=self.work) as claimed:
                st = os.fstat(source.fileno())
                sha256, copied = _copy_hashing(source, claimed)
                if copied != st.st_size or (not self.naive and self._changed_since_listing(c, st)):
                    log_event("busy", login=c.login, archive=c.name, action="next-poll")
                    return "busy"
                if self.store.settled_claim(c.login, c.name, st.st_size, st.st_mtime_ns, sha256) is not None:
                    log_event("recover", logging.WARNING, login=c.login, archive=c.name, action="delete-processed")
                    _remove_if_unchanged(c.path, st)
                    return "gone"
                for leftover in self.store.pending_claims(c.login, c.name):
                    self.store.drop_claim(leftover)  # an attempt the store had no room to undo
                repeats = self.store.times_processed(c.login, c.name)
                received_at = c.completed
                archive_id = self.store.claim(
                    login=c.login,
                    name=c.name,
                    upload_id=c.upload.id if c.upload else None,
                    size=st.st_size,
                    mtime_ns=st.st_mtime_ns,
                    sha256=sha256,
                    received_at=received_at,
                )
                self._crash("after-claim")
                try:
                    verdict = self._judge(c, account, at, claimed, archive_id)
                except Exception as exc:  # our bug, not the client's: keep polling, surface it
                    if disk_full(exc):
                        raise  # not the archive's fault: rolled back and retried (``_defer``)
                    self.errors.append(exc)
                    log.exception("internal error while processing %s/%s", c.login, c.name)
                    # Rejected, its messages dropped and the file deleted: nothing half-sent, nothing twice.
                    verdict = (
                        "rejected",
                        None,
                        0,
                        0,
                        [
                            diagnostic(
                                ARCHIVE_INTERNAL_ERROR,
                                f"The simulator failed while judging {c.name}: {type(exc).__name__}: {exc}",
                            )
                        ],
                    )
                status, mode, count, rejected_rows, diagnostics = verdict
                diagnostics += self._upload_diagnostics(c, repeats)
                self._crash("before-commit")
                self.store.finish(
                    archive_id,
                    status=status,
                    mode=mode,
                    message_count=count,
                    rejected_rows=rejected_rows,
                    diagnostics=diagnostics,
                    processed_at=at,
                )
                self._crash("after-commit")
        except Exception as exc:
            if not disk_full(exc):
                raise
            self._defer(c, archive_id, at, exc)
            return "busy"
        if (c.login, c.name) in self._waiting_for_room:  # its SMS830 note is over
            self._waiting_for_room.discard((c.login, c.name))
            self.store.forget_note(c.login, c.name)
        if self.naive or not self.journal.in_progress(c.login, c.name):  # a new upload of the name is next
            _remove_if_unchanged(c.path, st, same_inode_only=c.in_progress)
        log_event(
            "archive",
            login=c.login,
            archive=c.name,
            status=status,
            mode=mode,
            messages=count,
            rejected_rows=rejected_rows,
            errors=sum(d.is_error for d in diagnostics),
            id=archive_id,
        )
        return "processed"

    def _defer(self, c: _Candidate, archive_id: int | None, at: datetime, exc: Exception) -> None:
        """The store ran out of room: undo the claim, leave the file for the next poll, say so once."""
        self.deferred += 1
        self._waiting_for_room.add((c.login, c.name))
        if archive_id is not None:
            try:
                self.store.drop_claim(archive_id)
            except sqlite3.Error:  # the next attempt drops it first (``pending_claims``), or the next start
                log.exception("could not drop the claim of %s/%s", c.login, c.name)
        with contextlib.suppress(sqlite3.Error):
            self.store.note(
                c.login,
                c.name,
                UPLOAD_STORE_FULL.code,
                f"{c.name}: the store is full ({exc}); the processing was rolled back and it waits for the next poll",
                at,
            )
        log_event("deferred", logging.WARNING, login=c.login, archive=c.name, reason="store-full", error=str(exc))

    def _failed(self, where: str, exc: Exception) -> None:
        self.errors.append(exc)
        self.last_failure = f"{where}: {type(exc).__name__}: {exc}"
        log.exception("poller: %s failed", where)

    def _changed_since_listing(self, c: _Candidate, st: os.stat_result) -> bool:
        """Whether what was just read may not be the whole of one finished upload (Q22).

        Asked after reading, so an upload that began while the file was read is seen: the
        journal records it before the server opens the file.
        """
        if self.journal.in_progress(c.login, c.name):
            return True
        upload = self.journal.current(c.login, c.name)
        if (upload.id if upload else None) != (c.upload.id if c.upload else None):
            return True  # a new upload or a rename onto this name since the listing
        try:
            now = os.stat(c.path, follow_symlinks=False)
        except FileNotFoundError:
            return True
        return (now.st_ino, now.st_size, now.st_mtime_ns) != (st.st_ino, st.st_size, st.st_mtime_ns)

    def _judge(
        self, c: _Candidate, account: Account, at: datetime, source: BinaryIO, archive_id: int
    ) -> tuple[Status, str | None, int, int, list[Diagnostic]]:
        from smsftp.simulator.rules.processing import process_archive

        facts = UploadFacts(transfer_type=c.upload.transfer_type if c.upload else "I", complete=not c.in_progress)
        run = process_archive(c.name, source, account, at, upload=facts, resolver=self.resolver)
        for batch in run.batches(BATCH):  # plain rows, straight into executemany
            self.store.append_rows(archive_id, batch, run.sender or "")
            self._crash("mid-messages")
        return run.status, run.mode, run.message_count, run.rejected_rows, list(run.diagnostics)

    @staticmethod
    def _upload_diagnostics(c: _Candidate, repeats: int) -> list[Diagnostic]:
        found: list[Diagnostic] = []
        if repeats:
            found.append(
                diagnostic(
                    UPLOAD_REPEATED_NAME,
                    f"An archive named {c.name} was processed {repeats} time(s) before; it is processed again.",
                )
            )
        upload = c.upload
        if upload is None:
            return found
        if upload.state in ("aborted", "cut_off"):
            found.append(
                diagnostic(
                    UPLOAD_ABORTED,
                    f"The upload of {c.name} ended {upload.state.replace('_', ' ')} "
                    f"({upload.ending}) after {upload.size or 0:,} bytes.",
                )
            )
        if upload.temp_name is None:
            found.append(
                diagnostic(
                    UPLOAD_NO_TEMPORARY_NAME,
                    f"{c.name} was written directly under its final name ({upload.command} {upload.filename}).",
                )
            )
        if not (upload.control_tls and upload.data_tls):
            found.append(diagnostic(UPLOAD_NOT_ENCRYPTED))
        return found

    def _crash(self, point: str) -> None:
        if self._crash_at == point:
            log.warning("%s=%s: killing the process (test hook)", CRASH_ENV, point)
            os.kill(os.getpid(), signal.SIGKILL)


def _copy_hashing(source: BinaryIO, copy: BinaryIO) -> tuple[str, int]:
    """SHA-256 and length of ``source``, copied into ``copy`` on the way (left at its start)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := source.read(1 << 20):
        digest.update(chunk)
        copy.write(chunk)
        size += len(chunk)
    copy.flush()
    copy.seek(0)
    return digest.hexdigest(), size


def _remove_if_unchanged(path: Path, st: os.stat_result, *, same_inode_only: bool = False) -> None:
    """Delete the processed file, unless a new upload replaced it meanwhile (that one is next).

    A file taken mid-upload (naive poller) keeps growing; it is deleted all the same, as a
    file-system poller deletes by name.
    """
    try:
        now = os.stat(path, follow_symlinks=False)
    except FileNotFoundError:
        return
    same = now.st_ino == st.st_ino and (
        same_inode_only or (now.st_size, now.st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    )
    if same:
        path.unlink(missing_ok=True)
