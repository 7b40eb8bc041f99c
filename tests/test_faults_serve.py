"""Faults on demand against a real ``smsftp serve``, with curl and ``smsftp report``, as a CI job uses them (T1).

The issue's "done means": the test sets "452 on the first STOR for guest" over the HTTP API, curl fails
with 452, curl retries, and ``smsftp report`` shows the fault and a conformant retry.  The service runs
on a frozen clock started with a ``--fault`` of its own, so the command-line syntax is exercised too.
"""

from __future__ import annotations

import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

CURL = shutil.which("curl") or "/usr/bin/curl"
pytestmark = pytest.mark.skipif(not Path(CURL).exists(), reason="curl is not installed")
NAME = "guest_20261125120000.zip"


@dataclass(frozen=True)
class Served:
    ftp: str
    api: str
    banner: str
    state: Path

    def call(self, method: str, path: str, body: object | None = None) -> tuple[int, dict[str, object]]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.api + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    state = tmp_path_factory.mktemp("serve")
    command = [sys.executable, "-m", "smsftp.simulator.cli", "serve", "--ftp-port", "0", "--api-port", "0"]
    command += ["--state-dir", str(state), "--clock", "frozen", "--at", "2026-11-25T12:00:00Z"]
    command += ["--fault", "RNTO@guest:553,times=1"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.append(line)
            if line.startswith("Stop:"):
                ready.set()
        ready.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        ready.wait(30)
        banner = "".join(lines)
        ftp = re.search(r"FTP\s+(ftp://127\.0\.0\.1:\d+)/", banner)
        api = re.search(r"API\s+(http://\S+?)/api/health", banner)
        assert ftp and api, f"smsftp serve did not start: {banner}"
        yield Served(ftp.group(1), api.group(1), banner, state)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        reader.join(timeout=5)
        assert process.stderr is not None
        process.stderr.close()


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    path = tmp_path / NAME
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("sms/contacts.csv", "phone;attr1\r\n79031234567;Anna\r\n")
        z.writestr("sms/template.csv", "message;sourceaddress\r\nHello #attr1#!;TESTSMS\r\n")
    return path


def _curl(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CURL, "--silent", "--show-error", *args], capture_output=True, text=True, timeout=60)


def _report(served: Served) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "smsftp.simulator.cli", "report", "--api", served.api, "--login", "guest"]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_452_on_the_first_stor_curl_fails_retries_and_the_report_shows_it(served: Served, archive: Path) -> None:
    status, fault = served.call("POST", "/api/faults", {"login": "guest", "on": "STOR", "reply": 452, "times": 1})
    assert status == 201 and fault["reply"] == 452
    url = f"{served.ftp}/{NAME}"
    first = _curl("--user", "guest:guest", "-T", str(archive), url)
    assert first.returncode != 0 and "452" in first.stderr, first.stderr
    second = _curl("--user", "guest:guest", "-T", str(archive), url)
    assert second.returncode == 0, second.stderr
    served.call("POST", "/api/clock/advance", {"seconds": 10})
    _, listed = served.call("GET", "/api/faults")
    assert [f["fired"] for f in listed["faults"] if f["id"] == fault["id"]] == [1]  # type: ignore[union-attr]
    report = _report(served)
    assert report.returncode == 0, report.stdout + report.stderr  # plain FTP warns; no error
    assert re.search(r"fault #\d+: 452 on STOR guest_20261125120000\.zip", report.stdout), report.stdout
    assert "SMS824" in report.stdout and "the client retried" in report.stdout
    assert "SMS820" not in report.stdout
    served.call("DELETE", f"/api/faults/{fault['id']}")


def test_serve_fault_option_553_on_rnto_and_the_client_stops(served: Served, archive: Path) -> None:
    assert re.search(r"fault\s+#\d+ RNTO@guest:553,times=1 \(cli\)", served.banner), served.banner
    result = _curl(
        "--user",
        "guest:guest",
        "-T",
        str(archive),
        f"{served.ftp}/second.part",
        "--quote",
        "-RNFR second.part",
        "--quote",
        "-RNTO guest_20261125120500.zip",
    )
    assert result.returncode == 21, result.stderr  # curl: "QUOT string not accepted" (the 553)
    _, events = served.call("GET", "/api/faults/events?login=guest")
    assert any(e["reply"] == 553 for e in events["events"])  # type: ignore[attr-defined, index]
    report = _report(served)
    assert "553 on RNTO" in report.stdout and "stopped, as it should" in report.stdout, report.stdout
    command = [sys.executable, "-m", "smsftp.simulator.cli", "report", "--state-dir", str(served.state)]
    offline = subprocess.run([*command, "--login", "guest"], capture_output=True, text=True, timeout=60)
    assert "553 on RNTO" in offline.stdout, offline.stdout + offline.stderr  # read from the store directly
