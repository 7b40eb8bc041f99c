"""Client conformance: judging what a client uploaded (T1, T2, T4, P1, Q15, Q22, Q27, Z1, Q3) and `smsftp report`."""

from __future__ import annotations

import ftplib
import io
import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from smsftp.conformance.client.builder import ArchiveSpec, build_archive
from smsftp.conformance.client.uploader import Uploader
from smsftp.conformance.commands import report
from smsftp.conformance.judge.clientcheck import client_report, failing, judge_uploads
from smsftp.conformance.judge.targets import ClientNotConformant, SimTarget
from smsftp.simulator.app import Simulator, wait_until
from smsftp.simulator.rules.diagnostics import REGISTRY, Severity, diagnostic
from smsftp.simulator.service.clock import SystemClock


def _upload(uid: int = 1, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": uid,
        "login": "guest",
        "filename": "guest_20261125120000.zip.part",
        "final_name": "guest_20261125120000.zip.part",
        "command": "STOR",
        "size": 100,
        "sha256": "0" * 64,
        "transfer_type": "I",
        "control_tls": True,
        "data_tls": True,
        "passive": True,
        "temp_name": "guest_20261125120000.zip.part",
        "renamed_to": "guest_20261125120000.zip",
        "state": "complete",
        "ending": "closed",
        "client": "127.0.0.1:1",
        "started_at": "2026-11-25T09:00:00Z",
        "ended_at": "2026-11-25T09:00:01Z",
    }
    record.update(changes)
    return record


def _archive(uid: int = 1, *codes: str, status: str = "accepted") -> dict[str, Any]:
    return {
        "id": uid,
        "login": "guest",
        "name": "guest_20261125120000.zip",
        "status": status,
        "mode": "template",
        "message_count": 1,
        "rejected_rows": 0,
        "upload_id": uid,
        "diagnostics": [diagnostic(REGISTRY[c]).to_json() for c in codes],
    }


def test_a_conformant_client_has_no_findings() -> None:
    assert judge_uploads([_upload()], [_archive()]) == []


@pytest.mark.parametrize(
    ("changes", "code", "severity"),
    [
        ({"transfer_type": "A"}, "SMS801", Severity.ERROR),
        (
            {
                "temp_name": None,
                "renamed_to": None,
                "filename": "guest_20261125120000.zip",
                "final_name": "guest_20261125120000.zip",
            },
            "SMS805",
            Severity.WARNING,
        ),
        ({"control_tls": False, "data_tls": False}, "SMS806", Severity.WARNING),
        ({"data_tls": False}, "SMS806", Severity.WARNING),
        ({"state": "aborted", "renamed_to": None, "ending": "ABOR"}, "SMS807", Severity.WARNING),
        ({"renamed_to": "campaign.zip"}, "SMS101", Severity.ERROR),
        ({"renamed_to": "Guest_20261125120000.zip"}, "SMS104", Severity.ERROR),
        ({"renamed_to": "notes.txt"}, "SMS810", Severity.ERROR),
        ({"renamed_to": None}, "SMS810", Severity.ERROR),  # a .part never renamed
        ({"reply": "unread"}, "SMS812", Severity.ERROR),
    ],
)
def test_t1_q22_q27_z1_upload_findings(changes: dict[str, Any], code: str, severity: Severity) -> None:
    findings = judge_uploads([_upload(**changes)], [_archive()])
    assert [f.code for f in findings] == [code]
    assert findings[0].severity is severity and findings[0].upload_id == 1


def test_plain_control_without_prot_p_is_named() -> None:
    (finding,) = judge_uploads([_upload(data_tls=False)], [_archive()])
    assert "PROT P" in finding.diagnostic.message


def test_archive_diagnostics_are_findings_once() -> None:
    uploads = [_upload(transfer_type="A")]
    archives = [_archive(1, "SMS801", "SMS206", status="rejected")]
    findings = judge_uploads(uploads, archives)
    assert [f.code for f in findings] == ["SMS801", "SMS206"]  # SMS801 from the archive, not twice
    assert all(f.archive_id == 1 for f in findings)


def test_orphan_archives_and_login_filter() -> None:
    other = _upload(2, login="acme", renamed_to="acme_20261125120000.zip", transfer_type="A")
    orphan = {**_archive(9, "SMS503"), "upload_id": None}
    findings = judge_uploads([_upload(), other], [_archive(), {**_archive(2), "login": "acme"}, orphan])
    assert [(f.code, f.upload_id) for f in findings] == [("SMS801", 2), ("SMS503", None)]
    assert [f.code for f in judge_uploads([_upload(), other], [{**_archive(2), "login": "acme"}], login="acme")] == [
        "SMS801"
    ]


def test_p1_nothing_uploaded_is_an_error_not_a_pass() -> None:
    (nothing,) = judge_uploads([], [], login="guest")
    assert (nothing.code, nothing.severity, nothing.diagnostic.statement) == ("SMS808", Severity.ERROR, "T1")
    assert "account guest" in nothing.diagnostic.message and nothing.diagnostic.hint
    assert [f.code for f in judge_uploads([_upload(login="acme")], [], login="guest")] == ["SMS808"]


@pytest.mark.parametrize(("frozen", "hint"), [(True, "--advance"), (False, "--wait SECONDS"), (None, "--advance")])
def test_p1_unprocessed_upload_names_what_the_user_needs(frozen: bool | None, hint: str) -> None:
    (pending,) = judge_uploads([_upload()], [], frozen=frozen)
    assert pending.code == "SMS809" and pending.severity is Severity.ERROR and pending.upload_id == 1
    assert hint in pending.diagnostic.hint
    assert "no verdict yet" in pending.diagnostic.message
    assert [f.code for f in judge_uploads([_upload(state="in_progress")], [])] == ["SMS809"]
    assert [f.code for f in judge_uploads([_upload()], [_archive(status="pending")])] == ["SMS809"]
    assert judge_uploads([_upload()], [_archive(status="rejected")]) == []


def test_t2_failed_login_in_scope_is_an_error() -> None:
    failed = [
        {"login": "guest", "client": "127.0.0.1:5", "tls": True, "at": "2026-11-25T09:00:00Z"},
        {"login": "acme", "client": "127.0.0.1:6", "tls": False, "at": "2026-11-25T09:00:00Z"},
    ]
    findings = judge_uploads([_upload()], [_archive()], login="guest", failed_logins=failed)
    assert [(f.code, f.subject) for f in findings] == [("SMS811", "login guest")]
    assert "'guest' from 127.0.0.1:5 failed (over TLS)" in findings[0].diagnostic.message
    assert [f.code for f in judge_uploads([], [], failed_logins=failed)] == ["SMS811", "SMS811", "SMS808"]


def test_fail_on_levels_and_report_text() -> None:
    result = client_report(
        [_upload(temp_name=None, renamed_to=None, final_name="guest_20261125120000.zip")], [_archive(1, "SMS208")]
    )
    assert [f.code for f in result.findings] == ["SMS805", "SMS208"]
    assert failing(result.findings, "error") == []
    assert [f.code for f in result.failing("warning")] == ["SMS805", "SMS208"]
    text = result.text("warning")
    assert "guest_20261125120000.zip (upload #1, guest: TYPE I, FTPS, passive, complete) -> accepted" in text
    assert "  guest_20261125120000.zip: SMS805 [warning]" in text and "hint:" in text
    assert text.endswith("FAIL at --fail-on warning (2 finding(s) at or above it)")
    assert result.to_json("error")["passed"] is True


# --- end to end: a real simulator, the reference uploader playing the integrator's client ----------


@pytest.fixture(scope="module")
def uploaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    state = tmp_path_factory.mktemp("state")
    with Simulator(state_dir=state) as sim:
        good = build_archive(ArchiveSpec(contacts=(("79031234567", "Иван", "Петров"),)))
        sloppy_rows = (("89031234567", "Иван", "Петров"), ("79161234567", "Анна", "Ли"))
        sloppy = build_archive(ArchiveSpec(stamp="20261125120500", contacts=sloppy_rows))
        assert sim.cert_path is not None
        Uploader(sim.ftp_host, sim.ftp_port, "guest", "guest", tls=True, cafile=sim.cert_path).upload(
            *good, temp_name="auto"
        )
        Uploader(sim.ftp_host, sim.ftp_port, "guest", "guest").upload(*sloppy)
        sim.advance(10)
        assert sim.archive(sloppy[0]) is not None and sim.archive(good[0]) is not None
        yield sim


def test_report_from_state_dir_fails_on_warning(uploaded: Simulator) -> None:
    result = CliRunner().invoke(report, ["--state-dir", str(uploaded.state_dir), "--fail-on", "warning"])
    assert result.exit_code == 1, result.output
    assert (
        "guest_20261125120000.zip (upload #1, guest: TYPE I, FTPS, passive, as "
        "guest_20261125120000.zip.part then renamed, complete) -> accepted (1 message(s))" in result.output
    )
    assert "SMS805 [warning]" in result.output and "SMS806 [warning]" in result.output
    assert "SMS503 [error]" in result.output


def test_report_from_api_as_json(uploaded: Simulator) -> None:
    result = CliRunner().invoke(report, ["--api", str(uploaded.api_url), "--format", "json", "--fail-on", "info"])
    data = json.loads(result.output)
    codes = {f["code"] for f in data["findings"]}
    assert {"SMS503", "SMS805", "SMS806"} <= codes
    assert data["passed"] is False and result.exit_code == 1
    assert all(f["subject"] == "guest_20261125120500.zip" for f in data["findings"] if f["code"] == "SMS503")


def test_report_on_a_login_that_uploaded_nothing_fails(uploaded: Simulator, tmp_path: Path) -> None:
    result = CliRunner().invoke(report, ["--state-dir", str(uploaded.state_dir), "--login", "nobody"])
    assert result.exit_code == 1 and "0 upload(s)" in result.output
    assert "SMS808 [error] the simulator received no upload for account nobody" in result.output
    usage = CliRunner().invoke(report, ["--api", "http://127.0.0.1:1", "--state-dir", str(tmp_path)])
    assert usage.exit_code == 2 and "one of --api URL or --state-dir DIR, not both" in usage.output
    usage = CliRunner().invoke(report, ["--state-dir", str(uploaded.state_dir), "--advance"])
    assert usage.exit_code == 2 and "--advance and --wait need the running simulator's --api" in usage.output


def test_report_reads_the_default_api_address_when_given_neither(monkeypatch: pytest.MonkeyPatch) -> None:
    import smsftp.conformance.commands as commands

    asked: list[str] = []

    def refuse(base: str, path: str, login: str | None, token: str | None) -> dict[str, object]:
        asked.append(base)
        raise ConnectionRefusedError("nothing listens there")

    monkeypatch.setattr(commands, "_get_json", refuse)
    result = CliRunner().invoke(report, [], env={"SMSFTP_API": None})
    assert asked == ["http://127.0.0.1:8121"]
    assert result.exit_code == 2 and "cannot read http://127.0.0.1:8121" in result.output


def test_report_in_ci_formats_with_selection_and_statistics(uploaded: Simulator) -> None:
    state = ["--state-dir", str(uploaded.state_dir)]
    github = CliRunner().invoke(report, [*state, "--format", "github"])
    assert github.exit_code == 1
    lines = github.output.splitlines()
    assert any(
        line.startswith("::error file=guest_20261125120500.zip,line=") and "title=SMS503 phone-leading-8::" in line
        for line in lines
    ), lines
    assert any(line.startswith("::warning file=") and "title=SMS806" in line for line in lines)
    only = CliRunner().invoke(report, [*state, "--format", "gitlab", "--select", "SMS8", "--ignore", "SMS806"])
    issues = json.loads(only.output)
    assert issues and {i["check_name"] for i in issues} <= {"SMS801", "SMS802", "SMS803", "SMS804", "SMS805"}
    assert only.exit_code == 0  # the error (SMS503) is not selected, and warnings do not fail at --fail-on error
    stats = CliRunner().invoke(report, [*state, "--statistics", "--format", "json"])
    counts = {row["code"]: row["count"] for row in json.loads(stats.output)}
    assert counts["SMS503"] >= 1 and counts["SMS805"] >= 1
    bad = CliRunner().invoke(report, [*state, "--select", "SMS99"])
    assert bad.exit_code == 2 and "matches no diagnostic code" in bad.output


# --- end to end: what a CI script does wrong, with real clients (curl, ftplib) ---------------------

CURL = shutil.which("curl") or "/usr/bin/curl"
needs_curl = pytest.mark.skipif(not Path(CURL).exists(), reason="curl is not installed")
GOOD = "guest_20261125120000.zip"


@pytest.fixture
def sim(clean_sim: Simulator) -> Simulator:
    return clean_sim


def _curl(sim: Simulator, path: str, *args: str, user: str = "guest:guest") -> subprocess.CompletedProcess[str]:
    url = f"ftp://{user}@{sim.ftp_host}:{sim.ftp_port}/{path}"
    return subprocess.run([CURL, "--silent", "--show-error", *args, url], capture_output=True, text=True, timeout=30)


def _report(sim: Simulator, *args: str) -> Any:
    return CliRunner().invoke(report, ["--api", str(sim.api_url), "--login", "guest", *args])


def test_fresh_simulator_nothing_uploaded_fails(sim: Simulator) -> None:
    result = _report(sim)
    assert result.exit_code == 1, result.output
    assert "SMS808 [error]" in result.output and "FAIL at --fail-on error" in result.output


@needs_curl
def test_upload_without_processing_fails_until_advance(
    sim: Simulator, tmp_path: Path, campaign: Callable[..., bytes]
) -> None:
    (tmp_path / GOOD).write_bytes(campaign(2))
    assert _curl(sim, "", "-T", str(tmp_path / GOOD)).returncode == 0
    waiting = _report(sim)
    assert waiting.exit_code == 1 and "SMS809 [error]" in waiting.output
    assert "smsftp report --advance" in waiting.output  # the frozen clock: --wait would never help
    judged = _report(sim, "--advance")
    assert judged.exit_code == 0, judged.output
    assert "-> accepted (2 message(s))" in judged.output and "SMS809" not in judged.output


@needs_curl
def test_only_a_csv_in_the_folder_fails(sim: Simulator, tmp_path: Path) -> None:
    (tmp_path / "contacts.csv").write_text("phone;attr1\n79031234567;Anna\n")
    assert _curl(sim, "", "-T", str(tmp_path / "contacts.csv")).returncode == 0
    result = _report(sim, "--advance")
    assert result.exit_code == 1
    assert "contacts.csv: SMS810 [error] contacts.csv is not a `.zip` archive" in result.output
    assert "contacts.csv" in sim.folder("guest")  # the platform left it there, as the finding says


def test_failed_login_fails_even_after_a_good_upload(sim: Simulator, campaign: Callable[..., bytes]) -> None:
    with pytest.raises(ftplib.error_perm), ftplib.FTP() as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port, timeout=10)
        ftp.login("guest", "wrong")
    with ftplib.FTP() as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port, timeout=10)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {GOOD}", io.BytesIO(campaign(1)))
    result = _report(sim, "--advance")
    assert result.exit_code == 1, result.output
    assert "login guest: SMS811 [error] the FTP login as 'guest' from 127.0.0.1:" in result.output
    assert "SMS812" not in result.output  # ftplib read the 226 and sent QUIT
    assert [u.reply for u in sim.uploads("guest")] == ["read"]


@needs_curl
def test_curl_cut_by_max_time_is_flagged_as_hanging_up(sim: Simulator, tmp_path: Path) -> None:
    big = tmp_path / GOOD
    big.write_bytes(os.urandom(4 << 20))
    cut = _curl(sim, "", "-T", str(big), "--limit-rate", "1M", "--max-time", "0.5")
    assert cut.returncode == 28, cut.stderr  # curl: operation timed out
    assert wait_until(lambda: [u.reply for u in sim.uploads("guest")] == ["unread"], 10)
    assert [(u.state, u.ending) for u in sim.uploads("guest")] == [("complete", "closed")]
    result = _report(sim, "--advance", "--format", "json")
    codes = [f["code"] for f in json.loads(result.output)["findings"]]
    assert "SMS812" in codes and result.exit_code == 1


def test_wait_lets_a_system_clock_simulator_process(
    service_cert: tuple[Path, Path], campaign: Callable[..., bytes]
) -> None:
    cert, key = service_cert
    with Simulator(clock=SystemClock(), poll_interval=0.1, cert=cert, key=key) as live:
        with ftplib.FTP() as ftp:
            ftp.connect(live.ftp_host, live.ftp_port, timeout=10)
            ftp.login("guest", "guest")
            ftp.storbinary(f"STOR {GOOD}", io.BytesIO(campaign(1)))
        usage = _report(live, "--advance")
        assert usage.exit_code == 2 and "use --wait SECONDS" in usage.output
        result = _report(live, "--wait", "20")
        assert result.exit_code == 0, result.output
        assert "-> accepted (1 message(s))" in result.output


def test_assert_client_conformant_fails_on_nothing_and_on_unprocessed(
    sim: Simulator, campaign: Callable[..., bytes]
) -> None:
    target = SimTarget(sim)
    with pytest.raises(ClientNotConformant, match="SMS808"):
        target.assert_client_conformant()
    with ftplib.FTP() as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port, timeout=10)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {GOOD}", io.BytesIO(campaign(1)))
    with pytest.raises(ClientNotConformant, match=r"SMS809(.|\n)*assert_client_conformant\(advance=True\)"):
        target.assert_client_conformant()
    target.assert_client_conformant(advance=True)  # processed now; warnings (no TLS, no rename) pass
