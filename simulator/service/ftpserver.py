"""The FTP/FTPS front door (T1, T2, T4): receives files and tells the journal, nothing more.

pyftpdlib does the protocol; this module adds three things around it:

* an authorizer over ``Account`` objects: one folder per login under
  ``<root>/<login>/``, no anonymous access, failed logins journalled;
* a file system view that refuses symlinks, on top of pyftpdlib's own
  ``validpath`` that keeps ``CWD ..`` and absolute paths inside the folder;
* upload journalling.  pyftpdlib writes a STOR under its final name while the
  transfer runs and calls ``on_file_received`` even when the client dropped the
  data connection halfway (FTP's stream mode marks the end of a file by closing
  the connection).  So the journal marks the upload ``in_progress`` at STOR,
  before pyftpdlib opens the file and answers 150 (a poll in between must not
  take the file), and the data channel decides how it ended before pyftpdlib
  replies 226: a reset connection, a TLS stream cut without ``close_notify``,
  ABOR, a lost control connection or a stalled transfer are not a complete upload.

Exceptions raised in pyftpdlib's loop (in these hooks or in pyftpdlib itself) are
bugs, not client behaviour: besides pyftpdlib's log line they are appended to
``errors``, the list ``Simulator.errors`` shares with the poller.

Corrections to pyftpdlib: an empty listing over a TLS data connection
(``NLST`` of an empty folder after ``PROT P``) no longer closes the connection
in the middle of the TLS handshake (see ``_EmptyWriteSafeDTP``); ``FEAT``
does not advertise ``MFMT``, which this server refuses; a NUL byte in a path is
``501`` instead of an exception that dropped the session; ``TYPE A N`` is ASCII
and ``MODE B``/``MODE C`` are ``504`` with a reason; a full disk is ``452`` and a
full folder (``folder_quota``) ``552`` instead of no reply.

Hostile clients (``FtpLimits``): connections per client address are capped, a
session that has not logged in within ``login_timeout`` seconds is closed, and
failed logins go through the shared ``LoginThrottle``.

Every private pyftpdlib name lives in ``ftpadapter``; pyftpdlib's globals are
never patched (its timers run on ``RealTimeIOLoop``).
"""

from __future__ import annotations

import errno
import hmac
import io
import logging
import math
import os
import sys
import tempfile
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.servers import FTPServer

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.service import ftpadapter as adapter
from smsftp.simulator.service.faults import FaultRegistry
from smsftp.simulator.service.ftpfaults import FaultingDTP, FaultingHandler
from smsftp.simulator.service.journal import Journal
from smsftp.simulator.service.limits import FtpLimits
from smsftp.simulator.service.store import UploadState
from smsftp.simulator.service.throttle import LoginThrottle

TlsPolicy = Literal["off", "optional", "required"]
# e CWD, l LIST/NLST/MLSD/SIZE/MDTM, r RETR, a APPE, d DELE/RMD, f RNFR/RNTO, m MKD, w STOR/STOU.
# No SITE CHMOD (M) and no MFMT (T): nothing a client of the platform may do.
PERMISSIONS = "elradfmw"
BANNER = "smsftp simulator ready."


class AccountAuthorizer:
    """pyftpdlib's authorizer interface over the simulator's accounts (read live: accounts may be added)."""

    def __init__(self, accounts: Callable[[], Mapping[str, Account]], root: Path) -> None:
        self._accounts = accounts
        self.root = root

    def validate_authentication(self, username: str, password: str, handler: Any) -> None:
        account = self._accounts().get(username)
        # An account without a password cannot log in: there is no anonymous access.
        if (
            account is None
            or not account.password
            or not hmac.compare_digest(password.encode("utf-8", "surrogateescape"), account.password.encode("utf-8"))
        ):
            raise AuthenticationFailed("Authentication failed.")

    def get_home_dir(self, username: str) -> str:
        home = self.root / username
        home.mkdir(parents=True, exist_ok=True)
        return os.path.realpath(home)

    def has_user(self, username: str) -> bool:
        return username in self._accounts()

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        if perm not in PERMISSIONS or username not in self._accounts():
            return False
        if path is None:
            return True
        home = os.path.realpath(self.root / username)
        real = os.path.realpath(path)
        return real == home or real.startswith(home + os.sep)

    def get_perms(self, username: str) -> str:
        return PERMISSIONS

    def get_msg_login(self, username: str) -> str:
        return "Login successful."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        pass

    def terminate_impersonation(self, username: str) -> None:
        pass


class FolderFS(AbstractedFS):  # type: ignore[misc]
    """A login's folder: pyftpdlib's path checks plus no symlinks anywhere below the root."""

    def validpath(self, path: str) -> bool:
        if not super().validpath(path):
            return False
        root = os.path.normpath(self.root)
        current = os.path.normpath(path)
        while current != root and len(current) > len(root):
            if os.path.islink(current):
                return False
            current = os.path.dirname(current)
        return True

    def open(self, filename: str, mode: str) -> Any:
        # Unbuffered for writing: the file on disk grows as the data arrives, as on a real server,
        # so what a naive poller sees mid-transfer is what was received (pyftpdlib writes 64 KiB chunks).
        if "r" in mode and "+" not in mode:
            return super().open(filename, mode)
        return UploadFile(filename, mode, limit=self.room(filename))

    def mkstemp(self, suffix: str = "", prefix: str = "", dir: str | None = None, mode: str = "wb") -> Any:
        # STOU: a unique name from tempfile, and the file written like any other upload (quota, full disk).
        fd, name = tempfile.mkstemp(suffix, prefix, dir)
        os.close(fd)
        return UploadFile(name, mode, limit=self.room(name))

    def room(self, filename: str) -> int | None:
        """The size ``filename`` may grow to under the folder quota; None without a quota."""
        quota: int = self.cmd_channel.limits.folder_quota
        if not quota:
            return None
        own = os.path.getsize(filename) if os.path.isfile(filename) else 0
        return quota - (folder_bytes(self.root) - own)

    def listdir(self, path: str) -> list[str]:
        return [n for n in super().listdir(path) if not os.path.islink(os.path.join(path, n))]


def folder_bytes(root: str) -> int:
    """Bytes in the files under ``root`` (symbolic links not followed, not counted)."""
    total = 0
    for folder, _, files in os.walk(root):
        for name in files:
            try:
                stat = os.lstat(os.path.join(folder, name))
            except OSError:  # deleted meanwhile
                continue
            total += stat.st_size
    return total


class UploadFile(io.FileIO):
    """An upload's file on disk: every byte written or an ``OSError``, never more than ``limit`` bytes.

    A raw file's ``write`` may write less than it was given when the disk fills up (and
    pyftpdlib would lose the rest silently); this one writes the rest, which raises
    ``ENOSPC``.  Growing past ``limit`` (the folder quota) raises ``EDQUOT`` before a byte
    of the chunk is written.
    """

    def __init__(self, name: str, mode: str, *, limit: int | None) -> None:
        super().__init__(name, mode)
        self._limit = limit
        self._size = os.fstat(self.fileno()).st_size

    def write(self, data: Any) -> int:
        view = memoryview(data).cast("B")
        if self._limit is not None and max(self._size, self.tell() + len(view)) > self._limit:
            raise OSError(errno.EDQUOT, "Folder quota exceeded")
        done = 0
        while done < len(view):
            written = super().write(view[done:])
            if not written:
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            done += written
        self._size = max(self._size, self.tell())
        return done


class _EmptyWriteSafeDTP:
    """Data channel mixin: an empty write is no write.

    asynchat sends an empty buffer as it is, and pyftpdlib pushes ``b""`` for an empty
    ``NLST``.  On a TLS data connection whose handshake is still running (the client's
    Finished not read yet), pyOpenSSL turns ``SSL_write`` of 0 bytes into
    ``SysCallError(-1, 'Unexpected EOF')``, which pyftpdlib takes for a client that went
    away: it closed the socket mid-handshake, without ``close_notify``, and the client's
    ``unwrap()`` failed with ``SHUTDOWN_WHILE_IN_INIT``.  Sending nothing instead leaves
    the end-of-data marker queued until the handshake is done and the channel closes
    properly.  (LIST, MLSD and RETR go through producers that never write empty buffers.)
    """

    def send(self, data: bytes) -> int:
        if not data:
            return 0
        return super().send(data)  # type: ignore[misc, no-any-return]


class _JournallingDTP:
    """Data channel mixin: decides how an upload ended, before pyftpdlib answers 226."""

    cmd_channel: Any
    socket: Any
    receive: bool
    file_obj: Any
    transfer_finished: bool
    _reset_seen = False
    _timing_out = False
    _storage_full: str | None = None

    def recv(self, buffer_size: int) -> bytes:
        if adapter.data_tls(self):
            return super().recv(buffer_size)  # type: ignore[misc, no-any-return]
        # AsyncChat.recv, but remembering a reset: stream mode cannot tell a drop from an end otherwise.
        try:
            data: bytes = self.socket.recv(buffer_size)
        except OSError as err:
            if err.errno in adapter.ERRNOS_DISCONNECTED:
                self._reset_seen = True
                self.handle_close()  # type: ignore[attr-defined]
                return b""
            if err.errno in adapter.ERRNOS_RETRY:
                raise adapter.RetryError from err
            raise
        if not data:
            self.handle_close()  # type: ignore[attr-defined]
        return data

    def handle_error(self) -> None:
        # A full disk or folder is the client's answer, not our bug: 452/552 instead of pyftpdlib's
        # "426 Internal error" (and no reply at all when the journal, on the same disk, failed too).
        failure = adapter.storage_error(sys.exc_info()[1])
        if self.receive and failure is not None and failure.errno in (errno.ENOSPC, errno.EDQUOT):
            if failure.errno == errno.EDQUOT:
                self._storage_full = "quota"
                quota = self.cmd_channel.limits.folder_quota
                reply = f"552 Exceeded storage allocation: the folder may hold {quota} bytes; transfer aborted."
            else:
                self._storage_full = "disk-full"
                reply = "452 Insufficient storage space: the disk is full; transfer aborted."
            adapter.set_data_reply(self, reply)
            self.close()
            return
        super().handle_error()  # type: ignore[misc]

    def handle_timeout(self) -> None:
        self._timing_out = True
        try:
            super().handle_timeout()  # type: ignore[misc]
        finally:
            self._timing_out = False

    def close(self) -> None:
        if not adapter.is_closed(self) and self.receive and self.file_obj is not None:
            state, ending = self._ending()
            try:
                self.cmd_channel.upload_ended(self, state, ending)
            except Exception:  # recorded as ours; the channel must still close and answer the client
                self.cmd_channel.log_exception(self)
        super().close()  # type: ignore[misc]

    def _ending(self) -> tuple[UploadState, str]:
        if self.transfer_finished:
            if self._reset_seen:
                return "cut_off", "reset"
            if adapter.data_tls(self) and not self._tls_closed_cleanly():
                return "cut_off", "tls-eof"
            return "complete", "closed"
        if self._storage_full is not None:
            return "aborted", self._storage_full
        if self._timing_out:
            return "cut_off", "timeout"
        if getattr(self.cmd_channel, "_aborting", False):
            return "aborted", "ABOR"
        if adapter.is_closed(self.cmd_channel):
            return "cut_off", "control-lost"
        return "aborted", "error"

    def _tls_closed_cleanly(self) -> bool:
        from OpenSSL import SSL

        try:
            return bool(self.socket.get_shutdown() & SSL.RECEIVED_SHUTDOWN)
        except Exception:
            return False


class _GuardedHandler:
    """Control channel mixin for hostile or odd clients: login timeout and throttling, NUL bytes, TYPE."""

    limits: FtpLimits
    throttle: LoginThrottle
    journal: Journal
    authenticated: bool
    username: str
    remote_ip: str
    remote_port: int
    # pyftpdlib's, named for the type checker (annotations only: the methods stay pyftpdlib's)
    respond: Callable[[str], None]
    close_when_done: Callable[[], None]
    call_later: Callable[..., Any]

    @property
    def client(self) -> str:
        return f"{self.remote_ip}:{self.remote_port}"

    def _control_tls(self) -> bool:
        return adapter.control_tls(self)

    def on_connect(self) -> None:
        # pyftpdlib's idle timeout (300 s) lets idle unauthenticated sockets pile up; a login must come sooner.
        self.call_later(self.limits.login_timeout, self._login_timed_out)

    def ftp_REIN(self, line: str) -> Any:
        result = super().ftp_REIN(line)  # type: ignore[misc]
        self.on_connect()  # logged out again: the same time to log in as a new connection
        return result

    def _login_timed_out(self) -> None:
        if not self.authenticated and not adapter.is_closed(self):
            self.respond(f"421 Login timed out: log in within {self.limits.login_timeout:g} seconds.")
            self.close_when_done()

    def pre_process_command(self, line: str, cmd: str, arg: str) -> Any:
        # The OS refuses a path with a NUL (ValueError), which dropped the whole session.
        if "\0" in arg:
            self.respond("501 Syntax error: NUL byte in the argument.")
            return None
        return super().pre_process_command(line, cmd, arg)  # type: ignore[misc]

    def ftp_PASS(self, line: str) -> Any:
        if not self.authenticated and self.username:
            wait = self.throttle.retry_after(self.remote_ip, self.username)
            if wait > 0:
                # The password is not even checked: a right guess during the back-off is worth nothing.
                self.respond(f"421 Too many failed logins; try again in {math.ceil(wait)} seconds.")
                self.close_when_done()
                return None
        return super().ftp_PASS(line)  # type: ignore[misc]

    def on_login_failed(self, username: str, password: str) -> None:
        self.throttle.failed(self.remote_ip, username)
        self.journal.login_failed(username, self.client, self._control_tls())

    def ftp_TYPE(self, line: str) -> Any:
        # RFC 959 3.1.1: A and E take a format (N non-print, T Telnet, C carriage control); L a byte size.
        kind = line.upper().replace(" ", "")
        if kind in ("A", "AN"):
            adapter.set_ascii_type(self, True)
            self.respond("200 Type set to: ASCII.")
        elif kind in ("I", "L8"):
            adapter.set_ascii_type(self, False)
            self.respond("200 Type set to: Binary.")
        elif kind in ("AT", "AC", "E", "EN", "ET", "EC") or (kind[:1] == "L" and kind[1:].isdigit()):
            self.respond(f'504 Type "{line}" not implemented; use TYPE A, A N, I or L 8.')
        else:
            self.respond(f'501 Unrecognized type "{line}".')


class _JournallingHandler(_GuardedHandler):
    """Control channel mixin: starts uploads in the journal and follows renames."""

    errors: list[BaseException]
    fs: Any
    _upload: tuple[int, str] | None = None
    _reply_due: int | None = None  # a complete upload whose 226 nobody has yet shown to have read
    _passive = True
    _aborting = False

    def _relative(self, path: str) -> str:
        return os.path.relpath(path, self.fs.root).replace(os.sep, "/")

    def log_exception(self, instance: Any) -> None:
        """pyftpdlib's report of an unhandled exception, in this or a data channel: keep it for the tests."""
        error = sys.exc_info()[1]
        if error is not None:
            self.errors.append(error)
        super().log_exception(instance)  # type: ignore[misc]

    def ftp_FEAT(self, line: str) -> Any:
        # pyftpdlib lists MFMT whenever the command exists; without the T permission nobody may use it.
        # This instance shadows the class's command table for the length of this one reply.
        table: dict[str, Any] = type(self).proto_cmds  # type: ignore[attr-defined]
        vars(self)["proto_cmds"] = {cmd: info for cmd, info in table.items() if cmd != "MFMT" or "T" in PERMISSIONS}
        try:
            return super().ftp_FEAT(line)  # type: ignore[misc]
        finally:
            del vars(self)["proto_cmds"]

    def pre_process_command(self, line: str, cmd: str, arg: str) -> Any:
        # A command after the 226 means the client waited for the reply (curl, ftplib send QUIT).
        self._settle_reply(read=True)
        return super().pre_process_command(line, cmd, arg)

    def _settle_reply(self, *, read: bool) -> None:
        if self._reply_due is not None:
            upload_id, self._reply_due = self._reply_due, None
            self.journal.reply_seen(upload_id, read)

    def ftp_PASV(self, line: str) -> Any:
        self._passive = True
        return super().ftp_PASV(line)  # type: ignore[misc]

    def ftp_EPSV(self, line: str) -> Any:
        self._passive = True
        return super().ftp_EPSV(line)  # type: ignore[misc]

    def ftp_PORT(self, line: str) -> Any:
        self._passive = False
        return super().ftp_PORT(line)  # type: ignore[misc]

    def ftp_EPRT(self, line: str) -> Any:
        self._passive = False
        return super().ftp_EPRT(line)  # type: ignore[misc]

    def ftp_STOR(self, file: str, mode: str = "w") -> Any:
        self._end_unstarted("superseded")
        room = self.fs.room(file)
        if room is not None and room <= 0:  # refused before the 150 reply: not even an empty file fits
            quota = self.limits.folder_quota
            self.respond(f"552 Exceeded storage allocation: the folder holds its quota of {quota} bytes.")
            return None
        # Journalled before pyftpdlib opens (truncates) the file and answers 150: from the client's
        # point of view the upload has begun, and a poll from then on must leave the file alone.
        # REST then STOR writes a tail onto what is there, as APPE does: the judge must tell it from a STOR.
        resumed = "APPE" if "a" in mode else "REST+STOR" if adapter.restart_position(self) else "STOR"
        try:
            self._start(file, resumed)
        except Exception:
            # Ours (a journal on a full disk, a broken store): kept in ``errors``; the client is told
            # with RFC 959's "local error" and keeps its session, but the file is not taken.
            self.log_exception(self)
            self.respond("451 Local error: the upload cannot be recorded; try again later.")
            return None
        try:
            result = super().ftp_STOR(file, mode)  # type: ignore[misc]
        except BaseException:
            self._refused()
            raise
        if result is None:  # 550 (cannot open) or 554 (bad REST): nothing was uploaded
            self._refused()
        return result

    def _refused(self) -> None:
        if self._upload is not None:
            upload_id, _ = self._upload
            self._upload = None
            self.journal.upload_refused(upload_id)

    def ftp_STOU(self, line: str) -> Any:
        # The unique name exists only once pyftpdlib made the file; it never ends in .zip
        # (``NAME.XXXXXX``), so the poller has no reason to look at it before this records it.
        self._end_unstarted("superseded")
        result = super().ftp_STOU(line)  # type: ignore[misc]
        if result is not None:
            channel = getattr(self, "data_channel", None)
            fobj = adapter.queued_upload_file(self) or getattr(channel, "file_obj", None)
            if fobj is not None:
                self._start(fobj.name, "STOU")
        return result

    def _start(self, path: str, command: str) -> None:
        name = self._relative(path)
        upload_id = self.journal.upload_started(
            login=self.username,
            filename=name,
            command=command,
            transfer_type="A" if adapter.ascii_type(self) else "I",
            control_tls=self._control_tls(),
            data_tls=adapter.data_protected(self),
            passive=self._passive,
            client=self.client,
        )
        self._upload = (upload_id, name)

    def upload_ended(self, dtp: Any, state: UploadState, ending: str) -> None:
        if self._upload is None:
            return
        upload_id, name = self._upload
        self._upload = None
        size: int | None
        try:
            dtp.file_obj.flush()
            size = os.fstat(dtp.file_obj.fileno()).st_size
        except (OSError, ValueError):
            size = None
        self.journal.upload_ended(
            upload_id,
            login=self.username,
            filename=name,
            state=state,
            ending=ending,
            path=dtp.file_obj.name,
            size=size,
            data_tls=adapter.data_tls(dtp),
        )
        if state == "complete":
            self._reply_due = upload_id

    def _end_unstarted(self, ending: str, root: str | None = None) -> None:
        """A STOR whose data connection never came: the client gave up, issued another command or left."""
        if self._upload is None or getattr(self, "data_channel", None) is not None:
            return
        upload_id, name = self._upload
        self._upload = None
        path = os.path.join(root if root is not None else self.fs.root, name)
        size = os.path.getsize(path) if os.path.isfile(path) else None
        self.journal.upload_ended(
            upload_id,
            login=self.username,
            filename=name,
            state="aborted",
            ending=ending,
            path=path,
            size=size,
            data_tls=False,
        )

    def ftp_ABOR(self, line: str) -> Any:
        self._aborting = True
        try:
            result = super().ftp_ABOR(line)  # type: ignore[misc]
        finally:
            self._aborting = False
        self._end_unstarted("ABOR")
        return result

    def ftp_RNTO(self, path: str) -> Any:
        result = super().ftp_RNTO(path)  # type: ignore[misc]
        if result is not None:
            src, dst = result
            self.journal.renamed(self.username, self._relative(src), self._relative(dst))
        return result

    def close(self) -> None:
        # pyftpdlib's close() forgets the folder (fs = None), and closes a running transfer's channel,
        # which journals its own ending; a STOR still waiting for its data connection is left to us.
        root = self.fs.root if not adapter.is_closed(self) and self.fs is not None else None
        super().close()  # type: ignore[misc]
        self._settle_reply(read=False)
        if root is not None:
            self._end_unstarted("control-lost", root)


class FtpService:
    """One pyftpdlib server on its own IOLoop and thread; ``port`` is known once constructed."""

    def __init__(
        self,
        *,
        host: str,
        port: int,
        root: Path,
        accounts: Callable[[], Mapping[str, Account]],
        journal: Journal,
        tls: TlsPolicy = "optional",
        ssl_context: Any = None,
        auth_failed_delay: float = 0.5,
        errors: list[BaseException] | None = None,
        faults: FaultRegistry | None = None,
        limits: FtpLimits | None = None,
        throttle: LoginThrottle | None = None,
    ) -> None:
        self.root = root
        self.tls: TlsPolicy = tls
        self.errors: list[BaseException] = errors if errors is not None else []
        self.limits = limits or FtpLimits()
        self.throttle = throttle or LoginThrottle()
        pyftpdlib_log = logging.getLogger("pyftpdlib")
        if not pyftpdlib_log.handlers:
            # Otherwise pyftpdlib configures the root logger of the host process on its first loop.
            pyftpdlib_log.addHandler(logging.NullHandler())
        attributes: dict[str, Any] = {
            "authorizer": AccountAuthorizer(accounts, root),
            "abstracted_fs": FolderFS,
            "journal": journal,
            "errors": self.errors,
            "limits": self.limits,
            "throttle": self.throttle,
            "banner": BANNER,
            "auth_failed_timeout": auth_failed_delay,
            "permit_foreign_addresses": False,
        }
        if tls == "off":
            handler_base: type = FTPHandler
            dtp_base: type = DTPHandler
        else:
            from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler

            handler_base, dtp_base = TLS_FTPHandler, TLS_DTPHandler
            attributes.update(
                ssl_context=ssl_context, tls_control_required=tls == "required", tls_data_required=tls == "required"
            )
        # Faults on demand (ftpfaults): their mixins come first, so that they act before the journal sees anything.
        fault_handler: tuple[type, ...] = (FaultingHandler,) if faults is not None else ()
        fault_dtp: tuple[type, ...] = (FaultingDTP,) if faults is not None else ()
        attributes["faults"] = faults
        attributes["dtp_handler"] = type("SmsftpDTP", (*fault_dtp, _EmptyWriteSafeDTP, _JournallingDTP, dtp_base), {})
        handler = type("SmsftpHandler", (*fault_handler, _JournallingHandler, handler_base), attributes)
        self._ioloop = adapter.RealTimeIOLoop()
        self._server = FTPServer((host, port), handler, ioloop=self._ioloop)
        self._server.max_cons_per_ip = self.limits.max_connections_per_address
        self.host, self.port = self._server.address[:2]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        """Whether the server's loop still runs (for ``/readyz``)."""
        return self._thread is not None and self._thread.is_alive() and not self._stop.is_set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._serve, name="smsftp-ftp", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                self._ioloop.loop(timeout=0.05, blocking=False)
            except OSError as exc:  # a dying socket must not end the server
                if exc.errno not in (errno.EBADF, errno.EINTR):
                    self.errors.append(exc)
                    logging.getLogger("smsftp").exception("FTP loop error")
            except Exception as exc:  # ours or pyftpdlib's bug: keep serving, surface it
                self.errors.append(exc)
                logging.getLogger("smsftp").exception("FTP loop error")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._server.close_all()
