"""curl against the simulator, then the HTTP API, the way a CI job uses them (T1, T4, P1, P2, Q22)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from smsftp.simulator.app import Simulator

CURL = shutil.which("curl") or "/usr/bin/curl"
NAME = "guest_20261125120000.zip"
CampaignFactory = Callable[..., bytes]

pytestmark = pytest.mark.skipif(not Path(CURL).exists(), reason="curl is not installed")


def curl(sim: Simulator, *args: str, path: str = "/") -> subprocess.CompletedProcess[str]:
    url = f"ftp://guest:guest@{sim.ftp_host}:{sim.ftp_port}{path}"
    return subprocess.run([CURL, "--silent", "--show-error", *args, url], capture_output=True, text=True, timeout=30)


def api(sim: Simulator, method: str, path: str, **kwargs: object) -> httpx.Response:
    assert sim.api_url is not None
    return httpx.request(method, sim.api_url + path, timeout=30, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def archive_file(tmp_path: Path, campaign: CampaignFactory) -> Path:
    path = tmp_path / NAME
    path.write_bytes(campaign(4))
    return path


@pytest.fixture
def sim(clean_sim: Simulator) -> Simulator:
    return clean_sim


def test_t1_curl_upload_then_advance_then_messages(sim: Simulator, archive_file: Path) -> None:
    """The issue's "done means": curl -T, one POST /api/clock/advance, messages in GET /api/messages."""
    result = curl(sim, "-T", str(archive_file))
    assert result.returncode == 0, result.stderr
    assert api(sim, "POST", "/api/clock/advance", json={"seconds": 10}).status_code == 200
    body = api(sim, "GET", "/api/messages", params={"login": "guest", "archive": NAME}).json()
    assert body["total"] == 4 and [m["phone"] for m in body["messages"]][:2] == ["79031230000", "79031230001"]
    assert set(body["messages"][0]) >= {
        "phone",
        "text",
        "sender",
        "send_at",
        "expires_at",
        "encoding",
        "segments",
        "row",
        "archive",
        "login",
        "id",
    }
    verdict = api(sim, "GET", f"/api/archives/{NAME}", params={"login": "guest"}).json()
    assert verdict["status"] == "accepted" and verdict["message_count"] == 4
    listing = curl(sim, "--list-only")
    assert listing.returncode == 0 and listing.stdout == ""


@pytest.mark.parametrize(
    "tls_args", [["--ssl-reqd", "--cacert"], ["--ssl-reqd", "-k", "--ftp-pasv"]], ids=["cacert", "insecure-pasv"]
)
def test_t1_curl_ftps(sim: Simulator, archive_file: Path, tls_args: list[str]) -> None:
    """curl --ssl-reqd: AUTH TLS and PROT P, verified against the printed certificate or with -k."""
    args = [*tls_args, str(sim.cert_path)] if tls_args[-1] == "--cacert" else tls_args
    result = curl(sim, *args, "-T", str(archive_file))
    assert result.returncode == 0, result.stderr
    [upload] = api(sim, "GET", "/api/uploads").json()["uploads"]
    assert (upload["control_tls"], upload["data_tls"], upload["passive"], upload["state"]) == (
        True,
        True,
        True,
        "complete",
    )


def test_t4_curl_active_mode(sim: Simulator, archive_file: Path) -> None:
    """curl --ftp-port 127.0.0.1: the server connects back (PORT/EPRT), plain FTP.

    curl 7.88 cannot do active mode over TLS (it sends the data unencrypted and the
    server refuses the handshake); FTPS in active mode is covered with ftplib.
    """
    result = curl(sim, "--ftp-port", "127.0.0.1", "-T", str(archive_file))
    assert result.returncode == 0, result.stderr
    assert [u.passive for u in sim.uploads()] == [False]
    api(sim, "POST", "/api/clock/advance", json={"seconds": 10})
    assert sim.archive(NAME).status == "accepted"  # type: ignore[union-attr]


def test_q22_curl_temporary_name_and_rename(sim: Simulator, archive_file: Path) -> None:
    """Upload as .part and rename with RNFR/RNTO after the transfer: no SMS805 warning (Q22)."""
    result = curl(
        sim, "-T", str(archive_file), "--quote", f"-RNFR {NAME}.part", "--quote", f"-RNTO {NAME}", path=f"/{NAME}.part"
    )
    assert result.returncode == 0, result.stderr
    [upload] = sim.uploads()
    assert (upload.temp_name, upload.renamed_to) == (f"{NAME}.part", NAME)
    api(sim, "POST", "/api/clock/advance", json={"seconds": 10})
    verdict = api(sim, "GET", f"/api/archives/{NAME}", params={"wait": 5}).json()
    assert verdict["status"] == "accepted"
    assert [d["code"] for d in verdict["diagnostics"]] == ["SMS806"]


def test_t2_curl_with_a_wrong_password_fails(sim: Simulator, archive_file: Path) -> None:
    url = f"ftp://guest:nope@{sim.ftp_host}:{sim.ftp_port}/"
    result = subprocess.run([CURL, "--silent", "-T", str(archive_file), url], capture_output=True, timeout=30)
    assert result.returncode == 67  # CURLE_LOGIN_DENIED
    assert api(sim, "GET", "/api/failed-logins").json()["count"] == 1


def test_t1_curl_plain_is_refused_when_tls_is_required(service_cert: tuple[Path, Path], archive_file: Path) -> None:
    cert, key = service_cert
    with Simulator(tls="required", api_port=None, cert=cert, key=key) as sim:
        plain = curl(sim, "-T", str(archive_file))
        assert plain.returncode != 0 and sim.uploads() == []
        secure = curl(sim, "--ssl-reqd", "--cacert", str(cert), "-T", str(archive_file))
        assert secure.returncode == 0, secure.stderr
        assert [u.data_tls for u in sim.uploads()] == [True]


def test_t4_curl_mode_and_type_commands(sim: Simulator, archive_file: Path) -> None:
    """The commands the document lists, sent by curl before its upload: accepted, or 504 for block mode."""
    accepted = curl(sim, "--quote", "MODE S", "--quote", "TYPE A N", "--quote", "TYPE L 8", "-T", str(archive_file))
    assert accepted.returncode == 0, accepted.stderr
    refused = curl(sim, "--quote", "MODE B", "-T", str(archive_file), path="/other.zip")
    assert refused.returncode == 21 and "504" in refused.stderr  # CURLE_QUOTE_ERROR: the server said 504
    assert [(u.filename, u.state) for u in sim.uploads()] == [(NAME, "complete")]
