"""The client judge and faults (T1, T4, Q17): retried, re-uploaded whole, no second campaign, stopped on 5xx.

Real ftplib clients meet real injected faults; the judge reads the journal, the verdicts and the fault events.
"""

from __future__ import annotations

import ftplib
import io
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from smsftp.conformance.judge.clientcheck import ClientReport, client_report
from smsftp.conformance.judge.faultcheck import judge_faults
from smsftp.simulator.app import Simulator

NAME = "guest_20261125120000.zip"
CampaignFactory = Callable[..., bytes]


@pytest.fixture
def sim(clean_sim: Simulator) -> Iterator[Simulator]:
    yield clean_sim
    clean_sim.faults.clear()


def _ftp(sim: Simulator) -> ftplib.FTP:
    ftp = ftplib.FTP(timeout=10)
    ftp.connect(sim.ftp_host, sim.ftp_port)
    ftp.login("guest", "guest")
    return ftp


def _careful_upload(sim: Simulator, data: bytes) -> None:
    with _ftp(sim) as ftp:
        ftp.storbinary(f"STOR {NAME}.part", io.BytesIO(data))
        ftp.rename(f"{NAME}.part", NAME)


def _report(sim: Simulator) -> ClientReport:
    sim.advance(10)
    return client_report(
        [u.to_json() for u in sim.uploads("guest")],
        [a.to_json() for a in sim.archives("guest")],
        login="guest",
        faults=[e.to_json() for e in sim.fault_events()],
    )


def _codes(report: ClientReport) -> list[str]:
    return [f.code for f in report.findings if f.code.startswith("SMS82")]


def _cut_upload(sim: Simulator, data: bytes) -> ftplib.FTP:
    """STOR under the temporary name, cut by the server after 1000 bytes; the control connection stays."""
    ftp = _ftp(sim)
    with sim.fault("STOR", login="guest", cut_after=1000, times=1), pytest.raises((ftplib.error_temp, OSError)):
        ftp.storbinary(f"STOR {NAME}.part", io.BytesIO(data))
    ftp.close()
    return _ftp(sim)


def test_appe_after_a_cut_upload_is_a_finding(sim: Simulator, campaign: CampaignFactory) -> None:
    data = campaign(rows=400)
    assert len(data) > 2000
    with _cut_upload(sim, data) as ftp:
        ftp.storbinary(f"APPE {NAME}.part", io.BytesIO(data[1000:]))  # the tail onto the half file
        ftp.rename(f"{NAME}.part", NAME)
    report = _report(sim)
    assert _codes(report) == ["SMS821"]
    assert report.failing("error")
    text = report.text("error")
    assert "SMS821" in text and "APPE onto the half file" in text and "hint:" in text


def test_rest_then_stor_after_a_cut_upload_is_a_finding(sim: Simulator, campaign: CampaignFactory) -> None:
    data = campaign(rows=400)
    with _cut_upload(sim, data) as ftp:
        ftp.storbinary(f"STOR {NAME}.part", io.BytesIO(data[1000:]), rest=1000)
        ftp.rename(f"{NAME}.part", NAME)
    assert [u.command for u in sim.uploads("guest")] == ["STOR", "REST+STOR"]
    assert _codes(_report(sim)) == ["SMS821"]


def test_whole_new_upload_after_a_cut_is_conformant(sim: Simulator, campaign: CampaignFactory) -> None:
    data = campaign(rows=400)
    _cut_upload(sim, data).close()
    _careful_upload(sim, data)
    report = _report(sim)
    assert _codes(report) == ["SMS824"] and not report.failing("error")
    assert "the client retried" in report.text()


def test_giving_up_after_a_transient_reply_is_a_finding(sim: Simulator, campaign: CampaignFactory) -> None:
    with sim.fault("STOR", login="guest", reply=452, times=1), pytest.raises(ftplib.error_temp):
        _careful_upload(sim, campaign())
    report = _report(sim)
    assert _codes(report) == ["SMS820"] and report.failing("error")
    assert "faults the client met:" in report.text() and "fault #" in report.text()


def test_retrying_a_transient_reply_is_conformant(sim: Simulator, campaign: CampaignFactory) -> None:
    with sim.fault("RNTO", login="guest", reply=451, times=1), _ftp(sim) as ftp:
        ftp.storbinary(f"STOR {NAME}.part", io.BytesIO(campaign()))
        with pytest.raises(ftplib.error_temp):
            ftp.rename(f"{NAME}.part", NAME)
        ftp.rename(f"{NAME}.part", NAME)  # the rename again, on the same upload
    report = _report(sim)
    assert _codes(report) == ["SMS824"] and not report.failing("error")


def test_permanent_error_stop_or_retry(sim: Simulator, campaign: CampaignFactory) -> None:
    with sim.fault("PASS", login="guest", reply=530, times=1):
        ftp = ftplib.FTP(timeout=10)
        ftp.connect(sim.ftp_host, sim.ftp_port)
        with pytest.raises(ftplib.error_perm):
            ftp.login("guest", "guest")
        ftp.close()
    assert _codes(_report(sim)) == ["SMS824"]  # it stopped
    _careful_upload(sim, campaign())  # ... and then tried the same login again
    report = _report(sim)
    assert _codes(report) == ["SMS823"]
    assert [f.severity for f in report.findings if f.code == "SMS823"] == ["warning"] and not report.failing("error")


def _upload(uid: int, name: str, state: str = "complete", command: str = "STOR") -> dict[str, Any]:
    return {"id": uid, "login": "guest", "filename": name, "final_name": name, "state": state, "command": command}


def _archive(aid: int, uid: int, name: str, sha: str) -> dict[str, Any]:
    return {"id": aid, "login": "guest", "name": name, "status": "accepted", "upload_id": uid, "sha256": sha}


def test_two_archives_for_one_campaign_after_a_fault() -> None:
    event = {
        "id": 1,
        "fault_id": 1,
        "kind": "reply",
        "reply": 451,
        "login": "guest",
        "command": "RNTO",
        "argument": NAME,
        "detail": "451",
        "upload_id": None,
        "after_upload": 1,
    }
    other = "guest_20261125120100.zip"
    uploads = [_upload(1, NAME), _upload(2, other)]
    same_bytes = [_archive(1, 1, NAME, "aa"), _archive(2, 2, other, "aa")]
    codes = [f.code for f in judge_faults(uploads, same_bytes, [event])]
    assert "SMS822" in codes
    different = [_archive(1, 1, NAME, "aa"), _archive(2, 2, other, "bb")]
    assert "SMS822" not in [f.code for f in judge_faults(uploads, different, [event])]
    assert judge_faults(uploads, same_bytes, []) == []  # no fault, nothing to judge here (Q17 has SMS804)


def test_faults_that_ask_nothing_are_listed_not_judged() -> None:
    events = [
        {"id": 1, "fault_id": 3, "kind": "delay", "login": "guest", "command": "PWD", "detail": "answered after 1 s"},
        {"id": 2, "fault_id": 4, "kind": "late", "login": None, "command": "POLL", "detail": "poll put off by 5 s"},
    ]
    report = client_report([_upload(1, NAME)], [], login="guest", faults=events)
    assert _codes(report) == []
    assert "answered after 1 s" in report.text() and "poll put off by 5 s" in report.text()
