"""Targets: the simulator in this process, or the live platform, behind one interface ``Platform``.

``SimTarget`` sees everything (the journal, each archive's verdict and
diagnostics, the messages) and never waits: it moves the frozen clock to the
poller's next due instant, so that exactly one poll runs before each look.

``LiveTarget`` (``smsftp.conformance.live.target``) sees only what FTP shows (the file is
there or gone, and when) plus, optionally, an outcome source for the messages;
it waits in real time with deadlines of a few poll intervals.
"""

from __future__ import annotations

import ftplib
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from smsftp.conformance.cases import Case
from smsftp.conformance.client.uploader import HeldUpload, Uploader, UploadTranscript
from smsftp.conformance.errors import ConformanceError
from smsftp.conformance.live.localize import Localization
from smsftp.simulator.rules.accounts import Account, demo_account
from smsftp.simulator.service.clock import real_monotonic

if TYPE_CHECKING:
    from smsftp.simulator.app import Simulator


class ClientNotConformant(ConformanceError, AssertionError):
    """``assert_client_conformant`` found problems; the message is the readable report."""


@dataclass
class Processed:
    """What waiting for one upload to be processed showed; ``None`` fields are not observable."""

    gone: bool
    seconds: float | None = None  # from the end of the upload until processed (target's time)
    status: str | None = None
    codes: tuple[str, ...] | None = None
    messages: list[dict[str, Any]] | None = None
    window: tuple[datetime, datetime] | None = None
    sequence: float | None = None


class Platform(Protocol):
    """The interface of ``sms_platform``: what a case (or an integrator's test) can do and see."""

    kind: str  # "sim" or "live"
    poll_interval: float
    timing_tolerance: float  # seconds by which observed timings may differ from the poll interval
    localization: Localization  # the run's numbers and sender in place of the cases' samples

    def login_for(self, case: Case | None = None) -> str: ...

    def timezone_for(self, case: Case) -> str: ...

    def skip_reason(self, case: Case) -> str | None: ...

    def begin(self, case: Case) -> None: ...

    def end(self, names: list[str], login: str) -> None: ...

    def precheck(self, files: list[tuple[str, bytes]]) -> None: ...

    def uploader(
        self, login: str | None = None, *, tls: bool | None = None, passive: bool = True, password: str | None = None
    ) -> Uploader: ...

    def connect(self, login: str | None = None) -> ftplib.FTP: ...

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
    ) -> UploadTranscript: ...

    def hold(self, filename: str, data: bytes, *, login: str | None = None) -> HeldUpload: ...

    def finished(self, filename: str, *, login: str | None = None) -> None: ...

    def wait_processed(self, name: str, *, login: str | None = None) -> Processed: ...

    def wait_all(self, names: list[str], *, login: str | None = None) -> list[Processed]: ...

    def is_processed(self, name: str, *, login: str | None = None) -> bool: ...

    def let_poll_pass(self) -> None: ...

    def folder(self, login: str | None = None) -> list[str]: ...

    def archives(self, login: str | None = None) -> list[dict[str, Any]] | None: ...

    def messages(self, archive: str | None = None, login: str | None = None) -> list[dict[str, Any]] | None: ...

    def assert_client_conformant(
        self, fail_on: str = "error", login: str | None = None, *, advance: bool = False
    ) -> None: ...


class SimTarget:
    """The in-process simulator as a target; ``sim`` must run on a frozen clock.

    With a ``localization`` (the live run's numbers and sender, for a dry run) each case runs on
    them, and on an account for ``login`` that approves that sender, added to the simulator.
    """

    kind = "sim"
    timing_tolerance = 0.0  # the frozen clock makes every timing exact

    def __init__(
        self,
        sim: Simulator,
        *,
        login: str = "guest",
        tls: bool = False,
        localization: Localization | None = None,
        calibrated: Mapping[str, Any] | None = None,
    ) -> None:
        if not sim.clock.frozen:
            raise ValueError("the simulator target needs a simulator on a frozen clock")
        self.sim, self.login, self.tls = sim, login, tls
        # A calibration profile's account settings: the account of every case that sets none of its own.
        self.calibrated = dict(calibrated or {})
        self.localization = localization or Localization()
        self.poll_interval = sim.poll_interval
        self._before: dict[tuple[str, str], set[int]] = {}
        self._held_after = 0
        self._uploaded_at: dict[tuple[str, str], datetime] = {}

    # --- accounts and cases ----------------------------------------------------------------------
    def login_for(self, case: Case | None = None) -> str:
        return case.login if case is not None and case.account else self.login

    def skip_reason(self, case: Case) -> str | None:
        return None

    def timezone_for(self, case: Case) -> str:
        """The zone of the account the case runs on (``begin`` gives the simulator that account)."""
        return case.account_for(self.login_for(case)).timezone

    def begin(self, case: Case) -> None:
        """Give the case its account: its own settings, another sender, or a login the simulator lacks."""
        login = self.login_for(case)
        if case.account or case.sender != demo_account().default_sender or login not in self.sim.accounts:
            self.sim.add_account(self._calibrate(case, case.account_for(login)))
        elif self.calibrated:
            self.sim.add_account(self._calibrate(case, self.sim.accounts[login]))

    def _calibrate(self, case: Case, account: Account) -> Account:
        # A case that sets a behaviour of its own expects the documented defaults for the rest.
        if {k for k, _ in case.account} - {"login", "password", "senders", "default_sender"}:
            return account
        return account.with_overrides(**self.calibrated)

    def end(self, names: list[str], login: str) -> None:
        return None  # the sms_simulator fixture resets the simulator before every test

    def precheck(self, files: list[tuple[str, bytes]]) -> None:
        return None  # nothing leaves this machine

    def account(self, login: str | None = None) -> Account:
        return self.sim.accounts[login or self.login]

    # --- FTP -------------------------------------------------------------------------------------
    def uploader(
        self, login: str | None = None, *, tls: bool | None = None, passive: bool = True, password: str | None = None
    ) -> Uploader:
        who = login or self.login
        secure = self.tls if tls is None else tls
        return Uploader(
            self.sim.ftp_host,
            self.sim.ftp_port,
            who,
            password if password is not None else self.account(who).password,
            tls=secure,
            passive=passive,
            cafile=self.sim.cert_path if secure else None,
        )

    def connect(self, login: str | None = None) -> ftplib.FTP:
        who = login or self.login
        ftp = ftplib.FTP()
        ftp.connect(self.sim.ftp_host, self.sim.ftp_port, timeout=10)
        ftp.login(who, self.account(who).password)
        return ftp

    def _mark(self, name: str, login: str) -> None:
        self._before[(login, name)] = {a.id for a in self.sim.archives(login) if a.name == name}
        self._uploaded_at[(login, name)] = self.sim.clock.now()

    def _journaled(self, name: str, login: str, after: int) -> None:
        """Wait (real time) until the journal has the upload's end: the next poll must see it complete."""
        deadline = real_monotonic() + 10
        while real_monotonic() < deadline:
            ended = [
                u for u in self.sim.uploads(login) if u.id > after and u.final_name == name and u.state != "in_progress"
            ]
            if ended:
                return
            time.sleep(0.002)

    def _last_upload_id(self, login: str) -> int:
        return max((u.id for u in self.sim.uploads(login)), default=0)

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
        who = login or self.login
        self._mark(filename, who)
        last = self._last_upload_id(who)
        transcript = self.uploader(who, tls=tls, passive=passive).upload(
            filename, data, binary=binary, temp_name=temp_name
        )
        self._journaled(filename, who, last)
        # Each upload ends at its own instant, as on a real server: on a frozen clock they would all end
        # at once, and upload order could not be told from the names' order (Q1).  No poll falls due.
        due = self.sim.poller.next_due
        if due is not None and (due - self.sim.clock.now()).total_seconds() > 1:
            self.sim.advance(1)
        return transcript

    def hold(self, filename: str, data: bytes, *, login: str | None = None) -> HeldUpload:
        who = login or self.login
        self._mark(filename, who)
        self._held_after = after = self._last_upload_id(who)
        held = self.uploader(who).hold(filename, data)
        # The server may answer 150 a moment before it journals the upload; a poll in between would not
        # know that the transfer is open.
        deadline = real_monotonic() + 10
        while real_monotonic() < deadline and not any(
            u.id > after and u.final_name == filename for u in self.sim.uploads(who)
        ):
            time.sleep(0.002)
        return held

    def finished(self, filename: str, *, login: str | None = None) -> None:
        """A held upload was finished: wait until the journal has it."""
        who = login or self.login
        self._journaled(filename, who, self._held_after)
        self._uploaded_at[(who, filename)] = self.sim.clock.now()

    def add_neighbour(self) -> str:
        """A second account (T2 isolation); returns its login (password: the same)."""
        self.sim.add_account(replace(demo_account(), login="neighbour", password="neighbour"))
        return "neighbour"

    # --- time and outcomes --------------------------------------------------------------------------
    def let_poll_pass(self) -> None:
        """Move the clock to the next poll's instant: exactly one poll runs."""
        due = self.sim.poller.next_due
        assert due is not None
        self.sim.advance(max(0.0, (due - self.sim.clock.now()).total_seconds()))

    def _new_record(self, name: str, login: str) -> Any:
        before = self._before.get((login, name), set())
        done = [a for a in self.sim.archives(login) if a.name == name and a.id not in before and a.final]
        return min(done, key=lambda a: a.id) if done else None

    def is_processed(self, name: str, *, login: str | None = None) -> bool:
        return self._new_record(name, login or self.login) is not None

    def wait_processed(self, name: str, *, login: str | None = None) -> Processed:
        """Run polls (at most three) until the upload named ``name`` has its verdict."""
        who = login or self.login
        record = self._new_record(name, who)
        for _ in range(3):
            if record is not None:
                break
            self.let_poll_pass()
            record = self._new_record(name, who)
        if record is None:
            return Processed(gone=False)
        uploaded = self._uploaded_at.get((who, name), record.received_at)
        at = record.processed_at
        messages = [m for m in self.sim.messages(who, archive=name) if m.archive_id == record.id]
        return Processed(
            gone=name not in self.folder(who),
            seconds=(at - uploaded).total_seconds(),
            status=record.status,
            codes=tuple(d.code for d in record.diagnostics),
            messages=[m.to_json() for m in messages],
            window=(at, at),
            sequence=float(record.id),
        )

    def wait_all(self, names: list[str], *, login: str | None = None) -> list[Processed]:
        return [self.wait_processed(name, login=login) for name in names]

    def folder(self, login: str | None = None) -> list[str]:
        return self.sim.folder(login or self.login)

    def archives(self, login: str | None = None) -> list[dict[str, Any]] | None:
        return [a.to_json() for a in self.sim.archives(login or self.login)]

    def messages(self, archive: str | None = None, login: str | None = None) -> list[dict[str, Any]] | None:
        return [m.to_json() for m in self.sim.messages(login or self.login, archive=archive)]

    def assert_client_conformant(
        self, fail_on: str = "error", login: str | None = None, *, advance: bool = False
    ) -> None:
        """Judge every upload the simulator received (journal + verdicts + failed logins); raise with the report.

        Nothing uploaded, or an upload not processed yet, fails: ``advance=True`` first moves the
        frozen clock by one poll interval so that what was uploaded is processed.
        """
        from smsftp.conformance.judge.clientcheck import client_report

        who = login or self.login
        if advance:
            self.sim.advance(self.sim.poll_interval)
        report = client_report(
            [u.to_json() for u in self.sim.uploads(who)],
            [a.to_json() for a in self.sim.archives(who)],
            login=who,
            faults=[e.to_json() for e in self.sim.fault_events()],
            failed_logins=[f.to_json() for f in self.sim.failed_logins(who)],
            frozen=True,
        )
        if report.failing(fail_on):
            raise ClientNotConformant(report.text(fail_on))
