"""What one FTP client may take of the server: connections, time to log in, room in its folder.

Plain settings, no pyftpdlib: ``Simulator`` checks them when it is made, before any
server starts.  ``docs/reference/limits.md`` lists them with their defaults.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MAX_CONNECTIONS_PER_ADDRESS = 20
DEFAULT_LOGIN_TIMEOUT = 30.0
DEFAULT_FOLDER_QUOTA = 0  # bytes per account folder; 0: no quota


@dataclass(frozen=True)
class FtpLimits:
    """What one client may take of the FTP server (the "limits" reference page lists them).

    ``max_connections_per_address``: control connections at once from one address (0: no cap;
    pyftpdlib's cap of 512 connections in all still applies).  ``login_timeout``: seconds a
    connection may stay without logging in.  ``folder_quota``: bytes an account's folder may
    hold, subfolders included (0: no quota).
    """

    max_connections_per_address: int = DEFAULT_MAX_CONNECTIONS_PER_ADDRESS
    login_timeout: float = DEFAULT_LOGIN_TIMEOUT
    folder_quota: int = DEFAULT_FOLDER_QUOTA

    def __post_init__(self) -> None:
        if self.max_connections_per_address < 0:
            raise ValueError("max_connections_per_address must be 0 (no cap) or more")
        if self.login_timeout <= 0:
            raise ValueError("login_timeout must be positive")
        if self.folder_quota < 0:
            raise ValueError("folder_quota must be 0 (no quota) or more")
