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

Two corrections to pyftpdlib: an empty listing over a TLS data connection
(``NLST`` of an empty folder after ``PROT P``) no longer closes the connection
in the middle of the TLS handshake (see ``_EmptyWriteSafeDTP``), and ``FEAT``
does not advertise ``MFMT``, which this server refuses.

pyftpdlib's timers must run on real time even inside freezegun's ``freeze_time``
(its idle timeouts would otherwise never fire), so its scheduler is pointed at
``smsftp.simulator.service.clock.real_monotonic``.
"""

from __future__ import annotations

import errno
import hmac
import logging
import os
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

from pyftpdlib import ioloop as _pyftpdlib_ioloop
from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.exceptions import _RetryError
from pyftpdlib.filesystems import AbstractedFS
from pyftpdlib.handlers import DTPHandler, FTPHandler
from pyftpdlib.handlers.ftp import data as _pyftpdlib_data
from pyftpdlib.servers import FTPServer

from smsftp.simulator.rules.accounts import Account
from smsftp.simulator.service.clock import real_monotonic
from smsftp.simulator.service.faults import FaultRegistry
from smsftp.simulator.service.ftpfaults import FaultingDTP, FaultingHandler
from smsftp.simulator.service.journal import Journal
from smsftp.simulator.service.store import UploadState

TlsPolicy = Literal["off", "optional", "required"]
# e CWD, l LIST/NLST/MLSD/SIZE/MDTM, r RETR, a APPE, d DELE/RMD, f RNFR/RNTO, m MKD, w STOR/STOU.
# No SITE CHMOD (M) and no MFMT (T): nothing a client of the platform may do.
PERMISSIONS = "elradfmw"
BANNER = "smsftp simulator ready."

_pyftpdlib_ioloop.timer = real_monotonic
_pyftpdlib_data.timer = real_monotonic
if not logging.getLogger("pyftpdlib").handlers:
    # Otherwise pyftpdlib configures the root logger of the host process on its first loop.
    logging.getLogger("pyftpdlib").addHandler(logging.NullHandler())


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
        return open(filename, mode, buffering=0)

    def listdir(self, path: str) -> list[str]:
        return [n for n in super().listdir(path) if not os.path.islink(os.path.join(path, n))]


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
    _closed: bool
    _reset_seen = False
    _timing_out = False

    def recv(self, buffer_size: int) -> bytes:
        if getattr(self, "_ssl_requested", False):
            return super().recv(buffer_size)  # type: ignore[misc, no-any-return]
        # AsyncChat.recv, but remembering a reset: stream mode cannot tell a drop from an end otherwise.
        try:
            data: bytes = self.socket.recv(buffer_size)
        except OSError as err:
            if err.errno in _pyftpdlib_ioloop._ERRNOS_DISCONNECTED:
                self._reset_seen = True
                self.handle_close()
                return b""
            if err.errno in _pyftpdlib_ioloop._ERRNOS_RETRY:
                raise _RetryError from err
            raise
        if not data:
            self.handle_close()
        return data

    def handle_close(self) -> None:
        super().handle_close()  # type: ignore[misc]

    def handle_timeout(self) -> None:
        self._timing_out = True
        try:
            super().handle_timeout()  # type: ignore[misc]
        finally:
            self._timing_out = False

    def close(self) -> None:
        if not self._closed and self.receive and self.file_obj is not None:
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
            if getattr(self, "_ssl_requested", False) and not self._tls_closed_cleanly():
                return "cut_off", "tls-eof"
            return "complete", "closed"
        if self._timing_out:
            return "cut_off", "timeout"
        if getattr(self.cmd_channel, "_aborting", False):
            return "aborted", "ABOR"
        if self.cmd_channel._closed:
            return "cut_off", "control-lost"
        return "aborted", "error"

    def _tls_closed_cleanly(self) -> bool:
        from OpenSSL import SSL

        try:
            return bool(self.socket.get_shutdown() & SSL.RECEIVED_SHUTDOWN)
        except Exception:
            return False


class _JournallingHandler:
    """Control channel mixin: starts uploads in the journal, follows renames, counts failed logins."""

    journal: Journal
    errors: list[BaseException]
    fs: Any
    username: str
    remote_ip: str
    remote_port: int
    _current_type: str
    _closed: bool
    _in_dtp_queue: Any
    _upload: tuple[int, str] | None = None
    _reply_due: int | None = None  # a complete upload whose 226 nobody has yet shown to have read
    _passive = True
    _aborting = False

    @property
    def client(self) -> str:
        return f"{self.remote_ip}:{self.remote_port}"

    def _control_tls(self) -> bool:
        return bool(getattr(self, "_ssl_established", False))

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
        return super().pre_process_command(line, cmd, arg)  # type: ignore[misc]

    def _settle_reply(self, *, read: bool) -> None:
        if self._reply_due is not None:
            upload_id, self._reply_due = self._reply_due, None
            self.journal.reply_seen(upload_id, read)

    def on_login_failed(self, username: str, password: str) -> None:
        self.journal.login_failed(username, self.client, self._control_tls())

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
        # Journalled before pyftpdlib opens (truncates) the file and answers 150: from the client's
        # point of view the upload has begun, and a poll from then on must leave the file alone.
        # REST then STOR writes a tail onto what is there, as APPE does: the judge must tell it from a STOR.
        resumed = "APPE" if "a" in mode else "REST+STOR" if getattr(self, "_restart_position", 0) else "STOR"
        self._start(file, resumed)
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
            queued = self._in_dtp_queue
            channel = getattr(self, "data_channel", None)
            fobj = queued[0] if queued is not None else getattr(channel, "file_obj", None)
            if fobj is not None:
                self._start(fobj.name, "STOU")
        return result

    def _start(self, path: str, command: str) -> None:
        name = self._relative(path)
        upload_id = self.journal.upload_started(
            login=self.username,
            filename=name,
            command=command,
            transfer_type="A" if self._current_type == "a" else "I",
            control_tls=self._control_tls(),
            data_tls=bool(getattr(self, "_prot", False)),
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
            data_tls=bool(getattr(dtp, "_ssl_requested", False)),
        )
        if state == "complete":
            self._reply_due = upload_id

    def _end_unstarted(self, ending: str) -> None:
        """A STOR whose data connection never came: the client gave up or issued another command."""
        if self._upload is None or getattr(self, "data_channel", None) is not None:
            return
        upload_id, name = self._upload
        self._upload = None
        path = os.path.join(self.fs.root, name)
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
        root = self.fs.root if not self._closed and self.fs is not None else None
        super().close()  # type: ignore[misc]
        self._settle_reply(read=False)
        if root is not None and self._upload is not None:
            upload_id, name = self._upload
            self._upload = None
            path = os.path.join(root, name)
            size = os.path.getsize(path) if os.path.isfile(path) else None
            self.journal.upload_ended(
                upload_id,
                login=self.username,
                filename=name,
                state="aborted",
                ending="control-lost",
                path=path,
                size=size,
                data_tls=False,
            )


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
    ) -> None:
        self.root = root
        self.tls: TlsPolicy = tls
        self.errors: list[BaseException] = errors if errors is not None else []
        attributes: dict[str, Any] = {
            "authorizer": AccountAuthorizer(accounts, root),
            "abstracted_fs": FolderFS,
            "journal": journal,
            "errors": self.errors,
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
        self._ioloop = _pyftpdlib_ioloop.IOLoop()
        self._server = FTPServer((host, port), handler, ioloop=self._ioloop)
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
