"""The simulator's memory: uploads, polls, archives and rendered messages in SQLite.

Only storing happens here; what to store is decided by the journal and the poller.
One connection writes, for every thread (pyftpdlib's loop, the poller, HTTP
workers), behind one lock; each reading thread has a read-only connection of its
own, which WAL lets read the last commit without waiting on the writer (``_read``).
Rows are read by column name from explicit column lists.  Messages go in batches,
each its own short transaction, so an upload never waits long behind a big
archive; they stay invisible until their archive's final status is committed.
After a crash, a claim still ``pending`` and its half-written messages are
dropped in bounded batches and the file is processed again.
Message ids of one archive are contiguous (one poller writes at a time), so an
archive's messages are the id range kept on its row: no secondary index to feed.
A message row holds only what differs between messages, as numbers where it
can: the sender is the archive's (a message's own only when ``append_messages``
was given mixed ones), the phone an integer (a number in international form has
no leading zero; any other text is kept as text), the instants integers
(microseconds since the epoch, UTC), the encoding its bits per character; the
rows of ``ArchiveRun.batches`` go to ``executemany`` as they are (``append_rows``).
Integers cost SQLite less to bind and to store than text.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import json
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar

from smsftp.simulator.errors import SimulatorError
from smsftp.simulator.rules.diagnostics import Diagnostic
from smsftp.simulator.rules.instants import format_instant
from smsftp.simulator.rules.outcome import Message
from smsftp.simulator.rules.processing import MessageRow, stored_phone
from smsftp.simulator.rules.schedule import instant, micros
from smsftp.simulator.rules.segments import BITS, ENCODING_OF_BITS

UploadState = Literal["in_progress", "complete", "aborted", "cut_off"]
ArchiveStatus = Literal["pending", "accepted", "rejected"]
SCHEMA_VERSION = "2"
T = TypeVar("T")
DROP_BATCH = 20_000
"""Message rows deleted a transaction when a claim is dropped: a crashed 15-million-row archive goes
in short commits that keep the write-ahead log small, never in one that doubles the disk."""

_UPLOAD_COLUMNS = (
    "id, login, filename, final_name, command, size, sha256, transfer_type, control_tls, data_tls, passive, "
    "temp_name, renamed_to, state, ending, client, started_at, ended_at, reply"
)
_ARCHIVE_COLUMNS = (
    "id, login, name, status, mode, received_at, processed_at, message_count, rejected_rows, diagnostics, "
    "upload_id, size, sha256"
)
_MESSAGE_COLUMNS = "id, phone, text, send_at, expires_at, encoding, segments, row, sender"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS uploads (id INTEGER PRIMARY KEY, login TEXT NOT NULL, filename TEXT NOT NULL,
    final_name TEXT NOT NULL, command TEXT NOT NULL, size INTEGER, sha256 TEXT, transfer_type TEXT NOT NULL,
    control_tls INTEGER NOT NULL, data_tls INTEGER NOT NULL, passive INTEGER NOT NULL, temp_name TEXT,
    renamed_to TEXT, state TEXT NOT NULL, ending TEXT, client TEXT NOT NULL, started_at TEXT NOT NULL,
    ended_at TEXT, archive_id INTEGER, reply TEXT);
CREATE INDEX IF NOT EXISTS uploads_by_name ON uploads (login, final_name);
CREATE TABLE IF NOT EXISTS archives (id INTEGER PRIMARY KEY, login TEXT NOT NULL, name TEXT NOT NULL,
    status TEXT NOT NULL, mode TEXT, received_at TEXT NOT NULL, processed_at TEXT,
    message_count INTEGER NOT NULL DEFAULT 0, rejected_rows INTEGER NOT NULL DEFAULT 0,
    diagnostics TEXT NOT NULL DEFAULT '[]', upload_id INTEGER, size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL, first_message_id INTEGER, last_message_id INTEGER, sender TEXT);
CREATE INDEX IF NOT EXISTS archives_by_name ON archives (login, name);
CREATE INDEX IF NOT EXISTS archives_by_status ON archives (status);
CREATE INDEX IF NOT EXISTS archives_by_upload ON archives (upload_id);
CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY, phone NOT NULL, text TEXT NOT NULL,
    send_at INTEGER NOT NULL, expires_at INTEGER NOT NULL, encoding INTEGER NOT NULL, segments INTEGER NOT NULL,
    row INTEGER NOT NULL, sender TEXT);
CREATE TABLE IF NOT EXISTS polls (id INTEGER PRIMARY KEY, at TEXT NOT NULL, found INTEGER NOT NULL,
    processed INTEGER NOT NULL, skipped INTEGER NOT NULL, seconds REAL NOT NULL);
CREATE TABLE IF NOT EXISTS failed_logins (id INTEGER PRIMARY KEY, login TEXT NOT NULL, client TEXT NOT NULL,
    tls INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS folder_notes (login TEXT NOT NULL, name TEXT NOT NULL, code TEXT NOT NULL,
    message TEXT NOT NULL, first_seen TEXT NOT NULL, PRIMARY KEY (login, name));
CREATE TABLE IF NOT EXISTS fault_events (id INTEGER PRIMARY KEY, fault_id INTEGER NOT NULL, kind TEXT NOT NULL,
    transient INTEGER NOT NULL, login TEXT, command TEXT NOT NULL, argument TEXT NOT NULL, reply INTEGER,
    detail TEXT NOT NULL, upload_id INTEGER, after_upload INTEGER NOT NULL, client TEXT NOT NULL, at TEXT NOT NULL);
"""


_dt = datetime.fromisoformat


def _instant(text: str | None) -> datetime | None:
    return None if text is None else _dt(text)


_TABLES = ("uploads", "archives", "messages", "polls", "failed_logins", "folder_notes", "fault_events")


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.astimezone(UTC).isoformat()


class _Record:
    def to_json(self) -> dict[str, Any]:
        """The fields as they are, instants as ISO 8601 UTC strings."""
        return {k: format_instant(v) if isinstance(v, datetime) else v for k, v in vars(self).items()}


@dataclass(frozen=True)
class UploadRecord(_Record):
    """One STOR/APPE/STOU as the FTP server saw it."""

    id: int
    login: str
    filename: str
    final_name: str
    command: str
    size: int | None
    sha256: str | None
    transfer_type: Literal["A", "I"]
    control_tls: bool
    data_tls: bool
    passive: bool
    temp_name: str | None
    renamed_to: str | None
    state: UploadState
    ending: str | None  # why it ended: closed, ABOR, control-lost, tls-eof, reset, timeout, error, restart
    client: str
    started_at: datetime
    ended_at: datetime | None
    # After a complete transfer: "read" when the client sent another command after the 226 reply,
    # "unread" when it closed the control connection without one (it may never have seen the 226).
    reply: str | None = None

    @property
    def complete(self) -> bool:
        return self.state == "complete"


@dataclass(frozen=True)
class ArchiveRecord(_Record):
    """One archive taken by the poller, and the verdict once it is final."""

    id: int
    login: str
    name: str
    status: ArchiveStatus
    mode: str | None
    received_at: datetime
    processed_at: datetime | None
    message_count: int
    rejected_rows: int
    diagnostics: list[Diagnostic]
    upload_id: int | None
    size: int
    sha256: str

    @property
    def final(self) -> bool:
        return self.status != "pending"

    def to_json(self) -> dict[str, Any]:
        data = _Record.to_json(self)
        data.update(archive=self.name, diagnostics=[d.to_json() for d in self.diagnostics])
        return data


@dataclass(frozen=True)
class MessageRecord:
    """A stored message: every field of ``Message`` plus where it came from."""

    id: int
    archive_id: int
    archive: str
    login: str
    phone: str
    text: str
    sender: str
    send_at: datetime
    expires_at: datetime
    encoding: str
    segments: int
    row: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "archive": self.archive,
            "login": self.login,
            "phone": self.phone,
            "text": self.text,
            "sender": self.sender,
            "send_at": format_instant(self.send_at),
            "expires_at": format_instant(self.expires_at),
            "encoding": self.encoding,
            "segments": self.segments,
            "row": self.row,
        }


@dataclass(frozen=True)
class FailedLogin(_Record):
    id: int
    login: str
    client: str
    tls: bool
    at: datetime


@dataclass(frozen=True)
class FolderNote(_Record):
    """A file the poller leaves alone (Q15), reported once while it stays."""

    login: str
    name: str
    code: str
    message: str
    first_seen: datetime


@dataclass(frozen=True)
class FaultEvent(_Record):
    """One injected fault as a client met it (``smsftp.simulator.service.faults``).

    ``upload_id`` is the upload it hit (a cut data connection); ``after_upload`` the
    newest upload journaled before it, so that a judge can tell what the client did next.
    """

    id: int
    fault_id: int
    kind: str
    transient: bool
    login: str | None
    command: str
    argument: str
    reply: int | None
    detail: str
    upload_id: int | None
    after_upload: int
    client: str
    at: datetime


@dataclass(frozen=True)
class PollRecord(_Record):
    id: int
    at: datetime
    found: int
    processed: int
    skipped: int
    seconds: float


@dataclass(frozen=True)
class ArchiveDay:
    """An archive as the per-day totals count it."""

    id: int
    received_at: datetime
    processed_at: datetime | None
    sha256: str
    status: ArchiveStatus
    message_count: int
    rejected_rows: int


@dataclass(frozen=True)
class Activity:
    archives: int
    last_archive: int
    pending: int
    uploads: int
    last_upload: int
    open_uploads: int


def _search(digits: str, text: str) -> tuple[str, list[Any]]:
    """The ``AND ...`` of a message search: digits anywhere in the phone, folded text anywhere in the text."""
    clauses, params = "", []
    if digits:
        clauses += " AND instr(CAST(phone AS TEXT), ?) > 0"
        params.append(digits)
    if text:
        clauses += " AND instr(casefold(text), ?) > 0"
        params.append(text.casefold())
    return clauses, params


def _where(*fixed: str, **equal: Any) -> tuple[str, list[Any]]:
    """``WHERE`` for the given conditions plus ``column=?`` for each keyword that is not None."""
    clauses = [*fixed, *(f"{k}=?" for k, v in equal.items() if v is not None)]
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), [v for v in equal.values() if v is not None]


def disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the store (SQLite, or a file next to it) ran out of room."""
    if isinstance(exc, sqlite3.OperationalError):
        return getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL
    return isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT)


class StoreError(SimulatorError):
    """The state folder cannot be used (another schema version); the message says what to do."""


class Store:
    """SQLite behind one lock; ``changed`` is notified after every write that readers wait for."""

    def __init__(self, path: str | Path, *, max_bytes: int | None = None) -> None:
        self.path = str(path)
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.row_factory = sqlite3.Row
        _add_functions(self._db)
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        # A store dropped without close() (a test's, an embedder's) still closes every connection it
        # opened, instead of leaving them to the garbage collector's ResourceWarning.
        weakref.finalize(self, _close_all, self._db, self._readers)
        self._lock = threading.RLock()
        self.changed = threading.Condition(self._lock)
        if self.path != ":memory:":
            # Space of dropped claims goes back to the file system (``forget_pending``); only a new file
            # takes it, before its first table.
            self._db.execute("PRAGMA auto_vacuum=INCREMENTAL")
            # Big pages: messages are appended in bulk, and a 16 KiB page costs a sixth less per row to
            # write and to checkpoint than the default 4 KiB.  Only a new file takes it (before WAL).
            self._db.execute("PRAGMA page_size=16384")
            self._db.execute("PRAGMA cache_size=-512")
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL keeps every commit across a killed process; only a power cut may lose the last.
            self._db.execute("PRAGMA synchronous=NORMAL")
            # Checkpoints (and their fsync) wait until an archive is done: see ``checkpoint``.
            self._db.execute("PRAGMA wal_autocheckpoint=25000")  # pages: 400 MiB
        self._db.execute("PRAGMA busy_timeout=10000")
        self._db.executescript(_SCHEMA)
        self._clean_at = -1  # the connection's total_changes right after the last reset
        self.limit(max_bytes)
        with self._tx() as db:
            # Stores made before the column existed: added in place, no schema bump for one nullable column.
            if "reply" not in {r[1] for r in db.execute("PRAGMA table_info(uploads)")}:
                db.execute("ALTER TABLE uploads ADD COLUMN reply TEXT")
            row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
            if row is None:
                db.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            elif row["value"] != SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: store schema {row['value']}, this smsftp needs {SCHEMA_VERSION}; "
                    "use a new --state-dir"
                )

    def close(self) -> None:
        with self._lock:
            self._db.close()
            for reader in self._readers:
                reader.close()
            self._readers.clear()

    def limit(self, max_bytes: int | None) -> None:
        """Cap the database's size (None: only the disk caps it).  Past the cap a write fails as on a
        full disk, and the poller defers the archive (SMS830); never below what is stored already."""
        with self._lock:
            page = int(self._db.execute("PRAGMA page_size").fetchone()[0])
            used = int(self._db.execute("PRAGMA page_count").fetchone()[0])
            pages = (1 << 32) - 2 if max_bytes is None else max(used, max_bytes // page)
            self._db.execute(f"PRAGMA max_page_count={int(pages)}")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """A connection for reading that never waits on the writer's lock: WAL lets each thread's own
        read-only connection see the last commit while a batch is being written (``:memory:`` has
        only the one connection, behind the lock)."""
        if self.path == ":memory:":
            with self._lock:
                yield self._db
            return
        reader: sqlite3.Connection | None = getattr(self._local, "reader", None)
        if reader is None:
            reader = sqlite3.connect(
                f"file:{Path(self.path).as_posix()}?mode=ro", uri=True, check_same_thread=False, isolation_level=None
            )
            reader.row_factory = sqlite3.Row
            reader.execute("PRAGMA busy_timeout=10000")
            reader.execute("PRAGMA cache_size=-2048")
            _add_functions(reader)
            self._local.reader = reader
            with self._lock:
                self._readers.append(reader)
        yield reader

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                if self._db.in_transaction:  # SQLite itself rolls back on some errors (a full disk)
                    self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            self.changed.notify_all()

    def _query(self, sql: str, params: Sequence[Any], make: Callable[[sqlite3.Row], T]) -> list[T]:
        with self._read() as db:
            return [make(row) for row in db.execute(sql, params)]

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (a count, a sum), read as ``_query`` reads."""
        with self._read() as db:
            row = db.execute(sql, params).fetchone()
        return None if row is None else row[0]

    # --- uploads ------------------------------------------------------------------------------
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
        at: datetime,
    ) -> int:
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO uploads (login, filename, final_name, command, transfer_type, control_tls, "
                "data_tls, passive, state, client, started_at) VALUES (?,?,?,?,?,?,?,?,'in_progress',?,?)",
                (login, filename, filename, command, transfer_type, control_tls, data_tls, passive, client, _iso(at)),
            )
            return int(cur.lastrowid or 0)

    def upload_ended(
        self, upload_id: int, *, state: UploadState, ending: str, size: int | None, data_tls: bool, at: datetime
    ) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE uploads SET state=?, ending=?, size=?, data_tls=?, ended_at=? WHERE id=?",
                (state, ending, size, data_tls, _iso(at), upload_id),
            )

    def upload_reply(self, upload_id: int, reply: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE uploads SET reply=? WHERE id=?", (reply, upload_id))

    def upload_hashed(self, upload_id: int, sha256: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE uploads SET sha256=? WHERE id=?", (sha256, upload_id))

    def upload_discarded(self, upload_id: int) -> None:
        """Forget an upload recorded at STOR that the server then refused (the file could not be opened)."""
        with self._tx() as db:
            db.execute("DELETE FROM uploads WHERE id=? AND state='in_progress'", (upload_id,))

    def upload_renamed(self, login: str, src: str, dst: str) -> int | None:
        """Follow a file's upload through RNFR/RNTO; the first name is kept as the temporary one."""
        with self._tx() as db:
            row = db.execute(
                "SELECT id FROM uploads WHERE login=? AND final_name=? AND archive_id IS NULL ORDER BY id DESC LIMIT 1",
                (login, src),
            ).fetchone()
            if row is None:
                return None
            db.execute(
                "UPDATE uploads SET final_name=?, renamed_to=?, temp_name=COALESCE(temp_name, filename) WHERE id=?",
                (dst, dst, row["id"]),
            )
            return int(row["id"])

    def upload_in_progress(self, login: str, name: str) -> bool:
        with self._read() as db:
            return (
                db.execute(
                    "SELECT 1 FROM uploads WHERE login=? AND final_name=? AND state='in_progress' LIMIT 1",
                    (login, name),
                ).fetchone()
                is not None
            )

    def current_upload(self, login: str, name: str) -> UploadRecord | None:
        """The latest upload that left ``name`` in the folder and has not been processed yet."""
        found = self._query(
            f"SELECT {_UPLOAD_COLUMNS} FROM uploads WHERE login=? AND final_name=? AND archive_id IS NULL "
            "ORDER BY id DESC LIMIT 1",
            (login, name),
            _upload,
        )
        return found[0] if found else None

    def uploads_page(self, login: str | None, *, limit: int, offset: int = 0) -> list[UploadRecord]:
        """Newest first, one page."""
        where, params = _where(login=login)
        return self._query(
            f"SELECT {_UPLOAD_COLUMNS} FROM uploads{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
            _upload,
        )

    def count_uploads(self, login: str | None = None) -> int:
        where, params = _where(login=login)
        return int(self._one(f"SELECT COUNT(*) FROM uploads{where}", params))

    def previous_upload_id(self, login: str, before: int) -> int:
        """The id of ``login``'s upload just before ``before`` (0: none), whatever page that one is on."""
        return int(self._one("SELECT COALESCE(MAX(id), 0) FROM uploads WHERE login=? AND id<?", (login, before)))

    def upload_by_id(self, upload_id: int, login: str | None = None) -> UploadRecord | None:
        where, params = _where("id=?", login=login)
        found = self._query(f"SELECT {_UPLOAD_COLUMNS} FROM uploads{where}", [upload_id, *params], _upload)
        return found[0] if found else None

    def abandon_in_progress(self, at: datetime) -> int:
        """After a restart no transfer can still be running: mark those left open as cut off."""
        with self._tx() as db:
            return db.execute(
                "UPDATE uploads SET state='cut_off', ending='restart', ended_at=? WHERE state='in_progress'",
                (_iso(at),),
            ).rowcount

    def uploads(self, login: str | None = None) -> list[UploadRecord]:
        where, params = _where(login=login)
        return self._query(f"SELECT {_UPLOAD_COLUMNS} FROM uploads{where} ORDER BY id", params, _upload)

    # --- archives and messages ------------------------------------------------------------------
    def claim(
        self,
        *,
        login: str,
        name: str,
        upload_id: int | None,
        size: int,
        mtime_ns: int,
        sha256: str,
        received_at: datetime,
    ) -> int:
        """Record that the poller took this file, before any processing (crash safety)."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT INTO archives (login, name, status, received_at, upload_id, size, mtime_ns, sha256) "
                "VALUES (?,?,'pending',?,?,?,?,?)",
                (login, name, _iso(received_at), upload_id, size, mtime_ns, sha256),
            )
            archive_id = int(cur.lastrowid or 0)
            if upload_id is not None:
                db.execute("UPDATE uploads SET archive_id=? WHERE id=?", (archive_id, upload_id))
            return archive_id

    def settled_claim(self, login: str, name: str, size: int, mtime_ns: int, sha256: str) -> ArchiveRecord | None:
        """A final archive made from exactly this file: it was processed, only its deletion was lost."""
        found = self._query(
            f"SELECT {_ARCHIVE_COLUMNS} FROM archives WHERE login=? AND name=? AND size=? AND mtime_ns=? AND "
            "sha256=? AND status!='pending' ORDER BY id DESC LIMIT 1",
            (login, name, size, mtime_ns, sha256),
            _archive,
        )
        return found[0] if found else None

    def times_processed(self, login: str, name: str) -> int:
        with self._read() as db:
            row = db.execute(
                "SELECT COUNT(*) AS n FROM archives WHERE login=? AND name=? AND status!='pending'", (login, name)
            ).fetchone()
            return int(row["n"])

    def append_rows(self, archive_id: int, rows: Sequence[MessageRow], sender: str) -> None:
        """One batch of ``ArchiveRun.batches`` (every message from ``sender``), one short transaction;
        invisible until ``finish`` accepts the archive."""
        self._append(
            archive_id,
            "INSERT INTO messages (phone, text, send_at, expires_at, encoding, segments, row) VALUES (?,?,?,?,?,?,?)",
            rows,
            sender,
        )

    def append_messages(self, archive_id: int, messages: Sequence[Message]) -> None:
        """``append_rows`` for ``Message`` objects; a sender other than the archive's is kept per message."""
        if not messages:
            return
        with self._read() as db:
            stored = db.execute("SELECT sender FROM archives WHERE id=?", (archive_id,)).fetchone()
        sender = stored["sender"] if stored is not None and stored["sender"] is not None else messages[0].sender
        self._append(
            archive_id,
            "INSERT INTO messages (phone, text, send_at, expires_at, encoding, segments, row, "
            "sender) VALUES (?,?,?,?,?,?,?,?)",
            [
                (
                    stored_phone(m.phone),
                    m.text,
                    micros(m.send_at),
                    micros(m.expires_at),
                    BITS[m.encoding],
                    m.segments,
                    m.row,
                    None if m.sender == sender else m.sender,
                )
                for m in messages
            ],
            sender,
        )

    def _append(self, archive_id: int, sql: str, rows: Sequence[tuple[Any, ...]], sender: str) -> None:
        if not rows:
            return
        with self._tx() as db:
            # One writer at a time, no AUTOINCREMENT: SQLite hands out MAX(id)+1, +2, ... in order.
            first = int(db.execute("SELECT COALESCE(MAX(id), 0) + 1 AS next FROM messages").fetchone()["next"])
            db.executemany(sql, rows)
            db.execute(
                "UPDATE archives SET first_message_id=COALESCE(first_message_id, ?), last_message_id=?, "
                "sender=COALESCE(sender, ?) WHERE id=?",
                (first, first + len(rows) - 1, sender, archive_id),
            )

    def finish(
        self,
        archive_id: int,
        *,
        status: Literal["accepted", "rejected"],
        mode: str | None,
        message_count: int,
        rejected_rows: int,
        diagnostics: Sequence[Diagnostic],
        processed_at: datetime,
    ) -> None:
        """The verdict and the messages' visibility in one commit; rejected drops its messages."""
        payload = json.dumps([d.to_json() for d in diagnostics], ensure_ascii=False)
        with self._tx() as db:
            if status == "rejected":
                self._drop_messages(db, archive_id)
            db.execute(
                "UPDATE archives SET status=?, mode=?, message_count=?, rejected_rows=?, diagnostics=?, "
                "processed_at=? WHERE id=?",
                (
                    status,
                    mode,
                    message_count if status == "accepted" else 0,
                    rejected_rows,
                    payload,
                    _iso(processed_at),
                    archive_id,
                ),
            )

    @staticmethod
    def _drop_messages(db: sqlite3.Connection, archive_id: int) -> None:
        row = db.execute("SELECT first_message_id, last_message_id FROM archives WHERE id=?", (archive_id,)).fetchone()
        if row["first_message_id"] is not None:
            db.execute(
                "DELETE FROM messages WHERE id BETWEEN ? AND ?", (row["first_message_id"], row["last_message_id"])
            )
        db.execute(
            "UPDATE archives SET first_message_id=NULL, last_message_id=NULL, sender=NULL WHERE id=?", (archive_id,)
        )

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the database after an archive, on a thread of its own.

        A second connection does it, so nobody waits on this store's lock meanwhile.
        """
        if self.path != ":memory:":
            threading.Thread(target=_checkpoint, args=(self.path,), name="smsftp-checkpoint", daemon=True).start()

    def forget_pending(self, batch: int = DROP_BATCH) -> list[tuple[str, str]]:
        """Start-up after a crash: claims that never got a verdict are dropped with their messages.

        Rows past every claim's range (none should exist) go too; then the freed pages are given back
        to the file system.
        """
        with self._lock:
            pending = self._db.execute(
                "SELECT id, login, name FROM archives WHERE status='pending' ORDER BY id"
            ).fetchall()
        dropped = sum(self.drop_claim(archive["id"], batch, give_back=False) for archive in pending)
        while True:
            with self._tx() as db:
                end = db.execute("SELECT COALESCE(MAX(last_message_id), 0) AS end FROM archives").fetchone()["end"]
                gone = db.execute(
                    "DELETE FROM messages WHERE id IN (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)",
                    (end, batch),
                ).rowcount
            dropped += gone
            if gone < batch:
                break
        if dropped:
            self.return_space()
        return [(a["login"], a["name"]) for a in pending]

    def drop_claim(self, archive_id: int, batch: int = DROP_BATCH, *, give_back: bool = True) -> int:
        """Undo a claim that gets no verdict: its messages, then its row; the message rows deleted.

        Messages go ``batch`` rows a transaction from the end of the claim's range, the row kept
        pending and its range shrunk in the same commit, so a crash meanwhile resumes where it stopped.
        Deleting needs no new pages, so this works on a full store too.
        """
        dropped = 0
        while True:
            with self._tx() as db:
                row = db.execute(
                    "SELECT first_message_id, last_message_id FROM archives WHERE id=? AND status='pending'",
                    (archive_id,),
                ).fetchone()
                if row is None:
                    break
                first, last = row["first_message_id"], row["last_message_id"]
                if first is None:
                    db.execute("UPDATE uploads SET archive_id=NULL WHERE archive_id=?", (archive_id,))
                    db.execute("DELETE FROM archives WHERE id=?", (archive_id,))
                    break
                low = max(first, last - batch + 1)
                dropped += db.execute("DELETE FROM messages WHERE id BETWEEN ? AND ?", (low, last)).rowcount
                if low == first:
                    db.execute(
                        "UPDATE archives SET first_message_id=NULL, last_message_id=NULL WHERE id=?", (archive_id,)
                    )
                else:
                    db.execute("UPDATE archives SET last_message_id=? WHERE id=?", (low - 1, archive_id))
        if dropped and give_back:
            self.return_space()
        return dropped

    def pending_claims(self, login: str, name: str) -> list[int]:
        """Claims of this name still without a verdict: only the leftovers of an attempt that failed."""
        with self._read() as db:
            return [
                int(r["id"])
                for r in db.execute(
                    "SELECT id FROM archives WHERE login=? AND name=? AND status='pending'", (login, name)
                )
            ]

    def return_space(self) -> int:
        """Give free pages back to the file system (incremental vacuum); the pages freed.  On a disk
        too full even for that, the pages stay free inside the file, for the next archive."""
        if self.path == ":memory:":
            return 0
        with self._lock, contextlib.suppress(sqlite3.OperationalError):
            free = int(self._db.execute("PRAGMA freelist_count").fetchone()[0])
            # In steps, each its own short write: readers and the log stay small.
            while self._db.execute("PRAGMA freelist_count").fetchone()[0]:
                self._db.execute("PRAGMA incremental_vacuum(4096)").fetchall()
            self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return free
        return 0

    def archives(self, login: str | None = None, name: str | None = None) -> list[ArchiveRecord]:
        where, params = _where(login=login, name=name)
        return self._query(f"SELECT {_ARCHIVE_COLUMNS} FROM archives{where} ORDER BY id", params, _archive)

    def archive(self, name: str, login: str | None = None) -> ArchiveRecord | None:
        where, params = _where(login=login, name=name)
        found = self._query(
            f"SELECT {_ARCHIVE_COLUMNS} FROM archives{where} ORDER BY id DESC LIMIT 1", params, _archive
        )
        return found[0] if found else None

    def messages(
        self,
        login: str | None = None,
        archive: str | None = None,
        phone: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[MessageRecord]:
        """Accepted messages in id order; the page is read from the archives' id ranges, so its cost
        does not grow with the archives before it (a phone is looked up in its index)."""
        out: list[MessageRecord] = []
        key = None if phone is None else stored_phone(phone)
        for record, first, last, sender in self._accepted_ranges(login, archive):
            if limit is not None and len(out) >= limit:
                break
            if key is None:
                here = last - first + 1
            else:
                with self._read() as db:
                    here = int(
                        db.execute(
                            "SELECT COUNT(*) AS n FROM messages WHERE phone=? AND id BETWEEN ? AND ?",
                            (key, first, last),
                        ).fetchone()["n"]
                    )
            if here <= offset:
                offset -= here
                continue
            if key is None:
                sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?"
                params: list[Any] = [first + offset, last, -1 if limit is None else limit - len(out)]
            else:
                sql = (
                    f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE phone=? AND id BETWEEN ? AND ? "
                    "ORDER BY id LIMIT ? OFFSET ?"
                )
                params = [key, first, last, -1 if limit is None else limit - len(out), offset]
            offset = 0
            out += self._query(sql, params, functools.partial(_message, record, sender))
        return out

    def count_messages(self, login: str | None = None, archive: str | None = None, phone: str | None = None) -> int:
        ranges = self._accepted_ranges(login, archive)
        if phone is None:
            return sum(record.message_count for record, _, _, _ in ranges)
        key = stored_phone(phone)
        with self._read() as db:
            return sum(
                int(
                    db.execute(
                        "SELECT COUNT(*) AS n FROM messages WHERE phone=? AND id BETWEEN ? AND ?", (key, first, last)
                    ).fetchone()["n"]
                )
                for _, first, last, _ in ranges
            )

    # --- one archive's page, and pages of archives (the cabinet) ------------------------------------
    def archive_by_id(self, archive_id: int, login: str | None = None) -> ArchiveRecord | None:
        where, params = _where("id=?", login=login)
        found = self._query(f"SELECT {_ARCHIVE_COLUMNS} FROM archives{where}", [archive_id, *params], _archive)
        return found[0] if found else None

    def archives_page(self, login: str | None, *, limit: int, offset: int = 0) -> list[ArchiveRecord]:
        """Newest first, one page: what a list shows costs the page, not the whole history."""
        where, params = _where(login=login)
        return self._query(
            f"SELECT {_ARCHIVE_COLUMNS} FROM archives{where} ORDER BY id DESC LIMIT ? OFFSET ?",
            [*params, limit, offset],
            _archive,
        )

    def archives_of_upload(self, upload_id: int) -> list[ArchiveRecord]:
        return self._query(
            f"SELECT {_ARCHIVE_COLUMNS} FROM archives WHERE upload_id=? ORDER BY id DESC", (upload_id,), _archive
        )

    def count_archives(self, login: str | None = None) -> int:
        where, params = _where(login=login)
        return int(self._one(f"SELECT COUNT(*) FROM archives{where}", params))

    def archive_messages(
        self, archive: ArchiveRecord, *, digits: str = "", text: str = "", limit: int, offset: int = 0
    ) -> list[MessageRecord]:
        """One page of an accepted archive's messages, in order; ``digits`` anywhere in the phone and
        ``text`` anywhere in the text (case folded).  Without a search the page is an id range:
        its cost does not depend on the page number or the archive's size."""
        span = self._span(archive.id)
        if span is None:
            return []
        first, last, sender = span
        search, params = _search(digits, text)
        if not search:
            sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ?"
            return self._query(sql, [first + offset, last, limit], functools.partial(_message, archive, sender))
        # A search reads the archive's rows in SQL (memory stays flat); no index is fed for it, which
        # would cost every upload a third more store time (docs/performance.md).
        sql = f"SELECT {_MESSAGE_COLUMNS} FROM messages WHERE id BETWEEN ? AND ?{search} ORDER BY id LIMIT ? OFFSET ?"
        return self._query(sql, [first, last, *params, limit, offset], functools.partial(_message, archive, sender))

    def count_archive_messages(self, archive: ArchiveRecord, *, digits: str = "", text: str = "") -> int:
        span = self._span(archive.id)
        if span is None:
            return 0
        search, params = _search(digits, text)
        if not search:
            return span[1] - span[0] + 1
        return int(self._one(f"SELECT COUNT(*) FROM messages WHERE id BETWEEN ? AND ?{search}", [*span[:2], *params]))

    def archive_parts(self, archive_id: int) -> int:
        """SMS parts of an accepted archive's messages (summed in SQL: no message is built)."""
        span = self._span(archive_id)
        if span is None:
            return 0
        return int(self._one("SELECT COALESCE(SUM(segments), 0) FROM messages WHERE id BETWEEN ? AND ?", span[:2]))

    def _span(self, archive_id: int) -> tuple[int, int, str] | None:
        """An accepted archive's first and last message id and its sender; None: no visible messages."""
        with self._read() as db:
            row = db.execute(
                "SELECT first_message_id, last_message_id, sender FROM archives WHERE id=? AND status='accepted' "
                "AND first_message_id IS NOT NULL",
                (archive_id,),
            ).fetchone()
        return None if row is None else (row["first_message_id"], row["last_message_id"], row["sender"] or "")

    def archive_days(self, login: str | None, since: datetime) -> list[ArchiveDay]:
        """What the per-day totals need of each archive received since ``since``: a few fields each."""
        where, params = _where("received_at >= ?", login=login)
        return self._query(
            "SELECT id, received_at, processed_at, sha256, status, message_count, rejected_rows "
            f"FROM archives{where} ORDER BY id",
            [_iso(since), *params],
            lambda r: ArchiveDay(
                id=r["id"],
                received_at=_dt(r["received_at"]),
                processed_at=_instant(r["processed_at"]),
                sha256=r["sha256"],
                status=r["status"],
                message_count=r["message_count"],
                rejected_rows=r["rejected_rows"],
            ),
        )

    def latest_received(self, login: str | None) -> datetime | None:
        where, params = _where(login=login)
        found = self._one(f"SELECT MAX(received_at) FROM archives{where}", params)
        return None if found is None else _dt(found)

    def activity(self, login: str | None) -> Activity:
        """Figures that change whenever a list of archives or uploads would: for a page's change stamp."""
        where, params = _where(login=login)
        with self._read() as db:
            a = db.execute(
                "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last, "
                f"COALESCE(SUM(status='pending'), 0) AS pending FROM archives{where}",
                params,
            ).fetchone()
            u = db.execute(
                "SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS last, "
                f"COALESCE(SUM(state='in_progress'), 0) AS open FROM uploads{where}",
                params,
            ).fetchone()
        return Activity(a["n"], a["last"], a["pending"], u["n"], u["last"], u["open"])

    def _accepted_ranges(self, login: str | None, archive: str | None) -> list[tuple[ArchiveRecord, int, int, str]]:
        """Accepted archives with messages: the record, its first and last message id, its sender."""
        where, params = _where("status='accepted'", "first_message_id IS NOT NULL", login=login, name=archive)
        with self._read() as db:
            rows = db.execute(
                f"SELECT {_ARCHIVE_COLUMNS}, first_message_id, last_message_id, sender FROM archives{where} "
                "ORDER BY id",
                params,
            ).fetchall()
        return [(_archive(row), row["first_message_id"], row["last_message_id"], row["sender"] or "") for row in rows]

    def usable(self) -> bool:
        """Whether the database answers a query (for ``/readyz``)."""
        try:
            with self._read() as db:
                db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
        except sqlite3.Error:
            return False
        return True

    # --- the frozen clock ---------------------------------------------------------------------------
    def clock_saved(self, at: datetime) -> None:
        """Keep the frozen clock's instant, so a restart resumes there (``processed_at`` never goes back)."""
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('clock', ?)", (_iso(at),))

    def saved_clock(self) -> datetime | None:
        with self._read() as db:
            row = db.execute("SELECT value FROM meta WHERE key='clock'").fetchone()
        return None if row is None else _dt(row["value"])

    # --- polls, failed logins, folder notes --------------------------------------------------------
    def poll_recorded(self, at: datetime, *, found: int, processed: int, skipped: int, seconds: float) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO polls (at, found, processed, skipped, seconds) VALUES (?,?,?,?,?)",
                (_iso(at), found, processed, skipped, seconds),
            )

    def polls(self, limit: int = 100) -> list[PollRecord]:
        return self._query(
            "SELECT id, at, found, processed, skipped, seconds FROM polls ORDER BY id DESC LIMIT ?", (limit,), _poll
        )[::-1]

    def login_failed(self, login: str, client: str, tls: bool, at: datetime) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO failed_logins (login, client, tls, at) VALUES (?,?,?,?)", (login, client, tls, _iso(at))
            )

    def failed_logins(self, login: str | None = None) -> list[FailedLogin]:
        where, params = _where(login=login)
        return self._query(
            f"SELECT id, login, client, tls, at FROM failed_logins{where} ORDER BY id",
            params,
            lambda r: FailedLogin(r["id"], r["login"], r["client"], bool(r["tls"]), _dt(r["at"])),
        )

    def note(self, login: str, name: str, code: str, message: str, at: datetime) -> bool:
        """Report a left-alone file once; True when it is new."""
        with self._tx() as db:
            return (
                db.execute(
                    "INSERT OR IGNORE INTO folder_notes (login, name, code, message, first_seen) VALUES (?,?,?,?,?)",
                    (login, name, code, message, _iso(at)),
                ).rowcount
                > 0
            )

    def prune_notes(self, login: str, present: set[str]) -> None:
        """Forget notes of files that are gone, so a file put back is reported again."""
        with self._read() as db:
            names = [r["name"] for r in db.execute("SELECT name FROM folder_notes WHERE login=?", (login,))]
        gone = [n for n in names if n not in present]
        if gone:
            with self._tx() as db:
                db.executemany("DELETE FROM folder_notes WHERE login=? AND name=?", [(login, n) for n in gone])

    def forget_note(self, login: str, name: str) -> None:
        with self._tx() as db:
            db.execute("DELETE FROM folder_notes WHERE login=? AND name=?", (login, name))

    def notes(self, login: str | None = None) -> list[FolderNote]:
        where, params = _where(login=login)
        return self._query(
            f"SELECT login, name, code, message, first_seen FROM folder_notes{where} ORDER BY login, name",
            params,
            lambda r: FolderNote(r["login"], r["name"], r["code"], r["message"], _dt(r["first_seen"])),
        )

    def fault_recorded(
        self,
        *,
        fault_id: int,
        kind: str,
        transient: bool,
        login: str | None,
        command: str,
        argument: str,
        reply: int | None,
        detail: str,
        upload_id: int | None,
        client: str,
        at: datetime,
    ) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO fault_events (fault_id, kind, transient, login, command, argument, reply, detail, "
                "upload_id, after_upload, client, at) "
                "VALUES (?,?,?,?,?,?,?,?,?,(SELECT COALESCE(MAX(id), 0) FROM uploads),?,?)",
                (fault_id, kind, transient, login, command, argument, reply, detail, upload_id, client, _iso(at)),
            )

    def fault_events(self, login: str | None = None) -> list[FaultEvent]:
        where, params = _where(login=login)
        return self._query(
            "SELECT id, fault_id, kind, transient, login, command, argument, reply, detail, upload_id, "
            f"after_upload, client, at FROM fault_events{where} ORDER BY id",
            params,
            lambda r: FaultEvent(
                **{name: r[name] for name in r.keys() if name not in ("transient", "at")},  # noqa: SIM118 - a Row iterates its values
                transient=bool(r["transient"]),
                at=_dt(r["at"]),
            ),
        )

    def counts(self) -> dict[str, int]:
        with self._read() as db:
            found = {
                t: int(db.execute(f"SELECT COUNT(*) AS n FROM {t}").fetchone()["n"]) for t in _TABLES if t != "messages"
            }
            # Counted from the archives' id ranges, which cover every message row (``forget_pending``
            # drops any other at start-up): COUNT(*) would read the whole table on every health check.
            found["messages"] = int(
                db.execute(
                    "SELECT COALESCE(SUM(last_message_id - first_message_id + 1), 0) AS n FROM archives "
                    "WHERE first_message_id IS NOT NULL"
                ).fetchone()["n"]
            )
        return {t: found[t] for t in _TABLES}

    def reset(self) -> None:
        with self._lock:
            if self._db.total_changes == self._clean_at:
                return  # nothing written since the last reset: the pytest plugin resets before every test
        with self._tx() as db:
            for table in _TABLES:
                db.execute(f"DELETE FROM {table}")
            self._clean_at = db.total_changes


def _add_functions(db: sqlite3.Connection) -> None:
    # SQLite's lower() folds ASCII only; the cabinet's text search folds as Python does (Cyrillic too).
    db.create_function("casefold", 1, _casefold, deterministic=True)


def _casefold(text: object) -> str | None:
    return text.casefold() if isinstance(text, str) else None


def _close_all(db: sqlite3.Connection, readers: list[sqlite3.Connection]) -> None:
    for connection in (db, *readers):
        connection.close()  # closing twice is harmless: close() after Store.close() does nothing
    readers.clear()


def _checkpoint(path: str) -> None:
    try:
        with closing(sqlite3.connect(path, timeout=10)) as db:
            db.execute("PRAGMA wal_checkpoint(PASSIVE)")
    except sqlite3.Error:  # busy, or the store is gone: the next archive's checkpoint catches up
        pass


def _upload(row: sqlite3.Row) -> UploadRecord:
    return UploadRecord(
        id=row["id"],
        login=row["login"],
        filename=row["filename"],
        final_name=row["final_name"],
        command=row["command"],
        size=row["size"],
        sha256=row["sha256"],
        transfer_type=row["transfer_type"],
        control_tls=bool(row["control_tls"]),
        data_tls=bool(row["data_tls"]),
        passive=bool(row["passive"]),
        temp_name=row["temp_name"],
        renamed_to=row["renamed_to"],
        state=row["state"],
        ending=row["ending"],
        client=row["client"],
        started_at=_dt(row["started_at"]),
        ended_at=_instant(row["ended_at"]),
        reply=row["reply"],
    )


def _archive(row: sqlite3.Row) -> ArchiveRecord:
    return ArchiveRecord(
        id=row["id"],
        login=row["login"],
        name=row["name"],
        status=row["status"],
        mode=row["mode"],
        received_at=_dt(row["received_at"]),
        processed_at=_instant(row["processed_at"]),
        message_count=row["message_count"],
        rejected_rows=row["rejected_rows"],
        diagnostics=[Diagnostic.from_json(d) for d in json.loads(row["diagnostics"])],
        upload_id=row["upload_id"],
        size=row["size"],
        sha256=row["sha256"],
    )


def _message(record: ArchiveRecord, sender: str, row: sqlite3.Row) -> MessageRecord:
    return MessageRecord(
        id=row["id"],
        archive_id=record.id,
        archive=record.name,
        login=record.login,
        phone=str(row["phone"]),
        text=row["text"],
        sender=sender if row["sender"] is None else row["sender"],
        send_at=instant(row["send_at"]),
        expires_at=instant(row["expires_at"]),
        encoding=ENCODING_OF_BITS[row["encoding"]],
        segments=row["segments"],
        row=row["row"],
    )


def _poll(row: sqlite3.Row) -> PollRecord:
    return PollRecord(row["id"], _dt(row["at"]), row["found"], row["processed"], row["skipped"], row["seconds"])
