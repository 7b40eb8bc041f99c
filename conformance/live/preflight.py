"""The live run's preflight: can this run reach the platform at all, before any case is judged?

A live run that cannot connect, trust the certificate, log in or list its folder
would otherwise fail every case with a traceback under FAILED, a verdict that
means "the platform contradicts the document".  ``preflight`` walks the same
steps a case takes (connect, ``AUTH TLS`` with the given CA, login, ``PROT P``,
list the folder), stops at the first that fails, and says in one sentence which
option to fix.  The plugin then ends the run once, and its report says that the
run never reached the platform.

``could_not_observe`` sorts an exception raised during a case the same way: a
refused, reset or timed-out connection or a failed TLS handshake is the harness
not seeing the platform (verdict ERROR), never the platform's answer to a case.
"""

from __future__ import annotations

import contextlib
import ftplib
import socket
import ssl
from dataclasses import dataclass
from typing import Any

from smsftp.conformance.client.uploader import UploadError, tls_context
from smsftp.conformance.live.target import LiveConfig

STEPS = ("connect", "tls", "login", "list")


@dataclass(frozen=True)
class PreflightFailure:
    """The first step that failed, the fix in one sentence, and the error as the client saw it."""

    step: str  # one of STEPS
    message: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "message": self.message, "error": self.error}


def preflight(config: LiveConfig) -> PreflightFailure | None:
    """Connect, handshake, log in and list the folder once; ``None`` when every step worked."""
    where = f"{config.host}:{config.port}"
    ftp: ftplib.FTP
    if config.tls:
        ftp = ftplib.FTP_TLS(context=tls_context(config.cafile, config.verify), timeout=config.timeout)
    else:
        ftp = ftplib.FTP(timeout=config.timeout)
    step = "connect"
    try:
        ftp.connect(config.host, config.port)
        if isinstance(ftp, ftplib.FTP_TLS):
            step = "tls"
            ftp.auth()
        step = "login"
        ftp.login(config.login, config.password)
        step = "list"
        if isinstance(ftp, ftplib.FTP_TLS):
            ftp.prot_p()
        try:
            ftp.nlst()
        except ftplib.error_perm as exc:
            if not str(exc).startswith("550"):  # some servers answer 550 for an empty folder
                raise
    except (OSError, EOFError, ftplib.Error) as exc:
        return PreflightFailure(step, _advice(step, exc, config, where), _describe(exc))
    finally:
        if ftp.sock is not None:  # connected: say goodbye, as a client of the platform should
            with contextlib.suppress(OSError, EOFError, ftplib.Error):
                ftp.quit()
        ftp.close()
    return None


def _advice(step: str, exc: BaseException, config: LiveConfig, where: str) -> str:
    if step == "connect":
        if isinstance(exc, socket.gaierror):
            return f"cannot resolve the host {config.host!r}: check --live-host"
        if isinstance(exc, ftplib.Error):
            return f"the server at {where} refused the session ({exc}): is --live-host/--live-port the FTP server?"
        return f"cannot connect to {where} ({_describe(exc)}): check --live-host and --live-port"
    if step == "tls":
        if isinstance(exc, ssl.SSLCertVerificationError):
            trusted = f"the certificate in --live-cafile {config.cafile}" if config.cafile else "the system's CAs"
            return (
                f"the TLS handshake with {where} failed: its certificate is not trusted by {trusted} "
                f"({exc.verify_message}): give the platform's CA or certificate with --live-cafile"
            )
        if isinstance(exc, ftplib.Error):
            return f"the server at {where} refused AUTH TLS ({exc}): if it offers plain FTP only, set --live-tls=off"
        return (
            f"the TLS handshake with {where} failed ({_describe(exc)}): check --live-port, --live-tls and --live-cafile"
        )
    if step == "login":
        if isinstance(exc, ftplib.error_perm):
            return (
                f"the platform refused the login {config.login!r} ({exc}): "
                "check --live-login and --live-password (env SMSFTP_LIVE_PASSWORD)"
            )
        return f"the connection to {where} failed during login ({_describe(exc)}): check --live-port and --live-tls"
    return (
        f"logged in, but the folder could not be listed ({_describe(exc)}): the data connection (passive mode"
        + (", PROT P" if config.tls else "")
        + ") is blocked or refused; check the firewall and --live-tls"
    )


def _describe(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if type(exc).__name__ in text else f"{type(exc).__name__}: {text}"


def could_not_observe(exc: BaseException) -> str | None:
    """Why the harness lost sight of the platform (transport or TLS), or ``None`` for a platform's reply.

    FTP replies (``5xx``, ``4xx`` other than 421) are the platform answering, so a case judges them;
    a refused, reset or timed-out connection, a failed TLS handshake, or 421 (the server closing the
    control connection) say nothing about the document.
    """
    cause: BaseException | None = exc
    if isinstance(exc, UploadError):
        cause = exc.__cause__ or exc.__context__
        if cause is None:
            return None
    if isinstance(cause, ftplib.error_temp) and str(cause).startswith("421"):
        return f"the server closed the connection ({cause})"
    if isinstance(cause, ssl.SSLError):
        return f"TLS failed ({_describe(cause)})"
    if isinstance(cause, (OSError, EOFError)):
        return f"the connection failed ({_describe(cause)})"
    return None
