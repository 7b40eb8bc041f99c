"""Who is looking at the cabinet: sign-in, signed session cookies, CSRF tokens, the operator.

A session is a small JSON payload in a cookie, signed with HMAC-SHA256 under a
secret made fresh for every simulator run, so a restart signs everybody out and a
cookie from one simulator is worthless against another.  A signed-in session is
also kept server-side (``SessionTable``, keyed by its random token): signing out
removes it there, so a cookie copied before sign-out is refused after it.  The
anonymous session that only carries the sign-in form's CSRF token is not kept:
nothing grows with page views.  The cookie is HttpOnly and SameSite=Lax; every
POST form also carries the session's own random token, so a form posted from
another site fails even in a browser that ignores SameSite.  A cookie that is
malformed in any way (not ASCII, not base64, not JSON, a wrong signature) reads
as no session at all.

The operator (support, the CI job that owns the simulator) sees every account.
That view needs the simulator's API token: ``/cabinet/login?token=...`` once in a
browser, or ``Authorization: Bearer ...`` on each request from a script.  Without
a configured token there is no operator view at all.  ``bearer_token`` is the one
parser of that header, for the API and the cabinet alike.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from smsftp.simulator.rules.accounts import Account

COOKIE_NAME = "smsftp_cabinet"
MAX_AGE = 12 * 3600  # seconds of wall time; the simulator's frozen clock has no say here
MAX_SESSIONS = 10_000  # signed-in sessions kept at once; past it the oldest is signed out


@dataclass(frozen=True, slots=True)
class Session:
    """One browser's standing: anonymous (only a CSRF token for the sign-in form), an account, or the operator."""

    csrf: str
    issued: int
    login: str | None = None
    operator: bool = False

    @property
    def signed_in(self) -> bool:
        return self.login is not None or self.operator

    def sees(self, login: str) -> bool:
        """Whether records of ``login`` are visible to this session."""
        return self.operator or (self.login is not None and self.login == login)

    @property
    def scope(self) -> str | None:
        """The login to filter records by; ``None`` means all accounts (operator only)."""
        return None if self.operator else self.login


def new_session(login: str | None = None, *, operator: bool = False) -> Session:
    # A fresh CSRF token on every sign-in and sign-out: a token seen before
    # sign-in (session fixation) is worthless after it.
    return Session(csrf=secrets.token_urlsafe(24), issued=int(time.time()), login=login, operator=operator)


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Turns sessions into signed cookie values and back; forged or stale values read as ``None``."""

    def __init__(self, secret: bytes | None = None, *, max_age: int = MAX_AGE) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)
        self._max_age = max_age

    def _sign(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode("ascii"), hashlib.sha256).digest()
        return _b64encode(digest)

    @property
    def max_age(self) -> int:
        return self._max_age

    def dumps(self, session: Session) -> str:
        body = {"c": session.csrf, "i": session.issued, "l": session.login, "o": session.operator}
        payload = _b64encode(json.dumps(body, separators=(",", ":")).encode("utf-8"))
        return f"{payload}.{self._sign(payload)}"

    def loads(self, value: str | None, *, now: float | None = None) -> Session | None:
        # A cookie is whatever the browser (or an attacker) sends: anything not ASCII is no session.
        if not value or not value.isascii() or value.count(".") != 1:
            return None
        payload, signature = value.split(".")
        try:
            if not hmac.compare_digest(signature.encode("ascii"), self._sign(payload).encode("ascii")):
                return None
            body: Any = json.loads(_b64decode(payload))
        except (ValueError, binascii.Error, UnicodeError):
            return None
        if not isinstance(body, dict):
            return None
        csrf, issued, login, operator = body.get("c"), body.get("i"), body.get("l"), body.get("o")
        if not isinstance(csrf, str) or not isinstance(issued, int) or not isinstance(operator, bool):
            return None
        if login is not None and not isinstance(login, str):
            return None
        age = (time.time() if now is None else now) - issued
        if age > self._max_age or age < -300:
            return None
        return Session(csrf=csrf, issued=issued, login=login, operator=operator)


class SessionTable:
    """The signed-in sessions this simulator run has issued and not yet signed out.

    Keyed by the session's random token; a signed cookie whose token is not here is refused.
    Thread-safe: the cabinet's sync routes run on worker threads.
    """

    def __init__(self, *, max_age: int = MAX_AGE, max_sessions: int = MAX_SESSIONS) -> None:
        self._issued: dict[str, float] = {}
        self._lock = threading.Lock()
        self._max_age = max_age
        self._max_sessions = max_sessions

    def add(self, session: Session) -> None:
        with self._lock:
            self._prune(time.time())
            if len(self._issued) >= self._max_sessions:
                del self._issued[next(iter(self._issued))]  # insertion order: the oldest
            self._issued[session.csrf] = session.issued

    def revoke(self, session: Session) -> None:
        with self._lock:
            self._issued.pop(session.csrf, None)

    def __contains__(self, session: object) -> bool:
        if not isinstance(session, Session):
            return False
        with self._lock:
            return session.csrf in self._issued

    def __len__(self) -> int:
        return len(self._issued)

    def _prune(self, now: float) -> None:
        stale = [token for token, issued in self._issued.items() if now - issued > self._max_age]
        for token in stale:
            del self._issued[token]


def check_password(accounts: Mapping[str, Account], login: str, password: str) -> Account | None:
    """The account when login and password match, else ``None``; same cost either way."""
    account = accounts.get(login)
    expected = account.password if account is not None else secrets.token_hex(16)
    # compare_digest on bytes: the password may hold any characters, and the
    # comparison must not reveal how much of it was right.
    ok = hmac.compare_digest(password.encode("utf-8"), expected.encode("utf-8"))
    if account is None or not ok or not account.password:
        return None
    return account


def token_matches(configured: str | None, offered: str | None) -> bool:
    """Whether ``offered`` is the simulator's API token; never true when none is configured."""
    if not configured or not offered:
        return False
    return hmac.compare_digest(configured.encode("utf-8"), offered.encode("utf-8"))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header; ``None`` for any other header."""
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def csrf_ok(session: Session | None, offered: str | None) -> bool:
    if session is None or not offered:
        return False
    return hmac.compare_digest(session.csrf.encode("ascii"), offered.encode("ascii", "replace"))


def safe_next(target: str | None, default: str = "/cabinet/") -> str:
    """Only our own pages are redirect targets after sign-in: no open redirect to another site."""
    if not target or not target.startswith("/cabinet/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(ch) < 0x21 for ch in target):
        return default
    return target
