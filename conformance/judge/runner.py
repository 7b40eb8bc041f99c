"""Running one case on one target: upload as the scenario says, observe, hand over to ``judge``.

Each scenario (``smsftp.conformance.cases.model.SCENARIOS``) is one function here.  It
uploads through the platform (so the live safety guard sees every byte), fills
the ``Observation`` and adds its own ``Finding`` s (timing, refusals, FTP
replies).  Whatever happens, the files the case left in the folder are removed
afterwards, and the verdict carries the evidence.
"""

from __future__ import annotations

import ftplib
import json
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from smsftp.conformance.cases import Case
from smsftp.conformance.client.uploader import UploadError
from smsftp.conformance.errors import ConformanceError
from smsftp.conformance.judge.targets import Platform, Processed
from smsftp.conformance.judge.verdicts import (
    ArchiveObservation,
    Finding,
    Kind,
    Observation,
    Verdict,
    judge,
    skipped,
    unobserved,
)
from smsftp.conformance.live.preflight import could_not_observe
from smsftp.conformance.live.safety import SafetyRefusal


class _Stop(ConformanceError):
    """The scenario cannot go on (refused or failed upload); what was seen so far is judged."""


@dataclass
class _Run:
    case: Case
    platform: Platform
    files: list[tuple[str, bytes]]
    obs: Observation
    login: str

    def name(self, index: int) -> str:
        return self.files[index][0]

    def check(self, aspect: str, ok: bool, expected: Any, observed: Any, detail: str = "") -> None:
        self.obs.checks.append(Finding(aspect, "match" if ok else "mismatch", expected, observed, detail))

    def upload(self, index: int) -> None:
        name, data = self.files[index]
        options = self.case.upload
        observed = self.obs.archives[index]
        try:
            transcript = self.platform.upload(
                name,
                data,
                binary=options.binary,
                temp_name=options.temp_name,
                tls=options.tls,
                passive=options.passive,
                login=self.login,
            )
        except SafetyRefusal as refusal:
            observed.refused = refusal.reason
            raise _Stop from None
        except UploadError as exc:
            if could_not_observe(exc):
                observed.transcript = exc.transcript.to_json()
                raise  # not the platform's answer: run_case makes it an ERROR
            observed.upload_error, observed.transcript = str(exc), exc.transcript.to_json()
            raise _Stop from None
        observed.transcript = transcript.to_json()

    def record(self, index: int, result: Processed) -> None:
        observed = self.obs.archives[index]
        observed.gone, observed.seconds, observed.status = result.gone, result.seconds, result.status
        observed.codes, observed.messages, observed.window = result.codes, result.messages, result.window
        observed.sequence = result.sequence
        interval, slack = self.platform.poll_interval, self.platform.timing_tolerance
        if result.seconds is not None and result.seconds > interval + 2 * slack:
            self.obs.checks.append(
                Finding(
                    f"archive {index + 1} processed within one poll interval (P1)",
                    self.off_time(),
                    f"<= {interval:g} s",
                    f"{result.seconds:.2f} s",
                    "processed, but later than the next poll",
                )
            )

    def off_time(self) -> Kind:
        """A timing off the poll interval: exact on the simulator's frozen clock, only lenient in real time."""
        return "mismatch" if self.platform.kind == "sim" else "lenient"

    def wait_all(self, indices: list[int]) -> None:
        results = self.platform.wait_all([self.name(i) for i in indices], login=self.login)
        for index, result in zip(indices, results, strict=True):
            self.record(index, result)


def _processed_indices(run: _Run) -> list[int]:
    return [i for i, e in enumerate(run.case.expected.archives) if e.status != "ignored"]


def _standard(run: _Run) -> None:
    for index in range(len(run.files)):
        run.upload(index)
    run.wait_all(_processed_indices(run))
    left = [i for i, e in enumerate(run.case.expected.archives) if e.status == "ignored"]
    if left:
        run.platform.let_poll_pass()
        present = set(run.platform.folder(run.login))
        for index in left:
            run.obs.archives[index].gone = run.name(index) not in present


def _sequential(run: _Run) -> None:
    for index in range(len(run.files)):
        run.upload(index)
        run.wait_all([index])


def _p1_timing(run: _Run) -> None:
    _sequential(run)
    first, second = (run.obs.archives[i].window for i in (0, 1))
    interval, tolerance = run.platform.poll_interval, run.platform.timing_tolerance
    if first is None or second is None:
        run.obs.checks.append(Finding("poll interval (P1)", "unverifiable", interval, None, "not processed"))
        return
    delta = (second[1] - first[1]).total_seconds()
    kind: Kind = "match" if abs(delta - interval) <= tolerance else run.off_time()
    run.obs.checks.append(
        Finding(
            "poll interval (P1)",
            kind,
            f"{interval:g} s",
            f"{delta:.2f} s",
            "the second archive, uploaded right after the first was processed, was processed this long after it",
        )
    )


def _hold_open(run: _Run) -> None:
    name, data = run.files[0]
    observed = run.obs.archives[0]
    try:
        held = run.platform.hold(name, data, login=run.login)
    except SafetyRefusal as refusal:
        observed.refused = refusal.reason
        raise _Stop from None
    visible = name in run.platform.folder(run.login)
    run.platform.let_poll_pass()
    early = run.platform.is_processed(name, login=run.login)
    if run.platform.kind == "live" and not visible:
        run.obs.checks.append(
            Finding(
                "not processed while the upload was open (Q22)",
                "unverifiable",
                True,
                None,
                "the server does not list a file while it is being uploaded",
            )
        )
    else:
        run.check("not processed while the upload was open (Q22)", not early, False, early)
    try:
        observed.transcript = held.finish().to_json()
    except UploadError as exc:
        if could_not_observe(exc):
            raise
        observed.upload_error, observed.transcript = str(exc), exc.transcript.to_json()
        raise _Stop from None
    run.platform.finished(name, login=run.login)
    run.wait_all([0])


def _wrong_password(run: _Run) -> None:
    try:
        run.platform.uploader(run.login, password="wrong-" + "x" * 8).list_folder()
    except UploadError as exc:
        if could_not_observe(exc):
            raise
        last = exc.transcript.lines[-1][1] if exc.transcript.lines else str(exc)
        kind: Kind = "match" if last.startswith("530") else "lenient"  # RFC 959: 530 Not logged in
        run.obs.checks.append(Finding("login with a wrong password refused (T2)", kind, "530", last))
    else:
        run.check("login with a wrong password refused (T2)", False, "530", "logged in")


def _isolation(run: _Run) -> None:
    run.upload(0)
    name = run.name(0)
    add_account = getattr(run.platform, "add_neighbour", None)
    if add_account is None:
        run.obs.checks.append(Finding("isolation (T2)", "unverifiable", None, None, "needs a second account"))
    else:
        neighbour = add_account()
        seen = run.platform.uploader(neighbour).list_folder()
        run.check("another account does not see the file (T2)", name not in seen, [], seen)
        for path in (f"../{run.login}/{name}", f"/{run.login}/{name}"):
            try:
                run.platform.uploader(neighbour).delete(path)
                refused = False
            except UploadError as exc:
                if could_not_observe(exc):
                    raise
                refused = True
            run.check(f"another account cannot delete {path} (T2)", refused, "refused", refused)
        run.check(
            "the file is still in its own folder",
            name in run.platform.folder(run.login),
            True,
            run.platform.folder(run.login),
        )
    run.wait_all([0])


def _reply(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except (ftplib.Error, OSError, EOFError) as exc:
        return f"error: {exc}"


def _ftp_commands(run: _Run) -> None:
    run.upload(0)
    name, data = run.files[0]
    ftp = run.platform.connect(run.login)
    try:
        run.check(
            "PWD answers 257 (T4)",
            str(_reply(lambda: ftp.sendcmd("PWD"))).startswith("257"),
            "257",
            _reply(lambda: ftp.sendcmd("PWD")),
        )
        listing: list[str] = []
        _reply(lambda: ftp.retrlines("LIST", listing.append))
        run.check("LIST shows the file (T4)", any(line.endswith(name) for line in listing), name, listing)
        names = _reply(ftp.nlst)
        run.check(
            "NLST shows the file (T4)",
            isinstance(names, list) and name in [n.rsplit("/", 1)[-1] for n in names],
            name,
            names,
        )
        _reply(lambda: ftp.voidcmd("TYPE I"))
        size = _reply(lambda: ftp.size(name))
        run.check("SIZE gives the file's size (T4)", size == len(data), len(data), size)
        chunks: list[bytes] = []
        _reply(lambda: ftp.retrbinary(f"RETR {name}", chunks.append))
        run.check("RETR returns the bytes uploaded (T4)", b"".join(chunks) == data, len(data), len(b"".join(chunks)))
        _reply(lambda: ftp.cwd("/"))
        _reply(lambda: ftp.sendcmd("CDUP"))
        after_cdup = _reply(ftp.nlst)
        run.check(
            "CWD / and CDUP stay in the client's own folder (T2, T4)",
            isinstance(after_cdup, list) and name in [n.rsplit("/", 1)[-1] for n in after_cdup],
            name,
            after_cdup,
        )
        run.obs.archives[0].gone = False
        deleted = _reply(lambda: ftp.delete(name))
        run.check("DELE removes the file (T4)", name not in run.platform.folder(run.login), "deleted", deleted)
    finally:
        _reply(ftp.quit)


def _side_channel(run: _Run) -> None:
    _standard(run)
    name = run.name(0)
    api_url = getattr(getattr(run.platform, "sim", None), "api_url", None)
    if api_url:
        with urllib.request.urlopen(f"{api_url}/api/archives?login={run.login}", timeout=10) as response:
            records = json.loads(response.read())["archives"]
    else:
        records = run.platform.archives(run.login) or []
    mine = [r for r in records if r.get("name") == name]
    count = mine[-1].get("message_count") if mine else None
    expected = run.case.expected.archives[0].message_count
    run.check("statistics on the side channel: message count (R1)", count == expected, expected, count)


def _one_check(run: _Run) -> None:
    """Q30: archives that wait in the folder together are processed in one check, or one per check."""
    _standard(run)
    first, second = (run.obs.archives[i].window for i in (0, 1))
    interval = run.platform.poll_interval
    if first is None or second is None:
        run.obs.checks.append(Finding("archives per check (Q30)", "unverifiable", "one check", None, "not processed"))
        return
    delta = abs((second[1] - first[1]).total_seconds())
    run.obs.checks.append(
        Finding(
            "archives per check (Q30)",
            "match" if delta < interval / 2 else "mismatch",
            "one check",
            f"{delta:.2f} s apart",
            "two archives uploaded before one check were processed this far apart: about 0 s is one "
            "check for both, about one poll interval is one archive per check",
        )
    )


SCENARIO_RUNNERS: dict[str, Callable[[_Run], None]] = {
    "standard": _standard,
    "sequential": _sequential,
    "p1-timing": _p1_timing,
    "hold-open": _hold_open,
    "wrong-password": _wrong_password,
    "isolation": _isolation,
    "ftp-commands": _ftp_commands,
    "side-channel": _side_channel,
    "one-check": _one_check,
}


def run_case(case: Case, platform: Platform) -> Verdict:
    """Run ``case`` on ``platform`` and judge it; never raises for what the target does.

    The case is first put onto the platform's numbers and sender (``platform.localization``); the
    verdict then carries the rewritten case, so its evidence shows what was really expected.
    """
    started = time.monotonic()
    login = platform.login_for(case)
    reason = platform.skip_reason(case)
    if reason is not None:
        return skipped(case, platform.kind, reason, login=login)
    localized = platform.localization.apply(case, login)  # the tester's numbers and sender, if given
    if localized.case is None:
        return skipped(case, platform.kind, localized.reason or "cannot run on these numbers", safety=True, login=login)
    case = localized.case
    files = case.archives(login)
    obs = Observation(
        platform.kind,
        [ArchiveObservation.of(n, d) for n, d in files],
        poll_interval=platform.poll_interval,
        notes=list(localized.notes),
        zone=platform.timezone_for(case),
    )
    try:
        platform.precheck(files)
    except SafetyRefusal as refusal:
        for archive in obs.archives:
            archive.refused = refusal.reason
        return judge(case, obs, login=login)
    try:
        platform.begin(case)
        try:
            SCENARIO_RUNNERS[case.scenario](_Run(case, platform, files, obs, login))
            obs.folder_after = platform.folder(login)
        except _Stop:
            pass
        finally:
            _clean_up(platform, [n for n, _ in files], login)
    except Exception as exc:
        why = could_not_observe(exc)
        if why is None:
            raise  # our own bug: the test shows the traceback
        return unobserved(case, obs, why, login=login, duration=time.monotonic() - started)
    return judge(case, obs, login=login, duration=time.monotonic() - started)


def _clean_up(platform: Platform, names: list[str], login: str) -> None:
    """Remove the case's files; a lost connection here must not hide what the case saw."""
    try:
        platform.end(names, login)
    except Exception as exc:
        if could_not_observe(exc) is None:
            raise
