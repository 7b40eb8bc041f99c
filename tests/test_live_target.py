"""The live target end to end, against a separately started ``smsftp serve`` treated as a black box.

The service runs on the system clock with a 1-second poll interval, so the live
target waits in real time (deadlines of a few intervals, never a bare sleep).
Its HTTP API is the outcome source, in the ``GET /api/messages`` format.

Every case of the catalogue runs this way when ``SMSFTP_FULL_LIVE=1`` is set
(about two minutes); by default a representative set does (every scenario,
plain FTP and FTPS, scheduled and immediate messages, a rejected archive).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from smsftp.conformance.cases import Case, all_cases, get_case, select_cases
from smsftp.conformance.cases.samples import SAMPLE_NUMBERS
from smsftp.conformance.judge.runner import run_case
from smsftp.conformance.judge.verdicts import Outcome, Verdict
from smsftp.conformance.live.localize import Localization
from smsftp.conformance.live.safety import inspect_archive
from smsftp.conformance.live.target import LiveConfig, LiveTarget

REPRESENTATIVE = (
    "T1-plain-ftp",
    "T1-ftps",
    "T2-wrong-password",
    "T4-active-mode",
    "T4-ftp-commands",
    "P1-poll-interval",
    "P2-rejected-also-deleted",
    "P3-earliest-first",
    "P4-one-at-a-time",
    "Q1-earliest-by-name",
    "Q15-non-zip-left",
    "Q17-same-name-again",
    "Q22-upload-held-open",
    "Q22-temporary-name",
    "Q27-ascii-upload",
    "M6-localtime",
    "C3-M5-contact-overrides-template",
    "Q8-leading-8",
    "N1-plain-txt",
    "Z1-name-not-pattern",
    "Q16-truncated",
)


@dataclass(frozen=True)
class Served:
    ftp_port: int
    api_url: str
    cert: str
    process: subprocess.Popen[str]

    def get(self, path: str) -> dict[str, object]:
        with urllib.request.urlopen(self.api_url + path, timeout=10) as response:
            data: dict[str, object] = json.loads(response.read())
            return data

    def post(self, path: str, body: dict[str, object]) -> dict[str, object]:
        request = urllib.request.Request(
            self.api_url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            data: dict[str, object] = json.loads(response.read())
            return data


def _banner(process: subprocess.Popen[str], timeout: float) -> dict[str, str]:
    """Read stderr until the banner names the FTP port, the API and the certificate."""
    found: dict[str, str] = {}
    done = threading.Event()
    patterns = {
        "ftp": r"^\s+FTP\s+ftp://127\.0\.0\.1:(\d+)/",
        "api": r"^\s+API\s+(http://\S+?)/api/health",
        "cert": r"^\s+cert\s+(\S+)",
    }

    def read() -> None:
        assert process.stderr is not None
        # The fixture closes the pipe once the process has ended: reading then stops, quietly.
        with contextlib.suppress(ValueError, OSError):
            for line in process.stderr:
                for key, pattern in patterns.items():
                    match = re.match(pattern, line)
                    if match and key not in found:
                        found[key] = match.group(1)
                if len(found) == len(patterns):
                    done.set()
        done.set()

    threading.Thread(target=read, daemon=True).start()
    done.wait(timeout)
    return found


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("serve")
    command = [
        sys.executable,
        "-m",
        "smsftp.simulator.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--ftp-port",
        "0",
        "--api-port",
        "0",
        "--state-dir",
        str(state),
        "--clock",
        "system",
        "--poll-interval",
        "1",
        "--tls",
        "optional",
    ]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        found = _banner(process, timeout=30)
        assert set(found) == {"ftp", "api", "cert"}, f"smsftp serve did not start: {found}"
        yield Served(int(found["ftp"]), found["api"], found["cert"], process)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        assert process.stderr is not None
        process.stderr.close()


def _numbers(cases: list[Case], login: str = "guest") -> frozenset[str]:
    """The allow-list of this test: every number the cases' archives could send to."""
    return frozenset(
        n for case in cases for name, data in case.archives(login) for n in inspect_archive(name, data).numbers
    )


def _target(
    served: Served, cases: list[Case], *, outcomes: bool = True, budget: int = 10_000, tls: bool = True
) -> LiveTarget:
    allow = _numbers(cases)
    config = LiveConfig(
        host="127.0.0.1",
        port=served.ftp_port,
        login="guest",
        password="guest",
        tls=tls,
        cafile=served.cert,
        poll_interval=1.0,
        confirm=True,
        allow=allow,
        budget=budget,
        outcomes=f"{served.api_url}/api/messages" if outcomes else None,
        # the guest account of smsftp serve is the document's: its own numbers, kept
        numbers=tuple(n for n in SAMPLE_NUMBERS if n in allow) or SAMPLE_NUMBERS[:1],
    )
    return LiveTarget(config)


# The guard refuses what it cannot read to the end: a zip bomb is never sent to a live platform.
REFUSED_BY_DESIGN = frozenset({"Q16-zip-bomb"})


def _passes(verdict: Verdict) -> bool:
    """OK for the document's statements; INFORMATIONAL with no difference for the open questions."""
    if verdict.case.id in REFUSED_BY_DESIGN:
        return verdict.outcome is Outcome.SKIPPED_SAFETY
    if verdict.case.informational:
        return verdict.outcome is Outcome.INFORMATIONAL and not [
            f for f in verdict.findings if f.kind in ("mismatch", "lenient")
        ]
    return verdict.outcome is Outcome.OK


def _selected() -> list[Case]:
    if os.environ.get("SMSFTP_FULL_LIVE") == "1":
        return [c for c in all_cases() if not c.sim_only]
    return [get_case(i) for i in REPRESENTATIVE]


def test_live_suite_against_smsftp_serve_with_outcome_source(served: Served) -> None:
    """The same cases as on the simulator, through FTP only plus GET /api/messages (T1-T4, P1-P4, ...)."""
    cases = _selected()
    target = _target(served, cases)
    try:
        failures = [v.text() for v in (run_case(case, target) for case in cases) if not _passes(v)]
    finally:
        target.close()
    assert not failures, "\n\n".join(failures)
    assert served.get("/api/folder/guest")["files"] == []


def test_live_skips_what_ftp_cannot_show_r1(served: Served) -> None:
    target = _target(served, [get_case("T1-plain-ftp")])
    try:
        r1 = run_case(get_case("R1-statistics"), target)
        assert r1.outcome is Outcome.SKIPPED and "not observable over FTP" in r1.reason
        account = run_case(get_case("Z4-cp1251-arranged"), target)
        assert account.outcome is Outcome.SKIPPED and "encoding" in account.reason
    finally:
        target.close()


def test_live_without_outcome_source_cannot_pass_content_t1(served: Served) -> None:
    case = get_case("T1-plain-ftp")
    target = _target(served, [case], outcomes=False, tls=False)
    try:
        verdict = run_case(case, target)
    finally:
        target.close()
    assert verdict.outcome is Outcome.INFORMATIONAL
    assert "not verifiable on live" in verdict.reason
    gone = [f for f in verdict.findings if "processed and deleted" in f.aspect]
    assert gone and gone[0].kind == "match"


def test_live_guard_refuses_numbers_outside_the_allow_list_before_any_upload(served: Served) -> None:
    uploads_before = len(served.get("/api/uploads?login=guest")["uploads"])  # type: ignore[arg-type]
    target = _target(served, [get_case("T1-plain-ftp")])  # allows only 79031234567
    target.localization = Localization()  # the guard does not rely on the rewrite: without it, it refuses
    try:
        verdict = run_case(get_case("Q8-leading-8"), target)  # also holds 89161234567
        assert verdict.outcome is Outcome.SKIPPED_SAFETY
        assert "79161234567" in verdict.reason
        over = replace(
            target.config, budget=1, allow=_numbers([get_case("P4-one-at-a-time")]), numbers=SAMPLE_NUMBERS[:3]
        )
        small = LiveTarget(over)
        try:
            budget = run_case(get_case("P4-one-at-a-time"), small)  # four messages
            assert budget.outcome is Outcome.SKIPPED_SAFETY and "budget" in budget.reason
        finally:
            small.close()
    finally:
        target.close()
    assert len(served.get("/api/uploads?login=guest")["uploads"]) == uploads_before  # type: ignore[arg-type]


# A real account: its own login, approved sender and phones (two mobiles and a landline of each zone M6 needs).
TESTER_NUMBERS = ("79991112233", "79991112244", "79991112255", "73832654321", "73433654321")
TESTER_SENDER = "MYSHOP"
ON_TESTER = (
    "T1-plain-ftp",
    "P4-one-at-a-time",
    "Q8-leading-8",
    "Q8-formatted-leading-8",
    "Q8-scientific-comma",
    "Z5-comma-separated",
    "Q19-unquoted-semicolon",
    "N1-two-plain-files",
    "M3-sender-case",
    "M3-sender-not-approved",
    "M6-localtime",
    "Q13-localtime-zone-ambiguous",
    "C2-phone-letters",
    "C2-phone-invalid",
    "Q3-login-case",
)


def test_live_suite_runs_on_the_testers_own_numbers_and_sender_c2_m3(served: Served) -> None:
    """Every case is moved onto the tester's numbers (any spelling) and sender; nothing reaches a sample number."""
    served.post(
        "/api/accounts",
        {"login": "tester", "password": "tester-pw", "senders": [TESTER_SENDER], "default_sender": TESTER_SENDER},
    )
    config = LiveConfig(
        host="127.0.0.1",
        port=served.ftp_port,
        login="tester",
        password="tester-pw",
        cafile=served.cert,
        poll_interval=1.0,
        confirm=True,
        allow=frozenset(TESTER_NUMBERS),
        budget=200,
        outcomes=f"{served.api_url}/api/messages",
        numbers=TESTER_NUMBERS,
        sender=TESTER_SENDER,
    )
    target = LiveTarget(config)
    cases = (
        [c for c in all_cases() if not c.sim_only]
        if os.environ.get("SMSFTP_FULL_LIVE") == "1"
        else [get_case(i) for i in ON_TESTER]
    )
    try:
        verdicts = {case.id: run_case(case, target) for case in cases}
    finally:
        target.close()
    # A lenient platform could read the one-digit-short 7903123456 as 77903123456: not the tester's.
    invalid = verdicts.pop("C2-phone-invalid")
    assert invalid.outcome is Outcome.SKIPPED_SAFETY and "77903123456" in invalid.reason
    assert any("'7903123456'" in note for note in invalid.observation.notes)
    failures = [v.text() for v in verdicts.values() if not _passes(v)]
    assert not failures, "\n\n".join(failures)
    t1 = verdicts["T1-plain-ftp"]
    assert "numbers: 79031234567 -> 79991112233" in t1.observation.notes
    assert t1.observation.archives[0].name.startswith("tester_")
    sent = served.get("/api/messages?login=tester")["messages"]
    assert isinstance(sent, list) and sent
    assert {m["phone"] for m in sent} <= set(TESTER_NUMBERS)
    assert {m["sender"] for m in sent} == {TESTER_SENDER}
    assert served.get("/api/folder/tester")["files"] == []


def test_live_target_detects_a_wrong_expectation(served: Served) -> None:
    """A case whose expected text is not what the platform renders fails on live too (M2)."""
    case = get_case("T1-plain-ftp")
    expected = case.expected.archives[0]
    assert expected.messages is not None
    wrong = replace(expected, messages=(replace(expected.messages[0], text="Уважаемый !"),))
    broken = replace(case, expected=replace(case.expected, archives=(wrong,)), _cache={})
    target = _target(served, [case], tls=False)
    try:
        verdict = run_case(broken, target)
    finally:
        target.close()
    assert verdict.outcome is Outcome.FAILED
    assert "messages" in verdict.reason


def test_selection_of_representative_cases_covers_every_scenario() -> None:
    scenarios = {get_case(i).scenario for i in REPRESENTATIVE}
    assert scenarios == {"standard", "sequential", "p1-timing", "hold-open", "wrong-password", "ftp-commands"}
    assert set(REPRESENTATIVE) <= {c.id for c in select_cases()}
    assert Path(__file__).name == "test_live_target.py"
