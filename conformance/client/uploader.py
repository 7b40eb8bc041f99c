"""The reference client's uploader, on ``ftplib``: every way a real client puts an archive (T1, T4).

Plain FTP or explicit FTPS (``AUTH TLS``, ``PBSZ 0``, ``PROT P``), binary
(``TYPE I``) or ASCII (``TYPE A``: the bytes are sent unchanged under TYPE A,
so the server rewrites line endings as Windows' command-line client makes it
do, Q27), straight under the final name or under a temporary name then
``RNFR``/``RNTO`` (Q22), passive or active data connections.

Every call returns (or raises with) an ``UploadTranscript``: the commands sent
and the replies received, the password masked, as evidence for the verdicts.
``hold()`` starts an upload and stops half-way, so that a test can poll the
platform while the transfer is still open and then finish or abort it.

A ``guard`` runs before every upload and may raise to refuse it: the live
target's safety layer (allow-listed phones, message budget) plugs in there, so
that no test can bypass it.
"""

from __future__ import annotations

import contextlib
import ftplib
import hashlib
import socket
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from smsftp.conformance.errors import ConformanceError

Guard = Callable[[str, bytes], None]
TempName = str | None  # a name, "auto" (the final name + ".part"), or None (straight to the final name)
_CHUNK = 64 * 1024
_DRAIN_SECONDS = 2.0


class UploadError(ConformanceError):
    """An FTP operation failed; ``transcript`` holds the dialogue up to the failure."""

    def __init__(self, message: str, transcript: UploadTranscript) -> None:
        super().__init__(message)
        self.transcript = transcript


@dataclass
class UploadTranscript:
    """What the client did and what the server answered: the evidence of one FTP session."""

    host: str
    port: int
    login: str
    tls: bool
    passive: bool
    filename: str = ""  # the final name
    temp_name: str | None = None
    binary: bool = True
    size: int = 0
    sha256: str = ""
    completed: bool = False
    error: str | None = None
    lines: list[tuple[str, str]] = field(default_factory=list)  # (command, reply); "" continues a reply
    elapsed: float = 0.0

    def record(self, command: str, reply: str) -> None:
        self.lines.append((command, reply))

    def text(self) -> str:
        """The dialogue as a client log: ``> COMMAND`` then ``< reply`` lines."""
        out = [
            f"# {'ftps' if self.tls else 'ftp'}://{self.login}@{self.host}:{self.port} "
            f"{'passive' if self.passive else 'active'}"
        ]
        for command, reply in self.lines:
            if command:
                out.append(f"> {command}")
            out.append(f"< {reply}")
        return "\n".join(out)

    def to_json(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "port": self.port,
            "login": self.login,
            "tls": self.tls,
            "passive": self.passive,
            "filename": self.filename,
            "temp_name": self.temp_name,
            "binary": self.binary,
            "size": self.size,
            "sha256": self.sha256,
            "completed": self.completed,
            "error": self.error,
            "elapsed": round(self.elapsed, 3),
            "lines": [{"command": c, "reply": r} for c, r in self.lines],
        }


def _mask(line: str) -> str:
    return "PASS ****" if line[:5].upper() == "PASS " else line


class _Recording:
    """Records every command with its reply; mixed into ftplib's two client classes."""

    transcript: UploadTranscript
    _pending = "(connect)"

    def putcmd(self, line: str) -> None:
        self._pending = _mask(line)
        super().putcmd(line)  # type: ignore[misc]

    def getresp(self) -> str:
        try:
            resp: str = super().getresp()  # type: ignore[misc]
        except ftplib.Error as exc:
            self.transcript.record(self._pending, str(exc))
            self._pending = ""
            raise
        self.transcript.record(self._pending, resp)
        self._pending = ""
        return resp


class _RecordingFTP(_Recording, ftplib.FTP):
    pass


class _RecordingFTPS(_Recording, ftplib.FTP_TLS):
    def ntransfercmd(self, cmd: str, rest: int | str | None = None) -> tuple[socket.socket, int | None]:
        # Reuse the control connection's TLS session on the data connection: vsftpd and FileZilla
        # Server refuse data connections that do not; ftplib does not do it by itself.
        conn, size = ftplib.FTP.ntransfercmd(self, cmd, rest)
        if self._prot_p:  # type: ignore[attr-defined]
            session = self.sock.session if isinstance(self.sock, ssl.SSLSocket) else None
            conn = self.context.wrap_socket(conn, server_hostname=self.host, session=session)
        return conn, size


def tls_context(cafile: str | Path | None = None, verify: bool = True) -> ssl.SSLContext:
    """A client context: system CAs, or a pinned certificate (``cafile``), or none (``verify=False``)."""
    if not verify:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        return context
    context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
    # A pinned self-signed certificate is the trust anchor itself; the simulator's names its host loosely.
    context.check_hostname = cafile is None
    return context


class Uploader:
    """One account on one FTP/FTPS endpoint; each operation is one login session."""

    def __init__(
        self,
        host: str,
        port: int,
        login: str,
        password: str,
        tls: bool = False,
        passive: bool = True,
        timeout: float = 10,
        *,
        guard: Guard | None = None,
        cafile: str | Path | None = None,
        verify: bool = True,
        cwd: str | None = None,
    ) -> None:
        self.host, self.port, self.login, self.password = host, port, login, password
        self.tls, self.passive, self.timeout = tls, passive, timeout
        self.guard, self.cwd = guard, cwd
        self.context = tls_context(cafile, verify) if tls else None

    def _transcript(self) -> UploadTranscript:
        return UploadTranscript(self.host, self.port, self.login, self.tls, self.passive)

    def _session(self, transcript: UploadTranscript) -> ftplib.FTP:
        ftp: _RecordingFTP | _RecordingFTPS
        if self.tls:
            ftp = _RecordingFTPS(context=self.context, timeout=self.timeout)
        else:
            ftp = _RecordingFTP(timeout=self.timeout)
        ftp.transcript = transcript
        try:
            ftp.connect(self.host, self.port)
            if isinstance(ftp, _RecordingFTPS):
                ftp.auth()
                ftp.login(self.login, self.password, secure=False)
                ftp.prot_p()
            else:
                ftp.login(self.login, self.password)
            ftp.set_pasv(self.passive)
            if self.cwd:
                ftp.cwd(self.cwd)
        except BaseException:
            _close(ftp)
            raise
        return ftp

    def _run(self, transcript: UploadTranscript, what: str, action: Callable[[ftplib.FTP], Any]) -> Any:
        started = time.monotonic()
        ftp: ftplib.FTP | None = None
        try:
            ftp = self._session(transcript)
            result = action(ftp)
            _quit(ftp)
            return result
        except (OSError, EOFError, ftplib.Error) as exc:
            transcript.error = f"{what}: {exc!r}"
            raise UploadError(transcript.error, transcript) from exc
        finally:
            if ftp is not None:
                _close(ftp)
            transcript.elapsed = time.monotonic() - started

    def _prepare(self, filename: str, data: bytes, binary: bool, temp_name: TempName) -> UploadTranscript:
        if self.guard is not None:
            self.guard(filename, data)  # may raise: the upload never starts
        transcript = self._transcript()
        transcript.filename, transcript.binary, transcript.size = filename, binary, len(data)
        transcript.sha256 = hashlib.sha256(data).hexdigest()
        transcript.temp_name = filename + ".part" if temp_name == "auto" else temp_name
        return transcript

    def upload(
        self, filename: str, data: bytes, *, binary: bool = True, temp_name: TempName = None
    ) -> UploadTranscript:
        """Upload ``data`` as ``filename``; ``temp_name`` ``"auto"`` stores as ``filename.part`` first."""
        transcript = self._prepare(filename, data, binary, temp_name)

        def action(ftp: ftplib.FTP) -> None:
            conn = _start(ftp, transcript)
            for start in range(0, len(data), _CHUNK):
                conn.sendall(data[start : start + _CHUNK])
            _finish(ftp, conn, transcript)

        self._run(transcript, "upload", action)
        return transcript

    def hold(
        self, filename: str, data: bytes, *, binary: bool = True, temp_name: TempName = None, first: int | None = None
    ) -> HeldUpload:
        """Start an upload, send the first ``first`` bytes (default: half) and keep the transfer open."""
        transcript = self._prepare(filename, data, binary, temp_name)
        cut = len(data) // 2 if first is None else first
        started = time.monotonic()
        try:
            ftp = self._session(transcript)
        except (OSError, EOFError, ftplib.Error) as exc:
            transcript.error = f"hold: {exc!r}"
            raise UploadError(transcript.error, transcript) from exc
        try:
            conn = _start(ftp, transcript)
            conn.sendall(data[:cut])
        except (OSError, EOFError, ftplib.Error) as exc:
            _close(ftp)
            transcript.error = f"hold: {exc!r}"
            raise UploadError(transcript.error, transcript) from exc
        return HeldUpload(ftp, conn, data[cut:], transcript, started)

    def list_folder(self) -> list[str]:
        """The names in the account's folder (NLST)."""

        def action(ftp: ftplib.FTP) -> list[str]:
            try:
                names = ftp.nlst()
            except ftplib.error_perm as exc:  # some servers answer 550 for an empty folder
                if str(exc).startswith("550"):
                    return []
                raise
            return sorted(name.rsplit("/", 1)[-1] for name in names)

        result: list[str] = self._run(self._transcript(), "list", action)
        return result

    def delete(self, name: str) -> None:
        self._run(self._transcript(), "delete", lambda ftp: ftp.delete(name))

    def rename(self, source: str, target: str) -> None:
        self._run(self._transcript(), "rename", lambda ftp: ftp.rename(source, target))


@dataclass
class HeldUpload:
    """An upload stopped half-way with its data connection open; finish or abort it exactly once."""

    ftp: ftplib.FTP
    conn: socket.socket
    rest: bytes
    transcript: UploadTranscript
    started: float
    done: bool = False

    def finish(self) -> UploadTranscript:
        """Send the rest, complete the transfer (and the rename), log out."""
        self._once()
        try:
            for start in range(0, len(self.rest), _CHUNK):
                self.conn.sendall(self.rest[start : start + _CHUNK])
            _finish(self.ftp, self.conn, self.transcript)
            _quit(self.ftp)
        except (OSError, EOFError, ftplib.Error) as exc:
            self.transcript.error = f"finish: {exc!r}"
            raise UploadError(self.transcript.error, self.transcript) from exc
        finally:
            self._end()
        return self.transcript

    def abort(self, how: Literal["abor", "reset"] = "abor") -> UploadTranscript:
        """Give up: ``abor`` sends ABOR as a polite client does; ``reset`` kills the data connection (RST)."""
        self._once()
        try:
            if how == "reset":
                self.conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                _close_socket(self.conn)
                self._drain()
            else:
                self.ftp.putcmd("ABOR")
                _close_socket(self.conn)
                self._drain()
            _quit(self.ftp)
        except (OSError, EOFError, ftplib.Error) as exc:
            self.transcript.error = f"abort: {exc!r}"
        finally:
            self._end()
        return self.transcript

    def _drain(self) -> None:
        # After an abort the server sends one or two replies (426, then 226 or 225), or nothing at all;
        # wait briefly, not the whole session timeout.
        if self.ftp.sock is not None:
            self.ftp.sock.settimeout(min(self.ftp.timeout or _DRAIN_SECONDS, _DRAIN_SECONDS))
        for _ in range(2):
            try:
                reply = self.ftp.getresp()
            except ftplib.Error as exc:
                reply = str(exc)
            except TimeoutError:
                self.transcript.record("", f"(no reply within {_DRAIN_SECONDS:g} s)")
                return
            if reply[:3] in ("225", "226"):
                return

    def _once(self) -> None:
        if self.done:
            raise RuntimeError("this held upload was already finished or aborted")
        self.done = True

    def _end(self) -> None:
        _close(self.ftp)
        self.transcript.elapsed = time.monotonic() - self.started


def _start(ftp: ftplib.FTP, transcript: UploadTranscript) -> socket.socket:
    ftp.voidcmd("TYPE I" if transcript.binary else "TYPE A")
    # transfercmd, not storbinary: storbinary forces TYPE I, and TYPE A must carry the raw bytes.
    return ftp.transfercmd(f"STOR {transcript.temp_name or transcript.filename}")


def _finish(ftp: ftplib.FTP, conn: socket.socket, transcript: UploadTranscript) -> None:
    if isinstance(conn, ssl.SSLSocket):
        conn.unwrap()  # a clean TLS close, as storbinary does, so the server sees the end of data
    conn.close()
    ftp.voidresp()
    if transcript.temp_name:
        ftp.rename(transcript.temp_name, transcript.filename)
    transcript.completed = True


def _close_socket(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.close()


def _quit(ftp: ftplib.FTP) -> None:
    # The work is done; a server that drops the line at QUIT changes nothing.
    with contextlib.suppress(OSError, EOFError, ftplib.Error):
        ftp.quit()


def _close(ftp: ftplib.FTP) -> None:
    with contextlib.suppress(OSError):
        ftp.close()
