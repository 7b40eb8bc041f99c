"""Where the live target learns what was sent: an optional outcome source.

FTP shows only that an archive disappeared.  What the platform made of it (the
messages, their texts and send dates) comes from an outcome source given with
``--live-outcomes``, in the format of the simulator's ``GET /api/messages``:
``{"messages": [{"phone", "text", "sender", "send_at", "expires_at",
"encoding", "segments", "archive", "id"?...}]}`` (a bare list of messages is
accepted too).  Two kinds:

``http://...`` / ``https://...``
    GET that URL, with ``archive=<name>`` (and ``login=<login>`` unless the URL
    has one) added to its query; a source may ignore them, since messages are
    filtered by their ``archive`` field here anyway.  An ``Authorization``
    header can be given through ``SMSFTP_LIVE_OUTCOMES_TOKEN`` (sent as
    ``Bearer``).
``cmd:COMMAND ARGS...``
    Run the command (no shell); ``{archive}`` and ``{login}`` in its arguments
    are replaced, and the environment carries ``SMSFTP_ARCHIVE`` and
    ``SMSFTP_LOGIN``.  It prints the JSON on stdout and exits 0.

Without a source, the live target reports content checks as not verifiable.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import urllib.parse
import urllib.request
from typing import Any, Protocol

from smsftp.conformance.errors import ConformanceError

TOKEN_ENV = "SMSFTP_LIVE_OUTCOMES_TOKEN"


class OutcomeError(ConformanceError, RuntimeError):
    """The outcome source could not be read; the message says which source and why."""


class OutcomeSource(Protocol):
    def messages(self, archive: str, login: str) -> list[dict[str, Any]]: ...

    def describe(self) -> str: ...


def _parse(text: str, where: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise OutcomeError(f"{where}: not JSON ({exc})") from None
    items = data.get("messages") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(m, dict) for m in items):
        raise OutcomeError(f'{where}: expected {{"messages": [...]}} or a list of messages')
    return items


def _only(items: list[dict[str, Any]], archive: str) -> list[dict[str, Any]]:
    return [m for m in items if m.get("archive", archive) == archive]


class HttpOutcomes:
    def __init__(self, url: str, *, timeout: float = 10.0, token: str | None = None) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {url!r}")
        self.url, self.timeout = url, timeout
        self.token = token if token is not None else os.environ.get(TOKEN_ENV)

    def describe(self) -> str:
        return self.url

    def _url(self, archive: str, login: str) -> str:
        parts = urllib.parse.urlsplit(self.url)
        query = urllib.parse.parse_qsl(parts.query, keep_blank_values=True)
        names = {k for k, _ in query}
        query.append(("archive", archive))
        if "login" not in names:
            query.append(("login", login))
        return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query)))

    def messages(self, archive: str, login: str) -> list[dict[str, Any]]:
        url = self._url(archive, login)
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read().decode("utf-8")
        except OSError as exc:
            raise OutcomeError(f"{url}: {exc}") from None
        return _only(_parse(body, url), archive)


class CommandOutcomes:
    def __init__(self, command: str, *, timeout: float = 60.0) -> None:
        self.argv = shlex.split(command)
        if not self.argv:
            raise ValueError("cmd: needs a command")
        self.timeout = timeout

    def describe(self) -> str:
        return "cmd:" + shlex.join(self.argv)

    def messages(self, archive: str, login: str) -> list[dict[str, Any]]:
        argv = [a.replace("{archive}", archive).replace("{login}", login) for a in self.argv]
        env = {**os.environ, "SMSFTP_ARCHIVE": archive, "SMSFTP_LOGIN": login}
        where = shlex.join(argv)
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=self.timeout, env=env, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise OutcomeError(f"{where}: {exc}") from None
        if done.returncode != 0:
            raise OutcomeError(f"{where}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
        return _only(_parse(done.stdout, where), archive)


def outcome_source(spec: str | None) -> OutcomeSource | None:
    """The source named by ``--live-outcomes`` (None or empty: no source)."""
    if not spec:
        return None
    if spec.startswith("cmd:"):
        return CommandOutcomes(spec[4:])
    return HttpOutcomes(spec)
