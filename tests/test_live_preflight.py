"""The live run tells set-up from non-conformance: a preflight at start, ERROR for a lost connection.

The platform is a separately started ``smsftp serve`` (``served``, from
``test_live_target``); the plugin runs through ``pytester`` as a user runs it.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest
import test_live_target
from test_live_target import Served

from smsftp.conformance.cases import get_case
from smsftp.conformance.judge.runner import run_case
from smsftp.conformance.judge.verdicts import Outcome
from smsftp.conformance.live.preflight import preflight
from smsftp.conformance.live.target import LiveConfig, LiveTarget

pytest_plugins = ["pytester"]
served = test_live_target.served  # the same module-scoped smsftp serve fixture, started for this module
SUITE = """
from smsftp.conformance.plugin import judge_case

def test_case(request, sms_case, sms_platform):
    judge_case(request, sms_case, sms_platform)
"""


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _live(served: Served, *extra: str, port: int | None = None) -> list[str]:
    return [
        "-p",
        "no:cacheprovider",
        "--target=live",
        "--cases=T1-plain-ftp",
        "--live-host=127.0.0.1",
        f"--live-port={port if port is not None else served.ftp_port}",
        "--live-login=guest",
        "--live-confirm",
        "--live-allow=79031234567",
        "--live-budget=5",
        "--live-poll-interval=1",
        *extra,
    ]


def _failed_logins(served: Served) -> int:
    return int(served.get("/api/failed-logins?login=guest")["count"])  # type: ignore[call-overload]


@pytest.mark.parametrize(
    ("args", "step", "names_option"),
    [
        (("--live-password=wrong",), "login", "check --live-login and --live-password"),
        (("--live-password=guest",), "tls", "give the platform's CA or certificate with --live-cafile"),
        (("--live-password=guest", "--live-tls=off"), "connect", "check --live-host and --live-port"),
    ],
    ids=["wrong-password", "self-signed-without-cafile", "nobody-listens"],
)
def test_preflight_stops_the_run_once_and_still_writes_the_report(
    pytester: pytest.Pytester,
    served: Served,
    args: tuple[str, ...],
    step: str,
    names_option: str,
) -> None:
    pytester.makepyfile(test_suite=SUITE)
    port = _closed_port() if step == "connect" else None
    cafile = () if step == "tls" else (f"--live-cafile={served.cert}",)
    before = _failed_logins(served)
    report_dir = pytester.path / "report"
    result = pytester.runpytest(*_live(served, *args, *cafile, f"--report-dir={report_dir}", port=port))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert f"the live run never reached the platform ({step} failed)" in output and names_option in output
    assert "Traceback" not in output and "FAILED" not in output
    assert output.count("never reached the platform (") == 1  # one message, not one per case
    assert _failed_logins(served) - before == (1 if step == "login" else 0)  # one attempt only
    index = json.loads((report_dir / "index.json").read_text(encoding="utf-8"))
    assert index["reached_platform"] is False and index["cases"] == []
    assert index["preflight"]["step"] == step and names_option in index["preflight"]["message"]
    html = (report_dir / "report.html").read_text(encoding="utf-8")
    assert "never reached the\nplatform" in html and names_option.split()[-1] in html


def test_preflight_passes_and_the_case_runs(pytester: pytest.Pytester, served: Served) -> None:
    pytester.makepyfile(test_suite=SUITE)
    report_dir = pytester.path / "report"
    result = pytester.runpytest(
        *_live(served, "--live-password=guest", f"--live-cafile={served.cert}", f"--report-dir={report_dir}"),
        f"--live-outcomes={served.api_url}/api/messages",
    )
    assert result.ret == pytest.ExitCode.OK, result.stdout.str()
    index = json.loads((report_dir / "index.json").read_text(encoding="utf-8"))
    assert index["reached_platform"] is True and index["preflight"] is None
    assert [c["outcome"] for c in index["cases"]] == ["OK"]


def test_preflight_of_a_good_configuration_is_silent(served: Served) -> None:
    config = LiveConfig(host="127.0.0.1", port=served.ftp_port, login="guest", password="guest", cafile=served.cert)
    assert preflight(config) is None


def test_a_lost_connection_during_a_case_is_error_not_failed() -> None:
    """Nobody listens any more: the case could not observe the platform, which says nothing about it."""
    config = LiveConfig(
        host="127.0.0.1",
        port=_closed_port(),
        login="guest",
        password="guest",
        tls=False,
        confirm=True,
        allow=frozenset({"79031234567"}),
        budget=5,
        poll_interval=1.0,
    )
    verdict = run_case(get_case("T1-plain-ftp"), LiveTarget(config))
    assert verdict.outcome is Outcome.ERROR and verdict.fails(strict=False)
    assert verdict.reason.startswith("could not observe: the connection failed (ConnectionRefusedError")
    assert verdict.to_json()["outcome"] == "ERROR"


def test_refused_upload_midway_is_error(served: Served, tmp_path: Path) -> None:
    """A TLS failure on the data channel (a wrong CA for FTPS) while uploading: ERROR, never FAILED."""
    config = LiveConfig(
        host="127.0.0.1",
        port=served.ftp_port,
        login="guest",
        password="guest",
        tls=True,
        cafile=None,  # the system's CAs do not trust smsftp serve's self-signed certificate
        confirm=True,
        allow=frozenset({"79031234567"}),
        budget=5,
        poll_interval=1.0,
    )
    verdict = run_case(get_case("T1-ftps"), LiveTarget(config))
    assert verdict.outcome is Outcome.ERROR, verdict.text()
    assert "TLS failed" in verdict.reason and "CERTIFICATE_VERIFY_FAILED" in verdict.reason


def test_live_timezone_must_be_a_zone(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite=SUITE)
    args = ["--co", "--target=live", "--live-host=127.0.0.1", "--live-login=guest", "--live-confirm"]
    args += ["--live-allow=79031234567", "--live-budget=5"]
    result = pytester.runpytest(*args, "--live-timezone=Mars/Base")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--live-timezone (command line): 'Mars/Base' is not an IANA time zone*"])
    assert pytester.runpytest(*args, "--live-timezone=Asia/Yekaterinburg").ret == pytest.ExitCode.OK
