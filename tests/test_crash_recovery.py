"""kill -9 anywhere between upload and deletion, restart: every archive processed exactly once (P2, Q22).

A real ``smsftp serve`` runs in a subprocess.  The poller's test hook
``SMSFTP_CRASH_AT`` kills it with SIGKILL at one point of the first archive;
the test then restarts it on the same state directory without the hook.
"""

from __future__ import annotations

import contextlib
import ftplib
import io
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from smsftp.simulator.service.clock import real_monotonic

NAME = "guest_20261125120000.zip"
ROWS = 7000  # two message batches: a crash can fall between them
CampaignFactory = Callable[..., bytes]
pytestmark = pytest.mark.slow


@dataclass
class Served:
    process: subprocess.Popen[str]
    ftp_port: int = 0
    api: str = ""
    lines: queue.Queue[str] = field(default_factory=queue.Queue)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(method, self.api + path, timeout=60, **kwargs)

    def upload(self, data: bytes) -> None:
        with ftplib.FTP(timeout=10) as ftp:
            ftp.connect("127.0.0.1", self.ftp_port)
            ftp.login("guest", "guest")
            ftp.storbinary(f"STOR {NAME}", io.BytesIO(data))

    def wait_exit(self, timeout: float = 20) -> int:
        return self.process.wait(timeout)


def _pump(stream: Any, lines: queue.Queue[str]) -> None:
    # The test closes the pipe once the process has ended: reading then stops, quietly.
    with contextlib.suppress(ValueError, OSError):
        for line in stream:
            lines.put(line)


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    running: list[Served] = []

    def start(crash_at: str | None = None) -> Served:
        env = dict(os.environ)
        env.pop("SMSFTP_CRASH_AT", None)
        if crash_at:
            env["SMSFTP_CRASH_AT"] = crash_at
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "smsftp.simulator.cli",
                "serve",
                "--ftp-port",
                "0",
                "--api-port",
                "0",
                "--tls",
                "off",
                "--state-dir",
                str(tmp_path / "state"),
                "--clock",
                "frozen",
                "--at",
                "2026-11-25T12:00:00Z",
            ],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        served = Served(process)
        running.append(served)
        threading.Thread(target=_pump, args=(process.stderr, served.lines), daemon=True).start()
        deadline = real_monotonic() + 30
        while not (served.ftp_port and served.api):
            line = served.lines.get(timeout=max(0.01, deadline - real_monotonic()))
            if m := re.search(r"event=start ftp=127\.0\.0\.1:(\d+)", line):
                served.ftp_port = int(m[1])
            if m := re.search(r"API\s+(http://127\.0\.0\.1:\d+)/api/health", line):
                served.api = m[1]
        return served

    yield start
    for served in running:
        if served.process.poll() is None:
            served.process.kill()
            served.process.wait(10)
        assert served.process.stderr is not None
        served.process.stderr.close()


def _advance_expecting_death(served: Served) -> None:
    with pytest.raises(httpx.TransportError):
        served.call("POST", "/api/clock/advance", json={"seconds": 10})
    assert served.wait_exit() == -signal.SIGKILL


def _assert_exactly_once(served: Served, rows: int) -> None:
    archives = [a for a in served.call("GET", "/api/archives").json()["archives"] if a["name"] == NAME]
    assert [(a["status"], a["message_count"]) for a in archives] == [("accepted", rows)]
    body = served.call("GET", "/api/messages", params={"limit": rows + 10}).json()
    assert body["total"] == rows and len({m["row"] for m in body["messages"]}) == rows
    assert served.call("GET", "/api/folder/guest").json()["files"] == []


@pytest.mark.parametrize("point", ["after-claim", "mid-messages", "before-commit", "after-commit"])
def test_p2_a_crash_while_processing_loses_nothing_and_repeats_nothing(
    serve: Callable[..., Served], campaign: CampaignFactory, point: str
) -> None:
    first = serve(crash_at=point)
    first.upload(campaign(ROWS))
    _advance_expecting_death(first)

    second = serve()
    second.call("POST", "/api/clock/advance", json={"seconds": 10})
    _assert_exactly_once(second, ROWS)
    second.call("POST", "/api/clock/advance", json={"seconds": 60})
    _assert_exactly_once(second, ROWS)


def test_q22_a_crash_mid_upload_leaves_a_cut_off_upload(
    serve: Callable[..., Served], campaign: CampaignFactory
) -> None:
    """kill -9 during a transfer: after restart the upload is cut off and its half file rejected once."""
    first = serve()
    data = campaign(ROWS)
    ftp = ftplib.FTP(timeout=10)
    ftp.connect("127.0.0.1", first.ftp_port)
    ftp.login("guest", "guest")
    conn = ftp.transfercmd(f"STOR {NAME}")
    conn.sendall(data[: len(data) // 2])
    deadline = real_monotonic() + 10
    while first.call("GET", "/api/uploads").json()["uploads"] == [] and real_monotonic() < deadline:
        pass
    first.process.kill()
    assert first.wait_exit() == -signal.SIGKILL
    conn.close()
    ftp.close()

    second = serve()
    [upload] = second.call("GET", "/api/uploads").json()["uploads"]
    assert (upload["state"], upload["ending"]) == ("cut_off", "restart")
    second.call("POST", "/api/clock/advance", json={"seconds": 10})
    archives = second.call("GET", "/api/archives").json()["archives"]
    assert [a["status"] for a in archives] == ["rejected"]
    assert "SMS807" in [d["code"] for d in archives[0]["diagnostics"]]


def test_sigterm_stops_cleanly_and_keeps_the_state(serve: Callable[..., Served], campaign: CampaignFactory) -> None:
    first = serve()
    first.upload(campaign(3))
    first.process.send_signal(signal.SIGTERM)
    assert first.wait_exit() == 0
    second = serve()
    assert [u["state"] for u in second.call("GET", "/api/uploads").json()["uploads"]] == ["complete"]
    second.call("POST", "/api/clock/advance", json={"seconds": 10})
    _assert_exactly_once(second, 3)


def test_a_second_server_on_the_same_state_folder_exits_2_and_touches_nothing(
    serve: Callable[..., Served], campaign: CampaignFactory, tmp_path: Path
) -> None:
    """Two real processes on one --state-dir: the second exits 2 naming the folder and the first's pid,
    before recovery, so the first's archive waiting in the folder is processed once, by the first."""
    first = serve()
    first.upload(campaign(5))
    second = subprocess.run(
        [
            sys.executable,
            "-m",
            "smsftp.simulator.cli",
            "serve",
            "--ftp-port",
            "0",
            "--api-port",
            "0",
            "--tls",
            "off",
            "--state-dir",
            str(tmp_path / "state"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert second.returncode == 2
    assert str((tmp_path / "state").resolve()) in second.stderr
    assert f"pid {first.process.pid}" in second.stderr
    assert "event=recover" not in second.stderr and "event=start" not in second.stderr
    assert first.call("GET", "/api/folder/guest").json()["files"] == [NAME]
    first.call("POST", "/api/clock/advance", json={"seconds": 10})
    _assert_exactly_once(first, 5)

    first.process.kill()  # the kernel drops the lock with the process: the folder is free again
    assert first.wait_exit() == -signal.SIGKILL
    third = serve()
    _assert_exactly_once(third, 5)


@pytest.mark.parametrize("stop", ["sigterm", "kill"])
def test_the_frozen_clock_resumes_where_it_was_so_processed_at_never_goes_back(
    serve: Callable[..., Served], campaign: CampaignFactory, stop: str
) -> None:
    """Restarted with the same --at, the frozen clock resumes at its saved instant (issue 10 row 17)."""
    first = serve()
    first.call("POST", "/api/clock/advance", json={"seconds": 3600})
    first.upload(campaign(2))
    first.call("POST", "/api/clock/advance", json={"seconds": 10})
    (before,) = first.call("GET", "/api/archives").json()["archives"]
    assert before["processed_at"] == "2026-11-25T13:00:10Z"
    if stop == "kill":
        first.process.kill()
    else:
        first.process.send_signal(signal.SIGTERM)
    first.wait_exit()

    second = serve()  # --at 2026-11-25T12:00:00Z again
    assert second.call("GET", "/api/clock").json()["now"] == "2026-11-25T13:00:10Z"
    second.upload(campaign(2))
    second.call("POST", "/api/clock/advance", json={"seconds": 10})
    stamps = [a["processed_at"] for a in second.call("GET", "/api/archives").json()["archives"]]
    assert stamps == ["2026-11-25T13:00:10Z", "2026-11-25T13:00:20Z"]


def test_kill_9_mid_archive_leaves_no_orphan_rows_and_returns_the_space(
    serve: Callable[..., Served], campaign: CampaignFactory, tmp_path: Path
) -> None:
    """kill -9 after 1,000 of 7,000 rows: the restart drops them before serving and the file gives the
    space back (issue 10 row 5, the state side)."""
    import sqlite3

    first = serve(crash_at="mid-messages")
    first.upload(campaign(ROWS))
    _advance_expecting_death(first)
    database = tmp_path / "state" / "smsftp.sqlite3"
    with closing(sqlite3.connect(database)) as db, db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] > 0  # what the kill left

    second = serve()
    with closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db, db:
        assert db.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
        assert db.execute("SELECT COUNT(*) FROM archives").fetchone()[0] == 0
        assert db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    second.call("POST", "/api/clock/advance", json={"seconds": 10})
    _assert_exactly_once(second, ROWS)
