"""The in-process simulator inside freezegun's ``freeze_time`` (P1, T2): frozen business time, live timers.

freezegun freezes ``time.monotonic`` in every loaded module, which would stop
pyftpdlib's scheduler (the delayed 530 reply to a wrong password would never
come) and uvicorn's event loop (its shutdown check would never run).  The
simulator points both at ``smsftp.simulator.service.clock.real_monotonic`` instead, so no
freezegun configuration is needed; ``extend_ignore_list`` works as well.
"""

from __future__ import annotations

import ftplib
import io
import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import freezegun
import httpx
import pytest
from freezegun import freeze_time

from smsftp.simulator.app import Simulator
from smsftp.simulator.service.clock import SystemClock, real_monotonic

FROZEN = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
NAME = "guest_20261125120000.zip"
CampaignFactory = Callable[..., bytes]


def _exercise(sim: Simulator, data: bytes) -> None:
    """A wrong password (answered after pyftpdlib's timer), an upload, the API."""
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        with pytest.raises(ftplib.error_perm, match="530"):
            ftp.login("guest", "wrong")
    with ftplib.FTP(timeout=10) as ftp:
        ftp.connect(sim.ftp_host, sim.ftp_port)
        ftp.login("guest", "guest")
        ftp.storbinary(f"STOR {NAME}", io.BytesIO(data))
    assert sim.api_url is not None
    assert httpx.get(sim.api_url + "/api/health", timeout=10).json()["status"] == "ok"


def test_p1_a_simulator_started_inside_freeze_time(service_cert: tuple[Path, Path], campaign: CampaignFactory) -> None:
    """The default clock starts at the frozen instant; advancing it polls; stopping is prompt."""
    cert, key = service_cert
    with freeze_time(FROZEN):
        sim = Simulator(cert=cert, key=key).start()
        try:
            assert sim.clock.now() == FROZEN
            _exercise(sim, campaign(2))
            assert sim.uploads()[0].started_at == FROZEN
            sim.advance(10)
            archive = sim.archive(NAME)
            assert archive is not None and archive.status == "accepted"
            assert archive.processed_at == FROZEN + timedelta(seconds=10)
        finally:
            began = real_monotonic()
            sim.stop()
            assert real_monotonic() - began < 5


def test_p1_the_system_clock_follows_freeze_time(service_cert: tuple[Path, Path], campaign: CampaignFactory) -> None:
    """SystemClock reads freezegun's time, also from pyftpdlib's thread; tick() moves it."""
    cert, key = service_cert
    with freeze_time(FROZEN) as frozen, Simulator(clock=SystemClock(), cert=cert, key=key, poll_interval=3600) as sim:
        _exercise(sim, campaign(1))
        assert [u.started_at for u in sim.uploads()] == [FROZEN]
        frozen.tick(timedelta(minutes=5))
        sim.poll_now()
        assert sim.archive(NAME).processed_at == FROZEN + timedelta(minutes=5)  # type: ignore[union-attr]


def test_t2_a_running_simulator_keeps_working_when_time_is_frozen(
    service_cert: tuple[Path, Path], campaign: CampaignFactory
) -> None:
    cert, key = service_cert
    with Simulator(cert=cert, key=key) as sim:
        with freeze_time(FROZEN):
            _exercise(sim, campaign(1))
            sim.advance(10)
        assert sim.archive(NAME).status == "accepted"  # type: ignore[union-attr]


def test_the_ignore_list_arrangement_works_too(service_cert: tuple[Path, Path], campaign: CampaignFactory) -> None:
    cert, key = service_cert
    freezegun.configure(extend_ignore_list=["pyftpdlib", "uvicorn", "asyncio"])
    try:
        with freeze_time(FROZEN), Simulator(cert=cert, key=key) as sim:
            _exercise(sim, campaign(1))
            assert sim.clock.now() == FROZEN
    finally:
        freezegun.configure(default_ignore_list=freezegun.config.DEFAULT_IGNORE_LIST[:])


def test_pyftpdlib_first_imported_inside_freeze_time(tmp_path: Path) -> None:
    """The hard case: every library is imported while time is frozen (a fresh interpreter)."""
    script = textwrap.dedent("""
        from freezegun import freeze_time
        with freeze_time("2026-11-25 12:00:00"):
            import ftplib
            from smsftp.simulator.app import Simulator
            with Simulator(tls="off") as sim:
                ftp = ftplib.FTP(timeout=10)
                ftp.connect(sim.ftp_host, sim.ftp_port)
                try:
                    ftp.login("guest", "wrong")
                except ftplib.error_perm as exc:
                    print("refused", str(exc)[:3])
                ftp.close()
                print("now", sim.clock.now().isoformat())
        """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["refused", "530", "now", "2026-11-25T12:00:00+00:00"]
