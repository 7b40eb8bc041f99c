"""The live target: a real platform (or a separately started ``smsftp serve``) seen only through FTP.

What it can observe: that a file is in the folder or gone, and when (listing
the folder every ``step`` seconds over one kept-open FTP session).  What it
cannot: diagnostics, and the messages, unless an outcome source is given
(``smsftp.conformance.judge.outcomes``).  It waits in real time, never longer than a few
poll intervals.  Every upload passes the safety guard (``smsftp.conformance.live.safety``)
inside the uploader, and every case's files are checked before the first of
them is uploaded, so that a case never runs half.

Each case is first put onto the tester's own numbers and approved sender
(``smsftp.conformance.live.localize``: ``--live-numbers``, default the allow-list, and
``--live-sender``); the guard judges the rewritten archives.

Files that were in the folder before a case began are none of its business:
``folder()`` leaves them out.
"""

from __future__ import annotations

import contextlib
import ftplib
import ssl
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from smsftp.conformance.cases import Case
from smsftp.conformance.client.uploader import HeldUpload, Uploader, UploadTranscript, tls_context
from smsftp.conformance.errors import ConformanceError
from smsftp.conformance.judge.outcomes import OutcomeSource, outcome_source
from smsftp.conformance.judge.targets import ClientNotConformant, Processed
from smsftp.conformance.live.localize import Localization, parse_sender, valid_number
from smsftp.conformance.live.safety import ArchiveGuard, SafetyRefusal, live_problems
from smsftp.simulator.service.clock import real_monotonic


class LiveNotAllowed(ConformanceError, RuntimeError):
    """The live target refuses to start: confirmation, allow-list or budget missing."""


@dataclass(frozen=True)
class LiveConfig:
    host: str
    port: int = 21
    login: str = ""
    password: str = ""
    tls: bool = True
    cafile: str | None = None
    verify: bool = True
    poll_interval: float = 10.0
    confirm: bool = False
    allow: frozenset[str] = frozenset()
    budget: int | None = None
    outcomes: str | None = None
    timeout: float = 20.0
    # The tester's own numbers that take the place of the cases' sample numbers, in order; empty: the
    # valid numbers of the allow-list, in sorted order (the plugin passes them in the order given).
    numbers: tuple[str, ...] = ()
    sender: str | None = None  # the account's approved sender in place of TESTSMS; None keeps TESTSMS
    timezone: str = "Europe/Moscow"  # the account's own zone: send dates in client time are read in it (C3)

    @property
    def tester_numbers(self) -> tuple[str, ...]:
        return self.numbers or tuple(n for n in sorted(self.allow) if valid_number(n))


class LiveTarget:
    kind = "live"

    def __init__(self, config: LiveConfig, *, outcomes: OutcomeSource | None = None) -> None:
        self.check(config)
        assert config.budget is not None
        self.config = config
        self.guard = ArchiveGuard(config.allow, config.budget)
        self.localization = Localization(config.tester_numbers, config.sender)
        self.outcomes = outcomes if outcomes is not None else outcome_source(config.outcomes)
        self.poll_interval = config.poll_interval
        self.step = min(0.5, max(0.05, config.poll_interval / 20))
        self.deadline = 3 * config.poll_interval + 5
        self.timing_tolerance = max(2 * self.step + 0.25, 0.1 * config.poll_interval)
        self._session: ftplib.FTP | None = None
        self._baseline: set[str] = set()
        self._snapshots: dict[str, list[dict[str, Any]]] = {}
        self._ended: dict[str, tuple[float, datetime]] = {}

    @staticmethod
    def check(config: LiveConfig) -> None:
        """Refuse (``LiveNotAllowed``) without confirmation, allow-list, budget, host and login."""
        problems = live_problems(confirmed=config.confirm, allow=config.allow, budget=config.budget)
        if not config.host or not config.login:
            problems.append("--live-host and --live-login are required for --target=live")
        outside = [n for n in config.numbers if n not in config.allow]
        if outside:
            problems.append(f"--live-numbers holds numbers outside --live-allow: {', '.join(outside)}")
        invalid = [n for n in config.numbers if not valid_number(n)]
        if invalid:
            problems.append(f"--live-numbers holds numbers that are not valid: {', '.join(invalid)}")
        if config.allow and not config.tester_numbers:
            problems.append("--live-allow holds no valid number to put in the cases; give --live-numbers")
        if config.sender is not None:
            try:
                parse_sender(config.sender)
            except ValueError as exc:
                problems.append(f"--live-sender: {exc}")
        if problems:
            raise LiveNotAllowed("the live target will not run:\n  " + "\n  ".join(problems))

    # --- cases -----------------------------------------------------------------------------------
    def login_for(self, case: Case | None = None) -> str:
        return self.config.login

    def timezone_for(self, case: Case) -> str:
        return self.config.timezone

    def skip_reason(self, case: Case) -> str | None:
        if case.sim_only:
            return f"not run on live: {case.sim_only}"
        if case.account:
            return "not run on live: needs account settings " + ", ".join(f"{k}={v!r}" for k, v in case.account)
        return None

    def begin(self, case: Case) -> None:
        """Let archives left by an earlier case be processed, then remember what else is there."""
        deadline = real_monotonic() + self.deadline
        names = self._list()
        while any(n.endswith(".zip") for n in names) and real_monotonic() < deadline:
            time.sleep(self.step)
            names = self._list()
        self._baseline = set(names)

    def end(self, names: list[str], login: str) -> None:
        leftovers = set(self._list()) & {*names, *(n + ".part" for n in names)}
        for name in leftovers - self._baseline:
            with contextlib.suppress(ftplib.Error, OSError, EOFError):
                self._ftp().delete(name)

    def precheck(self, files: list[tuple[str, bytes]]) -> None:
        spent = 0
        for name, data in files:
            spent += self.guard.check(name, data).messages  # raises SafetyRefusal
        if spent > self.guard.remaining:
            raise SafetyRefusal(
                f"the case's archives hold up to {spent} messages; {self.guard.remaining} of the budget remain"
            )

    # --- FTP -------------------------------------------------------------------------------------
    def uploader(
        self, login: str | None = None, *, tls: bool | None = None, passive: bool = True, password: str | None = None
    ) -> Uploader:
        c = self.config
        return Uploader(
            c.host,
            c.port,
            login or c.login,
            password if password is not None else c.password,
            tls=c.tls if tls is None else tls,
            passive=passive,
            timeout=c.timeout,
            guard=self.guard,
            cafile=c.cafile,
            verify=c.verify,
        )

    def connect(self, login: str | None = None) -> ftplib.FTP:
        c = self.config
        ftp: ftplib.FTP
        if c.tls:
            tls = ftplib.FTP_TLS(context=tls_context(c.cafile, c.verify), timeout=c.timeout)
            tls.connect(c.host, c.port)
            tls.auth()
            tls.login(login or c.login, c.password, secure=False)
            tls.prot_p()
            ftp = tls
        else:
            ftp = ftplib.FTP(timeout=c.timeout)
            ftp.connect(c.host, c.port)
            ftp.login(login or c.login, c.password)
        return ftp

    def _ftp(self) -> ftplib.FTP:
        if self._session is None:
            self._session = self.connect()
        return self._session

    def _list(self) -> list[str]:
        for attempt in (1, 2):
            try:
                return sorted(n.rsplit("/", 1)[-1] for n in self._ftp().nlst())
            except ftplib.error_perm as exc:
                if str(exc).startswith("550"):
                    return []  # some servers answer 550 for an empty folder
                raise
            except ssl.SSLError as exc:
                self.close()  # the control connection still owes a reply: start afresh
                if "SHUTDOWN_WHILE_IN_INIT" in str(exc):
                    # The server closed the data connection of an empty listing before TLS was up
                    # (pyftpdlib does, now and then): nothing was sent, so nothing is listed.
                    return []
                if attempt == 2:
                    raise
            except (OSError, EOFError, ftplib.Error):
                self.close()
                if attempt == 2:
                    raise
        return []

    def close(self) -> None:
        if self._session is not None:
            with contextlib.suppress(OSError, EOFError, ftplib.Error):
                self._session.close()
            self._session = None

    def _snapshot(self, name: str, login: str) -> None:
        if self.outcomes is not None:
            self._snapshots[name] = self.outcomes.messages(name, login)

    def upload(
        self,
        filename: str,
        data: bytes,
        *,
        binary: bool = True,
        temp_name: str | None = None,
        tls: bool | None = None,
        passive: bool = True,
        login: str | None = None,
    ) -> UploadTranscript:
        self._snapshot(filename, login or self.config.login)
        transcript = self.uploader(login, tls=tls, passive=passive).upload(
            filename, data, binary=binary, temp_name=temp_name
        )
        self._ended[filename] = (real_monotonic(), datetime.now(UTC))
        return transcript

    def hold(self, filename: str, data: bytes, *, login: str | None = None) -> HeldUpload:
        self._snapshot(filename, login or self.config.login)
        held = self.uploader(login).hold(filename, data)
        return held

    def finished(self, filename: str, *, login: str | None = None) -> None:
        """A held upload was finished now."""
        self._ended[filename] = (real_monotonic(), datetime.now(UTC))

    # --- waiting and outcomes ----------------------------------------------------------------------
    def let_poll_pass(self) -> None:
        until = real_monotonic() + self.poll_interval * 1.5 + self.step
        while real_monotonic() < until:
            time.sleep(min(self.step, max(0.0, until - real_monotonic())))

    def is_processed(self, name: str, *, login: str | None = None) -> bool:
        return name not in self._list()

    def wait_processed(self, name: str, *, login: str | None = None) -> Processed:
        return self.wait_all([name], login=login)[0]

    def wait_all(self, names: list[str], *, login: str | None = None) -> list[Processed]:
        """Watch the folder until every name is gone (or the deadline); ties share a listing number."""
        deadline = real_monotonic() + self.deadline
        gone: dict[str, tuple[int, float, datetime]] = {}
        listing = 0
        while len(gone) < len(set(names)):
            present = set(self._list())
            listing += 1
            for name in names:
                if name not in present and name not in gone:
                    gone[name] = (listing, real_monotonic(), datetime.now(UTC))
            if len(gone) == len(set(names)) or real_monotonic() > deadline:
                break
            time.sleep(self.step)
        return [self._processed(name, gone.get(name), login or self.config.login) for name in names]

    def _processed(self, name: str, seen: tuple[int, float, datetime] | None, login: str) -> Processed:
        if seen is None:
            return Processed(gone=False)
        listing, at, wall = seen
        ended_at, ended_wall = self._ended.get(name, (at, wall))
        result = Processed(gone=True, seconds=at - ended_at, window=(ended_wall, wall), sequence=float(listing))
        if self.outcomes is not None:
            fresh = self._fresh(name, login)
            result.messages = fresh
            result.status = "accepted" if fresh else "rejected"
            ids = [m["id"] for m in fresh if isinstance(m.get("id"), int)]
            if ids and len(ids) == len(fresh):
                result.sequence = float(min(ids))
        return result

    def _fresh(self, name: str, login: str) -> list[dict[str, Any]]:
        """The messages that appeared since the upload began, once the source stops changing."""
        assert self.outcomes is not None
        before = self._snapshots.get(name, [])
        current = self.outcomes.messages(name, login)
        settle = real_monotonic() + 5
        while real_monotonic() < settle:
            time.sleep(0.2)
            again = self.outcomes.messages(name, login)
            if len(again) == len(current):
                break
            current = again
        if all("id" in m for m in (*before, *current)):
            old = {m["id"] for m in before}
            return [m for m in current if m["id"] not in old]
        remaining = Counter(repr(sorted(m.items())) for m in before)
        fresh = []
        for m in current:
            key = repr(sorted(m.items()))
            if remaining[key]:
                remaining[key] -= 1
            else:
                fresh.append(m)
        return fresh

    # --- what FTP shows ----------------------------------------------------------------------------
    def folder(self, login: str | None = None) -> list[str]:
        return [n for n in self._list() if n not in self._baseline]

    def archives(self, login: str | None = None) -> list[dict[str, Any]] | None:
        return None  # the platform's verdicts are not observable over FTP

    def messages(self, archive: str | None = None, login: str | None = None) -> list[dict[str, Any]] | None:
        if self.outcomes is None or archive is None:
            return None
        return self.outcomes.messages(archive, login or self.config.login)

    def assert_client_conformant(
        self, fail_on: str = "error", login: str | None = None, *, advance: bool = False
    ) -> None:
        raise ClientNotConformant(
            "client conformance is judged by the simulator (it journals every upload); run with --target=sim"
        )
