"""The pytest plugin (smsftp.conformance.plugin), run through ``pytester``: options, header, selection, verdicts."""

from __future__ import annotations

import json
from pathlib import Path

# pytester's in-process runs forget the modules first imported inside them; cryptography's Rust core and
# pydantic do not survive a second import in one process, so what the inner simulators need comes in here.
import cryptography.hazmat.primitives.asymmetric.rsa
import cryptography.hazmat.primitives.hashes
import cryptography.hazmat.primitives.serialization
import cryptography.x509
import pytest

import smsftp.simulator.app
import smsftp.simulator.service.tls
import smsftp.simulator.web.api

pytest_plugins = ["pytester"]
_PRELOADED = (
    cryptography.hazmat.primitives.asymmetric.rsa,
    cryptography.hazmat.primitives.hashes,
    cryptography.hazmat.primitives.serialization,
    cryptography.x509,
    smsftp.simulator.web.api,
    smsftp.simulator.app,
    smsftp.simulator.service.tls,
)

FAKE_VERDICT = """
import pytest
import smsftp.conformance.judge.runner as runner
from smsftp.conformance.plugin import judge_case
from smsftp.conformance.judge.verdicts import Finding, Observation, Outcome, Verdict

def fake(case, platform):
    finding = Finding("timing", "{kind}", "10 s", "20 s")
    return Verdict(case, Outcome["{outcome}"], "{reason}", [finding], Observation("sim"))

def test_case(request, sms_case, monkeypatch):
    monkeypatch.setattr(runner, "run_case", fake)
    judge_case(request, sms_case, object())
"""


def _fake(pytester: pytest.Pytester, outcome: str, kind: str = "lenient", reason: str = "late") -> None:
    pytester.makepyfile(test_fake=FAKE_VERDICT.format(outcome=outcome, kind=kind, reason=reason))


def _header(result: pytest.RunResult) -> str:
    return "\n".join(line for line in result.outlines if line.startswith("smsftp"))


def test_header_shows_target_and_defaults(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest("--co")
    header = _header(result)
    assert "smsftp: target=sim (default)" in header
    assert "cases=- (default)" in header and "strict=no (default)" in header
    assert "live-host" not in header  # live settings only matter for --target=live


@pytest.mark.parametrize(
    "layers, source",
    [
        ({"ini": "Z1*", "env": "Q8*", "cli": "N1*"}, "cases=N1* (command line)"),
        ({"ini": "Z1*", "env": "Q8*"}, "cases=Q8* (env SMSFTP_CASES)"),
        ({"ini": "Z1*"}, "cases=Z1* (ini smsftp_cases)"),
        ({}, "cases=- (default)"),
    ],
)
def test_option_precedence_command_line_env_ini_default(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, layers: dict[str, str], source: str
) -> None:
    pytester.makepyfile(test_pick="def test_pick(sms_case): pass")
    if "ini" in layers:
        pytester.makeini(f"[pytest]\nsmsftp_cases = {layers['ini']}\n")
    if "env" in layers:
        monkeypatch.setenv("SMSFTP_CASES", layers["env"])
    else:
        monkeypatch.delenv("SMSFTP_CASES", raising=False)
    result = pytester.runpytest("--co", *([f"--cases={layers['cli']}"] if "cli" in layers else []))
    assert source in _header(result)
    chosen = layers.get("cli") or layers.get("env") or layers.get("ini")
    collected = [line for line in result.outlines if "test_pick[" in line]
    assert collected
    if chosen:
        assert all(f"[{chosen[:-1]}" in line for line in collected)
    else:
        assert len(collected) > 100


def test_case_selection_with_globs(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_pick="def test_pick(sms_case): assert sms_case.id.startswith('Q8')")
    result = pytester.runpytest("--cases=Q8*", "--exclude-cases=*scientific*,*formatted*")
    result.assert_outcomes(passed=3)  # Q8-leading-plus, Q8-leading-8, Q8-plus-and-8-by-setting
    result = pytester.runpytest("--cases", "Q8-leading-8")
    result.assert_outcomes(passed=1)


def test_non_strict_passes_and_fails_only_under_strict_p1(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(pytester, "NON_STRICT")
    relaxed = pytester.runpytest("--cases=P1-poll-interval")
    relaxed.assert_outcomes(passed=1)
    assert relaxed.ret == 0
    assert any("1 NON-STRICT" in line for line in relaxed.outlines)
    result = pytester.runpytest("--cases=P1-poll-interval", "--sms-strict")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    # pytest's own --strict is pytest's strictness (markers, config), not the suite's: NON-STRICT still passes.
    theirs = pytester.runpytest("--cases=P1-poll-interval", "--strict")
    theirs.assert_outcomes(passed=1)
    assert "strict=no (default)" in _header(theirs)
    monkeypatch.setenv("SMSFTP_STRICT", "yes")
    pytester.runpytest("--cases=P1-poll-interval").assert_outcomes(failed=1)


def test_failed_verdict_fails_the_run_with_its_evidence(pytester: pytest.Pytester) -> None:
    _fake(pytester, "FAILED", kind="mismatch", reason="the archive was not deleted")
    result = pytester.runpytest("--cases=P2-rejected-also-deleted")
    result.assert_outcomes(failed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "*P2-rejected-also-deleted: FAILED - the archive was not deleted*",
            "*FAILED: P2-rejected-also-deleted: the archive was not deleted*",
        ]
    )


def test_skipped_safety_is_counted_loudly(pytester: pytest.Pytester) -> None:
    _fake(pytester, "SKIPPED_SAFETY", kind="match", reason="numbers outside the allow-list: 79031234567")
    result = pytester.runpytest("--cases=Q8-leading-8,Q8-leading-plus", "-rs")
    result.assert_outcomes(skipped=2)
    assert result.ret == 0
    result.stdout.fnmatch_lines(
        [
            "*!!! 2 CASE(S) SKIPPED-SAFETY*",
            "*!!!   Q8-leading-8: numbers outside*",
            "*SKIPPED-SAFETY: numbers outside the allow-list*",
        ]
    )


def test_report_dir_writes_index_json_and_html_for_real_cases(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_suite="from smsftp.conformance.test_conformance import test_case")
    report = pytester.path / "report"
    result = pytester.runpytest("--cases=T1-plain-ftp,Q15-non-zip-left,M6-localtime", f"--report-dir={report}")
    result.assert_outcomes(passed=3)
    index = json.loads((report / "index.json").read_text(encoding="utf-8"))
    assert index["format"] == "smsftp-conformance-report" and index["target"] == "sim"
    assert index["counts"]["OK"] == 2 and index["counts"]["INFORMATIONAL"] == 1
    assert [c["case"] for c in index["cases"]] == ["T1-plain-ftp", "Q15-non-zip-left", "M6-localtime"]
    assert index["settings"]["report_dir"]["source"] == "command line"
    first = index["cases"][0]["observed"]["archives"][0]
    assert len(first["sha256"]) == 64 and first["transcript"]["completed"]
    html = (report / "report.html").read_text(encoding="utf-8")
    assert "T1-plain-ftp" in html and "STOR guest_20261125120000.zip" in html and "<script" not in html


def test_sms_simulator_is_shared_and_reset_between_tests(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_sim="""
        import ftplib, io
        ports = []

        def test_first(sms_simulator):
            ports.append(sms_simulator.ftp_port)
            ftp = ftplib.FTP(); ftp.connect(sms_simulator.ftp_host, sms_simulator.ftp_port); ftp.login("guest", "guest")
            ftp.storbinary("STOR notes.txt", io.BytesIO(b"hello")); ftp.quit()
            assert sms_simulator.folder("guest") == ["notes.txt"]
            assert sms_simulator.clock.frozen

        def test_second(sms_simulator):
            assert sms_simulator.ftp_port == ports[0]
            assert sms_simulator.folder("guest") == [] and sms_simulator.uploads() == []
    """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_each_test_starts_from_the_sessions_clean_state(pytester: pytest.Pytester) -> None:
    """Accounts, clock, folders and store: the second test sees none of what the first one did."""
    pytester.makepyfile(
        test_isolation="""
        import ftplib, io
        from smsftp.simulator.app import wait_until
        from smsftp.simulator.rules.accounts import Account
        seen = {}

        def _upload(sim, login, password, name):
            ftp = ftplib.FTP(); ftp.connect(sim.ftp_host, sim.ftp_port); ftp.login(login, password)
            ftp.storbinary("STOR " + name, io.BytesIO(b"hello")); ftp.quit()

        def test_first(sms_simulator):
            seen["start"] = sms_simulator.clock.now()
            sms_simulator.add_account(Account("acme", "pw", senders=("ACME",)))
            _upload(sms_simulator, "acme", "pw", "notes.txt")
            _upload(sms_simulator, "guest", "guest", "guest.txt")
            sms_simulator.advance(3600)
            assert sms_simulator.clock.now() > seen["start"]
            assert "acme" in sms_simulator.accounts and sms_simulator.uploads()

        def test_second(sms_simulator):
            assert sms_simulator.clock.now() == seen["start"]
            assert sorted(sms_simulator.accounts) == ["guest"]
            assert sms_simulator.folder("guest") == [] and sms_simulator.folder("acme") == []
            assert sms_simulator.uploads() == [] and sms_simulator.archives() == []
            ftp = ftplib.FTP(); ftp.connect(sms_simulator.ftp_host, sms_simulator.ftp_port)
            try:
                ftp.login("acme", "pw")
            except ftplib.error_perm as exc:
                assert str(exc).startswith("530")
            else:
                raise AssertionError("the first test's account still logs in")
            finally:
                ftp.close()
            # The refusal is journaled by the server's thread: look until a deadline.
            assert wait_until(lambda: [f.login for f in sms_simulator.failed_logins()] == ["acme"], 10)
    """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_session_settings_are_overridden_by_a_conftest_fixture(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest
        from datetime import datetime, UTC
        from smsftp.simulator.rules.accounts import Account
        from smsftp.simulator.service.clock import FrozenClock

        @pytest.fixture(scope="session")
        def sms_simulator_settings():
            return {"accounts": {"acme": Account("acme", "pw", senders=("ACME",))},
                    "clock": FrozenClock(datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC))}
    """
    )
    pytester.makepyfile(
        test_settings="""
        from datetime import datetime, UTC

        def test_moves(sms_simulator):
            assert sorted(sms_simulator.accounts) == ["acme"]
            sms_simulator.advance(60)

        def test_settings_come_back(sms_simulator):
            assert sorted(sms_simulator.accounts) == ["acme"]
            assert sms_simulator.clock.now() == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_the_http_api_starts_only_when_a_test_asks_for_it(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_lazy="""
        import json, urllib.request

        def test_ftp_only(sms_simulator):
            assert sms_simulator._api is None

        def test_api(sms_simulator):
            with urllib.request.urlopen(sms_simulator.api_url + "/api/health", timeout=10) as response:
                assert json.load(response)["status"] == "ok"
    """
    )
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


def test_simulator_thread_errors_fail_the_test_that_caused_them(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_errors="""
        def test_breaks(sms_simulator):
            sms_simulator.errors.append(RuntimeError("poller exploded"))

        def test_fine(sms_simulator):
            pass
    """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_breaks*", "*poller exploded*"])


def test_sms_platform_uploads_waits_and_judges_the_client_t1(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_client="""
        import pytest
        from smsftp.conformance.client.builder import ArchiveSpec, build_archive
        from smsftp.conformance.judge.targets import ClientNotConformant

        def test_upload(sms_platform):
            name, data = build_archive(ArchiveSpec(contacts=(("79031234567", "Иван", "Петров"),)))
            transcript = sms_platform.upload(name, data)
            assert transcript.completed
            result = sms_platform.wait_processed(name)
            assert result.gone and result.status == "accepted"
            assert [m["phone"] for m in sms_platform.messages(name)] == ["79031234567"]
            assert sms_platform.folder() == []
            sms_platform.assert_client_conformant(fail_on="error")
            with pytest.raises(ClientNotConformant, match="SMS805"):
                sms_platform.assert_client_conformant(fail_on="warning")
    """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_live_target_refuses_to_start_without_its_guards(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest("--target=live", "--live-host=127.0.0.1", "--live-login=guest")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--live-confirm is missing*", "*--live-allow is empty*", "*--live-budget is missing*"]
    )


def test_live_header_masks_the_password_and_names_sources(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    monkeypatch.setenv("SMSFTP_LIVE_PASSWORD", "s3cret")
    monkeypatch.setenv("SMSFTP_LIVE_BUDGET", "5")
    result = pytester.runpytest(
        "--co",
        "--target=live",
        "--live-host=127.0.0.1",
        "--live-login=guest",
        "--live-confirm",
        "--live-allow=+7 916 123-45-67",
    )
    header = _header(result)
    assert result.ret == 0
    assert "target=live (command line)" in header
    assert "live-password=**** (env SMSFTP_LIVE_PASSWORD)" in header and "s3cret" not in result.stdout.str()
    assert "live-budget=5 (env SMSFTP_LIVE_BUDGET)" in header
    assert "live-allow=79161234567 (command line)" in header


def test_live_numbers_and_sender_default_to_the_allow_list_and_show_their_source(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    monkeypatch.setenv("SMSFTP_LIVE_SENDER", "MYSHOP")
    live = (
        "--co",
        "--target=live",
        "--live-host=127.0.0.1",
        "--live-login=me",
        "--live-confirm",
        "--live-budget=5",
        "--live-allow=+7 999 111-22-44, 89991112233",
    )
    header = _header(pytester.runpytest(*live))
    assert "live-allow=79991112244,79991112233 (command line)" in header  # in the order given
    assert "live-numbers=- (default)" in header and "live-sender=MYSHOP (env SMSFTP_LIVE_SENDER)" in header
    outside = pytester.runpytest(*live, "--live-numbers=79991112255")
    assert outside.ret == pytest.ExitCode.USAGE_ERROR
    outside.stderr.fnmatch_lines(["*--live-numbers holds numbers outside --live-allow: 79991112255*"])
    sender = pytester.runpytest(*live, "--live-sender=TOOLONGSENDER")
    assert sender.ret == pytest.ExitCode.USAGE_ERROR
    sender.stderr.fnmatch_lines(["*--live-sender (command line): 'TOOLONGSENDER' is not a valid sender*"])
    invalid = pytester.runpytest(*live, "--live-numbers=7999111223")
    assert invalid.ret == pytest.ExitCode.USAGE_ERROR
    invalid.stderr.fnmatch_lines(["*--live-numbers (command line): not valid phone numbers*"])


def test_live_numbers_and_sender_on_the_simulator_are_a_dry_run_of_the_live_map(pytester: pytest.Pytester) -> None:
    """Given on --target=sim, the map applies there too: a throw-away account approves the sender (C2, M3, Q8)."""
    pytester.makepyfile(test_suite="from smsftp.conformance.test_conformance import test_case")
    report = pytester.path / "report"
    result = pytester.runpytest(
        "--cases=T1-plain-ftp,M3-sender-case,Q8-leading-8,P4-one-at-a-time",
        "--live-numbers=79991112233,79991112244",
        "--live-sender=MYSHOP",
        f"--report-dir={report}",
        "-rs",
    )
    result.assert_outcomes(passed=3, skipped=1)
    assert "live-numbers=79991112233,79991112244 (command line)" in _header(result)
    result.stdout.fnmatch_lines(["*SKIPPED-SAFETY: needs 3 distinct numbers, have 2*"])
    index = json.loads((report / "index.json").read_text(encoding="utf-8"))
    t1 = next(c for c in index["cases"] if c["case"] == "T1-plain-ftp")
    assert t1["expected"]["archives"][0]["messages"][0]["phone"] == "79991112233"
    assert t1["expected"]["archives"][0]["messages"][0]["sender"] == "MYSHOP"
    assert t1["observed"]["archives"][0]["name"] == "tester_20261125120000.zip"
    assert "numbers: 79031234567 -> 79991112233" in t1["observed"]["notes"]


def test_bad_option_values_are_usage_errors(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_nothing="def test_nothing(): pass")
    result = pytester.runpytest("--target=staging")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--target (command line): must be sim or live*"])


def test_installed_suite_runs_with_pyargs_under_xdist(pytester: pytest.Pytester) -> None:
    """``pytest --pyargs smsftp.conformance -n 2``: each worker its own simulator, one report for the run."""
    report = pytester.path / "report"
    result = pytester.runpytest_subprocess(
        "--pyargs",
        "smsftp.conformance",
        "-n",
        "2",
        "--cases=Q8*,P3*,Q17*",
        "--exclude-cases=Q8-plus-and-8-by-setting",
        f"--report-dir={report}",
        "-p",
        "no:cacheprovider",
    )
    result.assert_outcomes(passed=8)
    index = json.loads((report / "index.json").read_text(encoding="utf-8"))
    assert len(index["cases"]) == 8 and index["counts"]["FAILED"] == 0


def test_xdist_workers_share_one_certificate(pytester: pytest.Pytester) -> None:
    """Without pytest's cache: two workers, one certificate, and its folder gone afterwards."""
    seen = pytester.path / "seen.txt"
    pytester.makepyfile(
        test_cert=f"""
        import os, pytest

        @pytest.mark.parametrize("i", range(4))
        def test_cert(sms_simulator, i):
            with open({str(seen)!r}, "a") as out:
                out.write(os.environ["PYTEST_XDIST_WORKER"] + " " + str(sms_simulator.cert_path) + "\\n")
    """
    )
    pytester.runpytest_subprocess("-n", "2", "-p", "no:randomly", "-p", "no:cacheprovider").assert_outcomes(passed=4)
    lines = [line.split() for line in seen.read_text().splitlines()]
    assert {worker for worker, _ in lines} == {"gw0", "gw1"}
    (cert,) = {path for _, path in lines}
    assert Path(cert).name == "cert.pem" and "smsftp-tls-" in cert
    assert not Path(cert).parent.exists()  # removed with the run


def test_the_certificate_is_made_once_and_kept_in_pytests_cache(pytester: pytest.Pytester) -> None:
    """Making an RSA key is most of a simulator's start: only the first run pays for it."""
    pytester.makepyfile(
        test_cert="""
        def test_cert(sms_simulator):
            print("CERT=" + str(sms_simulator.cert_path))
    """
    )
    runs = [pytester.runpytest("-s", "-p", "no:randomly") for _ in range(2)]
    for run in runs:
        run.assert_outcomes(passed=1)
    (first,), (second,) = ([line.split("CERT=")[1] for line in run.outlines if "CERT=" in line] for run in runs)
    assert first == second and Path(first).is_file()
    assert Path(first).is_relative_to(pytester.path / ".pytest_cache")
