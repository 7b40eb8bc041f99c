"""The HTTP edge's own checks, before any route runs: Host, Origin, JSON bodies, body size.

The simulator listens on loopback without a token by default, so the browser of the
person running it is the attacker to think of: any web page it opens can send
requests to ``127.0.0.1``.  This middleware (plain ASGI, so that a body is never
buffered by a framework before it is measured) refuses

- a ``Host`` that is neither a loopback name nor the configured host: a DNS-rebinding
  page reaches us under its own name (403 ``host-not-allowed``);
- a state-changing request (anything but GET, HEAD, OPTIONS) from another origin: an
  ``Origin`` that is not this server's, or ``Sec-Fetch-Site: cross-site``
  (403 ``cross-site``);
- an ``/api/`` request body that is not ``application/json`` (415 ``json-required``):
  a form or ``text/plain`` body is what a cross-site page can send without asking;
- a body over ``max_body`` bytes (413 ``body-too-large``): by its ``Content-Length``
  before a byte of it is read, or while a chunked body is read, before it is kept.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smsftp.simulator.web.limits import DEFAULT_MAX_BODY
from smsftp.simulator.web.problems import ApiProblem, problem_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


@dataclass(frozen=True)
class GuardSettings:
    """What the guard lets through: the configured host (besides loopback) and the body limit."""

    host: str = "127.0.0.1"
    max_body: int = DEFAULT_MAX_BODY


class BodyTooLarge(ApiProblem):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is over {limit} bytes (--api-max-body)", "body-too-large")


class RequestGuard:
    """ASGI middleware applying ``GuardSettings`` to every HTTP request."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings
        self._any_host = _unspecified(settings.host)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refusal = self._refusal(scope, headers)
        if refusal is not None:
            status, detail, kind = refusal
            await problem_response(status, detail, kind, headers={"Connection": "close"})(scope, receive, send)
            return
        limit, received, started = self.settings.max_body, 0, False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, watched_send)
        except BodyTooLarge as exc:
            # A route that reads the body itself (no pydantic model) lets the error out here.
            if started:
                raise
            await problem_response(413, str(exc.detail), "body-too-large", headers={"Connection": "close"})(
                scope, receive, send
            )

    def _refusal(self, scope: Scope, headers: dict[str, str]) -> tuple[int, str, str] | None:
        host = headers.get("host", "")
        name = _host_name(host)
        if not self._host_allowed(name):
            return (
                403,
                f"Host {host!r} is not this simulator's (a loopback name or {self.settings.host})",
                ("host-not-allowed"),
            )
        method = scope["method"]
        if method not in SAFE_METHODS:
            origin = headers.get("origin")
            if origin is not None and not _same_origin(origin, host):
                return 403, f"a {method} from {origin!r} is refused: not this simulator's origin", "cross-site"
            if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
                return 403, f"a {method} from another site is refused (Sec-Fetch-Site)", "cross-site"
        length = headers.get("content-length")
        if length is not None:
            if not length.isascii() or not length.isdigit():
                return 400, f"Content-Length {length!r} is not a number", "invalid-input"
            if int(length) > self.settings.max_body:
                return (
                    413,
                    f"the request body is over {self.settings.max_body} bytes (--api-max-body)",
                    ("body-too-large"),
                )
        has_body = (length is not None and int(length) > 0) or "transfer-encoding" in headers
        if has_body and scope["path"].startswith("/api/") and method not in SAFE_METHODS:
            media = headers.get("content-type", "").split(";", 1)[0].strip().lower()
            if media != "application/json":
                return 415, f"the body must be application/json, not {media or 'untyped'}", "json-required"
        return None

    def _host_allowed(self, name: str) -> bool:
        if self._any_host or name in LOOPBACK_NAMES or name == self.settings.host.lower().strip("[]"):
            return True
        try:
            return ipaddress.ip_address(name).is_loopback
        except ValueError:
            return False


def _host_name(host: str) -> str:
    """``example.org:8121`` -> ``example.org``; ``[::1]:8121`` -> ``::1``; lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _same_origin(origin: str, host: str) -> bool:
    parts = urlsplit(origin)
    return parts.scheme in ("http", "https") and parts.netloc.lower() == host.strip().lower()


def _unspecified(host: str) -> bool:
    # Bound to every interface, the configured host names no single address: any Host is
    # accepted there, and the API token (always required off loopback) is the protection.
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False
